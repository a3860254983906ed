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

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from . import schema
from .errors import ProfileKeyError
from .selectors import match_names

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


@dataclass(frozen=True, eq=False)
class Thread:
    """One thread's samples over (possibly shared) stack, frame and func tables.

    A Thread never changes: transforms return a new one. ``transforms`` lists what was applied.
    """

    profile: Profile = field(repr=False)
    index: int
    name: str
    samples: pl.DataFrame = field(repr=False)
    stacks: pl.DataFrame = field(repr=False)
    frames: pl.DataFrame = field(repr=False)
    funcs: pl.DataFrame = field(repr=False)
    markers: pl.DataFrame = field(repr=False)
    weight_type: str = "samples"
    transforms: tuple = ()

    def __repr__(self) -> str:
        t = f", transforms={[str(x) for x in self.transforms]}" if self.transforms else ""
        return f"Thread(index={self.index}, name={self.name!r}, samples={self.samples.height}{t})"

    @property
    def meta(self) -> Meta:
        return self.profile.meta

    def with_tables(self, **changes: Any) -> Thread:
        """A copy with some tables replaced (used by transforms). The per-stack sample sums
        carry over while neither the samples nor the stack table change."""
        view = replace(self, **changes)
        counted = self.__dict__.get("_stack_weights")
        if counted is not None and "samples" not in changes and "stacks" not in changes:
            object.__setattr__(view, "_stack_weights", counted)
        return view

    # -- analysis (see profile_frames.analysis) -----------------------------------------------
    def functions(self) -> pl.DataFrame:
        """Self and total weight per function, most self first."""
        from .analysis.timing import functions

        return functions(self)

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
        """Apply transforms (values from :mod:`profile_frames.analysis.transforms`) in order."""
        from .analysis.transforms import apply

        t = self
        for tr in transforms:
            t = apply(t, tr)
        return t

    def merge_function(self, function: Any) -> Thread:
        from .analysis.transforms import MergeFunction

        return self.transform(MergeFunction(function))

    def focus_function(self, function: Any) -> Thread:
        from .analysis.transforms import FocusFunction

        return self.transform(FocusFunction(function))

    def focus_subtree(self, path: list, *, inverted: bool = False) -> Thread:
        from .analysis.transforms import FocusSubtree

        return self.transform(FocusSubtree(tuple(path), inverted=inverted))

    def drop_function(self, function: Any) -> Thread:
        from .analysis.transforms import DropFunction

        return self.transform(DropFunction(function))

    def collapse_recursion(self, function: Any, *, direct_only: bool = False) -> Thread:
        from .analysis.transforms import CollapseRecursion

        return self.transform(CollapseRecursion(function, direct_only=direct_only))

    def collapse_function_subtree(self, function: Any) -> Thread:
        from .analysis.transforms import CollapseFunctionSubtree

        return self.transform(CollapseFunctionSubtree(function))

    def collapse_library(self, library: str) -> Thread:
        from .analysis.transforms import CollapseLibrary

        return self.transform(CollapseLibrary(library))

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

    Example
    -------
    >>> import profile_frames
    >>> p = profile_frames.load(profile_frames.example_path())
    >>> p.main_thread().index, p.thread(2).index
    (1, 2)
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
        self._stack_counts = (
            stack_counts
            if stack_counts is not None
            else [count_by_stack(t, stacks.height) for t in samples]
        )

    def __repr__(self) -> str:
        return (
            f"Profile({self.meta.product!r}, {self.meta.format} v{self.meta.version}, "
            f"{self.threads.height} threads, {self.funcs.height} funcs)"
        )

    def _view(self, row: int) -> Thread:
        info = self.threads.row(row, named=True)
        view = Thread(
            profile=self,
            index=info["index"],
            name=info["name"],
            samples=self._samples[row],
            stacks=self.stacks,
            frames=self.frames,
            funcs=self.funcs,
            markers=self._markers[row],
            weight_type=info["weight_type"],
        )
        counted = self._stack_counts[row]
        if counted is not None:  # the samples grouped by stack when the profile was built
            stack, weight = counted
            dense = np.zeros(self.stacks.height, dtype=weight.dtype)
            dense[stack] = weight
            object.__setattr__(view, "_stack_weights", dense)
        return view

    def thread(self, key: int | str | re.Pattern) -> Thread:
        """The one thread matching ``key``: a file index, an exact name, a glob or a regex.

        Raises :class:`ProfileKeyError` listing the candidates when none or several match.
        """
        if isinstance(key, int) and not isinstance(key, bool):
            rows = self.threads["index"].eq(key).arg_true().to_list()
        else:
            rows = match_names(self.threads["name"].to_list(), key)
        if len(rows) == 1:
            return self._view(rows[0])
        listing = self.describe_threads(rows if rows else None)
        if not rows:
            raise ProfileKeyError(f"no thread matches {key!r}; threads are:\n{listing}")
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
        return self._view(int(order["_row"][0]))

    @property
    def unsymbolicated_frames(self) -> int:
        """Native frames (frames with a library) whose function is still named ``0x…``."""
        from .symbols import symbol_status

        return symbol_status(self).unsymbolicated

    def save(self, path: str, *, format: str = "parquet") -> None:
        """Save the canonical tables as a folder (Parquet or Arrow IPC); ``load(path)`` reopens it."""
        from .store import save_profile

        save_profile(self, path, format=format)

    def all_threads(self) -> list[Thread]:
        """Every thread, in file order."""
        return [self._view(i) for i in range(self.threads.height)]

    def functions(self, threads: Any = None) -> pl.DataFrame:
        """``functions()`` of several threads (default: all with samples) with a ``thread`` column."""
        from .analysis.timing import profile_functions

        return profile_functions(self, threads)

    def merged(self, keys: list) -> Thread:
        """One thread view combining the samples of several threads (same shared tables)."""
        from .analysis.merge import merge_threads

        return merge_threads([self.thread(k) for k in keys])


StackCounts = tuple[np.ndarray, np.ndarray]


def count_by_stack(
    samples: pl.DataFrame, n_stacks: int, counted: np.ndarray | None = None
) -> StackCounts | None:
    """The samples grouped by stack once, when the profile is built: (stack, summed weight)
    of every stack with weight, or None for a thread without samples. Every analysis starts
    from these sums; only the sample-level transforms (time range, sample filter) recount.

    ``counted`` holds samples per stack (weight 1, nulls left out) counted while the file was
    read; then only the samples weighing more than 1 are added (integer weights).
    """
    if samples.height == 0 or n_stacks == 0:
        return None
    from .analysis.calltree import sum_by_stack

    weight = samples["weight"]
    if counted is None or weight.dtype.is_float() or len(counted) > n_stacks:
        dense = sum_by_stack(samples["stack"], weight, n_stacks)[:n_stacks]
    else:
        dense = np.zeros(n_stacks, dtype=np.int64)
        dense[: len(counted)] = counted
        if weight.min() != 1 or weight.max() != 1:
            other = (weight != 1).arg_true()
            heavier = pl.DataFrame(
                {"stack": samples["stack"].gather(other), "excess": weight.gather(other) - 1}
            ).drop_nulls("stack")
            dense += np.bincount(
                heavier["stack"].to_numpy(),
                weights=heavier["excess"].cast(pl.Float64).to_numpy(),
                minlength=n_stacks,
            ).astype(np.int64)
    stack = np.flatnonzero(dense).astype(np.int32)
    return stack, dense[stack]


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
        weight = float(counted[1].sum()) if counted is not None else 0.0
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
