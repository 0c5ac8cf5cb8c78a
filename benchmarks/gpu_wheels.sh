#!/usr/bin/env bash
# Download, into .whl/ (git-ignored), the wheels benchmarks/gpu_check.py needs on a GPU machine
# that has Python 3.12 and torch but no package registry (Linux x86-64, manylinux).
#
#   bash benchmarks/gpu_wheels.sh            # parts a-d: brotli, pypng, constriction (1.9 MB)
#   bash benchmarks/gpu_wheels.sh --window   # also the window's, for part e (+82 MB: see below)
#
# There, from the repository root (docs/gpu_check.md):
#   python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl &&
#   PYTHONPATH=/tmp/site:$PWD python3 benchmarks/gpu_check.py --out $OUT/gpu --budget-s 480
#
# The machine already has numpy, scipy, scikit-image (with lazy_loader, imageio, networkx),
# pillow, tifffile, safetensors, tqdm, pygments, typing-extensions and pytest; only what it lacks
# travels. Each wheel comes without its dependencies (--no-deps); every Requires-Dist of these
# wheels is either in the list or on that machine.
#
# Part e is optional: PySide6-Essentials alone is an 80 MB wheel, more than the 64 MiB a GPU
# call may carry with the repository, and Qt's libraries need system libraries (X11, xcb,
# xkbcommon, fontconfig, freetype, GL/EGL, glib, dbus) that a compute image may lack. Without
# them part e records "skipped: the window's packages are missing".
set -euo pipefail
cd "$(dirname "$0")/.."
# the versions the test suite passes with
want=(brotli==1.2.1 pypng==0.20220715.0 constriction==0.5.0)
if [[ "${1:-}" == "--window" ]]; then
  want+=(PySide6-Essentials==6.11.3 shiboken6==6.11.3 pyqtgraph==0.14.0 superqt==0.9.0
         QtPy==2.4.3)
fi
mkdir -p .whl
for spec in "${want[@]}"; do
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --abi cp312 --abi abi3 --abi none \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_34_x86_64 --platform any \
    -d .whl "$spec"
done
du -ch .whl/*.whl | tail -1
