"""Command line: ``inr-studio`` (the window), ``fit``, ``bench``, ``encode``, ``decode``, ``info``, ``rd``."""

#: The sub-commands. Here, not in ``cli.main`` (which imports every command and so torch), so
#: that the launcher tells a command from an image path without loading torch before the
#: window's first paint.
COMMANDS = ("fit", "bench", "encode", "decode", "info", "rd")
