"""Failures a user can act on, as one sentence each: the only place device out-of-memory is
translated (the window, ``fit`` and ``bench`` all receive the same words)."""

from __future__ import annotations

from collections.abc import Callable

from ..errors import InrStudioError

OUT_OF_MEMORY = "the {device} ran out of memory: {advice}"
DEFAULT_ADVICE = ("use a smaller working size (--scale), random pixel batches (--batch-pixels N) "
                  "or a narrower network.")


def is_out_of_memory(exc: BaseException) -> bool:
    import torch

    if isinstance(exc, (torch.cuda.OutOfMemoryError, MemoryError)):
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and ("out of memory" in text
                                              or "can't allocate memory" in text)


def failure_message(exc: BaseException, advice: Callable[[], str] | None = None) -> str | None:
    """The user's sentence for ``exc``, or None for a bug (which should surface as such).

    ``advice`` gives the memory guard's words for this run (its figure and the way out,
    :func:`inr_studio.engine.memory.out_of_memory_advice`), so an out-of-memory the guard did
    not foresee reads like the guard's own refusal."""
    if isinstance(exc, InrStudioError):
        return str(exc)
    if is_out_of_memory(exc):
        import torch

        device = "GPU" if isinstance(exc, torch.cuda.OutOfMemoryError) or "cuda" in str(
            exc).lower() else "memory of this machine"
        text = DEFAULT_ADVICE
        if advice is not None:
            try:
                text = advice()
            except Exception:  # noqa: BLE001 - the advice must never hide the failure itself
                text = DEFAULT_ADVICE
        return OUT_OF_MEMORY.format(device=device, advice=text)
    return None
