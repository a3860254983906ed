"""Marker payloads cut out of the JSON text without decoding them.

The model keeps each marker's payload as JSON text (``markers["data"]``), so decoding 400k
payloads into Python dicts only to encode them again was the whole cost of markers. The C
parser (:mod:`profile_frames.native`) cuts and checks them in one pass where it was built;
without it the structure of a marker ``data`` array is found with numpy (strings from their
unescaped quotes, then the brackets outside strings and their depths), each payload object
becomes one slice of the original bytes, and Arrow's JSON reader (RapidJSON, in C++) checks
that every slice is valid JSON. Two shapes:

* processed profiles: ``[{…}, null, {…}]`` → :func:`split_payloads`, a String Series;
* Gecko profiles: rows ``[[name, start, end, phase, category, {…}], …]`` with the payload
  the optional last cell → :func:`split_marker_rows`, a :class:`~profile_frames.rows.Rows`
  whose payload column is text and whose other cells are parsed as numbers.

Anything else (blanks between values on the numpy path, arrays in rows, integers of 19
digits that JavaScript would round, invalid JSON) returns None, and the caller decodes the
text as JSON.

Example
-------
>>> split_payloads(b'{"type":"Text","name":"a]"},null').to_list()
['{"type":"Text","name":"a]"}', None]
>>> rows = split_marker_rows(b'[3,1.5,null,0,1,{"type":"X"}],[4,2.5]')
>>> [c.to_list() for c in rows.columns]
[[3.0, 4.0], [1.5, 2.5], [None, None], [0.0, None], [1.0, None], ['{"type":"X"}', None]]
"""

from __future__ import annotations

import io

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.json as pa_json

from . import native
from .indexes import constant
from .rows import Rows, parse_rows, rows_of_cells
from .texts import string_array

_QUOTE, _BACKSLASH, _COMMA = ord('"'), ord("\\"), ord(",")
_OPENS = np.zeros(256, dtype=np.int8)
_OPENS[[ord("["), ord("{")]] = 1
_OPENS[[ord("]"), ord("}")]] = -1
_STRUCTURE = np.zeros(256, dtype=bool)
_STRUCTURE[[ord(c) for c in "[]{},"]] = True
_NULL = np.frombuffer(b"null", dtype=np.uint8)
_CHECK = pa_json.ParseOptions(
    explicit_schema=pa.schema([]), unexpected_field_behavior="ignore", newlines_in_values=True
)


def _unquoted(arr: np.ndarray, wanted: np.ndarray, *, backslashes: bool) -> tuple[np.ndarray, int]:
    """The positions of the ``wanted`` characters (a table of 256 flags) outside strings in
    ``arr`` (which starts outside a string), and how many unescaped quotes there are;
    ``backslashes``: whether ``arr`` has any (the caller's ``bytes.find`` is the fast test)."""
    quotes = np.flatnonzero(arr == _QUOTE)
    if len(quotes) and backslashes:
        quotes = np.setdiff1d(quotes, _escaped(arr), assume_unique=True)
    pos = np.flatnonzero(wanted[arr])
    return pos[(np.searchsorted(quotes, pos, side="right") & 1) == 0], len(quotes)


class _Structure:
    """The brackets and commas of ``text`` outside strings, with their nesting levels, and
    for each bracket the row of the one that matches it (``match``)."""

    def __init__(
        self,
        arr: np.ndarray,
        pos: np.ndarray,
        char: np.ndarray,
        depth: np.ndarray,
        match: np.ndarray,
    ):
        self.arr, self.pos, self.char, self.depth, self.match = arr, pos, char, depth, match

    @classmethod
    def of(cls, text: bytes) -> _Structure | None:
        arr = np.frombuffer(text, dtype=np.uint8)
        pos, n_quotes = _unquoted(arr, _STRUCTURE, backslashes=text.find(b"\\") >= 0)
        if n_quotes % 2:
            return None
        char = arr[pos]
        delta = _OPENS[char].astype(np.int32)
        after = np.cumsum(delta, dtype=np.int32)
        if len(after) and (after.min() < 0 or after[-1] != 0):
            return None
        # an opener's level is the depth after it, a closer's the depth before it, a comma's
        # the depth of the values it separates
        level = np.where(delta < 0, after + 1, after)
        brackets = np.flatnonzero(delta != 0)
        order = brackets[np.argsort(level[brackets], kind="stable")]
        opened, closed = order[0::2], order[1::2]
        if len(opened) != len(closed) or not (
            (delta[opened] == 1).all()
            and (delta[closed] == -1).all()
            and (char[closed] - char[opened] == 2).all()  # "[" + 2 is "]", "{" + 2 is "}"
        ):
            return None
        match = np.empty(len(pos), dtype=np.int64)
        match[opened], match[closed] = closed, opened
        return cls(arr, pos, char, level, match)

    def spans(self, opener: str, level: int) -> tuple[np.ndarray, np.ndarray]:
        """Start and end (inclusive) of the ``opener`` containers at ``level``."""
        i = np.flatnonzero((self.char == ord(opener)) & (self.depth == level))
        return self.pos[i], self.pos[self.match[i]]

    def count(self, opener: str, level: int) -> int:
        return int(((self.char == ord(opener)) & (self.depth == level)).sum())

    def commas(self, level: int) -> np.ndarray:
        return self.pos[(self.char == _COMMA) & (self.depth == level)]


_BRACKETS = _OPENS != 0


def array_end(data: bytes, start: int, depth: int = 0) -> tuple[int, int, int]:
    """Where the array whose content goes on at ``data[start]`` (outside any string, ``depth``
    containers down in it) closes: ``(end, -1, -1)`` with the position of its ``]``, or, when
    ``data`` ends first, ``(-1, resume, depth)``: the position after the last bracket outside
    strings and the depth there, from which the next piece of text is read on. The text is read
    in growing windows, so the cost follows the array, not the rest of ``data``.

    >>> array_end(b'[{"a":"]"},[1]],2', 1)
    (14, -1, -1)
    >>> array_end(b'[{"a":[1,"]', 1)[::2]
    (-1, 2)
    """
    found = native.array_end(data, start, depth)
    if found is not None:  # (the C parser reads on from the quote of the string, at 9)
        return found
    window = 1 << 16
    while True:
        stop = min(len(data), start + window)
        found = _array_end_within(data, start, stop, depth)
        if found[0] >= 0 or stop == len(data):
            return found
        window *= 4


def _array_end_within(data: bytes, start: int, stop: int, depth: int) -> tuple[int, int, int]:
    arr = np.frombuffer(data, dtype=np.uint8)[start:stop]
    pos, _ = _unquoted(arr, _BRACKETS, backslashes=bool((arr == _BACKSLASH).any()))
    after = np.cumsum(_OPENS[arr[pos]], dtype=np.int32) + depth
    closed = np.flatnonzero(after < 0)
    if len(closed):
        return start + int(pos[closed[0]]), -1, -1
    if not len(pos):
        return -1, start, depth
    return -1, start + int(pos[-1]) + 1, int(after[-1])


def _escaped(arr: np.ndarray) -> np.ndarray:
    """Positions of the characters a backslash escapes (after a run of odd length)."""
    bs = np.flatnonzero(arr == _BACKSLASH)
    new_run = np.diff(bs, prepend=-2) != 1
    starts = bs[new_run]
    lengths = np.diff(np.append(np.flatnonzero(new_run), len(bs)))
    return (starts + lengths)[lengths % 2 == 1]


def split_payloads(text: bytes) -> pl.Series | None:
    """The payloads of a processed marker ``data`` array (the text between its brackets):
    compact objects and nulls, as JSON text (null for null)."""
    if not text:
        return pl.Series("data", [], dtype=pl.String)
    if native.available():
        found = native.payloads(text)
        return None if found is None else pl.Series("data", found, dtype=pl.String)
    s = _Structure.of(text)
    if s is None or s.count("[", 1):
        return None
    starts, ends = s.spans("{", 1)
    commas = s.commas(0)
    n = len(commas) + 1
    bounds = np.concatenate(([-1], commas, [len(text)]))
    element = np.searchsorted(commas, starts)
    if (
        (starts != bounds[element] + 1).any()  # an object must be the whole element
        or (ends != bounds[element + 1] - 1).any()
        or (len(element) > 1 and (np.diff(element) == 0).any())
    ):
        return None
    is_object = np.zeros(n, dtype=bool)
    is_object[element] = True
    others = np.flatnonzero(~is_object)
    first, last = bounds[others] + 1, bounds[others + 1]
    if ((last - first) != 4).any() or not (s.arr[first[:, None] + np.arange(4)] == _NULL).all():
        return None
    texts = _texts(s.arr, starts, ends)
    if texts is None:
        return None
    return _scatter(texts, element, n)


def split_marker_rows(text: bytes) -> Rows | None:
    """The rows of a Gecko marker ``data`` array (the text between its brackets): numbers,
    then the payload object as an optional last cell, always at the same position."""
    if native.available():  # the C parser reads the objects with the numbers
        cells = native.rows(text)
        if cells is None or len(cells.texts) > 1:
            return None
        if not cells.texts:  # no payloads: a column of nulls after the numbers
            rows = rows_of_cells(cells)
            if rows is None:
                return None
            none = constant(None, rows.length, pl.String)
            return Rows(rows.length, [*rows.columns, none.alias(f"c{len(rows.columns)}")])
        (position,) = cells.texts
        has_payload = cells.states[position] == native.CELL_TEXT
        if position + 1 < len(cells.states) and cells.states[position + 1][has_payload].any():
            return None  # the payload does not end its row
        return rows_of_cells(cells)
    s = _Structure.of(text)
    if s is None or s.count("{", 1) or s.count("[", 2):
        return None
    starts, ends = s.spans("{", 2)
    row_starts, row_ends = s.spans("[", 1)
    n = len(row_starts)
    if not n:
        return None
    row = np.searchsorted(row_starts, starts, side="right") - 1
    if (
        (ends + 1 != row_ends[row]).any()  # the payload ends its row
        or (s.arr[starts - 1] != _COMMA).any()
        or (len(row) > 1 and (np.diff(row) == 0).any())
    ):
        return None
    # the numbers: the text without the payloads and the commas before them
    numbers = parse_rows(s.arr[~_covered(len(s.arr), starts - 1, ends)].tobytes())
    if numbers is None:
        return None
    # the payload's position: the number of cells before it, the same in every row
    cells_before = np.searchsorted(s.commas(1), starts) - np.searchsorted(
        s.commas(1), row_starts[row]
    )
    if len(cells_before) and (cells_before != cells_before[0]).any():
        return None
    position = int(cells_before[0]) if len(cells_before) else len(numbers.columns)
    texts = _texts(s.arr, starts, ends)
    if texts is None:
        return None
    columns = list(numbers.columns)
    while len(columns) <= position:
        columns.append(constant(None, n, pl.Float64).alias(f"c{len(columns)}"))
    if columns[position].null_count() != n:
        return None  # numbers where other rows have their payload
    columns[position] = _scatter(texts, row, n).alias(f"c{position}")
    return Rows(n, columns)


def _texts(arr: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> pl.Series | None:
    """The slices ``arr[start:end+1]`` as a String Series, if each is valid JSON and UTF-8
    and holds no integer JavaScript would round (19 digits or more)."""
    lengths = ends + 1 - starts
    data = arr[_covered(len(arr), starts, ends)]
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    texts = string_array(pa.py_buffer(data), offsets, None, 0)
    if texts is None:  # not UTF-8
        return None
    raw = data.tobytes()
    if raw.find(b"NaN") >= 0 or raw.find(b"Infinity") >= 0:
        return None  # Arrow's reader takes them; JSON has no such numbers
    ndjson = np.insert(data, offsets[1:], ord("\n"))  # one object per line
    try:
        pa_json.read_json(io.BytesIO(ndjson.tobytes()), parse_options=_CHECK)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    series = pl.Series("data", texts).cast(pl.String)
    if series.str.contains(r"(?:^|[^\d.eE+\-])-?\d{19,}(?:[^\d.eE]|$)").any():
        return None  # the JSON path reads those as JavaScript does (floats)
    return series


def _covered(n: int, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """A mask of the ``n`` bytes inside the (disjoint) spans ``[start, end]``."""
    edges = np.zeros(n + 1, dtype=np.int32)
    edges[starts] += 1
    edges[ends + 1] -= 1
    return np.cumsum(edges[:-1], dtype=np.int32) > 0  # (without dtype: int64, 9x slower)


def _scatter(values: pl.Series, at: np.ndarray, n: int) -> pl.Series:
    """A String Series of ``n`` rows holding ``values`` at rows ``at`` and null elsewhere."""
    if len(at) == n:
        return values
    index = np.full(n, -1, dtype=np.int64)
    index[at] = np.arange(len(at))
    return (
        pl.select(
            pl.when(pl.Series(index) >= 0).then(values.gather(pl.Series(np.maximum(index, 0))))
        )
        .to_series()
        .alias("data")
    )
