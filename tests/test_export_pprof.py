"""pprof export: decoded back with an independent wire reader, and read by ``go tool pprof``."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
from collections import Counter

import numpy as np
import pytest

import profile_frames
from profile_frames.export.pprof import pprof_bytes, write_pprof
from profile_frames.export.protobuf import varint_lengths, varints

from .builders import load_thread
from .conftest import PROFILES, needs_shared
from .protobuf_reader import _varint, pprof

REAL = [
    "samply/samply-0.13-linux-python.json",
    "samply/samply-rustup-macos-v68.json",
    "other-producers/linux-perf-6.12-gecko-python.json",
]
GO = shutil.which("go")


def tallies(prof: dict, value_index: int = 0) -> tuple[Counter, Counter]:
    """Flat (leaf) and cum (once per sample) per pprof function id."""
    flat, cum = Counter(), Counter()
    for s in prof["sample"]:
        funcs = [prof["location"][loc]["line"][0][1] for loc in s["location"]]
        w = s["value"][value_index]
        flat[funcs[0]] += w
        for f in set(funcs):
            cum[f] += w
    return +flat, +cum


def ours(thread) -> tuple[Counter, Counter]:
    f = thread.functions()
    flat = Counter({fn + 1: s for fn, s in zip(f["func"].to_list(), f["self"].to_list())})
    cum = Counter({fn + 1: t for fn, t in zip(f["func"].to_list(), f["total"].to_list())})
    return +flat, +cum


def test_varints_match_an_independent_decoder():
    values = np.array([0, 1, 127, 128, 300, 2**21, 2**35 + 5, 2**63 - 1, 2**64 - 1], np.uint64)
    buf = varints(values)
    assert len(buf) == int(varint_lengths(values).sum())
    decoded, i = [], 0
    while i < len(buf):
        v, i = _varint(buf, i)
        decoded.append(v)
    assert decoded == [int(v) for v in values]


def test_hand_built_thread_round_trips():
    t = load_thread()  # weights above 1 and a null stack
    prof = pprof(gzip.decompress(pprof_bytes(t)))
    st = [(prof["strings"][a], prof["strings"][b]) for a, b in prof["sample_type"]]
    assert st[0] == ("samples", "count")
    assert tallies(prof) == ours(t)
    assert sum(s["value"][0] for s in prof["sample"]) == t.functions()["self"].sum()
    names = {i: prof["strings"][f[2]] for i, f in prof["function"].items()}
    assert set(names.values()) >= {"A", "B", "C"}


def test_example_has_cpu_time_mappings_and_lines():
    p = profile_frames.load(profile_frames.example_path())
    t = p.main_thread()
    prof = pprof(gzip.decompress(pprof_bytes(t)))
    kinds = [prof["strings"][a] for a, _ in prof["sample_type"]]
    assert kinds == ["samples", "cpu"]
    cpu_ns = sum(s["value"][1] for s in prof["sample"])
    expected = t.samples.drop_nulls("stack")["cpu_delta"].cast(float).sum() * 1000
    assert cpu_ns == pytest.approx(expected, rel=1e-6, abs=len(prof["sample"]))
    assert prof["mapping"], "libraries become mappings"
    files = {prof["strings"][m.get(5, 0)] for m in prof["mapping"].values()}
    assert any("libpython" in f for f in files)
    assert all(loc.get(2) in prof["mapping"] for loc in prof["location"].values() if 2 in loc)


@needs_shared
@pytest.mark.parametrize("name", REAL)
def test_real_fixtures_round_trip(name):
    p = profile_frames.load(PROFILES / name)
    for t in p.all_threads():
        if t.samples.height:
            assert tallies(pprof(gzip.decompress(pprof_bytes(t)))) == ours(t), t


def test_several_threads_carry_a_thread_label(tmp_path):
    p = profile_frames.load(profile_frames.example_path())
    views = [t for t in p.all_threads() if t.samples.height]
    path = tmp_path / "all.pb.gz"
    write_pprof(views, path)
    prof = pprof(gzip.decompress(path.read_bytes()))
    by_thread = Counter()
    for s in prof["sample"]:
        (label,) = s["label"]
        assert prof["strings"][label[1]] == "thread"
        by_thread[prof["strings"][label[2]]] += s["value"][0]
    assert by_thread == Counter(
        {f"{t.name} ({t.index})": t.functions()["self"].sum() for t in views}
    )


def test_failed_write_leaves_no_file(tmp_path, monkeypatch):
    import profile_frames.export.pprof as mod

    def boom(*a, **k):
        yield b"\x0a"
        raise RuntimeError("disk full")

    monkeypatch.setattr(mod, "pprof_chunks", boom)
    with pytest.raises(RuntimeError):
        write_pprof(load_thread(), tmp_path / "x.pb.gz")
    assert os.listdir(tmp_path) == []


def go_top(path, sample_index: str) -> dict[str, tuple[int, int]]:
    """``go tool pprof -top`` as {name: (flat, cum)}."""
    out = subprocess.run(
        [GO, "tool", "pprof", "-top", "-nodecount=1000000", "-nodefraction=0",
         "-edgefraction=0", f"-sample_index={sample_index}", str(path)],
        capture_output=True, text=True, check=True, timeout=120,
        env={**os.environ, "HOME": str(path.parent), "PPROF_TMPDIR": str(path.parent)},
    ).stdout  # fmt: skip
    rows = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\d+)\s+[\d.]+%\s+[\d.]+%\s+(\d+)\s+[\d.]+%\s+(.*)$", line)
        if m:
            rows[m.group(3)] = (int(m.group(1)), int(m.group(2)))
    return rows


@pytest.mark.skipif(GO is None, reason="go is not installed (Debian: apt-get install golang-go)")
@pytest.mark.parametrize("name", ["example", *REAL])
def test_go_tool_pprof_top_equals_self_and_total(name, tmp_path):
    if name == "example":
        p = profile_frames.load(profile_frames.example_path())
    elif not PROFILES.is_dir():
        pytest.skip("../shared/fixtures is not present beside this checkout")
    else:
        p = profile_frames.load(PROFILES / name)
    t = p.main_thread()
    path = tmp_path / "t.pb.gz"
    write_pprof(t, path)
    top = go_top(path, "samples")
    f = t.functions()
    names = [n or "" for n in f["function"].to_list()]
    flat = Counter()
    for n, s in zip(names, f["self"].to_list()):
        flat[n] += s
    # pprof merges functions by name; flat sums, cum is comparable only for unique names
    assert {n: v[0] for n, v in top.items() if v[0]} == dict(+flat)
    unique = {n for n, c in Counter(names).items() if c == 1}
    checked = 0
    for n, total in zip(names, f["total"].to_list()):
        if n in unique and n in top:
            assert top[n][1] == total, n
            checked += 1
    assert checked >= 0.8 * len(unique)
