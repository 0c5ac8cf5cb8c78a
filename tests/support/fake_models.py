"""Extra registry entries for tests: the views must work for any model, not only the paper's.

``extra_models`` registers three small SIREN-like entries (``fake0``..``fake2``; ``fake2`` trains
in two phases, the second 4 steps long) and removes them afterwards, so no other test sees them.
"""

from __future__ import annotations

import pytest

__all__ = ["extra_models"]


@pytest.fixture
def extra_models():
    from inr_studio.models import registry
    from inr_studio.models.config import make_model_config
    from inr_studio.models.registry import ModelEntry
    from inr_studio.models.spec import Phase

    def make(o):
        return make_model_config("siren", width=o.width, depth=o.depth, omega0=o.omega0)

    colours = ("#111111", "#8c564b", "#17becf")
    keys = []
    def two_phases(o):
        return (Phase(), Phase(steps=4, lr_scale=0.5))

    for i, colour in enumerate(colours):
        phases = two_phases if i == 2 else (lambda o: (Phase(),))
        entry = registry.register(ModelEntry(f"fake{i}", f"Fake {i}", colour, "a test model",
                                             "Test et al. 2026", make, phases))
        keys.append(entry.key)
    yield tuple(keys)
    for key in keys:
        registry.REGISTRY.pop(key, None)
