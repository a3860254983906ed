"""A client of the Firefox Profiler's symbolication API (``POST /symbolicate/v5``), as Mozilla's
symbol server and ``samply load`` serve it.

A request names the libraries (``memoryMap``: debug name and breakpad id) and lists
``[module index, address]`` pairs; the answer gives, per address, the function and, with debug
info, the file, line and inlined frames (``inlines``, innermost first). Addresses go in batches
(``BATCH`` per request), so a profile with 300k addresses in one library is a few requests.

Example
-------
>>> request_body([("libc.so.6", "0123ABCD0")], [(0, 4096)])
'{"memoryMap": [["libc.so.6", "0123ABCD0"]], "stacks": [[[0, 4096]]]}'
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

import numpy as np

from .binaries import Found, Frame, demangle

if TYPE_CHECKING:
    from .apply import Resolver, SymbolicationReport

BATCH = 50_000
TIMEOUT = 120.0


def request_body(memory_map: list[tuple[str, str]], frames: list[tuple[int, int]]) -> str:
    """The JSON of one request: one "stack" holding every frame to look up."""
    return json.dumps(
        {"memoryMap": [list(m) for m in memory_map], "stacks": [[list(f) for f in frames]]}
    )


def _chain(entry: dict) -> list[Frame]:
    """One answer frame as an inline chain, outermost first."""
    if not isinstance(entry, dict) or not entry.get("function"):
        return []
    inner = [
        (demangle(str(i.get("function"))), i.get("file"), i.get("line"))
        for i in entry.get("inlines") or []
        if isinstance(i, dict) and i.get("function")
    ]
    outer = (demangle(str(entry["function"])), entry.get("file"), entry.get("line"))
    return [outer, *reversed(inner)]


def lookup(url: str, debug_name: str, breakpad_id: str, addresses: list[int]) -> list[list[Frame]]:
    """Inline chains for ``addresses`` of one library, asked in batches."""
    out: list[list[Frame]] = []
    endpoint = url.rstrip("/") + "/symbolicate/v5"
    for i in range(0, len(addresses), BATCH):
        chunk = addresses[i : i + BATCH]
        body = request_body([(debug_name, breakpad_id)], [(0, a) for a in chunk]).encode()
        req = urllib.request.Request(
            endpoint, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
                doc = json.loads(resp.read())
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise ConnectionError(f"symbol server {endpoint}: {e}") from None
        try:
            frames = doc["results"][0]["stacks"][0]
        except (KeyError, IndexError, TypeError):
            raise ConnectionError(f"symbol server {endpoint}: unexpected answer") from None
        if len(frames) != len(chunk):
            raise ConnectionError(
                f"symbol server {endpoint}: {len(frames)} frames answered for {len(chunk)} asked"
            )
        out.extend(_chain(f) for f in frames)
    return out


def server_resolver(url: str, report: SymbolicationReport) -> Resolver:
    """Ask the server for each library's addresses."""

    def resolve(index: int, lib: dict, addresses: np.ndarray) -> list[list[Frame]] | None:
        name = lib.get("debug_name") or lib.get("name")
        bid = lib.get("breakpad_id")
        if not name or not bid:
            report.libraries.append(
                Found(lib.get("name") or "?", None, "no debug name or breakpad id")
            )
            return None
        chains = lookup(url, name, bid, [int(a) for a in addresses.tolist()])
        named = sum(bool(c) for c in chains)
        report.libraries.append(
            Found(lib["name"], None, f"{url}: {named:,} of {len(chains):,} addresses named")
        )
        return chains

    return resolve
