"""A private X server (Xvfb) for tests and benchmarks of the real window on Qt's xcb platform."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from contextlib import contextmanager
from collections.abc import Iterator

XVFB = shutil.which("Xvfb")
WHY_NOT = "Xvfb is not installed (apt-get install xvfb; .ci/run installs it)"


@contextmanager
def xvfb(size: str = "1600x1000x24") -> Iterator[str]:
    """Start Xvfb on a free display number (black background); yield ':N'; stop it after."""
    if XVFB is None:
        raise RuntimeError(WHY_NOT)
    read, write = os.pipe()
    proc = subprocess.Popen([XVFB, "-displayfd", str(write), "-screen", "0", size, "-br",
                             "-nolisten", "tcp"], pass_fds=(write,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    try:
        number = b""
        deadline = time.monotonic() + 20
        while not number.endswith(b"\n") and time.monotonic() < deadline:
            chunk = os.read(read, 16)
            if not chunk:
                break
            number += chunk
        if not number.strip():
            raise RuntimeError("Xvfb did not report a display number")
        yield f":{number.decode().strip()}"
    finally:
        os.close(read)
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def xcb_env(display: str, **extra: str) -> dict[str, str]:
    """This environment on the real display: no offscreen platform (conftest sets it)."""
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", **extra)
    return env
