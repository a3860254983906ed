"""Vectorised helpers over prefix trees stored as a parent column (``-1`` = root).

Both the decoder (stack categories) and the analysis (call nodes, transforms) use them. Every
function runs in O(n log depth) numpy work: pointer jumping, never a Python loop per node
(depths of a forest whose parents come first, as stacks and call nodes do, take one pass of
the C extension when it is there).

Example
-------
>>> import numpy as np
>>> parent = np.array([-1, 0, 1, 0])
>>> depths(parent).tolist()
[0, 1, 2, 1]
>>> nearest_marked(parent, np.array([True, False, False, True])).tolist()
[0, 0, 0, 3]
"""

from __future__ import annotations

import numpy as np

from . import native


def _with_sentinel(parent: np.ndarray) -> np.ndarray:
    """``parent`` with the roots pointing at a sentinel node ``n`` that is its own parent
    (``n + 1`` entries, int32 when they fit): pointer doubling over it needs no mask."""
    n = len(parent)
    up = np.empty(n + 1, np.int32 if n < 2**31 - 1 else np.int64)
    up[:n] = np.where(parent >= 0, parent, n)
    up[n] = n
    return up


def ascending(values: np.ndarray) -> bool:
    """Whether ``values`` never decrease (one pass): then sorting by them changes nothing.

    >>> ascending(np.array([0, 0, 1])), ascending(np.array([1, 0]))
    (True, False)
    """
    return len(values) < 2 or bool((values[1:] >= values[:-1]).all())


def depths(parent: np.ndarray) -> np.ndarray:
    """Depth of every node (roots are 0): one C pass when every parent comes before its
    children (:func:`native.parent_depths`), else pointer doubling over whole arrays: a
    sentinel node ``n`` above every root is its own ancestor at depth 0, so no step needs a
    mask."""
    n = len(parent)
    if n == 0:
        return np.zeros(0, np.int32)
    found = native.parent_depths(parent)  # parents first (stacks, call nodes): one C pass
    if found is not None:
        return found
    anc = _with_sentinel(parent)
    depth = np.zeros(n + 1, np.int32)
    depth[:n] = parent >= 0
    for _ in range(64):  # 2**64 levels: parents always precede children, so no cycles
        if (anc[:n] == n).all():
            break
        depth += depth[anc]
        anc = anc[anc]
    return depth[:n]


def ancestors(parent: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """Row ``i`` holds ``nodes[i]``, its parent, its grandparent, … up to its root (leaf
    first), padded with -1 to the longest path: one numpy pass per level.

    >>> ancestors(np.array([-1, 0, 1, 0]), np.array([2, 3])).tolist()
    [[2, 1, 0], [3, 0, -1]]
    """
    columns = []
    anc = np.asarray(nodes, dtype=np.int64)
    while len(anc) and (anc >= 0).any():
        columns.append(anc)
        anc = np.where(anc >= 0, parent[np.maximum(anc, 0)], -1)
    if not columns:
        return np.full((len(anc), 0), -1, dtype=np.int64)
    return np.column_stack(columns)


def ancestor_closure(
    parent: np.ndarray, nodes: np.ndarray, seen: np.ndarray, stamp: np.ndarray
) -> np.ndarray:
    """``nodes`` and all their ancestors, ascending. One numpy pass per level, each node
    visited once: ``seen`` (all False) and ``stamp`` (any int64 values) are caller-owned
    scratch arrays as long as ``parent``; ``seen`` is given back all False. So the cost follows
    the closure, not the size of the tree.

    >>> parent = np.array([-1, 0, 1, 0, -1, 4])
    >>> seen, stamp = np.zeros(6, dtype=bool), np.empty(6, dtype=np.int64)
    >>> ancestor_closure(parent, np.array([2, 3, 3]), seen, stamp).tolist(), bool(seen.any())
    ([0, 1, 2, 3], False)
    """

    def first_of_each(values: np.ndarray) -> np.ndarray:  # (no sort)
        if len(values) < 2:
            return values
        pos = np.arange(len(values))
        stamp[values] = pos  # each value's slot ends up holding its last position
        return values[stamp[values] == pos]

    frontier = np.asarray(nodes, dtype=np.int64)
    frontier = first_of_each(frontier[~seen[frontier]])
    seen[frontier] = True
    found = [frontier]
    while len(frontier):
        up = parent[frontier]
        up = up[up >= 0]
        up = first_of_each(up[~seen[up]])  # siblings share parents: keep one of each
        seen[up] = True
        found.append(up)
        frontier = up
    closure = np.sort(np.concatenate(found))  # distinct: a plain sort, not np.unique's hash
    seen[closure] = False
    return closure


def nearest_marked(
    parent: np.ndarray, marked: np.ndarray, *, include_self: bool = True
) -> np.ndarray:
    """For each node, the nearest ancestor (or the node itself) with ``marked``; -1 if none.

    Pointer doubling over whole arrays, as :func:`depths`: a sentinel ``n`` above every root
    is its own answer, so each step is one gather, with no mask.
    """
    n = len(parent)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    up = _with_sentinel(parent)
    jump = up.copy()
    jump[:n] = np.where(marked, np.arange(n, dtype=up.dtype), up[:n])
    for _ in range(64):  # 2**64 levels: a tree has no cycles
        nxt = jump[jump]
        if np.array_equal(nxt, jump):
            break
        jump = nxt
    found = jump[up[:n]] if not include_self else jump[:n]  # without itself: its parent's
    out = found.astype(np.int64)
    out[out == n] = -1
    return out


def levels(depth: np.ndarray) -> list[np.ndarray]:
    """Node indexes grouped by depth, shallowest first."""
    if len(depth) == 0:
        return []
    counts = np.bincount(depth)
    if ascending(depth):  # numbered level by level (call nodes are): no sort
        order = np.arange(len(depth))
    else:  # numpy sorts 16-bit keys stably by radix sort: ~6x faster than on int32 depths
        key = depth.astype(np.uint16) if len(counts) <= 1 << 16 else depth
        order = np.argsort(key, kind="stable")
    ends = np.cumsum(counts).tolist()  # slices, not np.split: its overhead per piece is 10x
    return [order[a:b] for a, b in zip([0, *ends[:-1]], ends)]


def subtree_sums(
    parent: np.ndarray,
    values: np.ndarray,
    depth: np.ndarray | None = None,
    *,
    by_level: list[np.ndarray] | None = None,
) -> np.ndarray:
    """Sum of ``values`` over each node's subtree (the node included), one pass per depth
    level; ``by_level``: ``levels(depth)``, when the caller has it already."""
    total = values.astype(np.float64 if values.dtype.kind == "f" else np.int64, copy=True)
    if len(parent) == 0:
        return total
    if by_level is None:
        by_level = levels(depths(parent) if depth is None else depth)
    for lvl in reversed(by_level[1:]):
        np.add.at(total, parent[lvl], total[lvl])
    return total
