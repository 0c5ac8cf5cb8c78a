"""Pixel-centre coordinates: the formula, not linspace; end pixels half a pixel in."""

from __future__ import annotations

import numpy as np
import pytest

from inr_studio.coords import axis_centres, pixel_centres, pixel_centres_rows


@pytest.mark.parametrize("h, w", [(1, 1), (2, 3), (5, 7), (512, 768)])
def test_pixel_centres_follow_the_formula_in_raster_order(h: int, w: int) -> None:
    c = pixel_centres(h, w)
    assert c.shape == (h * w, 2) and c.dtype == np.float64
    i, j = np.divmod(np.arange(h * w), w)  # row, column of each raster index
    np.testing.assert_allclose(c[:, 0], -1.0 + (2 * j + 1) / w, rtol=0, atol=1e-15)  # x first
    np.testing.assert_allclose(c[:, 1], -1.0 + (2 * i + 1) / h, rtol=0, atol=1e-15)


def test_end_pixels_sit_half_a_pixel_inside_the_border() -> None:
    h, w = 4, 6
    c = pixel_centres(h, w).reshape(h, w, 2)
    assert c[0, 0, 0] == pytest.approx(-1 + 1 / w) and c[0, -1, 0] == pytest.approx(1 - 1 / w)
    assert c[0, 0, 1] == pytest.approx(-1 + 1 / h) and c[-1, 0, 1] == pytest.approx(1 - 1 / h)
    # Symmetric about 0, and never on the border itself (where linspace would put it).
    np.testing.assert_allclose(axis_centres(w), -axis_centres(w)[::-1], atol=1e-15)
    assert np.all(np.abs(c) < 1.0)
    assert not np.allclose(axis_centres(w), np.linspace(-1, 1, w))


def test_each_axis_is_normalised_on_its_own() -> None:
    c = pixel_centres(2, 8)
    assert np.unique(c[:, 1]).tolist() == pytest.approx([-0.5, 0.5])
    assert np.unique(c[:, 0]).size == 8 and c[:, 0].max() == pytest.approx(1 - 1 / 8)


def test_rows_match_the_full_grid_for_any_chunk() -> None:
    h, w = 7, 5
    full = pixel_centres(h, w)
    for start, stop in [(0, 1), (3, 17), (0, h * w), (h * w - 2, h * w)]:
        np.testing.assert_array_equal(pixel_centres_rows(h, w, start, stop), full[start:stop])
