"""Image loading: every format a user drops, at its full precision, or one clear error.

Pillow reduces 16-bit RGB PNG and TIFF to 8 bit, so 16-bit PNGs are read with pypng and TIFFs
with tifffile. Values come back as float32 in [0, 1], H×W×3: grayscale is expanded to three equal
channels (the models always predict RGB; PSNR is unchanged by the expansion).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageLoadError

#: Largest image accepted (pixels). A 3×256 network needs ~1 KB of activations per pixel
#: during training; 40 MP is far beyond anything sensible to fit, yet every camera image opens.
MAX_PIXELS = 40_000_000
SUPPORTED_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp")


@dataclass(frozen=True)
class LoadedImage:
    """An image ready for fitting: ``pixels`` is float32 H×W×3 in [0, 1]."""

    pixels: np.ndarray
    bit_depth: int
    source: str
    grayscale: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])


def load_image(path: str | os.PathLike, max_pixels: int = MAX_PIXELS) -> LoadedImage:
    """Read ``path``; raise :class:`ImageLoadError` with a readable reason on any failure."""
    p = Path(path)
    if not p.exists():
        raise ImageLoadError(f"{p}: no such file. Check the path.")
    if p.is_dir():
        raise ImageLoadError(f"{p} is a folder; give an image file (PNG, JPEG, TIFF, WebP, BMP).")
    if p.stat().st_size == 0:
        raise ImageLoadError(f"{p} is empty (0 bytes); it is not an image.")
    notes: list[str] = []
    try:
        if p.suffix.lower() in (".tif", ".tiff"):
            arr = _read_tiff(p, max_pixels, notes)
        else:
            arr = _read_with_pillow(p, max_pixels, notes)
    except ImageLoadError:
        raise
    except Image.DecompressionBombError as exc:  # header claims far more pixels than we accept
        raise ImageLoadError(
            f"{p.name} is too large ({_short(exc)}); the limit is {max_pixels / 1e6:.0f} MP. "
            "Downscale it first."
        ) from exc
    except (UnidentifiedImageError, ValueError, OSError, SyntaxError, EOFError) as exc:
        raise ImageLoadError(
            f"{p.name} could not be read as an image ({_short(exc)}). "
            "Is it a complete PNG, JPEG, TIFF, WebP or BMP file?"
        ) from exc
    pixels, depth, gray = _to_float_rgb(arr, p, notes)
    for note in notes:
        warnings.warn(note, stacklevel=2)
    return LoadedImage(pixels=pixels, bit_depth=depth, source=str(p), grayscale=gray, notes=tuple(notes))


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) < 120 else text[:117] + "..."


def _check_size(width: int, height: int, max_pixels: int, name: str) -> None:
    if width <= 0 or height <= 0:
        raise ImageLoadError(f"{name} has no pixels ({width}×{height}).")
    if width * height > max_pixels:
        raise ImageLoadError(
            f"{name} is {width}×{height} = {width * height / 1e6:.1f} MP, over the limit of "
            f"{max_pixels / 1e6:.0f} MP. Downscale it first."
        )


def _read_with_pillow(p: Path, max_pixels: int, notes: list[str]) -> np.ndarray:
    with warnings.catch_warnings():
        # Our own size check below is stricter; Pillow's bomb warning would only add noise.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        im = Image.open(p)
    with im:
        _check_size(im.width, im.height, max_pixels, p.name)
        if im.format == "PNG" and _png_bit_depth(p) == 16:
            return _read_png16(p, notes)
        im.load()  # decode now so a truncated file fails here, inside the try
        im = ImageOps.exif_transpose(im)
        if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
            notes.append(f"{p.name}: alpha channel dropped (fitting RGB only).")
            im = im.convert("RGBA").convert("RGB") if im.mode != "LA" else im.convert("L")
        elif im.mode in ("I;16", "I;16B", "I;16L", "I"):
            return np.asarray(im).astype(np.uint16)
        elif im.mode == "CMYK" or im.mode == "P" or im.mode == "1" or im.mode == "YCbCr":
            im = im.convert("RGB")
        elif im.mode == "F":
            return np.clip(np.asarray(im, dtype=np.float32), 0.0, 1.0)
        return np.asarray(im)


def _png_bit_depth(p: Path) -> int:
    with open(p, "rb") as fh:
        head = fh.read(25)
    return head[24] if len(head) >= 25 else 8


def _read_png16(p: Path, notes: list[str]) -> np.ndarray:
    import png  # pypng: keeps 16-bit samples, unlike Pillow

    with open(p, "rb") as fh:  # Reader(filename=...) would leave the file open
        width, height, rows, info = png.Reader(file=fh).asDirect()
        planes = info["planes"]
        arr = np.vstack([np.asarray(r, dtype=np.uint16) for r in rows]).reshape(height, width, planes)
    if info.get("alpha"):
        notes.append(f"{p.name}: alpha channel dropped (fitting RGB only).")
        arr = arr[..., :-1]
    return arr[..., 0] if arr.shape[-1] == 1 else arr


def _read_tiff(p: Path, max_pixels: int, notes: list[str]) -> np.ndarray:
    import tifffile

    try:
        with tifffile.TiffFile(p) as tif:
            if len(tif.pages) == 0:
                raise ImageLoadError(f"{p.name} is a TIFF without any image in it.")
            page = tif.pages[0]
            shape = page.shape
            height, width = (shape[0], shape[1]) if page.samplesperpixel == 1 or len(shape) == 3 else shape[:2]
            _check_size(int(width), int(height), max_pixels, p.name)
            arr = page.asarray()
            orientation = page.tags.get(274)
            code = int(orientation.value) if orientation is not None else 1
            extra = page.extrasamples
    except (tifffile.TiffFileError, IndexError, KeyError) as exc:
        raise ImageLoadError(f"{p.name} is not a readable TIFF ({_short(exc)}).") from exc
    if arr.ndim == 3 and arr.shape[0] in (3, 4) and arr.shape[-1] not in (3, 4):
        arr = np.moveaxis(arr, 0, -1)  # planar configuration
    if arr.ndim == 3 and arr.shape[-1] in (2, 4) and (extra or arr.shape[-1] == 4):
        notes.append(f"{p.name}: alpha channel dropped (fitting RGB only).")
        arr = arr[..., :-1]
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    return _orient(arr, code)


def _orient(arr: np.ndarray, code: int) -> np.ndarray:
    """Apply an EXIF/TIFF orientation code (1..8) to an H×W(×C) array."""
    ops = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: np.swapaxes(a, 0, 1),
        6: lambda a: np.swapaxes(a, 0, 1)[:, ::-1],
        7: lambda a: np.swapaxes(a, 0, 1)[::-1, ::-1],
        8: lambda a: np.swapaxes(a, 0, 1)[::-1],
    }
    return np.ascontiguousarray(ops[code](arr)) if code in ops else arr


def _to_float_rgb(arr: np.ndarray, p: Path, notes: list[str]) -> tuple[np.ndarray, int, bool]:
    if arr.dtype == np.bool_:
        arr = arr.astype(np.uint8) * 255
    if arr.dtype == np.uint8:
        depth, scaled = 8, arr.astype(np.float32) / 255.0
    elif arr.dtype in (np.uint16, np.int32, np.uint32):
        depth, scaled = 16, np.clip(arr, 0, 65535).astype(np.float32) / 65535.0
    elif np.issubdtype(arr.dtype, np.floating):
        depth, scaled = 32, np.clip(arr.astype(np.float32), 0.0, 1.0)
    else:
        raise ImageLoadError(f"{p.name}: sample type {arr.dtype} is not supported.")
    gray = scaled.ndim == 2
    if gray:
        scaled = np.repeat(scaled[..., None], 3, axis=2)
    if scaled.ndim != 3 or scaled.shape[-1] != 3:
        raise ImageLoadError(f"{p.name}: {scaled.shape} is not an RGB or grayscale image.")
    return np.ascontiguousarray(scaled, dtype=np.float32), depth, gray


def size_ok(height: int, width: int, max_pixels: int = MAX_PIXELS) -> bool:
    """Whether an image (or a render, a file's declared size) of H×W pixels is allowed."""
    return 1 <= height and 1 <= width and height * width <= max_pixels


def save_png(path: str | os.PathLike, image01: np.ndarray) -> None:
    """Save an H×W×3 (or H×W×1) float image in [0, 1] as an 8-bit PNG, written atomically."""
    from .atomic import atomic_write
    from .metrics import to_uint8

    arr = to_uint8(image01)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    atomic_write(Path(path), lambda fh: Image.fromarray(arr).save(fh, format="PNG"))


def resize_image(pixels: np.ndarray, height: int, width: int) -> np.ndarray:
    """Area-correct resize (anti-aliased) of an H×W×3 float image, for working resolutions."""
    from skimage.transform import resize

    if pixels.shape[:2] == (height, width):
        return pixels
    out = resize(pixels, (height, width, pixels.shape[2]), order=1, anti_aliasing=True,
                 preserve_range=True)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def scaled_size(height: int, width: int, scale: float) -> tuple[int, int]:
    """Size after scaling by ``scale`` (at least 1×1)."""
    return max(1, round(height * scale)), max(1, round(width * scale))
