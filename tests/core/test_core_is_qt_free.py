"""The core (everything outside inr_studio.ui) never imports Qt: it runs headless in the CLI.
Nor does it import Ray, an optional extra loaded only by ``--ray``."""

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
for command in ("bench", "rd"):
    try:
        build_parser().parse_args([command, "--help"])
    except SystemExit:
        pass
qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph"))
ray = sorted(m for m in sys.modules if m.split(".")[0] == "ray")
print(json.dumps({"imported": sorted(set(names)), "qt": qt, "ray": ray}))
"""


def test_core_modules_import_no_qt() -> None:
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["qt"] == [], f"Qt imported by the core: {report['qt']}"
    assert report["ray"] == [], f"Ray imported without --ray: {report['ray']}"
    expected = {"inr_studio.coords", "inr_studio.imaging", "inr_studio.models.network",
                "inr_studio.render", "inr_studio.cli.fit_cmd", "inr_studio.cli.bench_cmd",
                "inr_studio.api", "inr_studio.studies.tasks"}
    assert expected <= set(report["imported"])  # the walk really found the core modules
