"""Streaming JSON reader that cuts big numeric arrays out as raw bytes.

ijson (yajl2_c) walks the document structure, but it never sees the huge numeric columns
(``samples.stack``, ``timeDeltas``, ``stackTable.prefix`` …): the scanner finds every array whose
content is only numbers and ``null`` and is longer than ``min_capture`` bytes, hands its bytes to
:class:`NumericCollector` (parsed in bulk by :mod:`profile_frames.numbers` on two worker
threads, block by block, at most ``MAX_IN_FLIGHT`` blocks at a time, so memory stays bounded),
and feeds ijson a placeholder ``0`` in its place. :class:`TreeBuilder` turns ijson's
events into Python objects and puts the parsed polars Series where the placeholder lands (an
array whose last blocks are still being parsed gets a :class:`Deferred` there, filled once
the document is read). Gecko's rows of numbers are parsed on those threads too, each array
behind a :class:`Deferred` (:class:`PendingParse`). String tables and funcTable flags go to
Arrow whole (:func:`native.json_strings`, :func:`native.json_booleans`). A table's short
numeric columns (under 64 KB, most of a file of hundreds of threads) wait in one
:class:`ColumnBatch` per column kind and are parsed together when the document ends.

Example
-------
>>> doc = b'{"a": [' + b",".join(b"%d" % i for i in range(3000)) + b'], "b": ["x", 1]}'
>>> tree = parse_json_chunks([doc], name="<bytes>")
>>> tree["a"].dtype, len(tree["a"]), tree["b"]
(Int32, 3000, ['x', 1])
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from concurrent.futures import wait as wait_for
from dataclasses import dataclass
from typing import Any

import ijson
import polars as pl

from . import native
from .errors import ProfileFormatError
from .numbers import PARSE_POOL, ScratchPool, parse_block
from .payloads import array_end, split_marker_rows, split_payloads
from .rows import PIECE as ROWS_PIECE
from .rows import Rows, parse_rows

try:
    _backend = ijson.get_backend("yajl2_c")
except Exception as _e:  # pragma: no cover - depends on the installation
    raise ImportError(
        "profile_frames needs ijson's yajl2_c backend (the C extension of ijson); "
        "reinstall ijson from a wheel: pip install --force-reinstall ijson"
    ) from _e

MIN_CAPTURE = 4096
MAX_IN_FLIGHT = 4  # blocks handed to the parser threads and not yet collected
INLINE_BLOCK = 1 << 18  # blocks shorter than this are parsed on the scanning thread
MAX_DEPTH = 512

if sys.version_info >= (3, 11):  # possessive quantifiers: ~4x faster over string runs
    _PLAIN = re.compile(rb'(?:[^"\[]++|"[^"\\]*+(?:\\.[^"\\]*+)*+")*+', re.S)
else:  # pragma: no cover
    _PLAIN = re.compile(rb'(?:[^"\[]+|"[^"\\]*(?:\\.[^"\\]*)*")*', re.S)
_NUMERIC_START = frozenset(b"-0123456789n] \t\r\n")
_WHITESPACE = re.compile(rb"[ \t\r\n]*")
_TOKEN_CHARS = b"-+.0123456789eEtrufalsn"
_LONG_DIGITS = re.compile(rb"\d{19}")  # a cheap first check: 19 digits in a row anywhere
# strings (left alone) or integer literals too big for yajl's int64 (read as floats, like JavaScript)
_BIG_INT = re.compile(rb'"(?:[^"\\]|\\.)*"|(?<![\d.eE+\-])(-?\d{19,})(?![.eE\d])', re.S)


def _possessive(pattern: str) -> str:
    """Possessive quantifiers (3.11+) keep these patterns linear; older Pythons get plain ones."""
    if sys.version_info >= (3, 11):
        return pattern
    return pattern.replace("++", "+").replace("*+", "*")  # pragma: no cover


_STRING = r'"(?:[^"\\]++|\\.)*+"'  # a complete JSON string


def nested_body(depth: int) -> str:
    """A regex for the body of a JSON array or object whose values nest at most ``depth``
    containers deep (a mismatched bracket is left for the JSON parser to refuse)."""
    body = r'(?:[^\[\]{}"]++|' + _STRING + r")*+"
    for _ in range(depth):
        body = r'(?:[^\[\]{}"]++|' + _STRING + r"|[\[{]" + body + r"[\]}])*+"
    return _possessive(body)


# the body of a flat JSON array: scalars and complete strings, no nested array or object
_FLAT_BODY = re.compile(nested_body(0).encode(), re.S)


def json_value_pattern(depth: int) -> re.Pattern:
    """One JSON value (a string, a container up to ``depth`` deep, or a bare scalar) in text.

    >>> [m.group() for m in json_value_pattern(2).finditer('[1,{"a":[2]},"x,y",null]', 1, 23)]
    ['1', '{"a":[2]}', '"x,y"', 'null']
    """
    tail = _possessive(r'[\]}]|[^,\[\]{}"\s]++')
    return re.compile(_possessive(_STRING) + r"|[\[{]" + nested_body(depth - 1) + tail, re.S)


# rows of Gecko tables and marker payloads: ``data`` arrays decoded whole when this shallow
_NESTED_BODY = re.compile(nested_body(6).encode(), re.S)
NESTED_KEYS = frozenset(("data",))
MAX_NESTED_CARRY = 64 << 20  # a nested array longer than this is read by ijson instead
BATCH_ROWS_BELOW = 4 << 20  # rows arrays shorter than this are parsed with their kind's others
BATCH_BYTES = 32 << 20  # … in batches of about this much text
BATCH_ARRAY_BELOW = 1 << 16  # table columns shorter than this are parsed with their kind's others
SMALL_PAYLOADS = 1 << 16  # without the C parser, marker data arrays shorter than this are decoded
MAX_ROWS_TEXT = 4 << 30  # rows of numbers longer than this go the nested way
MAX_MARKERS_TEXT = 4 << 30  # a marker data array longer than this is refused


def _no_constant(word: str) -> None:
    raise ValueError(f"{word} is not JSON")


_STRICT = json.JSONDecoder(parse_constant=_no_constant)  # json.loads(…, kw) builds one per call
_BIG = 10**18  # integers of 19 digits or more are read as floats, as yajl (and JavaScript) do


def _javascript_int(digits: str) -> int | float:
    value = int(digits)
    return value if -_BIG < value < _BIG else float(digits)


# for arrays of objects with a long integer somewhere inside (a Python call per integer)
_JAVASCRIPT_INTS = json.JSONDecoder(parse_constant=_no_constant, parse_int=_javascript_int)
_CONTAINERS = {dict, list}


def loads_flat(text: bytes, *, long_digits: bool = True) -> list:
    """A JSON array decoded by the C parser, as strictly as ``JSON.parse`` (no
    ``NaN``/``Infinity``), integers of 19 digits or more read as floats at any depth, like the
    streaming path. ``long_digits=False``: the caller knows the text has no 19 digits in a row
    outside strings (:func:`profile_frames.native.flat_end`), so there is none to look for.

    >>> loads_flat(b'["a", true, null, 12345678901234567890]')
    ['a', True, None, 1.2345678901234567e+19]
    >>> loads_flat(b'[{"id": 12345678901234567890}]')
    [{'id': 1.2345678901234567e+19}]
    """
    numbers = native.number_list(text)
    if numbers is not None:
        return numbers
    raw = text.decode("utf-8", "surrogatepass")
    value = _STRICT.decode(raw)
    if not long_digits:
        return value
    types = set(map(type, value))  # gathered at C speed
    if types & _CONTAINERS:  # marker payloads: a long integer may sit at any depth
        return _JAVASCRIPT_INTS.decode(raw) if _LONG_DIGITS.search(text) else value
    if _may_hold_big_ints(value, types):
        for i in [i for i, v in enumerate(value) if type(v) is int and not -_BIG < v < _BIG]:
            value[i] = float(value[i])
    return value


def _may_hold_big_ints(value: list, types: set) -> bool:
    """False when no element of a list of scalars (whose ``types`` are given) can be an
    integer of 19 digits or more; only integers are compared, with C-level ``min``/``max``.

    >>> _may_hold_big_ints(["0x1234567890123456789", None], {str, type(None)})
    False
    >>> _may_hold_big_ints([1, 10**19], {int})
    True
    """
    if int not in types:
        return False
    if types <= _INT_OR_NONE:
        nums = value if type(None) not in types else [v for v in value if v is not None]
        return not (-_BIG < min(nums) and max(nums) < _BIG)
    return True  # ints mixed with other values: look at each (rare)


_INT_OR_NONE = {int, type(None)}


def _floatify_big_ints(piece: bytes) -> bytes:
    if not _LONG_DIGITS.search(piece):
        return piece
    return _BIG_INT.sub(lambda m: m.group(0) if m.group(1) is None else m.group(1) + b".0", piece)


class NotNumeric(Exception):
    """Internal: a captured array holds something other than numbers (e.g. booleans)."""


class Skipped:
    """Placeholder for a value the caller chose not to decode (e.g. an unselected thread)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<skipped>"


SKIPPED = Skipped()


def format_path(path: Iterable[Any]) -> str:
    """``["threads", 0, "samples"]`` → ``threads[0].samples``."""
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out or "(root)"


class NumericCollector:
    """Parses one numeric JSON array, fed as raw content pieces (without the brackets)."""

    def __init__(
        self, *, path: str, offset: int, convert: Any = None, scratch: ScratchPool | None = None
    ) -> None:
        self.path = path
        self.offset = offset
        self.scratch = scratch
        self.convert = convert  # applied to each parsed block in order (see TreeBuilder)
        self.blocks: list = []  # parsed pl.Series, or futures of them
        self.carry = b""
        self.unparsed = b""  # raw text that failed to parse as numbers (given back to ijson)
        self.raw: list[bytes] = []  # text of blocks still being parsed
        self.finished = False  # the last element was handed to the parser

    def feed(
        self, data: bytes, start: int = 0, end: int | None = None, *, last: bool = False
    ) -> None:
        """Parse the complete elements of ``data[start:end]``; raises NotNumeric if they are not
        numbers. The block handed to the parser is the only copy made of the text. ``last``:
        the array ends at ``end``, so its final element is parsed with the rest (one block,
        not a block and a one-number tail)."""
        end = len(data) if end is None else end
        cut = data.rfind(b",", start, end)
        if last and (cut < 0 or data[cut + 1 : end].strip(b" \t\r\n")):
            block = b"".join((self.carry, memoryview(data)[start:end]))
            self.carry = b""
            self.finished = True
            self._parse(block)
            return
        if cut < 0:
            self.carry += memoryview(data)[start:end]
            return
        if self.carry:
            block = b"".join((self.carry, memoryview(data)[start:cut]))
        else:
            block = bytes(memoryview(data)[start:cut])
        self.carry = bytes(memoryview(data)[cut + 1 : end])  # before parsing: a failure reads it
        self._parse(block)

    def _parse(self, block: bytes) -> None:
        """Parse one block on a worker thread (the parsers release the GIL), so scanning goes
        on; a small block is parsed here, where handing it over would cost more than it saves."""
        if len(block) < INLINE_BLOCK and not any(isinstance(b, Future) for b in self.blocks):
            dtype = getattr(self.convert, "parse_dtype", None)
            done: Future = Future()
            try:
                done.set_result(parse_block(block, dtype=dtype, scratch=self.scratch))
            except ValueError as e:
                done.set_exception(e)
            self.blocks.append(done)
            self.raw.append(block)
            self._collect(wait=False)
            return
        in_flight = [b for b in self.blocks if isinstance(b, Future)]
        if len(in_flight) >= MAX_IN_FLIGHT:  # the reader is ahead: wait, so memory stays bounded
            wait_for(in_flight[:1])
        dtype = getattr(self.convert, "parse_dtype", None)
        self.blocks.append(PARSE_POOL.submit(parse_block, block, dtype=dtype, scratch=self.scratch))
        self.raw.append(block)
        self._collect(wait=False)

    def _collect(self, *, wait: bool) -> None:
        """Turn finished block futures into arrays; raise NotNumeric at the first bad block."""
        for i, b in enumerate(self.blocks):
            if isinstance(b, Future):
                if not wait and not b.done():
                    return
                try:
                    block = b.result()
                except ValueError:
                    # blocks were cut at commas, and so was the carry after the last one (an
                    # empty carry still follows a comma, unless finish() parsed the tail)
                    parts = self.raw[i:] if self.finished else [*self.raw[i:], self.carry]
                    for f in self.blocks[i + 1 :]:
                        if isinstance(f, Future):
                            f.cancel()
                    del self.blocks[i:]
                    self.unparsed = b",".join(parts)
                    self.carry = b""
                    self.raw = []
                    raise NotNumeric from None
                self.blocks[i] = (
                    pl.Series("v", block) if self.convert is None else self.convert(block)
                )
                self.raw[i] = b""

    def finish(self) -> Any:
        """The array's value, once the last element is in; a :class:`Deferred` if blocks are
        still being parsed (the scanner reads on meanwhile)."""
        tail = self.carry
        if self.finished:
            pass
        elif tail.strip(b" \t\r\n"):
            self.carry = b""
            self.finished = True
            self._parse(tail)
        elif self.blocks:
            raise ProfileFormatError(
                "bad numeric array: trailing comma", path=self.path, offset=self.offset
            )
        if any(isinstance(b, Future) and not b.done() for b in self.blocks):
            return Deferred(self)
        return self.value()

    def value(self) -> Any:
        """The parsed array (converted, if there is a converter), waiting for its blocks;
        raises NotNumeric if one of them is not numbers."""
        self._collect(wait=True)
        if not self.blocks:
            series = pl.Series("v", [], dtype=pl.Int32)
            return series if self.convert is None else self.convert.finish(self.convert(series))
        types = {b.dtype for b in self.blocks}
        if len(types) > 1:
            target = pl.Float64 if any(t.is_float() for t in types) else pl.Int64
            self.blocks = [b.cast(target) for b in self.blocks]
        series = self.blocks[0] if len(self.blocks) == 1 else pl.concat(self.blocks, rechunk=False)
        return series if self.convert is None else self.convert.finish(series)

    def as_json_text(self) -> bytes:
        """Re-serialise what was parsed so far (used when the array turns out not to be numeric)."""
        try:
            self._collect(wait=True)
        except NotNumeric:
            pass
        parts = []
        for b in self.blocks:
            parts.extend("null" if v is None else repr(v) for v in b.to_list())
        text = ",".join(parts).encode()
        if self.unparsed:
            return text + b"," + self.unparsed if text else self.unparsed
        if self.carry:
            text = text + b"," + self.carry if text else self.carry
        elif text:
            text += b","
        return text


class Deferred:
    """Stands in the tree for a numeric array whose last blocks the parser threads still
    hold, or for rows of numbers they parse (:class:`PendingParse`), so scanning goes on
    without waiting at the array's end; the scanner puts the value in its place when the
    document is read (or sooner, to bound the blocks in flight)."""

    __slots__ = ("collector", "_value")

    def __init__(self, collector: NumericCollector | PendingParse) -> None:
        self.collector: NumericCollector | PendingParse | None = collector
        self._value: Any = None

    def resolve(self) -> Any:
        """The array's value: its numbers, or (a block was not numbers) its JSON decoding."""
        c = self.collector
        if c is None:
            return self._value
        try:
            value = c.value()
        except NotNumeric:  # e.g. booleans late in a long array: what ijson would have read
            if c.convert is not None:
                raise ProfileFormatError(
                    "expected an array of numbers (or null)", path=c.path, offset=c.offset
                ) from None
            text = b"".join((b"[", c.as_json_text(), b"]"))
            value = _decoded(text, path=lambda: c.path, offset=c.offset)
        self.collector, self._value = None, value
        return value


class PendingParse:
    """An array's text being parsed on a parser thread, for a :class:`Deferred`: rows of
    numbers, or a marker table's payloads. Its value is what ``parse`` returns, or the text's
    JSON decoding when ``parse`` declines (what the JSON path would have read)."""

    __slots__ = ("future", "text", "path", "offset")

    def __init__(
        self, text: bytes, parse: Callable[[bytes], Any], *, path: str, offset: int
    ) -> None:
        self.text, self.path, self.offset = text, path, offset
        self.future = PARSE_POOL.submit(parse, text)

    def value(self) -> Any:
        found = self.future.result()
        if found is None:
            found = _decoded(b"[" + self.text + b"]", path=lambda: self.path, offset=self.offset)
        self.text = b""
        return found


MAX_DEFERRED = 2  # arrays whose blocks may still be in flight when scanning goes on
MAX_BATCHES = 2  # batches of small rows arrays being parsed while scanning goes on


class TreeBuilder:
    """Builds Python objects from ijson basic events; numeric columns arrive as Arrow arrays.

    ``skip(path, containers)`` is asked before a captured numeric array is parsed; returning
    True stores :data:`SKIPPED` instead. ``convert(path, containers)`` may return a converter
    for the array: it is called on every parsed block in order, as blocks arrive, and its
    ``finish(series)`` gives the value stored (the array must then hold only numbers).
    ``on_object(dict)`` may return a replacement for every completed object (JSLB uses it for
    ``{"$s": N}`` slab references).
    """

    def __init__(
        self,
        *,
        skip: Callable[[list, list], bool] | None = None,
        on_object: Callable[[dict], Any] | None = None,
        convert: Callable[[list, list], Any] | None = None,
        max_depth: int = MAX_DEPTH,
    ) -> None:
        self.containers: list[Any] = []
        self.keys: list[Any] = []
        self.root: Any = None
        self.has_root = False
        self.skip = skip
        self.on_object = on_object
        self.convert = convert
        self.max_depth = max_depth
        self.pending: list[Any] = []
        self.deferred: list[tuple[Any, Any, Deferred]] = []  # (container, key, placeholder)
        self.scratch = ScratchPool()  # the parsers' work buffers, freed with the builder

    # -- position -------------------------------------------------------------------------
    def path(self, *, next_value: bool = False) -> list:
        out: list = []
        last = len(self.containers) - 1
        for i, (c, k) in enumerate(zip(self.containers, self.keys)):
            if type(c) is list:
                out.append(len(c) if (next_value and i == last) else len(c) - 1)
            else:
                out.append(k)
        return out

    # -- values ---------------------------------------------------------------------------
    def _add(self, value: Any) -> None:
        if not self.containers:
            self.root = value
            self.has_root = True
            return
        top = self.containers[-1]
        if type(top) is list:
            top.append(value)
        else:
            top[self.keys[-1]] = value

    def begin_capture(self, offset: int) -> NumericCollector | None:
        """A numeric array starts here; return a collector, or None to skip its content."""
        path = self.path(next_value=True)
        if self.skip is not None and self.skip(path, self.containers):
            return None
        convert = self.convert(path, self.containers) if self.convert is not None else None
        return NumericCollector(
            path=format_path(path), offset=offset, convert=convert, scratch=self.scratch
        )

    def captured(self, value: Any) -> None:
        """The next scalar event is the placeholder of a captured array: use ``value`` instead."""
        self.pending.append(value)

    def events(self, events: list) -> None:
        containers = self.containers
        keys = self.keys
        add = self._add
        for ev, val in events:
            if ev == "map_key":
                keys[-1] = val
            elif ev == "start_map" or ev == "start_array":
                c: Any = {} if ev == "start_map" else []
                add(c)
                containers.append(c)
                keys.append(None)
                if len(containers) > self.max_depth:
                    raise ProfileFormatError(
                        f"JSON nested deeper than {self.max_depth} levels",
                        path=format_path(self.path()),
                    )
            elif ev == "end_map":
                obj = containers.pop()
                keys.pop()
                if self.on_object is not None:
                    repl = self.on_object(obj)
                    if repl is not obj:
                        self._replace_last(repl)
            elif ev == "end_array":
                containers.pop()
                keys.pop()
            else:
                if self.pending and ev == "number":
                    val = self.pending.pop(0)
                    if type(val) is Deferred:
                        self._note_deferred(val)
                        continue
                add(val)

    def _note_deferred(self, value: Deferred) -> None:
        self._add(value)
        if not self.containers:
            self.deferred.append((None, None, value))
            return
        top = self.containers[-1]
        self.deferred.append((top, len(top) - 1 if type(top) is list else self.keys[-1], value))

    def resolve_deferred(self) -> None:
        """Put every deferred array's value in its place."""
        for container, key, value in self.deferred:
            if container is None:
                self.root = value.resolve()
            else:
                container[key] = value.resolve()
        self.deferred.clear()

    def _replace_last(self, value: Any) -> None:
        if not self.containers:
            self.root = value
            return
        top = self.containers[-1]
        if type(top) is list:
            top[-1] = value
        else:
            top[self.keys[-1]] = value


class RowBatch:
    """Small rows-of-numbers arrays of one table kind (``samples``, ``stackTable`` …) waiting
    to be parsed together; each one's place in the tree gets its own :class:`Rows` back (or
    its JSON decoding, if it is not rows of numbers after all)."""

    def __init__(self) -> None:
        self.texts: list[bytes] = []
        # each one's rows, and where it goes: container, key, path and offset
        self.places: list[tuple[int, dict, Any, str, int]] = []
        self.size = 0
        self.future: Future | None = None  # the batch being parsed

    def add(
        self, text: bytes, rows: int, container: dict, key: Any, path: str, offset: int
    ) -> None:
        self.texts.append(text)
        self.places.append((rows, container, key, path, offset))
        self.size += len(text)

    def submit(self, scratch: ScratchPool) -> None:
        """Hand the batch's text to a parser thread (:meth:`place` puts the rows in place)."""
        if self.texts and self.future is None:
            text = b",".join(self.texts)
            self.future = PARSE_POOL.submit(parse_rows, text, scratch=scratch, parallel=False)

    def place(self, scratch: ScratchPool) -> None:
        """Put each array's rows (or JSON decoding) where it goes, once the batch is parsed."""
        self.submit(scratch)
        together = self.future.result() if self.future is not None else None
        start = 0
        for text, (n, container, key, path, offset) in zip(self.texts, self.places):
            if together is not None:
                value: Any = Rows(n, [c.slice(start, n) for c in together.columns])
                start += n
            else:  # one of them is not: each on its own
                value = parse_rows(text, scratch=scratch)
                if value is None:
                    value = _decoded(b"[" + text + b"]", path=lambda p=path: p, offset=offset)
            container[key] = value
        self.texts, self.places, self.size, self.future = [], [], 0, None


class ColumnBatch:
    """Short numeric arrays of one column kind (``frameTable.address`` of every thread …)
    waiting to be parsed as one block: a file of hundreds of threads holds thousands of
    them, and a parse, a Series and a placeholder each cost more than their numbers. Each
    one's place gets its zero-copy slice of the result, or its own decoding when the block is
    not numbers throughout (then errors name the array, as when it was read alone)."""

    def __init__(self) -> None:
        self.texts: list[bytes] = []
        self.places: list[tuple[dict, Any, list, int]] = []  # container, key, path, offset
        self.size = 0

    def add(self, text: bytes, container: dict, key: Any, path: list, offset: int) -> None:
        self.texts.append(text)
        self.places.append((container, key, path, offset))
        self.size += len(text)

    def place(self, scratch: ScratchPool) -> None:
        """Parse the batch and put each array's value where it goes."""
        counts = [native.count_byte(t, b",") + 1 if t.strip(b" \t\r\n") else 0 for t in self.texts]
        whole = _numbers_of(b",".join([t for t, n in zip(self.texts, counts) if n]), scratch)
        start = 0
        for text, n, (container, key, path, offset) in zip(self.texts, counts, self.places):
            if whole is not None:
                container[key] = whole.slice(start, n)
                start += n
            elif not n:
                container[key] = []
            else:
                text = b"".join((b"[", text, b"]"))
                container[key] = _decoded(text, path=lambda p=path: format_path(p), offset=offset)
        self.texts, self.places, self.size = [], [], 0


_EXACT_IN_FLOAT = 2**53


def _numbers_of(text: bytes, scratch: ScratchPool) -> pl.Series | None:
    """``text`` (numbers and nulls between commas) as one Series, or None when it holds
    something else, integers of 19 digits (JSON arrays read them as floats, as JavaScript
    does) or, parsed as floats, integers that a float does not hold exactly (read alone,
    their array would have been integers). Both show in the values' size, so the text is
    not searched (a regex over 20k arrays took 1.3 s)."""
    try:
        values = parse_block(text, scratch=scratch) if text else None
    except ValueError:
        return None
    if values is None:
        return None
    s = pl.Series("", values)
    if s.dtype.is_numeric() and len(s) > s.null_count():
        limit = _EXACT_IN_FLOAT if s.dtype.is_float() else _BIG
        if max(-s.min(), s.max()) >= limit:
            return None
    return s


@dataclass
class _MarkersCarry:
    """A marker ``data`` array that chunk ends cut: its text so far is the first ``used``
    bytes of the scanner's marker buffer; reading goes on from ``resume`` there (outside
    strings), ``depth`` containers down; ``start`` and ``path`` say where the array is."""

    used: int
    start: int
    resume: int
    depth: int
    path: str


def _flat_rows(text: bytes) -> int:
    """How many rows ``text`` holds if it is flat rows ``[…],[…]`` (no array inside a row:
    then the first ``]]`` after it did end the array, and parsing it can wait), else 0."""
    k, closes, breaks = native.row_marks(text)
    flat = k > 0 and text[:1] == b"[" and text[-1:] == b"]" and closes == k and breaks == k - 1
    return k if flat else 0


def _decoded(text: bytes, *, path: Callable[[], str], offset: int, long_digits: bool = True) -> Any:
    """A whole JSON array decoded (:func:`loads_flat`); invalid JSON is an error naming it
    (``path()`` gives its path: formatting it for every array cost more than the decoding)."""
    try:
        return loads_flat(text, long_digits=long_digits)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise ProfileFormatError(
            f"not valid JSON ({str(e).splitlines()[0][:120]})", path=path(), offset=offset
        ) from None


_STRING_TABLES = frozenset(("stringArray", "stringTable"))  # processed, Gecko
_FLAG_COLUMNS = frozenset(("isJS", "relevantForJS"))  # funcTable: millions of booleans


class Scanner:
    """Feeds JSON text to ijson, cutting numeric arrays out for bulk parsing."""

    def __init__(self, builder: TreeBuilder, *, min_capture: int = MIN_CAPTURE) -> None:
        self.builder = builder
        self.min_capture = min_capture
        self._events = ijson.sendable_list()
        self._coro = _backend.basic_parse_coro(self._events, use_float=True)
        self.carry = b""  # unterminated string held back for the next chunk
        self.offset = 0  # document offset of the first byte of the next buffer scanned
        self.sent_end = 0  # document offset just past the last byte given to ijson
        self.collector: NumericCollector | None = None
        self.skipping = False  # inside a captured array whose content is discarded
        self.capture_start = 0
        self.flat: list[bytes] | None = None  # text so far of a flat array cut by a chunk end
        self.nested_from: int | None = None  # a nested array cut by a chunk end starts the carry
        self.no_nested_at = -1  # document offset of an array too long to decode whole
        self.rows: list[bytes] | None = None  # text so far of rows of numbers cut by chunk ends
        self.no_rows_at = -1  # document offset of an array that is not rows of numbers after all
        self.row_batches: dict[Any, RowBatch] = {}  # small rows arrays waiting, per table kind
        self.parsed_batches: list[RowBatch] = []  # full batches being parsed, oldest first
        self.column_batches: dict[Any, ColumnBatch] = {}  # short numeric arrays, per column
        self.markers: _MarkersCarry | None = None  # a marker data array cut by chunk ends
        self.marker_text = bytearray()  # its text, in one buffer reused from array to array
        self.in_flight: list[Deferred] = []  # deferred arrays, oldest first

    # -- ijson ----------------------------------------------------------------------------
    def _send(self, data: bytes | bytearray, end_offset: int) -> None:
        self.sent_end = end_offset
        if not data:
            return
        try:
            self._coro.send(_floatify_big_ints(bytes(data)))
        except (ijson.JSONError, UnicodeDecodeError, ValueError) as e:
            raise self._json_error(e) from None
        if self._events:
            self.builder.events(self._events)
            del self._events[:]

    def _json_error(self, e: Exception) -> ProfileFormatError:
        msg = str(e)
        if isinstance(e.args[0] if e.args else None, bytes):
            msg = e.args[0].decode("utf-8", "replace")
        first = msg.strip().split("\n")[0]
        if isinstance(e, UnicodeDecodeError) or "UTF8" in msg or "UTF-8" in msg:
            first = "not valid UTF-8 text: " + first
        elif "premature EOF" in msg or "Incomplete" in type(e).__name__ and not first:
            first = "unexpected end of data (truncated file?)"
        return ProfileFormatError(
            f"not valid JSON ({first})",
            path=format_path(self.builder.path()),
            offset=self.sent_end,
        )

    # -- captures -------------------------------------------------------------------------
    def _begin(self, at: int) -> None:
        self.capture_start = at
        self.collector = self.builder.begin_capture(at)
        self.skipping = self.collector is None

    def _end(self, close_offset: int) -> None:
        if self.skipping:
            value: Any = SKIPPED
        else:
            value = self.collector.finish()  # type: ignore[union-attr]
            if type(value) is Deferred:
                self._track(value)
        self.collector = None
        self.skipping = False
        self._place(value, close_offset + 1)

    def _defer(
        self, text: bytes, parse: Callable[[bytes], Any], *, offset: int, end_offset: int
    ) -> None:
        """Put a :class:`Deferred` for the array ``text`` (starting at ``offset``) in place,
        its text parsed by ``parse`` on a parser thread."""
        path = format_path(self.builder.path(next_value=True))
        deferred = Deferred(PendingParse(text, parse, path=path, offset=offset))
        self._track(deferred)
        self._place(deferred, end_offset)

    def _track(self, value: Deferred) -> None:
        """Note an array still being parsed; past :data:`MAX_DEFERRED`, the oldest is waited
        for, so the texts and blocks held stay bounded."""
        self.in_flight = [d for d in self.in_flight if d.collector is not None]
        while len(self.in_flight) >= MAX_DEFERRED:
            self.in_flight.pop(0).resolve()
        self.in_flight.append(value)

    def _place(self, value: Any, end_offset: int) -> None:
        """``value`` stands for the array that ends just before ``end_offset``: ijson reads
        a placeholder ``0`` there, and the builder puts ``value`` in its place."""
        self.builder.captured(value)
        self._send(b"0", end_offset)

    def _abandon(self, *, continues: bool = False) -> None:
        """The array we were collecting contains something that is not a number: give the
        text back to ijson (re-serialised, since the raw bytes were already parsed). When the
        array ``continues`` in the next chunk, the text after its last comma (raw bytes, maybe
        a token cut in two such as ``n|ull``) is held back to be scanned with that chunk."""
        if self.skipping:
            raise ProfileFormatError(
                "an array mixing numbers with other values in a thread not selected by threads=; "
                "load without threads= to read it",
                offset=self.capture_start,
            )
        if self.collector is not None and self.collector.convert is not None:
            raise ProfileFormatError(
                "expected an array of numbers (or null)",
                path=self.collector.path,
                offset=self.capture_start,
            )
        text = b"[" + self.collector.as_json_text()  # type: ignore[union-attr]
        self.collector = None
        if continues:
            cut = text.rfind(b",") + 1 or 1
            text, self.carry = text[:cut], text[cut:]
        self._send(text, self.offset)

    # -- main loop ------------------------------------------------------------------------
    def feed(self, chunk: bytes | bytearray) -> None:
        """Scan the next chunk of the document (kept nowhere: the caller may reuse it)."""
        data = self.carry + chunk if self.carry else chunk
        self.carry = b""
        base = self.offset
        pos = 0
        if self.nested_from is not None:  # the carry is a whole nested array so far
            self.nested_from = None
            after = self._nested(data, 0, 0, base)
            # -2: still cut (carried again, nothing to scan); -1: scan it the ordinary way
            pos = -1 if after == -2 else 0 if after == -1 else after
        elif self.rows is not None:
            pos = self._continue_rows(data, base)
        elif self.markers is not None:
            pos = self._continue_markers(data, base)
        elif self.flat is not None:
            pos = self._continue_flat(data, base)
        elif self.collector is not None or self.skipping:
            pos = self._continue_capture(data, 0, base)
        if pos >= 0:
            self._scan(data, pos, base)
        self.offset = base + len(data) - len(self.carry)

    # -- flat arrays (strings, booleans, short numeric arrays) ----------------------------
    def _flat(self, data: bytes, j: int, sent: int, base: int) -> int:
        """``data[j]`` opens an array: if it holds only scalars, decode it whole with the C
        parser (one placeholder event for ijson) and return the position after it; -2 if it
        continues in the next chunk (its text is kept); -1 if it is not flat."""
        n = len(data)
        e, long_digits = native.flat_end(data, j + 1) or (_FLAT_BODY.match(data, j + 1).end(), True)
        if e < n and data[e] == 0x5D:  # ']'
            self._send(data[sent:j], base + j)
            self._captured_flat(data[j : e + 1], base + j, long_digits=long_digits)
            return e + 1
        if e >= n or data[e] == 0x22:  # cut by the chunk's end (maybe inside a string)
            self._send(data[sent:j], base + j)
            self.capture_start = base + j
            self.flat = [data[j:e]]
            self.carry = data[e:n]
            return -2
        return -1

    def _nested(self, data: bytes, j: int, sent: int, base: int) -> int:
        """``data[j]`` opens a ``data`` array of rows or payloads: decode it whole if its
        values nest at most six deep. Returns the position after it; -2 if it continues in the
        next chunk (the text from ``[`` is carried and scanned again); -1 to read it the
        ordinary way."""
        n = len(data)
        if base + j == self.no_nested_at:
            return -1
        keys = self.builder.keys
        if len(keys) > 1 and keys[-2] == "markers":
            return self._markers_data(data, j, sent, base)
        if j + 1 < n and data[j + 1] == 0x5B and base + j != self.no_rows_at:  # '[': rows?
            after = self._rows(data, j, base)
            if after != -1:
                return after
        e = _NESTED_BODY.match(data, j + 1).end()
        if e < n and data[e] == 0x5D:
            self._send(data[sent:j], base + j)
            self._captured_flat(data[j : e + 1], base + j)
            return e + 1
        cut = e
        while cut < n and data[cut] in b"[{":  # a row the chunk's end left open?
            cut = _NESTED_BODY.match(data, cut + 1).end()
        if cut >= n or data[cut] == 0x22:  # cut by the chunk's end
            return self._carry_nested(data, j, sent, base)
        return -1

    def _carry_nested(self, data: bytes, j: int, sent: int, base: int) -> int:
        """The nested array opened at ``data[j]`` goes on in the next chunk: carry its text
        (-2), or read it the ordinary way (-1) when it is too long to carry."""
        if len(data) - j > MAX_NESTED_CARRY:
            self.no_nested_at = base + j
            return -1
        self._send(data[sent:j], base + j)
        self.nested_from = base + j
        self.carry = data[j:]
        return -2

    def _markers_data(self, data: bytes, j: int, sent: int, base: int) -> int:
        """``data[j]`` opens a marker table's ``data`` array (payloads, or Gecko rows ending
        in payloads): its end is found outside strings at any depth, then it is cut into
        payload texts (or decoded as JSON if it is not in that shape). Returns as
        :meth:`_nested` does."""
        n = len(data)
        stop = min(n, j + 1 + SMALL_PAYLOADS)
        # (the C parser finds the end at once: the regex spent 0.2 s on a Gecko file's arrays)
        e = stop if native.available() else _NESTED_BODY.match(data, j + 1, stop).end()
        if e < stop and data[e] == 0x5D:  # a short array
            self._send(data[sent:j], base + j)
            self._markers_text(memoryview(data)[j + 1 : e], base + j, base + e + 1)
            return e + 1
        end, resume, depth = array_end(data, j + 1)
        self._send(data[sent:j], base + j)
        if end >= 0:
            self._markers_text(memoryview(data)[j + 1 : end], base + j, base + end + 1)
            return end + 1
        # cut by the chunk's end: keep its text, and where to read on from
        path = format_path(self.builder.path(next_value=True))
        used = self._hold_marker_text(memoryview(data)[j + 1 :], 0)
        self.markers = _MarkersCarry(used, base + j, resume - (j + 1), depth, path)
        return -2

    def _hold_marker_text(self, piece: memoryview, at: int) -> int:
        """Copy ``piece`` to ``marker_text[at:]`` and return the length held. The buffer is
        reused from array to array: a fresh copy of every chunk, then of the joined text,
        touched new pages (the marker-heavy load: 75k page faults then, 72k now)."""
        end = at + len(piece)
        if len(self.marker_text) >= end:
            self.marker_text[at:end] = piece
        else:  # grown in place (realloc), without a zeroed temporary
            del self.marker_text[at:]
            self.marker_text += piece
        return end

    def _markers_text(self, text: bytes | memoryview, start: int, end_offset: int) -> None:
        """A whole marker ``data`` array cut into payload texts; without the C parser, short
        ones are decoded, since the numpy cutting costs more there (whatever the chunks were,
        so the payload texts do not depend on where reads cut the file)."""
        if isinstance(text, memoryview) and not (native.available() and text[:1] != b"["):
            text = bytes(text)  # (the C cutter copies processed payloads out of the buffer)
        short = len(text) < SMALL_PAYLOADS and not native.available()
        if len(text) >= INLINE_BLOCK and text[:1] == b"[" and native.available():
            # Gecko rows: cut on a parser thread (processed payloads are cut here: there, the
            # numeric columns keep both parser threads busy, and waiting for them cost more)
            self._defer(bytes(text), split_marker_rows, offset=start, end_offset=end_offset)
        elif short or not self._captured_payloads(text, end_offset):
            self._captured_flat(b"".join((b"[", text, b"]")), start)

    def _continue_markers(self, data: bytes, base: int) -> int:
        """A marker ``data`` array cut by the last chunk's end goes on in ``data``: read on
        from the last bracket outside strings; parse the array when it ends."""
        m = self.markers
        assert m is not None
        before = m.used
        if before + len(data) > MAX_MARKERS_TEXT:
            raise ProfileFormatError(
                "marker array too long", path=m.path, offset=m.start
            )  # pragma: no cover - over 4 GB of text in one array
        held = self._hold_marker_text(memoryview(data), before)
        with memoryview(self.marker_text) as buffer, buffer[:held] as text:
            end, resume, depth = array_end(text, m.resume, m.depth)
            if end < 0:
                m.used, m.resume, m.depth = held, resume, depth
                return -1
            self.markers = None
            with text[:end] as whole:
                self._markers_text(whole, m.start, base + end - before + 1)
        return end - before + 1

    # -- rows of numbers (Gecko tables) -------------------------------------------------
    def _rows(self, data: bytes, j: int, base: int) -> int:
        """``data[j]`` opens a ``data`` array whose first value is an array: if its rows hold
        only numbers, null and booleans, parse them in bulk (:mod:`profile_frames.rows`).
        Returns the position after the array; -2 if it continues in the next chunk (its text
        is kept); -1 if it is not rows of numbers (read it as nested JSON)."""
        n = len(data)
        q, objects = native.rows_end(data, j + 1, n)  # rows of scalars: the first "]]" ends it
        if objects:
            return -1
        if q < 0:
            self.rows = [bytes(memoryview(data)[j + 1 : n])]  # one copy (data may be a bytearray)
            self.capture_start = base + j
            return -2
        self.capture_start = base + j
        text = bytes(memoryview(data)[j + 1 : q + 1])  # one copy: a bytearray's slice is another
        return q + 2 if self._rows_parsed(text, base + q + 2) else -1

    def _rows_parsed(self, text: bytes, end_offset: int) -> bool:
        """Parse rows of numbers (a big array now; a small one with the others of its table
        kind, at the end or when they add up: one parse per kind, not per thread)."""
        b = self.builder
        n_rows = _flat_rows(text) if len(text) <= ROWS_PIECE else 0  # flat: "]]" was the end
        if (
            n_rows
            and len(text) < BATCH_ROWS_BELOW
            and b.containers
            and type(b.containers[-1]) is dict
        ):
            kind = b.keys[-2] if len(b.keys) > 1 else None
            batch = self.row_batches.setdefault(kind, RowBatch())
            if batch.size >= BATCH_BYTES:  # parsed meanwhile, placed at the end
                batch.submit(b.scratch)
                self.parsed_batches.append(batch)
                while len(self.parsed_batches) > MAX_BATCHES:  # memory stays bounded
                    self.parsed_batches.pop(0).place(b.scratch)
                batch = self.row_batches[kind] = RowBatch()
            path = format_path(b.path(next_value=True))
            batch.add(bytes(text), n_rows, b.containers[-1], b.keys[-1], path, self.capture_start)
            self._place(SKIPPED, end_offset)  # replaced when the batch is parsed
            return True
        if n_rows:  # parsed on a parser thread while scanning goes on
            parse = functools.partial(parse_rows, scratch=b.scratch, parallel=False)
            self._defer(bytes(text), parse, offset=self.capture_start, end_offset=end_offset)
            return True
        rows = parse_rows(text, scratch=b.scratch)  # longer: here, in pieces on both threads
        if rows is None:
            return False
        self._place(rows, end_offset)
        return True

    def _continue_rows(self, data: bytes, base: int) -> int:
        """The rows array cut by the last chunk's end goes on in ``data``: find its end; parse
        it there, or hand its text to the nested JSON path when it is not rows of numbers."""
        parts = self.rows
        assert parts is not None
        n = len(data)
        if parts[-1].endswith(b"]") and data[:1] == b"]":
            end, objects = 0, False  # the last row's "]" ended the previous chunk
        else:
            q, objects = native.rows_end(data, 0, n)
            end = -1 if q < 0 else q + 1
        size = sum(len(p) for p in parts) + (n if end < 0 else end)
        if objects or size > MAX_ROWS_TEXT:
            return self._rows_not_numbers(data)
        if end < 0:
            parts.append(bytes(data))
            return -1
        self.rows = None
        text = b"".join([*parts, memoryview(data)[:end]])
        if self._rows_parsed(text, base + end + 1):
            return end + 1
        self.rows = parts
        return self._rows_not_numbers(data)

    def _rows_not_numbers(self, data: bytes) -> int:
        """The array read so far is carried as the text of a nested array (scanned again from
        its ``[`` with the next chunk, or at :meth:`close`)."""
        parts = self.rows or []
        self.rows = None
        self.carry = b"".join([b"[", *parts, data])
        self.nested_from = self.no_rows_at = self.capture_start
        return -1

    def _continue_flat(self, data: bytes, base: int) -> int:
        assert self.flat is not None
        n = len(data)
        e = (native.flat_end(data, 0) or (_FLAT_BODY.match(data, 0).end(),))[0]
        if e < n and data[e] == 0x5D:
            self.flat.append(data[: e + 1])
            text, self.flat = b"".join(self.flat), None
            self._captured_flat(text, self.capture_start)
            return e + 1
        if e >= n or data[e] == 0x22:
            self.flat.append(data[:e])
            self.carry = data[e:n]
            return -1
        text, self.flat = b"".join(self.flat), None  # nested after all: ijson reads it
        self._send(text, base)
        return 0

    def _captured_payloads(self, text: bytes, end_offset: int) -> bool:
        """A marker table's ``data`` array: its payloads kept as JSON text, not decoded
        (:mod:`profile_frames.payloads`); False if it is not in that shape."""
        if not text:
            return False
        value = split_marker_rows(text) if text[:1] == b"[" else split_payloads(text)
        if value is None:
            return False
        self._place(value, end_offset)
        return True

    def _captured_flat(self, text: bytes, at: int, *, long_digits: bool | None = None) -> None:
        """Decode a whole flat array and put it where it was; ``long_digits``: whether 19
        digits in a row occur outside its strings (None: found out here, when the C parser
        is there to say)."""
        b = self.builder
        if b.keys and type(b.containers[-1]) is dict:
            key = b.keys[-1]
            into_arrow = (  # a string table, or funcTable flags: straight into Arrow
                native.json_strings if key in _STRING_TABLES
                else native.json_booleans if key in _FLAG_COLUMNS
                else None
            )  # fmt: skip
            found = into_arrow(text) if into_arrow is not None else None
            if found is not None:
                self._place(pl.Series("", found), at + len(text))
                return
        if long_digits is None:  # known from C only if the whole text is one flat array
            found = native.flat_end(text, 1)
            long_digits = found is None or found[0] != len(text) - 1 or found[1]

        def path() -> str:  # only for an error, before the builder moves on
            return format_path(self.builder.path(next_value=True))

        value = _decoded(text, path=path, offset=at, long_digits=long_digits)
        self._place(value, at + len(text))

    def _continue_capture(self, data: bytes, pos: int, base: int) -> int:
        """Consume array content from ``data[pos:]``; return where normal scanning resumes,
        or -1 if the whole chunk belongs to the array."""
        q = data.find(b"]", pos)
        end = len(data) if q < 0 else q
        bad = _first_of(data, pos, end)
        if bad < end:  # a string, object or array inside: not a numeric array after all
            if self.collector is not None:
                try:
                    self.collector.feed(data, pos, bad)
                except NotNumeric:
                    pass
            self._abandon()
            return bad
        if self.collector is not None:
            try:
                self.collector.feed(data, pos, end, last=q >= 0)
                if q >= 0:
                    self._end(base + q)
            except NotNumeric:
                self._abandon(continues=q < 0)
                return end
        elif q >= 0:
            self._end(base + q)
        return -1 if q < 0 else q + 1

    def _scan(self, data: bytes, pos: int, base: int) -> None:
        n = len(data)
        sent = pos
        next_close = -1
        nexts = {b'"': -1, b"[": -1, b"{": -1}  # memoised next position of each character
        plain = _PLAIN.match
        while True:
            j = plain(data, pos).end()
            if j >= n:
                break
            if data[j] == 0x22:  # '"': a string that continues in the next chunk
                self.carry = data[j:]
                n = j
                break
            k = j + 1  # data[j] is '[' outside any string
            first = _WHITESPACE.match(data, k).end()
            if first < n and data[first] not in _NUMERIC_START:
                after = -1
                if data[first] in b"[{" and self.builder.on_object is None:
                    self._send(data[sent:j], base + j)  # so the builder knows the key
                    sent = j
                    if self.builder.keys and self.builder.keys[-1] in NESTED_KEYS:
                        after = self._nested(data, j, sent, base)
                if after == -1:
                    after = self._flat(data, j, sent, base)
                if after == -2:
                    return
                if after >= 0:
                    sent = pos = after
                else:
                    pos = k
                continue
            if next_close < k:
                next_close = data.find(b"]", k)
                if next_close < 0:
                    next_close = n
            next_bad = n
            for ch, at in nexts.items():
                if at < k:
                    at = data.find(ch, k)
                    nexts[ch] = at = n if at < 0 else at
                next_bad = min(next_bad, at)
            if next_bad < next_close:  # contains a string, object or array: not numeric
                if data[first] == 0x6E and self.builder.on_object is None:  # [null, {…}]
                    self._send(data[sent:j], base + j)  # so the builder knows the key
                    sent = j
                    keys = self.builder.keys
                    if len(keys) > 1 and keys[-1] == "data" and keys[-2] == "markers":
                        after = self._markers_data(data, j, sent, base)
                        if after == -2:
                            return
                        sent = pos = after
                        continue
                pos = k
                continue
            if next_close < n and next_close - k < BATCH_ARRAY_BELOW:
                self._send(data[sent:j], base + j)  # so the builder knows the key
                sent = j
                if self._batched(data, j, next_close, base):
                    sent = pos = next_close + 1
                    continue
            if next_close < n and next_close - k < self.min_capture:  # small: parse it whole
                self._send(data[sent:j], base + j)
                self._captured_flat(data[j : next_close + 1], base + j)
                sent = pos = next_close + 1
                continue
            self._send(data[sent:j], base + j)
            self._begin(base + j)
            try:
                if self.collector is not None:
                    self.collector.feed(data, k, next_close, last=next_close < n)
                if next_close == n:  # the array continues in the next chunk
                    return
                self._end(base + next_close)
            except NotNumeric:  # e.g. booleans: let ijson read it
                self._abandon(continues=next_close == n)
                sent = pos = next_close
                if next_close == n:
                    return
                continue
            sent = pos = next_close + 1
        if not self.carry and n > sent:
            # keep a number or literal cut by the chunk boundary whole for the next chunk
            cut = len(data[sent:n].rstrip(_TOKEN_CHARS)) + sent
            if cut < n:
                self.carry = data[cut:n]
                n = cut
        self._send(data[sent:n], base + n)

    def _batched(self, data: bytes, j: int, close: int, base: int) -> bool:
        """The short numeric array ``data[j : close + 1]``, a table's column, waits in its
        column's :class:`ColumnBatch` (or is skipped, for an unselected thread); False if it
        is not a table's column (or its key is read another way)."""
        b = self.builder
        keys = b.keys
        if (
            b.on_object is not None
            or len(keys) < 2
            or type(b.containers[-1]) is not dict
            or keys[-1] in _STRING_TABLES
            or keys[-1] in _FLAG_COLUMNS
        ):
            return False
        path = b.path(next_value=True)
        if b.skip is not None and b.skip(path, b.containers):
            self._place(SKIPPED, base + close + 1)
            return True
        batch = self.column_batches.get((keys[-2], keys[-1]))
        if batch is None:
            batch = self.column_batches[keys[-2], keys[-1]] = ColumnBatch()
        elif batch.size >= BATCH_BYTES:
            batch.place(b.scratch)
        batch.add(bytes(data[j + 1 : close]), b.containers[-1], keys[-1], path, base + j)
        self._place(SKIPPED, base + close + 1)  # replaced when the batch is parsed
        return True

    def close(self) -> None:
        if self.flat is not None or self.rows is not None or self.markers is not None:
            raise ProfileFormatError(
                "unexpected end of data inside an array (truncated file?)",
                path=format_path(self.builder.path(next_value=True)),
                offset=self.capture_start,
            )
        if self.collector is not None or self.skipping:
            raise ProfileFormatError(
                "unexpected end of data inside a numeric array (truncated file?)",
                path=self.collector.path if self.collector else None,
                offset=self.capture_start,
            )
        if self.nested_from is not None:  # a nested array carried whole: scan it now
            self.feed(b"")
        if self.carry:
            carry, self.carry = self.carry, b""
            self._send(carry, self.offset + len(carry))
            self.offset += len(carry)
        try:
            self._coro.close()
        except (ijson.JSONError, UnicodeDecodeError, ValueError) as e:
            err = self._json_error(e)
            raise ProfileFormatError(
                "unexpected end of data (truncated or empty file?)"
                if "premature EOF" in str(e) or not str(e).strip()
                else err.message,
                path=err.path,
                offset=self.sent_end,
            ) from None
        if self._events:
            self.builder.events(self._events)
            del self._events[:]
        for batch in self.row_batches.values():
            batch.submit(self.builder.scratch)
        for column in self.column_batches.values():
            column.place(self.builder.scratch)
        self.column_batches.clear()
        for batch in [*self.parsed_batches, *self.row_batches.values()]:
            batch.place(self.builder.scratch)
        self.row_batches.clear()
        self.parsed_batches.clear()
        self.builder.resolve_deferred()
        self.in_flight.clear()
        if not self.builder.has_root:
            raise ProfileFormatError("empty document", offset=self.offset)


def _first_of(data: bytes, start: int, end: int) -> int:
    """Position of the first ``"``, ``[`` or ``{`` in ``data[start:end]``, or ``end``."""
    best = end
    for ch in (b'"', b"[", b"{"):
        p = data.find(ch, start, best)
        if p >= 0:
            best = p
    return best


def parse_json_chunks(
    chunks: Iterable[bytes],
    *,
    name: str,
    skip: Callable[[list, list], bool] | None = None,
    on_object: Callable[[dict], Any] | None = None,
    convert: Callable[[list, list], Any] | None = None,
    min_capture: int = MIN_CAPTURE,
) -> Any:
    """Parse a JSON document given as byte chunks; big numeric arrays become Arrow arrays
    (``skip`` and ``convert``: see :class:`TreeBuilder`)."""
    builder = TreeBuilder(skip=skip, on_object=on_object, convert=convert)
    scanner = Scanner(builder, min_capture=min_capture)
    try:
        for chunk in chunks:
            scanner.feed(chunk)
        scanner.close()
    except ProfileFormatError as e:
        raise e.located(source=name) from None
    except RecursionError:
        raise ProfileFormatError("JSON nested too deeply", source=name) from None
    return builder.root
