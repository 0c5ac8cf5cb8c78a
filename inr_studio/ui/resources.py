"""Where the application's assets are: the installed ``inr_studio.resources`` package, else the
``resources/`` folder of a checkout (an editable install or ``PYTHONPATH``)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources as importlib_resources
from pathlib import Path

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)
DESKTOP_FILE_NAME = "inr-studio"  # the .desktop file's name without suffix (taskbar grouping)


@lru_cache(maxsize=1)
def resource_dir() -> Path | None:
    """The folder holding ``inr-studio.svg``, or None if this installation has none."""
    try:
        root = importlib_resources.files("inr_studio.resources")
        candidate = Path(str(root))
        if (candidate / "inr-studio.svg").is_file():
            return candidate
    except (ModuleNotFoundError, TypeError):
        pass
    checkout = Path(__file__).resolve().parents[2] / "resources"
    return checkout if (checkout / "inr-studio.svg").is_file() else None


def resource_path(name: str) -> Path | None:
    """``name`` (e.g. ``icons/inr-studio-32.png``) inside the resources, if present."""
    root = resource_dir()
    if root is None:
        return None
    path = root / name
    return path if path.is_file() else None


def icon_files() -> list[Path]:
    """The SVG and every PNG size present."""
    names = ["inr-studio.svg"] + [f"icons/inr-studio-{n}.png" for n in ICON_SIZES]
    return [p for p in (resource_path(n) for n in names) if p is not None]


def app_icon():
    """A QIcon with every PNG size (an empty icon where the files are missing). The PNGs are
    rendered from the SVG (``resources/render_icons.py``); loading the SVG itself would load
    Qt's SVG plugin before the first paint."""
    from PySide6.QtGui import QIcon

    icon = QIcon()
    for path in icon_files():
        if path.suffix == ".png":
            icon.addFile(str(path))
    return icon
