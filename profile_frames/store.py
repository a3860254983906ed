"""Save the canonical tables to a folder (Parquet or Arrow IPC) and open them again.

The folder is both the cache and the Parquet export that DuckDB or any Parquet reader can
query. Reopening a 2 GB profile's Parquet folder takes 1.5-2.5 s here (decoding into fresh
memory); an Arrow IPC folder (``save(path, format="ipc")``) is memory-mapped and reopens in a
fraction of a second. Layout (``docs/model.md``):

    manifest.json            format, schema version, meta, file list
    threads.parquet          the threads table
    stacks.parquet, frames.parquet, funcs.parquet, native_symbols.parquet,
    categories.parquet, libs.parquet
    samples/thread-<index>.parquet, markers/thread-<index>.parquet
    stack_weights/thread-<index>.parquet   the samples summed per stack (stack, weight)

The folder is written next to its destination and renamed into place, so a crash never leaves
a half-written profile.

Example
-------
>>> import tempfile, profile_frames
>>> p = profile_frames.load(profile_frames.example_path())
>>> d = tempfile.mkdtemp()
>>> p.save(d + "/example.pf")
>>> q = profile_frames.load(d + "/example.pf")
>>> q.thread(1).functions().equals(p.thread(1).functions())
True
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
import pyarrow as pa

from .errors import ProfileFormatError
from .stack_sums import StackCounts

if TYPE_CHECKING:
    from .model import Profile

MANIFEST = "manifest.json"
INDEX_COLUMNS = {
    "stacks": "stack",
    "frames": "frame",
    "funcs": "func",
    "native_symbols": "native_symbol",
}
STORE_FORMAT = "profile_frames"
STORE_VERSION = 2
# version 1 stored only the stacks whose weights sum to non-zero: its sums are recounted
READABLE_VERSIONS = (1, 2)


def with_index(df: pl.DataFrame, name: str) -> pl.DataFrame:
    """``df`` with its row numbers as a first Int32 column ``name`` (``stack``, ``frame``, …),
    which stacks, frames and funcs refer to: written out so SQL engines can join on them."""
    return df.with_row_index(name).with_columns(pl.col(name).cast(pl.Int32))


def _write(df: pl.DataFrame, path: Path, fmt: str) -> None:
    if fmt == "parquet":
        df.write_parquet(path, compression="lz4", statistics=False)
    else:
        df.write_ipc(path, compression="uncompressed")


def _read(path: Path, fmt: str) -> pl.DataFrame:
    """A saved table. Arrow IPC files are memory-mapped: the numeric columns are used in place
    (the page cache's pages, faulted in as they are read), so reopening costs next to nothing."""
    if fmt == "parquet":
        return pl.read_parquet(path)
    table = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
    return pl.from_arrow(table, rechunk=False)  # type: ignore[return-value]


def _jsonable(v: Any) -> Any:
    try:
        json.dumps(v)
        return v
    except (TypeError, ValueError):
        return str(v)


def save_profile(profile: Profile, path: str | os.PathLike, *, format: str = "parquet") -> None:
    """Write ``profile`` as a folder of tables (``format``: ``parquet`` or ``ipc``)."""
    if format not in ("parquet", "ipc"):
        raise ValueError("format must be 'parquet' or 'ipc'")
    dest = Path(path)
    ext = "parquet" if format == "parquet" else "arrow"
    tmp = Path(
        tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent if str(dest.parent) else ".")
    )
    try:
        for folder in ("samples", "markers", "stack_weights"):
            (tmp / folder).mkdir()
        tables = {
            "threads": profile.threads,
            "stacks": profile.stacks,
            "frames": profile.frames,
            "funcs": profile.funcs,
            "native_symbols": profile.native_symbols,
            "categories": profile.meta.categories,
            "libs": profile.meta.libs,
        }
        for name, df in tables.items():
            if name in INDEX_COLUMNS:  # explicit row numbers, so SQL engines can join on them
                df = with_index(df, INDEX_COLUMNS[name])
            _write(df, tmp / f"{name}.{ext}", format)
        for row, index in enumerate(profile.threads["index"].to_list()):
            _write(profile._samples[row], tmp / "samples" / f"thread-{index}.{ext}", format)
            _write(profile._markers[row], tmp / "markers" / f"thread-{index}.{ext}", format)
            counted = profile.stack_counts(row)
            if counted is not None:
                sums = pl.DataFrame({"stack": counted.stack, "weight": counted.weight})
                _write(sums, tmp / "stack_weights" / f"thread-{index}.{ext}", format)
        m = profile.meta
        manifest = {
            "format": STORE_FORMAT,
            "schema_version": STORE_VERSION,
            "table_format": format,
            "source": profile.source,
            "meta": {
                "product": m.product,
                "interval_ms": m.interval_ms,
                "start_time": m.start_time,
                "format": m.format,
                "version": m.version,
                "symbolicated": m.symbolicated,
                "sample_units": m.sample_units,
                "raw": {k: _jsonable(v) for k, v in m.raw.items()},
            },
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        if dest.exists():
            if not (dest / MANIFEST).exists():
                raise FileExistsError(f"{dest} exists and is not a saved profile; not replacing it")
            old = dest.with_name(f".{dest.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(dest, old)
            os.replace(tmp, dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _stack_counts(folder: Path, index: int, ext: str, fmt: str) -> StackCounts | None:
    """The saved per-stack sums of one thread, or None (no samples, or a folder saved before
    they were stored: a thread view without them counts its samples when first asked)."""
    path = folder / f"thread-{index}.{ext}"
    if not path.exists():
        return None
    sums = _read(path, fmt)
    return StackCounts(sums["stack"].to_numpy().astype(np.int64), sums["weight"].to_numpy())


def is_saved_profile(path: Any) -> bool:
    return isinstance(path, (str, os.PathLike)) and (Path(path) / MANIFEST).is_file()


def open_saved(path: str | os.PathLike, *, keep: Any = None) -> Profile:
    """Open a folder written by :func:`save_profile`; ``keep(names) -> set | None`` selects threads."""
    from .model import Meta, Profile

    root = Path(path)
    name = str(root)
    try:
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ProfileFormatError(f"unreadable manifest ({e})", source=name) from None
    if manifest.get("format") != STORE_FORMAT:
        raise ProfileFormatError(
            "not a saved profile_frames profile (manifest format)", source=name
        )
    if manifest.get("schema_version") not in READABLE_VERSIONS:
        raise ProfileFormatError(
            f"saved with schema version {manifest.get('schema_version')}, this library reads {STORE_VERSION}",
            source=name,
        )
    fmt = manifest.get("table_format", "parquet")
    ext = "parquet" if fmt == "parquet" else "arrow"
    try:
        threads = _read(root / f"threads.{ext}", fmt)
        chosen = keep(threads["name"].to_list()) if keep is not None else None
        if chosen is not None:
            threads = (
                threads.with_row_index("_pos")
                .filter(pl.col("_pos").is_in(sorted(chosen)))
                .drop("_pos")
            )
        indexes = threads["index"].to_list()
        mm = manifest["meta"]
        meta = Meta(
            product=mm["product"],
            interval_ms=mm["interval_ms"],
            start_time=mm["start_time"],
            format=mm["format"],
            version=mm["version"],
            categories=_read(root / f"categories.{ext}", fmt),
            libs=_read(root / f"libs.{ext}", fmt),
            symbolicated=mm.get("symbolicated"),
            sample_units=mm.get("sample_units") or {},
            raw=mm.get("raw") or {},
        )
        return Profile(
            meta=meta,
            threads=threads,
            samples=[_read(root / "samples" / f"thread-{i}.{ext}", fmt) for i in indexes],
            markers=[_read(root / "markers" / f"thread-{i}.{ext}", fmt) for i in indexes],
            stacks=_read(root / f"stacks.{ext}", fmt).drop("stack"),
            frames=_read(root / f"frames.{ext}", fmt).drop("frame"),
            funcs=_read(root / f"funcs.{ext}", fmt).drop("func"),
            native_symbols=_read(root / f"native_symbols.{ext}", fmt).drop("native_symbol"),
            source=manifest.get("source") or name,
            stack_counts=[
                _stack_counts(root / "stack_weights", i, ext, fmt)
                if manifest["schema_version"] >= 2
                else None  # recounted from the samples
                for i in indexes
            ],
        )
    except (OSError, KeyError, pl.exceptions.PolarsError) as e:
        raise ProfileFormatError(
            f"damaged saved profile ({type(e).__name__}: {e})", source=name
        ) from None
