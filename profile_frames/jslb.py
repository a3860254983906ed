"""The JSLB binary container (``mstange/json-slabs``): a JSON root slab whose ``{"$s": N}``
objects stand for other slabs (typed arrays or nested JSON).

Layout (all little-endian u32): 8-byte magic, version (=1), slab count N, root slab index, then N
entries ``(type, absolute offset, byte length)``. Types 0x00–0x09 are Int8, Uint8, Int16, Uint16,
Int32, Uint32, Float32, Float64, BigInt64, BigUint64 arrays; 0x0a is UTF-8 JSON.

Example
-------
>>> import struct
>>> root = b'{"a": {"$s": 1}}'
>>> arr = struct.pack("<3i", 1, 2, 3)
>>> hdr = b"\\xdc\\xdfJSLB\\x01\\x00" + struct.pack("<3I", 1, 2, 0)
>>> table_end = len(hdr) + 24
>>> blob = hdr + struct.pack("<6I", 10, table_end, len(root), 4, table_end + len(root), 12) + root + arr
>>> decode_jslb(blob, name="x")["a"].to_pylist()
[1, 2, 3]
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

from .errors import ProfileFormatError
from .scan import parse_json_chunks

_TYPED = {
    0: np.int8,
    1: np.uint8,
    2: np.int16,
    3: np.uint16,
    4: np.int32,
    5: np.uint32,
    6: np.float32,
    7: np.float64,
    8: np.int64,
    9: np.uint64,
}
_JSON = 0x0A
MAX_SLAB_NESTING = 32


def decode_jslb(data: bytes, *, name: str, skip: Callable[[list, list], bool] | None = None) -> Any:
    """Decode a whole JSLB buffer into a tree whose typed-array slabs are Arrow arrays."""
    if len(data) < 20:
        raise ProfileFormatError("truncated JSLB header", source=name, offset=len(data))
    version, count, root = struct.unpack_from("<3I", data, 8)
    if version != 1:
        raise ProfileFormatError(
            f"unsupported JSLB version {version} (expected 1)", source=name, offset=8
        )
    table_end = 20 + 12 * count
    if table_end > len(data):
        raise ProfileFormatError(
            f"JSLB slab table of {count} entries runs past the end of the file ({len(data)} bytes)",
            source=name,
            offset=20,
        )
    entries = [struct.unpack_from("<3I", data, 20 + 12 * i) for i in range(count)]
    for i, (typ, off, length) in enumerate(entries):
        if off + length > len(data):
            raise ProfileFormatError(
                f"JSLB slab {i} ({length} bytes at {off}) runs past the end of the file",
                source=name,
                offset=20 + 12 * i,
            )
        if typ != _JSON and typ not in _TYPED:
            raise ProfileFormatError(
                f"JSLB slab {i} has unknown type {typ}", source=name, offset=20 + 12 * i
            )
    if root >= count or entries[root][0] != _JSON:
        raise ProfileFormatError(
            f"JSLB root slab {root} is missing or not JSON", source=name, offset=16
        )

    active: list[int] = []

    def slab(index: Any) -> Any:
        if not isinstance(index, int) or not 0 <= index < count:
            raise ProfileFormatError(
                f"JSLB reference to missing slab {index!r}",
                source=name,
                offset=entries[active[-1]][1] if active else 16,
            )
        typ, off, length = entries[index]
        if typ == _JSON:
            if index in active or len(active) > MAX_SLAB_NESTING:
                raise ProfileFormatError(
                    f"JSLB slab {index} refers to itself", source=name, offset=off
                )
            active.append(index)
            try:
                return parse_json_chunks(
                    [bytes(data[off : off + length])], name=name, skip=skip, on_object=resolve
                )
            finally:
                active.pop()
        dtype = np.dtype(_TYPED[typ]).newbyteorder("<")
        if length % dtype.itemsize:
            raise ProfileFormatError(
                f"JSLB slab {index} length {length} is not a multiple of {dtype.itemsize}",
                source=name,
                offset=off,
            )
        arr = np.frombuffer(data, dtype=dtype, count=length // dtype.itemsize, offset=off)
        return pa.array(arr.astype(dtype.newbyteorder("="), copy=False))

    def resolve(obj: dict) -> Any:
        if len(obj) == 1 and "$s" in obj:
            return slab(obj["$s"])
        return obj

    return slab(root)
