"""Checkpoints in safetensors: tensors plus JSON metadata. Loading runs no code (no pickle)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .atomic import atomic_write_bytes
from .errors import CheckpointError, OptionError
from .imaging import size_ok
from .models.build import build_network, config_from_dict
from .models.network import CoordinateNet
from .render import TrainedNetwork

FORMAT_TAG = "inr-studio-checkpoint"
FORMAT_VERSION = 1
MAX_CHECKPOINT_BYTES = 2 << 30


@dataclass(frozen=True)
class Checkpoint(TrainedNetwork):
    """A trained network from ``fit``, with the run's metadata (``extra``)."""

    extra: dict = field(default_factory=dict)


def save_checkpoint(path: str | os.PathLike, model: CoordinateNet, height: int, width: int,
                    class_map: np.ndarray | None = None, extra: dict | None = None) -> None:
    from safetensors.torch import save

    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    if class_map is not None:
        tensors["class_map"] = torch.from_numpy(np.ascontiguousarray(class_map, dtype=np.uint8))
    meta = {
        "format": FORMAT_TAG,
        "version": str(FORMAT_VERSION),
        "config": model.config.to_json(),
        "height": str(height),
        "width": str(width),
        "extra": json.dumps(extra or {}),
    }
    atomic_write_bytes(Path(path), save(tensors, metadata=meta))


def load_checkpoint(path: str | os.PathLike, device: str | torch.device = "cpu") -> Checkpoint:
    from safetensors import SafetensorError
    from safetensors.torch import load

    p = Path(path)
    if not p.is_file():
        raise CheckpointError(f"{p}: no such checkpoint file.")
    if p.stat().st_size > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(f"{p.name} is larger than any checkpoint this tool writes.")
    data = p.read_bytes()
    try:
        tensors = load(data)
        meta = _metadata(data)
    except (SafetensorError, ValueError, json.JSONDecodeError, UnicodeDecodeError,
            AttributeError) as exc:
        raise CheckpointError(f"{p.name} is not an inr-studio checkpoint ({exc}).") from exc
    if meta.get("format") != FORMAT_TAG:
        raise CheckpointError(f"{p.name} is not an inr-studio checkpoint (no format tag).")
    try:
        version = int(meta.get("version", "0"))
        config = config_from_dict(json.loads(meta["config"]))
        height, width = int(meta["height"]), int(meta["width"])
        extra = json.loads(meta.get("extra", "{}"))
    except (KeyError, ValueError, TypeError, AttributeError, OptionError) as exc:
        raise CheckpointError(f"{p.name}: damaged metadata ({exc}).") from exc
    if version > FORMAT_VERSION:
        raise CheckpointError(f"{p.name} was written by a newer inr-studio; update to read it.")
    if not size_ok(height, width):
        raise CheckpointError(f"{p.name}: damaged metadata (image size {width}×{height}).")
    if not isinstance(extra, dict):
        raise CheckpointError(f"{p.name}: damaged metadata (extra is not a mapping).")
    class_map = tensors.pop("class_map", None)
    if class_map is not None and (class_map.dtype != torch.uint8
                                  or tuple(class_map.shape) != (height, width)):
        raise CheckpointError(f"{p.name}: its segmentation map is not {height}×{width} classes.")
    model = build_network(config, seed=0)  # seeded: every weight is overwritten by the file, and
    # torch's global generator is left alone
    expected = model.state_dict()
    if set(tensors) != set(expected) or any(tensors[k].shape != expected[k].shape for k in expected):
        raise CheckpointError(f"{p.name}: tensors do not match the model configuration.")
    model.load_state_dict(tensors)
    cmap = None if class_map is None else class_map.numpy().astype(np.uint8)
    if config.seg_layer is not None and cmap is None:
        raise CheckpointError(f"{p.name}: HS-LoE checkpoint without its segmentation map.")
    return Checkpoint(model.to(device), height, width, cmap, extra)


def _metadata(data: bytes) -> dict:
    n = int.from_bytes(data[:8], "little")
    if n <= 0 or n > len(data) - 8:
        raise ValueError("bad header length")
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    return dict(header.get("__metadata__", {}))
