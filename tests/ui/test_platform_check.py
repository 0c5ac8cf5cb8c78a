"""The check that runs before the QApplication: a missing xcb library is one line and exit 2."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from inr_studio.ui.platform_check import (APT_LINE, XCB_LIBRARIES, check_platform,
                                          missing_libraries, platform_is_xcb)

from paths import REPO

FAKE = ("libinr-studio-missing-xcb.so.7", "libinr-studio-missing7")


def test_xcb_only_where_qt_will_use_it() -> None:
    assert platform_is_xcb({"DISPLAY": ":0"}, "linux")
    assert platform_is_xcb({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, "linux")
    assert not platform_is_xcb({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not platform_is_xcb({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert not platform_is_xcb({"DISPLAY": ":0"}, "darwin")


def test_missing_library_named_with_apt_line() -> None:
    libs = XCB_LIBRARIES + (FAKE,)
    line = check_platform({"DISPLAY": ":0"}, libraries=libs, system="linux")
    assert line is not None and "\n" not in line
    assert FAKE[0] in line and FAKE[1] in line and APT_LINE in line
    # only what is missing is named (every real one loads on this machine or is reported too)
    named = line.split("needs ", 1)[1].split(" (package", 1)[0].split(", ")
    assert FAKE[0] in named
    assert check_platform({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, libraries=libs,
                          system="linux") is None


def test_loader_is_asked_for_each_library() -> None:
    asked: list[str] = []
    missing = missing_libraries(XCB_LIBRARIES, loads=lambda so: asked.append(so) or so != "libxcb-icccm.so.4")
    assert asked == [lib for lib, _ in XCB_LIBRARIES]
    assert missing == [("libxcb-icccm.so.4", "libxcb-icccm4")]


def test_no_display_is_one_line() -> None:
    line = check_platform({}, system="linux")
    assert line is not None and "DISPLAY" in line and "\n" not in line


def test_apt_line_names_the_packages_qt_notes_lists() -> None:
    for pkg in ("libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxcb-image0",
                "libxcb-render-util0", "libxcb-shape0", "libxkbcommon-x11-0", "libegl1",
                "libgl1"):
        assert f" {pkg}" in APT_LINE


def _qt_xcb_libraries() -> list[Path]:
    import importlib.util

    spec = importlib.util.find_spec("PySide6")
    root = Path(spec.submodule_search_locations[0]) / "Qt"
    found = [root / "plugins" / "platforms" / "libqxcb.so"]
    found += sorted((root / "lib").glob("libQt6XcbQpa.so*"))[:1]
    return [p for p in found if p.is_file()]


@pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("ldd") is None,
                    reason="ldd and PySide6's xcb plugin exist on Linux only")
def test_list_covers_what_ldd_says_the_plugin_needs() -> None:
    """Every X11/xcb/GL/font/dbus library the plugin links against is in XCB_LIBRARIES."""
    plugins = _qt_xcb_libraries()
    if not plugins:
        pytest.skip("this PySide6 has no xcb plugin")
    ours = {lib for lib, _ in XCB_LIBRARIES}
    families = ("libxcb", "libX11", "libxkbcommon", "libEGL", "libGL.", "libfontconfig",
                "libfreetype", "libdbus", "libglib", "libgthread")
    needed = set()
    for plugin in plugins:
        out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True).stdout
        for line in out.splitlines():
            name = line.strip().split(" ", 1)[0]
            if name.startswith(families):
                needed.add(name)
    assert needed, "ldd listed nothing"
    assert needed <= ours, f"not checked before start: {sorted(needed - ours)}"


def test_window_entry_exits_2_with_one_line(tmp_path: Path) -> None:
    """The real entry point: no display at all gives one line on stderr and exit code 2
    (before Qt is imported, so Qt never gets to abort)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["INR_STUDIO_SETTINGS_DIR"] = str(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "inr_studio"], capture_output=True, text=True,
                          env=env, timeout=60, cwd=REPO)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "no display" in lines[0]


def test_missing_library_exits_2_through_run_app(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture) -> None:
    """run_app prints the line and returns 2 before any QApplication exists."""
    from inr_studio.ui import app, platform_check

    monkeypatch.setattr(platform_check, "XCB_LIBRARIES", XCB_LIBRARIES + (FAKE,))
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert app.run_app(None) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and FAKE[0] in err[0] and "apt-get install" in err[0]


def test_readme_names_the_apt_line() -> None:
    readme = (REPO / "README.md").read_text()
    assert APT_LINE in readme
    assert APT_LINE.split("install ", 1)[1].split(" ")[0] in (REPO / ".ci" / "run").read_text() \
        or "APT_PACKAGES" in (REPO / ".ci" / "run").read_text()
