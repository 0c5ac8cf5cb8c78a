"""Every awkward file a user may give the window, dropped and given at launch: a readable message
or a sensible image, and the window alive. Files are generated here, never committed.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from inr_studio.metrics import to_uint8

from images import astronaut
from ui_helpers import drop_files, write_png


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def make_case(case: str, folder: Path) -> Path:
    """Write the awkward file ``case`` into ``folder``; return its path."""
    from PIL import Image

    p = folder / f"{case}.png"
    if case == "zero bytes":
        p.write_bytes(b"")
    elif case == "truncated png":
        write_png(folder / "whole.png", astronaut(32, 32))
        p.write_bytes((folder / "whole.png").read_bytes()[:120])
    elif case == "text named png":
        p.write_text("this is not a picture\n")
    elif case == "folder named png":
        p.mkdir()
    elif case == "1x1":
        Image.fromarray(np.full((1, 1, 3), 200, np.uint8)).save(p)
    elif case == "1xN":
        Image.fromarray(to_uint8(astronaut(1, 64))).save(p)
    elif case == "flat gray":
        Image.fromarray(np.full((24, 24, 3), 128, np.uint8)).save(p)
    elif case == "cmyk":
        p = folder / "cmyk.jpg"
        Image.fromarray(to_uint8(astronaut(32, 48))).convert("CMYK").save(p, quality=95)
    elif case == "palette":
        Image.fromarray(to_uint8(astronaut(32, 32))).convert("P", palette=Image.Palette.ADAPTIVE).save(p)
    elif case == "animated gif":
        p = folder / "animated.gif"
        frames = [Image.fromarray(to_uint8(astronaut(24, 24) * f)).convert("P") for f in (1.0, 0.5, 0.2)]
        frames[0].save(p, save_all=True, append_images=frames[1:], duration=100, loop=0)
    elif case == "gray+alpha":
        gray = to_uint8(astronaut(32, 32).mean(axis=2))
        Image.fromarray(np.dstack([gray, np.full_like(gray, 180)]), mode="LA").save(p)
    elif case == "16-bit":
        import png

        arr = (astronaut(24, 32) * 65535).astype(np.uint16)
        with open(p, "wb") as fh:
            png.Writer(32, 24, greyscale=False, bitdepth=16).write(fh, arr.reshape(24, -1))
    elif case == "exif rotated":
        p = folder / "rotated.jpg"
        exif = Image.Exif()
        exif[0x0112] = 6  # display rotated 90° clockwise: 40 wide × 20 high becomes 20 × 40
        Image.fromarray(to_uint8(astronaut(20, 40))).save(p, exif=exif, quality=95)
    elif case == "header 40000x40000":
        ihdr = struct.pack(">IIBBBBB", 40000, 40000, 8, 2, 0, 0, 0)
        idat = zlib.compress(b"\0" * 1000)
        p.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat)
                      + _png_chunk(b"IEND", b""))
    else:
        raise ValueError(case)
    return p


#: case -> ("error", words the message must contain) or ("ok", (height, width) of the image).
CASES = {
    "zero bytes": ("error", "empty"),
    "truncated png": ("error", "truncated png"),
    "text named png": ("error", "could not be read"),
    "folder named png": ("error", "folder"),
    "1x1": ("ok", (1, 1)),
    "1xN": ("ok", (1, 64)),
    "flat gray": ("ok", (24, 24)),
    "cmyk": ("ok", (32, 48)),
    "palette": ("ok", (32, 32)),
    "animated gif": ("ok", (24, 24)),
    "gray+alpha": ("ok", (32, 32)),
    "16-bit": ("ok", (24, 32)),
    "exif rotated": ("ok", (40, 20)),
    "header 40000x40000": ("error", "limit"),
}


def _alive(window) -> None:
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    assert window.isVisible()
    assert window.loader.threads_alive() == 0
    assert window.compare.grab().width() > 0  # still paints


def _check_ok(window, path: Path, size: tuple[int, int]) -> None:
    s = window.session
    assert s.name == path.name, window.messages.text()
    assert (s.image.height, s.image.width) == size
    assert s.working is not None and np.isfinite(s.working).all()
    assert s.maps is not None  # drawn, or an explanation (flat images cannot be split)
    assert s.maps.segmentation is not None or s.maps.error
    assert window.messages.level in ("", "warning", "info"), window.messages.text()


@pytest.mark.parametrize("case", list(CASES))
def test_awkward_file_dropped(window, tmp_path: Path, case: str) -> None:
    path = make_case(case, tmp_path)
    before = window.session.name
    drop_files(window, [path])
    outcome, expect = CASES[case]
    if outcome == "ok":
        _check_ok(window, path, expect)
        if case == "gray+alpha":
            assert "alpha" in window.messages.text()
        if case == "16-bit":
            assert window.session.image.bit_depth == 16
    else:
        assert window.messages.level == "error"
        assert expect in window.messages.text().lower(), window.messages.text()
        assert window.session.name == before  # the image and run stay
    _alive(window)


@pytest.mark.parametrize("case", list(CASES))
def test_awkward_file_at_launch(open_window, tmp_path: Path, case: str) -> None:
    path = make_case(case, tmp_path)
    window = open_window()
    window.open_initial(str(path))  # what `inr-studio FILE` does after the first paint
    assert window.wait_loaded()
    outcome, expect = CASES[case]
    if outcome == "ok":
        _check_ok(window, path, expect)
    else:  # the message stays in the bar, with the sample opened behind it
        assert window.messages.level == "error"
        assert expect in window.messages.text().lower(), window.messages.text()
        assert window.session.name == "astronaut.png"
    _alive(window)


@pytest.fixture(scope="session")
def photo_24mp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One 6000×4000 JPEG (EXIF-rotated, as phones store portraits) for the whole session."""
    from PIL import Image

    path = tmp_path_factory.mktemp("big") / "photo_24mp.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(to_uint8(astronaut(400, 600))).resize((6000, 4000), Image.Resampling.BILINEAR).save(
        path, quality=85, exif=exif)
    return path


def test_24mp_photo_dropped_and_at_launch(open_window, window, photo_24mp: Path) -> None:
    drop_files(window, [photo_24mp])
    s = window.session
    assert s.name == "photo_24mp.jpg" and (s.image.height, s.image.width) == (6000, 4000)
    assert s.working.shape == (256, 171, 3)  # CPU default working size, rotated
    _alive(window)
    second = open_window()
    second.open_initial(str(photo_24mp))
    assert second.wait_loaded(60)
    assert second.session.name == "photo_24mp.jpg" and second.messages.level == ""
