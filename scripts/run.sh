#!/usr/bin/env bash
# Install plexus-datasets (with its JupyterLab sidebar) into .venv and run the main job on the
# embedded default store: seed the demo registry (once), then open JupyterLab on the quickstart.
# Usage: bash scripts/run.sh [JupyterLab options, e.g. --no-browser --port 8899]
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/_venv.sh
install_into_venv lab
bash scripts/build_lab.sh

.venv/bin/plexus-datasets demo
.venv/bin/plexus-datasets datasets list
exec .venv/bin/jupyter lab --ServerApp.port_retries=0 --ServerApp.root_dir=notebooks "$@" \
  notebooks/01_quickstart.ipynb
