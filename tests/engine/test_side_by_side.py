"""The side-by-side engine without Qt: several models in one loop, previews, phases with their
own objectives, out-of-memory as a message, and message types that load without torch."""

from __future__ import annotations

from dataclasses import replace

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from inr_studio.engine.config import TrainConfig
from inr_studio.engine.control import RunControl
from inr_studio.engine.messages import (PausedReached, PreviewFrame, ProgressBatch, RunEnded,
                                        RunFailed, RunStarted)
from inr_studio.engine.objectives import OBJECTIVES, Objective, register_objective
from inr_studio.engine.side_by_side import RunRequest, SideBySide
from inr_studio.engine.trainer import Trainer
from inr_studio.errors import InrStudioError
from inr_studio.models import registry
from inr_studio.models.spec import Phase

from specs import specs_for

CPU = TrainConfig(iters=12, lr=2e-3, device="cpu")


def specs(keys, pixels: np.ndarray):
    return specs_for(keys, *pixels.shape[:2])


def test_four_models_side_by_side_in_lock_step(tiny_image) -> None:
    req = RunRequest(7, tiny_image, specs(registry.PAPER_MODELS, tiny_image), CPU, progress_s=0.0,
                     preview_s=0.0)
    msgs = list(SideBySide(req).run())
    assert all(m.generation == 7 for m in msgs)
    started = msgs[0]
    assert isinstance(started, RunStarted) and set(started.params) == set(registry.PAPER_MODELS)
    assert started.totals == {k: 12 for k in registry.PAPER_MODELS}
    batches = [m for m in msgs if isinstance(m, ProgressBatch)]
    for key in registry.PAPER_MODELS:  # every step's PSNR arrives once, in order
        steps = np.concatenate([b.points[key][0] for b in batches if key in b.points])
        assert list(steps) == list(range(12))
        # round robin: no model is ever more than one step ahead of another
        assert all(abs(b.stats[key].step - b.stats["siren"].step) <= 1 for b in batches)
    frames = [m for m in msgs if isinstance(m, PreviewFrame)]
    # the first comes after step one and shows what that step's forward drew (0 updates)
    assert frames[0].steps == {k: 0 for k in registry.PAPER_MODELS}
    assert frames[-1].final and frames[-1].recon["hs"].dtype == np.uint8
    assert frames[-1].recon["hs"].shape == tiny_image.shape
    ended = msgs[-1]
    assert isinstance(ended, RunEnded) and not ended.stopped
    assert ended.steps == {k: 12 for k in registry.PAPER_MODELS}
    assert all(ended.compute_s[k] > 0 for k in registry.PAPER_MODELS)


def test_steps_per_turn_trains_in_batches(tiny_image) -> None:
    req = RunRequest(0, tiny_image, specs(("siren", "ftc"), tiny_image), CPU, progress_s=0.0,
                     previews=False, steps_per_turn=4)
    batches = [m for m in SideBySide(req).run() if isinstance(m, ProgressBatch)]
    first = next(b for b in batches if b.points)
    assert first.stats["siren"].step == 4 and first.stats["ftc"].step == 4


def test_a_fifth_model_is_one_registry_entry(tiny_image) -> None:
    entry = registry.ModelEntry("siren-wide", "SIREN wide", "#000000", "test entry", "test",
                                lambda o: registry.REGISTRY["siren"].make_config(o))
    registry.register(entry)
    try:
        keys = (*registry.PAPER_MODELS, "siren-wide")
        ended = list(SideBySide(RunRequest(0, tiny_image, specs(keys, tiny_image), CPU,
                                           previews=False)).run())[-1]
        assert set(ended.steps) == set(keys) and ended.steps["siren-wide"] == 12
    finally:
        del registry.REGISTRY["siren-wide"]


def test_phases_have_their_own_objective_steps_and_closed_form_end(tiny_image) -> None:
    finished = []

    @register_objective("test-l1")
    class L1(Objective):
        def __init__(self, problem, batcher, weight: float = 1.0) -> None:
            super().__init__(problem, batcher)
            self.weight = weight

        def loss(self, model, batch):
            pred = model(batch.coords, batch.routing)
            return self.weight * torch.mean(torch.abs(pred - batch.target)), pred

        def finish(self, model) -> None:
            finished.append(self.weight)

    try:
        spec = specs(("siren",), tiny_image)[0]
        phases = (Phase(), Phase("test-l1", steps=5, lr_scale=0.5, options=(("weight", 2.0),)),
                  Phase("test-l1", steps=0, options=(("weight", 3.0),)))
        trainer = Trainer(__import__("inr_studio.problem", fromlist=["FitProblem"])
                          .FitProblem.create(tiny_image, spec.config),
                          replace(CPU, schedule="constant"), phases)
        assert trainer.total_steps == 17 and trainer.phase.objective == "pixels"
        lrs = []
        while not trainer.done:
            trainer.step()
            lrs.append(trainer.optimizer.param_groups[0]["lr"])
        # lrs[i] is read after step i + 1; the 12th step ends phase one, a fresh Adam follows
        assert lrs[:11] == [CPU.lr] * 11
        assert lrs[11:16] == [CPU.lr * 0.5] * 5
        assert finished == [2.0, 3.0]  # each phase's closed form once, the 0-step one too
    finally:
        del OBJECTIVES["test-l1"]


def test_out_of_memory_becomes_one_message_and_the_run_ends(tiny_image, monkeypatch) -> None:
    def boom(self):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 24.00 GiB")

    monkeypatch.setattr(Trainer, "step", boom)
    msgs = list(SideBySide(RunRequest(3, tiny_image, specs(("ftc",), tiny_image), CPU)).run())
    failed = msgs[-1]
    assert isinstance(failed, RunFailed) and failed.generation == 3
    assert "GPU ran out of memory" in failed.message and "--batch-pixels" in failed.message


def test_cpu_allocation_failure_and_user_errors_become_messages_bugs_do_not(tiny_image,
                                                                            monkeypatch) -> None:
    for exc, words in ((RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried "
                                     "to allocate 26400000000 bytes"), "memory of this machine"),
                       (InrStudioError("the image is flat."), "the image is flat.")):
        monkeypatch.setattr(Trainer, "step", lambda self, e=exc: (_ for _ in ()).throw(e))
        msgs = list(SideBySide(RunRequest(0, tiny_image, specs(("siren",), tiny_image), CPU)).run())
        assert isinstance(msgs[-1], RunFailed) and words in msgs[-1].message
    monkeypatch.setattr(Trainer, "step", lambda self: 1 / 0)
    with pytest.raises(ZeroDivisionError):  # a bug is not dressed up as a user message
        list(SideBySide(RunRequest(0, tiny_image, specs(("siren",), tiny_image), CPU)).run())


def test_pause_is_announced_and_stop_ends_with_stopped(tiny_image) -> None:
    control = RunControl()
    run = SideBySide(RunRequest(0, tiny_image, specs(("siren", "hs"), tiny_image),
                                TrainConfig(iters=10**6, device="cpu"), previews=False), control)
    seen = []
    for msg in run.run():
        seen.append(msg)
        if isinstance(msg, ProgressBatch) and msg.stats["siren"].step >= 3 and not control.paused:
            control.pause()
        elif isinstance(msg, PausedReached):
            held = {k: t.steps_done for k, t in run.trainers.items()}
            control.stop()  # stop while paused: the run ends without another step
    assert any(isinstance(m, PausedReached) for m in seen)
    ended = seen[-1]
    assert isinstance(ended, RunEnded) and ended.stopped and ended.steps == held
    assert not any(isinstance(m, PreviewFrame) and m.final for m in seen)


def test_duplicate_or_no_models_are_refused(tiny_image) -> None:
    with pytest.raises(InrStudioError):
        RunRequest(0, tiny_image, (), CPU)
    s = specs(("siren",), tiny_image)
    with pytest.raises(InrStudioError):
        RunRequest(0, tiny_image, s + s, CPU)


def test_message_types_and_registry_import_without_torch() -> None:
    code = ("import json, sys\n"
            "import inr_studio.engine.messages, inr_studio.engine.control, inr_studio.engine.pace, "
            "inr_studio.engine.config, inr_studio.engine.presets, inr_studio.engine.schedule, "
            "inr_studio.models.registry\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'torch')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []
