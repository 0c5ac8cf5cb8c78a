"""Image loading: every format at full precision, or one clear ImageLoadError; resizing."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inr_studio.errors import ImageLoadError
from inr_studio.imaging import load_image, resize_image, scaled_size


@pytest.fixture(scope="module")
def rgb8() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(12, 20, 3), dtype=np.uint8)


def quiet_load(path: Path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning where none is expected fails the test
        return load_image(path, **kw)


@pytest.mark.parametrize("fmt, suffix", [("PNG", ".png"), ("BMP", ".bmp"), ("WEBP", ".webp"),
                                         ("TIFF", ".tif")])
def test_lossless_8bit_formats_load_exactly(tmp_path, rgb8, fmt: str, suffix: str) -> None:
    path = tmp_path / f"img{suffix}"
    kw = {"lossless": True} if fmt == "WEBP" else {}
    Image.fromarray(rgb8).save(path, format=fmt, **kw)
    img = quiet_load(path)
    assert img.pixels.dtype == np.float32 and img.pixels.shape == (12, 20, 3)
    assert img.bit_depth == 8 and not img.grayscale
    np.testing.assert_array_equal(np.round(img.pixels * 255).astype(np.uint8), rgb8)


def test_png_16bit_rgb_keeps_16bit_precision(tmp_path) -> None:
    import png

    rng = np.random.default_rng(1)
    data = rng.integers(0, 65536, size=(6, 9, 3), dtype=np.uint16)
    data[0, 0] = (1, 257, 65534)  # values 8 bits cannot tell apart from their neighbours
    path = tmp_path / "deep.png"
    with open(path, "wb") as fh:
        png.Writer(width=9, height=6, bitdepth=16, greyscale=False).write(fh, data.reshape(6, -1))
    img = quiet_load(path)
    assert img.bit_depth == 16
    np.testing.assert_array_equal(np.round(img.pixels.astype(np.float64) * 65535), data)


def test_png_16bit_grayscale(tmp_path) -> None:
    import png

    data = np.arange(0, 65535, 65535 // 20, dtype=np.uint16)[:20].reshape(4, 5)
    path = tmp_path / "gray16.png"
    with open(path, "wb") as fh:
        png.Writer(width=5, height=4, bitdepth=16, greyscale=True).write(fh, data)
    img = quiet_load(path)
    assert img.grayscale and img.bit_depth == 16 and img.pixels.shape == (4, 5, 3)
    np.testing.assert_array_equal(np.round(img.pixels[..., 1] * 65535), data)


def test_tiff_16bit_keeps_precision(tmp_path) -> None:
    import tifffile

    data = np.random.default_rng(2).integers(0, 65536, size=(7, 5, 3), dtype=np.uint16)
    path = tmp_path / "deep.tiff"
    tifffile.imwrite(path, data, photometric="rgb")
    img = quiet_load(path)
    assert img.bit_depth == 16
    np.testing.assert_array_equal(np.round(img.pixels.astype(np.float64) * 65535), data)


def test_jpeg_loads_close_to_its_source(tmp_path, small_image) -> None:
    src = (small_image * 255).round().astype(np.uint8)
    path = tmp_path / "photo.jpg"
    Image.fromarray(src).save(path, quality=95)
    img = quiet_load(path)
    assert img.pixels.shape == src.shape and img.bit_depth == 8
    assert np.abs(img.pixels - src / 255.0).mean() < 0.03


def test_grayscale_is_expanded_to_three_equal_channels(tmp_path, rgb8) -> None:
    path = tmp_path / "gray.png"
    Image.fromarray(rgb8[..., 0]).save(path)
    img = quiet_load(path)
    assert img.grayscale and img.pixels.shape == (12, 20, 3)
    np.testing.assert_array_equal(img.pixels[..., 0], img.pixels[..., 2])
    np.testing.assert_array_equal(np.round(img.pixels[..., 1] * 255), rgb8[..., 0])


def test_rgba_drops_alpha_with_a_warning(tmp_path, rgb8) -> None:
    alpha = np.full(rgb8.shape[:2] + (1,), 77, dtype=np.uint8)
    path = tmp_path / "rgba.png"
    Image.fromarray(np.concatenate([rgb8, alpha], axis=2), mode="RGBA").save(path)
    with pytest.warns(UserWarning, match="alpha"):
        img = load_image(path)
    assert any("alpha" in n for n in img.notes) and img.pixels.shape == (12, 20, 3)
    np.testing.assert_array_equal(np.round(img.pixels * 255).astype(np.uint8), rgb8)


def test_exif_orientation_is_applied(tmp_path) -> None:
    """Orientation 6 (rotate 90° clockwise to display): a 20×40 landscape shows as 40×20."""
    src = np.zeros((20, 40, 3), dtype=np.uint8)
    src[:, :20, 0] = 255  # left half red
    src[:, 20:, 2] = 255  # right half blue
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "rotated.jpg"
    Image.fromarray(src).save(path, exif=exif, quality=95)
    img = quiet_load(path)
    assert img.pixels.shape == (40, 20, 3)
    top, bottom = img.pixels[:16], img.pixels[24:]  # clockwise: the left half goes on top
    assert top[..., 0].mean() > 0.8 and top[..., 2].mean() < 0.2
    assert bottom[..., 2].mean() > 0.8 and bottom[..., 0].mean() < 0.2


def test_bad_files_raise_one_clear_error(tmp_path, rgb8) -> None:
    good = tmp_path / "good.png"
    Image.fromarray(rgb8).save(good)
    cases = {
        "missing.png": ("no such file", None),
        "empty.png": ("empty", b""),
        "truncated.png": ("could not be read", good.read_bytes()[: len(good.read_bytes()) // 2]),
        "notes.png": ("could not be read", b"this is a text file, not a picture\n" * 4),
        "bad.tif": ("TIFF", b"II*\x00garbage that is not a tiff"),
    }
    for name, (match, content) in cases.items():
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content)
        with pytest.raises(ImageLoadError, match=match) as info:
            load_image(path)
        assert "\n" not in str(info.value)
    with pytest.raises(ImageLoadError, match="folder"):
        load_image(tmp_path)


def test_absurd_size_is_refused_before_decoding(tmp_path, rgb8) -> None:
    path = tmp_path / "big.png"
    Image.fromarray(rgb8).save(path)
    with pytest.raises(ImageLoadError, match="over the limit"):
        load_image(path, max_pixels=100)
    assert load_image(path, max_pixels=240).pixels.shape == (12, 20, 3)


def test_resize_and_scaled_size(small_image) -> None:
    assert scaled_size(512, 768, 0.5) == (256, 384) and scaled_size(3, 3, 0.01) == (1, 1)
    out = resize_image(small_image, 24, 32)
    assert out.shape == (24, 32, 3) and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0
    assert abs(out.mean() - small_image.mean()) < 0.01  # area-correct: the mean is kept
    assert resize_image(small_image, 48, 64) is small_image


def test_header_claiming_gigapixels_is_a_clear_error(tmp_path) -> None:
    """Pillow's own bomb guard raises its own error type; it must become an ImageLoadError."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    for side in (100_000, 10_000):
        path = tmp_path / f"bomb{side}.png"
        path.write_bytes(b"\x89PNG\r\n\x1a\n"
                         + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
                         + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b""))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(ImageLoadError, match="limit"):
                load_image(path)


def test_block_reduce_keeps_area_means(small_image: np.ndarray, monkeypatch) -> None:
    """The 24-MP speed-up: f×f block means before scikit-image's resize stay area-correct;
    ordinary images never take it (the CPU-sized tables' filter is scikit-image's alone)."""
    from skimage.transform import resize

    from inr_studio import imaging
    from inr_studio.imaging import block_reduce_mean, resize_image

    big = np.repeat(np.repeat(small_image, 20, axis=0), 20, axis=1)  # 960×1280
    blocks = block_reduce_mean(big, 48, 64)  # f = 10: each block inside one 20×20 pixel
    assert np.allclose(blocks, np.repeat(np.repeat(small_image, 2, axis=0), 2, axis=1), atol=1e-6)
    assert block_reduce_mean(big, 600, 800) is big  # less than 2× per side: left alone
    plain = resize(big, (48, 64, 3), order=1, anti_aliasing=True, preserve_range=True)
    assert np.allclose(resize_image(big, 48, 64), np.clip(plain, 0, 1), atol=1e-6)
    monkeypatch.setattr(imaging, "BLOCK_MEAN_PIXELS", 1_000_000)  # as if 960×1280 were a photo
    out = resize_image(big, 48, 64)
    mse = float(np.mean((out - small_image) ** 2))
    assert out.shape == (48, 64, 3) and 10 * np.log10(1 / mse) > 30
