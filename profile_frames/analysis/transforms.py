"""Transforms: each is a small value, and applying one returns a new Thread view.

As in the Firefox Profiler's ``transforms.ts``, a transform computes a new parent column for the
stack table and/or a map from old stacks to new stacks (-1 = drop the sample); every other
column is shared, and stacks that become unused are left orphaned. Here each one is a handful
of vectorised passes (pointer jumping over the prefix tree), never a loop per stack or sample.

A function argument is a name (all funcs with that name, or ``lib!name``), a compiled regex, a
func index, or a list of those.

Example
-------
>>> import profile_frames
>>> t = profile_frames.load(profile_frames.example_path()).thread(1)
>>> name = t.self_time()["function"][0]
>>> merged = t.merge_function(name)
>>> name in merged.self_time()["function"].to_list()
False
>>> str(MergeFunction(name)) == f"merge-function {name}"
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from ..errors import ProfileKeyError
from ..tree import depths, nearest_marked
from .calltree import stack_arrays
from .markers import marker_ranges
from .resolve import resolve_functions
from .search import search_terms

if TYPE_CHECKING:
    from ..model import Thread


def _fmt(function: Any) -> str:
    if isinstance(function, re.Pattern):
        return f"/{function.pattern}/"
    if isinstance(function, (list, tuple)):
        return ",".join(_fmt(f) for f in function)
    return str(function)


@dataclass(frozen=True)
class MergeFunction:
    """Remove the function's frames; its self time goes to its caller."""

    function: Any

    def __str__(self) -> str:
        return f"merge-function {_fmt(self.function)}"


@dataclass(frozen=True)
class MergeCallNode:
    """Remove one call node (the node at this root-first call path, not every frame of its
    function); its self time goes to its parent and its children move up to the parent. The
    path is read in the ``implementation``'s view (frames of other kinds in between skipped)."""

    path: tuple
    implementation: str = "combined"

    def __str__(self) -> str:
        return f"merge-call-node {'>'.join(_fmt(f) for f in self.path)}"


IMPLEMENTATIONS = ("combined", "js", "cpp")


@dataclass(frozen=True)
class ImplementationFilter:
    """The Firefox Profiler's implementation filter: frames of other kinds are merged away."""

    implementation: str

    def __str__(self) -> str:
        return f"implementation {self.implementation}"


def implementation_funcs(funcs: pl.DataFrame, implementation: str) -> np.ndarray:
    """Which funcs an implementation filter keeps (its ``FUNC_MATCHES``): ``js``, JS functions
    and those relevant for JS; ``cpp``, all others except JIT addresses (a ``0x`` name with no
    library); ``combined``, all."""
    if implementation not in IMPLEMENTATIONS:
        raise ProfileKeyError(
            f"no implementation {implementation!r}; use one of {', '.join(IMPLEMENTATIONS)}"
        )
    n = funcs.height
    if implementation == "combined":
        return np.ones(n, dtype=bool)
    is_js = funcs["is_js"].fill_null(False).to_numpy()
    if implementation == "js":
        return is_js | funcs["relevant_for_js"].fill_null(False).to_numpy()
    jit = (funcs["resource"].is_null() & funcs["name"].str.starts_with("0x")).fill_null(False)
    return ~is_js & ~jit.to_numpy()


@dataclass(frozen=True)
class FocusSelf:
    """Keep only the samples whose leaf is the function, each rooted at that frame: the
    function's self time, wherever it was called from."""

    function: Any
    implementation: str = "combined"  # frames of other kinds below the function stay

    def __str__(self) -> str:
        return f"focus-self {_fmt(self.function)}"


@dataclass(frozen=True)
class FocusFunction:
    """Keep only samples under the outermost call of the function, re-rooted there."""

    function: Any

    def __str__(self) -> str:
        return f"focus-function {_fmt(self.function)}"


@dataclass(frozen=True)
class FocusSubtree:
    """Keep samples under a call path (root first); ``inverted``: samples ending with the
    path read leaf first, each sample mapped to where the match completes."""

    path: tuple
    inverted: bool = False
    implementation: str = "combined"  # the path is read in this view (frames of others skipped)

    def __str__(self) -> str:
        kind = "focus-subtree-inverted" if self.inverted else "focus-subtree"
        return f"{kind} {' > '.join(_fmt(p) for p in self.path)}"


@dataclass(frozen=True)
class DropFunction:
    """Drop every sample whose stack contains the function."""

    function: Any

    def __str__(self) -> str:
        return f"drop-function {_fmt(self.function)}"


@dataclass(frozen=True)
class CollapseRecursion:
    """Collapse recursion into one node: direct only (f→f→f), or also indirect (f→g→f)."""

    function: Any
    direct_only: bool = False
    implementation: str = "combined"  # direct runs pass through frames of other kinds

    def __str__(self) -> str:
        kind = "collapse-direct-recursion" if self.direct_only else "collapse-recursion"
        return f"{kind} {_fmt(self.function)}"


@dataclass(frozen=True)
class CollapseFunctionSubtree:
    """Fold everything the function calls into it (its total becomes its self)."""

    function: Any

    def __str__(self) -> str:
        return f"collapse-function-subtree {_fmt(self.function)}"


@dataclass(frozen=True)
class CollapseLibrary:
    """Replace the library's functions by one function named after it; consecutive frames merge."""

    library: str
    implementation: str = "combined"  # consecutive runs pass through frames of other kinds

    def __str__(self) -> str:
        return f"collapse-library {self.library}"


@dataclass(frozen=True)
class FocusCategory:
    """Keep only frames of a category (by name or index); samples without one are dropped."""

    category: str | int

    def __str__(self) -> str:
        return f"focus-category {self.category}"


@dataclass(frozen=True)
class TimeRange:
    """Keep samples with ``start_ms <= time < end_ms`` (ms since the profile start)."""

    start_ms: float
    end_ms: float

    def __str__(self) -> str:
        return f"range {self.start_ms:g}-{self.end_ms:g}"


@dataclass(frozen=True)
class KeepStacksWith:
    """The Firefox Profiler's search: keep samples whose stack has, for every comma-separated
    term, a function whose name, library (resource) or file contains it, ignoring case. A
    compiled regex is matched as it is (case-sensitive unless it says otherwise)."""

    match: str | re.Pattern

    def __str__(self) -> str:
        return f"search {_fmt(self.match)}"


@dataclass(frozen=True)
class StackPrefix:
    """Keep the samples whose stack starts (at its root) with this call path."""

    path: tuple

    def __str__(self) -> str:
        return f"stack-prefix {'>'.join(_fmt(f) for f in self.path)}"


@dataclass(frozen=True)
class IncludeFunction:
    """Keep the samples whose stack contains the function (any of them, for a list)."""

    function: Any

    def __str__(self) -> str:
        return f"function-include {_fmt(self.function)}"


@dataclass(frozen=True)
class StackSuffix:
    """Keep the samples whose leaf is the function."""

    function: Any

    def __str__(self) -> str:
        return f"stack-suffix {_fmt(self.function)}"


@dataclass(frozen=True)
class DuringMarkers:
    """Keep the samples inside (or with ``outside``, outside) the interval markers whose name
    or payload contains any comma-separated term, ignoring case; a range is [start, end)."""

    search: str
    outside: bool = False

    def __str__(self) -> str:
        return f"{'outside' if self.outside else 'during'}-marker {self.search}"


Transform = (
    MergeFunction
    | ImplementationFilter
    | StackPrefix
    | StackSuffix
    | IncludeFunction
    | DuringMarkers
    | MergeCallNode
    | FocusSelf
    | FocusFunction
    | FocusSubtree
    | DropFunction
    | CollapseRecursion
    | CollapseFunctionSubtree
    | CollapseLibrary
    | FocusCategory
    | TimeRange
    | KeepStacksWith
)


# -- helpers ---------------------------------------------------------------------------------
def _is(func: np.ndarray, targets: np.ndarray) -> np.ndarray:
    return np.isin(func, targets)


def _outermost_root(parent: np.ndarray, mark: np.ndarray) -> np.ndarray:
    """For each stack, the outermost ancestor-or-self with ``mark`` (-1 if none)."""
    has_above = nearest_marked(parent, mark, include_self=False) >= 0
    return nearest_marked(parent, mark & ~has_above)


def _keep_stacks(thread: Thread, tr: Any, keep: np.ndarray) -> Thread:
    """Only the samples on the stacks ``keep`` marks (the others count nowhere)."""
    return _with(thread, tr, stack_map=np.where(keep, np.arange(len(keep)), -1))


def _has_marked(parent: np.ndarray, marked: np.ndarray) -> np.ndarray:
    """Stacks with a marked stack among themselves and their ancestors."""
    return nearest_marked(parent, marked) >= 0


def _with(
    thread: Thread,
    transform: Any,
    *,
    parent: np.ndarray | None = None,
    stack_map: np.ndarray | None = None,
    **tables: Any,
) -> Thread:
    changes: dict[str, Any] = dict(tables)
    if parent is not None:
        stacks = tables.get("stacks", thread.stacks)
        changes["stacks"] = stacks.with_columns(
            parent=pl.Series(parent, dtype=pl.Int64).replace(-1, None).cast(pl.Int32)
        )
    return thread.with_tables(
        stack_map=stack_map, **changes, transforms=(*thread.transforms, transform)
    )


# -- the transforms --------------------------------------------------------------------------
def _merge(thread: Thread, tr: MergeFunction) -> Thread:
    parent, func = stack_arrays(thread)
    keep = ~_is(func, resolve_functions(thread, tr.function))
    return _reparent_to_kept(thread, tr, parent, keep)


def _reparent_to_kept(thread: Thread, tr: Any, parent: np.ndarray, keep: np.ndarray) -> Thread:
    nk = nearest_marked(parent, keep)
    new_parent = np.where(parent >= 0, nk[np.maximum(parent, 0)], -1)
    return _with(thread, tr, parent=new_parent, stack_map=nk)


def _focus_function(thread: Thread, tr: FocusFunction) -> Thread:
    parent, func = stack_arrays(thread)
    root = _outermost_root(parent, _is(func, resolve_functions(thread, tr.function)))
    idx = np.arange(len(parent))
    new_parent = np.where(root == idx, -1, parent)
    return _with(thread, tr, parent=new_parent, stack_map=np.where(root >= 0, idx, -1))


def _path_matches(
    thread: Thread,
    path: Any,
    parent: np.ndarray,
    func: np.ndarray,
    implementation: str = "combined",
):
    """Stacks whose root-first function path is exactly ``path``, read in the implementation's
    view: only stacks of functions it keeps count, each under its nearest kept ancestor."""
    sets = [resolve_functions(thread, f) for f in path]
    if implementation == "combined":
        return _path_matches_in(depths(parent), parent, func, sets)
    kept = implementation_funcs(thread.funcs, implementation)[func]
    up = nearest_marked(parent, kept, include_self=False)
    return _path_matches_in(depths(up), up, func, sets) & kept


def _path_matches_in(depth: np.ndarray, parent: np.ndarray, func: np.ndarray, sets: list):
    """The stacks at depth len(sets)-1 whose functions along ``parent`` are ``sets``."""
    match = (depth == 0) & _is(func, sets[0])
    for d, s in enumerate(sets[1:], start=1):
        match = match | ((depth == d) & _is(func, s) & match[np.maximum(parent, 0)] & (parent >= 0))
    return match & (depth == len(sets) - 1)


def _implementation_filter(thread: Thread, tr: ImplementationFilter) -> Thread:
    parent, func = stack_arrays(thread)
    keep = implementation_funcs(thread.funcs, tr.implementation)[func]
    return _reparent_to_kept(thread, tr, parent, keep)


def _stack_prefix(thread: Thread, tr: StackPrefix) -> Thread:
    if not tr.path:
        raise ProfileKeyError("keep_stack_prefix needs a non-empty call path")
    parent, func = stack_arrays(thread)
    return _keep_stacks(
        thread, tr, _has_marked(parent, _path_matches(thread, tr.path, parent, func))
    )


def _include_function(thread: Thread, tr: IncludeFunction) -> Thread:
    parent, func = stack_arrays(thread)
    return _keep_stacks(
        thread, tr, _has_marked(parent, _is(func, resolve_functions(thread, tr.function)))
    )


def _stack_suffix(thread: Thread, tr: StackSuffix) -> Thread:
    _, func = stack_arrays(thread)
    return _keep_stacks(thread, tr, _is(func, resolve_functions(thread, tr.function)))


def _during_markers(thread: Thread, tr: DuringMarkers) -> Thread:
    ranges = marker_ranges(thread, tr.search)
    time = thread.samples["time"].to_numpy()
    # the last range starting at or before each sample; inside if the sample is before its end
    at = np.searchsorted(ranges[:, 0], time, side="right") - 1
    if len(ranges):
        inside = (at >= 0) & (time < ranges[np.maximum(at, 0), 1])
    else:
        inside = np.zeros(len(time), dtype=bool)
    keep = ~inside if tr.outside else inside
    samples = thread.samples.filter(pl.Series(keep))
    return thread.with_tables(samples=samples, transforms=(*thread.transforms, tr))


def _merge_call_node(thread: Thread, tr: MergeCallNode) -> Thread:
    if not tr.path:
        raise ProfileKeyError("merge_call_node needs a non-empty call path")
    parent, func = stack_arrays(thread)
    merged = _path_matches(thread, tr.path, parent, func, tr.implementation)
    return _reparent_to_kept(thread, tr, parent, ~merged)


def _focus_self(thread: Thread, tr: FocusSelf) -> Thread:
    """The function's stacks become roots; with an implementation filter, the chains of other
    kinds' frames right below them stay (to show where the self time goes)."""
    parent, func = stack_arrays(thread)
    is_f = _is(func, resolve_functions(thread, tr.function))
    stop = is_f | implementation_funcs(thread.funcs, tr.implementation)[func]
    nearest = nearest_marked(parent, stop)
    keep = (nearest >= 0) & is_f[np.maximum(nearest, 0)]
    idx = np.arange(len(parent))
    return _with(thread, tr, parent=np.where(is_f, -1, parent), stack_map=np.where(keep, idx, -1))


def _focus_subtree(thread: Thread, tr: FocusSubtree) -> Thread:
    if not tr.path:
        raise ProfileKeyError("focus_subtree needs a non-empty call path")
    parent, func = stack_arrays(thread)
    sets = [resolve_functions(thread, f) for f in tr.path]
    idx = np.arange(len(parent))
    if tr.inverted:
        # from the leaf up (the Firefox Profiler's focusInvertedSubtree): a frame of the path's
        # next function advances, a frame of another implementation is passed over, any other
        # frame ends the match; each sample goes to the stack where the path completes
        in_view = implementation_funcs(thread.funcs, tr.implementation)[func]
        ok = np.ones(len(parent), dtype=bool)
        cur = idx.copy()
        for k, s in enumerate(sets):
            if k:
                cur = np.where(ok, parent[np.maximum(cur, 0)], -1)
                ok &= cur >= 0
            step = nearest_marked(parent, in_view | _is(func, s))  # the next frame that counts
            cur = np.where(ok, step[np.maximum(cur, 0)], -1)
            ok &= (cur >= 0) & _is(func[np.maximum(cur, 0)], s)
        return _with(thread, tr, stack_map=np.where(ok, cur, -1))
    root = nearest_marked(parent, _path_matches(thread, tr.path, parent, func, tr.implementation))
    new_parent = np.where(root == idx, -1, parent)
    return _with(thread, tr, parent=new_parent, stack_map=np.where(root >= 0, idx, -1))


def _drop(thread: Thread, tr: DropFunction) -> Thread:
    parent, func = stack_arrays(thread)
    return _keep_stacks(
        thread, tr, ~_has_marked(parent, _is(func, resolve_functions(thread, tr.function)))
    )


def _recursion_parent(
    parent: np.ndarray,
    is_f: np.ndarray,
    *,
    direct_only: bool,
    transparent: np.ndarray | None = None,
) -> np.ndarray:
    """New parents that collapse f recursion: an inner f hangs where its outermost f hangs
    (direct: only within an unbroken run of f, where ``transparent`` frames, those of another
    implementation, do not break a run)."""
    idx = np.arange(len(parent))
    if direct_only:
        passes = is_f if transparent is None else is_f | transparent
        blocker = nearest_marked(parent, ~passes)  # where the run above each stack ends
        prev_f = nearest_marked(parent, is_f, include_self=False)
        start = is_f & ((prev_f < 0) | ((blocker >= 0) & (prev_f < blocker)))
        top = nearest_marked(parent, start)  # the first f of each run
    else:
        top = _outermost_root(parent, is_f)
    inner = is_f & (top >= 0) & (top != idx)
    return np.where(inner, parent[np.maximum(top, 0)], parent)


def _collapse_recursion(thread: Thread, tr: CollapseRecursion) -> Thread:
    parent, func = stack_arrays(thread)
    is_f = _is(func, resolve_functions(thread, tr.function))
    other = ~implementation_funcs(thread.funcs, tr.implementation)[func]
    new_parent = _recursion_parent(parent, is_f, direct_only=tr.direct_only, transparent=other)
    return _with(thread, tr, parent=new_parent)


def _collapse_subtree(thread: Thread, tr: CollapseFunctionSubtree) -> Thread:
    parent, func = stack_arrays(thread)
    root = _outermost_root(parent, _is(func, resolve_functions(thread, tr.function)))
    return _with(thread, tr, stack_map=np.where(root >= 0, root, np.arange(len(parent))))


def _collapse_library(thread: Thread, tr: CollapseLibrary) -> Thread:
    members = (thread.funcs["library"] == tr.library).fill_null(False)
    if not members.any():
        libs = sorted(set(thread.funcs["library"].drop_nulls().to_list()))
        raise ProfileKeyError(
            f"no function belongs to library {tr.library!r}; libraries: {', '.join(libs[:20])}"
        )
    new_func = thread.funcs.height
    row = pl.DataFrame({"name": [tr.library], "library": [tr.library]})
    funcs = pl.concat([thread.funcs, row], how="diagonal_relaxed").cast(dict(thread.funcs.schema))
    frame_func = thread.frames["func"]
    in_lib = members.gather(frame_func)
    frames = thread.frames.with_columns(
        func=pl.select(
            pl.when(in_lib).then(pl.lit(new_func, pl.Int32)).otherwise(frame_func)
        ).to_series()
    )
    parent, _ = stack_arrays(thread)
    new_stack_func = frames["func"].to_numpy()[thread.stacks["frame"].to_numpy()]
    is_f = new_stack_func == new_func
    other = ~implementation_funcs(funcs, tr.implementation)[new_stack_func]
    new_parent = _recursion_parent(parent, is_f, direct_only=True, transparent=other)
    return _with(thread, tr, parent=new_parent, funcs=funcs, frames=frames)


def _focus_category(thread: Thread, tr: FocusCategory) -> Thread:
    names = thread.meta.categories["name"].to_list()
    if isinstance(tr.category, int):
        cat = tr.category
    elif tr.category in names:
        cat = names.index(tr.category)
    else:
        raise ProfileKeyError(f"no category {tr.category!r}; categories: {', '.join(names)}")
    parent, _ = stack_arrays(thread)
    keep = (thread.stacks["category"] == cat).fill_null(False).to_numpy()
    return _reparent_to_kept(thread, tr, parent, keep)


def _time_range(thread: Thread, tr: TimeRange) -> Thread:
    s = thread.samples.filter((pl.col("time") >= tr.start_ms) & (pl.col("time") < tr.end_ms))
    return thread.with_tables(samples=s, transforms=(*thread.transforms, tr))


def _func_matches(funcs: pl.DataFrame, match: str | re.Pattern) -> pl.Series:
    """Funcs whose name, file or resource (library) contains ``match``, ignoring case as the
    Firefox Profiler does (a compiled regex is used as it is)."""
    if isinstance(match, re.Pattern):
        hits = [funcs[c].str.contains(match.pattern) for c in ("name", "library", "file")]
    else:
        term = match.lower()
        hits = [
            funcs[c].str.to_lowercase().str.contains(term, literal=True)
            for c in ("name", "library", "file")
        ]
    return hits[0].fill_null(False) | hits[1].fill_null(False) | hits[2].fill_null(False)


def _keep_with(thread: Thread, tr: KeepStacksWith) -> Thread:
    parent, func = stack_arrays(thread)
    terms = [tr.match] if isinstance(tr.match, re.Pattern) else search_terms(tr.match)
    keep = np.ones(len(parent), dtype=bool)
    for term in terms:  # a stack stays if every term matches a function on it
        targets = _func_matches(thread.funcs, term).arg_true().to_numpy()
        keep &= _has_marked(parent, _is(func, targets))
    return _keep_stacks(thread, tr, keep)


_APPLY = {
    MergeFunction: _merge,
    ImplementationFilter: _implementation_filter,
    StackPrefix: _stack_prefix,
    StackSuffix: _stack_suffix,
    IncludeFunction: _include_function,
    DuringMarkers: _during_markers,
    MergeCallNode: _merge_call_node,
    FocusSelf: _focus_self,
    FocusFunction: _focus_function,
    FocusSubtree: _focus_subtree,
    DropFunction: _drop,
    CollapseRecursion: _collapse_recursion,
    CollapseFunctionSubtree: _collapse_subtree,
    CollapseLibrary: _collapse_library,
    FocusCategory: _focus_category,
    TimeRange: _time_range,
    KeepStacksWith: _keep_with,
}


def apply(thread: Thread, transform: Transform) -> Thread:
    """Apply one transform value to a thread view, returning a new view."""
    fn = _APPLY.get(type(transform))
    if fn is None:
        raise TypeError(f"not a transform: {transform!r}")
    return fn(thread, transform)
