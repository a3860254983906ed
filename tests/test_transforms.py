"""Transforms, butterfly and groups on a hand-built profile; expected numbers worked out here.

Samples (root first, weight), at times 0..5:
  0: A B C    w1
  1: A B      w2
  2: A D B C  w3
  3: A B B    w1   (direct recursion)
  4: (null)   w5   (counts nowhere)
  5: E        w1
Counted weight = 1+2+3+1+1 = 8.
"""

from __future__ import annotations

import re

import pytest

import profile_frames
from profile_frames.analysis import transforms as T

from .builders import SAMPLES, load_thread, processed_profile, to_bytes


@pytest.fixture(scope="module")
def thread():
    return load_thread(
        SAMPLES,
        libraries={"A": "app", "D": "app", "B": "libx", "C": "libx"},
        categories={"B": 1, "C": 1},
    )


def weights(t):
    f = t.functions()
    return {r["function"]: (r["self"], r["total"]) for r in f.iter_rows(named=True)}


def test_baseline(thread):
    assert weights(thread) == {"C": (4, 4), "B": (3, 7), "E": (1, 1), "A": (0, 7), "D": (0, 3)}
    assert thread.functions()["total_pct"][0] == pytest.approx(100 * 4 / 8)


def test_merge_function_gives_self_to_caller(thread):
    assert weights(thread.merge_function("B")) == {
        "C": (4, 4),
        "A": (3, 7),
        "E": (1, 1),
        "D": (0, 3),
    }


def test_drop_function_removes_samples_from_the_denominator(thread):
    t = thread.drop_function("B")
    assert weights(t) == {"E": (1, 1)}
    assert t.functions()["self_pct"][0] == 100.0


def test_focus_function_reroots_at_outermost_call(thread):
    t = thread.focus_function("B")
    assert weights(t) == {"C": (4, 4), "B": (3, 7)}
    tree = t.call_tree()
    assert tree.filter(tree["parent"].is_null())["function"].to_list() == ["B"]


def test_focus_subtree_root_first(thread):
    t = thread.focus_subtree(["A", "B"])
    assert weights(t) == {"B": (3, 4), "C": (1, 1)}


def test_focus_subtree_inverted_maps_to_where_the_suffix_completes(thread):
    t = thread.focus_subtree(["C", "B"], inverted=True)
    assert weights(t) == {"B": (4, 4), "A": (0, 4), "D": (0, 3)}


def test_collapse_direct_recursion(thread):
    t = thread.collapse_recursion("B", direct_only=True)
    assert weights(t) == weights(thread)
    tree = t.call_tree()
    ab = tree.filter((tree["function"] == "B") & (tree["depth"] == 1))
    assert ab["self"].to_list() == [3] and ab["total"].to_list() == [4]
    assert tree.filter(tree["parent"] == ab["node"][0])["function"].to_list() == [
        "C"
    ]  # no B→B left


def test_collapse_indirect_recursion():
    prof = processed_profile([(["F", "G", "F", "H"], 2), (["F", "G"], 1)])
    t = profile_frames.load(to_bytes(prof)).thread(0)
    direct = t.collapse_recursion("F", direct_only=True).call_tree()
    assert direct["depth"].max() == 3  # F→G→F→H untouched: no direct recursion
    tree = t.collapse_recursion("F").call_tree()
    rows = {
        (r["function"], r["depth"]): (r["self"], r["total"]) for r in tree.iter_rows(named=True)
    }
    assert rows == {("F", 0): (0, 3), ("H", 1): (2, 2), ("G", 1): (1, 1)}


def test_collapse_function_subtree(thread):
    assert weights(thread.collapse_function_subtree("B")) == {
        "B": (7, 7),
        "E": (1, 1),
        "A": (0, 7),
        "D": (0, 3),
    }


def test_collapse_library_merges_consecutive_frames(thread):
    t = thread.collapse_library("libx")
    assert weights(t) == {"libx": (7, 7), "E": (1, 1), "A": (0, 7), "D": (0, 3)}
    assert t.call_tree()["depth"].max() == 2  # A→D→libx


def test_focus_category(thread):
    assert weights(thread.focus_category("User")) == {"C": (4, 4), "B": (3, 7)}


def test_time_range_and_search(thread):
    assert weights(thread.between(1, 3)) == {"B": (2, 5), "C": (3, 3), "A": (0, 5), "D": (0, 3)}
    assert weights(thread.filter_samples("D")) == {
        "C": (3, 3),
        "A": (0, 3),
        "B": (0, 3),
        "D": (0, 3),
    }
    assert weights(thread.filter_samples(re.compile("^E$"))) == {"E": (1, 1)}


def test_transforms_compose_and_never_mutate(thread):
    before = weights(thread)
    t = thread.transform(T.MergeFunction("D"), T.FocusFunction("B"))
    assert [str(x) for x in t.transforms] == ["merge-function D", "focus-function B"]
    assert weights(t) == {"C": (4, 4), "B": (3, 7)}
    assert weights(thread) == before


def test_callers_and_callees_do_not_double_count_recursion(thread):
    callers = {r["function"]: r["total"] for r in thread.callers("B").iter_rows(named=True)}
    assert callers == {"A": 4, "D": 3, "B": 1}
    callees = {r["function"]: r["total"] for r in thread.callees("B").iter_rows(named=True)}
    assert callees == {"C": 4, "B": 1}


def test_group_time_counts_each_sample_once(thread):
    g = {
        r["group"]: (r["self"], r["total"])
        for r in thread.group_time({"AB": ["A", "B"]}).iter_rows(named=True)
    }
    assert g == {"AB": (3, 7), "other": (5, 5)}
    g = thread.group_time({"lib": re.compile("^[BC]$")})
    assert g.row(0, named=True)["total"] == 7


def test_by_library_and_category(thread):
    libs = {
        r["library"]: (r["self"], r["total"]) for r in thread.by_library().iter_rows(named=True)
    }
    assert libs == {"libx": (7, 7), "(none)": (1, 1), "app": (0, 7)}
    cats = {
        r["category"]: (r["self"], r["total"]) for r in thread.by_category().iter_rows(named=True)
    }
    assert cats == {"User": (7, 7), "Other": (1, 8)}


def test_inverted_tree(thread):
    tree = thread.call_tree(inverted=True)
    roots = {
        r["function"]: (r["self"], r["total"])
        for r in tree.filter(tree["parent"].is_null()).iter_rows(named=True)
    }
    assert roots == {"C": (4, 4), "B": (3, 3), "E": (1, 1)}
    assert tree["total"].filter(tree["parent"].is_null()).sum() == 8


def test_unknown_function_is_a_clear_error(thread):
    with pytest.raises(profile_frames.ProfileKeyError, match="no function matches 'Nope'"):
        thread.merge_function("Nope")


def test_focus_subtree_reads_its_path_in_the_views_implementation():
    """Hand-worked on the profiler's JS tree: in the JS view onLoad→a is reached through
    js::jit::IonCannon.cpp too, so both a.js nodes become the root."""
    import profile_frames

    from .firefox_call_trees import JS_TREE
    from .text_samples import format_tree, profile_from_text_samples, to_bytes

    t = profile_frames.load(to_bytes(profile_from_text_samples(JS_TREE))).thread(0)
    js = t.focus_subtree(["onLoad.js", "a.js"], implementation="js")
    assert format_tree(js) == ["- a.js (total: 3, self: —)", "  - b.js (total: 3, self: 3)"]
    combined = t.focus_subtree(["JS::RunScript.cpp", "onLoad.js", "a.js"])
    assert format_tree(combined) == ["- a.js (total: 1, self: —)", "  - b.js (total: 1, self: 1)"]
    assert format_tree(t.with_implementation("js").focus_subtree(["onLoad.js", "a.js"])) == [
        "- a.js (total: 3, self: —)",
        "  - b.js (total: 3, self: 3)",
    ]


def test_inverted_focus_subtree_reads_the_path_in_one_implementation():
    """focusInvertedSubtree: from the leaf up, frames of the other implementation are passed
    over and any other frame ends the match; each sample keeps the stack where the path ends."""
    from .text_samples import format_tree, profile_from_text_samples, to_bytes

    text = """
      A.js   A.js   A.js
      B.cpp  B.cpp  C.js
      C.js   D.js   E.cpp
      E.cpp  E.cpp
    """
    t = profile_frames.load(to_bytes(profile_from_text_samples(text))).thread(0)
    js = t.transform(T.FocusSubtree(("C.js",), inverted=True, implementation="js"))
    # samples 1 (E.cpp skipped, then C.js) and 3 (E.cpp skipped, then C.js) stay, at C.js
    assert format_tree(js) == [
        "- A.js (total: 2, self: —)",
        "  - B.cpp (total: 1, self: —)",
        "    - C.js (total: 1, self: 1)",
        "  - C.js (total: 1, self: 1)",
    ]
    combined = t.transform(T.FocusSubtree(("C.js",), inverted=True))
    assert format_tree(combined) == []  # E.cpp, the leaf, is not C.js
    both = t.transform(T.FocusSubtree(("E.cpp", "C.js"), inverted=True))
    assert format_tree(both) == [
        "- A.js (total: 2, self: —)",
        "  - B.cpp (total: 1, self: —)",
        "    - C.js (total: 1, self: 1)",
        "  - C.js (total: 1, self: 1)",
    ]
    # a JS frame that is not the path's ends the match in the js view
    d = t.transform(T.FocusSubtree(("D.js",), inverted=True, implementation="js"))
    assert format_tree(d) == [
        "- A.js (total: 1, self: —)",
        "  - B.cpp (total: 1, self: —)",
        "    - D.js (total: 1, self: 1)",
    ]
    a = t.transform(T.FocusSubtree(("A.js",), inverted=True, implementation="js"))
    assert format_tree(a) == []  # C.js or D.js comes first from the leaf


@pytest.mark.parametrize("key_range", [6, 70_000])
def test_outermost_nodes_are_those_without_an_ancestor_of_the_same_key(key_range):
    """The "counted once per sample" test over DFS intervals, on random forests, against a
    walk up each node's ancestors: with 16-bit keys (sorted by radix over the preorder) and
    with wider ones (a comparison sort)."""
    import numpy as np

    from profile_frames.analysis.calltree import dfs_intervals, outermost
    from profile_frames.tree import depths

    rng = np.random.default_rng(key_range)
    for _ in range(100):
        n = int(rng.integers(1, 200))
        parent = np.array([-1] + [int(rng.integers(-1, i)) for i in range(1, n)])
        key = rng.integers(-1, key_range, n)
        got = outermost(key, *dfs_intervals(parent, depths(parent)))
        want = []
        for i in range(n):
            a = parent[i]
            while a >= 0 and key[a] != key[i]:
                a = parent[a]
            want.append(bool(key[i] >= 0 and a < 0))
        assert got.tolist() == want
