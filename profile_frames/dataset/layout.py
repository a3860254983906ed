"""Where a dataset keeps its tables: folder names, file names, the manifest, Hive partitions.

::

    DATASET/
      dataset.json                     format, schema version, partition label, label keys
      profiles/[date=2026-01-05/]<profile_id>.parquet      one row per profile
      threads/…, functions/…           the same partitions, one file per profile
      stacks/…, frames/…, funcs/…, libs/…, categories/…, stack_weights/…, [samples/…]

A profile is in the dataset when its ``profiles`` file exists: that file is written last, so an
interrupted ingest leaves at most other tables' files of a profile without one, which readers
ignore and the next ingest of that profile replaces.

Example
-------
>>> partition_dir("date", "2026-01-05")
'date=2026-01-05'
>>> partition_dir("branch", "feature/x")
'branch=feature%2Fx'
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from urllib.parse import quote

import polars as pl

from .. import schema as model
from ..errors import ProfileFormatError

MANIFEST = "dataset.json"
DATASET_FORMAT = "profile_frames-dataset"
SCHEMA_VERSION = 1
SUMMARY_TABLES = ("profiles", "threads", "functions")
DETAIL_TABLES = ("stacks", "frames", "funcs", "libs", "categories", "stack_weights")
OPTIONAL_TABLES = ("samples",)
TABLES = SUMMARY_TABLES + DETAIL_TABLES + OPTIONAL_TABLES
LABEL_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

_ID = {"profile_id": pl.String}
_THREAD = {"thread": pl.UInt32}
# every file of a table has exactly these columns (the profiles table adds one per label)
SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "profiles": {
        **_ID,
        "source": pl.String,  # the file name ingested
        "bytes": pl.Int64,
        "product": pl.String,
        "format": pl.String,
        "version": pl.Int64,
        "start_time": pl.Float64,
        "interval_ms": pl.Float64,
        "symbolicated": pl.Boolean,
        "threads": pl.Int64,
        "samples": pl.Int64,
    },
    "threads": {
        **_ID,
        **_THREAD,
        **{k: v for k, v in model.THREADS.items() if k != "index"},
        "main": pl.Boolean,  # the thread Profile.main_thread() picks
    },
    "functions": {
        **_ID,
        **_THREAD,
        "thread_name": pl.String,
        "function": pl.String,
        "library": pl.String,
        "self": pl.Float64,
        "total": pl.Float64,  # each sample counted once, even under recursion
        "self_pct": pl.Float64,  # of the thread's weight (threads.weight)
        "total_pct": pl.Float64,
        "self_ms": pl.Float64,
        "total_ms": pl.Float64,
    },
    "stacks": {**_ID, "stack": pl.Int32, **model.STACKS},
    "frames": {**_ID, "frame": pl.Int32, **model.FRAMES},
    "funcs": {**_ID, "func": pl.Int32, **model.FUNCS},
    "libs": {**_ID, "lib": pl.Int32, **model.LIBS},
    "categories": {**_ID, "category": pl.Int32, **model.CATEGORIES},
    "stack_weights": {**_ID, **_THREAD, "stack": pl.Int32, "weight": pl.Float64},
    "samples": {
        **_ID,
        **_THREAD,
        "time": pl.Float64,
        "stack": pl.Int32,
        "weight": pl.Float64,
        "cpu_delta": pl.Float32,
    },
}


def conform(df: pl.DataFrame, table: str) -> pl.DataFrame:
    """``df`` with exactly the columns and dtypes of ``table``; the profiles table keeps its
    other columns (the labels) at the end, as strings."""
    want = SCHEMAS[table]
    extra = [c for c in df.columns if c not in want] if table == "profiles" else []
    return df.select(
        *(pl.col(c).cast(t) for c, t in want.items()), *(pl.col(c).cast(pl.String) for c in extra)
    )


def profile_id(path: str | os.PathLike, *, chunk: int = 1 << 22) -> str:
    """The content hash naming a profile: the first 32 hex digits of the file's SHA-256."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()[:32]


def partition_dir(key: str | None, value: str | None) -> str:
    """The Hive folder ``key=value`` (value percent-encoded), or "" when not partitioned."""
    if key is None:
        return ""
    return f"{key}={quote(str(value), safe='')}"


def table_file(root: Path, table: str, partition: str, pid: str) -> Path:
    """Where a profile's rows of ``table`` go (``partition`` "" when not partitioned)."""
    return root / table / partition / f"{pid}.parquet"


def read_manifest(root: Path) -> dict:
    """The dataset's manifest; a ProfileFormatError naming the folder when it is not one."""
    path = root / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProfileFormatError(
            f"not a profile_frames dataset (no {MANIFEST})", source=str(root)
        ) from None
    except (OSError, ValueError) as e:
        raise ProfileFormatError(f"unreadable {MANIFEST} ({e})", source=str(root)) from None
    if not isinstance(manifest, dict) or manifest.get("format") != DATASET_FORMAT:
        raise ProfileFormatError(f"{MANIFEST}: not a profile_frames dataset", source=str(root))
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise ProfileFormatError(
            f"{MANIFEST}: schema version {manifest.get('schema_version')}, this library reads "
            f"{SCHEMA_VERSION}",
            source=str(root),
        )
    return manifest


def write_manifest(root: Path, manifest: dict) -> None:
    """Replace the manifest atomically."""
    from ..export.atomic import atomic_write

    with atomic_write(root / MANIFEST) as f:
        f.write(json.dumps(manifest, indent=2, sort_keys=True).encode())


def visible_files(root: Path, table: str, ids: set[str] | None = None) -> list[Path]:
    """The files of ``table`` that belong to the profiles ``ids`` (ingested profiles, as
    :func:`ingested_ids` gives; default all of them): the leftovers of an interrupted ingest
    are not among them."""
    folder = root / table
    if not folder.is_dir():
        return []
    files = folder.rglob("*.parquet")
    if ids is None:
        if table == "profiles":  # a profiles file is what makes a profile ingested
            return sorted(files)
        ids = ingested_ids(root)
    return sorted(p for p in files if p.stem in ids)


def ingested_ids(root: Path) -> set[str]:
    """The profile ids whose ``profiles`` file exists (the profiles in the dataset)."""
    folder = root / "profiles"
    if not folder.is_dir():
        return set()
    return {p.stem for p in folder.rglob("*.parquet")}
