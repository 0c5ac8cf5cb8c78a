"""How ``bench`` and ``rd --ladder`` run their fits: here one after another, or on Ray; the rows
a resumed CSV already holds kept; a failed fit's row holding its error; the CSV rewritten after
every fit."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from ..studies.tasks import Outcome, RayOptions, StudyRows, Task, cluster, run_here, run_on_ray
from .common import warn_line

Key = tuple[str, str]


def kept_rows(path: Path, resume: bool, read: Callable[[Path], list],
              key_of: Callable[[object], Key]) -> dict[Key, list]:
    """``--resume``: the rows of the CSV at ``path`` that did not fail, by key (none without
    ``--resume`` or without a CSV)."""
    kept: dict[Key, list] = {}
    if resume and path.is_file():
        for row in read(path):
            if not row.error:
                kept.setdefault(key_of(row), []).append(row)
    return kept


def execute(ray: RayOptions | None, tasks: Callable[[], Iterable[Task]], rows: StudyRows,
            failed_rows: Callable[[Task, str], list], bar=None) -> list[str]:
    """Run ``tasks()`` here (``ray`` None) or on Ray, each outcome into ``rows``; returns the
    failures, one line each (also printed as warnings). ``bar`` advances by a task's steps when
    it ends on Ray (a fit here advances it itself)."""
    failures: list[str] = []

    def on_outcome(outcome: Outcome) -> None:
        key = outcome.task.key
        if outcome.error:
            failures.append(f"{key[0]}, {key[1]}: {outcome.error}")
            if bar is not None:
                bar.clear()  # the warning must not land inside the bar
            warn_line(failures[-1])
            rows.put(key, failed_rows(outcome.task, outcome.error))
        else:
            value = outcome.value
            rows.put(key, list(value) if isinstance(value, (list, tuple)) else [value])
        if ray is not None and bar is not None:
            bar.update(outcome.task.steps)

    if ray is None:
        run_here(tasks(), on_outcome)
        return failures
    todo = list(tasks())
    if todo:  # a resumed study with nothing left starts no cluster
        with cluster(ray) as ray_module:
            run_on_ray(ray_module, todo, ray, on_outcome)
    return failures


def read_bytes(path: Path) -> bytes:
    """An image file's bytes for a Ray task (read here: the nodes need not see this disk)."""
    from ..errors import ImageLoadError

    try:
        return path.read_bytes()
    except OSError as exc:
        raise ImageLoadError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
