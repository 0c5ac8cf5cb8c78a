"""Fixtures of the window tests (pytest-qt, Qt's offscreen platform).

Settings go to a temporary folder (``INR_STUDIO_SETTINGS_DIR``): a test never reads or changes
the user's own settings. Every window a test opens is shut down at its end and must leave no
thread running. Helpers that are not fixtures (drops, waits, PNGs) are in ``ui_helpers``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ui_helpers import TINY, make_window, wait_idle, write_png


@pytest.fixture(autouse=True)
def settings_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "settings"
    folder.mkdir()
    monkeypatch.setenv("INR_STUDIO_SETTINGS_DIR", str(folder))
    return folder


@pytest.fixture
def tiny_png(tmp_path: Path, small_image: np.ndarray) -> Path:
    """A real photograph (astronaut) at 32×32, as a PNG file."""
    from inr_studio.imaging import resize_image

    return write_png(tmp_path / "tiny.png", resize_image(small_image, *TINY))


@pytest.fixture
def other_png(tmp_path: Path, small_image: np.ndarray) -> Path:
    """A second, different 32×24 image (a crop), to check that a drop replaced the image."""
    from inr_studio.imaging import resize_image

    return write_png(tmp_path / "other.png", resize_image(small_image[8:40, 10:60], 24, 32))


@pytest.fixture
def open_window(qtbot):
    """``open_window(path=None, sample=False)``: a shown window (``make_window``'s small CPU
    settings); each is shut down and closed after the test, with no thread left running."""
    opened = []

    def open_(path: str | Path | None = None, sample: bool = False):
        win = make_window(qtbot, path, sample)
        opened.append(win)
        return win

    yield open_
    for win in opened:
        win.shutdown()
        assert win.controller.threads_alive() == 0
        win.close()


@pytest.fixture
def window(open_window, tiny_png: Path):
    """A window on ``tiny_png``."""
    return open_window(tiny_png)


@pytest.fixture
def trained(window, qtbot):
    """``window`` after 12 steps of each of its models."""
    window.panel.iters.setValue(12)
    window.start_training()
    wait_idle(qtbot, window)
    assert set(window.session.trainers) == set(window.session.settings.models)
    return window


@pytest.fixture
def extra_models():
    """Three small SIREN-like registry entries (``fake0``..``fake2``; ``fake2`` trains in two
    phases, the second 4 steps long), removed afterwards: the views must work for any model,
    not only the paper's."""
    from inr_studio.models import registry
    from inr_studio.models.config import make_model_config
    from inr_studio.models.registry import ModelEntry
    from inr_studio.models.spec import Phase

    def make(o):
        return make_model_config("siren", width=o.width, depth=o.depth, omega0=o.omega0)

    def one_phase(o):
        return (Phase(),)

    def two_phases(o):
        return (Phase(), Phase(steps=4, lr_scale=0.5))

    keys = []
    for i, colour in enumerate(("#111111", "#8c564b", "#17becf")):
        entry = registry.register(ModelEntry(f"fake{i}", f"Fake {i}", colour, "a test model",
                                             "Test et al. 2026", make,
                                             two_phases if i == 2 else one_phase))
        keys.append(entry.key)
    yield tuple(keys)
    for key in keys:
        registry.REGISTRY.pop(key, None)
