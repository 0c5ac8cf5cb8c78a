"""The memory guard's CUDA branch, with a fake CUDA memory source: PyTorch's cached blocks count
as free, a margin is kept, each CUDA graph's pool is counted, and an out-of-memory run is dropped
before its advice reads the free memory (so the advice, and the next Start, see it freed)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from inr_studio.engine import memory
from inr_studio.engine.config import TrainConfig
from inr_studio.engine.memory import MemoryGuardError, check_memory, estimate
from inr_studio.engine.messages import RunFailed
from inr_studio.engine.side_by_side import RunRequest, SideBySide
from inr_studio.engine.trainer import Trainer
from inr_studio.imaging import resize_image
from inr_studio.models import registry
from inr_studio.models.registry import ModelOptions
from inr_studio.tiling import auto_tile_scale

MB = 1 << 20


def specs(keys, h: int, w: int, width: int = 256):
    return registry.build_specs(keys, ModelOptions(width=width, depth=3, image_size=(h, w),
                                                   tile_scale=auto_tile_scale(h, w)))


class FakeCuda:
    """What ``torch.cuda`` reports: the driver's free bytes, PyTorch's reserved and allocated
    bytes; ``empty_cache`` hands the cached blocks back to the driver."""

    def __init__(self, monkeypatch, driver_free: int, reserved: int, allocated: int) -> None:
        self.driver_free, self.reserved, self.allocated = driver_free, reserved, allocated
        self.emptied = 0
        monkeypatch.setattr(torch.cuda, "mem_get_info", lambda d=None: (self.driver_free, 80 << 30))
        monkeypatch.setattr(torch.cuda, "memory_reserved", lambda d=None: self.reserved)
        monkeypatch.setattr(torch.cuda, "memory_allocated", lambda d=None: self.allocated)
        monkeypatch.setattr(torch.cuda, "is_initialized", lambda: True)
        monkeypatch.setattr(torch.cuda, "empty_cache", self.empty_cache)

    def empty_cache(self) -> None:
        self.emptied += 1
        self.driver_free += self.reserved - self.allocated
        self.reserved = self.allocated


def test_cached_blocks_count_as_free(monkeypatch) -> None:
    fake = FakeCuda(monkeypatch, driver_free=1000 * MB, reserved=600 * MB, allocated=100 * MB)
    assert memory.free_bytes("cuda") == 1500 * MB  # 1000 from the driver + 500 cached
    assert memory.free_bytes("cuda:0") == 1500 * MB
    memory.release_memory("cuda")
    assert fake.emptied == 1 and memory.free_bytes("cuda") == 1500 * MB  # the same total


def test_cuda_keeps_a_margin_and_the_cpu_none() -> None:
    sp = specs(("hs",), 512, 768)
    cpu, cuda = estimate(sp, 512, 768, None, 3, "cpu"), estimate(sp, 512, 768, None, 3, "cuda")
    assert cpu.needed == cpu.peak
    assert cuda.needed == int(cuda.peak * (1 + memory.CUDA_FRAGMENTATION)) + \
        memory.CUDA_MARGIN_BYTES
    free = cuda.peak + memory.CUDA_MARGIN_BYTES // 2  # room for the tensors, not the margin
    with pytest.raises(MemoryGuardError) as info:
        check_memory(sp, 512, 768, None, "cuda", free=free)
    assert "the GPU has" in str(info.value)
    check_memory(sp, 512, 768, None, "cuda", free=cuda.needed)  # does not raise


def test_cuda_graphs_hold_one_step_per_model() -> None:
    sp = specs(("siren", "ftc", "qt", "hs"), 512, 768)
    plain = estimate(sp, 512, 768, None, 3, "cuda")
    graphs = estimate(sp, 512, 768, None, 3, "cuda", cuda_graphs=True)
    steps = sum(memory.model_step_bytes(s, 512 * 768, 512 * 768, 3) for s in sp)
    assert graphs.run == plain.run + steps  # run + k × step, not run + the largest step
    assert graphs.peak > plain.peak + 2 * plain.step
    # random pixel batches are never captured, and the CPU has no graphs
    assert estimate(sp, 512, 768, 4096, 3, "cuda", cuda_graphs=True) == \
        estimate(sp, 512, 768, 4096, 3, "cuda")
    assert estimate(sp, 512, 768, None, 3, "cpu", cuda_graphs=True) == \
        estimate(sp, 512, 768, None, 3, "cpu")


def test_a_fast_run_is_refused_where_the_plain_one_fits(monkeypatch) -> None:
    sp = specs(("siren", "ftc", "qt", "hs"), 512, 768)
    plain = estimate(sp, 512, 768, None, 3, "cuda")
    FakeCuda(monkeypatch, driver_free=plain.needed, reserved=0, allocated=0)
    check_memory(sp, 512, 768, None, "cuda")
    with pytest.raises(MemoryGuardError):
        check_memory(sp, 512, 768, None, "cuda", cuda_graphs=True)


def test_an_out_of_memory_run_is_dropped_before_its_advice_reads_free_memory(
        small_image, monkeypatch) -> None:
    """The trainers of the run that failed hold its memory: the advice must not say '0 MB free'
    because of them, so they are gone when free memory is read."""
    held_when_read = []
    engine: list[SideBySide] = []

    def boom(self):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    def free(device="cpu"):
        held_when_read.append(len(engine[0].trainers))
        return 8 << 30

    monkeypatch.setattr(Trainer, "step", boom)
    monkeypatch.setattr(memory, "free_bytes", free)
    pixels = resize_image(small_image, 32, 48)
    req = RunRequest(0, pixels, specs(("siren", "hs"), 32, 48, 16),
                     TrainConfig(iters=2, lr=1e-3, device="cpu"))
    engine.append(SideBySide(req))
    msgs = list(engine[0].run())
    assert isinstance(msgs[-1], RunFailed) and "GPU ran out of memory" in msgs[-1].message
    # read twice: by the guard before any model is built, and by the advice after the failure,
    # when the two trained models must already be let go (before: [0, 2])
    assert held_when_read == [0, 0]
    assert "8.6 GB free" in msgs[-1].message


def test_finished_runs_are_collected_before_the_guard_reads(monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(memory, "release_memory", lambda device="cpu": calls.append(device))
    monkeypatch.setattr(memory, "free_bytes", lambda device="cpu": 1 << 40)
    sp = specs(("siren",), 32, 48, 16)
    check_memory(sp, 32, 48, None, "cpu")
    check_memory(sp, 32, 48, None, "cpu", free=1 << 40)  # a given figure: nothing to read
    assert calls == ["cpu"]
    assert np.isfinite(estimate(sp, 32, 48).needed)
