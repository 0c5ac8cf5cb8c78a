"""The window's Qt-free state: settings round trip and validation, working sizes, map labels."""

from __future__ import annotations

import numpy as np

from inr_studio.ui.session import (MAX_OTSU_CLASSES, RunSettings, compute_maps, defaults_for,
                                   working_size)


def test_settings_round_trip_and_bad_values_keep_defaults() -> None:
    s = RunSettings(width=32, seg_method="equal", seg_classes=6, seed=3)
    assert RunSettings.from_dict(s.to_dict()) == s
    bad = {"width": "wide", "depth": 99, "seg_classes": 40, "lr": 0.01, "unknown": 1}
    got = RunSettings.from_dict(bad)
    assert (got.width, got.depth, got.seg_classes, got.lr) == (64, 3, 4, 0.01)


def test_multiotsu_class_limit() -> None:
    s = RunSettings(seg_method="equal", seg_classes=7)
    assert s.usable() == s
    otsu = RunSettings(seg_method="multiotsu", seg_classes=7).usable()
    assert otsu.seg_classes == MAX_OTSU_CLASSES


def test_working_size_keeps_aspect_and_never_enlarges() -> None:
    assert working_size(512, 768, 128) == (85, 128)
    assert working_size(32, 32, 128) == (32, 32)
    assert working_size(300, 400, 0) == (300, 400)
    assert defaults_for("cpu").long_side == 256 and defaults_for("cuda").width == 256
    # the coarse warm-up is the CPU's minute-long default, off for the paper's GPU setting
    assert defaults_for("cpu").train_config().warmup == 0.25
    assert defaults_for("cuda").train_config().warmup == 0.0
    assert RunSettings.from_dict({"warmup": 1.5}).warmup == 0.25  # impossible: default kept


def test_maps_follow_the_settings(small_image: np.ndarray) -> None:
    maps = compute_maps(small_image, RunSettings(seg_layer=2))
    assert set(maps.layers) == {"ftc", "qt", "hs"}
    labels = [label for label, _ in maps.layers["hs"]]
    assert labels[1].startswith("L2 segmentation") and "px cells" in labels[0]
    ids = maps.layers["hs"][1][1]
    assert np.array_equal(ids, maps.segmentation.class_map)
    flat = compute_maps(np.full((8, 8, 3), 0.5, np.float32), RunSettings())
    assert flat.segmentation is None and "Multi-Otsu" in flat.error


# --- the models of a comparison (any registry entries, 1 to 6) ---
def test_models_default_to_the_paper_and_are_validated(extra_models) -> None:
    import pytest

    from inr_studio.errors import OptionError
    from inr_studio.models.registry import PAPER_MODELS

    assert RunSettings().models == PAPER_MODELS
    for bad in ((), ("siren", "siren"), ("siren", "nope"),
                ("siren", "ftc", "qt", "hs") + extra_models):
        with pytest.raises(OptionError):
            RunSettings(models=bad)
    s = RunSettings(models=("hs", "fake1"))
    assert RunSettings.from_dict(s.to_dict()) == s  # stored as a JSON list, read back


def test_stored_unknown_models_are_dropped(extra_models) -> None:
    import json

    data = json.loads(json.dumps(RunSettings(models=("fake0", "qt")).to_dict()))
    data["models"] = ["eoren-from-a-newer-build", "fake0", "qt", "fake0"]
    assert RunSettings.from_dict(data).models == ("fake0", "qt")
    for bad in (["gone"], "siren", 3, None):
        data["models"] = bad
        assert RunSettings.from_dict(data).models == RunSettings().models  # base kept


def test_session_builds_specs_and_maps_for_the_chosen_models(small_image, extra_models) -> None:
    from inr_studio.models.registry import PAPER_MODELS
    from inr_studio.ui.session import Session

    session = Session(RunSettings(models=("fake2", "qt", "siren")))
    assert session.set_settings(RunSettings(models=("fake2", "qt", "siren"))) is False  # no image
    from inr_studio.imaging import LoadedImage

    session.set_image(LoadedImage(small_image, 8, "x.png"))
    specs = session.model_specs()
    assert [s.key for s in specs] == ["fake2", "qt", "siren"]
    assert specs[0].config.kind == "fake2" and specs[0].label == "Fake 2"
    assert specs[1].config.tilings[0].scale < 128  # tiles scaled to the 48×64 working size
    assert set(session.model_configs()) == {"fake2", "qt", "siren"}
    assert list(session.maps.layers) == ["qt"]  # only models with experts have maps
    assert session.set_settings(RunSettings(models=PAPER_MODELS))  # maps follow the choice
    assert list(session.maps.layers) == ["ftc", "qt", "hs"]
    assert session.maps.picture.dtype == np.uint8 and session.maps.picture.shape == (48, 64, 3)


def test_set_settings_hands_its_work_to_a_runner_or_does_it_at_once(small_image) -> None:
    """The window gives ``set_settings`` its background lane (``run=``); a script lets it make
    the working copy and maps at once. Both go through the same load stages."""
    from dataclasses import replace

    from inr_studio.imaging import LoadedImage
    from inr_studio.ui.session import Session, load_stages

    image = LoadedImage(small_image, 8, "x.png")
    now, later = Session(), Session()
    now.set_image(image)
    later.set_image(image)
    for change in ({"long_side": 32}, {"depth": 2}):  # a new working copy, then new maps only
        new = replace(now.settings, **change)
        requests: list = []
        maps_before = later.maps
        assert later.set_settings(new, run=requests.append)
        assert later.settings == new and later.maps is maps_before  # nothing made yet
        assert now.set_settings(new)
        (request,) = requests
        assert request.image is image and request.settings == new
        assert (request.working is None) == ("long_side" in change)
        for stage in load_stages(request):
            later.apply(stage)
        assert np.array_equal(later.working, now.working)
        assert later.working.shape[:2] == (24, 32)
        assert np.array_equal(later.maps.segmentation.class_map, now.maps.segmentation.class_map)
        assert [len(v) for v in later.maps.layers.values()] == [new.layers] * 3
    assert later.set_settings(replace(later.settings, seed=5), run=requests.append) is False
