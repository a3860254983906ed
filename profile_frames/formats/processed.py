"""Read a processed profile (any version, upgraded to the v70 layout) into canonical tables.

Gecko profiles are converted to the same layout by :mod:`.gecko` and read here too.

Example
-------
>>> tree = {"meta": {"preprocessedProfileVersion": 70, "interval": 1, "startTime": 0,
...     "categories": [{"name": "Other", "color": "grey", "subcategories": ["Other"]}]},
...   "libs": [], "shared": {"stringArray": ["main"],
...     "stackTable": {"length": 1, "prefix": [None], "frame": [0]},
...     "frameTable": {"length": 1, "func": [0], "category": [0]},
...     "funcTable": {"length": 1, "name": [0], "resource": [-1]}},
...   "threads": [{"name": "t", "samples": {"length": 2, "stack": [0, None], "time": [0, 1]}}]}
>>> parts = read_processed(tree, version=70)
>>> parts.funcs["name"].to_list(), parts.threads[0].samples["weight"].to_list()
(['main'], [1, 1])
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from .. import schema
from ..errors import ProfileFormatError
from ..indexes import constant, take
from ..rows import Rows
from ..scan import SKIPPED, json_value_pattern
from ..tree import nearest_marked
from .columns import check_index, column, table_length
from .conversions import CpuMicros, RunningTime, convert_column, cpu_factor
from .upgrade import upgrade


@dataclass
class ThreadParts:
    """One thread's own tables and header fields."""

    info: dict
    samples: pl.DataFrame
    markers: pl.DataFrame
    stack_counts: np.ndarray | None = None  # samples per stack (weight 1), counted while read
    stack_offset: int = 0  # what the counted stack numbers have been shifted by since


@dataclass
class ProfileParts:
    """Everything the canonical :class:`~profile_frames.model.Profile` is made of."""

    meta: dict
    categories: pl.DataFrame
    libs: pl.DataFrame
    stacks: pl.DataFrame
    frames: pl.DataFrame
    funcs: pl.DataFrame
    native_symbols: pl.DataFrame
    threads: list[ThreadParts] = field(default_factory=list)


def read_processed(
    tree: Any, *, version: int, keep: set[int] | None = None, counted: Any = None
) -> ProfileParts:
    """Upgrade ``tree`` and build canonical tables; ``keep`` limits which thread indexes are read;
    ``counted`` is the scanner's :class:`~.conversions.BlockConverters`, if it read the file."""
    upgrade(tree, version)
    return read_v70(tree, keep=keep, counted=counted)


def read_v70(tree: dict, *, keep: set[int] | None = None, counted: Any = None) -> ProfileParts:
    meta = tree.get("meta") or {}
    shared = tree.get("shared") or {}
    if not isinstance(shared, dict):
        raise ProfileFormatError("expected an object", path="shared")
    strings = _strings(shared.get("stringArray", []))
    categories = _categories(meta.get("categories"))
    libs = _libs(tree.get("libs", []))
    funcs = _funcs(shared, strings)
    frames = _frames(shared, n_funcs=len(funcs), n_libs=len(libs), n_categories=len(categories))
    stacks = _stacks(shared.get("stackTable") or {"length": 0}, frames, categories)
    native = _native_symbols(shared.get("nativeSymbols") or {"length": 0}, strings)
    if len(frames):
        check_index(
            frames["native_symbol"],
            len(native),
            path="shared.frameTable.nativeSymbol",
            what="native symbol",
        )
    cpu_scale = cpu_factor(meta)
    threads = []
    raw_threads = tree.get("threads")
    if not isinstance(raw_threads, list):
        raise ProfileFormatError("expected an array of threads", path="threads")
    for i, t in enumerate(raw_threads):
        if keep is not None and i not in keep:
            continue
        if not isinstance(t, dict):
            raise ProfileFormatError("expected a thread object", path=f"threads[{i}]")
        samples = t.get("samples")
        # a v55 thread's stack column was shifted when its table joined the shared one
        column, offset = t.pop("_countedStack", None) or (
            samples.get("stack") if isinstance(samples, dict) else None,
            0,
        )
        pre = counted.stack_counts(i, column) if counted is not None else None
        threads.append(
            _thread(
                t,
                i,
                strings,
                n_stacks=len(stacks),
                cpu_scale=cpu_scale,
                stack_counts=pre,
                stack_offset=offset,
            )
        )
    return ProfileParts(meta, categories, libs, stacks, frames, funcs, native, threads)


def _strings(value: Any) -> pl.Series:
    if isinstance(value, pl.Series) and value.dtype == pl.String:  # read into Arrow by the scanner
        return value.alias("strings")
    if value is SKIPPED or not isinstance(value, list):
        raise ProfileFormatError("expected an array of strings", path="shared.stringArray")
    try:
        return pl.Series("strings", value, dtype=pl.String)
    except Exception:
        raise ProfileFormatError(
            "expected an array of strings", path="shared.stringArray"
        ) from None


def _lookup(strings: pl.Series, idx: pl.Series, *, path: str) -> pl.Series:
    check_index(idx, len(strings), path=path, what="string")
    if len(strings) == 0:
        return constant(None, len(idx), pl.String)
    return take(strings, idx)


def _categories(raw: Any) -> pl.DataFrame:
    rows = []
    for i, c in enumerate(raw or []):
        if not isinstance(c, dict):
            raise ProfileFormatError("expected a category object", path=f"meta.categories[{i}]")
        subs = c.get("subcategories")
        rows.append(
            {
                "name": str(c.get("name", "")),
                "color": str(c.get("color", "grey")),
                "subcategories": [str(s) for s in subs] if isinstance(subs, list) else ["Other"],
            }
        )
    if not rows:
        rows = [{"name": "Other", "color": "grey", "subcategories": ["Other"]}]
    return pl.DataFrame(rows, schema=schema.CATEGORIES)


def _libs(raw: Any) -> pl.DataFrame:
    rows = []
    if isinstance(raw, list):
        for lib in raw:
            if not isinstance(lib, dict):
                lib = {}
            rows.append(
                {
                    "name": _str(lib.get("name")),
                    "path": _str(lib.get("path")),
                    "debug_name": _str(lib.get("debugName", lib.get("pdbName"))),
                    "debug_path": _str(lib.get("debugPath")),
                    "breakpad_id": _str(lib.get("breakpadId")),
                    "code_id": _str(lib.get("codeId")),
                    "arch": _str(lib.get("arch")),
                }
            )
    return pl.DataFrame(rows, schema=schema.LIBS)


def _str(v: Any) -> str | None:
    return None if v is None else str(v)


def _funcs(shared: dict, strings: pl.Series) -> pl.DataFrame:
    p = "shared.funcTable"
    t = shared.get("funcTable") or {"length": 0}
    n = table_length(t, path=p, keys=("name", "resource"))
    name_index = column(t, "name", path=p, dtype=pl.Int64, length=n)
    if name_index.null_count():
        row = int(name_index.is_null().arg_true()[0])
        raise ProfileFormatError(f"func {row} has no name (null)", path=f"{p}.name")
    name = _lookup(strings, name_index, path=f"{p}.name")
    resource = column(t, "resource", path=p, dtype=pl.Int32, length=n, default=-1).fill_null(-1)
    res_table = shared.get("resourceTable") or {"length": 0}
    rp = "shared.resourceTable"
    n_res = table_length(res_table, path=rp, keys=("name", "lib"))
    check_index(resource, n_res, path=f"{p}.resource", what="resource", allow_negative_one=True)
    res_name_idx = column(res_table, "name", path=rp, dtype=pl.Int64, length=n_res, default=None)
    res_names = _lookup(strings, res_name_idx, path=f"{rp}.name")
    library = _gather_or_null(res_names, resource)
    if t.get("fileName") is not None:
        file = _lookup(
            strings, column(t, "fileName", path=p, dtype=pl.Int64, length=n), path=f"{p}.fileName"
        )
    elif t.get("source") is not None:
        file = _source_files(shared, column(t, "source", path=p, dtype=pl.Int64, length=n), strings)
    else:
        file = constant(None, n, pl.String)
    return pl.DataFrame(
        {
            "name": name,
            "library": library,
            "file": file,
            "line": column(t, "lineNumber", path=p, dtype=pl.Int32, length=n, default=None),
            "column": column(t, "columnNumber", path=p, dtype=pl.Int32, length=n, default=None),
            "is_js": column(t, "isJS", path=p, dtype=pl.Boolean, length=n, default=False).fill_null(
                False
            ),
            "relevant_for_js": column(
                t, "relevantForJS", path=p, dtype=pl.Boolean, length=n, default=False
            ).fill_null(False),
            "resource": resource.replace(-1, None),
        },
        schema=schema.FUNCS,
    )


def _source_files(shared: dict, source: pl.Series, strings: pl.Series) -> pl.Series:
    src = shared.get("sources") or {"length": 0}
    n = table_length(src, path="shared.sources", keys=("filename",))
    fn = _lookup(
        strings,
        column(src, "filename", path="shared.sources", dtype=pl.Int64, length=n, default=None),
        path="shared.sources.filename",
    )
    check_index(source, n, path="shared.funcTable.source", what="source")
    return _gather_or_null(fn, source)


def _gather_or_null(values: pl.Series, idx: pl.Series) -> pl.Series:
    """values[idx], null where idx is null or negative."""
    if len(values) == 0:
        return constant(None, len(idx), values.dtype)
    ok = idx.is_not_null() & (idx >= 0)
    got = values.gather(idx.fill_null(0).clip(0, len(values) - 1))
    return pl.select(pl.when(ok).then(got).otherwise(None)).to_series()


def _frames(shared: dict, *, n_funcs: int, n_libs: int, n_categories: int) -> pl.DataFrame:
    p = "shared.frameTable"
    t = shared.get("frameTable") or {"length": 0}
    n = table_length(t, path=p, keys=("func", "address"))
    func = column(t, "func", path=p, dtype=pl.Int32, length=n)
    if func.null_count():
        raise ProfileFormatError("frame without a func (null)", path=f"{p}.func")
    check_index(func, n_funcs, path=f"{p}.func", what="func")
    address = column(t, "address", path=p, dtype=pl.Int64, length=n, default=None)
    lib = column(t, "lib", path=p, dtype=pl.Int32, length=n, default=None)
    lib = lib.replace(-1, None)
    check_index(lib, n_libs, path=f"{p}.lib", what="lib")
    category = column(t, "category", path=p, dtype=pl.Int32, length=n, default=None)
    check_index(category, n_categories, path=f"{p}.category", what="category")
    return pl.DataFrame(
        {
            "func": func,
            "address": address.replace(-1, None),
            "inline_depth": column(t, "inlineDepth", path=p, dtype=pl.Int32, length=n, default=0),
            "line": column(t, "line", path=p, dtype=pl.Int32, length=n, default=None),
            "column": column(t, "column", path=p, dtype=pl.Int32, length=n, default=None),
            "category": category,
            "subcategory": column(t, "subcategory", path=p, dtype=pl.Int32, length=n, default=None),
            "native_symbol": column(
                t, "nativeSymbol", path=p, dtype=pl.Int32, length=n, default=None
            ).replace(-1, None),
            "lib": lib,
        },
        schema=schema.FRAMES,
    )


def stack_parents(t: dict, n: int, *, path: str) -> pl.Series:
    """The parent column from ``prefix`` (<= v65) or ``prefixOffset`` (v66+), null for roots."""
    if t.get("prefixOffset") is not None and t.get("prefix") is None:
        off = column(t, "prefixOffset", path=path, dtype=pl.Int64, length=n)
        if off.null_count() or (len(off) and off.min() < 0):
            raise ProfileFormatError(
                "prefixOffset must be non-negative integers", path=f"{path}.prefixOffset"
            )
        idx = pl.int_range(0, n, dtype=pl.Int64, eager=True)
        parent = pl.select(pl.when(off == 0).then(None).otherwise(idx - off)).to_series()
        if len(parent) and (parent.min() or 0) < 0:
            raise ProfileFormatError(
                "prefixOffset points before the first stack", path=f"{path}.prefixOffset"
            )
        return parent.cast(pl.Int32)
    if n and t.get("prefix") is None:  # every stack a root would be silently wrong numbers
        raise ProfileFormatError("missing column 'prefix' (or 'prefixOffset')", path=path)
    return column(t, "prefix", path=path, dtype=pl.Int32, length=n, default=None)


def _stacks(t: dict, frames: pl.DataFrame, categories: pl.DataFrame) -> pl.DataFrame:
    p = "shared.stackTable"
    n = table_length(t, path=p, keys=("frame", "prefix", "prefixOffset"))
    frame = column(t, "frame", path=p, dtype=pl.Int32, length=n)
    if frame.null_count():
        raise ProfileFormatError("stack without a frame (null)", path=f"{p}.frame")
    check_index(frame, len(frames), path=f"{p}.frame", what="frame")
    parent = stack_parents(t, n, path=p)
    check_index(parent, n, path=p, what="prefix")
    if n:
        forward = (parent >= pl.int_range(0, n, dtype=pl.Int32, eager=True)).fill_null(False)
        if forward.any():
            row = int(forward.arg_true()[0])
            raise ProfileFormatError(
                f"stack {row} has prefix {parent[row]}: a prefix must come before the stack (cycle or forward reference)",
                path=f"{p}.prefix",
            )
    # category: the frame's, else inherited from the parent, else the default category;
    # old files (v13–v52) store it on the stack itself.
    if t.get("category") is not None:
        cat = column(t, "category", path=p, dtype=pl.Int32, length=n)
        sub = column(t, "subcategory", path=p, dtype=pl.Int32, length=n, default=0)
    else:
        cat, sub = _inherited_categories(parent, frame, frames, schema.default_category(categories))
    return pl.DataFrame(
        {"parent": parent, "frame": frame, "category": cat, "subcategory": sub},
        schema=schema.STACKS,
    )


def _inherited_categories(
    parent: pl.Series, frame: pl.Series, frames: pl.DataFrame, default: int
) -> tuple[pl.Series, pl.Series]:
    n = len(parent)
    if n == 0:
        return pl.Series([], dtype=pl.Int32), pl.Series([], dtype=pl.Int32)
    own_cat = take(frames["category"], frame)
    own_sub = take(frames["subcategory"], frame)
    if not own_cat.null_count():  # every frame has its category (samply, Firefox): none to inherit
        return own_cat, own_sub.fill_null(0) if own_sub.null_count() else own_sub
    fcat = own_cat.to_numpy()
    fsub = own_sub.fill_null(0).to_numpy()
    has = ~np.isnan(fcat)
    src = nearest_marked(parent.fill_null(-1).to_numpy(), has)
    ok = src >= 0
    safe = np.where(ok, src, 0)
    cat = np.where(ok, np.nan_to_num(fcat.astype(np.float64))[safe], default).astype(np.int32)
    sub = np.where(ok, fsub[safe], 0).astype(np.int32)
    return pl.Series(cat), pl.Series(sub)


def _native_symbols(t: dict, strings: pl.Series) -> pl.DataFrame:
    p = "shared.nativeSymbols"
    n = table_length(t, path=p, keys=("name", "address"))
    return pl.DataFrame(
        {
            "lib": column(t, "libIndex", path=p, dtype=pl.Int32, length=n, default=None),
            "address": column(t, "address", path=p, dtype=pl.Int64, length=n, default=None),
            "name": _lookup(
                strings,
                column(t, "name", path=p, dtype=pl.Int64, length=n, default=None),
                path=f"{p}.name",
            ),
            "size": column(t, "functionSize", path=p, dtype=pl.Int64, length=n, default=None),
        },
        schema=schema.NATIVE_SYMBOLS,
    )


def _thread(
    t: dict,
    i: int,
    strings: pl.Series,
    *,
    n_stacks: int,
    cpu_scale: float | None,
    stack_counts: np.ndarray | None = None,
    stack_offset: int = 0,
) -> ThreadParts:
    p = f"threads[{i}]"
    if not isinstance(t.get("samples"), dict):  # the Firefox Profiler fails too
        raise ProfileFormatError(
            f"expected a samples table (object), got {t.get('samples', 'nothing')!r:.40}",
            path=f"{p}.samples",
        )
    samples = _samples(t.get("samples"), f"{p}.samples", n_stacks=n_stacks, cpu_scale=cpu_scale)
    markers = _markers(t.get("markers"), f"{p}.markers", strings)
    name = t.get("name")
    info = {
        "index": i,
        "name": str(name) if name is not None else f"Thread {i}",
        "process_name": _str(t.get("processName")),
        "pid": _str(t.get("pid")),
        "tid": _str(t.get("tid")),
        "is_main": bool(t["isMainThread"])
        if t.get("isMainThread") is not None
        else name == "GeckoMain",
        "process_type": _str(t.get("processType")),
        "weight_type": str((t.get("samples") or {}).get("weightType") or "samples"),
    }
    return ThreadParts(info, samples, markers, stack_counts, stack_offset)


def _samples(t: Any, p: str, *, n_stacks: int, cpu_scale: float | None) -> pl.DataFrame:
    """The canonical samples table. Raw columns that get a new canonical column (timeDeltas,
    threadCPUDelta) are dropped from ``t`` as soon as it exists, to keep the peak memory low."""
    if t is None:
        return schema.empty(schema.SAMPLES)
    n = table_length(t, path=p, keys=("stack", "time", "timeDeltas", "weight"))
    stack = column(t, "stack", path=p, dtype=pl.Int32, length=n)
    check_index(stack, n_stacks, path=f"{p}.stack", what="stack")
    if t.get("time") is not None:
        time = column(t, "time", path=p, dtype=pl.Float64, length=n)
    elif t.get("timeDeltas") is not None:
        time = convert_column(t, "timeDeltas", p, n, RunningTime())
    else:
        raise ProfileFormatError("missing column 'time' (or 'timeDeltas')", path=p)
    weight = _weights(t, p, n)
    if t.get("threadCPUDelta") is not None and cpu_scale is not None:
        cpu = convert_column(t, "threadCPUDelta", p, n, CpuMicros(cpu_scale))
    else:
        cpu = constant(None, n, pl.Float32)
    return pl.DataFrame([time.alias("time"), stack, weight.alias("weight"), cpu.alias("cpu_delta")])


def _weights(t: dict, p: str, n: int) -> pl.Series:
    """Int32 weights when they are whole numbers that fit (sample counts), else Float64.

    A missing or null ``weight`` means 1 per sample.
    """
    raw = t.get("weight")
    if raw is None:
        return constant(1, n, pl.Int32).alias("weight")
    if isinstance(raw, list) and len(raw) == n and set(map(type, raw)) <= {int}:  # (C speed)
        if not raw or -(2**31) < min(raw) and max(raw) < 2**31:  # a short array of counts
            return pl.Series("weight", raw, dtype=pl.Int32)
    raw_dtype = (
        raw.dtype
        if isinstance(raw, pl.Series)
        else pl.Series(raw).dtype
        if isinstance(raw, (pa.Array, pa.ChunkedArray))
        else None
    )
    if raw_dtype is not None and raw_dtype.is_integer():
        if raw_dtype == pl.Int32:
            w = column(t, "weight", path=p, dtype=pl.Int32, length=n)
            return w.fill_null(1) if w.null_count() else w
        w = column(t, "weight", path=p, dtype=pl.Int64, length=n).fill_null(1)
        return (
            w.cast(pl.Int32)
            if len(w) == 0 or (w.min() > -(2**31) and w.max() < 2**31)
            else w.cast(pl.Float64)
        )
    w = column(t, "weight", path=p, dtype=pl.Float64, length=n).fill_null(1.0)
    if len(w) == 0 or ((w == w.round(0)).all() and w.abs().max() < 2**31):
        return w.cast(pl.Int32)
    return w


_PAYLOAD = json_value_pattern(8)


def _as_json(value: Any) -> Any:
    """An array the scanner read in bulk inside a payload that was decoded after all (a marker
    table that was not in the shape to cut: its payloads' own ``data`` arrays became
    :class:`Rows` or Series) as the JSON value it was; rows lose trailing nulls, as Gecko
    writes them."""
    if isinstance(value, pl.Series):
        return value.to_list()
    if isinstance(value, (pa.Array, pa.ChunkedArray)):
        return value.to_pylist()
    if isinstance(value, Rows):
        cells = [c.to_list() for c in value.columns]
        rows = [list(r) for r in zip(*cells)] if cells else [[] for _ in range(value.length)]
        for r in rows:
            while r and r[-1] is None:
                r.pop()
        return rows
    if value is SKIPPED:
        return None
    raise TypeError(f"{type(value).__name__} in a marker payload")


def payload_texts(data: list) -> pl.Series:
    """Marker payloads as compact JSON text (null stays null): the whole list is encoded in
    one call and cut into its values, since a call per payload costs more than the encoding.

    >>> payload_texts([{"type": "Text", "name": "a,b"}, None, {"t": [1, {"x": 2}]}]).to_list()
    ['{"type":"Text","name":"a,b"}', None, '{"t":[1,{"x":2}]}']
    """
    encoded = json.dumps(data, separators=(",", ":"), default=_as_json)
    parts = [m.group() for m in _PAYLOAD.finditer(encoded, 1, len(encoded) - 1)]
    if len(parts) != len(data):  # nested deeper than the pattern reaches: one by one
        parts = [json.dumps(d, separators=(",", ":"), default=_as_json) for d in data]
    s = pl.Series("data", parts, dtype=pl.String)
    return pl.select(pl.when(s != "null").then(s)).to_series().alias("data")


def _markers(t: Any, p: str, strings: pl.Series) -> pl.DataFrame:
    if not isinstance(t, dict):
        return schema.empty(schema.MARKERS)
    if isinstance(t.get("data"), Rows):  # payloads that are arrays of numbers: JSON values
        t = {**t, "data": _as_json(t["data"])}
    n = table_length(t, path=p, keys=("name", "startTime", "data"))
    # the Firefox Profiler reads `length` marker rows; hand-made files sometimes carry extra cells
    t = {
        k: (
            v[:n]
            if k != "length"
            and hasattr(v, "__len__")
            and not isinstance(v, (str, dict))
            and len(v) > n
            else v
        )
        for k, v in t.items()
    }
    name = _lookup(
        strings, column(t, "name", path=p, dtype=pl.Int64, length=n, default=None), path=f"{p}.name"
    )
    data = t.get("data")
    texts = isinstance(data, pl.Series) and data.dtype == pl.String  # cut out as JSON text
    if (texts or isinstance(data, list)) and len(data) != n:
        raise ProfileFormatError(
            f"column 'data' has {len(data)} rows but the table has {n}", path=p
        )
    if texts:
        text = data.alias("data")
    elif isinstance(data, list):
        text = payload_texts(data)
    else:
        text = constant(None, n, pl.String)
    start = column(t, "startTime", path=p, dtype=pl.Float64, length=n, default=None)
    if t.get("startTime") is None and t.get("time") is not None:
        start = column(t, "time", path=p, dtype=pl.Float64, length=n)
    return schema.table(
        {
            "name": name,
            "start": start,
            "end": column(t, "endTime", path=p, dtype=pl.Float64, length=n, default=None),
            "phase": column(t, "phase", path=p, dtype=pl.Int8, length=n, default=0),
            "category": column(t, "category", path=p, dtype=pl.Int32, length=n, default=None),
            "data": text,
        },
        schema.MARKERS,
    )
