"""Append profiles to a Parquet dataset: one file per table per profile, written by workers.

Each profile is loaded in a worker process (``jobs``), its tables are built
(:func:`profile_tables`) and written atomically (temporary sibling, rename), the ``profiles`` row
last. A profile whose content hash is already in the dataset is skipped, so re-ingesting is a
no-op; a profile that fails to load is reported and skipped while the others go in.

Example
-------
>>> import tempfile, profile_frames
>>> from profile_frames.dataset import ingest, open_dataset
>>> d = tempfile.mkdtemp() + "/runs"
>>> r = ingest([profile_frames.example_path()], into=d, labels={"commit": "abc123"}, progress=False)
>>> len(r.ingested), r.errors
(1, [])
>>> len(ingest([profile_frames.example_path()], into=d, progress=False).skipped)
1
>>> open_dataset(d).profiles.select("commit").collect().item()
'abc123'
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from .. import schema
from ..errors import ProfileFormatError
from ..export.atomic import atomic_write
from ..load import load
from ..model import Profile
from ..progress import ProgressBar
from ..store import with_index
from .layout import (
    DATASET_FORMAT,
    LABEL_KEY,
    MANIFEST,
    SCHEMA_VERSION,
    SCHEMAS,
    conform,
    ingested_ids,
    partition_dir,
    profile_id,
    read_manifest,
    table_file,
    write_manifest,
)
from .workers import run_tasks

Labels = Mapping[str, Any] | Sequence[Mapping[str, Any]] | Callable[[str], Mapping[str, Any]] | None


@dataclass
class IngestReport:
    """What an ingest did: ``ingested`` and ``skipped`` (already in the dataset) profile
    records, and ``errors`` as (path, message) for the inputs that could not be ingested."""

    dataset: str
    ingested: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        rate = len(self.ingested) / self.seconds if self.seconds else 0.0
        return (
            f"{self.dataset}: {len(self.ingested)} ingested, {len(self.skipped)} already there, "
            f"{len(self.errors)} failed in {self.seconds:.1f} s ({rate:.1f} profiles/s)"
        )


def _with_id(df: pl.DataFrame, pid: str, table: str) -> pl.DataFrame:
    return conform(df.with_columns(profile_id=pl.lit(pid, pl.String)), table)


def profile_tables(
    profile: Profile,
    pid: str,
    *,
    source: str,
    size: int,
    labels: Mapping[str, str],
    samples: bool = False,
) -> dict[str, pl.DataFrame]:
    """The dataset rows of one profile, table by table (``profiles`` holds ``labels``)."""
    m = profile.meta
    threads = profile.threads
    main = profile.main_thread().index if threads.height else None
    tables = {
        "threads": threads.rename({"index": "thread"}).with_columns(main=pl.col("thread") == main),
        "functions": profile.functions(by_name=True),
        "stacks": with_index(profile.stacks, "stack"),
        "frames": with_index(profile.frames, "frame"),
        "funcs": with_index(profile.funcs, "func"),
        "libs": with_index(m.libs, "lib"),
        "categories": with_index(m.categories, "category"),
    }
    index = threads["index"].to_list()
    sums = [pl.DataFrame(schema={"thread": pl.UInt32, "stack": pl.Int32, "weight": pl.Float64})]
    for row, thread in enumerate(index):
        c = profile.stack_counts(row)
        if c is not None and len(c.stack):
            sums.append(
                pl.DataFrame({"stack": c.stack, "weight": c.weight}).select(
                    pl.lit(thread, pl.UInt32).alias("thread"),
                    pl.col("stack").cast(pl.Int32),
                    pl.col("weight").cast(pl.Float64),
                )
            )
    tables["stack_weights"] = pl.concat(sums)
    if samples:
        tables["samples"] = pl.concat(
            [pl.DataFrame(schema={"thread": pl.UInt32, **schema.SAMPLES})]
            + [
                profile._samples[row].with_columns(thread=pl.lit(thread, pl.UInt32))
                for row, thread in enumerate(index)
            ],
            how="diagonal_relaxed",
        )
    tables["profiles"] = pl.DataFrame(
        {
            "source": [source],
            "bytes": [size],
            "product": [m.product],
            "format": [m.format],
            "version": [m.version],
            "start_time": [m.start_time],
            "interval_ms": [m.interval_ms],
            "symbolicated": pl.Series([m.symbolicated], dtype=pl.Boolean),
            "threads": [threads.height],
            "samples": [int(threads["samples"].sum())],
            **{k: pl.Series([v], dtype=pl.String) for k, v in sorted(labels.items())},
        }
    )
    return {name: _with_id(df, pid, name) for name, df in tables.items()}


def _write(df: pl.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, fsync=False) as f:
        df.write_parquet(f, compression="zstd")


def ingest_one(task: dict) -> dict:
    """Load one profile and write its files (run in a worker). Returns its record, or
    ``{"error": message}``."""
    start = time.perf_counter()
    path = task["path"]
    try:
        profile = load(path, progress=False)
        tables = profile_tables(
            profile,
            task["profile_id"],
            source=task["source"],
            size=task["bytes"],
            labels=task["file_labels"],
            samples=task["samples"],
        )
        root = Path(task["root"])
        # "profiles" is last: once it exists, the profile is in
        for name in sorted(tables, key=lambda n: n == "profiles"):
            _write(tables[name], table_file(root, name, task["partition"], task["profile_id"]))
    except ProfileFormatError as e:
        return {"path": path, "error": str(e)}
    except (OSError, MemoryError) as e:
        return {"path": path, "error": f"{path}: {type(e).__name__}: {e}"}
    return {
        "path": path,
        "profile_id": task["profile_id"],
        "threads": profile.threads.height,
        "seconds": time.perf_counter() - start,
    }


def _labels_for(labels: Labels, paths: list[str]) -> list[dict[str, str]]:
    if labels is None:
        out: list[Mapping[str, Any]] = [{} for _ in paths]
    elif callable(labels):
        out = [labels(p) for p in paths]
    elif isinstance(labels, Mapping):
        out = [labels for _ in paths]
    else:
        out = list(labels)
        if len(out) != len(paths):
            raise ValueError(f"{len(out)} label sets for {len(paths)} profiles")
    checked = []
    for one in out:
        for k in one:
            if not LABEL_KEY.match(str(k)):
                raise ValueError(f"label {k!r}: a label name is letters, digits and _")
            if k in SCHEMAS["profiles"]:
                raise ValueError(
                    f"label {k!r} is a column of the profiles table; name it otherwise"
                )
        checked.append({str(k): str(v) for k, v in one.items()})
    return checked


def _open_or_create(root: Path, partition_by: str | None) -> dict:
    if (root / MANIFEST).exists():
        manifest = read_manifest(root)
        if partition_by is not None and manifest.get("partition_by") != partition_by:
            raise ValueError(
                f"{root} is partitioned by {manifest.get('partition_by')!r}, not {partition_by!r}"
            )
        return manifest
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(f"{root} exists, is not empty and is not a profile_frames dataset")
    root.mkdir(parents=True, exist_ok=True)
    manifest = {
        "format": DATASET_FORMAT,
        "schema_version": SCHEMA_VERSION,
        "partition_by": partition_by,
        "labels": [],
    }
    write_manifest(root, manifest)
    return manifest


def _run(tasks: list[dict], jobs: int, bar: ProgressBar) -> Iterator[dict]:
    answers = (
        map(ingest_one, tasks)
        if jobs <= 1 or len(tasks) <= 1
        else run_tasks("profile_frames.dataset.ingest:ingest_one", tasks, jobs=jobs)
    )
    for i, answer in enumerate(answers):
        yield answer
        bar.update(i + 1)


def ingest(
    paths: Sequence[str | os.PathLike],
    *,
    into: str | os.PathLike,
    labels: Labels = None,
    partition_by: str | None = None,
    jobs: int | None = None,
    samples: bool = False,
    progress: bool | None = None,
) -> IngestReport:
    """Append ``paths`` to the dataset ``into`` (created when missing).

    ``labels``: one mapping for every profile, a list of one per path, or a function of the
    path. ``partition_by``: a label whose value names the Hive partition (fixed when the
    dataset is created). ``jobs``: worker processes (default: the CPU count; 1 = in this
    process). ``samples``: also store every sample (large). Broken inputs end up in
    ``report.errors`` while the others are ingested.
    """
    start = time.perf_counter()
    root = Path(into)
    manifest = _open_or_create(root, partition_by)
    key = manifest.get("partition_by")
    names = [os.fspath(p) for p in paths]
    label_sets = _labels_for(labels, names)
    report = IngestReport(dataset=str(root))
    new_keys = sorted({k for one in label_sets for k in one} - set(manifest["labels"]))
    if new_keys:  # before any file that has them: readers learn every label column from here
        manifest["labels"] = sorted(set(manifest["labels"]) | set(new_keys))
        write_manifest(root, manifest)
    present = ingested_ids(root)
    tasks: list[dict] = []
    for path, one in zip(names, label_sets):
        if key is not None and key not in one:
            report.errors.append((path, f"{path}: no {key!r} label, which names the partition"))
            continue
        try:
            pid = profile_id(path)
            size = os.path.getsize(path)
        except OSError as e:
            report.errors.append((path, f"{path}: {e.strerror or e}"))
            continue
        if pid in present:
            report.skipped.append({"path": path, "profile_id": pid})
            continue
        present.add(pid)
        tasks.append(
            {
                "path": path,
                "source": os.path.basename(path),
                "bytes": size,
                "profile_id": pid,
                "root": str(root),
                "partition": partition_dir(key, one.get(key)),
                "file_labels": {k: v for k, v in one.items() if k != key},
                "samples": samples,
            }
        )
    bar = ProgressBar(total=len(tasks), enabled=progress, label="ingesting", unit="profiles")
    try:
        n_jobs = jobs if jobs is not None else (os.cpu_count() or 1)
        for rec in _run(tasks, min(n_jobs, len(tasks)), bar):
            if "error" in rec:
                path = rec["path"] if "path" in rec else rec["task"]["path"]
                report.errors.append(
                    (path, f"{path}: {rec['error']}" if "task" in rec else rec["error"])
                )
            else:
                report.ingested.append(rec)
    finally:
        bar.close()
    report.seconds = time.perf_counter() - start
    return report
