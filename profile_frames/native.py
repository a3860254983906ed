"""The C parsers of JSON numbers, string tables and marker payloads, and the sample counter
(``profile_frames/_json_numbers.c``), when they were built.

They read a numeric array's content, Gecko's rows of numbers (marker rows with their payload
objects too), a string table or an array of flags into Arrow, or a processed marker table's
payloads, find where a Gecko rows array ends, check and move Gecko index columns, and count
samples per stack from an Arrow column, in one pass without the GIL
(about 1 GB/s of text per core, against 0.25 for the numpy and Arrow passes of
:mod:`profile_frames.numbers` and :mod:`profile_frames.rows`). The extension is optional: a
machine without a C compiler installs without it and the numpy path gives the same results.
``PROFILE_FRAMES_PURE_PYTHON=1`` turns it off (the benchmarks compare both, the tests run both).

Each function returns None where it does not decide: text that is not compact JSON numbers
(the numpy path words the error), or a block with many floats that need correct rounding
beyond the exact fast path (Arrow parses those; a few are handed to Arrow one by one).

Example
-------
>>> if available():
...     assert numbers(b"1, null,3", [pl.Int32, pl.Int64, pl.Float64]).to_pylist() == [1, None, 3]
...     assert numbers(b"0.1,2e3", [pl.Float64]).to_pylist() == [0.1, 2000.0]
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from .texts import string_array

try:
    from . import _json_numbers
except ImportError:  # built without a C compiler: the numpy path is used
    _json_numbers = None

if os.environ.get("PROFILE_FRAMES_PURE_PYTHON"):
    _json_numbers = None


def available() -> bool:
    """Whether the C parsers are in use (built, and not turned off)."""
    return _json_numbers is not None


_OK, _WIDER, _FRACTION = 0, 1, 2
_KINDS = {
    pl.Int32: (0, pa.int32(), 4),
    pl.Int64: (1, pa.int64(), 8),
    pl.Float64: (2, pa.float64(), 8),
}
# parsed columns are allocated by the C library's malloc (see numbers._COLUMN_MEMORY)
_MEMORY = pa.system_memory_pool()
CELL_NUMBER, CELL_NULL, CELL_TRUE, CELL_FALSE, CELL_TEXT = 1, 2, 3, 4, 6


def number_list(text: bytes) -> list | None:
    """A short JSON array of numbers and nulls (brackets included) as the list the json
    module reads, 2.6x faster; None for anything else (strings, booleans, numbers beyond the
    exact fast path) or without the C parser.

    >>> number_list(b"[1, 2.5, null]") if available() else [1, 2.5, None]
    [1, 2.5, None]
    """
    if _json_numbers is None:
        return None
    return _json_numbers.number_list(text)


def count_byte(data: bytes | bytearray, byte: bytes) -> int:
    """``data.count(byte)`` for one byte, eight bytes at a time in C (bytes.count goes a byte
    at a time).

    >>> count_byte(b"[1],[2]", b"[")
    2
    """
    if _json_numbers is None:
        return data.count(byte)
    return _json_numbers.count_byte(data, byte[0])


def rows_end(data: bytes | bytearray, start: int, stop: int) -> tuple[int, bool]:
    """Where the first ``]]`` of ``data[start:stop]`` is (-1 if none) and whether a quote or a
    brace comes before it (then -1: rows of numbers hold neither), in one pass in C.

    >>> rows_end(b"[[1],[2]],3", 0, 11), rows_end(b'[[1,"a"]]', 0, 9), rows_end(b"[[1", 0, 3)
    ((7, False), (-1, True), (-1, False))
    """
    if _json_numbers is None:
        q = data.find(b"]]", start, stop)
        before = stop if q < 0 else q
        objects = data.find(b'"', start, before) >= 0 or data.find(b"{", start, before) >= 0
        return (-1, True) if objects else (q, False)
    end, objects = _json_numbers.rows_end(data, start, stop)
    return end, bool(objects)


def row_marks(data: bytes | bytearray) -> tuple[int, int, int]:
    """How many ``[`` and ``]`` ``data`` holds and how often ``],[`` occurs, in one pass in C.

    >>> row_marks(b"[1],[2],[3,[4]]")
    (4, 4, 2)
    """
    if _json_numbers is None:
        return data.count(b"["), data.count(b"]"), data.count(b"],[")
    return _json_numbers.row_marks(data)


def parent_depths(parent: np.ndarray) -> np.ndarray | None:
    """The depth of every node (int32, roots 0) of a forest given by int64 ``parent`` (< 0 for
    a root) in which every parent comes before its children, in one pass in C; None without
    the C parser, for another layout, or when a parent comes later.

    >>> got = parent_depths(np.array([-1, 0, 1, 0, -1]))
    >>> got.tolist() if got is not None else [0, 1, 2, 1, 0]
    [0, 1, 2, 1, 0]
    """
    if _json_numbers is None or parent.dtype != np.int64 or not parent.flags.c_contiguous:
        return None
    depth = np.empty(len(parent), dtype=np.int32)
    return depth if _json_numbers.parent_depths(parent, depth) else None


def move_indexes(
    values: np.ndarray,
    lengths: list[int],
    high: list[int],
    base: np.ndarray,
    *,
    nulls: bool,
    earlier: bool,
) -> tuple[np.ndarray, np.ndarray | None] | int | None:
    """Float cells of parts laid end to end (``lengths``; NaN for null) as int64 indexes
    moved by their part's ``base``, each checked to be whole and in ``[0, high[i])`` (with
    ``earlier``, moved below its own position), in one pass in C: the indexes and the mask of
    nulls (None when there are none), the first failing part's number, or None without the
    C parser.

    >>> got = move_indexes(np.array([1.0, np.nan, 0.0]), [2, 1], [2, 1], np.array([0, 2]),
    ...                    nulls=True, earlier=False)
    >>> [got[0].tolist(), got[1].tolist()] if available() else [[1, 0, 2], [False, True, False]]
    [[1, 0, 2], [False, True, False]]
    """
    if _json_numbers is None:
        return None
    out = np.empty(len(values), dtype=np.int64)
    missing = np.empty(len(values), dtype=np.bool_)
    bad, n_null = _json_numbers.move_indexes(
        np.ascontiguousarray(values, dtype=np.float64),
        np.asarray(lengths, dtype=np.int64),
        np.asarray(high, dtype=np.int64),
        np.ascontiguousarray(base, dtype=np.int64),
        nulls,
        earlier,
        out,
        missing.view(np.uint8),
    )
    if bad >= 0:
        return bad
    return out, missing if n_null else None


def count_indexes(array: pa.Array, counts: np.ndarray) -> bool | None:
    """Add 1 to ``counts[v]`` (int64) for every non-null value ``v`` of an Arrow int32 or
    int64 array, in one pass in C; False if a value is outside ``counts`` (which are then
    partly counted), None without the C parser or for another type.

    >>> counts = np.zeros(4, dtype=np.int64)
    >>> ok = count_indexes(pa.array([3, None, 3, 0], pa.int32()), counts)
    >>> (ok, counts.tolist()) if available() else (True, [1, 0, 0, 2])
    (True, [1, 0, 0, 2])
    """
    if _json_numbers is None or not (
        pa.types.is_int32(array.type) or pa.types.is_int64(array.type)
    ):
        return None
    size = array.type.bit_width // 8
    validity, values = array.buffers()[:2]
    n, first = len(array), array.offset
    if not n:
        return True
    view = memoryview(values)[first * size : (first + n) * size]
    _, _, bad = _json_numbers.count_indexes(
        view, size, validity if array.null_count else None, first, counts
    )
    return bad < 0


def json_strings(text: bytes) -> pa.Array | None:
    """A JSON array of strings and nulls (brackets included) as an Arrow string array,
    unescaped as the json module reads it; None for anything else (another value, a lone
    surrogate, bytes that are not UTF-8, not JSON) or without the C parser.

    >>> text = b'["a\\\\u00e9", null, "\\\\ud83d\\\\ude00"]'
    >>> json_strings(text).to_pylist() if available() else ["aé", None, "😀"]
    ['aé', None, '😀']
    """
    if _json_numbers is None:
        return None
    n_max = count_byte(text, b",") + 1
    data = pa.allocate_buffer(len(text), memory_pool=_MEMORY)
    offsets = pa.allocate_buffer(8 * (n_max + 1), memory_pool=_MEMORY)
    validity = pa.allocate_buffer((n_max + 7) // 8, memory_pool=_MEMORY)
    found = _json_numbers.string_array(text, data, offsets, validity)
    if found is None:
        return None
    count, nulls, used = found
    bounds = np.frombuffer(offsets, dtype=np.int64, count=count + 1)
    return string_array(data[:used], bounds, validity if nulls else None, nulls)


def json_booleans(text: bytes) -> pa.Array | None:
    """A JSON array of ``true`` and ``false`` (brackets included) as an Arrow boolean array;
    None for anything else (a null, another value, not JSON) or without the C parser.

    >>> json_booleans(b"[true, false,true]").to_pylist() if available() else [True, False, True]
    [True, False, True]
    """
    if _json_numbers is None:
        return None
    n_max = count_byte(text, b",") + 1
    bits = pa.allocate_buffer((n_max + 7) // 8, memory_pool=_MEMORY)
    count = _json_numbers.bool_array(text, bits)
    if count is None:
        return None
    return pa.Array.from_buffers(pa.bool_(), count, [None, bits], null_count=0)


def flat_end(data: bytes, start: int) -> tuple[int, bool] | None:
    """Where the body of a flat JSON array that starts at ``data[start]`` stops (the first
    bracket or brace outside strings, the quote of a string ``data`` ends in, or its end), and
    whether 19 digits in a row occur outside strings; None without the C parser.

    >>> flat_end(b'["a]", 1, 12345678901234567890], 5', 1) if available() else (30, True)
    (30, True)
    """
    if _json_numbers is None:
        return None
    end, long_digits = _json_numbers.flat_end(data, start)
    return end, bool(long_digits)


def array_end(data: bytes, start: int, depth: int) -> tuple[int, int, int] | None:
    """:func:`profile_frames.payloads.array_end` in C (a resume point may lie further on:
    any position outside strings will do); None without the C parser."""
    if _json_numbers is None:
        return None
    return _json_numbers.array_end(data, start, depth)


def _hard_room(n: int) -> np.ndarray:
    """Room for the hard floats of ``n`` values: beyond one in 16, Arrow parses the block."""
    return np.empty(3 * (n // 16 + 16), dtype=np.int64)


def _exact(text: bytes, triples: np.ndarray, n_hard: int) -> tuple[np.ndarray, np.ndarray]:
    """The positions and correctly rounded values of the hard floats, parsed by Arrow."""
    found = triples[: 3 * n_hard].reshape(n_hard, 3)
    tokens = pa.array([text[o : o + n] for _, o, n in found.tolist()], pa.string())
    return found[:, 0], pc.cast(tokens, pa.float64()).to_numpy()


def numbers(block: bytes, types: list) -> pa.Array | None:
    """The values of ``block`` (comma-separated numbers and nulls) as the first of ``types``
    that holds them all, or None where the numpy path decides (see the module)."""
    if _json_numbers is None:
        return None
    n_max = count_byte(block, b",") + 1
    fraction = False  # a fraction was seen: only a float type can hold the block
    for typ in types:
        if typ not in _KINDS:
            return None
        if fraction and typ != pl.Float64:
            continue
        kind, arrow_type, width = _KINDS[typ]
        values = pa.allocate_buffer(n_max * width, memory_pool=_MEMORY)
        validity = pa.allocate_buffer((n_max + 7) // 8, memory_pool=_MEMORY)
        hard = _hard_room(n_max) if kind == 2 else np.empty(0, dtype=np.int64)
        count, nulls, status, _, n_hard = _json_numbers.parse_numbers(
            block, kind, values, validity, hard
        )
        if status in (_WIDER, _FRACTION):
            fraction = fraction or status == _FRACTION
            continue
        if status != _OK:
            return None
        if n_hard:
            at, exact = _exact(block, hard, n_hard)
            np.frombuffer(values, dtype=np.float64)[at] = exact
        return pa.Array.from_buffers(
            arrow_type, count, [validity if nulls else None, values], null_count=nulls
        )
    return None


@dataclass(frozen=True)
class Cells:
    """Rows parsed by :func:`rows`: ``values[c]`` and ``states[c]`` are cell ``c`` of every
    row (a state is 0 where a row is shorter, then CELL_NUMBER, CELL_NULL, CELL_TRUE,
    CELL_FALSE, CELL_TEXT); ``texts[c]``: the JSON text of the object cells of column ``c``
    (null in the other rows), for the one column that has them."""

    values: np.ndarray  # float64, (width, rows)
    states: np.ndarray  # uint8, (width, rows)
    texts: dict[int, pa.Array]


def grid_fits(n_rows: int, width: int, n_bytes: int) -> bool:
    """Whether a rows × widest-row grid of cells stays within twice the text's bytes: one very
    wide row among many short ones would otherwise ask for rows × width cells (the JSON path
    reads such text, in memory that follows its size).

    >>> grid_fits(1000, 3, 6000), grid_fits(200_001, 200_001, 2_000_000)
    (True, False)
    """
    return n_rows * width <= 2 * n_bytes + 64


def rows(text: bytes) -> Cells | None:
    """The cells of ``text`` (``[..],[..]``: rows of numbers, nulls, booleans and objects,
    no empty row), or None where the numpy path decides (see the module)."""
    if _json_numbers is None:
        return None
    n_rows, width, n_text = _json_numbers.row_counts(text)  # counted; parse_rows checks
    if n_rows <= 0 or not grid_fits(n_rows, width, len(text)):  # (-1: a string that does not end)
        return None
    values = np.empty((width, n_rows), dtype=np.float64)
    states = np.empty((width, n_rows), dtype=np.uint8)
    hard = _hard_room(n_rows * width)
    texts = pa.allocate_buffer(len(text) if n_text else 0, memory_pool=_MEMORY)
    text_cells = np.empty(3 * n_text, dtype=np.int64)
    parsed, _, status, _, n_hard = _json_numbers.parse_rows(
        text, n_rows, width, values, states, hard, texts, text_cells
    )
    if status != _OK or parsed != n_rows:
        return None  # bad text, or an empty row (the JSON path decides what it means)
    if n_hard:
        at, exact = _exact(text, hard, n_hard)
        values.reshape(-1)[at] = exact
        states.reshape(-1)[at] = CELL_NUMBER
    columns = {}
    if n_text:
        found = text_cells.reshape(n_text, 3)
        column = found[:, 0] // n_rows
        if (column != column[0]).any():
            return None  # objects in two columns: the JSON path reads them
        strings = _texts(texts, found[:, 0] % n_rows, found[:, 1:], n_rows)
        if strings is None:
            return None
        columns[int(column[0])] = strings
    return Cells(values, states, columns)


def _texts(texts: pa.Buffer, rows: np.ndarray, spans: np.ndarray, n_rows: int) -> pa.Array | None:
    """A string array of ``n_rows`` with the text spans (offset, length; one after another
    in ``texts``) at ``rows`` and null elsewhere; None if one is not UTF-8."""
    lengths = np.zeros(n_rows, dtype=np.int64)
    lengths[rows] = spans[:, 1]
    offsets = np.concatenate(([spans[0, 0] if len(spans) else 0], lengths)).cumsum()
    present = np.zeros(n_rows, dtype=bool)
    present[rows] = True
    nulls = n_rows - len(rows)
    validity = pa.py_buffer(np.packbits(present, bitorder="little")) if nulls else None
    return string_array(texts, offsets, validity, nulls)


def payloads(text: bytes) -> pa.Array | None:
    """A processed marker ``data`` array's content (objects and nulls) as the objects' JSON
    text, null for null; None where the numpy path decides (see the module)."""
    if _json_numbers is None:
        return None
    room = len(text) // 2 + 2  # an element and its comma take at least 2 bytes
    texts = pa.allocate_buffer(len(text), memory_pool=_MEMORY)
    offsets = np.empty(room + 1, dtype=np.int64)
    validity = np.empty((room + 7) // 8, dtype=np.uint8)
    count, nulls, status, _, _ = _json_numbers.split_payloads(text, texts, offsets, validity)
    if status != _OK:
        return None
    bitmap = pa.py_buffer(validity[: (count + 7) // 8].copy()) if nulls else None
    return string_array(texts, offsets[: count + 1].copy(), bitmap, nulls)
