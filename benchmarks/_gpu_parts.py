"""The parts a–e of ``benchmarks/gpu_check.py`` (what each measures: its docstring and
docs/gpu_check.md). Each takes the run's ``Check`` and returns its status line."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from inr_studio.device import describe, pick_device
from inr_studio.engine.config import TrainConfig
from inr_studio.engine.fit import fit_side_by_side
from inr_studio.engine.trainer import Trainer
from inr_studio.imaging import load_image, resize_image
from inr_studio.models import registry
from inr_studio.models.registry import ModelOptions
from inr_studio.problem import FitProblem
from inr_studio.tiling import auto_tile_scale

REPO = Path(__file__).resolve().parents[1]
#: Oh & Bae (2024), Table 1: mean PSNR over the 24 Kodak images at the paper's protocol.
PAPER_TABLE1 = {"siren": 30.28, "ftc": 38.41, "qt": 36.35, "hs": 39.25}
#: Part a's small problem (H, W): the step comparisons need no full-size image.
SMALL = (48, 64)
#: bf16 and TF32 are kept only within this many dB of fp32 after part b's steps.
PRECISION_DB = 0.1
SEC_PER_STEP = "s_per_step"
PRECISIONS = ("fp32", "tf32", "bf16")  # summary.json: (model, precision) -> seconds per step measured


# --------------------------------------------------------------------------- set-up
def device_of(check) -> torch.device:
    return pick_device(check.args.device)


def environment(args) -> dict:
    dev = pick_device(args.device)
    versions = {}
    for name in ("numpy", "scipy", "skimage", "brotli", "constriction", "png", "PIL",
                 "safetensors", "PySide6", "pyqtgraph", "superqt"):
        try:
            module = __import__(name)
            versions[name] = str(getattr(module, "__version__", "present"))
        except Exception as exc:  # noqa: BLE001 - a missing package is a finding, not a crash
            versions[name] = f"missing ({type(exc).__name__})"
    return {"device": describe(dev), "torch": torch.__version__,
            "cuda": torch.version.cuda, "python": platform.python_version(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "kodak": str(kodak_dir(args) or "absent"), "packages": versions}


def kodak_dir(args) -> Path | None:
    for folder in (args.kodak, os.environ.get("INR_STUDIO_KODAK"), REPO / ".kodak",
                   REPO.parent / "shared" / "data" / "kodak"):
        if folder and (Path(folder) / "kodim23.png").is_file():
            return Path(folder)
    return None


def image(args, name: str = "kodim23") -> tuple[str, np.ndarray]:
    """``name`` from the Kodak folder at the run's size (the astronaut if there is none)."""
    h, w = args.hw
    folder = kodak_dir(args)
    if folder is None:
        from skimage import data

        return "astronaut", resize_image(data.astronaut().astype(np.float32) / 255.0, h, w)
    pixels = load_image(folder / f"{name}.png").pixels
    if pixels.shape[0] > pixels.shape[1]:  # a portrait Kodak image: 512×768, as it is
        h, w = w, h
    return name, pixels if pixels.shape[:2] == (h, w) else resize_image(pixels, h, w)


def specs(args, keys, h: int, w: int):
    options = ModelOptions(width=args.width, depth=args.depth, image_size=(h, w),
                           tile_scale=auto_tile_scale(h, w))
    return registry.build_specs(tuple(keys), options)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@contextmanager
def precision(name: str, device: torch.device):
    """fp32 (TF32 off), TF32 matmuls, or bf16 autocast (weights and Adam stay fp32; the
    autocast cache off, as CUDA graph capture needs)."""
    before = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = name == "tf32"
    try:
        if name == "bf16":
            with torch.autocast(device.type, dtype=torch.bfloat16, cache_enabled=False):
                yield
        else:
            yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = before


def rel(a: torch.Tensor, b: torch.Tensor) -> float:
    """‖a − b‖ / ‖b‖ (on the CPU, float64)."""
    a, b = a.detach().cpu().double(), b.detach().cpu().double()
    return float((a - b).norm() / b.norm().clamp_min(1e-30))


def row(check, table, key: dict, fn, **extra) -> None:
    """Run ``fn() -> dict`` for one row unless it is done; an error becomes an error row."""
    if table.has(**key):
        return
    t0 = time.perf_counter()
    out = check.guarded(" ".join(str(v) for v in key.values()), fn)
    fields = out if out is not None else {"status": "error (log.txt)"}
    table.add({**key, **extra, **fields, "seconds": round(time.perf_counter() - t0, 2)})


# --------------------------------------------------------------------------- a: correctness
A_COLUMNS = ("check", "model", "detail", "value", "limit", "status", "seconds")


def part_a(check) -> str:
    dev = device_of(check)
    table = check.table("a_correctness.csv", A_COLUMNS, ("check", "model", "detail"))
    args = check.args
    _, small = image(args)
    small = resize_image(small, *SMALL)
    for key in registry.REGISTRY:
        detail = "3 steps fp32" + (", rounding phase" if _draws_noise(key) else "")
        row(check, table, {"check": "step vs cpu", "model": key, "detail": detail},
            lambda: _step_vs_cpu(args, key, small, dev))
        row(check, table, {"check": "fast vs plain", "model": key, "detail": "5 steps"},
            lambda: _fast_vs_plain(args, key, small, dev))
    for fast in (False, True):
        row(check, table, {"check": "memory guard", "model": "+".join(args.model_keys),
                           "detail": "fast" if fast else "plain"},
            lambda: _memory_guard(check, dev, fast))
    from _gpu_runs import latent_across_devices, sinr_across_devices

    for key in ("hs", "ftc"):
        for coding in ("plain", "sinr"):
            row(check, table, {"check": "sinr decode", "model": key, "detail": coding},
                lambda: sinr_across_devices(args, key, coding, small, dev))
    if "latent" in registry.REGISTRY:
        row(check, table, {"check": "sinr decode", "model": "latent", "detail": "range-coded"},
            lambda: latent_across_devices(args, small, dev))
    row(check, table, {"check": "pytest", "model": "-", "detail": "device-parametrised"},
        lambda: _pytest(check, dev))
    bad = [r for r in table.rows if r["status"] != "ok" and not r["status"].startswith("skip")]
    return f"{len(table.ok_rows())} checks ok, {len(bad)} not ok"


def _draws_noise(key: str) -> bool:
    """Whether a model's training draws random noise: the latent-grid model's first phase
    adds uniform noise from a generator on the training device, and CUDA's generator is not
    the CPU's, so the two devices train on different noise by design."""
    return key == "latent"


def _trainer(args, key: str, pixels: np.ndarray, device, fast: bool = False) -> Trainer:
    """A short run of one model; a model that draws noise trains its last, deterministic
    phase only (the latent-grid model's rounding), so devices can be compared step for step."""
    spec = specs(args, (key,), *pixels.shape[:2])[0]
    phases = spec.phases[-1:] if _draws_noise(key) else spec.phases
    return Trainer(FitProblem.create(pixels, spec.config),
                   TrainConfig(iters=20, lr=1e-3, seed=0, device=str(device), fast=fast),
                   phases)


def _step_vs_cpu(args, key: str, pixels, dev) -> dict:
    with precision("fp32", dev):
        cpu, on = _trainer(args, key, pixels, "cpu"), _trainer(args, key, pixels, dev)
        loss_cpu, _ = cpu.step()
        loss_dev, _ = on.step()
        grads = max(rel(a.grad, b.grad) for a, b in zip(on.model.parameters(),
                                                         cpu.model.parameters())
                    if b.grad is not None)
        for _ in range(2):
            cpu.step()
            on.step()
    params = max(rel(a, b) for a, b in zip(on.model.parameters(), cpu.model.parameters()))
    worst = max(rel(loss_dev, loss_cpu), grads, params)
    return {"value": worst, "limit": 1e-3, "status": "ok" if worst <= 1e-3 else "differs"}


def _fast_vs_plain(args, key: str, pixels, dev) -> dict:
    from inr_studio.models.network import CoordinateNet

    plain, fast = _trainer(args, key, pixels, dev), _trainer(args, key, pixels, dev, fast=True)
    if not isinstance(fast.model, CoordinateNet):
        return {"status": "skipped: a grid model always trains with the plain step"}
    losses = []
    for _ in range(5):
        lp, _ = plain.step()
        lf, _ = fast.step()
        losses.append((float(lp), float(lf)))
    params = max(rel(a, b) for a, b in zip(fast.model.parameters(), plain.model.parameters()))
    worst = max(params, max(abs(f - p) / max(abs(p), 1e-12) for p, f in losses))
    learns = losses[-1][1] < losses[0][1]  # a graph that replays nothing would not learn
    graph = bool(getattr(fast._step.config, "cuda_graph", False))
    ok = worst <= 1e-4 and learns
    return {"value": worst, "limit": "1e-4" + (", CUDA graph" if graph else ""),
            "status": "ok" if ok else "differs"}


def _memory_guard(check, dev, fast: bool) -> dict:
    if dev.type != "cuda":
        return {"status": "skipped: CUDA only (max_memory_allocated)"}
    from inr_studio.engine.memory import estimate, release_memory

    args = check.args
    h, w = args.hw
    _, pixels = image(args)
    sp = specs(args, args.model_keys, h, w)
    release_memory(str(dev))  # empties the cache too, so the reserved peak starts clean
    torch.cuda.reset_peak_memory_stats(dev)
    base = torch.cuda.memory_allocated(dev)
    fit_side_by_side(pixels, sp, TrainConfig(iters=3, lr=1e-4, device=str(dev), fast=fast))
    peak = torch.cuda.max_memory_allocated(dev) - base
    # A CUDA graph's private pool is reserved, not allocated, once its capture has ended: the
    # reserved peak is what the driver gave, the figure that decides an out-of-memory.
    reserved = torch.cuda.max_memory_reserved(dev) - base
    est = estimate(sp, h, w, None, 3, "cuda", cuda_graphs=fast)
    ratio = est.peak / max(peak, 1)
    check.note("a", **{f"memory_{'fast' if fast else 'plain'}": {
        "estimate_peak": est.peak, "needed_with_margin": est.needed, "measured_peak": peak,
        "measured_reserved_peak": reserved, "ratio": round(ratio, 3),
        "ratio_reserved": round(est.peak / max(reserved, 1), 3)}})
    return {"value": ratio, "limit": "0.75..1.25",
            "status": "ok" if 0.75 <= ratio <= 1.25 else "outside ±25 %"}


def _pytest(check, dev) -> dict:
    if dev.type == "cpu":
        return {"status": "skipped: no GPU (the device-parametrised tests run on the CPU in CI)"}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", dev.type,
           "tests/core/test_device_choice.py", "tests/engine", "tests/codec"]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True,
                          timeout=max(30.0, min(300.0, check.left())))
    check.log("pytest " + " ".join(cmd[3:]) + "\n" + done.stdout[-6000:] + done.stderr[-2000:])
    last = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    return {"value": last, "status": "ok" if done.returncode == 0 else f"rc {done.returncode}"}


# --------------------------------------------------------------------------- b: speed
B_COLUMNS = ("model", "precision", "step", "size", "width", "timed_steps", "s_per_step",
             "s_per_run", "run_steps", "extrapolated", "psnr", "psnr_steps", "status", "seconds")


def part_b(check) -> str:
    from _gpu_runs import choose_precision, timed_run

    args, dev = check.args, device_of(check)
    table = check.table("b_speed.csv", B_COLUMNS, ("model", "precision", "step"))
    _, pixels = image(args)
    common = {"size": args.size, "width": args.width, "run_steps": args.steps,
              "extrapolated": "yes"}
    for key in args.model_keys:
        row(check, table, {"model": key, "precision": "fp32", "step": "plain"},
            lambda: timed_run(check, key, pixels, dev, "fp32", fast=False,
                              steps=min(50, args.psnr_steps)), **common)
        for prec in PRECISIONS:
            row(check, table, {"model": key, "precision": prec, "step": "fast"},
                lambda: timed_run(check, key, pixels, dev, prec, fast=True,
                                  steps=args.psnr_steps), **common)
    chosen = choose_precision(table.ok_rows(), args.model_keys)
    check.note("b", chosen_precision=chosen)
    return f"{len(table.ok_rows())} timed runs; precision for c and d: {chosen}"


# --------------------------------------------------------------------------- c, d, e
def part_c(check) -> str:
    from _gpu_runs import table1_runs

    return table1_runs(check, "c")


def part_d(check) -> str:
    from _gpu_runs import table1_runs

    return table1_runs(check, "d")


def part_e(check) -> str:
    from _gpu_window import run_window_child

    return run_window_child(check)
