"""Hostile inputs: every one ends in a ProfileFormatError naming the file, never a hang or a
bare KeyError / IndexError / dependency exception."""

from __future__ import annotations

import copy
import gzip
import json
import time

import pytest

import profile_frames
from profile_frames import ProfileFormatError

from .builders import processed_profile, to_bytes
from .conftest import SHARED, all_profiles, needs_shared

SUITE = (
    sorted((SHARED / "jsontestsuite" / "test_parsing").glob("*.json"))
    if (SHARED / "jsontestsuite").is_dir()
    else []
)


def _fails_cleanly(data: bytes, *, name: str = "<bytes>") -> ProfileFormatError:
    with pytest.raises(ProfileFormatError) as info:
        profile_frames.load(data)
    assert type(info.value) is ProfileFormatError
    assert info.value.source == name
    return info.value


@needs_shared
@pytest.mark.parametrize("path", SUITE, ids=lambda p: p.name)
def test_json_test_suite_is_never_a_profile(path):
    start = time.monotonic()
    with pytest.raises(ProfileFormatError) as info:
        profile_frames.load(path)
    assert type(info.value) is ProfileFormatError
    assert str(path) in str(info.value)
    assert time.monotonic() - start < 1.0, "must not hang"


def _truncation_points(size: int, end: int) -> list[int]:
    return sorted({max(0, min(end - 1, round(end * k / 20))) for k in range(20)})


PLAIN = [p for p in all_profiles() if not p.name.endswith(".gz")]
GZ = [p for p in all_profiles() if p.name.endswith(".gz")]


@needs_shared
@pytest.mark.parametrize("path", PLAIN, ids=lambda p: p.name)
def test_truncated_json_fails_with_offset(path):
    data = path.read_bytes()
    end = data.rstrip().rfind(b"}")  # cutting anywhere before the last brace leaves invalid JSON
    for cut in _truncation_points(len(data), end):
        err = _fails_cleanly(data[:cut])
        assert err.offset is not None or err.path is not None, str(err)


@needs_shared
@pytest.mark.parametrize("path", GZ, ids=lambda p: p.name)
def test_truncated_gzip_fails(path):
    data = path.read_bytes()
    for cut in _truncation_points(len(data), len(data) - 1)[1:]:
        err = _fails_cleanly(data[:cut])
        assert "truncated" in str(err) or "unexpected end" in str(err) or "JSLB" in str(err), str(
            err
        )


def test_corrupt_gzip():
    data = bytearray(gzip.compress(b'{"meta": {}, "threads": []}' * 100))
    data[20:30] = b"\xff" * 10
    assert "gzip" in str(_fails_cleanly(bytes(data)))


def test_non_utf8_and_binary():
    assert "UTF-8" in str(_fails_cleanly(b'{"meta": {"product": "\xff\xfe"}}'))
    _fails_cleanly(bytes(range(256)) * 4)
    _fails_cleanly(b"")
    _fails_cleanly(b"   \n")


def test_deep_nesting_does_not_exhaust_memory_or_recursion():
    assert "nested" in str(_fails_cleanly(b"[" * 200_000))
    _fails_cleanly(b'{"meta":' * 50_000)


def test_valid_json_that_is_not_a_profile():
    for doc in (b"[]", b"42", b'"x"', b"{}", b'{"meta": {}}', b'{"threads": []}', b"null"):
        assert "not a profile" in str(_fails_cleanly(doc))


BASE = processed_profile([(["A", "B"], 1), (["A"], 2), (None, 1)])


def _mutated(path: list, value, base: dict = BASE) -> bytes:
    prof = copy.deepcopy(base)
    node = prof
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return to_bytes(prof)


CORRUPTIONS = {
    "stack frame out of range": (["shared", "stackTable", "frame"], [0, 99], "frame index 99"),
    "negative frame": (["shared", "stackTable", "frame"], [0, -3], "frame index -3"),
    "prefix forward reference": (
        ["shared", "stackTable", "prefix"],
        [1, None],
        "prefix must come before",
    ),
    "prefix self cycle": (["shared", "stackTable", "prefix"], [None, 1], "prefix must come before"),
    "frame func out of range": (["shared", "frameTable", "func"], [0, 7], "func index 7"),
    "func name beyond strings": (["shared", "funcTable", "name"], [0, 1000], "string index 1000"),
    "sample stack out of range": (
        ["threads", 0, "samples", "stack"],
        [1, 5, None],
        "stack index 5",
    ),
    "length mismatch": (
        ["threads", 0, "samples", "time"],
        [0.0, 1.0],
        "has 2 rows but the table has 3",
    ),
    "strings in a number column": (
        ["threads", 0, "samples", "stack"],
        ["a", "b", "c"],
        "expected numbers",
    ),
    "object instead of column": (["shared", "stackTable", "frame"], {"x": 1}, "expected an array"),
    "fractional index": (["shared", "stackTable", "frame"], [0, 0.5], "expected integers"),
    "absurd length": (["threads", 0, "samples", "length"], 10**18, "'length' is"),
    "negative length": (["threads", 0, "samples", "length"], -1, "non-negative"),
    "missing frame column": (["shared", "stackTable", "frame"], None, "missing column 'frame'"),
    "threads not a list": (["threads"], {"a": 1}, "threads"),
    "thread not an object": (["threads"], [3], "thread"),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS), ids=list(CORRUPTIONS))
def test_corrupted_tables(case):
    path, value, message = CORRUPTIONS[case]
    err = _fails_cleanly(_mutated(path, value))
    assert message in str(err), str(err)


def test_prefix_offset_beyond_start():
    prof = copy.deepcopy(BASE)
    st = prof["shared"]["stackTable"]
    st["prefixOffset"] = [0, 5]
    del st["prefix"]
    assert "prefixOffset" in str(_fails_cleanly(to_bytes(prof)))


def test_big_numeric_columns_are_validated_too():
    """Columns long enough to go through the bulk parser get the same checks."""
    n = 5000
    prof = processed_profile([(["A"], 1)] * n)
    prof["threads"][0]["samples"]["stack"][n // 2] = (
        7  # out of range, deep inside a bulk-parsed array
    )
    assert "stack index 7" in str(_fails_cleanly(to_bytes(prof)))
    text = to_bytes(processed_profile([(["A"], 1)] * n)).replace(
        b'"weight": [1, 1, 1', b'"weight": [1, 1,, 1', 1
    )
    _fails_cleanly(text)
    text = to_bytes(processed_profile([(["A"], 1)] * n)).replace(
        b'"weight": [1, 1, 1', b'"weight": [1, 1, 1x', 1
    )
    _fails_cleanly(text)
    # invalid JSON that dropping blanks would have turned into numbers (12) or nulls
    for bad in (b'"weight": [1, 1 1', b'"weight": [1, , 1', b'"weight": [1,\n 1\n 1'):
        text = to_bytes(processed_profile([(["A"], 1)] * n)).replace(b'"weight": [1, 1, 1', bad, 1)
        _fails_cleanly(text)
    # compact JSON (samply's) goes to the parser without any rewriting: same checks
    compact = json.dumps(processed_profile([(["A"], 1)] * n), separators=(",", ":")).encode()
    for bad in (b'"weight":[1,1,,1', b'"weight":[1,1,1,', b'"weight":[,1,1'):
        text = compact.replace(b'"weight":[1,1,1', bad, 1)
        assert text != compact
        _fails_cleanly(text)
    with_null = compact.replace(b'"weight":[1,1,1', b'"weight":[1,null,1', 1)
    assert profile_frames.load(with_null).thread(0).samples["weight"].sum() == n  # null = 1


def test_error_names_file_path_and_offset(tmp_path):
    p = tmp_path / "broken.json"
    p.write_bytes(b'{"meta": {"preprocessedProfileVersion": 70}, "threads": [1, 2,')
    with pytest.raises(ProfileFormatError) as info:
        profile_frames.load(p)
    assert str(p) in str(info.value) and info.value.offset is not None


def test_newer_version_loads_with_a_warning():
    prof = copy.deepcopy(BASE)
    prof["meta"]["preprocessedProfileVersion"] = 99
    with pytest.warns(profile_frames.NewerVersionWarning, match="99"):
        p = profile_frames.load(to_bytes(prof))
    assert p.thread(0).functions()["total"].max() == 3


@pytest.mark.parametrize("table", ["markers", "samples", "nativeSymbols"])
@pytest.mark.parametrize("length", [2**32 + 1, 10**12, 2**63, 1e9])
def test_absurd_table_lengths_are_errors_before_anything_is_allocated(table, length):
    """A declared ``length`` beyond the table's longest column (or a large one on a table with
    no columns) made polars panic (a BaseException that escaped) or allocate gigabytes."""
    from tests.builders import processed_profile, to_bytes

    p = processed_profile([(["A"], 1), (["A", "B"], 2)])
    thread = p["threads"][0]
    if table == "nativeSymbols":
        (p.get("shared") or thread)["nativeSymbols"] = {"length": length}
    else:
        thread[table]["length"] = length
    with pytest.raises(profile_frames.ProfileFormatError, match="'length' is"):
        profile_frames.load(to_bytes(p))


@pytest.mark.parametrize("entry", [None, 7, True, [1]])
def test_a_gecko_thread_that_is_not_an_object_is_an_error(entry):
    """It was dropped, which renumbered every later thread; a string stays a child process."""
    import io

    from benchmarks.shapes import write_gecko_multiprocess

    buf = io.BytesIO()
    write_gecko_multiprocess(buf, target_bytes=300_000, seed=1, processes=2, threads=4)
    doc = json.loads(buf.getvalue())
    doc["threads"].insert(0, entry)
    with pytest.raises(ProfileFormatError, match=r"threads\[0\]: expected a thread object"):
        profile_frames.load(json.dumps(doc).encode())


@pytest.mark.parametrize("value", [None, [], 3])
def test_samples_that_are_not_a_table_are_an_error(value):
    """``samples: null`` loaded as an empty thread (the Firefox Profiler cannot read it)."""
    p = processed_profile([(["A"], 1)])
    p["threads"][0]["samples"] = value
    with pytest.raises(ProfileFormatError, match=r"threads\[0\]\.samples: expected a samples"):
        profile_frames.load(to_bytes(p))


@pytest.mark.parametrize("column", ["weight", "stack"])
def test_booleans_are_not_numbers(column):
    """``true`` was read as 1 in weight and index columns."""
    p = processed_profile([(["A"], 1), (["A", "B"], 1)])
    p["threads"][0]["samples"][column] = [True, False]
    with pytest.raises(ProfileFormatError, match="booleans"):
        profile_frames.load(to_bytes(p))


def test_a_refused_export_leaves_no_file_and_keeps_the_old_one(tmp_path):
    """Hostile values that load (a weight beyond pprof's int64) make the export fail whole:
    the file that was there stays, and no temporary file is left beside it."""
    p = processed_profile([(["A"], 1), (["A", "B"], 1)])
    p["threads"][0]["samples"]["weight"] = [1.5, 1e300]
    profile = profile_frames.load(to_bytes(p))
    out = tmp_path / "out.pb.gz"
    out.write_bytes(b"old")
    with pytest.raises(profile_frames.ExportError, match="does not fit"):
        _pprof(profile, out)
    assert out.read_bytes() == b"old"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["out.pb.gz"]


def _pprof(profile, out):
    from profile_frames.export.pprof import write_pprof

    write_pprof(profile.thread(0), out)


@pytest.mark.parametrize("case", ["truncated", "refused"])
def test_cli_exports_of_hostile_input_write_nothing(tmp_path, capsys, case):
    from profile_frames.present.cli import main

    p = processed_profile([(["A"], 1), (["A", "B"], 1)])
    if case == "refused":
        p["threads"][0]["samples"]["weight"] = [1.5, 1e300]
        data = to_bytes(p)
    else:
        data = to_bytes(p)[:-40]
    src = tmp_path / "hostile.json"
    src.write_bytes(data)
    for to, name in (("pprof", "out.pb.gz"), ("folded", "out.folded"), ("parquet", "saved")):
        if case == "refused" and to != "pprof":
            continue
        assert main(["export", str(src), "--to", to, "-o", str(tmp_path / name)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("profile-frames: error:") and err.count("\n") == 1, err
        assert str(src) in err or case == "refused"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["hostile.json"]


@pytest.mark.parametrize("big", [False, True], ids=["lists", "bulk-parsed"])
@pytest.mark.parametrize(
    "table, column, target",
    [("stackTable", "frame", "frameTable"), ("stackTable", "prefix", "stackTable"),
     ("frameTable", "func", "funcTable")],
)  # fmt: skip
def test_an_index_past_its_own_threads_table_names_that_thread_and_row(table, column, target, big):
    """v55 per-thread tables joined into shared ones (v60): an index that fits the joined
    table but not its own thread's would point into the next thread's rows; the error names
    the thread, its own row and its table's size. ``big``: columns long enough to be parsed
    in bulk (Series) instead of decoded as lists."""
    from .builders import v55_profile

    n = 2000 if big else 1
    samples = [([f"f{i}", f"g{i}"], 1) for i in range(n)]
    first, second = v55_profile(samples), v55_profile(samples)
    profile = {**first, "threads": [first["threads"][0], second["threads"][0]]}
    tab = profile["threads"][1][table]
    size = tab["length"]
    row = len(tab[column]) - 1
    tab[column][row] = size + 1  # within the joined table, past thread 1's own
    err = _fails_cleanly(to_bytes(profile))
    assert err.path == f"threads[1].{table}.{column}", str(err)
    assert f"{target} index {size + 1} at row {row} is out of range" in str(err), str(err)
    assert f"has {size} rows" in str(err), str(err)


@pytest.mark.parametrize("size", [300_000, 3_000_000], ids=["small", "bulk-parsed"])
def test_gecko_frames_without_locations_are_an_error(size):
    """A frame table whose schema has no ``location`` (found by fuzzing: a polars ShapeError
    escaped, its other columns being as long as the rows and the locations empty)."""
    import io

    from benchmarks.shapes import write_gecko_multiprocess

    buf = io.BytesIO()
    write_gecko_multiprocess(buf, target_bytes=size, seed=1, processes=2, threads=4)
    doc = json.loads(buf.getvalue())
    frames = doc["threads"][0]["frameTable"]
    del frames["schema"]["location"]
    with pytest.raises(
        ProfileFormatError, match=r"threads\[0\]\.frameTable: missing column 'location'"
    ):
        profile_frames.load(json.dumps(doc).encode())


def test_processed_marker_payloads_that_are_rows_of_numbers_load():
    """Marker ``data`` that are arrays of numbers (the scanner reads them as rows, as in a
    Gecko table) were a TypeError escaping (found by fuzzing, seed 43): they are kept as the
    JSON text of each array."""
    p = processed_profile([(["A"], 1), (["A", "B"], 1)])
    rows = [[i, i + 0.5] for i in range(500)]
    p["threads"][0]["markers"] = {
        "length": len(rows),
        "name": [0] * len(rows),
        "startTime": [float(i) for i in range(len(rows))],
        "endTime": [None] * len(rows),
        "phase": [0] * len(rows),
        "category": [0] * len(rows),
        "data": rows,
    }
    markers = profile_frames.load(to_bytes(p)).thread(0).markers
    assert [json.loads(d) for d in markers["data"].to_list()] == rows


@needs_shared
@pytest.mark.parametrize("bulk", [True, False], ids=["C parser", "numpy path"])
def test_one_very_wide_row_among_short_ones_costs_its_own_size(bulk, monkeypatch):
    """50k sample rows of two cells and one of 50k: a grid of rows x widest row would be 2.5G
    cells (the load raised a bare MemoryError). The schema's cells are read; the memory
    follows the text."""
    import tracemalloc

    from profile_frames import native

    if not bulk:
        monkeypatch.setattr(native, "_json_numbers", None)
    doc = json.loads(
        (SHARED / "fixtures/profiles/gecko/profiler-test-gecko-2-v13.json").read_text()
    )
    samples = doc["threads"][0]["samples"]
    n = 50_000
    samples["data"] = [[0, float(i)] for i in range(n)] + [[0, float(n)] + [1.0] * n]
    text = json.dumps(doc).encode()
    tracemalloc.start()
    try:
        profile = profile_frames.load(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    thread = profile.thread(0)
    assert thread.n_samples == n + 1
    assert thread.samples["time"][-1] == n  # the wide row's own cells are read
    assert peak < 40 * len(text)
