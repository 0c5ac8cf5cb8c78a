"""Rendering a trained network at any resolution, in chunks of bounded memory."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .coords import pixel_centres_rows
from .errors import OptionError
from .imaging import MAX_PIXELS, size_ok
from .metrics import to_unit
from .models.network import CoordinateNet
from .problem import routing_for

DEFAULT_CHUNK = 1 << 17


@torch.no_grad()
def render(model: CoordinateNet, height: int, width: int, class_map: np.ndarray | None = None,
           chunk: int = DEFAULT_CHUNK) -> np.ndarray:
    """H×W×C float32 image in [0, 1]. ``class_map`` is the source segmentation (HS-LoE);
    at another resolution each coordinate takes the class of the nearest source pixel.
    A grid model (the latent-grid network) draws the whole picture from its grids at once."""
    if not isinstance(model, CoordinateNet):
        return to_unit(model.draw(height, width))
    device = next(model.parameters()).device
    total = height * width
    out = np.empty((total, model.config.out_features), dtype=np.float32)
    for start in range(0, total, chunk):
        stop = min(total, start + chunk)
        coords = pixel_centres_rows(height, width, start, stop)
        routing = routing_for(model.config, coords, class_map, device)
        x = torch.from_numpy(coords.astype(np.float32)).to(device)
        out[start:stop] = model(x, routing).float().cpu().numpy()
    return to_unit(out.reshape(height, width, -1))


@dataclass(frozen=True)
class TrainedNetwork:
    """A network with what rendering it needs: its source size and (HS-LoE) class map.

    Checkpoints and ``.sinr`` files both open as one of these.
    """

    model: CoordinateNet
    height: int
    width: int
    class_map: np.ndarray | None

    @property
    def config(self):
        return self.model.config

    def render(self, height: int | None = None, width: int | None = None) -> np.ndarray:
        """H×W×3 image in [0, 1] at the source size or any other (HS-LoE: nearest source class)."""
        h = self.height if height is None else int(height)
        w = self.width if width is None else int(width)
        if not size_ok(h, w):
            raise OptionError(f"render size {w}×{h} is outside 1..{MAX_PIXELS:,} pixels.")
        return render(self.model, h, w, self.class_map)

