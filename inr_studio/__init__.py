"""inr-studio: implicit neural representations of images, explored.

The core (everything outside ``inr_studio.ui``) never imports Qt, so it runs headless
in the CLI, in benchmarks and in tests.
"""

from __future__ import annotations

import os as _os
import sys as _sys

__version__ = "0.1.0"

# OpenMP threads that sleep at barriers instead of spinning: with a GUI thread or other
# programs on the same cores, spinning threads slow every matrix product several times (2
# threads on a busy 2-core CPU: 5.0 s per round spinning, 0.82 s passive, 1.14 s on one thread;
# docs/results.md). It must be set before torch loads OpenMP; a user's own value wins.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
#: Whether torch's OpenMP threads wait passively: only if torch loaded after this line. The
#: window trains on every core only then (``ui.worker.default_cpu_threads``).
OPENMP_PASSIVE = ("torch" not in _sys.modules
                  and _os.environ["OMP_WAIT_POLICY"].strip().upper() == "PASSIVE")
