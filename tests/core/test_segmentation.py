"""HS-LoE segmentation: scikit-image's Multi-Otsu, equal bins, nearest-pixel lookup."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.color import rgb2gray
from skimage.filters import threshold_multiotsu

from inr_studio.coords import pixel_centres
from inr_studio.errors import OptionError
from inr_studio.segmentation import SegmentationConfig, class_at, segment


def test_multiotsu_classes_equal_scikit_image_on_a_real_image(small_image) -> None:
    seg = segment(small_image, SegmentationConfig("multiotsu", 4))
    lum = rgb2gray(small_image)
    thr = threshold_multiotsu(lum, classes=4)
    np.testing.assert_allclose(seg.thresholds, thr)
    np.testing.assert_array_equal(seg.class_map, np.digitize(lum, thr))
    assert seg.class_map.dtype == np.uint8 and set(np.unique(seg.class_map)) == {0, 1, 2, 3}


def test_multiotsu_on_a_kodak_image(kodak_dir) -> None:
    from inr_studio.imaging import load_image

    px = load_image(kodak_dir / "kodim23.png").pixels
    seg = segment(px)
    lum = rgb2gray(px)
    np.testing.assert_array_equal(seg.class_map, np.digitize(lum, threshold_multiotsu(lum, 4)))


def test_classes_are_ordered_dark_to_bright(small_image) -> None:
    seg = segment(small_image)
    means = [seg.luminance[seg.class_map == k].mean() for k in range(4)]
    assert means == sorted(means)


@pytest.mark.parametrize("classes", [2, 4, 5])
def test_equal_bins_give_about_equal_class_sizes(small_image, classes: int) -> None:
    seg = segment(small_image, SegmentationConfig("equal", classes))
    counts = seg.class_counts
    n = small_image.shape[0] * small_image.shape[1]
    assert counts.sum() == n and counts.size == classes
    assert np.all(np.abs(counts - n / classes) <= 0.02 * n), counts
    otsu = segment(small_image).class_counts  # Multi-Otsu does not balance them
    assert np.ptp(otsu) > np.ptp(segment(small_image, SegmentationConfig("equal", 4)).class_counts)


def test_class_at_source_size_is_the_map_and_at_twice_size_the_nearest_pixel() -> None:
    cmap = np.random.default_rng(1).integers(0, 4, size=(5, 7)).astype(np.uint8)
    np.testing.assert_array_equal(class_at(cmap, pixel_centres(5, 7)).reshape(5, 7), cmap)
    up = class_at(cmap, pixel_centres(10, 14)).reshape(10, 14)
    np.testing.assert_array_equal(up, np.repeat(np.repeat(cmap, 2, axis=0), 2, axis=1))


def test_bad_configurations_and_flat_images() -> None:
    with pytest.raises(OptionError):
        SegmentationConfig("kmeans")
    with pytest.raises(OptionError):
        SegmentationConfig("multiotsu", 1)
    flat = np.full((8, 8, 3), 0.5, dtype=np.float32)
    with pytest.raises(OptionError, match="equal"):
        segment(flat)


def test_many_multiotsu_classes_use_a_coarser_histogram(small_image) -> None:
    """Beyond 4 classes the thresholds are scikit-image's on a coarser histogram (fast), sorted."""
    from skimage.filters import threshold_multiotsu

    from inr_studio.segmentation import SegmentationConfig, luminance, multiotsu_bins, segment

    seg = segment(small_image, SegmentationConfig("multiotsu", 6))
    expected = threshold_multiotsu(luminance(small_image), classes=6, nbins=multiotsu_bins(6))
    assert multiotsu_bins(4) == 256 and multiotsu_bins(6) < 256
    np.testing.assert_allclose(seg.thresholds, expected)
    assert np.all(np.diff(seg.thresholds) > 0)
    assert set(np.unique(seg.class_map)) <= set(range(6))
