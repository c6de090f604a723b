#!/usr/bin/env bash
# Build, unit-test (Jest) and install the JupyterLab extension in widgets/ into .venv.
# Uses JupyterLab's jlpm (yarn) and the extension template's toolchain (TypeScript, jupyter-builder).
# yarn uses the registry npm is configured with; no registry address is written into any file.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"

if ! command -v node >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
YARN_NPM_REGISTRY_SERVER="$(npm config get registry)"
export YARN_NPM_REGISTRY_SERVER
export YARN_ENABLE_TELEMETRY=0 YARN_ENABLE_PROGRESS_BARS=0

cd widgets
jlpm install --immutable
jlpm build:prod
jlpm test --silent
cd ..
# The labextension is built above, so the wheel's build hook has nothing left to do (skip-if-exists).
python -m pip install --quiet --no-build-isolation --force-reinstall --no-deps ./widgets
jupyter labextension list 2>&1 | grep -q "plexus-datasets-lab.*enabled.*OK"
echo "plexus-datasets-lab built, tested and installed"
