"""The bulk number parser: its Arrow fast path must give exactly what polars' CSV reader gives
(the slow path, which also words the errors), and fall back whenever the text is not compact
non-negative numbers and literal nulls."""

from __future__ import annotations

import io
import json
import os
import time

import numpy as np
import polars as pl
import pyarrow as pa
import pytest

import profile_frames
from profile_frames import numbers, scan, source
from profile_frames.formats.conversions import CpuMicros, RunningTime
from tests.builders import processed_profile, to_bytes

# the numpy and Arrow path; tests/test_native.py holds the C parser to it
pytestmark = pytest.mark.usefixtures("numpy_parser")


def _text(values: list) -> bytes:
    return ",".join("null" if v is None else str(v) for v in values).encode()


def _reference(block: bytes, dtype=None) -> pl.Series:
    types = [dtype] if dtype else [pl.Float64] if numbers.looks_float(block) else numbers._INT_TYPES
    return numbers._parse_with_csv_reader(block, types)


@pytest.fixture
def fast_only(monkeypatch):
    """Make the slow path fail loudly: a test using this proves the fast path did the work."""

    def refuse(block, types):
        raise AssertionError("fell back to the CSV reader")

    monkeypatch.setattr(numbers, "_parse_with_csv_reader", refuse)


def _random_columns(rng: np.random.Generator) -> dict[str, list]:
    n = 300_000  # several comma-search windows
    ints = rng.integers(0, 3_000_000, n).tolist()
    with_nulls = [None if rng.random() < 0.01 else v for v in ints]
    with_nulls[0] = with_nulls[-1] = None  # at both ends, too
    floats = [
        round(float(x), int(d)) for x, d in zip(rng.exponential(1.0, n), rng.integers(0, 7, n))
    ]
    return {
        "ints": ints,
        "ints with nulls": with_nulls,
        "small ints": rng.integers(1, 30, n).tolist(),
        "big ints": rng.integers(2**31, 2**40, n).tolist(),
        "floats": floats,
        "floats with nulls": [None if i % 97 == 0 else v for i, v in enumerate(floats)],
        "exponents": [f"{v:.3e}" for v in floats[:1000]],
    }


@pytest.mark.parametrize("name", list(_random_columns(np.random.default_rng(0))))
def test_fast_path_equals_csv_reader(name, monkeypatch):
    values = _random_columns(np.random.default_rng(0))[name]
    block = _text(values)
    want = _reference(block)
    monkeypatch.setattr(numbers, "_parse_with_csv_reader", None)  # must not be needed
    got = pl.Series("v", numbers.parse_block(block, scratch=numbers.ScratchPool()))
    assert got.dtype == want.dtype
    assert got.to_list() == want.to_list()


def test_fast_path_parses_as_asked(fast_only):
    block = b"1,null,3000000,4"
    for dtype in (pl.Int64, pl.Float32, pl.Float64):
        got = pl.Series("v", numbers.parse_block(block, dtype=dtype))
        assert got.dtype == dtype
        assert got.to_list() == [1, None, 3000000, 4]


def test_a_null_cut_by_the_search_window_is_found(fast_only, monkeypatch):
    monkeypatch.setattr(numbers, "WINDOW", 8)
    for cut in range(12):
        block = b"1," * cut + b"null,22,null"
        got = numbers.parse_block(block, scratch=numbers.ScratchPool()).to_pylist()
        assert got == [1] * cut + [None, 22, None]


def test_scratch_buffers_are_reused_and_grow():
    pool = numbers.ScratchPool()
    assert numbers.parse_block(b"1,2", scratch=pool).to_pylist() == [1, 2]
    with pool.borrow() as first:
        pass
    big = _text(list(range(100_000)))
    assert numbers.parse_block(big, scratch=pool).to_pylist() == list(range(100_000))
    with pool.borrow() as again:
        assert again is first
        assert len(again.text(len(big))) == len(big)
    assert numbers.parse_block(b"7,8", scratch=pool).to_pylist() == [7, 8]  # no stale bytes


@pytest.mark.parametrize(
    "block, want",
    [
        (b"1,-2,3", [1, -2, 3]),  # negative: the slow path reads it
        (b"1, 2,\n3", [1, 2, 3]),  # pretty-printed
        (b"1.5,-0.25", [1.5, -0.25]),
    ],
)
def test_other_text_falls_back_to_the_csv_reader(block, want):
    got = numbers.parse_block(block).to_pylist()
    ref = _reference(block).to_list()
    assert got[1:] == ref[1:] and (want is None or got == want)


@pytest.mark.parametrize(
    "block",
    [
        b"1null",  # a null glued to a number
        b"1,nul",  # cut short
        b"1,nulll",
        b"nullnull",
        b"1,,2",  # empty element
        b"0x10,1",  # Arrow would read hexadecimal
        b"1,2 3",  # two numbers without a comma
        b"1,true",
        b"1,null ,2x",
    ],
)
def test_malformed_blocks_are_errors(block):
    with pytest.raises(ValueError):
        numbers.parse_block(block)


def test_converters_work_in_the_parsed_memory():
    parsed = numbers.parse_block(b"1.5,null,2.25,4")
    address = parsed.buffers()[1].address
    out = RunningTime()(parsed)
    assert out.to_list() == [1.5, None, 3.75, 7.75]
    assert out.to_arrow().buffers()[1].address == address  # converted in place

    ints = numbers.parse_block(_text(list(range(200_000))))  # int32 → float32 in place
    address = ints.buffers()[1].address
    cpu = CpuMicros(0.001)(ints)
    assert cpu.to_arrow().buffers()[1].address == address
    want = np.arange(200_000).astype(np.float32) * np.float32(0.001)
    assert np.array_equal(cpu.to_numpy(), want)


def test_converters_copy_memory_they_do_not_own():
    theirs = pl.Series("v", [1.0, 2.0, None, 3.0])
    before = theirs.to_list()
    assert RunningTime()(theirs).to_list() == [1.0, 3.0, None, 6.0]
    assert theirs.to_list() == before
    sliced = pa.array([5, 1, None, 2], pa.int32()).slice(1)
    assert CpuMicros(1.0)(sliced).to_list() == [1.0, None, 2.0]


def test_parsing_waits_when_the_reader_is_ahead(monkeypatch):
    """At most MAX_IN_FLIGHT blocks wait for the parser threads: memory stays bounded."""
    seen = []
    real = scan.NumericCollector._parse

    def parse(self, block):
        real(self, block)
        seen.append(sum(1 for b in self.blocks if isinstance(b, scan.Future)))

    def slow_parse_block(block, **kw):
        time.sleep(0.002)
        return real_parse_block(block, **kw)

    real_parse_block = scan.parse_block
    monkeypatch.setattr(scan, "parse_block", slow_parse_block)
    monkeypatch.setattr(scan.NumericCollector, "_parse", parse)
    monkeypatch.setattr(source, "READ_SIZE", 4096)
    prof = processed_profile([(["A"], 1), (["A", "B"], 2)] * 20_000)
    p = profile_frames.load(io.BytesIO(to_bytes(prof)))
    assert len(seen) > 3 * scan.MAX_IN_FLIGHT
    assert max(seen) <= scan.MAX_IN_FLIGHT
    assert p.thread(0).samples.height == 40_000


class _HeldPool:
    """A parser pool whose blocks are parsed only when their result is asked for: every
    array parsed off the reading thread is still in flight at its end, so it is deferred."""

    def submit(self, fn, *args, **kwargs):
        return _HeldFuture(lambda: fn(*args, **kwargs))


class _HeldFuture(scan.Future):
    def __init__(self, work) -> None:
        super().__init__()
        self._work = work

    def result(self, timeout=None):
        if not super().done():
            try:
                self.set_result(self._work())
            except Exception as e:
                self.set_exception(e)
        return super().result(timeout)


@pytest.fixture
def held_blocks(monkeypatch):
    """Blocks of 64 bytes and up go to the (held) pool; the file is read 4 KiB at a time."""
    monkeypatch.setattr(scan, "PARSE_POOL", _HeldPool())
    monkeypatch.setattr(scan, "wait_for", lambda futures: [f.result() for f in futures])
    monkeypatch.setattr(scan, "INLINE_BLOCK", 64)
    monkeypatch.setattr(source, "READ_SIZE", 4096)
    deferred = []
    real = scan.Deferred.__init__

    def note(self, collector):
        real(self, collector)
        deferred.append(self)

    monkeypatch.setattr(scan.Deferred, "__init__", note)
    return deferred


def test_arrays_still_being_parsed_at_their_end_are_placed_when_read(held_blocks):
    """Scanning goes on past an array whose blocks are in flight; its value lands where the
    array was, converted (times, stacks counted) as if it had been waited for."""
    samples = [(["A"], 1), (["A", "B"], 2), (["C"], 3)] * 3000
    doc = to_bytes(processed_profile(samples))
    p = profile_frames.load(io.BytesIO(doc))
    assert len(held_blocks) >= 3  # stack, time, weight at least
    want = profile_frames.load(to_bytes(processed_profile(samples[:3]))).thread(0).functions()
    got = p.thread(0).functions()
    assert got.select("function", "self", "total").equals(
        want.select("function", pl.col("self") * 3000, pl.col("total") * 3000)
    )
    assert p.thread(0).samples["time"].to_list() == [float(i) for i in range(len(samples))]
    assert all(d.collector is None for d in held_blocks)  # every one resolved


def test_a_deferred_array_that_is_not_numbers_after_all_is_what_json_reads(held_blocks):
    """A value no number parser reads (``true``) late in a long array, found only when the
    deferred array is resolved: the array is decoded as JSON, as ijson would have read it."""
    values = list(range(5000)) + [True, None, 2.5] + list(range(100))
    doc = json.dumps({"meta": {"x": 1}, "a": {"b": values}, "after": [1, 2]}).encode()
    tree = scan.parse_json_chunks([doc[i : i + 4096] for i in range(0, len(doc), 4096)], name="x")
    assert held_blocks
    assert tree == {"meta": {"x": 1}, "a": {"b": values}, "after": [1, 2]}


def test_a_deferred_array_with_bad_json_late_in_it_is_a_located_error(held_blocks):
    doc = ('{"threads": [{"samples": {"x": [' + ",".join(["1"] * 5000) + ",1 2]}}]}").encode()
    with pytest.raises(profile_frames.ProfileFormatError) as e:
        scan.parse_json_chunks([doc[i : i + 4096] for i in range(0, len(doc), 4096)], name="f")
    assert held_blocks
    assert "threads[0].samples.x" in str(e.value) and "f" in str(e.value)


def test_deferred_arrays_in_flight_stay_bounded(held_blocks, monkeypatch):
    """At most MAX_DEFERRED arrays wait with blocks in flight: older ones are resolved first."""
    in_flight = []
    real = scan.Scanner._end

    def end(self, close_offset):
        real(self, close_offset)
        in_flight.append(sum(1 for d in self.in_flight if d.collector is not None))

    monkeypatch.setattr(scan.Scanner, "_end", end)
    columns = {f"c{i}": list(range(3000)) for i in range(8)}
    doc = json.dumps(columns).encode()
    tree = scan.parse_json_chunks([doc[i : i + 4096] for i in range(0, len(doc), 4096)], name="x")
    assert len(held_blocks) == 8 and max(in_flight) <= scan.MAX_DEFERRED
    assert {k: pl.Series(v).to_list() for k, v in tree.items()} == columns


class _ReadOnly:
    """A stream with ``read`` only (no ``readinto``)."""

    def __init__(self, data: bytes) -> None:
        self._f = io.BytesIO(data)

    def read(self, n: int = -1) -> bytes:
        return self._f.read(n)


def test_a_file_read_in_reused_buffers_equals_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr(source, "READ_SIZE", 4096)  # many full chunks in the one buffer
    prof = processed_profile([(["A"], 1), (["A", "B"], 2), (["C"], 1)] * 5000)
    prof["threads"][0]["name"] = "x" * 5000  # a string longer than a chunk
    path = tmp_path / "p.json"
    path.write_bytes(to_bytes(prof))
    with open(path, "rb") as f:  # a file object: read into the one reused buffer
        src = source.open_source(f)
        chunks = [bytes(c) for c in src.chunks()]
        assert len(chunks) > 10 and b"".join(chunks) == path.read_bytes()
    with open(path, "rb") as f:
        a = profile_frames.load(f).thread(0)
    b = profile_frames.load(_ReadOnly(path.read_bytes())).thread(0)  # fresh bytes per read
    assert a.name == "x" * 5000
    assert a.self_time().equals(b.self_time())
    assert a.samples.equals(b.samples)


def test_a_path_is_read_through_mapped_windows_that_equal_its_bytes(tmp_path, monkeypatch):
    import mmap

    monkeypatch.setattr(source, "READ_SIZE", mmap.ALLOCATIONGRANULARITY)  # many windows
    prof = processed_profile([(["A"], 1), (["A", "B"], 2), (["C"], 1)] * 5000)
    prof["threads"][0]["name"] = "x" * 50000  # a string longer than a window
    path = tmp_path / "p.json"
    path.write_bytes(to_bytes(prof))
    chunks = list(source.open_source(path).chunks())
    assert len(chunks) > 10 and all(isinstance(c, mmap.mmap) for c in chunks)
    assert b"".join(chunks) == path.read_bytes() == source.open_source(path).read_all()
    a = profile_frames.load(path).thread(0)
    b = profile_frames.load(_ReadOnly(path.read_bytes())).thread(0)
    assert a.name == "x" * 50000
    assert a.samples.equals(b.samples) and a.self_time().equals(b.self_time())


def test_a_file_that_shrinks_while_it_is_mapped_is_a_located_error(tmp_path, monkeypatch):
    import mmap

    monkeypatch.setattr(source, "READ_SIZE", mmap.ALLOCATIONGRANULARITY)
    path = tmp_path / "p.json"
    path.write_bytes(to_bytes(processed_profile([(["A"], 1)] * 20000)))
    chunks = source.open_source(path).chunks()
    next(chunks)
    os.truncate(path, 3 * mmap.ALLOCATIONGRANULARITY // 2)  # within the second window
    with pytest.raises(profile_frames.ProfileFormatError) as e:
        list(chunks)
    assert "p.json" in str(e.value) and "change" in str(e.value)
    assert e.value.offset == mmap.ALLOCATIONGRANULARITY


@pytest.mark.parametrize("word", [b"-Infinity", b"Infinity", b"NaN", b"inf", b"-nan", b"0x10"])
def test_words_that_are_not_json_numbers_are_refused(word):  # nan was once let through
    """``JSON.parse`` has no ``Infinity`` or ``NaN``; polars' CSV reader (the fallback of the
    bulk parser) takes them, so the parser refuses them before it gets there."""
    block = b"1.5,2," + word + b",3"
    with pytest.raises(ValueError):
        numbers.parse_block(block)


def _plain(value):
    """A parsed tree with its Series as lists, to compare values (not containers)."""
    if isinstance(value, pl.Series):
        return value.to_list()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


SHORT_COLUMNS = {
    "ints": [[0, 1, 2], [7], [3, 4]],
    "nulls and empty arrays": [[None, 1], [], [None], [None, None], [5]],
    "floats beside ints": [[0.5, 1.25], [1, 2], [None, 3.0]],
    "ints a float would round, beside floats": [[2**53 + 1, 3], [0.5]],
    "19 digits, read as floats": [[10**18 + 1], [1, 2]],
    "a boolean among numbers": [[1, 2], [3, True], [4]],
    "past int32": [[2**40, 1], [2]],
}


@pytest.mark.parametrize("case", SHORT_COLUMNS)
def test_short_columns_parsed_together_equal_each_parsed_alone(case, monkeypatch):
    """Short numeric columns of one kind (every thread's ``samples.a``) are parsed in one
    block and sliced; their values are what each array parsed alone gives, exactly."""
    threads = [
        {"name": f"t{i}", "samples": {"a": col}} for i, col in enumerate(SHORT_COLUMNS[case])
    ]
    text = json.dumps({"threads": threads}).replace(" ", "").replace(",", ", ", 3).encode()
    text = text.replace(b"true", b" true")  # (not first in its array: scanned as numbers)
    together = scan.parse_json_chunks([text], name="x")
    monkeypatch.setattr(scan, "BATCH_ARRAY_BELOW", 0)
    alone = scan.parse_json_chunks([text], name="x")
    assert _plain(together) == _plain(alone)
    wanted = [
        [float(v) if isinstance(v, int) and abs(v) >= 10**18 else v for v in col]
        for col in SHORT_COLUMNS[case]
    ]
    assert [t["samples"]["a"] for t in _plain(together)["threads"]] == wanted


def test_short_columns_are_parsed_in_one_block_per_kind(monkeypatch):
    calls = []
    real = scan.parse_block
    monkeypatch.setattr(scan, "parse_block", lambda b, **k: calls.append(b) or real(b, **k))
    threads = [{"samples": {"a": [i, i + 1], "b": [i * 10]}} for i in range(50)]
    tree = scan.parse_json_chunks([json.dumps({"threads": threads}).encode()], name="x")
    assert len(calls) == 2  # one block for every "a", one for every "b"
    assert [t["samples"]["b"].to_list() for t in tree["threads"]] == [[i * 10] for i in range(50)]


def test_bad_json_in_a_short_column_names_that_column():
    doc = b'{"threads": [{"samples": {"a": [1, 2]}}, {"samples": {"a": [3, 4x]}}]}'
    with pytest.raises(profile_frames.ProfileFormatError) as e:
        scan.parse_json_chunks([doc], name="f.json")
    assert "threads[1].samples.a" in str(e.value) and "f.json" in str(e.value)
    assert e.value.offset == doc.index(b"[3")
