"""Sample images that ship with scikit-image (its bundled files, no download)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: (name shown in the menu, file in ``skimage.data.data_dir``). Only bundled files are listed:
#: the ones scikit-image fetches on first use would need a network the user may not have.
_CANDIDATES = (
    ("Astronaut", "astronaut.png"),
    ("Cat (Chelsea)", "chelsea.png"),
    ("Coffee", "coffee.png"),
    ("Rocket", "rocket.jpg"),
    ("Motorcycle", "motorcycle_left.png"),
    ("Retina", "retina.jpg"),
    ("Hubble deep field", "hubble_deep_field.jpg"),
    ("Immunohistochemistry", "ihc.png"),
    ("Camera (grey)", "camera.png"),
    ("Coins (grey)", "coins.png"),
    ("Brick texture (grey)", "brick.png"),
    ("Text (grey)", "text.png"),
)


@dataclass(frozen=True)
class Sample:
    name: str
    path: Path


def data_dir() -> Path:
    """scikit-image's bundled data folder, found without importing scikit-image (which takes
    a tenth of a second or more, before the window's first paint)."""
    import importlib.util

    spec = importlib.util.find_spec("skimage")
    if spec is not None and spec.submodule_search_locations:
        folder = Path(list(spec.submodule_search_locations)[0]) / "data"
        if folder.is_dir():
            return folder
    import skimage.data

    return Path(skimage.data.data_dir)


def samples() -> list[Sample]:
    """The bundled samples present in this installation, in menu order."""
    root = data_dir()
    return [Sample(name, root / f) for name, f in _CANDIDATES if (root / f).is_file()]


def default_sample() -> Sample | None:
    found = samples()
    return found[0] if found else None
