"""Rebuild the hand-made regression inputs of ``findings.json`` (``"origin": "issue 13"``).

Issue 13's first campaign reported its failing classes but its inputs were not kept; each file
written here is the smallest input of one class. Files found by later campaigns are kept as
the campaign wrote them (gzipped) and are not rebuilt.

    python -m tests.data.fuzz.reconstruct
"""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path

from tests.builders import processed_profile

HERE = Path(__file__).resolve().parent


def _base() -> dict:
    return processed_profile([(["A", "B"], 1), (["A"], 2), (["A", "C"], 3), (None, 1)])


def _per_thread(doc: dict, version: int = 55) -> dict:
    """The same profile in the v55 layout (every table inside its thread)."""
    doc = copy.deepcopy(doc)
    shared = doc.pop("shared")
    doc["meta"]["preprocessedProfileVersion"] = version
    for t in doc["threads"]:
        for key, table in shared.items():
            t[key] = copy.deepcopy(table)
        fr = t["frameTable"]
        fr.pop("lib")  # v70's frameTable.lib is resourceTable.lib before it
        t["resourceTable"]["lib"] = []
    return doc


def _two_threads(doc: dict) -> dict:
    doc = copy.deepcopy(doc)
    second = copy.deepcopy(doc["threads"][0])
    second["name"] = "second"
    second["stringArray"] = [s + "2" for s in second["stringArray"]]
    doc["threads"].append(second)
    return doc


def _set(doc: dict, path: str, value) -> dict:
    doc = copy.deepcopy(doc)
    node = doc
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    for k in keys[:-1]:
        node = node[k]
    if value is _DELETE:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return doc


_DELETE = object()


def _deep(n: int) -> dict:
    """One sample on an ``n``-deep chain, written with ``prefixOffset`` (compresses well)."""
    doc = processed_profile([([f"f{i % 7}" for i in range(n)], 1)])
    st = doc["shared"]["stackTable"]
    st["prefixOffset"] = [0 if p is None else i - p for i, p in enumerate(st.pop("prefix"))]
    return doc


def cases() -> dict[str, tuple[bytes, str, bool]]:
    """file name -> (content, finding, whether the reference's numbers apply)."""
    base = _base()
    v55 = _per_thread(base)
    text = lambda d: json.dumps(d).encode()  # noqa: E731
    out: dict[str, tuple[bytes, str, bool]] = {}

    def add(name: str, doc, finding: str, reference: bool = False) -> None:
        out[name] = (doc if isinstance(doc, bytes) else text(doc), finding, reference)

    for length in (2**32 + 1, 10**12, 10**15, 2**63):
        add(
            f"length-{length}.json",
            _set(base, "threads.0.samples.length", length),
            "polars panicked (PanicException escaped the loader's catch-all)",
        )
    many = processed_profile([(["A"], 1)] * 120_000)
    many["threads"][0]["samples"]["time"] = [0.0] * 120_000  # compresses to nothing
    numbers = text(many)
    cut = numbers.index(b'"weight": [') + 300_000  # inside a bulk-parsed block (>= 256 KiB)
    add(
        "truncated-numeric-block.json.gz",
        gzip.compress(numbers[:cut], mtime=0),
        "a truncated numeric block gave a bare OSError from pyarrow",
    )
    add(
        "pprof-time-2p63.json",
        _set(base, "threads.0.samples.time", [0.0, 1.0, 2.0, 2.0**63 - 1]),
        "write_pprof raised OverflowError",
    )
    for key in ("startTime", "interval"):
        add(
            f"pprof-{key}-1e308.json",
            _set(base, f"meta.{key}", 1e308),
            "write_pprof raised OverflowError",
        )
    add("meta-a-number.json", _set(base, "meta", 3), "vague TypeError with no JSON path")
    add(
        "subcategory-list.json",
        _set(base, "shared.frameTable.subcategory", [[0], 0, 0]),
        "vague TypeError with no JSON path",
    )
    add(
        "category-false.json",
        _set(base, "shared.frameTable.category", [False, 0, 0]),
        "vague TypeError with no JSON path",
    )
    add(
        "float-list-mix.json",
        _set(base, "threads.0.samples.time", [0.0, [1], 2.5, 3.0]),
        "vague TypeError with no JSON path",
    )
    add(
        "lib-computed-from-null.json",
        _set(_per_thread(base, 60), "threads.0.resourceTable.lib", [None]),
        "vague TypeError where frameTable.lib is computed",
    )
    add(
        "native-symbols-1e9.json",
        _set(base, "shared.nativeSymbols", {"length": 10**9}),
        "allocated past 4 GB in 6 s",
    )
    deep = {n: gzip.compress(text(_deep(n)), mtime=0) for n in (20_000, 50_000)}
    add("deep-20000.json.gz", deep[20_000], "folded export 3.4 s and 1.1 GB", reference=True)
    add(
        "deep-50000.json.gz",
        deep[50_000],
        "folded export past 2 GB (100,000 deep: 4 GB)",
        reference=True,
    )
    no_prefix = _set(base, "shared.stackTable.prefix", _DELETE)
    add("v70-no-prefix.json", no_prefix, "loaded with every stack a root")
    unversioned = _two_threads(v55)
    del unversioned["meta"]["preprocessedProfileVersion"]
    unversioned["threads"][0]["stringArray"] = []
    add(
        "unversioned-empty-strings.json",
        unversioned,
        "thread 0 took its names from thread 1's strings",
    )
    add(
        "v55-func-out-of-range.json",
        _set(_two_threads(v55), "threads.0.frameTable.func", [0, 1, 5]),
        "v55 frame func past its thread's funcTable indexed the next thread's funcs",
    )
    add(
        "v55-no-func-name.json",
        _set(_two_threads(v55), "threads.0.funcTable.name", _DELETE),
        "null names and invented numbers",
    )
    add(
        "v55-empty-func-table.json",
        _set(_two_threads(v55), "threads.0.funcTable", {"length": 0}),
        "null names and invented numbers",
    )
    add(
        "v55-empty-stack-table.json",
        _set(_two_threads(v55), "threads.0.stackTable", {"length": 0}),
        "null names and invented numbers",
    )
    add(
        "folded-big-weight.json",
        processed_profile([(["A"], 1_234_568)]),
        "folded export wrote 1.23457e+06",
        reference=True,
    )
    empty_root = processed_profile([([""], 2), (["", "B"], 1)])
    add("folded-empty-root-name.json", empty_root, "a folded line with no frame", reference=True)
    add("trailing-garbage.json", text(base) + b" x", "loaded (JSON.parse refuses it)")
    add(
        "infinity-literal.json",
        text(base).replace(b'"interval": 1.0', b'"interval": Infinity'),
        "loaded (JSON.parse refuses it)",
    )
    add(
        "boolean-weights.json",
        _set(base, "threads.0.samples.weight", [True, True, False, True]),
        "booleans read as 0/1",
    )
    add(
        "boolean-stack.json",
        _set(base, "threads.0.samples.stack", [True, 0, 1, None]),
        "booleans read as indexes",
    )
    add("samples-null.json", _set(base, "threads.0.samples", None), "loaded as an empty thread")
    add(
        "prefix-minus-one.json",
        _set(base, "shared.stackTable.prefix", [-1, 0, 0]),
        "prefix -1 read as a root (JavaScript reads stack -1 as undefined)",
    )
    for entry in (None, 7):
        add(
            f"gecko-thread-{entry}.json",
            _gecko_edit(lambda d, e=entry: d["threads"].insert(0, e)),
            "a Gecko thread entry that is not an object was dropped (later threads renumbered)",
        )
    add(
        "gecko-stack-cell-1e308.json",
        _gecko_edit(lambda d: d["threads"][0]["stackTable"]["data"][3].__setitem__(1, 1e308)),
        "campaign 1 (on firefox-esr-153-linux.gecko, 2 MB): polars OverflowError, no path",
    )
    return out


def _gecko_edit(edit) -> bytes:
    import io

    from benchmarks.shapes import write_gecko_multiprocess

    buf = io.BytesIO()
    write_gecko_multiprocess(buf, target_bytes=20_000, seed=1, processes=1, threads=2)
    doc = json.loads(buf.getvalue())
    edit(doc)
    return json.dumps(doc).encode()


def main() -> None:
    manifest_path = HERE / "findings.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    for name, (content, finding, reference) in cases().items():
        (HERE / name).write_bytes(content)
        manifest[name] = {"origin": "issue 13", "finding": finding, "reference": reference}
    manifest_path.write_text(json.dumps(dict(sorted(manifest.items())), indent=1) + "\n")


if __name__ == "__main__":
    main()
