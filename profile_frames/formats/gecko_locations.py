"""What a Gecko frame's location string says about its function, as the Firefox Profiler's
``process-profile.ts`` reads it:

* ``0x7f…`` — an unsymbolicated absolute address: one func per address, named by the hex
  string, with the library from ``libs[]`` (``start <= addr < end``) as its resource;
* ``name (in lib)`` (optionally ``+ off`` or ``(file:line)``) — a symbolicated native function;
* ``name (url:line:col)`` or ``url:line:col`` (optionally ``[sourceIndex]``) — JavaScript, the
  resource being the script URL (the last of ``a -> b`` chains);
* anything else — a label frame.

:func:`parse_location` reads one string; :func:`classify_locations` reads a column of them
at once with the same patterns (polars' regex engine), which is what the loader uses.

Example
-------
>>> loc = parse_location("malloc (in libc.so.6) + 12")
>>> loc.name, loc.library, loc.is_js
('malloc', 'libc.so.6', False)
>>> parse_location("fib (blob:null/x:3:10)").library
'blob:null/x'
>>> classify_locations(pl.Series(["fib (blob:null/x:3:10)"]))["library"].to_list()
['blob:null/x']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import polars as pl

from ..indexes import constant

_CPP = (
    r"^(.*) \(in ([^)]*)\) (\+ [0-9]+)$",
    r"^(.*) \(in ([^)]*)\) (\(.*:.*\))$",
    r"^(.*) \(in ([^)]*)\)$",
)
_JS = (
    r"^(.*) \((.+?):([0-9]+)(?::([0-9]+))?\)(?:\[(\d+)\])?$",
    r"^()(.+?):([0-9]+)(?::([0-9]+))?(?:\[(\d+)\])?$",
)
_CPP_RE = tuple(re.compile(p, re.S) for p in _CPP)
_JS_RE = tuple(re.compile(p, re.S) for p in _JS)
_THUNK = "non-virtual thunk to "
_HEX_ADDRESS = r"0x[0-9a-fA-F]{1,16}"  # a u64 address
_HEX = re.compile(_HEX_ADDRESS)


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
    if s.startswith("0x"):  # an address even when it is not hex (then in no library)
        return Location(s, address=int(s, 16) if _HEX.fullmatch(s) else None)
    for pat in _CPP_RE:
        m = pat.match(s)
        if m:
            name = m.group(1)
            if name.startswith(_THUNK):
                name = name[len(_THUNK) :]
            return Location(name, library=m.group(2))
    for pat in _JS_RE:
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


LOCATIONS = {
    "name": pl.String,
    "library": pl.String,
    "is_js": pl.Boolean,
    "line": pl.Int64,
    "column": pl.Int64,
    "address": pl.UInt64,
}


def classify_locations(texts: pl.Series) -> pl.DataFrame:
    """:func:`parse_location` of every string of ``texts``, one row each (columns
    :data:`LOCATIONS`). Addresses (``0x…``, most locations of an unsymbolicated profile) skip
    the patterns, which cost a few µs a string."""
    texts = texts.cast(pl.String)
    address = texts.str.starts_with("0x").fill_null(False).to_numpy()
    if not address.any():
        return _classify_patterns(texts)
    at = np.flatnonzero(address)
    others = np.flatnonzero(~address)
    hexes = texts[at]
    parts = pl.concat(
        [
            pl.DataFrame(
                {
                    "name": hexes,
                    "library": constant(None, len(at), pl.String),
                    "is_js": constant(False, len(at), pl.Boolean),
                    "line": constant(None, len(at), pl.Int64),
                    "column": constant(None, len(at), pl.Int64),
                    "address": _hex_addresses(hexes),
                }
            ),
            _classify_patterns(texts[others]),
        ]
    )
    where = np.empty(len(texts), dtype=np.int64)  # each string's row in parts
    where[np.concatenate([at, others])] = np.arange(len(texts))
    return parts[where]


def _hex_addresses(texts: pl.Series) -> pl.Series:
    """``0x…`` strings as u64 addresses; null where the rest is not 1-16 hex digits."""
    df = pl.DataFrame({"text": texts})
    s = pl.col("text")
    value = s.str.slice(2).str.to_integer(base=16, dtype=pl.UInt64, strict=False)
    return df.select(
        pl.when(s.str.contains(f"^{_HEX_ADDRESS}$")).then(value).alias("address")
    ).to_series()


def _classify_patterns(texts: pl.Series) -> pl.DataFrame:
    """:func:`classify_locations` by the patterns, for strings that are not ``0x…``."""
    s = pl.col("text")
    df = pl.DataFrame({"text": texts}).with_columns(
        _first_match(_CPP).alias("_cpp"), _first_match(_JS).alias("_js")
    )
    cpp, js = pl.col("_cpp").struct, pl.col("_js").struct
    cpp_name, cpp_lib = cpp.field("1"), cpp.field("2")
    js_fn, js_url, js_line, js_col = js.field("1"), js.field("2"), js.field("3"), js.field("4")
    is_cpp = cpp_lib.is_not_null()
    is_js = cpp_lib.is_null() & js_url.is_not_null()
    url = js_url.str.split(" -> ").list.last()
    columns = [
        pl.when(is_cpp)
        .then(
            pl.when(cpp_name.str.starts_with(_THUNK))
            .then(cpp_name.str.slice(len(_THUNK)))
            .otherwise(cpp_name)
        )
        .when(is_js)
        .then(pl.when(js_fn == "").then(pl.lit("(root scope) ") + url).otherwise(js_fn))
        .otherwise(s)
        .alias("name"),
        pl.when(is_cpp).then(cpp_lib).when(is_js).then(url).alias("library"),
        is_js.alias("is_js"),
        pl.when(is_js).then(js_line.cast(pl.Int64, strict=False)).alias("line"),
        pl.when(is_js).then(js_col.cast(pl.Int64, strict=False)).alias("column"),
        pl.lit(None, dtype=pl.UInt64).alias("address"),
    ]
    return df.select(columns).cast(LOCATIONS)  # type: ignore[arg-type]


def _first_match(patterns: tuple[str, ...]) -> pl.Expr:
    """The groups of the first of ``patterns`` that matches (as ``re.match`` tries them in
    turn); group 2 (the library or URL) is present in every match."""
    groups = [pl.col("text").str.extract_groups("(?s)" + p) for p in patterns]
    out = groups[-1]
    for g in reversed(groups[:-1]):
        out = pl.when(g.struct.field("2").is_not_null()).then(g).otherwise(out)
    return out
