"""The QSettings store: window geometry, recent files and the last run settings, kept between
sessions (the settings types themselves are :class:`~inr_studio.ui.session.RunSettings` and the
core's configurations).

``INR_STUDIO_SETTINGS_DIR`` points the store at ``<dir>/inr-studio.ini`` instead of the user's
own settings: tests set it to a temporary folder so they never read or change a user's choices.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

ORGANISATION = "inr-studio"
APPLICATION = "inr-studio"
ENV_DIR = "INR_STUDIO_SETTINGS_DIR"
MAX_RECENT = 8


class SettingsStore:
    """A thin wrapper: typed getters that fall back to defaults on anything malformed."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        if qsettings is None:
            folder = os.environ.get(ENV_DIR)
            if folder:
                qsettings = QSettings(str(Path(folder) / "inr-studio.ini"),
                                      QSettings.Format.IniFormat)
            else:
                qsettings = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                                      ORGANISATION, APPLICATION)
        self.q = qsettings

    # --- run settings (stored as one JSON object, validated on load by RunSettings) ---
    def run_settings(self) -> dict:
        raw = self.q.value("run/settings", "")
        try:
            data = json.loads(raw) if isinstance(raw, str) and raw else {}
        except json.JSONDecodeError:
            return {}
        return data if isinstance(data, dict) else {}

    def set_run_settings(self, data: dict) -> None:
        self.q.setValue("run/settings", json.dumps(data, sort_keys=True))

    # --- view preferences (not run settings: they change no result) ---
    def view_value(self, key: str, default: int, lo: int, hi: int) -> int:
        """A stored whole number in [lo, hi]; ``default`` when absent or unreadable."""
        try:
            value = int(self.q.value(f"view/{key}", default))
        except (TypeError, ValueError):
            return default
        return value if lo <= value <= hi else default

    def set_view_value(self, key: str, value: int) -> None:
        self.q.setValue(f"view/{key}", int(value))

    # --- recent files ---
    def recent_files(self) -> list[str]:
        raw = self.q.value("files/recent", "")
        try:
            items = json.loads(raw) if isinstance(raw, str) and raw else []
        except json.JSONDecodeError:
            return []
        return [str(p) for p in items if isinstance(p, str)][:MAX_RECENT]

    def add_recent_file(self, path: str) -> list[str]:
        path = str(Path(path).resolve())
        items = [path] + [p for p in self.recent_files() if p != path]
        items = items[:MAX_RECENT]
        self.q.setValue("files/recent", json.dumps(items))
        return items

    def last_image(self) -> str | None:
        value = self.q.value("files/last_image", "")
        return value if isinstance(value, str) and value else None

    def set_last_image(self, path: str) -> None:
        self.q.setValue("files/last_image", str(path))

    # --- window geometry ---
    def geometry(self) -> tuple[QByteArray | None, QByteArray | None]:
        geo = self.q.value("window/geometry")
        state = self.q.value("window/state")
        return (geo if isinstance(geo, QByteArray) else None,
                state if isinstance(state, QByteArray) else None)

    def set_geometry(self, geometry: QByteArray, state: QByteArray) -> None:
        self.q.setValue("window/geometry", geometry)
        self.q.setValue("window/state", state)

    def sync(self) -> None:
        self.q.sync()
