"""A fast training step: the same update as :class:`~inr_studio.engine.step.PlainStep`,
cheaper to run on CUDA.

The plain step stays the reference. Where the device supports it, :class:`FastStep` may use:

- a multi-tensor Adam: ``fused=True`` on CUDA, ``foreach=True`` elsewhere (bit-identical to the
  plain Adam on CPU, measured);
- TF32 matmuls on CUDA (changes the numbers slightly, so off unless asked for);
- ``torch.compile`` of the objective's loss (slow to warm up: about a minute on a 2-core CPU);
- a CUDA graph of the whole full-batch step (forward, backward, Adam), replayed every step.

Options the device cannot honour are dropped with a note (``FastStep.notes``), or refused with
``strict=True``. The trainer picks this step when ``TrainConfig.fast`` is set. It is off by
default: on an H200 at the paper's size it matched the plain step (relative 1e-5) but saved only
2–3 % of a step, and the memory guard's allowance for its graph pools is not yet checked there
(docs/results.md, "GPU: one H200").
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from ..errors import OptionError
from ..models.network import CoordinateNet
from .batch import Batch, Batcher
from .best import BestKeeper
from .objectives import Objective
from .step import offer_best, tf32_matmuls

#: Untimed steps run before a CUDA graph is captured (their updates are undone afterwards).
GRAPH_WARMUP_STEPS = 3


@dataclass(frozen=True)
class FastStepConfig:
    tf32: bool = False
    compile: bool = False
    cuda_graph: bool = True
    fused_adam: bool = True


def resolve(config: FastStepConfig, device: torch.device | str, full_batch: bool,
            strict: bool = False, not_graphable: str | None = None
            ) -> tuple[FastStepConfig, tuple[str, ...]]:
    """The options this device and batch mode can honour, and a note for each one dropped.
    ``not_graphable``: why the objective's step may not be captured, None if it may (a
    full batch that cannot be captured still keeps ``compile``: its shapes never change)."""
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
    elif not_graphable and config.cuda_graph and "cuda_graph" not in changes:
        drop("cuda_graph", not_graphable)
    if strict and notes:
        raise OptionError("fast path: " + "; ".join(notes) + ".")
    return replace(config, **changes), tuple(notes)


def _swap_adam(old: torch.optim.Optimizer, device: torch.device, fused: bool,
               capturable: bool) -> torch.optim.Optimizer:
    """The same Adam (hyper-parameters and any state so far), multi-tensor implementation."""
    params = [p for g in old.param_groups for p in g["params"]]
    flags = {"foreach": None, "fused": None, "capturable": capturable}
    if fused and device.type == "cuda":
        flags["fused"] = True
    else:
        flags["foreach"] = True
    hyper = {k: (float(v) if k == "lr" else v) for k, v in old.param_groups[0].items()
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
    for group in new.param_groups:  # a captured step reads its rate from the device
        rate = float(group["lr"])
        group["lr"] = torch.tensor(rate, device=device) if capturable else rate
    return new


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """The rate of the next step: a number, or filled into a captured step's device tensor
    (a kernel launch, no sync)."""
    for group in optimizer.param_groups:
        if torch.is_tensor(group["lr"]):
            group["lr"].fill_(lr)
        else:
            group["lr"] = lr


class FastStep:
    """``step()`` computing what :class:`PlainStep` computes, by the options in ``config``.

    It replaces the optimiser it is given by the multi-tensor one (``self.optimizer``), keeping
    any state so far.
    """

    def __init__(self, model: CoordinateNet, optimizer: torch.optim.Optimizer,
                 objective: Objective, batcher: Batcher,
                 config: FastStepConfig = FastStepConfig(), strict: bool = False,
                 keeper: BestKeeper | None = None) -> None:
        self.model = model
        self.keeper = keeper
        self.objective = objective
        self.batcher = batcher
        self.device = batcher.device
        full_batch = objective.fixed_batch is not None
        why = None if objective.graphable else (
            f"the {type(objective).__name__} objective's step cannot be captured in a graph")
        self.config, self.notes = resolve(config, self.device, full_batch, strict, why)
        cfg = self.config
        if cfg.fused_adam:
            optimizer = _swap_adam(optimizer, self.device, fused=True, capturable=cfg.cuda_graph)
        elif cfg.cuda_graph:
            optimizer = _swap_adam(optimizer, self.device, fused=False, capturable=True)
        self.optimizer = optimizer
        loss = objective.loss
        self._loss = torch.compile(loss, dynamic=False) if cfg.compile else loss
        self._graph: torch.cuda.CUDAGraph | None = None
        self._static: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None
        #: As :attr:`PlainStep.last_pred` (a CUDA graph's output is overwritten by the next
        #: replay, which is this step's next step: it always holds the latest forward).
        self.last_pred: torch.Tensor | None = None

    def _body(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        opt = self.optimizer
        opt.zero_grad(set_to_none=True)
        loss, pred = self._loss(self.model, batch)
        loss.backward()
        mse01 = offer_best(self.keeper, self.objective, batch, loss, pred)
        opt.step()
        return loss.detach(), mse01, pred.detach()

    def _capture(self) -> None:
        """Warm up on a side stream, capture one step, then undo the warm-up's updates. Called
        with the model's device current (a graph captures on the stream it is given, and the
        class's default capture stream belongs to whichever device captured first)."""
        opt = self.optimizer
        params = [p for g in opt.param_groups for p in g["params"]]
        saved_params = [p.detach().clone() for p in params]
        saved_state = {p: {k: v.clone() for k, v in opt.state[p].items() if torch.is_tensor(v)}
                       for p in params if p in opt.state}
        batch = self.objective.fixed_batch
        assert batch is not None
        kept = self.keeper.snapshot() if self.keeper is not None else None
        side = torch.cuda.Stream(device=self.device)
        side.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(side):
            for _ in range(GRAPH_WARMUP_STEPS):
                self._body(batch)
        torch.cuda.current_stream(self.device).wait_stream(side)
        opt.zero_grad(set_to_none=True)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, stream=side):
            static = self._body(batch)
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
            if kept is not None:
                self.keeper.restore_snapshot(kept)
        self._graph, self._static = graph, static

    def step(self) -> tuple[torch.Tensor, torch.Tensor]:
        """One Adam update; returns (loss, clipped-[0,1] MSE) of the forward it used, on device."""
        with tf32_matmuls(self.config.tf32):
            if self.config.cuda_graph:
                # the model's device current: a graph replays on the current device's stream
                # (on cuda:1 without this, it would capture and replay nothing: no error)
                with torch.cuda.device(self.device):
                    if self._graph is None:
                        self._capture()
                    assert self._graph is not None and self._static is not None
                    self._graph.replay()
                    self.last_pred = self._static[2]
                    return self._static[0].clone(), self._static[1].clone()
            batch = self.objective.batch()
            loss, mse01, pred = self._body(batch)
            self.last_pred = pred if batch.index is None else None
            return loss, mse01
