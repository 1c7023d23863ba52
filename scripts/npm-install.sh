#!/usr/bin/env bash
# Installs the web UI's npm packages exactly as locked, unless they already are.
set -euo pipefail
cd "$(dirname "$0")/../frontend"
if [[ ! node_modules/.package-lock.json -nt package-lock.json ]]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
