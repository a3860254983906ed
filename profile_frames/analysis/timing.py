"""Self and total weight per function, as the Firefox Profiler's function list computes them.

``self`` sums the weights of samples whose innermost frame is the function; ``total`` sums the
weights of samples whose stack contains it, each sample counted once even under recursion.
Null stacks count nowhere, not even in the 100 % denominator. ``self_ms``/``total_ms`` convert
weights to time (weight × interval) when the weight type is ``samples``.

Example
-------
>>> import profile_frames
>>> t = profile_frames.load(profile_frames.example_path()).thread(1)
>>> t.functions().columns
['function', 'library', 'self', 'self_pct', 'total', 'total_pct', 'self_ms', 'total_ms', 'func']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from .calltree import call_nodes

if TYPE_CHECKING:
    from ..model import Profile, Thread


def function_weights(thread: Thread) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The funcs the thread's stacks use, their self and total weights, and the denominator."""
    cn = call_nodes(thread)
    used, slot = cn.used_funcs
    self_f, total_f = cn.by_key(slot, len(used))
    return used, self_f, total_f, cn.root_total


def weights_frame(
    thread: Thread, key_cols: dict[str, Any], self_w: np.ndarray, total_w: np.ndarray, denom: float
) -> pl.DataFrame:
    """A result table with self/total, percentages and ms columns; rows with no weight dropped
    before the table is built (a thread touches few of a big profile's functions)."""
    keep = np.flatnonzero(total_w != 0)
    cols = {
        k: (v.gather(keep) if isinstance(v, pl.Series) else np.asarray(v)[keep])
        for k, v in key_cols.items()
    }
    df = pl.DataFrame({**cols, "self": self_w[keep], "total": total_w[keep]})
    df = df.with_columns(
        self_pct=pl.col("self") * 100.0 / denom if denom else pl.lit(0.0),
        total_pct=pl.col("total") * 100.0 / denom if denom else pl.lit(0.0),
    )
    if thread.weight_type == "samples":
        iv = thread.meta.interval_ms
        df = df.with_columns(self_ms=pl.col("self") * iv, total_ms=pl.col("total") * iv)
    else:
        df = df.with_columns(self_ms=pl.lit(None, pl.Float64), total_ms=pl.lit(None, pl.Float64))
    return df


def functions(thread: Thread) -> pl.DataFrame:
    """Every function with weight: function, library, self, self_pct, total, total_pct,
    self_ms, total_ms and the ``func`` index; sorted by self then total, descending."""
    used, self_f, total_f, denom = function_weights(thread)
    df = weights_frame(
        thread,
        {
            "function": thread.funcs["name"].gather(used),
            "library": thread.funcs["library"].gather(used),
            "func": used.astype(np.int32),
        },
        self_f,
        total_f,
        denom,
    )
    cols = [
        "function",
        "library",
        "self",
        "self_pct",
        "total",
        "total_pct",
        "self_ms",
        "total_ms",
        "func",
    ]
    return df.select(cols).sort(["self", "total", "func"], descending=[True, True, False])


def self_time(thread: Thread) -> pl.DataFrame:
    """Functions with self weight, most first (the seed's "top functions by self time")."""
    return functions(thread).filter(pl.col("self") != 0)


def total_time(thread: Thread) -> pl.DataFrame:
    """Functions by total (running) weight, most first."""
    return functions(thread).sort(["total", "self", "func"], descending=[True, True, False])


def profile_functions(profile: Profile, threads: Any = None) -> pl.DataFrame:
    """``functions()`` of several threads stacked, with ``thread`` (index) and ``thread_name``."""
    if threads is None:
        views = [t for t in profile.all_threads() if t.n_samples]
    else:
        keys = threads if isinstance(threads, (list, tuple)) else [threads]
        views = [profile.thread(k) for k in keys]
    frames = [
        functions(t).with_columns(thread=pl.lit(t.index, pl.UInt32), thread_name=pl.lit(t.name))
        for t in views
    ]
    if not frames:
        return (
            functions(profile.main_thread())
            .clear()
            .with_columns(thread=pl.lit(0, pl.UInt32), thread_name=pl.lit(""))
        )
    return pl.concat(frames, how="vertical_relaxed").sort(["self", "total"], descending=True)
