"""The latent-grid model's probability model as the file defines it: the ARM in integers, the
(μ, b) grid, and the wavefront order in which latents are coded.

The range coder must see the same (μ, b) for every latent in the encoder and the decoder, on
any machine and thread count. Floating point cannot promise that (a sum's order changes with
threads and kernels), so the file's ARM is integer arithmetic (Cool-chic's ``armint``):

- activations and weights in fixed point with :data:`SHIFT` fractional bits; a weight stored
  as the integer q with step 2^−e is ``q · 2^(SHIFT − e)``, a bias ``q · 2^(2·SHIFT − e)``;
- each layer ``Z = A·Wᵀ + B``, then ``⌊Z / 2^SHIFT⌋`` (an arithmetic shift); hidden
  layers are residual with a ReLU, ``A ← min((Z >> SHIFT) + A, ACT_LIMIT)`` clipped at 0;
  the output is the trunk's plus the linear branch's ``Z``, shifted once;
- μ = ⌊out₀ / 2^(SHIFT − 8)⌋ / 256, clipped to the alphabet; log b on the same 1/256 grid,
  ⌊(out₁ − 4·2^SHIFT) / 2^(SHIFT − 8)⌋ clipped to [−5, 5]·256, and b read from a table
  of exp(k/256) computed once in exact decimal arithmetic (never a platform's ``exp``).

The bounds make every product and every partial sum ``A·Wᵀ`` an integer below 2^53 in
magnitude: latents |ŷ| < 2^12 and activations ≤ ``ACT_LIMIT`` = 2^(12 + SHIFT), fixed-point
weights |W| ≤ ``WEIGHT_LIMIT`` = 2^(8 + SHIFT) (a weight of magnitude ≤ 256; a file with a
larger one is refused), at most 40 terms: |Σ| < 2^24 · 2^20 · 2^5.4 < 2^50. A float64 matrix
product of such integers is exact in any order, so the products run in BLAS (fast, threaded)
and still give the integers every machine and thread count gives (every value is an
integer held in float64; a shift is a floor after a multiplication by a power of two, both
exact).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Context, Decimal
from functools import lru_cache

import numpy as np

from ..models.latent_config import CONTEXT_REACH, context_offsets
from ..models.latent_net import LOG_SCALE_MAX, LOG_SCALE_MIN, LOG_SCALE_SHIFT

SHIFT = 12
#: Largest activation (fixed point): 2^12 in value, far above what a trained ARM reaches.
ACT_LIMIT = 1 << (12 + SHIFT)
#: Largest fixed-point weight: 256 in value.
WEIGHT_LIMIT = 1 << (8 + SHIFT)
#: μ and log b live on a grid of 1/2^GRID_BITS.
GRID_BITS = 8
LOG_LO, LOG_HI = int(LOG_SCALE_MIN) << GRID_BITS, int(LOG_SCALE_MAX) << GRID_BITS


@lru_cache(maxsize=1)
def scale_table() -> np.ndarray:
    """b for every log-b grid point k/256, k = LOG_LO…LOG_HI: exp computed in decimal with 30
    digits and correctly rounded to float64, so every machine builds the identical table."""
    ctx = Context(prec=30)
    return np.array([float(ctx.exp(Decimal(k) / 256)) for k in range(LOG_LO, LOG_HI + 1)],
                    dtype=np.float64)


@dataclass(frozen=True)
class IntArm:
    """The ARM's layers in fixed point: (W, B) of each hidden layer, the output and the linear
    branch, integers held exactly in float64 (W transposed: in × out)."""

    hidden: tuple[tuple[np.ndarray, np.ndarray], ...]
    out: tuple[np.ndarray, np.ndarray]
    linear: tuple[np.ndarray, np.ndarray]

    @staticmethod
    def from_quantised(weights: list[np.ndarray], biases: list[np.ndarray], weight_exp: int,
                       bias_exp: int) -> "IntArm":
        """From the stored integers, layer by layer (hidden…, output, linear branch); a
        ValueError if a weight exceeds :data:`WEIGHT_LIMIT`."""
        w = [np.asarray(q, dtype=np.int64) << (SHIFT - weight_exp) for q in weights]
        if any(x.size and int(np.abs(x).max()) > WEIGHT_LIMIT for x in w):
            raise ValueError(f"an ARM weight exceeds ±{WEIGHT_LIMIT >> SHIFT}")
        b = [np.asarray(q, dtype=np.int64) << (2 * SHIFT - bias_exp) for q in biases]
        layers = [(x.T.astype(np.float64), y.astype(np.float64)) for x, y in zip(w, b)]
        return IntArm(tuple(layers[:-2]), layers[-2], layers[-1])

    def __call__(self, ctx: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """(N, C) integer latents → (μ on the 1/256 grid, index into :func:`scale_table`)."""
        if len(ctx) <= BLOCK:
            return self._block(ctx, lo, hi)
        parts = [self._block(ctx[s], lo, hi) for s in chunks(len(ctx), BLOCK)]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def _block(self, ctx: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        """Every value below is an integer (float64 holds them exactly; ``floor(z · 2^−k)`` is
        the arithmetic shift ``z >> k``)."""
        x0 = ctx.astype(np.float64) * _ONE
        a = x0
        for w, b in self.hidden:
            z = a @ w
            z += b
            z *= _INV
            np.floor(z, out=z)
            z += a
            a = np.clip(z, 0.0, ACT_LIMIT, out=z)
        z = a @ self.out[0] + x0 @ self.linear[0]
        z += self.out[1] + self.linear[1]
        z *= _INV
        np.floor(z, out=z)
        mu = np.clip(np.floor(z[:, 0] * _DROP), lo << GRID_BITS, hi << GRID_BITS)
        log_b = np.clip(np.floor((z[:, 1] - LOG_SCALE_SHIFT * _ONE) * _DROP), LOG_LO, LOG_HI)
        return mu.astype(np.int64), log_b.astype(np.int64) - LOG_LO


#: Rows per matrix product: small enough that BLAS never wakes threads for one (on a shared
#: machine a threaded 4096×16×16 product was measured 1,000× slower than a single-threaded one).
BLOCK = 512
_ONE, _INV = float(1 << SHIFT), 1.0 / (1 << SHIFT)
_DROP = 1.0 / (1 << (SHIFT - GRID_BITS))


def laplace_parameters(mu: np.ndarray, scale_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The float64 (μ, b) constriction's quantised Laplace is built from (both exact)."""
    return mu.astype(np.float64) / (1 << GRID_BITS), scale_table()[scale_index]


@dataclass(frozen=True)
class Wavefront:
    """The order latents are coded in, and where each sits in one padded buffer of every grid.

    Each grid is padded by ``CONTEXT_REACH`` zeros on every side; the grids follow each other
    in one flat int64 buffer. A latent at (y, x) of grid g is coded at step t = x + k·y, where
    k = 1 + the largest column offset of the context on the rows above: then every context
    position is coded at an earlier step (or is padding). Within a step: grid by grid, row by
    row. The decoder decodes one step at a time (every grid at once); the encoder codes the
    same sequence in one call.
    """

    positions: np.ndarray  # (N,) buffer index of each latent, in coding order
    grid: np.ndarray  # (N,) its grid
    starts: np.ndarray  # (T + 1,) where each step begins in that order
    relative: np.ndarray  # (G, C) buffer offsets of a latent's context, per grid
    raster: tuple[np.ndarray, ...]  # per grid: buffer index of each latent in raster order
    size: int  # the buffer's length

    @staticmethod
    def build(shapes: tuple[tuple[int, int], ...], context: int) -> "Wavefront":
        offsets = context_offsets(context)
        k = 1 + max([dx for dy, dx in offsets if dy < 0] + [0])
        r = CONTEXT_REACH
        base, pos, grid, steps, rel, raster = 0, [], [], [], [], []
        for g, (h, w) in enumerate(shapes):
            pw = w + 2 * r
            ys, xs = np.divmod(np.arange(h * w, dtype=np.int64), w)
            flat = base + (ys + r) * pw + xs + r
            raster.append(flat)
            pos.append(flat)
            grid.append(np.full(h * w, g, dtype=np.int64))
            steps.append(xs + k * ys)
            rel.append([dy * pw + dx for dy, dx in offsets])
            base += (h + 2 * r) * pw
        pos_all, grid_all, t_all = (np.concatenate(a) for a in (pos, grid, steps))
        order = np.lexsort((pos_all, t_all))  # by step, then by buffer position (grid, row)
        t_sorted = t_all[order]
        starts = np.searchsorted(t_sorted, np.arange(int(t_sorted[-1]) + 2))
        return Wavefront(pos_all[order], grid_all[order], starts,
                         np.array(rel, dtype=np.int64), tuple(raster), base)

    @property
    def steps(self) -> int:
        return len(self.starts) - 1

    def contexts(self, buffer: np.ndarray, sel: slice) -> np.ndarray:
        p = self.positions[sel]
        return buffer[p[:, None] + self.relative[self.grid[sel]]]

    def buffer(self, grids: list[np.ndarray] | None = None) -> np.ndarray:
        """The padded buffer, zeros or holding ``grids`` (integer arrays, finest first)."""
        buf = np.zeros(self.size, dtype=np.int64)
        for flat, g in zip(self.raster, grids or []):
            buf[flat] = np.asarray(g, dtype=np.int64).reshape(-1)
        return buf

    def grids(self, buffer: np.ndarray, shapes: tuple[tuple[int, int], ...]) -> list[np.ndarray]:
        return [buffer[flat].reshape(shape) for flat, shape in zip(self.raster, shapes)]


def chunks(n: int, size: int = 1 << 15):
    """Slices of at most ``size`` rows (bounded memory and single-threaded products)."""
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def all_parameters(arm: IntArm, wave: Wavefront, buffer: np.ndarray, lo: int, hi: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(μ grid values, scale indices) of every latent in coding order, from the complete
    buffer (the encoder's view: every context is known)."""
    n = len(wave.positions)
    mu = np.empty(n, dtype=np.int64)
    idx = np.empty(n, dtype=np.int64)
    for sel in chunks(n):
        mu[sel], idx[sel] = arm(wave.contexts(buffer, sel), lo, hi)
    return mu, idx


def bits_estimate(symbols: np.ndarray, mu: np.ndarray, scale_index: np.ndarray) -> float:
    """Σ −log2 P of the symbols under the grid's Laplace (what the range coder will spend,
    within a few bytes)."""
    m, b = laplace_parameters(mu, scale_index)
    a = np.abs(symbols - m)
    upper = 0.5 * np.exp(-(a + 0.5) / b)
    lower = np.where(a >= 0.5, 0.5 * np.exp(-np.maximum(a - 0.5, 0) / b),
                     1.0 - 0.5 * np.exp(-np.maximum(0.5 - a, 0) / b))
    return float(-np.log2(np.maximum(lower - upper, 2.0 ** -24)).sum())
