"""The N-vs-N statistics (profile_frames.analysis.stats): against scipy's Welch test and a
brute-force Benjamini–Hochberg, and their error rates on generated series with known truth."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import stats as scipy_stats

from benchmarks.series import DONOR, GROWING, self_shares
from profile_frames import diff
from profile_frames.analysis.stats import benjamini_hochberg, compare_shares, moments, welch
from tests.builders import processed_profile, to_bytes


def _runs(before: list[float], after: list[float]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "function": ["f"] * (len(before) + len(after)),
            "side": ["before"] * len(before) + ["after"] * len(after),
            "share": before + after,
        }
    )


@pytest.mark.parametrize("seed", range(5))
def test_welch_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    b = rng.normal(10, 2, 4 + seed).tolist()
    a = rng.normal(11, 1, 7).tolist()
    r = welch(moments(_runs(b, a), keys=["function"], n_before=len(b), n_after=len(a))).row(
        0, named=True
    )
    ref = scipy_stats.ttest_ind(a, b, equal_var=False)
    assert r["t_stat"] == pytest.approx(ref.statistic, rel=1e-9)
    assert r["p_value"] == pytest.approx(ref.pvalue, rel=1e-9)
    assert r["df"] == pytest.approx(ref.df, rel=1e-9)
    ci = ref.confidence_interval(0.95)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-9)


def test_missing_runs_count_as_zero():
    # f occurs in 2 of 3 "before" runs: the third is a 0, not left out
    runs = pl.DataFrame(
        {
            "function": ["f", "f", "f"],
            "side": ["before", "before", "after"],
            "share": [3.0, 6.0, 1.0],
        }
    )
    m = moments(runs, keys=["function"], n_before=3, n_after=1).row(0, named=True)
    assert m["mean_before"] == pytest.approx(3.0)
    assert m["var_before"] == pytest.approx(np.var([3, 6, 0], ddof=1))
    assert m["var_after"] is None  # one run: no spread, no p-value
    assert welch(moments(runs, keys=["function"], n_before=3, n_after=1))["p_value"][0] is None


def test_zero_spread_is_exact():
    r = compare_shares(_runs([5.0, 5.0], [7.0, 7.0]), keys=["function"], n_before=2, n_after=2)
    assert r["p_value"][0] == 0.0 and r["ci_low"][0] == r["ci_high"][0] == 2.0


def test_benjamini_hochberg_brute_force():
    rng = np.random.default_rng(7)
    p = rng.uniform(0, 0.2, 30)
    q = benjamini_hochberg(p)
    m = len(p)
    order = np.argsort(p)
    for rank, i in enumerate(order, start=1):  # q_i = min over j >= rank of p_(j) * m / j
        want = min(min(p[order[j - 1]] * m / j for j in range(rank, m + 1)), 1.0)
        assert q[i] == pytest.approx(want)


def test_diff_of_repetitions_has_the_shared_statistics():
    def thread(f: int, g: int):
        import profile_frames

        return profile_frames.load(
            to_bytes(processed_profile([(["m", "f"], f), (["m", "g"], g)]))
        ).thread(0)

    before = [thread(5, 5), thread(6, 4), thread(4, 6)]
    after = [thread(8, 2), thread(9, 1), thread(7, 3)]
    d = {r["function"]: r for r in diff(before, after).iter_rows(named=True)}
    ref = scipy_stats.ttest_ind([80, 90, 70], [50, 60, 40], equal_var=False)
    assert d["f"]["p_value"] == pytest.approx(ref.pvalue)
    # f and g have the same p; m (no self weight in any run) is not tested
    assert d["f"]["q_value"] == pytest.approx(ref.pvalue)
    assert d["m"]["p_value"] is None and d["m"]["q_value"] is None
    assert d["f"]["ci_low"] < 30 < d["f"]["ci_high"]


def _trial(seed: int, n: int, grow: bool, samples: int = 20_000) -> pl.DataFrame:
    runs = self_shares(2 * n, samples=samples, grow_from=n if grow else None, seed=seed)
    runs = runs.with_columns(
        side=pl.when(pl.col("run") < n).then(pl.lit("before")).otherwise(pl.lit("after"))
    )
    return compare_shares(runs, keys=["function", "library"], n_before=n, n_after=n)


def test_identical_runs_rarely_give_a_discovery():
    """10 vs 10 runs from one distribution, 100 trials: the share of trials with any function
    at q < 0.05 (the false-discovery rate when every null is true) stays within 5 %."""
    with_discovery = sum(
        _trial(s, 10, False).filter(pl.col("q_value") < 0.05).height > 0 for s in range(100)
    )
    assert with_discovery <= 5


def test_injected_growth_is_found_from_ten_runs_each():
    """The 3-point growth of the series is found at q < 0.05 in each of 50 trials of 10 vs 10;
    its 95 % interval holds the true 3 points in about 95 % of them; and the discoveries that
    are neither changed function stay a small fraction (BH's 5 % target, with the sampling
    error of 50 trials)."""
    covered, false_share = 0, []
    for s in range(50):
        r = _trial(1000 + s, 10, True)
        found = set(r.filter(pl.col("q_value") < 0.05)["function"].to_list())
        assert GROWING in found
        g = r.filter(pl.col("function") == GROWING).row(0, named=True)
        covered += g["ci_low"] < 3.0 < g["ci_high"]
        false_share.append(len(found - {GROWING, DONOR}) / len(found))
    assert covered >= 44  # 95 % of 50 is 47.5; 44 is 2.5 standard errors below
    assert sum(false_share) / len(false_share) <= 0.10
