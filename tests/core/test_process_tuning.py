"""Process tuning (``inr_studio.process``): importing the package changes nothing; the program
(and whoever calls :func:`tune_process`) gets short OpenMP spins and glibc's heap reuse, a
user's own choices kept; where memory comes from changes no bit of a training run."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

KEYS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "THP_MEM_ALLOC_ENABLE")
GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"
TUNE = ("import json, os; from inr_studio.process import tune_process; t = tune_process(); "
        f"print(json.dumps([[os.environ.get(k) for k in {KEYS!r}], t.allocator, t.late]))")


def run_python(code: str, **env: str) -> list:
    full = {k: v for k, v in os.environ.items() if k not in KEYS + ("INR_STUDIO_ALLOCATOR",)}
    full.update(env)
    out = subprocess.run([sys.executable, "-c", code], env=full, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_package_changes_nothing_in_the_process() -> None:
    code = ("import json, os; before = dict(os.environ); import inr_studio, inr_studio.codec, "
            "inr_studio.engine.side_by_side, inr_studio.process as p; "
            "print(json.dumps([dict(os.environ) == before, p._done is None]))")
    assert run_python(code) == [True, True]


def test_tune_process_sets_short_spins_and_huge_pages() -> None:
    env, allocator, late = run_python(TUNE)
    assert env == ["PASSIVE", "2000", "1" if GLIBC else None]
    assert allocator is GLIBC and late is False


def test_a_user_s_openmp_choice_is_left_as_it_is() -> None:
    """ACTIVE spins for good in libgomp: a spin count of ours would cut that short."""
    assert run_python(TUNE, OMP_WAIT_POLICY="ACTIVE")[0][:2] == ["ACTIVE", None]
    assert run_python(TUNE, GOMP_SPINCOUNT="0")[0][:2] == ["PASSIVE", "0"]


@pytest.mark.skipif(not GLIBC, reason="the allocator settings are glibc's (Linux)")
def test_a_user_s_allocator_choice_wins() -> None:
    env, allocator, _ = run_python(TUNE, INR_STUDIO_ALLOCATOR="default")
    assert env[2] is None and allocator is False
    assert run_python(TUNE, THP_MEM_ALLOC_ENABLE="0")[0][2] == "0"


def test_tuning_after_torch_loaded_says_it_came_late() -> None:
    assert run_python("import torch; " + TUNE)[2] is True


def test_the_program_tunes_its_process_before_anything_else() -> None:
    """``inr-studio`` (the launcher) tunes first: the command it runs sees the settings."""
    code = ("import json, os, inr_studio.cli.main as cli, inr_studio.__main__ as launcher; "
            "seen = []; "
            f"cli.main = lambda argv: seen.append([os.environ.get(k) for k in {KEYS!r}]) or 0; "
            "launcher.main(['info', 'x.sinr']); print(json.dumps(seen[0]))")
    assert run_python(code)[:2] == ["PASSIVE", "2000"]


@pytest.mark.skipif(not GLIBC, reason="the allocator settings are glibc's (Linux)")
def test_training_gives_the_same_numbers_with_either_allocator(tmp_path) -> None:
    """Where memory comes from must not change a single bit of a training run."""
    code = ("import sys, numpy as np; from inr_studio.process import tune_process; "
            "tune_process() if sys.argv[2] == 'tuned' else None; "
            "import torch; torch.set_num_threads(1); "
            "from inr_studio.engine.config import TrainConfig; "
            "from inr_studio.engine.trainer import Trainer; "
            "from inr_studio.models.registry import ModelOptions, build_specs; "
            "from inr_studio.problem import FitProblem; "
            "rng = np.random.default_rng(0); px = rng.random((96, 128, 3), dtype=np.float32); "
            "spec = build_specs(('ftc',), ModelOptions(width=32, depth=2, image_size=(96, 128)))[0]; "
            "t = Trainer(FitProblem.create(px, spec.config), TrainConfig(iters=5, device='cpu')); "
            "[t.step() for _ in range(5)]; np.save(sys.argv[1], t.reconstruct())")
    outs = []
    for mode in ("default", "tuned"):
        path = tmp_path / f"{mode}.npy"
        subprocess.run([sys.executable, "-c", code, str(path), mode], check=True)
        outs.append(path.read_bytes())
    assert outs[0] == outs[1]
