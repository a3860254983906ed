"""Sample weights summed per stack: the first step of every analysis, done once per thread.

The model groups each thread's samples by stack when a profile is built, and the analysis
recounts only after a transform that replaces the samples. Both use these helpers, so they live
below both. The cost follows the thread: a thread with few samples over a big shared stack table
is summed sparsely (sort-based), never through an array as long as the table.

Example
-------
>>> import polars as pl
>>> counts = count_by_stack(pl.DataFrame({"stack": [3, None, 3, 7], "weight": [1, 1, 2, 0]}), 10)
>>> counts.stack.tolist(), counts.weight.tolist()
([3, 7], [3, 0])
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl

from .indexes import constant, copy_indexes, index_array

WINDOW_ROWS = 1 << 22  # samples per bincount call: few 2M-bin outputs, bounded buffers


@dataclass(frozen=True)
class StackCounts:
    """A thread's samples grouped by stack: ``stack`` (ascending row numbers of the stack table
    the samples refer to) and the summed ``weight`` of each. Every stack that at least one
    sample with a stack points at is listed, even when its weights sum to 0."""

    stack: np.ndarray
    weight: np.ndarray

    @property
    def total(self) -> float:
        return float(self.weight.sum())


def sum_by_stack(stack: pl.Series, weight: pl.Series, n: int) -> np.ndarray:
    """Summed ``weight`` per value of ``stack`` in ``[0, n)`` (nulls land in slot ``n``).

    Row windows of the stack column are copied into one reused index buffer per thread (nulls
    written as ``n``) and counted by ``np.bincount`` on up to two threads (it releases the
    GIL); no column is copied whole. Integer weights are nearly all 1: every sample is counted,
    then the few others add their excess.
    """
    floats = weight.dtype.is_float()
    windows = list(range(0, len(stack), WINDOW_ROWS))
    workers = min(2, os.cpu_count() or 1, len(windows))

    def count(offsets: list[int]) -> np.ndarray:
        out = np.zeros(n + 1, dtype=np.float64)
        idx = np.empty(min(WINDOW_ROWS, len(stack)), dtype=np.intp)
        wbuf = np.empty(len(idx), dtype=np.float64) if floats else None
        for off in offsets:
            k = copy_indexes(stack.slice(off, WINDOW_ROWS), idx, null_as=n)
            pos = 0
            if wbuf is not None:
                for c in weight.slice(off, WINDOW_ROWS).get_chunks():
                    wbuf[pos : pos + len(c)] = c.to_numpy()
                    pos += len(c)
                out += np.bincount(idx[:k], weights=wbuf[:k], minlength=n + 1)
                continue
            out += np.bincount(idx[:k], minlength=n + 1)
            at, excess = [], []
            for c in weight.slice(off, WINDOW_ROWS).get_chunks():
                w = c.to_numpy()
                other = np.flatnonzero(w != 1)
                at.append(idx[pos + other])
                excess.append(w[other] - 1.0)
                pos += len(c)
            if at:
                out += np.bincount(
                    np.concatenate(at), weights=np.concatenate(excess), minlength=n + 1
                )
        return out

    if workers <= 1:
        out = count(windows)
    else:
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(count, [windows[i::workers] for i in range(workers)]))
        out = sum(parts[1:], parts[0])
    return out if floats else np.rint(out).astype(np.int64)


def _int_or_float(values: np.ndarray, floats: bool) -> np.ndarray:
    return values if floats else np.rint(values).astype(np.int64)


def count_by_stack(
    samples: pl.DataFrame,
    n_stacks: int,
    counted: np.ndarray | None = None,
    *,
    counted_offset: int = 0,
) -> StackCounts | None:
    """The samples of one thread grouped by stack (None when no sample has a stack).

    ``counted`` holds samples per stack (weight 1, nulls left out) counted while the file was
    read, for stack numbers shifted by ``counted_offset`` since (a v55 thread's own table moved
    into the shared one); then only the samples weighing more than 1 are added. Otherwise a
    thread with few samples is summed by sorting its stacks, a big one by ``np.bincount``.
    """
    if samples.height == 0 or n_stacks == 0:
        return None
    stack_col, weight = samples["stack"], samples["weight"]
    floats = weight.dtype.is_float()
    if counted is not None and not floats and counted_offset + len(counted) <= n_stacks:
        local = np.flatnonzero(counted)
        stack, w = local + counted_offset, counted[local].astype(np.int64)
        if weight.min() != 1 or weight.max() != 1:
            other = (weight != 1).arg_true()
            heavy = pl.DataFrame(
                {"stack": stack_col.gather(other), "excess": weight.gather(other) - 1}
            ).drop_nulls("stack")
            if heavy.height:
                at = np.searchsorted(stack, heavy["stack"].to_numpy())
                np.add.at(w, at, heavy["excess"].to_numpy().astype(np.int64))
    elif stack_col.null_count() == len(stack_col):
        return None
    else:
        stack, w = _count_samples(stack_col, weight, n_stacks)
    if len(stack) and (stack[0] < 0 or stack[-1] >= n_stacks):
        raise IndexError(f"sample stack {int(stack[-1])} is out of range ({n_stacks} stacks)")
    return StackCounts(stack.astype(np.int64), w)


def _count_samples(
    stack_col: pl.Series, weight: pl.Series, n_stacks: int
) -> tuple[np.ndarray, np.ndarray]:
    """(stacks with a sample, summed weights) by sorting when the samples are few next to the
    stack table, else by ``np.bincount`` up to the highest stack used."""
    floats = weight.dtype.is_float()
    if len(stack_col) * 4 < n_stacks:
        stacks, weights = index_array(stack_col, null_as=-1), weight.to_numpy()
        if stack_col.null_count():  # (stacks were checked: -1 is a null)
            valid = stacks >= 0
            stacks, weights = stacks[valid], weights[valid]
        if not len(stacks):
            return np.zeros(0, np.int64), np.zeros(0, np.float64 if floats else np.int64)
        low = int(stacks.min())
        span = int(stacks.max()) - low + 1
        if span <= 4 * len(stacks):  # a thread's own stacks, as Gecko threads' are: no sort
            local = stacks - low
            sums = np.bincount(local, weights=weights, minlength=span)
            present = np.flatnonzero(np.bincount(local, minlength=span))
            return present + low, _int_or_float(sums[present], floats)
        stack, at = np.unique(stacks, return_inverse=True)
        sums = np.bincount(at.reshape(-1), weights=weights, minlength=len(stack))
        return stack.astype(np.int64), _int_or_float(sums, floats)
    top = int(stack_col.max()) + 1
    dense = sum_by_stack(stack_col, weight, top)[:top]
    if floats or weight.min() <= 0:
        ones = constant(1, len(stack_col), pl.Int32)
        stack = np.flatnonzero(sum_by_stack(stack_col, ones, top)[:top])
    else:
        stack = np.flatnonzero(dense)
    return stack, dense[stack]


def sum_counts(parts: list[StackCounts | None]) -> StackCounts | None:
    """Several threads' counts over one stack table, added together (for merged views)."""
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    stack = np.concatenate([p.stack for p in parts])
    weight = np.concatenate([p.weight for p in parts])
    uniq, inv = np.unique(stack, return_inverse=True)
    floats = weight.dtype.kind == "f"
    return StackCounts(uniq, _int_or_float(np.bincount(inv, weights=weight), floats))
