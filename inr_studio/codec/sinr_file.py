"""What decoding a ``.sinr`` file gives, whatever network family it holds."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..render import TrainedNetwork
from .container import bpp


@dataclass(frozen=True)
class SinrFile(TrainedNetwork):
    """A decoded ``.sinr`` file: the network (on the CPU) and what is needed to render it."""

    header: dict = field(default_factory=dict)
    sections: dict = field(default_factory=dict)

    @property
    def file_bytes(self) -> int:
        return int(sum(self.sections.values()))

    @property
    def bpp(self) -> float:
        return bpp(self.file_bytes, self.height, self.width)
