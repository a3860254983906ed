"""The Firefox Profiler's call-tree unit tests, ported: each case of tests/firefox_call_trees.py
builds its profile from the profiler's text-sample notation, applies the same transforms through
our API and compares our call tree, rendered as the profiler's ``formatTree`` lines."""

from __future__ import annotations

import pytest

import profile_frames

from .firefox_call_trees import CASES, COMPARE_CASES
from .text_samples import format_tree, profile_from_text_samples, to_bytes


@pytest.mark.parametrize("case", CASES, ids=[c["source"].split(" › ", 1)[1] for c in CASES])
def test_call_tree_equals_the_firefox_profilers(case):
    weights = [case["weights"]] if "weights" in case else None
    texts = case["samples"] if isinstance(case["samples"], list) else [case["samples"]]
    doc = profile_from_text_samples(*texts, weights=weights, markers=case.get("markers"))
    profile = profile_frames.load(to_bytes(doc))
    threads = case.get("threads", [0])
    thread = profile.thread(threads[0]) if len(threads) == 1 else profile.merged(threads)
    for method, args, kwargs in case["steps"]:
        thread = getattr(thread, method)(*args, **kwargs)
    got = format_tree(
        thread, inverted=case.get("inverted", False), categories=case.get("categories", False)
    )
    assert got == case["expected"], case["source"]


@pytest.mark.parametrize(
    "case", COMPARE_CASES, ids=[c["source"].split(" › ", 1)[1] for c in COMPARE_CASES]
)
def test_compare_view_call_tree_equals_the_firefox_profilers(case):
    """The compare view's threads (``profile_frames.comparison_profile``): each profile's
    thread, and the comparison thread with the first one's samples weighing negatively."""
    profiles = []
    for i, text in enumerate(case["compare"]):
        doc = profile_from_text_samples(text)
        if "intervals" in case:
            doc["meta"]["interval"] = case["intervals"][i]
        profiles.append(profile_frames.load(to_bytes(doc)))
    merged = profile_frames.comparison_profile(*profiles, before_thread=0, after_thread=0)
    thread = merged.thread(case.get("thread", 2))
    for method, args, kwargs in case["steps"]:
        thread = getattr(thread, method)(*args, **kwargs)
    assert format_tree(thread) == case["expected"], case["source"]
