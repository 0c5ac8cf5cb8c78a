"""The CUDA parts of the engine that a CPU can check with a fake ``torch.cuda``: a CUDA graph is
captured and replayed on its model's device, each model's seconds come from device events (not
from the time a step takes to queue), and the fast step's notes give the real reason an option
is off. ``benchmarks/gpu_check.py`` runs the same paths on a real GPU."""

from __future__ import annotations

import time
from contextlib import contextmanager

import numpy as np
import pytest
import torch

from inr_studio.engine import fast_step
from inr_studio.engine.config import TrainConfig
from inr_studio.engine.fast_step import FastStepConfig, resolve
from inr_studio.engine.step_clock import StepClock
from inr_studio.engine.trainer import Trainer
from inr_studio.imaging import resize_image
from inr_studio.models import registry
from inr_studio.models.registry import ModelOptions
from inr_studio.problem import FitProblem


class FakeCuda:
    """A two-GPU ``torch.cuda`` for graphs and streams: which device is current, on which
    device's stream each capture ran and on which device each replay was launched. Kernels run
    eagerly on the CPU; a replay runs nothing."""

    def __init__(self) -> None:
        self.current = 0
        self.log: list[tuple[str, int]] = []
        self.default_capture: int | None = None  # like torch.cuda.graph's class-level stream
        fake = self

        class Stream:
            def __init__(self, device=None, priority=0) -> None:
                self.index = fake._index(device)

            def wait_stream(self, other) -> None:
                pass

        class CUDAGraph:
            def replay(self) -> None:
                fake.log.append(("replay", fake.current))

        @contextmanager
        def device(d):
            before, fake.current = fake.current, fake._index(d)
            try:
                yield
            finally:
                fake.current = before

        @contextmanager
        def stream(s):
            with device(s.index):
                yield

        @contextmanager
        def graph(g, pool=None, stream=None, **kwargs):
            if stream is None:
                if fake.default_capture is None:
                    fake.default_capture = fake.current
                index = fake.default_capture
            else:
                index = stream.index
            fake.log.append(("capture on stream of", index))
            yield

        self.api = dict(Stream=Stream, CUDAGraph=CUDAGraph, device=device, stream=stream,
                        graph=graph, current_stream=lambda device=None: Stream(device))

    def _index(self, d) -> int:
        if d is None:
            return self.current
        if isinstance(d, int):
            return d
        d = torch.device(d)
        return self.current if d.index is None else d.index


@pytest.fixture(scope="module")
def image(small_image) -> np.ndarray:
    return resize_image(small_image, 16, 24)


def _trainer(image: np.ndarray, key: str = "siren") -> Trainer:
    spec = registry.build_specs((key,), ModelOptions(width=16, depth=2, image_size=(16, 24)))[0]
    return Trainer(FitProblem.create(image, spec.config),
                   TrainConfig(iters=6, lr=1e-3, device="cpu"), spec.phases)


def test_a_graph_for_the_second_gpu_is_captured_and_replayed_there(image, monkeypatch) -> None:
    fake = FakeCuda()
    for name, value in fake.api.items():
        monkeypatch.setattr(torch.cuda, name, value)
    monkeypatch.setattr(fast_step, "_swap_adam", lambda old, *a, **k: old)  # CPU tensors
    trainer = _trainer(image)
    trainer.batcher.device = torch.device("cuda:1")  # the step believes its model is there
    step = trainer.use_step(FastStepConfig(cuda_graph=True, fused_adam=False))
    assert step.config.cuda_graph and step.notes == ()
    for _ in range(3):
        loss, mse = step.step()
        assert torch.isfinite(loss) and torch.isfinite(mse)
    assert fake.log == [("capture on stream of", 1)] + [("replay", 1)] * 3, fake.log
    assert fake.current == 0  # the caller's device is current again


def test_each_model_is_charged_its_own_device_time(monkeypatch) -> None:
    """On CUDA a step returns once its kernels are queued: the clock reads device events, so a
    model is charged what ran on the device between its events, not the host's time."""
    gpu_ms = [0.0]

    class Event:
        def __init__(self, enable_timing: bool = False) -> None:
            assert enable_timing
            self.at: float | None = None

        def record(self, stream=None) -> None:
            self.at = gpu_ms[0]

        def synchronize(self) -> None:
            pass

        def elapsed_time(self, end: "Event") -> float:
            return end.at - self.at

    monkeypatch.setattr(torch.cuda, "Event", Event)
    monkeypatch.setattr(torch.cuda, "current_stream", lambda device=None: None)
    clock = StepClock(torch.device("cuda"), ["siren", "hs"])
    for _ in range(2):
        t = clock.start()
        gpu_ms[0] += 5.0  # siren's kernels: 5 ms on the device
        time.sleep(0.02)  # the host's own time: not the model's
        clock.stop("siren", t)
        t = clock.start()
        gpu_ms[0] += 1.0
        clock.stop("hs", t)
    assert clock.seconds == {"siren": 0.0, "hs": 0.0}  # nothing read before a settle
    assert clock.settle() == pytest.approx({"siren": 0.010, "hs": 0.002})
    assert clock.settle() == pytest.approx({"siren": 0.010, "hs": 0.002})  # read once


def test_on_the_cpu_the_clock_is_the_steps_wall_time() -> None:
    clock = StepClock(torch.device("cpu"), ["a"])
    t = clock.start()
    time.sleep(0.05)
    clock.stop("a", t)
    assert 0.04 < clock.settle()["a"] < 1.0


def test_a_full_batch_objective_that_cannot_be_captured_keeps_compile() -> None:
    cfg = FastStepConfig(compile=True, cuda_graph=True)
    why = "the GradientObjective objective's step cannot be captured in a graph"
    kept, notes = resolve(cfg, "cuda", full_batch=True, not_graphable=why)
    assert kept.compile and not kept.cuda_graph
    assert notes == (f"cuda_graph is off: {why}",)
    kept, notes = resolve(cfg, "cuda", full_batch=False)  # random batches: both off, and why
    assert not kept.compile and not kept.cuda_graph and "random pixel batches" in notes[0]
    with pytest.raises(Exception, match="cannot be captured"):
        resolve(cfg, "cuda", full_batch=True, strict=True, not_graphable=why)


def test_eoren_on_cuda_gets_the_objectives_reason(image) -> None:
    trainer = _trainer(image, "eoren")
    trainer.batcher.device = torch.device("cuda")  # resolve only: no step runs
    step = trainer.use_step(FastStepConfig(compile=True, cuda_graph=True, fused_adam=False))
    assert step.config.compile and not step.config.cuda_graph
    assert len(step.notes) == 1 and "GradientObjective" in step.notes[0]
    assert "random pixel" not in step.notes[0]
