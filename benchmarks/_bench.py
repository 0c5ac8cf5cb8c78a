"""What the benchmarks share: the repository on ``sys.path``, the Kodak images and the default
test image, the window's CPU settings, the process tuning the program does, the yardsticks, and
the few timing and window chores several scripts repeat.

Every script starts with ``import _bench`` (this file sits beside them, so
``python3 benchmarks/NAME.py`` finds it). Importing it puts this checkout first on ``sys.path``
(unless ``PYTHONPATH`` already names it) and loads nothing else. A script that runs the
program's code in its own process then calls :func:`tune` before anything imports torch, as the
program calls ``tune_process`` first thing; one that only launches other programs leaves it to
them. Files whose name starts with ``_`` are helpers, not benchmarks.
"""

from __future__ import annotations

import atexit
import csv
import importlib.util
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    import numpy as np

    from inr_studio.engine.trainer import Trainer
    from inr_studio.ui.session import RunSettings, Session

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

#: Where the Kodak set is, when not ``shared/data/kodak`` beside the checkout.
KODAK_ENV = "INR_STUDIO_KODAK"
#: The image the window's CPU figures are measured on (a Kodak image of both tones and edges).
DEFAULT_IMAGE = "kodim23"
IMAGE_HELP = f"image file (default: {DEFAULT_IMAGE} of the Kodak set)"
#: The model every cost is a ratio to: the plain SIREN the LoE papers build on.
YARDSTICK_MODEL = "siren"
#: A bare PySide6 window of the main window's first-start size (the screen's free area): the
#: least a Qt program does to paint.
BARE_QT_WINDOW = r"""
import sys
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication(sys.argv[:1])
label = QLabel("A bare PySide6 window")
label.setGeometry(app.primaryScreen().availableGeometry())
label.show()
sys.exit(app.exec())
"""


def fail(message: str) -> NoReturn:
    """End the script with one line on stderr and exit code 2 (bad input, as the CLI does)."""
    print(f"{Path(sys.argv[0]).name}: {message}", file=sys.stderr)
    raise SystemExit(2)


# --- paths ---
def kodak_dir(folder: str | Path | None = None) -> Path:
    """``folder``, else ``$INR_STUDIO_KODAK``, else ``shared/data/kodak`` beside the checkout;
    ends the script with one line where it holds no ``kodim*.png``."""
    path = Path(folder or os.environ.get(KODAK_ENV) or REPO.parent / "shared" / "data" / "kodak")
    if not any(path.glob("kodim*.png")):
        fail(f"no Kodak images (kodim*.png) in {path}; set {KODAK_ENV} to their folder")
    return path


def add_kodak_option(parser) -> None:
    """``--kodak DIR`` on an ``argparse`` parser, read by the functions here."""
    parser.add_argument("--kodak", default=None, help=f"the Kodak folder (default: ${KODAK_ENV}, "
                                                      "else shared/data/kodak beside the checkout)")


def kodak_images(folder: str | Path | None = None, limit: int | None = None) -> list[Path]:
    """The first ``limit`` Kodak images of :func:`kodak_dir`, in name order."""
    return sorted(kodak_dir(folder).glob("kodim*.png"))[:limit]


def kodak_image(name: str, folder: str | Path | None = None) -> Path:
    """One Kodak image by name (``kodim05``); ends the script with one line where absent."""
    path = kodak_dir(folder) / f"{name}.png"
    if not path.is_file():
        fail(f"{path.name} is not in {path.parent}")
    return path


def image_or_default(path: str | None) -> str:
    """``path``, or the default test image (:data:`DEFAULT_IMAGE` of the Kodak set)."""
    return path or str(kodak_image(DEFAULT_IMAGE))


def xvfb_helpers() -> ModuleType:
    """The tests' private-X-server helpers (``tests/support/xvfb_helpers.py``)."""
    path = REPO / "tests" / "support" / "xvfb_helpers.py"
    spec = importlib.util.spec_from_file_location("xvfb_helpers", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- pixels ---
def sample_pixels(path: str | None, height: int, width: int) -> np.ndarray:
    """``path`` (default: scikit-image's astronaut) resized to ``height``×``width``, in [0, 1]."""
    import numpy as np

    from inr_studio.imaging import load_image, resize_image

    if path is None:
        from skimage import data

        pixels = data.astronaut().astype(np.float32) / 255.0
    else:
        pixels = load_image(path).pixels
    return resize_image(pixels, height, width)


def long_side_pixels(path: str | Path, side: int) -> np.ndarray:
    """The image at ``path`` with ``side`` px on its longer side (0: as it is)."""
    from inr_studio.imaging import load_image, resize_image, scaled_size

    pixels = load_image(path).pixels
    if side <= 0:
        return pixels
    h, w = pixels.shape[:2]
    return resize_image(pixels, *scaled_size(h, w, side / max(h, w)))


def csv_rows(path: Path) -> list[dict]:
    """The rows of a study's CSV (empty if absent): what a resumed study skips."""
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def parse_size(text: str) -> tuple[int, int]:
    """``"128x192"`` → (128, 192), for ``argparse``'s ``type=``."""
    import argparse

    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"size must be HxW, e.g. 128x192, got {text!r}") from exc
    if h < 2 or w < 2:
        raise argparse.ArgumentTypeError("size must be at least 2x2")
    return h, w


# --- the program's process and the window's CPU settings ---
_TUNED = False


def tune() -> None:
    """``inr_studio.process.tune_process()``, as the program calls it first thing. Refused once
    torch has loaded: OpenMP and the allocator would keep their own settings and the figures
    would not be the program's. A second call (one benchmark importing another) is a no-op."""
    global _TUNED
    if _TUNED:
        return
    if "torch" in sys.modules:
        raise RuntimeError("_bench.tune() must run before torch is imported")
    from inr_studio.process import tune_process

    tune_process()
    _TUNED = True


def cpu_settings(**overrides: object) -> RunSettings:
    """The window's CPU defaults, on the CPU, with ``overrides`` (working size, warm-up...).
    The one place a benchmark reads them from."""
    from inr_studio.ui.session import defaults_for

    return replace(defaults_for("cpu"), device="cpu", **overrides)


def cpu_session(image: str | Path, **overrides: object) -> Session:
    """The window's session on ``image`` at :func:`cpu_settings` (its working image, specs)."""
    from inr_studio.imaging import load_image
    from inr_studio.ui.session import Session

    session = Session(cpu_settings(**overrides).usable())
    session.set_image(load_image(image))
    return session


def session_trainers(session: Session) -> dict[str, Trainer]:
    """One trainer per model of ``session``, as the window's run builds them."""
    from inr_studio.engine.trainer import Trainer
    from inr_studio.problem import FitProblem

    return {spec.key: Trainer(FitProblem.create(session.working, spec.config),
                              session.settings.train_config(), spec.phases)
            for spec in session.model_specs()}


def window_cpu_threads() -> int:
    """The training threads the window gives a CPU run."""
    from inr_studio.ui.training_actions import default_cpu_threads

    return default_cpu_threads()


def window_warm_up() -> None:
    """What the window does once before its first run (first-use imports of the optimiser)."""
    from inr_studio.ui.worker import warm_up

    warm_up()


# --- timing ---
def sync(device: object) -> None:
    """Wait for the device's queued work (CUDA runs asynchronously)."""
    import torch

    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    """Median milliseconds of ``repeat`` calls of ``fn``, after one untimed call."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def load_average() -> str:
    """The 1-minute load average: a shared machine's figures are read beside it."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "n/a"


def stall_figures(late_ms: np.ndarray) -> dict:
    """Max, p99 and median lateness of a probe's ticks (ms), and their number (NaN and 0 where
    the probe never ticked: a very short run on a busy machine)."""
    import numpy as np

    if late_ms.size == 0:
        return {"max_ms": float("nan"), "p99_ms": float("nan"), "p50_ms": float("nan"),
                "ticks": 0}
    return {"max_ms": float(late_ms.max()), "p99_ms": float(np.percentile(late_ms, 99)),
            "p50_ms": float(np.percentile(late_ms, 50)), "ticks": int(late_ms.size)}


# --- the window (Qt loads only when these are called) ---
def scratch_folder(prefix: str) -> Path:
    """A fresh temporary folder, removed when the script ends."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def offscreen_window_env(show: bool = False) -> None:
    """Qt offscreen unless ``show``, and the window's settings in a scratch folder (not the
    user's) unless ``INR_STUDIO_SETTINGS_DIR`` names one."""
    if not show:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if "INR_STUDIO_SETTINGS_DIR" not in os.environ:
        os.environ["INR_STUDIO_SETTINGS_DIR"] = str(scratch_folder("inr-bench-"))


def open_window(image: str | None, size: tuple[int, int] | None = None):
    """(app, window): the main window shown, its engine loaded, ``image`` (default: the bundled
    sample) opened and its maps computed, as after a launch."""
    from PySide6.QtWidgets import QApplication

    from inr_studio.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow(devices=["cpu"])
    if size:
        window.resize(*size)
    window.show()
    window.start_engine()  # the app starts it after the first paint (ui/app.py)
    while not window.engine_ready:
        app.processEvents()
        time.sleep(0.005)
    window.open_initial(image)
    window.wait_loaded()
    return app, window


def stall_probe(interval_ms: int):
    """(timer, ticks): a precise QTimer that appends ``time.perf_counter()`` in ms to
    ``ticks`` at each tick; a tick later than ``interval_ms`` is time the event loop lost."""
    from PySide6.QtCore import Qt, QTimer

    ticks: list[float] = []
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(interval_ms)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter() * 1e3))
    return timer, ticks
