"""The memory guard: how much a run will need, checked against what the device has free.

A run that cannot fit must say so in one line before it starts (never a traceback, never the
OOM killer), with a way out: a smaller working size or random pixel batches. The estimate
follows what the code keeps alive (derived from it, then calibrated against the peak RSS of
small runs; ``tests/engine/test_memory_guard.py`` holds it to ±25 %):

- per model, for the whole run: parameters, their gradients and Adam's two moments (4 × P);
  the batcher's coordinates and targets (N × (2 + 2C) float32); every layer's expert ids
  (N int64 each) and, for a full batch, the routing's permutations (two N int64 each);
- during one step of one model (the side-by-side loop steps one model at a time, and a step's
  graph is freed before the next): per hidden layer the sine saves its input z and the next
  linear layer (the LoE grouped kernel or ``F.linear``) saves its input, 2 × B × W float32;
  the backward adds a few B × W transients (sine's cos, the grouped kernel's input gradient);
  a pixel batch adds its gathered rows and a fresh routing;
- a preview or the final frame, one model after the other: the renderer's chunk
  (``render.DEFAULT_CHUNK`` rows through the network without a graph: three chunk × W tensors),
  then the reconstruction's metrics (SSIM in float64); the earlier models' pictures wait.

Peak = the models' run-long memory + the largest of one step and one frame. CUDA: the same
tensors on the device (host-side numpy work is left out); a CUDA graph (``--fast``) keeps its
step's tensors in a private pool for the whole run, so each graphed model adds its step to the
run-long memory (run + k × step, not run + the largest step); the guard asks for a margin on
top (cuBLAS workspaces, the caching allocator's fragmentation). Free CUDA memory is the
driver's (``mem_get_info``) plus the blocks PyTorch's allocator holds cached but unused
(reserved − allocated: they are free to this process), read after collecting garbage and
emptying the cache. On an H200 the plain step's estimate was 0.995 of the measured peak; the
graph pools' allowance is not yet checked there (docs/results.md). Limit: where one activation
is under 32 MiB, glibc's heap keeps freed tensors and a small run's RSS peak can reach ~3× the
estimate (docs/results.md); such runs need hundreds of MB, not what the guard is for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import InrStudioError
from ..models.latent_config import LatentConfig
from ..models.spec import ModelSpec

F32, I64 = 4, 8
#: float32 B × W tensors a step keeps per hidden layer (saved for backward), and the backward's
#: extra ones at its start: derived from the code, then calibrated (see the module docstring).
SAVED_PER_HIDDEN = 2.0
BACKWARD_EXTRA = 1.0
#: Bytes per pixel of a frame's numpy work per model (reconstruction, error map, PSNR and the
#: float64 SSIM of skimage), per channel: measured.
FRAME_BYTES_PER_VALUE = 60.0
RENDER_CHUNK = 1 << 17
#: The guard's suggestions aim at this share of the free memory (the estimate is ±25 %).
SUGGEST_SHARE = 0.7
#: CUDA only, asked for on top of the estimate: cuBLAS/cuBLASLt workspaces (tens of MiB per
#: stream), the CUDA graphs' capture stream, and the caching allocator's rounding and
#: fragmentation (a share of the estimate).
CUDA_MARGIN_BYTES = 256 << 20
CUDA_FRAGMENTATION = 0.10


class MemoryGuardError(InrStudioError):
    """A run that will not fit in the device's free memory; carries the ways out."""

    def __init__(self, message: str, needed: int, free: int, batch_pixels: int | None,
                 scale: float | None) -> None:
        super().__init__(message)
        self.needed = needed
        self.free = free
        #: A pixel batch that fits (None: none does at this size).
        self.batch_pixels = batch_pixels
        #: A factor on the working size's sides at which a full batch fits.
        self.scale = scale


@dataclass(frozen=True)
class MemoryEstimate:
    run: int  # bytes held for the whole run (all models)
    step: int  # the largest single step's extra bytes
    frame: int  # a preview / final frame's extra bytes
    device: str  # "cpu" or "cuda"

    @property
    def peak(self) -> int:
        return self.run + max(self.step, self.frame)

    @property
    def needed(self) -> int:
        """What the guard asks to be free: the peak, and on CUDA a margin on top."""
        if self.device != "cuda":
            return self.peak
        return int(self.peak * (1 + CUDA_FRAGMENTATION)) + CUDA_MARGIN_BYTES


def _hidden_width(spec: ModelSpec) -> tuple[int, int]:
    if isinstance(spec.config, LatentConfig):
        return 1, spec.config.synthesis_width
    shapes = spec.config.layer_shapes()
    return len(shapes) - 1, max(o for o, _ in shapes[:-1]) if len(shapes) > 1 else 1


def _permutations(spec: ModelSpec) -> int:
    """Row permutations a full-batch routing holds (each: an index and its inverse)."""
    multi = [t.experts > 1 for t in spec.config.tilings]  # none for a latent-grid model
    return sum(multi) + (1 if any(multi) else 0)


def model_run_bytes(spec: ModelSpec, pixels: int, batch: int, channels: int,
                    device: str) -> int:
    params = spec.config.parameter_count()
    out = 4 * params * F32
    out += pixels * (2 + 2 * channels) * F32
    full = batch >= pixels
    if full:
        out += _permutations(spec) * 2 * pixels * I64
    if device == "cpu":
        out += len(spec.config.tilings) * pixels * I64  # the batcher's expert ids (numpy)
        if spec.config.segmentation is not None:
            out += pixels * I64  # the class map
    return out


def latent_step_bytes(config: LatentConfig, pixels: int) -> int:
    """One step of the latent-grid model (full batch only): per pixel the G upsampled grids,
    the synthesis' activations and their gradients; per latent its context, the ARM's
    activations and the rate's terms, forward and backward; the context index (int64) kept."""
    c, latents = config.arm_context, config.latent_count()
    per_pixel = 2 * (config.grids + 3 * config.synthesis_width + 24)
    per_latent = 2 * (c * (2 + 2 * config.arm_hidden) + 24)
    return int(pixels * per_pixel * F32 + latents * (per_latent * F32 + c * I64))


def model_step_bytes(spec: ModelSpec, pixels: int, batch: int, channels: int) -> int:
    if isinstance(spec.config, LatentConfig):
        return latent_step_bytes(spec.config, pixels)
    hidden, width = _hidden_width(spec)
    rows = min(batch, pixels)
    out = rows * width * F32 * (SAVED_PER_HIDDEN * hidden + BACKWARD_EXTRA)
    out += rows * (spec.config.encoded_features + 4 * channels) * F32
    if rows < pixels:  # a fresh routing and gathered rows each step
        out += rows * I64 * (2 * _permutations(spec) + 6) + rows * (2 + 2 * channels) * F32
    return int(out)


def frame_bytes(specs: tuple[ModelSpec, ...], pixels: int, channels: int, device: str) -> int:
    chunk = min(pixels, RENDER_CHUNK)
    width = max(_hidden_width(s)[1] for s in specs)
    render = chunk * (3 * width * F32 + 8 * I64)
    if device != "cpu":
        return int(render)
    # one model at a time: its render, then its metrics (not both at once); the earlier
    # models' uint8 picture and error map wait in the frame
    kept = pixels * (channels + F32) * (len(specs) - 1)
    return int(max(render, pixels * channels * FRAME_BYTES_PER_VALUE) + kept)


def estimate(specs: tuple[ModelSpec, ...], height: int, width: int,
             batch_pixels: int | None = None, channels: int = 3,
             device: str = "cpu", cuda_graphs: bool = False) -> MemoryEstimate:
    """The peak memory a side-by-side run of ``specs`` on an H×W working image adds.
    ``cuda_graphs``: the run uses the fast step (``--fast``), which on CUDA captures every
    full-batch model's step in a graph whose memory pool stays for the whole run."""
    pixels = height * width
    batch = pixels if batch_pixels is None else min(int(batch_pixels), pixels)
    dev = "cpu" if device == "cpu" else "cuda"
    run = sum(model_run_bytes(s, pixels, batch, channels, dev) for s in specs)
    steps = [model_step_bytes(s, pixels, batch, channels) for s in specs]
    if dev == "cuda" and cuda_graphs and batch >= pixels:
        run += sum(steps)  # each graph's private pool; the largest warm-up step comes on top
    return MemoryEstimate(int(run), int(max(steps)), frame_bytes(specs, pixels, channels, dev),
                          dev)


def release_memory(device: str = "cpu") -> None:
    """Before reading free memory: collect what finished runs left (their networks sit in
    reference cycles until a collection) and, on CUDA, hand the allocator's cached blocks back
    to the driver."""
    import gc

    gc.collect()
    if device.startswith("cuda"):
        import torch

        if torch.cuda.is_initialized():
            torch.cuda.empty_cache()


def free_bytes(device: str = "cpu") -> int | None:
    """What the device has free now: CPU ``MemAvailable``, CUDA ``mem_get_info``; None: unknown."""
    if device.startswith("cuda"):
        import torch

        dev = torch.device(device)
        cached = torch.cuda.memory_reserved(dev) - torch.cuda.memory_allocated(dev)
        return int(torch.cuda.mem_get_info(dev)[0]) + max(0, int(cached))
    if device != "cpu":
        return None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import psutil  # type: ignore[import-not-found]
    except ImportError:
        return None
    return int(psutil.virtual_memory().available)


def suggest_batch_pixels(specs: tuple[ModelSpec, ...], height: int, width: int, free: int,
                         channels: int = 3, device: str = "cpu",
                         cuda_graphs: bool = False) -> int | None:
    """The largest power-of-two pixel batch (≥ 1024) whose run fits in ``SUGGEST_SHARE`` of
    ``free``; None if even 1024 pixels do not (the run-long memory alone is too big)."""
    budget = SUGGEST_SHARE * free
    best = None
    n = 1024
    while n < height * width:
        if estimate(specs, height, width, n, channels, device, cuda_graphs).needed > budget:
            break
        best = n
        n *= 2
    return best


def suggest_scale(specs: tuple[ModelSpec, ...], height: int, width: int,
                  batch_pixels: int | None, free: int, channels: int = 3,
                  device: str = "cpu", cuda_graphs: bool = False) -> float | None:
    """The largest factor (< 1) on both sides at which the run fits; None if none does."""
    budget = SUGGEST_SHARE * free
    lo, hi = 0.0, 1.0
    for _ in range(30):
        mid = (lo + hi) / 2
        h, w = max(1, round(height * mid)), max(1, round(width * mid))
        if estimate(specs, h, w, batch_pixels, channels, device, cuda_graphs).needed <= budget:
            lo = mid
        else:
            hi = mid
    return lo if lo * max(height, width) >= 8 else None


def gigabytes(n: int) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e8 else f"{n / 1e6:.0f} MB"


def advice(specs: tuple[ModelSpec, ...], height: int, width: int, batch_pixels: int | None,
           free: int, channels: int = 3, device: str = "cpu",
           scale: float = 1.0, cuda_graphs: bool = False) -> tuple[str, int | None, float | None]:
    """'use a working size of at most … or --batch-pixels N' and the two figures in it.
    ``scale`` is the current ``--scale`` (the suggested one is relative to the source)."""
    s = suggest_scale(specs, height, width, batch_pixels, free, channels, device, cuda_graphs)
    n = suggest_batch_pixels(specs, height, width, free, channels, device, cuda_graphs)
    if s is not None:
        w, h = max(1, math.floor(width * s)), max(1, math.floor(height * s))
        size = f"a working size of at most {w}×{h} px (--scale {_round_down(scale * s)})"
    else:
        size = "a smaller working size (--scale)"
    if n is not None and (batch_pixels is None or n < batch_pixels):
        batch = f"random pixel batches of {n} (--batch-pixels {n})"
    else:
        n = None
        batch = "smaller pixel batches (--batch-pixels N)" if batch_pixels else \
            "random pixel batches (--batch-pixels N)"
    return f"use {size} or {batch}", n, s


def _round_down(x: float) -> str:
    """Two significant figures, rounded down so the suggestion still fits."""
    if x <= 0:
        return "0"
    digits = 1 - math.floor(math.log10(x))
    f = 10 ** digits
    return f"{math.floor(x * f) / f:.{max(digits, 0)}f}"


def shortage(specs: tuple[ModelSpec, ...], height: int, width: int, batch_pixels: int | None,
             device: str, needed: int, free: int, channels: int = 3, scale: float = 1.0,
             room: int | None = None, cuda_graphs: bool = False) -> MemoryGuardError:
    """The one-line error for a run needing ``needed`` bytes where ``free`` are free; the
    ways out are sized for ``room`` bytes (default: ``free``)."""
    dev = "cpu" if device == "cpu" else "cuda"
    where = "the GPU has" if dev == "cuda" else "this machine has"
    batch = "full batch" if batch_pixels is None or batch_pixels >= height * width else \
        f"{batch_pixels}-pixel batches"
    names = ", ".join(s.label for s in specs)
    way, n, s = advice(specs, height, width, batch_pixels, free if room is None else room,
                       channels, dev, scale, cuda_graphs)
    return MemoryGuardError(
        f"{names} at {width}×{height} px ({batch}) need{'' if len(specs) > 1 else 's'} about "
        f"{gigabytes(needed)} of memory "
        f"and {where} {gigabytes(free)} free; {way}.", needed, free, n, s)


def check_memory(specs: tuple[ModelSpec, ...], height: int, width: int,
                 batch_pixels: int | None, device: str, channels: int = 3,
                 scale: float = 1.0, free: int | None = None,
                 cuda_graphs: bool = False) -> MemoryEstimate:
    """Raise :class:`MemoryGuardError` (one line: the figure and the way out) if the run would
    not fit in the device's free memory (read now, after :func:`release_memory`, unless
    ``free`` is given); return the estimate otherwise."""
    est = estimate(specs, height, width, batch_pixels, channels, device, cuda_graphs)
    if free is None:
        release_memory(device)
        free = free_bytes(device)
    if free is None or est.needed <= free:
        return est
    raise shortage(specs, height, width, batch_pixels, device, est.needed, free, channels, scale,
                   cuda_graphs=cuda_graphs)


def out_of_memory_advice(specs: tuple[ModelSpec, ...], height: int, width: int,
                         batch_pixels: int | None, device: str, channels: int = 3,
                         cuda_graphs: bool = False) -> str:
    """After a device out-of-memory the guard did not foresee: the same figures and way out.
    The failed run's tensors must be dropped first (the caller's part); then its memory,
    collected and emptied here, counts as free again, not as the "0 MB free" of the moment
    it failed."""
    est = estimate(specs, height, width, batch_pixels, channels, device, cuda_graphs)
    release_memory(device)
    free = free_bytes(device)
    if free is None:
        return ("use a smaller working size (--scale), random pixel batches (--batch-pixels N) "
                "or a narrower network")
    # It did not fit although the estimate says it would: size the ways out for at most
    # half the estimate, so the suggestion is a real step down.
    return str(shortage(specs, height, width, batch_pixels, device, est.needed, free, channels,
                        room=min(free, est.needed // 2), cuda_graphs=cuda_graphs))
