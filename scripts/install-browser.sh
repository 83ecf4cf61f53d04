#!/usr/bin/env bash
# Installs what the browser tests need, only when missing: Debian's Chromium (and fonts for Arabic,
# Persian and Ge'ez script) — Playwright drives this browser, nothing downloads one of its own — and
# the npm package axe-core (package-lock.json), which the tests load into the page for the audit.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then
    SUDO="sudo"
  fi
  echo ">> installing Debian's chromium for the browser tests (apt)"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y --no-install-recommends chromium fonts-noto-core >/dev/null \
    || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y --no-install-recommends chromium fonts-noto-core >/dev/null; }
fi
if [ ! -f node_modules/axe-core/axe.min.js ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo ">> installing axe-core for the accessibility audit (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
