#!/usr/bin/env bash
# Prints the path of a working Python 3.10 interpreter, or explains what to install and exits 1.
# Order: $PYTHON, python3.10 on PATH, pyenv's 3.10.x, common install locations.
set -u
works() { [ -n "$1" ] && "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' >/dev/null 2>&1; }
candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
if command -v pyenv >/dev/null 2>&1; then
  for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.|$)' | sort -t. -k3 -n -r); do
    candidates+=("$(pyenv root)/versions/$v/bin/python3.10")
  done
fi
for p in "$HOME"/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do
  candidates+=("$p")
done
for c in "${candidates[@]}"; do
  if works "$c"; then echo "$c"; exit 0; fi
done
cat >&2 <<'MSG'
error: Python 3.10 was not found (Rasa 3.6 runs only on Python 3.8-3.10; this project uses 3.10).
Install it, then run the command again, for example:
  pyenv install 3.10.13          # with pyenv
  sudo apt-get install python3.10 python3.10-venv   # on Debian/Ubuntu where packaged
or point PYTHON at an interpreter: make run PYTHON=/path/to/python3.10
MSG
exit 1
