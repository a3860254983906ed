"""Direct callers and callees of a function, with the weight flowing through each.

A sample counts once per (caller or callee) even when the function recurses, so the weights are
what the Firefox Profiler's butterfly view shows: each row is at most the function's total.

Example
-------
>>> import profile_frames
>>> t = profile_frames.load(profile_frames.example_path()).thread(1)
>>> top = t.total_time()["func"][1]
>>> t.callees(int(top)).columns
['function', 'library', 'total', 'total_pct', 'func']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from .calltree import call_nodes
from .resolve import resolve_functions

if TYPE_CHECKING:
    from ..model import Thread


def _rows(thread: Thread, node_key: np.ndarray) -> pl.DataFrame:
    """Weight per func keyed by ``node_key`` (a func per call node, -1 = none), once per sample."""
    cn = call_nodes(thread)
    used, slot = cn.used_funcs
    key = np.where(node_key >= 0, np.searchsorted(used, np.maximum(node_key, 0)), -1)
    _, total = cn.by_key(key, len(used))
    keep = np.flatnonzero(total != 0)
    f, total = used[keep], total[keep]
    denom = cn.root_total
    df = pl.DataFrame(
        {
            "function": thread.funcs["name"].gather(f),
            "library": thread.funcs["library"].gather(f),
            "total": total,
            "total_pct": total * 100.0 / denom if denom else np.zeros(len(f)),
            "func": pl.Series(f, dtype=pl.Int32),
        }
    )
    return df.sort(["total", "func"], descending=[True, False])


def callers(thread: Thread, function: Any) -> pl.DataFrame:
    """Functions that directly call ``function`` (name, regex or func index)."""
    cn = call_nodes(thread)
    target = np.isin(cn.func, resolve_functions(thread, function))
    nodes = np.flatnonzero(target & (cn.parent >= 0))
    key = np.full(len(cn.func), -1, dtype=np.int64)
    key[nodes] = cn.func[cn.parent[nodes]]
    return _rows(thread, key)


def callees(thread: Thread, function: Any) -> pl.DataFrame:
    """Functions that ``function`` directly calls."""
    cn = call_nodes(thread)
    target = np.isin(cn.func, resolve_functions(thread, function))
    child = np.flatnonzero((cn.parent >= 0) & target[np.maximum(cn.parent, 0)])
    key = np.full(len(cn.func), -1, dtype=np.int64)
    key[child] = cn.func[child]
    return _rows(thread, key)
