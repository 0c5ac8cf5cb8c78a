"""A study as tasks: every (image, model) fit is one call of a per-fit function, run one after
another in this process or as Ray tasks on a cluster, with the same arguments either way.

A task's outcome is its function's value or a one-line error: a user error
(:class:`~inr_studio.errors.InrStudioError`: a bad image, out of memory on the device) and, on
Ray, a task that raised or whose worker died are errors of that task only; the study goes on and
the caller writes the error into the task's row. Ray tasks are not retried (``max_retries=0``):
``--resume`` fits a failed row again. Ray is optional (``pip install -e ".[cluster]"``) and is
imported only by :func:`cluster`.

Identical results: a per-fit function sets its own torch threads (its ``threads`` argument), so
its result depends on its arguments only, not on where or beside what it runs.
"""

from __future__ import annotations

import logging
import math
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InrStudioError, OptionError

RAY_INSTALL = 'pip install -e ".[cluster]"'
#: Test hook: a file naming ``image/model``; the Ray task of that key kills its own worker
#: (read only inside a Ray task, so a test can kill a worker mid-study).
KILL_SWITCH = "INR_STUDIO_KILL_TASK_FILE"


@dataclass(frozen=True)
class Task:
    """One fit: ``fn(*args)``. ``fn`` is a module-level function (Ray sends it by name);
    ``key`` is (image, model), what ``--resume`` finds in the study's CSV."""

    key: tuple[str, str]
    fn: Callable
    args: tuple
    steps: int = 1  # training steps, for the progress bar
    #: Keyword arguments for a run in this process only (a progress bar).
    local: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    task: Task
    value: object = None
    error: str = ""  # one line, when the task failed


@dataclass(frozen=True)
class RayOptions:
    """Where the tasks run and what each asks for. ``address``: "local" (start a cluster on
    this machine for the study), "auto" (the cluster this machine belongs to), or a head's
    ``host:port`` / ``ray://host:port``. ``gpus_per_task`` None: 1 where the cluster has GPUs,
    else 0. Fractions are allowed (two tasks share a GPU at 0.5)."""

    address: str = "local"
    gpus_per_task: float | None = None
    cpus_per_task: float = 1.0

    def __post_init__(self) -> None:
        for name, value in (("--gpus-per-task", self.gpus_per_task),
                            ("--cpus-per-task", self.cpus_per_task)):
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise OptionError(f"{name} must be 0 or more, got {value}.")
        if not self.cpus_per_task and not self.gpus_per_task:
            raise OptionError("--cpus-per-task 0 needs --gpus-per-task above 0.")

    @property
    def threads(self) -> int:
        """Torch threads of a task: its whole CPUs, at least one."""
        return max(1, int(self.cpus_per_task))


def import_ray():
    try:
        import ray
    except ImportError:
        raise OptionError(f"--ray needs Ray, an optional extra: {RAY_INSTALL}") from None
    return ray


@contextmanager
def cluster(options: RayOptions) -> Iterator[object]:
    """Ray, connected: to the cluster already connected in this process (a notebook's, a
    test's), else to ``options.address``; a cluster started here is shut down after."""
    ray = import_ray()
    started = not ray.is_initialized()
    if started:
        try:
            ray.init(address=options.address, include_dashboard=False, log_to_driver=False,
                     logging_level=logging.ERROR)
        except (ConnectionError, ValueError, RuntimeError) as exc:
            raise OptionError(f"--ray {options.address}: no Ray cluster could be reached "
                              f"({_first_line(exc)}).") from None
    try:
        yield ray
    finally:
        if started:
            ray.shutdown()


def run_here(tasks: Iterable[Task], on_outcome: Callable[[Outcome], None]) -> None:
    """Each task in turn, in this process; a user error is that task's outcome."""
    for task in tasks:
        try:
            outcome = Outcome(task, task.fn(*task.args, **task.local))
        except InrStudioError as exc:
            outcome = Outcome(task, error=_first_line(exc))
        on_outcome(outcome)


def run_on_ray(ray, tasks: list[Task], options: RayOptions,
               on_outcome: Callable[[Outcome], None]) -> None:
    """Every task as a Ray task at once; outcomes as they finish. Byte strings among the
    arguments (image files) go to the object store once, shared by the tasks that take them.
    Ctrl-C cancels the tasks still running."""
    total = ray.cluster_resources()
    gpus = options.gpus_per_task
    if gpus is None:
        gpus = 1.0 if total.get("GPU", 0) > 0 else 0.0
    for name, need, have in (("--gpus-per-task", gpus, total.get("GPU", 0)),
                             ("--cpus-per-task", options.cpus_per_task, total.get("CPU", 0))):
        if need > have:
            raise OptionError(f"{name} {need:g}: the cluster has {have:g} in all.")
    remote = ray.remote(_task).options(num_cpus=options.cpus_per_task, num_gpus=gpus,
                                       max_retries=0)
    shared: dict[int, object] = {}

    def stored(arg: object) -> object:
        if not isinstance(arg, bytes):
            return arg
        if id(arg) not in shared:
            shared[id(arg)] = ray.put(arg)
        return shared[id(arg)]

    # Arguments at the top level: Ray hands a task the objects of the references found there.
    pending = {remote.remote(t.fn, t.key, *(stored(a) for a in t.args)): t for t in tasks}
    try:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                task = pending.pop(ref)
                try:
                    outcome = Outcome(task, ray.get(ref))
                except ray.exceptions.RayError as exc:
                    outcome = Outcome(task, error=failure_line(exc, ray))
                on_outcome(outcome)
    except KeyboardInterrupt:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise


def _task(fn: Callable, key: tuple[str, str], *args: object) -> object:
    """What a Ray worker runs: the program's process tuning (before torch loads in a fresh
    worker), the test hook, then the per-fit function."""
    from ..process import tune_process

    tune_process()
    switch = os.environ.get(KILL_SWITCH)
    if switch and Path(switch).is_file() and Path(switch).read_text().strip() == "/".join(key):
        os.kill(os.getpid(), signal.SIGKILL)
    return fn(*args)


def failure_line(exc: BaseException, ray) -> str:
    """A failed Ray task in one line: the user error it raised, or what happened to it."""
    errors = ray.exceptions
    if isinstance(exc, errors.RayTaskError):
        cause = getattr(exc, "cause", None)
        if isinstance(cause, InrStudioError):
            return _first_line(cause)
        if cause is not None:
            return f"the task failed: {type(cause).__name__}: {_first_line(cause)}"
    if isinstance(exc, errors.OutOfMemoryError):
        return "Ray stopped the task: its node ran out of memory."
    if isinstance(exc, errors.WorkerCrashedError):
        return "the task's worker died (killed, or out of memory)."
    if isinstance(exc, errors.TaskCancelledError):
        return "the task was cancelled."
    return f"the task failed: {type(exc).__name__}: {_first_line(exc)}"


def _first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__


class StudyRows:
    """A study's rows by task key: the study's keys in its order, then any other rows a resumed
    CSV held (nothing is lost); ``write`` gets them all after each outcome, so a study stopped
    at any point keeps what it finished."""

    def __init__(self, order: list[tuple[str, str]], kept: dict[tuple[str, str], list],
                 write: Callable[[list], None]) -> None:
        self.order = list(order)
        self.rows = dict(kept)
        self.write = write

    def put(self, key: tuple[str, str], rows: list) -> None:
        self.rows[key] = rows
        self.write(self.all())

    def all(self) -> list:
        keys = self.order + [k for k in self.rows if k not in set(self.order)]
        return [r for k in keys for r in self.rows.get(k, [])]

    def of_study(self) -> list:
        return [r for k in self.order for r in self.rows.get(k, [])]
