"""Checkpoints: a safetensors round trip, and every foreign or damaged file a CheckpointError."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from inr_studio.checkpoint import load_checkpoint, save_checkpoint
from inr_studio.errors import CheckpointError
from inr_studio.imaging import resize_image
from inr_studio.models import CoordinateNet, make_model_config
from inr_studio.problem import FitProblem
from inr_studio.render import render


@pytest.fixture(scope="module")
def hs_problem(small_image) -> FitProblem:
    return FitProblem.create(resize_image(small_image, 12, 16),
                             make_model_config("hs", width=8, depth=2, tile_scale=1 / 16))


@pytest.mark.parametrize("kind", ["siren", "ftc", "hs"])
def test_round_trip_keeps_weights_config_size_class_map_and_extra(tmp_path, hs_problem,
                                                                   kind) -> None:
    problem = hs_problem if kind == "hs" else FitProblem.create(
        hs_problem.pixels, make_model_config(kind, width=8, depth=2, tile_scale=1 / 16))
    model = CoordinateNet(problem.config, seed=5)
    path = tmp_path / "m.safetensors"
    save_checkpoint(path, model, 12, 16, problem.class_map, extra={"psnr": 12.5, "note": "é"})
    ck = load_checkpoint(path)
    assert ck.config == problem.config and (ck.height, ck.width) == (12, 16)
    assert ck.extra == {"psnr": 12.5, "note": "é"}
    a, b = model.state_dict(), ck.model.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    if kind == "hs":
        np.testing.assert_array_equal(ck.class_map, problem.class_map)
    else:
        assert ck.class_map is None
    np.testing.assert_array_equal(render(ck.model, 12, 16, ck.class_map),
                                  render(model, 12, 16, problem.class_map))
    assert not list(tmp_path.glob("*.part"))  # the atomic write left no temporary behind


def test_damaged_and_foreign_files_are_checkpoint_errors(tmp_path, hs_problem) -> None:
    from safetensors.torch import save

    model = CoordinateNet(hs_problem.config)
    good = tmp_path / "good.safetensors"
    save_checkpoint(good, model, 12, 16, hs_problem.class_map)
    raw = good.read_bytes()
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    meta = json.loads(raw[8 : 8 + int.from_bytes(raw[:8], "little")])["__metadata__"]
    with_map = {**state, "class_map": torch.from_numpy(hs_problem.class_map)}

    cases = {
        "missing.safetensors": None,
        "truncated.safetensors": raw[: len(raw) // 2],
        "noise.safetensors": np.random.default_rng(0).bytes(4096),
        "empty.safetensors": b"",
        "text.safetensors": b"hello, this is not a checkpoint",
        "foreign.safetensors": save({"w": torch.zeros(3)}),  # valid safetensors, not ours
        "no_segmentation.safetensors": save(state, metadata=meta),  # HS-LoE without its map
        "wrong_shapes.safetensors": save({**state, "layers.0.bias": torch.zeros(3)}, metadata=meta),
        "bad_config.safetensors": save(state, metadata=meta | {"config": "{\"kind\": 1"}),
        "newer.safetensors": save(state, metadata=meta | {"version": "99"}),
        "version_text.safetensors": save(state, metadata=meta | {"version": "one"}),
        "config_list.safetensors": save(state, metadata=meta | {"config": "[1]"}),
        "config_null.safetensors": save(state, metadata=meta | {"config": "null"}),
        "size.safetensors": save(with_map, metadata=meta | {"height": "-3"}),
        "flat_map.safetensors": save({**state, "class_map": torch.zeros(7, dtype=torch.uint8)},
                                     metadata=meta),
    }
    for name, data in cases.items():
        path = tmp_path / name
        if data is not None:
            path.write_bytes(data)
        with pytest.raises(CheckpointError) as info:
            load_checkpoint(path)
        assert name.split(".")[0] in str(info.value) or path.name in str(info.value)


def test_a_pickle_is_refused_without_running_it(tmp_path) -> None:
    path = tmp_path / "model.pt"
    torch.save({"layers.0.weight": torch.zeros(1)}, path)
    with pytest.raises(CheckpointError):
        load_checkpoint(path)
