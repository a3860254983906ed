"""Markers decoded per second: a marker table of N markers with payloads (processed columns,
and Gecko rows ending in their payload, as the real-shape generators write them) read by the
scanner into its columns and payload texts, with the C parser and without it (a fresh
process with ``PROFILE_FRAMES_PURE_PYTHON=1``), best of ``--reps``.

Usage: ``python -m benchmarks.markers --markers 1000000``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np


def _payload(i: int) -> str:
    if i % 3:
        return f'{{"type":"Text","name":"work {i % 97}","id":{i}}}'
    return f'{{"type":"DOMEvent","eventType":"e{i % 5}","target":"div#x{i % 13}"}}'


def marker_table(n: int, *, gecko: bool, seed: int = 0) -> bytes:
    """A document ``{"markers": table}`` with ``n`` markers."""
    rng = np.random.default_rng(seed)
    start = np.sort(rng.random(n) * 10_000.0).round(3)
    end = (start + rng.exponential(2.0, n)).round(3)
    phase = np.where(rng.random(n) < 0.2, 0, 1)
    name = rng.integers(0, 400, n)
    if gecko:
        schema = '{"name":0,"startTime":1,"endTime":2,"phase":3,"category":4,"data":5}'
        rows = ",".join(
            f"[{name[i]},{start[i]},{'null' if phase[i] == 0 else end[i]},{phase[i]},7"
            + ("]" if i % 7 == 0 else f",{_payload(i)}]")
            for i in range(n)
        )
        return f'{{"markers":{{"schema":{schema},"data":[{rows}]}}}}'.encode()

    def numbers(values) -> str:
        return json.dumps(values.tolist(), separators=(",", ":"))

    data = ",".join("null" if i % 7 == 0 else _payload(i) for i in range(n))
    return (
        f'{{"markers":{{"length":{n},"name":{numbers(name)},"startTime":{numbers(start)},'
        f'"endTime":{numbers(end)},"phase":{numbers(phase)},"category":{numbers(phase * 0)},'
        f'"data":[{data}]}}}}'
    ).encode()


def _time_decode(doc: bytes, reps: int) -> float:
    from profile_frames.scan import parse_json_chunks

    chunk = 16 << 20
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        parse_json_chunks([doc[i : i + chunk] for i in range(0, len(doc), chunk)], name="m")
        best = min(best, time.perf_counter() - t)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--markers", type=int, default=1_000_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--one", choices=["processed", "gecko"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:  # a child process: print one timing
        doc = marker_table(args.markers, gecko=args.one == "gecko")
        print(len(doc), _time_decode(doc, args.reps))
        return 0
    from profile_frames import native

    print(f"{args.markers:,} markers, best of {args.reps}; C parser built: {native.available()}")
    print("| table | parser | MB | s | markers/s | MB/s |\n|---|---|---|---|---|---|")
    for shape in ("processed", "gecko"):
        for parser, env in (("C", {}), ("numpy", {"PROFILE_FRAMES_PURE_PYTHON": "1"})):
            out = subprocess.run(
                [sys.executable, "-m", "benchmarks.markers", "--one", shape]
                + ["--markers", str(args.markers), "--reps", str(args.reps)],
                env={**os.environ, **env},
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            size, seconds = int(out[0]), float(out[1])
            print(
                f"| {shape} | {parser} | {size / 1e6:.0f} | {seconds:.3f} | "
                f"{args.markers / seconds / 1e6:.2f}M | {size / 1e6 / seconds:.0f} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
