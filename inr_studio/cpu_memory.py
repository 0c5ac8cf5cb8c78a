"""How the process gets memory for large tensors on Linux: huge pages, kept between steps.

A training step allocates and frees the same few activations (N×width floats, 11 MB each at
256 px, 45 MB at 512 px) every step. By default glibc serves blocks over its mmap threshold
with fresh ``mmap`` calls, so every step page-faults and zeroes them again in 4 KB pages, and
the threshold never rises above 32 MB. Three settings, made before torch allocates anything:

- ``THP_MEM_ALLOC_ENABLE=1``: PyTorch aligns tensors of 2 MB and more to 2 MB and asks for
  transparent huge pages (``madvise``), so streaming element-wise passes miss the TLB less
  and a fresh block faults in 2 MB pages;
- ``M_MMAP_THRESHOLD`` = 32 MB (glibc's largest): blocks below it come from the heap and
  are reused step after step instead of being unmapped;
- ``M_TRIM_THRESHOLD`` = 256 MB: the heap keeps up to that much free memory at its top
  instead of handing it back to the kernel after every step.

Measured on the 2-core CPU (``benchmarks/allocator.py``, docs/results.md, issue 10.8): a
full-batch training round of the four paper models runs 1.4–1.5× faster at 128 px and
1.5–1.8× at 512 px, with the same peak resident memory; at 256 px glibc's own dynamic
threshold already kept the activations on the heap (0.9–1.1×).
``INR_STUDIO_ALLOCATOR=default`` leaves the process as it was; a user's own
``THP_MEM_ALLOC_ENABLE`` wins. Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 256 * 1024 * 1024


def tune_allocator() -> bool:
    """Apply the settings above (once, before torch loads); True where glibc took them."""
    if os.environ.get("INR_STUDIO_ALLOCATOR", "").lower() == "default":
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
            libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    except (OSError, AttributeError):
        return False
