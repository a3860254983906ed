"""Our transforms against the official CLI's own sample filters on a real recording.

The golden file was written by tests/oracle/make_filter_goldens.py (the official
@firefox-devtools/profiler-cli 0.10.0 with `filter push --merge / --root-at /
--excludes-function`); it is the CLI's output, never edited.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

import profile_frames

from .conftest import PROFILES, needs_shared, weights_by_name

GOLDEN = Path(__file__).parent / "data" / "cli-filters-samply-0.13-linux-python-t1.json"
CASES = json.loads(GOLDEN.read_text())["filters"]


@needs_shared
@pytest.mark.parametrize("case", CASES, ids=[c["flag"] for c in CASES])
def test_transform_matches_cli_filter(case):
    thread = profile_frames.load(
        PROFILES / "samply" / "samply-0.13-linux-python.json", symbols=False
    ).thread(1)
    name = case["function"]  # nameWithLibrary: 'lib!0x…' selects exactly that func
    transformed = {
        "merge": thread.merge_function,
        "root-at": thread.focus_function,
        "excludes-function": thread.drop_function,
    }[case["flag"]](name)
    want_self, want_total = Counter(), Counter()
    for n, s, t in case["rows"]:
        want_self[n] += s
        want_total[n] += t
    got_self, got_total = weights_by_name(transformed)
    assert got_self == +want_self
    assert got_total == +want_total
