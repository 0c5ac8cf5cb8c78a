"""The core (everything outside inr_studio.ui) never imports Qt: it runs headless in the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

from paths import REPO


SCRIPT = r"""
import importlib, json, pkgutil, sys
import inr_studio
names = ["inr_studio", "inr_studio.engine.side_by_side", "inr_studio.cli.main", "inr_studio.checkpoint"]
for info in pkgutil.walk_packages(inr_studio.__path__, "inr_studio."):
    if info.name.startswith("inr_studio.ui") or info.name == "inr_studio.__main__":
        continue
    names.append(info.name)
for name in names:
    importlib.import_module(name)
from inr_studio.cli.main import build_parser
build_parser()  # imports every sub-command module
qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph"))
print(json.dumps({"imported": sorted(set(names)), "qt": qt}))
"""


def test_core_modules_import_no_qt() -> None:
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["qt"] == [], f"Qt imported by the core: {report['qt']}"
    expected = {"inr_studio.coords", "inr_studio.imaging", "inr_studio.models.network",
                "inr_studio.render", "inr_studio.cli.fit_cmd", "inr_studio.cli.bench_cmd"}
    assert expected <= set(report["imported"])  # the walk really found the core modules
