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

# Pillow is imported where used (reading, writing): the window paints before it loads.

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
    from PIL import Image, UnidentifiedImageError

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
    pixels, depth, gray = _to_float_rgb(arr, p.name, notes)
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
    from PIL import Image

    with warnings.catch_warnings():
        # Our own size check below is stricter; Pillow's bomb warning would only add noise.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        im = Image.open(p)
    with im:
        _check_size(im.width, im.height, max_pixels, p.name)
        if im.format == "PNG" and _png_bit_depth(p) == 16:
            return _read_png16(p, notes)
        im.load()  # decode now so a truncated file fails here, inside the try
        return _pil_array(im, p.name, notes)


def _pil_array(im, name: str, notes: list[str]) -> np.ndarray:
    """A decoded PIL image as an array, turned upright, alpha dropped (with a note)."""
    from PIL import ImageOps

    im = ImageOps.exif_transpose(im)
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        notes.append(f"{name}: alpha channel dropped (fitting RGB only).")
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


#: Large arrays are converted in row bands of about this many values: a whole 24-MP photo in one
#: numpy call held the GIL long enough to stall the window's event loop (ui/image_loader.py
#: loads in a thread; benchmarks/ui_stall.py --open).
BAND_VALUES = 1 << 21


def _bands(height: int, row_values: int) -> range:
    return range(0, height, max(1, BAND_VALUES // max(row_values, 1)))


def _scaled(arr: np.ndarray, factor: float, low: float, high: float) -> np.ndarray:
    """``clip(arr, low, high) * factor`` as float32, H×W(×C), one row band at a time."""
    out = np.empty(arr.shape, dtype=np.float32)
    step = _bands(arr.shape[0], int(np.prod(arr.shape[1:])))
    for i in step:
        band = out[i : i + step.step]
        band[...] = arr[i : i + step.step]
        np.clip(band, low, high, out=band)
        band *= np.float32(factor)
    return out


def _to_float_rgb(arr: np.ndarray, name: str, notes: list[str]) -> tuple[np.ndarray, int, bool]:
    if arr.dtype == np.bool_:
        arr = arr.astype(np.uint8) * 255
    if arr.dtype == np.uint8:
        depth, scaled = 8, _scaled(arr, 1.0 / 255.0, 0.0, 255.0)
    elif arr.dtype in (np.uint16, np.int32, np.uint32):
        depth, scaled = 16, _scaled(arr, 1.0 / 65535.0, 0.0, 65535.0)
    elif np.issubdtype(arr.dtype, np.floating):
        depth, scaled = 32, _scaled(arr, 1.0, 0.0, 1.0)
    else:
        raise ImageLoadError(f"{name}: sample type {arr.dtype} is not supported.")
    gray = scaled.ndim == 2
    if gray:
        rgb = np.empty(scaled.shape + (3,), dtype=np.float32)
        step = _bands(scaled.shape[0], scaled.shape[1] * 3)
        for i in step:
            rgb[i : i + step.step] = scaled[i : i + step.step, :, None]
        scaled = rgb
    if scaled.ndim != 3 or scaled.shape[-1] != 3:
        raise ImageLoadError(f"{name}: {scaled.shape} is not an RGB or grayscale image.")
    return scaled, depth, gray


def image_from_memory(image: object, name: str = "the image",
                      max_pixels: int = MAX_PIXELS) -> LoadedImage:
    """A PIL image or a numpy array, read as :func:`load_image` reads a file: uint8 (/255),
    uint16 (/65535) or float ([0, 1], clipped) samples; gray, gray + alpha, RGB or RGBA
    (alpha dropped with a note, gray expanded to three channels)."""
    notes: list[str] = []
    if hasattr(image, "mode") and hasattr(image, "getbands"):  # a PIL image
        _check_size(image.width, image.height, max_pixels, name)
        arr = _pil_array(image, name, notes)
    elif isinstance(image, np.ndarray):
        arr = image
        if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[-1] not in (1, 2, 3, 4)):
            raise ImageLoadError(f"{name}: an array of shape {arr.shape} is not an image; give "
                                 "H×W (gray), H×W×3 (RGB) or H×W×4 (RGBA).")
        _check_size(arr.shape[1], arr.shape[0], max_pixels, name)
        if arr.ndim == 3 and arr.shape[-1] in (2, 4):
            notes.append(f"{name}: alpha channel dropped (fitting RGB only).")
            arr = arr[..., :-1]
        if arr.ndim == 3 and arr.shape[-1] == 1:
            arr = arr[..., 0]
        if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
            raise ImageLoadError(f"{name}: the array holds NaN or infinite values.")
    else:
        raise ImageLoadError(f"{name}: a {type(image).__name__} is not an image; give a file "
                             "path, a PIL image or a numpy array.")
    pixels, depth, gray = _to_float_rgb(arr, name, notes)
    for note in notes:
        warnings.warn(note, stacklevel=2)
    return LoadedImage(pixels, depth, name, grayscale=gray, notes=tuple(notes))


def size_ok(height: int, width: int, max_pixels: int = MAX_PIXELS) -> bool:
    """Whether an image (or a render, a file's declared size) of H×W pixels is allowed."""
    return 1 <= height and 1 <= width and height * width <= max_pixels


def save_png(path: str | os.PathLike, image01: np.ndarray) -> None:
    """Save an H×W×3 (or H×W×1) float image in [0, 1] as an 8-bit PNG, written atomically."""
    from PIL import Image

    from .atomic import atomic_write
    from .metrics import to_uint8

    arr = to_uint8(image01)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    atomic_write(Path(path), lambda fh: Image.fromarray(arr).save(fh, format="PNG"))


#: Sources above this size are block-averaged before the anti-aliased resize (speed); see
#: :func:`resize_image`. Kodak (0.4 MP) and other ordinary images stay on scikit-image alone.
BLOCK_MEAN_PIXELS = 8_000_000


def resize_image(pixels: np.ndarray, height: int, width: int) -> np.ndarray:
    """Anti-aliased resize of an H×W×3 float image: scikit-image's ``resize(order=1,
    anti_aliasing=True)`` (a Gaussian pre-filter, then bilinear), the filter every CPU-sized
    table in docs/results.md was measured with.

    Only a source over :data:`BLOCK_MEAN_PIXELS` (a phone photo) is first reduced by averaging
    f×f blocks, so that the Gaussian works on a 2–4× reduction: on a 24-MP photo it alone took
    10.7 s (2-core CPU). Block means are a different (sharper) filter, so ordinary images never
    take that path; the last < f rows and columns are dropped by it, < 0.1 % of a photo's side.
    """
    from skimage.transform import resize

    if pixels.shape[:2] == (height, width):
        return pixels
    if pixels.shape[0] * pixels.shape[1] > BLOCK_MEAN_PIXELS:
        pixels = block_reduce_mean(pixels, height, width)
    if pixels.shape[:2] == (height, width):
        return np.clip(pixels, 0.0, 1.0).astype(np.float32)
    out = resize(pixels, (height, width, pixels.shape[2]), order=1, anti_aliasing=True,
                 preserve_range=True)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def block_reduce_mean(pixels: np.ndarray, height: int, width: int) -> np.ndarray:
    """Average f×f blocks, f the largest integer keeping the result ≥ 2× the target size
    (the image unchanged when f < 2)."""
    h, w = pixels.shape[:2]
    f = int(min(h / max(height, 1), w / max(width, 1)) // 2)
    if f < 2:
        return pixels
    hh, ww = h // f, w // f
    blocks = pixels[: hh * f, : ww * f].reshape(hh, f, ww, f, *pixels.shape[2:])
    out = np.empty((hh, ww, *pixels.shape[2:]), dtype=np.float32)
    step = _bands(hh, f * f * ww * int(np.prod(pixels.shape[2:])))  # in row bands, as above
    for i in step:
        out[i : i + step.step] = blocks[i : i + step.step].mean(axis=(1, 3), dtype=np.float32)
    return out


def scaled_size(height: int, width: int, scale: float) -> tuple[int, int]:
    """Size after scaling by ``scale`` (at least 1×1)."""
    return max(1, round(height * scale)), max(1, round(width * scale))


def working_size(height: int, width: int, long_side: int) -> tuple[int, int]:
    """Size with the longer side ``long_side`` (never enlarged; 0 keeps the image's size)."""
    longest = max(height, width)
    if long_side <= 0 or long_side >= longest:
        return height, width
    s = long_side / longest
    return max(1, round(height * s)), max(1, round(width * s))
