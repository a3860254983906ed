"""Self and total weight per group of functions: user groups, libraries, namespaces, categories.

A group's self is the sum over its member functions; its total counts each sample once if its
stack contains any member. Functions in no group are summed under ``other`` so self shares add up.

Example
-------
>>> import profile_frames
>>> t = profile_frames.load(profile_frames.example_path()).thread(1)
>>> g = t.group_time({"eval": ["PyEval", "_PyEval"], "alloc": ["PyObject_Malloc", "PyObject_Free"]})
>>> g.select("group", "self", "total").rows()
[('eval', 255, 1019), ('alloc', 158, 191), ('other', 626, 1039)]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from ..tree import depths, subtree_sums
from .calltree import call_nodes, dfs_intervals, keyed_totals, stack_arrays, stack_weights
from .timing import weights_frame

if TYPE_CHECKING:
    from ..model import Thread

GroupSpec = str | re.Pattern | Sequence[str | re.Pattern]


def _matcher(spec: GroupSpec) -> list[str | re.Pattern]:
    if isinstance(spec, (str, re.Pattern)):
        return [spec]
    return list(spec)


def member_mask(names: pl.Series, spec: GroupSpec) -> pl.Series:
    """True for names starting with any prefix string, or matching any compiled regex.

    A string written ``re:...`` is a regex too (handy in TOML files and on the command line).
    """
    mask = pl.Series([False] * len(names))
    for m in _matcher(spec):
        if isinstance(m, re.Pattern):
            hit = names.str.contains(m.pattern)
        elif m.startswith("re:"):
            hit = names.str.contains(m[3:])
        else:
            hit = names.str.starts_with(m)
        mask = mask | hit.fill_null(False)
    return mask


def used_funcs(thread: Thread) -> pl.DataFrame:
    """The rows of the func table that the thread's stacks use (the keys below are per row)."""
    return thread.funcs[call_nodes(thread).used_funcs[0]]


def keyed_weights(
    thread: Thread, func_key: np.ndarray, n_keys: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """Self and total per key, where ``func_key[i]`` is the key of row i of
    :func:`used_funcs` (-1 = none)."""
    cn = call_nodes(thread)
    self_k, total_k = cn.by_func_key(func_key, n_keys)
    return self_k, total_k, cn.root_total


def _table(thread: Thread, column: str, labels: list[str], func_key: np.ndarray) -> pl.DataFrame:
    self_k, total_k, denom = keyed_weights(thread, func_key, len(labels))
    df = weights_frame(thread, {column: pl.Series(labels, dtype=pl.String)}, self_k, total_k, denom)
    return df.sort(["self", "total"], descending=True)


def group_time(
    thread: Thread, groups: dict[str, GroupSpec], *, other: str = "other"
) -> pl.DataFrame:
    """Self and total per named group; a function belongs to the first group it matches.
    Every named group has a row, with zeros when it has no weight in this thread (see
    :func:`unmatched_groups` for the ones that match no function at all)."""
    names = used_funcs(thread)["name"].fill_null("")
    key = np.full(len(names), -1, dtype=np.int64)
    labels = list(groups)
    for i, spec in enumerate(groups.values()):
        hit = member_mask(names, spec).to_numpy() & (key < 0)
        key[hit] = i
    key[key < 0] = len(labels)
    df = _table(thread, "group", [*labels, other], key)
    missing = [g for g in labels if g not in set(df["group"].to_list())]
    if missing:
        zeros = pl.DataFrame({"group": missing}).with_columns(
            *(pl.lit(0, df.schema[c]).alias(c) for c in df.columns if c != "group")
        )
        named = pl.concat([df.filter(pl.col("group") != other), zeros.select(df.columns)])
    else:
        named = df.filter(pl.col("group") != other)
    return pl.concat([named, df.filter(pl.col("group") == other)])


def unmatched_groups(thread: Thread, groups: dict[str, GroupSpec]) -> list[str]:
    """The groups none of whose patterns matches a function of the thread (a typo, likely).

    >>> import profile_frames
    >>> t = profile_frames.load(profile_frames.example_path()).thread(1)
    >>> unmatched_groups(t, {"eval": ["PyEval"], "Lexer": ["Lexer::"]})
    ['Lexer']
    """
    names = used_funcs(thread)["name"].fill_null("")
    return [g for g, spec in groups.items() if not member_mask(names, spec).any()]


def by_library(thread: Thread) -> pl.DataFrame:
    """Self and total per library (the function's resource; ``(none)`` for label frames)."""
    labels: dict[str, int] = {}
    key = np.array(
        [
            labels.setdefault(lib, len(labels))
            for lib in used_funcs(thread)["library"].fill_null("(none)").to_list()
        ],
        dtype=np.int64,
    )
    return _table(thread, "library", list(labels), key)


_IMPL = re.compile(r"^<impl(?:<[^>]*>)? (?:[^<>]|<[^<>]*>)*? for ([^<> ]+)")
_AS = re.compile(r"^<([^<> ]+)(?:<[^>]*>)? as ")
_GENERIC = re.compile(r"<[^<>]*>")


def namespace_of(name: str, library: str | None, depth: int) -> str:
    """The first ``depth`` ``::`` components of a Rust/C++ name, generics removed.

    ``<impl Trait for Type>::f`` and ``<Type as Trait>::f`` group under ``Type``'s path.
    Names without ``::`` group under their library, in brackets.

    >>> namespace_of("angelscript::parser::Lexer::scan_token", None, 2)
    'angelscript::parser'
    >>> namespace_of("<impl core::fmt::Debug for angelscript::Token>::fmt", None, 1)
    'angelscript'
    >>> namespace_of("malloc", "libc.so.6", 2)
    '[libc.so.6]'
    """
    m = _IMPL.match(name) or _AS.match(name)
    if m:
        name = m.group(1)
    prev = None
    while prev != name:
        prev, name = name, _GENERIC.sub("", name)
    parts = [p for p in name.split("::") if p]
    if len(parts) <= 1:
        return f"[{library}]" if library else (parts[0] if parts else name)
    return "::".join(parts[: min(depth, len(parts) - 1)])


def by_namespace(thread: Thread, depth: int = 2) -> pl.DataFrame:
    """Self and total per namespace / module path of ``depth`` components."""
    labels: dict[str, int] = {}
    funcs = used_funcs(thread)
    key = np.empty(funcs.height, dtype=np.int64)
    for i, (name, lib) in enumerate(zip(funcs["name"].to_list(), funcs["library"].to_list())):
        ns = namespace_of(name or "", lib, depth)
        key[i] = labels.setdefault(ns, len(labels))
    return _table(thread, "namespace", list(labels), key)


def by_category(thread: Thread) -> pl.DataFrame:
    """Self and total per category of the sampled stacks (the Firefox Profiler's category)."""
    cats = thread.meta.categories["name"].to_list()
    sw = stack_weights(thread)
    parent, _ = stack_arrays(thread)
    cat = thread.stacks["category"].fill_null(0).to_numpy().astype(np.int64)
    d = depths(parent)
    total_s = subtree_sums(parent, sw, d)
    self_c, total_c = keyed_totals(cat, sw, total_s, dfs_intervals(parent, d), len(cats))
    denom = float(np.abs(sw).sum())
    df = weights_frame(
        thread, {"category": pl.Series(cats, dtype=pl.String)}, self_c, total_c, denom
    )
    return df.sort(["self", "total"], descending=True)


def resolve_groups(spec: Any) -> dict[str, GroupSpec]:
    """Accept a dict, or ``NAME=PREFIX[,PREFIX…]`` strings (the CLI form)."""
    if isinstance(spec, dict):
        return spec
    out: dict[str, GroupSpec] = {}
    for item in spec:
        name, _, prefixes = item.partition("=")
        if not name or not prefixes:
            raise ValueError(f"a group must look like NAME=PREFIX[,PREFIX...], got {item!r}")
        out[name] = [p for p in prefixes.split(",") if p]
    return out
