"""Write a file through a temporary sibling and an atomic rename.

Example
-------
>>> import tempfile, os
>>> d = tempfile.mkdtemp()
>>> with atomic_write(os.path.join(d, "x.txt")) as f:
...     _ = f.write(b"hello")
>>> open(os.path.join(d, "x.txt"), "rb").read()
b'hello'
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import BinaryIO


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, *, fsync: bool = True) -> Iterator[BinaryIO]:
    """Yield a binary file; on success it replaces ``path``, on failure nothing is left.
    ``fsync=False`` skips flushing to disk: a killed process still leaves the old file or the
    new one, but a power cut may not (for many small files that are cheap to redo)."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            if fsync:
                os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp made it private; give it normal permissions
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
