"""A minimal protocol-buffer wire-format reader for the tests: independent of the exporter's
vectorised encoder, so a round trip checks the bytes, not the code against itself."""

from __future__ import annotations


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) pairs: ints for varints, bytes for length-delimited fields."""
    out = []
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            size, i = _varint(buf, i)
            value = buf[i : i + size]
            assert len(value) == size, "truncated field"
            i += size
        else:
            raise AssertionError(f"unexpected wire type {wire}")
        out.append((field, value))
    return out


def packed(value: int | bytes) -> list[int]:
    """A repeated varint field, packed (bytes) or not (a single int)."""
    if isinstance(value, int):
        return [value]
    out, i = [], 0
    while i < len(value):
        v, i = _varint(value, i)
        out.append(v)
    return out


def pprof(buf: bytes) -> dict:
    """Decode a pprof Profile into plain lists and dicts."""
    prof: dict = {"sample_type": [], "sample": [], "mapping": {}, "location": {}, "function": {}}
    strings: list[str] = []
    for f, v in fields(buf):
        if f == 1:
            d = dict(fields(v))
            prof["sample_type"].append((d.get(1, 0), d.get(2, 0)))
        elif f == 2:
            s: dict = {"location": [], "value": [], "label": []}
            for sf, sv in fields(v):
                if sf == 1:
                    s["location"] += packed(sv)
                elif sf == 2:
                    s["value"] += packed(sv)
                elif sf == 3:
                    s["label"].append(dict(fields(sv)))
            prof["sample"].append(s)
        elif f == 3:
            d = dict(fields(v))
            prof["mapping"][d[1]] = d
        elif f == 4:
            loc: dict = {"line": []}
            for lf, lv in fields(v):
                if lf == 4:
                    loc["line"].append(dict(fields(lv)))
                else:
                    loc[lf] = lv
            prof["location"][loc[1]] = loc
        elif f == 5:
            d = dict(fields(v))
            prof["function"][d[1]] = d
        elif f == 6:
            strings.append(v.decode("utf-8"))
        else:
            prof[f] = v
    prof["strings"] = strings
    return prof
