"""Compare two runs: what moved between a baseline and a changed profile.

``diff(before, after)`` joins the functions (or groups) of both sides by name and library and
reports each side's self and total shares, the change in percentage points, the ratio, and
whether a function appeared or vanished. Shares are normalised by each side's own counted weight
(the default), so runs of different lengths compare. Give ``durations=(before_ms, after_ms)``
(for example the benchmark's time per iteration, "2.28 ms → 1.31 ms") to turn shares into ms per
function. Lists of threads on either side are repetitions: the result then has the mean share and
its standard deviation per side, and Welch's t, a 95 % interval, p- and Benjamini–Hochberg
q-values for the change (:mod:`.stats`).

Example
-------
>>> import profile_frames
>>> t = profile_frames.load(profile_frames.example_path()).thread(1)
>>> d = diff(t, t)
>>> float(d["delta_self_pct"].abs().max())
0.0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import polars as pl

from .stats import welch

if TYPE_CHECKING:
    from ..model import Profile, Thread

KEYS = ["function", "library"]


def threads_of(side: Thread | Profile | Sequence, thread: str | int | None = None) -> list[Thread]:
    """The threads of one side of a comparison: Threads as given; for a Profile, its thread
    ``thread`` (index, name, glob or regex), or its main thread when ``thread`` is None."""
    items = list(side) if isinstance(side, (list, tuple)) else [side]
    out = []
    for x in items:
        if hasattr(x, "main_thread"):  # a Profile
            x = x.main_thread() if thread is None else x.thread(thread)
        out.append(x)
    if not out:
        raise ValueError("a side of the comparison has no threads")
    return out


def _shares(thread: Thread, groups: dict | None) -> pl.DataFrame:
    if groups:
        df = (
            thread.group_time(groups)
            .rename({"group": "function"})
            .with_columns(library=pl.lit(None, pl.String))
        )
    else:
        df = thread.functions()
    # functions with the same name and library (e.g. vmprof's one func per line) are summed
    return df.group_by(KEYS, maintain_order=True).agg(
        pl.col("self").sum(),
        pl.col("total").sum(),
        pl.col("self_pct").sum(),
        pl.col("total_pct").sum(),
    )


def _side(threads: Sequence[Thread], groups: dict | None, tag: str) -> pl.DataFrame:
    frames = [_shares(t, groups).with_columns(run=pl.lit(i)) for i, t in enumerate(threads)]
    runs = len(frames)
    allf = pl.concat(frames)
    keys = allf.select(KEYS).unique(maintain_order=True)
    # a function missing from a run has share 0 in that run
    grid = keys.join(pl.DataFrame({"run": list(range(runs))}), how="cross")
    full = grid.join(allf, on=[*KEYS, "run"], how="left", nulls_equal=True).fill_null(0)
    agg = full.group_by(KEYS, maintain_order=True).agg(
        pl.col("self").sum().alias(f"self_{tag}"),
        pl.col("total").sum().alias(f"total_{tag}"),
        pl.col("self_pct").mean().alias(f"self_pct_{tag}"),
        pl.col("total_pct").mean().alias(f"total_pct_{tag}"),
        pl.col("self_pct").std(ddof=1).alias(f"self_pct_sd_{tag}"),
    )
    return agg.with_columns(pl.lit(runs).alias(f"runs_{tag}"))


def diff(
    before: Thread | Profile | Sequence[Thread | Profile],
    after: Thread | Profile | Sequence[Thread | Profile],
    *,
    thread: str | int | None = None,
    groups: dict | None = None,
    durations: tuple[float, float] | None = None,
) -> pl.DataFrame:
    """One row per function (or group): both sides, the change, and appeared/vanished flags.

    Each side is a Thread, a Profile (its thread ``thread``, default the main thread), or a list
    of them (repetitions). Sorted by the absolute change in self share, biggest first.
    """
    b, a = threads_of(before, thread), threads_of(after, thread)
    left, right = _side(b, groups, "before"), _side(a, groups, "after")
    df = left.join(right, on=KEYS, how="full", coalesce=True, nulls_equal=True)
    for c in (
        "self_before",
        "total_before",
        "self_after",
        "total_after",
        "self_pct_before",
        "self_pct_after",
        "total_pct_before",
        "total_pct_after",
    ):
        df = df.with_columns(pl.col(c).fill_null(0))
    df = (
        df.with_columns(
            delta_self_pct=pl.col("self_pct_after") - pl.col("self_pct_before"),
            delta_total_pct=pl.col("total_pct_after") - pl.col("total_pct_before"),
            status=pl.when(pl.col("total_before") == 0)
            .then(pl.lit("new"))
            .when(pl.col("total_after") == 0)
            .then(pl.lit("gone"))
            .otherwise(pl.lit("")),
        )
        .with_columns(
            # after / before self share; null where it is undefined (no self weight before) and
            # for new and gone functions alike (status says which)
            ratio=pl.when((pl.col("status") == "") & (pl.col("self_pct_before") > 0))
            .then(pl.col("self_pct_after") / pl.col("self_pct_before"))
            .otherwise(None),
        )
        .select(pl.exclude("status"), "status")
    )
    if durations is not None:
        db, da = durations
        df = df.with_columns(
            self_ms_before=pl.col("self_pct_before") * db / 100.0,
            self_ms_after=pl.col("self_pct_after") * da / 100.0,
            total_ms_before=pl.col("total_pct_before") * db / 100.0,
            total_ms_after=pl.col("total_pct_after") * da / 100.0,
        ).with_columns(delta_self_ms=pl.col("self_ms_after") - pl.col("self_ms_before"))
    if len(b) > 1 and len(a) > 1:
        df = _significance(df, len(b), len(a))
    else:
        df = df.drop([c for c in df.columns if c.startswith(("self_pct_sd_", "runs_"))])
    return df.sort(pl.col("delta_self_pct").abs(), descending=True, maintain_order=True)


def _significance(df: pl.DataFrame, nb: int, na: int) -> pl.DataFrame:
    """Welch's t, the 95 % interval of the change of mean self share, its p-value and the
    Benjamini–Hochberg q-value over all rows (``stats.welch``, shared with the dataset's
    ``compare`` and the CI check)."""
    moments = df.select(
        n_before=pl.lit(nb),
        mean_before=pl.col("self_pct_before"),
        var_before=pl.col("self_pct_sd_before").fill_null(0) ** 2,
        n_after=pl.lit(na),
        mean_after=pl.col("self_pct_after"),
        var_after=pl.col("self_pct_sd_after").fill_null(0) ** 2,
    )
    tested = welch(moments)
    return df.with_columns(tested.select("ci_low", "ci_high", "t_stat", "p_value", "q_value"))


def summary_markdown(d: pl.DataFrame, *, top: int = 10) -> str:
    """Markdown: the top regressions and improvements in self share."""

    def rows(df: pl.DataFrame) -> list[str]:
        out = []
        for r in df.iter_rows(named=True):
            ms = (
                f", {r['self_ms_before']:.3f} → {r['self_ms_after']:.3f} ms"
                if "self_ms_before" in r
                else ""
            )
            flag = f" ({r['status']})" if r["status"] else ""
            lib = (r.get("library") or "").replace("|", "\\|")
            out.append(
                f"| `{r['function']}`{flag} | {lib} | {r['self_pct_before']:.1f}% | {r['self_pct_after']:.1f}% | {r['delta_self_pct']:+.1f} pp{ms} |"
            )
        return out

    head = ["| function | library | before | after | change |", "|---|---|---|---|---|"]
    worse = d.filter(pl.col("delta_self_pct") > 0).sort("delta_self_pct", descending=True).head(top)
    better = d.filter(pl.col("delta_self_pct") < 0).sort("delta_self_pct").head(top)
    return "\n".join(
        [
            "## Regressions (self share grew)",
            "",
            *head,
            *rows(worse),
            "",
            "## Improvements (self share shrank)",
            "",
            *head,
            *rows(better),
            "",
        ]
    )


def _one(side: Thread | Profile, thread: str | int | None) -> list[Thread]:
    threads = threads_of(side, thread)
    if len(threads) != 1:
        raise ValueError(f"a call-path diff compares one thread per side, got {len(threads)}")
    return threads


def _path_keys(tree: pl.DataFrame) -> pl.DataFrame:
    """Add ``path`` (root-first function names joined by ``;``) to a call tree, level by level."""
    out = []
    known = pl.DataFrame(schema={"node": pl.UInt32, "path": pl.String})
    for d in range(int(tree["depth"].max() or 0) + 1 if tree.height else 0):
        level = tree.filter(pl.col("depth") == d)
        if d == 0:
            level = level.with_columns(path=pl.col("function").fill_null("?"))
        else:
            level = (
                level.join(
                    known.rename({"node": "parent", "path": "parent_path"}), on="parent", how="left"
                )
                .with_columns(path=pl.col("parent_path") + ";" + pl.col("function").fill_null("?"))
                .drop("parent_path")
            )
        known = level.select("node", "path")
        out.append(level)
    return pl.concat(out) if out else tree.with_columns(path=pl.lit(None, pl.String))


def diff_tree(
    before: Thread | Profile,
    after: Thread | Profile,
    *,
    thread: str | int | None = None,
    inverted: bool = False,
) -> pl.DataFrame:
    """The call-path diff: one row per call path (root first) with both sides' total and self
    shares and the change, in depth-first order of the union of both trees. A Profile side means
    its thread ``thread`` (default the main thread)."""
    (before,), (after,) = _one(before, thread), _one(after, thread)
    sides = []
    for tag, t in (("before", before), ("after", after)):
        tree = _path_keys(t.call_tree(inverted=inverted))
        sides.append(
            tree.group_by("path").agg(
                pl.col("function").first(),
                pl.col("depth").first(),
                pl.col("total_pct").sum().alias(f"total_pct_{tag}"),
                pl.col("self_pct").sum().alias(f"self_pct_{tag}"),
            )
        )
    df = sides[0].join(sides[1], on="path", how="full", coalesce=True)
    df = df.with_columns(
        function=pl.coalesce("function", "function_right"),
        depth=pl.coalesce("depth", "depth_right"),
    ).drop("function_right", "depth_right")
    df = df.with_columns(
        pl.col(c).fill_null(0.0)
        for c in ("total_pct_before", "total_pct_after", "self_pct_before", "self_pct_after")
    )
    df = df.with_columns(delta_total_pct=pl.col("total_pct_after") - pl.col("total_pct_before"))
    # depth-first: sort by path components (heavier side first would need a per-level rank)
    return df.sort("path").select(
        "path",
        "function",
        "depth",
        "total_pct_before",
        "total_pct_after",
        "delta_total_pct",
        "self_pct_before",
        "self_pct_after",
    )
