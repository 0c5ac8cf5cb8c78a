"""A saved run (``.inrrun``) that the window opens again: the settings, the working image, each
model's network, its curves (step, PSNR, its own seconds) and last figures.

A zip archive of two members, so nothing in it is code (never a pickle): ``run.json`` (what a
person can read: the image, the settings, each model's configuration and last figures) and
``tensors.safetensors`` (the working image, each model's weights, the curves). Qt-free and
torch-free (numpy and safetensors' numpy API), so it is tested without a window. Reading is
bounded and checked before anything is used: the archive's size and members, each member's
declared size, the JSON's fields and types, every tensor's dtype and shape against the model
configurations; anything else is one :class:`RunFileError` sentence. Writes are atomic.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
import zlib
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from ..atomic import atomic_write_bytes
from ..errors import InrStudioError
from ..imaging import size_ok
from ..models import registry
from ..models.build import AnyConfig, config_from_dict, is_grid_model
from ..models.latent_config import LatentConfig
from .run_record import RunRecord
from .session import RunSettings

FORMAT = "inr-studio-run"
VERSION = 1
SUFFIX = ".inrrun"
JSON_MEMBER, TENSORS_MEMBER = "run.json", "tensors.safetensors"
MAX_FILE_BYTES = 2 << 30
MAX_JSON_BYTES = 16 << 20
MAX_POINTS = 10_000_000  # per curve
#: What the saved network of each model is (the run's networks at the moment of saving).
SAVED_NETWORK = "the network when the run was saved"


class RunFileError(InrStudioError):
    """A file that is not a saved run of inr-studio, or a damaged one."""


@dataclass(frozen=True)
class SavedRun:
    """What a ``.inrrun`` file holds, checked."""

    record: RunRecord  # settings, device, working size, curves, last figures
    image_name: str
    image_size: tuple[int, int]  # (height, width) of the image the working copy came from
    working: np.ndarray  # float32 H×W×3 in [0, 1]
    configs: dict[str, AnyConfig]
    states: dict[str, dict[str, np.ndarray]]  # kind -> the network's state dict


def state_shapes(config: AnyConfig) -> dict[str, tuple[int, ...]]:
    """The tensors of a :class:`~inr_studio.models.network.CoordinateNet`'s state dict (or of
    a :class:`~inr_studio.models.latent_net.LatentNet`'s)."""
    if is_grid_model(config):
        return latent_state_shapes(config)
    out: dict[str, tuple[int, ...]] = {}
    for i, (tiling, (o, n)) in enumerate(zip(config.tilings, config.layer_shapes())):
        out[f"layers.{i}.weight"] = (tiling.experts, o, n)
        out[f"layers.{i}.bias"] = (o,)
    return out


def latent_state_shapes(config: LatentConfig) -> dict[str, tuple[int, ...]]:
    """The tensors of a latent-grid network's state dict: its grids, synthesis and ARM."""
    out: dict[str, tuple[int, ...]] = {f"latents.{g}": shape
                                       for g, shape in enumerate(config.grid_shapes())}
    names = ["synthesis.expand", "synthesis.project", "synthesis.refine.0", "synthesis.refine.1"]
    for name, (o, i, k) in zip(names, config.synthesis_shapes()):
        out[f"{name}.weight"], out[f"{name}.bias"] = (o, i, k, k), (o,)
    names = [f"arm.hidden.{j}" for j in range(config.arm_hidden)] + ["arm.out", "arm.linear"]
    for name, (o, i) in zip(names, config.arm_shapes()):
        out[f"{name}.weight"], out[f"{name}.bias"] = (o, i), (o,)
    return out


# ---------------------------------------------------------------------------- writing
def run_bytes(record: RunRecord, image_name: str, image_size: tuple[int, int],
              working: np.ndarray, configs: dict[str, AnyConfig],
              states: dict[str, dict[str, np.ndarray]]) -> bytes:
    """The archive's bytes (the caller writes them atomically)."""
    from safetensors.numpy import save

    tensors = {"image": np.ascontiguousarray(working, dtype=np.float32)}
    models = {}
    for kind in record.models:
        tensors[f"curve/{kind}/step"] = np.asarray(record.steps[kind], dtype=np.int64)
        tensors[f"curve/{kind}/psnr"] = np.asarray(record.psnr[kind], dtype=np.float64)
        tensors[f"curve/{kind}/seconds"] = np.asarray(record.seconds[kind], dtype=np.float64)
        for name, value in states[kind].items():
            tensors[f"net/{kind}/{name}"] = np.ascontiguousarray(value, dtype=np.float32)
        models[kind] = {"name": registry.titled(kind), "config": configs[kind].to_dict(),
                        "final": {k: _plain(v) for k, v in record.final.get(kind, {}).items()}}
    meta = {"format": FORMAT, "version": VERSION, "image": image_name,
            "image_size": {"height": int(image_size[0]), "width": int(image_size[1])},
            "working_size": {"height": record.height, "width": record.width},
            "device": record.device, "settings": record.settings.to_dict(),
            "network": SAVED_NETWORK, "models": models}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(JSON_MEMBER, json.dumps(meta, indent=1))
        zf.writestr(TENSORS_MEMBER, save(tensors))
    return buf.getvalue()


def write_run(path: str | Path, *args, **kwargs) -> Path:
    """Write :func:`run_bytes` to ``path`` (``.inrrun`` appended when missing), atomically."""
    path = Path(path)
    if path.suffix.lower() != SUFFIX:
        path = path.with_name(path.name + SUFFIX)
    atomic_write_bytes(path, run_bytes(*args, **kwargs))
    return path


def _plain(value: object) -> object:
    """A JSON value: numbers as they are, a non-finite float as None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


# ---------------------------------------------------------------------------- reading
def read_run(path: str | Path) -> SavedRun:
    """The run saved in ``path``, checked; :class:`RunFileError` for anything else."""
    from safetensors import SafetensorError
    from safetensors.numpy import load

    p = Path(path)
    name = p.name
    if not p.is_file():
        raise RunFileError(f"{name}: no such file.")
    if p.stat().st_size > MAX_FILE_BYTES:
        raise RunFileError(f"{name} is larger than any run inr-studio writes.")
    try:
        with zipfile.ZipFile(p) as zf:
            members = {i.filename: i for i in zf.infolist()}
            if set(members) != {JSON_MEMBER, TENSORS_MEMBER}:
                raise RunFileError(f"{name} is not a run saved by inr-studio (it holds "
                                   f"{', '.join(sorted(members)[:4]) or 'nothing'}).")
            if members[JSON_MEMBER].file_size > MAX_JSON_BYTES or \
                    members[TENSORS_MEMBER].file_size > MAX_FILE_BYTES:
                raise RunFileError(f"{name}: damaged (a member declares an impossible size).")
            meta = json.loads(zf.read(JSON_MEMBER).decode("utf-8"))
            tensors = load(zf.read(TENSORS_MEMBER))
    except RunFileError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise RunFileError(f"{name} is not a run saved by inr-studio, or it is damaged "
                           f"({exc}).") from exc
    except (json.JSONDecodeError, UnicodeDecodeError, SafetensorError, ValueError) as exc:
        raise RunFileError(f"{name}: damaged ({exc}).") from exc
    except OSError as exc:
        raise RunFileError(f"{name} could not be read: {exc}.") from exc
    return _parse(meta, tensors, name)


def _parse(meta: object, tensors: dict[str, np.ndarray], name: str) -> SavedRun:
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise RunFileError(f"{name} is not a run saved by inr-studio (no format tag).")
    if not isinstance(meta.get("version"), int) or meta["version"] > VERSION:
        raise RunFileError(f"{name} was written by a newer inr-studio; update to open it.")
    try:
        settings = _settings(meta["settings"])
        h, w = int(meta["working_size"]["height"]), int(meta["working_size"]["width"])
        image_size = (int(meta["image_size"]["height"]), int(meta["image_size"]["width"]))
        image_name, device = str(meta["image"]), str(meta["device"])
        models = meta["models"]
        if not isinstance(models, dict) or tuple(models) != settings.models:
            raise ValueError("its models are not the settings' models")
        if not size_ok(h, w) or not size_ok(*image_size):
            raise ValueError(f"working size {w}×{h}")
        working = _tensor(tensors, "image", np.float32, (h, w, 3))
        if not (np.isfinite(working).all() and working.min() >= 0.0 and working.max() <= 1.0):
            raise ValueError("the image's values are not in [0, 1]")
        record = RunRecord(settings, device, h, w)
        configs, states = {}, {}
        for kind, entry in models.items():
            configs[kind] = config_from_dict(entry["config"])
            states[kind] = {k: _tensor(tensors, f"net/{kind}/{k}", np.float32, shape)
                            for k, shape in state_shapes(configs[kind]).items()}
            steps = _tensor(tensors, f"curve/{kind}/step", np.int64, None)
            n = len(steps)
            record.steps[kind] = [int(v) for v in steps]
            record.psnr[kind] = [float(v) for v in
                                 _tensor(tensors, f"curve/{kind}/psnr", np.float64, (n,))]
            record.seconds[kind] = [float(v) for v in
                                    _tensor(tensors, f"curve/{kind}/seconds", np.float64, (n,))]
            final = entry.get("final", {})
            if not isinstance(final, dict) or not all(
                    isinstance(v, (int, float, type(None))) for v in final.values()):
                raise ValueError(f"{kind}'s last figures")
            record.final[kind] = {str(k): (float("nan") if v is None else v)
                                  for k, v in final.items()}
    except RunFileError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, InrStudioError) as exc:
        raise RunFileError(f"{name}: damaged ({exc}).") from exc
    expected = {"image"} | {f"{p}/{k}/{s}" for k in configs for p, s in
                            [("curve", "step"), ("curve", "psnr"), ("curve", "seconds")]} | \
        {f"net/{k}/{t}" for k, c in configs.items() for t in state_shapes(c)}
    if set(tensors) != expected:
        raise RunFileError(f"{name}: damaged (its tensors do not match its models).")
    return SavedRun(record, image_name, image_size, working, configs, states)


def _tensor(tensors: dict, key: str, dtype, shape: tuple[int, ...] | None) -> np.ndarray:
    value = tensors.get(key)
    if value is None:
        raise ValueError(f"no tensor {key}")
    if value.dtype != dtype or (shape is not None and tuple(value.shape) != tuple(shape)) or \
            (shape is None and (value.ndim != 1 or len(value) > MAX_POINTS)):
        raise ValueError(f"tensor {key} is {value.dtype} {tuple(value.shape)}")
    return value


def _settings(data: object) -> RunSettings:
    """The run's settings exactly (not the lenient reading of stored preferences): a model this
    build lacks, or any impossible value, is refused."""
    if not isinstance(data, dict):
        raise ValueError("settings are not a mapping")
    known = {f.name: f for f in fields(RunSettings)}
    unknown = set(data) - set(known)
    if unknown:
        raise ValueError(f"unknown settings {', '.join(sorted(unknown))}")
    values = {}
    for key, value in data.items():
        kind = type(getattr(RunSettings(), key))
        if kind is tuple:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"setting {key}")
            missing = [v for v in value if v not in registry.REGISTRY]
            if missing:
                raise ValueError(f"it trained {', '.join(missing)}, which this build of "
                                 "inr-studio does not have")
            value = tuple(value)
        elif kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        elif not isinstance(value, kind) or isinstance(value, bool) != (kind is bool):
            raise ValueError(f"setting {key} is {value!r}")
        values[key] = value
    return RunSettings(**values)
