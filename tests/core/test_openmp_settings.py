"""OpenMP's waiting, set when the package loads (before torch loads libgomp): passive after a
short spin by default (issue 10.8, ``benchmarks/omp_wait.py``); a user's own choice wins."""

from __future__ import annotations

import json
import os
import subprocess
import sys

KEYS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")
PROBE = ("import json, os, inr_studio, torch; "
         f"print(json.dumps([os.environ.get(k) for k in {KEYS!r}]))")


def probe(**env: str) -> list:
    full = {k: v for k, v in os.environ.items() if k not in KEYS}
    full.update(env)
    out = subprocess.run([sys.executable, "-c", PROBE], env=full, check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_threads_sleep_after_a_short_spin_by_default() -> None:
    assert probe() == ["PASSIVE", "2000"]


def test_a_user_s_wait_policy_is_left_as_it_is() -> None:
    """ACTIVE spins for good in libgomp: a spin count of ours would cut that short."""
    assert probe(OMP_WAIT_POLICY="ACTIVE") == ["ACTIVE", None]


def test_a_user_s_spin_count_is_left_as_it_is() -> None:
    assert probe(GOMP_SPINCOUNT="0") == ["PASSIVE", "0"]
