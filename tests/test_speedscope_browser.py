"""speedscope itself (the web app from npm, in headless Chromium) imports our folded stacks and
our speedscope JSON: proof that the files are readable by the tool, not only well-formed."""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import threading
import urllib.parse
from pathlib import Path

import pytest

import profile_frames
from profile_frames.export import write_folded
from profile_frames.export.speedscope import write_speedscope

from .browser import CHROMIUM, run_chromium

APP = Path(__file__).resolve().parent / ".tools" / "speedscope" / "package" / "dist" / "release"

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium)"
    ),
    pytest.mark.skipif(
        not (APP / "index.html").exists(),
        reason="speedscope is not unpacked in tests/.tools (run tests/install-tools.sh; needs npm)",
    ),
]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep the test output clean
        pass


def speedscope_page(folder: Path, profile_name: str, timeout: float = 60) -> str:
    """The DOM of speedscope after it loaded ``profile_name`` from a localhost server; empty
    when the page does not settle (speedscope reports an import failure in a modal alert,
    which blocks a headless browser)."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        url = f"{base}/index.html#profileURL={urllib.parse.quote(f'{base}/{profile_name}')}"
        try:
            return run_chromium(
                ["--virtual-time-budget=15000", "--dump-dom", url], timeout=timeout
            ).stdout.decode()
        except subprocess.TimeoutExpired:
            return ""
    finally:
        server.shutdown()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    shutil.copytree(APP, tmp_path / "site")
    return tmp_path / "site"


def loaded(dom: str) -> bool:
    """speedscope shows its view buttons only once a profile is imported."""
    return "Left Heavy" in dom and "Sandwich" in dom


def test_speedscope_imports_our_folded_stacks(site):
    t = profile_frames.load(profile_frames.example_path()).thread(1)
    write_folded(t, site / "example.folded")
    dom = speedscope_page(site, "example.folded")
    assert loaded(dom), dom[-2000:]
    assert "example.folded" in dom


def test_speedscope_imports_our_speedscope_json(site):
    write_speedscope(profile_frames.load(profile_frames.example_path()), site / "example.json")
    dom = speedscope_page(site, "example.json")
    assert loaded(dom), dom[-2000:]
    assert "python3.11 (1)" in dom  # the thread's profile name, as we wrote it


def test_a_broken_file_is_not_loaded(site):
    """The check above can fail: speedscope rejects a file that is not a profile."""
    (site / "broken.json").write_text('{"not": "a profile"}')
    # a good file settles in about 3 s here; 15 s is plenty to tell
    assert not loaded(speedscope_page(site, "broken.json", timeout=15))
