"""Arrow string arrays over a buffer of bytes and their offsets, checked as UTF-8: how both
marker payload cutters (the C parser's and the numpy one) hand their texts over, and how the
C string-table reader (:func:`profile_frames.native.json_strings`) hands over its strings.

Example
-------
>>> import numpy as np
>>> string_array(pa.py_buffer(b"abcd"), np.array([0, 1, 4]), None, 0).to_pylist()
['a', 'bcd']
>>> string_array(pa.py_buffer(b"\\xff"), np.array([0, 1]), None, 0) is None
True
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def string_array(
    data: pa.Buffer, offsets: np.ndarray, validity: pa.Buffer | None, nulls: int
) -> pa.Array | None:
    """``len(offsets) - 1`` strings, string ``i`` the bytes ``offsets[i]:offsets[i + 1]`` of
    ``data`` (null where ``validity``, an Arrow bitmap, says so); None if one is not UTF-8."""
    big = offsets[-1] >= 2**31
    kind = pa.large_string() if big else pa.string()
    bounds = pa.py_buffer(np.asarray(offsets, dtype=np.int64 if big else np.int32))
    strings = pa.Array.from_buffers(
        kind, len(offsets) - 1, [validity, bounds, data], null_count=nulls
    )
    try:
        strings.validate(full=True)
    except pa.ArrowInvalid:
        return None
    return strings
