"""Image quality: PSNR (docs/models.md), SSIM, and the error map of the paper's figures."""

from __future__ import annotations

import numpy as np

# skimage.metrics imports scipy.stats (~1 s): imported where used, so the window paints first.


def to_unit(values: np.ndarray) -> np.ndarray:
    """Network output in [-1, 1] → image in [0, 1], clipped."""
    return np.clip((values + 1.0) * 0.5, 0.0, 1.0)


def to_uint8(image01: np.ndarray) -> np.ndarray:
    """Image in [0, 1] → uint8, clipped and rounded to nearest (every view and PNG writer)."""
    return (np.clip(image01, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def psnr_from_mse(mse01):
    """``10·log10(1/MSE)`` for an MSE on [0, 1] values, scalar or array; +inf where MSE is 0."""
    arr = np.asarray(mse01, dtype=np.float64)
    with np.errstate(divide="ignore"):
        out = 10.0 * np.log10(1.0 / np.maximum(arr, 0.0))
    return float(out) if out.ndim == 0 else out


def psnr(reconstruction: np.ndarray, reference: np.ndarray) -> float:
    """``10·log10(1/MSE)`` on [0, 1] values, the reconstruction clipped to [0, 1] first."""
    rec = np.clip(reconstruction, 0.0, 1.0).astype(np.float64)
    ref = reference.astype(np.float64)
    if np.array_equal(rec, ref):
        return float("inf")
    from skimage.metrics import peak_signal_noise_ratio

    return float(peak_signal_noise_ratio(ref, rec, data_range=1.0))


def ssim(reconstruction: np.ndarray, reference: np.ndarray) -> float:
    """scikit-image's SSIM on [0, 1] values, in float32 (the images' own precision): every
    preview computes it, float64 took up to a quarter longer (``benchmarks/preview_cost.py``),
    and the value is the same to 1e-6 (tested)."""
    rec = np.clip(reconstruction, 0.0, 1.0).astype(np.float32)
    ref = reference.astype(np.float32)
    small = min(ref.shape[0], ref.shape[1])
    win = min(7, small if small % 2 == 1 else small - 1)
    if win < 3:
        return float("nan")
    from skimage.metrics import structural_similarity

    return float(structural_similarity(ref, rec, data_range=1.0, channel_axis=2, win_size=win))


def error_map(reconstruction: np.ndarray, reference: np.ndarray, scale: float | None = None) -> np.ndarray:
    """Per-channel absolute error, normalised to [0, 1] by ``scale`` (default: its own maximum).

    Pass one shared ``scale`` to compare several models' maps on the same footing.
    """
    err = np.abs(np.clip(reconstruction, 0.0, 1.0) - reference).astype(np.float32)
    top = float(err.max()) if scale is None else float(scale)
    if top <= 0:
        return np.zeros_like(err)
    return np.clip(err / top, 0.0, 1.0)


def mean_psnr(values: list[float]) -> float:
    """A data set's average PSNR: the mean of per-image PSNRs (docs/models.md)."""
    return float(np.mean(values)) if values else float("nan")


def error_magnitude(reconstruction: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """H×W mean absolute error over channels: the window's heat-map view of the error."""
    return np.abs(np.clip(reconstruction, 0.0, 1.0) - reference).mean(axis=2).astype(np.float32)


def shared_error_scale(*errors: np.ndarray, floor: float = 1e-3) -> float:
    """One colour scale for several error maps: the largest 99.5th percentile (a few outlier
    pixels must not wash out the rest), at least ``floor``."""
    return max([floor] + [float(np.percentile(e, 99.5)) for e in errors])




def edge_psnr(reconstruction: np.ndarray, reference: np.ndarray) -> float:
    """How well the edges came back: PSNR of the Sobel gradient magnitude (the Edges view's,
    :func:`inr_studio.edges.sobel_magnitude`) against the target's, with the target's largest
    magnitude as the peak, border pixels left out (``10·log10(peak² / MSE)`` over the interior).
    +inf if equal; nan if the image has no interior or the target no edges."""
    from .edges import sobel_magnitude

    if reference.shape[0] < 3 or reference.shape[1] < 3:
        return float("nan")
    rec = sobel_magnitude(np.clip(reconstruction, 0.0, 1.0))[1:-1, 1:-1].astype(np.float64)
    ref = sobel_magnitude(reference)[1:-1, 1:-1].astype(np.float64)
    peak = float(ref.max())
    if peak <= 0:
        return float("nan")
    mse = float(np.mean((rec - ref) ** 2))
    if mse == 0:
        return float("inf")
    return float(10.0 * np.log10(peak * peak / mse))
