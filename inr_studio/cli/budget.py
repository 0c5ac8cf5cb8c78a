"""``info``'s byte budget: every part of a ``.sinr`` file, its share and its bits per pixel."""

from __future__ import annotations


def byte_budget(f, size: int) -> list[str]:
    """The table's lines (they add up to the file size; a warning line if they do not)."""
    lines = [f"{'section':<22}{'bytes':>12}{'share':>9}{'bpp':>10}"]
    total = sum(f.sections.values())
    for sec, n in f.sections.items():
        lines.append(f"{sec:<22}{n:>12,}{100 * n / total:>8.1f}%{8 * n / (f.width * f.height):>10.4f}")
    lines.append(f"{'total':<22}{total:>12,}{'100.0%':>9}{f.bpp:>10.4f}")
    if total != size:
        lines.append(f"warning: sections sum to {total:,} bytes, the file has {size:,}")
    return lines
