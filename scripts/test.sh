#!/usr/bin/env bash
# Install everything the tests need into .venv and run the whole test suite.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages the tests start for real: PostgreSQL (the SQL backend's second dialect)
# and Chromium (headless browser checks). Never `playwright install`: it downloads a browser.
need=()
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)      # the browser checks (Playwright drives it)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "Installing Debian packages: ${need[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev]"

# The unit/integration tests and the example notebooks (nbval re-runs each and compares outputs).
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(tests notebooks)
set +e
.venv/bin/python -m pytest --nbval --nbval-sanitize-with notebooks/sanitize.cfg "${args[@]}"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: treating that as a failure" >&2
  exit 1
fi
exit "$status"
