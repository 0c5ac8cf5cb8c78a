"""Where things are, for tests in any folder: the repository, the package, the test data."""

from __future__ import annotations

import os
from pathlib import Path

SUPPORT = Path(__file__).resolve().parent
TESTS = SUPPORT.parent
REPO = TESTS.parent
PACKAGE = REPO / "inr_studio"
DATA = TESTS / "data"
#: The Kodak set: ``INR_STUDIO_KODAK``, or the ``shared/data/kodak`` folder beside the checkout.
KODAK_DIR = Path(os.environ.get("INR_STUDIO_KODAK", REPO.parent / "shared" / "data" / "kodak"))
