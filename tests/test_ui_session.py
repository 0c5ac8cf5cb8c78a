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
    assert defaults_for("cpu").long_side == 128 and defaults_for("cuda").width == 256


def test_maps_follow_the_settings(small_image: np.ndarray) -> None:
    maps = compute_maps(small_image, RunSettings(seg_layer=2))
    assert set(maps.layers) == {"ftc", "qt", "hs"}
    labels = [label for label, _ in maps.layers["hs"]]
    assert labels[1].startswith("L2 segmentation") and "px cells" in labels[0]
    ids = maps.layers["hs"][1][1]
    assert np.array_equal(ids, maps.segmentation.class_map)
    flat = compute_maps(np.full((8, 8, 3), 0.5, np.float32), RunSettings())
    assert flat.segmentation is None and "Multi-Otsu" in flat.error
