"""The latent-grid model's two coded sections: its decoder's weights and its latents.

**Weights.** Each module (ARM, synthesis) stores its weights as integers q with a step 2^−e
(one exponent for the weights, one for the biases), ``|q| < 2^15``. The encoder searches the
steps: for the synthesis, the step of lowest MSE + λ · bits / pixel (the training's own
objective, at the λ the network was trained with; for a network without one, the coarsest step
whose picture stays within :data:`PSNR_TOLERANCE` of the float synthesis' PSNR on the rounded
latents); for the ARM, the steps with the fewest bits for its weights plus the latents it
codes. The integers of the four parts (ARM weights and biases, synthesis weights and biases)
are range-coded by :mod:`.entropy` (each part a fitted Gaussian or Laplace over 0…2^16 − 1
after adding 2^15).

**Latents.** Every latent, in the :class:`~.latent_arm.Wavefront` order, range-coded with
constriction's ``QuantizedLaplace(lo, hi)`` at the (μ, b) the integer ARM gives from its
already-coded context. The decoder recomputes the same (μ, b) step by step (all positions of
a wavefront step in one call), then re-encodes what it decoded and compares the words: a
damaged stream is refused rather than decoded into a slightly different picture.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import constriction
import numpy as np
import torch

from ..errors import SinrFormatError
from ..metrics import psnr, to_unit
from ..models.latent_config import LatentConfig
from ..models.latent_net import LatentNet
from . import entropy
from .header import MAX_LATENT, MAX_STEP_EXP
from .latent_arm import IntArm, Wavefront, all_parameters, bits_estimate, laplace_parameters

#: The synthesis' steps may cost at most this much PSNR (dB) against the float synthesis.
PSNR_TOLERANCE = 0.05
#: Step exponents tried, coarse to fine.
STEP_EXPONENTS = tuple(range(2, MAX_STEP_EXP + 1))
QMAX = (1 << 15) - 1
OFFSET = 1 << 15
WORD = 4
MODULES = ("arm", "synthesis")


def _family(lo: int, hi: int):
    return constriction.stream.model.QuantizedLaplace(int(lo), int(hi))


def split(module: torch.nn.Module) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """A module's weights and biases, each in ``named_parameters`` order (the file's order)."""
    params = [p.detach() for _, p in module.named_parameters()]
    return [p for p in params if p.dim() > 1], [p for p in params if p.dim() == 1]


def quantise(tensors: list[torch.Tensor], exp: int) -> list[np.ndarray] | None:
    """The integers round(t · 2^exp) of each tensor, or None if one leaves ±(2^15 − 1)."""
    out = [np.rint(t.cpu().double().numpy() * 2.0 ** exp).astype(np.int64) for t in tensors]
    if any(q.size and int(np.abs(q).max()) > QMAX for q in out):
        return None
    return out


def dequantise(q: np.ndarray, exp: int) -> np.ndarray:
    return (q.astype(np.float64) * 2.0 ** -exp).astype(np.float32)


def _flat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([p.reshape(-1) for p in parts]) if parts else np.zeros(0, np.int64)


def _load(module: torch.nn.Module, weights: list[np.ndarray], biases: list[np.ndarray],
          we: int, be: int) -> None:
    w_it, b_it = iter(weights), iter(biases)
    with torch.no_grad():
        for _, p in module.named_parameters():
            q, e = (next(w_it), we) if p.dim() > 1 else (next(b_it), be)
            p.copy_(torch.from_numpy(dequantise(np.asarray(q).reshape(p.shape), e)))


@dataclass(frozen=True)
class ModuleCode:
    """One module's integers and their step exponents."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    weight_exp: int
    bias_exp: int

    def parts(self) -> list[tuple[np.ndarray, int]]:
        return [((_flat(self.weights) + OFFSET).astype(np.uint32), 16),
                ((_flat(self.biases) + OFFSET).astype(np.uint32), 16)]


def _search(tensors: tuple[list[torch.Tensor], list[torch.Tensor]], cost) -> ModuleCode:
    """Weights' exponent first (biases at the finest step), then the biases': the exponent of
    lowest ``cost`` (None: refused), coarse first on ties."""
    weights, biases = tensors
    fine_b = quantise(biases, MAX_STEP_EXP)
    best = None
    for we in STEP_EXPONENTS:
        qw = quantise(weights, we)
        if qw is None or fine_b is None:
            continue
        c = cost(ModuleCode(qw, fine_b, we, MAX_STEP_EXP))
        if c is not None and (best is None or c < best[0]):
            best = (c, ModuleCode(qw, fine_b, we, MAX_STEP_EXP))
    if best is None:
        raise ValueError("no quantisation step keeps the weights in range")
    chosen = best[1]
    for be in STEP_EXPONENTS:
        qb = quantise(biases, be)
        if qb is None:
            continue
        c = cost(ModuleCode(chosen.weights, qb, chosen.weight_exp, be))
        if c is not None and c < best[0]:
            best = (c, ModuleCode(chosen.weights, qb, chosen.weight_exp, be))
    return best[1]


# ---------------------------------------------------------------------------------- encoding
@dataclass(frozen=True)
class LatentCode:
    """Everything the file stores of a latent-grid network."""

    config: LatentConfig
    latents: list[np.ndarray]  # integer grids, finest first
    lo: int
    hi: int
    arm: ModuleCode
    synthesis: ModuleCode
    psnr_float: float  # rounded latents, float decoder, against the image
    psnr: float  # rounded latents, quantised decoder


def alphabet(latents: list[np.ndarray]) -> tuple[int, int]:
    """[lo, hi] of the latent values, at least two symbols wide (constriction needs two)."""
    lo = min(int(g.min()) for g in latents)
    hi = max(int(g.max()) for g in latents)
    if lo < -MAX_LATENT or hi > MAX_LATENT - 1:
        raise ValueError(f"latent values {lo}..{hi} exceed ±{MAX_LATENT}")
    return lo, max(hi, lo + 1)


def int_arm(code: ModuleCode) -> IntArm:
    return IntArm.from_quantised(code.weights, code.biases, code.weight_exp, code.bias_exp)


def find_code(net: LatentNet, image: np.ndarray, lam: float | None = None) -> LatentCode:
    """Round the latents and search both modules' quantisation steps (see the module doc;
    ``lam``: the rate weight the synthesis' steps are chosen with, None for the PSNR rule)."""
    cfg = net.config
    pixels = cfg.height * cfg.width
    net = copy.deepcopy(net).cpu().eval()  # the caller's network stays on its device, in its mode
    latents = [g.numpy().astype(np.int64) for g in net.rounded()]
    lo, hi = alphabet(latents)
    with torch.no_grad():
        ups = net.upsampled([torch.from_numpy(g.astype(np.float32)) for g in latents],
                            (cfg.height, cfg.width))

        def picture_psnr(synthesis: torch.nn.Module) -> float:
            u = synthesis(ups)[0].permute(1, 2, 0).numpy()
            return psnr(to_unit(2.0 * u - 1.0), image)

        psnr_float = picture_psnr(net.synthesis)
        trial = copy.deepcopy(net.synthesis)

        def synthesis_cost(code: ModuleCode) -> float | None:
            _load(trial, code.weights, code.biases, code.weight_exp, code.bias_exp)
            quality = picture_psnr(trial)
            if lam is not None:
                return 10.0 ** (-quality / 10.0) + lam * 8.0 * _bytes(code.parts()) / pixels
            if quality < psnr_float - PSNR_TOLERANCE:
                return None
            return _bytes(code.parts())

        syn = _search(split(net.synthesis), synthesis_cost)
        _load(trial, syn.weights, syn.biases, syn.weight_exp, syn.bias_exp)
        final_psnr = picture_psnr(trial)
    wave = Wavefront.build(cfg.grid_shapes(), cfg.arm_context)
    buf = wave.buffer(latents)
    symbols = buf[wave.positions]

    def arm_cost(code: ModuleCode) -> float | None:
        try:
            model = int_arm(code)
        except ValueError:  # a weight too large for the exact integer ARM at this step
            return None
        mu, idx = all_parameters(model, wave, buf, lo, hi)
        return bits_estimate(symbols, mu, idx) / 8 + _bytes(code.parts())

    arm = _search(split(net.arm), arm_cost)
    return LatentCode(cfg, latents, lo, hi, arm, syn, psnr_float, final_psnr)


def _bytes(parts: list[tuple[np.ndarray, int]]) -> int:
    return len(entropy.encode(parts))


def encode_weights(code: LatentCode) -> bytes:
    return entropy.encode(code.arm.parts() + code.synthesis.parts())


def encode_latents(code: LatentCode) -> bytes:
    cfg = code.config
    wave = Wavefront.build(cfg.grid_shapes(), cfg.arm_context)
    buf = wave.buffer(code.latents)
    mu, idx = all_parameters(int_arm(code.arm), wave, buf, code.lo, code.hi)
    return _words(buf[wave.positions], mu, idx, code.lo, code.hi).astype("<u4").tobytes()


def _words(symbols: np.ndarray, mu: np.ndarray, idx: np.ndarray, lo: int, hi: int) -> np.ndarray:
    enc = constriction.stream.queue.RangeEncoder()
    m, b = laplace_parameters(mu, idx)
    enc.encode(symbols.astype(np.int32), _family(lo, hi), m, b)
    return enc.get_compressed()


# ---------------------------------------------------------------------------------- decoding
def part_counts(cfg: LatentConfig) -> list[tuple[int, int]]:
    """(integers, bits) of the weights section's four parts, from the configuration."""
    shell = LatentNet(cfg)
    out = []
    for module in (shell.arm, shell.synthesis):
        for tensors in split(module):
            out.append((sum(t.numel() for t in tensors), 16))
    return out


def _unflatten(flat: np.ndarray, like: list[torch.Tensor]) -> list[np.ndarray]:
    out, start = [], 0
    for t in like:
        out.append(flat[start:start + t.numel()].reshape(tuple(t.shape)))
        start += t.numel()
    return out


def decode_weights(cfg: LatentConfig, coded: bytes | memoryview, exps: dict[str, int]
                   ) -> tuple[LatentNet, dict[str, ModuleCode]]:
    """A :class:`LatentNet` with the stored ARM and synthesis (latents still zero)."""
    net = LatentNet(cfg)
    ints = entropy.decode(coded, part_counts(cfg), "weights")
    codes = {}
    for k, (name, module) in enumerate((("arm", net.arm), ("synthesis", net.synthesis))):
        w_like, b_like = split(module)
        we, be = exps[f"{name}_weight_exp"], exps[f"{name}_bias_exp"]
        qw = _unflatten(ints[2 * k].astype(np.int64) - OFFSET, w_like)
        qb = _unflatten(ints[2 * k + 1].astype(np.int64) - OFFSET, b_like)
        _load(module, qw, qb, we, be)
        codes[name] = ModuleCode(qw, qb, we, be)
    return net, codes


def decode_latents(cfg: LatentConfig, arm: ModuleCode, coded: bytes | memoryview, lo: int,
                   hi: int) -> list[np.ndarray]:
    """The integer grids, decoded wavefront step by wavefront step."""
    if len(coded) % WORD:
        raise SinrFormatError(f"the latents section is damaged: its coded words are not whole "
                              f"({len(coded)} bytes).")
    words = np.frombuffer(bytes(coded), dtype="<u4").astype(np.uint32)
    wave = Wavefront.build(cfg.grid_shapes(), cfg.arm_context)
    try:
        model = int_arm(arm)
    except ValueError as exc:
        raise SinrFormatError(f"the ARM's weights are out of range ({exc}).") from exc
    family = _family(lo, hi)
    buf = wave.buffer()
    mus = np.empty(len(wave.positions), dtype=np.int64)
    idxs = np.empty_like(mus)
    dec = constriction.stream.queue.RangeDecoder(words)
    try:
        for t in range(wave.steps):
            sel = slice(int(wave.starts[t]), int(wave.starts[t + 1]))
            mu, idx = model(wave.contexts(buf, sel), lo, hi)
            m, b = laplace_parameters(mu, idx)
            buf[wave.positions[sel]] = dec.decode(family, m, b)
            mus[sel], idxs[sel] = mu, idx
    except (AssertionError, ValueError, RuntimeError, OverflowError) as exc:
        raise SinrFormatError(f"the latents section's coded data is damaged ({exc}).") from exc
    if not np.array_equal(_words(buf[wave.positions], mus, idxs, lo, hi), words):
        raise SinrFormatError("the latents section is damaged (its words are not the coding of "
                              "what they decode to).")
    return wave.grids(buf, cfg.grid_shapes())
