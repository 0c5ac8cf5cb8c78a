"""Helpers of the ``.sinr`` tests: a damaged file made to pass the checksum again, the check
that a decoder refuses a file with one readable sentence in bounded memory, and a network
whose values the encoder codes by entropy."""

from __future__ import annotations

import struct
import tracemalloc
import zlib

import pytest


def reseal(data: bytes) -> bytes:
    """``data`` with its last four bytes replaced by the CRC-32 of the rest: the damage under
    test, not the checksum, is what a reader must catch."""
    body = data[:-4]
    return body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)


def expect_error(data: bytes, fragment: str = "", peak_mb: float = 16.0) -> str:
    """Decoding ``data`` raises one SinrFormatError: a single line containing ``fragment``,
    reached within ``peak_mb`` MiB of Python allocations. Returns the message."""
    from inr_studio.codec import decode_bytes
    from inr_studio.errors import InrStudioError, SinrFormatError

    tracemalloc.start()
    try:
        with pytest.raises(SinrFormatError) as info:
            decode_bytes(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    msg = str(info.value)
    assert isinstance(info.value, InrStudioError)
    assert msg and "\n" not in msg and fragment.lower() in msg.lower(), msg
    assert peak < peak_mb * 2**20, f"decoding a bad file took {peak / 2**20:.1f} MB"
    return msg


def noisy_siren(width: int, depth: int, seed: int):
    """A SIREN whose parameters are N(0, 0.05²) draws: 12-bit values spread enough that the
    encoder codes them by entropy rather than Brotli."""
    import torch

    from inr_studio.models import CoordinateNet, make_model_config

    model = CoordinateNet(make_model_config("siren", width=width, depth=depth), seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * 0.05)
    return model
