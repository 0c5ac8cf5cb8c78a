"""Saving a latent-grid model from the export dialog: its own file writer
(:func:`inr_studio.codec.latent_file.encode_latent_model`: the decoder's weights quantised with
searched steps, every latent range-coded under the integer ARM), then the file decoded again
and measured, as the command line's ``encode --model latent`` does. Qt-free."""

from __future__ import annotations

from dataclasses import dataclass

from ..models.build import is_grid_model

#: What the dialog says in place of the coordinate networks' options.
LATENT_NOTE = ("Latent grids are coded by their own writer: the synthesis and ARM weights "
               "quantised (steps searched), every latent range-coded under the ARM's Laplace; "
               "the options below are the coordinate networks'.")


def is_latent_target(target) -> bool:
    """Whether an export target holds a latent-grid network (not a coordinate network)."""
    return is_grid_model(getattr(target.model, "config", None))


@dataclass(frozen=True)
class LatentFile:
    data: bytes
    bpp: float
    psnr_decoded: float  # the decoded file's picture against the working image
    psnr_trained: float  # the network as trained, its latents rounded
    detail: str  # the file's sections, in words


def encode_latent_target(target) -> LatentFile:
    """The target's latent-grid file, decoded again and measured."""
    from ..codec import decode_bytes
    from ..codec.latent_file import encode_latent_model
    from ..metrics import psnr

    data, report = encode_latent_model(target.model, target.reference)
    decoded = decode_bytes(data)
    after = psnr(decoded.render(), target.reference)
    return LatentFile(data, decoded.bpp, after, report.psnr_float,
                      f"latents {decoded.sections.get('latents', 0):,} bytes, decoder weights "
                      f"{decoded.sections.get('weights', 0):,} bytes")
