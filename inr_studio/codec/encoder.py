"""Network → ``.sinr`` bytes: SINR sparse code (or plain), quantisation, Brotli, container.

No Qt, no file I/O: :func:`encode_model` returns the bytes and :func:`.decoder.write_sinr`
writes them atomically.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Union

import numpy as np

from ..errors import OptionError
from ..imaging import MAX_PIXELS, size_ok
from ..models.network import CoordinateNet
from ..thumbmap import ThumbnailMap
from . import classmap, entropy
from .container import (MODE_PLAIN, MODE_SINR, STREAMS, CodecInfo, Header, ImageInfo, Lengths,
                        Thumbnail, pack_file)
from .dictionary import MAX_DICTIONARY_VALUES, dictionary, fingerprint
from .header import (
    CLASS_MAP_METHODS,
    CM_BYTES,
    CM_CONTEXT,
    CM_NONE,
    CM_PACKED,
    CM_THUMB_LABELS,
    CM_THUMBNAIL,
    CODING_ENTROPY,
    CODING_NAMES,
    CODING_NONE,
    FLAT_BELOW,
    INDEX_BITS,
)
from .layout import (
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
from .quantise import join_planes, quantise, value_range
from .streams import pack_bytes

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
    bits: int = 16

    @property
    def weight(self) -> bool:
        return "bias" not in self.name

    @property
    def sparse(self) -> bool:
        """Stored as a sparse code (the one definition the CLI, the rd study and the window use)."""
        return self.layout != "dense"


@dataclass(frozen=True)
class EncodeReport:
    tensors: tuple[TensorReport, ...]
    seconds: float
    omp_seconds: float
    codings: dict = field(default_factory=dict)  # section → "brotli" / "entropy" / "context"…

    @property
    def sparse_tensors(self) -> int:
        return sum(1 for t in self.tensors if t.sparse)

    @property
    def weight_tensors(self) -> int:
        return sum(1 for t in self.tensors if t.weight)


#: What the encoder takes as the HS-LoE map: the map itself, or the thumbnail it came from.
ClassMapSource = Union[np.ndarray, ThumbnailMap, None]


def model_arrays(model: CoordinateNet) -> dict[TensorSlot, np.ndarray]:
    """Every tensor of the model as float64 numpy, keyed by its slot."""
    out = {}
    for slot in tensor_slots(model.config):
        layer = model.layers[slot.layer]
        t = layer.bias if slot.role == ROLE_BIAS else layer.weight[slot.expert]
        out[slot] = t.detach().cpu().double().numpy().copy()
    return out


def encode_model(model: CoordinateNet, height: int, width: int, class_map: ClassMapSource,
                 options: CodecOptions | None = None) -> bytes:
    """The ``.sinr`` file of a trained network for an H×W image (HS-LoE: with its class map);
    ``options`` default to :class:`CodecOptions`' defaults."""
    return encode_with_report(model, height, width, class_map, options)[0]


def encode_with_report(model: CoordinateNet, height: int, width: int,
                       class_map: ClassMapSource, options: CodecOptions | None = None,
                       codes: dict[TensorSlot, SparseCode] | None = None
                       ) -> tuple[bytes, EncodeReport]:
    """:func:`encode_model`, with what the encoder did per tensor and how long it took.

    ``codes``: sparse codes found elsewhere (e.g. coefficients fine-tuned through the fixed
    dictionary), used instead of running OMP; a weight tensor absent from it is stored dense.
    """
    options = CodecOptions() if options is None else options
    t0 = time.perf_counter()
    config = model.config
    thumb = class_map if isinstance(class_map, ThumbnailMap) else None
    dense_map = thumb.class_map() if thumb is not None else class_map
    _check_image(config, height, width, dense_map)
    arrays = model_arrays(model)
    bits = _tensor_bits(arrays, options)
    t1 = time.perf_counter()
    if codes is None:
        weights = [s for s in arrays if s.role != ROLE_BIAS]
        codes = {} if options.plain else sparse_codes(arrays, weights, config.width, options)
    omp_seconds = time.perf_counter() - t1

    entries, reports = [], []
    parts: dict[str, list[tuple[np.ndarray, int]]] = {k: [] for k in STREAMS}
    for slot, arr in arrays.items():
        code, b = codes.get(slot), bits[slot]
        if code is None:
            lo, hi = value_range(arr)
            parts["biases" if slot.role == ROLE_BIAS else "values"].append((quantise(arr, b, lo, hi), b))
            vec_len = slot.shape[-1]
            entries.append(TensorEntry(slot.layer, slot.expert, slot.role, LAYOUT_DENSE, 0,
                                       vec_len, slot.size // vec_len, lo, hi, b))
            reports.append(TensorReport(slot.name(), "dense", 0, vec_len, slot.size // vec_len,
                                        0.0, b))
            continue
        n_vec, s = code.support.shape
        lo, hi = value_range(code.coef)
        parts["values"].append((quantise(code.coef, b, lo, hi), b))
        gaps = np.diff(code.support, axis=1, prepend=-1) - 1
        gaps[:, 0] = code.support[:, 0]
        parts["indices"].append((gaps.astype(np.uint32).ravel(), INDEX_BITS))
        vec_len = slot.size // n_vec
        entries.append(TensorEntry(slot.layer, slot.expert, slot.role, code.layout, s, vec_len,
                                   n_vec, lo, hi, b))
        reports.append(TensorReport(slot.name(), LAYOUT_NAMES[code.layout], s, vec_len, n_vec,
                                    code.rel_error, b))

    raw, coded, codings = {}, {}, {}
    for k in STREAMS:
        raw[k] = join_planes(parts[k])
        codings[k], coded[k] = pack_bytes(raw[k], stored=options.version != 1)
        if raw[k] and options.entropy:
            alt = entropy.encode(parts[k])
            if len(alt) < len(coded[k]):
                coded[k], codings[k] = alt, CODING_ENTROPY
    cm_method, cm_raw, cm_coded, cm_coding = _class_map(config, dense_map, thumb, options)
    sinr = any(e.sparse for e in entries) or not options.plain
    v1 = options.version == 1
    header = Header(
        image=ImageInfo(height, width, config.out_features),
        config=config,
        codec=CodecInfo(MODE_SINR if sinr else MODE_PLAIN, options.bits if v1 else 0,
                        options.bits if v1 else 0, INDEX_BITS, FLAT_BELOW,
                        options.k2 if sinr else 0, int(options.seed) if sinr else 0,
                        fingerprint(options.seed) if sinr else 0),
        tensors=tuple(entries),
        lengths=Lengths(cm_method, (len(cm_raw), len(cm_coded)),
                        *((len(raw[k]), len(coded[k])) for k in STREAMS),
                        codings=None if v1 else (cm_coding,) + tuple(codings[k] for k in STREAMS)),
        version=options.version,
        thumbnail=None if thumb is None else Thumbnail(*thumb.thumbnail.shape, thumb.thresholds),
    )
    data = pack_file(header, cm_coded, coded, check=True)
    names = {k: CODING_NAMES[c] for k, c in codings.items()}
    names["class_map"] = CLASS_MAP_METHODS[cm_method]
    return data, EncodeReport(tuple(reports), time.perf_counter() - t0, omp_seconds, names)


def _tensor_bits(arrays: dict[TensorSlot, np.ndarray], options: CodecOptions) -> dict[TensorSlot, int]:
    if options.tensor_bits is None:
        return {s: options.bits for s in arrays}
    if len(options.tensor_bits) != len(arrays):
        raise OptionError(f"{len(options.tensor_bits)} per-tensor bit depths for a model of "
                          f"{len(arrays)} tensors.")
    return dict(zip(arrays, options.tensor_bits))


def _class_map(config, class_map: np.ndarray | None, thumb: ThumbnailMap | None,
               options: CodecOptions) -> tuple[int, bytes, bytes, int]:
    """(method, raw, coded, section coding) of the HS-LoE map (none for other models)."""
    if config.seg_layer is None:
        return CM_NONE, b"", b"", CODING_NONE
    classes = config.segmentation.classes
    v2 = options.version != 1
    if thumb is not None and v2:  # the smaller of the luminance and its labels
        raw = thumb.thumbnail.astype(np.uint8).tobytes()
        luminance = (CM_THUMBNAIL, raw) + pack_bytes(raw)[::-1]
        labels = (CM_THUMB_LABELS, raw, classmap.context_encode(thumb.labels(), classes),
                  CODING_ENTROPY)
        if options.class_map_coding in ("thumbnail", "thumbnail-labels"):
            return luminance if options.class_map_coding == "thumbnail" else labels
        return min(luminance, labels, key=lambda c: len(c[2]))
    if options.class_map_coding in ("thumbnail", "thumbnail-labels"):
        raise OptionError(f"class-map coding {options.class_map_coding!r} needs a thumbnail map "
                          "(a network trained on inr_studio.thumbmap.thumbnail_segmentation).")
    forced = {"bytes": CM_BYTES, "packed": CM_PACKED, "context": CM_CONTEXT}.get(options.class_map_coding)
    if forced == CM_CONTEXT:
        if class_map.size > classmap.MAX_CONTEXT_PIXELS:
            raise OptionError(f"context coding takes maps of at most "
                              f"{classmap.MAX_CONTEXT_PIXELS:,} pixels.")
        return CM_CONTEXT, class_map.astype(np.uint8).tobytes(), \
            classmap.context_encode(class_map, classes), CODING_ENTROPY
    method, raw, coded = classmap.encode_lossless(class_map, classes, allow_context=v2)
    if method == CM_CONTEXT and forced is None:
        return method, raw, coded, CODING_ENTROPY
    if forced is not None and method != forced:
        method = forced
        raw = classmap.pack(class_map, classes) if forced == CM_PACKED else \
            class_map.astype(np.uint8).tobytes()
    coding, coded = pack_bytes(raw, stored=v2)
    return method, raw, coded, coding


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
