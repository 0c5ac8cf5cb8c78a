"""Command line: ``inr-studio`` (the window), ``fit``, ``bench``, ``encode``, ``decode``, ``info``, ``rd``."""
