# Sourced by run.sh and test.sh: make .venv (once) and install the package with the given extras.
# Usage: install_into_venv EXTRAS
install_into_venv() {
  local python=${PYTHON:-python3}
  if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
  fi
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[$1]"
}
