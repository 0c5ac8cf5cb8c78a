"""Coordinate networks: SIREN, LoE (FtC, QT) and HS-LoE, one module with tilings as data."""

from __future__ import annotations

from .config import MODEL_KINDS, MODEL_LABELS, ModelConfig, make_model_config
from .expert_linear import ExpertLinear
from .network import CoordinateNet
from .routing import Routing

__all__ = [
    "MODEL_KINDS", "MODEL_LABELS", "ModelConfig", "make_model_config",
    "ExpertLinear", "CoordinateNet", "Routing",
]
