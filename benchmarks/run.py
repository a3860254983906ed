"""Benchmark runner: every case in a fresh subprocess, several repetitions, one report.

Usage::

    python -m benchmarks.run --size 200MB              # v70 .json and .json.gz, 3 repetitions
    python -m benchmarks.run --size 2GB --reps 3 --layouts v70
    python -m benchmarks.run --size 20MB --reps 1 --out /tmp/bench   # the smoke run of the tests

For each case it reports the median and spread of wall time, the in-process time of the measured
operation, CPU time, MB/s of (uncompressed) JSON and peak RSS, plus ratios against the baselines
measured in the same run. Results go to ``OUT/results-<size>.json`` and ``OUT/results-<size>.md``.
Baseline processes are killed when their resident memory passes ``--mem-limit-gb`` (default
95 % of the machine's RAM), so one that would exhaust the memory is reported as failed rather
than taking the machine down. (An address-space limit would also stop orjson, which reserves
more than 23 GiB of address space for a 2 GB file but touches 21 GiB of it.)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from .generate import main as generate_main
from .shapes import LAYOUTS as REAL_SHAPES
from .shapes import main as shapes_main

ROOT = Path(__file__).resolve().parent
LOAD_CASES = [
    "read",
    "gunzip",
    "load",
    "seed_json_loop",
    "orjson_polars",
    "ijson_kvitems_polars",
]
MBS_CASES = {*LOAD_CASES, "orjson_loads", "cli_load"}
ANALYSIS_CASES = [
    "self_time",
    "functions",
    "group_time",
    "call_tree",
    "cache_reopen",
    "cache_reopen_ipc",
]
BASELINES = {"seed_json_loop", "orjson_polars", "ijson_kvitems_polars", "orjson_loads", "cli_load"}
# the real-shape layouts (benchmarks/shapes.py): many threads, so every thread is asked too
REAL_SHAPE_CASES = [
    "read",
    "load",
    "orjson_loads",
    "orjson_polars",
    "seed_json_loop",
    "cli_load",
    "profile_functions",
    "small_thread_functions",
    "self_time",
    "cli_functions",
]


class _MemoryWatch:
    """Kills ``proc`` if its resident memory passes ``limit_gb`` GiB (polled 10 times a
    second from /proc; a no-op where /proc is missing)."""

    def __init__(self, proc: subprocess.Popen, limit_gb: float) -> None:
        self.proc, self.limit_kib = proc, limit_gb * (1 << 20)
        self.fired = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        status = Path(f"/proc/{self.proc.pid}/status")
        while not self._done.wait(0.1):
            try:
                rss = next(ln for ln in status.read_text().splitlines() if ln.startswith("VmRSS"))
            except (OSError, StopIteration):
                return
            if int(rss.split()[1]) > self.limit_kib:
                self.fired = True
                self.proc.kill()
                return

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def default_memory_limit_gb() -> float:
    """95 % of the machine's RAM in GiB (20 where it cannot be read): orjson peaks at 20.9
    GiB on the 2 GB benchmark file, on a 23.5 GiB machine."""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 20.0
    return round(0.95 * pages * size / (1 << 30), 1)


def measure(
    case: str, path: Path, *, reps: int, mem_limit_gb: float | None, timeout: float
) -> dict:
    """Repeat a case; return medians, spread and peak RSS (from wait4 of each child)."""
    walls, inner, cpus, rss, checks = [], [], [], [], []
    status = "ok"
    for _ in range(reps):
        cmd = [sys.executable, "-m", "benchmarks.cases", case, str(path)]
        with tempfile.TemporaryFile() as errf:
            start = time.perf_counter()
            proc = subprocess.Popen(cmd, cwd=ROOT.parent, stdout=subprocess.PIPE, stderr=errf)
            killer = threading.Timer(timeout, proc.kill)
            killer.start()
            watch = _MemoryWatch(proc, mem_limit_gb) if mem_limit_gb else None
            out = proc.stdout.read() if proc.stdout else b""
            _, status_code, ru = os.wait4(proc.pid, 0)  # this child's own rusage (peak RSS, CPU)
            killer.cancel()
            if watch is not None:
                watch.stop()
            proc.returncode = os.waitstatus_to_exitcode(status_code)
            wall = time.perf_counter() - start
            errf.seek(0)
            err = errf.read()
        if proc.returncode != 0:
            tail = err.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
            if watch is not None and watch.fired:
                status = f"failed: killed when its resident memory passed {mem_limit_gb:g} GiB"
            elif wall >= timeout:
                status = f"failed: killed after {timeout:.0f} s"
            else:
                status = "failed: " + tail[0][:160]
            break
        res = json.loads(out.decode().strip().splitlines()[-1])
        walls.append(wall)
        inner.append(res["seconds"])
        cpus.append(ru.ru_utime + ru.ru_stime)
        rss.append(res.get("peak_rss_mib") or ru.ru_maxrss / 1024.0)
        checks.append(res["check"])
    if not walls:
        return {"case": case, "status": status}
    return {
        "case": case,
        "status": status,
        "reps": len(walls),
        "wall_median": statistics.median(walls),
        "wall_min": min(walls),
        "wall_max": max(walls),
        "seconds_median": statistics.median(inner),
        "seconds_min": min(inner),
        "seconds_max": max(inner),
        "cpu_median": statistics.median(cpus),
        "peak_rss_mib": max(rss),
        "check": checks[0],
        "checks_agree": all(c == checks[0] for c in checks),
    }


def ensure_profile(size: str, layout: str, gz: bool, data_dir: Path) -> Path:
    name = f"profile-{size.lower()}-{layout}.json" + (".gz" if gz else "")
    path = data_dir / name
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        make = shapes_main if layout in REAL_SHAPES else generate_main
        make(["--size", size, "--layout", layout, "-o", str(path)])
    return path


def json_size(path: Path) -> int:
    if path.suffix == ".gz":
        import gzip

        n = 0
        with gzip.open(path, "rb") as f:
            while b := f.read(16 << 20):
                n += len(b)
        return n
    return path.stat().st_size


def python_loop_seconds() -> float:
    """Seconds for ten million iterations of a plain Python loop, the best of three: this
    VM's CPU speed moves by up to 2x from hour to hour, and a run's figures are comparable
    with another's only at a similar value (0.99 s and 1.4-1.8 s were seen on 2026-12-02)."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for i in range(10_000_000):
            total += i
        best = min(best, time.perf_counter() - start)
    return round(best, 2)


def first_touch_seconds() -> float:
    """Seconds to write 1 GiB of freshly allocated memory (the page faults of its first
    touch): on this VM they cost 1-11 µs each by the hour, and whatever allocates most (the
    baselines) swings most, so a run's ratios are read with this beside them."""
    import numpy as np

    start = time.perf_counter()
    block = np.ones(1 << 27)  # 1 GiB of float64, written once
    seconds = time.perf_counter() - start
    del block
    return round(seconds, 2)


def machine() -> dict:
    import polars
    import pyarrow

    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / (1 << 30)
    except (ValueError, OSError):  # pragma: no cover
        mem = None
    try:
        import isal

        isal_version = isal.__version__
    except ImportError:  # pragma: no cover
        isal_version = None
    import profile_frames

    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cores": os.cpu_count(),
        "ram_gib": round(mem, 1) if mem else None,
        "cpu": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "polars": polars.__version__,
        "pyarrow": pyarrow.__version__,
        "isal": isal_version,
        "profile_frames": profile_frames.__version__,
        "python_loop_s": python_loop_seconds(),
        "first_touch_gib_s": first_touch_seconds(),
    }


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"### {report['size']} ({report['date']})",
        "",
        f"Machine: {m['cores']} cores, {m['ram_gib']} GiB RAM, Python {m['python']}, polars {m['polars']}, pyarrow {m['pyarrow']}, isal {m['isal']}, profile_frames {m['profile_frames']}; {report['reps']} repetitions, each in a fresh process; CPU reference (a 10M-iteration Python loop): {m.get('python_loop_s')} s; memory reference (first touch of 1 GiB): {m.get('first_touch_gib_s')} s.",
        "",
        "| file | case | status | median s (min–max) | wall s | CPU s | MB/s | peak RSS MiB | vs load |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for f in report["files"]:
        load = next((r for r in f["results"] if r["case"] == "load" and r["status"] == "ok"), None)
        for r in f["results"]:
            if r["status"] != "ok":
                lines.append(f"| {f['name']} | {r['case']} | {r['status']} | | | | | | |")
                continue
            mbs = f["json_mb"] / r["seconds_median"] if r["case"] in MBS_CASES else None
            ratio = (
                (r["seconds_median"] / load["seconds_median"])
                if load and r["case"] in BASELINES
                else None
            )
            ours = next((x for x in f["results"] if x["case"] == "profile_functions"), None)
            if r["case"] == "cli_functions" and load and ours and ours["status"] == "ok":
                # against our load plus functions() of every thread
                ratio = r["seconds_median"] / (load["seconds_median"] + ours["seconds_median"])
            lines.append(
                f"| {f['name']} | {r['case']} | ok | {r['seconds_median']:.3f} ({r['seconds_min']:.3f}–{r['seconds_max']:.3f}) "
                f"| {r['wall_median']:.2f} | {r['cpu_median']:.2f} | {'' if mbs is None else f'{mbs:.0f}'} "
                f"| {r['peak_rss_mib']:.0f} | {'' if ratio is None else f'{ratio:.1f}× slower'} |"
            )
        if f.get("tables_mib"):
            lines.append(f"| {f['name']} | final tables | | | | | | {f['tables_mib']:.0f} | |")
    return "\n".join(lines) + "\n"


def tables_mib(path: Path) -> float:
    """Size of the canonical tables of a loaded profile (the denominator of the RSS target)."""
    code = (
        "import profile_frames,sys;p=profile_frames.load(sys.argv[1],progress=False);"
        "t=[p.stacks,p.frames,p.funcs,p.native_symbols,p.threads]+p._samples+p._markers;"
        "print(sum(x.estimated_size() for x in t)/2**20)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], cwd=ROOT.parent, capture_output=True, check=True
    )
    return float(out.stdout.decode().strip())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Run the profile_frames benchmark suite.")
    ap.add_argument("--size", default="200MB")
    ap.add_argument(
        "--layouts",
        default="v70",
        help="comma-separated: v70, v55, samply-import, gecko-multiprocess, marker-heavy",
    )
    ap.add_argument("--no-gz", action="store_true", help="skip the .json.gz variants")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--cases", default="", help="comma-separated subset of cases")
    ap.add_argument("--no-baselines", action="store_true")
    ap.add_argument(
        "--mem-limit-gb",
        type=float,
        default=default_memory_limit_gb(),
        help="kill a baseline process whose resident memory passes this (default: 95%% of RAM;"
        " 0: no limit)",
    )
    ap.add_argument("--timeout", type=float, default=1800.0)
    ap.add_argument("--data", default=str(ROOT / "data"))
    ap.add_argument("--out", default=str(ROOT / "out"))
    args = ap.parse_args(argv)
    only = set(filter(None, args.cases.split(",")))
    files = []
    for layout in args.layouts.split(","):
        for gz in (False,) if args.no_gz or layout in REAL_SHAPES else (False, True):
            files.append(ensure_profile(args.size, layout, gz, Path(args.data)))
    host = machine()
    report = {
        "size": args.size,
        "reps": args.reps,
        "date": host["date"],
        "machine": host,
        "files": [],
    }
    for i, path in enumerate(files):
        cases = [c for c in LOAD_CASES if c != "gunzip" or path.suffix == ".gz"]
        if any(path.name.endswith(f"-{layout}.json") for layout in REAL_SHAPES):
            cases = list(REAL_SHAPE_CASES)
            if path.name.endswith("-gecko-multiprocess.json"):  # they read processed files only
                cases = [c for c in cases if c not in ("orjson_polars", "seed_json_loop")]
        elif i == 0:
            cases += ANALYSIS_CASES
        if args.no_baselines:
            cases = [c for c in cases if c not in BASELINES]
        if only:
            cases = [c for c in cases if c in only]
        entry = {
            "name": path.name,
            "bytes": path.stat().st_size,
            "json_mb": json_size(path) / 1e6,
            "results": [],
        }
        for case in cases:
            limit = args.mem_limit_gb if case in BASELINES else None
            res = measure(case, path, reps=args.reps, mem_limit_gb=limit, timeout=args.timeout)
            entry["results"].append(res)
            print(
                f"{path.name:40s} {case:22s} {res['status']:8s} {res.get('seconds_median', float('nan')):8.3f} s {res.get('peak_rss_mib', float('nan')):8.0f} MiB",
                file=sys.stderr,
            )
        if "load" in cases:
            entry["tables_mib"] = tables_mib(path)
        report["files"].append(entry)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"results-{args.size.lower()}"
    (out / f"{stem}.json").write_text(json.dumps(report, indent=2))
    (out / f"{stem}.md").write_text(markdown(report))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
