"""Can Qt's ``xcb`` platform plugin load here? Checked before the QApplication exists.

A missing system library makes Qt print "could not load the Qt platform plugin xcb" and abort
the process (a core dump Python cannot catch). PySide6's wheels ship Qt but not the X11/xcb
libraries its xcb plugin links against, and a fresh Debian/Ubuntu lacks several of them
(docs/qt.md, point 7). So, when the platform will be xcb, each library is dlopen-ed here
(milliseconds) and a missing one becomes one line naming it and the ``apt-get`` command.

The list is what ``ldd`` shows for PySide6's ``plugins/platforms/libqxcb.so`` and
``lib/libQt6XcbQpa.so.6`` outside Qt itself (their own dependencies, such as libpng or libXau,
come with these packages); ``tests/ui/test_platform_check.py`` re-checks it against ``ldd``.
This module imports no Qt.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping, Sequence

#: (shared object, Debian/Ubuntu package providing it), in the order of the apt-get line.
XCB_LIBRARIES: tuple[tuple[str, str], ...] = (
    ("libxcb-cursor.so.0", "libxcb-cursor0"),
    ("libxcb-icccm.so.4", "libxcb-icccm4"),
    ("libxcb-image.so.0", "libxcb-image0"),
    ("libxcb-keysyms.so.1", "libxcb-keysyms1"),
    ("libxcb-randr.so.0", "libxcb-randr0"),
    ("libxcb-render-util.so.0", "libxcb-render-util0"),
    ("libxcb-render.so.0", "libxcb-render0"),
    ("libxcb-shape.so.0", "libxcb-shape0"),
    ("libxcb-shm.so.0", "libxcb-shm0"),
    ("libxcb-sync.so.1", "libxcb-sync1"),
    ("libxcb-xfixes.so.0", "libxcb-xfixes0"),
    ("libxcb-xkb.so.1", "libxcb-xkb1"),
    ("libxcb-util.so.1", "libxcb-util1"),
    ("libxcb.so.1", "libxcb1"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
    ("libxkbcommon.so.0", "libxkbcommon0"),
    ("libX11-xcb.so.1", "libx11-xcb1"),
    ("libX11.so.6", "libx11-6"),
    ("libEGL.so.1", "libegl1"),
    ("libGL.so.1", "libgl1"),
    ("libfontconfig.so.1", "libfontconfig1"),
    ("libfreetype.so.6", "libfreetype6"),
    ("libdbus-1.so.3", "libdbus-1-3"),
    ("libglib-2.0.so.0", "libglib2.0-0"),
    ("libgthread-2.0.so.0", "libglib2.0-0"),
)

APT_PACKAGES: tuple[str, ...] = tuple(dict.fromkeys(pkg for _, pkg in XCB_LIBRARIES))
APT_LINE = "sudo apt-get install " + " ".join(APT_PACKAGES)


def platform_is_xcb(env: Mapping[str, str] | None = None, system: str | None = None) -> bool:
    """True when Qt will use its xcb plugin: Linux, a DISPLAY, and QT_QPA_PLATFORM unset or xcb.

    (A Wayland session with no DISPLAY uses Qt's wayland plugin, which the wheel carries whole.)
    """
    env = os.environ if env is None else env
    system = sys.platform if system is None else system
    if not system.startswith("linux"):
        return False
    requested = env.get("QT_QPA_PLATFORM", "").strip()
    if requested:
        return requested.split(":")[0].split(";")[0] == "xcb"
    return bool(env.get("DISPLAY")) and not env.get("WAYLAND_DISPLAY")


def _loads(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_libraries(libraries: Sequence[tuple[str, str]] = XCB_LIBRARIES,
                      loads: Callable[[str], bool] = _loads) -> list[tuple[str, str]]:
    """The (library, package) pairs that the dynamic loader cannot load."""
    return [(lib, pkg) for lib, pkg in libraries if not loads(lib)]


def problem_line(missing: Sequence[tuple[str, str]]) -> str:
    """One line: what is missing and the command that installs every library the window needs."""
    libs = ", ".join(lib for lib, _ in missing)
    pkgs = " ".join(dict.fromkeys(pkg for _, pkg in missing))
    return (f"inr-studio: error: the window cannot start: Qt's xcb platform needs {libs} "
            f"(package {pkgs}), not found on this system. Install the window's system "
            f"libraries with: {APT_LINE}")


def check_platform(env: Mapping[str, str] | None = None,
                   libraries: Sequence[tuple[str, str]] | None = None,
                   loads: Callable[[str], bool] = _loads,
                   system: str | None = None) -> str | None:
    """None when the window can start; else the one line to print (then exit with code 2)."""
    env = os.environ if env is None else env
    system = sys.platform if system is None else system
    if (system.startswith("linux") and not env.get("QT_QPA_PLATFORM", "").strip()
            and not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY")):
        return ("inr-studio: error: no display to open the window on (DISPLAY and "
                "WAYLAND_DISPLAY are not set). Run it in a desktop session (or under Xvfb); "
                "the command-line tools (inr-studio fit, bench, encode) need no display.")
    if not platform_is_xcb(env, system):
        return None
    missing = missing_libraries(XCB_LIBRARIES if libraries is None else libraries, loads)
    return problem_line(missing) if missing else None
