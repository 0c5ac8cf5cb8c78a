"""The SINR dictionary A (m × k2, entries N(0, 1/m)), regenerated from the seed, never stored.

The stream is specified so that any decoder can rebuild it (docs/format.md): a fresh
``numpy.random.Generator(numpy.random.PCG64(seed))``, ``standard_normal`` float64 values
drawn row by row (row-major, m rows of k2), each divided by √m. Every vector length m
starts a fresh generator, so A_m is the first m·k2 values of the same stream.
numpy guarantees this stream only for a given algorithm, so the file also stores a
fingerprint (CRC-32 of the first values) and a decoder whose generator differs refuses the
file instead of silently building a wrong network.

The decoder never holds all of A: it draws a block of rows at a time and applies the sparse
codes to it, so its memory is bounded by :data:`BLOCK_VALUES` whatever k2 is.
"""

from __future__ import annotations

import zlib

import numpy as np
import scipy.sparse as sp

#: Largest m·k2 accepted (encoder and decoder): 2^24 values, 128 MB as float64.
MAX_DICTIONARY_VALUES = 1 << 24
#: Values drawn per block while decoding.
BLOCK_VALUES = 1 << 20
FINGERPRINT_VALUES = 64


def generator(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(int(seed)))


def fingerprint(seed: int) -> int:
    """CRC-32 of the first 64 standard normals of the seed's stream (little-endian float64)."""
    head = generator(seed).standard_normal(FINGERPRINT_VALUES)
    return zlib.crc32(head.astype("<f8").tobytes()) & 0xFFFFFFFF


def dictionary(m: int, k2: int, seed: int) -> np.ndarray:
    """The whole m × k2 dictionary (float64), for the encoder."""
    return generator(seed).standard_normal((m, k2)) / np.sqrt(m)


def reconstruct(m: int, k2: int, seed: int, support: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """``A·x`` for every code (row v: atoms ``support[v]`` with weights ``coef[v]``), n × m.

    A is drawn in blocks of rows; each block meets the sparse codes as one sparse product.
    """
    n, s = support.shape
    x = sp.csr_matrix((coef.ravel(), support.ravel(), np.arange(0, n * s + 1, s)), shape=(n, k2))
    out = np.empty((n, m), dtype=np.float64)
    gen = generator(seed)
    rows_per_block = max(1, BLOCK_VALUES // max(k2, 1))
    root = np.sqrt(m)
    for start in range(0, m, rows_per_block):
        rows = min(rows_per_block, m - start)
        block = gen.standard_normal((rows, k2)) / root  # rows start..start+rows of A
        out[:, start:start + rows] = x @ block.T
    return out
