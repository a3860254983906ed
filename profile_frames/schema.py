"""Column names and dtypes of the canonical tables (documented in ``docs/model.md``).

Example
-------
>>> list(SAMPLES)
['time', 'stack', 'weight', 'cpu_delta']
"""

from __future__ import annotations

import polars as pl

SAMPLES = {
    "time": pl.Float64,  # ms since meta.start_time
    "stack": pl.Int32,  # row of `stacks`; null = empty stack (counts nowhere)
    "weight": pl.Int32,  # Float64 for fractional weight types (tracing-ms)
    "cpu_delta": pl.Float32,  # µs of CPU since the previous sample; null when not recorded
}
STACKS = {
    "parent": pl.Int32,  # row of `stacks`; null for roots; always < the row itself
    "frame": pl.Int32,
    "category": pl.Int32,  # index into meta.categories (inherited from the parent when the frame has none)
    "subcategory": pl.Int32,
}
FRAMES = {
    "func": pl.Int32,
    "address": pl.Int64,  # library-relative (processed) address; null for label frames
    "inline_depth": pl.Int32,
    "line": pl.Int32,
    "column": pl.Int32,
    "category": pl.Int32,
    "subcategory": pl.Int32,
    "native_symbol": pl.Int32,  # row of Profile.native_symbols
    "lib": pl.Int32,  # row of meta.libs; null if none
}
FUNCS = {
    "name": pl.String,
    "library": pl.String,  # the resource name (the Firefox Profiler's "lib!name" prefix)
    "file": pl.String,
    "line": pl.Int32,
    "column": pl.Int32,
    "is_js": pl.Boolean,
    "relevant_for_js": pl.Boolean,
    "resource": pl.Int32,
}
MARKERS = {
    "name": pl.String,
    "start": pl.Float64,
    "end": pl.Float64,
    "phase": pl.Int8,  # 0 instant, 1 interval, 2 start, 3 end
    "category": pl.Int32,
    "data": pl.String,  # the payload as JSON text; decode with .str.json_decode()
}
THREADS = {
    "index": pl.UInt32,  # position in the file (Gecko: parent process first, then children, depth-first)
    "name": pl.String,
    "process_name": pl.String,
    "pid": pl.String,
    "tid": pl.String,
    "is_main": pl.Boolean,
    "process_type": pl.String,
    "samples": pl.UInt32,  # sample rows (null stacks included)
    "weight": pl.Float64,  # sum of sample weights, null stacks excluded
    "weight_type": pl.String,  # samples | tracing-ms | bytes
    "cpu_ms": pl.Float64,  # from threadCPUDelta; null when the profile has none
    "start_ms": pl.Float64,  # first sample time
    "end_ms": pl.Float64,  # last sample time
}
NATIVE_SYMBOLS = {"lib": pl.Int32, "address": pl.Int64, "name": pl.String, "size": pl.Int64}
LIBS = {
    "name": pl.String,
    "path": pl.String,
    "debug_name": pl.String,
    "debug_path": pl.String,
    "breakpad_id": pl.String,
    "code_id": pl.String,
    "arch": pl.String,
}
CATEGORIES = {"name": pl.String, "color": pl.String, "subcategories": pl.List(pl.String)}


def table(columns: dict[str, pl.Series], schema: dict) -> pl.DataFrame:
    """A table of ``schema``'s columns, in its order, from Series of its dtypes (one of
    another dtype is cast). Built from a list of Series: ``pl.DataFrame(dict, schema=…)``
    costs 68 µs where this costs 12, which over hundreds of threads' small tables adds up.

    >>> table({"b": pl.Series([1]), "a": pl.Series(["x"])}, {"a": pl.String, "b": pl.Int8}).schema
    Schema([('a', String), ('b', Int8)])
    """
    return pl.DataFrame(
        [
            (c if c.dtype == dtype else c.cast(dtype)).alias(name)
            for name, dtype in schema.items()
            for c in (columns[name],)
        ]
    )


def empty(schema: dict) -> pl.DataFrame:
    """An empty table with the given schema."""
    return pl.DataFrame(schema=schema)


def default_category(categories: pl.DataFrame) -> int:
    """The first grey category, as the Firefox Profiler picks it (0 if none is grey).

    >>> default_category(pl.DataFrame({"name": ["Idle", "Other"], "color": ["transparent", "grey"]}))
    1
    """
    grey = categories["color"].eq("grey").arg_true() if "color" in categories.columns else []
    return int(grey[0]) if len(grey) else 0
