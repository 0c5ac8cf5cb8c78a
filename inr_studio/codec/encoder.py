"""Network → ``.sinr`` bytes: SINR sparse code (or plain), quantisation, Brotli, container.

No Qt, no file I/O: :func:`encode_model` returns the bytes and :func:`.decoder.write_sinr`
writes them atomically.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..errors import OptionError
from ..imaging import MAX_PIXELS, size_ok
from ..models.network import CoordinateNet
from . import container as C
from .dictionary import MAX_DICTIONARY_VALUES, dictionary, fingerprint
from .layout import (
    FLAT_BELOW,
    LAYOUT_DENSE,
    LAYOUT_NAMES,
    ROLE_BIAS,
    TensorEntry,
    TensorSlot,
    sparse_cut,
    tensor_slots,
    to_vectors,
)
from .omp import fit_coefficients, omp_path
from .options import CodecOptions
from .quantise import byte_width, quantise, to_planes, value_range
from .streams import CLASS_MAP_NONE, deflate, encode_class_map

INDEX_BITS = 16
#: Target-error mode: vectors of a tensor tried first, and the margin on the target they get.
PROBE_VECTORS = 32
PROBE_MARGIN = 1.25


@dataclass(frozen=True)
class SparseCode:
    layout: int
    support: np.ndarray  # n_vec × s, ascending per row
    coef: np.ndarray  # n_vec × s, float64
    rel_error: float  # ‖W − A·X‖_F / ‖W‖_F before quantisation


@dataclass(frozen=True)
class TensorReport:
    name: str
    layout: str
    s: int
    vec_len: int
    n_vec: int
    rel_error: float  # of the sparse code before quantisation (0 for dense)


@dataclass(frozen=True)
class EncodeReport:
    tensors: tuple[TensorReport, ...]
    seconds: float
    omp_seconds: float


def model_arrays(model: CoordinateNet) -> dict[TensorSlot, np.ndarray]:
    """Every tensor of the model as float64 numpy, keyed by its slot."""
    out = {}
    for slot in tensor_slots(model.config):
        layer = model.layers[slot.layer]
        t = layer.bias if slot.role == ROLE_BIAS else layer.weight[slot.expert]
        out[slot] = t.detach().cpu().double().numpy().copy()
    return out


def encode_model(model: CoordinateNet, height: int, width: int, class_map: np.ndarray | None,
                 options: CodecOptions | None = None) -> bytes:
    """The ``.sinr`` file of a trained network for an H×W image (HS-LoE: with its class map);
    ``options`` default to :class:`CodecOptions`' defaults."""
    return encode_with_report(model, height, width, class_map, options)[0]


def encode_with_report(model: CoordinateNet, height: int, width: int,
                       class_map: np.ndarray | None,
                       options: CodecOptions | None = None) -> tuple[bytes, EncodeReport]:
    """:func:`encode_model`, with what the encoder did per tensor and how long it took."""
    options = CodecOptions() if options is None else options
    t0 = time.perf_counter()
    config = model.config
    _check_image(config, height, width, class_map)
    arrays = model_arrays(model)
    weights = [s for s in arrays if s.role != ROLE_BIAS]
    t1 = time.perf_counter()
    codes = {} if options.plain else sparse_codes(arrays, weights, config.width, options)
    omp_seconds = time.perf_counter() - t1

    entries, reports = [], []
    values, indices, biases = [], [], []
    for slot, arr in arrays.items():
        code = codes.get(slot)
        bits = options.bits
        if code is None:
            lo, hi = value_range(arr)
            q = quantise(arr, bits, lo, hi)
            (biases if slot.role == ROLE_BIAS else values).append(q)
            vec_len = slot.shape[-1]
            entries.append(TensorEntry(slot.layer, slot.expert, slot.role, LAYOUT_DENSE, 0,
                                       vec_len, slot.size // vec_len, lo, hi))
            reports.append(TensorReport(slot.name(), "dense", 0, vec_len, slot.size // vec_len, 0.0))
            continue
        n_vec, s = code.support.shape
        lo, hi = value_range(code.coef)
        values.append(quantise(code.coef, bits, lo, hi))
        gaps = np.diff(code.support, axis=1, prepend=-1) - 1
        gaps[:, 0] = code.support[:, 0]
        indices.append(gaps.astype(np.uint32).ravel())
        vec_len = slot.size // n_vec
        entries.append(TensorEntry(slot.layer, slot.expert, slot.role, code.layout, s, vec_len,
                                   n_vec, lo, hi))
        reports.append(TensorReport(slot.name(), LAYOUT_NAMES[code.layout], s, vec_len, n_vec,
                                    code.rel_error))

    raw = {
        "values": to_planes(_cat(values), byte_width(options.bits)),
        "indices": to_planes(_cat(indices), INDEX_BITS // 8),
        "biases": to_planes(_cat(biases), byte_width(options.bits)),
    }
    coded = {k: deflate(v) for k, v in raw.items()}
    if config.seg_layer is not None:
        classes = config.segmentation.classes
        cm_method, cm_raw, cm_coded = encode_class_map(class_map, classes)
    else:
        cm_method, cm_raw, cm_coded = CLASS_MAP_NONE, b"", b""
    sinr = not options.plain
    header = C.Header(
        image=C.ImageInfo(height, width, config.out_features),
        config=config,
        codec=C.CodecInfo(C.MODE_SINR if sinr else C.MODE_PLAIN, options.bits, options.bits,
                          INDEX_BITS, FLAT_BELOW, options.k2 if sinr else 0,
                          int(options.seed) if sinr else 0,
                          fingerprint(options.seed) if sinr else 0),
        tensors=tuple(entries),
        lengths=C.Lengths(cm_method, (len(cm_raw), len(cm_coded)),
                          *((len(raw[k]), len(coded[k])) for k in C.STREAMS)),
    )
    data = C.pack_file(header, cm_coded, coded)
    return data, EncodeReport(tuple(reports), time.perf_counter() - t0, omp_seconds)


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint32)


def _check_image(config, height: int, width: int, class_map: np.ndarray | None) -> None:
    if not size_ok(height, width):
        raise OptionError(f"image size {width}×{height} is outside 1..{MAX_PIXELS:,} pixels.")
    if config.seg_layer is None:
        return
    if class_map is None:
        raise OptionError("an HS-LoE network cannot be saved without its segmentation map.")
    if class_map.shape != (height, width):
        raise OptionError(f"the segmentation map is {class_map.shape[1]}×{class_map.shape[0]}, "
                          f"the image {width}×{height}.")
    if class_map.size and int(class_map.max()) >= config.segmentation.classes:
        raise OptionError("the segmentation map holds more classes than the model.")


def sparse_codes(arrays: dict[TensorSlot, np.ndarray], weights: list[TensorSlot], width: int,
                 options: CodecOptions) -> dict[TensorSlot, SparseCode]:
    """SINR code of each weight tensor that gets one (absent: stored dense)."""
    groups: dict[tuple[int, int], list[TensorSlot]] = {}
    for slot in weights:
        layout, m, _ = sparse_cut(slot.shape, width)
        groups.setdefault((layout, m), []).append(slot)
    codes: dict[TensorSlot, SparseCode] = {}
    for (layout, m), slots in groups.items():
        s_cap = min((m - 1) // 2, options.k2)  # the paper's 2s < k
        if s_cap < 1:
            continue
        if m * options.k2 > MAX_DICTIONARY_VALUES:
            raise OptionError(f"k2 = {options.k2} is too large for vectors of length {m} "
                              f"(m·k2 must be ≤ {MAX_DICTIONARY_VALUES:,}); use k2 ≤ "
                              f"{MAX_DICTIONARY_VALUES // m}.")
        a = dictionary(m, options.k2, options.seed)
        vecs = [to_vectors(arrays[s], layout) for s in slots]
        if options.sparsity is not None:
            codes.update(_fixed(a, slots, vecs, layout, min(options.sparsity, s_cap)))
        else:
            codes.update(_targeted(a, slots, vecs, layout, s_cap, options))
    return codes


def _finish(a: np.ndarray, vecs: np.ndarray, support: np.ndarray, layout: int) -> SparseCode:
    order = np.argsort(support, axis=1)
    support = np.take_along_axis(support, order, axis=1)
    coef = fit_coefficients(a, vecs, support)
    approx = np.einsum("vsm,vs->vm", a.T[support], coef)
    norm = float(np.linalg.norm(vecs))
    err = float(np.linalg.norm(vecs - approx)) / norm if norm > 0 else 0.0
    return SparseCode(layout, support, coef, err)


def _fixed(a: np.ndarray, slots: list[TensorSlot], vecs: list[np.ndarray], layout: int,
           s: int) -> dict[TensorSlot, SparseCode]:
    """Every tensor of one vector length at the same s: one batched OMP run."""
    stacked = np.concatenate(vecs, axis=0)
    path = omp_path(a, stacked, s)
    out, start = {}, 0
    for slot, v in zip(slots, vecs):
        stop = start + len(v)
        out[slot] = _finish(a, v, path.support[start:stop, :s], layout)
        start = stop
    return out


def _targeted(a: np.ndarray, slots: list[TensorSlot], vecs: list[np.ndarray], layout: int,
              s_cap: int, options: CodecOptions) -> dict[TensorSlot, SparseCode]:
    """Per tensor, the smallest s meeting the target error; tensors where no s pays off stay
    dense. One batched OMP run for all tensors of this vector length."""
    m = vecs[0].shape[1]
    # A sparse code of s values + s 16-bit indices per vector must hold fewer bits than m values.
    s_pay = min(s_cap, (m * options.bits - 1) // (options.bits + INDEX_BITS))
    totals = [float(np.square(v).sum()) for v in vecs]
    keep = [i for i, t in enumerate(totals) if t > 0]
    if s_pay < 1 or not keep:
        return {}
    keep = _probe(a, vecs, keep, totals, s_pay, options.target_error)
    if not keep:
        return {}
    stacked = np.concatenate([vecs[i] for i in keep], axis=0)
    groups = np.concatenate([np.full(len(vecs[i]), g) for g, i in enumerate(keep)])
    path = omp_path(a, stacked, s_pay, target=options.target_error, groups=groups)
    out, start = {}, 0
    for g, i in enumerate(keep):
        stop = start + len(vecs[i])
        err = np.sqrt(np.square(path.residual[start:stop]).sum(axis=0) / totals[i])  # per step
        hits = np.flatnonzero(err <= options.target_error)
        if hits.size:
            s = int(hits[0]) + 1
            out[slots[i]] = _finish(a, vecs[i], path.support[start:stop, :s], layout)
        start = stop
    return out


def _probe(a: np.ndarray, vecs: list[np.ndarray], keep: list[int], totals: list[float],
           s_pay: int, target: float) -> list[int]:
    """Tensors worth the full search: each tensor of more than :data:`PROBE_VECTORS` vectors is
    first coded on that many of them (evenly spaced) up to the largest s that pays off; if their
    error stays above :data:`PROBE_MARGIN` × the target, the tensor is stored dense at once.
    Weight vectors behave alike (SINR's Gaussian observation), so the sample's error is close to
    the tensor's; the margin keeps a borderline tensor in the full search."""
    big = [i for i in keep if len(vecs[i]) > PROBE_VECTORS]
    if not big:
        return keep
    picks = [np.linspace(0, len(vecs[i]) - 1, PROBE_VECTORS).round().astype(int) for i in big]
    sample = np.concatenate([vecs[i][p] for i, p in zip(big, picks)], axis=0)
    path = omp_path(a, sample, s_pay)
    drop = set()
    for g, i in enumerate(big):
        rows = slice(g * PROBE_VECTORS, (g + 1) * PROBE_VECTORS)
        norm = float(np.square(sample[rows]).sum())
        err = np.sqrt(float(np.square(path.residual[rows, -1]).sum()) / norm) if norm > 0 else 0.0
        if err > PROBE_MARGIN * target:
            drop.add(i)
    return [i for i in keep if i not in drop]
