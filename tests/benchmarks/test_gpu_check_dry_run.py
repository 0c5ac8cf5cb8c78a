"""``benchmarks/gpu_check.py`` dry-runs on the CPU at its tiny size, with the command line a GPU
machine gets: every part writes its rows in the documented format (docs/gpu_check.md), a
resumed run skips what is done and redoes only what is missing, and an output folder of an
earlier run is never overwritten without ``--resume``."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import pytest

from paths import KODAK_DIR, REPO

SCRIPT = REPO / "benchmarks" / "gpu_check.py"
MODELS = ("siren", "ftc", "qt", "hs")
COLUMNS = {
    "a_correctness.csv": ["check", "model", "detail", "value", "limit", "status", "seconds"],
    "b_speed.csv": ["model", "precision", "step", "size", "width", "timed_steps", "s_per_step",
                    "s_per_run", "run_steps", "extrapolated", "psnr", "psnr_steps", "status",
                    "seconds"],
    "c_learning_rate.csv": ["image", "model", "lr", "steps", "precision", "psnr", "ssim",
                            "seconds_model", "source", "status", "seconds"],
    "d_table1.csv": ["image", "model", "lr", "steps", "precision", "psnr", "ssim",
                     "seconds_model", "source", "status", "seconds"],
}
LATENT_COLUMNS = ["image", "size", "steps", "preset", "target_psnr", "bpp", "psnr", "psnr_float",
                  "weights_bytes", "file_bytes", "train_s", "encode_s", "decode_s", "status",
                  "seconds"]
HAS_KODAK = (KODAK_DIR / "kodim01.png").is_file()


def _run(out, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, str(SCRIPT), "--tiny", "--device", "cpu", "--out",
                           str(out), *extra], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=600)


def _rows(path) -> tuple[list[str], list[dict]]:
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpu")
    done = _run(out)
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def test_every_part_writes_its_rows_in_the_documented_format(dry_run) -> None:
    for name, columns in COLUMNS.items():
        header, rows = _rows(dry_run / name)
        assert header == columns, name
        bad = [r for r in rows if r["status"] != "ok" and not r["status"].startswith("skipped")]
        assert not bad, (name, bad)
    _, a = _rows(dry_run / "a_correctness.csv")
    checks = {(r["check"], r["model"]) for r in a}
    assert {("step vs cpu", m) for m in MODELS} <= checks
    assert {("fast vs plain", m) for m in MODELS} <= checks
    assert {r["check"] for r in a} == {"step vs cpu", "fast vs plain", "memory guard",
                                       "sinr decode", "pytest"}
    _, b = _rows(dry_run / "b_speed.csv")
    assert {(r["model"], r["precision"], r["step"]) for r in b} == (
        {(m, p, "fast") for m in MODELS for p in ("fp32", "tf32", "bf16")}
        | {(m, "fp32", "plain") for m in MODELS})
    assert all(float(r["s_per_step"]) > 0 and r["extrapolated"] == "yes" for r in b)
    _, c = _rows(dry_run / "c_learning_rate.csv")
    assert len(c) == 3 * len(MODELS) and {float(r["lr"]) for r in c} == {1e-4, 3e-4, 1e-3}
    assert all(0 < float(r["psnr"]) < 100 for r in c)


def test_the_summary_says_what_ran_and_what_was_chosen(dry_run) -> None:
    summary = json.loads((dry_run / "summary.json").read_text())
    assert {"environment", "parts", "runs", "elapsed_s", "s_per_step"} <= set(summary)
    env = summary["environment"]
    assert env["device"].startswith("cpu") and env["torch"] and env["python"]
    assert env["packages"]["constriction"] and env["packages"]["brotli"]
    parts = summary["parts"]
    assert set(parts) == set("abcdef")
    assert all("status" in p and "seconds" in p for p in parts.values())
    assert parts["b"]["chosen_precision"] in ("fp32", "tf32", "bf16")
    assert parts["c"]["chosen_lr"] in (1e-4, 3e-4, 1e-3)
    assert set(parts["c"]["ordering_as_paper"]) == {"0.0001", "0.0003", "0.001"}
    e = parts["e"]
    assert e["status"] == "ok", e
    assert set(e["steps"]) == set(MODELS) and min(e["steps"].values()) > 0
    assert {"max_ms", "p99_ms", "p50_ms", "ticks"} <= set(e["gui_stalls"]) and e["previews"] > 0
    assert (dry_run / "e_window.png").stat().st_size > 10_000
    log = (dry_run / "log.txt").read_text()
    assert all(f"part {p} starts" in log for p in "abcdef")
    if not HAS_KODAK:
        assert parts["f"]["status"].startswith("skipped: no Kodak")


@pytest.mark.skipif(not HAS_KODAK, reason="Kodak images absent")
def test_table1_runs_the_first_kodak_images(dry_run) -> None:
    _, d = _rows(dry_run / "d_table1.csv")
    assert {r["image"] for r in d} == {"kodim01", "kodim02"}
    summary = json.loads((dry_run / "summary.json").read_text())["parts"]["d"]
    assert set(next(iter(summary["minus_paper_db"].values()))) == set(MODELS)


@pytest.mark.skipif(not HAS_KODAK, reason="Kodak images absent")
def test_the_latent_part_codes_a_file_per_kodak_image(dry_run) -> None:
    header, f = _rows(dry_run / "f_latent.csv")
    assert header == LATENT_COLUMNS
    assert [r["image"] for r in f] == ["kodim01", "kodim02"]
    assert all(r["status"] == "ok" and 0 < float(r["bpp"]) < 24 for r in f)
    assert all(0 < float(r["psnr"]) < 100 and int(r["file_bytes"]) > int(r["weights_bytes"])
               for r in f)
    summary = json.loads((dry_run / "summary.json").read_text())["parts"]["f"]
    assert summary["images"] == 2
    assert summary["mean_bpp"] == pytest.approx(sum(float(r["bpp"]) for r in f) / 2, abs=1e-4)


def test_a_resumed_run_redoes_only_what_is_missing(dry_run) -> None:
    done = _run(dry_run)  # no --resume: the earlier results are not touched
    assert done.returncode == 2 and "--resume" in done.stderr
    path = dry_run / "c_learning_rate.csv"
    header, rows = _rows(path)
    kept = [r for r in rows if float(r["lr"]) != 1e-3]  # as if killed before the last rate
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, header)
        writer.writeheader()
        writer.writerows(kept)
    sizes = {n: len(_rows(dry_run / n)[1]) for n in COLUMNS}
    done = _run(dry_run, "--resume")
    assert done.returncode == 0, done.stderr[-3000:]
    after = {n: len(_rows(dry_run / n)[1]) for n in COLUMNS}
    assert after == {**sizes, "c_learning_rate.csv": sizes["c_learning_rate.csv"] + 4}
    assert "(1 this time)" in done.stdout and "part e: done in an earlier run" in done.stdout
    summary = json.loads((dry_run / "summary.json").read_text())
    assert len(summary["runs"]) == 2
