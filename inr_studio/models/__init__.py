"""Coordinate networks: SIREN, LoE (FtC, QT), HS-LoE and the registry's other models.

Configurations, specs and the registry are torch-free; the torch modules load on first use
(``from inr_studio.models import CoordinateNet`` still works), so views can paint first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config import MODEL_KINDS, ModelConfig, make_model_config
from .spec import ModelSpec, Phase

if TYPE_CHECKING:
    from .expert_linear import ExpertLinear
    from .network import CoordinateNet
    from .routing import Routing

_LAZY = {"ExpertLinear": "expert_linear", "CoordinateNet": "network", "Routing": "routing"}

__all__ = ["MODEL_KINDS", "ModelConfig", "make_model_config", "ModelSpec", "Phase",
           "ExpertLinear", "CoordinateNet", "Routing"]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(name)
