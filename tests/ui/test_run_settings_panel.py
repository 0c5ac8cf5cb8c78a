"""Run settings through the window's panel: the memory guard's refusal with its ways out as
buttons, one click applying the way out and training; the CPU warm-up and threads."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import Qt

from ui_helpers import wait_idle, write_png


@pytest.fixture
def short_of_memory(open_window, tmp_path, small_image, monkeypatch):
    """A window on a 96×144 photo (trained at its own size: the CPU default, 256 px, never
    enlarges) whose device has 80 % of what a full-batch run of its models needs."""
    from inr_studio.engine import memory
    from inr_studio.imaging import resize_image

    win = open_window(write_png(tmp_path / "photo.png", resize_image(small_image, 96, 144)))
    win.panel.iters.setValue(3)
    s = win.session
    h, w = s.working.shape[:2]
    need = memory.estimate(s.model_specs(), h, w, None).peak
    monkeypatch.setattr(memory, "free_bytes", lambda device="cpu": int(0.8 * need))
    win.start_training()
    return win


def buttons(window) -> dict[str, object]:
    return {b.text(): b for b in window.messages.buttons}


def test_the_refusal_offers_each_way_out_as_a_button(short_of_memory) -> None:
    win = short_of_memory
    assert win.controller.state == "idle" and win.messages.level == "error"
    assert "free" in win.messages.text() and "--batch-pixels" in win.messages.text()
    texts = list(buttons(win))
    assert len(texts) == 2, texts
    assert texts[0].startswith("Train on ") and texts[0].endswith(" random pixels a step")
    assert texts[1].startswith("Use a ") and texts[1].endswith(" px working size")
    side = int(texts[1].split()[2])
    from inr_studio.ui.session import LONG_SIDES

    assert side in LONG_SIDES and side < 144  # one of the panel's sizes, smaller than now


def size_button(window):
    return next((t, b) for t, b in buttons(window).items() if t.endswith("px working size"))


def test_one_click_on_batches_trains_with_them(short_of_memory, qtbot) -> None:
    win = short_of_memory
    label, button = next(iter(buttons(win).items()))
    n = int(label.split()[2].replace(",", ""))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert not win.messages.isVisible() and win.messages.buttons == []
    assert win.session.settings.batch_pixels == n
    assert win.panel.batch.currentData() == n  # the panel shows what is used
    wait_idle(qtbot, win)
    assert win.session.record is not None and win.session.record.final["hs"]["step"] == 3
    assert win.messages.level != "error", win.messages.text()


def test_one_click_on_size_makes_the_working_copy_then_trains(short_of_memory, qtbot) -> None:
    win = short_of_memory
    label, button = size_button(win)
    side = int(label.split()[2])
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert win.panel.long_side.currentData() == side
    qtbot.waitUntil(lambda: win.session.record is not None, timeout=20_000)
    wait_idle(qtbot, win)
    assert max(win.session.working.shape[:2]) == side  # the guard let it through there
    rec = win.session.record
    assert (rec.height, rec.width) == win.session.working.shape[:2]
    assert rec.final["hs"]["step"] == 3 and win.session.settings.batch_pixels == 0


def test_a_new_message_replaces_the_buttons(short_of_memory) -> None:
    win = short_of_memory
    win.show_error("something else")
    assert win.messages.buttons == [] and win.messages.text() == "something else"


def test_the_warm_up_control_sets_the_runs_schedule(window, qtbot) -> None:
    win = window
    assert win.panel.warmup.value() == 25  # the CPU default, shown as a share of the steps
    assert win.cpu_threads == (os.cpu_count() or 1)  # every core while the window idles
    win.panel.iters.setValue(20)
    win.panel.warmup.setValue(50)
    assert win.session.settings.warmup == 0.5
    win.start_training()
    wait_idle(qtbot, win)
    trainer = win.session.trainers["hs"]
    assert [p.objective for p in trainer.phases] == ["coarse", "pixels"]
    assert [p.steps for p in trainer.phases] == [10, 10] and trainer.steps_done == 20
    assert win.plot.series("hs")[0][-1] == 19  # the curve's steps run on through both


def test_a_value_the_core_refuses_is_shown_and_the_settings_kept(window, monkeypatch) -> None:
    from dataclasses import replace

    from inr_studio.engine.config import TrainConfig
    from inr_studio.errors import OptionError

    win = window
    before = win.session.settings
    monkeypatch.setattr(win.panel, "settings", lambda base: replace(base, warmup=1.5))
    win.panel.iters.setValue(before.iters + 7)  # an edit: the panel's values are read
    assert win.session.settings == before
    with pytest.raises(OptionError) as core:
        TrainConfig(warmup=1.5)
    assert win.messages.level == "error" and win.messages.text() == str(core.value)
    assert win.panel.iters.value() == before.iters  # the panel shows what is kept
