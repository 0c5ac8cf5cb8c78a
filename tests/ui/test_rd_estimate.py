"""The rate–distortion tab's clock: the estimate is the units multiplied out, and the time
left is the predicted work left at the pace measured so far (or, without an estimate, the
points left at the pace of the points done)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from inr_studio.studies import ladder
from inr_studio.studies.ladder_cost import UnitCosts, rung_seconds
from inr_studio.ui.rd_estimate import LadderClock


def test_estimate_and_time_left(monkeypatch: pytest.MonkeyPatch) -> None:
    import inr_studio.ui.rd_estimate as rd_estimate

    units = UnitCosts(roundtrip_s=1.0, sinr_roundtrip_s=4.0, step_s=0.01, tensors=2)
    clock = LadderClock()
    assert clock.total_s(10, ("plain",)) is None and clock.describe() == ""
    clock.units = {"siren": (16, units)}
    rungs = ladder.rungs(16, ("plain", "qat"))
    assert clock.total_s(10, ("plain", "qat")) == pytest.approx(
        sum(rung_seconds(rungs, units, 10)))
    assert "a file round trip 1000 ms" in clock.describe()

    now = [100.0]
    monkeypatch.setattr(rd_estimate.time, "perf_counter", lambda: now[0])
    clock.start([SimpleNamespace(key="siren")], 10, ("plain", "qat"))
    total = clock.total_s(10, ("plain", "qat"))
    now[0] += 2.0  # the first rung (predicted 1 s) took 2 s: the rest will take twice as long
    assert clock.point_done("siren", rungs[0].name) == pytest.approx(2.0 * (total - 1.0))
    clock.stop()
    now[0] += 50
    assert clock.elapsed_s() == pytest.approx(2.0)


def test_time_left_without_an_estimate(monkeypatch: pytest.MonkeyPatch) -> None:
    import inr_studio.ui.rd_estimate as rd_estimate

    now = [0.0]
    monkeypatch.setattr(rd_estimate.time, "perf_counter", lambda: now[0])
    clock = LadderClock()
    clock.start([SimpleNamespace(key="siren")], 10, ("plain",))
    clock.planned(10)
    now[0] = 3.0
    assert clock.point_done("siren", "plain-16") == pytest.approx(27.0)  # 9 points at 3 s


def test_the_latent_ladder_costs_one_training_per_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    import inr_studio.ui.rd_estimate as rd_estimate
    from inr_studio.ui.rd_estimate import LatentCost

    units = UnitCosts(roundtrip_s=1.0, sinr_roundtrip_s=4.0, step_s=0.01, tensors=2)
    clock = LadderClock()
    clock.latent = LatentCost(30.0, ("lambda-0.02", "lambda-0.002", "lambda-0.0006"))
    assert clock.total_s(10, ("plain",)) == pytest.approx(90.0)  # no other model: still known
    assert "one training per λ, 3 λ, each about 30.0 s" in clock.describe()
    clock.units = {"siren": (16, units)}
    plain = sum(rung_seconds(ladder.rungs(16, ("plain",)), units, 10))
    assert clock.total_s(10, ("plain",)) == pytest.approx(90.0 + plain)

    now = [0.0]
    monkeypatch.setattr(rd_estimate.time, "perf_counter", lambda: now[0])
    clock.start([SimpleNamespace(key="siren")], 10, ("plain",), latent=True)
    now[0] = 60.0  # the first λ (predicted 30 s) took 60 s: the rest at that pace
    assert clock.point_done("latent", "lambda-0.02") == pytest.approx(2.0 * (60.0 + plain))
    clock.start([SimpleNamespace(key="siren")], 10, ("plain",))  # a ladder without it
    assert clock.point_done("siren", "plain-16") is not None
    assert sum(clock._plan.values()) == pytest.approx(plain)
