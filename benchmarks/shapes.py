"""Profiles shaped like what users record, for the benchmarks and the oracle checks.

The ``v55``/``v70`` layouts of :mod:`benchmarks.generate` put 97 % of the samples in one thread.
Real recordings are whole process trees, so these layouts look like them:

* ``samply-import``: ``samply import`` of a ``perf record`` of a process tree: hundreds of threads
  in 100+ processes with Zipf-distributed sample counts (a few threads with a million samples,
  hundreds with 10–1,000), v55 per-thread tables and ``stringArray`` (what samply 0.13 writes),
  unsymbolicated ``0x…`` functions (300k+ distinct in the biggest thread at 300 MB) and a Kernel
  category for ``[kernel.kallsyms]`` frames.

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

from .generate import Shape, _numbers, _Writer, stack_tree, zipf_choice

LAYOUTS = ("samply-import",)
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


def _thread_tables(w: _Writer, n_stacks: int, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Write one thread's v55 tables (stack, frame, func, resource, native symbols, strings)
    and return the sampleable (deep) stacks and the number of funcs."""
    n_funcs = max(int(n_stacks * 0.42), 3)
    n_frames = n_funcs
    shape = Shape(samples=0, stacks=n_stacks, funcs=n_funcs, frames=n_frames)
    if n_stacks > 12:
        parent, frame = stack_tree(shape, rng)
    else:  # a short chain
        parent, frame = np.arange(-1, n_stacks - 1), np.arange(n_stacks) % n_frames
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
        header = {
            "name": name,
            "isMainThread": main,
            "pid": str(pid),
            "tid": str(pid if main else 20000 + i),
            "processName": program,
            "processType": "default",
            "processStartupTime": 0.0,
            "processShutdownTime": None,
            "registerTime": 0.0,
            "unregisterTime": None,
            "pausedRanges": [],
            "showMarkersInTimeline": False,
        }
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
    ap.add_argument("--threads", type=int, default=530)
    ap.add_argument("--processes", type=int, default=110)
    ap.add_argument("--zipf", type=float, default=1.3, help="skew of the thread sample counts")
    ap.add_argument("-o", "--output", required=True, help="file to write (.json)")
    args = ap.parse_args(argv)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    tmp = args.output + ".tmp"
    with open(tmp, "wb", buffering=16 << 20) as f:
        plan = write_samply_import(
            f,
            target_bytes=parse_size(args.size),
            seed=args.seed,
            threads=args.threads,
            processes=args.processes,
            zipf=args.zipf,
        )
    os.replace(tmp, args.output)
    summary = {
        "output": args.output,
        "bytes": os.path.getsize(args.output),
        "threads": len(plan.samples),
        "samples": sum(plan.samples),
        "stacks": sum(plan.stacks),
        "biggest_thread": max(plan.samples),
    }
    print(json.dumps(summary), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
