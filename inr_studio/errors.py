"""Error types a user can meet. Each carries one readable sentence: what is wrong and what to do."""

from __future__ import annotations


class InrStudioError(Exception):
    """Base of every error meant for a user (CLI prints it, the window shows it)."""


class ImageLoadError(InrStudioError):
    """An image file that cannot be read, or one that is too large."""


class OptionError(InrStudioError):
    """An impossible option or combination of options.

    ``field``: the configuration field the value was for (``"warmup"``), when one is to blame:
    the core checks each value once and says what is wrong; the command line names its option
    for that field, the window shows the sentence as it is.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class CheckpointError(InrStudioError):
    """A checkpoint that is not one of ours, or is damaged."""


class SinrFormatError(InrStudioError):
    """A ``.sinr`` file that is not one, is damaged, truncated, or from a newer inr-studio."""
