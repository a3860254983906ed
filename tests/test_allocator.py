"""profile_frames keeps freed numpy work memory for reuse (glibc), unless the user chose."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"

# Allocate and touch 64 MiB in 8 MiB arrays, free them, do it again: the page faults of
# each round. Memory kept by the allocator is reused without faults.
ROUNDS = """
import json, resource
import numpy as np
import profile_frames
from profile_frames.allocator import retain_freed_memory
faults = []
for _ in range(2):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    arrays = [np.ones(1 << 20) for _ in range(8)]
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    del arrays
print(json.dumps({"set": retain_freed_memory(), "faults": faults}))
"""


def _rounds(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GLIBC_T"))}
    clean.pop("PROFILE_FRAMES_MALLOC", None)
    out = subprocess.run(
        [sys.executable, "-c", ROUNDS],
        env={**clean, "NUMPY_MADVISE_HUGEPAGE": "0", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.mark.skipif(not GLIBC, reason="the thresholds are glibc's mallopt")
def test_freed_arrays_are_reused_without_page_faults():
    first, second = _rounds()["faults"]
    assert first > 1000  # 64 MiB of fresh 4 KiB pages
    assert second < first / 4


@pytest.mark.skipif(not GLIBC, reason="the thresholds are glibc's mallopt")
def test_system_setting_leaves_glibc_alone_and_memory_is_faulted_again():
    got = _rounds(PROFILE_FRAMES_MALLOC="system")
    first, second = got["faults"]
    assert got["set"] is False
    assert second > first / 2  # glibc's defaults map each 8 MiB array afresh


@pytest.mark.skipif(not GLIBC, reason="elsewhere nothing is set whatever the environment")
@pytest.mark.parametrize("name", ["MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES"])
def test_users_own_malloc_settings_win(name):
    assert _rounds(**{name: "131072" if name.startswith("MALLOC") else ""})["set"] is False


# numpy's huge-page request for big arrays, as profile_frames leaves it after import
HUGE_PAGES = """
import profile_frames
from numpy._core import multiarray
print(multiarray._set_madvise_hugepage(True))
"""


def _huge_pages_after_import(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    clean.pop("PROFILE_FRAMES_MALLOC", None)
    out = subprocess.run(
        [sys.executable, "-c", HUGE_PAGES],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


@pytest.mark.skipif(platform.system() != "Linux", reason="numpy requests huge pages on Linux only")
def test_numpy_huge_page_request_is_off_after_import():
    assert _huge_pages_after_import() == "False"


@pytest.mark.skipif(platform.system() != "Linux", reason="numpy requests huge pages on Linux only")
@pytest.mark.parametrize(
    "env", [{"NUMPY_MADVISE_HUGEPAGE": "1"}, {"PROFILE_FRAMES_MALLOC": "system"}]
)
def test_users_choice_keeps_numpys_huge_pages(env):
    assert _huge_pages_after_import(**env) == "True"
