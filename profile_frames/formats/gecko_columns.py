"""Gecko table columns checked in bulk: integral numbers, indexes, times and flags.

A column is a polars Series when the scanner parsed its rows in bulk, else a list; either way
it is checked with a few whole-column operations, and read row by row only to name the cell
that is wrong.

Example
-------
>>> ints(pl.Series([38.0, None])).to_list(), shifted([1.0], 2.0, path="t").to_list()
([38, None], [3.0])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from ..errors import ProfileFormatError
from ..indexes import constant, index_array, truth_array, within


def integral(cells: list) -> list:
    """Integral floats within int64 as ints (bools and everything else unchanged).

    >>> integral([38.0, 1.5, None, True, 2, 1e308])
    [38, 1.5, None, True, 2, 1e+308]
    """
    return [int(v) if type(v) is float and v.is_integer() and abs(v) < 2**63 else v for v in cells]


def column_or(table: dict, key: str, default: Any) -> Any:
    """A table's column (a Series or a list), or ``default`` when it is missing."""
    v = table.get(key)
    return default if v is None else v


def as_list(values: Any) -> list:
    """A column as a list of Python values (for the row-by-row error messages)."""
    return values.to_list() if isinstance(values, pl.Series) else list(values)


def ints(values: Any) -> pl.Series | None:
    """A column of integral numbers (nulls allowed) as Int64, or None if any cell is
    something else or beyond int64 (the row-by-row check then names it).

    >>> ints(pl.Series([1.0, None, 3.0])).to_list(), ints([1, 2.5]), ints([True])
    ([1, None, 3], None, None)
    """
    if isinstance(values, pl.Series):
        if values.dtype.is_integer() or values.dtype == pl.Null:
            return values.cast(pl.Int64)
        if values.dtype != pl.Float64:
            return None
        # nulls are NaN here; numpy's passes cost no call per kernel
        whole = whole_numbers(values.to_numpy(), nulls=True)
        return None if whole is None else int64_series(*whole)
    return indexes(integral(values))


def whole_numbers(a: np.ndarray, *, nulls: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """Float cells (NaN for null) as int64 and the mask of nulls, or None if a cell is a
    fraction, beyond int64, or null where ``nulls`` is false.

    >>> [x.tolist() for x in whole_numbers(np.array([3.0, np.nan]), nulls=True)]
    [[3, -9223372036854775808], [False, True]]
    >>> whole_numbers(np.array([2.5]), nulls=True), whole_numbers(np.array([np.nan]), nulls=False)
    (None, None)
    """
    with np.errstate(invalid="ignore"):
        values = a.astype(np.int64)  # a fraction, or beyond int64, does not come back equal
        whole = values.astype(np.float64) == a
    missing = np.isnan(a)
    ok = (whole | missing).all() if nulls else whole.all()
    return (values, missing) if ok else None


def int64_series(values: np.ndarray, missing: np.ndarray) -> pl.Series:
    """An Int64 Series of ``values``, null where ``missing``."""
    return pl.Series(pa.array(values, mask=missing) if missing.any() else values)


def ints_or_null(values: Any, n: int) -> pl.Series:
    """Integral numbers as Int64 and anything else (fractions, booleans, text) as null, for
    the optional frame columns; a missing column is all null."""
    if values is None:
        return constant(None, n, pl.Int64)
    if isinstance(values, pl.Series):
        if values.dtype == pl.Float64:
            whole = (values == values.floor()) & (values.abs() < 2**63)
            return pl.select(pl.when(whole).then(values.cast(pl.Int64, strict=False))).to_series()
        if values.dtype.is_integer():
            return values.cast(pl.Int64)
        return constant(None, len(values), pl.Int64)
    cells = [
        v if isinstance(v, int) and not isinstance(v, bool) and -(2**63) <= v < 2**63 else None
        for v in values
    ]
    return pl.Series(cells + [None] * (n - len(cells)), dtype=pl.Int64)


def as_floats(values: Any, n: int) -> pl.Series:
    """An optional frame column as Float64 (what the bulk parser gives): numbers kept,
    anything else null (:func:`ints_or_null` later keeps the integral ones)."""
    if isinstance(values, pl.Series) and values.dtype == pl.Float64:
        return values
    return ints_or_null(values, n).cast(pl.Float64)


def flags(values: Any, n: int) -> np.ndarray:
    """A column of truth values (null and missing are false) as a bool array of ``n``."""
    if values is None:
        return np.zeros(n, dtype=bool)
    if len(values) != n:  # cells past the table's rows are not read; missing ones are false
        values = values[:n]
        if len(values) < n:
            return np.concatenate([flags(values, len(values)), np.zeros(n - len(values), bool)])
    if isinstance(values, pl.Series):
        if values.dtype == pl.Boolean:
            return truth_array(values)
        if values.dtype.is_numeric():
            a = values.to_numpy()  # nulls (NaN here) are false
            return (a != 0) & ~np.isnan(a) if a.dtype.kind == "f" else a != 0
        values = values.to_list()
    out = np.zeros(n, dtype=bool)
    out[: len(values)] = [bool(v) if v is not None else False for v in values]
    return out


def string_indexes(values: Any, n_strings: int, *, what: str, path: str) -> pl.Series:
    """A column of indexes into a thread's string table (Int64), checked at once; read row by
    row for the error (``what``, with the bad cell) when one is not an index.

    >>> string_indexes(pl.Series([0.0, 9.0]), 3, what="bad {!r}", path="t")
    Traceback (most recent call last):
    ...
    profile_frames.errors.ProfileFormatError: t.data[1]: bad 9
    """
    ids = ints(values)
    if ids is not None and not ids.null_count():
        if not len(ids) or within(ids, 0, n_strings):
            return ids
    for i, v in enumerate(integral(as_list(values))):  # 38.0 (bulk-parsed) is the index 38
        if not is_row(v, n_strings):
            raise ProfileFormatError(what.format(v), path=f"{path}.data[{i}]")
    raise ProfileFormatError("expected string indexes", path=path)  # pragma: no cover


def shifted(values: Any, shift: float, *, path: str) -> pl.Series:
    """A time column moved by ``shift`` ms; a cell that is not a number is named by its row.

    >>> shifted([1, None, 2.5], 10.0, path="t").to_list()
    [11.0, None, 12.5]
    """
    if isinstance(values, pl.Series):
        if values.dtype.is_numeric() or values.dtype == pl.Null:
            return values.cast(pl.Float64).alias("time") + shift
        values = values.to_list()
    try:
        if not any(isinstance(v, bool) for v in values):
            return pl.Series("time", values, dtype=pl.Float64) + shift
    except Exception:
        pass
    for i, v in enumerate(values):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
            raise ProfileFormatError(
                f"expected a time (number), got {v!r:.40}", path=f"{path}.data[{i}]"
            )
    raise ProfileFormatError("expected times (numbers)", path=path)


def is_row(v: Any, n: int) -> bool:
    """Whether the cell ``v`` is a row of a table of ``n`` rows (an int, not a bool)."""
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < n


def indexes(values: list) -> pl.Series | None:
    """A column of integers (nulls allowed) as Int64, or None if any cell is something else
    (or beyond int64: the row-by-row check names it)."""
    if any(type(v) is not int for v in values if v is not None):
        return None
    try:
        return pl.Series(values, dtype=pl.Int64)
    except (TypeError, OverflowError):
        return None


def stack_columns(stacks: dict, n_frames: int, *, path: str) -> tuple[pl.Series, pl.Series]:
    """A thread's (prefix, frame) columns, checked at once: every frame a row of the frame
    table, every prefix an earlier stack. A bad table is read row by row for the error."""
    n = stacks["length"]
    prefix = column_or(stacks, "prefix", [None] * n)
    frame = column_or(stacks, "frame", [])
    p, f = ints(prefix), ints(frame)
    if p is not None and f is not None and len(p) == len(f) == n:
        pv = index_array(p, null_as=-1)
        if (
            f.null_count() == 0
            and (n == 0 or within(f, 0, n_frames))
            and ((pv == -1) | ((pv >= 0) & (pv < np.arange(n)))).all()
            and p.null_count() == int((pv == -1).sum())
        ):
            return p, f
    prefix, frame = integral(as_list(prefix)), integral(as_list(frame))
    for i, (pre, fr) in enumerate(zip(prefix, frame)):
        if not is_row(fr, n_frames):
            raise ProfileFormatError(
                f"stack frame {fr!r} is out of range ({n_frames} frames)",
                path=f"{path}.data[{i}]",
            )
        if pre is not None and not is_row(pre, i):
            raise ProfileFormatError(
                f"stack prefix {pre!r} must be an earlier stack", path=f"{path}.data[{i}]"
            )
    k = min(len(prefix), len(frame))
    return pl.Series(prefix[:k], dtype=pl.Int64), pl.Series(frame[:k], dtype=pl.Int64)


def sample_stacks(samples: dict, n_stacks: int, *, path: str) -> pl.Series:
    """A thread's sample stacks (nulls allowed), checked at once; row by row for the error."""
    values = column_or(samples, "stack", [])
    s = ints(values)
    if s is not None and (len(s) == s.null_count() or within(s, 0, n_stacks)):
        return s
    for i, v in enumerate(integral(as_list(values))):
        if v is not None and not is_row(v, n_stacks):
            raise ProfileFormatError(
                f"sample stack {v!r} is out of range ({n_stacks} stacks)",
                path=f"{path}.data[{i}]",
            )
    raise ProfileFormatError("expected sample stacks", path=path)  # pragma: no cover
