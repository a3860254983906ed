"""Integer index columns (polars, possibly chunked and with nulls) copied into numpy buffers,
and the column operations the readers repeat per thread done without polars' expression
engine (``pl.repeat`` and ``Series.gather`` go through it: 100-600 µs a call, which over
hundreds of threads is most of their cost).

Example
-------
>>> import polars as pl
>>> buf = np.empty(4, dtype=np.intp)
>>> copy_indexes(pl.Series([3, None, 1], dtype=pl.Int32), buf, null_as=9), buf[:3].tolist()
(3, [3, 9, 1])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl


def copy_indexes(
    part: pl.Series, buf: np.ndarray, *, null_as: int, nulls: np.ndarray | None = None
) -> int:
    """Copy an integer column slice into ``buf`` chunk by chunk, nulls as ``null_as`` (and
    marked True in ``nulls`` if given; its other rows are left alone); return the number of
    rows. Each chunk is read through zero-copy views of its Arrow buffers."""
    pos = 0
    for c in part.get_chunks():
        arr = c.to_arrow()
        m = len(arr)
        dst = buf[pos : pos + m]
        validity, values = arr.buffers()[:2]
        if arr.null_count == m:
            dst[:] = null_as
            if nulls is not None:
                nulls[pos : pos + m] = True
        else:
            dtype = np.dtype(arr.type.to_pandas_dtype())
            dst[:] = np.frombuffer(values, dtype=dtype, count=arr.offset + m)[arr.offset :]
            if arr.null_count:
                missing = ~valid_rows(validity, arr.offset, m)
                dst[missing] = null_as
                if nulls is not None:
                    nulls[pos : pos + m] = missing
        pos += m
    return pos


def index_array(s: pl.Series, *, null_as: int) -> np.ndarray:
    """An integer column as an intp array, nulls as ``null_as`` (``fill_null`` then
    ``to_numpy`` costs 150 µs a call).

    >>> index_array(pl.Series([4, None, 2]), null_as=-1).tolist()
    [4, -1, 2]
    """
    out = np.empty(len(s), dtype=np.intp)
    copy_indexes(s, out, null_as=null_as)
    return out


def truth_array(s: pl.Series) -> np.ndarray:
    """A Boolean column as a bool array, null as false, from its Arrow bitmaps.

    >>> truth_array(pl.Series([True, None, False])).tolist()
    [True, False, False]
    """
    out = np.empty(len(s), dtype=bool)
    pos = 0
    for c in s.get_chunks():
        arr = c.to_arrow()
        validity, bits = arr.buffers()[:2]
        m = len(arr)
        out[pos : pos + m] = valid_rows(bits, arr.offset, m)
        if arr.null_count:
            out[pos : pos + m] &= valid_rows(validity, arr.offset, m)
        pos += m
    return out


def valid_rows(validity: Any, first: int, n: int) -> np.ndarray:
    """Rows ``first … first + n`` of an Arrow validity bitmap (a ``pyarrow.Buffer``, or None
    for no nulls) as booleans.

    >>> import pyarrow as pa
    >>> valid_rows(pa.array([1, None, 3]).buffers()[0], 1, 2).tolist()
    [False, True]
    """
    if validity is None:
        return np.ones(n, dtype=bool)
    bits = np.unpackbits(np.frombuffer(validity, np.uint8), count=first + n, bitorder="little")
    return bits[first:].astype(bool)


def take(values: pl.Series, rows: Any) -> pl.Series:
    """``values.gather(rows)`` for rows in range (numpy, or a Series that may hold nulls,
    which give nulls): by Series indexing, since ``gather`` goes through the expression
    engine (150-600 us a call, which was most of ``functions()`` of a small thread among
    hundreds, and of the marker names of 530 threads).

    >>> take(pl.Series(["a", "b", "c"]), np.array([2, 0])).to_list()
    ['c', 'a']
    >>> take(pl.Series(["a"]), pl.Series([None, 0])).to_list()
    [None, 'a']
    >>> take(pl.Series(["a"]), pl.Series([None])).to_list()
    [None]
    """
    index = rows if isinstance(rows, pl.Series) else pl.Series(np.asarray(rows, dtype=np.int64))
    if index.null_count() == len(index):  # (indexing by a column of nulls fails)
        return constant(None, len(index), values.dtype).alias(values.name)
    return values[index]


def within(s: pl.Series, low: int, high: int) -> bool:
    """Whether every value of an integer column (nulls aside) is in ``[low, high)``, from
    polars' own ``min`` and ``max`` (1 µs on a short column; dropping the nulls for numpy
    first cost 110 µs, and threads come by the hundred).

    >>> within(pl.Series([0, None, 2]), 0, 3), within(pl.Series([3]), 0, 3)
    (True, False)
    """
    if s.null_count() == len(s):
        return True
    return bool(s.min() >= low and s.max() < high)


def constant(value: Any, n: int, dtype: Any) -> pl.Series:
    """``n`` copies of ``value`` (None for nulls) as a Series of ``dtype``:
    ``pl.repeat(value, n, dtype=dtype, eager=True)`` at a 30th of its cost.

    >>> constant(None, 2, pl.Float64).to_list(), constant(7, 3, pl.Int32).dtype
    ([None, None], Int32)
    """
    return pl.Series([value], dtype=dtype).new_from_index(0, n)
