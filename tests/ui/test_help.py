"""Help ▸ Keyboard shortcuts lists every shortcut of the menus (read from them) and the
panels' keys; Help ▸ About names the version, PyTorch, the device and the papers, cited as
docs/models.md cites them."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("pytestqt")

from paths import REPO
from ui_helpers import *  # noqa: F403


def test_shortcuts_list_every_menu_shortcut(window, qtbot) -> None:
    from PySide6.QtGui import QAction, QKeySequence

    dialog = window.show_shortcuts(modal=False)
    text = dialog.text()
    keys = [a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            for a in window.findChildren(QAction) if not a.shortcut().isEmpty()]
    assert len(keys) >= 12
    for key in keys:
        assert f"<b>{key}</b>" in text, key
    for name in ("Open run…", "Save run…", "Fit the panels to the window", "Start", "Edges"):
        assert name in text
    assert "Space (hold)" in text and "Mouse wheel" in text
    dialog.close()


def test_about_names_version_torch_device_and_papers(window, qtbot) -> None:
    import html

    import torch

    from inr_studio import __version__
    from inr_studio.models.papers import PAPERS

    dialog = window.show_about(modal=False)
    text = html.unescape(dialog.text())
    assert f"inr-studio {__version__}" in text and f"PyTorch {torch.__version__}" in text
    assert "Device: cpu (" in text
    for paper in PAPERS:
        assert paper in text
    dialog.close()


def test_about_before_the_engine_loads(qtbot) -> None:
    from inr_studio.ui.help_dialogs import about_text

    assert "not known until the engine has loaded" in about_text(None)


def test_papers_are_cited_as_in_the_models_page() -> None:
    from inr_studio.models.papers import PAPERS

    page = (REPO / "docs" / "models.md").read_text(encoding="utf-8")
    page = re.sub(r"\s+", " ", page.replace("**", "").replace("*", ""))
    for paper in PAPERS:
        assert paper in page, paper
