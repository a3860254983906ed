"""Fuzzing the loader: seeded mutation campaigns over the fixtures, and an atheris target.

Every case is judged by :func:`judge`: loading must either fail with a located
``ProfileFormatError`` naming the input, or succeed with the numbers the plain-Python reference
(``tests/reference.py``) computes from the same JSON, with every export written whole. Cases
run in a worker process that the campaign kills when a case passes its time or memory limit,
so a hang or a runaway allocation is a finding like any other.

Long campaigns::

    python -m tests.fuzz --seconds 600 --seed 7          # structural + byte + JSLB mutations
    python -m tests.fuzz --atheris -- -max_total_time=600  # coverage-guided (pip install .[fuzz])

The first input of each distinct failure is written to ``--out`` (default ``fuzz-findings/``);
keep it as a regression file in ``tests/data/fuzz/`` (see its ``findings.json``).

Example
-------
>>> judge(b'{"meta": {}}', reference=False).kind
'ok'
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import json
import math
import os
import pickle
import random
import select
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .mutate import mutate_bytes, mutate_document, mutate_jslb, serialise

ROOT = Path(__file__).resolve().parent.parent
FINDINGS = Path(__file__).resolve().parent / "data" / "fuzz"
TIME_LIMIT_S = 20.0
MEMORY_LIMIT_MB = 2048


@dataclass(frozen=True)
class Verdict:
    """``kind`` is ``ok`` or a failure class (stable across inputs, used to count distinct
    failures); ``detail`` says what happened for this input."""

    kind: str
    detail: str = ""


@dataclass(frozen=True)
class Case:
    fixture: str
    mutator: str
    seed: int
    data: bytes
    reference: bool  # the reference's numbers apply to this input


# ---------------------------------------------------------------- judging one input


def _where(exc: BaseException) -> str:
    """The innermost frame of profile_frames (or else of anything) that raised ``exc``."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "profile_frames" in f.filename] or frames
    if not ours:
        return "?"
    f = ours[-1]
    return f"{Path(f.filename).name}:{f.name}"


def _strict_json(data: bytes):
    """The document as JSON.parse reads it, or None (gzip is undone; JSLB is not JSON)."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except Exception:
            return None

    def refuse(token):
        raise ValueError(token)

    try:
        return json.loads(data, parse_constant=refuse)
    except Exception:
        return None


def _close(a: Counter, b: Counter) -> bool:
    keys = {k for k, v in a.items() if v} | {k for k, v in b.items() if v}
    return all(math.isclose(a.get(k, 0), b.get(k, 0), rel_tol=1e-9, abs_tol=1e-9) for k in keys)


def _numbers(profile, doc) -> Verdict | None:
    """Compare every thread's self/total with the reference; None when they agree."""
    from .reference import ours, thread_weights

    threads = doc.get("threads") if isinstance(doc, dict) else None
    if not isinstance(threads, list) or len(threads) != profile.threads.height:
        return Verdict("wrong-numbers:thread-count", f"{profile.threads.height} threads loaded")
    for i in range(len(threads)):
        try:
            want_self, want_total = thread_weights(doc, i)
        except Exception as e:
            return Verdict(
                "wrong-numbers:loaded-what-the-reference-cannot-read",
                f"thread {i}: reference {type(e).__name__}: {e}",
            )
        got_self, got_total = ours(profile.thread(i))
        if not (_close(want_self, got_self) and _close(want_total, got_total)):
            return Verdict("wrong-numbers:differs-from-reference", f"thread {i}")
    return None


def _exports(profile, folder: Path) -> Verdict | None:
    """Write every export of the main thread (and the whole profile) into an empty folder;
    nothing but the finished files may be left there."""
    from profile_frames.export.folded import write_folded
    from profile_frames.export.pprof import write_pprof
    from profile_frames.export.speedscope import write_speedscope

    if profile.threads.height == 0:
        return None
    main = profile.main_thread()
    steps = {
        "out.folded": lambda p: write_folded(main, p, with_library=True),
        "out.pb.gz": lambda p: write_pprof(main, p),
        "out.speedscope.json": lambda p: write_speedscope(profile, p),
        "out.svg": lambda p: main.flamegraph().save(p),
        "saved": lambda p: profile.save(str(p)),
    }
    from profile_frames import ExportError

    refused = set()
    for name, write in steps.items():
        try:
            write(folder / name)
        except ExportError:  # values the format cannot hold: refused whole, nothing written
            refused.add(name)
        except Exception as e:
            return Verdict(f"export-escape:{name}:{type(e).__name__}@{_where(e)}", str(e)[:300])
    left = sorted(p.name for p in folder.iterdir())
    if left != sorted(set(steps) - refused):
        return Verdict("export-not-atomic", f"folder holds {left}")
    return None


def judge(data: bytes, *, reference: bool, exports: bool = True) -> Verdict:
    """The verdict on loading ``data`` (see the module docstring for the rules)."""
    import profile_frames
    from profile_frames import ProfileFormatError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            profile = profile_frames.load(data)
            profile.functions()
    except ProfileFormatError as e:
        if type(e) is not ProfileFormatError:
            return Verdict(f"error-subclass:{type(e).__name__}", str(e))
        if e.source != "<bytes>":
            return Verdict("error-without-source", str(e))
        if e.path is None and e.offset is None:
            return Verdict(f"error-unlocated@{_where(e)}", str(e)[:300])
        if "unexpected profile structure" in e.message:
            return Verdict(f"error-vague@{e.message.split('(')[-1][:40]}", str(e)[:300])
        return Verdict("ok", "rejected")
    except BaseException as e:
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        return Verdict(f"escape:{type(e).__name__}@{_where(e)}", f"{type(e).__name__}: {e}"[:300])
    try:
        if reference:
            doc = _strict_json(data)
            if doc is None:
                return Verdict("lenient:not-strict-json", "loaded although JSON.parse refuses it")
            wrong = _numbers(profile, doc)
            if wrong:
                return wrong
        if exports:
            with tempfile.TemporaryDirectory(prefix="pf-fuzz-") as folder:
                bad = _exports(profile, Path(folder))
                if bad:
                    return bad
    except BaseException as e:
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        return Verdict(f"escape:{type(e).__name__}@{_where(e)}", f"{type(e).__name__}: {e}"[:300])
    return Verdict("ok", "loaded")


# ---------------------------------------------------------------- making cases


@dataclass
class Seed:
    """One fixture, decoded once: its bytes, its JSON document and whether the reference agrees
    with the library on it (only then are mutants' numbers compared)."""

    name: str
    raw: bytes  # decompressed
    doc: object | None
    jslb: bool
    gzipped: bool
    reference: bool
    version_key: tuple = field(default=())


def _version(doc) -> tuple:
    meta = doc.get("meta") if isinstance(doc, dict) else None
    if not isinstance(meta, dict):
        return ()
    return (meta.get("version"), meta.get("preprocessedProfileVersion"))


def load_seed(path: Path) -> Seed:
    import profile_frames

    from .reference import nonzero, ours, thread_weights

    raw = path.read_bytes()
    gzipped = raw[:2] == b"\x1f\x8b"
    if gzipped:
        raw = gzip.decompress(raw)
    jslb = raw[2:6] == b"JSLB"
    doc = None if jslb else json.loads(raw)
    agrees = False
    threads = doc.get("threads") if isinstance(doc, dict) else None
    processed = isinstance(threads, list) and (
        "shared" in doc or any(isinstance(t, dict) and "stackTable" in t for t in threads)
    )
    if processed:
        try:
            profile = profile_frames.load(path)
            agrees = all(
                tuple(nonzero(c) for c in thread_weights(doc, i)) == ours(profile.thread(i))
                for i in range(len(doc["threads"]))
            )
        except Exception:
            agrees = False
    return Seed(path.name, raw, doc, jslb, gzipped, agrees, _version(doc))


def make_case(seed: Seed, number: int, campaign_seed: int) -> Case:
    """Case ``number`` of a campaign: a structural mutant (re-serialised), a byte mutant, or a
    JSLB mutant, gzipped like the fixture half of the time."""
    key = hashlib.sha256(f"{campaign_seed}:{seed.name}:{number}".encode()).digest()
    rng = random.Random(int.from_bytes(key[:8], "little"))
    if seed.jslb:
        data, mutator, reference = mutate_jslb(seed.raw, rng), "jslb", False
    elif rng.random() < 0.6 and seed.doc is not None:
        doc = mutate_document(seed.doc, rng)
        data, mutator = serialise(doc, rng), "structure"
        reference = seed.reference and _version(doc) == seed.version_key
    else:
        data, mutator = mutate_bytes(seed.raw, rng), "bytes"
        reference = seed.reference and _version(_strict_json(data)) == seed.version_key
    if seed.gzipped and rng.random() < 0.5:
        data = gzip.compress(data, compresslevel=1, mtime=0)
    return Case(seed.name, mutator, number, data, reference)


# ---------------------------------------------------------------- the guarded worker


def _send(stream, obj) -> None:
    blob = pickle.dumps(obj)
    stream.write(struct.pack("<Q", len(blob)) + blob)
    stream.flush()


def _receive(stream):
    head = stream.read(8)
    if len(head) < 8:
        raise EOFError
    return pickle.loads(stream.read(struct.unpack("<Q", head)[0]))


def _worker() -> None:
    """Judge (data, reference, exports) tuples from stdin, answer on stdout."""
    channel_in = os.fdopen(os.dup(0), "rb")
    channel_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, never into the protocol
    while True:
        try:
            data, reference, exports = _receive(channel_in)
        except EOFError:
            return
        verdict = judge(data, reference=reference, exports=exports)
        _send(channel_out, (verdict.kind, verdict.detail))  # plain values: this is __main__


def _rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Worker:
    """A subprocess judging cases, replaced whenever a case kills it or passes a limit."""

    def __init__(self, time_limit_s: float = TIME_LIMIT_S, memory_mb: int = MEMORY_LIMIT_MB):
        self.time_limit_s = time_limit_s
        self.memory_mb = memory_mb
        self.proc: subprocess.Popen | None = None

    def _start(self) -> subprocess.Popen:
        env = dict(os.environ, PYTHONPATH=str(ROOT), POLARS_MAX_THREADS="1")
        return subprocess.Popen(
            [sys.executable, "-m", "tests.fuzz", "--worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
            env=env,
        )

    def judge(self, data: bytes, *, reference: bool, exports: bool = True) -> Verdict:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        proc = self.proc
        assert proc.stdin is not None and proc.stdout is not None
        try:
            _send(proc.stdin, (data, reference, exports))
        except BrokenPipeError:
            self.close()
            return Verdict("crash", "worker gone before the case")
        start = time.monotonic()
        while True:
            ready, _, _ = select.select([proc.stdout], [], [], 0.05)
            if ready:
                try:
                    return Verdict(*_receive(proc.stdout))
                except EOFError:
                    code = proc.wait()
                    self.proc = None
                    return Verdict(f"crash:exit-{code}", "the worker died on this input")
            if time.monotonic() - start > self.time_limit_s:
                self.close()
                return Verdict("timeout", f"over {self.time_limit_s:.0f} s")
            rss = _rss_mb(proc.pid)
            if rss > self.memory_mb:
                self.close()
                return Verdict("memory", f"RSS {rss:.0f} MB > {self.memory_mb} MB")

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---------------------------------------------------------------- campaigns


@dataclass
class Summary:
    cases: int = 0
    by_mutator: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    failures: dict = field(default_factory=dict)  # kind -> (case, verdict), first one seen

    def add(self, case: Case, verdict: Verdict) -> None:
        self.cases += 1
        self.by_mutator[case.mutator] += 1
        self.outcomes[verdict.detail if verdict.kind == "ok" else verdict.kind] += 1
        if verdict.kind != "ok" and verdict.kind not in self.failures:
            self.failures[verdict.kind] = (case, verdict)

    def text(self) -> str:
        lines = [f"{self.cases} cases ({dict(self.by_mutator)}); outcomes {dict(self.outcomes)}"]
        lines += [f"{len(self.failures)} distinct failures"]
        for kind, (case, verdict) in sorted(self.failures.items()):
            lines.append(f"  {kind}: {case.fixture} {case.mutator} #{case.seed}: {verdict.detail}")
        return "\n".join(lines)


def campaign_cases(
    seeds: list[Seed], campaign_seed: int, per_fixture: int | None = None
) -> Iterator[Case]:
    """Cases round-robin over the fixtures, ``per_fixture`` each (or without end)."""
    number = 0
    while per_fixture is None or number < per_fixture:
        for seed in seeds:
            yield make_case(seed, number, campaign_seed)
        number += 1


def run_campaign(
    seeds: list[Seed],
    *,
    campaign_seed: int,
    per_fixture: int | None = None,
    seconds: float | None = None,
    out: Path | None = None,
    time_limit_s: float = TIME_LIMIT_S,
) -> Summary:
    summary = Summary()
    deadline = None if seconds is None else time.monotonic() + seconds
    with Worker(time_limit_s=time_limit_s) as worker:
        for case in campaign_cases(seeds, campaign_seed, per_fixture):
            if deadline is not None and time.monotonic() > deadline:
                break
            verdict = worker.judge(case.data, reference=case.reference)
            new = verdict.kind != "ok" and verdict.kind not in summary.failures
            summary.add(case, verdict)
            if new and out is not None:
                out.mkdir(parents=True, exist_ok=True)
                stem = f"{Path(case.fixture).stem}-{case.mutator}-{case.seed}"
                (out / f"{stem}.bin").write_bytes(case.data)
                (out / f"{stem}.txt").write_text(
                    f"{verdict.kind}\n{verdict.detail}\nreference={case.reference}\n"
                )
    return summary


def fixture_paths() -> list[Path]:
    from .conftest import all_profiles

    return all_profiles()


def _atheris(argv: list[str]) -> None:  # pragma: no cover - needs the fuzz extra
    import atheris
    import ijson  # noqa: F401  (dependencies first: only our code is instrumented)
    import numpy  # noqa: F401
    import polars  # noqa: F401
    import pyarrow  # noqa: F401

    with atheris.instrument_imports(include=["profile_frames"]):
        import profile_frames  # noqa: F401

    def one_input(data: bytes) -> None:
        verdict = judge(data, reference=False, exports=False)
        if verdict.kind != "ok":
            raise AssertionError(f"{verdict.kind}: {verdict.detail}")

    if not any(not a.startswith("-") for a in argv):  # no corpus given: start from the fixtures
        corpus = Path(tempfile.mkdtemp(prefix="pf-atheris-"))
        for path in fixture_paths():
            if path.stat().st_size <= 100_000:
                (corpus / path.name).write_bytes(path.read_bytes())
        argv = [*argv, str(corpus)]
    atheris.Setup([sys.argv[0], "-max_len=100000", *argv], one_input)
    atheris.Fuzz()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fuzz", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--out", type=Path, default=Path("fuzz-findings"))
    parser.add_argument("--time-limit", type=float, default=TIME_LIMIT_S)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--atheris", action="store_true", help="coverage-guided (atheris) run")
    parser.add_argument("--replay", type=Path, help="judge one saved input, in this process")
    parser.add_argument("--reference", action="store_true", help="with --replay: check numbers")
    args, rest = parser.parse_known_args(argv)
    if args.worker:
        _worker()
        return 0
    if args.replay:
        verdict = judge(args.replay.read_bytes(), reference=args.reference)
        print(f"{verdict.kind}: {verdict.detail}")
        return 0 if verdict.kind == "ok" else 1
    if args.atheris:
        _atheris([a for a in rest if a != "--"])
        return 0
    seeds = [load_seed(p) for p in fixture_paths()]
    print(f"seed {args.seed}; {len(seeds)} fixtures; {args.seconds:.0f} s", flush=True)
    summary = run_campaign(
        seeds,
        campaign_seed=args.seed,
        seconds=args.seconds,
        out=args.out,
        time_limit_s=args.time_limit,
    )
    print(summary.text())
    return 1 if summary.failures else 0


if __name__ == "__main__":
    sys.exit(main())
