"""Profiles shaped like what users record, for the benchmarks and the oracle checks.

The ``v55``/``v70`` layouts of :mod:`benchmarks.generate` put 97 % of the samples in one thread.
Real recordings are whole process trees, so these layouts look like them:

* ``samply-import``: ``samply import`` of a ``perf record`` of a process tree: hundreds of threads
  in 100+ processes with Zipf-distributed sample counts (a few threads with a million samples,
  hundreds with 10–1,000), v55 per-thread tables and ``stringArray`` (what samply 0.13 writes),
  unsymbolicated ``0x…`` functions (300k+ distinct in the biggest thread at 300 MB) and a Kernel
  category for ``[kernel.kallsyms]`` frames.
* ``gecko-multiprocess``: what Firefox's own profiler writes (Gecko format v34): a parent
  process with child processes nested in ``processes[]`` (each with its own ``meta.startTime``),
  200 threads, rows of ``{schema, data}`` tables, native frames as absolute ``0x…`` addresses
  inside ``libs`` ranges, JS frames with ``file://`` and ``jar:`` URLs, label frames, and 400k
  markers with JSON payloads at 200 MB.
* ``marker-heavy``: a processed v70 profile whose threads carry 1M markers with payloads
  (columnar marker tables) beside ordinary samples.

Every layout is deterministic for a seed and written incrementally (numbers in bulk through
:func:`benchmarks.generate._numbers`), never held in memory whole.

Usage: ``python -m benchmarks.shapes --layout samply-import --size 300MB -o big.json``

Example
-------
>>> import io, profile_frames
>>> buf = io.BytesIO()
>>> plan = write_samply_import(buf, target_bytes=400_000, seed=1)
>>> p = profile_frames.load(buf.getvalue())
>>> p.threads.height == len(plan.samples) and p.threads.height >= 20
True
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np

from .generate import Shape, _numbers, _Writer, stack_tree, thread_header, zipf_choice

LAYOUTS = ("samply-import", "gecko-multiprocess", "marker-heavy")
SAMPLE_BYTES = 30.0  # one sample's stack, timeDelta, weight and threadCPUDelta
STACK_BYTES = 14.0  # prefix + frame
FRAME_BYTES = 40.0  # nine frame columns + the func row + its "0x…" string
PROGRAMS = ["firefox", "python3.11", "cc1plus", "xz", "rustc", "node", "clang", "make"]
THREAD_NAMES = ["Renderer", "Compositor", "DOM Worker", "IPC I/O Child", "StreamTrans", "tokio-rt"]
LIBS = ["libxul.so", "libc.so.6", "python3.11", "cc1plus", "liblzma.so.5", "[kernel.kallsyms]"]


@dataclass
class Plan:
    """How a samply-import file is laid out: processes, and per thread its sample count."""

    samples: list[int]
    process_of: list[int]
    stacks: list[int] = field(default_factory=list)


def plan_samply_import(
    target_bytes: int,
    *,
    threads: int = 530,
    processes: int = 110,
    zipf: float = 1.3,
    seed: int = 0,
) -> Plan:
    """Thread sample counts with a Zipf skew (rank ``r`` gets ``∝ r**-zipf``, at least 10), and
    stack counts per thread (0.6 stacks per sample, as perf call chains rarely repeat)."""
    rng = np.random.default_rng(seed)
    bytes_per_sample = SAMPLE_BYTES + 0.6 * STACK_BYTES + 0.25 * FRAME_BYTES
    total = max(int(target_bytes / bytes_per_sample), threads * 10)
    ranks = np.arange(1, threads + 1, dtype=np.float64)
    share = ranks**-zipf
    counts = np.maximum((share / share.sum() * total).astype(np.int64), 10)
    # a few very small ones, as real recordings have (threads that started and stopped)
    tiny = rng.random(threads) < 0.05
    counts[tiny & (ranks > 20)] = rng.integers(1, 10, threads)[tiny & (ranks > 20)]
    order = rng.permutation(threads)
    samples = [int(counts[order[i]]) for i in range(threads)]
    process_of = sorted(int(x) for x in rng.integers(0, processes, threads))
    process_of[:processes] = list(range(min(processes, threads)))  # every process has a thread
    process_of.sort()
    stacks = [max(int(n * 0.6), 4) for n in samples]
    return Plan(samples, process_of, stacks)


def _tree(shape: Shape, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(parent, frame) of a stack table: the generator's deep tree for big threads, a small
    random tree (each stack under an earlier one) for small ones."""
    if shape.stacks >= 500:
        return stack_tree(shape, rng)
    n = shape.stacks
    parent = np.array([-1] + [int(rng.integers(-1, i)) for i in range(1, n)], dtype=np.int64)
    return parent, rng.integers(0, shape.frames, n)


def _thread_tables(w: _Writer, n_stacks: int, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Write one thread's v55 tables (stack, frame, func, resource, native symbols, strings)
    and return the sampleable (deep) stacks and the number of funcs."""
    n_funcs = max(int(n_stacks * 0.42), 3)
    n_frames = n_funcs
    shape = Shape(samples=0, stacks=n_stacks, funcs=n_funcs, frames=n_frames)
    parent, frame = _tree(shape, rng)
    lib_of_func = np.minimum(zipf_choice(rng, len(LIBS), n_funcs, a=1.0), len(LIBS) - 1)
    addresses = rng.choice(0x4000000, size=n_funcs, replace=False) + 0x1000
    strings = [f"0x{a:x}" for a in addresses.tolist()] + LIBS
    kernel = lib_of_func == len(LIBS) - 1
    w.raw(f',"stackTable":{{"length":{n_stacks},"prefix":')
    w.array([_numbers(np.maximum(parent, 0), nulls=parent < 0)])
    w.raw(',"frame":')
    w.array([_numbers(frame)])
    nulls = np.ones(n_frames, bool)
    zeros = np.zeros(n_frames, np.int64)
    w.raw(f'}},"frameTable":{{"length":{n_frames},"address":')
    w.array([_numbers(addresses)])
    w.raw(',"inlineDepth":')
    w.array([_numbers(zeros)])
    w.raw(',"category":')
    w.array([_numbers(np.where(kernel, 3, 2))])
    w.raw(',"subcategory":')
    w.array([_numbers(zeros)])
    w.raw(',"func":')
    w.array([_numbers(np.arange(n_frames))])
    for col in ("nativeSymbol", "line", "column"):
        w.raw(f',"{col}":')
        w.array([_numbers(zeros, nulls=nulls)])
    w.raw(',"innerWindowID":')
    w.array([_numbers(zeros)])
    w.raw(f'}},"funcTable":{{"length":{n_funcs},"name":')
    w.array([_numbers(np.arange(n_funcs))])
    flags = _numbers(zeros).replace(b"0", b"false")
    w.raw(',"isJS":[' + flags.decode() + '],"relevantForJS":[' + flags.decode() + "]")
    w.raw(',"resource":')
    w.array([_numbers(lib_of_func)])
    for col in ("fileName", "lineNumber", "columnNumber"):
        w.raw(f',"{col}":')
        w.array([_numbers(zeros, nulls=nulls)])
    n_libs = len(LIBS)
    w.raw(
        f'}},"resourceTable":{{"length":{n_libs},"lib":{json.dumps(list(range(n_libs)))},'
        f'"name":{json.dumps([n_funcs + i for i in range(n_libs)])},'
        f'"host":{json.dumps([None] * n_libs)},"type":{json.dumps([1] * n_libs)}}}'
    )
    w.raw(',"nativeSymbols":{"length":0,"address":[],"functionSize":[],"libIndex":[],"name":[]}')
    w.raw(',"stringArray":' + json.dumps(strings))
    deep = np.flatnonzero(np.arange(n_stacks) >= n_stacks // 3)
    return deep, n_funcs


def write_samply_import(
    f: BinaryIO,
    *,
    target_bytes: int,
    seed: int = 0,
    threads: int = 530,
    processes: int = 110,
    zipf: float = 1.3,
) -> Plan:
    """Write a ``samply import``-shaped v55 profile of about ``target_bytes`` to ``f``."""
    threads = max(min(threads, max(target_bytes // 2000, 20)), 1)
    processes = max(min(processes, threads // 2), 1)
    plan = plan_samply_import(
        target_bytes, threads=threads, processes=processes, zipf=zipf, seed=seed
    )
    rng = np.random.default_rng(seed)
    meta = {
        "categories": [
            {"name": "Other", "color": "grey", "subcategories": ["Other"]},
            {"name": "JIT app cache", "color": "green", "subcategories": ["Other"]},
            {"name": "User", "color": "yellow", "subcategories": ["Other"]},
            {"name": "Kernel", "color": "orange", "subcategories": ["Other"]},
        ],
        "debug": False,
        "extensions": {"baseURL": [], "id": [], "length": 0, "name": []},
        "interval": 1.001001,
        "preprocessedProfileVersion": 55,
        "processType": 0,
        "product": "make -j2 on localhost (perf version 6.12.95)",
        "sampleUnits": {"eventDelay": "ms", "threadCPUDelta": "µs", "time": "ms"},
        "startTime": 1795686312479.9487,
        "symbolicated": False,
        "pausedRanges": [],
        "version": 24,
        "usesOnlyOneStackType": True,
        "markerSchema": [],
    }
    libs = [
        {
            "name": lib,
            "path": f"/usr/lib/{lib}",
            "debugName": lib,
            "debugPath": f"/usr/lib/{lib}",
            "breakpadId": f"{i + 1:032X}0",
            "codeId": None,
            "arch": None,
        }
        for i, lib in enumerate(LIBS)
    ]
    w = _Writer(f)
    w.raw('{"meta":' + json.dumps(meta) + ',"libs":' + json.dumps(libs) + ',"threads":[')
    seen_process: set[int] = set()
    for i, n in enumerate(plan.samples):
        proc = plan.process_of[i]
        program = PROGRAMS[proc % len(PROGRAMS)]
        main = proc not in seen_process
        seen_process.add(proc)
        pid = 10000 + proc
        name = program if main else THREAD_NAMES[i % len(THREAD_NAMES)]
        header = thread_header(
            name, main=main, pid=str(pid), tid=str(pid if main else 20000 + i), process=program
        )
        header["showMarkersInTimeline"] = False
        w.raw(("," if i else "") + json.dumps(header)[:-1])
        deep, _ = _thread_tables(w, plan.stacks[i], rng)
        w.raw(
            ',"markers":{"length":1,"category":[0],"data":[{"type":"mmap","name":0}],'
            '"endTime":[0.0],"name":[0],"phase":[0],"startTime":[1.5]}'
        )
        stack = deep[zipf_choice(rng, len(deep), n, a=0.9)] if len(deep) else np.zeros(n, np.int64)
        deltas = np.round(np.abs(rng.normal(1.0, 0.3, n)), 6)
        w.raw(f',"samples":{{"length":{n},"weightType":"samples","stack":')
        w.array([_numbers(stack)])
        w.raw(',"timeDeltas":')
        w.array([_numbers(deltas, floats=True)])
        w.raw(',"weight":')
        w.array([_numbers(np.ones(n, np.int64))])
        w.raw(',"threadCPUDelta":')
        w.array([_numbers(rng.integers(900, 1100, n))])
        w.raw("}}")
    w.raw('],"pages":[],"profilerOverhead":[],"counters":[]}')
    return plan


def main(argv: list[str] | None = None) -> int:
    from .generate import parse_size

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--layout", choices=LAYOUTS, default="samply-import")
    ap.add_argument("--size", default="20MB", help="target uncompressed size, e.g. 20MB, 300MB")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, help="threads (samply-import 530, gecko 200)")
    ap.add_argument("--processes", type=int, help="processes (samply-import 110, gecko 6)")
    ap.add_argument("--markers", type=int, help="markers at 200 MB (gecko 400k, marker-heavy 1M)")
    ap.add_argument("--zipf", type=float, default=1.3, help="skew of the thread sample counts")
    ap.add_argument("-o", "--output", required=True, help="file to write (.json)")
    args = ap.parse_args(argv)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    tmp = args.output + ".tmp"
    size = parse_size(args.size)
    given = {k: v for k, v in vars(args).items() if k in ("threads", "processes", "markers") and v}
    with open(tmp, "wb", buffering=16 << 20) as f:
        if args.layout == "samply-import":
            given.pop("markers", None)
            plan = write_samply_import(
                f, target_bytes=size, seed=args.seed, zipf=args.zipf, **given
            )
            summary = {
                "threads": len(plan.samples),
                "samples": sum(plan.samples),
                "stacks": sum(plan.stacks),
                "biggest_thread": max(plan.samples),
            }
        elif args.layout == "gecko-multiprocess":
            plan = write_gecko_multiprocess(f, target_bytes=size, seed=args.seed, **given)
            summary = {"threads": len(plan.samples), "samples": sum(plan.samples)}
        else:
            summary = {
                "markers": write_marker_heavy(
                    f,
                    target_bytes=size,
                    seed=args.seed,
                    **({"markers": args.markers} if args.markers else {}),
                )
            }
    os.replace(tmp, args.output)
    print(
        json.dumps({"output": args.output, "bytes": os.path.getsize(args.output), **summary}),
        file=sys.stderr,
    )
    return 0


# -- gecko-multiprocess ------------------------------------------------------------------------
GECKO_CATEGORIES = [
    {"name": "Idle", "color": "transparent", "subcategories": ["Other"]},
    {"name": "Other", "color": "grey", "subcategories": ["Other"]},
    {"name": "Layout", "color": "purple", "subcategories": ["Other", "Frame construction"]},
    {"name": "JavaScript", "color": "yellow", "subcategories": ["Other", "Parser"]},
    {"name": "GC / CC", "color": "orange", "subcategories": ["Other"]},
    {"name": "Network", "color": "lightblue", "subcategories": ["Other"]},
    {"name": "Graphics", "color": "green", "subcategories": ["Other"]},
    {"name": "DOM", "color": "blue", "subcategories": ["Other"]},
]
GECKO_LIBS = [
    ("libxul.so", 0x7F0000000000, 0x7F0008000000),
    ("libc.so.6", 0x7F1000000000, 0x7F1000200000),
]
JS_URLS = [
    "file:///home/dev/bench/app.js",
    "file:///home/dev/bench/worker.js",
    "jar:file:///usr/lib/firefox-esr/omni.ja!/modules/Schemas.sys.mjs",
    "resource://gre/modules/ActorManagerParent.sys.mjs",
    "self-hosted",
]
LABELS = ["PresShell::DoReflow", "nsRefreshDriver::Tick", "Paint::PresentFrame", "GCMajor"]
MARKER_NAMES = ["DOMEvent", "Styles", "Reflow", "GCSlice", "CSS animation", "Load 42: app.js"]


def _rows(columns: list[np.ndarray], *, floats: set[int] = frozenset(), nulls=None) -> bytes:
    """Rows ``[a,b,c],[a,b,c]…`` of a Gecko ``data`` array, written in bulk."""
    import polars as pl

    frame = {}
    for i, c in enumerate(columns):
        col = pl.Series(f"c{i}", c)
        if nulls is not None and nulls.get(i) is not None:
            col = pl.select(pl.when(pl.Series(nulls[i])).then(None).otherwise(col)).to_series()
        frame[f"c{i}"] = col
    buf = __import__("io").BytesIO()
    pl.DataFrame(frame).write_csv(buf, include_header=False, null_value="null", float_precision=3)
    body = buf.getvalue().rstrip(b"\n")
    return b"[" + body.replace(b"\n", b"],[") + b"]" if body else b""


def _gecko_thread(
    w: _Writer,
    name: str,
    process: str,
    pid: int,
    tid: int,
    n: int,
    markers: int,
    rng: np.random.Generator,
) -> None:
    n_stacks = max(int(n * 0.3), 8)
    n_funcs = max(int(n_stacks * 0.3), 6)
    shape = Shape(samples=0, stacks=n_stacks, funcs=n_funcs, frames=n_funcs)
    parent, frame = _tree(shape, rng)
    kind = rng.choice(3, size=n_funcs, p=[0.6, 0.3, 0.1])  # native, JS, label
    strings: list[str] = []
    lib = rng.integers(0, len(GECKO_LIBS), n_funcs)
    for f in range(n_funcs):
        if kind[f] == 0:
            _, lo, hi = GECKO_LIBS[lib[f]]
            strings.append(f"0x{int(lo + rng.integers(0x1000, hi - lo)):x}")
        elif kind[f] == 1:
            url = JS_URLS[f % len(JS_URLS)]
            strings.append(f"fn{f} ({url}:{1 + f % 900}:{1 + f % 40})")
        else:
            strings.append(LABELS[f % len(LABELS)])
    marker_base = len(strings)
    strings += MARKER_NAMES
    category = np.where(kind == 1, 3, np.where(kind == 2, 2, 1))
    js = kind == 1
    header = {
        "processType": "default" if pid == 1000 else "tab",
        "name": name,
        "processName": process,
        "registerTime": 0.0,
        "unregisterTime": None,
        "pid": pid,
        "tid": tid,
    }
    w.raw(json.dumps(header)[:-1])
    w.raw(',"samples":{"schema":{"stack":0,"time":1,"eventDelay":2,"threadCPUDelta":3},"data":[')
    deep = np.flatnonzero(np.arange(n_stacks) >= n_stacks // 3)
    stack = deep[zipf_choice(rng, len(deep), n, a=0.9)]
    time = np.cumsum(np.abs(rng.normal(1.0, 0.2, n))) + 50.0
    w.raw(
        _rows(
            [stack, time, rng.random(n) * 0.2, rng.integers(900_000, 1_100_000, n)],
            nulls={0: rng.random(n) < 0.01},
        )
    )
    w.raw(
        ']},"markers":{"schema":{"name":0,"startTime":1,"endTime":2,"phase":3,"category":4,"data":5},"data":['
    )
    start = np.sort(rng.random(markers) * float(time[-1] if n else 1000.0))
    rows = []
    for k in range(markers):
        m = k % len(MARKER_NAMES)
        s0 = round(float(start[k]), 3)
        payload = (
            {"type": "DOMEvent", "eventType": "click", "latency": round(s0 % 3, 3)}
            if m == 0
            else {"type": "Text", "name": f"item {k}"}
            if m % 2
            else {"type": "GCSlice", "timings": {"slice": k, "reason": "ALLOC_TRIGGER"}}
        )
        phase = 0 if m == 4 else 1
        end = "null" if phase == 0 else f"{s0 + 0.25 + (k % 7):.3f}"
        rows.append(
            f"[{marker_base + m},{s0},{end},{phase},{int(category[0])},{json.dumps(payload)}]"
        )
    w.raw(",".join(rows))
    w.raw(']},"stackTable":{"schema":{"prefix":0,"frame":1},"data":[')
    w.raw(_rows([np.maximum(parent, 0), frame], nulls={0: parent < 0}))
    w.raw(
        ']},"frameTable":{"schema":{"location":0,"relevantForJS":1,"innerWindowID":2,'
        '"implementation":3,"line":4,"column":5,"category":6,"subcategory":7},"data":['
    )
    cells = []
    for f in range(n_funcs):
        if kind[f] == 0 and f % 3:  # trailing null columns omitted, as Firefox does
            cells.append(f"[{f},false,0]")
        else:
            line = 1 + f % 900 if js[f] else "null"
            cells.append(
                f"[{f},{str(bool(kind[f] == 2)).lower()},0,null,{line},null,{int(category[f])},0]"
            )
    w.raw(",".join(cells))
    w.raw(']},"stringTable":' + json.dumps(strings) + "}")


def _gecko_meta(start: float) -> dict:
    return {
        "version": 34,
        "startTime": start,
        "interval": 1,
        "stackwalk": 1,
        "debug": 0,
        "processType": 0,
        "categories": GECKO_CATEGORIES,
        "markerSchema": [],
        "sampleUnits": {"time": "ms", "eventDelay": "ms", "threadCPUDelta": "ns"},
        "product": "Firefox",
    }


def write_gecko_multiprocess(
    f: BinaryIO,
    *,
    target_bytes: int,
    seed: int = 0,
    processes: int = 6,
    threads: int = 200,
    markers: int = 400_000,
) -> Plan:
    """Write a Firefox-shaped Gecko profile: a parent process, ``processes - 1`` children in
    ``processes[]``, ``threads`` threads in all and about ``markers`` markers (at 200 MB; both
    scale with ``target_bytes``)."""
    rng = np.random.default_rng(seed)
    scale = min(target_bytes / 200e6, 1.0)
    threads = max(int(threads * max(scale, 0.05)), processes)
    markers = int(markers * scale)
    marker_bytes = markers * 95
    total = max(int((target_bytes - marker_bytes) / 52), threads * 10)
    plan = plan_samply_import(total * 30, threads=threads, processes=processes, seed=seed)
    scale_samples = total / max(sum(plan.samples), 1)
    plan.samples = [max(int(x * scale_samples), 1) for x in plan.samples]
    marker_share = np.array(plan.samples, dtype=np.float64)
    marker_counts = (marker_share / marker_share.sum() * markers).astype(int).tolist()
    libs = [
        {
            "start": lo,
            "end": hi,
            "offset": 0,
            "name": n,
            "path": f"/usr/lib/firefox-esr/{n}",
            "debugName": n,
            "debugPath": f"/usr/lib/firefox-esr/{n}",
            "breakpadId": f"{i + 1:032X}0",
            "codeId": None,
            "arch": "x86_64",
        }
        for i, (n, lo, hi) in enumerate(GECKO_LIBS)
    ]
    w = _Writer(f)
    start = 1795686272272.164
    by_process: dict[int, list[int]] = {}
    for i, p in enumerate(plan.process_of):
        by_process.setdefault(p, []).append(i)

    def process_body(p: int) -> None:
        w.raw('"libs":' + json.dumps(libs) + ',"meta":' + json.dumps(_gecko_meta(start + 37.5 * p)))
        w.raw(',"pages":[],"threads":[')
        for j, i in enumerate(by_process.get(p, [])):
            name = "GeckoMain" if j == 0 else THREAD_NAMES[i % len(THREAD_NAMES)]
            w.raw("," if j else "")
            _gecko_thread(
                w,
                name,
                "firefox" if p == 0 else "Isolated Web Content",
                1000 + p,
                5000 + i,
                plan.samples[i],
                marker_counts[i],
                rng,
            )
        w.raw('],"pausedRanges":[]')

    w.raw("{")
    process_body(0)
    w.raw(',"processes":[')
    for p in range(1, processes):
        w.raw(("," if p > 1 else "") + "{")
        process_body(p)
        w.raw(',"processes":[]}')
    w.raw("]}")
    return plan


# -- marker-heavy ------------------------------------------------------------------------------
def write_marker_heavy(
    f: BinaryIO, *, target_bytes: int, seed: int = 0, markers: int = 1_000_000
) -> int:
    """A processed v70 profile (from :mod:`benchmarks.generate`) whose threads carry
    ``markers`` markers with payloads in columnar marker tables (at 200 MB; scales with
    ``target_bytes``). Returns the number of markers written."""
    import io

    from .generate import write_profile

    markers = max(int(markers * min(target_bytes / 200e6, 1.0)), 100)
    marker_bytes = markers * 110
    buf = io.BytesIO()
    write_profile(
        buf, target_bytes=max(target_bytes - marker_bytes, 200_000), layout="v70", seed=seed
    )
    doc = buf.getvalue()
    rng = np.random.default_rng(seed)
    # swap each thread's small marker table for a big one: the generator writes them one by one
    parts = doc.split(b',"markers":')
    out = [parts[0]]
    n_threads = len(parts) - 1
    per = [markers // n_threads + (1 if k < markers % n_threads else 0) for k in range(n_threads)]
    for k, part in enumerate(parts[1:]):
        rest = part[part.index(b',"samples":') :]
        n = per[k]
        start = np.sort(rng.random(n) * 10_000.0)
        dur = rng.exponential(2.0, n)
        phase = np.where(rng.random(n) < 0.2, 0, 1)
        name = rng.integers(0, 4, n) + 0  # string indexes 0–3 are function names: fine as names
        data = ",".join(
            f'{{"type":"Text","name":"work {i % 97}","id":{i}}}'
            if i % 3
            else f'{{"type":"DOMEvent","eventType":"e{i % 5}"}}'
            for i in range(n)
        )
        table = (
            f'{{"length":{n},"category":'
            + _numbers(np.zeros(n, np.int64)).decode().join("[]")
            + ',"data":['
            + data
            + '],"endTime":'
            + _numbers(np.where(phase == 0, 0.0, start + dur), floats=True, nulls=phase == 0)
            .decode()
            .join("[]")
            + ',"name":'
            + _numbers(name).decode().join("[]")
            + ',"phase":'
            + _numbers(phase).decode().join("[]")
            + ',"startTime":'
            + _numbers(start, floats=True).decode().join("[]")
            + "}"
        )
        out.append(b',"markers":' + table.encode() + rest)
    f.write(b"".join(out))
    return markers


if __name__ == "__main__":
    sys.exit(main())
