"""Gecko's row tables parsed in bulk (profile_frames.rows, the scanner's row path) and frame
locations classified in bulk (formats/gecko_locations) must equal the plain JSON decoding and
the one-string-at-a-time reading they replace."""

from __future__ import annotations

import gzip
import itertools
import json
import random
from pathlib import Path

import polars as pl
import pytest

from profile_frames.formats.gecko_locations import classify_locations, parse_location
from profile_frames.rows import Rows, parse_rows
from profile_frames.scan import parse_json_chunks

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "profiles"

# every test runs with the C parser and with the numpy path
pytestmark = pytest.mark.usefixtures("number_parser")


def _typed(v):
    """A cell compared with its type kind: True == 1.0 in Python, but not in JSON."""
    return ("bool", v) if isinstance(v, bool) else ("null", None) if v is None else ("num", v)


def _columns_of(rows: list[list]) -> list[list]:
    return [list(c) for c in itertools.zip_longest(*rows)]


def _as_columns(value) -> list[list]:
    assert isinstance(value, Rows), type(value)
    return [c.to_list() for c in value.columns]


def _random_rows(rng: random.Random, n: int) -> list[list]:
    rows = []
    for _ in range(n):
        width = rng.randint(1, 8)
        row = []
        for c in range(width):
            kind = rng.random()
            if c == 1 and kind < 0.5:
                row.append(rng.random() < 0.5)
            elif kind < 0.15:
                row.append(None)
            elif kind < 0.5:
                row.append(rng.randint(-5, 10**6))
            else:
                row.append(round(rng.uniform(-1e3, 1e6), rng.randint(0, 6)))
        rows.append(row)
    return rows


@pytest.mark.parametrize("seed", range(20))
def test_parsed_rows_equal_json_decoding(seed):
    rng = random.Random(seed)
    rows = _random_rows(rng, rng.randint(1, 400))
    # booleans only in column 1, and never beside a number there
    for r in rows:
        if len(r) > 1 and not isinstance(r[1], bool):
            r[1] = None
    text = json.dumps(rows, separators=(",", ":")).encode()[1:-1]
    got = parse_rows(text)
    assert got is not None and got.length == len(rows)
    want = _columns_of(rows)
    assert [[_typed(v) for v in c] for c in _as_columns(got)] == [
        [_typed(v) for v in c] for c in want
    ]


@pytest.mark.parametrize(
    "text",
    [
        b"[01]",
        b"[1,-01]",
        b"[+1]",
        b"[.5]",
        b"[1.]",
        b"[1,nan]",
        b"[Infinity]",
        b"[0x10]",
        b"[]",
        b"[1],[]",
        b"[[1]]",
        b"[1]],[2",
        b"[1],[2",
        b"[truefalse]",
        b"[tru]",
        b"[nulll]",
        b"[1,true],[true,1]",
        b'[1,"a"]',
        b"[1,{}]",
        b"[1,,2]",
        b"[1,2,]",
    ],
)
def test_anything_but_compact_rows_of_json_numbers_is_left_to_the_json_parser(text):
    assert parse_rows(text) is None


def test_blanks_between_cells_are_read_by_the_c_parser_only(number_parser):
    text = b"[1, 2.5] ,\n[null,\t3 ]"
    got = parse_rows(text)
    if number_parser == "numpy":
        assert got is None  # the JSON parser reads it
    else:
        assert [[_typed(v) for v in c] for c in _as_columns(got)] == [
            [_typed(v) for v in c] for c in _columns_of(json.loads(b"[" + text + b"]"))
        ]


def test_rows_in_pieces_on_two_threads_equal_one_piece(monkeypatch):
    import profile_frames.rows as rows_module

    rng = random.Random(7)
    rows = [[rng.randint(0, 999), rng.random(), None if i % 5 else 1] for i in range(5000)]
    text = json.dumps(rows, separators=(",", ":")).encode()[1:-1]
    whole = _as_columns(parse_rows(text))
    monkeypatch.setattr(rows_module, "PIECE", 1000)
    assert _as_columns(parse_rows(text)) == whole


def _doc_with_rows(tail_row: str) -> bytes:
    rows = [[i, i * 0.5, None if i % 3 else 7] for i in range(300)]
    body = json.dumps(rows, separators=(",", ":"))[1:-1]
    return b'{"t":{"schema":{"a":0},"data":[' + (body + tail_row).encode() + b']},"z":[1,"x"]}'


@pytest.mark.parametrize(
    "tail_row",
    ["", ',[1,{"k":"v]]"}]', ',[2,"s"]', ",[3,[4]]", ",[1, 2]", ",[01]"],
    ids=["numbers", "object-later", "string-later", "nested-later", "blank-later", "bad-number"],
)
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "deferred"])
def test_a_rows_array_cut_by_any_read_boundary_reads_as_json_does(
    tail_row, batched, number_parser, monkeypatch
):
    """Rows that turn out not to be numbers (an object, a string, a nested array, a blank in
    the last row for the numpy path) after the scanner has carried them over chunk ends go back to the JSON path
    whole; JSON that is not valid stays an error. Small arrays are parsed in batches of their
    kind; bigger ones (all of them, when ``batched`` is off) on a parser thread while scanning
    goes on."""
    import profile_frames.scan as scan_module

    if not batched:
        monkeypatch.setattr(scan_module, "BATCH_ROWS_BELOW", 0)
    doc = _doc_with_rows(tail_row)
    try:
        want = json.loads(doc)
    except ValueError:
        want = None
    for size in [7, 64, 500, 1999, 4096, len(doc)]:
        chunks = [doc[i : i + size] for i in range(0, len(doc), size)]
        if want is None:
            with pytest.raises(ValueError):
                parse_json_chunks(chunks, name="x")
            continue
        got = parse_json_chunks(chunks, name="x")
        assert got["z"] == want["z"], size
        data = got["t"]["data"]
        rows = want["t"]["data"]
        if isinstance(data, Rows):
            assert not tail_row or (tail_row == ",[1, 2]" and number_parser == "C"), size
            assert [[_typed(v) for v in c] for c in _as_columns(data)] == [
                [_typed(v) for v in c] for c in _columns_of(rows)
            ], size
        else:
            assert data == rows, size


def _fixture_locations() -> list[str]:
    out: set[str] = set()
    for path in sorted(FIXTURES.rglob("*.json*")):
        raw = path.read_bytes()
        doc = json.loads(gzip.decompress(raw) if path.suffix == ".gz" else raw)

        def walk(p):
            if not isinstance(p, dict):
                return
            for t in p.get("threads") or []:
                if isinstance(t, dict) and isinstance(t.get("stringTable"), list):
                    out.update(s for s in t["stringTable"] if isinstance(s, str))
            for c in p.get("processes") or []:
                walk(json.loads(c) if isinstance(c, str) else c)

        walk(doc)
    return sorted(out)


TRICKY = [
    "0x7f0000973d2e",
    "0xffffffff81000000",
    "0x",
    "0xZZ",
    "0x1_0",
    "0x10000000000000000",
    "0X10",
    " 0x10",
    "malloc (in libc.so.6) + 12",
    "non-virtual thunk to f (in libxul.so)",
    "f (in a) (b.cpp:12)",
    "f (in lib (x)) + 3",
    " (in lib)",
    "(in lib)",
    "fib (blob:null/x:3:10)",
    "fib (blob:null/x:3:10)[4]",
    "f (a -> b -> https://h/c.js:1:2)",
    "https://example.com:8080/app.js:10:5",
    "resource://gre/x.mjs:7",
    "f (x:y)",
    "f (:1)",
    "a:b:1:2",
    "line\nbreak (in lib)",
    "f (url:1:2) trailing",
    "GCMajor",
    "",
    "ünïcode (in libß.so)",
]


def test_locations_classified_in_bulk_equal_one_at_a_time():
    texts = TRICKY + _fixture_locations()
    assert len(texts) > 500  # the fixtures' strings are there
    got = classify_locations(pl.Series(texts)).to_dicts()
    for text, row in zip(texts, got):
        loc = parse_location(text)
        want = {
            "name": loc.name,
            "library": loc.library,
            "is_js": loc.is_js,
            "line": loc.line,
            "column": loc.column,
            "address": loc.address if loc.address is None or loc.address < 2**64 else None,
        }
        assert row == want, text


@pytest.mark.parametrize(
    "odd", ["", "[5, 6]", "[5,true]", "[01]"], ids=["all-rows", "blank", "bool", "bad"]
)
def test_small_rows_arrays_parsed_together_read_as_json_does(odd):
    """Small rows arrays of one table kind are parsed in one batch; one of them that is not
    rows of numbers is read on its own (a blank, a boolean among numbers), and invalid JSON
    is still an error naming its array."""
    threads = []
    for i in range(5):
        rows = [[k, k * 0.25 + i] for k in range(20 + i)]
        text = json.dumps(rows, separators=(",", ":"))
        if i == 3 and odd:
            text = text[:-1] + "," + odd + "]"
        threads.append('{"samples":{"schema":{"a":0},"data":' + text + "}}")
    doc = ('{"threads":[' + ",".join(threads) + "]}").encode()
    if odd == "[01]":
        with pytest.raises(ValueError, match=r"threads\[3\]\.samples\.data"):
            parse_json_chunks([doc], name="x")
        return
    want = json.loads(doc)
    got = parse_json_chunks([doc], name="x")
    for t_got, t_want in zip(got["threads"], want["threads"]):
        data = t_got["samples"]["data"]
        rows = t_want["samples"]["data"]
        if isinstance(data, Rows):
            assert [[_typed(v) for v in c] for c in _as_columns(data)][:2] == [
                [_typed(v) for v in c] for c in _columns_of(rows)
            ]
        else:
            assert data == rows


def test_batches_filled_while_reading_give_every_array_its_rows(monkeypatch):
    """A batch parsed as soon as it filled up was overwritten by the placeholder ijson
    places one event later (a 157 MB Gecko file failed so): many small arrays, tiny batches."""
    import profile_frames.scan as scan

    monkeypatch.setattr(scan, "BATCH_BYTES", 50)
    threads = [
        '{"samples":{"schema":{"a":0},"data":'
        + json.dumps([[k, i] for k in range(5)], separators=(",", ":"))
        + "}}"
        for i in range(30)
    ]
    doc = ('{"threads":[' + ",".join(threads) + "]}").encode()
    for size in [None, 13, 101]:
        chunks = [doc] if size is None else [doc[i : i + size] for i in range(0, len(doc), size)]
        got = parse_json_chunks(chunks, name="x")
        for i, t in enumerate(got["threads"]):
            data = t["samples"]["data"]
            if size is None:
                assert isinstance(data, Rows), size
            if isinstance(data, Rows):
                assert data.columns[1].to_list() == [float(i)] * 5, size
            else:  # cut by tiny reads: rows the ordinary way (small arrays inside as Series)
                assert [list(r) for r in data] == [[k, i] for k in range(5)], size
