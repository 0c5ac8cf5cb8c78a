"""The states of a training run, torch-free, so that widgets can import them before the engine
loads (``run_controller`` imports the worker, hence torch). Their one home: the controller and
the engine loader's stand-in take them from here (``tests/ui/test_launch.py`` checks that)."""

from __future__ import annotations

IDLE, RUNNING, PAUSED, STOPPING = "idle", "running", "paused", "stopping"
