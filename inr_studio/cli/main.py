"""Entry point. With no sub-command (or only an image path) it opens the window.

Every user error ends with exit code 2 and one line on stderr: what is wrong, what to do.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ..errors import InrStudioError

#: Sub-command modules; each defines ``register(subparsers)`` and sets ``func`` on its parser.
COMMAND_MODULES = ("fit_cmd", "bench_cmd", "codec_cmd")
COMMANDS = ("fit", "bench", "encode", "decode", "info", "rd")


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors as one line and exit code 2, without the usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"inr-studio: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="inr-studio", description="Implicit neural representations of images.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__package__}.{name}":
                continue  # a sub-command not built yet
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and not argv[0].startswith("-")):
        return _open_window(argv)
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


def _open_window(argv: list[str]) -> int:
    if len(argv) > 1:
        print("inr-studio: error: give at most one image to open (or a sub-command: "
              f"{', '.join(COMMANDS)}).", file=sys.stderr)
        return 2
    from ..ui.app import run_app  # Qt is imported only here

    return run_app(argv[0] if argv else None)


if __name__ == "__main__":
    sys.exit(main())
