"""Markers as the Firefox Profiler derives them from the raw table, and what people ask of them:
counts and duration statistics per name, durations for histograms, time ranges to filter
samples by.

Derivation (its ``deriveMarkersFromRawMarkerTable``): instants have no end; intervals keep
their start and end; an IntervalStart pairs with the next IntervalEnd of the same name (the most
recent open one first); a start never closed runs to the end of the thread, an end never opened
starts at the thread's start, both ``incomplete``. Network markers pair their STATUS_START and
end by request id (the end's payload). A start/end pair keeps the start's payload (the profiler
merges both). Screenshot and IPC markers are kept as they are (not re-paired). Searching
markers (:func:`marker_search`) is the profiler's too: category, name, payload type and the
fields of the type's marker schema.

Example
-------
>>> import profile_frames
>>> t = profile_frames.load(profile_frames.example_path()).thread(1)
>>> summary = marker_summary(t)
>>> summary.columns
['name', 'count', 'instants', 'total_ms', 'mean_ms', 'median_ms', 'p95_ms', 'max_ms']
>>> int(summary["count"].sum()) == t.markers.height
True
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from .search import search_terms

if TYPE_CHECKING:
    from ..model import Thread

INSTANT, INTERVAL, START, END = 0, 1, 2, 3


def thread_range(thread: Thread) -> tuple[float, float]:
    """(start, end) ms of the thread: its samples and the marker times each phase defines (an
    IntervalEnd's start and an IntervalStart's end are not times)."""
    m = thread.markers
    phase = pl.col("phase")
    starts = m.filter(phase.is_in([INSTANT, INTERVAL, START]))["start"]
    ends = m.filter(phase.is_in([INTERVAL, END]))["end"]
    values = pl.concat([thread.samples["time"], starts, ends]).drop_nulls()
    if not len(values):
        return 0.0, 0.0
    return float(values.min()), float(values.max())


def _network_id(text: str | None) -> tuple[object, bool] | None:
    if not text or '"Network"' not in text:
        return None
    try:
        payload = json.loads(text)
    except ValueError:
        return None
    if not isinstance(payload, dict) or payload.get("type") != "Network":
        return None
    return payload.get("id"), payload.get("status") == "STATUS_START"


def _paired(raw: pl.DataFrame, lo: float, hi: float) -> pl.DataFrame:
    """The IntervalStart/IntervalEnd and Network rows of ``raw`` (in file order) made into
    intervals. A loop over these rows only: most markers are instants or intervals."""
    starts, ends, incomplete, keep = [], [], [], []
    open_by_name: dict = {}
    open_network: dict = {}
    rows = raw.select("row", "name", "start", "end", "phase", "data").iter_rows()
    for row, name, start, end, phase, data in rows:
        net = _network_id(data)
        if net is not None:
            key, is_start = net
            if is_start:
                open_network[key] = (row, start)
                continue
            opened = open_network.pop(key, None)
            begin = opened[1] if opened else min(lo, start if start is not None else lo)
            keep.append(row)  # the end's payload, as the Firefox Profiler shows it
            starts.append(begin)
            ends.append(end)
            incomplete.append(opened is None)
            continue
        if phase == START:
            open_by_name.setdefault(name, []).append((row, start))
        elif phase == END:
            stack = open_by_name.get(name)
            if stack:
                first, begin = stack.pop()
                keep.append(first)
                starts.append(begin)
                incomplete.append(False)
            else:
                keep.append(row)
                starts.append(min(end, lo) if end is not None else lo)
                incomplete.append(True)
            ends.append(end)
    for pending in (*open_by_name.values(), [v for v in open_network.values()]):
        for first, begin in pending:
            keep.append(first)
            starts.append(begin)
            ends.append(max(hi, begin) if begin is not None else hi)
            incomplete.append(True)
    return pl.DataFrame(
        {"row": keep, "start": starts, "end": ends, "incomplete": incomplete},
        schema={"row": pl.UInt32, "start": pl.Float64, "end": pl.Float64, "incomplete": pl.Boolean},
    )


def derived_markers(thread: Thread) -> pl.DataFrame:
    """The thread's markers as the Firefox Profiler shows them.

    Columns: name, start, end (null for instants), duration (ms; null for instants), category,
    incomplete, data (JSON text).
    """
    raw = thread.markers.with_row_index("row")
    lo, hi = thread_range(thread)
    network = raw["data"].str.contains('"Network"', literal=True).fill_null(False)
    simple = raw.filter(pl.col("phase").is_in([INSTANT, INTERVAL]) & ~network)
    simple = simple.select(
        "row",
        "start",
        pl.when(pl.col("phase") == INSTANT).then(None).otherwise(pl.col("end")).alias("end"),
        pl.lit(False).alias("incomplete"),
    )
    paired = _paired(raw.filter(pl.col("phase").is_in([START, END]) | network), lo, hi)
    both = pl.concat([simple, paired]).sort("start", "row", maintain_order=True)
    info = raw.select("row", "name", "category", "data")
    return both.join(info, on="row", how="left").select(
        "name",
        "start",
        "end",
        (pl.col("end") - pl.col("start")).alias("duration"),
        "category",
        "incomplete",
        "data",
    )


def marker_summary(thread: Thread) -> pl.DataFrame:
    """Per marker name: how many, how many instants, and the interval durations' total, mean,
    median, 95th percentile (linear interpolation) and maximum in ms; heaviest total first."""
    m = derived_markers(thread)
    d = pl.col("duration")
    return (
        m.group_by("name")
        .agg(
            pl.len().alias("count"),
            d.is_null().sum().alias("instants"),
            d.sum().alias("total_ms"),
            d.mean().alias("mean_ms"),
            d.median().alias("median_ms"),
            d.quantile(0.95, interpolation="linear").alias("p95_ms"),
            d.max().alias("max_ms"),
        )
        .with_columns(pl.col("count").cast(pl.Int64), pl.col("instants").cast(pl.Int64))
        .sort(["total_ms", "count", "name"], descending=[True, True, False], nulls_last=True)
    )


def marker_durations(thread: Thread, name: str) -> pl.Series:
    """The durations (ms) of the interval markers called ``name``, in time order."""
    m = derived_markers(thread)
    return m.filter((pl.col("name") == name) & pl.col("duration").is_not_null())["duration"]


# the schemas the Firefox Profiler's front end adds (they win over a profile's own)
FRONT_END_SCHEMAS = {
    "IPC": ["messageType", "sync", "sendThreadName", "recvThreadName", "otherPid"],
    "Network": ["contentType", "responseStatus", "secPurpose", "deliveryType"],
    "Jank": [],
}
# payload fields holding string-table indexes: their text is not in the payload we keep
STRING_INDEX_FORMATS = {"unique-string", "flow-id", "terminating-flow-id"}


def schema_fields(thread: Thread) -> dict[str, list[str]]:
    """Per marker type: the payload keys the Firefox Profiler searches (its schema's fields;
    old schemas' ``data`` entries; static ``{label, value}`` rows have no key)."""
    out: dict[str, list[str]] = {}
    for schema in thread.meta.raw.get("markerSchema") or []:
        if not isinstance(schema, dict) or not isinstance(schema.get("name"), str):
            continue
        fields = (
            schema.get("fields") if isinstance(schema.get("fields"), list) else schema.get("data")
        )
        keys = [
            f["key"]
            for f in fields or []
            if isinstance(f, dict)
            and isinstance(f.get("key"), str)
            and f.get("format") not in STRING_INDEX_FORMATS
        ]
        out[schema["name"]] = keys
    out.update(FRONT_END_SCHEMAS)
    return out


def marker_search(thread: Thread, markers: pl.DataFrame, search: str) -> pl.Series:
    """Which ``markers`` the Firefox Profiler's marker search keeps: a term matches the
    category's name, the marker's name, its payload's ``type`` or a field of its type's schema
    (ignoring case); ``key:text`` matches only that field (``cat``, ``name``, ``type`` or a
    schema key), ``-key:text`` drops what it matches. Comma-separated terms are alternatives."""
    generic, positive, negative = [], {}, {}
    for term in search_terms(search):
        key, sep, text = term.partition(":")
        if sep and key.lstrip("-").isidentifier() and text:
            target = negative if key.startswith("-") else positive
            target.setdefault(key.lstrip("-").lower(), []).append(text)
        elif term.startswith("-"):
            continue  # a negative term needs a field
        else:
            generic.append(term)
    cats = thread.meta.categories["name"]
    base = markers.select(
        pl.col("category")
        .replace_strict(
            list(range(len(cats))), cats.to_list(), default=None, return_dtype=pl.String
        )
        .alias("cat"),
        pl.col("name"),
        pl.col("data").str.json_path_match("$.type").alias("type"),
        pl.col("data"),
    )
    n = base.height
    hit = np.full(n, not generic and not positive)
    drop = np.zeros(n, dtype=bool)

    def test(values: pl.Series, key: str, rows: np.ndarray | None = None) -> None:
        """Mark the rows whose ``values`` (the field ``key``) match a term."""
        wanted = ((generic + positive.get(key, []), hit), (negative.get(key, []), drop))
        if not any(terms for terms, _ in wanted):
            return
        lower = values.str.to_lowercase()
        for terms, out in wanted:
            for t in terms:
                found = lower.str.contains(t.lower(), literal=True)
                found = found.fill_null(False).to_numpy()
                if rows is None:
                    out |= found
                else:
                    out[rows[found]] = True

    for key in ("cat", "name", "type"):
        test(base[key], key)
    fields = schema_fields(thread)
    kinds = base["type"]
    for type_name in kinds.drop_nulls().unique().to_list():
        keys = fields.get(type_name)
        if not keys:
            continue
        rows = np.flatnonzero((kinds == type_name).fill_null(False).to_numpy())
        data = base["data"].gather(rows)
        for key in keys:  # only this type's rows are parsed for its fields
            test(data.str.json_path_match(f"$.{key}"), key.lower(), rows)
    return pl.Series("hit", hit & ~drop)


def marker_ranges(thread: Thread, search: str) -> np.ndarray:
    """The [start, end) ranges (rows of a (n, 2) array, merged and sorted) of the interval
    markers the Firefox Profiler's marker search keeps (:func:`marker_search`)."""
    m = derived_markers(thread).filter(pl.col("end").is_not_null())
    hit = marker_search(thread, m, search)
    r = (
        m.filter(hit).select("start", "end").sort("start").to_numpy()
        if m.height
        else np.zeros((0, 2))
    )
    if not len(r):
        return np.zeros((0, 2))
    # merge overlapping ranges (a running maximum of ends over starts sorted)
    reach = np.maximum.accumulate(r[:, 1])
    new = np.concatenate([[True], r[1:, 0] > reach[:-1]])
    starts = r[new, 0]
    ends = np.maximum.reduceat(r[:, 1], np.flatnonzero(new))
    return np.column_stack([starts, ends])
