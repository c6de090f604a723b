#!/usr/bin/env bash
# The test suite beside Plexus 1.50.1's pins (issue #15), in a second environment, .venv-plexus:
#   1. made with Python 3.11 (/usr/bin/python3.11; PLEXUS_PINS_PYTHON overrides) and the package installed
#      with its postgres and test extras under constraints/plexus-1.50.txt (pandas 2.1.4, numpy 1.26.4,
#      SQLAlchemy 1.4.15, gql 3.5.3, pytest 8.2.2...); made again only when pyproject.toml or the
#      constraints changed since (a stamp of their sha256 inside it);
#   2. its versions of what matters printed;
#   3. pytest with PLEXUS_DATASETS_PINS_ENV=1 over the test files in PINS_TESTS below: those that exercise
#      what the pins change (pandas 2.1's object strings, SQLAlchemy 1.4, gql 3.5 and graphql-core 3.2,
#      click 8.1), chosen to keep this step's CI time under 5 minutes with a cold pip cache (3:42 measured
#      on this 2-core machine: 1:30 to make and install, 2:12 to test); tests marked slow are left to the
#      main run.
#      tests/conftest.py skips what this environment can't run (PostgreSQL needs SQLAlchemy 2; browser,
#      JupyterLab and Amplify JS tests, if selected) and prints the skips by reason.
# Called by scripts/test.sh after the main run; runs alone too.
# Usage: bash scripts/test_plexus_pins.sh [pytest args...]   (args replace the default selection, e.g. `tests`
#        for the whole suite: about 8 minutes)
# Exit code: pytest's, with "no tests collected" (5) counted as a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-plexus
constraints=constraints/plexus-1.50.txt
python=${PLEXUS_PINS_PYTHON:-/usr/bin/python3.11}
if [ ! -x "$python" ]; then
  python=$(command -v python3.11 || command -v python3.12 || true)
fi
if [ -z "$python" ]; then
  echo "Plexus-pins environment: no Python 3.11 or 3.12 found (set PLEXUS_PINS_PYTHON)" >&2
  exit 1
fi

quiet_pip() {
  # This machine's pip configuration names a local index folder that lacks most packages: pip says so once
  # per package, even with --quiet. Those lines are noise; everything else pip says is kept.
  "$venv/bin/python" -m pip "$@" --quiet 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

wanted=$(cat pyproject.toml "$constraints" | sha256sum | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.pins-stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "Plexus-pins environment: installing into $venv (with $constraints)"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  quiet_pip install --upgrade pip
  # pytest-asyncio is not ours to test with, but Plexus's dev environment has it (0.23.5): our ini must suit it.
  quiet_pip install -c "$constraints" -e ".[postgres,test]" pytest-asyncio
  echo "$wanted" > "$venv/.pins-stamp"
fi

"$venv/bin/python" - <<'EOF'
import importlib.metadata as m
import platform

names = ["pandas", "numpy", "SQLAlchemy", "gql", "graphql-core", "pyarrow", "psycopg", "pytest", "pytest-asyncio"]
print(f"Plexus-pins environment: Python {platform.python_version()}, "
      + ", ".join(f"{name} {m.version(name)}" for name in names))
EOF

PINS_TESTS=(
  # pandas 2.1.4, numpy 1.26, pyarrow 21: loading, profiling, snapshots and row diffs with object strings
  tests/test_string_dtypes.py tests/test_profiling.py tests/test_profile_subjects.py tests/test_loaders.py
  tests/test_messy_loaders.py tests/test_messy_data.py tests/test_snapshots.py tests/test_rowdiff.py
  # SQLAlchemy 1.4.15: the embedded store, its migrations, the stand-in's item store, what PostgreSQL needs
  tests/test_plexus_pins.py tests/test_sql_store.py tests/test_schema_agreement.py tests/test_items.py
  tests/test_compose.py
  # gql 3.5.3, graphql-core 3.2: both GraphQL backends against the stand-in (both schemas), retries and
  # connection failures, SigV4 signing, dialect detection
  tests/test_backend_contract.py tests/test_graphql_backend.py tests/test_sigv4.py tests/test_dialects.py
  tests/test_server_contract.py
  # click 8.1.8 (litellm pins it in a Plexus environment): the CLI
  tests/test_cli.py tests/test_plexus_cli.py tests/test_importer.py tests/test_score_import.py tests/test_rowdiff_faces.py
  # pure modules, cheap
  tests/test_facts.py tests/test_refs.py tests/test_display.py
)
if [ $# -eq 0 ]; then
  echo "Plexus-pins environment: ${#PINS_TESTS[@]} test files (scripts/test_plexus_pins.sh says why); left to the" \
       "main run: notebooks (nbval), the browser, JupyterLab and Amplify JS tests, slow multi-process tests, the rest"
  set -- "${PINS_TESTS[@]}" -m "not slow"
fi
set +e
PLEXUS_DATASETS_PINS_ENV=1 "$venv/bin/python" -m pytest -q -p no:cacheprovider -rfE "$@"
code=$?
set -e
if [ "$code" -eq 5 ]; then
  echo "pytest collected no tests in the Plexus-pins environment: treating that as a failure" >&2
  code=1
fi
echo "Plexus-pins environment: done in $((SECONDS / 60))m $((SECONDS % 60))s (exit code $code)"
exit "$code"
