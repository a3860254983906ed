"""An independent plain-Python reading of processed profiles (v55 per-thread tables or v60+
shared tables): self and total weight per function name of every thread, straight from the
JSON, with a loop per sample. Slow and simple on purpose; the tests compare the library's
vectorised numbers with it.

The Firefox Profiler's rules: a sample's weight counts for its leaf function (self) and once for
every distinct function (func index) on its stack (total); samples with a null stack count
nowhere. Functions that share a name are then summed by name, as :func:`ours` does.
"""

from __future__ import annotations

from collections import Counter


def _tables(doc: dict, thread: dict) -> tuple[dict, dict, dict, list]:
    shared = doc.get("shared") or {}
    pick = lambda key: thread.get(key) if key in thread else shared.get(key)  # noqa: E731
    strings = pick("stringArray") if "stringArray" in thread or "stringArray" in shared else None
    tables = [pick(k) or {"length": 0} for k in ("stackTable", "frameTable", "funcTable")]
    return *tables, strings or pick("stringTable")  # an absent table is an empty one


def _at(values: list, i) -> object:
    """``values[i]`` as JavaScript indexes an array: 38.0 is 38; anything that is not a row
    (negative, fractional, past the end, not a number) is an error here."""
    if isinstance(i, bool) or not isinstance(i, (int, float)) or i != int(i):
        raise IndexError(f"index {i!r}")
    if not 0 <= i < len(values):
        raise IndexError(f"index {i} of {len(values)}")
    return values[int(i)]


def _prefixes(stacks: dict) -> list:
    if "prefix" in stacks:
        return stacks["prefix"]
    if "prefixOffset" not in stacks and not stacks.get("length"):
        return []  # an empty table needs neither column
    return [None if off == 0 else i - off for i, off in enumerate(stacks["prefixOffset"])]


def thread_weights(doc: dict, index: int) -> tuple[Counter, Counter]:
    """(self, total) per function name of thread ``index``."""
    thread = doc["threads"][index]
    stacks, frames, funcs, strings = _tables(doc, thread)
    prefix = _prefixes(stacks)
    samples = thread["samples"]
    weights = samples.get("weight") or [1] * len(samples["stack"])
    self_w: Counter = Counter()
    total_w: Counter = Counter()
    for stack, weight in zip(samples["stack"], weights):
        if stack is None:
            continue
        weight = 1 if weight is None else weight  # as the library reads a null weight
        on_stack = []
        s = stack
        while s is not None:
            if len(on_stack) > len(prefix):
                raise ValueError("prefix cycle")
            on_stack.append(_at(frames["func"], _at(stacks["frame"], s)))
            s = _at(prefix, s)
        self_w[_at(strings, _at(funcs["name"], on_stack[0]))] += weight
        for func in {int(f) for f in on_stack}:
            total_w[_at(strings, _at(funcs["name"], func))] += weight
    return self_w, total_w


def nonzero(c: Counter) -> Counter:
    """``c`` without its zero entries (``+c`` would drop negative weights too)."""
    return Counter({k: v for k, v in c.items() if v != 0})


def ours(thread) -> tuple[Counter, Counter]:
    """The library's (self, total) of a thread view, summed by function name."""
    f = thread.functions()
    self_w: Counter = Counter()
    total_w: Counter = Counter()
    for name, s, t in zip(f["function"].to_list(), f["self"].to_list(), f["total"].to_list()):
        self_w[name] += s
        total_w[name] += t
    return nonzero(self_w), nonzero(total_w)
