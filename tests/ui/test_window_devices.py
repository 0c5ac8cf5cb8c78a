"""The window on each device, and what a GPU changes for it: CUDA starts in the engine's loading
thread (not at the first Start, on the GUI thread), and a finished run's networks do not hold
memory that the next Start needs."""

from __future__ import annotations

import gc
import threading
import weakref

import numpy as np
import pytest


from ui_helpers import *  # noqa: E402,F403
from ui_helpers import wait_idle  # noqa: E402


def test_the_window_trains_the_four_models_on_each_device(qtbot, tiny_png, device) -> None:
    from inr_studio.ui.main_window import MainWindow

    window = MainWindow(devices=[device])
    qtbot.addWidget(window)
    window.show()
    window.start_engine()
    qtbot.waitUntil(lambda: window.engine_ready, timeout=60_000)
    try:
        assert window.open_image(str(tiny_png)) and window.wait_loaded()
        window.panel.width_.setValue(16)
        window.panel.iters.setValue(40)
        frames = []
        window.controller.previewed.connect(frames.append)
        window.panel.start_btn.click()
        wait_idle(qtbot, window)
        assert window.messages.level != "error", window.messages.text()
        assert frames and frames[-1].final
        assert window.session.record.device.startswith(device)
        for kind in ("siren", "ftc", "qt", "hs"):
            steps, psnr = window.plot.series(kind)
            assert len(steps) == 40 and np.all(np.isfinite(psnr)) and psnr[-1] > psnr[0] + 2
            assert window.session.trainers[kind].device.type == device
    finally:
        window.shutdown()
        window.close()


def test_cuda_starts_in_the_engine_loading_thread(qtbot, monkeypatch) -> None:
    import torch

    from inr_studio.ui.engine_loader import EngineLoader

    started = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "init", lambda: started.append(threading.get_ident()))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i=None: "Fake GPU")
    loader = EngineLoader()
    with qtbot.waitSignal(loader.ready, timeout=60_000) as ready:
        loader.start()
    loader.wait()
    assert ready.args[0][0] == "cuda"
    assert len(started) == 1 and started[0] != threading.get_ident()  # not the GUI thread


def _train_to_end(window, qtbot) -> weakref.ref:
    window.panel.iters.setValue(5)
    window.start_training()
    wait_idle(qtbot, window)
    assert window.session.trainers, window.messages.text()
    return weakref.ref(window.session.trainers["hs"].model)


def test_a_finished_runs_networks_are_freed_when_the_next_run_starts(window, qtbot) -> None:
    first = _train_to_end(window, qtbot)
    second = _train_to_end(window, qtbot)
    gc.collect()
    assert first() is None and second() is not None  # the last run stays, for saving


def test_a_start_refused_only_because_of_the_last_run_lets_it_go_and_starts(
        window, qtbot, monkeypatch) -> None:
    """The guard reads free memory while the last run's networks are still held (for saving);
    if it refuses then, they are let go (Start replaces them anyway) and it reads again."""
    from inr_studio.engine import memory

    held = _train_to_end(window, qtbot)
    s = window.session
    need = memory.estimate(s.model_specs(), *s.working.shape[:2]).needed
    # the old run's networks take half of what the new one needs, while they live
    monkeypatch.setattr(memory, "free_bytes",
                        lambda device="cpu": need if held() is None else need // 2)
    window.start_training()
    wait_idle(qtbot, window)
    assert window.messages.level != "error", window.messages.text()
    assert held() is None and window.session.trainers
