"""The states of a training run, torch-free, so that widgets can import them before the engine
loads (``run_controller`` imports the worker, hence torch). ``run_controller`` uses the same
values (``tests/ui/test_launch.py`` checks that)."""

from __future__ import annotations

IDLE, RUNNING, PAUSED, STOPPING = "idle", "running", "paused", "stopping"
