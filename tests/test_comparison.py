"""The compare view's merged profile (profile_frames.comparison_profile), beside the Firefox
Profiler's mergeProfilesForDiffing tests (src/test/unit/merge-compare.test.ts) and against
the two profiles' own numbers."""

from __future__ import annotations

import polars as pl
import pytest

import profile_frames

from .firefox_call_trees import DIFFING
from .text_samples import profile_from_text_samples, to_bytes


def _load(text: str, interval: float = 1) -> profile_frames.Profile:
    doc = profile_from_text_samples(text)
    doc["meta"]["interval"] = interval
    return profile_frames.load(to_bytes(doc))


def test_weights_follow_the_smaller_interval_and_the_first_profile_weighs_negatively():
    """merge-compare.test.ts › should set interval of merged profile to minimum of all
    intervals: weights [2, -1], profile B's sample first."""
    merged = profile_frames.comparison_profile(_load("A", 10), _load("B", 20))
    assert merged.meta.interval_ms == 10
    diff = merged.thread(2).samples
    assert diff["weight"].to_list() == [2, -1]
    assert merged.threads["name"].to_list()[2] == "Diff between 1 and 2"


def test_same_functions_of_both_profiles_are_one_func():
    """merge-compare.test.ts › merges the various tables properly: A, B, C and A, B, D share
    A and B (4 funcs), so a call path of both runs is one call node."""
    merged = profile_frames.comparison_profile(_load("A  A\nB  B\nC  C"), _load("A\nB\nD"))
    assert sorted(merged.funcs["name"].to_list()) == ["A", "B", "C", "D"]
    tree = merged.thread(2).call_tree()
    assert tree.filter(pl.col("function") == "A")["total"].to_list() == [-1]


def test_percentages_are_of_the_absolute_weight():
    """profile-tree.test.ts › diffing trees › computes a rootTotalSummary that is the
    absolute count of all intervals (12)."""
    merged = profile_frames.comparison_profile(_load(DIFFING[0]), _load(DIFFING[1]))
    tree = merged.thread(2).call_tree()
    f = tree.filter((pl.col("function") == "F") & (pl.col("total") == -4))
    assert f["total_pct"].to_list() == pytest.approx([-4 / 12 * 100])


def test_the_comparison_thread_is_after_minus_before_on_real_recordings():
    """Every function's self and total in the comparison thread is the second thread's minus
    the first's (each counted in its own profile)."""
    p = profile_frames.load(profile_frames.example_path())
    busy = p.threads.sort("samples", descending=True)["index"].to_list()[:2]
    merged = profile_frames.comparison_profile(p, p, before_thread=busy[0], after_thread=busy[1])
    key = ["function", "library"]

    def sums(thread) -> pl.DataFrame:
        return thread.functions(by_name=True).select(*key, "self", "total")

    before, after = sums(p.thread(busy[0])), sums(p.thread(busy[1]))
    want = (
        after.join(before, on=key, how="full", coalesce=True, suffix="_b")
        .fill_null(0)
        .select(
            *key,
            (pl.col("self") - pl.col("self_b")).alias("self"),
            (pl.col("total") - pl.col("total_b")).alias("total"),
        )
        .filter((pl.col("self") != 0) | (pl.col("total") != 0))
    )
    got = sums(merged.thread(2))
    assert got.height > 10
    assert got.sort(key).equals(want.sort(key), null_equal=True)
    assert sums(merged.thread(0)).sort(key).equals(before.sort(key))


def test_different_weight_types_are_refused():
    doc = profile_from_text_samples("A")
    doc["threads"][0]["samples"]["weightType"] = "tracing-ms"
    traced = profile_frames.load(to_bytes(doc))
    with pytest.raises(profile_frames.ProfileKeyError, match="weight types"):
        profile_frames.comparison_profile(_load("A"), traced)


def test_a_line_whose_total_cancels_out_keeps_its_self_change():
    """f at line 3 is on one stack in each run (total +1 - 1 = 0) but its own time moved to
    g: the comparison thread's lines() and addresses() keep it (self -1), as functions()
    does."""
    before = _load("A\nf[line:3][address:30]")
    after = _load("A\nf[line:3][address:30]\ng")
    diff = profile_frames.comparison_profile(before, after).thread(2)
    f = diff.functions().filter(pl.col("function") == "f")
    assert f.select("self", "total").rows() == [(-1, 0)]
    assert diff.lines("f").select("line", "self", "total").rows() == [(3, -1, 0)]
    assert diff.addresses("f").select("self", "total").rows() == [(-1, 0)]
