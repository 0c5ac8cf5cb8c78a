"""The rate–distortion ladder's estimate: units measured on the network, multiplied out over
the rungs in the order the ladder measures them."""

from __future__ import annotations

import pytest

from inr_studio.codec.layout import tensor_slots
from inr_studio.engine.config import TrainConfig
from inr_studio.engine.fit import fit
from inr_studio.models.config import make_model_config
from inr_studio.problem import FitProblem
from inr_studio.studies import ladder
from inr_studio.studies.ladder_cost import (ALLOC_STEPS_PER_TENSOR, UnitCosts, measure_units,
                                            rung_seconds)
from inr_studio.studies.ladder_run import Snapshot


def test_each_rung_costs_its_units() -> None:
    units = UnitCosts(roundtrip_s=1.0, sinr_roundtrip_s=10.0, step_s=0.1, tensors=3)
    rungs = ladder.rungs(64)
    costs = dict(zip((r.name for r in rungs), rung_seconds(rungs, units, qat_steps=5)))
    assert costs["plain-16"] == costs["plain-4"] == 1.0
    assert costs["qat-8"] == pytest.approx(5 * 0.1 + 1.0)
    s = ladder.sinr_sparsity(64)
    assert costs[f"sinr-s{s}-10"] == 10.0
    assert costs[f"sinr-ft-s{s}-10"] == pytest.approx(5 * 0.1 + 10.0)
    descent = 1 + 3 * 3 * ALLOC_STEPS_PER_TENSOR  # round trips of the greedy search, once
    assert costs["alloc-0.1dB"] == pytest.approx(1.0 + descent)
    assert costs["alloc-0.5dB"] == 1.0 and costs["qat-alloc-0.5dB"] == pytest.approx(1.5)
    assert len(costs) == len(rungs)


def test_units_are_measured_on_the_network(small_image) -> None:
    cfg = make_model_config("siren", width=8, depth=1)
    trainer, _ = fit(FitProblem.create(small_image[:16, :16], cfg), TrainConfig(iters=3, lr=1e-3))
    units = measure_units(Snapshot.of("siren", trainer), qat_steps=3,
                          families=("plain", "qat", "sinr"))
    assert units.roundtrip_s > 0 and units.sinr_roundtrip_s > 0 and units.step_s > 0
    assert units.tensors == len(tensor_slots(cfg))
    plain_only = measure_units(Snapshot.of("siren", trainer), qat_steps=3, families=("plain",))
    assert plain_only.sinr_roundtrip_s == 0 and plain_only.step_s == 0  # not timed: not needed
