"""The training engine (torch, the worker, the run controller) loads after the first paint.

Importing torch, scipy and the optimiser's ``torch._dynamo`` takes seconds; done before the
window shows, the first frame waited 8 s. The window paints first, shows "preparing the
engine…" and disables only what needs torch (Start, Save .sinr) until :class:`EngineLoader`'s
background job (:mod:`inr_studio.ui.background`) has imported everything and warmed the
optimiser up. Until then the window holds a :class:`PendingController`, which answers the
controller's queries as an idle one would.
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.util
import os
from collections.abc import Iterator

from PySide6.QtCore import QObject, Signal

from .background import Job, Lane

from .run_states import IDLE

#: The window's pyqtgraph views: imported first (a quarter of a second), then built on the GUI
#: thread (``viewsImportable``); importing pyqtgraph creates no QObject, so a thread may do it.
VIEW_MODULES = ("pyqtgraph", "inr_studio.ui.compare_view", "inr_studio.ui.maps_view",
                "inr_studio.ui.psnr_plot")
#: Then the engine, in this order (the heaviest first, so the rest is quick).
ENGINE_MODULES = ("torch", "inr_studio.device", "inr_studio.problem",
                  "inr_studio.engine.side_by_side", "inr_studio.engine.trainer",
                  "inr_studio.ui.worker", "inr_studio.ui.run_controller",
                  "inr_studio.metrics")
#: scikit-image loads its submodules lazily, on first attribute access: these are touched here.
#: (``structural_similarity`` imports scipy.stats; left to the worker's first preview, it held
#: the GIL long enough to stall the window 414 ms after Start.)
ENGINE_NAMES = (("skimage.metrics", "structural_similarity"),
                ("skimage.metrics", "peak_signal_noise_ratio"),
                ("skimage.filters", "threshold_multiotsu"), ("skimage.color", "rgb2gray"),
                ("skimage.transform", "resize"))

#: torch's own shared libraries, loaded before ``import torch``: ctypes releases the GIL while
#: the dynamic loader runs their static initialisers, Python's extension import does not. It
#: cut the longest stall of the window during the engine's loading from ~440 to ~100 ms (2-core
#: shared CPU).
TORCH_LIBRARIES = ("libc10.so", "libtorch_cpu.so", "libtorch.so", "libtorch_python.so")


def preload_torch_libraries() -> int:
    """dlopen torch's libraries without importing torch; the number loaded (0 if not found)."""
    spec = importlib.util.find_spec("torch")
    if spec is None or spec.origin is None:
        return 0
    folder = os.path.join(os.path.dirname(spec.origin), "lib")
    loaded = 0
    for name in TORCH_LIBRARIES:
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            try:
                ctypes.CDLL(path)
                loaded += 1
            except OSError:
                return loaded  # let ``import torch`` report the problem
    return loaded


#: What the engine's job yields once the view modules are imported (before torch).
VIEWS_IMPORTED = "views imported"


def load_engine() -> Iterator[object]:
    """Import the views, then the engine; yields :data:`VIEWS_IMPORTED`, then the devices
    available, best first."""
    for name in VIEW_MODULES:
        importlib.import_module(name)
    yield VIEWS_IMPORTED
    preload_torch_libraries()
    for name in ENGINE_MODULES:
        importlib.import_module(name)
    for module, attr in ENGINE_NAMES:
        getattr(importlib.import_module(module), attr)
    from ..device import available_devices, initialise
    from .worker import warm_up

    warm_up()
    devices = available_devices()
    initialise(devices)  # CUDA's start (seconds) here, not on the GUI thread at the first Start
    yield devices


class EngineLoader(QObject):
    """Imports the engine off the GUI thread; ``ready(devices)`` or ``failed(message)``."""

    viewsImportable = Signal()  # the view modules are imported
    ready = Signal(object)  # list[str]: the devices available, best first
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.lane = Lane(self._on_item, self._on_error, None, self)

    @property
    def running(self) -> bool:
        return self.lane.busy

    def start(self) -> None:
        self.lane.start(Job(lambda _cancelled: load_engine()))

    def wait(self) -> None:
        self.lane.wait()

    def _on_item(self, item: object) -> None:
        if item == VIEWS_IMPORTED:
            self.viewsImportable.emit()
        else:
            self.ready.emit(item)

    def _on_error(self, exc: Exception) -> None:
        # a broken install becomes a message, not a crash
        self.failed.emit(f"The training engine could not be loaded ({type(exc).__name__}: "
                         f"{exc}); images open, training is unavailable. Reinstall with the "
                         "README's pip command.")


class PendingController(QObject):
    """Stands in for the RunController until the engine is loaded: idle, no run, no threads."""

    progressed = Signal(object)
    previewed = Signal(object)
    stateChanged = Signal(str)
    failed = Signal(str)
    finished = Signal(bool)

    generation = 0
    state = IDLE
    worker = None

    def start(self, make_request) -> int:  # noqa: ARG002 - same signature as RunController
        raise RuntimeError("the engine is not loaded yet")

    def pause(self) -> None:
        pass

    def resume(self) -> None:
        pass

    def stop(self, wait: bool = False, timeout_ms: int = 30_000) -> None:  # noqa: ARG002
        pass

    def shutdown(self) -> None:
        pass

    def is_active(self) -> bool:
        return False

    def readable_trainers(self) -> dict:
        return {}

    def release_finished(self) -> bool:
        return False

    def threads_alive(self) -> int:
        return 0
