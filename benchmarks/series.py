"""A series of benchmark-run profiles with known answers: labels, noise, and one injected change.

Each run is a small processed profile (v70 shared tables) of one benchmark thread (``bench``)
and a small ``worker`` thread, with ``commit``, ``branch`` and ``date`` labels written to
``series.json`` next to the runs. Every run draws its samples from the same call tree; the
stacks' probabilities get run-to-run noise (a lognormal factor per stack, like a machine's
jitter) and the samples are a multinomial draw (the sampling noise). From run ``grow_from`` on,
``grow_pp`` percentage points of expected self share move from :data:`DONOR` to
:data:`GROWING`; every other stack keeps its distribution. A comparison of runs before and after
must find those two functions and, at a 5 % false-discovery rate, almost nothing else.

Usage: ``python -m benchmarks.generate --series 40 -o runs/`` (``--series-grow-from``,
``--series-grow-pp``, ``--size`` per run).

Example
-------
>>> import tempfile, json, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> truth = write_series(d, 2, samples=2000, grow_from=1, grow_pp=3.0)
>>> sorted(p.name for p in d.iterdir())
['run-0000.json', 'run-0001.json', 'series.json']
>>> truth["runs"][1]["labels"]["commit"] != truth["runs"][0]["labels"]["commit"]
True
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl

GROWING = "angelscript::lexer::Lexer::scan_token"
DONOR = "angelscript::parser::Parser::parse_primary"  # the biggest; gives up what GROWING gains
BYTES_PER_SAMPLE = 4.4  # "12," for the stack and "1," for the time delta (measured)

EMPTY_MARKERS = {
    "length": 0,
    **{k: [] for k in ("name", "startTime", "endTime", "phase", "category", "data")},
}
# (function, library, children): the benchmark's call tree; leaves and inner nodes take samples
TREE = (
    "main",
    "bench",
    [
        (
            "criterion::routine::Routine::bench",
            "bench",
            [
                (
                    "angelscript::parser::Parser::parse_script",
                    "bench",
                    [
                        (
                            "angelscript::lexer::Lexer::next",
                            "bench",
                            [
                                (
                                    GROWING,
                                    "bench",
                                    [("core::str::validations::next_code_point", "bench", [])],
                                ),
                                ("angelscript::lexer::Cursor::eat_while", "bench", []),
                                ("angelscript::lexer::Lexer::scan_operator", "bench", []),
                            ],
                        ),
                        (
                            "angelscript::parser::Parser::parse_expr",
                            "bench",
                            [
                                ("angelscript::parser::Parser::parse_primary", "bench", []),
                                (
                                    "angelscript::ast::Builder::push_node",
                                    "bench",
                                    [
                                        (
                                            "alloc::raw_vec::RawVec::grow_one",
                                            "bench",
                                            [("__memmove_avx_unaligned_erms", "libc.so.6", [])],
                                        )
                                    ],
                                ),
                                (
                                    "angelscript::parser::Parser::parse_expr",
                                    "bench",
                                    [("angelscript::parser::Parser::parse_primary", "bench", [])],
                                ),
                            ],
                        ),
                        (
                            "angelscript::parser::Parser::parse_stmt",
                            "bench",
                            [
                                (
                                    "angelscript::semantic::Scope::lookup",
                                    "bench",
                                    [("hashbrown::raw::RawTable::find", "bench", [])],
                                )
                            ],
                        ),
                    ],
                ),
                (
                    "angelscript::codegen::Emitter::emit",
                    "bench",
                    [("malloc", "libc.so.6", []), ("free", "libc.so.6", [])],
                ),
                ("angelscript::ast::Arena::drop", "bench", [("free", "libc.so.6", [])]),
            ],
        ),
        ("std::io::stdio::print", "bench", [("write", "libc.so.6", [])]),
    ],
)


def frame_table(
    n: int, *, category: int = 0, lib: list[int], address: list[int] | None = None
) -> dict:
    """A frameTable with one frame per func (frame i is func i)."""
    return {
        "length": n,
        "func": list(range(n)),
        "category": [category] * n,
        "subcategory": [0] * n,
        "address": address if address is not None else [-1] * n,
        "inlineDepth": [0] * n,
        "line": [None] * n,
        "column": [None] * n,
        "nativeSymbol": [None] * n,
        "lib": lib,
    }


def func_table(n: int, *, resource: list[int]) -> dict:
    """A funcTable whose func i is named by string i."""
    return {
        "length": n,
        "name": list(range(n)),
        "isJS": [False] * n,
        "relevantForJS": [False] * n,
        "resource": resource,
        "source": [None] * n,
        "lineNumber": [None] * n,
        "columnNumber": [None] * n,
    }


def _flatten(tree: tuple) -> tuple[list[str], list[str], list[int | None], list[int]]:
    """Functions, libraries, and the stack table (prefix, func) of ``tree``."""
    names: list[str] = []
    libs: list[str] = []
    prefix: list[int | None] = []
    func: list[int] = []

    def fid(name: str, lib: str) -> int:
        for i, (n, b) in enumerate(zip(names, libs)):
            if n == name and b == lib:
                return i
        names.append(name)
        libs.append(lib)
        return len(names) - 1

    def walk(node: tuple, parent: int | None) -> None:
        name, lib, children = node
        prefix.append(parent)
        func.append(fid(name, lib))
        me = len(func) - 1
        for c in children:
            walk(c, me)

    walk(tree, None)
    return names, libs, prefix, func


def _base_weights(func: list[int], names: list[str], rng: np.random.Generator) -> np.ndarray:
    """A fixed self-probability per stack (the same for every run of a series)."""
    w = rng.pareto(1.5, len(func)) + 0.2
    w[0] = 0.5  # main itself takes little
    growing = np.array([names[f] == GROWING for f in func])
    w[growing] *= 0.12 * w[~growing].sum() / w[growing].sum() / 0.88  # ~12 % share
    return w / w.sum()


def _run_weights(
    base: np.ndarray,
    growing: np.ndarray,
    donor: np.ndarray,
    grow_pp: float,
    noise: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """One run's stack probabilities: the base with noise, and ``grow_pp`` points of self
    share moved from the donor's stacks to the growing function's (every other stack keeps
    its distribution, so the truth is exactly two changed functions)."""
    if grow_pp:
        base = base.copy()
        moved = grow_pp / 100.0
        base[growing] *= (base[growing].sum() + moved) / base[growing].sum()
        base[donor] *= (base[donor].sum() - moved) / base[donor].sum()
    w = base * rng.lognormal(0.0, noise, len(base))
    return w / w.sum()


def _profile(
    names: list[str],
    libs: list[str],
    prefix: list[int | None],
    func: list[int],
    threads: list[tuple[str, np.ndarray]],
    start: float,
) -> str:
    lib_names = sorted(set(libs))
    strings = names + lib_names
    thread_docs = []
    for tid, (tname, stack) in enumerate(threads):
        head = {"name": tname, "isMainThread": tid == 0, "pid": "100", "tid": str(100 + tid)}
        head["processName"] = "bench"
        stack_text = ",".join(map(str, stack.tolist()))
        deltas = ",".join(["1"] * len(stack))
        thread_docs.append(
            json.dumps(head)[:-1]
            + f',"samples":{{"length":{len(stack)},"weightType":"samples","weight":null,'
            + f'"stack":[{stack_text}],"timeDeltas":[{deltas}]}},"markers":'
            + json.dumps(EMPTY_MARKERS)
            + "}"
        )
    n = len(names)
    shared = {
        "stackTable": {"length": len(func), "prefix": prefix, "frame": func},
        "frameTable": frame_table(n, category=1, lib=[lib_names.index(b) for b in libs]),
        "funcTable": func_table(n, resource=[lib_names.index(b) for b in libs]),
        "resourceTable": {
            "length": len(lib_names),
            "lib": list(range(len(lib_names))),
            "name": [n + i for i in range(len(lib_names))],
            "host": [None] * len(lib_names),
            "type": [1] * len(lib_names),
        },
        "stringArray": strings,
    }
    meta = {
        "version": 24,
        "preprocessedProfileVersion": 70,
        "interval": 1.0,
        "startTime": start,
        "product": "angelscript-bench",
        "categories": [
            {"name": "Other", "color": "grey", "subcategories": ["Other"]},
            {"name": "User", "color": "yellow", "subcategories": ["Other"]},
        ],
    }
    lib_docs = [
        {
            "name": b,
            "path": "/usr/lib/" + b,
            "debugName": b,
            "debugPath": "/usr/lib/" + b,
            "breakpadId": "0" * 33,
            "codeId": None,
            "arch": None,
        }
        for b in lib_names
    ]
    documents = (json.dumps(meta), json.dumps(lib_docs), json.dumps(shared), ",".join(thread_docs))
    return '{{"meta":{},"libs":{},"shared":{},"threads":[{}]}}'.format(*documents)


def _draws(
    n: int, *, samples: int, grow_from: int | None, grow_pp: float, noise: float, seed: int
) -> Iterator[tuple[int, bool, np.ndarray, np.ndarray]]:
    """Per run: its index, whether it is grown, and the stacks of its bench and worker samples."""
    names, libs, _, func = _flatten(TREE)
    # the program is the same for every series (its donor takes half the time); ``seed`` draws
    # the run-to-run noise and the samples
    base = _base_weights(func, names, np.random.default_rng(0))
    rng = np.random.default_rng(seed)
    growing = np.array([names[f] == GROWING for f in func])
    donor = np.array([names[f] == DONOR for f in func])
    worker_base = np.zeros(len(func))
    worker_base[[i for i, f in enumerate(func) if libs[f] == "libc.so.6"]] = 1.0
    worker_base /= worker_base.sum()
    for i in range(n):
        grown = grow_from is not None and i >= grow_from
        w = _run_weights(base, growing, donor, grow_pp if grown else 0.0, noise, rng)
        stacks = rng.choice(len(func), size=samples, p=w)
        worker = rng.choice(len(func), size=max(samples // 50, 1), p=worker_base)
        yield i, grown, stacks, worker


def self_shares(
    n: int,
    *,
    samples: int = 20_000,
    grow_from: int | None = None,
    grow_pp: float = 3.0,
    noise: float = 0.05,
    seed: int = 0,
) -> pl.DataFrame:
    """The bench thread's self share (%) per function and run of a series, without writing
    profiles: the same draws as :func:`write_series`, for statistics over many trials.

    >>> self_shares(2, samples=1000).group_by("run").agg(pl.col("share").sum()).sort("run")["share"].round(6).to_list()
    [100.0, 100.0]
    """
    names, libs, _, func = _flatten(TREE)
    rows = []
    for i, _, stacks, _ in _draws(
        n, samples=samples, grow_from=grow_from, grow_pp=grow_pp, noise=noise, seed=seed
    ):
        per_func = np.bincount(np.asarray(func)[stacks], minlength=len(names))
        rows.append(
            pl.DataFrame(
                {
                    "run": i,
                    "function": names,
                    "library": libs,
                    "share": per_func * 100.0 / samples,
                }
            ).filter(pl.col("share") > 0)
        )
    return pl.concat(rows)


def write_series(
    out: str | Path,
    n: int,
    *,
    samples: int = 300_000,
    grow_from: int | None = None,
    grow_pp: float = 3.0,
    noise: float = 0.05,
    seed: int = 0,
) -> dict:
    """Write ``n`` runs ``run-NNNN.json`` and ``series.json`` (labels and the truth) to ``out``.

    From run ``grow_from`` on, ``grow_pp`` points of self share move from :data:`DONOR` to
    :data:`GROWING` (``grow_from=None``: every run from the same distribution). Returns the
    ``series.json`` document.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    names, libs, prefix, func = _flatten(TREE)
    day0 = dt.date(2026, 1, 1)
    runs = []
    for i, grown, stacks, worker in _draws(
        n, samples=samples, grow_from=grow_from, grow_pp=grow_pp, noise=noise, seed=seed
    ):
        name = f"run-{i:04d}.json"
        text = _profile(
            names, libs, prefix, func, [("bench", stacks), ("worker", worker)], 1.0e6 + i
        )
        (out / name).write_text(text, encoding="utf-8")
        labels = {
            "commit": hashlib.sha1(f"{seed}-{i}".encode()).hexdigest()[:12],
            "branch": "main",
            "date": (day0 + dt.timedelta(days=i // 10)).isoformat(),
            "run": str(i),
        }
        runs.append({"file": name, "labels": labels, "grown": grown})
    truth = {
        "growing_function": GROWING,
        "donor_function": DONOR,
        "grow_from": grow_from,
        "grow_pp": grow_pp if grow_from is not None else 0.0,
        "noise": noise,
        "samples": samples,
        "seed": seed,
        "runs": runs,
    }
    (out / "series.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")
    return truth


def samples_for(target_bytes: int) -> int:
    """Samples per run for a run file of about ``target_bytes``."""
    return max(int(target_bytes / BYTES_PER_SAMPLE), 100)
