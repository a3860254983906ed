"""The official CLI's function table of every thread of one profile, and nothing else.

``../shared/fixtures/oracle.sh`` also writes each thread's top-down and bottom-up trees; on the
200–300 MB real-shape files one such tree takes minutes (up to its 10-minute timeout) and
tens of MB, and :mod:`benchmarks.check_oracle` compares the function tables only. This runs
the same CLI (``@firefox-devtools/profiler-cli`` 0.10.0, as ``oracle.sh`` installs it under
``~/.cache/profile-frames-oracle``: run ``oracle.sh`` once on any file first) with the same
settings (a private daemon session, no symbolication) and writes ``thread-N.functions.json``
in ``oracle.sh``'s layout. A thread whose file exists is skipped, so a run stopped part way
(the CLI daemon's memory grows with every thread it answers for) goes on where it stopped.

Usage: ``python -m benchmarks.oracle_functions PROFILE OUTDIR``, then
``python -m benchmarks.check_oracle PROFILE OUTDIR``.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CACHE = Path(os.environ.get("ORACLE_CACHE", Path.home() / ".cache" / "profile-frames-oracle"))
CLI = CACHE / "profiler-cli-0.10.0/node_modules/@firefox-devtools/profiler-cli/dist/profiler-cli.js"


def _node() -> Path | None:
    """node >= 24 as ``oracle.sh`` picks it: the one on PATH, else the one it installed."""
    found = shutil.which("node")
    if found:
        version = subprocess.run([found, "--version"], capture_output=True, text=True).stdout
        major = version.strip().lstrip("v").split(".")[0]
        if major.isdigit() and int(major) >= 24:
            return Path(found)
    arch = "arm64" if platform.machine() in ("aarch64", "arm64") else "x64"
    cached = CACHE / f"node24/node_modules/node-linux-{arch}/bin/node"
    return cached if cached.is_file() else None


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    profile, out = Path(args[0]).resolve(), Path(args[1])
    node = _node()
    if not CLI.is_file() or node is None:
        print(f"the CLI is not installed under {CACHE}: run oracle.sh once", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as session:
        env = {
            **os.environ,
            "PROFILER_CLI_SESSION_DIR": session,
            "PROFILER_CLI_NO_SYMBOLICATE": "1",
        }

        def cli(*a: str) -> str:
            return subprocess.run(
                [str(node), str(CLI), *a], env=env, capture_output=True, text=True, check=True
            ).stdout

        try:
            cli("load", str(profile))
            n = json.loads(cli("thread", "list", "--json"))["totalThreadCount"]
            for i in range(n):
                if (out / f"thread-{i}.functions.json").exists():
                    continue  # written by an earlier run: the daemon's memory grows with every
                    # thread it answers for (24 GB after 477 threads of the samply import)
                table = cli(
                    "thread", "functions", "--thread", f"t-{i}", "--include-idle", "--limit", "0",
                    "--json",
                )  # fmt: skip
                part = out / f"thread-{i}.functions.json.part"
                part.write_text(table)
                part.replace(out / f"thread-{i}.functions.json")
        finally:
            subprocess.run([str(node), str(CLI), "stop", "--all"], env=env, capture_output=True)
    print(f"{profile.name}: {n} threads -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
