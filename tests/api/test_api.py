"""The Python API (docs/api.md): images as paths, PIL images or arrays read as the loader reads
files; figures and curves that match the networks returned; .sinr files that round-trip; the
command line's checks and messages as InrStudioErrors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from inr_studio import api
from inr_studio.api import (CodecOptions, ImageLoadError, InrStudioError, OptionError, QatConfig,
                            fit, open_sinr, read_image, save_sinr)
from inr_studio.metrics import psnr

TINY = {"iters": 6, "width": 8, "depth": 2, "lr": 3e-3, "progress": False}


@pytest.fixture(scope="module")
def rgb8(small_image) -> np.ndarray:
    return (small_image * 255).round().astype(np.uint8)


@pytest.fixture(scope="module")
def run(rgb8):
    return fit(rgb8, models=("siren", "hs"), **TINY)


def test_every_form_of_an_image_trains_the_same(tmp_path, rgb8, run) -> None:
    """A PNG path, a PIL image, uint16 and float arrays of the same pixels: the same fit."""
    path = tmp_path / "a.png"
    Image.fromarray(rgb8).save(path)
    rgba = np.dstack([rgb8, np.full(rgb8.shape[:2], 255, np.uint8)])
    for name, image in {"path": str(path), "PIL": Image.open(path)}.items():
        other = fit(image, models="siren", **TINY)
        assert other["siren"].last_psnr == run["siren"].last_psnr, name
    # 16-bit and float samples: the same values up to float32 rounding (x·(1/255) against
    # x·257·(1/65535) or x/255).
    for image in (rgb8.astype(np.uint16) * 257, rgb8.astype(np.float32) / 255):
        other = fit(image, models="siren", **TINY)
        assert other["siren"].last_psnr == pytest.approx(run["siren"].last_psnr, abs=1e-4)
    with pytest.warns(UserWarning, match="alpha channel dropped"):
        assert fit(rgba, models="siren", **TINY)["siren"].last_psnr == run["siren"].last_psnr


def test_gray_and_rgba_arrays_are_read_like_files(rgb8) -> None:
    gray = read_image(rgb8[..., 0])
    assert gray.grayscale and gray.pixels.shape == rgb8.shape
    assert np.array_equal(gray.pixels[..., 0], gray.pixels[..., 2])
    with pytest.warns(UserWarning, match="alpha"):
        la = read_image(np.dstack([rgb8[..., 0], rgb8[..., 0]]))
    assert np.array_equal(la.pixels, gray.pixels)
    assert read_image(np.full((4, 5), 2.0)).pixels.max() == 1.0  # floats clipped to [0, 1]


def test_results_match_their_networks_and_curves(run) -> None:
    assert run.keys() == ("siren", "hs") and len(run) == 2 and run.preset == "cpu"
    assert run.image.shape == (48, 64, 3) and run.source_size == (48, 64)
    for m in run:
        assert m.iters == TINY["iters"] and not m.stopped and m.params > 0 and m.seconds > 0
        assert np.array_equal(m.steps, np.arange(TINY["iters"]))  # each step's PSNR, in order
        assert m.psnr.shape == m.steps.shape and np.isfinite(m.psnr).all()
        assert m.best_psnr >= max(m.last_psnr, m.psnr.max()) - 1e-4  # float32 on the device
        assert 0 <= m.best_step <= m.iters
        # The figures are the returned network's: rendered again, the same PSNR.
        assert psnr(m.render(), run.image) == pytest.approx(m.last_psnr, abs=1e-3)
        assert m.render(30, 20).shape == (30, 20, 3)
    rows = run.rows()
    assert [r["key"] for r in rows] == ["siren", "hs"] and rows[1]["label"] == "HS-LoE"
    with pytest.raises(KeyError, match="was not fitted"):
        run["qt"]


def test_sinr_files_round_trip_at_any_size(tmp_path, run) -> None:
    hs = run["hs"]
    saved = hs.save_sinr(tmp_path / "hs.sinr", CodecOptions(plain=True, bits=12))
    f = open_sinr(saved.path)
    assert saved.file_bytes == saved.path.stat().st_size == f.file_bytes
    assert (f.height, f.width) == run.image.shape[:2]
    assert psnr(f.render(), run.image) == pytest.approx(saved.psnr, abs=1e-3)
    assert saved.psnr == pytest.approx(hs.last_psnr, abs=0.5)  # 12 bits lose little
    assert f.render(96, 128).shape == (96, 128, 3)
    # Quantisation-aware fine-tuning first: a 4-bit file, better than plain 4 bits.
    plain4 = save_sinr(run["siren"], tmp_path / "p4.sinr", CodecOptions(plain=True, bits=4))
    qat4 = save_sinr(run["siren"], tmp_path / "q4.sinr", qat=QatConfig(steps=30, bits=4))
    assert "fine-tuning" in qat4.coding and qat4.file_bytes > 0
    assert qat4.psnr > plain4.psnr


def test_errors_are_the_command_line_s_one_line_messages(tmp_path, rgb8, run) -> None:
    cases = [
        (lambda: fit(rgb8, models="mlp"), OptionError, "unknown model"),
        (lambda: fit(rgb8, models="siren", iters=0), OptionError, "--iters"),
        (lambda: fit(rgb8, models="siren", preset="fast"), OptionError, "unknown preset"),
        (lambda: fit(rgb8, models="siren", long_side=32, scale=0.5), OptionError, "not both"),
        (lambda: fit(rgb8, models="siren", model_options={"seg_classes": 3}), OptionError,
         "hs model"),
        (lambda: fit(tmp_path / "none.png", models="siren"), ImageLoadError, "no such file"),
        (lambda: fit(np.zeros((4, 4, 5)), models="siren"), ImageLoadError, "not an image"),
        (lambda: fit("not an image".encode(), models="siren"), ImageLoadError, "not an image"),
        (lambda: run["hs"].save_sinr(tmp_path, CodecOptions(plain=True)), OptionError, "folder"),
        (lambda: run["hs"].save_sinr(tmp_path / "x.sinr", CodecOptions(bits=10),
                                     QatConfig(steps=2)), OptionError, "bits"),
        (lambda: run["hs"].save_sinr(tmp_path / "x.sinr", CodecOptions(bits=8),
                                     QatConfig(steps=2)), OptionError, "sparsity"),
        (lambda: open_sinr(tmp_path / "x.sinr"), InrStudioError, "x.sinr"),
    ]
    for call, kind, fragment in cases:
        with pytest.raises(kind) as caught:
            call()
        message = str(caught.value)
        assert "\n" not in message and fragment in message, message
    assert not (tmp_path / "x.sinr").exists()


def test_progress_is_a_tqdm_bar_unless_silenced(rgb8, capsys) -> None:
    fit(rgb8, models="siren", **{**TINY, "progress": True})
    assert "fit: 100%" in capsys.readouterr().err
    fit(rgb8, models="siren", **TINY)
    assert capsys.readouterr().err == ""


def test_the_lists_of_models_and_presets_are_the_registry_s() -> None:
    from inr_studio.engine.presets import PRESETS
    from inr_studio.models.registry import REGISTRY

    assert list(api.available_models()) == list(REGISTRY)
    assert list(api.presets()) == list(PRESETS) and "2000 steps" in api.presets()["cpu"]


def test_importing_the_api_loads_no_qt_nor_ray_and_tunes_nothing() -> None:
    code = ("import json, os, sys; before = dict(os.environ); import inr_studio.api; "
            "import inr_studio.process as p; print(json.dumps([dict(os.environ) == before, "
            "p._done is None, sorted(m for m in sys.modules if m.split('.')[0] in "
            "('ray', 'PySide6', 'shiboken6', 'pyqtgraph'))]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [True, True, []]
