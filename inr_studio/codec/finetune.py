"""SINR with fine-tuned coefficients (beyond the paper): keep the support OMP found, then train
the s non-zero coefficients of every vector through the fixed seeded dictionary against the
image loss, through the file's quantiser (the same straight-through QAT as ``engine/qat.py``).

``Phase("sinr-finetune", steps=N, lr_scale=…, options=(("bits", b), ("sparsity", s), ("k2", k),
("seed", d)))`` appended to a spec. When the phase starts, OMP codes each weight tensor (as the
encoder would with those options) and the layer's weight becomes a parametrisation of the
coefficients: ``W = A_S·q(x)``, only ``x`` is trained (biases, and weights the code leaves
dense, get plain QAT). ``finish`` puts the coefficients on their grid and sets the weights to
exactly what a decoder rebuilds from the stored support and integers; :func:`finetuned_codes`
hands those codes to the encoder (``roundtrip(…, codes=…)``), which then runs no OMP.
"""

from __future__ import annotations

import weakref

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize

from ..engine.batch import Batcher
from ..engine.config import QatConfig
from ..engine.objectives import register_objective
from ..engine.qat import FakeQuant, QuantisationAware, grid_tensor, unparametrize_
from ..models.network import CoordinateNet
from ..models.quantiser import on_grid
from ..problem import FitProblem
from .dictionary import dictionary, reconstruct
from .encoder import SparseCode, model_arrays, sparse_codes
from .layout import LAYOUT_COLUMNS, ROLE_WEIGHT, TensorSlot, from_vectors, sparse_cut
from .options import CodecOptions

_CODES: weakref.WeakKeyDictionary[CoordinateNet, dict[TensorSlot, SparseCode]] = (
    weakref.WeakKeyDictionary())


def finetuned_codes(model: CoordinateNet) -> dict[TensorSlot, SparseCode] | None:
    """The sparse codes a finished ``sinr-finetune`` phase left for ``model`` (None: none)."""
    return _CODES.get(model)


class SparseWeight(nn.Module):
    """Parametrisation of a layer's (E × out × in) weight by its experts' coefficients
    (E × n_vec × s): ``W[e] = from_vectors(A_S[e]·q(x[e]))``."""

    def __init__(self, atoms: torch.Tensor, layout: int, shape: tuple[int, int], bits: int) -> None:
        super().__init__()
        self.register_buffer("atoms", atoms)  # E × n_vec × s × m, float32
        self.layout = layout
        self.shape = shape
        self.bits = bits

    def forward(self, coef: torch.Tensor) -> torch.Tensor:
        snapped = torch.stack([grid_tensor(coef[e], self.bits) for e in range(coef.shape[0])])
        x = snapped + (coef - coef.detach())
        vecs = torch.einsum("evs,evsm->evm", x, self.atoms)
        out, inp = self.shape
        if self.layout == LAYOUT_COLUMNS:  # the vectors are the columns
            return vecs.transpose(1, 2)
        return vecs.reshape(coef.shape[0], out, inp)  # rows, or one flat vector


@register_objective("sinr-finetune")
class SinrFinetune(QuantisationAware):
    """QAT of the SINR coefficients on a fixed support (options: bits, sparsity, k2, seed)."""

    def __init__(self, problem: FitProblem, batcher: Batcher, bits: int = QatConfig.bits,
                 sparsity: int = 8, k2: int = CodecOptions.k2,
                 seed: int = CodecOptions.seed) -> None:
        super().__init__(problem, batcher, bits=bits)
        self.options = CodecOptions(sparsity=int(sparsity), target_error=None, k2=int(k2),
                                    seed=int(seed), bits=self.bits)
        self._codes: dict[TensorSlot, SparseCode] = {}
        self._sparse_layers: dict[int, list[TensorSlot]] = {}

    def prepare(self, model: CoordinateNet) -> None:
        arrays = model_arrays(model)
        weights = [s for s in arrays if s.role == ROLE_WEIGHT]
        codes = sparse_codes(arrays, weights, model.config.width, self.options)
        self._codes, self._sparse_layers = {}, {}
        for li, layer in enumerate(model.layers):
            slots = [s for s in weights if s.layer == li]
            if slots and all(s in codes for s in slots):
                self._sparse_layers[li] = slots
                self._codes.update({s: codes[s] for s in slots})
                parametrize.register_parametrization(
                    layer, "weight", self._parametrisation(slots, codes, layer.weight.device),
                    unsafe=True)
            else:
                parametrize.register_parametrization(
                    layer, "weight", FakeQuant((self.bits,) * layer.weight.shape[0]), unsafe=True)
            parametrize.register_parametrization(layer, "bias", FakeQuant((self.bits,)), unsafe=True)

    def _parametrisation(self, slots: list[TensorSlot], codes: dict,
                         device: torch.device) -> SparseWeight:
        """On the weight's device: the coefficients become the layer's trained tensor there."""
        layout, m, _ = sparse_cut(slots[0].shape, self.problem.config.width)
        a = dictionary(m, self.options.k2, self.options.seed)
        atoms = np.stack([a.T[codes[s].support] for s in slots])  # E × n_vec × s × m
        coef = torch.from_numpy(np.stack([codes[s].coef for s in slots]).astype(np.float32))
        coef = coef.to(device)
        p = SparseWeight(torch.from_numpy(atoms.astype(np.float32)).to(device), layout,
                         slots[0].shape, self.bits)
        p.right_inverse = lambda _w: coef  # the original tensor becomes the coefficients
        return p

    def finish(self, model: CoordinateNet) -> None:
        """The best coefficients (put back by the trainer) on their grid, the weights the
        decoder rebuilds, and the codes for the encoder."""
        coefs = {li: model.layers[li].parametrizations["weight"].original.detach().cpu()
                 .double().numpy() for li in self._sparse_layers}
        unparametrize_(model)
        codes = {}
        with torch.no_grad():
            for li, slots in self._sparse_layers.items():
                for e, slot in enumerate(slots):
                    codes[slot] = self._exact(model, slot, coefs[li][e])
            for li, layer in enumerate(model.layers):
                if li not in self._sparse_layers:
                    layer.weight.copy_(FakeQuant((self.bits,) * layer.weight.shape[0])
                                       .snapped(layer.weight))
                layer.bias.copy_(FakeQuant((self.bits,)).snapped(layer.bias))
        _CODES[model] = codes

    def _exact(self, model: CoordinateNet, slot: TensorSlot, coef: np.ndarray) -> SparseCode:
        """The slot's code with its coefficients on their grid (stored as float32 values, so the
        encoder finds the same range and integers), and the weight set to exactly what a
        decoder rebuilds from them (float64 ``A·x``, then float32)."""
        code = self._codes[slot]
        grid = on_grid(coef, self.bits)
        m = sparse_cut(slot.shape, model.config.width)[1]
        vecs = reconstruct(m, self.options.k2, self.options.seed, code.support, grid)
        weight = from_vectors(vecs, code.layout, slot.shape)
        model.layers[slot.layer].weight[slot.expert].copy_(torch.from_numpy(weight.astype(np.float32)))
        return SparseCode(code.layout, code.support, grid.astype(np.float32).astype(np.float64),
                          code.rel_error)
