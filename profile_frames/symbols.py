"""Symbolication from a samply ``.syms.json`` sidecar (``samply record --unstable-presymbolicate``).

The sidecar sits beside the profile under the name samply gives it: the last extension
replaced, so ``profile.json.gz`` → ``profile.json.syms.json`` and ``prof.json`` → ``prof.syms.json``.
Libraries match on ``debugName`` plus the debug id (compared as parsed UUID + appendix). Each
frame's library-relative address is looked up in the sidecar's ``known_addresses`` (a sorted
binary search); frames of one symbol are given one new function named after it, as the Firefox
Profiler regroups funcs after symbolication (old funcs stay, orphaned). The ``frames`` inline
information of the sidecar is only approximate (captured for the first address of each symbol),
so it is used for the function's file and line, not to invent inlined frames.

Example
-------
>>> sidecar_path("/tmp/profile.json.gz").name
'profile.json.syms.json'
>>> parse_debug_id("f61da4d5-7cbb-38ca-8bdf-059c64583452") == parse_breakpad_id("F61DA4D57CBB38CA8BDF059C645834520")
True
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from .errors import ProfileFormatError

if TYPE_CHECKING:
    from .model import Profile


def sidecar_path(profile_path: str | os.PathLike) -> Path:
    """Where samply writes the sidecar for ``profile_path`` (Rust's ``with_extension``)."""
    return Path(profile_path).with_suffix(".syms.json")


def parse_breakpad_id(value: str | None) -> tuple[str, int] | None:
    """``F61DA4D5…452`` + appendix hex → (uuid lower-case hex, appendix)."""
    if not value or len(value) < 32:
        return None
    try:
        return value[:32].lower(), int(value[32:] or "0", 16)
    except ValueError:
        return None


def parse_debug_id(value: str | None) -> tuple[str, int] | None:
    """``f61da4d5-7cbb-38ca-8bdf-059c64583452[-appendix]`` → (uuid hex, appendix)."""
    if not value:
        return None
    parts = value.lower().split("-")
    uuid = "".join(parts[:5])
    if len(uuid) != 32:
        return None
    try:
        return uuid, int(parts[5], 16) if len(parts) > 5 else 0
    except ValueError:
        return None


UNSYMBOLICATED = (
    r"^(?:0x[0-9a-fA-F]+|<native symbol 0x[0-9a-fA-F]+>)$"  # samply, vmprof's converter
)


@dataclass
class SymbolStatus:
    """How many native frames (frames with a library, or named by an address) have real
    names; ``by_library``: per library, its native frames, the unsymbolicated ones and the
    share of all threads' sample weight whose leaf is an unsymbolicated function."""

    native_frames: int
    unsymbolicated: int
    by_library: pl.DataFrame | None = None

    @property
    def symbolicated(self) -> int:
        return self.native_frames - self.unsymbolicated


def symbol_status(profile: Profile, *, weights: bool = False) -> SymbolStatus:
    """Count native frames whose function is still an address (``0x…`` or ``<native symbol
    0x…>``); with ``weights``, also the per-library table (it tallies every thread)."""
    funcs = profile.funcs.select(
        "name",
        pl.col("library").fill_null("(none)"),
        unsym=pl.col("name").str.contains(UNSYMBOLICATED).fill_null(False),
    )
    frames = pl.DataFrame({"func": profile.frames["func"], "lib": profile.frames["lib"]}).join(
        funcs.with_row_index("func").with_columns(pl.col("func").cast(pl.Int32)),
        on="func",
        how="left",
    )
    native = frames.filter(pl.col("lib").is_not_null() | pl.col("unsym"))
    status = SymbolStatus(native.height, int(native["unsym"].sum()))
    if not weights:
        return status
    per_lib = native.group_by("library").agg(
        pl.len().alias("native_frames"), pl.col("unsym").sum().alias("unsymbolicated_frames")
    )
    fn = profile.functions()
    total = float(fn["self"].sum()) or 1.0
    leaf = fn.with_columns(
        pl.col("library").fill_null("(none)"),
        unsym=pl.col("function").str.contains(UNSYMBOLICATED).fill_null(False),
    )
    share = (
        leaf.filter("unsym")
        .group_by("library")
        .agg((pl.col("self").sum() * 100.0 / total).alias("unsymbolicated_self_pct"))
    )
    status.by_library = (
        per_lib.join(share, on="library", how="left")
        .with_columns(pl.col("unsymbolicated_self_pct").fill_null(0.0))
        .sort(["unsymbolicated_self_pct", "unsymbolicated_frames"], descending=True)
    )
    return status


def _read_sidecar(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ProfileFormatError(
            f"cannot read symbols: {e.strerror or e}", source=str(path)
        ) from None
    except ValueError as e:
        raise ProfileFormatError(f"symbols file is not JSON ({e})", source=str(path)) from None
    if (
        not isinstance(doc, dict)
        or not isinstance(doc.get("string_table"), list)
        or not isinstance(doc.get("data"), list)
    ):
        raise ProfileFormatError(
            "not a .syms.json file: expected {string_table, data}", source=str(path)
        )
    return doc


def apply_sidecar(profile: Profile, path: str | os.PathLike) -> Profile:
    """A copy of ``profile`` with functions named from the sidecar at ``path`` (``profile``
    itself is left as it was)."""
    path = Path(path)
    doc = _read_sidecar(path)
    strings: list[Any] = doc["string_table"]
    libs = profile.meta.libs
    by_key = {}
    for i, entry in enumerate(doc["data"]):
        if isinstance(entry, dict):
            by_key[(entry.get("debug_name"), parse_debug_id(entry.get("debug_id")))] = i
    frames = profile.frames
    n_frames = frames.height
    new_name: list[str | None] = [None] * n_frames
    new_file: list[str | None] = [None] * n_frames
    new_line: list[int | None] = [None] * n_frames
    lib_col = frames["lib"].to_numpy()
    addr_col = frames["address"].to_numpy()
    for lib_index, lib in enumerate(libs.iter_rows(named=True)):
        entry_i = by_key.get((lib["debug_name"], parse_breakpad_id(lib["breakpad_id"])))
        if entry_i is None:
            continue
        entry = doc["data"][entry_i]
        table = entry.get("symbol_table") or []
        known = np.asarray(entry.get("known_addresses") or [], dtype=np.int64).reshape(-1, 2)
        if not len(known):
            continue
        known = known[np.argsort(known[:, 0], kind="stable")]
        sel = np.flatnonzero((lib_col == lib_index) & ~np.isnan(addr_col.astype(np.float64)))
        if not len(sel):
            continue
        addrs = addr_col[sel].astype(np.int64)
        pos = np.clip(np.searchsorted(known[:, 0], addrs), 0, len(known) - 1)
        hit = known[pos, 0] == addrs
        for frame_i, sym_i in zip(sel[hit].tolist(), known[pos[hit], 1].tolist()):
            if not 0 <= sym_i < len(table):
                continue
            sym = table[sym_i]
            name_i = sym.get("symbol")
            if not isinstance(name_i, int) or not 0 <= name_i < len(strings):
                continue
            new_name[frame_i] = strings[name_i]
            outer = (sym.get("frames") or [None])[-1]
            if isinstance(outer, dict):
                f = outer.get("file")
                new_file[frame_i] = (
                    strings[f] if isinstance(f, int) and 0 <= f < len(strings) else None
                )
                new_line[frame_i] = (
                    outer.get("line") if isinstance(outer.get("line"), int) else None
                )
    return _regroup(profile, new_name, new_file, new_line)


def funcs_for_names(
    funcs: pl.DataFrame, hits: pl.DataFrame, key: str
) -> tuple[np.ndarray, np.ndarray, pl.DataFrame]:
    """One new func per (library, name) of ``hits`` (columns ``key``, name, file, line,
    library, resource), appended to ``funcs``: the ``key`` values, their new func, and the
    grown func table (the old funcs stay, orphaned where nothing points at them any more)."""
    new_funcs = (
        hits.group_by("library", "name", maintain_order=True)
        .agg(
            pl.col("file").drop_nulls().first(),
            pl.col("line").drop_nulls().first(),
            pl.col("resource").first(),
        )
        .with_row_index("new_func", offset=funcs.height)
    )
    hits = hits.join(
        new_funcs.select("library", "name", "new_func"),
        on=["library", "name"],
        how="left",
        nulls_equal=True,
    )
    extra = new_funcs.select(
        "name",
        "library",
        "file",
        "line",
        pl.lit(None, pl.Int32).alias("column"),
        pl.lit(False).alias("is_js"),
        pl.lit(False).alias("relevant_for_js"),
        "resource",
    ).cast(dict(funcs.schema))
    return hits[key].to_numpy(), hits["new_func"].to_numpy(), pl.concat([funcs, extra])


def _regroup(profile: Profile, names: list, files: list, lines: list) -> Profile:
    """New funcs per (library, symbol name); frames point at them; old funcs stay orphaned."""
    frames = profile.frames
    funcs = profile.funcs
    hits = pl.DataFrame(
        {"frame": np.arange(frames.height), "name": names, "file": files, "line": lines},
        schema={"frame": pl.Int64, "name": pl.String, "file": pl.String, "line": pl.Int32},
    ).filter(pl.col("name").is_not_null())
    if hits.height == 0:
        return profile
    hits = hits.with_columns(
        library=funcs["library"].gather(frames["func"].gather(hits["frame"])),
        resource=funcs["resource"].gather(frames["func"].gather(hits["frame"])),
    )
    rows, new_func, grown = funcs_for_names(funcs, hits, "frame")
    func = frames["func"].to_numpy().copy()
    func[rows] = new_func
    named = copy.copy(profile)  # the tables are immutable; only the two replaced ones differ
    named.funcs = grown
    named.frames = frames.with_columns(func=pl.Series(func, dtype=pl.Int32))
    return named
