"""The benchmark runner works end to end on a 20 MB profile (no timings asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import profile_frames

ROOT = Path(__file__).resolve().parent.parent


def test_smoke_run_20mb(tmp_path):
    out, data = tmp_path / "out", tmp_path / "data"
    cmd = [
        sys.executable,
        "-m",
        "benchmarks",
        "--size",
        "20MB",
        "--reps",
        "1",
        "--out",
        str(out),
        "--data",
        str(data),
    ]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, timeout=600)
    report = json.loads((out / "results-20mb.json").read_text())
    assert (out / "results-20mb.md").read_text().count("| ok |") >= 15
    assert report["machine"]["cores"] >= 1
    for f in report["files"]:
        by_case = {r["case"]: r for r in f["results"]}
        assert all(r["status"] == "ok" for r in f["results"]), [
            r for r in f["results"] if r["status"] != "ok"
        ]
        expected = {"read", "load", "seed_json_loop", "orjson_polars", "ijson_kvitems_polars"}
        assert expected <= set(by_case)
        # the benchmarked load computed the same numbers as a direct load
        direct = profile_frames.load(data / f["name"]).main_thread().functions()
        assert by_case["load"]["check"]["top"] == [direct["function"][0], int(direct["self"][0])]
        assert by_case["load"]["peak_rss_mib"] > 0 and f["tables_mib"] > 0
    first = {r["case"]: r for r in report["files"][0]["results"]}
    assert first["cache_reopen"]["check"] == {"equal_to_fresh_load": True}
    assert first["cache_reopen_ipc"]["check"] == {"equal_to_fresh_load": True}
    assert {"self_time", "functions", "group_time", "call_tree"} <= set(first)


def test_both_generated_layouts_give_the_same_numbers(tmp_path):
    """The v55 file (per-thread tables, upgraded on load: stack numbers change for every thread
    after the first) and the v70 file of the same seed give the same per-stack sums, threads
    table and functions: the sums counted while reading are dropped where the upgrade
    renumbered the stacks."""
    from benchmarks.generate import main as generate

    loaded = {}
    for layout in ("v55", "v70"):
        path = tmp_path / f"p-{layout}.json"
        generate(["--size", "3MB", "--layout", layout, "-o", str(path)])
        loaded[layout] = profile_frames.load(path)
    old, new = loaded["v55"], loaded["v70"]
    cols = ["name", "samples", "weight", "cpu_ms"]
    assert old.threads.select(cols).equals(new.threads.select(cols))
    for t_old, t_new in zip(old.all_threads(), new.all_threads()):
        f_old = t_old.functions().select("function", "self", "total").sort("function", "self")
        f_new = t_new.functions().select("function", "self", "total").sort("function", "self")
        assert f_old.equals(f_new)


def test_a_baseline_using_too_much_memory_is_killed():
    from benchmarks.run import _MemoryWatch, default_memory_limit_gb

    grow = "b = bytearray(300 << 20); import time; time.sleep(30)"  # 300 MiB, touched
    proc = subprocess.Popen([sys.executable, "-c", grow])
    watch = _MemoryWatch(proc, 0.1)
    assert proc.wait(timeout=20) != 0  # killed long before its 30 s sleep ends
    watch.stop()
    assert watch.fired

    calm = subprocess.Popen([sys.executable, "-c", "pass"])
    watch = _MemoryWatch(calm, 0.1)
    assert calm.wait(timeout=20) == 0
    watch.stop()
    assert not watch.fired
    assert 0 < default_memory_limit_gb() < 10_000


def test_smoke_run_real_shapes(tmp_path):
    """The real-shape layouts run end to end with their own cases (the official CLI's cases
    need its install, so they are left to the full suite)."""
    out, data = tmp_path / "out", tmp_path / "data"
    cases = "load,orjson_loads,profile_functions,small_thread_functions,self_time"
    cmd = [sys.executable, "-m", "benchmarks", "--size", "2MB", "--reps", "1"]
    cmd += ["--layouts", "samply-import,gecko-multiprocess,marker-heavy", "--cases", cases]
    cmd += ["--out", str(out), "--data", str(data)]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, timeout=600)
    report = json.loads((out / "results-2mb.json").read_text())
    assert [f["name"] for f in report["files"]] == [
        "profile-2mb-samply-import.json",
        "profile-2mb-gecko-multiprocess.json",
        "profile-2mb-marker-heavy.json",
    ]
    for f in report["files"]:
        by_case = {r["case"]: r for r in f["results"]}
        assert set(by_case) == set(cases.split(",")), f["name"]
        assert all(r["status"] == "ok" for r in f["results"]), f["results"]
        assert by_case["small_thread_functions"]["check"]["samples"] >= 20
