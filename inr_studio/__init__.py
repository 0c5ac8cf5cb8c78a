"""inr-studio: implicit neural representations of images, explored.

The core (everything outside ``inr_studio.ui``) never imports Qt, so it runs headless
in the CLI, in benchmarks and in tests.
"""

from __future__ import annotations

import os as _os

__version__ = "0.1.0"

# OpenMP threads that sleep at barriers instead of spinning: with other programs (or a GUI
# thread) on the same cores, spinning threads slow every matrix product several times (2
# threads on a busy 2-core CPU: 1.7–2.9 s per training round spinning, 0.64–1.08 s passive;
# docs/results.md). ``fit``/``bench``/``encode`` train on every core. It must be set before
# torch loads OpenMP, so here; a user's own value wins.
#
# A sleeping thread is slow to wake, though: a step is dozens of short parallel regions back to
# back, and passive waits made a training round 1.1–1.5× slower on an idle 2-core CPU
# (``benchmarks/omp_wait.py``). So, unless the user chose a wait policy or a spin count
# themselves, the threads first spin a short while (``GOMP_SPINCOUNT``, libgomp's, which torch
# ships: 2000 spins cost 0.1–0.25 ms of CPU time per region on that machine) and then sleep:
# the next region is caught, and a GUI thread or another program waits no longer than that.
if "OMP_WAIT_POLICY" not in _os.environ and "GOMP_SPINCOUNT" not in _os.environ:
    _os.environ["GOMP_SPINCOUNT"] = "2000"
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# Huge pages and heap reuse for the activations every training step allocates again
# (``cpu_memory``; 1.4–1.8× faster rounds at 128 and 512 px on the 2-core CPU). Before torch too.
from .cpu_memory import tune_allocator as _tune_allocator  # noqa: E402

#: Whether glibc took the settings (False elsewhere, or with INR_STUDIO_ALLOCATOR=default).
ALLOCATOR_TUNED = _tune_allocator()
