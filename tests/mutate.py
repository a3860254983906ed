"""Mutators for fuzzing the loader: one that knows the profile format and one that knows bytes.

:func:`mutate_document` changes a parsed profile (processed, Gecko or the JSON root of a JSLB
file) where the format has meaning: table columns, declared lengths, index values, schema
entries, version numbers, thread entries. :func:`mutate_bytes` damages the serialised text or
its gzip container. Both are pure functions of a ``random.Random``, so a seed names a case.

Example
-------
>>> import random
>>> doc = {"meta": {"version": 1}, "threads": [{"samples": {"stack": [0, 1], "length": 2}}]}
>>> out = mutate_document(doc, random.Random(3))
>>> out is not doc and doc["threads"][0]["samples"]["stack"] == [0, 1]
True
"""

from __future__ import annotations

import copy
import gzip
import json
import random
import struct
from typing import Any

# Values that have broken JSON readers and dataframe builders before: huge and negative
# lengths, integers beyond int32/int64/float precision, wrong types of every kind.
HOSTILE_SCALARS: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    38.0,
    2**31,
    2**32 + 1,
    2**53 + 1,
    2**63,
    2**64,
    10**12,
    1e15,
    1e308,
    -1e308,
    "",
    "x",
    "0",
    [],
    {},
    [None],
    [[1]],
    {"$s": 0},
]

# Keys whose values the loader reads as tables, columns or indexes: mutations land here more
# often than on free-form metadata.
FORMAT_KEYS = {
    "meta",
    "threads",
    "processes",
    "shared",
    "libs",
    "counters",
    "samples",
    "markers",
    "stackTable",
    "frameTable",
    "funcTable",
    "resourceTable",
    "nativeSymbols",
    "stringArray",
    "stringTable",
    "schema",
    "data",
    "length",
    "prefix",
    "prefixOffset",
    "frame",
    "func",
    "name",
    "stack",
    "time",
    "timeDeltas",
    "weight",
    "weightType",
    "category",
    "subcategory",
    "lib",
    "address",
    "line",
    "column",
    "fileName",
    "resource",
    "nativeSymbol",
    "inlineDepth",
    "isJS",
    "relevantForJS",
    "version",
    "preprocessedProfileVersion",
    "interval",
    "startTime",
    "categories",
    "location",
    "implementation",
}

TOKENS = [
    b"null",
    b"true",
    b"-1",
    b"1e999",
    b"-0",
    b"Infinity",
    b"NaN",
    b'"',
    b"[",
    b"]",
    b"{",
    b"}",
    b",",
    b":",
    b'"\\u0000"',
    b'"\\ud800"',
    b"99999999999999999999",
    b"0x10",
    b"\xef\xbb\xbf",
    b"\xff",
    b"1.0",
    b"\x00",
]


def _sites(node: Any, path: tuple, out: list, depth: int) -> None:
    """Every (container, key, path) below ``node``; long lists contribute a sample of items."""
    if depth > 12:
        return
    if isinstance(node, dict):
        items = list(node.items())
    elif isinstance(node, list):
        idx = range(len(node)) if len(node) <= 8 else [0, 1, len(node) // 2, len(node) - 1]
        items = [(i, node[i]) for i in idx]
    else:
        return
    for key, value in items:
        out.append((node, key, (*path, key)))
        _sites(value, (*path, key), out, depth + 1)


def _weight(site: tuple) -> float:
    key = site[1]
    if isinstance(key, str):
        return 6.0 if key in FORMAT_KEYS else 1.0
    return 2.0


def _hostile_list_edit(values: list, rng: random.Random) -> list:
    out = list(values)
    op = rng.randrange(7)
    if op == 0 and out:
        del out[rng.randrange(len(out)) :]
    elif op == 1:
        out.extend(rng.choice([out[:1] or [0], [None], [len(out) + 5], ["s"], [-2]]))
    elif op == 2 and out:
        out[rng.randrange(len(out))] = rng.choice(HOSTILE_SCALARS)
    elif op == 3 and out:
        i = rng.randrange(len(out))
        ints = [v for v in out if isinstance(v, int) and not isinstance(v, bool)]
        out[i] = (max(ints) + 1 + rng.randrange(3)) if ints else len(out)
    elif op == 4 and len(out) > 1:
        i, j = sorted(rng.sample(range(len(out)), 2))
        out[i:j] = reversed(out[i:j])
    elif op == 5:
        out = out + out
    elif out:
        out = [rng.choice(HOSTILE_SCALARS)] * len(out)
    return out


def _edit(container: Any, key: Any, rng: random.Random) -> None:
    value = container[key]
    op = rng.randrange(10)
    if op <= 2 and isinstance(value, list):
        container[key] = _hostile_list_edit(value, rng)
    elif op == 3 and isinstance(container, dict):
        del container[key]
    elif op == 4 and isinstance(container, dict):
        container[key + "_" if isinstance(key, str) else key] = container.pop(key)
    elif op == 5 and isinstance(value, (int, float)) and not isinstance(value, bool):
        container[key] = rng.choice([value + 1, value - 1, -value, value * 1000, 0, 2**40])
    elif op == 6 and isinstance(container, list):
        container.insert(key, copy.deepcopy(rng.choice(HOSTILE_SCALARS)))
    elif op == 7 and isinstance(value, dict) and value:
        inner = rng.choice(list(value))
        value[inner] = copy.deepcopy(rng.choice(HOSTILE_SCALARS))
    else:
        container[key] = copy.deepcopy(rng.choice(HOSTILE_SCALARS))


def mutate_document(doc: Any, rng: random.Random, *, edits: int | None = None) -> Any:
    """A deep copy of ``doc`` with 1–3 format-aware edits (``edits`` fixes the count)."""
    out = copy.deepcopy(doc)
    for _ in range(edits if edits is not None else rng.choice([1, 1, 1, 2, 3])):
        sites: list = []
        _sites(out, (), sites, 0)
        if not sites:
            return rng.choice(HOSTILE_SCALARS)
        container, key, _path = rng.choices(sites, weights=[_weight(s) for s in sites])[0]
        try:
            _edit(container, key, rng)
        except (KeyError, IndexError, TypeError):  # the site moved under an earlier edit
            continue
    return out


def mutate_bytes(data: bytes, rng: random.Random, *, gzipped: bool = False) -> bytes:
    """``data`` with 1–4 byte-level edits; with ``gzipped``, the result is compressed and the
    container itself may be damaged as well."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not buf:
            buf += rng.choice(TOKENS)
            continue
        at = rng.randrange(len(buf))
        op = rng.randrange(7)
        if op == 0:
            buf[at] ^= 1 << rng.randrange(8)
        elif op == 1:
            del buf[at : at + rng.randint(1, 64)]
        elif op == 2:
            n = rng.randint(1, 256)
            buf[at:at] = buf[at : at + n]
        elif op == 3:
            buf[at:at] = rng.choice(TOKENS)
        elif op == 4:
            del buf[at:]
        elif op == 5:
            digits = b"0123456789"
            start = at
            while start < len(buf) and buf[start] not in digits:
                start += 1
            end = start
            while end < len(buf) and buf[end] in digits:
                end += 1
            buf[start:end] = rng.choice([b"4294967297", b"1e15", b"-7", b"2.5", b"1" * 30])
        else:
            buf[at] = rng.randrange(256)
    out = bytes(buf)
    if gzipped:
        out = gzip.compress(out, compresslevel=1, mtime=0)
        if rng.random() < 0.3:
            damaged = bytearray(out)
            damaged[rng.randrange(len(damaged))] ^= 0xFF
            out = bytes(damaged if rng.random() < 0.5 else damaged[: rng.randrange(len(damaged))])
    return out


def serialise(doc: Any, rng: random.Random) -> bytes:
    """``doc`` as JSON text, compact or spaced (the two layouts take different scanner paths)."""
    if rng.random() < 0.5:
        return json.dumps(doc, separators=(",", ":")).encode()
    return json.dumps(doc).encode()


def _jslb_parts(data: bytes) -> tuple[bytes, int, list[tuple[int, bytes]]]:
    _version, count, root = struct.unpack_from("<3I", data, 8)
    entries = [struct.unpack_from("<3I", data, 20 + 12 * i) for i in range(count)]
    return data[:8], root, [(typ, data[off : off + n]) for typ, off, n in entries]


def _jslb_pack(magic: bytes, root: int, slabs: list[tuple[int, bytes]]) -> bytes:
    head = magic + struct.pack("<3I", 1, len(slabs), root)
    at = len(head) + 12 * len(slabs)
    table, body = [], []
    for typ, payload in slabs:
        pad = -at % 8  # typed arrays start 8-aligned
        body.append(b"\0" * pad + payload)
        at += pad
        table.append(struct.pack("<3I", typ, at, len(payload)))
        at += len(payload)
    return head + b"".join(table) + b"".join(body)


def mutate_jslb(data: bytes, rng: random.Random) -> bytes:
    """A JSLB buffer (uncompressed) with its root JSON mutated by the format-aware mutator, a
    typed slab retyped or cut, the slab table damaged, or bytes damaged."""
    magic, root, slabs = _jslb_parts(data)
    op = rng.randrange(4)
    if op == 0:
        doc = json.loads(slabs[root][1])
        slabs[root] = (slabs[root][0], serialise(mutate_document(doc, rng), rng))
        return _jslb_pack(magic, root, slabs)
    typed = [i for i, (typ, _) in enumerate(slabs) if typ != 0x0A]
    if op == 1 and typed:
        i = rng.choice(typed)
        typ, payload = slabs[i]
        if rng.random() < 0.5:
            slabs[i] = (rng.choice([0, 1, 4, 5, 6, 7, 8, 9, 11, 255]), payload)
        else:
            slabs[i] = (
                typ,
                payload[: rng.randrange(len(payload) + 1)] + b"\xff" * rng.randrange(3),
            )
        return _jslb_pack(magic, root, slabs)
    if op == 2:
        buf = bytearray(data)
        field = rng.randrange(8, 20 + 12 * len(slabs), 4)
        struct.pack_into("<I", buf, field, rng.choice([0, 1, 2**31, 2**32 - 1, len(data) + 1]))
        return bytes(buf)
    return mutate_bytes(data, rng)
