"""Extra registry entries for tests: the views must work for any model, not only the paper's.

``extra_models`` registers three small SIREN-like entries (``fake0``..``fake2``) and removes them
afterwards, so no other test sees them.
"""

from __future__ import annotations

import pytest

__all__ = ["extra_models"]


@pytest.fixture
def extra_models():
    from inr_studio.models import registry
    from inr_studio.models.config import make_model_config
    from inr_studio.models.registry import ModelEntry

    def make(o):
        return make_model_config("siren", width=o.width, depth=o.depth, omega0=o.omega0)

    colours = ("#111111", "#8c564b", "#17becf")
    keys = []
    for i, colour in enumerate(colours):
        entry = registry.register(ModelEntry(f"fake{i}", f"Fake {i}", colour, "a test model",
                                             "Test et al. 2026", make))
        keys.append(entry.key)
    yield tuple(keys)
    for key in keys:
        registry.REGISTRY.pop(key, None)
