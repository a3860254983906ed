"""The threads of a Gecko profile, converted together: each kind of column (frame locations,
stack prefixes and frames, sample stacks, times, marker names) of every thread is joined into
one column, checked against each thread's own bounds (its minimum and maximum, one numpy
pass for all threads) and moved to the shared numbering in a few whole-column operations,
then cut back into threads.

Hundreds of small threads (a multi-process recording) cost a handful of operations each way
instead of a dozen per thread. A check that fails re-reads the threads one by one with the
per-thread checks of :mod:`.gecko_columns`, which name the thread, row and cell.

Example
-------
>>> strings = pl.Series(["main", "work"])
>>> t = ThreadTables(
...     raw={"name": "T"}, strings=strings, process=0, shift=5.0, path="threads[0]",
...     frames={"length": 2, "location": pl.Series([0.0, 1.0])},
...     stacks={"length": 2, "prefix": pl.Series([None, 0.0]), "frame": pl.Series([0.0, 1.0])},
...     samples={"length": 1, "stack": pl.Series([1.0]), "time": pl.Series([1.0])},
...     markers={"length": 0})
>>> out = convert_threads([t, t], intern=lambda s: 0)
>>> out.threads[1]["samples"]["stack"].to_list(), out.threads[1]["samples"]["time"].to_list()
([3], [6.0])
>>> out.prefix.to_list()  # the second thread's stacks follow the first's
[None, 0, None, 2]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from .. import native
from .. import schema as canonical
from ..errors import ProfileFormatError
from ..indexes import constant, take
from .gecko_columns import (
    as_floats,
    column_or,
    flags,
    int64_series,
    sample_stacks,
    shifted,
    stack_columns,
    string_indexes,
    whole_numbers,
)

FRAME_NUMBERS = ("category", "subcategory", "line", "column")
FRAME_PARTS = {
    "text": pl.String,
    "relevant": pl.Boolean,
    "process": pl.Int32,
    **{k: pl.Float64 for k in FRAME_NUMBERS},  # integral ones become Int64 for all at once
}


@dataclass
class ThreadTables:
    """One Gecko thread's tables as read (columns are Series or lists), before conversion."""

    raw: dict
    strings: list | pl.Series
    frames: dict
    stacks: dict
    samples: dict
    markers: dict
    process: int
    shift: float
    path: str


@dataclass
class ConvertedThreads:
    """Threads in the processed layout, with the frames and stacks of all of them."""

    threads: list[dict]  # samples and markers columns in the shared numbering
    frames: pl.DataFrame  # FRAME_PARTS columns, one row per frame of every thread
    prefix: pl.Series  # the stack table of every thread
    frame: pl.Series


def convert_threads(
    threads: list[ThreadTables], *, intern: Callable[[str], int]
) -> ConvertedThreads:
    """The threads, their frames and stacks numbered one after the other; marker names are
    interned with ``intern`` in the order the threads and their string indexes come."""
    if not threads:
        empty = pl.Series([], dtype=pl.Int64)
        return ConvertedThreads([], pl.DataFrame(schema=FRAME_PARTS), empty, empty)
    text_table, string_base = _string_tables(threads)
    frames, n_frames = _frames(threads, text_table, string_base)
    prefix, frame, n_stacks = _stacks(threads, n_frames)
    stack_base = np.cumsum([0, *n_stacks[:-1]])
    samples = _sample_stacks(threads, [t.stacks["length"] for t in threads], stack_base)
    shifts = [t.shift for t in threads]
    times = _times([column_or(t.samples, "time", []) for t in threads], shifts, threads, "samples")
    starts = [column_or(t.markers, "startTime", None) for t in threads]
    starts = [
        s if s is not None else column_or(t.markers, "time", [None] * t.markers["length"])
        for s, t in zip(starts, threads)
    ]
    ends = [column_or(t.markers, "endTime", [None] * t.markers["length"]) for t in threads]
    start = _times(starts, shifts, threads, "markers")
    end = _times(ends, shifts, threads, "markers")
    names = _marker_names(threads, text_table, string_base, intern)
    return ConvertedThreads(
        [
            _thread(t, samples[i], times[i], names[i], start[i], end[i])
            for i, t in enumerate(threads)
        ],
        frames,
        prefix,
        frame,
    )


def _thread(
    t: ThreadTables,
    stacks: pl.Series,
    times: pl.Series,
    names: pl.Series,
    start: pl.Series,
    end: pl.Series,
) -> dict:
    """One thread in the processed layout, from its converted columns."""
    samples, markers, raw = t.samples, t.markers, t.raw
    out_samples: dict[str, Any] = {"length": samples["length"], "stack": stacks, "time": times}
    for key in ("weight", "threadCPUDelta"):
        if samples.get(key) is not None:
            out_samples[key] = samples[key]
    n = markers["length"]
    data = column_or(markers, "data", [None] * n)
    return {
        "name": raw.get("name"),
        "isMainThread": raw.get("name") == "GeckoMain",
        "processName": raw.get("processName") if isinstance(raw.get("processName"), str) else "",
        "processType": raw.get("processType"),
        "pid": None if raw.get("pid") is None else str(raw.get("pid")),
        "tid": None if raw.get("tid") is None else str(raw.get("tid")),
        "samples": out_samples,
        "markers": {
            "length": n,
            "name": names,
            "startTime": start,
            "endTime": end,
            "phase": column_or(markers, "phase", [0] * n),
            "category": column_or(markers, "category", [None] * n),
            # a column of numbers is a payload of numbers, as JSON would read it
            "data": data.to_list()
            if isinstance(data, pl.Series) and data.dtype != pl.String
            else data,
        },
    }


def _per_row(values: Any, lengths: Any) -> pl.Series:
    """Each thread's value repeated for each of its rows."""
    return pl.Series(np.repeat(np.asarray(values), np.asarray(lengths, dtype=np.int64)))


def _split(column: pl.Series, lengths: list[int]) -> list[pl.Series]:
    """A joined column cut back into the threads' parts (slices share the buffers)."""
    at = np.cumsum([0, *lengths]).tolist()
    return [column.slice(a, b - a) for a, b in zip(at, at[1:])]


def _numeric(values: Any) -> bool:
    return isinstance(values, pl.Series) and (values.dtype.is_numeric() or values.dtype == pl.Null)


def _joined(parts: list[pl.Series]) -> pl.Series:
    """Numeric parts as one Float64 column (indexes below 2**53 stay exact)."""
    return pl.concat(
        [p if p.dtype == pl.Float64 else p.cast(pl.Float64) for p in parts], rechunk=True
    )


def _string_tables(threads: list[ThreadTables]) -> tuple[pl.Series, np.ndarray]:
    """Every thread's string table, joined (a cell that is not a string is null), and where
    each thread's starts."""
    tables = []
    for t in threads:
        s = t.strings
        if not isinstance(s, pl.Series):
            if set(map(type, s)) <= {str}:
                s = pl.Series(s, dtype=pl.String)
            else:
                s = pl.Series([v if type(v) is str else None for v in s], dtype=pl.String)
        tables.append(s)
    base = np.cumsum([0, *map(len, tables[:-1])])
    return pl.concat(tables, rechunk=True), base


def _frames(
    threads: list[ThreadTables], table: pl.Series, string_base: np.ndarray
) -> tuple[pl.DataFrame, list[int]]:
    """Every thread's frames (location texts and columns) and how many each thread has."""
    locations = []
    for t in threads:
        loc = t.frames.get("location")
        if loc is None and t.frames["length"]:  # a frame must say where it is
            raise ProfileFormatError("missing column 'location'", path=f"{t.path}.frameTable")
        locations.append(pl.Series([], dtype=pl.Float64) if loc is None else loc)
    n = [len(loc) for loc in locations]
    ids = _string_ids(
        locations,
        threads,
        string_base,
        table="frameTable",
        what="frame location {!r} is not an index into the string table (N strings)",
    )
    text = take(table, ids)
    if text.null_count():
        row = int(text.is_null().arg_true()[0])
        i = int(np.searchsorted(np.cumsum(n), row, side="right"))
        local = row - int(sum(n[:i]))
        at = int(ids[row]) - int(string_base[i])
        raise ProfileFormatError(
            f"frame location {at} is not a string ({threads[i].strings[at]!r:.40})",
            path=f"{threads[i].path}.frameTable.data[{local}]",
        )
    frames = canonical.table(
        {
            "text": text,
            "relevant": pl.Series(
                np.concatenate(
                    [flags(t.frames.get("relevantForJS"), k) for t, k in zip(threads, n)]
                )
            ),
            "process": _per_row([t.process for t in threads], n).cast(pl.Int32),
            **{
                k: pl.concat(
                    [as_floats(t.frames.get(k), m) for t, m in zip(threads, n)], rechunk=True
                )
                for k in FRAME_NUMBERS
            },
        },
        FRAME_PARTS,
    )
    return frames, n


def _bounded(
    columns: list[Any],
    high: list[int],
    *,
    base: np.ndarray,
    nulls: bool,
    per_thread: Callable[[int], pl.Series],
    earlier: bool = False,
) -> pl.Series:
    """The threads' index columns joined, each thread's cells checked to be integers in
    ``[0, high[i])`` (nulls allowed if ``nulls``; with ``earlier``, below their own row) and
    moved by ``base[i]``, as Int64. A thread whose column is not numbers is checked on its
    own, and so is each thread when a check fails: ``per_thread(i)`` raises the located error
    (or returns the thread's checked column).

    >>> _bounded([pl.Series([0.0, 1.0]), pl.Series([None, 0.0])], [2, 1], base=np.array([0, 2]),
    ...          nulls=True, per_thread=None).to_list()
    [0, 1, None, 2]
    """
    parts = [c if _numeric(c) else per_thread(i) for i, c in enumerate(columns)]
    lengths = [len(p) for p in parts]
    a = np.concatenate([p.cast(pl.Float64).to_numpy() for p in parts])  # nulls are NaN
    moved = native.move_indexes(a, lengths, high, base, nulls=nulls, earlier=earlier)
    if isinstance(moved, tuple):
        return int64_series(moved[0], moved[1]) if moved[1] is not None else pl.Series(moved[0])
    if moved is None:  # without the C parser: numpy's passes
        checked = _within(whole_numbers(a, nulls=nulls), a, lengths, high, base, earlier=earlier)
        if checked is not None:
            return checked
    for i in range(len(columns)):
        per_thread(i)
    raise ProfileFormatError("expected indexes", path="threads")  # pragma: no cover


def _within(
    whole: tuple[np.ndarray, np.ndarray] | None,
    a: np.ndarray,
    lengths: list[int],
    high: list[int],
    base: np.ndarray,
    *,
    earlier: bool,
) -> pl.Series | None:
    """The joined integral cells (``whole``, from the floats ``a``) moved by their thread's
    base, or None when a thread's cell is below 0 or at or past its ``high`` (or, with
    ``earlier``, not below its own row)."""
    if whole is None:
        return None
    values, missing = whole
    filled = [i for i, n in enumerate(lengths) if n]
    if filled:
        at = np.cumsum([0, *lengths[:-1]])[filled]
        lowest, highest = np.fmin.reduceat(a, at), np.fmax.reduceat(a, at)  # nulls aside
        if not (
            ((lowest >= 0) | np.isnan(lowest)).all()
            and ((highest < np.asarray(high)[filled]) | np.isnan(highest)).all()
        ):
            return None
    values += np.repeat(base, lengths)
    if earlier and not ((values < np.arange(len(values))) | missing).all():
        return None
    return int64_series(values, missing)


def _string_ids(
    columns: list[Any],
    threads: list[ThreadTables],
    string_base: np.ndarray,
    *,
    table: str,
    what: str,
) -> pl.Series:
    """The threads' columns of indexes into their own string tables, as positions in the
    joined one; a bad cell is named by ``what`` (``{!r}`` the cell, ``N`` the thread's count
    of strings) in the thread's ``table``."""
    n_strings = [len(t.strings) for t in threads]
    return _bounded(
        columns,
        n_strings,
        base=string_base,
        nulls=False,
        per_thread=lambda i: string_indexes(
            columns[i],
            n_strings[i],
            what=what.replace("N strings", f"{n_strings[i]} strings"),
            path=f"{threads[i].path}.{table}",
        ),
    )


def _stacks(threads: list[ThreadTables], n_frames: list[int]) -> tuple[pl.Series, pl.Series, list]:
    """Every thread's (prefix, frame) columns joined, in each thread's own numbering: every
    frame a row of its frame table, every prefix an earlier stack; and each thread's count."""
    prefixes, frames, n = [], [], []
    for t, m in zip(threads, n_frames):
        k = t.stacks["length"]
        prefix, frame = column_or(t.stacks, "prefix", None), t.stacks.get("frame")
        if prefix is None:
            prefix = constant(None, k, pl.Float64)
        if not (_numeric(prefix) and _numeric(frame) and len(prefix) == len(frame) == k):
            prefix, frame = stack_columns(t.stacks, m, path=f"{t.path}.stackTable")
            k = len(frame)
        prefixes.append(prefix)
        frames.append(frame)
        n.append(k)
    frame_base = np.cumsum([0, *n_frames[:-1]])
    stack_base = np.cumsum([0, *n[:-1]])

    def each(i: int) -> pl.Series:
        t = threads[i]
        return stack_columns(t.stacks, n_frames[i], path=f"{t.path}.stackTable")[1]

    frame = _bounded(frames, n_frames, base=frame_base, nulls=False, per_thread=each)
    prefix = _bounded(prefixes, n, base=stack_base, nulls=True, per_thread=each, earlier=True)
    return prefix, frame, n


def _sample_stacks(
    threads: list[ThreadTables], n_stacks: list[int], stack_base: np.ndarray
) -> list[pl.Series]:
    """Every thread's sample stacks (nulls allowed) in the shared numbering."""
    columns = [column_or(t.samples, "stack", []) for t in threads]
    lengths = [len(c) for c in columns]

    def each(i: int) -> pl.Series:
        return sample_stacks(threads[i].samples, n_stacks[i], path=f"{threads[i].path}.samples")

    stacks = _bounded(columns, n_stacks, base=stack_base, nulls=True, per_thread=each)
    return _split(stacks, lengths)


def _times(
    columns: list[Any], shifts: list[float], threads: list[ThreadTables], table: str
) -> list[pl.Series]:
    """Time columns moved by each thread's shift (ms); a cell that is not a number is named
    by its thread and row. Threads that are not moved keep their column (no copy)."""
    parts = [
        c if _numeric(c) else shifted(c, 0.0, path=f"{t.path}.{table}")
        for c, t in zip(columns, threads)
    ]
    lengths = [len(p) for p in parts]
    moved = [i for i, shift in enumerate(shifts) if shift and lengths[i]]
    times = [p.cast(pl.Float64).alias("time") for p in parts]
    if moved:
        joined = _joined([parts[i] for i in moved])
        by = _per_row([shifts[i] for i in moved], [lengths[i] for i in moved])
        for i, part in zip(moved, _split((joined + by).alias("time"), [lengths[i] for i in moved])):
            times[i] = part
    return times


def _marker_names(
    threads: list[ThreadTables],
    table: pl.Series,
    string_base: np.ndarray,
    intern: Callable[[str], int],
) -> list[pl.Series]:
    """Each thread's marker names as indexes into the shared string table (a string index
    of a cell that is not a string names its ``str()``, as the Firefox Profiler shows it)."""
    columns = [t.markers.get("name") for t in threads]
    columns = [pl.Series([], dtype=pl.Float64) if c is None else c for c in columns]
    lengths = [len(c) for c in columns]
    ids = _string_ids(
        columns,
        threads,
        string_base,
        table="markers",
        what="marker name {!r} is not a string index",
    )
    distinct, inverse = np.unique(ids.to_numpy(), return_inverse=True)
    used = take(table, distinct).to_list()
    for k in (k for k, s in enumerate(used) if s is None):  # not a string in the file
        i = int(np.searchsorted(string_base, distinct[k], side="right")) - 1
        used[k] = str(threads[i].strings[int(distinct[k] - string_base[i])])
    shared = np.array([intern(s) for s in used], dtype=np.int64)
    return _split(pl.Series("name", shared[inverse], dtype=pl.Int64), lengths)
