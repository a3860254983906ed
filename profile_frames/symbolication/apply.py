"""Give a profile's native frames names, inlined frames and lines.

Each native frame (a frame with a library and an address) is looked up, in its library's binary
on this machine or at a symbol server. A frame whose address resolves to an inline chain
``outer → … → inner`` becomes one frame per level (``inline_depth`` 0 for the outer function,
the innermost deepest), as the Firefox Profiler does after symbolication: every stack through
that frame becomes a chain of stacks, and samples point at the chain's innermost end. Frames of
one function (per library and name) share one func; each level's ``line`` is where that level
is in its function. The old funcs stay, orphaned. Nothing is changed in the profile given.

Example
-------
>>> import profile_frames
>>> p = profile_frames.load(profile_frames.example_path())
>>> q, report = symbolicate(p)  # the libraries this machine has (with matching build ids)
>>> q.thread(1).functions()["self"].sum() == p.thread(1).functions()["self"].sum()
True
>>> report.summary().splitlines()[0].endswith("inlined frames added)")
True
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from ..stack_sums import StackCounts
from ..symbols import funcs_for_names
from .binaries import Found, Frame, Symbols, find_binary

if TYPE_CHECKING:
    from ..model import Profile

# library row -> its frames' addresses -> one inline chain (outermost first) per address
Resolver = Callable[[int, dict, np.ndarray], "list[list[Frame]] | None"]


@dataclass
class SymbolicationReport:
    """Per library: the file used (or the server) or why none was; frames resolved."""

    libraries: list[Found] = field(default_factory=list)
    resolved_frames: int = 0
    inlined_frames: int = 0

    def summary(self) -> str:
        lines = [
            f"{self.resolved_frames:,} frames named ({self.inlined_frames:,} inlined frames added)"
        ]
        for f in self.libraries:
            where = str(f.path) if f.path is not None else "—"
            lines.append(f"  {f.library}: {where} ({f.note})")
        return "\n".join(lines)


def local_resolver(
    search_path: Sequence[str | os.PathLike], report: SymbolicationReport
) -> Resolver:
    """Look addresses up in the binaries found on this machine."""

    def resolve(index: int, lib: dict, addresses: np.ndarray) -> list[list[Frame]] | None:
        found = find_binary(lib, search_path)
        report.libraries.append(found)
        if found.path is None:
            return None
        try:
            symbols = Symbols(found.path)
        except ValueError as e:
            found.note, found.path = str(e), None
            return None
        return symbols.frames(addresses.tolist())

    return resolve


def symbolicate(
    profile: Profile,
    *,
    search_path: Sequence[str | os.PathLike] = (),
    server: str | None = None,
) -> tuple[Profile, SymbolicationReport]:
    """A new profile with names, inlined frames and lines from local binaries (``search_path``
    folders, the recorded paths and /usr/lib/debug), or from a symbol server (``server``, the
    Firefox Profiler's ``/symbolicate/v5`` API). Returns it and a report."""
    report = SymbolicationReport()
    if server is not None:
        from .server import server_resolver

        resolver = server_resolver(server, report)
    else:
        resolver = local_resolver(search_path, report)
    frames = profile.frames
    lib_col = frames["lib"].fill_null(-1).to_numpy()
    addr = frames["address"].fill_null(-1).to_numpy()
    chains: dict[int, list[Frame]] = {}
    libs = profile.meta.libs
    for index, lib in enumerate(libs.iter_rows(named=True)):
        sel = np.flatnonzero((lib_col == index) & (addr >= 0))
        if not len(sel):
            continue
        unique, inverse = np.unique(addr[sel], return_inverse=True)
        answers = resolver(index, lib, unique)
        if answers is None:
            continue
        for frame_i, k in zip(sel.tolist(), inverse.reshape(-1).tolist()):
            chain = answers[k]
            if chain:
                chains[frame_i] = chain
    report.resolved_frames = len(chains)
    report.inlined_frames = sum(len(c) - 1 for c in chains.values())
    if not chains:
        return profile, report
    return expand(profile, chains), report


def expand(profile: Profile, chains: dict[int, list[Frame]]) -> Profile:
    """The profile with frame ``i`` replaced by the chain ``chains[i]`` (outermost first)."""
    from ..model import Profile, remap_stacks

    frames, funcs, stacks = profile.frames, profile.funcs, profile.stacks
    n_frames = frames.height
    length = np.ones(n_frames, dtype=np.int64)
    for i, chain in chains.items():
        length[i] = len(chain)
    start = np.cumsum(length) - length  # each old frame's first new row
    # the new frame rows: every old frame repeated len times, its level 0..len-1
    origin = np.repeat(np.arange(n_frames), length)
    level = np.arange(len(origin)) - np.repeat(start, length)
    names: list[str | None] = [None] * len(origin)
    files: list[str | None] = [None] * len(origin)
    lines: list[int | None] = [None] * len(origin)
    for i, chain in chains.items():
        for d, (name, file, line) in enumerate(chain):
            names[start[i] + d] = name
            files[start[i] + d] = file
            lines[start[i] + d] = line
    new_frames = frames[origin.tolist()].with_columns(
        inline_depth=pl.Series(level, dtype=pl.Int32),
        line=pl.when(pl.Series(names).is_not_null())
        .then(pl.Series(lines, dtype=pl.Int32))
        .otherwise(pl.col("line")),
    )
    # one func per (library, name) of the resolved rows
    library = funcs["library"].gather(frames["func"].gather(origin.tolist()))
    resource = funcs["resource"].gather(frames["func"].gather(origin.tolist()))
    hits = pl.DataFrame(
        {
            "row": np.arange(len(origin)),
            "name": names,
            "file": files,
            "line": lines,
            "library": library,
            "resource": resource,
        },
        schema={
            "row": pl.Int64,
            "name": pl.String,
            "file": pl.String,
            "line": pl.Int32,
            "library": pl.String,
            "resource": pl.Int32,
        },
    ).filter(pl.col("name").is_not_null())
    rows, new_func, grown = funcs_for_names(funcs, hits, "row")
    func = new_frames["func"].to_numpy().copy()
    func[rows] = new_func
    # stacks: each old stack becomes a chain as long as its frame's
    frame_of = stacks["frame"].to_numpy().astype(np.int64)
    s_len = length[frame_of]
    s_start = np.cumsum(s_len) - s_len
    s_end = s_start + s_len - 1  # where samples and children now point
    parent_old = stacks["parent"].fill_null(-1).to_numpy().astype(np.int64)
    origin_s = np.repeat(np.arange(stacks.height), s_len)
    offset = np.arange(len(origin_s)) - np.repeat(s_start, s_len)
    first_parent = np.where(parent_old >= 0, s_end[np.maximum(parent_old, 0)], -1)
    new_parent = np.where(offset == 0, first_parent[origin_s], np.arange(len(origin_s)) - 1)
    new_stacks = (
        stacks[origin_s.tolist()]
        .with_columns(
            parent=pl.Series(new_parent, dtype=pl.Int32),
            frame=pl.Series(start[frame_of][origin_s] + offset, dtype=pl.Int32),
        )
        .with_columns(parent=pl.when(pl.col("parent") >= 0).then(pl.col("parent")))
    )
    out = Profile(
        meta=profile.meta,
        threads=profile.threads,
        samples=[remap_stacks(s, s_end) for s in profile._samples],
        markers=profile._markers,
        stacks=new_stacks,
        frames=new_frames.with_columns(func=pl.Series(func, dtype=pl.Int32)),
        funcs=grown,
        native_symbols=profile.native_symbols,
        source=profile.source,
        stack_counts=[
            StackCounts(s_end[c.stack], c.weight) if c is not None else None
            for c in map(profile.stack_counts, range(profile.threads.height))
        ],
    )
    return out
