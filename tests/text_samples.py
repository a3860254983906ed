"""The Firefox Profiler's text-sample notation for its unit tests, read into our model, and its
``formatTree`` rendering of a call tree, so its call-tree assertions can be ours.

The notation (``getProfileFromTextSamples`` in the profiler's
``src/test/fixtures/profiles/processed-profile.ts``): one column per sample, root on top, columns
separated by two or more spaces; a first row of integers gives the sample times. A name ending in
``js`` is a JavaScript function (category JavaScript); ``[cat:X]``, ``[lib:X]``, ``[file:X]``,
``[line:N]``, ``[address:hex]``, ``[inl:N]`` set the frame's attributes. Funcs are shared by
name, resource and file across threads, frames by func and attributes, as its
``GlobalDataCollector`` does. This module is written from that description, not copied.

Example
-------
>>> doc = profile_from_text_samples('''
...   A  A  A
...   B  B  C
... ''')
>>> import profile_frames
>>> format_tree(profile_frames.load(to_bytes(doc)).thread(0))
['- A (total: 3, self: —)', '  - B (total: 2, self: 2)', '  - C (total: 1, self: 1)']
"""

from __future__ import annotations

import json
import re

from .builders import empty_markers

DEFAULT_CATEGORIES = [
    {"name": name, "color": color, "subcategories": ["Other"]}
    for name, color in (
        ("Other", "grey"),
        ("Idle", "transparent"),
        ("Layout", "purple"),
        ("JavaScript", "yellow"),
        ("GC / CC", "orange"),
        ("Network", "lightblue"),
        ("Graphics", "green"),
        ("DOM", "blue"),
    )
]


def parse_columns(text: str) -> list[list[str]]:
    """One list of cells (root first) per sample column."""
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        raise ValueError("empty text samples")
    first = lines[0]
    indent = len(first) - len(first.lstrip())
    body = first.strip()
    starts = [indent] + [m.end() + indent for m in re.finditer(r" {2,}", body)]
    rows = [
        [
            line[pos : starts[i + 1] if i + 1 < len(starts) else None].strip()
            for i, pos in enumerate(starts)
        ]
        for line in lines
    ]
    columns = []
    for c in range(len(starts)):
        cells = []
        for row in rows:
            if not row[c]:
                break
            cells.append(row[c])
        columns.append(cells)
    return columns


def _attr(cell: str, key: str) -> str | None:
    m = re.search(r"\[" + key + r":([^\]]+)\]", cell)
    return m.group(1) if m else None


class _Collector:
    """Shared tables (v70 layout) filled thread by thread."""

    def __init__(self) -> None:
        self.strings: list[str] = []
        self.libs: list[str] = []
        self.funcs: dict[tuple, int] = {}
        self.frames: dict[tuple, int] = {}
        self.sources: list[str] = []
        self.func_rows: list[tuple] = []
        self.frame_rows: list[tuple] = []
        self.stacks: dict[tuple, int] = {}
        self.stack_rows: list[tuple] = []

    def string(self, s: str) -> int:
        if s not in self.strings:
            self.strings.append(s)
        return self.strings.index(s)

    def frame(self, cell: str) -> int:
        name = re.sub(r"\[.*", "", cell)
        lib_name = _attr(cell, "lib")
        lib = -1
        if lib_name is not None:
            if lib_name not in self.libs:
                self.libs.append(lib_name)
            lib = self.libs.index(lib_name)
        file = _attr(cell, "file")
        source = None
        if file is not None:
            if file not in self.sources:
                self.sources.append(file)
            source = self.sources.index(file)
        is_js = name.endswith("js")
        func_key = (name, is_js, name.endswith("-relevantForJS"), lib, source)
        if func_key not in self.funcs:
            self.funcs[func_key] = len(self.func_rows)
            self.func_rows.append(func_key)
        func = self.funcs[func_key]
        cat_name = _attr(cell, "cat") or ("JavaScript" if is_js else None)
        names = [c["name"] for c in DEFAULT_CATEGORIES]
        category = names.index(cat_name) if cat_name in names else None
        line = _attr(cell, "line")
        address = _attr(cell, "address")
        addr = (
            int(address, 16)
            if address is not None
            else int(name[2:], 16)
            if name.startswith("0x")
            else -1
        )
        inline = int(_attr(cell, "inl") or 0)
        key = (func, category, None if line is None else int(line), addr, inline, lib)
        if key not in self.frames:
            self.frames[key] = len(self.frame_rows)
            self.frame_rows.append(key)
        return self.frames[key]

    def stack(self, prefix: int | None, frame: int) -> int:
        key = (prefix, frame)
        if key not in self.stacks:
            self.stacks[key] = len(self.stack_rows)
            self.stack_rows.append(key)
        return self.stacks[key]

    def shared(self) -> dict:
        fr, fu = self.frame_rows, self.func_rows
        resources = list(range(len(self.libs)))
        return {
            "stringArray": self.strings,
            "stackTable": {
                "length": len(self.stack_rows),
                "prefix": [p for p, _ in self.stack_rows],
                "frame": [f for _, f in self.stack_rows],
            },
            "frameTable": {
                "length": len(fr),
                "func": [r[0] for r in fr],
                "category": [r[1] for r in fr],
                "subcategory": [0 if r[1] is not None else None for r in fr],
                "line": [r[2] for r in fr],
                "column": [None] * len(fr),
                "address": [r[3] for r in fr],
                "inlineDepth": [r[4] for r in fr],
                "nativeSymbol": [None] * len(fr),
                "innerWindowID": [0] * len(fr),
                "lib": [r[5] for r in fr],
            },
            "funcTable": {
                "length": len(fu),
                "name": [self.string(r[0]) for r in fu],
                "isJS": [r[1] for r in fu],
                "relevantForJS": [r[2] for r in fu],
                "resource": [r[3] for r in fu],  # one resource per lib, in lib order
                "source": [r[4] for r in fu],
                "lineNumber": [None] * len(fu),
                "columnNumber": [None] * len(fu),
            },
            "resourceTable": {
                "length": len(resources),
                "lib": resources,
                "name": [self.string(n) for n in self.libs],
                "host": [None] * len(resources),
                "type": [1] * len(resources),
            },
            "sources": {
                "length": len(self.sources),
                "filename": [self.string(s) for s in self.sources],
            },
            "nativeSymbols": {
                "length": 0,
                "libIndex": [],
                "address": [],
                "name": [],
                "functionSize": [],
            },
        }


# the schemas of the markers the ported tests use (src/test/fixtures/profiles/marker-schema.ts)
TEST_MARKER_SCHEMA = [
    {
        "name": "UserTiming",
        "display": ["marker-chart", "marker-table"],
        "fields": [
            {"key": "name", "label": "Name", "format": "string"},
            {"key": "entryType", "label": "Entry Type", "format": "string"},
        ],
    },
    {
        "name": "Log",
        "display": ["marker-table"],
        "fields": [
            {"key": "module", "label": "Module", "format": "string"},
            {"key": "name", "label": "Name", "format": "string"},
            {"key": "level", "label": "Level", "format": "unique-string"},
            {"key": "message", "label": "Message", "format": "unique-string"},
        ],
    },
    {
        "name": "DOMEvent",
        "display": ["marker-chart", "marker-table"],
        "fields": [
            {"key": "latency", "label": "Latency", "format": "duration"},
            {"key": "eventType", "label": "Event Type", "format": "string"},
        ],
    },
]


def profile_from_text_samples(
    *texts: str, weights: list[list[float]] | None = None, markers: list | None = None
) -> dict:
    """A processed (v70) profile with one thread per text; ``markers`` (name, start, end,
    payload) are interval markers of the first thread."""
    collector = _Collector()
    threads = []
    for i, text in enumerate(texts):
        columns = parse_columns(text)
        times = None
        if all(col and re.fullmatch(r"\d+", col[0]) for col in columns):
            times = [float(col.pop(0)) for col in columns]
        stacks = []
        for col in columns:
            stack = None
            for cell in col:
                stack = collector.stack(stack, collector.frame(cell))
            stacks.append(stack)
        samples = {
            "length": len(stacks),
            "weightType": "samples",
            "stack": stacks,
            "time": times if times is not None else [float(k) for k in range(len(stacks))],
        }
        if weights is not None:
            samples["weight"] = weights[i]
        threads.append(
            {
                "name": "Empty" if len(texts) == 1 else f"Thread {i}",
                "processType": "default",
                "pid": "0",
                "tid": i,
                "samples": samples,
                "markers": empty_markers(),
            }
        )
    if markers:
        table = threads[0]["markers"]
        for name, start, end, payload in markers:
            table["name"].append(collector.string(name))
            table["startTime"].append(start)
            table["endTime"].append(end)
            table["phase"].append(1)
            table["category"].append(0)
            table["data"].append(payload)
        table["length"] = len(markers)
    libs = [
        {
            "name": n,
            "path": "/path/to/" + n,
            "debugName": n,
            "debugPath": "/path/to/" + n,
            "breakpadId": "SOMETHING_FAKE",
            "codeId": None,
            "arch": "",
        }
        for n in collector.libs
    ]
    return {
        "meta": {
            "preprocessedProfileVersion": 70,
            "version": 31,
            "interval": 1,
            "startTime": 0,
            "product": "Firefox",
            "markerSchema": TEST_MARKER_SCHEMA,
            "categories": DEFAULT_CATEGORIES,
        },
        "libs": libs,
        "shared": collector.shared(),
        "threads": threads,
    }


def to_bytes(doc: dict) -> bytes:
    return json.dumps(doc).encode()


def _number(v: float) -> str:
    """As the profiler's ``formatNumber`` prints counts: ``—`` for zero, thousands grouped."""
    if v == 0:
        return "—"
    return f"{int(v):,}" if float(v).is_integer() else f"{v:,g}"


def format_tree(thread, *, inverted: bool = False, categories: bool = False) -> list[str]:
    """The call tree as the profiler's ``formatTree`` lines (children heaviest first; a
    node with a total of 0 only when a child is shown, as in a comparison thread)."""
    tree = thread.call_tree(inverted=inverted)
    children: dict = {}
    for row in tree.iter_rows(named=True):
        children.setdefault(row["parent"], []).append(row)
    lines: list[str] = []

    def shown(row) -> bool:  # as the profiler's getChildren: a total, or children shown
        return row["total"] != 0 or any(shown(c) for c in children.get(row["node"], []))

    def visit(parent, depth: int) -> None:
        for row in children.get(parent, []):
            if not shown(row):
                continue
            name = row["function"]
            if categories:
                name = f"{name} [{row['category']}]"
            lines.append(
                f"{'  ' * depth}- {name} (total: {_number(row['total'])}, self: {_number(row['self'])})"
            )
            visit(row["node"], depth + 1)

    visit(None, 0)
    return lines
