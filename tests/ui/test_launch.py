"""Launch: what loads before the first paint, the "preparing the engine" state, images loading
off the GUI thread (newest wins), launch errors in the message bar, the status bar, resources."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from paths import PACKAGE, REPO
from ui_helpers import write_png

BEFORE_PAINT = r"""
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication
from inr_studio.ui.main_window import MainWindow
from inr_studio.ui import app as app_module
app = QApplication(sys.argv[:1])
w = MainWindow(deferred_views=True)
w.show()
app.processEvents()
heavy = [m for m in ("torch", "scipy", "skimage", "pyqtgraph", "inr_studio.ui.worker")
         if m in sys.modules]
print("HEAVY", heavy)
print("START", w.panel.start_btn.isEnabled(), w.panel.start_btn.text())
w.close()
"""


def _py(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, INR_STUDIO_SETTINGS_DIR=str(tmp_path),
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=env, cwd=REPO)


def test_window_paints_before_torch_scipy_skimage_pyqtgraph(tmp_path: Path) -> None:
    proc = _py(BEFORE_PAINT, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "HEAVY []" in proc.stdout, proc.stdout
    assert "START False Preparing…" in proc.stdout


def test_the_run_states_have_one_home() -> None:
    """Only ``run_states`` declares them; the controller and the engine loader's stand-in
    (idle until the engine is loaded) use those very values."""
    import ast

    from inr_studio.ui import engine_loader, run_controller, run_states

    names = {"IDLE", "RUNNING", "PAUSED", "STOPPING"}
    for path in (PACKAGE / "ui").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        stored = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
                  and isinstance(n.ctx, ast.Store)}
        assert not stored & names or path.name == "run_states.py", path.name
    assert engine_loader.PendingController.state is run_states.IDLE
    assert all(getattr(run_controller, n) is getattr(run_states, n) for n in names)


def test_preparing_engine_disables_only_start_and_sinr(qtbot, tiny_png: Path) -> None:
    from inr_studio.ui.main_window import MainWindow

    window = MainWindow(devices=["cpu"], deferred_views=True)
    qtbot.addWidget(window)
    window.show()
    try:
        assert window.compare is None  # views come with pyqtgraph, after the first paint
        assert not window.panel.start_btn.isEnabled()
        assert "preparing the engine" in window.state_label.text()
        assert "preparing the engine" in window.device_label.text()
        sinr = [w for w in window._engine_widgets if "sinr" in w.text().lower()]
        assert sinr and not any(w.isEnabled() for w in sinr)
        assert window.panel.settings_box.isEnabled()  # the rest works meanwhile
        window.open_image(str(tiny_png))  # images open before the engine is there
        assert window.wait_loaded() and window.session.name == "tiny.png"
        window.start_training()
        assert "being prepared" in window.messages.text()
        window.start_engine()
        qtbot.waitUntil(lambda: window.engine_ready, timeout=60_000)
        assert window.compare is not None and window.compare.original is not None
        assert window.panel.start_btn.isEnabled() and window.panel.start_btn.text() == "Start"
        assert all(w.isEnabled() for w in sinr)
        assert "cpu" in window.device_label.text()
    finally:
        window.shutdown()
        window.close()


def test_newer_drop_supersedes_slower_load(window, tmp_path: Path, small_image) -> None:
    """A large image still loading is cancelled by a newer drop: only the newest is shown."""
    from inr_studio.imaging import resize_image

    slow = write_png(tmp_path / "slow.png", resize_image(small_image, 1500, 2000))
    quick = write_png(tmp_path / "quick.png", small_image)
    shown: list[str] = []
    window.loader.imageReady.connect(lambda stage: shown.append(Path(stage.path).name))
    first = window.loader.generation
    window.open_image(str(slow))
    window.open_image(str(quick))
    assert window.loader.generation == first + 2
    assert window.wait_loaded()
    assert shown == ["quick.png"] and window.session.name == "quick.png"
    assert window.session.maps is not None and window.loader.threads_alive() == 0


def test_stale_job_results_are_dropped(window) -> None:
    from inr_studio.errors import InrStudioError
    from inr_studio.ui.session import ImageStage

    seen: list = []
    window.loader.imageReady.connect(seen.append)
    window.loader.failed.connect(seen.append)
    stale = window.loader.generation - 1
    # as if queued by a load that has since been replaced
    window.loader.lane._on_produced(
        stale, ImageStage(window.session.image, window.session.working, "x"))
    window.loader.lane._on_raised(stale, InrStudioError("old"))
    assert seen == []


def test_settings_change_reworks_off_thread(window, qtbot) -> None:
    panel = window.panel
    from PySide6.QtWidgets import QApplication

    panel.long_side.setCurrentIndex(panel.long_side.findData(0))  # the image's size, 32 px
    assert window.wait_loaded()
    before = window.session.working
    panel.long_side.setCurrentIndex(panel.long_side.findData(64))  # no change needed: 32 < 64
    maps_before = window.session.maps
    panel.depth.setValue(window.session.settings.depth + 1)  # new maps, in the loader thread
    assert window.loader.busy
    QApplication.processEvents()
    assert window.wait_loaded()
    assert window.session.working is before and window.session.maps is not maps_before
    assert len(window.session.maps.layers["hs"]) == window.session.settings.layers


def test_bad_launch_file_message_stays_over_sample(open_window, tmp_path: Path) -> None:
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    window = open_window()
    window.open_initial(str(bad))
    assert window.wait_loaded()
    assert window.session.name == "astronaut.png"  # the sample behind the message
    assert window.messages.level == "error" and "broken.png" in window.messages.text()
    assert window.messages.isVisible()
    assert not window.messages._timer.isActive()  # errors stay until closed: no hide pending
    status = window.statusBar().currentMessage()
    assert status and window.messages.text().startswith(status.rstrip("…"))


def test_bad_sinr_at_launch_message_over_sample(open_window, tmp_path: Path) -> None:
    bad = tmp_path / "damaged.sinr"
    bad.write_bytes(b"SINR" + b"\0" * 20)
    window = open_window()
    window.open_initial(str(bad))
    assert window.wait_loaded()
    assert window.session.name == "astronaut.png"
    assert window.messages.level == "error" and "damaged.sinr" in window.messages.text()


def test_status_text_is_cut_at_its_end_never_its_start(qtbot) -> None:
    from inr_studio.ui.status_line import ElidedLabel, short_status

    long = "kodim23_with_a_really_long_name_from_a_phone.png · 6000×4000 · working 128×85"
    label = ElidedLabel(long)
    qtbot.addWidget(label)
    label.resize(120, 20)
    label.show()
    shown = label.visible_text()
    assert shown.endswith("…") and long.startswith(shown[:-1]) and len(shown) < len(long)
    assert label.minimumSizeHint().width() <= 40 and label.toolTip() == long
    text = ("broken.png could not be read as an image (image file is truncated). Is it a "
            "complete PNG, JPEG, TIFF, WebP or BMP file?")
    assert short_status(text) == "broken.png could not be read as an image (image file is truncated)."
    assert short_status("x" * 300).endswith("…") and len(short_status("x" * 300)) == 90


def test_icon_and_desktop_file() -> None:
    from PySide6.QtGui import QImage

    from inr_studio.ui.resources import ICON_SIZES, app_icon, icon_files, resource_path

    files = icon_files()
    assert files[0].name == "inr-studio.svg" and len(files) == 1 + len(ICON_SIZES)
    for n in ICON_SIZES:
        img = QImage(str(resource_path(f"icons/inr-studio-{n}.png")))
        assert (img.width(), img.height()) == (n, n)
        assert img.pixelColor(n // 2, n // 2).alpha() == 255  # drawn, not blank
    assert not app_icon().isNull() and len(app_icon().availableSizes()) == len(ICON_SIZES)
    entry = dict(line.split("=", 1) for line in
                 resource_path("inr-studio.desktop").read_text().splitlines() if "=" in line)
    assert entry["Type"] == "Application" and entry["Icon"] == "inr-studio"
    assert entry["Exec"].startswith("inr-studio")


def test_installed_package_finds_its_resources(tmp_path: Path) -> None:
    """A non-editable install (wheel built from this tree, installed into a folder) finds the
    icon through importlib.resources, far from the checkout."""
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "--no-build-isolation", "-q", "-w", str(wheels), str(REPO)],
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next(wheels.glob("inr_studio-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "inr_studio/resources/inr-studio.svg" in names
    assert "inr_studio/resources/inr-studio.desktop" in names
    assert "inr_studio/resources/icons/inr-studio-256.png" in names
    site = tmp_path / "site"
    inst = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                           "--target", str(site), str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert inst.returncode == 0, inst.stderr[-2000:]
    code = ("from inr_studio.ui.resources import resource_dir, icon_files; import inr_studio;"
            "print(inr_studio.__file__); print(resource_dir()); print(len(icon_files()))")
    env = dict(os.environ, PYTHONPATH=str(site))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    package, found, count = out.stdout.split()
    assert package.startswith(str(site)) and found.startswith(str(site)), out.stdout
    assert int(count) == 8


ENGINE_COVERS = r"""
import os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
import numpy as np
from PySide6.QtWidgets import QApplication
from inr_studio.ui.main_window import MainWindow
app = QApplication(sys.argv[:1])
w = MainWindow(devices=["cpu"])
w.start_engine()
t0 = time.time()
while not w.engine_ready and time.time() - t0 < 120:
    app.processEvents(); time.sleep(0.01)
before = set(sys.modules)
import torch
from inr_studio.metrics import psnr, ssim
from inr_studio.segmentation import segment
from inr_studio.imaging import resize_image
img = np.random.default_rng(0).random((16, 16, 3)).astype(np.float32)
ssim(img, img); psnr(img * 0.5, img); segment(img); resize_image(img, 8, 8)
torch.optim.Adam([torch.zeros(1, requires_grad=True)])
late = sorted(m for m in set(sys.modules) - before if m.split(".")[0] in ("scipy", "skimage", "torch"))
print("LATE", late[:20])
w.shutdown()
"""


def test_engine_loader_imports_what_a_run_first_touches(tmp_path: Path) -> None:
    """Whatever training and its previews import on first use (scipy.stats through SSIM,
    torch._dynamo through Adam) is imported by the loader: in the worker it froze the window
    for 0.4 s after Start."""
    proc = _py(ENGINE_COVERS, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "LATE []" in proc.stdout, proc.stdout
