"""Device choice: CUDA, then Apple MPS, then CPU, unless the user names one."""

from __future__ import annotations

import torch

from .errors import OptionError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def available_devices() -> list[str]:
    out = ["cpu"]
    if torch.cuda.is_available():
        out.insert(0, "cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        out.insert(0 if "cuda" not in out else 1, "mps")
    return out


def initialise(devices: list[str]) -> None:
    """Start CUDA now, if present: its first use takes seconds (the driver, the context, the
    device's properties), which the window's loading thread pays instead of its first Start
    (the memory guard's ``mem_get_info``, the device label's ``get_device_name``)."""
    if "cuda" in devices:
        torch.cuda.init()
        for index in range(torch.cuda.device_count()):
            torch.cuda.get_device_name(index)


def pick_device(requested: str = "auto") -> torch.device:
    """The device named (``cpu``, ``cuda``, ``cuda:1``, ``mps``) or the best one here (``auto``);
    a name that is malformed, unknown or not present here is an :class:`OptionError` now,
    not a traceback at the first tensor."""
    name = (requested or "auto").strip().lower()
    if name == "auto":
        return torch.device(available_devices()[0])
    base, colon, index = name.partition(":")
    if base not in DEVICE_CHOICES or base == "auto" or (colon and not index.isdigit()):
        raise OptionError(f"device {requested!r} is unknown; use auto, cpu, cuda, cuda:N or mps.")
    if base not in available_devices():
        raise OptionError(f"device {requested!r} is not available here; available: "
                          f"{', '.join(available_devices())}.")
    count = torch.cuda.device_count() if base == "cuda" else 1
    if colon and int(index) >= count:
        raise OptionError(f"device {requested!r} is not available here: this machine has "
                          f"{count} {base} device{'s' * (count != 1)} "
                          f"({', '.join(f'{base}:{i}' for i in range(count))}).")
    return torch.device(name)


def host_to_device(t: torch.Tensor, device: torch.device | str) -> torch.Tensor:
    """A host tensor on ``device`` without making the host wait for the device's queue.

    A blocking copy (PyTorch's default) synchronises the stream after it, so a per-step copy
    would stall the host until every queued kernel has run. From pageable memory a
    non-blocking CPU→CUDA copy is staged into a driver buffer before the call returns, so the
    source may be freed at once. MPS keeps the blocking copy (its non-blocking copies from
    pageable memory have been unreliable)."""
    return t.to(device, non_blocking=torch.device(device).type != "mps")


def describe(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads)"
    return device.type
