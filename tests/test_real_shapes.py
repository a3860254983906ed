"""Profiles shaped like real recordings (benchmarks/shapes.py): many threads over one shared
stack table, multi-process Gecko files, marker-heavy files. Numbers must equal a plain loop over
the raw JSON, whatever the read boundaries, and a thread view must cost its own size."""

from __future__ import annotations

import io
import json
from collections import Counter

import numpy as np
import pytest

import profile_frames
from benchmarks.shapes import write_gecko_multiprocess, write_marker_heavy, write_samply_import
from profile_frames.present import cli
from tests.reference import ours, thread_weights
from tests.test_load import _SmallReads


@pytest.fixture(scope="module")
def samply_import() -> bytes:
    buf = io.BytesIO()
    write_samply_import(buf, target_bytes=1_500_000, seed=3, threads=60, processes=12)
    return buf.getvalue()


@pytest.fixture(scope="module")
def gecko() -> bytes:
    buf = io.BytesIO()
    write_gecko_multiprocess(buf, target_bytes=2_000_000, seed=5, processes=4, threads=12)
    return buf.getvalue()


def test_every_thread_of_a_samply_import_equals_a_plain_loop(samply_import):
    doc = json.loads(samply_import)
    p = profile_frames.load(samply_import)
    assert p.threads.height == len(doc["threads"]) >= 40
    for i in range(p.threads.height):
        assert ours(p.thread(i)) == thread_weights(doc, i), f"thread {i}"
    both = p.functions()
    assert both["thread"].n_unique() == sum(1 for t in doc["threads"] if t["samples"]["length"])


def test_a_thread_view_holds_only_the_stacks_it_reaches(samply_import):
    """v55 per-thread tables are concatenated into one shared table; each view keeps the
    ancestor closure of its own samples' stacks, renumbered, with the same numbers."""
    p = profile_frames.load(samply_import)
    doc = json.loads(samply_import)
    small = [i for i, t in enumerate(doc["threads"]) if 0 < t["samples"]["length"] < 200]
    assert small
    for i in small:
        t = p.thread(i)
        own = doc["threads"][i]["stackTable"]["length"]
        assert t.stack_rows is not None and t.stacks.height <= own < p.stacks.height
        # the rows are shared-table rows, ascending, and every parent is kept
        rows = t.stack_rows
        assert np.all(np.diff(rows) > 0)
        parent = p.stacks["parent"].to_numpy()[rows]
        parent = parent[~np.isnan(parent)].astype(np.int64)
        assert np.isin(parent, rows).all()
        # the samples table is remapped onto the view's own rows: mapped back through
        # stack_rows, each sample is its stack in the file, shifted to where its thread's own
        # table starts in the shared one
        s = t.samples["stack"].drop_nulls().to_numpy()
        assert s.max() < t.stacks.height
        raw = [x for x in doc["threads"][i]["samples"]["stack"] if x is not None]
        assert np.array_equal(rows[s], np.array(raw) + _offset(doc, i))


def _offset(doc: dict, index: int) -> int:
    """Where thread ``index``'s own stack table starts in the concatenated shared table."""
    return sum(t["stackTable"]["length"] for t in doc["threads"][:index])


def test_transforms_on_a_compacted_view_equal_a_recount(samply_import):
    """A transform moves the per-stack sums by its stack map; recounting the remapped samples
    gives the same tree."""
    p = profile_frames.load(samply_import)
    t = p.main_thread()
    name = t.self_time()["function"][1]
    for view in (t.merge_function(name), t.focus_function(name), t.drop_function(name)):
        fresh = view.with_tables(samples=view.samples)
        assert view.functions().equals(fresh.functions())
        assert view.call_tree().equals(fresh.call_tree())


def test_merged_threads_equal_the_sum_of_their_parts(samply_import):
    p = profile_frames.load(samply_import)
    rows = p.threads.filter(p.threads["samples"] > 0)["index"].to_list()[:5]
    merged_self, merged_total = ours(p.merged(rows))
    want_self, want_total = Counter(), Counter()
    for i in rows:  # each sample belongs to one thread, so both sums add up
        self_w, total_w = ours(p.thread(i))
        want_self.update(self_w)
        want_total.update(total_w)
    assert (merged_self, merged_total) == (want_self, want_total)


@pytest.mark.parametrize("read_size", [None, 997, 4093])
def test_gecko_multiprocess_loads_the_same_whatever_the_read_boundaries(gecko, read_size):
    """Rows of Gecko tables cut by a read boundary reached the decoder as floats (``38.0``),
    which failed as "sample stack 38.0 is out of range": the file loads alike whole or in
    small reads, with every process's threads."""
    whole = profile_frames.load(gecko)
    doc = json.loads(gecko)
    assert whole.threads.height == len(doc["threads"]) + sum(
        len(c["threads"]) for c in doc["processes"]
    )
    assert len(doc["processes"]) == 3
    if read_size is None:
        return
    cut = profile_frames.load(_SmallReads(gecko, read_size))
    assert cut.threads.equals(whole.threads)
    for i in range(whole.threads.height):
        assert cut.thread(i).functions().equals(whole.thread(i).functions())
        assert cut.thread(i).markers.equals(whole.thread(i).markers)


def test_gecko_integral_floats_are_indexes(gecko):
    """JSON does not tell 38 from 38.0: a Gecko file writing integral floats loads."""
    doc = json.loads(gecko)
    t = doc["threads"][0]
    t["samples"]["data"] = [
        [float(r[0]) if r[0] is not None else None, *r[1:]] for r in t["samples"]["data"]
    ]
    t["stackTable"]["data"] = [
        [None if r[0] is None else float(r[0]), float(r[1])] for r in t["stackTable"]["data"]
    ]
    p = profile_frames.load(json.dumps(doc).encode())
    assert p.thread(0).functions().equals(profile_frames.load(gecko).thread(0).functions())


def test_marker_heavy_markers_are_all_there(tmp_path):
    buf = io.BytesIO()
    n = write_marker_heavy(buf, target_bytes=3_000_000, seed=2, markers=30_000)
    p = profile_frames.load(buf.getvalue())
    markers = [t.markers for t in p.all_threads()]
    assert sum(m.height for m in markers) == n
    payload = markers[0]["data"].drop_nulls().str.json_decode()
    assert set(payload.struct.field("type").unique().to_list()) == {"Text", "DOMEvent"}


def test_cli_thread_option_decodes_only_that_thread(samply_import, tmp_path, capsys):
    """``-t`` loads only the threads it names: a broken sample array in another thread does
    not stop the command (it does when every thread is decoded)."""
    doc = json.loads(samply_import)
    sizes = [t["samples"]["length"] for t in doc["threads"]]
    big = max(range(len(sizes)), key=sizes.__getitem__)
    other = max((i for i in range(len(sizes)) if i != big), key=sizes.__getitem__)
    doc["threads"][other]["samples"]["stack"][5] = 10**9  # out of range
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(doc))
    assert cli.main(["top", str(path), "-t", str(big), "-n", "3"]) == 0
    assert cli.main(["top", str(path), "-n", "3"]) != 0
    assert "out of range" in capsys.readouterr().err


def test_rows_mixing_numbers_and_literals_survive_every_read_boundary():
    """Gecko frame rows look numeric until a literal: cut anywhere by a read, they must give
    back exactly their text (two bugs here once: the comma before the held-back tail was
    dropped, and a stale tail was re-sent after a failed block)."""
    from profile_frames.scan import parse_json_chunks

    rows = [[1, False, 0, None, 46, None, 3, 0], [45, True, 0, None, None, None, 1.5, 0]] * 3
    doc = json.dumps({"a": rows, "b": [[2, "x", None]]}, separators=(",", ":")).encode()
    for size in range(1, 48):
        chunks = [doc[i : i + size] for i in range(0, len(doc), size)]
        assert parse_json_chunks(chunks, name="x") == json.loads(doc), size


def test_profile_functions_equal_each_threads_functions(samply_import):
    """``profile.functions()`` tallies every thread in one table: each thread's rows are that
    thread's ``functions()``."""
    p = profile_frames.load(samply_import)
    every = p.functions()
    assert every["thread"].n_unique() > 40
    for i in every["thread"].unique().to_list()[:25]:
        want = p.thread(i).functions().sort("func")
        got = every.filter(every["thread"] == i).drop("thread", "thread_name").sort("func")
        assert got.equals(want), i


@pytest.mark.parametrize("table, column", [("frameTable", 0), ("markers", 0)])
def test_a_bad_string_index_in_bulk_parsed_gecko_rows_is_named_by_its_row(gecko, table, column):
    """Rows parsed in bulk hold doubles (38.0): the row-by-row search for the bad cell named
    the first row (``frame location 0.0 …``) instead of the bad one."""
    doc = json.loads(gecko)
    t = doc["threads"][0]
    rows = t[table]["data"]
    assert len(rows) > 10
    rows[7][column] = len(t["stringTable"]) + 5
    with pytest.raises(profile_frames.ProfileFormatError) as e:
        profile_frames.load(json.dumps(doc, separators=(",", ":")).encode())
    assert f"threads[0].{table}.data[7]" in str(e.value)
    assert str(len(t["stringTable"]) + 5) in str(e.value)


@pytest.mark.parametrize("shape", ["samply_import", "gecko"])
def test_shared_tables_of_many_threads_are_one_chunk_each(shape, request):
    """Concatenated from hundreds of threads, a column in hundreds of chunks made every later
    gather slower (profile.functions() of the samply import 8.1 s instead of 6.7)."""
    p = profile_frames.load(request.getfixturevalue(shape))
    assert len(p.threads) >= 4
    for table in (p.stacks, p.frames, p.funcs):
        assert {c: table[c].n_chunks() for c in table.columns} == dict.fromkeys(table.columns, 1)
