"""The allocator settings of ``inr_studio.cpu_memory`` (issue 10.8): applied when the package
loads, before torch allocates, on glibc Linux; a user's own choice wins."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

PROBE = ("import json, os, inr_studio, torch; "
         "print(json.dumps([inr_studio.ALLOCATOR_TUNED, os.environ.get('THP_MEM_ALLOC_ENABLE')]))")
GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


def probe(**env: str) -> list:
    full = {k: v for k, v in os.environ.items()
            if k not in ("INR_STUDIO_ALLOCATOR", "THP_MEM_ALLOC_ENABLE")}
    full.update(env)
    out = subprocess.run([sys.executable, "-c", PROBE], env=full, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not GLIBC, reason="the allocator settings are glibc's (Linux)")
def test_the_package_asks_for_huge_pages_and_heap_reuse_when_it_loads() -> None:
    assert probe() == [True, "1"]


@pytest.mark.skipif(not GLIBC, reason="the allocator settings are glibc's (Linux)")
def test_a_user_s_choice_wins() -> None:
    assert probe(INR_STUDIO_ALLOCATOR="default") == [False, None]
    assert probe(THP_MEM_ALLOC_ENABLE="0") == [True, "0"]


@pytest.mark.skipif(not GLIBC, reason="the allocator settings are glibc's (Linux)")
def test_training_gives_the_same_numbers_with_either_allocator(tmp_path) -> None:
    """Where memory comes from must not change a single bit of a training run."""
    code = ("import sys, numpy as np, inr_studio, torch; torch.set_num_threads(1); "
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
        env = dict(os.environ, INR_STUDIO_ALLOCATOR=mode)
        subprocess.run([sys.executable, "-c", code, str(path)], env=env, check=True)
        outs.append(path.read_bytes())
    assert outs[0] == outs[1]
