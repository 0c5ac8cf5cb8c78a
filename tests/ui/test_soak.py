"""Long use: 100 cycles of open → Start → a few steps → Stop, and 20 more with the export
dialog opened and closed, in one window (``benchmarks/soak.py``, in a fresh process so its
memory is the window's alone): resident memory grows by at most 10 % after the first 10
cycles, every thread started is gone at the end, and Qt prints no warning."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from paths import REPO


def test_a_hundred_cycles_leave_no_trace(tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    env = dict(os.environ, INR_STUDIO_SETTINGS_DIR=str(tmp_path / "settings"),
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "soak.py"),
                           "--cycles", "100", "--dialog-cycles", "20", "--json", str(out)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    figures = json.loads(out.read_text()) if out.is_file() else {}
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert len(figures["rss_mb"]) == 120 and figures["ok"]
    assert max(figures["rss_mb"][10:]) <= 1.10 * figures["rss_mb"][9]
    assert figures["threads"][-1] == figures["threads"][0]
    assert figures["warnings"] == []
