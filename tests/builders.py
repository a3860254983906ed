"""Build small processed profiles by hand for tests: a list of (stack root-first, weight)."""

from __future__ import annotations

import json
from collections.abc import Sequence

CATEGORIES = [
    {"name": "Other", "color": "grey", "subcategories": ["Other"]},
    {"name": "User", "color": "yellow", "subcategories": ["Other"]},
]


def processed_profile(
    samples: Sequence[tuple[Sequence[str] | None, int]],
    *,
    libraries: dict[str, str] | None = None,
    categories: dict[str, int] | None = None,
    version: int = 70,
    thread_name: str = "main",
    interval: float = 1.0,
) -> dict:
    """A processed profile (shared tables, ``prefix`` column) with one frame per function.

    Sample i is at time i ms. ``libraries`` maps a function to its library (resource) name.
    """
    libraries = libraries or {}
    categories = categories or {}
    strings: list[str] = []

    def s(x: str) -> int:
        if x not in strings:
            strings.append(x)
        return strings.index(x)

    funcs: list[str] = []
    libs = sorted(set(libraries.values()))
    stacks: dict[tuple, int] = {}
    prefix: list[int | None] = []
    frame: list[int] = []
    sample_stack: list[int | None] = []
    for names, _ in samples:
        if names is None:
            sample_stack.append(None)
            continue
        parent = None
        for name in names:
            if name not in funcs:
                funcs.append(name)
            key = (parent, name)
            if key not in stacks:
                stacks[key] = len(frame)
                prefix.append(parent)
                frame.append(funcs.index(name))
            parent = stacks[key]
        sample_stack.append(parent)
    resource = [libs.index(libraries[f]) if f in libraries else -1 for f in funcs]
    profile = {
        "meta": {
            "version": 24,
            "preprocessedProfileVersion": version,
            "interval": interval,
            "startTime": 1000.0,
            "product": "test",
            "categories": CATEGORIES,
        },
        "libs": [
            {
                "name": lib,
                "path": "/" + lib,
                "debugName": lib,
                "debugPath": "/" + lib,
                "breakpadId": "0" * 33,
                "codeId": None,
                "arch": None,
            }
            for lib in libs
        ],
        "shared": {
            "stackTable": {"length": len(frame), "prefix": prefix, "frame": frame},
            "frameTable": {
                "length": len(funcs),
                "func": list(range(len(funcs))),
                "category": [categories.get(f, 0) for f in funcs],
                "subcategory": [0] * len(funcs),
                "address": [-1] * len(funcs),
                "inlineDepth": [0] * len(funcs),
                "line": [None] * len(funcs),
                "column": [None] * len(funcs),
                "nativeSymbol": [None] * len(funcs),
                "lib": [libs.index(libraries[f]) if f in libraries else -1 for f in funcs],
            },
            "funcTable": {
                "length": len(funcs),
                "name": [s(f) for f in funcs],
                "isJS": [False] * len(funcs),
                "relevantForJS": [False] * len(funcs),
                "resource": resource,
                "source": [None] * len(funcs),
                "lineNumber": [None] * len(funcs),
                "columnNumber": [None] * len(funcs),
            },
            "resourceTable": {
                "length": len(libs),
                "lib": list(range(len(libs))),
                "name": [s(lib) for lib in libs],
                "host": [None] * len(libs),
                "type": [1] * len(libs),
            },
        },
        "threads": [
            {
                "name": thread_name,
                "isMainThread": True,
                "pid": "1",
                "tid": "1",
                "processName": "test",
                "samples": {
                    "length": len(samples),
                    "weightType": "samples",
                    "stack": sample_stack,
                    "time": [float(i) for i in range(len(samples))],
                    "weight": [w for _, w in samples],
                },
                "markers": empty_markers(),
            }
        ],
    }
    profile["shared"]["stringArray"] = strings  # complete now that every name is interned
    return profile


def v55_profile(samples: Sequence[tuple[Sequence[str] | None, int]], **options) -> dict:
    """:func:`processed_profile` in the v55 layout samply writes: per-thread stack, frame,
    func and resource tables and ``stringArray``, no ``frameTable.lib``."""
    old = processed_profile(samples, version=55, **options)
    shared = old.pop("shared")
    thread = old["threads"][0]
    for k in ("stackTable", "frameTable", "funcTable", "resourceTable", "stringArray"):
        thread[k] = shared[k]
    del thread["frameTable"]["lib"]
    return old


def empty_markers() -> dict:
    """A processed thread's markers table with no rows."""
    return {
        "length": 0,
        **{k: [] for k in ("name", "startTime", "endTime", "phase", "category", "data")},
    }


def to_bytes(profile: dict) -> bytes:
    return json.dumps(profile).encode()


# The hand-built profile most tests use; expected numbers are worked out in test_transforms.py.
SAMPLES = [
    (["A", "B", "C"], 1),
    (["A", "B"], 2),
    (["A", "D", "B", "C"], 3),
    (["A", "B", "B"], 1),
    (None, 5),
    (["E"], 1),
]


def load_thread(samples: Sequence[tuple[Sequence[str] | None, int]] = SAMPLES, **options):
    """Thread 0 of ``processed_profile(samples, **options)``, loaded."""
    import profile_frames

    return profile_frames.load(to_bytes(processed_profile(samples, **options))).thread(0)
