"""Encode → decode → measure: the one round trip the window's export dialog and the
rate–distortion study both use (the file's bytes, its bpp, the decoded network's PSNR)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..metrics import psnr
from ..render import TrainedNetwork
from ..segmentation import Segmentation
from ..thumbmap import ThumbnailSegmentation
from .container import bpp
from .decoder import SinrFile, decode_bytes
from .encoder import ClassMapSource, EncodeReport, SparseCode, encode_with_report
from .layout import TensorSlot
from .options import CodecOptions


@dataclass(frozen=True)
class RoundTrip:
    data: bytes
    report: EncodeReport
    decoded: SinrFile
    psnr: float  # of the decoded network's rendering against the image
    decode_s: float

    @property
    def file_bytes(self) -> int:
        return len(self.data)

    @property
    def bpp(self) -> float:
        return bpp(len(self.data), self.decoded.height, self.decoded.width)


def class_map_source(segmentation: Segmentation | None) -> ClassMapSource:
    """What the encoder stores for a problem's segmentation: the thumbnail it was built from
    (if it was), else the map itself; None without a segmentation."""
    if segmentation is None:
        return None
    if isinstance(segmentation, ThumbnailSegmentation) and segmentation.thumb is not None:
        return segmentation.thumb
    return segmentation.class_map


def roundtrip(network: TrainedNetwork, image: np.ndarray, options: CodecOptions | None = None,
              class_map: ClassMapSource = None,
              codes: dict[TensorSlot, SparseCode] | None = None) -> RoundTrip:
    """Encode ``network`` with ``options``, decode the bytes again and compare with ``image``.

    ``class_map`` overrides ``network.class_map`` (pass a thumbnail map to store it as one);
    ``codes`` hands the encoder sparse codes found elsewhere (it then runs no OMP). Per-tensor
    bit depths travel in ``options.tensor_bits``.
    """
    source = network.class_map if class_map is None else class_map
    data, report = encode_with_report(network.model, network.height, network.width, source,
                                      options, codes=codes)
    t0 = time.perf_counter()
    decoded = decode_bytes(data)
    rendered = decoded.render()
    return RoundTrip(data, report, decoded, psnr(rendered, image), time.perf_counter() - t0)
