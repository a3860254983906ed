"""Headless Chromium for the flame graph tests (and docs/make_pictures.py): a screenshot of a
page, and the page's DOM after its scripts ran."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
# a closed network: no background connections, no first-run work, a throwaway profile
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
]


def run_chromium(args: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    """Run Chromium; on timeout its whole process group is killed (a renderer left behind
    would keep writing into the throwaway profile while it is removed)."""
    assert CHROMIUM, "chromium is not installed"
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile_dir:
        cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={profile_dir}", *args]
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise
        if proc.returncode:
            raise subprocess.CalledProcessError(proc.returncode, cmd, out, err)
        return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def screenshot(
    page: Path, png: Path, width: int = 1200, height: int = 900, fragment: str = ""
) -> Path:
    """Render ``page`` (an .html or .svg file; ``fragment``: a ``#…`` for its URL) at
    ``width``×``height`` CSS pixels into ``png``, once its scripts ran."""
    run_chromium(
        [
            f"--window-size={width},{height}",
            "--virtual-time-budget=5000",
            f"--screenshot={png}",
            page.resolve().as_uri() + fragment,
        ]
    )
    assert png.exists(), f"chromium wrote no screenshot for {page}"
    return png


def dom_after_scripts(page: Path) -> str:
    """The page's serialised DOM once it has loaded and its scripts have run."""
    return run_chromium(["--dump-dom", page.resolve().as_uri()]).stdout.decode("utf-8")
