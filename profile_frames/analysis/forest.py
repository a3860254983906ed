"""Self and total weight per function of many threads at once, over one forest.

Each thread's samples reach some rows of the profile's shared stack table; a node of the
forest is a (thread, stack) pair, with the ancestors of every reached stack added level by
level (deepest first, one ``np.unique`` per depth for all threads together). Threads never
share a node, so one subtree sum, one preorder and one "outermost node of its function" pass
answer every thread: hundreds of small threads cost their size, not hundreds of views and
call-node tables (a thread view compacts its stacks and builds its call nodes, about 4 ms a
thread).

The totals are those of the call nodes (:mod:`.calltree`): a call node is the path of funcs
of its stacks, and whether a stack's func is already on its path depends only on that path.
Negative weights (comparisons) are left to the call nodes, whose 100 % denominator sums the
nodes' absolute weights.

Example
-------
>>> parents = np.array([-1, 0, 1, 0])  # A -> B -> A (recursion), A -> C
>>> frame_of_stack, func_of_frame = np.array([0, 1, 0, 2]), np.array([0, 1, 2])
>>> counts = [StackCounts(np.array([2, 3]), np.array([5, 1])), None]
>>> [(u.tolist(), s.tolist(), t.tolist(), d) for u, s, t, d in
...  forest_function_weights(parents, frame_of_stack, func_of_frame, counts)]
[([0, 1, 2], [5, 0, 1], [6, 5, 1], 6.0), ([], [], [], 0.0)]
"""

from __future__ import annotations

import numpy as np

from ..stack_sums import StackCounts
from ..tree import depths, subtree_sums
from .calltree import _unique_inverse, dfs_intervals, outermost

FunctionWeights = tuple[np.ndarray, np.ndarray, np.ndarray, float]


def forest_function_weights(
    parents: np.ndarray,
    frame_of_stack: np.ndarray,
    func_of_frame: np.ndarray,
    counts: list[StackCounts | None],
) -> list[FunctionWeights] | None:
    """For each thread's samples grouped by shared stack (``counts``; None: no samples with a
    stack), the funcs its stacks use (ascending), their self and total weights and the
    denominator, as :func:`~.timing.function_weights` gives them; None when a weight is
    negative. ``parents``: the shared stack table's parent column (-1 = root)."""
    present = [c for c in counts if c is not None and len(c.stack)]
    if any(c.weight.min() < 0 for c in present):
        return None
    floats = [c is not None and c.weight.dtype.kind == "f" for c in counts]
    n_stacks = len(parents)
    per_thread = [0 if c is None else len(c.stack) for c in counts]
    thread = np.repeat(np.arange(len(counts), dtype=np.int64), per_thread)
    if not present:
        empty = np.zeros(0, np.int64)
        return [(empty, empty, empty, 0.0) for _ in counts]
    key = thread * n_stacks + np.concatenate([c.stack for c in present])
    weight = np.concatenate([c.weight.astype(np.float64) for c in present])
    node_key, parent, self_w, by_level = _forest(parents, key, weight)
    total = subtree_sums(parent, self_w, by_level=by_level)
    node_depth = np.repeat(np.arange(len(by_level), dtype=np.int32), [len(x) for x in by_level])
    func = func_of_frame[frame_of_stack[node_key % n_stacks]].astype(np.int64)
    outer = outermost(func, *dfs_intervals(parent, node_depth))
    n_funcs = int(func.max()) + 1
    pair, slot = np.unique((node_key // n_stacks) * n_funcs + func, return_inverse=True)
    self_f = np.bincount(slot, weights=self_w, minlength=len(pair))
    total_f = np.bincount(slot[outer], weights=total[outer], minlength=len(pair))
    at = np.searchsorted(pair // n_funcs, np.arange(len(counts) + 1))
    out = []
    for j, (a, b) in enumerate(zip(at[:-1].tolist(), at[1:].tolist())):
        s, t = self_f[a:b], total_f[a:b]
        if not floats[j]:
            s, t = np.rint(s).astype(np.int64), np.rint(t).astype(np.int64)
        denom = float(counts[j].weight.sum()) if per_thread[j] else 0.0
        out.append((pair[a:b] % n_funcs, s, t, denom))
    return out


def _forest(
    parents: np.ndarray, key: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """The (thread, stack) nodes of the reached stacks (``key`` = thread × stacks + stack,
    distinct) and all their ancestors, numbered level by level from the roots: each node's
    key, parent node (-1 = root), self weight, and the nodes of each level."""
    n_stacks = len(parents)
    depth = depths(parents)[key % n_stacks]
    # numpy sorts 16-bit keys stably by radix sort (any order within a level would do)
    order = np.argsort(depth.astype(np.uint16) if depth.max() < 1 << 16 else depth, kind="stable")
    ends = np.cumsum(np.bincount(depth)).tolist()
    starts = [0, *ends[:-1]]
    keys: list[np.ndarray] = [np.zeros(0, np.int64)] * len(ends)
    weights: list[np.ndarray] = list(keys)
    up: list[np.ndarray] = list(keys)  # each level's parents, as positions in the level above
    carry = np.zeros(0, np.int64)  # the parent keys of the level below
    for d in range(len(ends) - 1, -1, -1):
        rows = order[starts[d] : ends[d]]
        reached = key[rows]
        uniq, inverse = _unique_inverse(np.concatenate([reached, carry]))
        w = np.zeros(len(uniq))
        w[inverse[: len(reached)]] = weight[rows]
        if d + 1 < len(ends):
            up[d + 1] = inverse[len(reached) :]
        keys[d], weights[d] = uniq, w
        carry = (uniq // n_stacks) * n_stacks + parents[uniq % n_stacks] if d else carry
    sizes = [len(k) for k in keys]
    offset = np.cumsum([0, *sizes[:-1]])
    parent = np.concatenate(
        [np.full(sizes[0], -1, np.int64)] + [up[d] + offset[d - 1] for d in range(1, len(keys))]
    )
    by_level = [np.arange(o, o + n) for o, n in zip(offset.tolist(), sizes)]
    return np.concatenate(keys), parent, np.concatenate(weights), by_level
