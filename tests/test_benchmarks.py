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
