"""A stand-in accelerator on the CPU: which tensors would live on a GPU, and what the code does
with them that a GPU would refuse or wait for.

On a CPU every tensor is a host tensor, so code that reads a device tensor on the host, mixes a
host tensor into a device computation or casts a device tensor to float64 (Apple's MPS has no
float64) runs fine here and breaks, or stalls, only on a GPU. :class:`SimulatedDevice` is a
``TorchFunctionMode`` that marks the tensors the code moved to "the device" (``.to(device)``, or
:meth:`SimulatedDevice.mark`), carries the mark through every operation on them, and records:

- ``syncs``: reads that make the host wait for the device (``item``, ``bool``, ``float``, ``int``,
  ``tolist``, ``numpy``, ``.cpu()``, ``nonzero`` and boolean-mask indexing, whose output size lives
  on the device);
- ``blocking_copies``: host→device copies without ``non_blocking=True`` (PyTorch synchronises the
  stream after each one);
- ``numpy_on_device``: ``.numpy()`` of a device tensor (an error on CUDA and MPS);
- ``float64_on_device``: a device tensor cast to float64 (an error on MPS);
- ``mixed``: an operation on a device tensor and a host tensor of one or more dimensions (an
  error on CUDA and MPS).

``.cpu()`` returns an unmarked tensor (a host copy), as on a GPU.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch.overrides import TorchFunctionMode

MARK = "_simulated_device"
READS = {"item", "__bool__", "__float__", "__int__", "__index__", "tolist", "numpy", "cpu",
         "nonzero", "masked_select"}
CASTS_TO_F64 = {"double"}
MOVES = {"to", "copy_", "cpu"}
#: Random draws made where ``device=`` says (fresh noise each step, as the latent model's).
RANDOM = {"rand", "randn", "randint"}


def _tensors(obj) -> Iterable[torch.Tensor]:
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _tensors(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors(o)


def on_device(t: torch.Tensor) -> bool:
    return bool(getattr(t, MARK, False))


def _mark(obj, keep: tuple[torch.Tensor, ...] = ()) -> None:
    """Mark the tensors of ``obj``, except those in ``keep`` (inputs passed through unchanged:
    an operation's result is on the device, not what it merely hands back)."""
    for t in _tensors(obj):
        if not any(t is k for k in keep):
            setattr(t, MARK, True)


def _target_device(args, kwargs) -> bool:
    """Whether ``Tensor.to(...)`` names a device (a move), not only a dtype."""
    if kwargs.get("device") is not None:
        return True
    for a in args[1:]:
        if isinstance(a, (torch.device, str)) or (isinstance(a, torch.Tensor)):
            return True
    return False


def _float64(args, kwargs) -> bool:
    return kwargs.get("dtype") is torch.float64 or any(a is torch.float64 for a in args[1:])


class SimulatedDevice(TorchFunctionMode):
    def __init__(self) -> None:
        super().__init__()
        self.syncs: list[str] = []
        self.blocking_copies: list[str] = []
        self.numpy_on_device: list[str] = []
        self.float64_on_device: list[str] = []
        self.mixed: list[str] = []

    @staticmethod
    def mark(*objs) -> None:
        """Mark tensors, or every parameter and buffer of modules, as living on the device."""
        for obj in objs:
            if isinstance(obj, torch.nn.Module):
                _mark(list(obj.parameters()) + list(obj.buffers()))
            else:
                _mark(obj)

    def clear(self) -> None:
        for seen in (self.syncs, self.blocking_copies, self.numpy_on_device,
                     self.float64_on_device, self.mixed):
            seen.clear()

    @property
    def problems(self) -> list[str]:
        """What a GPU would refuse (not what it would merely wait for)."""
        return self.numpy_on_device + self.float64_on_device + self.mixed

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", str(func))
        inputs = list(_tensors(list(args) + list(kwargs.values())))
        dev = [t for t in inputs if on_device(t)]
        host = [t for t in inputs if not on_device(t) and t.dim() > 0]
        first = args[0] if args and isinstance(args[0], torch.Tensor) else None
        first_on_device = first is not None and on_device(first)
        if first_on_device:
            if name in READS:
                self.syncs.append(name)
            if name == "__getitem__" and any(t.dtype == torch.bool for t in inputs[1:]):
                self.syncs.append("boolean mask index")
            if name == "numpy":
                self.numpy_on_device.append(name)
            if name in CASTS_TO_F64 or (name == "to" and _float64(args, kwargs)):
                self.float64_on_device.append(name)
        if dev and host and name not in MOVES:
            self.mixed.append(name)
        out = func(*args, **kwargs)
        if name == "cpu":
            return out.view_as(out) if out is first else out  # a host copy: unmarked
        if name == "to" and _target_device(args, kwargs):
            if first is not None and not first_on_device and not kwargs.get("non_blocking"):
                self.blocking_copies.append(name)
            _mark(out)
        elif name == "copy_" and first_on_device and len(args) > 1 and \
                isinstance(args[1], torch.Tensor) and not on_device(args[1]) and \
                not kwargs.get("non_blocking") and args[1].dim() > 0:
            self.blocking_copies.append(name)
        elif dev:
            _mark(out, keep=tuple(inputs))
        elif name in RANDOM and kwargs.get("device") is not None:
            _mark(out)  # noise drawn on the device (torch.rand(..., device=...))
        return out
