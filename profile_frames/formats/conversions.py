"""Work on sample columns done while the file is read: ``timeDeltas`` → ``time`` (a running
sum), ``threadCPUDelta`` → ``cpu_delta`` (float32 µs), and the samples counted per stack.

The same converter objects run in two places, so the arithmetic exists once:

- while the file is read: the scanner asks :class:`BlockConverters` for each big numeric array
  and converts every parsed block in order as it arrives (on the reading thread, which otherwise
  waits for the parser threads). Each raw block is freed at once, so the raw column never
  exists whole; the tree then holds a :class:`Converted` column. ``samples.stack`` blocks pass
  through unchanged but are counted per stack (:class:`StackCounter`).
- afterwards, for columns the scanner did not capture (small arrays, JSLB, dicts):
  :func:`convert_column`.

Example
-------
>>> t = {"d": pl.concat([pl.Series([1.0, None]), pl.Series([3.0])], rechunk=False)}
>>> convert_column(t, "d", "samples", 3, RunningTime()).to_list(), t
([1.0, None, 4.0], {})
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from .. import native
from ..errors import ProfileFormatError
from ..indexes import copy_indexes, valid_rows
from .columns import column

_WINDOW = 1 << 16  # items converted in place at a time (numpy copies each overlapping window)
CPU_UNIT_TO_US = {"µs": 1.0, "us": 1.0, "ns": 0.001, "ms": 1000.0}


@dataclass
class Converted:
    """A raw column already converted block by block while the file was read."""

    series: pl.Series

    def __len__(self) -> int:
        return len(self.series)


class BlockConverter:
    """Converts consecutive blocks of one column, in order; nulls stay null.

    ``parse_dtype`` is what the scanner parses the column's text as. A block it just parsed
    (an Arrow array that owns its writable buffer) is converted in place, so on the 2 GB
    benchmark the time and CPU columns (1.1 GB) need no second, freshly allocated copy."""

    dtype: type = np.float64
    parse_dtype: pl.DataType = pl.Float64

    def __call__(self, block: pl.Series | pa.Array) -> pl.Series:
        arr = block if isinstance(block, pa.Array) else block.to_arrow()
        n, first = len(arr), arr.offset
        validity, data = arr.buffers()[:2]
        values = np.frombuffer(data, dtype=arr.type.to_pandas_dtype(), count=first + n)[first:]
        if values.flags.writeable and values.itemsize == np.dtype(self.dtype).itemsize:
            out = values.view(self.dtype)  # in place
            for at in range(0, n if out.dtype != values.dtype else 0, _WINDOW):
                out[at : at + _WINDOW] = values[at : at + _WINDOW]  # e.g. int32 → float32
        else:  # someone else's memory, or another item size: a converted copy
            out, validity, first = values.astype(self.dtype), _rebased(validity, first, n), 0
            data = pa.py_buffer(out)
        if arr.null_count:  # a null adds nothing to a running sum
            out[~valid_rows(validity, first, n)] = 0
        self.convert(out)
        result = pa.Array.from_buffers(
            pa.from_numpy_dtype(self.dtype), n, [validity, data], arr.null_count, first
        )
        return pl.Series("v", result)

    def convert(self, out: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def finish(self, series: pl.Series) -> Converted:
        return Converted(series)


def _rebased(validity: pa.Buffer | None, first: int, n: int) -> pa.Buffer | None:
    """The validity bitmap of rows ``first … first + n``, starting at bit 0."""
    if validity is None or first == 0:
        return validity
    return pa.py_buffer(np.packbits(valid_rows(validity, first, n), bitorder="little"))


class RunningTime(BlockConverter):
    """``time[i] = time[i-1] + delta[i]`` with the rounding of one sequential pass, as the
    Firefox Profiler computes it. A null delta gives a null time and adds nothing (it is
    filled with 0, and ``x + 0.0 == x``)."""

    dtype = np.float64

    def __init__(self) -> None:
        self.last = 0.0

    def convert(self, out: np.ndarray) -> None:
        if len(out):
            out[0] += self.last
            np.cumsum(out, out=out)  # numpy's accumulate is sequential, like JavaScript's loop
            self.last = float(out[-1])


class CpuMicros(BlockConverter):
    """CPU deltas in float32 microseconds, from the unit's factor (ns → µs is × 0.001). The
    text is parsed as integers when it holds integers (Arrow parses those 3× faster than
    float32), converted in place."""

    dtype = np.float32
    parse_dtype = None

    def __init__(self, factor: float) -> None:
        self.factor = factor

    def convert(self, out: np.ndarray) -> None:
        if self.factor != 1.0:
            out *= out.dtype.type(self.factor)


def cpu_factor(meta: Any) -> float | None:
    """µs per unit of ``meta.sampleUnits.threadCPUDelta`` (default µs); None if unknown."""
    units = meta.get("sampleUnits") if isinstance(meta, dict) else None
    unit = units.get("threadCPUDelta") if isinstance(units, dict) else None
    return CPU_UNIT_TO_US.get(unit or "µs") if isinstance(unit, (str, type(None))) else None


class StackCounter:
    """Counts samples per stack (weight 1 each, nulls left out) as the blocks of a
    ``samples.stack`` column arrive, which pass through unchanged. ``series`` is the column the
    counts belong to: a reader uses them only if the table still holds that very object (an
    upgrade step that renumbers stacks replaces it).

    A negative index, or one far beyond what the samples seen so far could need (an absurd
    value would make the dense count allocate gigabytes), stops the counting: the reader then
    validates the column against its stack table and reports where it is wrong."""

    WINDOW = 1 << 22  # samples per bincount call
    SLACK = 1 << 20  # indexes up to 16 x samples seen + this are counted densely
    parse_dtype = None  # the scanner picks the integer type

    def __init__(self) -> None:
        self.counts = np.zeros(0, dtype=np.int64)
        self.series: pl.Series | None = None
        self._buf = np.empty(0, dtype=np.intp)
        self._filled = 0
        self._nulls = 0
        self._seen = 0
        self._top = 0  # the highest stack counted natively, plus 1
        self.abandoned = False

    def __call__(self, block: pl.Series | pa.Array) -> pl.Series:
        if isinstance(block, pa.Array):
            block = pl.Series("v", block)
        if self.abandoned:
            return block
        self._seen += len(block)
        lo, hi = (block.min(), block.max()) if block.dtype.is_integer() else (-1, 0)
        if lo is not None and (lo < 0 or hi > 16 * self._seen + self.SLACK):
            self.abandoned = True
            self._buf = np.empty(0, dtype=np.intp)
            return block
        if native.available() and block.dtype in (pl.Int32, pl.Int64):
            self._count_natively(block, 0 if hi is None else int(hi) + 1)
            return block
        pos = 0
        while pos < len(block):
            if self._filled == len(self._buf):
                self._flush()
                if not len(self._buf):
                    self._buf = np.empty(self.WINDOW, dtype=np.intp)
            part = block.slice(pos, len(self._buf) - self._filled)
            self._filled += copy_indexes(part, self._buf[self._filled :], null_as=0)
            self._nulls += part.null_count()
            pos += len(part)
        return block

    def _count_natively(self, block: pl.Series, top: int) -> None:
        """Count in one C pass over each chunk's Arrow buffers (no index copy); the counts
        grow by doubling, and are cut to the highest stack seen at the end."""
        if top > len(self.counts):
            grown = np.zeros(max(top, 2 * len(self.counts)), dtype=np.int64)
            grown[: len(self.counts)] = self.counts
            self.counts = grown
        self._top = max(self._top, top)
        for chunk in block.get_chunks():
            native.count_indexes(chunk.to_arrow(), self.counts)  # in range: checked above

    def _flush(self) -> None:
        if not self._filled:
            return
        counted = np.bincount(self._buf[: self._filled])
        counted[0] -= self._nulls  # nulls were written as stack 0
        if len(counted) > len(self.counts):
            counted[: len(self.counts)] += self.counts
            self.counts = counted
        else:
            self.counts[: len(counted)] += counted
        self._filled = self._nulls = 0

    def finish(self, series: pl.Series) -> pl.Series:
        if not self.abandoned:
            self._flush()
            if self._top:  # counted natively
                self.counts = self.counts[: self._top]
            self.series = series
        self._buf = np.empty(0, dtype=np.intp)
        return series


class BlockConverters:
    """The scanner's hook (``parse_json_chunks(convert=…)``): a converter for
    ``threads[i].samples.timeDeltas``, for ``threads[i].samples.threadCPUDelta`` when ``meta``
    was already read (samply writes it first), and a :class:`StackCounter` for
    ``threads[i].samples.stack`` (kept in ``stack_counters`` by thread index)."""

    def __init__(self) -> None:
        self.stack_counters: dict[int, StackCounter] = {}

    def __call__(self, path: list, containers: list) -> Any:
        if len(path) != 4 or path[0] != "threads" or path[2] != "samples":
            return None
        if path[3] == "timeDeltas":
            return RunningTime()
        if path[3] == "stack" and isinstance(path[1], int):
            counter = self.stack_counters[path[1]] = StackCounter()
            return counter
        if path[3] == "threadCPUDelta" and containers and isinstance(containers[0], dict):
            meta = containers[0].get("meta")
            factor = cpu_factor(meta) if isinstance(meta, dict) else None
            return CpuMicros(factor) if factor is not None else None
        return None

    def stack_counts(self, thread: int, column: Any) -> np.ndarray | None:
        """Samples per stack of thread ``thread``, if ``column`` is the column they counted."""
        counter = self.stack_counters.get(thread)
        return counter.counts if counter is not None and counter.series is column else None


def convert_column(t: dict, key: str, p: str, n: int, converter: BlockConverter) -> pl.Series:
    """Column ``key`` of table ``t`` converted: taken as it is when the scanner converted it
    already, else chunk by chunk. The raw column leaves ``t`` first and each chunk is released
    once converted, so the raw and the converted column never both exist whole."""
    raw = t.pop(key)
    if isinstance(raw, Converted):
        if len(raw) != n:
            raise ProfileFormatError(
                f"column '{key}' has {len(raw)} rows but the table has {n}", path=p
            )
        return raw.series.alias(key)
    t[key] = raw
    keep = raw.dtype if isinstance(raw, pl.Series) and raw.dtype.is_numeric() else pl.Float64
    chunks = column(t, key, path=p, dtype=keep, length=n).get_chunks()
    del t[key], raw
    out = []
    for i in range(len(chunks)):
        out.append(converter(chunks[i]))
        chunks[i] = None  # type: ignore[call-overload]
    if not out:
        return pl.Series(key, [], dtype=pl.from_numpy(np.zeros(0, converter.dtype)).dtype)
    return pl.concat(out, rechunk=False).alias(key)
