"""Brotli with a bounded inflate, and the lossless code of the HS-LoE class map.

A Brotli stream of a few bytes can expand to gigabytes. :func:`inflate` feeds the compressed
bytes in small pieces with ``output_buffer_limit`` and stops the moment the output would pass
the size the header declared, so a hostile file costs at most that much memory.
"""

from __future__ import annotations

import brotli
import numpy as np

from ..errors import SinrFormatError

QUALITY = 11
#: Compressed bytes handed to the decompressor per call.
FEED = 1 << 14

CLASS_MAP_NONE, CLASS_MAP_BYTES, CLASS_MAP_PACKED = 0, 1, 2


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


def packed_bits(classes: int) -> int:
    """Bits per pixel of the packed class map: 1, 2 or 4 (2..16 classes)."""
    return 1 if classes <= 2 else 2 if classes <= 4 else 4


def class_map_raw_size(method: int, height: int, width: int, classes: int) -> int:
    if method == CLASS_MAP_BYTES:
        return height * width
    if method == CLASS_MAP_PACKED:
        return (height * width * packed_bits(classes) + 7) // 8
    return 0


def pack_class_map(class_map: np.ndarray, classes: int) -> bytes:
    """Raster order, ``packed_bits`` per pixel, the first pixel in the most significant bits."""
    b = packed_bits(classes)
    flat = class_map.astype(np.uint8).ravel()
    per = 8 // b
    pad = (-len(flat)) % per
    flat = np.concatenate([flat, np.zeros(pad, dtype=np.uint8)]).reshape(-1, per)
    shifts = (8 - b * (np.arange(per) + 1)).astype(np.uint8)
    return (flat << shifts).sum(axis=1, dtype=np.uint16).astype(np.uint8).tobytes()


def unpack_class_map(raw: bytes, height: int, width: int, classes: int) -> np.ndarray:
    b = packed_bits(classes)
    per = 8 // b
    data = np.frombuffer(raw, dtype=np.uint8)
    shifts = (8 - b * (np.arange(per) + 1)).astype(np.uint8)
    vals = (data[:, None] >> shifts) & ((1 << b) - 1)
    return vals.ravel()[: height * width].reshape(height, width).astype(np.uint8)


def encode_class_map(class_map: np.ndarray, classes: int) -> tuple[int, bytes, bytes]:
    """(method, raw, coded): whichever of bytes+Brotli and packed+Brotli is smaller."""
    raw_bytes = class_map.astype(np.uint8).tobytes()
    raw_packed = pack_class_map(class_map, classes)
    a, b = deflate(raw_bytes), deflate(raw_packed)
    if len(b) <= len(a):
        return CLASS_MAP_PACKED, raw_packed, b
    return CLASS_MAP_BYTES, raw_bytes, a


def decode_class_map(method: int, raw: bytes, height: int, width: int, classes: int) -> np.ndarray:
    if method == CLASS_MAP_BYTES:
        cmap = np.frombuffer(raw, dtype=np.uint8).reshape(height, width).copy()
    else:
        cmap = unpack_class_map(raw, height, width, classes)
    if cmap.size and int(cmap.max()) >= classes:
        raise SinrFormatError(f"the class map holds class {int(cmap.max())}; the model has "
                              f"{classes} classes.")
    return cmap
