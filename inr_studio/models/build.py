"""One network from one configuration, whatever its family: a coordinate network
(:class:`~.config.ModelConfig`) or the latent-grid model (:class:`~.latent_config.LatentConfig`).

The engine, checkpoints and decoders build networks here, so a family is added in one place.
Torch loads only when a network is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Union

from .config import ModelConfig
from .latent_config import LATENT_KIND, LatentConfig

if TYPE_CHECKING:
    from torch import nn

AnyConfig = Union[ModelConfig, LatentConfig]


def build_network(config: AnyConfig, seed: int = 0) -> "nn.Module":
    if isinstance(config, LatentConfig):
        from .latent_net import LatentNet

        return LatentNet(config, seed=seed)
    from .network import CoordinateNet

    return CoordinateNet(config, seed=seed)


def config_from_dict(d: dict) -> AnyConfig:
    """A configuration written by ``to_dict`` (checkpoints): the family follows the kind."""
    if isinstance(d, dict) and d.get("kind") == LATENT_KIND:
        return LatentConfig.from_dict(d)
    return ModelConfig.from_dict(d)


def is_grid_model(config: object) -> bool:
    """A network that draws the whole picture from stored grids (no coordinates, no routing)."""
    return isinstance(config, LatentConfig)
