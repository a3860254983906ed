"""Parse the text of a JSON array of short rows of numbers (Gecko's ``{schema, data}`` tables)
into one column per position, in bulk.

Gecko profiles store samples, stacks and frames row by row: ``[[124,50.869,0.045],[220,51.8],
…]`` with trailing nulls left out. Decoding that with a JSON parser makes a Python list per
row and a Python number per cell (3M samples × 4 cells in a 157 MB Firefox profile). The C
parser (:mod:`profile_frames.native`) reads the rows in one pass where it was built (blanks
too); otherwise, or where it declines, the brackets are found with numpy, the cells become one
flat comma-separated block that :func:`profile_frames.numbers.parse_block` parses in C++, and
each cell goes to its column by its position in its row. Every number is read as a double,
as ``JSON.parse`` reads it.

Only compact rows of numbers, ``null``, ``true`` and ``false`` take the numpy path; anything else
(blanks, strings, objects, nested arrays, empty rows, numbers JSON does not allow) returns
None and the caller decodes the text as JSON, which words the errors.

Example
-------
>>> rows = parse_rows(b"[1,2.5,null],[3,4],[5,6,true]")
>>> rows.length, [c.to_list() for c in rows.columns]
(3, [[1.0, 3.0, 5.0], [2.5, 4.0, 6.0], [None, None, True]])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

from . import native
from .indexes import constant
from .numbers import PARSE_POOL, ScratchPool, parse_block

_OPEN, _CLOSE, _COMMA = ord("["), ord("]"), ord(",")
_DIGITS = np.zeros(256, dtype=bool)
_DIGITS[ord("0") : ord("9") + 1] = True
_NUMBER_BYTES = b"0123456789+-.eE,"
PIECE = 32 << 20  # rows are parsed in pieces of about this many bytes, on the parser threads


@dataclass(frozen=True)
class Rows:
    """A parsed array of rows: ``columns[i]`` holds every row's cell ``i`` (null where a row
    is shorter), Float64, or Boolean where every cell present is ``true``/``false``."""

    length: int
    columns: list[pl.Series]

    def __len__(self) -> int:
        return self.length


def parse_rows(
    text: bytes, *, scratch: ScratchPool | None = None, parallel: bool = True
) -> Rows | None:
    """The rows in ``text`` (the content of the outer array, without its brackets), or None
    when the text is anything but compact rows of JSON numbers, null and booleans.
    ``parallel``: pieces of a long text on the parser threads (False on one of them)."""
    if not text or text.find(b'"') >= 0 or text.find(b"{") >= 0:
        return None
    pieces = _pieces(text)
    scratch = scratch or ScratchPool()
    if len(pieces) == 1 or not parallel:
        parts = [_parse_piece(piece, scratch) for piece in pieces]
    else:
        parts = list(PARSE_POOL.map(lambda p: _parse_piece(p, scratch), pieces))
    if any(p is None for p in parts):
        return None
    return _concat(parts)  # type: ignore[arg-type]


def _pieces(text: bytes) -> list[bytes]:
    """``text`` cut between rows into pieces of about :data:`PIECE` bytes."""
    out = []
    start = 0
    while len(text) - start > PIECE:
        cut = text.find(b"],[", start + PIECE)
        if cut < 0:
            break
        out.append(text[start : cut + 1])
        start = cut + 2
    out.append(text[start:] if start else text)
    return out


def _parse_piece(text: bytes, scratch: ScratchPool) -> Rows | None:
    cells = native.rows(text)
    if cells is not None:
        return rows_of_cells(cells)
    arr = np.frombuffer(text, dtype=np.uint8)
    opens = np.flatnonzero(arr == _OPEN)
    closes = np.flatnonzero(arr == _CLOSE)
    n_rows = len(opens)
    if (
        n_rows == 0
        or len(closes) != n_rows
        or opens[0] != 0
        or closes[-1] != len(arr) - 1
        or (closes - opens < 2).any()  # an empty row (or a close before its open)
        or (opens[1:] != closes[:-1] + 2).any()
        or (arr[closes[:-1] + 1] != _COMMA).any()
    ):
        return None
    # letters only from null, true and false (their e's go with the number bytes)
    words = text.translate(None, _NUMBER_BYTES + b"[]")
    if words and words.replace(b"null", b"").replace(b"tru", b"").replace(b"fals", b""):
        return None
    flat = text.translate(None, b"[]")  # the rows' cells, comma-separated
    cells = np.frombuffer(flat, dtype=np.uint8)
    commas = np.flatnonzero(cells == _COMMA)
    if not _strict_numbers(cells, commas):
        return None
    # in `flat`, the comma before row i's first cell is where its "[" was, less 2i + 1
    row_commas = opens[1:] - 1 - 2 * np.arange(1, n_rows)
    n_cells = len(commas) + 1
    first_cell = np.zeros(n_rows, dtype=np.int64)
    first_cell[1:] = np.searchsorted(commas, row_commas) + 1
    counts = np.diff(np.append(first_cell, n_cells))
    width = int(counts.max())
    if not native.grid_fits(n_rows, width, len(text)):
        return None
    booleans = None
    if words.find(b"t") >= 0 or words.find(b"f") >= 0:
        booleans = _boolean_cells(cells, commas)
        if booleans is None:
            return None
        flat = flat.replace(b"true", b"1").replace(b"false", b"0")
    try:
        values = parse_block(flat, dtype=pl.Float64, scratch=scratch)
    except ValueError:
        return None
    numbers = values.to_numpy(zero_copy_only=False)
    valid = np.asarray(values.is_valid()) if values.null_count else None
    if counts.min() == width:  # rows of one width: the cells are a matrix already
        grid, present = numbers.reshape(n_rows, width), None
        if valid is not None:
            present = valid.reshape(n_rows, width)
        flags = booleans.reshape(n_rows, width) if booleans is not None else None
    else:  # short rows: each cell to its (row, position) slot of a matrix
        slot = np.arange(n_cells) + np.repeat(np.arange(n_rows) * width - first_cell, counts)
        grid = np.zeros(n_rows * width)
        grid[slot] = numbers
        present = np.zeros(n_rows * width, dtype=bool)
        present[slot] = True if valid is None else valid
        grid, present = grid.reshape(n_rows, width), present.reshape(n_rows, width)
        flags = None
        if booleans is not None:
            flags = np.zeros(n_rows * width, dtype=bool)
            flags[slot] = booleans
            flags = flags.reshape(n_rows, width)
    columns = []
    for c in range(width):
        values_c = np.ascontiguousarray(grid[:, c])
        present_c = None if present is None else present[:, c]
        if flags is not None and flags[:, c].any():
            kept = flags[:, c] if present_c is None else flags[:, c][present_c]
            if not kept.all():
                return None  # booleans and numbers in one column: the JSON path words it
            series = pl.Series(f"c{c}", values_c != 0.0, dtype=pl.Boolean)
        else:
            series = pl.Series(f"c{c}", values_c, dtype=pl.Float64)
        if present_c is not None and not present_c.all():
            series = pl.select(pl.when(pl.Series(present_c)).then(series)).to_series()
        columns.append(series.alias(f"c{c}"))
    return Rows(n_rows, columns)


def rows_of_cells(cells: native.Cells) -> Rows | None:
    """The columns of rows the C parser read; None for a column that mixes kinds of value
    (booleans and numbers, objects and either): the JSON path words it."""
    width, n_rows = cells.values.shape
    columns = []
    for c in range(width):
        state = cells.states[c]
        flags = (state == native.CELL_TRUE) | (state == native.CELL_FALSE)
        present = flags | (state == native.CELL_NUMBER)
        if c in cells.texts:
            if present.any():
                return None
            columns.append(pl.Series(f"c{c}", cells.texts[c]))
            continue
        values = pa.py_buffer(cells.values[c])
        arrow_type = pa.float64()
        if flags.any():
            if not flags[present].all():
                return None
            values = pa.py_buffer(np.packbits(state == native.CELL_TRUE, bitorder="little"))
            arrow_type = pa.bool_()
        nulls = n_rows - int(np.count_nonzero(present))
        validity = pa.py_buffer(np.packbits(present, bitorder="little")) if nulls else None
        array = pa.Array.from_buffers(arrow_type, n_rows, [validity, values], null_count=nulls)
        columns.append(pl.Series(f"c{c}", array))
    return Rows(n_rows, columns)


def _strict_numbers(cells: np.ndarray, commas: np.ndarray) -> bool:
    """What Arrow's number parser accepts and JSON does not: ``+1``, ``01``, ``.5``, ``5.``."""
    n = len(cells)
    plus = np.flatnonzero(cells == ord("+"))
    if len(plus) and (plus[0] == 0 or not np.isin(cells[plus - 1], (ord("e"), ord("E"))).all()):
        return False
    dots = np.flatnonzero(cells == ord("."))
    if len(dots) and (
        dots[0] == 0
        or dots[-1] == n - 1
        or not _DIGITS[cells[dots - 1]].all()
        or not _DIGITS[cells[dots + 1]].all()
    ):
        return False
    # a leading zero followed by a digit: at a cell's start, or after its minus sign
    minus = np.flatnonzero(cells == ord("-"))
    for starts in (commas + 1, minus + 1, np.zeros(1, dtype=np.int64)):
        zeros = starts[cells[np.minimum(starts, n - 1)] == ord("0")]
        zeros = zeros[zeros < n - 1]
        if len(zeros) and _DIGITS[cells[zeros + 1]].any():
            return False
    return True


def _boolean_cells(cells: np.ndarray, commas: np.ndarray) -> np.ndarray | None:
    """Which cells are ``true``/``false``; None if a ``t`` or ``f`` is not a whole cell
    that is exactly one of those words."""
    starts = np.flatnonzero((cells == ord("t")) | (cells == ord("f")))
    cell = np.searchsorted(commas, starts)  # the commas before each
    ends = np.append(commas, len(cells))[cell]
    begins = np.append(0, commas + 1)[cell]
    is_true = cells[starts] == ord("t")
    if (begins != starts).any() or (ends - starts != np.where(is_true, 4, 5)).any():
        return None
    out = np.zeros(len(commas) + 1, dtype=bool)
    out[cell] = True
    return out


def _concat(parts: list[Rows]) -> Rows | None:
    width = max(len(p.columns) for p in parts)
    columns = []
    for c in range(width):
        pieces = [
            p.columns[c]
            if c < len(p.columns)
            else constant(None, p.length, pl.Float64).alias(f"c{c}")
            for p in parts
        ]
        dtypes = {s.dtype for s in pieces if s.null_count() < len(s)}
        if len(dtypes) > 1:
            return None  # booleans in one piece, numbers in another
        target = dtypes.pop() if dtypes else pl.Float64
        columns.append(pl.concat([s.cast(target) for s in pieces]))
    return Rows(sum(p.length for p in parts), columns)
