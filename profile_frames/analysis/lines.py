"""Time per source line and per address of one function, from its frames' lines and addresses.

``self`` of a line sums the samples whose innermost frame is a frame of the function at that
line; ``total`` the samples whose stack holds a frame of it at that line, each sample once per
line (as the Firefox Profiler's source view counts). Without recursion of the function, the
lines' self and total add up to the function's. Frames get lines from the producer (JS, some
samply files) or from symbolication with debug info (``Profile.symbolicate``); a frame with no
line counts under ``line`` null.

Example
-------
>>> import profile_frames
>>> t = profile_frames.load(profile_frames.example_path()).thread(1)
>>> by_line = lines(t, "PyObject_Malloc")
>>> int(by_line["self"].sum()) == int(t.functions().filter(function="PyObject_Malloc")["self"][0])
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from ..tree import depths, subtree_sums
from .calltree import dfs_intervals, keyed_totals, stack_weights
from .resolve import resolve_functions

if TYPE_CHECKING:
    from ..model import Thread


def _by_frame_column(thread: Thread, function: Any, column: str) -> pl.DataFrame:
    funcs = resolve_functions(thread, function)
    frames = thread.frames
    mine = np.isin(frames["func"].to_numpy(), funcs)
    rows = np.flatnonzero(mine)
    keys, key_of_row = (
        np.unique(frames[column].gather(rows).fill_null(-(2**62)).to_numpy(), return_inverse=True)
        if len(rows)
        else (np.zeros(0, np.int64), np.zeros(0, np.int64))
    )
    frame_key = np.full(frames.height, -1, dtype=np.int64)
    frame_key[rows] = key_of_row.reshape(-1)
    parent = thread.stacks["parent"].fill_null(-1).to_numpy().astype(np.int64)
    stack_key = (
        frame_key[thread.stacks["frame"].to_numpy()] if thread.stacks.height else frame_key[:0]
    )
    weights = stack_weights(thread)
    depth = depths(parent)
    total_w = subtree_sums(parent, weights, depth)
    self_k, total_k = keyed_totals(
        stack_key, weights, total_w, dfs_intervals(parent, depth), len(keys)
    )
    denom = float(weights.sum()) or 1.0
    key_values = pl.Series(column, keys, dtype=pl.Int64)
    key_values = (
        pl.select(pl.when(key_values != -(2**62)).then(key_values)).to_series().alias(column)
    )
    return (
        pl.DataFrame(
            {
                column: key_values,
                "self": self_k,
                "total": total_k,
                "self_pct": self_k * 100.0 / denom,
                "total_pct": total_k * 100.0 / denom,
            }
        )
        .filter((pl.col("total") != 0) | (pl.col("self") != 0))  # (a comparison's 0 total)
        .sort(column, nulls_last=True)
    )


def lines(thread: Thread, function: Any) -> pl.DataFrame:
    """Per source line of ``function``: self, total and their shares of the thread."""
    return _by_frame_column(thread, function, "line").with_columns(pl.col("line").cast(pl.Int32))


def addresses(thread: Thread, function: Any) -> pl.DataFrame:
    """Per (library-relative) address of ``function``'s frames: self, total and shares."""
    return _by_frame_column(thread, function, "address")
