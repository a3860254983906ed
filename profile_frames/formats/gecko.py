"""Gecko (raw Firefox) profiles → the processed v70 layout, then canonical tables.

Gecko tables are ``{schema: {column: index}, data: [[row], …]}`` with trailing null cells
omitted; the scanner parses rows of numbers in bulk (:mod:`profile_frames.rows`). Strings are
per thread. Funcs and resources do not exist: they are derived from each frame's location
string (:mod:`.gecko_locations`), the way the Firefox Profiler's ``process-profile.ts`` does
it, once for all threads.

Child processes (``processes[]``, or JSON strings in old files) are flattened after the parent's
threads, depth-first, with every time shifted by ``child.meta.startTime - root.meta.startTime``.

Example
-------
>>> tree = {"meta": {"version": 30, "interval": 1, "startTime": 0}, "libs": [], "threads": [{
...     "name": "GeckoMain", "stringTable": ["main", "malloc (in libc.so.6)"],
...     "frameTable": {"schema": {"location": 0}, "data": [[0], [1]]},
...     "stackTable": {"schema": {"prefix": 0, "frame": 1}, "data": [[None, 0], [0, 1]]},
...     "samples": {"schema": {"stack": 0, "time": 1}, "data": [[1, 0.0], [1, 1.0]]}}]}
>>> parts = read_gecko(tree, select=lambda names: None)
>>> parts.funcs["name"].to_list()
['main', 'malloc']
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from ..errors import ProfileFormatError
from ..indexes import constant
from ..rows import Rows
from .gecko_columns import integral, ints_or_null
from .gecko_locations import classify_locations, uri_resource_name
from .gecko_threads import FRAME_NUMBERS, ThreadTables, convert_threads
from .processed import ProfileParts, read_v70


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


def _table(t: Any, *, path: str) -> dict[str, Any]:
    """Schema+data table → dict of columns (missing trailing cells are null): polars Series
    when the scanner parsed the rows in bulk (:class:`~profile_frames.rows.Rows`), else
    lists."""
    if t is None:
        return {"length": 0}
    if not isinstance(t, dict) or not isinstance(t.get("schema"), dict):
        raise ProfileFormatError("expected a {schema, data} table", path=path)
    schema = _schema(t["schema"], path=f"{path}.schema")
    data = t.get("data")
    if data is None:
        data = []
    if isinstance(data, Rows):
        return _columns_of_rows(schema, data)
    if not isinstance(data, list):
        raise ProfileFormatError("expected an array of rows", path=f"{path}.data")
    rows = [
        r if isinstance(r, list) else _row(r, path=f"{path}.data[{i}]") for i, r in enumerate(data)
    ]
    out: dict[str, Any] = {"length": len(rows)}
    for name, idx in schema.items():  # only the schema's cells: a wide row costs its own size
        cells = [r[idx] if idx < len(r) else None for r in rows]  # short rows: trailing nulls
        out[name] = integral(cells) if name in INDEX_COLUMNS else cells
    return out


def _schema(schema: dict, *, path: str) -> dict[str, int]:
    """A table's ``schema`` (column name → position in each row), every position checked."""
    for name, idx in schema.items():
        if not isinstance(idx, int) or isinstance(idx, bool) or idx < 0:
            raise ProfileFormatError(
                f"schema index of '{name}' must be a non-negative integer", path=path
            )
    return schema


def _columns_of_rows(schema: dict[str, int], rows: Rows) -> dict[str, Any]:
    out: dict[str, Any] = {"length": rows.length}
    for name, idx in schema.items():
        if idx < len(rows.columns):
            out[name] = rows.columns[idx].alias(name)
        else:
            out[name] = constant(None, rows.length, pl.Float64).alias(name)
    return out


# columns of Gecko tables that hold integers: JSON (and JavaScript) do not tell 38 from 38.0,
# and a row cut by a read boundary reaches us as floats, so integral floats count as integers
INDEX_COLUMNS = frozenset(
    ("stack", "frame", "prefix", "location", "category", "subcategory", "line", "column")
    + ("name", "phase", "implementation", "innerWindowID", "weight")
)


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
        self.resources: dict[str, int] = {}
        self.res_cols: dict[str, list] = {"name": [], "lib": [], "type": []}
        self.libs: list[dict] = []
        self.lib_index: dict[tuple, int] = {}
        self.process_libs: list[_Libs] = []  # the libraries of each process
        self.threads = convert_threads([], intern=self.string)  # their frames and stacks
        self.func_names: pl.Series | None = None  # appended to the strings, not interned

    def string_table(self) -> list[str] | pl.Series:
        """The shared string table: the interned strings, then the func names (one each)."""
        if self.func_names is None:
            return self.strings
        return pl.concat([pl.Series(self.strings, dtype=pl.String), self.func_names])

    def stack_table(self) -> dict[str, Any]:
        """The stacks of every thread, one shared table."""
        t = self.threads
        return {"length": len(t.frame), "prefix": t.prefix, "frame": t.frame}

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

    def tables(self, n_categories: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """The shared frame and func tables of every thread read so far."""
        frames = self.threads.frames
        numbers = {k: ints_or_null(frames[k], frames.height) for k in FRAME_NUMBERS}
        known = numbers["category"].is_between(0, n_categories - 1, closed="both").fill_null(False)
        frames = frames.with_columns(
            numbers["line"].alias("line"),
            numbers["column"].alias("column"),
            pl.when(known).then(numbers["category"]).alias("category"),
            pl.when(known).then(numbers["subcategory"]).alias("subcategory"),
        )
        return _derive_frames(frames, self)


class _Libs:
    """One process's library mappings, for finding the library of absolute addresses."""

    def __init__(self, libs: list):
        good = [
            lib
            for lib in libs
            if isinstance(lib, dict)
            and _address(lib.get("start")) is not None
            and _address(lib.get("end")) is not None
        ]
        self.libs = sorted(good, key=lambda lib: _address(lib["start"]))
        self.starts = np.array([_address(lib["start"]) for lib in self.libs], dtype=np.uint64)
        self.ends = np.array([_address(lib["end"]) for lib in self.libs], dtype=np.uint64)
        self.offsets = np.array(
            [_address(lib.get("offset")) or 0 for lib in self.libs], dtype=np.uint64
        )

    def find(self, addresses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each address (uint64), the position in :attr:`libs` of the library mapping
        it (-1 if none) and its offset in that library."""
        if not self.libs:
            none = np.full(len(addresses), -1, dtype=np.int64)
            return none, none.copy()
        at = np.searchsorted(self.starts, addresses, side="right").astype(np.int64) - 1
        safe = np.maximum(at, 0)
        hit = (at >= 0) & (addresses < self.ends[safe])
        relative = addresses - self.starts[safe] + self.offsets[safe]
        return np.where(hit, at, -1), np.where(hit, relative.astype(np.int64), -1)


def _address(v: Any) -> int | None:
    """A library bound as an unsigned 64-bit integer, or None."""
    n = _num(v)
    if n is None or not 0 <= n < 2**64:
        return None
    return int(v) if isinstance(v, int) else int(n)


def distinct_rows(df: pl.DataFrame) -> tuple[pl.DataFrame, np.ndarray]:
    """The distinct rows of ``df`` in the order they first come (nulls equal) and, for each
    row of ``df``, the position of its distinct row: a join back becomes a gather.

    >>> rows, of = distinct_rows(pl.DataFrame({"a": ["x", "y", "x", None, None]}))
    >>> rows["a"].to_list(), of.tolist()
    (['x', 'y', None], [0, 1, 0, 2, 2])
    """
    groups = df.with_row_index("_row").group_by(df.columns, maintain_order=True).agg("_row")
    members = groups["_row"]
    of = np.empty(df.height, dtype=np.int64)
    of[members.explode().to_numpy()] = np.repeat(
        np.arange(groups.height), members.list.len().to_numpy()
    )
    return groups.drop("_row"), of


def first_seen(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first position of each distinct value of ``codes``, in the order they first come,
    and for each position the number of its value in that order.

    >>> first, of = first_seen(np.array([7, 3, 7, 5, 3]))
    >>> first.tolist(), of.tolist()
    ([0, 1, 3], [0, 1, 0, 2, 1])
    """
    _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return first[order], rank[inverse]


def _derive_frames(frames: pl.DataFrame, col: _Collector) -> tuple[dict, dict]:
    """Funcs, resources and libs from the frames' location strings, each distinct location
    classified once (:func:`~.gecko_locations.classify_locations`), as the Firefox Profiler
    derives them: one func per (name, JS or not, relevant for JS, resource, line, column)."""
    texts, text_of_frame = distinct_rows(frames.select("text"))
    # a key is (text, relevant, process): as one integer, the text's position leading
    key_code = (text_of_frame << 33) | (frames["relevant"].to_numpy().astype(np.int64) << 32)
    first_of_key, key_of_frame = first_seen(key_code | frames["process"].to_numpy())
    keys = frames.select("text", "relevant", "process")[first_of_key]
    text_of_key = text_of_frame[first_of_key]
    parsed = classify_locations(texts["text"])[text_of_key]
    keys = pl.concat([keys, parsed], how="horizontal")
    n = keys.height
    lib_pos = np.full(n, -1, dtype=np.int64)
    relative = np.full(n, -1, dtype=np.int64)
    address = keys["address"].to_numpy()
    process = keys["process"].to_numpy()
    has_address = keys["address"].is_not_null().to_numpy()
    for p in np.unique(process[has_address]).tolist():
        rows = np.flatnonzero(has_address & (process == p))
        lib_pos[rows], relative[rows] = col.process_libs[p].find(address[rows].astype(np.uint64))
    # libs and resources in the order their first frame comes, as the Firefox Profiler adds
    # them: a Python step per distinct library or resource name, not per location
    lib_index = np.full(n, -1, dtype=np.int64)
    library = keys["library"]
    js_urls = library.filter(keys["is_js"]).unique()
    urls = {u: uri_resource_name(u) for u in js_urls.to_list() if u is not None}
    res_name = pl.select(
        pl.when(keys["is_js"]).then(library.replace(urls)).otherwise(library)
    ).to_series()
    hit = np.flatnonzero(lib_pos >= 0)
    if len(hit):
        pair = process[hit].astype(np.int64) * (1 << 32) + lib_pos[hit]
        distinct, first, inverse = np.unique(pair, return_index=True, return_inverse=True)
        lib_of = np.empty(len(distinct), dtype=np.int64)
        name_of = [""] * len(distinct)
        for k in np.argsort(first, kind="stable").tolist():
            lib = col.process_libs[int(distinct[k] >> 32)].libs[int(distinct[k] & 0xFFFFFFFF)]
            lib_of[k] = col.lib(lib)
            name_of[k] = str(lib.get("name") or "")
        lib_index[hit] = lib_of[inverse]
        res_name = res_name.clone().scatter(
            hit, pl.Series(name_of, dtype=pl.String).gather(inverse)
        )
    firsts = (
        pl.DataFrame({"name": res_name, "lib": lib_index})
        .filter(pl.col("name").is_not_null())
        .unique(subset="name", keep="first", maintain_order=True)
    )
    ids = {
        name: col.resource(name, None if lib < 0 else lib)
        for name, lib in zip(firsts["name"].to_list(), firsts["lib"].to_list())
    }
    resource = res_name.replace_strict(ids, default=-1, return_dtype=pl.Int64).to_numpy()
    keys = keys.with_columns(
        pl.Series("resource", resource),
        (pl.col("relevant") & ~pl.col("is_js") & pl.col("library").is_null()).alias("func_rel"),
    )
    funcs, func_of_key = distinct_rows(
        keys.select("name", "is_js", "func_rel", "resource", "line", "column")
    )
    first_name = len(col.strings)  # func names follow the interned strings, one per func
    col.func_names = funcs["name"].cast(pl.String)
    frame_table = {
        "length": frames.height,
        "inlineDepth": constant(0, frames.height, pl.Int64),
        "func": pl.Series(func_of_key[key_of_frame]),
        "address": pl.Series(relative[key_of_frame]),
        "category": frames["category"],
        "subcategory": frames["subcategory"],
        "line": frames["line"],
        "column": frames["column"],
        "lib": pl.Series(lib_index[key_of_frame]),
    }
    func_table = {
        "length": funcs.height,
        "name": pl.Series(np.arange(first_name, first_name + funcs.height, dtype=np.int64)),
        "isJS": funcs["is_js"],
        "relevantForJS": funcs["func_rel"],
        "resource": funcs["resource"],
        "lineNumber": funcs["line"],
        "columnNumber": funcs["column"],
    }
    return frame_table, func_table


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
    process_of: dict[int, int] = {}  # id(process) → its position in col.process_libs
    chosen: list[ThreadTables] = []
    for pos, (t, proc, shift, tpath) in enumerate(flat):
        if keep is not None and pos not in keep:
            continue
        if id(proc) not in process_of:
            libs = _maybe_json(proc.get("libs") or [], path="libs")
            process_of[id(proc)] = len(col.process_libs)
            col.process_libs.append(_Libs(libs if isinstance(libs, list) else []))
        chosen.append(_thread_tables(t, process_of[id(proc)], shift, tpath))
    col.threads = convert_threads(chosen, intern=col.string)
    converted = iter(col.threads.threads)
    out_threads = [
        next(converted) if keep is None or pos in keep else {"name": names[pos], "_skipped": True}
        for pos in range(len(flat))
    ]
    frame_table, func_table = col.tables(n_categories)

    meta = dict(root_meta)
    meta["categories"] = categories
    v70 = {
        "meta": meta,
        "libs": col.libs,
        "shared": {
            "stringArray": col.string_table(),
            "stackTable": col.stack_table(),
            "frameTable": frame_table,
            "funcTable": func_table,
            "resourceTable": {"length": len(col.res_cols["name"]), **col.res_cols},
        },
        "threads": out_threads,
    }
    chosen = {i for i, t in enumerate(out_threads) if not t.get("_skipped")}
    return read_v70(v70, keep=chosen)


def _thread_tables(t: dict, process: int, shift: float, path: str) -> ThreadTables:
    """One thread's tables as read, to be converted with the others."""
    strings = t.get("stringTable")  # a list, or a Series the scanner read into Arrow
    if isinstance(strings, pl.Series) and strings.dtype != pl.String:
        strings = strings.to_list()
    if not isinstance(strings, (list, pl.Series)):
        raise ProfileFormatError("expected an array of strings", path=f"{path}.stringTable")
    return ThreadTables(
        raw=t,
        strings=strings,
        frames=_table(t.get("frameTable"), path=f"{path}.frameTable"),
        stacks=_table(t.get("stackTable"), path=f"{path}.stackTable"),
        samples=_table(t.get("samples"), path=f"{path}.samples"),
        markers=_table(t.get("markers"), path=f"{path}.markers"),
        process=process,
        shift=shift,
        path=path,
    )
