"""Regenerate docs/cli.md from real runs of every subcommand on the bundled example.

Run: ``python docs/make_cli_doc.py`` (from the repository root).
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = (
    ROOT.parent / "shared" / "fixtures" / "profiles" / "samply" / "samply-0.13-linux-python.json"
)

COMMANDS = [
    ("Threads", "profile-frames info --example"),
    ("Top functions by self time", "profile-frames top --example -n 10"),
    (
        "By total time, as markdown",
        "profile-frames top --example -n 5 --sort total --format markdown",
    ),
    ("By library", "profile-frames top --example --by library -n 6"),
    (
        "By namespace (C/Python names group under their library)",
        "profile-frames top --example --by namespace -n 5",
    ),
    ("By category", "profile-frames top --example --by category"),
    (
        "Groups",
        'profile-frames groups --example --group "eval=PyEval,_PyEval" --group "alloc=PyObject_Malloc,PyObject_Free,malloc,free"',
    ),
    ("Top-down tree", "profile-frames tree --example --depth 8 --min-percent 10"),
    ("Bottom-up tree", "profile-frames tree --example --inverted --depth 2 --min-percent 3"),
    ("Callers", "profile-frames callers --example PyObject_Malloc"),
    (
        "Callees, after merging a function",
        "profile-frames callees --example PyEval_EvalFrameDefault --merge /^_?PyEval_EvalFrame$/",
    ),
    (
        "The Firefox Profiler's search (case-insensitive; comma-separated terms all match)",
        "profile-frames top --example -n 4 --search malloc,pyeval",
    ),
    (
        "Only the samples whose leaf is a function, rooted at it",
        "profile-frames tree --example --focus-self PyObject_Malloc --min-percent 0",
    ),
    ("CSV", "profile-frames top --example -n 3 --format csv"),
    (
        "JSON (schema_version 1: command, profile, thread, columns, rows)",
        "profile-frames top --example -n 2 --format json",
    ),
    (
        "A thread that does not exist (exit code 2)",
        "profile-frames top --example --thread Renderer",
    ),
    ("Report", 'profile-frames report --example -n 8 --group "eval=PyEval,_PyEval"'),
    ("Export folded stacks", "profile-frames export --example --to folded -o /tmp/example.folded"),
    (
        "Export a Parquet folder (reopen it with any command)",
        "profile-frames export --example --to parquet -o /tmp/example.pf",
    ),
    (
        "Export pprof (read it with go tool pprof -top /tmp/example.pb.gz)",
        "profile-frames export --example --thread 1 --to pprof -o /tmp/example.pb.gz",
    ),
    ("Flame graph", "profile-frames flamegraph --example -o /tmp/example.svg"),
    (
        "A CI check with budgets (exit code 1: a rule failed; docs/ci.md)",
        "profile-frames check --example --rules docs/examples/perf-rules.toml",
    ),
    (
        "Ingest into a dataset (docs/dataset.md)",
        "profile-frames ingest --example --into /tmp/pf-doc-dataset --label commit=abc123 --label date=2026-11-30 --partition-by date --jobs 1",
    ),
    (
        "Ingesting the same file again is a no-op",
        "profile-frames ingest --example --into /tmp/pf-doc-dataset --label commit=abc123 --label date=2026-11-30 --jobs 1",
    ),
    (
        "Self and total per function over every profile of the dataset",
        "profile-frames dataset totals /tmp/pf-doc-dataset -n 5",
    ),
]
FIREFOX = FIXTURE.parent.parent / "firefox" / "firefox-147-macos-argument-values-v58.json"
if FIREFOX.exists():
    COMMANDS += [
        ("Markers per name (a Firefox recording)", f"profile-frames markers {FIREFOX} -n 6"),
        (
            "Samples during markers",
            f"profile-frames top {FIREFOX} --during-marker DOMEvent -n 4",
        ),
    ]
if FIXTURE.exists():  # two separate recordings of the same workload (../shared/fixtures)
    RUN2 = FIXTURE.with_name("samply-0.13-linux-python-run2.json.gz")
    COMMANDS += [
        (
            "Diff of two recordings",
            f"profile-frames diff {FIXTURE} --after {RUN2} -t 1 -n 6 --format markdown",
        ),
        (
            "Diff summary, with the time per run",
            f"profile-frames diff {FIXTURE} --after {RUN2} -t 1 -n 3 --summary --durations 2.28:1.31",
        ),
        (
            "Diff with a differential flame graph",
            f"profile-frames diff {FIXTURE} --after {RUN2} -t 1 -n 3 --flamegraph /tmp/diff.svg",
        ),
    ]


def run(cmd: str) -> tuple[str, int]:
    args = shlex.split(cmd)
    args[0] = str(Path(sys.executable).parent / args[0])
    p = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    return (p.stdout + p.stderr).rstrip(), p.returncode


def main() -> None:
    import shutil

    shutil.rmtree("/tmp/pf-doc-dataset", ignore_errors=True)  # the ingest examples start fresh
    out = [
        "# The command line",
        "",
        "`profile-frames` (also `python -m profile_frames`) is a thin shell over the Python API: every",
        "option is a library call. Common options: `PROFILE` (a file, `-` for stdin) or `--example` for",
        "the bundled recording; `--thread` (index, name, glob or regex; default: the thread with the most",
        "samples); transforms `--between START:END`, `--merge F`, `--drop F`, `--collapse-recursion F`,",
        "`--collapse-library LIB`, `--focus F`, `--focus-category C`, `--search TEXT` (a function may be",
        "written `/regex/` or as a func index); `--format table|markdown|csv|json`. Tables are pretty (rich)",
        "on a terminal and plain in a pipe. User errors are one line on stderr with exit code 2.",
        "",
        "Everything below is real output, produced by `python docs/make_cli_doc.py`.",
        "",
    ]
    for title, cmd in COMMANDS:
        text, code = run(cmd)
        shown = cmd.replace(str(ROOT.parent) + "/", "../")
        out += [
            f"## {title}",
            "",
            "```console",
            f"$ {shown}",
            text.replace(str(ROOT.parent) + "/", "../"),
        ]
        if code:
            out.append(f"(exit code {code})")
        out += ["```", ""]
    (ROOT / "docs" / "cli.md").write_text("\n".join(out), encoding="utf-8")


if __name__ == "__main__":
    main()
