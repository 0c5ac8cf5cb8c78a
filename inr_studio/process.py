"""Process-wide settings that make CPU training faster, applied only when asked.

Importing ``inr_studio`` changes nothing in the process. The ``inr-studio`` program calls
:func:`tune_process` first thing, before torch loads; a script or a notebook may call it too, or
leave its process as it is. Two groups of settings, each one left alone where the user chose:

**OpenMP's waiting.** A training step is dozens of short parallel regions back to back. Threads
that spin at a barrier forever slow every matrix product several times when a GUI thread or
another program shares the cores; threads that sleep at once are slow to wake for the next
region (a training round 1.1–1.5× slower on an idle 2-core CPU, ``benchmarks/omp_wait.py``). So
the threads spin briefly and then sleep: ``OMP_WAIT_POLICY=PASSIVE`` with ``GOMP_SPINCOUNT=2000``
(libgomp's, which torch ships; 2000 spins cost 0.1–0.25 ms of CPU time per region). A user's own
``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT`` is kept. libgomp reads these when torch loads it.

**Memory for large tensors (glibc).** A step allocates and frees the same activations
(N × width floats, 11 MB each at 256 px, 45 MB at 512 px). By default glibc serves blocks over
its mmap threshold with fresh ``mmap`` calls, so every step faults and zeroes them again in
4 KB pages. ``THP_MEM_ALLOC_ENABLE=1`` makes PyTorch align tensors of 2 MB and more and ask for
transparent huge pages; ``M_MMAP_THRESHOLD`` = 32 MB keeps blocks below it on the heap, reused
step after step; ``M_TRIM_THRESHOLD`` = 256 MB keeps freed memory at the heap's top instead of
handing it back after each step. ``benchmarks/allocator.py`` measures the gain (see
docs/results.md). ``INR_STUDIO_ALLOCATOR=default`` leaves glibc as it is; a user's own
``THP_MEM_ALLOC_ENABLE`` wins.

The environment variables are inherited by child processes, which is what the program wants
(they train too). Called after torch has loaded, the OpenMP and huge-page settings no longer
apply to this process: :attr:`ProcessTuning.late` says so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
import sys
from dataclasses import dataclass

SPIN_COUNT = "2000"
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 256 * 1024 * 1024


@dataclass(frozen=True)
class ProcessTuning:
    """What :func:`tune_process` did."""

    #: The environment variables it set (a user's own values are not in here).
    environment: dict[str, str]
    #: Whether glibc took the heap settings (False elsewhere, or with INR_STUDIO_ALLOCATOR=default).
    allocator: bool
    #: torch was already loaded: OpenMP and PyTorch had read their settings before these.
    late: bool


_done: ProcessTuning | None = None


def tune_process() -> ProcessTuning:
    """Apply the settings above, once per process (later calls return the first result)."""
    global _done
    if _done is not None:
        return _done
    late = "torch" in sys.modules
    env: dict[str, str] = {}
    if "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ:
        env["GOMP_SPINCOUNT"] = SPIN_COUNT
    if "OMP_WAIT_POLICY" not in os.environ:
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    allocator = _allocator_wanted()
    if allocator and "THP_MEM_ALLOC_ENABLE" not in os.environ:
        env["THP_MEM_ALLOC_ENABLE"] = "1"
    os.environ.update(env)
    _done = ProcessTuning(env, allocator and _reuse_heap(), late)
    return _done


def _allocator_wanted() -> bool:
    if os.environ.get("INR_STUDIO_ALLOCATOR", "").lower() == "default":
        return False
    return platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


def _reuse_heap() -> bool:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
            libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    except (OSError, AttributeError):
        return False
