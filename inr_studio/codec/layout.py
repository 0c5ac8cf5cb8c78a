"""Which tensors a file holds, in which order, and how a weight matrix is cut into vectors.

SINR's rule (docs/coding.md): a weight matrix (out × in, PyTorch's layout) is cut into vectors
of the hidden width k — the columns of L1's k×2, every column of a k×k matrix, the rows of L4's
3×k; each LoE expert's matrix likewise. For k below ``flat_below`` (50, the paper's "tiny INR")
the whole matrix, flattened row-major, is one vector. Biases are always dense (quantised, not
coded).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..models.config import ModelConfig
from .header import FLAT_BELOW

ROLE_WEIGHT, ROLE_BIAS = 0, 1
LAYOUT_DENSE, LAYOUT_COLUMNS, LAYOUT_ROWS, LAYOUT_FLAT = 0, 1, 2, 3
LAYOUT_NAMES = {LAYOUT_DENSE: "dense", LAYOUT_COLUMNS: "columns", LAYOUT_ROWS: "rows",
                LAYOUT_FLAT: "flat"}


@dataclass(frozen=True)
class TensorSlot:
    """One tensor the configuration calls for: layer (0-based), expert, role and shape."""

    layer: int
    expert: int
    role: int
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def name(self) -> str:
        if self.role == ROLE_BIAS:
            return f"L{self.layer + 1} bias"
        return f"L{self.layer + 1} expert {self.expert} weight"


@dataclass(frozen=True)
class TensorEntry:
    """A row of the file's tensor table (docs/format.md, "tensor table")."""

    layer: int
    expert: int
    role: int
    layout: int
    s: int  # non-zeros per vector (0 for dense)
    vec_len: int
    n_vec: int
    lo: float
    hi: float
    bits: int = 0  # the quantiser of this tensor (version 1: the file's value or bias bits)

    @property
    def sparse(self) -> bool:
        return self.layout != LAYOUT_DENSE

    @property
    def value_count(self) -> int:
        return self.n_vec * (self.s if self.sparse else self.vec_len)

    @property
    def index_count(self) -> int:
        return self.n_vec * self.s if self.sparse else 0


def tensor_slots(config: ModelConfig) -> list[TensorSlot]:
    """Layer by layer: each expert's weight (out × in), then the layer's bias."""
    slots = []
    for li, (tiling, (out, inp)) in enumerate(zip(config.tilings, config.layer_shapes())):
        for e in range(tiling.experts):
            slots.append(TensorSlot(li, e, ROLE_WEIGHT, (out, inp)))
        slots.append(TensorSlot(li, 0, ROLE_BIAS, (out,)))
    return slots


def sparse_cut(shape: tuple[int, int], width: int, flat_below: int = FLAT_BELOW) -> tuple[int, int, int]:
    """(layout, vector length, vector count) of the SINR cut of an out × in matrix."""
    out, inp = shape
    if width < flat_below:
        return LAYOUT_FLAT, out * inp, 1
    if out >= inp:
        return LAYOUT_COLUMNS, out, inp
    return LAYOUT_ROWS, inp, out


def cut_shape(layout: int, shape: tuple[int, ...]) -> tuple[int, int]:
    """(vector length, vector count) that ``layout`` gives a tensor of ``shape``."""
    if len(shape) == 1:
        return shape[0], 1
    out, inp = shape
    if layout == LAYOUT_COLUMNS:
        return out, inp
    if layout == LAYOUT_FLAT:
        return out * inp, 1
    return inp, out  # rows, and dense (row-major = rows)


def to_vectors(mat: np.ndarray, layout: int) -> np.ndarray:
    """n_vec × vec_len view of a matrix under ``layout``."""
    if mat.ndim == 1:
        return mat.reshape(1, -1)
    if layout == LAYOUT_COLUMNS:
        return np.ascontiguousarray(mat.T)
    if layout == LAYOUT_FLAT:
        return mat.reshape(1, -1)
    return mat


def from_vectors(vecs: np.ndarray, layout: int, shape: tuple[int, ...]) -> np.ndarray:
    if len(shape) == 1:
        return vecs.reshape(shape)
    if layout == LAYOUT_COLUMNS:
        return np.ascontiguousarray(vecs.T).reshape(shape)
    return vecs.reshape(shape)
