#!/usr/bin/env bash
# Set up facebridge in ./.venv on a fresh machine: the package with every model runtime, and with "dev" the test
# tools plus Debian's Chromium (for the report's browser test). Idempotent: re-running only fills what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="all"
if [ "${1:-}" = "dev" ]; then extras="all,dev"; fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -e ".[${extras}]"
if [ "${1:-}" = "dev" ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "setup: could not install chromium; the browser render test will skip (or fail under CI=true)" >&2
  else
    echo "setup: chromium not found; install Debian's 'chromium' for the browser render test" >&2
  fi
fi
