"""load(): sources, containers, thread selection, canonical dtypes, Gecko flattening."""

from __future__ import annotations

import io
import json
import os
import threading

import numpy as np
import polars as pl
import pytest

import profile_frames
from profile_frames import schema
from profile_frames.progress import ProgressBar

from .builders import processed_profile, to_bytes, v55_profile
from .conftest import PROFILES, needs_shared

EXAMPLE = profile_frames.example_path()


def _summary(p):
    return [(t.index, t.name, t.functions()["self"].sum()) for t in p.all_threads()]


def test_sources_path_bytes_file_and_pipe():
    ref = _summary(profile_frames.load(EXAMPLE))
    assert _summary(profile_frames.load(str(EXAMPLE))) == ref
    data = EXAMPLE.read_bytes()
    assert _summary(profile_frames.load(data)) == ref
    assert _summary(profile_frames.load(io.BytesIO(data))) == ref
    r, w = os.pipe()

    def writer():
        with os.fdopen(w, "wb") as f:
            f.write(data)

    th = threading.Thread(target=writer)
    th.start()
    with os.fdopen(r, "rb") as f:
        assert _summary(profile_frames.load(f)) == ref
    th.join()


def test_canonical_dtypes():
    p = profile_frames.load(EXAMPLE)
    t = p.thread(1)
    assert dict(t.samples.schema) == schema.SAMPLES
    assert dict(p.stacks.schema) == schema.STACKS
    assert dict(p.frames.schema) == schema.FRAMES
    assert dict(p.funcs.schema) == schema.FUNCS
    assert dict(p.threads.schema) == schema.THREADS
    assert dict(t.markers.schema) == schema.MARKERS


def test_threads_selection_by_name_glob_and_index():
    full = profile_frames.load(EXAMPLE)
    p = profile_frames.load(EXAMPLE, threads=[2])
    assert p.threads["index"].to_list() == [2]
    key = ["function", "library", "self", "total"]
    assert (
        p.thread(2)
        .functions()
        .drop("func")
        .sort(key)
        .equals(full.thread(2).functions().drop("func").sort(key))
    )
    assert profile_frames.load(EXAMPLE, threads="python*").threads.height == 3
    assert profile_frames.load(EXAMPLE, threads=["ld-linux*", 3]).threads["index"].to_list() == [
        0,
        3,
    ]
    with pytest.raises(profile_frames.ProfileFormatError, match="no thread matches 'nope'"):
        profile_frames.load(EXAMPLE, threads="nope")


def test_unselected_threads_are_not_parsed(monkeypatch):
    from profile_frames import scan

    n = 3000
    prof = processed_profile([(["A"], 1)] * n)
    other = json.loads(json.dumps(prof["threads"][0]))
    other["name"] = "other"
    prof["threads"].append(other)
    calls = []
    real = scan.parse_block
    monkeypatch.setattr(scan, "parse_block", lambda b, **k: calls.append(len(b)) or real(b, **k))
    profile_frames.load(to_bytes(prof))
    both = sum(calls)  # bytes parsed (short columns are parsed in one block per column kind)
    calls.clear()
    p = profile_frames.load(to_bytes(prof), threads="main")
    assert p.threads["name"].to_list() == ["main"]
    assert 0 < sum(calls) < 0.6 * both  # the other thread's bulk columns were skipped unparsed


def test_thread_keys_and_errors():
    p = profile_frames.load(EXAMPLE)
    assert p.thread(0).name == "ld-linux-x86-64.so.2"
    assert p.thread("ld-linux*").index == 0
    with pytest.raises(profile_frames.ProfileKeyError, match="3 threads match 'python3.11'"):
        p.thread("python3.11")
    with pytest.raises(profile_frames.ProfileKeyError, match="no thread matches") as e:
        p.thread("Renderer")
    assert "python3.11" in str(e.value)
    main = p.main_thread()
    assert main.index == int(p.threads.sort("weight", descending=True)["index"][0])


def test_weights_and_null_stacks():
    p = profile_frames.load(to_bytes(processed_profile([(["A"], 3), (None, 10), (["A", "B"], 2)])))
    row = p.threads.row(0, named=True)
    assert row["samples"] == 3 and row["weight"] == 5
    f = p.thread(0).functions()
    assert f.filter(pl.col("function") == "A")["total_pct"][0] == 100.0


def test_versions_and_layouts_agree():
    """The same samples written as v41-style per-thread tables and as v70 shared tables."""
    samples = [(["A", "B"], 1), (["A", "C"], 2), (["A"], 1)]
    v70 = profile_frames.load(to_bytes(processed_profile(samples)))
    old = v55_profile(samples)
    st = old["threads"][0]["stackTable"]
    st["prefixOffset"] = [0 if p is None else i - p for i, p in enumerate(st.pop("prefix"))]
    # v55 reads prefix; also check prefixOffset decoding through the v70 file
    v70_offsets = processed_profile(samples)
    s2 = v70_offsets["shared"]["stackTable"]
    s2["prefixOffset"] = [0 if p is None else i - p for i, p in enumerate(s2.pop("prefix"))]
    st["prefix"] = [None if o == 0 else i - o for i, o in enumerate(st.pop("prefixOffset"))]
    want = v70.thread(0).functions()
    assert profile_frames.load(to_bytes(old)).thread(0).functions().equals(want)
    assert profile_frames.load(to_bytes(v70_offsets)).thread(0).functions().equals(want)


def test_gecko_child_process_times_are_shifted():
    def gecko_thread(name, times):
        return {
            "name": name,
            "pid": 1,
            "tid": 1,
            "stringTable": ["main", "work (in libwork.so)"],
            "frameTable": {
                "schema": {"location": 0, "relevantForJS": 1, "category": 2},
                "data": [[0, False, 0], [1]],
            },
            "stackTable": {"schema": {"prefix": 0, "frame": 1}, "data": [[None, 0], [0, 1]]},
            "samples": {"schema": {"stack": 0, "time": 1}, "data": [[1, t] for t in times]},
            "markers": {
                "schema": {
                    "name": 0,
                    "startTime": 1,
                    "endTime": 2,
                    "phase": 3,
                    "category": 4,
                    "data": 5,
                },
                "data": [],
            },
        }

    meta = {
        "version": 27,
        "startTime": 1000.0,
        "interval": 1,
        "categories": [{"name": "Other", "color": "grey", "subcategories": ["Other"]}],
    }
    child = {
        "meta": {**meta, "startTime": 1100.0},
        "libs": [],
        "threads": [gecko_thread("Child", [5.0])],
        "processes": [],
    }
    root = {
        "meta": meta,
        "libs": [],
        "threads": [gecko_thread("GeckoMain", [1.0, 2.0])],
        "processes": [child],
    }
    p = profile_frames.load(json.dumps(root).encode())
    assert p.threads["name"].to_list() == ["GeckoMain", "Child"]
    assert p.thread("Child").samples["time"].to_list() == [105.0]
    f = p.thread("GeckoMain").functions()
    assert f.filter(pl.col("function") == "work")["library"].to_list() == ["libwork.so"]


@needs_shared
def test_old_gecko_with_json_string_libs_and_child():
    p = profile_frames.load(PROFILES / "gecko" / "profiler-test-gecko-1-v3.json")
    assert p.threads.height == 3 and p.threads["samples"].sum() == 21
    p = profile_frames.load(PROFILES / "firefox" / "firefox-53-macos-2d-canvas-v0.json")
    assert p.threads["samples"].sum() == 754 and p.threads.height == 3
    # the other Gecko files the official CLI cannot load (fixtures README: 3 threads, 21 samples)
    for name in ("profiler-test-gecko-12-v12.json", "profiler-test-gecko-2-v13.json"):
        p = profile_frames.load(PROFILES / "gecko" / name)
        assert p.threads.height == 3 and p.threads["samples"].sum() == 21, name
        assert p.all_threads()[0].functions()["self"].sum() > 0


@needs_shared
def test_jslb_equals_json_and_gzip_equals_plain():
    a = profile_frames.load(PROFILES / "samply" / "samply-rustup-macos-v68.jslb.gz")
    b = profile_frames.load(PROFILES / "samply" / "samply-rustup-macos-v68.json")
    assert _summary(a) == _summary(b)
    c = profile_frames.load(PROFILES / "samply" / "samply-aout-macos-v49.json.gz")
    d = profile_frames.load(PROFILES / "samply" / "samply-aout-macos-v49.json")
    assert _summary(c) == _summary(d)


def test_progress_bar_draws_only_when_enabled(capsys):
    bar = ProgressBar(total=100, enabled=True, delay=0)
    bar.update(50)
    bar.close()
    assert "50.0%" in capsys.readouterr().err
    quiet = ProgressBar(total=100, enabled=False, delay=0)
    quiet.update(50)
    quiet.close()
    assert capsys.readouterr().err == ""
    profile_frames.load(EXAMPLE, progress=False)
    assert capsys.readouterr().err == ""


class _SmallReads(io.RawIOBase):
    """A binary stream handing out at most ``size`` bytes per read: many scanner chunks."""

    def __init__(self, data: bytes, size: int) -> None:
        self.data, self.pos, self.size = data, 0, size

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self.size if n < 0 else min(n, self.size)
        out = self.data[self.pos : self.pos + n]
        self.pos += len(out)
        return out


@pytest.mark.parametrize("read_size", [1 << 20, 997])
def test_time_and_cpu_converted_while_reading_equal_a_plain_loop(read_size):
    """Big timeDeltas / threadCPUDelta arrays are converted block by block as the scanner reads
    them (many blocks when the file arrives in small reads): same numbers as a sequential loop,
    nulls kept, integer and float deltas mixed, ns converted to float32 µs."""
    n = 30_000
    profile = processed_profile([(["A"], 1)] * n)
    samples = profile["threads"][0]["samples"]
    del samples["time"]
    deltas = [None if i % 997 == 5 else (i % 7 if i % 3 else 0.1 * (i % 11)) for i in range(n)]
    cpu_ns = [None if i % 1009 == 3 else 1000 + 37 * (i % 101) for i in range(n)]
    samples["timeDeltas"] = deltas
    samples["threadCPUDelta"] = cpu_ns
    profile["meta"]["sampleUnits"] = {"time": "ms", "threadCPUDelta": "ns"}
    data = to_bytes(profile)
    assert len(json.dumps(deltas)) > 4096  # captured by the scanner, not read by ijson
    t = profile_frames.load(_SmallReads(data, read_size)).thread(0)
    want_time, running = [], 0.0
    for d in deltas:
        if d is None:
            want_time.append(None)
        else:
            running = running + d
            want_time.append(running)
    assert t.samples["time"].to_list() == want_time
    want_cpu = [None if c is None else float(np.float32(c) * np.float32(0.001)) for c in cpu_ns]
    assert t.samples["cpu_delta"].dtype == pl.Float32
    assert t.samples["cpu_delta"].to_list() == want_cpu


@pytest.mark.parametrize(
    "read_size, message",
    [
        (1 << 20, "expected numbers, got strings"),  # seen before capturing: ijson reads it
        (997, "expected an array of numbers"),  # seen in a later chunk, mid-capture
    ],
)
def test_a_converted_column_with_a_string_is_a_clear_error(read_size, message):
    profile = processed_profile([(["A"], 1)] * 3000)
    samples = profile["threads"][0]["samples"]
    del samples["time"]
    samples["timeDeltas"] = [1.5] * 2000 + ["x"] + [1.5] * 999
    with pytest.raises(profile_frames.ProfileFormatError) as err:
        profile_frames.load(_SmallReads(to_bytes(profile), read_size))
    msg = str(err.value)
    assert "threads[0].samples.timeDeltas" in msg and message in msg


def _recount(t):
    from profile_frames.stack_sums import sum_by_stack

    return sum_by_stack(t.samples["stack"], t.samples["weight"], t.stacks.height)[: t.stacks.height]


@pytest.mark.parametrize("source", ["example", "weighted"])
def test_samples_grouped_by_stack_at_load_equal_a_recount(source, tmp_path):
    """The per-stack sums made while the profile is built are what counting the samples of
    each thread view gives; they survive the cache (and an old cache without them recounts);
    a transform that changes the samples or stacks does not inherit them."""
    if source == "example":
        p = profile_frames.load(EXAMPLE)
    else:
        p = profile_frames.load(
            to_bytes(processed_profile([(["A"], 3), (None, 10), (["A", "B"], 2), (["C"], 1)]))
        )
    threads = [t for t in p.all_threads() if t.samples.height]
    for t in threads:
        assert np.array_equal(t.__dict__["_stack_weights"], _recount(t))
        assert t.functions().equals(t.with_tables(samples=t.samples).functions())
    sums = p.threads["weight"].to_list()
    assert sums == [float(_recount(t).sum()) for t in p.all_threads()]
    p.save(tmp_path / "p.pf")
    q = profile_frames.load(tmp_path / "p.pf")
    for t, u in zip(threads, [q.thread(t.index) for t in threads]):
        assert np.array_equal(u.__dict__["_stack_weights"], t.__dict__["_stack_weights"])
        assert u.functions().equals(t.functions())
    import shutil

    shutil.rmtree(tmp_path / "p.pf" / "stack_weights")
    old = profile_frames.load(tmp_path / "p.pf")
    for t in threads:  # recounted when the folder is opened
        u = old.thread(t.index)
        assert np.array_equal(u.__dict__["_stack_weights"], t.__dict__["_stack_weights"])
        assert u.functions().equals(t.functions())
    t = threads[-1]
    assert "_stack_weights" in t.with_tables(markers=t.markers).__dict__
    assert "_stack_weights" not in t.between(0, 1).__dict__


@pytest.mark.parametrize("read_size", [1 << 20, 997])
def test_samples_counted_per_stack_while_reading(read_size, monkeypatch):
    """A big ``samples.stack`` column is counted per stack block by block as it is read (null
    stacks left out, weights above 1 added after): the sums equal a plain loop, and the
    samples are not counted a second time."""
    paths = [["A"], ["A", "B"], ["A", "B", "C"], ["D"], None]
    rows = [(paths[i % 5], 1 if i % 13 else 1 + i % 4) for i in range(40_000)]
    profile = processed_profile(rows)
    import profile_frames.stack_sums as stack_sums

    recounts = []
    real = stack_sums._count_samples
    monkeypatch.setattr(
        stack_sums, "_count_samples", lambda *a: recounts.append(len(a[0])) or real(*a)
    )
    p = profile_frames.load(_SmallReads(to_bytes(profile), read_size))
    assert recounts == []
    t = p.thread(0)
    stacks = profile["threads"][0]["samples"]["stack"]
    want = np.zeros(t.stacks.height, dtype=np.int64)
    for s, (_, w) in zip(stacks, rows):
        if s is not None:
            want[s] += w
    assert np.array_equal(t.__dict__["_stack_weights"], want)
    assert p.threads["weight"][0] == want.sum()


def test_string_tables_read_into_arrow_and_as_lists_join_in_thread_order():
    """v56 joins per-thread string tables: Series (the scanner's Arrow reading) and lists (a
    table it left to the json module) keep their order, and each thread's indexes follow."""
    from profile_frames.formats.upgrade import _v56_shared_strings

    def thread(strings, names):
        return {"stringArray": strings, "funcTable": {"length": len(names), "name": names}}

    tree = {
        "threads": [
            thread(pl.Series(["a", "b"]), [1, 0]),
            thread(["c"], [0]),
            thread(["d", "e"], [1]),
            thread(pl.Series(["f"]), [0]),
        ]
    }
    _v56_shared_strings(tree)
    assert tree["shared"]["stringArray"].to_list() == ["a", "b", "c", "d", "e", "f"]
    names = [t["funcTable"]["name"] for t in tree["threads"]]
    assert [list(n) for n in names] == [[1, 0], [2], [4], [5]]


def test_v60_join_of_series_and_lists_keeps_nulls_minus_one_and_wide_values():
    """v60 joins per-thread tables: the scanner's Int32 Series (with nulls) and lists join in
    thread order, indexes get their thread's offset (nulls and -1 stay), and a column with a
    value past int32 is joined as int64 rather than wrapped."""
    from profile_frames.formats.upgrade import _v60_shared_tables

    def thread(prefix, frame, address):
        return {
            "stackTable": {"length": len(prefix), "prefix": prefix, "frame": frame},
            "frameTable": {"length": len(address), "func": [0] * len(address), "address": address},
            "funcTable": {"length": 1, "name": [0]},
        }

    tree = {
        "threads": [
            thread(pl.Series([None, 0], dtype=pl.Int32), [0, 1], [5, -1]),
            thread([None, 0, 1], pl.Series([1, 0, -1], dtype=pl.Int32), [2**40, 3]),
            thread([], [], []),
            thread(pl.Series([None], dtype=pl.Int32), [0], pl.Series([7], dtype=pl.Int32)),
        ]
    }
    _v60_shared_tables(tree)
    shared = tree["shared"]
    prefix = shared["stackTable"]["prefix"]
    assert prefix.dtype == pl.Int32
    assert prefix.to_list() == [None, 0, None, 2, 3, None]
    assert shared["stackTable"]["frame"].to_list() == [0, 1, 3, 2, -1, 4]
    address = shared["frameTable"]["address"]
    assert address.dtype == pl.Int64 and address.to_list() == [5, -1, 2**40, 3, 7]
    assert shared["frameTable"]["func"].to_list() == [0, 0, 1, 1, 3]


@pytest.mark.parametrize("enabled", [True, False])
def test_load_pauses_the_cycle_collector_and_restores_it(enabled, monkeypatch):
    """The collector is off while a profile is decoded (walking the raw tree cost time) and
    back as it was afterwards, also when the file is bad."""
    import gc

    from profile_frames.formats import processed

    seen = []
    real = processed.read_v70
    monkeypatch.setattr(
        processed, "read_v70", lambda *a, **k: seen.append(gc.isenabled()) or real(*a, **k)
    )
    (gc.enable if enabled else gc.disable)()
    try:
        profile_frames.load(EXAMPLE)
        assert seen == [False] and gc.isenabled() is enabled
        with pytest.raises(profile_frames.ProfileFormatError):
            profile_frames.load(b'{"meta": {"preprocessedProfileVersion": 70}, "threads": 3}')
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


@pytest.mark.parametrize("spread", [5, 10_000])
def test_samples_counted_per_stack_equal_a_plain_count(spread):
    """A small thread's samples per stack, whether its stacks lie close together (a Gecko
    thread's own range: counted over that range) or far apart (sorted), equal a dict count;
    nulls are left out and zero weights still make a stack present."""
    from profile_frames.stack_sums import count_by_stack

    rng = np.random.default_rng(spread)
    stacks = (rng.integers(0, spread, 40) + 300).tolist()
    stacks[3] = None
    weights = rng.integers(0, 3, 40).tolist()
    samples = pl.DataFrame(
        {"stack": stacks, "weight": weights}, schema={"stack": pl.Int32, "weight": pl.Int32}
    )
    got = count_by_stack(samples, 200_000)
    want: dict[int, int] = {}
    for s, w in zip(stacks, weights):
        if s is not None:
            want[s] = want.get(s, 0) + w
    assert got.stack.tolist() == sorted(want)
    assert got.weight.tolist() == [want[s] for s in sorted(want)]


def test_v60_join_refuses_addresses_beyond_int64_instead_of_wrapping_them():
    """A per-thread column with a value past int64 (polars reads such a list as UInt64) is
    not copied into the joined int64 column, where it would wrap to -1 ("no address"): the
    reader names the column."""
    p = v55_profile([(["A", "B"], 1)])
    frames = p["threads"][0]["frameTable"]
    frames["address"] = [2**64 - 1] * len(frames["address"])
    with pytest.raises(profile_frames.ProfileFormatError, match="frameTable.address"):
        profile_frames.load(to_bytes(p))
    frames["address"] = [2**40] * len(frames["address"])
    assert profile_frames.load(to_bytes(p)).frames["address"].to_list() == [2**40, 2**40]
