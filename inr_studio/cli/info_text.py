"""What ``inr-studio info`` prints: a file's header in words and its byte budget, written to a
pipe that may close early."""

from __future__ import annotations

import os
import sys

from .budget import byte_budget


def print_to_pipe(text: str) -> int:
    """Print ``text``; a reader that stops early (``| head``) ends the command quietly, as
    other command-line tools do, instead of with a BrokenPipeError traceback."""
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        # Python flushes stdout again at exit; point it at devnull so that flush cannot fail.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a reader that stopped early
    return 0


def format_info(f, name: str, size: int, tensors: bool = False) -> str:
    hd, codec = f.header, f.header["codec"]
    cfg = hd["model"]
    tilings = ", ".join(_tiling_label(t) for t in cfg["tilings"])
    mode = (f"SINR, k2 = {codec['k2']}, seed {codec['seed']}" if codec["mode"] == "sinr"
            else "plain quantisation")
    sparse = [t for t in hd["tensors"] if t["layout"] != "dense"]
    lines = [
        f"{name}: .sinr version {hd['format_version']}, {size:,} bytes, "
        f"{f.bpp:.3f} bpp at {f.width}×{f.height} ({hd['image']['channels']} channels)",
        f"model:  {hd['model_label']}, {cfg['width']} wide, {len(cfg['tilings']) - 1} hidden layers, "
        f"ω0 = {cfg['omega0']:g}, {hd['parameters']:,} parameters",
        f"tiles:  {tilings}",
        f"coding: {mode}; {_bits_label(hd['tensors'])}; {len(sparse)} of "
        f"{sum(1 for t in hd['tensors'] if t['role'] == 'weight')} weight tensors sparse-coded",
        "sections: " + ", ".join(f"{k} {v['coding']}" for k, v in hd["streams"].items())
        + f", class map {hd['class_map']['method']}",
        "",
        *byte_budget(f, size),
    ]
    if tensors:
        lines.append("")
        lines.append(f"{'tensor':<22}{'layout':<9}{'s':>5}{'bits':>5}{'vectors':>9}{'length':>8}")
        for t in hd["tensors"]:
            label = f"L{t['layer']} " + (f"expert {t['expert']} weight" if t["role"] == "weight" else "bias")
            lines.append(f"{label:<22}{t['layout']:<9}{t['s']:>5}{t['bits']:>5}{t['n_vec']:>9}"
                         f"{t['vec_len']:>8}")
    return "\n".join(lines)


def _bits_label(tensors: list[dict]) -> str:
    """``16-bit values, 16-bit biases``, or the range when the tensors differ."""
    out = []
    for role, name in (("weight", "values"), ("bias", "biases")):
        bits = sorted({t["bits"] for t in tensors if t["role"] == role})
        if bits:
            span = f"{bits[0]}" if len(bits) == 1 else f"{bits[0]}–{bits[-1]}"
            out.append(f"{span}-bit {name}")
    return ", ".join(out)


def _tiling_label(t: dict) -> str:
    if t["kind"] == "grid":
        return f"grid A={t['scale']:g}"
    if t["kind"] == "segment":
        return f"segmentation ({t['classes']} classes)"
    return "single"



# ---------------------------------------------------------------------------------------- rd
