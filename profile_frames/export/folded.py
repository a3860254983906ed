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
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from ..analysis.calltree import name_with_library, stack_weights
from ..tree import depths, levels, subtree_sums
from .atomic import atomic_write

if TYPE_CHECKING:
    from ..model import Thread


def folded_lines(
    thread: Thread, *, with_library: bool = False, thread_prefix: bool = False
) -> list[str]:
    """The folded lines of a thread view, heaviest first."""
    sw = stack_weights(thread)
    parent = thread.stacks["parent"].fill_null(-1).to_numpy().astype(np.int64)
    names = name_with_library(thread.funcs) if with_library else thread.funcs["name"].fill_null("")
    # ';' and newlines would break the format
    names = names.str.replace_all(";", ":", literal=True).str.replace_all("\n", " ", literal=True)
    func = thread.frames["func"].gather(thread.stacks["frame"])
    label = names.gather(func)
    reached = subtree_sums(parent, (sw != 0).astype(np.int64)) > 0
    path_np = np.empty(len(parent), dtype=object)
    d = depths(parent)
    for lvl in levels(d):
        lvl = lvl[reached[lvl]]
        if not len(lvl):
            continue
        own = label.gather(lvl)
        if d[lvl[0]] == 0:
            joined = own
        else:
            joined = pl.Series(path_np[parent[lvl]], dtype=pl.String) + ";" + own
        path_np[lvl] = joined.to_numpy()
    has = np.flatnonzero(sw != 0)
    prefix = (thread.name.replace(";", ":") + ";") if thread_prefix else ""
    # distinct stacks can share a path of names (several frames of one function): sum them
    lines = (
        pl.DataFrame({"path": pl.Series(path_np[has], dtype=pl.String), "w": sw[has]})
        .group_by("path")
        .agg(pl.col("w").sum())
        .sort(["w", "path"], descending=[True, False])
    )
    return [f"{prefix}{p} {w:g}" for p, w in lines.iter_rows()]


def write_folded(thread: Thread, path: str | os.PathLike, **options: bool) -> None:
    """Write ``folded_lines(thread, **options)`` to ``path`` (atomically)."""
    with atomic_write(path) as f:
        for line in folded_lines(thread, **options):
            f.write(line.encode("utf-8") + b"\n")
