"""The papers the models follow, cited as ``docs/models.md`` cites them (a test keeps the two
alike): what *Help ▸ About* lists. Torch-free data."""

from __future__ import annotations

PAPERS: tuple[str, ...] = (
    "SIREN — V. Sitzmann, J. Martel, A. Bergman, D. Lindell, G. Wetzstein, Implicit Neural "
    "Representations with Periodic Activation Functions, NeurIPS 2020.",
    "LoE — Z. Hao, A. Mallya, S. Belongie, M.-Y. Liu, Implicit Neural Representations with "
    "Levels-of-Experts, NeurIPS 2022.",
    "HS-LoE — M.-J. Oh, S.-H. Bae, Levels-of-Experts based on Hard Segmentations for Improving "
    "Implicit Neural Networks, Journal of Broadcast Engineering 29(7), 2024.",
    "EoREN — Edge Oriented Neural Implicit Representation, a project note (SAIL, 2021): fit an "
    "image's gradients first, its colour after.",
    "Fourier features — M. Tancik et al., Fourier Features Let Networks Learn High Frequency "
    "Functions in Low Dimensional Domains, NeurIPS 2020; the frequency encoding of B. "
    "Mildenhall et al., NeRF, ECCV 2020; both as presented in L. Catania, D. Allegra, Implicit "
    "Image Compression, ICIP 2024 tutorial.",
)
