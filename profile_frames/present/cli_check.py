"""``profile-frames check PROFILE... [--baseline B...] --rules RULES.toml``: the CI gate.

Example
-------
>>> import tempfile, os
>>> rules = os.path.join(tempfile.mkdtemp(), "rules.toml")
>>> _ = open(rules, "w").write('[[rule]]\\ngroup = "eval"\\nprefixes = ["PyEval"]\\nmax_self_pct = 90\\n')
>>> from profile_frames.present.cli import main
>>> main(["check", "--example", "--rules", rules])  # doctest: +ELLIPSIS
rule  thread ...
1 of 1 rules hold
0
"""

from __future__ import annotations

import argparse
from typing import Any

from .check import as_json, check, write_outputs
from .outcome import CommandFailed
from .render import text_table


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "check", help="budgets and baselines for CI: exit 0 pass, 1 fail, 2 unusable"
    )
    p.add_argument("profiles", nargs="*", help="profiles of the change (repetitions allowed)")
    p.add_argument("--example", action="store_true", help="check the bundled example profile")
    p.add_argument("--baseline", nargs="+", default=[], metavar="PROFILE", help="baseline runs")
    p.add_argument("--rules", required=True, metavar="RULES.toml", help="the rules (docs/ci.md)")
    p.add_argument(
        "--markdown", metavar="FILE", help="write a markdown summary (e.g. $GITHUB_STEP_SUMMARY)"
    )
    p.add_argument(
        "--junit", metavar="FILE", help="write a JUnit XML report (one test case per rule)"
    )
    p.add_argument("--format", choices=("table", "markdown", "json"), default="table")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)


def run(args: argparse.Namespace) -> str:
    """Run the check; anything but a pass raises CommandFailed with the report and its code."""
    from .. import example_path

    paths = list(args.profiles) + ([str(example_path())] if args.example else [])
    if not paths:
        raise ValueError("give the profiles to check (or --example)")
    report = check(paths, rules=args.rules, baseline=args.baseline, progress=args.progress)
    write_outputs(report, markdown=args.markdown, junit=args.junit)
    if args.format == "json":
        out = as_json(report)
    elif args.format == "markdown":
        out = report.markdown().rstrip("\n")
    else:
        table = text_table(report.table(), pretty=False) if report.results else ""
        out = (table + "\n" if table else "") + report.summary()
    if report.exit_code:
        raise CommandFailed(out, report.exit_code)
    return out
