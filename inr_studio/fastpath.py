"""A fast training step (issue 5): the same update as ``Trainer.step``, cheaper to run on CUDA.

The plain ``Trainer.step`` stays the reference. :func:`enable_fast_path` swaps a trainer's
``step`` for a :class:`FastStep` that may use, where the device supports it:

- a multi-tensor Adam: ``fused=True`` on CUDA, ``foreach=True`` elsewhere (bit-identical to the
  plain Adam on CPU, measured);
- TF32 matmuls on CUDA (changes the numbers slightly: off unless asked for, until a GPU run
  shows the PSNR holds);
- ``torch.compile`` of the forward and loss (slow to warm up: about a minute on a 2-core CPU);
- a CUDA graph of the whole full-batch step (forward, backward, Adam), replayed every step.

Options the device cannot honour are dropped with a note (``FastStep.notes``), or refused with
``strict=True``. Nothing here has been measured on a GPU yet: on CPU only the multi-tensor Adam
is active, and the fast path is off by default everywhere but CUDA.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import torch

from .errors import OptionError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .models.routing import Routing
    from .training import Trainer

#: Untimed steps run before a CUDA graph is captured (their updates are undone afterwards).
GRAPH_WARMUP_STEPS = 3


@dataclass(frozen=True)
class FastStepConfig:
    tf32: bool = False
    compile: bool = False
    cuda_graph: bool = True
    fused_adam: bool = True

    @staticmethod
    def auto(device: torch.device | str) -> "FastStepConfig | None":
        """What ``fast=None`` means: the fast path on CUDA, the plain step elsewhere."""
        return FastStepConfig() if torch.device(device).type == "cuda" else None


def resolve(config: FastStepConfig, device: torch.device | str, full_batch: bool,
            strict: bool = False) -> tuple[FastStepConfig, tuple[str, ...]]:
    """The options this device and batch mode can honour, and a note for each one dropped."""
    dev = torch.device(device)
    notes: list[str] = []
    changes: dict[str, bool] = {}

    def drop(name: str, why: str) -> None:
        changes[name] = False
        notes.append(f"{name} is off: {why}")

    if dev.type != "cuda":
        if config.tf32:
            drop("tf32", f"TF32 is a CUDA matmul mode and the device is {dev.type}")
        if config.cuda_graph:
            drop("cuda_graph", f"CUDA graphs need a CUDA device and the device is {dev.type}")
    if not full_batch:
        if config.cuda_graph and "cuda_graph" not in changes:
            drop("cuda_graph", "random pixel batches change shape and routing every step")
        if config.compile:
            drop("compile", "random pixel batches would recompile at every step")
    if strict and notes:
        raise OptionError("fast path: " + "; ".join(notes) + ".")
    return replace(config, **changes), tuple(notes)


@contextmanager
def _tf32(on: bool) -> "Iterator[None]":
    """TF32 matmuls for the duration of a step only, so no other code sees the switch."""
    if not on:
        yield
        return
    prev = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = True
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = prev


def _loss_and_pred(model: torch.nn.Module, coords: torch.Tensor, target: torch.Tensor,
                   routing: "Routing") -> tuple[torch.Tensor, torch.Tensor]:
    pred = model(coords, routing)
    return torch.mean((pred - target) ** 2), pred


def _mse01(pred: torch.Tensor, target01: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return torch.mean((torch.clamp((pred.detach() + 1) * 0.5, 0, 1) - target01) ** 2)


def _swap_adam(old: torch.optim.Optimizer, device: torch.device, fused: bool,
               capturable: bool) -> torch.optim.Optimizer:
    """The same Adam (hyper-parameters and any state so far), multi-tensor implementation."""
    params = [p for g in old.param_groups for p in g["params"]]
    flags = {"foreach": None, "fused": None, "capturable": capturable}
    if fused and device.type == "cuda":
        flags["fused"] = True
    else:
        flags["foreach"] = True
    hyper = {k: v for k, v in old.param_groups[0].items()
             if k in ("lr", "betas", "eps", "weight_decay", "amsgrad")}
    new = torch.optim.Adam(params, **hyper, **flags)
    if old.state:
        new.load_state_dict(old.state_dict())
        for group in new.param_groups:  # load_state_dict brings back the old implementation flags
            group.update(flags)
        on_device = bool(flags["fused"] or capturable)
        for state in new.state.values():
            step = state.get("step")
            if torch.is_tensor(step):
                state["step"] = step.to(device if on_device else "cpu", torch.float32)
    return new


class FastStep:
    """``step()`` computing what ``Trainer.step`` computes, by the options in ``config``."""

    def __init__(self, trainer: "Trainer", config: FastStepConfig, strict: bool = False) -> None:
        self.trainer = trainer
        self.device = trainer.device
        self.full_batch = trainer.full_routing is not None
        self.config, self.notes = resolve(config, self.device, self.full_batch, strict)
        cfg = self.config
        if cfg.fused_adam:
            trainer.optimizer = _swap_adam(trainer.optimizer, self.device, fused=True,
                                           capturable=cfg.cuda_graph)
        elif cfg.cuda_graph:
            trainer.optimizer = _swap_adam(trainer.optimizer, self.device, fused=False,
                                           capturable=True)
        self._loss = torch.compile(_loss_and_pred, dynamic=False) if cfg.compile else _loss_and_pred
        self._graph: torch.cuda.CUDAGraph | None = None
        self._static: tuple[torch.Tensor, torch.Tensor] | None = None

    def _body(self, coords: torch.Tensor, target: torch.Tensor, target01: torch.Tensor,
              routing: "Routing") -> tuple[torch.Tensor, torch.Tensor]:
        opt = self.trainer.optimizer
        opt.zero_grad(set_to_none=True)
        loss, pred = self._loss(self.trainer.model, coords, target, routing)
        loss.backward()
        opt.step()
        return loss.detach(), _mse01(pred, target01)

    def _capture(self) -> None:
        """Warm up on a side stream, capture one step, then undo the warm-up's updates."""
        t = self.trainer
        opt = t.optimizer
        params = [p for g in opt.param_groups for p in g["params"]]
        saved_params = [p.detach().clone() for p in params]
        saved_state = {p: {k: v.clone() for k, v in opt.state[p].items() if torch.is_tensor(v)}
                       for p in params if p in opt.state}
        batch = (t.coords, t.target, t.target01, t.full_routing)
        side = torch.cuda.Stream(device=self.device)
        side.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(side):
            for _ in range(GRAPH_WARMUP_STEPS):
                self._body(*batch)
        torch.cuda.current_stream(self.device).wait_stream(side)
        opt.zero_grad(set_to_none=True)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            static = self._body(*batch)
        with torch.no_grad():  # capture ran nothing; the warm-up steps did: restore
            for p, v in zip(params, saved_params):
                p.copy_(v)
            for p in params:
                old = saved_state.get(p, {})
                for k, v in opt.state[p].items():
                    if torch.is_tensor(v) and k in old:
                        v.copy_(old[k])
                    elif torch.is_tensor(v):
                        v.zero_()
        self._graph, self._static = graph, static

    def step(self) -> tuple[torch.Tensor, torch.Tensor]:
        """One Adam update; returns (loss, clipped-[0,1] MSE) of the forward it used, on device."""
        t = self.trainer
        with _tf32(self.config.tf32):
            if self.config.cuda_graph:
                if self._graph is None:
                    self._capture()
                assert self._graph is not None and self._static is not None
                self._graph.replay()
                loss, mse01 = (v.clone() for v in self._static)
            else:
                loss, mse01 = self._body(*t._batch())
        t.steps_done += 1
        return loss, mse01


def enable_fast_path(trainer: "Trainer", config: FastStepConfig | None = None,
                     strict: bool = False) -> FastStep:
    """Swap ``trainer.step`` for a :class:`FastStep` (default options: ``FastStepConfig()``).

    Returns the step object; its ``notes`` say which options this device could not use.
    """
    fast = FastStep(trainer, config or FastStepConfig(), strict=strict)
    trainer.step = fast.step  # type: ignore[method-assign]
    return fast
