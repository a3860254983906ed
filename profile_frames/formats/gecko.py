"""Gecko (raw Firefox) profiles → the processed v70 layout, then canonical tables.

Gecko tables are ``{schema: {column: index}, data: [[row], …]}`` with trailing null cells
omitted. Strings are per thread. Funcs and resources do not exist: they are derived from each
frame's location string, the way the Firefox Profiler's ``process-profile.ts`` does it:

* ``0x7f…`` — an unsymbolicated absolute address: one func per address, named by the hex
  string, with the library from ``libs[]`` (``start <= addr < end``) as its resource;
* ``name (in lib)`` (optionally ``+ off`` or ``(file:line)``) — a symbolicated native function;
* ``name (url:line:col)`` or ``url:line:col`` (optionally ``[sourceIndex]``) — JavaScript, the
  resource being the script URL (the last of ``a -> b`` chains);
* anything else — a label frame.

Child processes (``processes[]``, or JSON strings in old files) are flattened after the parent's
threads, depth-first, with every time shifted by ``child.meta.startTime - root.meta.startTime``.

Example
-------
>>> loc = parse_location("malloc (in libc.so.6) + 12")
>>> loc.name, loc.library, loc.is_js
('malloc', 'libc.so.6', False)
>>> parse_location("fib (blob:null/x:3:10)").library
'blob:null/x'
"""

from __future__ import annotations

import bisect
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from ..errors import ProfileFormatError
from .processed import ProfileParts, read_v70

_CPP = (
    re.compile(r"^(.*) \(in ([^)]*)\) (\+ [0-9]+)$", re.S),
    re.compile(r"^(.*) \(in ([^)]*)\) (\(.*:.*\))$", re.S),
    re.compile(r"^(.*) \(in ([^)]*)\)$", re.S),
)
_JS = (
    re.compile(r"^(.*) \((.+?):([0-9]+)(?::([0-9]+))?\)(?:\[(\d+)\])?$", re.S),
    re.compile(r"^()(.+?):([0-9]+)(?::([0-9]+))?(?:\[(\d+)\])?$", re.S),
)
_THUNK = "non-virtual thunk to "


@dataclass(frozen=True)
class Location:
    """What a Gecko frame location string says about its function."""

    name: str
    library: str | None = None
    is_js: bool = False
    line: int | None = None
    column: int | None = None
    address: int | None = None  # absolute address of an unsymbolicated frame


def parse_location(s: str) -> Location:
    """Classify one Gecko frame location string (see the module docstring)."""
    if s.startswith("0x"):
        try:
            return Location(s, address=int(s, 16))
        except ValueError:
            return Location(s)
    for pat in _CPP:
        m = pat.match(s)
        if m:
            name = m.group(1)
            if name.startswith(_THUNK):
                name = name[len(_THUNK) :]
            return Location(name, library=m.group(2))
    for pat in _JS:
        m = pat.match(s)
        if m:
            fn, url, line, col = m.group(1), m.group(2), m.group(3), m.group(4)
            url = url.split(" -> ")[-1]
            return Location(
                fn or f"(root scope) {url}",
                library=url,
                is_js=True,
                line=int(line),
                column=int(col) if col else None,
            )
    return Location(s)


_WEB_SCHEMES = ("http:", "https:", "moz-extension:")
_URL = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*:)//([^/?#]*)")


def uri_resource_name(uri: str) -> str:
    """The resource a JS script URI belongs to, as the Firefox Profiler names it: the origin
    for http(s) (``https://host:port``), the WHATWG opaque origin ``"null"`` for
    ``moz-extension:``, and the whole URI for anything else (``resource:``, ``chrome:``, ``file:``).

    >>> uri_resource_name("https://example.com:8080/app.js"), uri_resource_name("resource://gre/x.mjs")
    ('https://example.com:8080', 'resource://gre/x.mjs')
    """
    m = _URL.match(uri)
    if not m or m.group(1).lower() not in _WEB_SCHEMES or not m.group(2):
        return uri
    scheme = m.group(1).lower()
    if scheme == "moz-extension:":
        return "null"
    host = m.group(2).rsplit("@", 1)[-1].lower()
    default_port = {"http:": ":80", "https:": ":443"}[scheme]
    if host.endswith(default_port):
        host = host[: -len(default_port)]
    return f"{scheme}//{host}"


def is_gecko(tree: Any) -> bool:
    """A Gecko profile has ``meta.version`` and a ``threads`` array (no processed version)."""
    if not isinstance(tree, dict):
        return False
    meta = tree.get("meta")
    return (
        isinstance(meta, dict)
        and isinstance(meta.get("version"), (int, float))
        and not isinstance(meta.get("version"), bool)
        and isinstance(tree.get("threads"), list)
    )


def _maybe_json(value: Any, *, path: str) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise ProfileFormatError("expected embedded JSON", path=path) from None
    return value


def _table(t: Any, *, path: str) -> dict[str, list]:
    """Schema+data table → dict of column lists (missing trailing cells are null)."""
    if t is None:
        return {"length": 0}
    if not isinstance(t, dict) or not isinstance(t.get("schema"), dict):
        raise ProfileFormatError("expected a {schema, data} table", path=path)
    data = t.get("data")
    if data is None:
        data = []
    if not isinstance(data, list):
        raise ProfileFormatError("expected an array of rows", path=f"{path}.data")
    rows = [
        r if isinstance(r, list) else _row(r, path=f"{path}.data[{i}]") for i, r in enumerate(data)
    ]
    out: dict[str, Any] = {"length": len(rows)}
    columns = list(itertools.zip_longest(*rows)) if rows else []  # short rows: trailing nulls
    for name, idx in t["schema"].items():
        if not isinstance(idx, int) or isinstance(idx, bool) or idx < 0:
            raise ProfileFormatError(
                f"schema index of '{name}' must be a non-negative integer", path=f"{path}.schema"
            )
        cells = list(columns[idx]) if idx < len(columns) else [None] * len(rows)
        out[name] = _integral(cells) if name in INDEX_COLUMNS else cells
    return out


# columns of Gecko tables that hold integers: JSON (and JavaScript) do not tell 38 from 38.0,
# and a row cut by a read boundary reaches us as floats, so integral floats count as integers
INDEX_COLUMNS = frozenset(
    ("stack", "frame", "prefix", "location", "category", "subcategory", "line", "column")
    + ("name", "phase", "implementation", "innerWindowID", "weight")
)


def _integral(cells: list) -> list:
    """Integral floats within int64 as ints (bools and everything else unchanged).

    >>> _integral([38.0, 1.5, None, True, 2, 1e308])
    [38, 1.5, None, True, 2, 1e+308]
    """
    return [int(v) if type(v) is float and v.is_integer() and abs(v) < 2**63 else v for v in cells]


def _row(r: Any, *, path: str) -> list:
    if hasattr(r, "to_list"):  # a polars Series from the bulk parser
        return r.to_list()
    if hasattr(r, "to_pylist"):  # a pyarrow array (JSLB)
        return r.to_pylist()
    raise ProfileFormatError("expected a row (array)", path=path)


def _processes(tree: dict) -> list[tuple[dict, float, str]]:
    """The root profile and all children, depth-first, with each one's time shift and path."""
    root_start = _num((tree.get("meta") or {}).get("startTime")) or 0.0
    out: list[tuple[dict, float, str]] = []

    def visit(p: Any, path: str, depth: int) -> None:
        if depth > 16:
            raise ProfileFormatError("child processes nested too deeply", path=path)
        p = _maybe_json(p, path=path)
        if not isinstance(p, dict):
            raise ProfileFormatError("expected a profile object", path=path)
        for key in ("threads", "processes", "libs"):  # old files: libs as a JSON string
            if p.get(key) is not None and not isinstance(
                p[key], (str, list) if key == "libs" else list
            ):
                raise ProfileFormatError("expected an array", path=f"{path}.{key}" if path else key)
        if p.get("meta") is not None and not isinstance(p["meta"], dict):
            raise ProfileFormatError("expected an object", path=f"{path}.meta" if path else "meta")
        cats = (p.get("meta") or {}).get("categories")
        if cats is not None and not isinstance(cats, list):
            where_ = f"{path}.meta.categories" if path else "meta.categories"
            raise ProfileFormatError("expected an array", path=where_)
        meta = p.get("meta") or {}
        shift = (_num(meta.get("startTime")) or root_start) - root_start
        out.append((p, shift, path))
        threads = p.get("threads") or []
        children = [t for t in threads if isinstance(t, str)]  # < v5: child profiles as strings
        for j, c in enumerate(p.get("processes") or []):
            visit(c, f"{path}.processes[{j}]" if path else f"processes[{j}]", depth + 1)
        for j, c in enumerate(children):
            visit(c, f"{path}.threads(child {j})", depth + 1)

    visit(tree, "", 0)
    return out


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


class _Collector:
    """Shared string, func, resource, lib, frame and stack tables being assembled."""

    def __init__(self) -> None:
        self.strings: list[str] = []
        self.string_index: dict[str, int] = {}
        self.funcs: dict[tuple, int] = {}
        self.func_cols: dict[str, list] = {
            k: []
            for k in ("name", "isJS", "relevantForJS", "resource", "lineNumber", "columnNumber")
        }
        self.resources: dict[str, int] = {}
        self.res_cols: dict[str, list] = {"name": [], "lib": [], "type": []}
        self.libs: list[dict] = []
        self.lib_index: dict[tuple, int] = {}
        self.frames: dict[str, list] = {
            k: [] for k in ("func", "address", "category", "subcategory", "line", "column", "lib")
        }
        self.stack_parts: list[tuple[pl.Series, pl.Series]] = []  # (prefix, frame) per thread
        self.n_stacks = 0

    def stack_table(self) -> dict[str, pl.Series]:
        """The stacks of every thread read so far, one shared table."""
        if not self.stack_parts:
            return {"prefix": pl.Series([], dtype=pl.Int64), "frame": pl.Series([], dtype=pl.Int64)}
        return {
            "prefix": pl.concat([p for p, _ in self.stack_parts]),
            "frame": pl.concat([f for _, f in self.stack_parts]),
        }

    def string(self, s: str) -> int:
        i = self.string_index.get(s)
        if i is None:
            i = self.string_index[s] = len(self.strings)
            self.strings.append(s)
        return i

    def resource(self, name: str, lib: int | None) -> int:
        i = self.resources.get(name)
        if i is None:
            i = self.resources[name] = len(self.res_cols["name"])
            self.res_cols["name"].append(self.string(name))
            self.res_cols["lib"].append(lib)
            self.res_cols["type"].append(1 if lib is not None else 5)
        return i

    def lib(self, lib: dict) -> int:
        key = (lib.get("debugName"), lib.get("breakpadId"))
        i = self.lib_index.get(key)
        if i is None:
            i = self.lib_index[key] = len(self.libs)
            self.libs.append(lib)
        return i

    def func(self, loc: Location, relevant: bool, resource: int) -> int:
        key = (loc.name, loc.is_js, relevant, resource, loc.line, loc.column)
        i = self.funcs.get(key)
        if i is None:
            i = self.funcs[key] = len(self.func_cols["name"])
            c = self.func_cols
            c["name"].append(self.string(loc.name))
            c["isJS"].append(loc.is_js)
            c["relevantForJS"].append(relevant)
            c["resource"].append(resource)
            c["lineNumber"].append(loc.line)
            c["columnNumber"].append(loc.column)
        return i


class _LibLocator:
    """Finds the library whose mapping contains an absolute address."""

    def __init__(self, libs: list[dict]):
        good = [
            lib
            for lib in libs
            if isinstance(lib, dict)
            and _num(lib.get("start")) is not None
            and _num(lib.get("end")) is not None
        ]
        self.libs = sorted(good, key=lambda lib: lib["start"])
        self.starts = [lib["start"] for lib in self.libs]

    def find(self, addr: int) -> tuple[dict, int] | None:
        i = bisect.bisect_right(self.starts, addr) - 1
        if i >= 0:
            lib = self.libs[i]
            if addr < lib["end"]:
                return lib, int(addr - lib["start"] + (lib.get("offset") or 0))
        return None


def read_gecko(tree: dict, *, select: Callable[[list[str]], set[int] | None]) -> ProfileParts:
    """Convert a Gecko profile to canonical tables; ``select(names)`` picks thread positions."""
    processes = _processes(tree)
    flat: list[tuple[dict, dict, float, str]] = []
    for proc, shift, ppath in processes:
        for i, t in enumerate(proc.get("threads") or []):  # an array: _processes checked it
            tpath = f"{ppath}.threads[{i}]" if ppath else f"threads[{i}]"
            if isinstance(t, dict):
                flat.append((t, proc, shift, tpath))
            elif not isinstance(t, str):  # a string is a child process (before v5), read above
                # dropping it would renumber every later thread
                raise ProfileFormatError(f"expected a thread object, got {t!r:.40}", path=tpath)
    names = [str(t.get("name", "")) for t, _, _, _ in flat]
    keep = select(names)
    root_meta = tree["meta"]
    categories = (
        root_meta.get("categories") if isinstance(root_meta.get("categories"), list) else None
    )
    n_categories = len(categories) if categories else 1

    col = _Collector()
    out_threads: list[dict] = []
    for pos, (t, proc, shift, tpath) in enumerate(flat):
        if keep is not None and pos not in keep:
            out_threads.append({"name": names[pos], "_skipped": True})
            continue
        libs = _maybe_json(proc.get("libs") or [], path="libs")
        locator = _LibLocator(libs if isinstance(libs, list) else [])
        out_threads.append(_thread(t, proc, shift, tpath, col, locator, n_categories))

    meta = dict(root_meta)
    meta["categories"] = categories
    v70 = {
        "meta": meta,
        "libs": col.libs,
        "shared": {
            "stringArray": col.strings,
            "stackTable": {"length": col.n_stacks, **col.stack_table()},
            "frameTable": {
                "length": len(col.frames["func"]),
                "inlineDepth": [0] * len(col.frames["func"]),
                **col.frames,
            },
            "funcTable": {"length": len(col.func_cols["name"]), **col.func_cols},
            "resourceTable": {"length": len(col.res_cols["name"]), **col.res_cols},
        },
        "threads": out_threads,
    }
    chosen = {i for i, t in enumerate(out_threads) if not t.get("_skipped")}
    return read_v70(v70, keep=chosen)


def _thread(
    t: dict,
    proc: dict,
    shift: float,
    path: str,
    col: _Collector,
    locator: _LibLocator,
    n_categories: int,
) -> dict:
    strings = t.get("stringTable")
    if not isinstance(strings, list):
        raise ProfileFormatError("expected an array of strings", path=f"{path}.stringTable")
    frames = _table(t.get("frameTable"), path=f"{path}.frameTable")
    stacks = _table(t.get("stackTable"), path=f"{path}.stackTable")
    samples = _table(t.get("samples"), path=f"{path}.samples")
    markers = _table(t.get("markers"), path=f"{path}.markers")

    frame_base = len(col.frames["func"])
    stack_base = col.n_stacks
    parsed: dict[int, tuple[Location, int, int | None, int | None]] = {}
    locations = frames.get("location") or []
    relevant = frames.get("relevantForJS") or [False] * len(locations)
    for i, loc_idx in enumerate(locations):
        if (
            not isinstance(loc_idx, int)
            or not 0 <= loc_idx < len(strings)
            or not isinstance(strings[loc_idx], str)
        ):
            raise ProfileFormatError(
                f"frame location {loc_idx!r} is not an index into the string table ({len(strings)} strings)",
                path=f"{path}.frameTable.data[{i}]",
            )
        rel = bool(relevant[i]) if i < len(relevant) and relevant[i] is not None else False
        key = (loc_idx, rel)
        got = parsed.get(key)  # type: ignore[arg-type]
        if got is None:
            loc = parse_location(strings[loc_idx])
            lib_i = address = None
            resource = -1
            if loc.address is not None:
                hit = locator.find(loc.address)
                if hit is not None:
                    lib, address = hit
                    lib_i = col.lib(lib)
                    resource = col.resource(str(lib.get("name") or ""), lib_i)
            elif loc.is_js and loc.library is not None:
                resource = col.resource(uri_resource_name(loc.library), None)
            elif loc.library is not None:
                resource = col.resource(loc.library, None)
            func = col.func(loc, rel and not loc.is_js and loc.library is None, resource)
            got = (loc, func, address, lib_i)
            parsed[key] = got  # type: ignore[index]
        _, func, address, lib_i = got
        f = col.frames
        f["func"].append(func)
        f["address"].append(address if address is not None else -1)
        cat = _int_or_none(frames.get("category"), i)
        f["category"].append(cat if cat is not None and 0 <= cat < n_categories else None)
        f["subcategory"].append(
            _int_or_none(frames.get("subcategory"), i)
            if cat is not None and 0 <= cat < n_categories
            else None
        )
        f["line"].append(_int_or_none(frames.get("line"), i))
        f["column"].append(_int_or_none(frames.get("column"), i))
        f["lib"].append(lib_i if lib_i is not None else -1)

    n_frames = len(locations)
    prefix, frame = _stack_columns(stacks, n_frames, path=f"{path}.stackTable")
    col.stack_parts.append((prefix + stack_base, frame + frame_base))
    col.n_stacks += len(frame)
    n_stacks = stacks["length"]
    sample_stacks = _sample_stacks(samples, n_stacks, path=f"{path}.samples") + stack_base
    times = _shifted(samples.get("time") or [], shift, path=f"{path}.samples")
    out_samples: dict[str, Any] = {
        "length": samples["length"],
        "stack": sample_stacks,
        "time": times,
    }
    if samples.get("weight") is not None:
        out_samples["weight"] = samples["weight"]
    if samples.get("threadCPUDelta") is not None:
        out_samples["threadCPUDelta"] = samples["threadCPUDelta"]

    names = []
    for i, n in enumerate(markers.get("name") or []):
        if not isinstance(n, int) or not 0 <= n < len(strings):
            raise ProfileFormatError(
                f"marker name {n!r} is not a string index", path=f"{path}.markers.data[{i}]"
            )
        names.append(col.string(str(strings[n])))
    start = markers.get("startTime") or markers.get("time") or [None] * markers["length"]
    out_markers = {
        "length": markers["length"],
        "name": names,
        "startTime": _shifted(start, shift, path=f"{path}.markers"),
        "endTime": _shifted(
            markers.get("endTime") or [None] * markers["length"], shift, path=f"{path}.markers"
        ),
        "phase": markers.get("phase") or [0] * markers["length"],
        "category": markers.get("category") or [None] * markers["length"],
        "data": markers.get("data") or [None] * markers["length"],
    }
    return {
        "name": t.get("name"),
        "isMainThread": t.get("name") == "GeckoMain",
        "processName": t.get("processName") if isinstance(t.get("processName"), str) else "",
        "processType": t.get("processType"),
        "pid": None if t.get("pid") is None else str(t.get("pid")),
        "tid": None if t.get("tid") is None else str(t.get("tid")),
        "samples": out_samples,
        "markers": out_markers,
    }


def _shifted(values: list, shift: float, *, path: str) -> pl.Series:
    """A time column moved by ``shift`` ms; a cell that is not a number is named by its row.

    >>> _shifted([1, None, 2.5], 10.0, path="t").to_list()
    [11.0, None, 12.5]
    """
    try:
        if not any(isinstance(v, bool) for v in values):
            return pl.Series("time", values, dtype=pl.Float64) + shift
    except Exception:
        pass
    for i, v in enumerate(values):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
            raise ProfileFormatError(
                f"expected a time (number), got {v!r:.40}", path=f"{path}.data[{i}]"
            )
    raise ProfileFormatError("expected times (numbers)", path=path)


def _is_row(v: Any, n: int) -> bool:
    """Whether the cell ``v`` is a row of a table of ``n`` rows (an int, not a bool)."""
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < n


def _indexes(values: list) -> pl.Series | None:
    """A column of integers (nulls allowed) as Int64, or None if any cell is something else
    (or beyond int64: the row-by-row check names it)."""
    if any(type(v) is not int for v in values if v is not None):
        return None
    try:
        return pl.Series(values, dtype=pl.Int64)
    except (TypeError, OverflowError):
        return None


def _stack_columns(stacks: dict, n_frames: int, *, path: str) -> tuple[pl.Series, pl.Series]:
    """A thread's (prefix, frame) columns, checked at once: every frame a row of the frame
    table, every prefix an earlier stack. A bad table is read row by row for the error."""
    n = stacks["length"]
    prefix = stacks.get("prefix") or [None] * n
    frame = stacks.get("frame") or []
    p, f = _indexes(prefix), _indexes(frame)
    if p is not None and f is not None and len(p) == len(f) == n:
        pv = p.fill_null(-1).to_numpy()
        if (
            f.null_count() == 0
            and (n == 0 or (f.min() >= 0 and f.max() < n_frames))
            and ((pv == -1) | ((pv >= 0) & (pv < np.arange(n)))).all()
            and p.null_count() == int((pv == -1).sum())
        ):
            return p, f
    for i, (pre, fr) in enumerate(zip(prefix, frame)):
        if not _is_row(fr, n_frames):
            raise ProfileFormatError(
                f"stack frame {fr!r} is out of range ({n_frames} frames)",
                path=f"{path}.data[{i}]",
            )
        if pre is not None and not _is_row(pre, i):
            raise ProfileFormatError(
                f"stack prefix {pre!r} must be an earlier stack", path=f"{path}.data[{i}]"
            )
    k = min(len(prefix), len(frame))
    return pl.Series(prefix[:k], dtype=pl.Int64), pl.Series(frame[:k], dtype=pl.Int64)


def _sample_stacks(samples: dict, n_stacks: int, *, path: str) -> pl.Series:
    """A thread's sample stacks (nulls allowed), checked at once; row by row for the error."""
    values = samples.get("stack") or []
    s = _indexes(values)
    if s is not None and (len(s) == s.null_count() or (s.min() >= 0 and s.max() < n_stacks)):
        return s
    for i, v in enumerate(values):
        if v is not None and not _is_row(v, n_stacks):
            raise ProfileFormatError(
                f"sample stack {v!r} is out of range ({n_stacks} stacks)",
                path=f"{path}.data[{i}]",
            )
    raise ProfileFormatError("expected sample stacks", path=path)  # pragma: no cover


def _int_or_none(values: list | None, i: int) -> int | None:
    if values is None or i >= len(values):
        return None
    v = values[i]
    return v if isinstance(v, int) and not isinstance(v, bool) else None
