"""The latent-grid model from the command line: ``encode --model latent``, ``info``, ``decode``
at any size, ``fit``, ``rd --ladder`` with a λ ladder, and the options it refuses."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from inr_studio.cli.main import main
from inr_studio.codec import read_sinr
from inr_studio.imaging import load_image, save_png


@pytest.fixture
def image(tmp_path, small_image):
    path = tmp_path / "img.png"
    save_png(path, small_image[:24, :32])
    return path


LATENT = ["--model", "latent", "--iters", "120", "--quiet"]


def test_encode_info_decode_end_to_end(tmp_path, image, capsys) -> None:
    out = tmp_path / "img.sinr"
    assert main(["encode", str(image), "-o", str(out), "--lambda", "0.003", *LATENT]) == 0
    line = capsys.readouterr().out
    assert "latent grids" in line and "λ = 0.003" in line
    decoded = float(re.search(r"([\d.]+) dB decoded", line).group(1))
    f = read_sinr(out)
    assert f.header["format_version"] == 3 and f.file_bytes == out.stat().st_size
    assert decoded > 15

    assert main(["info", str(out)]) == 0
    info = capsys.readouterr().out
    assert "latent grids" in info and "weights" in info and "latents" in info
    total = re.search(r"^total\s+([\d,]+)", info, re.M).group(1)
    assert int(total.replace(",", "")) == out.stat().st_size
    assert main(["info", str(out), "--json"]) == 0
    js = json.loads(capsys.readouterr().out)
    assert js["header"]["family"] == "latent grids" and js["sections"]["latents"] > 0

    png = tmp_path / "big.png"
    assert main(["decode", str(out), "-o", str(png), "--size", "50x40"]) == 0
    assert load_image(png).pixels.shape == (40, 50, 3)
    same = tmp_path / "same.png"
    assert main(["decode", str(out), "-o", str(same)]) == 0
    np.testing.assert_array_equal(np.round(load_image(same).pixels * 255),
                                  np.round(f.render() * 255))


def test_a_target_psnr_steers_lambda(tmp_path, image, capsys) -> None:
    out = tmp_path / "t.sinr"
    assert main(["encode", str(image), "-o", str(out), "--target-psnr", "22", *LATENT]) == 0
    line = capsys.readouterr().out
    assert "λ reached" in line and "for 22 dB" in line


def test_options_of_other_files_and_models_are_refused(tmp_path, image, capsys) -> None:
    rc = main(["encode", str(image), "-o", str(tmp_path / "x.sinr"), "--plain", *LATENT])
    assert rc == 2 and "--plain applies to coordinate networks" in capsys.readouterr().err
    rc = main(["encode", str(image), "-o", str(tmp_path / "x.sinr"), "--model", "siren",
               "--lambda", "0.01", "--quiet"])
    assert rc == 2 and "--lambda only applies to the latent model" in capsys.readouterr().err
    rc = main(["rd", str(image), "--models", "latent"])
    assert rc == 2 and "add --ladder" in capsys.readouterr().err
    rc = main(["encode", str(image), "-o", str(tmp_path / "x.sinr"), "--scale", "50", *LATENT])
    assert rc == 2 and "use a smaller --scale" in capsys.readouterr().err  # before training
    assert not (tmp_path / "x.sinr").exists()


def test_fit_writes_a_checkpoint_that_encode_sends_back_to_the_image(tmp_path, image,
                                                                      capsys) -> None:
    out = tmp_path / "fit"
    assert main(["fit", str(image), "--out", str(out), "--lambda", "0.003", *LATENT]) == 0
    assert (out / "reconstruction.png").is_file()
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"] == "latent" and metrics["psnr"] > 15
    capsys.readouterr()
    rc = main(["encode", str(out / "checkpoint.safetensors"), "-o", str(tmp_path / "c.sinr")])
    assert rc == 2 and "encode IMAGE --model latent" in capsys.readouterr().err


def test_rd_ladder_measures_a_lambda_ladder(tmp_path, image) -> None:
    rc = main(["rd", str(image), "--ladder", "--scale", "1", "--models", "latent:500@60",
               "--lambdas", "0.03,0.01,0.003,0.001", "--out", str(tmp_path / "rd")])
    assert rc == 0
    table = (tmp_path / "rd" / "ladder.md").read_text()
    assert table.count("| latent:500 | lambda-") == 4
    assert "| latent:500 | latent |" in table and "60 steps per latent-model λ" in table
