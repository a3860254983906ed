"""pprof's ``profile.proto`` (gzip-compressed), readable by ``go tool pprof``.

One pprof sample per distinct stack of each thread, leaf location first, with its summed
weight and, when the thread recorded CPU deltas, its CPU time in nanoseconds. Every frame is a
location (inlined frames are already separate frames in the Firefox Profiler's tables), every
function a pprof function, every library a mapping. With several threads each sample carries a
``thread`` label, so ``pprof -tagfocus thread=…`` selects one.

Value types by the thread's weight type: ``samples/count`` (sample counts), ``wall/nanoseconds``
(``tracing-ms`` weights) or ``space/bytes``; plus ``cpu/nanoseconds`` when any exported thread has
CPU deltas. The default sample type is the weight, so ``pprof -top`` shows the Firefox
Profiler's numbers; ``-sample_index=cpu`` shows CPU time.

Example
-------
>>> import gzip, profile_frames
>>> t = profile_frames.load(profile_frames.example_path()).main_thread()
>>> data = gzip.decompress(pprof_bytes(t))
>>> data[:2].hex()  # field 1 (sample_type), length-delimited
'0a04'
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from ..analysis.calltree import stack_weights
from ..errors import ExportError
from ..stack_sums import sum_by_stack
from ..tree import ancestors
from .atomic import atomic_write
from .protobuf import length_delimited, records, tag, varint_lengths, varints

if TYPE_CHECKING:
    from ..model import Thread

try:  # same output, about twice as fast
    from isal import igzip as _gzip
except ImportError:  # pragma: no cover - exercised only without isal
    _gzip = gzip

BLOCK = 65_536  # stacks encoded per numpy pass
_VALUE_TYPES = {
    "samples": ("samples", "count", 1),
    "tracing-ms": ("wall", "nanoseconds", 1_000_000),
    "bytes": ("space", "bytes", 1),
}


class _Strings:
    """pprof's string table: index 0 is the empty string."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {"": 0}

    def __call__(self, s: str | None) -> int:
        if not s:
            return 0
        return self.index.setdefault(s, len(self.index))

    def many(self, values: list[str | None]) -> np.ndarray:
        return np.array([self(v) for v in values], dtype=np.uint64)

    def encoded(self) -> bytes:
        return b"".join(length_delimited(6, s.encode("utf-8")) for s in self.index)


def _fields(pairs: list[tuple[int, np.ndarray, np.ndarray | None]], rows: int):
    """Token columns and masks for varint fields ``(field, values, present)`` of ``rows`` records."""
    tokens, masks = [], []
    for field, values, present in pairs:
        p = np.ones(rows, bool) if present is None else present
        tokens += [np.full(rows, tag(field, 0), np.uint64), values.astype(np.uint64)]
        masks += [p, p]
    return tokens, masks


def _messages(
    field: int, pairs: list[tuple[int, np.ndarray, np.ndarray | None]], rows: int
) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """Columns of ``rows`` embedded messages of varint fields, each as ``field``; and their sizes."""
    tokens, masks = _fields(pairs, rows)
    size = sum(np.where(m, varint_lengths(t), 0) for t, m in zip(tokens, masks))
    size = np.asarray(size, dtype=np.int64) if rows else np.zeros(0, np.int64)
    head = [np.full(rows, tag(field, 2), np.uint64), size.astype(np.uint64)]
    ones = np.ones(rows, bool)
    return head + tokens, [ones, ones] + masks, size


def _encode(columns: list[np.ndarray], masks: list[np.ndarray]) -> bytes:
    if not columns or not len(columns[0]):
        return b""
    return records(np.column_stack(columns), np.column_stack(masks))


INT64_LIMIT = 2.0**63


def _int64(values: np.ndarray | float, what: str) -> np.ndarray:
    """``values`` rounded to pprof's int64, or :class:`ExportError` naming the first that does
    not fit (astype would wrap it silently).

    >>> _int64(np.array([1.4, 2.6]), "a weight")
    array([1, 3])
    """
    v = np.rint(np.asarray(values, dtype=np.float64))
    bad = ~(np.abs(v) < INT64_LIMIT)
    if bad.any():
        first = v.reshape(-1)[np.flatnonzero(bad.reshape(-1))[0]]
        raise ExportError(f"{what} ({first:g}) does not fit pprof's 64-bit integers")
    return v.astype(np.int64)


def _top_fields(pairs: list[tuple[int, int]]) -> bytes:
    return varints(np.array([v for f, x in pairs for v in (tag(f, 0), x)], dtype=np.uint64))


def _value_type(strings: _Strings, field: int, kind: str, unit: str) -> bytes:
    body = varints(np.array([tag(1, 0), strings(kind), tag(2, 0), strings(unit)], np.uint64))
    return length_delimited(field, body)


class _Tables:
    """Location and function ids for each distinct frames/funcs table of the exported threads."""

    def __init__(self) -> None:
        self.frame_offset: dict[int, int] = {}
        self.func_offset: dict[int, int] = {}
        self.tables: list[tuple[pl.DataFrame, pl.DataFrame, int, int]] = []
        self.n_frames = 0
        self.n_funcs = 0

    def add(self, t: Thread) -> int:
        key = id(t.frames)
        if key not in self.frame_offset:
            fkey = id(t.funcs)
            if fkey not in self.func_offset:
                self.func_offset[fkey] = self.n_funcs
                self.n_funcs += t.funcs.height
            self.frame_offset[key] = self.n_frames
            self.tables.append((t.frames, t.funcs, self.n_frames, self.func_offset[fkey]))
            self.n_frames += t.frames.height
        return self.frame_offset[key]


def _samples(
    t: Thread, frame_offset: int, scale: int, with_cpu: bool, label: tuple[int, int] | None
) -> Iterator[bytes]:
    """pprof Sample messages (field 2) for every stack of ``t`` that has weight."""
    sw = stack_weights(t)
    used = np.flatnonzero(sw != 0)
    if not len(used):
        return
    parent = t.stacks["parent"].fill_null(-1).to_numpy().astype(np.int64)
    location = t.stacks["frame"].to_numpy().astype(np.int64) + frame_offset + 1
    values = [_int64(sw * scale, f"a weight of thread {t.index}")]
    if with_cpu:
        ns = (t.samples["cpu_delta"].cast(pl.Float64) * 1000).fill_null(0.0)
        per_stack = sum_by_stack(t.samples["stack"], ns, len(parent))[: len(parent)]
        values.append(_int64(per_stack, f"a CPU time of thread {t.index}"))
    for start in range(0, len(used), BLOCK):
        rows = used[start : start + BLOCK]
        n = len(rows)
        path = ancestors(parent, rows)  # leaf first: column k is the k-th ancestor
        present = path >= 0
        locs = np.where(present, location[np.maximum(path, 0)], 0).astype(np.uint64)
        loc_len = np.where(present, varint_lengths(locs), 0).sum(axis=1)
        vals = np.column_stack([v[rows] for v in values]).astype(np.uint64)
        val_len = varint_lengths(vals).sum(axis=1)
        size = 2 + varint_lengths(loc_len) + loc_len + varint_lengths(val_len) + val_len
        ones = np.ones(n, bool)
        cols = [np.full(n, tag(2, 2)), size, np.full(n, tag(1, 2)), loc_len]
        masks = [ones] * 4
        cols += list(locs.T)
        masks += list(present.T)
        cols += [np.full(n, tag(2, 2)), val_len, *vals.T]
        masks += [ones] * (2 + vals.shape[1])
        if label is not None:
            body = varints(np.array([tag(1, 0), label[0], tag(2, 0), label[1]], np.uint64))
            lab = [tag(3, 2), len(body), tag(1, 0), label[0], tag(2, 0), label[1]]
            cols[1] = size + 2 + len(body)
            cols += [np.full(n, x) for x in lab]
            masks += [ones] * len(lab)
        yield _encode([np.asarray(c, dtype=np.uint64) for c in cols], masks)


def _locations(tables: _Tables) -> Iterator[bytes]:
    for frames, _funcs, frame_off, func_off in tables.tables:
        n = frames.height
        lib = frames["lib"].fill_null(-1).to_numpy()
        address = frames["address"].fill_null(-1).to_numpy()
        line = frames["line"].fill_null(0).to_numpy()
        line_cols, line_masks, line_size = _messages(
            4,
            [
                (1, frames["func"].to_numpy().astype(np.int64) + func_off + 1, None),
                (2, np.maximum(line, 0), line > 0),
            ],
            n,
        )
        loc = [
            (1, np.arange(frame_off + 1, frame_off + n + 1), None),
            (2, lib + 1, lib >= 0),
            (3, np.maximum(address, 0), address >= 0),
        ]
        cols, masks = _fields(loc, n)
        size = sum(np.where(m, varint_lengths(c), 0) for c, m in zip(cols, masks))
        size = size + 1 + varint_lengths(line_size) + line_size
        ones = np.ones(n, bool)
        yield _encode(
            [np.full(n, tag(4, 2)), size, *cols, *line_cols],
            [ones, ones, *masks, *line_masks],
        )


def _functions(tables: _Tables, strings: _Strings) -> Iterator[bytes]:
    seen: set[int] = set()
    for _frames, funcs, _frame_off, func_off in tables.tables:
        if func_off in seen:
            continue
        seen.add(func_off)
        n = funcs.height
        names = strings.many(funcs["name"].to_list())
        files = strings.many(funcs["file"].to_list())
        start = funcs["line"].fill_null(0).to_numpy()
        cols, masks, _ = _messages(
            5,
            [
                (1, np.arange(func_off + 1, func_off + n + 1), None),
                (2, names, None),
                (3, names, None),
                (4, files, files > 0),
                (5, np.maximum(start, 0), start > 0),
            ],
            n,
        )
        yield _encode(cols, masks)


def _mappings(tables: _Tables, libs: pl.DataFrame, strings: _Strings) -> bytes:
    """One mapping per library some exported frame uses; its range covers the frames' addresses.
    The library with the most frames comes first: pprof shows the first mapping as the binary."""
    used = (
        pl.concat([f.select("lib", "address") for f, *_ in tables.tables])
        .drop_nulls("lib")
        .group_by("lib")
        .agg(pl.col("address").max().fill_null(0).alias("top"), pl.len().alias("frames"))
        .sort(["frames", "lib"], descending=[True, False])  # pprof names the first the binary
    )
    if not used.height:
        return b""
    lib = used["lib"].to_numpy().astype(np.int64)
    rows = libs.select(pl.all().gather(lib)) if libs.height > lib.max() else None
    n = len(lib)

    def column(name: str) -> list[str | None]:
        return rows[name].to_list() if rows is not None else [None] * n

    filename = strings.many([p or nm for p, nm in zip(column("path"), column("name"))])
    build = strings.many([c or b for c, b in zip(column("code_id"), column("breakpad_id"))])
    cols, masks, _ = _messages(
        3,
        [
            (1, lib + 1, None),
            (3, used["top"].to_numpy().astype(np.int64) + 1, None),
            (5, filename, filename > 0),
            (6, build, build > 0),
            (7, np.ones(n, np.int64), None),
        ],
        n,
    )
    return _encode(cols, masks)


def pprof_chunks(threads: Thread | Sequence[Thread]) -> Iterator[bytes]:
    """The uncompressed ``profile.proto`` message for ``threads``, in pieces."""
    views = [threads] if not isinstance(threads, Sequence) else list(threads)
    if not views:
        raise ValueError("pprof export needs at least one thread")
    strings = _Strings()
    kinds = {t.weight_type for t in views}
    if len(kinds) > 1:
        raise ExportError(f"threads have different weight types {sorted(kinds)}; export them apart")
    kind, unit, scale = _VALUE_TYPES.get(views[0].weight_type, ("samples", "count", 1))
    with_cpu = any(t.samples["cpu_delta"].null_count() < t.samples.height for t in views)
    yield _value_type(strings, 1, kind, unit)
    if with_cpu:
        yield _value_type(strings, 1, "cpu", "nanoseconds")
    tables = _Tables()
    thread_key = strings("thread") if len(views) > 1 else 0
    for t in views:
        offset = tables.add(t)
        label = (thread_key, strings(f"{t.name} ({t.index})")) if len(views) > 1 else None
        yield from _samples(t, offset, scale, with_cpu, label)
    profile = views[0].profile
    yield _mappings(tables, profile.meta.libs, strings)
    yield from _locations(tables)
    yield from _functions(tables, strings)
    times = pl.concat([t.samples.select("time") for t in views])["time"]
    start_ms = profile.meta.start_time + (times.min() or 0.0)
    duration_ms = (times.max() or 0.0) - (times.min() or 0.0)
    interval_ns = int(_int64(profile.meta.interval_ms * 1e6, "the sampling interval"))
    start_ns = int(_int64(start_ms * 1e6, "the start time"))
    duration_ns = int(_int64(duration_ms * 1e6, "the duration"))
    yield _top_fields([(9, max(start_ns, 0)), (10, max(duration_ns, 0))])
    if kind == "samples":  # one sample stands for one sampling interval of CPU time
        yield _value_type(strings, 11, "cpu", "nanoseconds")
        yield _top_fields([(12, interval_ns)])
    yield _top_fields([(14, strings(kind))])  # show the Firefox Profiler's numbers by default
    yield strings.encoded()


def pprof_bytes(threads: Thread | Sequence[Thread]) -> bytes:
    """The gzip-compressed ``profile.proto`` for ``threads`` (one Thread or a list)."""
    return _gzip.compress(b"".join(pprof_chunks(threads)))


def write_pprof(threads: Thread | Sequence[Thread], path: str | os.PathLike) -> None:
    """Write ``threads`` as a gzip-compressed ``profile.proto`` (temporary file, then rename)."""
    with atomic_write(path) as raw, _gzip.GzipFile(fileobj=raw, mode="wb") as f:
        for chunk in pprof_chunks(threads):
            f.write(chunk)
