"""Call nodes, self and total weights, top-down and bottom-up call trees.

Call nodes are keyed by (parent call node, function), as in the Firefox Profiler's
``computeCallNodeTable``: frames of one function under the same parent merge, and direct
recursion A→A gives two nodes. Everything is computed level by level over the prefix tree
(one numpy pass per depth), never per sample or per stack.

"Counted once per sample" sums (a function's total, a group's total, a caller's weight) use
DFS intervals: a node counts unless an earlier node with the same key encloses it.

Example
-------
>>> import profile_frames
>>> t = profile_frames.load(profile_frames.example_path()).thread(1)
>>> tree = t.call_tree()
>>> tree.columns[:8]
['node', 'parent', 'func', 'function', 'library', 'category', 'subcategory', 'depth']
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from ..indexes import copy_indexes
from ..schema import default_category
from ..stack_sums import count_by_stack
from ..tree import ascending, depths, levels, subtree_sums

if TYPE_CHECKING:
    from ..model import Thread


@dataclass
class CallNodes:
    """The call node table of one thread view, with weights.

    ``func``, ``parent`` (-1 = root), ``depth``, ``self_w`` and ``total`` are per call node;
    ``root_total`` is the 100 % denominator (sum of non-null sample weights).
    """

    func: np.ndarray
    parent: np.ndarray
    depth: np.ndarray
    self_w: np.ndarray
    total: np.ndarray
    root_total: float
    stack_node: np.ndarray  # call node of every stack (-1 for stacks no sample reaches)

    @cached_property
    def intervals(self) -> tuple[np.ndarray, np.ndarray]:
        """DFS entry index and end (exclusive) of every node's subtree."""
        return dfs_intervals(self.parent, self.depth)

    @cached_property
    def used_funcs(self) -> tuple[np.ndarray, np.ndarray]:
        """The funcs these call nodes use (ascending) and each node's position among them:
        per-function results are computed over these, never over the profile's whole func
        table, which holds every thread's functions."""
        n_funcs = int(self.func.max()) + 1 if len(self.func) else 0
        if n_funcs > 4 * len(self.func):  # few nodes over a big func table: sort them
            used, slot = np.unique(self.func, return_inverse=True)
            return used, slot.reshape(-1)
        present = np.zeros(n_funcs, dtype=bool)  # else a mask, no sort
        present[self.func] = True
        used = np.flatnonzero(present)
        rank = np.cumsum(present) - 1
        return used, rank[self.func]

    def by_func_key(self, func_key: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
        """Self and total per key, where ``func_key[i]`` is the key of ``used_funcs[0][i]``."""
        node_key = func_key[self.used_funcs[1]] if len(self.func) else np.zeros(0, np.int64)
        return self.by_key(node_key, n_keys)

    def by_key(self, node_key: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
        """Self and total weight per key of ``node_key`` (one key per call node, -1 = none)."""
        return keyed_totals(node_key, self.self_w, self.total, self.intervals, n_keys)


def stack_weights(thread: Thread) -> np.ndarray:
    """Summed sample weight per stack (samples with a null stack count nowhere). A view made
    by ``Profile.thread`` has them from the load already; other views count once and cache."""
    cached = thread.__dict__.get("_stack_weights")
    if cached is not None:
        return cached
    n = thread.stacks.height
    counts = count_by_stack(thread.samples, n)
    floats = thread.samples["weight"].dtype.is_float()
    out = np.zeros(n, dtype=np.float64 if floats else np.int64)
    if counts is not None:
        out[counts.stack] = counts.weight
    object.__setattr__(thread, "_stack_weights", out)
    return out


def stack_arrays(thread: Thread) -> tuple[np.ndarray, np.ndarray]:
    """The stack tree as numpy arrays: parent (-1 = root) and the func of each stack."""
    parent = np.empty(thread.stacks.height, dtype=np.int64)  # (fill_null costs 0.2 ms a call)
    copy_indexes(thread.stacks["parent"], parent, null_as=-1)
    if not thread.stacks.height:
        return parent, np.zeros(0, np.int64)
    # gather before widening: the frame table may be far bigger than this thread's stacks
    frame_func = thread.frames["func"].to_numpy()
    return parent, frame_func[thread.stacks["frame"].to_numpy()].astype(np.int64)


def call_nodes(thread: Thread) -> CallNodes:
    """Build the call node table for ``thread`` (cached on the thread view).

    The call nodes of every stack are built, then the nodes no sample reaches are dropped
    (keeping the order, so numbering is as if only reached stacks had been used). Counting the
    samples beside it on a third thread was tried: on two cores it gained nothing.
    """
    cached = thread.__dict__.get("_call_nodes")
    if cached is not None:
        return cached
    sw = stack_weights(thread)
    stack_parent, stack_func = stack_arrays(thread)
    node_of, func, parent, depth = _all_call_nodes(stack_parent, stack_func)
    count = len(func)
    self_w = np.bincount(node_of, weights=sw, minlength=count)
    if sw.dtype.kind == "i":
        self_w = np.rint(self_w).astype(np.int64)
    by_level = levels(depth)
    total: np.ndarray | None = None
    if not len(sw) or sw.min() >= 0:  # a node is reached iff its subtree weighs something
        total = subtree_sums(parent, self_w, by_level=by_level)
        keep = np.flatnonzero(total > 0)
    else:  # negative weights (a comparison) may sum to 0 where samples are
        hit = np.bincount(node_of, weights=(sw != 0), minlength=count)
        keep = np.flatnonzero(subtree_sums(parent, hit, by_level=by_level) > 0)
    if len(keep) < count:  # drop nodes no sample reaches, renumbering in order
        remap = np.full(count, -1, dtype=np.int64)
        remap[keep] = np.arange(len(keep))
        func, depth, self_w = func[keep], depth[keep], self_w[keep]
        parent = parent[keep]
        parent = np.where(parent >= 0, remap[np.maximum(parent, 0)], -1)
        node_of = remap[node_of] if len(node_of) else node_of
        total, by_level = (None if total is None else total[keep]), None
    if total is None:
        total = subtree_sums(parent, self_w, depth, by_level=by_level)
    nodes = CallNodes(func, parent, depth, self_w, total, float(np.abs(self_w).sum()), node_of)
    object.__setattr__(thread, "_call_nodes", nodes)
    return nodes


def _all_call_nodes(
    stack_parent: np.ndarray, stack_func: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Call nodes of every stack: (node of each stack, func, parent node, depth), numbered
    level by level in (parent node, func) order; one ``np.unique`` per depth."""
    node_of = np.empty(len(stack_parent), dtype=np.int64)
    n_funcs = int(stack_func.max()) + 1 if len(stack_func) else 1
    keys: list[np.ndarray] = []  # each level's (parent node + 1, func) keys, ascending
    count = 0
    for d, lvl in enumerate(levels(depths(stack_parent))):
        pnode = node_of[stack_parent[lvl]] + 1 if d else 0
        uniq, inv = _unique_inverse(pnode * n_funcs + stack_func[lvl])
        node_of[lvl] = count + inv
        keys.append(uniq)
        count += len(uniq)
    if not keys:
        return node_of, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int32)
    node_depth = np.repeat(np.arange(len(keys), dtype=np.int32), [len(k) for k in keys])
    key = np.concatenate(keys)
    del keys  # (the levels' copies: fewer fresh pages at the peak)
    parent, func = np.divmod(key, n_funcs)
    del key
    parent -= 1
    return node_of, func, parent, node_depth


def _unique_inverse(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, return_inverse=True)`` without its per-call overhead, which was most
    of the cost on the small levels of hundreds of small threads.

    >>> [a.tolist() for a in _unique_inverse(np.array([5, 3, 5, 9]))]
    [[3, 5, 9], [1, 0, 1, 2]]
    """
    order = np.argsort(keys)  # equal keys get one inverse in any order: no stable sort (6x)
    ordered = keys[order]
    first = np.empty(len(keys), dtype=bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    inverse = np.empty(len(keys), dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], inverse


def _preorder(
    parent: np.ndarray, depth: np.ndarray, order_key: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Preorder position of every node and its subtree size; siblings are visited by
    ``order_key`` ascending (default: node index). The sizes of each node's earlier siblings
    are summed for all nodes at once; only the positions go down the tree a level at a time
    (a node's is its parent's plus one plus those sizes)."""
    n = len(parent)
    size = subtree_sums(parent, np.ones(n, dtype=np.int64), depth)
    order: np.ndarray | None  # None: the nodes' own order (call nodes are numbered so)
    if order_key is not None:
        order = np.lexsort((np.arange(n), order_key, parent))
    elif ascending(parent):
        order = None
    else:  # siblings in index order: a stable sort by parent (2.7x faster than by a
        order = np.argsort(parent, kind="stable")  # parent-and-index key, on 1.8M nodes)
    p_s, size_s = (parent, size) if order is None else (parent[order], size[order])
    csum = np.cumsum(size_s)
    csum -= size_s  # exclusive running sum over all nodes in that order
    start = np.ones(n, dtype=bool)
    start[1:] = p_s[1:] != p_s[:-1]
    group_first = np.where(start, np.arange(n), 0)
    np.maximum.accumulate(group_first, out=group_first)
    csum -= csum[group_first]  # now the sizes of each node's earlier siblings
    if order is None:
        before = csum
    else:
        before = np.empty(n, dtype=np.int64)
        before[order] = csum
    pos = np.zeros(n, dtype=np.int64)
    for d, lvl in enumerate(levels(depth)):
        pos[lvl] = (pos[parent[lvl]] + 1 + before[lvl]) if d else before[lvl]
    return pos, size


def dfs_intervals(parent: np.ndarray, depth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Preorder index ``tin`` and ``tout = tin + subtree size`` for a forest."""
    tin, size = _preorder(parent, depth)
    return tin, tin + size


def keyed_totals(
    key: np.ndarray,
    self_w: np.ndarray,
    total: np.ndarray,
    intervals: tuple[np.ndarray, np.ndarray],
    n_keys: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Per key (>= 0; -1 = none) over a weighted tree: self = the summed node self weights;
    total = the summed subtree totals of the outermost nodes with that key, i.e. each sample
    counted once even when the key repeats along its stack. Integer weights stay integers."""
    if bool((key >= 0).all()):  # every node has a key (call nodes by func): no copies
        self_k = np.bincount(key, weights=self_w, minlength=n_keys)
    else:
        has = key >= 0
        self_k = np.bincount(key[has], weights=self_w[has], minlength=n_keys)
    outer = outermost(key, *intervals)
    total_k = np.bincount(key[outer], weights=total[outer], minlength=n_keys)
    if self_w.dtype.kind == "i":
        return np.rint(self_k).astype(np.int64), np.rint(total_k).astype(np.int64)
    return self_k, total_k


def outermost(key: np.ndarray, tin: np.ndarray, tout: np.ndarray) -> np.ndarray:
    """True for nodes with ``key >= 0`` not enclosed by an earlier node with the same key
    (``tin``, ``tout``: :func:`dfs_intervals` of the tree). Nodes are taken by key, then by
    preorder; a node is outermost when no earlier node of its key ends after it starts (a
    running maximum of the ends). Arrays as long as the tree are made in place where they
    can be: the first call on a big thread pays a page fault for every fresh page.

    >>> parent = np.array([-1, 0, 1, 0])  # 0 -> 1 -> 2 and 0 -> 3
    >>> outermost(np.array([5, 7, 5, 7]), *dfs_intervals(parent, depths(parent))).tolist()
    [True, True, False, True]
    """
    n = len(key)
    out = np.zeros(n, dtype=bool)
    every = bool((key >= 0).all())
    if n == 0 or not (every or (key >= 0).any()):
        return out
    span = int(tout.max()) + 1
    if span == n + 1 and int(key.max()) < 1 << 16:  # tin: a preorder of every node
        by_tin = np.empty(n, dtype=np.int64)
        by_tin[tin] = np.arange(n)
        if not every:
            by_tin = by_tin[key[by_tin] >= 0]
        # a stable sort of 16-bit keys is a radix sort: by key, then (kept) tin
        order = by_tin[np.argsort(key[by_tin].astype(np.uint16), kind="stable")]
    else:
        idx = np.arange(n) if every else np.flatnonzero(key >= 0)
        order = idx[np.argsort(key[idx].astype(np.int64) * span + tin[idx])]  # by key, then tin
    start = key[order].astype(np.int64)
    start *= span  # key * span + position: each key's range of numbers is its own
    end = start + tout[order]
    start += tin[order]
    np.maximum.accumulate(end, out=end)  # restarts at each new key, whose numbers are higher
    out[order[0]] = True
    out[order[1:]] = end[:-1] <= start[1:]
    return out


def name_with_library(funcs: pl.DataFrame) -> pl.Series:
    """The Firefox Profiler's ``nameWithLibrary``: ``lib!name`` when the resource name is
    non-empty and differs from the function name, else the name."""
    name, lib = funcs["name"].fill_null(""), funcs["library"]
    use = lib.is_not_null() & (lib != "") & (lib != name)
    return (
        pl.select(pl.when(use).then(lib + "!" + name).otherwise(name))
        .to_series()
        .alias("name_with_library")
    )


def _pct(values: np.ndarray, denom: float) -> np.ndarray:
    return values * 100.0 / denom if denom else np.zeros(len(values))


def call_tree(thread: Thread, *, inverted: bool = False) -> pl.DataFrame:
    """The call tree as a DataFrame in depth-first order, heaviest child first.

    Columns: node, parent (null for roots), func, function, library, category, subcategory,
    depth, self, total, self_pct, total_pct. ``inverted=True`` gives the bottom-up tree (roots
    are the functions with self weight; children are their callers).

    A node's category is its stacks' category when they all agree, else the default (grey)
    category; its subcategory likewise, else "Other" (the Firefox Profiler's rule).
    """
    cn = call_nodes(thread)
    default = default_category(thread.meta.categories)
    cat, sub = _node_categories(thread, cn, default)
    if inverted:
        func, parent, depth, self_w, total, cat, sub = _inverted(cn, cat, sub, default)
    else:
        func, parent, depth, self_w, total = cn.func, cn.parent, cn.depth, cn.self_w, cn.total
    order = _dfs_order(parent, depth, total)
    remap = np.empty(len(order), dtype=np.int64)
    remap[order] = np.arange(len(order))
    par = parent[order]
    names = thread.funcs["name"]
    libs = thread.funcs["library"]
    f = func[order]
    return pl.DataFrame(
        {
            "node": pl.Series(np.arange(len(order)), dtype=pl.UInt32),
            "parent": pl.Series(np.where(par >= 0, remap[np.maximum(par, 0)], -1), dtype=pl.Int64)
            .replace(-1, None)
            .cast(pl.UInt32),
            "func": pl.Series(f, dtype=pl.Int32),
            "function": names.gather(f) if len(f) else pl.Series([], dtype=pl.String),
            "library": libs.gather(f) if len(f) else pl.Series([], dtype=pl.String),
            **_category_names(thread.meta.categories, cat[order], sub[order]),
            "depth": pl.Series(depth[order], dtype=pl.Int32),
            "self": self_w[order],
            "total": total[order],
            "self_pct": _pct(self_w[order], cn.root_total),
            "total_pct": _pct(total[order], cn.root_total),
        }
    )


def _resolve(key: np.ndarray, value: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per key: the value when all of the key's values agree, and whether they do."""
    lo = np.full(n, np.iinfo(np.int64).max)
    hi = np.full(n, -1, dtype=np.int64)
    np.minimum.at(lo, key, value)
    np.maximum.at(hi, key, value)
    agree = lo == hi
    return np.where(agree, lo, 0), agree


def _conflict_resolved(
    key: np.ndarray, cat: np.ndarray, sub: np.ndarray, n: int, default: int
) -> tuple[np.ndarray, np.ndarray]:
    c, same_c = _resolve(key, cat, n)
    s, same_s = _resolve(key, sub, n)
    return np.where(same_c, c, default), np.where(same_c & same_s, s, 0)


def _node_categories(thread: Thread, cn: CallNodes, default: int) -> tuple[np.ndarray, ...]:
    """(category, subcategory) of every call node, resolved over all the stacks it stands for."""
    used = np.flatnonzero(cn.stack_node >= 0)
    cat = thread.stacks["category"].fill_null(default).to_numpy().astype(np.int64)[used]
    sub = thread.stacks["subcategory"].fill_null(0).to_numpy().astype(np.int64)[used]
    return _conflict_resolved(cn.stack_node[used], cat, sub, len(cn.func), default)


def _category_names(categories: pl.DataFrame, cat: np.ndarray, sub: np.ndarray) -> dict:
    names = categories["name"]
    n = len(names)
    ok = (cat >= 0) & (cat < n)
    cat_name = names.gather(np.where(ok, cat, 0)) if n else pl.Series([None] * len(cat))
    subs = categories["subcategories"] if "subcategories" in categories.columns else None
    if subs is not None and n:
        lists = subs.gather(np.where(ok, cat, 0))
        sub_name = lists.list.get(pl.Series(sub), null_on_oob=True)
    else:
        sub_name = pl.Series([None] * len(cat), dtype=pl.String)
    return {
        "category": pl.select(pl.when(pl.Series(ok)).then(cat_name)).to_series().alias("category"),
        "subcategory": sub_name.alias("subcategory"),
    }


def _dfs_order(parent: np.ndarray, depth: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Preorder with children sorted by the size of their total, descending (ties by node
    index), as the Firefox Profiler sorts them: a comparison thread's totals may be negative."""
    if len(parent) == 0:
        return np.zeros(0, dtype=np.int64)
    pos, _ = _preorder(parent, depth, -np.abs(total))
    order = np.empty(len(pos), dtype=np.int64)  # positions are a permutation: invert it
    order[pos] = np.arange(len(pos))
    return order


def _inverted(
    cn: CallNodes, node_cat: np.ndarray, node_sub: np.ndarray, default: int
) -> tuple[np.ndarray, ...]:
    """Bottom-up tree: every call node with self weight contributes along its reversed path.
    An inverted node's category is resolved over the call nodes it stands for."""
    leaf = np.flatnonzero(cn.self_w != 0)
    w = cn.self_w[leaf]
    anc = leaf.copy()
    inv_parent_of_leaf = np.full(len(leaf), -1, dtype=np.int64)
    funcs, parents, depths_, totals, members, member_of = [], [], [], [], [], []
    count = 0
    n_funcs = int(cn.func.max()) + 1 if len(cn.func) else 1
    d = 0
    while len(anc):
        key = (inv_parent_of_leaf + 1) * n_funcs + cn.func[anc]
        uniq, inv = np.unique(key, return_inverse=True)
        ids = count + inv
        funcs.append(uniq % n_funcs)
        parents.append(uniq // n_funcs - 1)
        depths_.append(np.full(len(uniq), d, dtype=np.int32))
        totals.append(np.bincount(inv, weights=w, minlength=len(uniq)))
        members.append(anc)
        member_of.append(ids)
        count += len(uniq)
        up = cn.parent[anc]
        keep = up >= 0
        anc, w, inv_parent_of_leaf = up[keep], w[keep], ids[keep]
        d += 1
    func = np.concatenate(funcs) if funcs else np.zeros(0, np.int64)
    parent = np.concatenate(parents) if parents else np.zeros(0, np.int64)
    depth = np.concatenate(depths_) if depths_ else np.zeros(0, np.int32)
    total = np.concatenate(totals) if totals else np.zeros(0)
    if cn.self_w.dtype.kind == "i":
        total = np.rint(total).astype(np.int64)
    self_w = np.where(depth == 0, total, 0)
    if members:
        anc_all, ids_all = np.concatenate(members), np.concatenate(member_of)
        cat, sub = _conflict_resolved(ids_all, node_cat[anc_all], node_sub[anc_all], count, default)
    else:
        cat = sub = np.zeros(0, dtype=np.int64)
    return func, parent, depth, self_w, total, cat, sub
