"""The sub-commands: ``fit``, ``bench``, ``encode``, ``decode``, ``info``, ``rd``.

Every user error ends with exit code 2 and one line on stderr: what is wrong, what to do.
Opening the window (no sub-command) is the launcher's job (``inr_studio.__main__``), one layer
up, so the command line never depends on the window.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import InrStudioError
from . import COMMANDS, bench_cmd, codec_cmd, fit_cmd  # noqa: F401 - COMMANDS re-exported


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors as one line and exit code 2, without the usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"inr-studio: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="inr-studio", description="Implicit neural representations of images.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    for module in (fit_cmd, bench_cmd, codec_cmd):  # each defines register(subparsers)
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    if getattr(args, "func", None) is None:
        build_parser().print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except InrStudioError as exc:
        print(f"inr-studio: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("inr-studio: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
