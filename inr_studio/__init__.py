"""inr-studio: implicit neural representations of images, explored.

The core (everything outside ``inr_studio.ui``) never imports Qt, so it runs headless
in the CLI, in benchmarks and in tests.
"""

from __future__ import annotations

__version__ = "0.1.0"
