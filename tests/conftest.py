"""Shared test set-up: Qt runs offscreen (set before anything imports Qt: the platform is chosen
once, when the application starts), the process is tuned as the program tunes it, and the
fixtures every folder uses."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The test process runs the window and trains like the program does: tuned the program's way
# (OpenMP's short spins, the allocator) before anything loads torch.
from inr_studio.process import tune_process  # noqa: E402

tune_process()

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from images import astronaut  # noqa: E402
from paths import KODAK_DIR  # noqa: E402


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that drive a window need pytest-qt (the test extra): without it they skip; every
    other test runs, those that import Qt without a window included."""
    try:
        import pytestqt  # noqa: F401
    except ImportError:
        skip = pytest.mark.skip(reason="pytest-qt is not installed (pip install -e '.[test]')")
        for item in items:
            if "qtbot" in getattr(item, "fixturenames", ()):
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tests use tiny tensors: one torch thread is faster, and on a 2-core machine shared with
    other processes OpenMP's spinning threads slowed small steps ~40× (227 vs 4.8 ms, measured).
    The window's worker makes the same choice for training. Restored after each test."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def kodak_dir() -> Path:
    """The Kodak set beside the checkout; tests that need it skip with the reason where absent."""
    if not (KODAK_DIR / "kodim01.png").is_file():
        pytest.skip(f"Kodak images not found at {KODAK_DIR} (set INR_STUDIO_KODAK to their folder)")
    return KODAK_DIR


@pytest.fixture(scope="session")
def small_image() -> np.ndarray:
    """A real photograph (scikit-image's astronaut), 48×64, float32 RGB in [0, 1]."""
    return astronaut(48, 64)


@pytest.fixture(scope="session")
def tiny_image(small_image: np.ndarray) -> np.ndarray:
    """The same photograph at 16×24: a few milliseconds a training step."""
    from inr_studio.imaging import resize_image

    return resize_image(small_image, 16, 24)


def _devices_here() -> list[str]:
    """Every device this machine can train on: the CPU always, CUDA and MPS where present."""
    import torch

    out = ["cpu"]
    if torch.cuda.is_available():
        out.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        out.append("mps")
    return out


@pytest.fixture(params=_devices_here())
def device(request) -> str:
    """A device name ("cpu", "cuda", "mps"): a test that takes it runs once per device present,
    so the same suite checks a GPU the moment it runs on one."""
    return request.param
