"""SINR compressed files (``.sinr``): encoder, decoder and container (docs/coding.md,
docs/format.md).

The public names below are what the window, the CLI and the studies use; no Qt here.
"""

from __future__ import annotations

from .container import bpp, header_dict, write_sinr
from .decoder import SinrFile, decode_bytes, read_sinr
from .encoder import ClassMapSource, EncodeReport, encode_model, encode_with_report
from .options import CodecOptions
from .roundtrip import RoundTrip, class_map_source, roundtrip

__all__ = [
    "ClassMapSource",
    "CodecOptions",
    "EncodeReport",
    "RoundTrip",
    "SinrFile",
    "bpp",
    "class_map_source",
    "decode_bytes",
    "encode_model",
    "encode_with_report",
    "header_dict",
    "read_sinr",
    "roundtrip",
    "write_sinr",
]
