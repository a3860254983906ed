"""The symbolication benchmark: a profile with 300k distinct addresses in one library.

``python -m benchmarks.symbols [--addresses 300000] [--library PATH]`` builds a processed
profile whose one thread has a sample at each of N distinct addresses of the library's
``.text`` (its build id recorded, as samply does), loads it, and times
``Profile.symbolicate()``: finding the binary (and its ``/usr/lib/debug`` file), the lookups
with symbolic, demangling, and rebuilding frames, funcs and stacks with inlined frames. Prints
JSON: seconds, addresses/s, frames named, inlined frames added, peak RSS.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .series import frame_table, func_table

DEFAULT_LIBRARY = "/usr/lib/x86_64-linux-gnu/libc.so.6"


def text_section(path: str) -> tuple[int, int]:
    """(address, size) of the library's .text, from ``readelf -SW``."""
    out = subprocess.run(
        ["readelf", "-SW", path], capture_output=True, text=True, check=True
    ).stdout
    m = re.search(r"\.text\s+PROGBITS\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)", out)
    if not m:
        raise SystemExit(f"{path}: no .text section")
    return int(m.group(1), 16), int(m.group(2), 16)


def build_id(path: str) -> str:
    out = subprocess.run(["readelf", "-n", path], capture_output=True, text=True).stdout
    m = re.search(r"Build ID: ([0-9a-f]+)", out)
    return m.group(1) if m else ""


def native_profile(binary: Path, stacks: list[list[int]], build_id: str) -> bytes:
    """A processed profile: one sample per stack (root-first library-relative addresses of
    ``binary``), its frames unsymbolicated (named by their address, as samply writes them)."""
    addresses = sorted({a for s in stacks for a in s})
    frame_of = {a: i for i, a in enumerate(addresses)}
    prefix, frame, stack_ids = [], [], {}
    sample_stacks = []
    for s in stacks:
        parent = None
        for a in s:
            key = (parent, a)
            if key not in stack_ids:
                stack_ids[key] = len(frame)
                prefix.append(parent)
                frame.append(frame_of[a])
            parent = stack_ids[key]
        sample_stacks.append(parent)
    n = len(addresses)
    strings = [hex(a) for a in addresses] + [binary.name]
    doc = {
        "meta": {
            "version": 24,
            "preprocessedProfileVersion": 70,
            "interval": 1.0,
            "startTime": 0,
            "product": "test",
            "categories": [{"name": "Other", "color": "grey", "subcategories": ["Other"]}],
        },
        "libs": [
            {
                "name": binary.name,
                "path": str(binary),
                "debugName": binary.name,
                "debugPath": str(binary),
                "breakpadId": "0" * 33,
                "codeId": build_id,
                "arch": "x86_64",
            }
        ],
        "shared": {
            "stackTable": {"length": len(frame), "prefix": prefix, "frame": frame},
            "frameTable": frame_table(n, lib=[0] * n, address=addresses),
            "funcTable": func_table(n, resource=[0] * n),
            "resourceTable": {"length": 1, "lib": [0], "name": [n], "host": [None], "type": [1]},
            "stringArray": strings,
        },
        "threads": [
            {
                "name": "main",
                "isMainThread": True,
                "pid": "1",
                "tid": "1",
                "processName": "t",
                "samples": {
                    "length": len(stacks),
                    "weightType": "samples",
                    "stack": sample_stacks,
                    "time": [float(i) for i in range(len(stacks))],
                    "weight": None,
                },
                "markers": {
                    "length": 0,
                    "name": [],
                    "startTime": [],
                    "endTime": [],
                    "phase": [],
                    "category": [],
                    "data": [],
                },
            }
        ],
    }
    return json.dumps(doc).encode()


def profile_json(path: str, n: int, seed: int = 0) -> bytes:
    """A profile with a sample at each of ``n`` distinct addresses of ``path``'s ``.text``."""
    start, size = text_section(path)
    addresses = sorted(random.Random(seed).sample(range(start, start + size), min(n, size)))
    return native_profile(Path(path), [[a] for a in addresses], build_id(path))


def main(argv: list[str] | None = None) -> int:
    import profile_frames

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--addresses", type=int, default=300_000)
    ap.add_argument("--library", default=DEFAULT_LIBRARY)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "symbols.json"
        path.write_bytes(profile_json(args.library, args.addresses))
        profile = profile_frames.load(path, progress=False)
        t = time.perf_counter()
        named = profile.symbolicate()
        seconds = time.perf_counter() - t
    report = named.symbolication
    top = named.thread(0).self_time().head(3)
    print(
        json.dumps(
            {
                "library": args.library,
                "file_used": str(report.libraries[0].path) if report.libraries else None,
                "note": report.libraries[0].note if report.libraries else None,
                "addresses": profile.frames.height,
                "seconds": round(seconds, 2),
                "addresses_per_s": round(profile.frames.height / seconds),
                "frames_named": report.resolved_frames,
                "inlined_frames_added": report.inlined_frames,
                "top": top.select("function", "self").rows(),
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
