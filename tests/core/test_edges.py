"""The Sobel magnitude of the Edges view, against a hand computation; float → uint8."""

from __future__ import annotations

import numpy as np

from inr_studio.edges import sobel_magnitude
from inr_studio.metrics import to_uint8


def hand_sobel(channel: np.ndarray, i: int, j: int) -> tuple[float, float]:
    """The Sobel gradient written out: correlation with Kx, Ky, borders by edge replication."""
    h, w = channel.shape

    def at(r: int, c: int) -> float:
        return float(channel[min(max(r, 0), h - 1), min(max(c, 0), w - 1)])

    gx = (at(i - 1, j + 1) + 2 * at(i, j + 1) + at(i + 1, j + 1)
          - at(i - 1, j - 1) - 2 * at(i, j - 1) - at(i + 1, j - 1))
    gy = (at(i + 1, j - 1) + 2 * at(i + 1, j) + at(i + 1, j + 1)
          - at(i - 1, j - 1) - 2 * at(i - 1, j) - at(i - 1, j + 1))
    return gx, gy


def test_sobel_magnitude_matches_hand_computation() -> None:
    rng = np.random.default_rng(3)
    img = rng.random((5, 6, 3)).astype(np.float32)
    got = sobel_magnitude(img)
    assert got.shape == (5, 6) and got.dtype == np.float32
    for i, j in ((2, 3), (0, 0), (4, 5), (0, 3), (2, 0)):  # interior, corners, edges
        mags = [np.hypot(*hand_sobel(img[..., c], i, j)) for c in range(3)]
        assert abs(got[i, j] - np.mean(mags)) < 1e-5


def test_sobel_magnitude_of_a_ramp_and_a_step() -> None:
    ramp = np.tile(np.arange(6, dtype=np.float32) / 10, (4, 1))  # +0.1 per column
    mag = sobel_magnitude(np.stack([ramp] * 3, axis=2))
    assert np.allclose(mag[:, 1:-1], 8 * 0.1)  # 8 × the per-pixel derivative inside
    assert np.allclose(mag[:, [0, -1]], 4 * 0.1)  # half of it where the border is replicated
    step = np.zeros((4, 4), np.float32)
    step[2:] = 1.0  # a horizontal edge: gy only, positive (y grows with the row index)
    mag = sobel_magnitude(step)
    assert np.allclose(mag[1], 4.0) and np.allclose(mag[2], 4.0) and np.allclose(mag[[0, 3]], 0)
    assert np.all(sobel_magnitude(np.full((3, 3, 3), 0.7, np.float32)) == 0)


def test_to_uint8_rounds_and_clips() -> None:
    out = to_uint8(np.array([-0.5, 0.0, 0.5 / 255, 0.49 / 255, 0.5, 1.0, 2.0]))
    assert out.dtype == np.uint8
    assert out.tolist() == [0, 0, 1, 0, 128, 255, 255]
