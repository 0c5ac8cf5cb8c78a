"""Every script in ``benchmarks/`` runs as documented (``python3 benchmarks/NAME.py ...``) at a
tiny size, exits 0 and prints the figures it promises. A new script without an entry in
:data:`TINY` fails here. The Kodak set is stood in for by a folder of tiny crops named like it
(``INR_STUDIO_KODAK``), so no script skips for want of the real one."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from paths import REPO
from xvfb_helpers import WHY_NOT, XVFB

BENCHMARKS = REPO / "benchmarks"
#: The scripts; files starting with ``_`` are their helpers.
SCRIPTS = sorted(p.stem for p in BENCHMARKS.glob("*.py") if not p.name.startswith("_"))
#: The images the scripts read by name from the Kodak folder.
KODAK_NAMES = ("kodim01", "kodim02", "kodim05", "kodim23")
#: Scripts that only launch other programs, each of which tunes its own process.
LAUNCHERS = {"allocator", "omp_wait", "cpu_60s", "first_paint"}
NUMBER = r"-?[\d.]+"


@dataclass(frozen=True)
class Tiny:
    #: Argument lists, run one after the other ({tmp}: the test's folder).
    runs: tuple[tuple[str, ...], ...]
    #: Patterns the output (stdout and stderr) of the runs must hold.
    expect: tuple[str, ...]
    #: Files the runs must have written ({tmp}: the test's folder).
    files: tuple[str, ...] = ()
    needs_xvfb: bool = False
    #: Other scripts run first, each (script, *args): what this one reads.
    setup: tuple[tuple[str, ...], ...] = ()


TINY: dict[str, Tiny] = {
    "allocator": Tiny((("--long-side", "16", "--repeat", "1", "--rounds", "1", "--threads", "1"),),
                      (rf"default {NUMBER} s/round \(\d+ MB\), tuned {NUMBER} s/round",
                       rf"default/tuned {NUMBER}")),
    "bench_gpu": Tiny((("--device", "cpu", "--iters", "2", "--size", "8x12", "--width", "8",
                        "--models", "siren,hs", "--matmul-n", "64", "--matmul-seconds", "0.01"),),
                      (rf"matmul 64x64: fp32 {NUMBER} TFLOP/s",
                       rf"SIREN( +{NUMBER}){{9}}", rf"HS-LoE( +{NUMBER}){{9}}")),
    "bench_iteration": Tiny((("--size", "8x12", "--width", "8", "--iters", "1", "--warmup", "1",
                              "--repeats", "1", "--models", "hs", "--threads", "1"),),
                            (r"SIREN +[\d.]+ +\S+ +1\.000", rf"HS-LoE +{NUMBER}",
                             r"worst LoE ratio of medians", rf"HS-LoE( +{NUMBER}){{5}}\n")),
    "classmap_codings": Tiny((("--limit", "1", "--sides", "24", "0"),),
                             (r"24 px: 1 images", r"full size: 1 images",
                              rf"context +\d+ +{NUMBER} +0 \(lossless\)",
                              rf"thumb-labels-64 +\d+ +{NUMBER}")),
    "cpu_60s": Tiny((("--seconds", "0.2", "--long-side", "16", "--threads", "1"),),
                    (rf"after +16x11 +threads 1 +siren {NUMBER} dB \(\d+ steps, best at -?\d+, last "
                     rf"(nan|{NUMBER})\) +ftc {NUMBER} dB",)),
    "edges_turns": Tiny((("--previews", "1", "--size", "16x24"),),
                        (r"one model per turn: longest turn +\d+ ms",
                         r"all at once: longest turn +\d+ ms")),
    "encode_stall": Tiny((("--width", "8", "--iters", "2", "--long-side", "16",
                           "--baseline", "0.1"),),
                         (r"idle window: max stall", r"trained \('siren', 'hs'\) at width 8",
                          r"hs SINR, 1 % target error: size shown after .* bytes.*max stall",
                          r"siren default search: size shown after .* bytes.*max stall")),
    "entropy_sections": Tiny((("--limit", "1", "--iters", "2", "--side", "24"),),
                             (rf"\| plain-12 \| {NUMBER} \| [\d,]+ \({NUMBER} bpp\)",
                              r"\| sinr-s16 \|")),
    "eoren_step_cost": Tiny((("--size", "8x12", "--width", "8", "--steps", "1",
                              "--repeats", "1"),),
                            (rf"pixel step {NUMBER} ms, gradient step {NUMBER} ms, "
                             rf"ratio {NUMBER}",)),
    "eta_accuracy": Tiny((("--long-side", "16", "--iters", "20", "--at", "0.5",
                           "--threads", "1"),),
                         (r"16x11, 20 steps, four models", r"really left",
                          r"\n +\d+ \| +\d+ \| +\S+ \| +\S+\n")),
    "finetune_schedule": Tiny((("--images", "kodim01", "--side", "16", "--width", "8", "--depth", "1",
                                "--iters", "3", "--rungs", "qat-8", "--schedules", "constant",
                                "cosine", "--threads", "1", "--csv", "{tmp}/finetune.csv"),),
                              (rf"\| qat-8 \| {NUMBER} \(1\) \| {NUMBER} \(1\) \|",),
                              ("{tmp}/finetune.csv",)),
    "forecast_accuracy": Tiny((("--long-side", "16", "--iters", "6", "--models", "siren,hs"),),
                              (r"cpu preset, 16×11, 6 steps",
                               rf"siren +{NUMBER} +{NUMBER} +{NUMBER}×",
                               rf"all +{NUMBER} +{NUMBER} +{NUMBER}×")),
    "gpu_check": Tiny((("--tiny", "--device", "cpu", "--parts", "b", "--models", "siren",
                        "--out", "{tmp}/gpu"),),
                      (r"part b: \d+ timed runs; precision for c and d",),
                      ("{tmp}/gpu/b_speed.csv", "{tmp}/gpu/summary.json", "{tmp}/gpu/log.txt")),
    "first_paint": Tiny((("--runs", "1"),),
                        (rf"bare PySide6 window +first frame after {NUMBER} s",
                         rf"inr-studio +first frame after {NUMBER} s",
                         rf"ratio inr-studio / bare: {NUMBER}×"), needs_xvfb=True),
    "fuzz_sinr": Tiny((("--mutants", "30", "--out", "{tmp}/findings"),),
                      (r"30 mutants in .*: 0 findings",)),
    "ladder_kodak": Tiny((("--images", "1", "--side", "24", "--iters", "2", "--models", "1x8",
                           "--qat-steps", "2", "--out", "{tmp}"),
                          ("--report", "--side", "24", "--out", "{tmp}")),
                         (rf"kodim01 siren:1x8: {NUMBER} dB after 2 steps",
                          rf"\| siren:1x8 \| plain-16 \| 1 \| {NUMBER} \| {NUMBER} \|"),
                         files=("{tmp}/ladder.csv", "{tmp}/ladder_rd.png")),
    "latent_decode": Tiny((("--side", "16", "--iters", "3", "--repeats", "1"),),
                          (r"kodim01 at 16×11, 3 steps",
                           rf"1 torch thread\(s\): decode \+ render {NUMBER} s wall",
                           rf"2 torch thread\(s\): decode \+ render {NUMBER} s wall")),
    "rd_latent_point": Tiny((("--side", "16", "--iters", "3", "--lambdas", "0.02,0.002"),),
                            (rf"kodim01 16×11, 3 steps a λ; forecast {NUMBER} s a training",
                             rf"lambda-0.02: {NUMBER} bpp {NUMBER} dB; trained \d+ steps in "
                             rf"{NUMBER} s", rf"lambda-0.002: {NUMBER} bpp {NUMBER} dB")),
    "latent_kodak": Tiny((("--images", "1", "--side", "16", "--iters", "4", "--lambdas", "0.02",
                           "--threads", "1", "--csv", "k.csv", "--out", "{tmp}"),
                          ("--report", "--images", "1", "--side", "16", "--csv", "k.csv",
                           "--out", "{tmp}")),
                         (rf"default kodim01 λ=0.02: {NUMBER} bpp {NUMBER} dB",
                          rf"\| default \| 0.02 \| 1 \| {NUMBER} \|", r"\| default \| JPEG \|"),
                         ("{tmp}/k.csv", "{tmp}/k_rd.png")),
    "latent_reencode": Tiny((("--nets", "{tmp}/nets", "--tag", "default", "--as", "rd",
                              "--side", "16", "--csv", "k.csv", "--out", "{tmp}"),
                             ("--nets", "{tmp}/nets", "--tag", "default", "--as", "rule",
                              "--steps", "psnr", "--side", "16", "--csv", "k.csv", "--out", "{tmp}")),
                            (r"rd kodim01 λ=0.02: \d+ bytes.* \(same bytes as trained row\)",
                             rf"rule kodim01 λ=0.02: \d+ bytes, weights \d+, {NUMBER} bpp"),
                            ("{tmp}/k.csv",),
                            setup=(("latent_kodak", "--images", "1", "--side", "16", "--iters", "4",
                                    "--lambdas", "0.02", "--threads", "1", "--csv", "k.csv",
                                    "--out", "{tmp}", "--keep-nets", "{tmp}/nets"),)),
    "omp_wait": Tiny((("--long-side", "16", "--repeat", "1", "--rounds", "1", "--settings", "3",
                       "--warmups", "0.25", "--idle-spins", "2000", "--idle-regions", "5"),),
                     (r"ms per round: coarse warm-up steps\n",
                      rf"passive after 2000 spins +{NUMBER} ms +\(load",
                      r"GOMP_SPINCOUNT=2000 +\d+ µs")),
    "open_stall": Tiny((("--jpeg-size", "40x60", "--png-size", "30x40", "--baseline", "0.1"),),
                       (r"idle window: max stall", r"engine loading in its thread",
                        r"JPEG \(EXIF-rotated\) \(40x60, .*visible after \d+ ms, maps after \d+ ms",
                        r"16-bit PNG 40×30 .*visible after \d+ ms",
                        r"Kodak kodim23.png .*visible after \d+ ms")),
    "preview_cost": Tiny((("--long-side", "16", "--repeat", "1", "--threads", "1"),),
                         (rf"hs +render +{NUMBER} +error map +{NUMBER} +psnr +{NUMBER} "
                          rf"+ssim float64 +{NUMBER} +ssim float32 +{NUMBER}",)),
    "rd_omp": Tiny((("--speed-width", "64", "--speed-settings", "128:4", "--iters", "2",
                     "--k2", "128"),),
                   (rf"batched torch +{NUMBER} s +scikit-learn ~ *{NUMBER} s",
                    rf"128 trained( +{NUMBER}){{5}}", rf"128 gauss( +{NUMBER}){{5}}")),
    "run_to_end": Tiny((("--models", "siren", "--long-side", "16", "--iters", "20",
                         "--threads", "1"),),
                       (rf"siren +warm-up 0.25 returned {NUMBER} +curve's best {NUMBER} at step \d+ "
                        rf"\(returned − best [-+]{NUMBER}\) +last step's weights {NUMBER}",)),
    "schedule_study": Tiny((("--images", "kodim01", "--models", "siren", "qt", "--schedules", "auto",
                             "constant", "--long-side", "16", "--iters", "8", "--threads", "1",
                             "--csv", "{tmp}/schedules.csv"),),
                           (rf"\| SIREN \| 16 \| constant \| 0.001 \| 1 \| {NUMBER} \| {NUMBER} \|",
                            r"\| LoE QT \| 16 \| cooldown \| 0.001 \| 1 \|",
                            r"\| LoE QT \| 16 \| constant \| 0.001 \| 1 \|"),
                           ("{tmp}/schedules.csv",)),
    "screenshot": Tiny((("--steps", "1", "--size", "400x300", "--out", "{tmp}/shot.png",
                         "--image", "{kodak}/kodim23.png", "--models", "siren,hs"),),
                       (r"wrote .*shot.png, .*shot_maps.png and .*shot_rd.png at steps",
                        r"panels original \d+×\d+, siren \d+×\d+, hs \d+×\d+"),
                       files=("{tmp}/shot.png", "{tmp}/shot_maps.png", "{tmp}/shot_rd.png")),
    "soak": Tiny((("--cycles", "11", "--dialog-cycles", "1", "--side", "12"),),
                 (r"cycle +12: rss +[\d.]+ MB, threads \d+", r"growth [+-][\d.]+ %",
                  r"Qt warnings: 0", r"soak: pass")),
    "thumbmap_psnr": Tiny((("--limit", "1", "--iters", "2", "--side", "24", "--width", "8"),),
                          (rf"\| full map \| {NUMBER} \| {NUMBER} \| \d+ \|",
                           rf"\| thumbnail 32 \| {NUMBER} \| {NUMBER} \| \d+ \|")),
    "training_round": Tiny((("--long-side", "16", "--rounds", "1", "--threads", "1"),),
                           (r'\{"round_s": [\d.]+, "max_rss_mb": \d+, "size": \[11, 16\]\}',)),
    "ui_stall": Tiny((("--seconds", "0.3", "--baseline", "0.1", "--threads", "1"),
                      ("--open", "--help")),
                     (r"idle window: +max stall", r"whole run: +max stall",
                      r"first preview (never came|after \d+ ms)", r"steps \{",
                      r"--jpeg-size")),
    "warmup_best": Tiny((("--images", "kodim01", "--models", "siren", "--long-side", "16",
                          "--iters", "8", "--every", "1", "--threads", "1"),),
                        (rf"kodim01 siren +warm-up 2 steps: batch − whole mean [-+]{NUMBER} dB",
                         rf"warm-up's best whole image {NUMBER} dB against {NUMBER} returned")),
}


@pytest.fixture(scope="module")
def tiny_kodak(tmp_path_factory) -> Path:
    """Tiny 24×36 pictures (colour ramps, a disc and noise: several tones and edges) under the
    Kodak names the scripts read."""
    folder = tmp_path_factory.mktemp("kodak")
    y, x = np.mgrid[0:24, 0:36] / 24.0
    for i, name in enumerate(KODAK_NAMES):
        disc = ((x - 0.7 - 0.1 * i) ** 2 + (y - 0.5) ** 2 < 0.1).astype(float)
        noise = np.random.default_rng(i).random((24, 36))
        rgb = np.stack([x / 1.5, y, 0.6 * disc + 0.4 * noise], axis=-1)
        Image.fromarray((255 * np.clip(rgb, 0, 1)).astype(np.uint8)).save(folder / f"{name}.png")
    return folder


def run(name: str, args: list[str], kodak: Path, cwd: Path) -> subprocess.CompletedProcess:
    """The script as the README runs it, with its temporary files in ``cwd/tmp``."""
    (cwd / "tmp").mkdir(exist_ok=True)
    env = dict(os.environ, INR_STUDIO_KODAK=str(kodak), TMPDIR=str(cwd / "tmp"))
    env.pop("INR_STUDIO_SETTINGS_DIR", None)
    return subprocess.run([sys.executable, str(BENCHMARKS / f"{name}.py"), *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("name", SCRIPTS)
def test_runs_at_a_tiny_size(name: str, tiny_kodak: Path, tmp_path: Path) -> None:
    assert name in TINY, f"benchmarks/{name}.py has no tiny-size entry in TINY ({__file__})"
    tiny = TINY[name]
    if tiny.needs_xvfb and XVFB is None:
        pytest.skip(WHY_NOT)
    for script, *args in tiny.setup:
        args = [a.format(tmp=tmp_path, kodak=tiny_kodak) for a in args]
        res = run(script, args, tiny_kodak, tmp_path)
        assert res.returncode == 0, f"{script} {' '.join(args)}:\n{res.stderr[-3000:]}"
    output = ""
    for args in tiny.runs:
        args = [a.format(tmp=tmp_path, kodak=tiny_kodak) for a in args]
        res = run(name, args, tiny_kodak, tmp_path)
        assert res.returncode == 0, f"{name} {' '.join(args)}:\n{res.stderr[-3000:]}"
        output += res.stdout + res.stderr
    for pattern in tiny.expect:
        assert re.search(pattern, output), f"{name}: no {pattern!r} in:\n{output[-3000:]}"
    for file in tiny.files:
        assert Path(file.format(tmp=tmp_path)).stat().st_size > 0
    left = [p.name for p in (tmp_path / "tmp").iterdir()
            if not p.name.startswith("torchinductor_")]  # torch's own cache folder
    assert not left, f"{name} left temporary files behind: {left}"


def test_kodak_absent_ends_with_one_line(tmp_path: Path) -> None:
    """Without the Kodak images a script that needs them says where it looked, in one line."""
    res = run("training_round", [], tmp_path, tmp_path)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "no Kodak images" in lines[0] and str(tmp_path) in lines[0], \
        res.stderr


def module_level(tree: ast.Module) -> list[ast.stmt]:
    return [n for n in tree.body if not isinstance(n, (ast.FunctionDef, ast.ClassDef))]


@pytest.mark.parametrize("name", SCRIPTS)
def test_says_what_it_measures_and_tunes_as_the_program(name: str) -> None:
    """A docstring names the yardstick; a script that runs the program's code in its own
    process calls ``_bench.tune()`` before it imports anything but ``_bench`` and the
    ``__future__``."""
    tree = ast.parse((BENCHMARKS / f"{name}.py").read_text(encoding="utf-8"))
    doc = ast.get_docstring(tree) or ""
    assert "yardstick" in doc.lower(), f"{name}: the docstring names no yardstick"
    if name in LAUNCHERS:
        return
    body = [n for n in module_level(tree)[1:]
            if not (isinstance(n, ast.ImportFrom) and n.module == "__future__")]
    first = [ast.unparse(n) for n in body[:2]]
    assert first == ["import _bench", "_bench.tune()"], f"{name} starts with {first}"


def test_no_machine_path() -> None:
    """No absolute path of one machine in the benchmarks or the tests."""
    machine = re.compile(r"""["'](/work|/home|/root|/Users|/mnt)/""")
    files = [*BENCHMARKS.glob("*.py"), *(REPO / "tests").rglob("*.py")]
    found = [f"{f.relative_to(REPO)}:{i}" for f in files
             for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1)
             if machine.search(line)]
    assert not found, found


def test_no_script_edits_sys_path_but_the_helper() -> None:
    """The repository goes on ``sys.path`` in one place (``_bench``), not in every script;
    ``cpu_60s`` puts the tree it compares against first in its child process."""
    edits = {p.stem for p in BENCHMARKS.glob("*.py")
             if "sys.path.insert" in p.read_text(encoding="utf-8")}
    assert edits == {"_bench", "cpu_60s"}
