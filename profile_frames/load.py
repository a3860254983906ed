"""``load()``: any Firefox Profiler / samply / Gecko profile → :class:`~profile_frames.model.Profile`.

Example
-------
>>> import profile_frames
>>> p = profile_frames.load(profile_frames.example_path(), threads=["python*"])
>>> p.threads["name"].to_list()
['python3.11', 'python3.11', 'python3.11']
"""

from __future__ import annotations

import gc
import os
import re
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from .errors import ProfileFormatError
from .formats.conversions import BlockConverters
from .formats.gecko import is_gecko, read_gecko
from .formats.processed import ProfileParts, read_processed
from .formats.upgrade import CURRENT_VERSION
from .jslb import decode_jslb
from .model import Meta, Profile, build_threads_table
from .progress import ProgressBar
from .scan import parse_json_chunks
from .selectors import match_names, name_may_match, no_match_message
from .source import Source, open_source, uncompressed_size
from .stack_sums import count_by_stack
from .store import is_saved_profile, open_saved
from .symbols import apply_sidecar, sidecar_path

ThreadKeys = int | str | re.Pattern | Sequence[int | str | re.Pattern] | None


_UNEXPECTED = (
    KeyError,
    IndexError,
    TypeError,
    ValueError,
    AttributeError,
    ArithmeticError,
    OverflowError,
    pl.exceptions.PolarsError,
    pl.exceptions.PanicException,  # a BaseException: polars panics on absurd sizes
    pa.ArrowException,
)


class NewerVersionWarning(UserWarning):
    """The file's format version is newer than this library knows; it was read best-effort."""


def _keys(threads: ThreadKeys) -> list | None:
    if threads is None:
        return None
    if isinstance(threads, (int, str, re.Pattern)):
        return [threads]
    return list(threads)


def _processed_version(tree: Any) -> int | None:
    """The processed format version, 0 for unversioned processed files, None if not processed."""
    meta = tree.get("meta") if isinstance(tree, dict) else None
    if isinstance(meta, dict):
        v = meta.get("preprocessedProfileVersion")
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return int(v)
    threads = tree.get("threads") if isinstance(tree, dict) else None
    if isinstance(threads, list) and threads and isinstance(threads[0], dict):
        t0 = threads[0]
        table = t0.get("stringTable")
        if "stringArray" in t0 or isinstance(table, dict) and "_array" in table:
            return 0
    return None


def load(
    source: Source,
    *,
    threads: ThreadKeys = None,
    progress: bool | None = None,
    symbols: str | os.PathLike | bool | None = None,
    symbolicate: bool | str | Sequence[str | os.PathLike] | None = None,
) -> Profile:
    """Load a profile from a path, bytes or a binary file object (pipes work too), or reopen a
    folder written by :meth:`Profile.save`.

    ``threads`` (names, globs, regexes or file indexes) decodes only those threads; in processed
    profiles the others' sample arrays are skipped without being parsed. ``progress`` shows a
    bytes-read bar on stderr (default: only on a terminal, and only after ~1 s). ``symbols`` is a
    samply ``.syms.json`` sidecar to apply; by default one beside a profile path
    (``profile.json.gz`` → ``profile.json.syms.json``) is applied automatically; ``False`` skips it.
    ``symbolicate`` names native frames after loading (``Profile.symbolicate``): ``True`` from
    the binaries on this machine, a list of folders to search too, or a symbol server's URL
    (``http://…``).
    """
    keys = _keys(threads)
    if is_saved_profile(source):
        return open_saved(
            source, keep=(lambda names: _selected(names, keys)) if keys is not None else None
        )
    bar_total = (
        uncompressed_size(source)
        if isinstance(source, (str, os.PathLike)) and os.path.isfile(source)
        else None
    )
    bar = ProgressBar(total=bar_total, enabled=progress)
    try:
        with _collector_paused():
            src = open_source(source, on_progress=bar.update)
            skip = _skipper(keys) if keys is not None else None
            converters = BlockConverters()
            try:
                if src.kind == "jslb":
                    tree = decode_jslb(src.read_all(), name=src.name, skip=skip)
                else:
                    tree = parse_json_chunks(
                        src.chunks(), name=src.name, skip=skip, convert=converters
                    )
            finally:
                src.close()
            try:
                profile = _build(tree, keys, name=src.name, counted=converters)
            except ProfileFormatError as e:
                raise e.located(source=src.name) from None
            except (
                _UNEXPECTED
            ) as e:  # last resort: never let a bare KeyError or a dependency's error out
                raise ProfileFormatError(
                    f"unexpected profile structure ({type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''})",
                    source=src.name,
                ) from e
    finally:
        bar.close()
    sidecar = _sidecar_for(source, symbols)
    if sidecar is not None:
        profile = apply_sidecar(profile, sidecar)
    if symbolicate:
        if isinstance(symbolicate, str) and symbolicate.startswith(("http://", "https://")):
            profile = profile.symbolicate(server=symbolicate)
        elif symbolicate is True:
            profile = profile.symbolicate()
        else:
            folders = [symbolicate] if isinstance(symbolicate, (str, os.PathLike)) else symbolicate
            profile = profile.symbolicate(search_path=list(folders))
    return profile


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a profile is decoded: the tree of small lists and
    dicts it builds holds no cycles, but each collection walks all of it (0.08 s of the
    samply import's load)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _sidecar_for(source: Any, symbols: Any) -> Any:
    if symbols is False:
        return None
    if symbols is not None and symbols is not True:
        return symbols
    if isinstance(source, (str, os.PathLike)):
        candidate = sidecar_path(source)
        if candidate.is_file() and candidate != Path(source):
            return candidate
    return None


def _skipper(keys: list):
    """A predicate telling the scanner which numeric arrays belong to unselected threads."""

    def skip(path: list, containers: list) -> bool:
        if len(path) < 3 or path[0] != "threads" or not isinstance(path[1], int):
            return False
        root = containers[0]
        if _processed_version(root) is None:
            return False
        thread = containers[2] if len(containers) > 2 else None
        name = thread.get("name") if isinstance(thread, dict) else None
        return not any(
            name_may_match(name if isinstance(name, str) else None, k, path[1]) for k in keys
        )

    return skip


def _selected(names: list[str], keys: list | None) -> set[int] | None:
    if keys is None:
        return None
    chosen: set[int] = set()
    for k in keys:
        hits = match_names(names, k)
        if isinstance(k, int) and not isinstance(k, bool):
            hits = [k % len(names)] if hits else []
        if not hits:
            raise ProfileFormatError(no_match_message(k, names))
        chosen.update(hits)
    return chosen


def _build(tree: Any, keys: list | None, *, name: str, counted: Any = None) -> Profile:
    if not isinstance(tree, dict):
        raise ProfileFormatError(
            "not a profile: expected a JSON object at the top level", source=name, path="$"
        )
    version = _processed_version(tree)
    if version is not None:
        if version > CURRENT_VERSION:
            warnings.warn(
                f"{name}: processed profile version {version} is newer than the newest known "
                f"({CURRENT_VERSION}); reading it best-effort",
                NewerVersionWarning,
                stacklevel=3,
            )
        raw_threads = tree.get("threads")
        if not isinstance(raw_threads, list):
            raise ProfileFormatError(
                "not a profile: missing the 'threads' array", source=name, path="threads"
            )
        names = [t.get("name") if isinstance(t, dict) else None for t in raw_threads]
        keep = _selected([str(n) for n in names], keys)
        if (
            keep is not None
        ):  # unselected threads: only their names remain (their tables were skipped)
            for i in range(len(raw_threads)):
                if i not in keep:
                    raw_threads[i] = {"name": names[i]}
        parts = read_processed(tree, version=version, keep=keep, counted=counted)
        fmt = "processed"
    elif is_gecko(tree):
        version = int(tree["meta"]["version"])
        if version > 36:
            warnings.warn(
                f"{name}: Gecko profile version {version} is newer than the newest known (36); "
                "reading it best-effort",
                NewerVersionWarning,
                stacklevel=3,
            )
        parts = read_gecko(tree, select=lambda names: _selected(names, keys))
        fmt = "gecko"
    else:
        raise ProfileFormatError(
            "not a profile: expected a Firefox Profiler processed profile "
            "(meta.preprocessedProfileVersion) or a Gecko profile (meta.version with threads)",
            source=name,
            path="meta",
        )
    return _profile(parts, fmt=fmt, version=version, name=name)


def _meta_number(
    meta: dict, key: str, *, default: float, low: float, high: float, name: str
) -> float:
    """``meta[key]`` as a float: absent or null gives ``default``; anything but a finite number
    in (low, high] is an error (it would make every time or export wrong)."""
    v = meta.get(key)
    if v is None:
        return default
    if isinstance(v, (int, float)) and not isinstance(v, bool) and low < v <= high:
        return float(v)
    raise ProfileFormatError(
        f"expected a number above {low:g} and at most {high:g}, got {v!r}"[:200],
        source=name,
        path=f"meta.{key}",
    )


def _interval_ms(m: dict, name: str) -> float:
    """``meta.interval`` in ms. vmprof-firefox-converter writes vmprof's sampling period in
    seconds (0.004093 for samples 4.093 ms apart, which its sample times show): × 1000."""
    interval = _meta_number(m, "interval", default=1.0, low=0.0, high=1e9, name=name)
    if m.get("importedFrom") == "VMProf" and interval < 1.0:
        return interval * 1000.0
    return interval


def _profile(parts: ProfileParts, *, fmt: str, version: int, name: str) -> Profile:
    m = parts.meta
    meta = Meta(
        product=str(m.get("product") or ""),
        interval_ms=_interval_ms(m, name),
        start_time=_meta_number(m, "startTime", default=0.0, low=-1e16, high=1e16, name=name),
        format=fmt,
        version=version,
        categories=parts.categories,
        libs=parts.libs,
        symbolicated=m.get("symbolicated") if isinstance(m.get("symbolicated"), bool) else None,
        sample_units=m.get("sampleUnits") if isinstance(m.get("sampleUnits"), dict) else {},
        raw={k: v for k, v in m.items() if k != "categories"},  # markerSchema: for marker search
    )
    infos = [t.info for t in parts.threads]
    samples = [t.samples for t in parts.threads]
    counts = [
        count_by_stack(
            t.samples, parts.stacks.height, t.stack_counts, counted_offset=t.stack_offset
        )
        for t in parts.threads
    ]
    return Profile(
        meta=meta,
        threads=build_threads_table(infos, samples, counts),
        stack_counts=counts,
        samples=samples,
        markers=[t.markers for t in parts.threads],
        stacks=parts.stacks,
        frames=parts.frames,
        funcs=parts.funcs,
        native_symbols=parts.native_symbols,
        source=name,
    )
