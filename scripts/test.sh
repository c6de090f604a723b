#!/usr/bin/env bash
# Install everything the tests need and run the whole test suite:
#   1. Debian packages the tests start for real: PostgreSQL and Chromium (never `playwright install`);
#   2. the package with its dev extras into .venv;
#   3. the JupyterLab extension in widgets/: build, Jest tests, install (scripts/build_lab.sh),
#      and Amplify's JavaScript client for the server-compatibility test (npm ci);
#   4. import-linter: the layer contracts in pyproject.toml (docs/architecture.md's module map);
#   5. pytest over tests/ and the example notebooks (nbval);
#   6. pytest over the extension's server handlers (Jupyter server's pytest plugin);
#   7. beside Plexus 1.50.1's pins (scripts/test_plexus_pins.sh): a second environment, .venv-plexus, with
#      constraints/plexus-1.50.txt (pandas 2.1, numpy 1.26, SQLAlchemy 1.4, gql 3.5), made again only when
#      pyproject.toml or the constraints changed, its versions printed, and the test files that exercise
#      those pins run there (PostgreSQL, which needs SQLAlchemy 2, skipped with its reason; notebooks, browser,
#      JupyterLab, Amplify JS and slow tests left to step 5, as printed); under 4 minutes, pip cache cold.
# Usage: bash scripts/test.sh [pytest args...]   (with args, only step 5 runs them)
# Exit code: non-zero if any step failed (pytest collecting no tests counts as failing).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v node >/dev/null 2>&1 || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "Installing Debian packages: ${need[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

source scripts/_venv.sh
install_into_venv dev
bash scripts/build_lab.sh
# Amplify's JavaScript data client, for the compatibility test of the stand-in server.
(cd tests/amplify_client && npm ci --no-audit --no-fund --loglevel=error --omit-lockfile-registry-resolved)

status=0
run_pytest() {
  set +e
  .venv/bin/python -m pytest "$@"
  local code=$?
  set -e
  if [ "$code" -eq 5 ]; then
    echo "pytest collected no tests: treating that as a failure" >&2
    code=1
  fi
  [ "$code" -eq 0 ] || status=$code
}

if [ $# -eq 0 ]; then
  .venv/bin/lint-imports --no-cache || status=1
fi
if [ $# -gt 0 ]; then
  run_pytest --nbval --nbval-sanitize-with notebooks/sanitize.cfg "$@"
else
  run_pytest --nbval --nbval-sanitize-with notebooks/sanitize.cfg tests notebooks
  run_pytest -p pytest_jupyter.jupyter_server widgets/tests
  bash scripts/test_plexus_pins.sh || status=$?
fi
exit "$status"
