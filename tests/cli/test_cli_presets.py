"""Every sub-command trains with a named preset (the device's unless ``--preset`` names one),
options override its values, the run says which it used, and a long run says so first."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from inr_studio.cli.main import main
from inr_studio.engine.config import TrainConfig
from inr_studio.engine.trainer import Trainer
from inr_studio.errors import OptionError
from inr_studio.imaging import resize_image, save_png
from inr_studio.ui.session import RunSettings


def cli(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse's own errors
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, small_image) -> Path:
    path = tmp_path_factory.mktemp("tiny") / "tiny.png"
    save_png(path, resize_image(small_image, 12, 16))
    return path


@pytest.fixture(scope="module")
def photo(tmp_path_factory, small_image) -> Path:
    """Larger than the CPU preset's working size."""
    path = tmp_path_factory.mktemp("photo") / "photo.png"
    save_png(path, resize_image(small_image, 300, 450))
    return path


def test_fit_on_a_cpu_uses_the_cpu_preset_at_its_working_size(tmp_path, photo, capsys) -> None:
    out = tmp_path / "cpu"
    rc, _, err = cli(["fit", str(photo), "--model", "siren", "--iters", "3", "--device", "cpu",
                      "--out", str(out)], capsys)
    assert rc == 0, err
    m = json.loads((out / "metrics.json").read_text())
    assert m["preset"] == "cpu" and m["lr"] == 1e-3 and m["warmup"] == 0.25
    assert m["model_config"]["width"] == 64 and m["iters"] == 3
    assert (m["height"], m["width"]) == (171, 256)  # the preset's 256 px, not the full 300×450
    assert m["scale"] == pytest.approx(171 / 300)
    line = next(ln for ln in err.splitlines() if "training with" in ln)
    assert "the cpu preset, the device's" in line and "--iters 3" in line
    assert m["protocol"] in line and "warning" not in err


def test_an_explicit_preset_and_options_override_the_devices(tmp_path, photo, capsys) -> None:
    out = tmp_path / "paper"
    rc, _, err = cli(["fit", str(photo), "--model", "siren", "--iters", "2", "--device", "cpu",
                      "--preset", "paper", "--width", "8", "--long-side", "60", "--out", str(out),
                      "--quiet"], capsys)
    assert rc == 0, err
    m = json.loads((out / "metrics.json").read_text())
    assert m["preset"] == "paper" and m["lr"] == 1e-4 and m["warmup"] == 0.0
    assert m["model_config"]["width"] == 8 and (m["height"], m["width"]) == (40, 60)
    assert m["tile_scale"] == "paper" and "--long-side 60" in m["protocol"]
    assert "TF32" not in m["protocol"]
    rc, _, err = cli(["fit", str(photo), "--model", "siren", "--iters", "2", "--device", "cpu",
                      "--preset", "gpu", "--no-tf32", "--width", "8", "--long-side", "60",
                      "--out", str(tmp_path / "gpu"), "--quiet"], capsys)
    assert rc == 0, err
    m = json.loads((tmp_path / "gpu" / "metrics.json").read_text())
    assert m["preset"] == "gpu" and m["tf32"] is False and "--no-tf32" in m["protocol"]
    rc, _, err = cli(["fit", str(photo), "--long-side", "64", "--scale", "0.5"], capsys)
    assert rc == 2 and "not allowed with" in err


class SlowDevice:
    """Each training step reads 4 s on the forecast's clock: a slow device, without waiting."""

    def __init__(self, monkeypatch) -> None:
        from inr_studio.engine import forecast

        self.now = 0.0
        real = Trainer.step

        def step(trainer):
            self.now += 4.0
            return real(trainer)

        monkeypatch.setattr(Trainer, "step", step)
        monkeypatch.setattr(forecast, "perf_counter", lambda: self.now)


def test_a_long_run_says_so_before_it_starts_and_names_the_way_out(tmp_path, tiny, capsys,
                                                                   monkeypatch) -> None:
    SlowDevice(monkeypatch)
    argv = ["fit", str(tiny), "--model", "siren", "--width", "8", "--device", "cpu",
            "--preset", "paper", "--quiet"]
    rc, _, err = cli(argv + ["--iters", "400", "--out", str(tmp_path / "long")], capsys)
    assert rc == 0, err
    warning = [ln for ln in err.splitlines() if "warning" in ln]
    assert len(warning) == 1 and "about 27 min" in warning[0]  # 400 steps × 4 s
    assert "--preset cpu" in warning[0] and "--iters 150" in warning[0]  # 150 × 4 s = 10 min
    rc, _, err = cli(argv + ["--iters", "100", "--out", str(tmp_path / "short")], capsys)
    assert rc == 0 and "warning" not in err  # 400 s: under ten minutes, nothing said


def test_bench_records_the_preset_in_its_csv_and_table(tmp_path, tiny, capsys) -> None:
    path = tmp_path / "b.csv"
    rc, out, err = cli(["bench", "--images", str(tiny), "--models", "siren", "--iters", "2",
                        "--width", "8", "--device", "cpu", "--csv", str(path), "--markdown"],
                       capsys)
    assert rc == 0, err
    with open(path, newline="") as fh:
        assert [r["preset"] for r in csv.DictReader(fh)] == ["cpu"]
    assert out.startswith("Training: the cpu preset, the device's")
    assert "--iters 2" in out.splitlines()[0]
    rc, again, _ = cli(["bench", "--from-csv", str(path), "--markdown"], capsys)
    assert rc == 0 and again.startswith("Training: the cpu preset.")


def test_rd_trains_with_the_preset_and_says_which(tmp_path, tiny, capsys) -> None:
    for name, lr in (("cpu", "0.001"), ("paper", "0.0001")):
        rc, _, err = cli(["rd", str(tiny), "--scale", "1", "--models", "siren:1x8@5",
                          "--settings", "plain-16", "--out", str(tmp_path / name), "--k2", "64",
                          "--device", "cpu", "--preset", name], capsys)
        assert rc == 0, err
        note = (tmp_path / name / "rd.md").read_text().splitlines()[0]
        assert f"lr {lr}" in note and f"the {name} preset" in note


def test_a_bad_warm_up_is_refused_once_in_the_same_words(tiny, capsys) -> None:
    """The configuration checks the warm-up; the window's settings and the CLI say what it
    says, the CLI naming its option."""
    with pytest.raises(OptionError) as core:
        TrainConfig(warmup=1.5)
    with pytest.raises(OptionError) as window:
        RunSettings(warmup=1.5)
    assert str(window.value) == str(core.value) and "warm-up" in str(core.value)
    rc, _, err = cli(["fit", str(tiny), "--warmup", "1.5", "--device", "cpu"], capsys)
    assert rc == 2 and err == f"inr-studio: error: --warmup: {core.value}\n"
    rc, _, err = cli(["encode", str(tiny), "-o", "x.sinr", "--plain", "--qat-steps", "-2",
                      "--device", "cpu"], capsys)  # refused before any training
    assert rc == 2 and err.startswith("inr-studio: error: --qat-steps: ") and err.count("\n") == 1


def test_help_shows_each_presets_defaults(capsys) -> None:
    for command in ("fit", "bench", "encode", "rd"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert "--preset {cpu,gpu,paper}" in text and "cpu 0.001, gpu 0.0003" in text


def test_fine_tuning_a_checkpoint_goes_on_at_its_own_rate(tmp_path, tiny, capsys,
                                                          monkeypatch) -> None:
    out = tmp_path / "fit"
    assert cli(["fit", str(tiny), "--model", "siren", "--width", "8", "--iters", "2", "--lr",
                "0.004", "--device", "cpu", "--out", str(out), "--quiet"], capsys)[0] == 0
    rates = []
    real = Trainer.__init__

    def init(self, problem, config, *args, **kwargs):
        rates.append(config.lr)
        real(self, problem, config, *args, **kwargs)

    monkeypatch.setattr(Trainer, "__init__", init)
    rc, _, err = cli(["encode", str(out / "checkpoint.safetensors"), "-o",
                      str(tmp_path / "x.sinr"), "--plain", "--bits", "8", "--qat-steps", "2"],
                     capsys)
    assert rc == 0, err
    assert rates == [0.004]  # the checkpoint's, not the preset's
