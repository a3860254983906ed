"""Fuzzing in the normal test run: a bounded, seeded campaign over every fixture, every
regression input ever found, and checks that the harness itself can fail.

Every case runs in a worker process under a time and memory limit (``tests/fuzz.py``); long
campaigns: ``python -m tests.fuzz --seconds 600``.
"""

from __future__ import annotations

import json
import random
import sys

import pytest

from .conftest import DATA, all_profiles, needs_shared
from .fuzz import Verdict, Worker, judge, load_seed, make_case
from .mutate import mutate_bytes, mutate_document, mutate_jslb

SEED = 20261201  # fixed, so a failure here reproduces with the same case number
CASES_PER_FIXTURE = 6
CASES_PER_BIG_FIXTURE = 2  # fixtures over 1 MB decoded: each case costs a second or more
BIG = 1_000_000
FINDINGS = DATA / "fuzz"
MANIFEST = json.loads((FINDINGS / "findings.json").read_text())


@pytest.fixture(scope="module")
def worker():
    with Worker(time_limit_s=30.0, memory_mb=2048) as w:
        yield w


def _explain(case, verdict: Verdict) -> str:
    return (
        f"{case.fixture} {case.mutator} case #{case.seed} (seed {SEED}): {verdict.kind}: "
        f"{verdict.detail}"
    )


@needs_shared
@pytest.mark.parametrize("path", all_profiles(), ids=lambda p: p.name)
def test_seeded_mutants_fail_cleanly_or_load_right(path, worker):
    seed = load_seed(path)
    bad = []
    cases = CASES_PER_BIG_FIXTURE if len(seed.raw) > BIG else CASES_PER_FIXTURE
    for number in range(cases):
        case = make_case(seed, number, SEED)
        verdict = worker.judge(case.data, reference=case.reference)
        if verdict.kind != "ok":
            bad.append(_explain(case, verdict))
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("name", sorted(MANIFEST), ids=str)
def test_every_past_finding_stays_fixed(name, worker):
    entry = MANIFEST[name]
    verdict = worker.judge((FINDINGS / name).read_bytes(), reference=entry["reference"])
    assert verdict.kind == "ok", f"{name} ({entry['finding']}): {verdict.kind}: {verdict.detail}"


def test_every_regression_file_is_listed():
    files = {p.name for p in FINDINGS.iterdir() if p.suffix in (".json", ".gz", ".bin", ".jslb")}
    assert files - {"findings.json"} == set(MANIFEST)


# ------------------------------------------------------------- the harness can fail


def test_the_judge_sees_numbers_that_differ_from_the_reference():
    from .builders import processed_profile, to_bytes

    doc = processed_profile([(["A", "B"], 1), (["A"], 2)])
    assert judge(to_bytes(doc), reference=True).kind == "ok"
    other = processed_profile([(["A", "B"], 1), (["A"], 3)])
    import profile_frames

    from .fuzz import _numbers

    verdict = _numbers(profile_frames.load(to_bytes(doc)), other)
    assert verdict is not None and verdict.kind == "wrong-numbers:differs-from-reference"


def test_the_judge_flags_a_load_the_reference_cannot_read():
    import profile_frames

    from .builders import processed_profile
    from .fuzz import _numbers

    doc = processed_profile([(["A", "B"], 1)])
    profile = profile_frames.load(json.dumps(doc).encode())
    doc["shared"]["funcTable"]["name"] = [0, 99]  # what the library did not see
    verdict = _numbers(profile, doc)
    assert verdict is not None and "reference-cannot-read" in verdict.kind


def test_the_judge_flags_an_unlocated_error(monkeypatch):
    import profile_frames
    from profile_frames import ProfileFormatError

    def unlocated(*args, **kwargs):
        raise ProfileFormatError("no path, no offset", source="<bytes>")

    monkeypatch.setattr(profile_frames, "load", unlocated)
    assert judge(b"{}", reference=False).kind.startswith("error-unlocated")

    def escapes(*args, **kwargs):
        raise KeyError("threads")

    monkeypatch.setattr(profile_frames, "load", escapes)
    assert judge(b"{}", reference=False).kind.startswith("escape:KeyError")


class _FakeWorker(Worker):
    def __init__(self, code: str, **limits):
        super().__init__(**limits)
        self.code = code

    def _start(self):
        import subprocess

        return subprocess.Popen(
            [sys.executable, "-c", self.code], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )


def test_the_worker_is_stopped_at_its_time_limit():
    with _FakeWorker("import time; time.sleep(60)", time_limit_s=1.0) as w:
        assert w.judge(b"{}", reference=False).kind == "timeout"


def test_the_worker_is_stopped_at_its_memory_limit():
    code = "import time; x = b'x' * (700 << 20); time.sleep(60)"
    with _FakeWorker(code, time_limit_s=30.0, memory_mb=300) as w:
        assert w.judge(b"{}", reference=False).kind == "memory"


def test_a_dying_worker_is_a_crash_and_is_replaced():
    with _FakeWorker("import os; os._exit(3)", time_limit_s=10.0) as w:
        assert w.judge(b"{}", reference=False).kind.startswith("crash")
        assert w.judge(b"{}", reference=False).kind.startswith("crash")  # a new one each time


# ------------------------------------------------------------- the mutators


def test_mutators_are_deterministic_and_leave_their_input_alone():
    from .builders import processed_profile, to_bytes

    doc = processed_profile([(["A", "B"], 1), (["A"], 2)])
    before = json.dumps(doc)
    a = [json.dumps(mutate_document(doc, random.Random(k))) for k in range(30)]
    b = [json.dumps(mutate_document(doc, random.Random(k))) for k in range(30)]
    assert a == b and json.dumps(doc) == before
    assert len(set(a)) > 20  # they do change things
    raw = to_bytes(doc)
    assert mutate_bytes(raw, random.Random(1)) == mutate_bytes(raw, random.Random(1))


@needs_shared
def test_jslb_mutants_keep_a_readable_container_when_only_the_root_changes():
    import gzip

    from .conftest import PROFILES
    from .mutate import _jslb_pack, _jslb_parts

    raw = gzip.decompress((PROFILES / "samply" / "samply-rustup-macos-v68.jslb.gz").read_bytes())
    import profile_frames

    repacked = profile_frames.load(_jslb_pack(*_jslb_parts(raw)))
    assert repacked.functions().equals(profile_frames.load(raw).functions())
    outs = {mutate_jslb(raw, random.Random(k)) for k in range(10)}
    assert raw not in outs and len(outs) > 5
