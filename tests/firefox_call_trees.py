"""Call-tree assertions of the Firefox Profiler's own unit tests, as data.

Each case names its source (file › describe › it) in the profiler repository
(firefox-devtools/profiler, ``src/test/store/``; ``profile-tree`` and ``merge-compare`` are in
``src/test/unit/``), the text samples of its profile, the
transforms applied (our Thread methods and their arguments), whether the tree is inverted, and
the expected ``formatTree`` lines, transcribed from the test. ``tests/test_firefox_call_trees.py``
runs them.
"""

from __future__ import annotations

T = "transforms.test.ts"

FOCUS_SUBTREE = """
      A  A  A
      B  B  B
      C  C  H
      D  F  I
      E  G
"""
FOCUS_SUBTREE_FULL = [
    "- A (total: 3, self: —)",
    "  - B (total: 3, self: —)",
    "    - C (total: 2, self: —)",
    "      - D (total: 1, self: —)",
    "        - E (total: 1, self: 1)",
    "      - F (total: 1, self: —)",
    "        - G (total: 1, self: 1)",
    "    - H (total: 1, self: —)",
    "      - I (total: 1, self: 1)",
]
INVERTED_SUBTREE = """
      A  A  A
      B  B  B
      C  X  C
      D  Y  X
      E  Z  Y
            Z
"""
MERGE_FUNCTION = """
      A  A  A
      B  B  B
      C  C  H
      D  F  C
      E  G
"""
DROP_FUNCTION = """
      A  A  A  A
      B  B  C  B
      C  C     E
         D
"""
FOCUS_FUNCTION = """
      A  A  A
      X  B  B
      Y  X  X
      C  Y  Y
         X  X
         Y  Y
         D  D
"""
FOCUS_SELF = """
      A  A  A
      X  B  B
         X  X
            Y
"""
COLLAPSE_RESOURCE = """
      A               A
      B[lib:firefox]  E[lib:firefox]
      C[lib:firefox]  F
      D
"""
COLLAPSE_SUBTREE = """
    A  A  A  A
    B  B  B  B
    C  C  H  H
    D  F  C  C
    E  G  I  J
"""
DIRECT_RECURSION = """
      A[file:a][line:5]   A[file:a][line:5]   A[file:a][line:5]   A[file:a][line:8]
      B[file:b][line:10]  B[file:b][line:10]  B[file:b][line:18]  F[file:f][line:50]
      B[file:b][line:10]  B[file:b][line:17]  E[file:e][line:40]
      B[file:b][line:15]  D[file:d][line:30]
      C[file:c][line:20]
"""
DIRECT_RECURSION_FULL = [
    "- A (total: 4, self: —)",
    "  - B (total: 3, self: —)",
    "    - B (total: 2, self: —)",
    "      - B (total: 1, self: —)",
    "        - C (total: 1, self: 1)",
    "      - D (total: 1, self: 1)",
    "    - E (total: 1, self: 1)",
    "  - F (total: 1, self: 1)",
]
DIRECT_RECURSION_COLLAPSED = [
    "- A (total: 4, self: —)",
    "  - B (total: 3, self: —)",
    "    - C (total: 1, self: 1)",
    "    - D (total: 1, self: 1)",
    "    - E (total: 1, self: 1)",
    "  - F (total: 1, self: 1)",
]
INDIRECT_RECURSION = """
      A[file:a][line:5]   A[file:a][line:5]   A[file:a][line:5]   A[file:a][line:8]
      B[file:b][line:10]  B[file:b][line:10]  B[file:b][line:18]  G[file:g][line:50]
      C[file:c][line:17]  C[file:c][line:17]  F[file:f][line:40]
      B[file:b][line:15]  E[file:e][line:30]
      D[file:d][line:20]
"""
TINY = """
      A[cat:Graphics]
      B[cat:Layout]
      C[cat:Graphics]
"""
CATEGORY_LONG = """
        A[cat:Graphics]
        B[cat:Layout]
        D[cat:Layout]
        A[cat:Graphics]
        D[cat:Layout]
"""

PV = "profile-view.test.ts"
TM = "thread-merging.test.ts"
MERGING = [
    """
        A  A  A  A
        B  B  B  B
        C  C  C  C
              D  D
""",
    """
        A  A  F  F
        B  B  G  G
        C  C
        D  D
        E  E
""",
]
MERGED = [
    "- A (total: 6, self: —)",
    "  - B (total: 6, self: —)",
    "    - C (total: 6, self: 2)",
    "      - D (total: 4, self: 2)",
    "        - E (total: 2, self: 2)",
    "- F (total: 2, self: —)",
    "  - G (total: 2, self: 2)",
]
PT = "profile-tree.test.ts"
CATEGORIES_TREE = """
      A                A           A
      B[cat:DOM]       B[cat:DOM]  B[cat:DOM]
      C[cat:Graphics]  X           C[cat:Graphics]
      D[cat:Other]     Y           X
      E                Z           Y
                                   Z
"""
SEARCH = (
    "\n        A[lib:K][file:S]  A[lib:K][file:S]     A[lib:K][file:S]   D[lib:nNn][file:uV]"
    "  C[lib:m][file:t]"
    "\n        B[lib:L][file:t]  B[lib:L][file:t]     E[lib:O][file:Pq]"
    "\n        A[lib:K][file:S]  C[lib:m][file:t]"
    "\n        B[lib:L][file:t]  D[lib:nNn][file:uV]" + "\n        B[lib:L][file:t]" * 30 + "\n"
)
SEARCH_C = [
    "- A (total: 1, self: —)",
    "  - B (total: 1, self: —)",
    "    - C (total: 1, self: —)",
    "      - D (total: 1, self: 1)",
    "- C (total: 1, self: 1)",
]
SEARCH_D = [
    "- A (total: 1, self: —)",
    "  - B (total: 1, self: —)",
    "    - C (total: 1, self: —)",
    "      - D (total: 1, self: 1)",
    "- D (total: 1, self: 1)",
]


def _graphics(
    describe: str,
    samples: str,
    expected: list[str],
    *,
    it: str = "category Graphics can be focused",
    inverted: bool = False,
) -> dict:
    """A focus-category case of the profiler's tests (they all focus Graphics)."""
    return {
        "source": f"{T} › focus-category › {describe} › {it}",
        "samples": samples,
        "steps": [("focus_category", ("Graphics",), {})],
        "inverted": inverted,
        "expected": expected,
    }


def _search(it: str, term: str, expected: list[str]) -> dict:
    return {
        "source": f"{PV} › changeCallTreeSearchString › {it} ({term!r})",
        "samples": SEARCH,
        "steps": [("filter_samples", (term,), {})],
        "expected": expected,
    }


FILTER = """
      A  A  A  A  A
      B  B  C  B  F
      C  C     E
         D
"""
FILTER_MARKERS = [
    ("DOMEvent", 0, 0.5, {"type": "DOMEvent", "latency": 7, "eventType": "click"}),
    ("Log", 0.5, 1.5, {"type": "Log", "name": "Random log message", "module": "RandomModule"}),
    ("UserTiming", 1.5, 2.5, {"type": "UserTiming", "name": "measure-2", "entryType": "measure"}),
    ("UserTiming", 2.5, 3.5, {"type": "UserTiming", "name": "measure-2", "entryType": "measure"}),
]
FS = f"{T} › filter-samples"
ABC = ["- A (total: 1, self: —)", "  - B (total: 1, self: —)", "    - C (total: 1, self: 1)"]
ABCD = [
    "- A (total: 1, self: —)",
    "  - B (total: 1, self: —)",
    "    - C (total: 1, self: —)",
    "      - D (total: 1, self: 1)",
]


def _marker_case(it: str, search: str, expected: list[str], *, outside: bool = False) -> dict:
    markers = FILTER_MARKERS if not outside else [FILTER_MARKERS[0], *FILTER_MARKERS[2:]]
    kind = "outside-marker filter type" if outside else "on a call tree"
    return {
        "source": f"{FS} › {kind} › {it}",
        "samples": FILTER,
        "markers": markers,
        "steps": [("during_markers", (search,), {"outside": outside})],
        "expected": expected,
    }


JS_TREE = """
      JS::RunScript.cpp  JS::RunScript.cpp       JS::RunScript.cpp
      onLoad.js          onLoad.js               onLoad.js
      a.js               js::jit::IonCannon.cpp  js::jit::IonCannon.cpp
      b.js               a.js                    a.js
                         b.js                    b.js
"""
MCN_JS = f"{T} › merge-call-node › on a JS call tree"
RESOURCE_CPP = """
      A.js                A.js
      B.cpp[lib:firefox]  H.cpp[lib:firefox]
      C.js                I.js
      D.cpp[lib:firefox]
      E.js
      F.cpp
      G.js
"""
RECURSION_JS = """
      A.js   A.js   A.js   A.js   A.js
      B.js   B.js   B.js   B.js   G.js
      B.js   B.js   B.js   F.js
      C.cpp  C.cpp  C.cpp
      B.js   E.js
      D.js
"""

CASES = [
    {
        "source": f"{MCN_JS} › starts as an untransformed call tree",
        "samples": JS_TREE,
        "steps": [],
        "expected": [
            "- JS::RunScript.cpp (total: 3, self: —)",
            "  - onLoad.js (total: 3, self: —)",
            "    - js::jit::IonCannon.cpp (total: 2, self: —)",
            "      - a.js (total: 2, self: —)",
            "        - b.js (total: 2, self: 2)",
            "    - a.js (total: 1, self: —)",
            "      - b.js (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{MCN_JS} › has an untransformed JS only view",
        "samples": JS_TREE,
        "steps": [("with_implementation", ("js",), {})],
        "expected": [
            "- onLoad.js (total: 3, self: —)",
            "  - a.js (total: 3, self: —)",
            "    - b.js (total: 3, self: 3)",
        ],
    },
    {
        "source": f'{MCN_JS} › can merge the node at JS path "onLoad" -> "A"',
        "samples": JS_TREE,
        "steps": [
            ("with_implementation", ("js",), {}),
            ("merge_call_node", (["onLoad.js", "a.js"],), {}),
        ],
        "expected": ["- onLoad.js (total: 3, self: —)", "  - b.js (total: 3, self: 3)"],
    },
    {
        "source": f'{MCN_JS} › can merge the node at JS path "onLoad" -> "A" on an combined call tree',
        "samples": JS_TREE,
        "steps": [("merge_call_node", (["onLoad.js", "a.js"],), {"implementation": "js"})],
        "expected": [
            "- JS::RunScript.cpp (total: 3, self: —)",
            "  - onLoad.js (total: 3, self: —)",
            "    - js::jit::IonCannon.cpp (total: 2, self: —)",
            "      - b.js (total: 2, self: 2)",
            "    - b.js (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{MCN_JS} › can merge a combined CallNodePath, and display a correct JS call tree",
        "samples": JS_TREE,
        "steps": [
            ("with_implementation", ("js",), {}),
            (
                "merge_call_node",
                (["JS::RunScript.cpp", "onLoad.js", "a.js"],),
                {"implementation": "combined"},
            ),
        ],
        "expected": [
            "- onLoad.js (total: 3, self: —)",
            "  - a.js (total: 2, self: —)",
            "    - b.js (total: 2, self: 2)",
            "  - b.js (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{TM} › thread merging › can merge threads when multiple threads are selected (one thread)",
        "samples": MERGING,
        "steps": [],
        "expected": [
            "- A (total: 4, self: —)",
            "  - B (total: 4, self: —)",
            "    - C (total: 4, self: 2)",
            "      - D (total: 2, self: 2)",
        ],
    },
    {
        "source": f"{TM} › thread merging › can merge threads when multiple threads are selected",
        "samples": MERGING,
        "threads": [0, 1],
        "steps": [],
        "expected": MERGED,
    },
    {
        "source": f"{TM} › thread merging › can use thread keys for transforms (thread 0)",
        "samples": MERGING,
        "steps": [("merge_function", ("B",), {})],
        "expected": [
            "- A (total: 4, self: —)",
            "  - C (total: 4, self: 2)",
            "    - D (total: 2, self: 2)",
        ],
    },
    {
        "source": f"{TM} › thread merging › can use thread keys for transforms (merged threads)",
        "samples": MERGING,
        "threads": [0, 1],
        "steps": [("merge_function", ("C",), {})],
        "expected": [
            "- A (total: 6, self: —)",
            "  - B (total: 6, self: 2)",
            "    - D (total: 4, self: 2)",
            "      - E (total: 2, self: 2)",
            "- F (total: 2, self: —)",
            "  - G (total: 2, self: 2)",
        ],
    },
    {
        "source": f"{FS} › on a call tree › starts as an unfiltered call tree",
        "samples": FILTER,
        "markers": FILTER_MARKERS,
        "steps": [],
        "expected": [
            "- A (total: 5, self: —)",
            "  - B (total: 3, self: —)",
            "    - C (total: 2, self: 1)",
            "      - D (total: 1, self: 1)",
            "    - E (total: 1, self: 1)",
            "  - C (total: 1, self: 1)",
            "  - F (total: 1, self: 1)",
        ],
    },
    _marker_case('filters to range of "DOMEvent"', "DOMEvent", ABC),
    _marker_case('filters to range of "DOMEvent" by looking at its fields', "click", ABC),
    _marker_case('filters to range of "Log"', "Log", ABCD),
    _marker_case('filters to range of "Log" by looking at its fields', "Random log message", ABCD),
    _marker_case(
        'filters to multiple ranges of "UserTiming"',
        "UserTiming",
        [
            "- A (total: 2, self: —)",
            "  - B (total: 1, self: —)",
            "    - E (total: 1, self: 1)",
            "  - C (total: 1, self: 1)",
        ],
    ),
    _marker_case("filters to a non-existent marker name", "non-existent", []),
    _marker_case(
        "keeps samples outside a single marker range",
        "DOMEvent",
        [
            "- A (total: 4, self: —)",
            "  - B (total: 2, self: —)",
            "    - C (total: 1, self: —)",
            "      - D (total: 1, self: 1)",
            "    - E (total: 1, self: 1)",
            "  - C (total: 1, self: 1)",
            "  - F (total: 1, self: 1)",
        ],
        outside=True,
    ),
    _marker_case(
        "keeps samples outside multiple marker ranges",
        "UserTiming",
        [
            "- A (total: 3, self: —)",
            "  - B (total: 2, self: —)",
            "    - C (total: 2, self: 1)",
            "      - D (total: 1, self: 1)",
            "  - F (total: 1, self: 1)",
        ],
        outside=True,
    ),
    {
        "source": f"{FS} › function-include filter type › keeps only samples whose stack contains the specified function",
        "samples": FILTER,
        "steps": [("keep_function", ("B",), {})],
        "expected": [
            "- A (total: 3, self: —)",
            "  - B (total: 3, self: —)",
            "    - C (total: 2, self: 1)",
            "      - D (total: 1, self: 1)",
            "    - E (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{FS} › function-include filter type › keeps samples containing any of the specified functions",
        "samples": FILTER,
        "steps": [("keep_function", (["B", "F"],), {})],
        "expected": [
            "- A (total: 4, self: —)",
            "  - B (total: 3, self: —)",
            "    - C (total: 2, self: 1)",
            "      - D (total: 1, self: 1)",
            "    - E (total: 1, self: 1)",
            "  - F (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{FS} › stack-prefix filter type › keeps only samples whose stack starts with the specified prefix",
        "samples": FILTER,
        "steps": [("keep_stack_prefix", (["A", "B"],), {})],
        "expected": [
            "- A (total: 3, self: —)",
            "  - B (total: 3, self: —)",
            "    - C (total: 2, self: 1)",
            "      - D (total: 1, self: 1)",
            "    - E (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{FS} › stack-suffix filter type › keeps only samples whose leaf frame is the specified function",
        "samples": FILTER,
        "steps": [("keep_stack_suffix", ("C",), {})],
        "expected": [
            "- A (total: 2, self: —)",
            "  - B (total: 1, self: —)",
            "    - C (total: 1, self: 1)",
            "  - C (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{PT} › profile-tree › computes correct numbers when using large weights",
        "samples": """
      A  A
      B  C
""",
        "weights": [485407757, 1222],
        "steps": [],
        "expected": [
            "- A (total: 485,408,979, self: —)",
            "  - B (total: 485,407,757, self: 485,407,757)",
            "  - C (total: 1,222, self: 1,222)",
        ],
    },
    {
        "source": f"{PT} › profile-tree › computed structure with categories › computes an unfiltered call tree",
        "samples": """
      A           A                A
      B[cat:DOM]  B[cat:DOM]       B[cat:DOM]
      C           C                H
      D           F[cat:Graphics]  I[cat:Other]
      E           G
""",
        "steps": [],
        "categories": True,
        "expected": [
            "- A [Other] (total: 3, self: —)",
            "  - B [DOM] (total: 3, self: —)",
            "    - C [DOM] (total: 2, self: —)",
            "      - D [DOM] (total: 1, self: —)",
            "        - E [DOM] (total: 1, self: 1)",
            "      - F [Graphics] (total: 1, self: —)",
            "        - G [Graphics] (total: 1, self: 1)",
            "    - H [DOM] (total: 1, self: —)",
            "      - I [Other] (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{PT} › inverted call tree › computed structure › computes a non-inverted call tree",
        "samples": CATEGORIES_TREE,
        "steps": [],
        "categories": True,
        "expected": [
            "- A [Other] (total: 3, self: —)",
            "  - B [DOM] (total: 3, self: —)",
            "    - C [Graphics] (total: 2, self: —)",
            "      - D [Other] (total: 1, self: —)",
            "        - E [Other] (total: 1, self: 1)",
            "      - X [Graphics] (total: 1, self: —)",
            "        - Y [Graphics] (total: 1, self: —)",
            "          - Z [Graphics] (total: 1, self: 1)",
            "    - X [DOM] (total: 1, self: —)",
            "      - Y [DOM] (total: 1, self: —)",
            "        - Z [DOM] (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{PT} › inverted call tree › computed structure › computes an inverted call tree",
        "samples": CATEGORIES_TREE,
        "steps": [],
        "categories": True,
        "inverted": True,
        "expected": [
            "- Z [Other] (total: 2, self: 2)",
            "  - Y [Other] (total: 2, self: —)",
            "    - X [Other] (total: 2, self: —)",
            "      - B [DOM] (total: 1, self: —)",
            "        - A [Other] (total: 1, self: —)",
            "      - C [Graphics] (total: 1, self: —)",
            "        - B [DOM] (total: 1, self: —)",
            "          - A [Other] (total: 1, self: —)",
            "- E [Other] (total: 1, self: 1)",
            "  - D [Other] (total: 1, self: —)",
            "    - C [Graphics] (total: 1, self: —)",
            "      - B [DOM] (total: 1, self: —)",
            "        - A [Other] (total: 1, self: —)",
        ],
    },
    {
        "source": f"{PV} › changeCallTreeSearchString › starts as an unfiltered call tree",
        "samples": SEARCH,
        "steps": [],
        "expected": [
            "- A (total: 3, self: —)",
            "  - B (total: 2, self: —)",
            "    - A (total: 1, self: —)",
            *[f"{'  ' * (3 + k)}- B (total: 1, self: —)" for k in range(30)],
            f"{'  ' * 33}- B (total: 1, self: 1)",
            "    - C (total: 1, self: —)",
            "      - D (total: 1, self: 1)",
            "  - E (total: 1, self: 1)",
            "- C (total: 1, self: 1)",
            "- D (total: 1, self: 1)",
        ],
    },
    _search("filters out all samples if there is no match", "F", []),
    _search("filters based on function names", "c", SEARCH_C),
    _search("filters based on function names", "C", SEARCH_C),
    _search("filters based on filenames", "u", SEARCH_D),
    _search(
        "filters based on filenames",
        "pQ",
        ["- A (total: 1, self: —)", "  - E (total: 1, self: 1)"],
    ),
    _search("filters based on library names", "M", SEARCH_C),
    _search("filters based on library names", "NN", SEARCH_D),
    {
        "source": f"{T} › focus-subtree › on a call tree › starts as an unfiltered call tree",
        "samples": FOCUS_SUBTREE,
        "steps": [],
        "expected": FOCUS_SUBTREE_FULL,
    },
    {
        "source": f"{T} › focus-subtree › on a call tree › can be filtered to a subtree",
        "samples": FOCUS_SUBTREE,
        "steps": [("focus_subtree", (["A", "B", "C"],), {})],
        "expected": [
            "- C (total: 2, self: —)",
            "  - D (total: 1, self: —)",
            "    - E (total: 1, self: 1)",
            "  - F (total: 1, self: —)",
            "    - G (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{T} › focus-subtree › on an inverted call tree › starts as an inverted call tree",
        "samples": INVERTED_SUBTREE,
        "steps": [],
        "inverted": True,
        "expected": [
            "- Z (total: 2, self: 2)",
            "  - Y (total: 2, self: —)",
            "    - X (total: 2, self: —)",
            "      - B (total: 1, self: —)",
            "        - A (total: 1, self: —)",
            "      - C (total: 1, self: —)",
            "        - B (total: 1, self: —)",
            "          - A (total: 1, self: —)",
            "- E (total: 1, self: 1)",
            "  - D (total: 1, self: —)",
            "    - C (total: 1, self: —)",
            "      - B (total: 1, self: —)",
            "        - A (total: 1, self: —)",
        ],
    },
    {
        "source": f"{T} › focus-subtree › on an inverted call tree › can be filtered to a subtree",
        "samples": INVERTED_SUBTREE,
        "steps": [("focus_subtree", (["Z", "Y", "X"],), {"inverted": True})],
        "inverted": True,
        "expected": [
            "- X (total: 2, self: 2)",
            "  - B (total: 1, self: —)",
            "    - A (total: 1, self: —)",
            "  - C (total: 1, self: —)",
            "    - B (total: 1, self: —)",
            "      - A (total: 1, self: —)",
        ],
    },
    {
        "source": f"{T} › focus-subtree › on an inverted call tree › can be un-inverted and keep the transform",
        "samples": INVERTED_SUBTREE,
        "steps": [("focus_subtree", (["Z", "Y", "X"],), {"inverted": True})],
        "expected": [
            "- A (total: 2, self: —)",
            "  - B (total: 2, self: —)",
            "    - C (total: 1, self: —)",
            "      - X (total: 1, self: 1)",
            "    - X (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{T} › merge-call-node › on a call tree › starts as an unfiltered call tree",
        "samples": FOCUS_SUBTREE,
        "steps": [],
        "expected": FOCUS_SUBTREE_FULL,
    },
    {
        "source": f"{T} › merge-call-node › on a call tree › call node [A, B, C] can be merged into [A, B]",
        "samples": FOCUS_SUBTREE,
        "steps": [("merge_call_node", (["A", "B", "C"],), {})],
        "expected": [
            "- A (total: 3, self: —)",
            "  - B (total: 3, self: —)",
            "    - D (total: 1, self: —)",
            "      - E (total: 1, self: 1)",
            "    - F (total: 1, self: —)",
            "      - G (total: 1, self: 1)",
            "    - H (total: 1, self: —)",
            "      - I (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{T} › merge-function › on a call tree › starts as an unfiltered call tree",
        "samples": MERGE_FUNCTION,
        "steps": [],
        "expected": [
            "- A (total: 3, self: —)",
            "  - B (total: 3, self: —)",
            "    - C (total: 2, self: —)",
            "      - D (total: 1, self: —)",
            "        - E (total: 1, self: 1)",
            "      - F (total: 1, self: —)",
            "        - G (total: 1, self: 1)",
            "    - H (total: 1, self: —)",
            "      - C (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{T} › merge-function › on a call tree › function C can be merged into callers",
        "samples": MERGE_FUNCTION,
        "steps": [("merge_function", ("C",), {})],
        "expected": [
            "- A (total: 3, self: —)",
            "  - B (total: 3, self: —)",
            "    - D (total: 1, self: —)",
            "      - E (total: 1, self: 1)",
            "    - F (total: 1, self: —)",
            "      - G (total: 1, self: 1)",
            "    - H (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{T} › drop-function › on a call tree › starts as an unfiltered call tree",
        "samples": DROP_FUNCTION,
        "steps": [],
        "expected": [
            "- A (total: 4, self: —)",
            "  - B (total: 3, self: —)",
            "    - C (total: 2, self: 1)",
            "      - D (total: 1, self: 1)",
            "    - E (total: 1, self: 1)",
            "  - C (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{T} › drop-function › on a call tree › function C can be merged into callers",
        "samples": DROP_FUNCTION,
        "steps": [("drop_function", ("C",), {})],
        "expected": [
            "- A (total: 1, self: —)",
            "  - B (total: 1, self: —)",
            "    - E (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{T} › focus-function › on a call tree › starts as an unfiltered call tree",
        "samples": FOCUS_FUNCTION,
        "steps": [],
        "expected": [
            "- A (total: 3, self: —)",
            "  - B (total: 2, self: —)",
            "    - X (total: 2, self: —)",
            "      - Y (total: 2, self: —)",
            "        - X (total: 2, self: —)",
            "          - Y (total: 2, self: —)",
            "            - D (total: 2, self: 2)",
            "  - X (total: 1, self: —)",
            "    - Y (total: 1, self: —)",
            "      - C (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{T} › focus-function › on a call tree › can be focused on a function",
        "samples": FOCUS_FUNCTION,
        "steps": [("focus_function", ("X",), {})],
        "expected": [
            "- X (total: 3, self: —)",
            "  - Y (total: 3, self: —)",
            "    - X (total: 2, self: —)",
            "      - Y (total: 2, self: —)",
            "        - D (total: 2, self: 2)",
            "    - C (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{T} › focus-self › on a call tree › starts as an unfiltered call tree",
        "samples": FOCUS_SELF,
        "steps": [],
        "expected": [
            "- A (total: 3, self: —)",
            "  - B (total: 2, self: —)",
            "    - X (total: 2, self: 1)",
            "      - Y (total: 1, self: 1)",
            "  - X (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{T} › focus-self › on a call tree › can focus-self on a function",
        "samples": FOCUS_SELF,
        "steps": [("focus_self", ("X",), {})],
        "expected": ["- X (total: 2, self: 2)"],
    },
    {
        "source": f"{T} › focus-self › with implementation filter and descendants › keeps non-filtered descendants to show where self time goes",
        "samples": """
      A.js    A.js    A.js
      X.js    X.js    X.js
      Y.cpp   Y.cpp   Y.cpp
      Z.cpp   Z.cpp   Z.cpp
""",
        "steps": [("focus_self", ("X.js",), {"implementation": "js"})],
        "expected": [
            "- X.js (total: 3, self: —)",
            "  - Y.cpp (total: 3, self: —)",
            "    - Z.cpp (total: 3, self: 3)",
        ],
    },
    {
        "source": f"{T} › focus-self › with recursion › handles recursion correctly",
        "samples": """
      A  A  A
      X  X  X
      Y  Y  Y
      X  X  X
""",
        "steps": [("focus_self", ("X",), {})],
        "expected": ["- X (total: 3, self: 3)"],
    },
    {
        "source": f"{T} › focus-category › on a tiny call tree › starts as an unfiltered call tree",
        "samples": TINY,
        "steps": [],
        "expected": [
            "- A (total: 1, self: —)",
            "  - B (total: 1, self: —)",
            "    - C (total: 1, self: 1)",
        ],
    },
    _graphics(
        "on a tiny call tree", TINY, ["- A (total: 1, self: —)", "  - C (total: 1, self: 1)"]
    ),
    _graphics(
        "on a slightly larger call tree",
        """
      A[cat:Graphics]
      B[cat:Layout]
      D[cat:Layout]
      C[cat:Graphics]
""",
        ["- A (total: 1, self: —)", "  - C (total: 1, self: 1)"],
    ),
    _graphics(
        "on a tinier call tree",
        """
      A[cat:Graphics]
      B[cat:Layout]
""",
        ["- A (total: 1, self: 1)"],
    ),
    _graphics(
        "on a small call tree",
        """
      A[cat:Graphics]  A[cat:Graphics]
      B[cat:Layout]
""",
        ["- A (total: 2, self: 2)"],
    ),
    # the original has two trailing spaces on its first row
    _graphics(
        "on a small call tree 2",
        "\n      B[cat:Layout]  A[cat:Graphics]  \n      A[cat:Graphics]\n",
        ["- A (total: 2, self: 2)"],
    ),
    _graphics(
        "on a longer larger call tree",
        CATEGORY_LONG,
        ["- A (total: 1, self: —)", "  - A (total: 1, self: 1)"],
    ),
    {
        "source": f"{T} › focus-category › on an inverted call tree › (before the transform)",
        "samples": CATEGORY_LONG,
        "steps": [],
        "inverted": True,
        "expected": [
            "- D (total: 1, self: 1)",
            "  - A (total: 1, self: —)",
            "    - D (total: 1, self: —)",
            "      - B (total: 1, self: —)",
            "        - A (total: 1, self: —)",
        ],
    },
    _graphics(
        "on an inverted call tree",
        CATEGORY_LONG,
        ["- A (total: 1, self: 1)", "  - A (total: 1, self: —)"],
        it="category Graphics can be focused after inversion",
        inverted=True,
    ),
    {
        "source": f"{T} › collapse-resource › combined implementation › starts as an unfiltered call tree",
        "samples": COLLAPSE_RESOURCE,
        "steps": [],
        "expected": [
            "- A (total: 2, self: —)",
            "  - B (total: 1, self: —)",
            "    - C (total: 1, self: —)",
            "      - D (total: 1, self: 1)",
            "  - E (total: 1, self: —)",
            "    - F (total: 1, self: 1)",
        ],
    },
    {
        "source": f'{T} › collapse-resource › combined implementation › can collapse the "firefox" library',
        "samples": COLLAPSE_RESOURCE,
        "steps": [("collapse_library", ("firefox",), {})],
        "expected": [
            "- A (total: 2, self: —)",
            "  - firefox (total: 2, self: —)",
            "    - D (total: 1, self: 1)",
            "    - F (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{T} › collapse-resource › specific implementation › starts as an unfiltered call tree",
        "samples": RESOURCE_CPP,
        "steps": [],
        "expected": [
            "- A.js (total: 2, self: —)",
            "  - B.cpp (total: 1, self: —)",
            "    - C.js (total: 1, self: —)",
            "      - D.cpp (total: 1, self: —)",
            "        - E.js (total: 1, self: —)",
            "          - F.cpp (total: 1, self: —)",
            "            - G.js (total: 1, self: 1)",
            "  - H.cpp (total: 1, self: —)",
            "    - I.js (total: 1, self: 1)",
        ],
    },
    {
        "source": f'{T} › collapse-resource › specific implementation › can collapse the "firefox" library as well as the C.js intermediate function',
        "samples": RESOURCE_CPP,
        "steps": [("collapse_library", ("firefox",), {"implementation": "cpp"})],
        "expected": [
            "- A.js (total: 2, self: —)",
            "  - firefox (total: 2, self: —)",
            "    - E.js (total: 1, self: —)",
            "      - F.cpp (total: 1, self: —)",
            "        - G.js (total: 1, self: 1)",
            "    - I.js (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{T} › collapse-direct-recursion › filtered implementation › starts as an unfiltered call tree",
        "samples": RECURSION_JS,
        "steps": [],
        "expected": [
            "- A.js (total: 5, self: —)",
            "  - B.js (total: 4, self: —)",
            "    - B.js (total: 3, self: —)",
            "      - C.cpp (total: 3, self: 1)",
            "        - B.js (total: 1, self: —)",
            "          - D.js (total: 1, self: 1)",
            "        - E.js (total: 1, self: 1)",
            "    - F.js (total: 1, self: 1)",
            "  - G.js (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{T} › collapse-direct-recursion › filtered implementation › can collapse the B function",
        "samples": RECURSION_JS,
        "steps": [("collapse_recursion", ("B.js",), {"direct_only": True, "implementation": "js"})],
        "expected": [
            "- A.js (total: 5, self: —)",
            "  - B.js (total: 4, self: —)",
            "    - C.cpp (total: 2, self: 1)",
            "      - E.js (total: 1, self: 1)",
            "    - D.js (total: 1, self: 1)",
            "    - F.js (total: 1, self: 1)",
            "  - G.js (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{T} › collapse-function-subtree › starts as an unfiltered call tree",
        "samples": COLLAPSE_SUBTREE,
        "steps": [],
        "expected": [
            "- A (total: 4, self: —)",
            "  - B (total: 4, self: —)",
            "    - C (total: 2, self: —)",
            "      - D (total: 1, self: —)",
            "        - E (total: 1, self: 1)",
            "      - F (total: 1, self: —)",
            "        - G (total: 1, self: 1)",
            "    - H (total: 2, self: —)",
            "      - C (total: 2, self: —)",
            "        - I (total: 1, self: 1)",
            "        - J (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{T} › collapse-function-subtree › can collapse the C function",
        "samples": COLLAPSE_SUBTREE,
        "steps": [("collapse_function_subtree", ("C",), {})],
        "expected": [
            "- A (total: 4, self: —)",
            "  - B (total: 4, self: —)",
            "    - C (total: 2, self: 2)",
            "    - H (total: 2, self: —)",
            "      - C (total: 2, self: 2)",
        ],
    },
    {
        "source": f"{T} › collapse-direct-recursion › combined implementation › starts as an unfiltered call tree",
        "samples": DIRECT_RECURSION,
        "steps": [],
        "expected": DIRECT_RECURSION_FULL,
    },
    {
        "source": f"{T} › collapse-direct-recursion › combined implementation › can collapse the B function",
        "samples": DIRECT_RECURSION,
        "steps": [("collapse_recursion", ("B",), {"direct_only": True})],
        "expected": DIRECT_RECURSION_COLLAPSED,
    },
    {
        "source": f"{T} › collapse-recursion › basic › can collapse the B function",
        "samples": DIRECT_RECURSION,
        "steps": [("collapse_recursion", ("B",), {})],
        "expected": DIRECT_RECURSION_COLLAPSED,
    },
    {
        "source": f"{T} › collapse-recursion › advanced › starts as an unfiltered call tree",
        "samples": INDIRECT_RECURSION,
        "steps": [],
        "expected": [
            "- A (total: 4, self: —)",
            "  - B (total: 3, self: —)",
            "    - C (total: 2, self: —)",
            "      - B (total: 1, self: —)",
            "        - D (total: 1, self: 1)",
            "      - E (total: 1, self: 1)",
            "    - F (total: 1, self: 1)",
            "  - G (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{T} › collapse-recursion › advanced › can collapse the B function",
        "samples": INDIRECT_RECURSION,
        "steps": [("collapse_recursion", ("B",), {})],
        "expected": [
            "- A (total: 4, self: —)",
            "  - B (total: 3, self: —)",
            "    - C (total: 1, self: —)",
            "      - E (total: 1, self: 1)",
            "    - D (total: 1, self: 1)",
            "    - F (total: 1, self: 1)",
            "  - G (total: 1, self: 1)",
        ],
    },
]

# The compare view: two profiles merged (mergeProfilesForDiffing), thread 2 the comparison
# thread, the first profile's samples weighing negatively. "compare" gives the two profiles'
# text samples; "thread" which thread of the merged profile the tree is of (default 2).
MC = "merge-compare.test.ts"
DIFFING = [
    """
        A  A  A  A  A  A  A
        B  B  B  B  C  B  B
        D  D  D  E  F  D  D
        F  F  F           F
    """,
    """
        A  A  A  A  A  A  A
        B  B  B  B  B  B  B
        D  D  D  G  I  E  I
        D  D  D
    """,
]
MERGE_A = """
      A  A  A
      B  B  B
      C  C  D
"""
MERGE_B = """
      X  X  X  X
      Y  Y  Z  Z
"""
TRANSFORMED_A = """
      A  A  A  A
      B  B  B  B
      C  C  D  D
      E  F  G  H
"""
TRANSFORMED_B = """
      P            P            P
      X[lib:libQ]  X[lib:libQ]  X[lib:libQ]
      Y[lib:libQ]  Y[lib:libQ]  Z
      W            V            W
"""
COMPARE_CASES = [
    {
        "source": f"{PT} › diffing trees › displays a proper call tree, including nodes with total = 0",
        "compare": DIFFING,
        "steps": [],
        "expected": [
            "- A (total: —, self: —)",
            "  - B (total: 1, self: —)",
            "    - D (total: -2, self: -1)",
            "      - F (total: -4, self: -4)",
            "      - D (total: 3, self: 3)",
            "    - I (total: 2, self: 2)",
            "    - G (total: 1, self: 1)",
            "  - C (total: -1, self: —)",
            "    - F (total: -1, self: -1)",
        ],
    },
    {
        "source": f"{PT} › diffing trees › displays a proper call tree, even for range-filtered threads",
        "compare": DIFFING,
        "steps": [("between", (4, 5), {})],
        "expected": [
            "- A (total: —, self: —)",
            "  - B (total: 1, self: —)",
            "    - I (total: 1, self: 1)",
            "  - C (total: -1, self: —)",
            "    - F (total: -1, self: -1)",
        ],
    },
    {
        "source": f"{MC} › mergeProfilesForDiffing function › should generate correct call trees for individual threads from each profile (thread 0)",
        "compare": [MERGE_A, MERGE_B],
        "thread": 0,
        "steps": [],
        "expected": [
            "- A (total: 3, self: —)",
            "  - B (total: 3, self: —)",
            "    - C (total: 2, self: 2)",
            "    - D (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{MC} › mergeProfilesForDiffing function › should generate correct call trees for individual threads from each profile (thread 1)",
        "compare": [MERGE_A, MERGE_B],
        "thread": 1,
        "steps": [],
        "expected": [
            "- X (total: 4, self: —)",
            "  - Y (total: 2, self: 2)",
            "  - Z (total: 2, self: 2)",
        ],
    },
    {
        "source": f"{MC} › mergeProfilesForDiffing function › should preserve transforms and produce matching call trees (thread 0)",
        "compare": [TRANSFORMED_A, TRANSFORMED_B],
        "thread": 0,
        "steps": [("focus_subtree", (["A", "B", "C"],), {})],
        "expected": [
            "- C (total: 2, self: —)",
            "  - E (total: 1, self: 1)",
            "  - F (total: 1, self: 1)",
        ],
    },
    {
        "source": f"{MC} › mergeProfilesForDiffing function › should preserve transforms and produce matching call trees (thread 1)",
        "compare": [TRANSFORMED_A, TRANSFORMED_B],
        "thread": 1,
        "steps": [
            ("collapse_library", ("libQ",), {}),
            ("focus_subtree", (["P", "libQ"],), {}),
        ],
        "expected": [
            "- libQ (total: 3, self: —)",
            "  - W (total: 1, self: 1)",
            "  - V (total: 1, self: 1)",
            "  - Z (total: 1, self: —)",
            "    - W (total: 1, self: 1)",
        ],
    },
    {
        # the test checks the comparison thread's weights ([2, -1]: B's sample first, its
        # 20 ms interval counting twice the shared 10 ms); here as the tree they make
        "source": f"{MC} › mergeProfilesForDiffing function › should set interval of merged profile to minimum of all intervals",
        "compare": ["A", "B"],
        "intervals": [10, 20],
        "steps": [],
        "expected": ["- B (total: 2, self: 2)", "- A (total: -1, self: -1)"],
    },
]
