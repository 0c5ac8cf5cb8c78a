"""Rows of frozen dataclasses to CSV and back: what every study writes and re-reads (tables and
plots are rebuilt from a CSV without re-running anything)."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, fields

from ..errors import OptionError

_TYPES = {"int": int, "float": float, "str": str}


def rows_to_csv(cls: type, rows: list) -> bytes:
    """Floats to 6 significant digits; one header line of the field names."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=[f.name for f in fields(cls)], lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in asdict(r).items()})
    return buf.getvalue().encode("utf-8")


def rows_from_csv(cls: type, data: bytes, what: str) -> list:
    """Rows of ``cls`` (fields typed int, float or str); a foreign CSV is refused with one
    sentence naming ``what`` it should have been."""
    kinds = {f.name: _TYPES[str(f.type)] for f in fields(cls)}
    try:
        return [cls(**{k: kinds[k](v) for k, v in row.items()})
                for row in csv.DictReader(io.StringIO(data.decode("utf-8")))]
    except (KeyError, TypeError, ValueError, UnicodeDecodeError) as exc:
        raise OptionError(f"this CSV is not {what} ({exc}).") from exc
