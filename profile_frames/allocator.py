"""Keep freed numpy work memory for reuse instead of returning it to the system (glibc
only), and fault numpy's big arrays in ordinary pages.

A load and the first analysis of a big thread allocate many 1–32 MB numpy arrays; with
glibc's defaults each one that outgrows the freed heap is fresh memory from the kernel, and
on virtual machines a page fault can cost microseconds (see docs/decisions.md, "Performance"). At
import, profile_frames raises glibc's trim threshold (freed memory at the top of the heap is
kept up to ``TRIM_BYTES``) and fixes the mmap threshold at glibc's own maximum (32 MiB:
bigger arrays still come from, and go back to, the system). Users who set
``MALLOC_TRIM_THRESHOLD_``, ``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TOP_PAD_`` or
``GLIBC_TUNABLES`` keep their own settings; ``PROFILE_FRAMES_MALLOC=system`` leaves glibc
alone.

numpy asks the kernel (``madvise``) for transparent huge pages for every array of 4 MiB or
more; where THP is "madvise" only, each such fault may compact memory to find a 2 MiB page,
and a load's hundreds of fresh arrays spent a third of their system time there. At import,
profile_frames turns that request off (:func:`skip_numpy_huge_pages`) unless the user set
``NUMPY_MADVISE_HUGEPAGE`` (numpy's own switch) or ``PROFILE_FRAMES_MALLOC=system``.

>>> retain_freed_memory() in (True, False), skip_numpy_huge_pages() in (True, False)
(True, True)
"""

from __future__ import annotations

import ctypes
import importlib
import os
import platform

M_TRIM_THRESHOLD = -1  # mallopt parameters, from glibc's malloc.h
M_MMAP_THRESHOLD = -3
MMAP_BYTES = 32 << 20  # DEFAULT_MMAP_THRESHOLD_MAX on 64-bit glibc
TRIM_BYTES = 1 << 30
USER_SETTINGS = (
    "MALLOC_TRIM_THRESHOLD_",
    "MALLOC_MMAP_THRESHOLD_",
    "MALLOC_TOP_PAD_",
    "GLIBC_TUNABLES",
)


def _user_chose(*names: str) -> bool:
    """Whether the user asked for the system's own settings or set one of ``names``."""
    return os.environ.get("PROFILE_FRAMES_MALLOC") == "system" or any(
        name in os.environ for name in names
    )


def retain_freed_memory() -> bool:
    """Set the thresholds unless the user has chosen their own; True when they were set."""
    if _user_chose(*USER_SETTINGS):
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # pragma: no cover - a libc without mallopt
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_BYTES)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_BYTES)
    )


def skip_numpy_huge_pages() -> bool:
    """Stop numpy's huge-page request for big arrays unless the user has chosen; True when
    it was turned off here."""
    if _user_chose("NUMPY_MADVISE_HUGEPAGE") or platform.system() != "Linux":
        return False
    for name in ("numpy._core.multiarray", "numpy.core.multiarray"):  # numpy 2, numpy 1
        try:
            switch = importlib.import_module(name)._set_madvise_hugepage
        except (ImportError, AttributeError):  # pragma: no cover - not this numpy's module
            continue
        switch(False)
        return True
    return False  # pragma: no cover - a numpy without the switch
