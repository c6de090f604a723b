#!/usr/bin/env bash
# Install plexus-datasets into .venv and run the main job on the embedded default store:
# seed the demo registry (once) and show what it holds.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .

.venv/bin/plexus-datasets demo
.venv/bin/plexus-datasets info
