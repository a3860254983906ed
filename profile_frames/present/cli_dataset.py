"""The dataset commands of ``profile-frames``: ``ingest`` and ``dataset totals|trend|compare``.

Example
-------
>>> import tempfile
>>> from profile_frames.present.cli import main
>>> d = tempfile.mkdtemp() + "/runs"
>>> main(["ingest", "--example", "--into", d, "--label", "commit=abc", "--jobs", "1"])  # doctest: +ELLIPSIS
/.../runs: 1 ingested, 0 already there, 0 failed in ...
0
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import polars as pl

from ..analysis.groups import resolve_groups
from ..dataset import ingest, open_dataset
from .outcome import CommandFailed
from .render import FORMATS, render_as


def _labels(items: list[str], option: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"{option} wants KEY=VALUE, got {item!r}")
        out[key] = value
    return out


def add_parsers(sub: Any) -> None:
    """Add ``ingest`` and ``dataset`` to the CLI's subcommands."""
    p = sub.add_parser("ingest", help="append profiles to a Parquet dataset (docs/dataset.md)")
    p.add_argument("profiles", nargs="*", help="profile files")
    p.add_argument("--example", action="store_true", help="ingest the bundled example profile")
    p.add_argument("--into", required=True, metavar="DATASET", help="dataset folder")
    p.add_argument(
        "--label", action="append", default=[], metavar="KEY=VALUE", help="label every profile"
    )
    p.add_argument(
        "--partition-by", metavar="LABEL", help="Hive-partition by this label (set at creation)"
    )
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: CPUs)")
    p.add_argument("--samples", action="store_true", help="also store every sample (large)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)

    d = sub.add_parser("dataset", help="questions across the profiles of a dataset")
    dsub = d.add_subparsers(dest="dataset_command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("dataset", help="dataset folder")
    common.add_argument("-t", "--thread", help="thread name (default: each profile's main thread)")
    common.add_argument(
        "--where", action="append", default=[], metavar="KEY=VALUE", help="only these profiles"
    )
    common.add_argument("-n", type=int, default=30, help="rows (default 30; 0 = all)")
    common.add_argument("--format", choices=FORMATS, default="table")
    dsub.add_parser(
        "totals", parents=[common], help="self and total per function over the profiles"
    )
    t = dsub.add_parser("trend", parents=[common], help="a function's share per label value")
    t.add_argument("function", help="function name")
    t.add_argument("--by", required=True, metavar="LABEL")
    c = dsub.add_parser(
        "compare", parents=[common], help="N runs against M runs: change, interval, p, q"
    )
    c.add_argument("--before", action="append", required=True, metavar="KEY=VALUE[,VALUE...]")
    c.add_argument("--after", action="append", required=True, metavar="KEY=VALUE[,VALUE...]")
    c.add_argument("--value", choices=("self", "total"), default="self")
    c.add_argument(
        "--group",
        action="append",
        default=[],
        metavar="NAME=PREFIX[,PREFIX...]",
        help="compare groups of functions (each sample counted once in a total)",
    )


def _emit(df: pl.DataFrame, args: argparse.Namespace, **context: Any) -> str:
    return render_as(df, args.format, command=f"dataset {args.dataset_command}", **context)


def _set(items: list[str], option: str) -> dict[str, list[str]]:
    return {k: v.split(",") for k, v in _labels(items, option).items()}


def run(args: argparse.Namespace) -> str:
    """Run ``ingest`` or ``dataset …``; a partly failed ingest raises :class:`CommandFailed`."""
    if args.command == "ingest":
        from .. import example_path

        paths = list(args.profiles) + ([str(example_path())] if args.example else [])
        if not paths:
            raise ValueError("give profile files to ingest (or --example)")
        report = ingest(
            paths,
            into=args.into,
            labels=_labels(args.label, "--label"),
            partition_by=args.partition_by,
            jobs=args.jobs,
            samples=args.samples,
            progress=args.progress,
        )
        for path, message in report.errors:
            print(f"profile-frames: skipped {path}: {message}", file=sys.stderr)
        if not report.ok:
            raise CommandFailed(report.summary())
        return report.summary()
    ds = open_dataset(args.dataset)
    where = _set(args.where, "--where") or None
    context = {"dataset": args.dataset, "thread": args.thread or "main", "where": where}
    if args.dataset_command == "totals":
        df = ds.function_totals(args.thread, where)
    elif args.dataset_command == "trend":
        df = ds.trend(args.function, by=args.by, thread=args.thread, where=where)
    else:
        before, after = _set(args.before, "--before"), _set(args.after, "--after")
        if where:
            before, after = {**where, **before}, {**where, **after}
        groups = resolve_groups(args.group) if args.group else None
        df = ds.compare(
            before=before, after=after, thread=args.thread, value=args.value, groups=groups
        )
        context.update(before=before, after=after)
    return _emit(df.head(args.n) if args.n else df, args, **context)
