"""Parse a block of comma-separated JSON numbers and ``null`` (an array's content, without the
brackets) into an Arrow array, in bulk.

The C parser (:mod:`profile_frames.native`) reads a block first, where it was built; what it
declines, and every block without it, takes the numpy path below.

Compact blocks (samply writes no blanks) take the fast path: a copy of the text in a reused
buffer becomes an Arrow string array (each comma turns into a leading ``0`` of the next
element, and a ``null`` into zeros plus a validity bit) and Arrow's C++ cast parses it: 13 ns
per number against 23 for polars' CSV reader on samply's ``threadCPUDelta``. Anything else
(blanks, negative numbers, ``NaN``-like words, malformed text) goes to polars' CSV reader,
which also words the errors.

Example
-------
>>> parse_block(b"1,null,30").to_pylist()
[1, None, 30]
>>> parse_block(b"0.5, 1.25").to_pylist()
[0.5, 1.25]
"""

from __future__ import annotations

import io
import queue
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from . import native

FLOAT_SNIFF_BYTES = 1 << 16
# the worker threads of the bulk parsers (numeric arrays, rows of numbers): their work is in
# numpy, Arrow and polars, which release the GIL
PARSE_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="profile_frames-parse")
WINDOW = 1 << 20  # bytes of text searched for commas at a time (the temporaries stay small)
_COMMA, _ZERO, _N = ord(","), ord("0"), ord("n")  # "0" is "," + 4
_NULL = np.frombuffer(b"null", np.uint8)
_FOUR = np.arange(4)
_INT_TYPES = [pl.Int32, pl.Int64, pl.Float64]
_ARROW_TYPES = {
    pl.Int32: pa.int32(),
    pl.Int64: pa.int64(),
    pl.Float32: pa.float32(),
    pl.Float64: pa.float64(),
}
# The columns are allocated by the C library's malloc: Arrow's default mimalloc backs them with
# transparent huge pages here, and zeroing those on first touch took the 2 GB load from 6 s to
# 7.5-8 s (system time 2.2 s → 5-6 s) on the benchmark machine.
_COLUMN_MEMORY = pa.system_memory_pool()
_COMMA_TO_NEWLINE = bytes.maketrans(b",", b"\n")
_BLANK_INSIDE = re.compile(rb"[^\s,][ \t\r\n]+[^\s,]")  # blanks between two tokens, no comma


def looks_float(block: bytes | bytearray) -> bool:
    """Whether the block's first 64 KiB hold a fraction or an exponent (then the block is
    parsed as floats first; a float further on only costs a second parse).

    >>> looks_float(b"1,2,3"), looks_float(b"1,2.5")
    (False, True)
    """
    head = block[:FLOAT_SNIFF_BYTES]
    return head.find(b".") >= 0 or head.find(b"e") >= 0 or head.find(b"E") >= 0


class Scratch:
    """Work buffers of one parser thread, grown as needed and reused for every block: fresh
    temporary arrays of block size cost page faults (on this VM more than the arithmetic)."""

    def __init__(self) -> None:
        self._text = np.empty(0, dtype=np.uint8)
        self._offsets = np.empty(0, dtype=np.int32)
        self.mask = np.empty(WINDOW, dtype=bool)
        self.four = np.empty(WINDOW, dtype=np.uint8)

    def text(self, n: int) -> np.ndarray:
        if len(self._text) < n:
            self._text = np.empty(n, dtype=np.uint8)
        return self._text[:n]

    def offsets(self, n: int) -> np.ndarray:
        if len(self._offsets) < n:
            self._offsets = np.empty(n, dtype=np.int32)
        return self._offsets[:n]


class ScratchPool:
    """The :class:`Scratch` buffers of the parser threads of one load (one per block being
    parsed at a time); they are freed with the pool."""

    def __init__(self) -> None:
        self._free: queue.SimpleQueue[Scratch] = queue.SimpleQueue()

    @contextmanager
    def borrow(self) -> Iterator[Scratch]:
        try:
            scratch = self._free.get_nowait()
        except queue.Empty:
            scratch = Scratch()
        try:
            yield scratch
        finally:
            self._free.put(scratch)


def parse_block(
    block: bytes, *, dtype: pl.DataType | None = None, scratch: ScratchPool | None = None
) -> pa.Array:
    """Parse the block as ``dtype`` (default: Int32, else Int64, else Float64, the first that
    holds every number; Float64 at once if the block starts with a fraction); raises
    ValueError if it is not numbers and nulls separated by commas. ``scratch`` lends work
    buffers (without it they are allocated for this block). The fast path's result owns its
    memory, which stays writable (the sample converters work in it)."""
    if not block or block[:1] == b"," or block[-1:] == b",":
        raise ValueError("an empty element (two commas in a row, or a trailing comma)")
    if dtype is not None:
        types = [dtype]
    else:
        types = [pl.Float64] if looks_float(block) else _INT_TYPES
    values = native.numbers(block, types)
    if values is None and len(block) < 1 << 31:
        with (scratch or ScratchPool()).borrow() as work:
            values = _parse_compact(block, types, work)
    return values if values is not None else _parse_with_csv_reader(block, types).to_arrow()


def _parse_compact(block: bytes, types: list, work: Scratch) -> pa.Array | None:
    """The fast path; None if the text is not compact non-negative numbers and literal
    nulls."""
    if block.find(b"x") >= 0 or block.find(b"X") >= 0:
        return None  # Arrow reads a leading "0x10" as hexadecimal
    n_bytes = len(block)
    text = work.text(n_bytes)
    text[:] = np.frombuffer(block, dtype=np.uint8)
    offsets = work.offsets(n_bytes // 2 + 2)  # at most one comma in two bytes
    has_null = block.find(b"n") >= 0
    n_starts = []  # where each "n" is
    n = 0  # commas found so far
    for at in range(0, n_bytes, WINDOW):
        window = text[at : at + WINDOW]
        if has_null:
            is_n = np.equal(window, _N, out=work.mask[: len(window)])
            n_starts.append(np.flatnonzero(is_n) + at)
        is_comma = np.equal(window, _COMMA, out=work.mask[: len(window)])
        commas = np.flatnonzero(is_comma)
        if not len(commas):
            continue
        commas += at
        if (n and commas[0] - offsets[n] < 2) or (len(commas) > 1 and np.diff(commas).min() < 2):
            return None  # an empty element: the CSV reader words the error
        offsets[n + 1 : n + 1 + len(commas)] = commas
        n += len(commas)
        four = np.multiply(is_comma.view(np.uint8), 4, out=work.four[: len(window)])
        np.add(window, four, out=window)  # "," + 4 is "0": ",12" becomes "012"
    n += 1  # elements
    offsets[0], offsets[n] = 0, n_bytes
    validity, nulls = None, 0
    if has_null:
        starts = np.concatenate(n_starts)
        elements = _null_elements(text, offsets[: n + 1], starts)
        if elements is None:
            return None
        text[starts[:, None] + _FOUR] = _ZERO
        present = np.ones(n, dtype=bool)
        present[elements] = False
        validity = pa.py_buffer(np.packbits(present, bitorder="little"))
        nulls = len(elements)
    strings = pa.StringArray.from_buffers(
        n, pa.py_buffer(offsets[: n + 1]), pa.py_buffer(text), validity, nulls
    )
    for typ in types:
        try:  # the result is new memory: the work buffers are free again on return
            return pc.cast(strings, _ARROW_TYPES[typ], memory_pool=_COLUMN_MEMORY)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    return None


def _null_elements(text: np.ndarray, offsets: np.ndarray, starts: np.ndarray) -> np.ndarray | None:
    """The element numbers of the nulls, if every ``n`` (at ``starts``) begins an element that
    is exactly ``null``; ``offsets`` are the elements' bounds (the commas, with 0 and the end).
    """
    if starts[-1] + 4 > len(text) or not (text[starts[:, None] + _FOUR] == _NULL).all():
        return None
    elements = np.searchsorted(offsets[1:-1], starts)  # commas before each n
    first = offsets[elements] + (elements > 0)  # just after the comma
    end = offsets[elements + 1]
    if (first != starts).any() or (end != starts + 4).any():
        return None
    return elements


_JSON_NUMBER_BYTES = b"0123456789+-.eE, \t\r\n"


def _parse_with_csv_reader(block: bytes, types: list) -> pl.Series:
    """Any JSON number syntax and blanks, with polars' CSV reader.

    Compact arrays are read with ``,`` as the line end, straight from the bytes. Only when that
    fails and the block has blanks or newlines (a pretty-printed file) do they go, and the
    commas become newlines, before a second try. Either way an empty element is invalid JSON
    and is rejected, since the CSV reader would read it as null.
    """
    # the CSV reader also takes words (inf, NaN, Infinity) that JSON has no numbers for
    if block.replace(b"null", b"").translate(None, _JSON_NUMBER_BYTES):
        raise ValueError("not a JSON number (only digits, sign, '.', exponent and null)")
    text = block
    try:
        values = _read_csv(block, ",", types)
    except ValueError:
        if not any(block.find(ws) >= 0 for ws in (b" ", b"\n", b"\r", b"\t")):
            raise
        text = block.translate(_COMMA_TO_NEWLINE, b" \t\r\n")
        values = _read_csv(text, "\n", types)
        if _BLANK_INSIDE.search(block):  # "1 2" lost its blank and became 12
            raise ValueError("two numbers without a comma between them") from None
    # the reader takes an empty (or blank) element for null: every null must be a "null"
    if values.null_count() and text.count(b"null") != values.null_count():
        raise ValueError("an empty element (two commas in a row, or a trailing comma)")
    return values


def _read_csv(text: bytes, eol: str, types: list) -> pl.Series:
    last_error: Exception | None = None
    for typ in types:
        try:
            return pl.read_csv(
                io.BytesIO(text),
                has_header=False,
                new_columns=["v"],
                schema={"v": typ},
                null_values="null",
                quote_char=None,
                eol_char=eol,
            ).to_series()
        except pl.exceptions.PolarsError as e:
            last_error = e
    msg = str(last_error).split("\n")[0]
    raise ValueError(f"not a number: {msg}")
