"""Studies on Ray, for real: a local cluster of 2 CPUs (started once for this module) runs
``bench --ray`` and ``rd --ladder --ray``; their CSVs hold the sequential runs' figures exactly;
a bad image and a killed worker become rows with their errors, and ``--resume`` fits only those.
Without Ray installed these tests skip; ``--resume`` of a run here and the one-line message of
``--ray`` without Ray are tested anyway."""

from __future__ import annotations

import csv
import logging
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inr_studio.cli.main import main
from inr_studio.imaging import resize_image
from inr_studio.studies.tasks import KILL_SWITCH

FAST = ["--models", "siren,hs", "--width", "8", "--depth", "2", "--iters", "6", "--lr", "2e-3",
        "--device", "cpu", "--cpus-per-task", "1"]
#: Columns that must match a sequential run exactly (seconds are the machine's).
SAME = ("image", "model", "psnr", "ssim", "iters", "params", "device", "edge_psnr", "preset",
        "error")


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory):
    """One local Ray cluster (2 CPUs) for every Ray test here; shut down after. The workers
    inherit the kill switch's path; a test arms it by writing ``image/model`` into that file."""
    ray = pytest.importorskip("ray", reason='Ray is not installed (pip install -e ".[cluster]")')
    switch = tmp_path_factory.mktemp("switch") / "kill"
    os.environ[KILL_SWITCH] = str(switch)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             logging_level=logging.ERROR)
    yield switch
    ray.shutdown()
    os.environ.pop(KILL_SWITCH, None)


@pytest.fixture(scope="module")
def images(tmp_path_factory, small_image) -> Path:
    folder = tmp_path_factory.mktemp("ray-images")
    tiny = resize_image(small_image, 12, 16)
    for name, pixels in (("a.png", tiny), ("b.png", tiny[::-1])):
        Image.fromarray((pixels * 255).round().astype(np.uint8)).save(folder / name)
    return folder


def rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def same(rs: list[dict]) -> list[tuple]:
    return [tuple(r[k] for k in SAME) for r in rs]


def bench(images: list[Path], csv_path: Path, *extra: str) -> int:
    return main(["bench", "--images", *map(str, images), "--csv", str(csv_path), *FAST, *extra])


def test_bench_on_ray_gives_the_sequential_csv(tmp_path, images, ray_cluster, capsys) -> None:
    pngs = [images / "a.png", images / "b.png"]
    assert bench(pngs, tmp_path / "here.csv") == 0
    table_here = capsys.readouterr().out
    assert bench(pngs, tmp_path / "ray.csv", "--ray") == 0
    table_ray = capsys.readouterr().out
    here, on_ray = rows(tmp_path / "here.csv"), rows(tmp_path / "ray.csv")
    assert len(here) == 4 and all(r["error"] == "" for r in here)
    assert same(on_ray) == same(here)  # every PSNR to the last digit, in the same order
    # The table too, but for its seconds column.
    strip = lambda t: [ln.split()[:4] for ln in t.splitlines() if ln.startswith(("SIREN", "HS"))]  # noqa: E731
    assert strip(table_ray) == strip(table_here) and len(strip(table_here)) == 2


def test_failed_tasks_become_rows_and_resume_fits_only_them(tmp_path, images, ray_cluster,
                                                            capsys) -> None:
    bad = tmp_path / "c.png"
    bad.write_text("not an image")
    pngs = [images / "a.png", images / "b.png", bad]
    out = tmp_path / "ray.csv"
    ray_cluster.write_text("b.png/hs")  # that task's worker kills itself
    try:
        assert bench(pngs, out, "--ray") == 1
    finally:
        ray_cluster.unlink()
    err = capsys.readouterr().err
    first = rows(out)
    assert [(r["image"], r["model"]) for r in first] == [
        (i, m) for i in ("a.png", "b.png", "c.png") for m in ("siren", "hs")]
    errors = {(r["image"], r["model"]): r["error"] for r in first if r["error"]}
    assert set(errors) == {("b.png", "hs"), ("c.png", "siren"), ("c.png", "hs")}
    assert "worker died" in errors["b.png", "hs"]
    assert errors["c.png", "hs"].startswith("c.png could not be read as an image")
    assert all(r["psnr"] == "nan" for r in first if r["error"])
    assert "3 failed" in err and "c.png, hs: c.png could not be read" in err
    # The image mended and the switch off: --resume fits the three failed rows, nothing else.
    Image.open(images / "a.png").save(bad)
    assert bench(pngs, out, "--ray", "--resume") == 0
    second = rows(out)
    assert "3 kept from the CSV" in capsys.readouterr().err
    kept = [r for r in first if not r["error"]]
    assert [r for r in second if (r["image"], r["model"]) not in errors] == kept  # seconds too
    assert all(r["error"] == "" and float(r["psnr"]) > 5 for r in second)
    # Fitted again, the killed one has the sequential run's figures; c.png is a.png's copy.
    assert bench([images / "b.png"], tmp_path / "b.csv") == 0
    by_key = {(r["image"], r["model"]): r for r in second}
    assert same([by_key["b.png", "hs"]]) == same([rows(tmp_path / "b.csv")[1]])
    assert by_key["c.png", "hs"]["psnr"] == by_key["a.png", "hs"]["psnr"]


def test_rd_ladder_on_ray_gives_the_sequential_rows(tmp_path, images, ray_cluster) -> None:
    args = ["rd", str(images / "a.png"), "--ladder", "--scale", "1", "--models", "siren:1x8",
            "--iters", "5", "--qat-steps", "2", "--cpus-per-task", "1"]
    assert main(args + ["--out", str(tmp_path / "here")]) == 0
    assert main(args + ["--out", str(tmp_path / "ray"), "--ray"]) == 0
    columns = ("image", "model", "family", "setting", "file_bytes", "bpp", "psnr", "psnr_float")
    here, on_ray = rows(tmp_path / "here" / "ladder.csv"), rows(tmp_path / "ray" / "ladder.csv")
    assert len(here) > 20 and {r["family"] for r in here} >= {"jpeg", "plain", "qat", "sinr"}
    assert [[r[c] for c in columns] for r in on_ray] == [[r[c] for c in columns] for r in here]


def test_resume_of_a_run_here_fits_only_the_missing_rows(tmp_path, images, capsys) -> None:
    pngs = [images / "a.png", images / "b.png"]
    out = tmp_path / "bench.csv"
    assert bench(pngs, out) == 0
    full = out.read_text().splitlines()
    out.write_text("\n".join(full[:3]) + "\n")  # stopped after two of four runs
    assert bench(pngs, out, "--resume") == 0
    assert "2 kept from the CSV" in capsys.readouterr().err
    again = out.read_text().splitlines()
    assert again[:3] == full[:3]  # kept as they were, their seconds too
    strip = lambda line: line.split(",")[:4] + line.split(",")[5:]  # noqa: E731 - no seconds
    assert [strip(ln) for ln in again] == [strip(ln) for ln in full]
    # A CSV made with another preset is not mixed with this one.
    assert bench(pngs, out, "--resume", "--preset", "paper") == 2
    assert "another preset" in capsys.readouterr().err


def test_ray_options_are_checked_and_a_missing_ray_says_how_to_install_it(
        tmp_path, images, monkeypatch, capsys) -> None:
    png = str(images / "a.png")
    cases = [
        (["bench", "--images", png, "--gpus-per-task", "1"], "applies to --ray"),
        (["bench", "--images", png, "--ray", "--cpus-per-task", "-1"], "--cpus-per-task"),
        (["rd", png, "--ray"], "applies to rd --ladder"),
        (["rd", png, "--resume"], "applies to rd --ladder"),
    ]
    missing = (["bench", "--images", png, "--csv", str(tmp_path / "x.csv"), "--ray"],
               'pip install -e ".[cluster]"')
    for argv, fragment in cases + [missing]:
        if argv is missing[0]:
            monkeypatch.setitem(sys.modules, "ray", None)  # as where Ray is not installed
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("inr-studio: error:"), err
        assert fragment in err[0], err
    assert not (tmp_path / "x.csv").exists()
