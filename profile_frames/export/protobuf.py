"""Vectorised protocol-buffer encoding of varint-only records.

Every message written by the pprof exporter is a sequence of varints: field tags, integer
values, and the byte lengths of embedded messages. Records of one kind are laid out as a matrix
of tokens (one row per record) with a mask of the tokens that are present, and encoded in one
numpy pass, so millions of records never go through a Python loop.

Example
-------
>>> varints(np.array([1, 150, 300], dtype=np.uint64)).hex()
'019601ac02'
>>> varint_lengths(np.array([0, 127, 128, 2**63], dtype=np.uint64)).tolist()
[1, 1, 2, 10]
"""

from __future__ import annotations

import numpy as np

_LIMITS = np.array([1 << (7 * k) for k in range(1, 10)], dtype=np.uint64)


def varint_lengths(values: np.ndarray) -> np.ndarray:
    """Bytes each uint64 value takes as a varint (1–10)."""
    v = np.asarray(values, dtype=np.uint64)
    return 1 + np.searchsorted(_LIMITS, v, side="right").astype(np.int64)


def varints(values: np.ndarray) -> bytes:
    """Encode a flat array of uint64 values as concatenated varints."""
    v = np.asarray(values, dtype=np.uint64).ravel()
    lengths = varint_lengths(v)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    out = np.empty(int(ends[-1]) if len(v) else 0, dtype=np.uint8)
    for k in range(int(lengths.max()) if len(v) else 0):
        has = lengths > k
        chunk = (v[has] >> np.uint64(7 * k)) & np.uint64(0x7F)
        more = (lengths[has] > k + 1).astype(np.uint64) << np.uint64(7)
        out[starts[has] + k] = (chunk | more).astype(np.uint8)
    return out.tobytes()


def tag(field: int, wire_type: int) -> int:
    """The key of a field: ``field << 3 | wire_type`` (0 = varint, 2 = length-delimited)."""
    return field << 3 | wire_type


def records(tokens: np.ndarray, present: np.ndarray) -> bytes:
    """Encode the present tokens of a (records × tokens) matrix, row after row."""
    return varints(np.asarray(tokens, dtype=np.uint64)[present])


def length_delimited(field: int, payload: bytes) -> bytes:
    """One length-delimited field (a string or an embedded message)."""
    header = np.array([tag(field, 2), len(payload)], dtype=np.uint64)
    return varints(header) + payload
