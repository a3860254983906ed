"""Marker payloads cut out of the text (profile_frames.payloads) must be the same JSON values
the JSON decoder reads, for processed and Gecko marker tables, whatever the read boundaries;
anything not in that shape goes to the decoder."""

from __future__ import annotations

import json
import random

import polars as pl
import pytest

import profile_frames
import profile_frames.scan as scan_module
from profile_frames.errors import ProfileFormatError
from profile_frames.payloads import array_end, split_marker_rows, split_payloads
from profile_frames.scan import SMALL_PAYLOADS, parse_json_chunks
from tests.test_load import _SmallReads

# every test runs with the C parser and with the numpy path
pytestmark = pytest.mark.usefixtures("number_parser")
WORDS = ['a"b', "c\\d", "]],[", "{x}", "ü", "\\u00e9", "", "tab\\t"]


def _payload(rng: random.Random):
    kind = rng.random()
    if kind < 0.2:
        return None
    value = {"type": rng.choice(["Text", "DOMEvent", "GCSlice"]), "n": rng.randint(-5, 10**6)}
    if kind < 0.6:
        value["name"] = rng.choice(WORDS) + str(rng.random())
    if kind < 0.4:
        value["nested"] = {"list": [1, {"deep": [rng.random(), None, True]}], "s": "]"}
    return value


def _decoded(texts):
    return [None if t is None else json.loads(t) for t in texts]


@pytest.mark.parametrize("seed", range(10))
def test_cut_payloads_decode_to_what_the_json_decoder_reads(seed):
    rng = random.Random(seed)
    payloads = [_payload(rng) for _ in range(rng.randint(1, 300))]
    payloads[0] = payloads[0] or {"type": "Text"}
    text = json.dumps(payloads, separators=(",", ":")).encode()[1:-1]
    got = split_payloads(text)
    assert got is not None and _decoded(got.to_list()) == payloads


@pytest.mark.parametrize("seed", range(10))
def test_cut_gecko_marker_rows_equal_the_json_rows(seed):
    rng = random.Random(seed)
    rows = []
    for _ in range(rng.randint(1, 300)):
        row = [rng.randint(0, 50), rng.random() * 100, None, rng.randint(0, 3), 1]
        p = _payload(rng)
        if p is not None:
            row.append(p)
        rows.append(row)
    if not any(len(r) == 6 for r in rows):
        rows[0].append({"type": "Text"})
    text = json.dumps(rows, separators=(",", ":")).encode()[1:-1]
    got = split_marker_rows(text)
    assert got is not None
    columns = [c.to_list() for c in got.columns]
    assert _decoded(columns[5]) == [r[5] if len(r) > 5 else None for r in rows]
    for c in range(5):
        assert columns[c] == [r[c] for r in rows]


@pytest.mark.parametrize(
    "text",
    [
        b'{"a":1} ,null',  # a blank between values (the C parser reads it)
        b'{"a":1},nul',
        b'{"a":01}',
        b'{"a":NaN}',
        b'{"a":-Infinity}',
        b'{"a" 1}',
        b'{"a":1}}',
        b'{"a":"\\ud800"}',  # a lone surrogate: JavaScript reads it, Arrow (not C) refuses it
        b'{"id":18446744073709552000}',  # JavaScript rounds it: the decoder reads a float
        b'{"a":1},[1]',
        b'{"a":1},,{"b":2}',
    ],
)
def test_payloads_not_in_the_simple_shape_go_to_the_json_decoder(text, number_parser):
    got = split_payloads(text)
    if number_parser == "C" and text in (b'{"a":1} ,null', b'{"a":"\\ud800"}'):
        assert _decoded(got.to_list()) == json.loads(b"[" + text + b"]")  # valid JSON, kept
    else:
        assert got is None


@pytest.mark.parametrize(
    "text",
    [
        b'[3,{"a":1},2]',  # the payload is not the last cell
        b'[1,2,{"a":1}],[1,{"b":2}]',  # at different positions
        b'[1,2,3],[4,5,{"a":1}]',  # a number where other rows have their payload
        b'[1,[2],{"a":1}]',
        b'[1,"x",{"a":1}]',
    ],
)
def test_marker_rows_not_in_the_simple_shape_go_to_the_json_decoder(text):
    assert split_marker_rows(text) is None


def test_array_end_skips_brackets_in_strings_and_reads_windows():
    inner = b'{"s":"]\\"]"},[1,[2]],' * 20000
    doc = b"[" + inner + b'{"t":"x"}],"rest"'
    assert array_end(doc, 1)[0] == len(doc) - len(b',"rest"') - 1
    end, resume, depth = array_end(doc[:-20], 1)
    assert end == -1 and depth == 2  # inside "[1,[2"
    # reading on from the resume point with the rest finds the same end
    rest = doc[resume:]
    assert resume + array_end(rest, 0, depth)[0] == len(doc) - len(b',"rest"') - 1


@pytest.mark.parametrize("deferred", [False, True], ids=["here", "parser-thread"])
@pytest.mark.parametrize("gecko", [False, True], ids=["processed", "gecko"])
def test_marker_tables_load_the_same_whatever_the_read_boundaries(gecko, deferred, monkeypatch):
    """The payload texts (and the numbers beside them) do not depend on where reads cut the
    file, and decode to the payloads of the JSON; long marker arrays are cut on a parser
    thread while scanning goes on (``deferred``: all of them)."""
    if deferred:
        monkeypatch.setattr(scan_module, "INLINE_BLOCK", 1)
    rng = random.Random(3)
    payloads = [_payload(rng) for _ in range(2000)]  # over SMALL_PAYLOADS: cut, not decoded
    if gecko:
        import io

        from tests.test_real_shapes import write_gecko_multiprocess

        buf = io.BytesIO()
        write_gecko_multiprocess(buf, target_bytes=400_000, seed=1, processes=2, threads=3)
        doc = buf.getvalue()
        want = json.loads(doc)
        rows = want["threads"][0]["markers"]["data"]
        expect = [r[5] if len(r) > 5 else None for r in rows]
    else:
        doc = json.dumps(
            {"a": {"markers": {"data": payloads}}, "b": [1, "x"]}, separators=(",", ":")
        ).encode()
        expect = payloads
    for size in [None, 61, 997, 4093]:
        if gecko:
            p = profile_frames.load(doc if size is None else _SmallReads(doc, size))
            got = p.thread(0).markers["data"].to_list()
        else:
            chunks = (
                [doc] if size is None else [doc[i : i + size] for i in range(0, len(doc), size)]
            )
            got = parse_json_chunks(chunks, name="x")["a"]["markers"]["data"]
            assert len(doc) > SMALL_PAYLOADS and isinstance(got, pl.Series)
            got = got.to_list()
        assert _decoded(got) == expect, size


@pytest.mark.parametrize(
    "data",
    [b'[[1,2,{"a":1}],[3,{"a":1},2]]', b'[{"a":1},[1],null]', b'[[1,2,{"a":[1,{"b":01}]}]]'],
    ids=["gecko-payload-not-last", "processed-array-element", "invalid"],
)
def test_marker_arrays_cut_on_a_parser_thread_fall_back_to_the_json_decoder(data, monkeypatch):
    """A marker array handed to a parser thread that is not in the shape to cut reads as the
    JSON decoder reads it; invalid JSON is an error naming the array."""
    monkeypatch.setattr(scan_module, "INLINE_BLOCK", 1)
    doc = b'{"t":{"markers":{"data":' + data + b'}},"z":[1,"x"]}'
    try:
        want = json.loads(doc)
    except ValueError:
        with pytest.raises(ProfileFormatError, match="t.markers.data"):
            parse_json_chunks([doc], name="x")
        return
    for size in [None, 7]:
        chunks = [doc] if size is None else [doc[i : i + size] for i in range(0, len(doc), size)]
        assert parse_json_chunks(chunks, name="x") == want, size


@pytest.mark.parametrize("size", [None, 997])
def test_a_payload_array_that_starts_with_null_is_cut_too(size):
    """``[null, {…}, …]`` looked numeric at its first value, then held objects, and went to
    ijson whole (7x slower): real marker tables often start with a marker without payload."""
    rng = random.Random(4)
    payloads = [None] + [_payload(rng) or {"type": "Text"} for _ in range(2000)]
    doc = json.dumps(
        {"a": {"markers": {"data": payloads}}, "b": [None, {"c": 1}]}, separators=(",", ":")
    ).encode()
    chunks = [doc] if size is None else [doc[i : i + size] for i in range(0, len(doc), size)]
    got = parse_json_chunks(chunks, name="x")
    assert isinstance(got["a"]["markers"]["data"], pl.Series)
    assert _decoded(got["a"]["markers"]["data"].to_list()) == payloads
    assert got["b"] == [None, {"c": 1}]  # a null-first array elsewhere is read as before


def test_marker_arrays_carried_over_many_file_reads_keep_their_text(tmp_path, monkeypatch):
    """A marker array longer than a read is kept in pieces; the reader reuses its buffer for
    each read of a file, so a piece kept without a copy was overwritten (the array then
    never ended: "unexpected end of data"). Arrays of any length are carried this way now
    (past 64 MB they went to ijson, 5x slower)."""
    import io

    import profile_frames.source as source
    from tests.test_real_shapes import write_marker_heavy

    buf = io.BytesIO()
    write_marker_heavy(buf, target_bytes=3_000_000, seed=4, markers=2_000_000)
    path = tmp_path / "markers.json"
    path.write_bytes(buf.getvalue())
    whole = profile_frames.load(path)
    monkeypatch.setattr(source, "READ_SIZE", 4096)
    monkeypatch.setattr(source, "MAX_DECOMPRESSED_CHUNK", 4096)
    cut = profile_frames.load(path)
    assert max(t.markers.height for t in whole.all_threads()) > 5000
    for a, b in zip(whole.all_threads(), cut.all_threads()):
        assert a.markers.equals(b.markers)


def _with_markers(payloads: list) -> bytes:
    from tests.builders import processed_profile, to_bytes

    doc = processed_profile([(["main"], 1), (["main", "f"], 1)])
    n = len(payloads)
    doc["threads"][0]["markers"] = {
        "length": n,
        "name": [0] * n,
        "startTime": [float(i) for i in range(n)],
        "endTime": [None] * n,
        "phase": [0] * n,
        "category": [0] * n,
        "data": payloads,
    }
    return to_bytes(doc)


_STACK = {"samples": {"schema": {"stack": 0, "time": 1}, "data": [[2, 1.5], [3]]}}


@pytest.mark.parametrize("size", [None, 509])
def test_payloads_read_by_ijson_keep_the_arrays_the_scanner_read_in_bulk(size):
    """A marker table not in the shape to cut (here a number first, as the fuzzer made it) is
    read by ijson with its payloads; their own ``data`` rows (an embedded Gecko stack, as
    Firefox's old cause stacks are) and long number arrays became Rows and Series, and
    encoding the payloads failed with "Object of type Rows is not JSON serializable"
    (tests/data/fuzz/campaign3-profiler-cli-limit-boundaries-v7-structure-18.gz)."""
    payloads = [7, {"type": "Cause", "stack": _STACK}, {"values": list(range(3000))}, None]
    raw = _with_markers(payloads)
    p = profile_frames.load(raw if size is None else _SmallReads(raw, size))
    assert _decoded(p.thread(0).markers["data"].to_list()) == payloads


@pytest.mark.parametrize("size", [None, 509])
def test_a_long_integer_inside_a_decoded_payload_is_read_as_javascript_does(size):
    """An integer of 19 digits keeps a marker table from being cut; decoded, it is a float at
    any depth (it was only at the top level of the array), as in every other path."""
    payloads = [{"type": "Big", "id": 12345678901234567890}, {"type": "Cause", "stack": _STACK}]
    raw = _with_markers(payloads)
    p = profile_frames.load(raw if size is None else _SmallReads(raw, size))
    got = _decoded(p.thread(0).markers["data"].to_list())
    assert got == [{"type": "Big", "id": float(12345678901234567890)}, payloads[1]]
