"""The C number parser (profile_frames/_json_numbers.c through profile_frames.native) against
Python's own reading of each token: the same dtype, bit-identical doubles (correct rounding
of 17-digit floats, exponents at the ends of the range, -0), JSON's grammar and nothing more."""

from __future__ import annotations

import json
import random
import re
import struct

import polars as pl
import pytest

from profile_frames import native, numbers
from profile_frames.rows import parse_rows

pytestmark = pytest.mark.skipif(
    not native.available(), reason="the C extension was not built (no C compiler when installed)"
)
TYPES = [pl.Int32, pl.Int64, pl.Float64]


def _token(rng: random.Random, kind: str) -> str:
    if kind == "int":
        return str(rng.choice([rng.randint(0, 999), rng.randint(-(2**31), 2**31 - 1)]))
    if kind == "big int":
        return str(rng.choice([2**31, -(2**31) - 1, 2**53 + 1, 2**63 - 1, -(2**63), 2**64 + 7]))
    if kind == "short float":
        return f"{rng.uniform(-1e6, 1e6):.{rng.randint(0, 6)}f}"
    if kind == "repr float":  # 17 significant digits: beyond the exact fast path
        return repr(rng.uniform(0, 1e5))
    if kind == "exponent":
        return rng.choice(
            ["1e23", "1E-300", "5e-324", "1.7976931348623157e308", "2.5e+22", "-0.0", "-0",
             "0e5", "123456789012345678901234567890", "0.000001234", "1e400", "9.999e-5"]
        )  # fmt: skip
    return "null"


RARE = {"big int", "repr float", "exponent"}  # one in 20 of the common ones: they fit the room


def _block(rng: random.Random, kinds: list[str], n: int) -> tuple[bytes, list[str]]:
    weights = [1 if k in RARE else 20 for k in kinds]
    tokens = [_token(rng, k) for k in rng.choices(kinds, weights, k=n)]
    blanks = ["", "", " ", "\n  "]
    text = ",".join(rng.choice(blanks) + t + rng.choice(blanks) for t in tokens)
    return text.encode(), tokens


def _python_reading(tokens: list[str]) -> tuple[pl.DataType, list]:
    """What parse_block must give: Int32, else Int64, else Float64 (of every token)."""
    present = [t for t in tokens if t != "null"]
    if all("." not in t and "e" not in t.lower() for t in present):
        ints = [int(t) for t in present]
        for dtype, bits in ((pl.Int32, 31), (pl.Int64, 63)):
            if all(-(2**bits) <= v < 2**bits for v in ints):
                return dtype, [None if t == "null" else int(t) for t in tokens]
    return pl.Float64, [None if t == "null" else float(t) for t in tokens]


def _bits(values: list) -> list:
    return [None if v is None else struct.pack("<d", v) for v in values]


@pytest.mark.parametrize(
    "kinds",
    [
        ["int"],
        ["int", "null"],
        ["int", "big int"],
        ["short float", "null"],
        ["short float", "exponent", "int"],
        ["short float", "repr float"],  # a few hard floats among many exact ones
    ],
    ids=lambda k: "+".join(k),
)
@pytest.mark.parametrize("seed", range(8))
def test_c_parser_reads_every_token_as_python_does(kinds, seed):
    rng = random.Random(seed)
    block, tokens = _block(rng, kinds, rng.randint(1, 3000))
    dtype, want = _python_reading(tokens)
    got = native.numbers(block, TYPES)
    assert got is not None
    series = pl.Series("v", got)
    assert series.dtype == dtype
    values = series.to_list()
    if dtype == pl.Float64:
        assert _bits(values) == _bits(want)
    else:
        assert values == want
    # and the whole entry point agrees (types sniffed, the C parser first)
    assert pl.Series("v", numbers.parse_block(block)).to_list() == values


def test_blocks_of_hard_floats_are_left_to_arrow_and_parse_the_same():
    rng = random.Random(3)
    tokens = [repr(rng.random() * 1e4) for _ in range(5000)]
    block = ",".join(tokens).encode()
    assert native.numbers(block, [pl.Float64]) is None  # more than one in 16 is hard
    got = numbers.parse_block(block).to_pylist()
    assert _bits(got) == _bits([float(t) for t in tokens])


@pytest.mark.parametrize(
    "token",
    ["01", "-01", "+1", ".5", "1.", "1e", "1e+", "--1", "-", "nan", "0x10", "1 2", "nul",
     "nulll", "1..2", "1e5e5", "١"],
)  # fmt: skip
def test_what_json_does_not_allow_is_not_read(token):
    with pytest.raises(ValueError):
        json.loads(f"[{token}]")
    test_words_that_are_not_json_numbers_are_not_read(token)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "true", "false", '"1"'])
def test_words_that_are_not_json_numbers_are_not_read(token):
    for block in (token, f"1,{token}", f"{token},2"):
        assert native.numbers(block.encode(), TYPES) is None, block


@pytest.mark.parametrize("block", [b"", b" ", b"1,", b",1", b"1,,2", b"1, ,2"])
def test_empty_elements_are_not_read(block):
    assert native.numbers(block, TYPES) is None


def test_ints_wider_than_asked_are_not_read_as_that_type():
    assert native.numbers(b"1,2147483648", [pl.Int32]) is None
    assert native.numbers(b"1,2.5", [pl.Int64]) is None
    assert native.numbers(b"1,2147483648", TYPES).type == "int64"
    assert native.numbers(b"1,9223372036854775808", TYPES).to_pylist() == [1.0, 2.0**63]


def _hard_rows(rng: random.Random, n: int) -> list[list]:
    rows = []
    for _ in range(n):
        row = [rng.randint(0, 10**6), rng.uniform(0, 1e5)]  # a 17-digit float in cell 1
        if rng.random() < 0.5:
            row.append(rng.choice([None, 1e-300, -0.0, 2.5e22]))
        rows.append(row)
    return rows


@pytest.mark.parametrize("seed", range(5))
def test_c_rows_equal_json_decoding_bit_for_bit(seed):
    rng = random.Random(seed)
    rows = _hard_rows(rng, 20) + [[1, 2.5]] * 2000  # the hard floats fit the room for them
    text = json.dumps(rows).encode()[1:-1]  # with blanks after the commas
    cells = native.rows(text)
    assert cells is not None
    got = parse_rows(text)
    want = [[None if v is None else float(v) for v in r] + [None] * (3 - len(r)) for r in rows]
    for c, column in enumerate(got.columns):
        assert _bits(column.to_list()) == _bits([r[c] for r in want])


@pytest.mark.parametrize(
    "text",
    [b"[01]", b"[1,+1]", b"[]", b"[1],[]", b"[[1]]", b"[1],[2", b"[1] [2]", b"[truefalse]",
     b"[tru]", b"[1,,2]", b"[1,2,]", b"[1]]", b"1,2", b"[1],"],
)  # fmt: skip
def test_c_rows_read_only_rows_of_json_values(text):
    assert native.rows(text) is None


def test_the_environment_variable_turns_the_c_parser_off():
    import subprocess
    import sys

    code = "from profile_frames import native; print(native.available())"
    env = {"PROFILE_FRAMES_PURE_PYTHON": "1", "PATH": ""}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_a_shorter_rows_missing_cells_hold_zero_under_their_null():
    cells = native.rows(b"[1],[2,3]")
    assert cells.values[1].tolist() == [0.0, 3.0]
    assert cells.states[1].tolist() == [0, native.CELL_NUMBER]


@pytest.mark.parametrize(
    "payload",
    [b'{"a":1,}', b'{"a"}', b"{a:1}", b'{"a":[1,]}', b'{"a":"\x01"}', b'{"a":"\\x"}',
     b'{"a":"\\u12"}', b'{"a":1', b'{"a":tru}', b'{"a":1}x', b'{"a":[' * 70 + b"]" * 70 + b"}",
     b'{"a":12345678901234567890}', b'{"a":"\xff"}'],
)  # fmt: skip
def test_payloads_that_are_not_json_or_that_javascript_rounds_are_left_to_the_json_path(payload):
    assert native.payloads(payload + b",null") is None
    assert native.rows(b"[1,2," + payload + b"]") is None


def test_payload_texts_are_the_objects_as_written():
    objects = [b'{ "a" : [1, {"b": "\\u00e9\\"]"}], "c":null }', b"{}", b'{"\xc3\xbc":-0.5e-3}']
    got = native.payloads(b" ,\n".join([objects[0], b"null", *objects[1:]]))
    assert got.to_pylist() == [objects[0].decode(), None, "{}", objects[2].decode()]


def test_flat_end_stops_where_the_flat_body_pattern_does():
    from profile_frames.scan import _FLAT_BODY

    rng = random.Random(5)
    pieces = ['"a]"', '"\\""', '"\\\\"', "12", "1234567890123456789", '"1234567890123456789"',
              ",", " ", "null", "[", "]", "{", "}", '"cut', '"esc\\', "0.1234567890123456789"]  # fmt: skip
    for _ in range(3000):
        text = "".join(rng.choices(pieces, k=rng.randint(0, 8))).encode()
        start = rng.randint(0, len(text))
        end, long_digits = native.flat_end(text, start)
        assert end == _FLAT_BODY.match(text, start).end(), (text, start)
        outside = re.sub(rb'"(?:[^"\\]|\\.)*"', b'""', text[start:end])
        assert long_digits == bool(re.search(rb"\d{19}", outside)), (text, start)


def test_array_end_finds_what_the_numpy_search_finds(monkeypatch):
    from profile_frames import payloads

    rng = random.Random(9)
    # strings whole (a backslash outside one is not JSON, and the two searches differ there);
    # the cuts fall inside strings too
    pieces = ['"a]"', '"\\"]"', '"\\\\"', "1", ",", "[", "]", "{", "}", '"x{"', " "]
    for _ in range(3000):
        text = ("[" + "".join(rng.choices(pieces, k=rng.randint(0, 10)))).encode()
        cut = rng.randint(1, len(text))
        c_end, c_resume, c_depth = native.array_end(text[:cut], 1, 0)
        with monkeypatch.context() as m:
            m.setattr(native, "_json_numbers", None)
            end, _, depth = payloads.array_end(text[:cut], 1, 0)
            whole = payloads.array_end(text, 1, 0)[0]
        assert (c_end, c_depth) == (end, depth), text[:cut]
        if c_end < 0:  # reading on from the resume point finds the end the whole text has
            on = native.array_end(text[c_resume:], 0, c_depth)[0]
            assert (on + c_resume if on >= 0 else -1) == whole, text


def _digits(rng: random.Random, n: int, *, lead: bool) -> str:
    first = str(rng.randint(1, 9)) if lead else str(rng.randint(0, 9))
    return first + "".join(str(rng.randint(0, 9)) for _ in range(n - 1))


@pytest.mark.parametrize("fraction", [False, True])
def test_every_length_of_integer_and_fraction_digits_near_and_far_from_the_end(fraction):
    """The eight-digits-at-a-time paths: 1 to 21 digits before the point and after it, the
    15-digit exact limit, a zero before the point, and the last bytes of the block."""
    rng = random.Random(11)
    tokens = []
    for a in range(1, 22):
        for b in range(1, 22) if fraction else [0]:
            for _ in range(3):
                whole = "0" if rng.random() < 0.2 else _digits(rng, a, lead=True)
                tokens.append(whole + ("." + _digits(rng, b, lead=False) if b else ""))
    for tail in range(1, 20):  # the block's end falls inside or right after the last token
        block = ",".join(tokens[-tail:] + tokens[:tail]).encode()
        dtype, want = _python_reading(tokens[-tail:] + tokens[:tail])
        got = native.numbers(block, TYPES)
        if got is None:  # too many hard floats for the room: the numpy path's business
            assert fraction
            continue
        assert pl.Series(got).dtype == dtype
        values = got.to_pylist()
        assert (_bits(values) == _bits(want)) if dtype == pl.Float64 else (values == want)
    # and every token alone, as the whole block and followed by others
    for t in tokens:
        for block in (t, t + ",1", "1," + t):
            dtype, want = _python_reading(block.split(","))
            got = native.numbers(block.encode(), TYPES)
            assert got is not None
            values = got.to_pylist()
            assert (_bits(values) == _bits(want)) if dtype == pl.Float64 else (values == want)


@pytest.mark.parametrize("token", ["00", "012", "00.5", "01.5", "0012345678,"])
def test_leading_zeros_are_refused_on_the_fast_path_too(token):
    assert native.numbers((token + ",1234567890" * 3).encode(), TYPES) is None
    assert native.numbers(("1234567890," * 3 + token).encode(), TYPES) is None


@pytest.mark.parametrize("seed", range(4))
def test_number_lists_are_what_the_json_module_reads(seed):
    from profile_frames.scan import loads_flat

    rng = random.Random(seed)
    for _ in range(300):
        kinds = rng.sample(["int", "short float", "null", "big int", "exponent"], 3)
        _, tokens = _block(rng, kinds, rng.randint(0, 30))
        text = ("[" + ", ".join(tokens) + "]").encode()
        got = native.number_list(text)
        with pytest.MonkeyPatch.context() as m:
            m.setattr(native, "_json_numbers", None)
            want = loads_flat(text)  # the json module, long integers as floats
        if got is None:  # declined: a number beyond the exact path
            assert any(k in kinds for k in ("big int", "exponent")), text
            continue
        assert [type(v) for v in got] == [type(v) for v in want], text
        assert _bits([None if v is None else float(v) for v in got]) == _bits(
            [None if v is None else float(v) for v in want]
        )


@pytest.mark.parametrize("text", [b"[1,true]", b'[1,"a"]', b"[1,]", b"[,1]", b"[1] x", b"[1", b"1"])
def test_number_lists_decline_what_is_not_a_closed_array_of_numbers(text):
    assert native.number_list(text) is None


@pytest.mark.parametrize("seed", range(3))
def test_row_marks_are_what_bytes_count_counts(seed):
    """'[', ']' and '],[' counted eight positions at a time: every length around the word
    and the tail, breaks across words, and bytes that differ from the patterns by the high
    bit only."""
    from profile_frames import _json_numbers

    rng = random.Random(seed)
    for alphabet in (b"],[1", b"],[", b"]\xdd,\xac[\xdb", b"]],[[,"):
        for n in [*range(30), 1000, 70_001]:
            data = bytes(rng.choice(alphabet) for _ in range(n))
            want = (data.count(b"["), data.count(b"]"), data.count(b"],["))
            assert _json_numbers.row_marks(data) == want, (alphabet, n)


@pytest.mark.parametrize("seed", range(3))
def test_counted_bytes_are_what_bytes_count_counts(seed):
    """Eight bytes at a time, summed in byte-wide counters: every length around the word and
    the 255-word flush, bytes with the high bit set, runs of the byte itself."""
    from profile_frames import _json_numbers

    rng = random.Random(seed)
    lengths = [*range(40), 2039, 2040, 2041, 2048, 4096 + 3, 70_001]
    for alphabet in (b",1\x80\xac\x00", b",", b",,,,,,,9", b"\xff\x7f"):
        for n in lengths:
            data = bytes(rng.choice(alphabet) for _ in range(n))
            assert _json_numbers.count_byte(data, 44) == data.count(b","), (alphabet, n)
    data = rng.randbytes(1 << 17)
    for byte in (0, 0x2C, 0x7F, 0x80, 0xFF):
        assert _json_numbers.count_byte(data, byte) == data.count(bytes([byte]))


@pytest.mark.parametrize("seed", range(3))
def test_counted_indexes_are_numpys_bincount(seed):
    """Sample stacks counted from Arrow buffers: int32 and int64, nulls, sliced arrays (a
    validity bitmap read from a bit offset), and a value out of range stops the count."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    for dtype in (pa.int32(), pa.int64()):
        for n in (0, 1, 7, 8, 9, 1000, 70_001):
            values = rng.integers(0, 50, n)
            valid = rng.random(n) > 0.2
            array = pa.array(values, dtype, mask=~valid)
            for start in (0, min(3, n)):
                part = array.slice(start)
                counts = np.zeros(50, dtype=np.int64)
                assert native.count_indexes(part, counts) is True
                want = np.bincount(values[start:][valid[start:]], minlength=50)
                assert counts.tolist() == want.tolist(), (dtype, n, start)
    counts = np.zeros(3, dtype=np.int64)
    assert native.count_indexes(pa.array([0, 2, 3, 1], pa.int32()), counts) is False
    assert native.count_indexes(pa.array([-1], pa.int64()), counts) is False
    assert native.count_indexes(pa.array([1.0]), counts) is None


@pytest.mark.parametrize("seed", range(3))
def test_boolean_arrays_read_as_json_reads_them(seed):
    """funcTable flags into an Arrow bitmap: every length around a byte, blanks anywhere
    JSON allows them; anything but true and false (null, numbers, a trailing comma, words
    run together, text after the array) is declined, for the json module to read."""
    rng = random.Random(seed)
    for n in [*range(20), 63, 64, 65, 1000]:
        values = [rng.random() < 0.5 for _ in range(n)]
        blank = rng.choice(["", " ", "\n\t "])
        text = "[" + blank + ("," + blank).join(json.dumps(v) for v in values) + "]" + blank
        got = native.json_booleans(text.encode())
        assert got is not None and got.to_pylist() == values, (n, blank)
    for bad in [b"[true,null]", b"[true,]", b"[,true]", b"[truefalse]", b"[1]", b"[true] x",
                b"[True]", b"[tru", b"[false", b""]:  # fmt: skip
        assert native.json_booleans(bad) is None, bad


# tokens the 64-byte window path must take, or leave to the token-by-token parser unchanged
WINDOW_TOKENS = ["0", "7", "12345678", "123456789", "9999999999999999", "12345678901234567",
                 "2147483647", "2147483648", "0.5", "0.000", "10.25", "12345678.1234567",
                 "1234567.12345678", "123.123456789", "null", "-3", "1e5", " 4"]  # fmt: skip
WINDOW_REFUSED = ["01", "00.5", "1.2.3", ".5", "5.", "", "1..2", "1.,2"]


@pytest.mark.parametrize("fraction", [False, True])
def test_elements_read_by_window_equal_those_read_one_by_one(fraction):
    """Long compact blocks (where whole 64-byte windows of digits, commas and points are read
    from their comma masks) with each special token at every offset across two windows:
    values and dtype as Python reads them, and what JSON refuses is refused."""
    rng = random.Random(5)
    filler = [
        f"{rng.randint(0, 999)}.{rng.randint(0, 99)}" if fraction else str(rng.randint(0, 10**7))
        for _ in range(120)
    ]
    for token in WINDOW_TOKENS + WINDOW_REFUSED:
        for at in range(0, 40):
            tokens = filler[:at] + [token] + filler[at:]
            block = ",".join(tokens).encode()
            got = native.numbers(block, TYPES)
            if token in WINDOW_REFUSED:
                assert got is None, (token, at)
                continue
            dtype, want = _python_reading([t.strip() for t in tokens])
            assert got is not None, (token, at)
            assert pl.Series(got).dtype == dtype, (token, at)
            values = got.to_pylist()
            assert (_bits(values) == _bits(want)) if dtype == pl.Float64 else values == want


def test_nulls_clear_their_validity_bit_only():
    tokens = [str(i) if i % 37 else "null" for i in range(1000)]
    got = native.numbers(",".join(tokens).encode(), TYPES)
    assert got.null_count == len([t for t in tokens if t == "null"])
    assert got.to_pylist() == [None if t == "null" else int(t) for t in tokens]


def _json_string(rng: random.Random) -> str:
    pieces = ["a", "é", "😀", "\u2028", '"', "\\", "/", "\b", "\f", "\n", "\r", "\t", "\x01",
              "0x7f3a", "::", " ", "ÿ", "\ud7ff", "\ue000", "\uffff"]  # fmt: skip
    return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))


@pytest.mark.parametrize("seed", range(4))
def test_string_tables_are_what_the_json_module_reads(seed):
    """Strings escaped as json.dumps escapes them (ASCII-only, with \\uXXXX and surrogate
    pairs) and as they are written raw, with nulls and blanks between tokens."""
    rng = random.Random(seed)
    values = [None if rng.random() < 0.05 else _json_string(rng) for _ in range(500)]
    for ensure_ascii in (True, False):
        for separators in ((",", ":"), (" ,\n ", ":")):
            text = json.dumps(values, ensure_ascii=ensure_ascii, separators=separators).encode()
            got = native.json_strings(text)
            assert got is not None
            assert got.to_pylist() == json.loads(text)
    assert native.json_strings(b"[]").to_pylist() == []
    assert native.json_strings(b' [ "a" , null ] ').to_pylist() == ["a", None]


@pytest.mark.parametrize(
    "text",
    [b'["a", 1]', b'["a", true]', b'["a", ["b"]]', b'["\\ud800"]', b'["\\ud800\\u0041"]',
     b'["\\udc00"]', b'["a\x01"]', b'["a"] x', b'["a",]', b"[,]", b'["\xff"]', b'["\xc3"]',
     b'["a\\x"]', b'["\\u12g4"]', b'["a', b'"a"', b"", b'["a" "b"]', b"[nul]"],
)  # fmt: skip
def test_string_tables_json_refuses_or_python_cannot_hold_are_left_to_the_json_path(text):
    assert native.json_strings(text) is None


def test_a_string_table_read_into_arrow_names_the_same_functions(tmp_path, monkeypatch):
    """A v55 profile whose per-thread string tables hold escapes and non-ASCII names: the
    function table equals the one read with the C parser off."""
    import profile_frames

    from .builders import v55_profile

    names = ["caf\u00e9::drop", 'say "hi"', "tab\there", "😀 emoji", "back\\slash", "0x1f2e"]
    path = tmp_path / "p.json"
    path.write_text(json.dumps(v55_profile([(names, 1), (names[:2], 3)])))
    got = profile_frames.load(path, progress=False).thread(0).functions()
    monkeypatch.setattr(native, "json_strings", lambda text: None)  # the json module's reading
    want = profile_frames.load(path, progress=False).thread(0).functions()
    assert sorted(got["function"].to_list()) == sorted(names)
    assert got.equals(want)


@pytest.mark.parametrize(
    "name",
    ["firefox/firefox-esr-153-linux.gecko.json.gz", "gecko/profiler-test-gecko-12-v12.json",
     "other-producers/linux-perf-6.12-gecko-python.json"],
)  # fmt: skip
def test_gecko_string_tables_read_into_arrow_give_the_same_profile(name, monkeypatch):
    """Gecko threads' ``stringTable`` (frame locations, marker names) read by C into Arrow:
    every thread's functions and markers equal those read by the json module."""
    import profile_frames

    from .conftest import PROFILES, needs_shared

    if not PROFILES.is_dir():
        pytest.skip(needs_shared.kwargs["reason"])
    got = profile_frames.load(PROFILES / name, progress=False)
    monkeypatch.setattr(native, "json_strings", lambda text: None)
    want = profile_frames.load(PROFILES / name, progress=False)
    assert len(got.threads) == len(want.threads) > 0
    for i in range(len(want.threads)):
        assert got.thread(i).functions().equals(want.thread(i).functions())
        assert got.thread(i).markers.equals(want.thread(i).markers)


def _json_or_none(text: bytes):
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError):
        return None


@pytest.mark.parametrize("seed", range(3))
def test_random_string_tables_are_read_as_json_reads_them_or_left_to_it(seed):
    """Random bytes between quotes (escapes, quotes, control and high bytes): whatever C reads
    equals the json module's reading, and it leaves nothing the json module reads as strings
    unless a string holds a lone surrogate."""
    rng = random.Random(seed)
    alphabet = [b"a", b"\\", b'"', b"u", b"d8", b"dc", b"00", b"n", b"\x01", b"\xc3", b"\xa9",
                b"\xff", b",", b" ", b"/", b"t", b"e9"]  # fmt: skip
    for _ in range(1500):
        cells = [b"".join(rng.choices(alphabet, k=rng.randint(0, 8))) for _ in range(3)]
        text = b"[" + b",".join(b'"' + c + b'"' for c in cells) + b"]"
        want, got = _json_or_none(text), native.json_strings(text)
        if got is not None:
            assert got.to_pylist() == want, text
        elif isinstance(want, list) and all(isinstance(v, str) for v in want):
            assert any(any(0xD800 <= ord(ch) <= 0xDFFF for ch in v) for v in want), text


@pytest.mark.parametrize("seed", range(3))
def test_random_number_blocks_are_read_as_json_reads_them_or_left_alone(seed):
    """Random text over the characters of numbers, long enough for the 64-byte windows: what
    C reads equals Python's reading of the JSON array, and it reads every array of plain
    integers that fit int64 (the common case must not fall through)."""
    rng = random.Random(seed)
    alphabets = ["0123456789" * 6 + ",,,,,,.-e nul", "123456789" * 3 + ",", "12345678" * 4 + ",."]
    for _ in range(3000):
        body = "".join(rng.choices(rng.choice(alphabets), k=rng.randint(1, 300)))
        body = body.replace(",,", ",")  # fewer empty elements: more blocks C reads whole
        want = _json_or_none(f"[{body}]".encode())
        got = native.numbers(body.encode(), TYPES)
        if got is not None:
            assert want is not None, body
            values = got.to_pylist()
            assert _bits([None if v is None else float(v) for v in values]) == _bits(
                [None if v is None else float(v) for v in want]
            ), body
        elif want and all(type(v) is int and -(2**63) <= v < 2**63 for v in want):
            pytest.fail(f"integers left to the numpy path: {body!r}")


@pytest.mark.parametrize("seed", range(3))
def test_parent_depths_equal_pointer_doubling(seed):
    """Depths in one C pass over a forest whose parents come first equal the numpy pointer
    doubling; a parent after its child (not that layout) is declined, and depths() still
    answers."""
    import numpy as np

    from profile_frames import tree

    rng = np.random.default_rng(seed)
    for _ in range(50):
        n = int(rng.integers(1, 400))
        parent = np.array([-1] + [int(rng.integers(-1, i)) for i in range(1, n)], np.int64)
        doubled = tree.depths(parent.astype(np.int32))  # (not int64: the numpy path)
        got = native.parent_depths(parent)
        assert got is None if not native.available() else got.tolist() == doubled.tolist()
    later = np.array([2, -1, 1], np.int64)  # node 0's parent is node 2
    assert native.parent_depths(later) is None
    assert tree.depths(later).tolist() == [2, 0, 1]


@pytest.mark.parametrize("seed", range(200))
def test_moved_indexes_are_what_numpys_passes_give(seed):
    """The one C pass of Gecko's index columns against the numpy passes it replaces: the same
    int64 values and nulls, or a refusal for the same inputs (fractions, NaN where nulls are
    not allowed, below 0, at or past a part's bound, not below its own row)."""
    import numpy as np

    from profile_frames.formats.gecko_columns import whole_numbers
    from profile_frames.formats.gecko_threads import _within

    rng = np.random.default_rng(seed)
    lengths = rng.integers(0, 6, rng.integers(1, 5)).tolist()
    high = rng.integers(1, 8, len(lengths)).tolist()
    base = np.cumsum([0, *lengths[:-1]]).astype(np.int64)
    a = np.concatenate([rng.integers(0, h, n) for h, n in zip(high, lengths)]).astype(float)
    a[rng.random(len(a)) < 0.15] = np.nan
    if len(a) and rng.random() < 0.4:  # one bad cell: a fraction, below 0 or past any bound
        a[rng.integers(len(a))] = rng.choice([0.5, -1.0, 8.0])
    nulls, earlier = bool(rng.integers(2)), bool(rng.integers(2))
    got = native.move_indexes(a, lengths, high, base, nulls=nulls, earlier=earlier)
    want = _within(whole_numbers(a, nulls=nulls), a, lengths, high, base, earlier=earlier)
    if want is None:
        assert isinstance(got, int) and 0 <= got < len(lengths)
    else:
        values, missing = got
        nulls_at = missing if missing is not None else np.zeros(len(values), dtype=bool)
        assert [None if m else int(v) for v, m in zip(values, nulls_at)] == want.to_list()
        assert (missing is None) == (want.null_count() == 0)


@pytest.mark.parametrize("seed", range(3))
def test_rows_end_is_what_the_three_searches_find(seed):
    """The first "]]" and a quote or brace before it, sixteen positions at a time: every
    length around the blocks, starts and stops inside the data."""
    from profile_frames import _json_numbers

    rng = random.Random(seed)
    for alphabet in (b"],[1", b"]]1,", b'],["1', b"]{,[1 ", b"]\xdd[\xac"):
        for n in [*range(40), 1000, 70_001]:
            data = bytes(rng.choice(alphabet) for _ in range(n))
            start, stop = rng.randint(0, n), rng.randint(0, n + 2)
            q = data.find(b"]]", start, stop)
            before = min(stop, n) if q < 0 else q
            objects = data.find(b'"', start, before) >= 0 or data.find(b"{", start, before) >= 0
            want = (-1, 1) if objects else (q, 0)
            assert _json_numbers.rows_end(data, start, stop) == want, (alphabet, n, start, stop)


@pytest.mark.parametrize("seed", range(5))
def test_marker_rows_with_objects_are_read_as_json_reads_them(seed):
    """Rows of numbers with a payload object in one column, whose strings hold brackets,
    braces, commas and escaped quotes: the rows, cells and objects counted outside strings
    give the rows json decodes, each object's text as written."""
    rng = random.Random(seed)
    tricky = ["a,b", "]", "[", "{", "}", 'q"uote', "back\\slash", "],[", ""]
    rows = []
    for i in range(rng.randint(1, 300)):
        row = [rng.randint(0, 99), rng.choice([None, i * 0.5])]
        if rng.random() < 0.7:
            payload = {"type": rng.choice(tricky), "n": [1, {"x": rng.choice(tricky)}]}
            row += [rng.choice([None, 1, 2]), payload]
        rows.append(row)
    text = json.dumps(rows).encode()[1:-1]
    cells = native.rows(text)
    assert cells is not None
    width = max(len(r) for r in rows)
    assert cells.values.shape == (width, len(rows))
    objects = [r[3] if len(r) > 3 else None for r in rows]
    if any(o is not None for o in objects):
        got = [None if t is None else json.loads(t) for t in cells.texts[3].to_pylist()]
        assert got == objects
    starts = [float(r[0]) for r in rows]
    assert cells.values[0].tolist() == starts
