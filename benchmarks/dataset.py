"""The dataset benchmark: ingest a series of run profiles, then ask across all of them.

``python -m benchmarks.dataset --runs 1000 --jobs 2 [--spark]`` writes (or reuses) the series in
``benchmarks/data/series-N/`` (2 MB runs by default), ingests it into a fresh dataset partitioned
by date, and measures:

* ingest: profiles/s and MB/s with ``jobs`` workers (wall clock, worker start-up included);
* "self and total per function of thread ``bench`` over all profiles": polars
  (``Dataset.function_totals``) and DuckDB (views over the listed files, then the shipped SQL;
  both the query alone and with the views), best of ``--reps``;
* the N-vs-N compare of the last 10 runs before the injected change against the first 10 after;
* with ``--spark``: the same totals in PySpark local mode, checked equal to polars' rows.

It prints a JSON report (and ``--markdown`` a table for docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from .generate import parse_size
from .series import GROWING, samples_for, write_series

ROOT = Path(__file__).resolve().parent


def _best(fn, reps: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(reps):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _series(runs: int, size: int, data: Path) -> tuple[Path, dict]:
    folder = data / (f"series-{runs}" if size == 2_000_000 else f"series-{runs}-{size}")
    truth_file = folder / "series.json"
    if not truth_file.exists():
        write_series(folder, runs, samples=samples_for(size), grow_from=runs // 2)
    return folder, json.loads(truth_file.read_text())


def main(argv: list[str] | None = None) -> int:
    from profile_frames.dataset import ingest, open_dataset
    from profile_frames.dataset.sql import duckdb_connection, duckdb_query, render

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--size", default="2MB", help="size of each run profile")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--spark", action="store_true", help="also run the totals in PySpark")
    ap.add_argument("--data", default=str(ROOT / "data"))
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args(argv)
    folder, truth = _series(args.runs, parse_size(args.size), Path(args.data))
    paths = [folder / r["file"] for r in truth["runs"]]
    labels = [r["labels"] for r in truth["runs"]]
    mb = sum(p.stat().st_size for p in paths) / 1e6
    work = Path(tempfile.mkdtemp(prefix="pf-dataset-"))
    root = work / "runs"
    try:
        t = time.perf_counter()
        report = ingest(paths, into=root, labels=labels, partition_by="date", jobs=args.jobs)
        ingest_s = time.perf_counter() - t
        assert report.ok, report.errors[:3]
        t = time.perf_counter()
        again = ingest(paths, into=root, labels=labels, jobs=args.jobs, progress=False)
        reingest_s = time.perf_counter() - t
        ds = open_dataset(root)
        polars_s, totals = _best(lambda: ds.function_totals("bench"), args.reps)
        fresh_s, duck = _best(
            lambda: duckdb_query(root, "function_totals", thread="bench"), args.reps
        )
        con = duckdb_connection(root)
        sql, params = render("function_totals", engine="duckdb", thread="bench")
        query_s, _ = _best(lambda: con.sql(sql, params=params).to_arrow_table(), args.reps)
        half = args.runs // 2
        before = {"run": [str(i) for i in range(half - 10, half)]}
        after = {"run": [str(i) for i in range(half, half + 10)]}
        compare_s, cmp = _best(
            lambda: ds.compare(before=before, after=after, thread="bench"), args.reps
        )
        grown = cmp.filter(pl.col("function") == GROWING).row(0, named=True)
        out = {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
            "runs": args.runs,
            "input_mb": round(mb, 1),
            "jobs": args.jobs,
            "ingest_s": round(ingest_s, 2),
            "ingest_profiles_per_s": round(args.runs / ingest_s, 1),
            "ingest_mb_per_s": round(mb / ingest_s, 1),
            "reingest_s": round(reingest_s, 2),
            "reingest_skipped": len(again.skipped),
            "dataset_mb": round(
                sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 1e6, 1
            ),
            "totals_polars_s": round(polars_s, 3),
            "totals_duckdb_with_views_s": round(fresh_s, 3),
            "totals_duckdb_query_s": round(query_s, 3),
            "totals_rows": totals.height,
            "duckdb_rows_equal": duck.sort("function")
            .select("function", "profiles")
            .equals(
                totals.sort("function")
                .select("function", "profiles")
                .with_columns(pl.col("profiles").cast(pl.Int64))
            ),
            "compare_10v10_s": round(compare_s, 3),
            "compare_growth": {k: grown[k] for k in ("delta", "ci_low", "ci_high", "q_value")},
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
        if args.spark:
            from pyspark.sql import SparkSession

            from profile_frames.dataset.sql import spark_query

            spark = (
                SparkSession.builder.master(f"local[{os.cpu_count()}]")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .getOrCreate()
            )
            spark.sparkContext.setLogLevel("ERROR")
            t = time.perf_counter()
            rows = spark_query(spark, root, "function_totals", thread="bench")
            out["totals_spark_s"] = round(time.perf_counter() - t, 2)
            ours = totals.sort("function")
            theirs = rows.sort("function")
            out["spark_rows_equal"] = bool(
                ours["function"].to_list() == theirs["function"].to_list()
                and ours["profiles"].cast(pl.Int64).to_list() == theirs["profiles"].to_list()
                and (ours["self"] - theirs["self"]).abs().max() <= 1e-6 * ours["self"].abs().max()
            )
            spark.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out, indent=2))
    if args.markdown:
        print(
            f"\n| runs | input | ingest ({args.jobs} jobs) | re-ingest | totals: polars | DuckDB "
            "(query / with views) | compare 10 v 10 |\n|---|---|---|---|---|---|---|\n"
            f"| {args.runs} | {mb:,.0f} MB | {out['ingest_s']} s = {out['ingest_profiles_per_s']} "
            f"profiles/s ({out['ingest_mb_per_s']} MB/s) | {out['reingest_s']} s | "
            f"{out['totals_polars_s']} s | {out['totals_duckdb_query_s']} / "
            f"{out['totals_duckdb_with_views_s']} s | {out['compare_10v10_s']} s |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
