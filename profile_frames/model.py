"""The canonical model: :class:`Profile` and immutable :class:`Thread` views over polars tables.

Column names and dtypes are in :mod:`profile_frames.schema` and ``docs/model.md``. Analysis
methods on :class:`Thread` are thin wrappers over the pure functions in
:mod:`profile_frames.analysis`; each transform returns a new :class:`Thread`.

Example
-------
>>> import profile_frames
>>> profile = profile_frames.load(profile_frames.example_path())
>>> profile.threads.select("index", "name", "samples").head(2).rows()
[(0, 'ld-linux-x86-64.so.2', 0), (1, 'python3.11', 1039)]
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
import pyarrow as pa

from . import schema
from .errors import ProfileKeyError
from .selectors import match_names, no_match_message
from .stack_sums import StackCounts, count_by_stack, sum_counts
from .tree import ancestor_closure

if TYPE_CHECKING:
    from .analysis.transforms import Transform


@dataclass(frozen=True)
class Meta:
    """Profile-wide facts. ``interval_ms`` is the sampling interval; ``start_time`` is ms since
    the Unix epoch (or the producer's clock, e.g. perf's time since boot); sample times are
    relative to it. ``format`` is ``"processed"`` or ``"gecko"``; ``version`` is the file's
    ``preprocessedProfileVersion`` or Gecko ``meta.version``."""

    product: str
    interval_ms: float
    start_time: float
    format: str
    version: int
    categories: pl.DataFrame
    libs: pl.DataFrame
    symbolicated: bool | None = None
    sample_units: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict, repr=False)


class SampleSource:
    """A thread's samples table, made when first asked for: analyses start from the per-stack
    sums, so a view whose stacks were renumbered (compacted, or mapped by a transform) remaps
    its samples only if something reads them.

    >>> src = SampleSource.of(pl.DataFrame({"stack": [0, 1, None], "weight": [1, 1, 1]}))
    >>> src.remapped(np.array([1, -1])).table()["stack"].to_list()
    [1, None, None]
    """

    def __init__(self, height: int, make: Callable[[], pl.DataFrame]) -> None:
        self.height = height
        self._make: Callable[[], pl.DataFrame] | None = make
        self._table: pl.DataFrame | None = None
        self._lock = threading.Lock()

    @classmethod
    def of(cls, table: pl.DataFrame) -> SampleSource:
        src = cls(table.height, lambda: table)
        src._table, src._make = table, None
        return src

    def table(self) -> pl.DataFrame:
        if self._table is None:
            with self._lock:
                if self._table is None:
                    assert self._make is not None
                    self._table = self._make()
                    self._make = None
        return self._table

    def remapped(self, stack_map: np.ndarray) -> SampleSource:
        """These samples with each stack replaced by ``stack_map[stack]`` (-1 = no stack)."""
        return SampleSource(self.height, lambda: remap_stacks(self.table(), stack_map))


def remap_stacks(samples: pl.DataFrame, stack_map: np.ndarray) -> pl.DataFrame:
    """Replace each sample's stack by ``stack_map[stack]`` (-1 becomes null).

    >>> remap_stacks(pl.DataFrame({"stack": [2, None, 0]}), np.array([-1, 5, 1]))["stack"].to_list()
    [1, None, None]
    """
    if samples.height == 0:
        return samples
    old = samples["stack"]
    mapping = pl.Series("m", stack_map, dtype=pl.Int64)
    new = mapping.gather(old.fill_null(0)) if len(stack_map) else old.cast(pl.Int64)
    new = pl.select(pl.when(old.is_null() | (new < 0)).then(None).otherwise(new)).to_series()
    return samples.with_columns(stack=new.cast(pl.Int32))


def _into_closure(samples: pl.DataFrame, closure: np.ndarray) -> pl.DataFrame:
    """Samples whose stacks are rows of the shared table, renumbered to their rank in the
    ascending ``closure`` (which holds every one of them)."""
    old = samples["stack"]
    if old.null_count() == len(old):
        return samples
    valid = old.is_not_null().to_numpy()
    values = old.fill_null(0).to_numpy()
    rank = np.minimum(np.searchsorted(closure, values), max(len(closure) - 1, 0))
    if len(closure) == 0 or not np.array_equal(closure[rank][valid], values[valid]):
        raise ProfileKeyError("a sample's stack is outside the stacks its thread was counted on")
    new = pl.Series("stack", rank, dtype=pl.Int32)
    new = pl.select(pl.when(pl.Series(valid)).then(new)).to_series()
    return samples.with_columns(stack=new)


@dataclass(frozen=True, eq=False)
class Thread:
    """One thread's samples over its own stack table, and the profile's frame and func tables.

    ``stacks`` holds only the stacks this thread's samples reach and their ancestors (renumbered
    in the shared table's order), unless they are most of the shared table, which is then used
    as it is: either way ``samples["stack"]`` indexes ``stacks``, and ``stack_rows`` gives the
    shared table's row of each (None = the same rows). ``frames`` and ``funcs`` are the
    profile's, so func indexes mean the same in every thread.

    A Thread never changes: transforms return a new one. ``transforms`` lists what was applied.
    """

    profile: Profile = field(repr=False)
    index: int
    name: str
    stacks: pl.DataFrame = field(repr=False)
    frames: pl.DataFrame = field(repr=False)
    funcs: pl.DataFrame = field(repr=False)
    markers: pl.DataFrame = field(repr=False)
    sample_source: SampleSource = field(repr=False)
    weight_type: str = "samples"
    transforms: tuple = ()
    stack_rows: np.ndarray | None = field(default=None, repr=False)
    implementation: str = "combined"  # the Firefox Profiler's implementation filter
    unfiltered: Thread | None = field(default=None, repr=False)  # the view before that filter
    merged: tuple[int, ...] = ()  # the thread indexes a merged view combines (else empty)

    def __repr__(self) -> str:
        t = f", transforms={[str(x) for x in self.transforms]}" if self.transforms else ""
        return f"Thread(index={self.index}, name={self.name!r}, samples={self.n_samples}{t})"

    @property
    def samples(self) -> pl.DataFrame:
        """The samples: time, stack (a row of ``stacks``), weight, cpu_delta."""
        return self.sample_source.table()

    @property
    def n_samples(self) -> int:
        """Sample rows (null stacks included), without building the samples table."""
        return self.sample_source.height

    @property
    def meta(self) -> Meta:
        return self.profile.meta

    def with_tables(self, *, stack_map: np.ndarray | None = None, **changes: Any) -> Thread:
        """A copy with some tables replaced (used by transforms). ``samples`` replaces the
        samples (they are counted again when asked); ``stack_map`` moves every sample from
        stack ``s`` to ``stack_map[s]`` (-1 = dropped), applied to the per-stack sums at once
        and to the samples table only when it is read. A new ``stacks`` keeps the rows."""
        counted = self.__dict__.get("_stack_weights")
        if "samples" in changes:
            changes["sample_source"] = SampleSource.of(changes.pop("samples"))
            counted = None
        elif stack_map is not None:
            changes["sample_source"] = self.sample_source.remapped(stack_map)
            if counted is not None:
                hit = np.flatnonzero((stack_map >= 0) & (counted != 0))
                n = changes.get("stacks", self.stacks).height
                moved = np.bincount(stack_map[hit], weights=counted[hit], minlength=n)
                counted = moved if counted.dtype.kind == "f" else np.rint(moved).astype(np.int64)
        view = replace(self, **changes)
        if counted is not None:
            object.__setattr__(view, "_stack_weights", counted)
        return view

    # -- analysis (see profile_frames.analysis) -----------------------------------------------
    def functions(self, *, by_name: bool = False) -> pl.DataFrame:
        """Self and total weight per function, most self first; ``by_name``: one row per
        (function, library), a sample counted once in a total even when several funcs share
        the name (vmprof's one func per line)."""
        from .analysis.timing import functions

        return functions(self, by_name=by_name)

    def self_time(self) -> pl.DataFrame:
        """Functions by self weight (time spent in the function itself), most first."""
        from .analysis.timing import self_time

        return self_time(self)

    def total_time(self) -> pl.DataFrame:
        """Functions by total (running) weight, each sample counted once per function."""
        from .analysis.timing import total_time

        return total_time(self)

    def group_time(self, groups: dict, *, other: str = "other") -> pl.DataFrame:
        """Self and total per named group of functions (prefixes, names or regexes)."""
        from .analysis.groups import group_time

        return group_time(self, groups, other=other)

    def by_library(self) -> pl.DataFrame:
        """Self and total per library (resource)."""
        from .analysis.groups import by_library

        return by_library(self)

    def by_namespace(self, depth: int = 2) -> pl.DataFrame:
        """Self and total per ``a::b`` namespace prefix of ``depth`` components."""
        from .analysis.groups import by_namespace

        return by_namespace(self, depth)

    def by_category(self) -> pl.DataFrame:
        """Self and total per category (``meta.categories``) of the sampled stack."""
        from .analysis.groups import by_category

        return by_category(self)

    def call_tree(self, *, inverted: bool = False) -> pl.DataFrame:
        """The call tree as a DataFrame (node, parent, function, depth, self, total …)."""
        from .analysis.calltree import call_tree

        return call_tree(self, inverted=inverted)

    def lines(self, function: Any) -> pl.DataFrame:
        """Self and total per source line of ``function`` (see :mod:`.analysis.lines`)."""
        from .analysis.lines import lines

        return lines(self, function)

    def addresses(self, function: Any) -> pl.DataFrame:
        """Self and total per address of ``function``'s frames."""
        from .analysis.lines import addresses

        return addresses(self, function)

    def callers(self, function: Any) -> pl.DataFrame:
        """Direct callers of ``function`` with the weight that flows through each."""
        from .analysis.butterfly import callers

        return callers(self, function)

    def callees(self, function: Any) -> pl.DataFrame:
        """Direct callees of ``function`` with the weight that flows through each."""
        from .analysis.butterfly import callees

        return callees(self, function)

    def report(
        self, *, top: int = 30, groups: dict | None = None, rules: list | None = None
    ) -> Any:
        """The markdown hot-spot report (renders in Jupyter; ``str()`` gives the markdown)."""
        from .present.report import hotspot_report

        return hotspot_report(self, top=top, groups=groups, rules=rules)

    def flamegraph(
        self,
        *,
        inverted: bool = False,
        min_width: float = 0.001,
        color_by: str = "library",
        title: str | None = None,
    ) -> Any:
        """An interactive flame graph: icicle (top-down), or flame (bottom-up) with ``inverted``.
        Renders inline in Jupyter; ``.save("out.svg")`` or ``.save("out.html")`` writes it."""
        from .present.flamegraph import flamegraph

        return flamegraph(
            self, inverted=inverted, min_width=min_width, color_by=color_by, title=title
        )

    def transform(self, *transforms: Transform) -> Thread:
        """Apply transforms (values from :mod:`profile_frames.analysis.transforms`) in order.

        On a view with an implementation filter, as in the Firefox Profiler, the transforms go
        to the unfiltered view and the filter is applied after them."""
        from .analysis.transforms import apply

        if self.unfiltered is not None:
            return self.unfiltered.transform(*transforms).with_implementation(self.implementation)
        t = self
        for tr in transforms:
            t = apply(t, tr)
        return t

    def with_implementation(self, implementation: str) -> Thread:
        """The view every analysis sees through the Firefox Profiler's implementation filter:
        ``"js"`` keeps JavaScript frames (and those relevant for JS), ``"cpp"`` native frames
        (not JS, not JIT addresses without a library), ``"combined"`` all. Other frames are
        merged away; samples with none left count nowhere.

        >>> import profile_frames
        >>> t = profile_frames.load(profile_frames.example_path()).thread(1)
        >>> t.with_implementation("js").n_samples == t.n_samples, t.with_implementation("js").implementation
        (True, 'js')
        """
        from .analysis.transforms import ImplementationFilter

        base = self.unfiltered if self.unfiltered is not None else self
        if implementation == "combined":
            return base
        view = base.transform(ImplementationFilter(implementation))
        return view.with_tables(implementation=implementation, unfiltered=base)

    def merge_function(self, function: Any) -> Thread:
        from .analysis.transforms import MergeFunction

        return self.transform(MergeFunction(function))

    def keep_stack_prefix(self, path: list) -> Thread:
        """Only the samples whose stack starts (root first) with ``path``."""
        from .analysis.transforms import StackPrefix

        return self.transform(StackPrefix(tuple(path)))

    def keep_function(self, function: Any) -> Thread:
        """Only the samples whose stack contains ``function`` (any of a list)."""
        from .analysis.transforms import IncludeFunction

        return self.transform(IncludeFunction(function))

    def keep_stack_suffix(self, function: Any) -> Thread:
        """Only the samples whose leaf is ``function``."""
        from .analysis.transforms import StackSuffix

        return self.transform(StackSuffix(function))

    def during_markers(self, search: str, *, outside: bool = False) -> Thread:
        """Only the samples inside (or outside) the interval markers matching ``search``."""
        from .analysis.transforms import DuringMarkers

        return self.transform(DuringMarkers(search, outside=outside))

    def derived_markers(self) -> pl.DataFrame:
        """The markers as the Firefox Profiler shows them (start/end pairs joined)."""
        from .analysis.markers import derived_markers

        return derived_markers(self)

    def marker_summary(self) -> pl.DataFrame:
        """Per marker name: count, instants, total/mean/median/p95/max duration (ms)."""
        from .analysis.markers import marker_summary

        return marker_summary(self)

    def marker_durations(self, name: str) -> pl.Series:
        """Durations (ms) of the interval markers called ``name``, for a histogram."""
        from .analysis.markers import marker_durations

        return marker_durations(self, name)

    def merge_call_node(self, path: list, *, implementation: str | None = None) -> Thread:
        """Remove the one call node at ``path`` (root first); its time goes to its parent. The
        path is read in ``implementation``'s view (default: this view's filter)."""
        from .analysis.transforms import MergeCallNode

        impl = implementation or self.implementation
        return self.transform(MergeCallNode(tuple(path), implementation=impl))

    def focus_self(self, function: Any, *, implementation: str | None = None) -> Thread:
        """Only the samples whose leaf is ``function``, each rooted at it (with an
        implementation filter: the leaf in that view, the other frames below it kept)."""
        from .analysis.transforms import FocusSelf

        impl = implementation or self.implementation
        return self.transform(FocusSelf(function, implementation=impl))

    def focus_function(self, function: Any) -> Thread:
        from .analysis.transforms import FocusFunction

        return self.transform(FocusFunction(function))

    def focus_subtree(
        self, path: list, *, inverted: bool = False, implementation: str | None = None
    ) -> Thread:
        """Samples under the root-first call ``path`` (read in the view's implementation),
        re-rooted at its last function; ``inverted``: samples ending with the leaf-first path."""
        from .analysis.transforms import FocusSubtree

        impl = implementation or self.implementation
        return self.transform(FocusSubtree(tuple(path), inverted=inverted, implementation=impl))

    def drop_function(self, function: Any) -> Thread:
        from .analysis.transforms import DropFunction

        return self.transform(DropFunction(function))

    def collapse_recursion(
        self, function: Any, *, direct_only: bool = False, implementation: str | None = None
    ) -> Thread:
        """Collapse recursion of ``function`` (direct: f→f runs, which frames of another
        implementation than the view's do not break)."""
        from .analysis.transforms import CollapseRecursion

        impl = implementation or self.implementation
        return self.transform(CollapseRecursion(function, direct_only, implementation=impl))

    def collapse_function_subtree(self, function: Any) -> Thread:
        from .analysis.transforms import CollapseFunctionSubtree

        return self.transform(CollapseFunctionSubtree(function))

    def collapse_library(self, library: str, *, implementation: str | None = None) -> Thread:
        """The library's functions as one function named after it; consecutive frames merge
        (frames of another implementation than the view's in between do not separate them)."""
        from .analysis.transforms import CollapseLibrary

        impl = implementation or self.implementation
        return self.transform(CollapseLibrary(library, implementation=impl))

    def focus_category(self, category: str | int) -> Thread:
        from .analysis.transforms import FocusCategory

        return self.transform(FocusCategory(category))

    def between(self, start_ms: float, end_ms: float) -> Thread:
        from .analysis.transforms import TimeRange

        return self.transform(TimeRange(start_ms, end_ms))

    def filter_samples(self, function: Any) -> Thread:
        from .analysis.transforms import KeepStacksWith

        return self.transform(KeepStacksWith(function))


class Profile:
    """A loaded profile: ``meta``, a ``threads`` table, and per-thread views.

    ``stacks``, ``frames`` and ``funcs`` are the tables every thread's stacks come from; a
    thread view keeps only the stacks its samples reach (see :class:`Thread`), so asking about
    one thread costs that thread's size, not the whole profile's.

    Example
    -------
    >>> import profile_frames
    >>> p = profile_frames.load(profile_frames.example_path())
    >>> p.main_thread().index, p.thread(2).index
    (1, 2)
    >>> t = p.thread(2)
    >>> t.stacks.height < p.stacks.height, t.stack_rows is not None
    (True, True)
    """

    def __init__(
        self,
        *,
        meta: Meta,
        threads: pl.DataFrame,
        samples: list[pl.DataFrame],
        markers: list[pl.DataFrame],
        stacks: pl.DataFrame,
        frames: pl.DataFrame,
        funcs: pl.DataFrame,
        native_symbols: pl.DataFrame,
        source: str = "",
        stack_counts: list[StackCounts | None] | None = None,
    ) -> None:
        self.meta = meta
        self.threads = threads
        self.stacks = stacks
        self.frames = frames
        self.funcs = funcs
        self.native_symbols = native_symbols
        self.source = source
        self._samples = samples
        self._markers = markers
        counts = stack_counts if stack_counts is not None else [None] * len(samples)
        self._stack_counts = [
            c if c is not None else count_by_stack(t, stacks.height)
            for c, t in zip(counts, samples)
        ]
        self._parents: np.ndarray | None = None
        self._seen: np.ndarray | None = None
        self._stamp: np.ndarray | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"Profile({self.meta.product!r}, {self.meta.format} v{self.meta.version}, "
            f"{self.threads.height} threads, {self.funcs.height} funcs)"
        )

    def stack_parents(self) -> np.ndarray:
        """The shared stack table's parent column as int64 (-1 = root), made once (read only).

        >>> import profile_frames
        >>> profile_frames.load(profile_frames.example_path()).stack_parents()[:3].tolist()
        [-1, 0, 1]
        """
        with self._lock:
            if self._parents is None:
                self._parents = self.stacks["parent"].fill_null(-1).to_numpy().astype(np.int64)
                self._seen = np.zeros(self.stacks.height, dtype=bool)
                self._stamp = np.empty(self.stacks.height, dtype=np.int64)
            return self._parents

    def stack_counts(self, row: int) -> StackCounts | None:
        """The samples of the thread in row ``row`` of :attr:`threads`, grouped by shared
        stack (None: no sample has a stack), as counted when the profile was built."""
        return self._stack_counts[row]

    def _closure(self, reached: np.ndarray) -> np.ndarray:
        """The shared stack rows in ``reached`` and their ancestors, ascending."""
        parents = self.stack_parents()
        with self._lock:
            assert self._seen is not None
            return ancestor_closure(parents, reached, self._seen, self._stamp)

    def _view(self, rows: list[int]) -> Thread:
        """The view of one thread row, or of several merged (samples in time order)."""
        infos = [self.threads.row(r, named=True) for r in rows]
        counts = sum_counts([self._stack_counts[r] for r in rows])
        n = sum(self._samples[r].height for r in rows)
        if len(rows) == 1:
            base = SampleSource.of(self._samples[rows[0]])
            markers = self._markers[rows[0]]
        else:
            parts = [self._samples[r] for r in rows]
            base = SampleSource(n, lambda: pl.concat(parts).sort("time", maintain_order=True))
            markers = pl.concat([self._markers[r] for r in rows])
        n_shared = self.stacks.height
        reached = counts.stack if counts is not None else np.zeros(0, np.int64)
        closure = self._closure(reached) if 2 * len(reached) <= n_shared else None
        if closure is not None and 2 * len(closure) > n_shared:
            closure = None
        if closure is None:  # most of the shared table: use it as it is
            stacks, rows_of, source, at, size = self.stacks, None, base, reached, n_shared
        else:
            parent = self.stack_parents()[closure]
            new_parent = np.where(parent >= 0, np.searchsorted(closure, np.maximum(parent, 0)), -1)
            arrow = pa.array(new_parent.astype(np.int32), mask=new_parent < 0)
            stacks = self.stacks[closure].with_columns(parent=pl.Series("parent", arrow))
            rows_of, size = closure, len(closure)
            at = np.searchsorted(closure, reached)
            source = SampleSource(n, lambda: _into_closure(base.table(), closure))
        view = Thread(
            profile=self,
            index=infos[0]["index"],
            name=" + ".join(i["name"] for i in infos),
            stacks=stacks,
            frames=self.frames,
            funcs=self.funcs,
            markers=markers,
            sample_source=source,
            weight_type=infos[0]["weight_type"],
            stack_rows=rows_of,
            merged=tuple(i["index"] for i in infos) if len(infos) > 1 else (),
        )
        if counts is not None:  # the samples grouped by stack when the profile was built
            dense = np.zeros(size, dtype=counts.weight.dtype)
            dense[at] = counts.weight
            object.__setattr__(view, "_stack_weights", dense)
        return view

    def thread(self, key: int | str | re.Pattern) -> Thread:
        """The one thread matching ``key``: a file index, an exact name, a glob or a regex.

        Raises :class:`ProfileKeyError` listing the candidates when none or several match.
        """
        return self._view([self.thread_row(key)])

    def thread_row(self, key: int | str | re.Pattern) -> int:
        """The row of :attr:`threads` of the one thread matching ``key`` (see :meth:`thread`)."""
        if isinstance(key, int) and not isinstance(key, bool):
            rows = self.threads["index"].eq(key).arg_true().to_list()
        else:
            rows = match_names(self.threads["name"].to_list(), key)
        if len(rows) == 1:
            return rows[0]
        if not rows:
            lines = self.describe_threads().split("\n") if self.threads.height else []
            ranked = (
                self.threads.with_row_index("_row")
                .sort(["samples", "index"], descending=[True, False])["_row"]
                .to_list()
            )
            raise ProfileKeyError(
                no_match_message(
                    key, self.threads["name"].to_list(), lines=lines, by_samples=ranked
                )
            )
        listing = self.describe_threads(rows)
        raise ProfileKeyError(f"{len(rows)} threads match {key!r}; use an index:\n{listing}")

    def describe_threads(self, rows: list[int] | None = None) -> str:
        """One line per thread (index, name, tid, samples): used in error messages."""
        t = self.threads if rows is None else self.threads[rows]
        return "\n".join(
            f"  {r['index']:>3}  {r['name']}  (pid {r['pid']}, tid {r['tid']}, {r['samples']} samples)"
            for r in t.iter_rows(named=True)
        )

    def main_thread(self) -> Thread:
        """The thread with the most sample weight (ties: ``is_main`` first, then file order)."""
        if self.threads.height == 0:
            raise ProfileKeyError("the profile has no threads")
        order = self.threads.with_row_index("_row").sort(
            ["weight", "is_main", "index"], descending=[True, True, False], nulls_last=True
        )
        return self._view([int(order["_row"][0])])

    @property
    def unsymbolicated_frames(self) -> int:
        """Native frames (frames with a library) whose function is still named ``0x…``."""
        from .symbols import symbol_status

        return symbol_status(self).unsymbolicated

    def symbolicate(self, *, search_path: Any = (), server: str | None = None) -> Profile:
        """A new profile with native functions named, inlined frames and lines, from the
        binaries on this machine (``search_path`` folders, recorded paths, /usr/lib/debug) or
        a symbol server (``server``: the Firefox Profiler's /symbolicate/v5 API). The new
        profile's ``symbolication`` is the report (per library: the file used, or why none)."""
        from .symbolication import symbolicate

        out, report = symbolicate(self, search_path=list(search_path), server=server)
        if out is self:
            out = copy.copy(self)
        out.symbolication = report
        return out

    def save(self, path: str, *, format: str = "parquet") -> None:
        """Save the canonical tables as a folder (Parquet or Arrow IPC); ``load(path)`` reopens it."""
        from .store import save_profile

        save_profile(self, path, format=format)

    def all_threads(self) -> list[Thread]:
        """Every thread, in file order."""
        return [self._view([i]) for i in range(self.threads.height)]

    def functions(self, threads: Any = None, *, by_name: bool = False) -> pl.DataFrame:
        """``functions()`` of several threads (default: all with samples) with a ``thread``
        column; ``by_name``: one row per (function, library) per thread, each sample counted
        once in a total even when several funcs share the name."""
        from .analysis.timing import profile_functions

        return profile_functions(self, threads, by_name=by_name)

    def merged(self, keys: list) -> Thread:
        """One thread view combining the samples of several threads (in time order)."""
        if not keys:
            raise ProfileKeyError("merge needs at least one thread")
        rows = [self.thread_row(k) for k in keys]
        weight_types = {self.threads["weight_type"][r] for r in rows}
        if len(weight_types) > 1:
            raise ProfileKeyError(f"cannot merge weight types {' and '.join(sorted(weight_types))}")
        return self._view(rows)


def _sum_f64(s: pl.Series) -> float:
    """Sum (nulls skipped) in float64, chunk by chunk over zero-copy views: no temporary copy
    of the column, which polars' allocator would keep as resident memory. Only a chunk with
    nulls (NaN in its numpy view) pays for ``nansum``'s masked copy."""
    total = 0.0
    for c in s.get_chunks():
        values = c.to_numpy()
        part = values.sum(dtype=np.float64)
        total += float(np.nansum(values, dtype=np.float64) if np.isnan(part) else part)
    return total


def build_threads_table(
    infos: list[dict], samples: list[pl.DataFrame], counts: list[StackCounts | None]
) -> pl.DataFrame:
    """The ``threads`` table from header fields, each thread's samples and their sums per
    stack (:func:`count_by_stack`)."""
    rows = []
    for info, s, counted in zip(infos, samples, counts):
        cpu = s["cpu_delta"]
        has_cpu = s.height > 0 and cpu.null_count() < s.height
        # counted weight: null stacks excluded; the first CPU delta is meaningless (the
        # Firefox Profiler skips it too)
        weight = counted.total if counted is not None else 0.0
        cpu_us = _sum_f64(cpu.slice(1)) if has_cpu else None
        rows.append(
            {
                **{
                    k: info.get(k)
                    for k in (
                        "index",
                        "name",
                        "process_name",
                        "pid",
                        "tid",
                        "is_main",
                        "process_type",
                    )
                },
                "samples": s.height,
                "weight": weight,
                "weight_type": info.get("weight_type", "samples"),
                "cpu_ms": cpu_us / 1000.0 if cpu_us is not None else None,
                "start_ms": s["time"].min(),
                "end_ms": s["time"].max(),
            }
        )
    return pl.DataFrame(rows, schema=schema.THREADS)
