#!/usr/bin/env bash
# Creates .venv with Python 3.10 and installs the project into it, only when pyproject.toml or
# constraints.txt changed since the last install (their hash is kept in .venv/.installed).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
py=$(bash scripts/find-python.sh)
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; then
  echo ">> creating $VENV with $py"
  rm -rf "$VENV"
  "$py" -m venv "$VENV"
fi
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
have=$(cat "$VENV/.installed" 2>/dev/null || true)
if [ "$want" != "$have" ]; then
  echo ">> installing the project into $VENV (first time: several minutes, Rasa is large)"
  "$VENV/bin/python" -m pip install --quiet --upgrade "pip>=24,<26"
  "$VENV/bin/python" -m pip install --progress-bar off -c constraints.txt -e '.[dev]'
  echo "$want" > "$VENV/.installed"
fi
