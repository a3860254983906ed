"""Our numbers against the official Firefox Profiler CLI's outputs for every real fixture."""

from __future__ import annotations

from collections import Counter

import polars as pl
import pytest

import profile_frames
from profile_frames.analysis.calltree import name_with_library

from .conftest import (
    EXPECTED,
    all_profiles,
    expected_file,
    expected_name,
    needs_shared,
    read_json,
    weights_by_name,
)

pytestmark = needs_shared

LOADABLE = [
    p for p in all_profiles() if (EXPECTED / expected_name(p) / "profile-info.json").exists()
]
CASES = [
    (p, int(f.name.split(".")[0].split("-")[1]))
    for p in LOADABLE
    for f in sorted((EXPECTED / expected_name(p)).glob("thread-*.functions.json*"))
]

_cache: dict = {}


def _load(path):
    if path not in _cache:
        _cache[path] = profile_frames.load(path, symbols=False)  # the CLI reads no sidecar
    return _cache[path]


def _ids(case):
    return f"{case[0].name}-t{case[1]}"


@pytest.mark.parametrize("path", LOADABLE, ids=lambda p: p.name)
def test_profile_info(path):
    info = read_json(EXPECTED / expected_name(path) / "profile-info.json")
    prof = _load(path)
    assert prof.threads.height == info["threadCount"]
    by_index = {t["threadIndex"]: t for p in info["processes"] for t in p["threads"]}
    for row in prof.threads.iter_rows(named=True):
        exp = by_index[row["index"]]
        assert row["name"] == exp["name"]
        if "tid" in exp:
            assert row["tid"] == str(exp["tid"])
        if row["cpu_ms"] is not None:
            assert row["cpu_ms"] == pytest.approx(exp["cpuMs"], rel=1e-6, abs=1e-3)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_functions_match_cli(case):
    path, n = case
    exp = read_json(expected_file(expected_name(path), f"thread-{n}.functions"))
    thread = _load(path).thread(n)
    ours_self, ours_total = weights_by_name(thread)
    want_self, want_total = Counter(), Counter()
    for f in exp["functions"]:
        want_self[f["nameWithLibrary"]] += f["selfSamples"]
        want_total[f["nameWithLibrary"]] += f["totalSamples"]
    assert ours_total == +want_total
    assert ours_self == +want_self
    total = sum(want_self.values())
    assert thread.samples.filter(pl.col("stack").is_not_null())["weight"].sum() == total


def _flatten_expected(node, path=()):
    out = []
    for c in node.get("children", []):
        p = (*path, c["nameWithLibrary"])
        out.append((p, c["selfSamples"], c["totalSamples"]))
        out.extend(_flatten_expected(c, p))
    return out


def _flatten_ours(thread, inverted):
    tree = thread.call_tree(inverted=inverted)
    names = name_with_library(thread.funcs).gather(tree["func"]).to_list()
    parents = tree["parent"].to_list()
    paths = []
    for i, par in enumerate(parents):  # tree rows are in DFS order: parents come first
        paths.append((paths[par] if par is not None else ()) + (names[i],))
    return [
        (paths[i], s, t)
        for i, (s, t) in enumerate(zip(tree["self"].to_list(), tree["total"].to_list()))
    ]


TREE_CASES = [
    (p, n, kind)
    for p, n in CASES
    for kind in ("top-down", "bottom-up")
    if expected_file(expected_name(p), f"thread-{n}.{kind}") is not None
]


@pytest.mark.parametrize("case", TREE_CASES, ids=lambda c: f"{c[0].name}-t{c[1]}-{c[2]}")
def test_call_tree_matches_cli(case):
    path, n, kind = case
    exp = read_json(expected_file(expected_name(path), f"thread-{n}.{kind}"))
    root = exp["regularCallTree" if kind == "top-down" else "invertedCallTree"]
    ours = _flatten_ours(_load(path).thread(n), kind == "bottom-up")
    assert Counter(ours) == Counter(_flatten_expected(root))
