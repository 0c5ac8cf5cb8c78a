"""The export default: the smallest file within 0.1 dB of the trained network, found by decoding."""

from __future__ import annotations

import pytest

from inr_studio.codec import CodecOptions, roundtrip
from inr_studio.engine.config import TrainConfig
from inr_studio.engine.fit import fit
from inr_studio.imaging import resize_image
from inr_studio.models.config import make_model_config
from inr_studio.problem import FitProblem
from inr_studio.render import TrainedNetwork
from inr_studio.studies.export_default import smallest_within


@pytest.fixture(scope="module")
def trained(small_image):
    pixels = resize_image(small_image, 24, 32)
    cfg = make_model_config("siren", width=24, depth=2, tile_scale=1.0)
    trainer, _ = fit(FitProblem.create(pixels, cfg), TrainConfig(iters=80, lr=2e-3, device="cpu"))
    p = trainer.problem
    return TrainedNetwork(trainer.model.cpu(), p.height, p.width, p.class_map), pixels


def test_smallest_within_tolerance_beats_every_uniform_depth_that_qualifies(trained) -> None:
    net, pixels = trained
    choice = smallest_within(net, pixels, 0.1)
    assert choice.psnr_trained - choice.trip.psnr <= 0.1 + 1e-9
    old_default = roundtrip(net, pixels, CodecOptions(plain=True, bits=16))
    assert choice.trip.file_bytes < 0.75 * old_default.file_bytes
    for bits in range(2, 17):  # no uniform depth within 0.1 dB gives a smaller file
        rt = roundtrip(net, pixels, CodecOptions(plain=True, bits=bits))
        if choice.psnr_trained - rt.psnr <= 0.1:
            assert rt.file_bytes >= choice.trip.file_bytes
    # The chosen options reproduce the file byte for byte.
    again = roundtrip(net, pixels, choice.options)
    assert again.data == choice.trip.data


def test_stopping_at_once_keeps_the_16_bit_file(trained) -> None:
    net, pixels = trained
    choice = smallest_within(net, pixels, 0.1, should_stop=lambda: True)
    assert choice.options.bits == 16 and choice.tried == 1


def test_qat_then_search_is_no_larger_and_still_within_tolerance(trained, small_image) -> None:
    from inr_studio.studies.export_default import qat_smallest_within

    net, pixels = trained
    cfg = net.model.config
    problem = FitProblem.create(pixels, cfg)
    plain = smallest_within(net, pixels, 0.1)
    tuned = qat_smallest_within(net, pixels, problem, TrainConfig(lr=2e-3, device="cpu"), 20, 0.1)
    assert tuned.trip.file_bytes <= plain.trip.file_bytes
    assert tuned.psnr_trained == pytest.approx(plain.psnr_trained)
    assert tuned.psnr_trained - tuned.trip.psnr <= 0.1 + 1e-9
    assert roundtrip(net, pixels, plain.options).data == plain.trip.data
