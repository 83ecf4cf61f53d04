#!/usr/bin/env bash
# Installs Debian's Chromium (and fonts for Arabic, Persian and Ge'ez script) for the browser tests,
# only when /usr/bin/chromium is missing. Playwright drives this browser; nothing downloads one of its own.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  SUDO="sudo"
fi
echo ">> installing Debian's chromium for the browser tests (apt)"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y --no-install-recommends chromium fonts-noto-core >/dev/null \
  || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y --no-install-recommends chromium fonts-noto-core >/dev/null; }
