"""Budgets over a thread: what share of the time a function or group of functions takes, and
whether that share grew against baseline runs.

A :class:`Selector` names the functions a rule is about: exact ``names``, name ``prefixes``, a
``regex``, a ``library``, or the ``other`` group (no function of the named groups). A function
matches when it satisfies every criterion given (a library *and* a prefix narrows to that
library's functions). :func:`measure` gives the selection's self and total (each sample counted
once, as in ``group_time``) and the functions that contribute most; :func:`growth` compares
per-run shares of the selection and of every function between baseline and current runs with
the shared statistics (:mod:`.stats`): the family for the q-value is every function plus the
selection.

Example
-------
>>> import profile_frames
>>> t = profile_frames.load(profile_frames.example_path()).thread(1)
>>> m = measure(t, Selector(prefixes=("PyObject_Malloc", "PyObject_Free")))
>>> round(m.self_pct, 1), m.functions.height
(15.2, 3)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from .groups import keyed_weights, member_mask, used_funcs
from .stats import compare_shares

if TYPE_CHECKING:
    from ..model import Thread

SELECTION = "(selection)"  # the selection's key among the functions in a growth table


@dataclass(frozen=True)
class Selector:
    """Which functions a rule measures (criteria combine with *and*; ``others_of``: the
    functions in none of those groups, like ``group_time``'s ``other``)."""

    names: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    regex: str | None = None
    library: str | None = None
    others_of: tuple[tuple[str, ...], ...] = field(default=())

    def mask(self, funcs: pl.DataFrame) -> np.ndarray:
        """One bool per row of ``funcs`` (columns ``name``, ``library``)."""
        names = funcs["name"].fill_null("")
        hit = np.ones(funcs.height, dtype=bool)
        if self.others_of:
            in_any = np.zeros(funcs.height, dtype=bool)
            for group in self.others_of:
                in_any |= member_mask(names, list(group)).to_numpy()
            hit &= ~in_any
        if self.names:
            hit &= names.is_in(list(self.names)).to_numpy()
        if self.prefixes:
            hit &= member_mask(names, list(self.prefixes)).to_numpy()
        if self.regex is not None:
            hit &= names.str.contains(self.regex).fill_null(False).to_numpy()
        if self.library is not None:
            hit &= (funcs["library"] == self.library).fill_null(False).to_numpy()
        return hit

    def check(self) -> None:
        """A ValueError when the selector selects by nothing or its regex does not compile."""
        if not (self.names or self.prefixes or self.regex or self.library or self.others_of):
            raise ValueError("select functions with names, prefixes, regex or library")
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as e:
                raise ValueError(f"regex {self.regex!r}: {e}") from None


@dataclass
class Measure:
    """A selection's weight in one thread: self/total, their shares of the thread's weight,
    total ms (null unless the weights are samples), and its functions, most total first."""

    self: float
    total: float
    self_pct: float
    total_pct: float
    total_ms: float | None
    functions: pl.DataFrame
    table: pl.DataFrame  # every function of the thread by (function, library): the baseline family


def measure(thread: Thread, selector: Selector) -> Measure:
    """The selection's self and total in ``thread`` (a sample counted once in the total)."""
    funcs = used_funcs(thread)
    hit = selector.mask(funcs)
    key = np.where(hit, 0, -1).astype(np.int64)
    self_k, total_k, denom = keyed_weights(thread, key, 1)
    fn = thread.functions(by_name=True)
    members = fn.join(
        funcs.filter(pl.Series(hit)).select(pl.col("name").alias("function"), "library").unique(),
        on=["function", "library"],
        how="semi",
        nulls_equal=True,
    ).sort(["total", "self"], descending=True)
    interval = thread.meta.interval_ms if thread.weight_type == "samples" else None
    pct = (lambda w: float(w) * 100.0 / denom) if denom else (lambda w: 0.0)
    return Measure(
        self=float(self_k[0]),
        total=float(total_k[0]),
        self_pct=pct(self_k[0]),
        total_pct=pct(total_k[0]),
        total_ms=float(total_k[0]) * interval if interval is not None else None,
        functions=members.drop("func"),
        table=fn.drop("func"),
    )


def _run_shares(m: Measure, value: str) -> pl.DataFrame:
    fn = m.table.select("function", "library", pl.col(f"{value}_pct").alias("share"))
    sel = pl.DataFrame(
        {"function": [SELECTION], "library": [None], "share": [getattr(m, f"{value}_pct")]},
        schema=fn.schema,
    )
    return pl.concat([fn, sel])


def compare_measures(
    before: Sequence[Measure], after: Sequence[Measure], *, value: str = "self"
) -> pl.DataFrame:
    """:func:`growth` from measures already taken (a check measures each run once)."""
    if value not in ("self", "total"):
        raise ValueError("value must be 'self' or 'total'")
    parts = [
        _run_shares(m, value).with_columns(side=pl.lit(side), run=pl.lit(i))
        for side, ms in (("before", before), ("after", after))
        for i, m in enumerate(ms)
    ]
    return compare_shares(
        pl.concat(parts), keys=["function", "library"], n_before=len(before), n_after=len(after)
    )


def growth(
    before: Sequence[Thread], after: Sequence[Thread], selector: Selector, *, value: str = "self"
) -> pl.DataFrame:
    """Per function, and for the selection (``function`` = :data:`SELECTION`): mean share in
    the ``before`` and ``after`` runs, the change, its 95 % interval, p- and q-values."""
    return compare_measures(
        [measure(t, selector) for t in before], [measure(t, selector) for t in after], value=value
    )
