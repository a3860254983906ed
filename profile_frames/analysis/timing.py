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

from ..indexes import take
from .calltree import call_nodes
from .forest import forest_function_weights

if TYPE_CHECKING:
    from ..model import Profile, Thread


FUNCTION_COLUMNS = [
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


def function_weights(
    thread: Thread, *, by_name: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The funcs the thread's stacks use, their self and total weights, and the denominator.

    ``by_name``: one row per (name, library) instead of per func, its first func standing for
    it; a sample is counted once in a name's total even when several of its funcs (vmprof's
    one func per line, a function in two inlined copies) are on the stack."""
    cn = call_nodes(thread)
    used, slot = cn.used_funcs
    if not by_name:
        self_f, total_f = cn.by_key(slot, len(used))
        return used, self_f, total_f, cn.root_total
    names = thread.funcs.select("name", "library")[used].with_row_index("u")
    groups = names.group_by(["name", "library"], maintain_order=True).agg("u")
    pairs = groups.with_row_index("k").select("k", "u").explode("u")
    func_key = np.empty(len(used), np.int64)
    func_key[pairs["u"].to_numpy()] = pairs["k"].to_numpy()
    self_k, total_k = cn.by_func_key(func_key, groups.height)
    first = groups["u"].list.first().to_numpy().astype(np.int64)
    return used[first], self_k, total_k, cn.root_total


def _weighed(self_w: np.ndarray, total_w: np.ndarray) -> np.ndarray:
    """The rows with a weight: a total, or a self (a comparison thread's total of 0 may hide
    a self that is not)."""
    return np.flatnonzero((total_w != 0) | (self_w != 0))


def weights_frame(
    thread: Thread, key_cols: dict[str, Any], self_w: np.ndarray, total_w: np.ndarray, denom: float
) -> pl.DataFrame:
    """A result table with self/total, percentages and ms columns; rows with no weight dropped
    before the table is built (a thread touches few of a big profile's functions)."""
    keep = _weighed(self_w, total_w)
    cols = {
        k: (take(v, keep) if isinstance(v, pl.Series) else np.asarray(v)[keep])
        for k, v in key_cols.items()
    }
    return _weights_table(
        cols,
        self_w[keep],
        total_w[keep],
        denom,
        _interval(thread.meta.interval_ms, thread.weight_type),
    )


def _interval(interval_ms: float, weight_type: str) -> float:
    """ms per unit of weight: the sampling interval for sample counts, else NaN (no ms)."""
    return interval_ms if weight_type == "samples" else np.nan


def _weights_table(
    key_cols: dict[str, Any], self_w: np.ndarray, total_w: np.ndarray, denom: Any, interval: Any
) -> pl.DataFrame:
    """Key columns, self/total, their percentages of ``denom`` (0 % where it is 0) and their
    ms (``interval`` × weight; null where it is NaN). ``denom`` and ``interval`` are one
    number for every row or an array of one per row (the threads of ``profile.functions()``)."""
    denom = np.asarray(denom, dtype=np.float64)
    interval = np.asarray(interval, dtype=np.float64)

    def pct(w: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(denom != 0, w * 100.0 / denom, 0.0)

    return pl.DataFrame(
        {
            **key_cols,
            "self": self_w,
            "total": total_w,
            "self_pct": pct(self_w),
            "total_pct": pct(total_w),
            "self_ms": pl.Series(self_w * interval, dtype=pl.Float64, nan_to_null=True),
            "total_ms": pl.Series(total_w * interval, dtype=pl.Float64, nan_to_null=True),
        }
    )


def functions(thread: Thread, *, by_name: bool = False) -> pl.DataFrame:
    """Every function with weight: function, library, self, self_pct, total, total_pct,
    self_ms, total_ms and the ``func`` index; sorted by self then total, descending.
    ``by_name``: one row per (function, library) (see :func:`function_weights`)."""
    used, self_f, total_f, denom = function_weights(thread, by_name=by_name)
    df = weights_frame(
        thread,
        {
            "function": take(thread.funcs["name"], used),
            "library": take(thread.funcs["library"], used),
            "func": used.astype(np.int32),
        },
        self_f,
        total_f,
        denom,
    )
    return df.select(FUNCTION_COLUMNS).sort(
        ["self", "total", "func"], descending=[True, True, False]
    )


def self_time(thread: Thread) -> pl.DataFrame:
    """Functions with self weight, most first (the seed's "top functions by self time")."""
    return functions(thread).filter(pl.col("self") != 0)


def total_time(thread: Thread) -> pl.DataFrame:
    """Functions by total (running) weight, most first."""
    return functions(thread).sort(["total", "self", "func"], descending=[True, True, False])


def profile_functions(
    profile: Profile, threads: Any = None, *, by_name: bool = False
) -> pl.DataFrame:
    """``functions()`` of several threads stacked, with ``thread`` (index) and ``thread_name``,
    most self weight first. Each thread is tallied in numpy and one table is built for all, so
    a profile of hundreds of small threads costs their size, not hundreds of tables.
    ``by_name``: one row per (function, library) per thread (see :func:`function_weights`)."""
    if threads is None:
        rows = np.flatnonzero(profile.threads["samples"].to_numpy() > 0).tolist()
    else:
        rows = [
            profile.thread_row(k)
            for k in (threads if isinstance(threads, list | tuple) else [threads])
        ]
    weights = None if by_name else _forest_weights(profile, rows)
    if weights is None:  # per thread, on its call nodes
        weights = [
            function_weights(profile.thread(profile.threads["index"][r]), by_name=by_name)
            for r in rows
        ]
    parts = []
    for r, (used, self_f, total_f, denom) in zip(rows, weights):
        info = profile.threads.row(r, named=True)
        keep = _weighed(self_f, total_f)
        per = _interval(profile.meta.interval_ms, info["weight_type"])
        parts.append((info, used[keep], self_f[keep], total_f[keep], denom, per))
    lengths = [len(p[1]) for p in parts]
    func = np.concatenate([np.zeros(0, np.int64), *(p[1] for p in parts)]).astype(np.int32)
    floats = any(p[2].dtype.kind == "f" for p in parts)
    cast = (lambda a: a.astype(np.float64)) if floats else (lambda a: a.astype(np.int64))  # noqa: E731
    none = np.zeros(0)  # no thread with samples: the same columns, no rows
    df = _weights_table(
        {
            "function": profile.funcs["name"].gather(func),
            "library": profile.funcs["library"].gather(func),
            "func": func,
            "thread": pl.Series(
                np.repeat([p[0]["index"] for p in parts], lengths), dtype=pl.UInt32
            ),
            "thread_name": pl.Series([p[0]["name"] for p in parts], dtype=pl.String).gather(
                np.repeat(np.arange(len(parts)), lengths)
            ),
        },
        np.concatenate([cast(none), *(cast(p[2]) for p in parts)]),
        np.concatenate([cast(none), *(cast(p[3]) for p in parts)]),
        np.repeat([p[4] for p in parts], lengths) if parts else none,
        np.repeat([p[5] for p in parts], lengths) if parts else none,
    )
    order = [*FUNCTION_COLUMNS, "thread", "thread_name"]
    return df.select(order).sort(["self", "total"], descending=True, maintain_order=True)


def _forest_weights(profile: Profile, rows: list[int]) -> list | None:
    """:func:`function_weights` of the threads in ``rows`` from one forest of their stacks
    (:mod:`.forest`), without a view or call nodes per thread; None: use the call nodes."""
    return forest_function_weights(
        profile.stack_parents(),
        profile.stacks["frame"].to_numpy(),
        profile.frames["func"].to_numpy(),
        [profile.stack_counts(r) for r in rows],
    )
