"""Open a profile source and yield its decompressed bytes in chunks.

Handles paths, ``bytes`` and binary file objects (including non-seekable pipes), and detects
the container by magic bytes: gzip (``1f 8b``, several members allowed), the JSLB binary
container (``DC DF 4A 53 4C 42 01 00``) and plain JSON.

Example
-------
>>> src = open_source(b'{"meta": {}}')
>>> src.kind, src.read_all()
('json', b'{"meta": {}}')
"""

from __future__ import annotations

import io
import mmap
import os
import queue
import stat
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Union

from .errors import ProfileFormatError

try:  # isal decompresses ~2x faster than zlib; same API
    from isal import isal_zlib as _zlib
except ImportError:  # pragma: no cover - exercised only without isal
    _zlib = zlib

GZIP_MAGIC = b"\x1f\x8b"
JSLB_MAGIC = b"\xdc\xdfJSLB\x01\x00"
READ_SIZE = 16 << 20
MAX_DECOMPRESSED_CHUNK = 16 << 20

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, BinaryIO]


@dataclass
class OpenedSource:
    """A source ready to be read: ``kind`` is ``"json"`` or ``"jslb"``; ``gzip`` tells whether
    it was compressed. ``chunks()`` yields the decompressed bytes once."""

    name: str
    kind: str
    gzip: bool
    total_size: int | None
    _chunks: Iterator[bytes]
    on_progress: Callable[[int], None] | None = None
    _closers: list = field(default_factory=list)

    def chunks(self) -> Iterator[bytes | bytearray]:
        """The decompressed bytes; gzip is decompressed ahead, on a thread of its own (a plain
        file is not: reading from the page cache gained nothing from it). A chunk may be a
        ``bytearray`` that the next chunk overwrites: use it (or copy it) before asking for
        the next one."""
        try:
            yield from read_ahead(self._chunks) if self.gzip else self._chunks
        finally:
            self.close()

    def read_all(self) -> bytes:
        return b"".join([bytes(c) if isinstance(c, bytearray) else c for c in self.chunks()])

    def close(self) -> None:
        for c in self._closers:
            c()
        self._closers.clear()


READ_AHEAD = 2  # chunks read (and decompressed) ahead of the consumer


def read_ahead(chunks: Iterator[bytes], depth: int = READ_AHEAD) -> Iterator[bytes]:
    """Yield ``chunks`` while a thread produces the next ones, so that producing them (gunzip,
    which releases the GIL) overlaps with the work done on each chunk. Errors come out where
    the chunk would have; stopping early stops the thread.

    >>> list(read_ahead(iter([b"a", b"b"])))
    [b'a', b'b']
    """
    slots: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for chunk in chunks:
                if not put(("chunk", chunk)):
                    return
            put(("end", None))
        except BaseException as e:  # handed to the consumer, raised there
            put(("error", e))

    worker = threading.Thread(target=produce, name="profile_frames-read", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = slots.get()
            if kind == "chunk":
                yield value
            elif kind == "end":
                return
            else:
                raise value
    finally:
        stop.set()
        worker.join(timeout=5)


def source_name(source: object) -> str:
    """A human-readable name for error messages."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "<bytes>"
    return (
        getattr(source, "name", None)
        if isinstance(getattr(source, "name", None), str)
        else "<stream>"
    )


def _raw_reader(
    source: Source,
) -> tuple[Callable[[int], bytes], Any, int | None, list, int | None]:
    """Return (read(n), readinto(buffer) or None, total size or None, closers, and the file
    descriptor of a regular file that can be mapped, else None)."""
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        try:
            f = open(path, "rb")  # noqa: SIM115 - closed by OpenedSource.close
        except OSError as e:
            raise ProfileFormatError(f"cannot open: {e.strerror or e}", source=path) from None
        try:
            info = os.fstat(f.fileno())
        except OSError:
            return f.read, f.readinto, None, [f.close], None
        regular = stat.S_ISREG(info.st_mode) and info.st_size > 0
        return f.read, f.readinto, info.st_size, [f.close], f.fileno() if regular else None
    if isinstance(source, (bytes, bytearray, memoryview)):
        b = io.BytesIO(bytes(source))
        return b.read, b.readinto, len(source), [], None
    read = getattr(source, "read", None)
    if read is None:
        raise TypeError(
            f"profile_frames.load: expected a path, bytes or a binary file object, got {type(source).__name__}"
        )
    known = isinstance(source, (io.BufferedReader, io.BytesIO, io.FileIO))  # readinto works
    return read, source.readinto if known else None, None, [], None


def _gunzip(
    first: bytes, read: Callable[[int], bytes], name: str, progress: Callable[[int], None]
) -> Iterator[bytes]:
    """Decompress one or more concatenated gzip members, in bounded chunks. ``progress`` gets
    the uncompressed bytes handed on (what the parser has reached), not the compressed bytes
    read: a 16 MB read of a 10× compressed file is 160 MB of parsing."""
    consumed = 0
    produced = 0
    pending = first
    d = _zlib.decompressobj(31)
    member_started = True
    while True:
        if not pending:
            pending = read(READ_SIZE)
            if not pending:
                break
        consumed += len(pending)
        data = pending
        pending = b""
        while data:
            try:
                out = d.decompress(data, MAX_DECOMPRESSED_CHUNK)
            except Exception as e:  # zlib.error / isal error
                raise ProfileFormatError(
                    f"corrupt gzip stream ({e})", source=name, offset=consumed - len(data)
                ) from None
            if out:
                produced += len(out)
                progress(produced)
                yield out
            data = d.unconsumed_tail
            if d.eof:
                rest = d.unused_data
                d = _zlib.decompressobj(31)
                member_started = False
                if rest.strip(b"\x00"):
                    if rest[:2] != GZIP_MAGIC:
                        raise ProfileFormatError(
                            "trailing garbage after the gzip stream",
                            source=name,
                            offset=consumed - len(rest),
                        )
                    member_started = True
                data = rest.lstrip(b"\x00") if member_started else b""
    if member_started:
        tail = d.flush()
        if not d.eof:
            raise ProfileFormatError(
                "truncated gzip stream (ended before the end of the compressed data)",
                source=name,
                offset=consumed,
            )
        if tail:
            yield tail


def _plain(
    first: bytes,
    read: Callable[[int], bytes],
    readinto: Callable[[memoryview], int | None] | None,
    progress: Callable[[int], None],
) -> Iterator[bytes | bytearray]:
    """The bytes after ``first``. A source with ``readinto`` (files, pipes, BytesIO) is read
    into one buffer reused for every full chunk: fresh 16 MiB buffers cost page faults (on the
    2 GB benchmark they were 45 % of the load's faults, ~2 s of system time)."""
    consumed = len(first)
    progress(consumed)
    if first:
        yield first
    if readinto is None:
        while True:
            b = read(READ_SIZE)
            if not b:
                return
            consumed += len(b)
            progress(consumed)
            yield b
    buf = bytearray(READ_SIZE)
    view = memoryview(buf)
    while True:
        n = _fill(readinto, view)
        if not n:
            return
        consumed += n
        progress(consumed)
        if n < len(buf):  # end of the data
            yield bytes(view[:n])
            return
        yield buf


def _mapped(
    fileno: int, size: int, name: str, progress: Callable[[int], None]
) -> Iterator[mmap.mmap]:
    """A regular file's bytes, from its start, as read-only mappings of ``READ_SIZE`` each:
    the scanner reads the page cache in place. Reading into a buffer copied every byte
    (0.25 s of a 281 MB load; its system time fell by a quarter). A file that shrinks
    while it is read is an error here (see docs/decisions.md for one that shrinks inside a
    window already mapped)."""
    start = 0
    while start < size:
        n = min(READ_SIZE, size - start)
        try:
            window = mmap.mmap(fileno, n, offset=start, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as e:
            raise ProfileFormatError(
                f"cannot read the file at this offset ({e}); did it change while it was read?",
                source=name,
                offset=start,
            ) from None
        start += n
        progress(start)
        yield window


def _fill(readinto: Callable[[memoryview], int | None], view: memoryview) -> int:
    """Read into ``view`` until it is full or the data ends; the number of bytes read."""
    got = 0
    while got < len(view):
        n = readinto(view[got:])
        if not n:
            break
        got += n
    return got


def _read_at_least(read: Callable[[int], bytes], n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        b = read(n - got)
        if not b:
            break
        parts.append(b)
        got += len(b)
    return b"".join(parts)


def uncompressed_size(path: str | os.PathLike) -> int | None:
    """The uncompressed size of a file: its size, or for gzip the trailer's ISIZE (the size
    modulo 4 GiB, completed to at least the compressed size); None when unreadable.

    >>> import gzip, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x.gz")
    >>> _ = open(p, "wb").write(gzip.compress(b"x" * 100_000))
    >>> uncompressed_size(p)
    100000
    """
    try:
        with open(path, "rb") as f:
            magic = f.read(2)
            size = os.fstat(f.fileno()).st_size
            if magic != GZIP_MAGIC or size < 18:
                return size
            f.seek(-4, os.SEEK_END)
            isize = int.from_bytes(f.read(4), "little")
    except OSError:
        return None
    while isize < size:  # more than 4 GiB uncompressed: ISIZE wrapped around
        isize += 1 << 32
    return isize


def open_source(
    source: Source, *, on_progress: Callable[[int], None] | None = None
) -> OpenedSource:
    """Open ``source`` and detect its container by magic bytes (never by file name)."""
    name = source_name(source)
    read, readinto, size, closers, fileno = _raw_reader(source)
    progress = on_progress or (lambda n: None)
    try:
        head = _read_at_least(read, 8)
    except OSError as e:
        for c in closers:
            c()
        raise ProfileFormatError(f"cannot read: {e}", source=name) from None
    if head[:2] == GZIP_MAGIC:
        chunks = _gunzip(head, read, name, progress)
        inner = b""
        for piece in chunks:  # peek at the decompressed magic
            inner += piece
            if len(inner) >= 8:
                break
        kind = "jslb" if inner[:8] == JSLB_MAGIC else "json"

        def _all() -> Iterator[bytes]:
            if inner:
                yield inner
            yield from chunks

        return OpenedSource(name, kind, True, size, _all(), on_progress, closers)
    kind = "jslb" if head == JSLB_MAGIC else "json"
    if fileno is not None and kind == "json":  # (a mapped file is regular and not empty)
        chunks = _mapped(fileno, size, name, progress)  # (the head is in the first window)
    else:
        chunks = _plain(head, read, readinto, progress)
    return OpenedSource(name, kind, False, size, chunks, on_progress, closers)
