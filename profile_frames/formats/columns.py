"""Turn raw JSON columns (Python lists, Arrow arrays from the scanner or JSLB) into typed
polars Series, with clear errors naming the JSON path.

Example
-------
>>> t = {"length": 3, "frame": [0, 1, None]}
>>> column(t, "frame", path="stackTable", dtype=pl.Int32).to_list()
[0, 1, None]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from ..errors import ProfileFormatError
from ..indexes import constant, within
from ..scan import SKIPPED

_MISSING = object()


def where(path: str, key: str | int) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}"


def mixes_booleans(s: pl.Series, values: list) -> bool:
    """Whether polars made numbers of booleans mixed with numbers in ``values`` (it reads
    ``[true, 0, 1]`` as integers; JavaScript does not index an array by ``true``)."""
    return s.dtype.is_numeric() and bool in set(map(type, values))


def as_series(value: Any, *, path: str, dtype: pl.DataType) -> pl.Series:
    """Convert one raw column to ``dtype``; integral floats are accepted for integer dtypes."""
    if isinstance(value, pl.Series):
        s = value
    elif isinstance(value, (pa.Array, pa.ChunkedArray)):
        s = pl.Series("", value)
    elif isinstance(value, list):
        try:
            s = pl.Series("", value, strict=False)
        except Exception:
            raise ProfileFormatError("expected an array of plain values", path=path) from None
        if (
            s.dtype == pl.Object
            or s.dtype.is_nested()
            or (s.dtype == pl.Null and len(value) and any(v is not None for v in value))
        ):
            raise ProfileFormatError("expected an array of plain values", path=path)
        if dtype.is_numeric() and mixes_booleans(s, value):
            raise ProfileFormatError("expected numbers, got booleans among them", path=path)
    else:
        raise ProfileFormatError(f"expected an array, got {_kind(value)}", path=path)
    if s.dtype == dtype:
        return s
    if s.dtype == pl.Null:
        return s.cast(dtype)
    if dtype.is_numeric() or dtype == pl.Boolean:
        if not (s.dtype.is_numeric() or s.dtype == pl.Boolean):
            raise ProfileFormatError(f"expected numbers, got {_dtype_name(s.dtype)}", path=path)
        if dtype.is_numeric() and s.dtype == pl.Boolean:  # JavaScript would not index by true
            raise ProfileFormatError("expected numbers, got booleans", path=path)
        if dtype.is_integer() and s.dtype.is_float():
            a = s.to_numpy()  # nulls are NaN here: numpy, not a polars call per kernel
            with np.errstate(invalid="ignore"):
                if not np.all((a == np.round(a)) | np.isnan(a)):
                    raise ProfileFormatError("expected integers, got fractional numbers", path=path)
        try:
            return s.cast(dtype, strict=True)
        except Exception:
            raise ProfileFormatError(
                f"values do not fit {dtype} (min {s.min()}, max {s.max()})", path=path
            ) from None
    if dtype == pl.String:
        if s.dtype != pl.String:
            raise ProfileFormatError(f"expected strings, got {_dtype_name(s.dtype)}", path=path)
        return s
    return s.cast(dtype)


def column(
    table: dict,
    key: str,
    *,
    path: str,
    dtype: pl.DataType,
    length: int | None = None,
    default: Any = _MISSING,
) -> pl.Series:
    """Read ``table[key]`` as a Series of ``dtype`` and check it has ``length`` rows.

    A missing column is an error unless ``default`` is given (a scalar filled to ``length``).
    """
    value = table.get(key, _MISSING) if isinstance(table, dict) else _MISSING
    if value is _MISSING or value is None:
        if default is _MISSING:
            raise ProfileFormatError(f"missing column '{key}'", path=path)
        return constant(default, length or 0, dtype).alias(key)
    if value is SKIPPED:
        raise ProfileFormatError(f"column '{key}' was skipped", path=path)
    s = as_series(value, path=where(path, key), dtype=dtype).alias(key)
    if length is not None and len(s) < length and default is not _MISSING:
        # optional columns written by JavaScript may be shorter than the table (holes read as null)
        s = s.extend_constant(None, length - len(s))
    if length is not None and len(s) != length:
        raise ProfileFormatError(
            f"column '{key}' has {len(s)} rows but the table has {length}", path=path
        )
    return s


def table_length(table: Any, *, path: str, keys: tuple[str, ...]) -> int:
    """The table's ``length`` field, or the length of its first present column."""
    if not isinstance(table, dict):
        raise ProfileFormatError(f"expected a table (object), got {_kind(table)}", path=path)
    n = table.get("length")
    if isinstance(n, float) and n.is_integer():  # JavaScript numbers, or integers beyond int64
        n = int(n)
    if n is not None:
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ProfileFormatError(
                f"'length' must be a non-negative integer, got {n!r}", path=path
            )
        _check_declared_length(table, n, path=path)
        return n
    for k in keys:
        v = table.get(k)
        if v is not None and v is not SKIPPED and hasattr(v, "__len__"):
            return len(v)
    return 0


MAX_ROWS_WITHOUT_COLUMNS = 1 << 16


def _check_declared_length(table: dict, n: int, *, path: str) -> None:
    """A table cannot have more rows than its longest column (shorter columns are padded with
    nulls, as JavaScript reads holes); one with no columns at all gets a small bound. Checked
    before anything is allocated, so an absurd ``length`` is an error, not gigabytes."""
    longest = max(
        (len(v) for k, v in table.items() if k != "length" and isinstance(v, (list, pl.Series))),
        default=None,
    )
    if longest is None:
        if n > MAX_ROWS_WITHOUT_COLUMNS:
            raise ProfileFormatError(f"'length' is {n:,} but the table has no columns", path=path)
    elif n > longest:
        raise ProfileFormatError(
            f"'length' is {n:,} but the longest column has {longest:,} rows", path=path
        )


def check_index(
    s: pl.Series, size: int, *, path: str, what: str, allow_negative_one: bool = False
) -> None:
    """Every non-null value of ``s`` must index a table of ``size`` rows."""
    floor = -1 if allow_negative_one else 0
    if not within(s, floor, size):
        bad = s.filter((s < floor) | (s >= size))
        first = int((((s < floor) | (s >= size)).arg_true())[0])
        raise ProfileFormatError(
            f"{what} index {bad[0]} at row {first} is out of range (table has {size} rows)",
            path=path,
        )


def _kind(v: Any) -> str:
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    if v is None:
        return "null"
    return type(v).__name__


def _dtype_name(dt: pl.DataType) -> str:
    return "strings" if dt == pl.String else str(dt)
