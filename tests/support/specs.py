"""Model specs for tests: registry models as small networks, LoE tiles scaled to the image (as
the window scales them), for a given working size."""

from __future__ import annotations


def specs_for(keys, height: int, width: int, model_width: int = 16, depth: int = 2) -> tuple:
    """The specs of the registry models ``keys`` for a ``height``×``width`` image."""
    from inr_studio.models import registry
    from inr_studio.models.registry import ModelOptions
    from inr_studio.tiling import auto_tile_scale

    options = ModelOptions(width=model_width, depth=depth, image_size=(height, width),
                           tile_scale=auto_tile_scale(height, width))
    return registry.build_specs(tuple(keys), options)
