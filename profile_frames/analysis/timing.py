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
    self_k, total_k = self_w[keep], total_w[keep]
    pct = (lambda w: w * 100.0 / denom) if denom else (lambda w: np.zeros(len(w)))  # noqa: E731
    ms = thread.meta.interval_ms if thread.weight_type == "samples" else None
    none = pl.Series([None] * len(keep), dtype=pl.Float64)
    df = pl.DataFrame(
        {
            **cols,
            "self": self_k,
            "total": total_k,
            "self_pct": pct(self_k),
            "total_pct": pct(total_k),
            "self_ms": self_k * ms if ms is not None else none,
            "total_ms": total_k * ms if ms is not None else none,
        }
    )
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
    """``functions()`` of several threads stacked, with ``thread`` (index) and ``thread_name``,
    most self weight first. Each thread is tallied in numpy and one table is built for all, so
    a profile of hundreds of small threads costs their size, not hundreds of tables."""
    if threads is None:
        views = [t for t in profile.all_threads() if t.n_samples]
    else:
        keys = threads if isinstance(threads, (list, tuple)) else [threads]
        views = [profile.thread(k) for k in keys]
    parts = []
    for t in views:
        used, self_f, total_f, denom = function_weights(t)
        keep = np.flatnonzero(total_f != 0)
        ms = t.meta.interval_ms if t.weight_type == "samples" else np.nan
        parts.append((t, used[keep], self_f[keep], total_f[keep], denom, ms))
    if not parts:
        empty = functions(profile.main_thread()).clear()
        return empty.with_columns(thread=pl.lit(0, pl.UInt32), thread_name=pl.lit(""))
    lengths = [len(p[1]) for p in parts]
    func = np.concatenate([p[1] for p in parts]).astype(np.int32)
    floats = any(p[2].dtype.kind == "f" for p in parts)
    cast = (lambda a: a.astype(np.float64)) if floats else (lambda a: a.astype(np.int64))
    self_w = np.concatenate([cast(p[2]) for p in parts])
    total_w = np.concatenate([cast(p[3]) for p in parts])
    denom = np.repeat([p[4] if p[4] else np.nan for p in parts], lengths)
    interval = np.repeat([p[5] for p in parts], lengths)
    pct = lambda w: np.nan_to_num(w * 100.0 / denom, nan=0.0)  # noqa: E731
    df = pl.DataFrame(
        {
            "function": profile.funcs["name"].gather(func),
            "library": profile.funcs["library"].gather(func),
            "self": self_w,
            "self_pct": pct(self_w),
            "total": total_w,
            "total_pct": pct(total_w),
            "self_ms": pl.Series(self_w * interval, nan_to_null=True),
            "total_ms": pl.Series(total_w * interval, nan_to_null=True),
            "func": func,
            "thread": pl.Series(np.repeat([p[0].index for p in parts], lengths), dtype=pl.UInt32),
            "thread_name": pl.Series([p[0].name for p in parts]).gather(
                np.repeat(np.arange(len(parts)), lengths)
            ),
        }
    )
    return df.sort(["self", "total"], descending=True, maintain_order=True)
