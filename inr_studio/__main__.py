"""The launcher (``inr-studio``, ``python -m inr_studio``): the window, or a sub-command.

With no arguments, or only an image path, it opens the window; otherwise the command line runs.
It is the top layer: the command line and the window never import each other.
"""

from __future__ import annotations

import sys

from .cli import COMMANDS  # light: the commands themselves load torch, the window must not
from .process import tune_process


def main(argv: list[str] | None = None) -> int:
    tune_process()  # before torch loads: OpenMP's waiting and the allocator (process.py)
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and (argv[0] in COMMANDS or argv[0].startswith("-")):
        from .cli.main import main as run_command

        return run_command(argv)
    if len(argv) > 1:
        print("inr-studio: error: give at most one image to open (or a sub-command: "
              f"{', '.join(COMMANDS)}).", file=sys.stderr)
        return 2
    from .ui.app import run_app  # Qt is imported only here

    return run_app(argv[0] if argv else None)


if __name__ == "__main__":
    sys.exit(main())
