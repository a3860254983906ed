"""Shared test helpers: where ../shared lives, and how to read the official CLI's outputs."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FIXTURES = SHARED / "fixtures"
PROFILES = FIXTURES / "profiles"
EXPECTED = FIXTURES / "expected"
DATA = Path(__file__).resolve().parent / "data"

needs_shared = pytest.mark.skipif(
    not PROFILES.is_dir(), reason="../shared/fixtures is not present beside this checkout"
)


def all_profiles() -> list[Path]:
    if not PROFILES.is_dir():
        return []
    return sorted(
        p for p in PROFILES.rglob("*") if p.is_file() and not p.name.endswith(".syms.json")
    )


def expected_name(path: Path) -> str:
    name = path.name
    if name.endswith(".gz"):
        name = name[:-3]
    for ext in (".json", ".jslb"):
        if name.endswith(ext):
            name = name[: -len(ext)]
    return name


def read_json(path: Path):
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return json.load(f)
    return json.loads(path.read_text(encoding="utf-8"))


def expected_file(name: str, stem: str) -> Path | None:
    for p in (EXPECTED / name / f"{stem}.json", EXPECTED / name / f"{stem}.json.gz"):
        if p.exists():
            return p
    return None


def weights_by_name(thread) -> tuple[Counter, Counter]:
    """Our self and total per Firefox Profiler ``nameWithLibrary`` (summed over funcs sharing a
    name), without zero entries: the form the official CLI's function lists are compared in."""
    from profile_frames.analysis.calltree import name_with_library

    f = thread.functions()
    names = name_with_library(thread.funcs).gather(f["func"]).to_list()
    self_c, total_c = Counter(), Counter()
    for n, s, t in zip(names, f["self"].to_list(), f["total"].to_list()):
        self_c[n] += s
        total_c[n] += t
    return +self_c, +total_c


@pytest.fixture(params=["C", "numpy"])
def number_parser(request, monkeypatch) -> str:
    """Run a test with the C number parser (profile_frames.native) and again without it."""
    from profile_frames import native

    if request.param == "C" and not native.available():
        pytest.skip("the C extension was not built (no C compiler when installed)")
    if request.param == "numpy":
        monkeypatch.setattr(native, "_json_numbers", None)
    return request.param


@pytest.fixture
def numpy_parser(monkeypatch) -> None:
    """Turn the C number parser off: the test is about the numpy path it stands in for."""
    from profile_frames import native

    monkeypatch.setattr(native, "_json_numbers", None)
