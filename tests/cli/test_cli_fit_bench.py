"""The command line: ``fit`` and ``bench`` work end to end; bad input is one line and exit 2."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from inr_studio.checkpoint import load_checkpoint
from inr_studio.cli.bench_cmd import (CSV_FIELDS, RunResult, format_table,
                                      read_results_csv, summarise)
from inr_studio.cli.main import main
from inr_studio.imaging import load_image, resize_image
from inr_studio.metrics import psnr
from inr_studio.render import render

FAST = ["--width", "8", "--depth", "2", "--lr", "2e-3", "--device", "cpu"]


@pytest.fixture(scope="module")
def images(tmp_path_factory, small_image) -> Path:
    """A folder with two tiny real images (12×16), and a text file that must be ignored."""
    folder = tmp_path_factory.mktemp("imgs")
    tiny = resize_image(small_image, 12, 16)
    Image.fromarray((tiny * 255).round().astype(np.uint8)).save(folder / "a.png")
    Image.fromarray((tiny[::-1] * 255).round().astype(np.uint8)).save(folder / "b.png")
    (folder / "readme.txt").write_text("not an image")
    return folder


def cli(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse's own errors (unknown choice, not a number)
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err


def assert_one_line_error(rc: int, err: str, fragment: str) -> None:
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("inr-studio: error:") and "Traceback" not in err
    assert fragment.lower() in lines[0].lower(), lines[0]


def test_bad_input_is_one_line_and_exit_code_2(tmp_path, images, capsys) -> None:
    img = str(images / "a.png")
    text = tmp_path / "notes.png"
    text.write_text("just text")
    a_file = tmp_path / "file"
    a_file.write_text("x")
    out = tmp_path / "never"
    cases = [
        (["fit", str(tmp_path / "missing.png")], "no such file"),
        (["fit", str(text)], "could not be read"),
        (["fit", str(images)], "folder"),
        (["fit", img, "--model", "mlp"], "invalid choice"),
        (["fit", img, "--iters", "-5"], "--iters"),
        (["fit", img, "--iters", "many"], "invalid int"),
        (["fit", img, "--lr", "0"], "--lr"),
        (["fit", img, "--width", "0"], "--width"),
        (["fit", img, "--depth", "0"], "--depth"),
        (["fit", img, "--model", "hs", "--seg-layer", "5"], "--seg-layer must be 1..4"),
        (["fit", img, "--model", "hs", "--seg-layer", "0"], "--seg-layer"),
        (["fit", img, "--model", "siren", "--seg-layer", "2"], "only applies to the hs model"),
        (["fit", img, "--model", "ftc", "--seg-method", "equal"], "only applies to the hs model"),
        (["fit", img, "--scale", "0"], "--scale"),
        (["fit", img, "--scale", "-0.5"], "--scale"),
        (["fit", img, "--tile-scale", "huge"], "--tile-scale"),
        (["fit", img, "--tile-scale", "-2"], "--tile-scale"),
        (["fit", img, "--batch-pixels", "0"], "--batch-pixels"),
        (["fit", img, "--device", "tpu"], "unknown"),
        (["fit", img, "--seed", "-1"], "--seed"),
        (["fit", img, "--omega0", "0"], "--omega0"),
        (["fit", img, "--out", str(a_file)], "is a file"),
        (["bench"], "--images"),
        (["bench", "--images", str(tmp_path / "nowhere")], "no such file"),
        (["bench", "--images", str(tmp_path / "file")], "could not be read"),
        (["bench", "--images", img, "--models", "siren,mlp"], "unknown model"),
        (["bench", "--images", img, "--models", "siren", "--seg-layer", "2"], "hs"),
        (["bench", "--images", img, "--limit", "0"], "--limit"),
        (["bench", "--images", img, "--iters", "0"], "--iters"),
        (["bench", "--from-csv", str(text)], "not a bench csv"),
    ]
    if not torch.cuda.is_available():
        cases.append((["fit", img, "--device", "cuda", "--out", str(out)], "not available"))
    flat = tmp_path / "flat.png"
    Image.fromarray(np.full((8, 8, 3), 128, dtype=np.uint8)).save(flat)
    cases += [  # Multi-Otsu cannot split a flat image
        (["fit", str(flat), "--tile-scale", "auto", "--out", str(tmp_path / "f")], "Multi-Otsu"),
        (["bench", "--images", str(flat), "--models", "hs", "--tile-scale", "auto",
          "--csv", str(tmp_path / "f.csv")], "flat.png, model hs"),
    ]
    empty = tmp_path / "empty_dir"
    empty.mkdir()
    cases.append((["bench", "--images", str(empty)], "no png"))
    for argv, fragment in cases:
        rc, _, err = cli(argv, capsys)
        assert_one_line_error(rc, err, fragment)
    assert not out.exists()  # nothing written by a run that failed on its options


def test_fit_writes_its_outputs_and_they_agree(tmp_path, images, capsys) -> None:
    out = tmp_path / "run"
    rc, stdout, err = cli(["fit", str(images / "a.png"), "--model", "hs", "--iters", "30",
                           "--tile-scale", "auto", "--out", str(out), *FAST], capsys)
    assert rc == 0, err
    assert "step" in err and "PSNR" in err and "ETA" in err and "warning" not in err
    assert "PSNR" in stdout and str(out) in stdout
    assert {p.name for p in out.iterdir()} == {"reconstruction.png", "error_map.png",
                                               "metrics.json", "checkpoint.safetensors"}
    m = json.loads((out / "metrics.json").read_text())
    for key in ("psnr", "ssim", "params", "seconds", "iters", "device", "model_config", "lr"):
        assert key in m, key
    assert m["iters"] == 30 and m["lr"] == 2e-3 and m["model"] == "hs"
    assert m["warmup"] == 0.25 and m["preset"] == "cpu"  # the CPU preset's, unless --warmup
    assert m["model_config"]["tilings"][-1]["kind"] == "segment" and m["seconds"] > 0
    ref = load_image(images / "a.png").pixels
    rec = load_image(out / "reconstruction.png").pixels
    assert abs(psnr(rec, ref) - m["psnr"]) < 0.1  # the PNG is the 8-bit reconstruction
    ck = load_checkpoint(out / "checkpoint.safetensors")
    assert ck.model.parameter_count() == m["params"] and (ck.height, ck.width) == (12, 16)
    again = render(ck.model, 12, 16, ck.class_map)
    assert np.abs(again - rec).max() <= 1 / 255 + 1e-6
    err_map = load_image(out / "error_map.png").pixels
    assert err_map.shape == (12, 16, 3) and err_map.max() == 1.0  # normalised to its maximum


def test_fit_warns_about_aliasing_at_paper_scale(tmp_path, images, capsys) -> None:
    rc, _, err = cli(["fit", str(images / "a.png"), "--model", "ftc", "--iters", "2",
                      "--scale", "0.5", "--batch-pixels", "16", "--out", str(tmp_path / "o"),
                      "--tile-scale", "paper", "--quiet", *FAST], capsys)
    assert rc == 0
    warning = [line for line in err.splitlines() if "warning" in line]
    assert len(warning) == 1 and "--tile-scale auto" in warning[0] and "L1" in warning[0]
    m = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert m["aliasing_warning"] and (m["height"], m["width"]) == (6, 8)
    assert m["batch_pixels"] == 16 and m["iters"] == 2


def test_bench_writes_the_csv_and_prints_the_table(tmp_path, images, capsys) -> None:
    path = tmp_path / "bench.csv"
    rc, stdout, err = cli(["bench", "--images", str(images), "--models", "siren,hs",
                           "--iters", "8", "--tile-scale", "auto", "--csv", str(path),
                           "--markdown", *FAST], capsys)
    assert rc == 0, err
    assert "100.0%" in err and "ETA" in err  # progress on stderr (plain lines: not a TTY)
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0].keys()) == CSV_FIELDS and len(rows) == 4
    assert [(r["image"], r["model"]) for r in rows] == [
        ("a.png", "siren"), ("a.png", "hs"), ("b.png", "siren"), ("b.png", "hs")]
    assert all(r["iters"] == "8" and float(r["seconds"]) > 0 for r in rows)
    table = [line for line in stdout.splitlines() if line.startswith("| ")]
    assert table[0].startswith("| model | average PSNR")
    for label, kind in (("SIREN", "siren"), ("HS-LoE", "hs")):
        cells = next(line for line in table if line.startswith(f"| {label} |")).split("|")
        ps = [float(r["psnr"]) for r in rows if r["model"] == kind]
        assert float(cells[2]) == pytest.approx(np.mean(ps), abs=0.006)
        assert float(cells[3]) == pytest.approx(max(ps), abs=0.006)
        assert float(cells[4]) == pytest.approx(min(ps), abs=0.006)
    assert "mean of the per-image PSNRs" in stdout and "8 steps, lr 0.002" in stdout
    # The same table again from the CSV alone.
    rc, again, _ = cli(["bench", "--from-csv", str(path), "--markdown"], capsys)
    assert rc == 0 and [line for line in again.splitlines() if line.startswith("| ")] == table
    rc, _, err = cli(["bench", "--images", str(images / "b.png"), str(images), "--limit", "1",
                      "--models", "ftc", "--iters", "2", "--csv", str(path), "--tile-scale",
                      "paper", *FAST], capsys)
    assert rc == 0 and len(read_results_csv(path)) == 1
    assert "warning" in err and "--tile-scale auto" in err  # ftc at paper scale on 12×16


def test_summary_and_table_formatting() -> None:
    rows = [RunResult("a", "ftc", 30.0, 0.9, 2.0, 10, 100, "cpu"),
            RunResult("b", "ftc", 34.0, 0.8, 4.0, 10, 100, "cpu"),
            RunResult("a", "siren", 20.0, float("nan"), 1.0, 10, 50, "cpu")]
    s = summarise(rows, ["siren", "ftc", "qt"])
    assert [x.model for x in s] == ["siren", "ftc"]  # qt has no runs: no row
    assert (s[1].mean_psnr, s[1].highest, s[1].lowest, s[1].mean_seconds) == (32.0, 34.0, 30.0, 3.0)
    md = format_table(s, markdown=True)
    assert "| LoE FtC | 32.00 | 34.00 | 30.00 | 0.8500 | 3.0 | 100 | 2 | cpu |" in md
    assert "| SIREN | 20.00 | 20.00 | 20.00 | n/a |" in md
    plain = format_table(s, markdown=False)
    assert "|" not in plain and "LoE FtC" in plain and "mean of the per-image PSNRs" in plain


def test_progress_bar_shows_percentage_steps_and_eta_or_nothing_when_quiet(capsys) -> None:
    from inr_studio.cli.common import progress_bar

    bar = progress_bar(200, "demo")
    bar.set_postfix_str("PSNR 30.00 dB")
    bar.update(50)
    bar.close()
    err = capsys.readouterr().err
    assert "demo" in err and "25.0%" in err and "50/200 steps" in err and "ETA" in err
    assert "PSNR 30.00 dB" in err
    quiet = progress_bar(200, "demo", quiet=True)
    quiet.update(50)
    quiet.close()
    assert capsys.readouterr().err == ""


def test_installed_console_script_reports_bad_input(tmp_path) -> None:
    exe = shutil.which("inr-studio")
    if exe is None:
        pytest.skip("the inr-studio console script is not installed (pip install -e .)")
    proc = subprocess.run([exe, "fit", str(tmp_path / "missing.png")], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert_one_line_error(proc.returncode, proc.stderr, "no such file")


def test_help_lists_the_options(capsys) -> None:
    for command in ("fit", "bench"):
        rc, out, _ = cli([command, "--help"], capsys)
        assert rc == 0 and "--tile-scale" in out and "--seg-layer" in out


def test_bench_prints_each_aliasing_warning_once(tmp_path, images, capsys) -> None:
    rc, _, err = cli(["bench", "--images", str(images), "--models", "ftc,qt", "--iters", "1",
                      "--csv", str(tmp_path / "b.csv"), "--tile-scale", "paper", *FAST], capsys)
    assert rc == 0
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert len(warnings) == 2  # ftc and qt alias differently; two images, still two lines


def test_fit_interrupted_still_writes_the_network_as_it_is(tmp_path, images, capsys,
                                                            monkeypatch) -> None:
    from inr_studio.engine.trainer import Trainer

    real_step = Trainer.step

    def step(self):  # Ctrl-C arrives during the sixth step
        if self.steps_done == 5:
            raise KeyboardInterrupt
        return real_step(self)

    monkeypatch.setattr(Trainer, "step", step)
    out = tmp_path / "stopped"
    rc, stdout, err = cli(["fit", str(images / "a.png"), "--model", "siren", "--iters", "1000",
                           "--out", str(out), *FAST], capsys)
    assert rc == 130 and "interrupted at step 5" in err
    m = json.loads((out / "metrics.json").read_text())
    assert m["iters"] == 5 and m["stopped_early"] and m["seconds"] > 0
    assert load_checkpoint(out / "checkpoint.safetensors").model.parameter_count() == m["params"]


def test_fit_with_a_warm_up_records_it(tmp_path, images, capsys) -> None:
    out = tmp_path / "warm"
    rc, _, err = cli(["fit", str(images / "a.png"), "--model", "ftc", "--iters", "20",
                      "--warmup", "0.25", "--out", str(out), *FAST], capsys)
    assert rc == 0, err
    m = json.loads((out / "metrics.json").read_text())
    assert m["warmup"] == 0.25 and m["iters"] == 20


def test_fit_metrics_carry_the_best_and_the_last_step(tmp_path, images, capsys) -> None:
    spiky = ["--width", "8", "--depth", "2", "--lr", "3e-2", "--device", "cpu"]
    out = tmp_path / "best"
    rc, stdout, err = cli(["fit", str(images / "a.png"), "--model", "siren", "--iters", "80",
                           "--schedule", "constant", "--out", str(out), *spiky], capsys)
    assert rc == 0, err
    m = json.loads((out / "metrics.json").read_text())
    assert m["returned"] == "best" and m["keep_best"] and m["schedule"] == "constant"
    assert 0 <= m["best_step"] <= 80 and m["psnr"] >= m["last_psnr"] - 1e-6
    assert "best step's weights" in m["weights"] and "best step's weights" in stdout
    ck = load_checkpoint(out / "checkpoint.safetensors")  # the checkpoint is that network
    assert ck.extra["returned"] == "best" and ck.extra["best_step"] == m["best_step"]
    assert psnr(render(ck.model, 12, 16, ck.class_map), load_image(images / "a.png").pixels) == (
        pytest.approx(m["psnr"], abs=1e-4))
    paper = tmp_path / "paper"
    rc, _, err = cli(["fit", str(images / "a.png"), "--model", "siren", "--iters", "80",
                      "--schedule", "constant", "--return", "last", "--out", str(paper),
                      *spiky], capsys)
    p = json.loads((paper / "metrics.json").read_text())
    assert rc == 0 and p["returned"] == "last" and p["best_step"] == 80
    assert p["psnr"] == pytest.approx(p["last_psnr"], abs=1e-4)
    assert p["last_psnr"] == pytest.approx(m["last_psnr"], abs=1e-6)  # the same training
    assert "the paper's protocol" in p["weights"] and "--return last" in p["protocol"]


def test_bench_csv_carries_best_and_last_and_says_its_protocol(tmp_path, images,
                                                               capsys) -> None:
    path = tmp_path / "b.csv"
    rc, stdout, err = cli(["bench", "--images", str(images), "--models", "siren",
                           "--iters", "20", "--schedule", "constant", "--return", "last",
                           "--csv", str(path), *FAST], capsys)
    assert rc == 0, err
    rows = read_results_csv(path)
    assert {(r.returned, r.schedule, r.best_step) for r in rows} == {("last", "constant", 20)}
    assert all(r.psnr == pytest.approx(r.last_psnr, abs=1e-3) for r in rows)
    assert "Weights: a constant rate, the last step's weights (the paper's protocol)" in stdout
    rc, again, _ = cli(["bench", "--from-csv", str(path)], capsys)
    assert "Protocol (from the CSV): schedule constant, the last step's weights" in again
    rc, stdout, _ = cli(["bench", "--images", str(images), "--models", "siren", "--iters",
                         "20", "--csv", str(path), *FAST], capsys)
    rows = read_results_csv(path)
    assert {r.returned for r in rows} == {"best"} and all(
        r.psnr >= r.last_psnr - 1e-6 and 0 <= r.best_step <= 20 for r in rows)
    assert "each model's own learning-rate schedule, the best step's weights" in stdout
