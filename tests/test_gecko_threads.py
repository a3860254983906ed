"""The threads of a Gecko profile are converted together (one joined column per kind): each
thread must still be numbered, shifted and checked as if it were read alone."""

from __future__ import annotations

import io
import json

import polars as pl
import pytest

import profile_frames
from benchmarks.shapes import write_gecko_multiprocess
from profile_frames import ProfileFormatError

SIZES = pytest.mark.parametrize("size", [300_000, 3_000_000], ids=["small", "bulk-parsed"])


def _document(size: int) -> dict:
    buf = io.BytesIO()
    write_gecko_multiprocess(buf, target_bytes=size, seed=1, processes=3)
    return json.loads(buf.getvalue())


def _flat(doc: dict) -> list[dict]:
    """The threads in the order they are numbered: the parent's, then each child's."""
    return doc["threads"] + [t for p in doc["processes"] for t in p["threads"]]


@SIZES
def test_each_thread_loads_as_it_does_alone(size):
    """Thread by thread, the samples, markers and self times of the whole file equal those of
    the thread loaded on its own (where it is the only thread, numbered from 0)."""
    data = json.dumps(_document(size)).encode()
    whole = profile_frames.load(data)
    assert len(whole.threads) >= 8
    for i in range(len(whole.threads)):
        alone = profile_frames.load(data, threads=[i]).thread(i)
        together = whole.thread(i)
        assert together.samples["time"].equals(alone.samples["time"])
        assert together.markers.equals(alone.markers)
        # func ids number the funcs of all the threads read: the rows are compared without
        assert (
            together.self_time()
            .drop("func")
            .sort("function", "self")
            .equals(alone.self_time().drop("func").sort("function", "self"))
        )


@SIZES
def test_child_process_times_are_shifted_by_their_start(size):
    doc = _document(size)
    shift = doc["processes"][1]["meta"]["startTime"] - doc["meta"]["startTime"]
    assert shift > 0
    position = len(doc["threads"]) + len(doc["processes"][0]["threads"])  # child 1, thread 0
    raw = doc["processes"][1]["threads"][0]
    at = raw["samples"]["schema"]["time"]
    expected = [row[at] + shift for row in raw["samples"]["data"]]
    got = profile_frames.load(json.dumps(doc).encode()).thread(position).samples["time"]
    assert got.to_list() == pytest.approx(expected, abs=1e-9)
    parent = profile_frames.load(json.dumps(doc).encode()).thread(0).samples["time"]
    first = doc["threads"][0]["samples"]
    assert parent[0] == first["data"][0][first["schema"]["time"]]  # the parent is not moved


# each case: (table, column, the value out of the thread's own range, the message)
OUT_OF_RANGE = {
    "sample stack": ("samples", "stack", lambda t: len(t["stackTable"]["data"]), "sample stack"),
    "stack frame": ("stackTable", "frame", lambda t: len(t["frameTable"]["data"]), "stack frame"),
    "frame location": (
        "frameTable",
        "location",
        lambda t: len(t["stringTable"]),
        "not an index into the string table",
    ),
    "marker name": ("markers", "name", lambda t: len(t["stringTable"]), "marker name"),
}


@SIZES
@pytest.mark.parametrize("case", OUT_OF_RANGE)
def test_an_index_beyond_its_own_thread_is_an_error_in_that_thread(size, case):
    """The joined columns hold every thread: an index one past its own thread's table is
    still a row of the joined one, and must be refused with the thread and row named."""
    table, column, value, message = OUT_OF_RANGE[case]
    doc = _document(size)
    thread = _flat(doc)[3]  # in a child process, with threads after it
    rows = thread[table]["data"]
    row = len(rows) // 2
    rows[row][thread[table]["schema"][column]] = value(thread)
    with pytest.raises(ProfileFormatError, match=message) as raised:
        profile_frames.load(json.dumps(doc).encode())
    assert raised.value.path == f"processes[0].threads[1].{table}.data[{row}]"


@SIZES
@pytest.mark.parametrize("later", [0, 1], ids=["itself", "the next stack"])
def test_a_prefix_that_is_not_an_earlier_stack_is_an_error_in_that_thread(size, later):
    doc = _document(size)
    thread = _flat(doc)[3]
    rows = thread["stackTable"]["data"]
    row = len(rows) // 2
    rows[row][thread["stackTable"]["schema"]["prefix"]] = row + later
    with pytest.raises(ProfileFormatError, match="must be an earlier stack") as raised:
        profile_frames.load(json.dumps(doc).encode())
    assert raised.value.path == f"processes[0].threads[1].stackTable.data[{row}]"


def test_a_marker_named_by_a_string_table_cell_that_is_not_text_shows_it():
    """The Firefox Profiler shows whatever the cell holds; a frame location there is an error."""
    doc = _document(300_000)
    thread = _flat(doc)[3]
    thread["stringTable"].append(42)
    name = thread["markers"]["schema"]["name"]
    thread["markers"]["data"][0][name] = len(thread["stringTable"]) - 1
    markers = profile_frames.load(json.dumps(doc).encode()).thread(3).markers
    assert markers["name"][0] == "42"
    location = thread["frameTable"]["schema"]["location"]
    thread["frameTable"]["data"][1][location] = len(thread["stringTable"]) - 1
    with pytest.raises(ProfileFormatError, match=r"frame location \d+ is not a string \(42\)"):
        profile_frames.load(json.dumps(doc).encode())


def test_threads_without_tables_load_among_others():
    """A thread with no frames, stacks, samples or markers between two full ones."""
    doc = _document(300_000)
    empty = {"name": "Empty", "stringTable": [], "samples": None, "markers": None}
    doc["processes"][0]["threads"].insert(1, empty)
    p = profile_frames.load(json.dumps(doc).encode())
    assert p.thread(3).samples.height == 0
    assert p.thread(4).samples.height > 0
    assert isinstance(p.thread(4).self_time(), pl.DataFrame)
