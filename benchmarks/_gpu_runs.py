"""Training runs of ``benchmarks/gpu_check.py``: part b's timed runs, parts c and d (the
engine's own side-by-side loop at the paper's protocol), and part a's ``.sinr`` check."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import torch

from _gpu_parts import (PAPER_TABLE1, PRECISION_DB, PRECISIONS, SEC_PER_STEP, device_of,
                             image, kodak_dir, precision, row, specs, sync)
from inr_studio.engine.config import PAPER_PROTOCOL, TrainConfig
from inr_studio.engine.fit import fit_side_by_side
from inr_studio.engine.trainer import Trainer
from inr_studio.problem import FitProblem

#: Steps before the timed ones (first-use kernels, the CUDA graph's capture).
WARMUP_STEPS = 10
RUN_COLUMNS = ("image", "model", "lr", "steps", "precision", "psnr", "ssim", "seconds_model",
               "source", "status", "seconds")


def timed_run(check, key: str, pixels: np.ndarray, dev, prec: str, fast: bool,
              steps: int) -> dict:
    """``steps`` steps of one model; the ones after the warm-up timed on the device (events
    on CUDA), extrapolated to a ``--steps`` run; the PSNR after them (rendered in fp32)."""
    args = check.args
    spec = specs(args, (key,), *pixels.shape[:2])[0]
    trainer = Trainer(FitProblem.create(pixels, spec.config),
                      TrainConfig(iters=steps, lr=1e-4, device=str(dev), fast=fast), spec.phases)
    warm = min(WARMUP_STEPS, max(steps - 1, 0))
    with precision(prec, dev):
        for _ in range(warm):
            trainer.step()
        sync(dev)
        t0 = time.perf_counter()
        while not trainer.done:
            trainer.step()
        sync(dev)
        per_step = (time.perf_counter() - t0) / max(steps - warm, 1)
    psnr = trainer.full_psnr()[1] if fast else ""
    if fast:
        check.summary.setdefault(SEC_PER_STEP, {})[f"{key} {prec}"] = per_step
    return {"timed_steps": steps - warm, "s_per_step": per_step,
            "s_per_run": per_step * args.steps, "psnr": psnr,
            "psnr_steps": steps if fast else "", "status": "ok"}


def choose_precision(rows: list[dict], keys) -> str:
    """The fastest of fp32, TF32, bf16 whose PSNR is within ``PRECISION_DB`` of fp32's for
    every model (fp32 when a precision lacks a model)."""
    fast = {(r["model"], r["precision"]): r for r in rows if r["step"] == "fast"}
    best, best_s = "fp32", None
    for prec in PRECISIONS:
        runs = [fast.get((k, prec)) for k in keys]
        ref = [fast.get((k, "fp32")) for k in keys]
        if None in runs or None in ref:
            continue
        if any(float(r["psnr"]) < float(f["psnr"]) - PRECISION_DB for r, f in zip(runs, ref)):
            continue
        total = sum(float(r["s_per_step"]) for r in runs)
        if best_s is None or total < best_s:
            best, best_s = prec, total
    return best


def _chosen(check) -> tuple[str, float]:
    args, parts = check.args, check.summary["parts"]
    prec = args.precision if args.precision != "auto" else \
        parts.get("b", {}).get("chosen_precision", "fp32")
    lr = args.lr if args.lr is not None else parts.get("c", {}).get("chosen_lr", 1e-4)
    return prec, float(lr)


def _estimate_s(check, prec: str) -> float | None:
    known = check.summary.get(SEC_PER_STEP, {})
    per = [known.get(f"{k} {prec}") for k in check.args.model_keys]
    return None if None in per else 1.2 * check.args.steps * sum(per) + 5.0


def _side_by_side(check, name: str, pixels: np.ndarray, lr: float, prec: str) -> dict:
    """The models on one image, the engine's loop, full batch, ``--steps`` steps."""
    args, dev = check.args, device_of(check)
    sp = specs(args, args.model_keys, *pixels.shape[:2])
    config = replace(PAPER_PROTOCOL, iters=args.steps, lr=lr, device=str(dev),
                     fast=dev.type == "cuda")
    with precision(prec, dev):
        _, results, _ = fit_side_by_side(pixels, sp, config, progress_s=5.0)
    for key, r in results.items():
        check.summary.setdefault(SEC_PER_STEP, {})[f"{key} {prec}"] = r.seconds / max(r.steps, 1)
    return results


def table1_runs(check, part: str) -> str:
    """Part c (``--rates`` on kodim23) or d (the chosen rate on the Kodak images)."""
    args = check.args
    name = "c_learning_rate.csv" if part == "c" else "d_table1.csv"
    table = check.table(name, RUN_COLUMNS, ("image", "model", "lr"))
    prec, lr = _chosen(check)
    if part == "c":
        jobs = [("kodim23", rate) for rate in args.rate_list]
    else:
        if kodak_dir(args) is None:
            return "skipped: no Kodak folder (--kodak)"
        jobs = [(f"kodim{i:02d}", lr) for i in range(1, args.images + 1)]
    ran = 0
    kodak = kodak_dir(args) is not None
    if part == "d":  # part c's runs of the chosen rate first: they cost nothing
        jobs.sort(key=lambda job: not _in_c(check, job[0] if kodak else "astronaut", job[1], prec))
    for img, rate in jobs:
        label = img if kodak else "astronaut"
        if all(table.has(image=label, model=k, lr=rate) for k in args.model_keys):
            continue
        if part == "d" and _copy_from_c(check, table, label, rate, prec):
            continue
        need = _estimate_s(check, prec)
        if need is not None and not check.fits(need):
            check.log(f"part {part}: {img} at lr {rate:g} needs ~{need:.0f} s, "
                      f"{check.left():.0f} s left: stopping")
            break
        name_used, pixels = image(args, img)
        t0 = time.perf_counter()
        results = check.guarded(f"{img} lr {rate:g}", _side_by_side, check, name_used, pixels,
                                rate, prec)
        for key in args.model_keys:
            r = (results or {}).get(key)
            table.add({"image": name_used, "model": key, "lr": rate, "steps": args.steps,
                       "precision": prec, "psnr": r.psnr if r else "", "ssim": r.ssim if r else "",
                       "seconds_model": r.seconds if r else "", "source": "run",
                       "status": "ok" if r and not r.stopped else "error (log.txt)",
                       "seconds": round(time.perf_counter() - t0, 1)})
        ran += 1
        check.save()
    return _summarise(check, part, table, prec, ran)


def _c_rows(check, label: str, rate: float, prec: str) -> list[dict]:
    c = check.table("c_learning_rate.csv", RUN_COLUMNS, ("image", "model", "lr"))
    return [r for r in c.ok_rows() if r["image"] == label and float(r["lr"]) == rate
            and r["precision"] == prec and int(r["steps"]) == check.args.steps]


def _in_c(check, label: str, rate: float, prec: str) -> bool:
    return len(_c_rows(check, label, rate, prec)) == len(check.args.model_keys)


def _copy_from_c(check, table, label: str, rate: float, prec: str) -> bool:
    """Part c's run of this image at this rate is part d's run too (same protocol)."""
    found = _c_rows(check, label, rate, prec)
    if len(found) != len(check.args.model_keys):
        return False
    for r in found:
        table.add({**r, "source": "c"})
    return True


def _summarise(check, part: str, table, prec: str, ran: int) -> str:
    rows = table.ok_rows()
    means: dict[str, dict] = {}
    for rate in sorted({r["lr"] for r in rows}):
        at = [r for r in rows if r["lr"] == rate]
        per = {k: round(float(np.mean([float(r["psnr"]) for r in at if r["model"] == k])), 3)
               for k in check.args.model_keys if any(r["model"] == k for r in at)}
        means[rate] = {"mean_psnr": per, "images": len({r["image"] for r in at})}
    fields: dict = {"precision": prec, "runs_this_time": ran, "per_rate": means,
                    "protocol": "the paper's: a constant rate, the last step's weights, "
                                "no warm-up, full batch",
                    "paper_table1": PAPER_TABLE1}
    complete = {rate: m for rate, m in means.items()
                if len(m["mean_psnr"]) == len(check.args.model_keys)}
    if part == "c" and complete:
        best = max(complete, key=lambda rate: np.mean(list(complete[rate]["mean_psnr"].values())))
        fields["chosen_lr"] = float(best)
        paper = sorted(PAPER_TABLE1, key=PAPER_TABLE1.get)
        fields["ordering_as_paper"] = {
            rate: sorted(m["mean_psnr"], key=m["mean_psnr"].get) == [
                k for k in paper if k in m["mean_psnr"]] for rate, m in complete.items()}
    if part == "d":
        fields["minus_paper_db"] = {
            rate: {k: round(v - PAPER_TABLE1[k], 2) for k, v in m["mean_psnr"].items()
                   if k in PAPER_TABLE1} for rate, m in means.items()}
    check.note(part, **fields)
    return f"{len(rows)} model runs in {table.path.name} ({ran} this time)"


def sinr_across_devices(args, key: str, coding: str, pixels: np.ndarray, dev) -> dict:
    """Train on the device, encode; the bytes must equal those of the network's CPU copy, and
    the file decoded on the CPU must render as it renders on the device."""
    from inr_studio.codec import CodecOptions, decode_bytes, encode_model
    from inr_studio.models import CoordinateNet
    from inr_studio.render import render

    spec = specs(args, (key,), *pixels.shape[:2])[0]
    problem = FitProblem.create(pixels, spec.config)
    trainer = Trainer(problem, TrainConfig(iters=30, lr=1e-3, device=str(dev)), spec.phases)
    while not trainer.done:
        trainer.step()
    options = CodecOptions(plain=True) if coding == "plain" else \
        CodecOptions(sparsity=20, target_error=None, k2=1024)
    h, w = problem.height, problem.width
    data = encode_model(trainer.model, h, w, problem.class_map, options)
    copy = CoordinateNet(spec.config)
    copy.load_state_dict({k: v.cpu() for k, v in trainer.model.state_dict().items()})
    same_bytes = data == encode_model(copy, h, w, problem.class_map, options)
    decoded = decode_bytes(data)
    on_cpu = decoded.render()
    on_dev = render(decoded.model.to(dev), h, w, decoded.class_map)
    diff = float(np.abs(on_cpu - on_dev).max())
    ok = same_bytes and diff <= 1e-4
    return {"value": diff, "limit": "same bytes, |Δ| ≤ 1e-4",
            "status": "ok" if ok else ("bytes differ" if not same_bytes else "renders differ")}


def latent_across_devices(args, pixels: np.ndarray, dev) -> dict:
    """The latent-grid model trained on the device: its file must be the one its CPU copy
    gives, its decoded latents the trained ones exactly, and the picture drawn on the device
    from the decoded network must match the CPU's (the range decoder runs in integers on the
    CPU whatever the device, so decoding itself cannot depend on it)."""
    from inr_studio.codec import decode_bytes
    from inr_studio.codec.latent_file import encode_latent_model
    from inr_studio.metrics import to_unit
    from inr_studio.models.latent_net import LatentNet

    spec = specs(args, ("latent",), *pixels.shape[:2])[0]
    problem = FitProblem.create(pixels, spec.config)
    trainer = Trainer(problem, TrainConfig(iters=60, lr=1e-2, device=str(dev)), spec.phases)
    while not trainer.done:
        trainer.step()
    net = trainer.model
    data, _ = encode_latent_model(net, pixels)
    on_dev = next(net.parameters()).device.type == dev.type
    copy = LatentNet(net.config)
    copy.load_state_dict({k: v.cpu() for k, v in net.state_dict().items()})
    same_bytes = data == encode_latent_model(copy, pixels)[0]
    decoded = decode_bytes(data)
    same_latents = all(np.array_equal(a, b) for a, b in
                       zip(decoded.model.latent_grids(), net.latent_grids()))
    on_cpu = decoded.render()
    with precision("fp32", dev):  # cuDNN's convolutions default to TF32 on CUDA
        drawn = decoded.model.to(dev).draw(problem.height, problem.width)
    diff = float(np.abs(on_cpu - to_unit(drawn)).max())
    ok = same_bytes and same_latents and on_dev and diff <= 1e-4
    why = ("bytes differ" if not same_bytes else "latents differ" if not same_latents else
           "encoding moved the network off the device" if not on_dev else "renders differ")
    return {"value": diff, "limit": "same bytes and latents, |Δ| ≤ 1e-4",
            "status": "ok" if ok else why}
