"""Dataset ingest on the real-shape layouts, beside ``orjson.loads`` of the same bytes.

``python -m benchmarks.dataset_shapes [--profiles 4] [--size 2MB] [--jobs 2]`` writes that many
profiles of each layout of ``benchmarks/shapes.py`` (samply-import, gecko-multiprocess,
marker-heavy; one seed each), times ``orjson.loads`` of their bytes and their ingest into a
fresh dataset with ``jobs`` workers, and the totals query over them. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LAYOUTS = ("samply-import", "gecko-multiprocess", "marker-heavy")


def main(argv: list[str] | None = None) -> int:
    import orjson

    from profile_frames.dataset import ingest, open_dataset

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profiles", type=int, default=4)
    ap.add_argument("--size", default="2MB")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="pf-shapes-"))
    out = {}
    try:
        for layout in LAYOUTS:
            files = []
            for seed in range(args.profiles):
                f = work / f"{layout}-{seed}.json"
                subprocess.run(
                    [sys.executable, "-m", "benchmarks.shapes", "--layout", layout,
                     "--size", args.size, "--seed", str(seed), "-o", str(f)],
                    check=True,
                    capture_output=True,
                )  # fmt: skip
                files.append(f)
            mb = sum(f.stat().st_size for f in files) / 1e6
            t = time.perf_counter()
            for f in files:
                orjson.loads(f.read_bytes())
            parse_s = time.perf_counter() - t
            root = work / f"ds-{layout}"
            t = time.perf_counter()
            report = ingest(files, into=root, jobs=args.jobs, progress=False)
            ingest_s = time.perf_counter() - t
            assert report.ok, report.errors
            t = time.perf_counter()
            open_dataset(root).function_totals()
            out[layout] = {
                "profiles": len(files),
                "mb": round(mb, 1),
                "orjson_loads_s": round(parse_s, 3),
                "ingest_s": round(ingest_s, 2),
                "profiles_per_s": round(len(files) / ingest_s, 2),
                "mb_per_s": round(mb / ingest_s, 1),
                "totals_s": round(time.perf_counter() - t, 3),
            }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
