"""SINR compressed files (``.sinr``): encoder, decoder and container (SPEC §5, docs/format.md).

The public names below are what the window and the CLI use; no Qt here.
"""

from __future__ import annotations

from .decoder import SinrFile, bpp, decode_bytes, read_sinr, write_sinr
from .encoder import EncodeReport, encode_model, encode_with_report
from .options import CodecOptions

__all__ = [
    "CodecOptions",
    "EncodeReport",
    "SinrFile",
    "bpp",
    "decode_bytes",
    "encode_model",
    "encode_with_report",
    "read_sinr",
    "write_sinr",
]
