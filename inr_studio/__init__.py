"""inr-studio: implicit neural representations of images, explored.

The core (everything outside ``inr_studio.ui``) never imports Qt, so it runs headless in the
CLI, in benchmarks, in notebooks and in tests. Importing the package changes nothing in the
process; the ``inr-studio`` program tunes its own process first
(:func:`inr_studio.process.tune_process`).
"""

from __future__ import annotations

__version__ = "0.1.0"
