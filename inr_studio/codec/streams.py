"""Brotli with a bounded inflate.

A Brotli stream of a few bytes can expand to gigabytes. :func:`inflate` feeds the compressed
bytes in small pieces with ``output_buffer_limit`` and stops the moment the output would pass
the size the header declared, so a hostile file costs at most that much memory.
"""

from __future__ import annotations

import brotli

from ..errors import SinrFormatError
from .header import CODING_BROTLI, CODING_NONE, CODING_STORED

QUALITY = 11
#: Compressed bytes handed to the decompressor per call.
FEED = 1 << 14



def deflate(raw: bytes) -> bytes:
    """Brotli at maximum quality; an empty input stays empty (no stream at all)."""
    return brotli.compress(raw, quality=QUALITY) if raw else b""


def inflate(coded: bytes | memoryview, size: int, what: str) -> bytes:
    """Decompress ``coded``, which must inflate to exactly ``size`` bytes, in bounded memory."""
    if size == 0 or len(coded) == 0:
        if size or len(coded):
            raise SinrFormatError(f"the {what} stream is damaged (declared {size} bytes, "
                                  f"{len(coded)} coded).")
        return b""
    dec = brotli.Decompressor()
    out = bytearray()
    view = memoryview(coded)
    pos = 0
    idle = 0
    try:
        while not dec.is_finished():
            if dec.can_accept_more_data() and pos < len(view):
                piece, pos = view[pos:pos + FEED], min(len(view), pos + FEED)
            else:
                piece = b""
            if not piece and dec.can_accept_more_data():
                raise SinrFormatError(f"the {what} stream is truncated: it ends before its "
                                      "compressed data does.")
            chunk = dec.process(bytes(piece), output_buffer_limit=size - len(out) + 1)
            out += chunk
            idle = 0 if (piece or chunk) else idle + 1
            if idle > 8:  # neither input taken nor output given: never loop forever
                raise SinrFormatError(f"the {what} stream is damaged (the decoder stalled).")
            if len(out) > size:
                raise SinrFormatError(f"the {what} stream inflates past the {size} bytes its header "
                                      "declares (damaged file or a decompression bomb); stopped.")
    except brotli.error as exc:
        raise SinrFormatError(f"the {what} stream is damaged (Brotli: {exc}).") from exc
    if pos < len(view):
        raise SinrFormatError(f"the {what} stream has {len(view) - pos} bytes after its end.")
    if len(out) != size:
        raise SinrFormatError(f"the {what} stream holds {len(out)} bytes; its header declares "
                              f"{size}.")
    return bytes(out)


def pack_bytes(raw: bytes, stored: bool = True) -> tuple[int, bytes]:
    """(coding, coded) of a byte section: Brotli, or the bytes themselves if that is not
    longer (``stored``: allowed, version 2)."""
    if not raw:
        return CODING_NONE, b""
    coded = deflate(raw)
    if stored and len(raw) <= len(coded):
        return CODING_STORED, bytes(raw)
    return CODING_BROTLI, coded


def unpack_bytes(coded: bytes | memoryview, coding: int, size: int, what: str) -> bytes:
    """The raw bytes of a Brotli or stored section of declared raw ``size``."""
    if coding == CODING_STORED:
        if len(coded) != size:
            raise SinrFormatError(f"the stored {what} section holds {len(coded)} bytes; its "
                                  f"header declares {size}.")
        return bytes(coded)
    return inflate(coded, size, what)
