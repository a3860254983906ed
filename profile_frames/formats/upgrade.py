"""Upgrade a raw processed profile, one version step at a time, to the v70 layout.

Like the Firefox Profiler's ``processed-profile-versioning.ts``, each step handles exactly one
format change (see ``../shared/FORMAT.md`` a.6), so no later code asks which version a file was.
Steps that only matter to the UI (marker schema wording, window IDs …) are not needed here.
Column values may be Python lists, Arrow arrays or polars Series; steps that remap indexes do
it vectorised.

Example
-------
>>> tree = {"meta": {"preprocessedProfileVersion": 10}, "threads": [], "libs": []}
>>> upgrade(tree, 10)
>>> [c["name"] for c in tree["meta"]["categories"]][:3], tree["shared"]["stringArray"]
(['Idle', 'Other', 'Layout'], [])
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from ..errors import ProfileFormatError
from ..indexes import copy_indexes
from ..scan import SKIPPED
from .columns import as_series, mixes_booleans, table_length, where

CURRENT_VERSION = 70
THREAD_TABLES = ("stackTable", "frameTable", "funcTable", "resourceTable", "nativeSymbols")
# (table, column) pairs holding indexes into the string array, by the time of v56
STRING_COLUMNS = (
    ("funcTable", "name"),
    ("funcTable", "fileName"),
    ("resourceTable", "name"),
    ("resourceTable", "host"),
    ("nativeSymbols", "name"),
    ("markers", "name"),
)
# (table, column, table it indexes) for merging per-thread tables into shared ones (v60)
TABLE_INDEX_COLUMNS = (
    ("stackTable", "prefix", "stackTable"),
    ("stackTable", "frame", "frameTable"),
    ("frameTable", "func", "funcTable"),
    ("frameTable", "nativeSymbol", "nativeSymbols"),
    ("funcTable", "resource", "resourceTable"),
    ("samples", "stack", "stackTable"),
    ("jsAllocations", "stack", "stackTable"),
    ("nativeAllocations", "stack", "stackTable"),
)
ESSENTIAL = {"frame", "func", "stack", "prefix", "prefixOffset"}
# columns a per-thread table with rows must have (each entry: one of these)
REQUIRED = {
    "stackTable": (("frame",), ("prefix", "prefixOffset")),
    "frameTable": (("func",),),
    "funcTable": (("name",),),
}
DEFAULT_CATEGORIES = [{"name": "Other", "color": "grey", "subcategories": ["Other"]}]


def _threads(tree: dict) -> list[dict]:
    return [t for t in tree.get("threads", []) if isinstance(t, dict)]


def _offset(
    value: Any,
    offset: int,
    *,
    path: str,
    limit: int | None = None,
    what: str = "index",
) -> pl.Series | list:
    """Add ``offset`` to every index that is >= 0 (nulls and -1 stay). With ``limit``, every
    index must first be below it: an index past its own thread's table would otherwise land
    in the next thread's rows after the join, where no later check could see it."""
    if isinstance(value, list) and len(value) <= SMALL_LIST:
        shifted = _offset_list(value, offset, path=path, limit=limit, what=what)
        if shifted is not None:
            return shifted
    if isinstance(value, (pa.Array, pa.ChunkedArray)):
        value = pl.Series("", value)
    s = value if isinstance(value, pl.Series) and value.dtype.is_integer() else None
    if s is None:
        s = as_series(value, path=path, dtype=pl.Int64)
    if len(s) == 0:
        return s
    if s.dtype in _ADDABLE:  # most columns: 20 µs, not 90 (a null stays null)
        low, high = s.min(), s.max()
        if low is None:
            return s
        fits = (limit is None or high < limit) and high + offset <= _ADDABLE[s.dtype]
        if low >= 0 and fits:
            return s + offset if offset else s
    out, nulls = _joined_ints([s])  # in numpy: each polars reduction costs 50-100 µs
    _check_and_shift(out, limit, offset, path=path, what=what)
    return _masked(out, nulls) if offset else s


SMALL_LIST = 4096  # index lists this short are shifted in Python: a Series costs more
_ADDABLE = {pl.Int32: 2**31 - 1, pl.Int64: 2**63 - 1}  # shifted by polars, up to these


def _offset_list(
    values: list, offset: int, *, path: str, limit: int | None, what: str
) -> list | None:
    """:func:`_offset` of a short list of plain integers (and nulls), as a list (the shared
    tables join lists without a Series each); None if a cell is anything else.

    >>> _offset_list([0, None, -1, 2], 10, path="p", limit=3, what="index")
    [10, None, -1, 12]
    """
    types = set(map(type, values))  # gathered at C speed
    if not types <= _INT_OR_NONE:
        return None
    present = values if type(None) not in types else [v for v in values if v is not None]
    if limit is not None and present and max(present) >= limit:
        row = next(r for r, v in enumerate(values) if v is not None and v >= limit)
        raise _range_error(values[row], row, limit, path=path, what=what)
    if not offset:
        return values
    if present is values and (not values or min(values) >= 0):
        return [v + offset for v in values]
    return [v + offset if v is not None and v >= 0 else v for v in values]


_INT_OR_NONE = {int, type(None)}


def _check_and_shift(
    indexes: np.ndarray, limit: int | None, offset: int, *, path: str, what: str
) -> None:
    """In place: every index must be below ``limit`` (if given), then ``offset`` is added to
    those >= 0 (nulls are -1 in these arrays, and -1 stays)."""
    if limit is not None and len(indexes) and indexes.max() >= limit:
        row = int(np.flatnonzero(indexes >= limit)[0])
        raise _range_error(int(indexes[row]), row, limit, path=path, what=what)
    if offset:
        np.add(indexes, offset, out=indexes, where=indexes >= 0)


def _masked(values: np.ndarray, nulls: np.ndarray | None) -> pl.Series:
    """A Series of ``values``, null where ``nulls`` says (None: none)."""
    return pl.Series("", values if nulls is None else pa.array(values, mask=nulls))


def _range_error(value: int, row: int, size: int, *, path: str, what: str) -> ProfileFormatError:
    return ProfileFormatError(
        f"{what} {value} at row {row} is out of range (the thread's table has {size} rows)",
        path=path,
    )


def _string_table_array(tree: dict) -> None:
    """Any version: a serialised StringTable ``thread.stringTable._array`` is ``stringArray``."""
    for t in _threads(tree):
        st = t.get("stringTable")
        if "stringArray" not in t and isinstance(st, dict) and isinstance(st.get("_array"), list):
            t["stringArray"] = st["_array"]
            del t["stringTable"]


def _string_lists(tree: dict) -> None:
    """String tables the scanner read into Arrow (Series) as lists again, for the steps that
    edit them (files from before v17, which are small)."""
    for t in _threads(tree):
        if isinstance(t.get("stringArray"), pl.Series):
            t["stringArray"] = t["stringArray"].to_list()


# Before v12, frame categories were Gecko bit flags (js::ProfilingStackFrame::Category).
V12_CATEGORIES = [
    {"name": "Idle", "color": "transparent"},
    {"name": "Other", "color": "grey"},
    {"name": "Layout", "color": "purple"},
    {"name": "JavaScript", "color": "yellow"},
    {"name": "GC / CC", "color": "orange"},
    {"name": "Network", "color": "lightblue"},
    {"name": "Graphics", "color": "green"},
    {"name": "DOM", "color": "blue"},
]
V12_FLAG_TO_CATEGORY = {16: 1, 32: 2, 64: 3, 128: 4, 256: 4, 512: 5, 1024: 6, 2048: 7, 4096: 7}


def _v1_thread_process_types(tree: dict) -> None:
    """v1 gave threads a ``processType``; content-process main threads were renamed GeckoMain."""
    for t in _threads(tree):
        if "processType" not in t:
            if t.get("name") == "Content":
                t["processType"], t["name"] = "tab", "GeckoMain"
            else:
                t["processType"] = "plugin" if t.get("name") == "Plugin" else "default"


_DOM_CALL = re.compile(r"^(get |set )?\w+(\.\w+| constructor)$")
_ENTRY = "AutoEntryScript "


def _v17_relevant_for_js(tree: dict) -> None:
    """v17 added ``funcTable.relevantForJS``; ``AutoEntryScript x`` labels became ``x``."""
    for i, t in enumerate(_threads(tree)):
        funcs, strings = t.get("funcTable"), t.get("stringArray")
        if (
            not isinstance(funcs, dict)
            or not isinstance(strings, list)
            or funcs.get("relevantForJS") is not None
        ):
            continue
        names = as_series(
            funcs.get("name", []), path=f"threads[{i}].funcTable.name", dtype=pl.Int64
        ).to_list()
        relevant = []
        for f, idx in enumerate(names):
            s = strings[idx] if idx is not None and 0 <= idx < len(strings) else ""
            s = s if isinstance(s, str) else ""
            if s.startswith(_ENTRY):
                names[f] = len(strings)
                strings.append(s[len(_ENTRY) :])
                relevant.append(True)
            else:
                relevant.append(bool(_DOM_CALL.match(s)))
        funcs["name"] = names
        funcs["relevantForJS"] = relevant


_JS_NAME = (re.compile(r"^(.*) \((.*):([0-9]+)\)$", re.S), re.compile(r"^()(.*):([0-9]+)$", re.S))


def _v4_js_func_names(tree: dict) -> None:
    """v4 split JS function names ``name (url:line)`` into name, ``fileName`` and ``lineNumber``."""
    for i, t in enumerate(_threads(tree)):
        funcs, strings = t.get("funcTable"), t.get("stringArray")
        if (
            not isinstance(funcs, dict)
            or not isinstance(strings, list)
            or funcs.get("isJS") is None
            or funcs.get("name") is None  # the v60 join reports it missing
        ):
            continue
        n = table_length(funcs, path=f"threads[{i}].funcTable", keys=("name",))
        is_js = as_series(
            funcs["isJS"], path=f"threads[{i}].funcTable.isJS", dtype=pl.Boolean
        ).to_list()
        names = as_series(
            funcs["name"], path=f"threads[{i}].funcTable.name", dtype=pl.Int64
        ).to_list()
        files = [None] * n
        lines = [None] * n
        for f in range(min(n, len(is_js), len(names))):
            s = (
                strings[names[f]]
                if is_js[f] and names[f] is not None and 0 <= names[f] < len(strings)
                else None
            )
            m = (_JS_NAME[0].match(s) or _JS_NAME[1].match(s)) if isinstance(s, str) else None
            if m:
                uri = m.group(2).split(" -> ")[-1]
                names[f] = len(strings)
                strings.append(m.group(1) or uri)
                files[f] = len(strings)
                strings.append(uri)
                lines[f] = int(m.group(3))
        funcs["name"] = names
        if funcs.get("fileName") is None:
            funcs["fileName"] = files
        if funcs.get("lineNumber") is None:
            funcs["lineNumber"] = lines


def _v12_categories(tree: dict) -> None:
    """v12 added ``meta.categories``: old bit-flag frame categories map onto the v12 list."""
    meta = tree.setdefault("meta", {})
    if isinstance(meta.get("categories"), list) and meta["categories"]:
        return
    meta["categories"] = [dict(c) for c in V12_CATEGORIES]
    mapping = pl.DataFrame(
        {"flag": list(V12_FLAG_TO_CATEGORY), "cat": list(V12_FLAG_TO_CATEGORY.values())},
        schema={"flag": pl.Int64, "cat": pl.Int64},
    )
    for i, t in enumerate(_threads(tree)):
        frames = t.get("frameTable")
        if not isinstance(frames, dict) or frames.get("category") is None:
            continue
        flags = as_series(
            frames["category"], path=f"threads[{i}].frameTable.category", dtype=pl.Int64
        )
        exponent = flags.clip(lower_bound=1).log(2).floor().cast(pl.Int64)  # log2(0) is -inf
        top_bit = pl.select(pl.when(flags > 0).then(pl.lit(2, pl.Int64).pow(exponent))).to_series()
        mapped = pl.DataFrame({"flag": top_bit}).join(
            mapping, on="flag", how="left", maintain_order="left"
        )["cat"]
        frames["category"] = mapped.fill_null(1) if len(mapped) else mapped


def _v23_subcategories(tree: dict) -> None:
    """v23 gave categories ``subcategories``."""
    for c in (tree.get("meta") or {}).get("categories") or []:
        if isinstance(c, dict) and not isinstance(c.get("subcategories"), list):
            c["subcategories"] = ["Other"]


def _v29_duration_to_weight(tree: dict) -> None:
    """v29 renamed samples ``duration`` to ``weight`` and made ``weightType`` explicit."""
    for t in _threads(tree):
        s = t.get("samples")
        if isinstance(s, dict) and "weight" not in s and "duration" in s:
            s["weight"] = s.pop("duration")
            s.setdefault("weightType", "tracing-ms")


def _v41_profile_libs(tree: dict) -> None:
    """v41 moved ``thread.libs`` to ``profile.libs``; ``resourceTable.lib`` now indexes those."""
    libs: list = tree.setdefault("libs", [])
    if not isinstance(libs, list):
        libs = tree["libs"] = []
    for i, t in enumerate(tree.get("threads", [])):
        if not isinstance(t, dict):
            continue
        local = t.pop("libs", None)
        res = t.get("resourceTable")
        if not isinstance(local, list) or not isinstance(res, dict) or "lib" not in res:
            continue
        res["lib"] = _offset(
            res["lib"],
            len(libs),
            path=f"threads[{i}].resourceTable.lib",
            limit=len(local),
            what="lib index",
        )
        libs.extend(local)


def _v56_shared_strings(tree: dict) -> None:
    """v56 moved the per-thread ``stringArray`` into ``profile.shared.stringArray``. Lists are
    chained into one list; string tables the scanner read into Arrow (Series) make the joined
    table a Series."""
    shared = tree.setdefault("shared", {})
    first = shared.get("stringArray")
    parts: list = [first] if first is not None else []  # lists and Series, in thread order
    total = len(first) if first is not None else 0
    for i, t in enumerate(tree.get("threads", [])):
        if not isinstance(t, dict):
            continue
        local = t.pop("stringArray", None)
        if local is None:  # a thread without strings: any string index it holds is wrong
            local = []
        if not isinstance(local, (list, pl.Series)):
            raise ProfileFormatError(
                "expected an array of strings", path=f"threads[{i}].stringArray"
            )
        for table, col in STRING_COLUMNS:
            tab = t.get(table)
            if isinstance(tab, dict) and tab.get(col) is not None:
                tab[col] = _offset(
                    tab[col],
                    total,
                    path=f"threads[{i}].{table}.{col}",
                    limit=len(local),
                    what="string index",
                )
        parts.append(local)
        total += len(local)
    if all(isinstance(p, list) for p in parts):
        shared["stringArray"] = list(itertools.chain.from_iterable(parts))
        return
    try:
        shared["stringArray"] = pl.concat(
            [p if isinstance(p, pl.Series) else pl.Series("", p, dtype=pl.String) for p in parts],
            rechunk=True,
        )
    except Exception:  # a list of something else than strings
        raise ProfileFormatError(
            "expected an array of strings", path="shared.stringArray"
        ) from None


def _v60_shared_tables(tree: dict) -> None:
    """v60 moved stack, frame, func, resource and native-symbol tables to ``profile.shared``.

    The Firefox upgrader deduplicates funcs across threads; we concatenate with offsets, which
    gives the same numbers per thread.
    """
    shared = tree.setdefault("shared", {})
    threads = _threads(tree)
    if not threads or all(not isinstance(t.get("stackTable"), dict) for t in threads):
        return
    offsets: dict[str, int] = {name: 0 for name in THREAD_TABLES}
    pieces: dict[str, list[tuple[int, dict, int]]] = {name: [] for name in THREAD_TABLES}
    for i, t in enumerate(tree["threads"]):
        if not isinstance(t, dict):
            continue
        starts, sizes = dict(offsets), {}
        for name in THREAD_TABLES:
            tab = t.pop(name, None)
            if tab is None:
                tab = {"length": 0}
            n = table_length(
                tab, path=f"threads[{i}].{name}", keys=tuple(tab) if isinstance(tab, dict) else ()
            )
            for either in REQUIRED.get(name, ()) if n else ():
                if all(tab.get(c) is None for c in either):
                    names = "' or '".join(either)
                    raise ProfileFormatError(
                        f"missing column '{names}'", path=f"threads[{i}].{name}"
                    )
            pieces[name].append((i, tab, n))
            offsets[name] += n
            sizes[name] = n
        for table, col, target in TABLE_INDEX_COLUMNS:
            if table in THREAD_TABLES:
                continue
            tab = t.get(table)
            if isinstance(tab, dict) and tab.get(col) is not None:
                if table == "samples" and col == "stack":  # the scanner may have counted it
                    t["_countedStack"] = (tab[col], starts[target])
                tab[col] = _offset(
                    tab[col],
                    starts[target],
                    path=f"threads[{i}].{table}.{col}",
                    limit=sizes[target],
                    what=f"{target} index",
                )
        t["_tableOffsets"], t["_tableSizes"] = starts, sizes
    for name in THREAD_TABLES:
        shared[name] = _concat_tables(name, pieces[name], offsets_by_thread=tree["threads"])


def _concat_tables(
    name: str, pieces: list[tuple[int, dict, int]], *, offsets_by_thread: list
) -> dict:
    """One shared table from the threads' own: each column joined once (Python lists chained
    before a single Series is built), index columns shifted by one vector of per-thread
    offsets, so the cost is per column, not per thread and column."""
    keys: list[str] = []
    for _, tab, _ in pieces:
        for k in tab:
            if k != "length" and k not in keys:
                keys.append(k)
    out: dict[str, Any] = {"length": sum(n for _, _, n in pieces)}
    index_cols = {col: target for table, col, target in TABLE_INDEX_COLUMNS if table == name}
    for k in keys:
        values: list[Any] = []
        for i, tab, n in pieces:
            v = tab.get(k)
            if isinstance(v, list) and v and isinstance(v[0], (dict, list)):
                break  # nested values: not a column we read
            if v is not None:
                have = len(v) if isinstance(v, (list, pl.Series)) else None
                if have is not None and have != n and (have > n or k in ESSENTIAL):
                    raise ProfileFormatError(
                        f"column '{k}' has {have} rows but the table has {n}",
                        path=f"threads[{i}].{name}",
                    )
            values.append((i, v, n))
        else:
            joined = _joined_column(name, k, values, offsets_by_thread, index_cols.get(k))
            if joined is not None:
                out[k] = joined
    return out


def _joined_column(
    table: str, key: str, values: list[tuple[int, Any, int]], by_thread: list, target: str | None
) -> pl.Series | None:
    """Column ``key`` of every thread's ``table`` as one Series (missing or short columns
    padded with nulls, as JavaScript reads holes); ``target``: the table it indexes, whose
    per-thread offsets are added to every index >= 0."""
    parts: list[pl.Series] = []
    run: list[Any] = []
    dropped = False

    def flush() -> None:
        nonlocal dropped
        if run:
            part = _series(run, table=table, key=key, values=values)
            dropped = dropped or part is None
            if part is not None:
                parts.append(part)
            run.clear()

    for i, v, n in values:
        if v is None or isinstance(v, list):
            run.extend(v if v is not None else [None] * n)
            if v is not None and len(v) < n:
                run.extend([None] * (n - len(v)))
            continue
        flush()
        if not isinstance(v, (pl.Series, pa.Array, pa.ChunkedArray)):
            raise ProfileFormatError(
                f"expected an array, got {type(v).__name__}", path=f"threads[{i}].{table}.{key}"
            )
        s = as_series(v, path=where(f"threads[{i}].{table}", key), dtype=_loose_dtype(v))
        parts.append(s.extend_constant(None, n - len(s)) if len(s) < n else s)
    flush()
    if dropped:  # nested values in a column nothing reads
        return None
    if not parts:
        return pl.Series("", [], dtype=pl.Int64)
    ints = _joined_ints(parts)
    if ints is None:
        s = _concat_series(parts) if len(parts) != 1 else parts[0]
        if target is None:
            return s
        ints = _joined_ints([as_series(s, path=f"threads[*].{table}.{key}", dtype=pl.Int64)])
        assert ints is not None  # (an Int64 column)
    out, nulls = ints
    if target is not None:
        bounds = [(i, n) for i, _, n in values]
        _shift_indexes(out, bounds, by_thread, table=table, key=key, target=target)
    return _masked(out, nulls)


_WIDE = (pl.Int64, pl.UInt32, pl.UInt64)  # integer dtypes whose values may not fit int32
_INT32 = np.iinfo(np.int32)
_INT64_MAX = np.iinfo(np.int64).max


def _joined_ints(parts: list[pl.Series]) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Integer parts in one numpy array, int32 when every value fits (as the readers keep
    them), and the rows that are null (None if none are); None when a part is not integers.
    The parts are joined by one polars concatenation and copied out once: a copy per part
    cost 14 ms a column over a samply import's 530 threads, the concatenation 1 ms.

    >>> out, nulls = _joined_ints([pl.Series([1, None], dtype=pl.Int32), pl.Series([7])])
    >>> out.dtype.name, out.tolist(), nulls.tolist()
    ('int32', [1, -1, 7], [False, True, False])
    """
    if not all(p.dtype.is_integer() for p in parts):
        return None
    if len({p.dtype for p in parts}) > 1:
        if any(p.dtype == pl.UInt64 and (p.max() or 0) > _INT64_MAX for p in parts):
            return None  # beyond int64: polars' casts word the error
        parts = [p.cast(pl.Int64) for p in parts]
    joined = parts[0] if len(parts) == 1 else pl.concat(parts, rechunk=True)
    dtype = np.int32
    if joined.dtype in _WIDE and len(joined) > joined.null_count():
        low, high = joined.min(), joined.max()
        if high > _INT64_MAX:
            return None
        if low < _INT32.min or high > _INT32.max:
            dtype = np.int64
    out = np.empty(len(joined), dtype=dtype)
    nulls = np.zeros(len(out), dtype=bool) if joined.null_count() else None
    copy_indexes(joined, out, null_as=-1, nulls=nulls)
    return out, nulls


def _shift_indexes(
    out: np.ndarray,
    bounds: list[tuple[int, int]],
    by_thread: list,
    *,
    table: str,
    key: str,
    target: str,
) -> None:
    """Check and shift, in place, an index column joined from the threads' ``(thread, rows)``
    in turn (nulls are -1 here): every index must be below its own thread's table size, and
    gets the thread's offset into the joined ``target`` added when it is >= 0."""
    start = 0
    for thread, n in bounds:
        _check_and_shift(
            out[start : start + n],
            by_thread[thread]["_tableSizes"][target],
            by_thread[thread]["_tableOffsets"][target],
            path=f"threads[{thread}].{table}.{key}",
            what=f"{target} index",
        )
        start += n


BOOLEAN_COLUMNS = frozenset(("isJS", "relevantForJS"))  # 0/1 read as JavaScript tests them
# columns of the per-thread tables that the reader uses: nested values there are an error;
# other columns with nested values (old ``frameTable.optimizations``) are dropped at the join
READ_COLUMNS = frozenset(
    ("prefix", "prefixOffset", "frame", "category", "subcategory", "func", "address", "line")
    + ("column", "inlineDepth", "nativeSymbol", "innerWindowID", "lib", "name", "resource")
    + ("fileName", "source", "lineNumber", "columnNumber", "isJS", "relevantForJS", "host")
    + ("type", "libIndex", "functionSize")
)


def _series(run: list, *, table: str, key: str, values: list) -> pl.Series | None:
    """A Series from chained Python lists; a column that does not convert whole is converted
    thread by thread, so the error names the thread. None: a column of nested values that
    nothing reads."""
    try:
        s = pl.Series("", run, strict=False)
        if s.dtype.is_nested() and key not in READ_COLUMNS:
            return None
        mixed_bools = key not in BOOLEAN_COLUMNS and mixes_booleans(s, run)
        if s.dtype != pl.Object and not s.dtype.is_nested() and not mixed_bools:
            return s if s.dtype != pl.Null else s.cast(pl.Int64)
    except Exception:
        pass
    for i, v, _ in values:
        if isinstance(v, list):
            as_series(v, path=f"threads[{i}].{table}.{key}", dtype=_loose_dtype(v))
    raise ProfileFormatError("expected an array of plain values", path=f"threads[*].{table}.{key}")


def _loose_dtype(v: Any) -> pl.DataType:
    s = (
        v
        if isinstance(v, pl.Series)
        else pl.Series("", v, strict=False)
        if isinstance(v, list)
        else pl.Series("", v)
    )
    return s.dtype if s.dtype != pl.Null else pl.Int64


def _concat_series(parts: list[pl.Series]) -> pl.Series:
    dtypes = {p.dtype for p in parts if p.dtype != pl.Null and len(p)}
    if not dtypes:
        target: pl.DataType = pl.Int64
    elif len(dtypes) == 1:
        target = dtypes.pop()
    elif all(d.is_numeric() or d == pl.Boolean for d in dtypes):
        target = pl.Float64 if any(d.is_float() for d in dtypes) else pl.Int64
    else:
        target = pl.String
    return pl.concat([p.cast(target, strict=False) for p in parts], rechunk=True)  # gathers


def _v70_frame_lib(tree: dict) -> None:
    """v70 moved ``lib`` from the resource table to ``frameTable.lib`` (-1 = none)."""
    shared = tree.get("shared", {})
    frames, funcs, res = (shared.get(k) for k in ("frameTable", "funcTable", "resourceTable"))
    if not isinstance(frames, dict) or frames.get("lib") is not None:
        return
    if not isinstance(funcs, dict) or not isinstance(res, dict) or res.get("lib") is None:
        return
    func = as_series(frames.get("func", []), path="shared.frameTable.func", dtype=pl.Int64)
    resource = as_series(
        funcs.get("resource", []), path="shared.funcTable.resource", dtype=pl.Int64
    )
    lib = as_series(res["lib"], path="shared.resourceTable.lib", dtype=pl.Int64)
    if len(func) and (func.max() or 0) >= len(resource):
        return  # reported by the reader with a better message
    fr = (
        resource.gather(func.fill_null(0).clip(0, max(len(resource) - 1, 0)))
        if len(resource)
        else func * 0 - 1
    )
    ok = (fr >= 0) & (fr < len(lib)) & func.is_not_null()
    lib_of = lib.gather(fr.clip(0, max(len(lib) - 1, 0))) if len(lib) else fr * 0 - 1
    frames["lib"] = pl.select(pl.when(ok).then(lib_of).otherwise(-1)).to_series().fill_null(-1)


STEPS: list[tuple[int, Callable[[dict], None]]] = [
    (1, _v1_thread_process_types),
    (4, _v4_js_func_names),
    (12, _v12_categories),
    (17, _v17_relevant_for_js),
    (23, _v23_subcategories),
    (29, _v29_duration_to_weight),
    (41, _v41_profile_libs),
    (56, _v56_shared_strings),
    (60, _v60_shared_tables),
    (70, _v70_frame_lib),
]


# what the top level and each thread's tables must be, when present (null = absent)
TOP_LEVEL = {"meta": dict, "shared": dict, "threads": list, "libs": list, "counters": list}
THREAD_LEVEL = (*THREAD_TABLES, "samples", "markers", "stringArray")


def _check_containers(tree: dict) -> None:
    """Objects where objects belong and arrays where arrays belong, checked once before any
    upgrade step reads them (a step must not be where a wrong type first surfaces)."""

    def check(v: Any, kind: type | tuple[type, ...], path: str, what: str) -> None:
        if v is not None and v is not SKIPPED and not isinstance(v, kind):
            raise ProfileFormatError(f"expected {what}", path=path)

    for key, kind in TOP_LEVEL.items():
        check(tree.get(key), kind, key, "an object" if kind is dict else "an array")
    for key in ("categories", "markerSchema"):
        check((tree.get("meta") or {}).get(key), list, f"meta.{key}", "an array")
    tables = [("shared", tree.get("shared") or {})] + [
        (f"threads[{i}]", t) for i, t in enumerate(tree.get("threads") or [])
    ]
    for where_, holder in tables:
        if not isinstance(holder, dict):
            raise ProfileFormatError("expected a thread object", path=where_)
        for key in THREAD_LEVEL:
            if key == "stringArray":  # a Series: the scanner read a string table into Arrow
                check(holder.get(key), (list, pl.Series), f"{where_}.{key}", "an array of strings")
            else:
                check(holder.get(key), dict, f"{where_}.{key}", f"a {key} object")


def upgrade(tree: dict, version: int) -> None:
    """Upgrade ``tree`` (a processed profile of ``version``) in place to the v70 layout."""
    _check_containers(tree)
    for key in TOP_LEVEL:  # null is absent, once for every step (``shared: null`` reached
        if key in tree and tree[key] is None:  # steps as None, found by fuzzing)
            del tree[key]
    _string_table_array(tree)
    if version < 17:  # the v4 and v17 steps edit string tables as lists
        _string_lists(tree)
    for target, step in STEPS:
        if version < target:
            step(tree)
    if version >= 23:  # hand-made files of later versions may still lack subcategories
        _v23_subcategories(tree)
