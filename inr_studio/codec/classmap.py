"""The HS-LoE class map's codings (docs/format.md, "Class map").

* bytes / packed (versions 1 and 2): one byte or 1/2/4 bits per label, then Brotli;
* context (version 2): each label coded by constriction's range coder with an adaptive
  categorical model chosen by its causal neighbours (left, up, up-left; "outside" at the
  borders): the counts of each context start at zero and grow as labels are coded, so the
  decoder, coding the same labels in the same order, keeps the same model;
* thumbnail (version 2): an 8-bit luminance thumbnail (Brotli or stored) and integer
  thresholds in the header; the decoder rebuilds the map
  (:func:`inr_studio.thumbmap.class_map_from_thumbnail`);
* thumbnail-labels (version 2): the same map, from the thumbnail's labels context-coded
  (the decoder needs only the labels; measured several times smaller).

The encoder keeps the smallest of the lossless codings of the map it is given; a thumbnail is
used when the network was trained on a thumbnail's map (it is then exact, and far smaller).
"""

from __future__ import annotations

import constriction
import numpy as np

from ..errors import SinrFormatError
from ..thumbmap import class_map_from_thumbnail, upsample_labels
from .header import CM_BYTES, CM_CONTEXT, CM_PACKED, CM_THUMB_LABELS, CM_THUMBNAIL
from .streams import deflate

# constriction's native submodules are attributes, not importable modules.
Categorical = constriction.stream.model.Categorical
RangeEncoder = constriction.stream.queue.RangeEncoder
RangeDecoder = constriction.stream.queue.RangeDecoder

#: Added to every count of the adaptive model (a Krichevsky–Trofimov-like prior).
PRIOR = 0.5
#: Largest map coded by context (its decoder runs one step per pixel: ~2 s at this size).
MAX_CONTEXT_PIXELS = 1 << 20


def packed_bits(classes: int) -> int:
    """Bits per pixel of the packed class map: 1, 2 or 4 (2..16 classes)."""
    return 1 if classes <= 2 else 2 if classes <= 4 else 4


def raw_size(method: int, height: int, width: int, classes: int,
             thumb: tuple[int, int] | None = None) -> int:
    """Bytes the section holds before its coding (context: one per label; thumbnail: its
    pixels); 0 for no map."""
    if method in (CM_BYTES, CM_CONTEXT):
        return height * width
    if method == CM_PACKED:
        return (height * width * packed_bits(classes) + 7) // 8
    if method in (CM_THUMBNAIL, CM_THUMB_LABELS) and thumb is not None:
        return thumb[0] * thumb[1]
    return 0


def pack(class_map: np.ndarray, classes: int) -> bytes:
    """Raster order, ``packed_bits`` per pixel, the first pixel in the most significant bits."""
    b = packed_bits(classes)
    flat = class_map.astype(np.uint8).ravel()
    per = 8 // b
    pad = (-len(flat)) % per
    flat = np.concatenate([flat, np.zeros(pad, dtype=np.uint8)]).reshape(-1, per)
    shifts = (8 - b * (np.arange(per) + 1)).astype(np.uint8)
    return (flat << shifts).sum(axis=1, dtype=np.uint16).astype(np.uint8).tobytes()


def unpack(raw: bytes, height: int, width: int, classes: int) -> np.ndarray:
    b = packed_bits(classes)
    per = 8 // b
    data = np.frombuffer(raw, dtype=np.uint8)
    shifts = (8 - b * (np.arange(per) + 1)).astype(np.uint8)
    vals = (data[:, None] >> shifts) & ((1 << b) - 1)
    return vals.ravel()[: height * width].reshape(height, width).astype(np.uint8)


# -- context coding -------------------------------------------------------------------------------
def contexts(labels: np.ndarray, classes: int) -> np.ndarray:
    """Context id of every pixel from its (left, up, up-left) labels, ``classes`` = outside."""
    pad = np.pad(labels.astype(np.int64), ((1, 0), (1, 0)), constant_values=classes)
    left, up, ul = pad[1:, :-1], pad[:-1, 1:], pad[:-1, :-1]
    c1 = classes + 1
    return ((left * c1 + up) * c1 + ul).ravel()


def context_encode(labels: np.ndarray, classes: int) -> bytes:
    """The map's labels, range-coded with the adaptive context model."""
    ctx = contexts(labels, classes)
    flat = labels.astype(np.int64).ravel()
    n = flat.size
    order = np.argsort(ctx, kind="stable")  # raster order inside each context
    onehot = np.zeros((n, classes), dtype=np.int32)
    onehot[np.arange(n), flat[order]] = 1
    seen = np.cumsum(onehot, axis=0, dtype=np.int32) - onehot  # labels before, in sorted order
    starts = np.flatnonzero(np.r_[True, ctx[order][1:] != ctx[order][:-1]])
    group = np.repeat(starts, np.diff(np.r_[starts, n]))
    seen -= seen[group]  # counts from this context's first pixel only
    probs = np.empty((n, classes), dtype=np.float64)
    probs[order] = seen + PRIOR
    enc = RangeEncoder()
    enc.encode(flat.astype(np.int32), Categorical(perfect=False), probs)
    return enc.get_compressed().astype("<u4").tobytes()


def context_decode(coded: bytes | memoryview, height: int, width: int, classes: int) -> np.ndarray:
    """Inverse of :func:`context_encode`, label by label (its model follows the labels)."""
    if height * width > MAX_CONTEXT_PIXELS:
        raise SinrFormatError(f"a context-coded class map of {height * width:,} pixels (at most "
                              f"{MAX_CONTEXT_PIXELS:,}).")
    if len(coded) % 4:
        raise SinrFormatError("the class map section is damaged: its coded words are not whole.")
    words = np.frombuffer(bytes(coded), dtype="<u4").astype(np.uint32)
    c1 = classes + 1
    counts = np.full((c1 ** 3, classes), PRIOR, dtype=np.float64)
    out = np.full((height + 1, width + 1), classes, dtype=np.int64)  # row/column 0: outside
    dec = RangeDecoder(words)
    model = Categorical(perfect=False)
    try:
        for i in range(1, height + 1):
            above, row = out[i - 1], out[i]
            for j in range(1, width + 1):
                c = (row[j - 1] * c1 + above[j]) * c1 + above[j - 1]
                p = counts[c]
                label = int(dec.decode(model, p[None, :])[0])
                row[j] = label
                p[label] += 1.0
    except (AssertionError, ValueError, RuntimeError, IndexError) as exc:
        raise SinrFormatError(f"the class map's context-coded data is damaged ({exc}).") from exc
    labels = out[1:, 1:]
    if labels.size and int(labels.max()) >= classes:
        raise SinrFormatError("the class map's context-coded data is damaged.")
    labels = labels.astype(np.uint8)
    # as for the integer sections: the words must be exactly the coding of these labels
    if context_encode(labels, classes) != bytes(coded):
        raise SinrFormatError("the class map's context-coded data is damaged (its words are "
                              "not the coding of what they decode to).")
    return labels


# -- choose and decode ----------------------------------------------------------------------------
def encode_lossless(class_map: np.ndarray, classes: int,
                    allow_context: bool = True) -> tuple[int, bytes, bytes]:
    """(method, raw, coded) of the smallest lossless coding: bytes or packed with Brotli, or
    (version 2) context-coded labels."""
    raw_bytes = class_map.astype(np.uint8).tobytes()
    raw_packed = pack(class_map, classes)
    options = [(CM_PACKED, raw_packed, deflate(raw_packed)), (CM_BYTES, raw_bytes, deflate(raw_bytes))]
    if allow_context and class_map.size <= MAX_CONTEXT_PIXELS:
        options.append((CM_CONTEXT, raw_bytes, context_encode(class_map, classes)))
    return min(options, key=lambda o: len(o[2]))


def decode(method: int, raw: bytes, coded: bytes | memoryview, height: int, width: int,
           classes: int, thumb=None) -> np.ndarray:
    """The H×W map from its section (``raw``: the unpacked bytes, methods 1, 2, 4; ``coded``:
    the section itself, methods 3 and 5; ``thumb``: the header's thumbnail entry)."""
    if method == CM_BYTES:
        cmap = np.frombuffer(raw, dtype=np.uint8).reshape(height, width).copy()
    elif method == CM_PACKED:
        cmap = unpack(raw, height, width, classes)
    elif method == CM_CONTEXT:
        cmap = context_decode(coded, height, width, classes)
    elif method == CM_THUMB_LABELS:
        cmap = upsample_labels(context_decode(coded, thumb.height, thumb.width, classes),
                               height, width)
    else:
        small = np.frombuffer(raw, dtype=np.uint8).reshape(thumb.height, thumb.width)
        cmap = class_map_from_thumbnail(small, thumb.thresholds, height, width)
    if cmap.size and int(cmap.max()) >= classes:
        raise SinrFormatError(f"the class map holds class {int(cmap.max())}; the model has "
                              f"{classes} classes.")
    return cmap
