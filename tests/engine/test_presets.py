"""The training presets (the one home of the training defaults) and the forecast of how long a
run trains, measured on a few steps before it starts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from inr_studio.engine import presets
from inr_studio.engine.config import PAPER_PROTOCOL, QatConfig, TrainConfig
from inr_studio.engine.forecast import SLOW_STEP_S, forecast
from inr_studio.engine.presets import CPU, GPU, PAPER, for_device, preset
from inr_studio.engine.trainer import Trainer
from inr_studio.errors import OptionError
from inr_studio.imaging import resize_image
from inr_studio.models import registry
from inr_studio.models.config import ModelConfig, make_model_config
from inr_studio.models.options import ModelOptions
from inr_studio.problem import FitProblem


def test_presets_are_looked_up_by_name_and_refuse_others() -> None:
    assert preset("cpu") is CPU and preset("GPU") is GPU and preset(" paper ") is PAPER
    assert list(presets.PRESETS) == ["cpu", "gpu", "paper"]
    with pytest.raises(OptionError, match="cpu, gpu, paper") as caught:
        preset("fast")
    assert caught.value.field == "preset"


def test_each_device_picks_its_preset() -> None:
    assert for_device("cpu") is CPU
    for name in ("cuda", "cuda:1", "mps", "MPS"):
        assert for_device(name) is GPU


def test_the_paper_preset_is_the_papers_protocol() -> None:
    """5000 full-batch Adam steps at a constant learning rate, the last step's weights, no
    warm-up, width 256, the full-size image with the paper's tile scales."""
    t = PAPER.train
    assert (t.iters, t.lr, t.batch_pixels, t.warmup, t.fast) == (5000, 1e-4, None, 0.0, False)
    assert (t.schedule, t.keep_best) == ("constant", False)
    assert PAPER.train == PAPER_PROTOCOL
    # TrainConfig's own defaults are the paper's budget with the best kept per model's schedule
    assert replace(TrainConfig(), schedule="constant", keep_best=False) == PAPER_PROTOCOL
    assert (PAPER.width, PAPER.long_side, PAPER.scale_tiles) == (256, 0, False)
    assert PAPER.width == ModelOptions.width and ModelOptions.depth == 3
    assert ModelOptions.omega0 == 30.0


def test_the_device_presets() -> None:
    assert GPU.train == TrainConfig(lr=3e-4, tf32=True) and (GPU.width, GPU.long_side) == (256, 768)
    assert (GPU.train.schedule, GPU.train.keep_best) == ("auto", True)
    assert "TF32" in GPU.describe() and "TF32" not in CPU.describe() + PAPER.describe()
    assert not CPU.train.tf32 and not PAPER.train.tf32  # the paper's protocol stays exact fp32
    t = CPU.train
    assert (t.iters, t.lr, t.batch_pixels, t.warmup) == (2000, 1e-3, None, 0.25)
    assert (t.schedule, t.keep_best) == ("auto", True)
    assert (CPU.width, CPU.long_side, CPU.scale_tiles, CPU.every_core) == (64, 256, True, True)
    assert CPU.cpu_threads() >= 1 and GPU.cpu_threads() is None
    assert "2000 steps" in CPU.describe() and "up to 256 px" in CPU.describe()


def test_model_defaults_are_read_from_the_model_options() -> None:
    cfg = make_model_config("siren")
    assert (cfg.width, cfg.depth, cfg.omega0) == (ModelOptions.width, ModelOptions.depth,
                                                  ModelOptions.omega0)
    bare = ModelConfig("siren", cfg.tilings)
    assert (bare.width, bare.omega0) == (cfg.width, cfg.omega0)
    assert registry.entry("hs").spec().config.width == ModelOptions.width


def test_one_check_per_value_names_its_field() -> None:
    for kwargs, field in (({"iters": 0}, "iters"), ({"lr": 0.0}, "lr"), ({"warmup": 1.0}, "warmup"),
                          ({"batch_pixels": 0}, "batch_pixels"), ({"seed": -1}, "seed"),
                          ({"tf32": 1}, "tf32")):
        with pytest.raises(OptionError) as caught:
            TrainConfig(**kwargs)
        assert caught.value.field == field
    for kwargs, field in (({"steps": -1}, "steps"), ({"lr_scale": 0.0}, "lr_scale"),
                          ({"bits": 17}, "bits")):
        with pytest.raises(OptionError) as caught:
            QatConfig(**kwargs)
        assert caught.value.field == field
    with pytest.raises(OptionError) as caught:
        make_model_config("siren", width=0)
    assert caught.value.field == "width"


def test_qat_defaults_have_one_home() -> None:
    q = QatConfig()
    assert (q.steps, q.lr_scale, q.bits) == (300, 0.3, 8)
    phase = q.phase()
    assert (phase.objective, phase.steps, phase.lr_scale) == ("qat", 300, 0.3)
    assert phase.kwargs() == {"bits": 8}
    assert phase.schedule == q.schedule == "cooldown"  # measured best for the fine-tuning
    with pytest.raises(OptionError):
        QatConfig(schedule="auto")  # a phase's own schedule is a name, not "auto"
    from inr_studio.studies import ladder

    assert ladder.qat_phase(6) == replace(q, bits=6).phase()


# ---------------------------------------------------------------- forecast

class SlowSteps:
    """A clock that advances ``seconds`` at every training step (a slow device, simulated)."""

    def __init__(self, monkeypatch, seconds: float) -> None:
        self.now = 0.0
        real = Trainer.step

        def step(trainer):
            self.now += seconds
            return real(trainer)

        monkeypatch.setattr(Trainer, "step", step)

    def __call__(self) -> float:
        return self.now


def _specs(pixels, keys=("siren",)):
    h, w = pixels.shape[:2]
    return registry.build_specs(keys, ModelOptions(width=8, depth=1, image_size=(h, w)))


@pytest.fixture(scope="module")
def tiny(small_image):
    return resize_image(small_image, 12, 16)


def test_a_slow_first_step_is_measured_alone(tiny, monkeypatch) -> None:
    clock = SlowSteps(monkeypatch, SLOW_STEP_S)
    config = TrainConfig(iters=1000, device="cpu")
    got = forecast(tiny, _specs(tiny), config, clock=clock)
    assert got.seconds == pytest.approx(1000 * SLOW_STEP_S)
    assert clock.now == SLOW_STEP_S  # one step measured


def test_quick_steps_are_measured_after_the_first(tiny, monkeypatch) -> None:
    clock = SlowSteps(monkeypatch, 0.1)
    got = forecast(tiny, _specs(tiny, ("siren", "ftc")), TrainConfig(iters=500, device="cpu"),
                   clock=clock)
    assert got.step_s == pytest.approx({"siren": 0.1, "ftc": 0.1})
    assert got.seconds == pytest.approx(2 * 500 * 0.1)


def test_the_warm_up_counts_its_share_of_a_step(tiny, monkeypatch) -> None:
    """A coarse warm-up step weighs a quarter of a full one (stride 2), as in the run's ETA."""
    clock = SlowSteps(monkeypatch, 4.0)
    got = forecast(tiny, _specs(tiny), TrainConfig(iters=1000, device="cpu", warmup=0.25),
                   clock=clock)
    assert got.work == {"siren": pytest.approx(750 + 250 / 4)}
    assert got.seconds == pytest.approx(4.0 * (750 + 250 / 4))


@pytest.mark.parametrize("tf32", [False, True])
def test_tf32_is_switched_on_for_the_training_step_only(tiny, monkeypatch, tf32) -> None:
    """TF32 is a process-wide flag: a run that asks for it sets it around each of its steps
    and puts it back, so a render, a preview or another run never computes in TF32 by accident."""
    import torch

    from inr_studio.engine import step as step_module

    seen = []
    real = step_module.PlainStep.step

    def spy(self):
        seen.append(torch.backends.cuda.matmul.allow_tf32)
        return real(self)

    monkeypatch.setattr(step_module.PlainStep, "step", spy)
    torch.backends.cuda.matmul.allow_tf32 = False
    spec = _specs(tiny)[0]
    trainer = Trainer(FitProblem.create(tiny, spec.config),
                      TrainConfig(iters=3, device="cpu", tf32=tf32), spec.phases)
    while not trainer.done:
        trainer.step()
        assert torch.backends.cuda.matmul.allow_tf32 is False
    assert seen == [tf32] * 3
