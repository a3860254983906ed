"""Folded stacks (``root;…;leaf weight``), read by flamegraph.pl, inferno and speedscope.

One line per distinct call path (root to leaf function names) that has weight. Names are the function names, optionally
``lib!name`` and optionally prefixed by the thread name. Paths are built one tree level at a
time with vectorised string concatenation.

Example
-------
>>> import profile_frames
>>> t = profile_frames.load(profile_frames.example_path()).thread(1)
>>> lines = folded_lines(t)
>>> sum(int(line.rsplit(" ", 1)[1]) for line in lines) == int(t.functions()["self"].sum())
True
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from ..analysis.calltree import name_with_library, stack_arrays, stack_weights
from .atomic import atomic_write

if TYPE_CHECKING:
    from ..model import Thread


def folded_lines(
    thread: Thread, *, with_library: bool = False, thread_prefix: bool = False
) -> list[str]:
    """The folded lines of a thread view, heaviest first.

    Each stack with weight is walked up to its root one level at a time, so the work is the
    size of the output (a 20,000-deep chain with one sampled leaf is one line, not 20,000
    paths). Functions with no name are written ``?``, weights exactly (integers as integers).
    """
    sw = stack_weights(thread)
    parent, stack_func = stack_arrays(thread)
    names = name_with_library(thread.funcs) if with_library else thread.funcs["name"]
    # ';' and newlines would break the format; an empty name would leave an empty frame
    names = (
        names.fill_null("")
        .str.replace_all(";", ":", literal=True)
        .str.replace_all("\n", " ", literal=True)
    )
    names = pl.select(pl.when(names == "").then(pl.lit("?")).otherwise(names)).to_series()
    has = np.flatnonzero(sw != 0)
    leaf, step, func = [], [], []
    ids, cur, k = np.arange(len(has)), has, 0
    while len(cur):
        leaf.append(ids)
        step.append(np.full(len(cur), k, dtype=np.int32))
        func.append(stack_func[cur])
        up = parent[cur]
        keep = up >= 0
        ids, cur, k = ids[keep], up[keep], k + 1
    if not leaf:
        return []
    frames = pl.DataFrame(
        {
            "leaf": np.concatenate(leaf),
            "step": np.concatenate(step),
            "name": names.gather(np.concatenate(func)),
        }
    )
    paths = (
        frames.sort(["leaf", "step"], descending=[False, True])
        .group_by("leaf", maintain_order=True)
        .agg(pl.col("name").str.join(";").alias("path"))
    )
    prefix = (thread.name.replace(";", ":") + ";") if thread_prefix else ""
    # distinct stacks can share a path of names (several frames of one function): sum them
    lines = (
        paths.with_columns(w=pl.Series(sw[has][paths["leaf"].to_numpy()]))
        .group_by("path")
        .agg(pl.col("w").sum())
        .sort(["w", "path"], descending=[True, False])
    )
    text = pl.lit(prefix) + pl.col("path") + " " + _exact(pl.col("w"), lines["w"].dtype)
    return lines.select(text).to_series().to_list()


def _exact(w: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Weights as text without rounding: integers (and integral floats) in full, other floats
    in their shortest round-tripping form."""
    if not dtype.is_float():
        return w.cast(pl.String)
    integral = (w == w.round()) & (w.abs() < 2.0**53)
    return pl.when(integral).then(w.cast(pl.Int64).cast(pl.String)).otherwise(w.cast(pl.String))


def write_folded(
    thread: Thread | Sequence[Thread], path: str | os.PathLike, **options: bool
) -> None:
    """Write ``folded_lines(thread, **options)`` to ``path`` (atomically); several threads
    one after the other (give ``thread_prefix=True`` to tell their lines apart)."""
    threads = [thread] if hasattr(thread, "stacks") else list(thread)
    with atomic_write(path) as f:
        for t in threads:
            for line in folded_lines(t, **options):
                f.write(line.encode("utf-8") + b"\n")
