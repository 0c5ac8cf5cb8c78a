"""LoE tilings: the paper's own cell check at 768×512, aliasing, auto tile scale."""

from __future__ import annotations

import numpy as np
import pytest

from inr_studio.coords import pixel_centres
from inr_studio.errors import OptionError
from inr_studio.models import make_model_config
from inr_studio.problem import expert_id_maps
from inr_studio.tiling import (LayerTiling, aliasing_warning, auto_tile_scale, expert_ids, grid)


def run_lengths(line: np.ndarray) -> np.ndarray:
    """Lengths of the runs of equal values along a 1-D array."""
    edges = np.flatnonzero(np.diff(line) != 0) + 1
    return np.diff(np.concatenate([[0], edges, [line.size]]))


def cell_sizes(ids: np.ndarray) -> tuple[set[int], set[int]]:
    """Distinct run lengths along x (every row) and along y (every column) of an id map."""
    xs = {int(n) for row in ids for n in run_lengths(row)}
    ys = {int(n) for col in ids.T for n in run_lengths(col)}
    return xs, ys


@pytest.fixture(scope="module")
def ftc_maps() -> list[np.ndarray]:
    return expert_id_maps(make_model_config("ftc", width=4), 512, 768, None)


def test_ftc_cells_at_768x512_are_3x2_px_at_a128_and_192x128_px_at_a2(ftc_maps) -> None:
    xs, ys = cell_sizes(ftc_maps[0])  # L1, A = 128
    assert xs == {3} and ys == {2}
    xs, ys = cell_sizes(ftc_maps[3])  # L4, A = 2
    assert xs == {192} and ys == {128}
    # A = 8 and A = 4 in between: 48×32 and 96×64 px.
    assert cell_sizes(ftc_maps[1]) == ({48}, {32}) and cell_sizes(ftc_maps[2]) == ({96}, {64})


def test_qt_is_ftc_reversed(ftc_maps) -> None:
    qt = expert_id_maps(make_model_config("qt", width=4), 512, 768, None)
    for a, b in zip(qt, reversed(ftc_maps)):
        np.testing.assert_array_equal(a, b)


def test_grid_ids_follow_the_formula_with_positive_remainder() -> None:
    coords = pixel_centres(6, 10)
    t = grid(2.5, shift=0.3)
    ix = np.floor(2.5 * coords[:, 0] + 0.3).astype(int) % 2
    iy = np.floor(2.5 * coords[:, 1] + 0.3).astype(int) % 2
    ids = expert_ids(t, coords, None)
    np.testing.assert_array_equal(ids, 2 * iy + ix)
    assert set(np.unique(ids)) == {0, 1, 2, 3}  # negative x and y still give ids in 0..3


def test_linspace_coordinates_would_break_the_finest_cells() -> None:
    """Why pixel centres: with linspace the A=128 cells are no longer all 3 px wide."""
    xs = np.linspace(-1, 1, 768)
    ids = np.mod(np.floor(128 * xs), 2)
    assert set(run_lengths(ids).tolist()) != {3}


def test_aliasing_is_detected_and_auto_scale_cures_it() -> None:
    paper = make_model_config("ftc", width=4)
    assert aliasing_warning(paper.tilings, 512, 768) is None
    msg = aliasing_warning(paper.tilings, 48, 64)
    assert msg is not None and "L1" in msg and "auto" in msg
    s = auto_tile_scale(48, 64)
    assert s == pytest.approx(64 / 768)
    scaled = make_model_config("ftc", width=4, tile_scale=s)
    assert aliasing_warning(scaled.tilings, 48, 64) is None


def test_auto_scale_keeps_the_papers_pixel_cells_at_half_size() -> None:
    cfg = make_model_config("ftc", width=4, tile_scale=auto_tile_scale(256, 384))
    maps = expert_id_maps(cfg, 256, 384, None)
    assert cell_sizes(maps[0]) == ({3}, {2}) and cell_sizes(maps[3]) == ({192}, {128})


def test_bad_tilings_are_option_errors() -> None:
    with pytest.raises(OptionError):
        LayerTiling("hexagon")
    with pytest.raises(OptionError):
        grid(0.0)
    with pytest.raises(OptionError):
        LayerTiling("segment", classes=1)
    with pytest.raises(OptionError):
        expert_ids(LayerTiling("segment", classes=4), pixel_centres(2, 2), None)
