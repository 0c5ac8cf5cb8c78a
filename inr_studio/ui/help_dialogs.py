"""*Help ▸ Keyboard shortcuts* and *Help ▸ About*. The shortcuts are read from the window's own
menu actions (so the list cannot fall behind the menus), plus the keys and mouse gestures of
the image panels; About names the version, PyTorch (once the engine has loaded), the device
a run would use, and the papers the models follow."""

from __future__ import annotations

import html
import sys

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMenuBar, QVBoxLayout, QWidget

from .. import __version__
from ..models.papers import PAPERS

#: What the panels answer to beyond the menus' shortcuts.
GESTURES = (("Space (hold)", "show the original in every panel"),
            ("Mouse wheel", "zoom every panel (the maps' panels each on their own)"),
            ("Drag", "pan every panel"))


def menu_shortcuts(menubar: QMenuBar) -> list[tuple[str, str, str]]:
    """(menu, action, shortcut as the platform writes it) for every action with a shortcut."""
    out = []

    def walk(menu, path: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu(), f"{path} ▸ {action.menu().title().replace('&', '')}")
            elif isinstance(action, QAction) and not action.shortcut().isEmpty():
                out.append((path, action.text().replace("&", ""),
                            action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)))

    for top in menubar.actions():
        if top.menu() is not None:
            walk(top.menu(), top.menu().title().replace("&", ""))
    return out


def _dialog(parent: QWidget, title: str, text: str) -> QDialog:
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(label.textFormat().RichText)
    label.setOpenExternalLinks(False)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(label)
    layout.addWidget(buttons)
    dialog.text = label.text  # what tests read
    return dialog


def shortcuts_dialog(parent: QWidget, menubar: QMenuBar) -> QDialog:
    rows = "".join(f"<tr><td><b>{html.escape(key)}</b></td><td>{html.escape(action)}</td>"
                   f"<td style='color:#666'>{html.escape(menu)}</td></tr>"
                   for menu, action, key in menu_shortcuts(menubar))
    rows += "".join(f"<tr><td><b>{html.escape(key)}</b></td><td>{html.escape(what)}</td>"
                    "<td style='color:#666'>image panels</td></tr>" for key, what in GESTURES)
    return _dialog(parent, "Keyboard shortcuts",
                   f"<table cellspacing='4'>{rows}</table>")


def about_text(device: str | None) -> str:
    """Version, PyTorch, the device and the papers, as rich text."""
    torch = sys.modules.get("torch")  # never imported here: the engine loads it in a thread
    torch_text = getattr(torch, "__version__", None) or "not loaded yet (the engine is loading)"
    papers = "".join(f"<li>{html.escape(p)}</li>" for p in PAPERS)
    return (f"<h3>inr-studio {html.escape(__version__)}</h3>"
            "<p>Implicit neural representations of images, trained side by side.</p>"
            f"<p>PyTorch {html.escape(torch_text)}<br>"
            f"Device: {html.escape(device or 'not known until the engine has loaded')}</p>"
            f"<p>The models follow:</p><ul>{papers}</ul>")


def about_dialog(parent: QWidget, device: str | None) -> QDialog:
    return _dialog(parent, "About inr-studio", about_text(device))
