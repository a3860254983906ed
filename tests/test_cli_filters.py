"""Our transforms against the official CLI's own sample filters on real recordings.

The golden files were written by tests/oracle/make_filter_goldens.py (the official
@firefox-devtools/profiler-cli 0.10.0 with `filter push --merge / --root-at /
--excludes-function / --includes-function / --includes-suffix / --includes-prefix /
--during-marker / --outside-marker`); they are the CLI's output, never edited.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

import profile_frames

from .conftest import PROFILES, needs_shared, weights_by_name

DATA = Path(__file__).parent / "data"
GOLDENS = {
    "cli-filters-samply-0.13-linux-python-t1.json": PROFILES
    / "samply"
    / "samply-0.13-linux-python.json",
    "cli-filters-firefox-147-macos-argument-values-v58-t0.json": PROFILES
    / "firefox"
    / "firefox-147-macos-argument-values-v58.json",
}
CASES = [
    (name, doc["thread"], case)
    for name in GOLDENS
    for doc in [json.loads((DATA / name).read_text())]
    for case in doc["filters"]
]


def _apply(thread, case: dict):
    names = case.get("functions") or [case.get("function")]
    one = names[0]  # nameWithLibrary: 'lib!0x…' selects exactly that func
    flag = case["flag"]
    if flag == "includes-prefix":
        return thread.keep_stack_prefix(names)
    if flag in ("during-marker", "outside-marker"):
        return thread.during_markers(case["search"], outside=flag == "outside-marker")
    return {
        "merge": thread.merge_function,
        "root-at": thread.focus_function,
        "excludes-function": thread.drop_function,
        "includes-function": thread.keep_function,
        "includes-suffix": thread.keep_stack_suffix,
    }[flag](one)


@needs_shared
@pytest.mark.parametrize(
    "golden,index,case", CASES, ids=[f"{n.split('-t')[0][12:]}-{c['flag']}" for n, _, c in CASES]
)
def test_transform_matches_cli_filter(golden, index, case):
    thread = profile_frames.load(GOLDENS[golden], symbols=False).thread(index)
    want_self, want_total = Counter(), Counter()
    for n, s, t in case["rows"]:
        want_self[n] += s
        want_total[n] += t
    got_self, got_total = weights_by_name(_apply(thread, case))
    assert got_self == +want_self
    assert got_total == +want_total
