"""Is a change real or noise? Welch's t test per function over repeated runs, with
Benjamini–Hochberg q-values over all functions.

One module for every comparison of N runs against M runs: ``diff`` of lists of threads, the
dataset's ``compare`` and the CI check's baseline rules. The input is the per-run moments of each
function's share (mean, sample variance, number of runs on each side), which SQL engines compute
too (``AVG``, ``VAR_SAMP``, ``COUNT``): DuckDB and Spark return those and this module turns them
into the same intervals, p- and q-values.

* ``delta`` = mean after − mean before (percentage points when shares are percentages);
* ``ci_low``/``ci_high``: its two-sided confidence interval (default 95 %) with the
  Welch–Satterthwaite degrees of freedom;
* ``p_value``: two-sided, null = equal means; null when a side has fewer than two runs;
* ``q_value``: the Benjamini–Hochberg adjusted p-value over all rows with a p-value; a row with
  ``q_value < 0.05`` is a discovery at a 5 % false-discovery rate.

When both sides have zero variance the change is exact: p is 0 for a non-zero change and 1 for
none. A key that is 0 in every run of both sides (a function with no self weight anywhere, when
comparing self shares) is not tested: its p and q are null and it does not count in the
Benjamini–Hochberg family.

Example
-------
>>> import polars as pl
>>> runs = pl.DataFrame({
...     "function": ["f"] * 6 + ["g"] * 6,
...     "side": (["before"] * 3 + ["after"] * 3) * 2,
...     "share": [10.0, 11.0, 9.0, 15.0, 14.0, 16.0, 5.0, 6.0, 4.0, 5.0, 4.0, 6.0],
... })
>>> r = compare_shares(runs, keys=["function"], n_before=3, n_after=3)
>>> r.select("function", "delta", pl.col("p_value").round(4)).sort("function").rows()
[('f', 5.0, 0.0036), ('g', 0.0, 1.0)]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

MOMENT_COLUMNS = ["n_before", "mean_before", "var_before", "n_after", "mean_after", "var_after"]
RESULT_COLUMNS = ["delta", "ci_low", "ci_high", "t_stat", "df", "p_value", "q_value"]


def side_sums(runs: pl.DataFrame, *, keys: Sequence[str], value: str = "share") -> pl.DataFrame:
    """Per key and side: ``sum`` and ``sum_sq`` of ``value`` over the runs in which the key
    occurs (what ``SUM(x)``, ``SUM(x * x)`` give in SQL)."""
    return runs.group_by([*keys, "side"]).agg(
        pl.col(value).cast(pl.Float64).sum().alias("sum"),
        (pl.col(value).cast(pl.Float64) ** 2).sum().alias("sum_sq"),
    )


def moments_from_sums(
    sums: pl.DataFrame, *, keys: Sequence[str], n_before: int, n_after: int
) -> pl.DataFrame:
    """:data:`MOMENT_COLUMNS` per key from :func:`side_sums`' rows and the number of runs on
    each side; a run in which a key does not occur counts as a 0 for it (a key seen on one
    side only has mean 0 and variance 0 on the other)."""
    parts, columns = [], list(keys)
    for side, n in (("before", n_before), ("after", n_after)):
        mean = pl.col("sum") / n
        var = ((pl.col("sum_sq") - n * mean**2) / (n - 1)).clip(lower_bound=0.0)
        parts.append(
            sums.filter(pl.col("side") == side).select(
                *keys, mean.alias(f"mean_{side}"), var.alias(f"var_{side}")
            )
        )
        columns += [
            pl.lit(n, pl.Int64).alias(f"n_{side}"),
            pl.col(f"mean_{side}").fill_null(0.0),
            # one run has no spread to estimate
            (pl.col(f"var_{side}").fill_null(0.0) if n > 1 else pl.lit(None, pl.Float64)).alias(
                f"var_{side}"
            ),
        ]
    df = parts[0].join(parts[1], on=list(keys), how="full", coalesce=True, nulls_equal=True)
    return df.select(columns)


def moments(
    runs: pl.DataFrame,
    *,
    keys: Sequence[str],
    n_before: int,
    n_after: int,
    value: str = "share",
) -> pl.DataFrame:
    """Per key: runs, mean and sample variance of ``value`` on each side.

    ``runs`` has the key columns, ``side`` ("before"/"after") and ``value``, one row per run in
    which the key occurs; ``n_before``/``n_after`` runs make each side, the missing ones
    counting as zeros.
    """
    return moments_from_sums(
        side_sums(runs, keys=keys, value=value), keys=keys, n_before=n_before, n_after=n_after
    )


def welch(df: pl.DataFrame, *, confidence: float = 0.95) -> pl.DataFrame:
    """``df`` (with :data:`MOMENT_COLUMNS`) plus :data:`RESULT_COLUMNS`."""
    from scipy.special import stdtr, stdtrit  # the t distribution; imported when first needed

    nb = df["n_before"].cast(pl.Float64).to_numpy()
    na = df["n_after"].cast(pl.Float64).to_numpy()
    vb = df["var_before"].cast(pl.Float64).to_numpy()
    va = df["var_after"].cast(pl.Float64).to_numpy()
    mb = df["mean_before"].cast(pl.Float64).to_numpy()
    ma = df["mean_after"].cast(pl.Float64).to_numpy()
    delta = ma - mb
    with np.errstate(divide="ignore", invalid="ignore"):
        # a key that is 0 in every run on both sides (a caller, for self shares) is no test
        tested = (nb > 1) & (na > 1) & ~np.isnan(vb) & ~np.isnan(va) & ((mb != 0) | (ma != 0))
        vb_n, va_n = vb / nb, va / na
        se = np.sqrt(vb_n + va_n)
        dof = (vb_n + va_n) ** 2 / (vb_n**2 / (nb - 1) + va_n**2 / (na - 1))
        t = delta / se
        p = 2.0 * stdtr(dof, -np.abs(t))  # two-sided: twice the lower tail of -|t|
        half = stdtrit(dof, 0.5 + confidence / 2.0) * se
    exact = tested & (se == 0)  # no spread on either side: the difference is what it is
    p = np.where(exact, np.where(delta == 0, 1.0, 0.0), p)
    half = np.where(exact, 0.0, half)
    t = np.where(exact, np.nan, t)
    dof = np.where(exact, np.nan, dof)
    p = np.where(tested, p, np.nan)
    half = np.where(tested, half, np.nan)
    return df.with_columns(
        pl.Series("delta", delta),
        pl.Series("ci_low", delta - half, nan_to_null=True),
        pl.Series("ci_high", delta + half, nan_to_null=True),
        pl.Series("t_stat", np.where(tested, t, np.nan), nan_to_null=True),
        pl.Series("df", np.where(tested, dof, np.nan), nan_to_null=True),
        pl.Series("p_value", p, nan_to_null=True),
        pl.Series("q_value", benjamini_hochberg(p), nan_to_null=True),
    )


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values; NaN entries stay NaN and are not counted.

    >>> benjamini_hochberg(np.array([0.01, 0.04, np.nan, 0.03])).round(3).tolist()
    [0.03, 0.04, nan, 0.04]
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    if not len(ok):
        return q
    order = ok[np.argsort(p[ok], kind="stable")]
    m = len(order)
    ranked = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
    return q


def compare_sums(
    sums: pl.DataFrame,
    *,
    keys: Sequence[str],
    n_before: int,
    n_after: int,
    confidence: float = 0.95,
) -> pl.DataFrame:
    """:func:`moments_from_sums` then :func:`welch`: one row per key, biggest |delta| first
    (what the polars, DuckDB and Spark paths share once each has its sums)."""
    m = moments_from_sums(sums, keys=keys, n_before=n_before, n_after=n_after)
    return welch(m, confidence=confidence).sort(
        pl.col("delta").abs(), *keys, descending=[True, *([False] * len(keys))], nulls_last=True
    )


def compare_shares(
    runs: pl.DataFrame,
    *,
    keys: Sequence[str],
    n_before: int,
    n_after: int,
    value: str = "share",
    confidence: float = 0.95,
) -> pl.DataFrame:
    """:func:`side_sums` then :func:`compare_sums`."""
    sums = side_sums(runs, keys=keys, value=value)
    return compare_sums(sums, keys=keys, n_before=n_before, n_after=n_after, confidence=confidence)
