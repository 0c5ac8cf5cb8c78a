"""Learning-rate schedules: the factor a phase's rate is multiplied by at each of its steps.

Torch-free (the window and the CLI list the names before torch loads). A schedule runs over a
*span*: one phase, or a phase and the phases after it that go on with its Adam
(``keep_optimizer``: the coarse warm-up and the pixel phase it leads into are one span, so the
decay does not start again when the full batch takes over).
"""

from __future__ import annotations

import math

from ..errors import OptionError

#: Each phase's own schedule (the registry's, else :data:`DEFAULT_SCHEDULE`).
AUTO = "auto"
#: The rate the run was given, every step (the paper's protocol).
CONSTANT = "constant"
#: Half a cosine from the rate down to :data:`COSINE_FLOOR` of it at the span's last step.
COSINE = "cosine"
#: The rate × :data:`STEP_GAMMA` after each share of the span in :data:`STEP_AT`.
STEP = "step"
#: The rate held, then half a cosine down to :data:`COSINE_FLOOR` of it over the span's last
#: :data:`COOLDOWN_SHARE` ("warm-up, stable, decay" without the warm-up; Hägele et al. 2024).
COOLDOWN = "cooldown"
SCHEDULES = (CONSTANT, COSINE, STEP, COOLDOWN)
COSINE_FLOOR = 0.01
STEP_AT = (0.5, 0.75)
STEP_GAMMA = 0.1
COOLDOWN_SHARE = 0.2
#: What a phase without a schedule of its own gets (measured: docs/results.md, "Training to
#: the best").
DEFAULT_SCHEDULE = CONSTANT


def check_schedule(name: str, allow_auto: bool = True) -> str:
    """``name`` if it is a schedule (or ``auto``), else one readable :class:`OptionError`."""
    known = ((AUTO,) if allow_auto else ()) + SCHEDULES
    if name not in known:
        raise OptionError(f"unknown learning-rate schedule {name!r}; use one of "
                          f"{', '.join(known)}.", "schedule")
    return name


def resolve(run_schedule: str, phase_schedule: str | None) -> str:
    """The schedule a phase trains with: the run's, unless the run says ``auto``; then the
    phase's own, else the default."""
    if run_schedule != AUTO:
        return check_schedule(run_schedule, allow_auto=False)
    return check_schedule(phase_schedule or DEFAULT_SCHEDULE, allow_auto=False)


def lr_factor(name: str, step: int, span: int) -> float:
    """The factor at ``step`` (0-based) of a ``span``-step schedule: 1 at step 0."""
    if name == CONSTANT or span <= 1:
        return 1.0
    if name == COSINE:
        x = min(max(step / (span - 1), 0.0), 1.0)
        return COSINE_FLOOR + (1.0 - COSINE_FLOOR) * 0.5 * (1.0 + math.cos(math.pi * x))
    if name == STEP:
        return STEP_GAMMA ** sum(step >= round(a * span) for a in STEP_AT)
    if name == COOLDOWN:
        length = max(1, round(COOLDOWN_SHARE * span))
        start = span - length
        return 1.0 if step < start else lr_factor(COSINE, step - start, length)
    raise OptionError(f"unknown learning-rate schedule {name!r}.")
