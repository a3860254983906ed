"""Compare profile_frames with the official Firefox Profiler CLI on a generated profile.

    ../shared/fixtures/oracle.sh benchmarks/data/profile-200mb-v70.json /tmp/oracle-200mb
    python -m benchmarks.check_oracle benchmarks/data/profile-200mb-v70.json /tmp/oracle-200mb

Proves that the generator writes files the Firefox Profiler accepts and that our function self
and total weights equal the CLI's on them, both each thread's ``functions()`` and its rows of
``profile.functions()`` (all threads at once). Prints one line per thread and exits 1 on a
mismatch.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections import Counter
from pathlib import Path

import polars as pl

import profile_frames
from profile_frames.analysis.calltree import name_with_library


def _read(path: Path):
    return (
        json.load(gzip.open(path, "rt")) if path.suffix == ".gz" else json.loads(path.read_text())
    )


def _tally(funcs: pl.DataFrame, got: pl.DataFrame) -> tuple[Counter, Counter]:
    """Self and total per name with library (the CLI's key) of a function table."""
    names = name_with_library(funcs).gather(got["func"]).to_list()
    ours_self, ours_total = Counter(), Counter()
    for name, s, tot in zip(names, got["self"].to_list(), got["total"].to_list()):
        ours_self[name] += s
        ours_total[name] += tot
    return ours_self, ours_total


def main(argv: list[str]) -> int:
    profile_path, out = Path(argv[0]), Path(argv[1])
    p = profile_frames.load(profile_path)
    every = p.functions()
    ok = True
    for f in sorted(out.glob("thread-*.functions.json*")):
        n = int(f.name.split(".")[0].split("-")[1])
        exp = _read(f)
        want_self, want_total = Counter(), Counter()
        for fn in exp["functions"]:
            want_self[fn["nameWithLibrary"]] += fn["selfSamples"]
            want_total[fn["nameWithLibrary"]] += fn["totalSamples"]
        t = p.thread(n)
        same = True
        for got in (t.functions(), every.filter(pl.col("thread") == t.index)):
            ours_self, ours_total = _tally(t.funcs, got)
            same &= +ours_self == +want_self and +ours_total == +want_total
        ok &= same
        print(
            f"thread {n} ({t.name}): {len(want_total)} functions, weight {sum(want_self.values())}: {'equal' if same else 'DIFFERENT'}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
