"""``profile.functions()`` over many threads (one forest of (thread, stack) nodes) against
each thread's own ``functions()`` (its view's call nodes), on every real fixture and on the
generated real shapes."""

from __future__ import annotations

import io

import numpy as np
import polars as pl
import pytest

import profile_frames
from benchmarks.shapes import write_gecko_multiprocess, write_samply_import
from profile_frames.analysis import timing

from .conftest import all_profiles, needs_shared


def _per_thread(profile: profile_frames.Profile, **options) -> pl.DataFrame:
    """The same table from each thread's view and call nodes (the forest turned off)."""
    forest = timing._forest_weights
    timing._forest_weights = lambda profile, rows: None
    try:
        return profile.functions(**options)
    finally:
        timing._forest_weights = forest


def _both(profile: profile_frames.Profile, **options) -> tuple[pl.DataFrame, pl.DataFrame]:
    return profile.functions(**options), _per_thread(profile, **options)


@needs_shared
@pytest.mark.parametrize("path", all_profiles(), ids=lambda p: p.name)
def test_every_fixture_equals_its_threads_call_nodes(path):
    try:
        profile = profile_frames.load(path, symbols=False)
    except profile_frames.ProfileFormatError:
        pytest.skip("a fixture the Firefox Profiler cannot load either (see test_golden)")
    forest, per_thread = _both(profile)
    assert forest.equals(per_thread)


@pytest.mark.parametrize("write", [write_samply_import, write_gecko_multiprocess])
def test_generated_real_shapes_equal_their_threads_call_nodes(write):
    buf = io.BytesIO()
    write(buf, target_bytes=2_000_000, seed=3)
    profile = profile_frames.load(buf.getvalue())
    assert profile.threads.height >= 10
    forest, per_thread = _both(profile)
    assert forest.equals(per_thread)
    some = [0, profile.threads["index"][-1], 2]
    assert profile.functions(some).equals(_per_thread(profile, threads=some))


def test_recursion_counts_once_in_total():
    """A -> B -> A: A's total is the sample once, not twice."""
    from tests.builders import processed_profile, to_bytes

    p = profile_frames.load(to_bytes(processed_profile([(["A", "B", "A"], 3), (["A"], 1)])))
    rows = {r["function"]: r for r in p.functions().iter_rows(named=True)}
    assert (rows["A"]["self"], rows["A"]["total"]) == (4, 4)
    assert (rows["B"]["self"], rows["B"]["total"]) == (0, 3)


def test_negative_weights_are_left_to_the_call_nodes():
    """Their 100 % denominator sums the call nodes' absolute weights: no forest."""
    from profile_frames.analysis.forest import forest_function_weights
    from profile_frames.stack_sums import StackCounts

    counts = [StackCounts(np.array([0]), np.array([-2]))]
    assert forest_function_weights(np.array([-1]), np.array([0]), np.array([0]), counts) is None
