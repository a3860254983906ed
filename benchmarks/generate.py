"""Generate realistic samply-style profiles of a requested size, deterministically, streaming.

Layouts:
  * ``v55``: what samply 0.13 (Debian) writes: per-thread tables and ``stringArray``,
    ``samples.timeDeltas``, ``stackTable.prefix``;
  * ``v70``: the current shared layout: ``profile.shared`` tables, ``stackTable.prefixOffset``,
    ``frameTable.lib``.

Shape: one thread with most samples plus small ones; prefix trees 20–60 deep with millions of
stacks at the big sizes; Zipf-distributed hot frames with Rust/C++-style names (and ``0x…``
unsymbolicated ones); recursion; null stacks; weights above 1 (merged idle samples);
``threadCPUDelta``; markers with payloads. Numbers are written in bulk (polars CSV writer), and
the document is written incrementally, never held in memory.

Usage: ``python -m benchmarks.generate --size 200MB --layout v70 -o big.json.gz``; with
``--series N -o DIR``, N small labelled benchmark runs with a known change (``series.py``).

Example
-------
>>> import io
>>> buf = io.BytesIO()
>>> shape = write_profile(buf, target_bytes=200_000, layout="v70", seed=1)
>>> import profile_frames
>>> profile_frames.load(buf.getvalue()).threads.height
4
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import polars as pl

BYTES_PER_SAMPLE = 21.0  # stack + timeDelta + weight + threadCPUDelta, with separators
CHUNK = 2_000_000

NAMESPACES = [
    "angelscript::parser",
    "angelscript::lexer",
    "angelscript::ast",
    "angelscript::semantic",
    "angelscript::codegen",
    "core::ptr",
    "alloc::vec",
    "alloc::raw_vec",
    "core::iter::adapters",
    "hashbrown::raw",
    "std::io",
    "criterion::routine",
]
TYPES = [
    "Lexer",
    "Cursor",
    "Parser",
    "TokenStream",
    "Interner",
    "Builder",
    "Scope",
    "Arena",
    "Visitor",
    "Emitter",
]
METHODS = [
    "scan_token",
    "eat_while",
    "advance",
    "scan_operator",
    "fill_buffer",
    "parse_expr",
    "parse_stmt",
    "peek",
    "bump",
    "intern",
    "visit",
    "emit",
    "push",
    "grow",
    "lookup",
    "insert",
    "next",
    "fold",
]
SYSTEM = [
    "_platform_memmove",
    "malloc",
    "free",
    "realloc",
    "__psynch_cvwait",
    "_platform_memset",
    "pthread_mutex_lock",
    "__memcpy_avx_unaligned_erms",
    "_int_malloc",
    "core::ptr::drop_in_place<alloc::vec::Vec<u8>>",
]
LIBS = [
    "bench-app",
    "libsystem_malloc.dylib",
    "libsystem_platform.dylib",
    "libsystem_kernel.dylib",
    "libc.so.6",
]


@dataclass
class Shape:
    """The sizes derived from the target size."""

    samples: int
    stacks: int
    funcs: int
    frames: int
    small_threads: int = 3


def shape_for(target_bytes: int) -> Shape:
    samples = max(int(target_bytes / BYTES_PER_SAMPLE), 1000)
    stacks = int(min(max(samples // 32, 2000), 2_000_000))
    funcs = int(min(max(stacks // 200, 300), 20_000))
    return Shape(samples=samples, stacks=stacks, funcs=funcs, frames=funcs * 2)


def func_names(n: int, rng: np.random.Generator) -> list[str]:
    names: list[str] = list(SYSTEM)
    seen = set(names)
    while len(names) < n:
        r = rng.random()
        if r < 0.1:
            name = f"0x{int(rng.integers(0x1000, 0x3FFFFF)):x}"
        elif r < 0.2:
            t = TYPES[rng.integers(len(TYPES))]
            name = f"<{NAMESPACES[rng.integers(5)]}::{t} as core::iter::Iterator>::{METHODS[rng.integers(len(METHODS))]}"
        else:
            name = f"{NAMESPACES[rng.integers(len(NAMESPACES))]}::{TYPES[rng.integers(len(TYPES))]}::{METHODS[rng.integers(len(METHODS))]}"
            if rng.random() < 0.15:
                name += f"<{TYPES[rng.integers(len(TYPES))]}>"
        if name in seen:
            name = f"{name}::{{closure#{len(names)}}}"
        seen.add(name)
        names.append(name)
    return names[:n]


def zipf_choice(rng: np.random.Generator, n: int, size: int, a: float = 1.2) -> np.ndarray:
    """Indexes in [0, n) with a Zipf-like skew (index 0 hottest)."""
    ranks = np.arange(1, n + 1, dtype=np.float64)
    p = ranks**-a
    p /= p.sum()
    return rng.choice(n, size=size, p=p)


def stack_tree(shape: Shape, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(parent, frame) arrays, parents first; depths 20–60; hot paths; some recursion."""
    trunk = 12
    max_depth = 60
    n = shape.stacks
    rest = n - trunk
    # level sizes grow geometrically after the trunk, then plateau
    levels = np.linspace(1.0, 3.0, max_depth - trunk)
    sizes = np.maximum((levels / levels.sum() * rest).astype(np.int64), 1)
    sizes[-1] += rest - sizes.sum()
    parent = np.empty(n, dtype=np.int64)
    frame = np.empty(n, dtype=np.int64)
    parent[:trunk] = np.arange(-1, trunk - 1)
    frame[:trunk] = rng.integers(0, shape.frames, trunk)
    start, prev_start, prev_size = trunk, trunk - 1, 1
    for size in sizes:
        size = int(size)
        if size <= 0:
            continue
        pick = zipf_choice(rng, prev_size, size, a=0.8)
        parent[start : start + size] = prev_start + pick
        fr = zipf_choice(rng, shape.frames, size, a=1.05)
        recurse = rng.random(size) < 0.05  # direct recursion: repeat the parent's frame
        fr[recurse] = frame[parent[start : start + size][recurse]]
        frame[start : start + size] = fr
        prev_start, prev_size = start, size
        start += size
    return parent, frame


def _numbers(values: np.ndarray, *, floats: bool = False, nulls: np.ndarray | None = None) -> bytes:
    """Comma-separated JSON numbers (``null`` where ``nulls``), written in bulk by polars."""
    s = pl.Series("v", values)
    if nulls is not None:
        s = pl.select(pl.when(pl.Series(nulls)).then(None).otherwise(s)).to_series().alias("v")
    buf = io.BytesIO()
    pl.DataFrame({"v": s}).write_csv(
        buf, include_header=False, null_value="null", float_precision=3 if floats else None
    )
    return buf.getvalue().rstrip(b"\n").replace(b"\n", b",")


class _Writer:
    def __init__(self, f: BinaryIO):
        self.f = f

    def raw(self, b: bytes | str) -> None:
        self.f.write(b.encode() if isinstance(b, str) else b)

    def key(self, k: str, first: bool = False) -> None:
        self.raw(("" if first else ",") + json.dumps(k) + ":")

    def array(self, parts) -> None:
        self.raw("[")
        first = True
        for p in parts:
            if not p:
                continue
            if not first:
                self.raw(",")
            self.raw(p)
            first = False
        self.raw("]")


def thread_header(
    name: str, *, main: bool, pid: str, tid: str, process: str = "parser_benchmarks"
) -> dict:
    """A processed thread's header fields, as samply writes them."""
    return {
        "name": name,
        "isMainThread": main,
        "pid": pid,
        "tid": tid,
        "processName": process,
        "processType": "default",
        "processStartupTime": 0.0,
        "processShutdownTime": None,
        "registerTime": 0.0,
        "unregisterTime": None,
        "pausedRanges": [],
    }


def _sample_chunks(n: int, rng: np.random.Generator, hot: np.ndarray):
    """Yield (stack, null mask, timeDeltas, weight, cpu) chunks for n samples."""
    done = 0
    while done < n:
        m = min(CHUNK, n - done)
        stack = hot[zipf_choice(rng, len(hot), m, a=1.1)] if len(hot) else np.zeros(m, np.int64)
        nulls = rng.random(m) < 0.005
        weight = np.where(rng.random(m) < 0.01, rng.integers(2, 50, m), 1)
        deltas = np.round(weight * 1.0 + rng.normal(0, 0.01, m), 3)
        cpu = np.where(weight > 1, 0, rng.integers(900, 1100, m))
        yield stack, nulls, deltas, weight, cpu
        done += m


def write_profile(f: BinaryIO, *, target_bytes: int, layout: str = "v70", seed: int = 0) -> Shape:
    """Write a profile of about ``target_bytes`` (uncompressed) to ``f``."""
    if layout not in ("v55", "v70"):
        raise ValueError("layout must be v55 or v70")
    rng = np.random.default_rng(seed)
    shape = shape_for(target_bytes)
    names = func_names(shape.funcs, rng)
    func_lib = np.array(
        [
            1
            if n in ("malloc", "free", "realloc", "_int_malloc")
            else 2
            if n.startswith("_platform") or n.startswith("__memcpy")
            else 3
            if n.startswith("__psynch") or n.startswith("pthread")
            else 0
            for n in names
        ]
    )
    frame_func = np.concatenate(
        [np.arange(shape.funcs), rng.integers(0, shape.funcs, shape.frames - shape.funcs)]
    )
    parent, frame = stack_tree(shape, rng)
    # samples land mostly on deep stacks
    hot = np.flatnonzero(np.arange(shape.stacks) > shape.stacks // 3)
    rng.shuffle(hot)
    strings = [*names, *LIBS, "Other", "User", "Kernel", "Text", "bench"]
    w = _Writer(f)
    lib_str = len(names)
    meta = {
        "categories": [
            {"name": "Other", "color": "grey", "subcategories": ["Other"]},
            {"name": "User", "color": "yellow", "subcategories": ["Other"]},
            {"name": "Kernel", "color": "orange", "subcategories": ["Other"]},
        ],
        "debug": False,
        "interval": 1.0,
        "preprocessedProfileVersion": 55 if layout == "v55" else 70,
        "processType": 0,
        "product": "parser_benchmarks",
        "sampleUnits": {"eventDelay": "ms", "threadCPUDelta": "µs", "time": "ms"},
        "startTime": 1764000000000.0,
        "symbolicated": True,
        "version": 24,
        "extensions": {"length": 0, "baseURL": [], "id": [], "name": []},
        "markerSchema": [],
        "pausedRanges": [],
    }
    libs = [
        {
            "name": lib,
            "path": "/usr/lib/" + lib,
            "debugName": lib,
            "debugPath": "/usr/lib/" + lib,
            "breakpadId": f"{i:032X}0",
            "codeId": None,
            "arch": "x86_64",
        }
        for i, lib in enumerate(LIBS)
    ]
    w.raw("{")
    w.key("meta", first=True)
    w.raw(json.dumps(meta))
    w.key("libs")
    w.raw(json.dumps(libs))

    def tables(prefix_offset: bool, with_lib: bool, string_base: int = 0) -> None:
        n = shape.stacks
        w.raw(f'"stackTable":{{"length":{n},')
        if prefix_offset:
            off = np.where(parent >= 0, np.arange(n) - parent, 0)
            w.raw('"prefixOffset":')
            w.array([_numbers(off)])
        else:
            w.raw('"prefix":')
            w.array([_numbers(np.maximum(parent, 0), nulls=parent < 0)])
        w.raw(',"frame":')
        w.array([_numbers(frame)])
        nf = shape.frames
        cat = np.where(func_lib[frame_func] == 0, 1, 0)
        w.raw(f'}},"frameTable":{{"length":{nf},"func":')
        w.array([_numbers(frame_func)])
        w.raw(',"category":')
        w.array([_numbers(cat)])
        w.raw(',"subcategory":')
        w.array([_numbers(np.zeros(nf, np.int64))])
        w.raw(',"address":')
        w.array([_numbers(rng.integers(0x1000, 0x3FFFFF, nf))])
        w.raw(',"inlineDepth":')
        w.array([_numbers(np.zeros(nf, np.int64))])
        w.raw(',"nativeSymbol":')
        w.array([_numbers(np.zeros(nf, np.int64), nulls=np.ones(nf, bool))])
        w.raw(',"line":')
        w.array([_numbers(np.zeros(nf, np.int64), nulls=np.ones(nf, bool))])
        w.raw(',"column":')
        w.array([_numbers(np.zeros(nf, np.int64), nulls=np.ones(nf, bool))])
        w.raw(',"innerWindowID":')
        w.array([_numbers(np.zeros(nf, np.int64))])
        if with_lib:  # v70; the v64+ originalLocation column goes with it
            w.raw(',"originalLocation":')
            w.array([_numbers(np.zeros(nf, np.int64), nulls=np.ones(nf, bool))])
        if with_lib:
            w.raw(',"lib":')
            w.array([_numbers(func_lib[frame_func])])
        nfn = shape.funcs
        w.raw(f'}},"funcTable":{{"length":{nfn},"name":')
        w.array([_numbers(np.arange(nfn) + string_base)])
        w.raw(
            ',"isJS":' + json.dumps([False] * nfn) + ',"relevantForJS":' + json.dumps([False] * nfn)
        )
        w.raw(',"resource":')
        w.array([_numbers(func_lib)])
        nulls = _numbers(np.zeros(nfn, np.int64), nulls=np.ones(nfn, bool))
        if with_lib:  # v70: source index and originalLocation (v58, v64)
            w.raw(',"source":[' + nulls.decode() + '],"originalLocation":[' + nulls.decode() + "]")
        else:  # v55: fileName
            w.raw(',"fileName":[' + nulls.decode() + "]")
        w.raw(',"lineNumber":')
        w.array([_numbers(np.zeros(nfn, np.int64), nulls=np.ones(nfn, bool))])
        w.raw(',"columnNumber":')
        w.array([_numbers(np.zeros(nfn, np.int64), nulls=np.ones(nfn, bool))])
        res_names = [string_base + lib_str + i for i in range(len(LIBS))]
        w.raw(
            f'}},"resourceTable":{{"length":{len(LIBS)},"lib":{json.dumps(list(range(len(LIBS))))},'
            f'"name":{json.dumps(res_names)},"host":{json.dumps([None] * len(LIBS))},"type":{json.dumps([1] * len(LIBS))}}}'
        )
        w.raw(
            ',"nativeSymbols":{"length":0,"libIndex":[],"address":[],"name":[],"functionSize":[]}'
        )

    if layout == "v70":
        w.key("shared")
        w.raw("{")
        tables(prefix_offset=True, with_lib=True)
        w.raw(
            ',"sources":{"length":0,"id":[],"filename":[],"startLine":[],"startColumn":[],"sourceMapURL":[],"content":[]}'
        )
        w.raw(',"sourceLocationTable":{"length":0,"source":[],"line":[],"column":[]}')
        w.raw(',"stringArray":' + json.dumps(strings) + "}")
    w.key("threads")
    w.raw("[")
    main_samples = int(shape.samples * 0.97)
    small = (shape.samples - main_samples) // shape.small_threads
    thread_samples = [main_samples] + [small] * shape.small_threads
    for i, n in enumerate(thread_samples):
        if i:
            w.raw(",")
        name = "module_benchmarks" if i == 0 else f"tokio-runtime-worker-{i}"
        header = thread_header(name, main=i == 0, pid="4242", tid=str(4242 + i))
        w.raw(json.dumps(header)[:-1])
        if layout == "v55":
            w.raw(",")
            tables(prefix_offset=False, with_lib=False)
            w.raw(',"stringArray":' + json.dumps(strings))
        n_mark = max(n // 5000, 2)
        marker_names = np.full(n_mark, len(strings) - 2)
        markers = {
            "length": n_mark,
            "category": [0] * n_mark,
            "data": [{"type": "Text", "name": f"iteration {k}"} for k in range(n_mark)],
            "endTime": [float(k * 10 + 5) for k in range(n_mark)],
            "name": marker_names.tolist(),
            "phase": [1] * n_mark,
            "startTime": [float(k * 10) for k in range(n_mark)],
        }
        w.raw(',"markers":' + json.dumps(markers))
        w.raw(f',"samples":{{"length":{n},"weightType":"samples",')
        # each column regenerates the same deterministic chunks, so sample i lines up across columns
        for k, col in enumerate(("stack", "timeDeltas", "weight", "threadCPUDelta")):
            w.raw(f'"{col}":[' if k == 0 else f',"{col}":[')
            for j, (stack, nulls, deltas, weight, cpu) in enumerate(
                _sample_chunks(n, np.random.default_rng(seed * 1000 + i), hot)
            ):
                if col == "stack":
                    part = _numbers(stack, nulls=nulls)
                elif col == "timeDeltas":
                    part = _numbers(deltas, floats=True)
                elif col == "weight":
                    part = _numbers(weight)
                else:
                    part = _numbers(cpu)
                w.raw((b"," if j else b"") + part)
            w.raw("]")
        w.raw("}}")
    w.raw("]")
    w.raw(',"pages":[],"profilerOverhead":[],"counters":[]}')
    return shape


def parse_size(text: str) -> int:
    t = text.strip().upper()
    for suffix, mult in (("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if t.endswith(suffix):
            return int(float(t[: -len(suffix)]) * mult)
    return int(t)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--size", default="20MB", help="target uncompressed size, e.g. 20MB, 200MB, 2GB"
    )
    ap.add_argument("--layout", choices=("v55", "v70"), default="v70")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "-o",
        "--output",
        required=True,
        help="file to write (.json or .json.gz); with --series a folder",
    )
    ap.add_argument(
        "--series",
        type=int,
        metavar="N",
        help="write N small benchmark-run profiles with labels and one injected change "
        "(benchmarks/series.py); --size is then the size of each run (default 2MB)",
    )
    ap.add_argument(
        "--series-grow-from", type=int, help="first run whose growing function is bigger"
    )
    ap.add_argument("--series-grow-pp", type=float, default=3.0, help="growth in points")
    args = ap.parse_args(argv)
    if args.series is not None:
        from .series import samples_for, write_series

        size = parse_size(args.size) if "--size" in (argv or sys.argv) else 2_000_000
        truth = write_series(
            args.output,
            args.series,
            samples=samples_for(size),
            grow_from=args.series_grow_from,
            grow_pp=args.series_grow_pp,
            seed=args.seed,
        )
        print(json.dumps({k: v for k, v in truth.items() if k != "runs"}))
        return 0
    tmp = args.output + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    if args.output.endswith(".gz"):
        try:
            from isal import igzip as gz
        except ImportError:  # pragma: no cover
            import gzip as gz
        with gz.open(tmp, "wb", compresslevel=1) as f:
            shape = write_profile(
                f, target_bytes=parse_size(args.size), layout=args.layout, seed=args.seed
            )
    else:
        with open(tmp, "wb", buffering=16 << 20) as f:
            shape = write_profile(
                f, target_bytes=parse_size(args.size), layout=args.layout, seed=args.seed
            )
    os.replace(tmp, args.output)
    print(
        json.dumps(
            {"output": args.output, "bytes": os.path.getsize(args.output), **shape.__dict__}
        ),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
