#!/usr/bin/env bash
# Builds the web UI and the backend (release) and starts Vigie at http://127.0.0.1:8080.
# Extra arguments go to `vigie serve` (e.g. --listen 0.0.0.0:8080 --data-dir /var/lib/vigie).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/npm-install.sh
(cd frontend && npm run --silent build)
cargo build --release --locked -p vigie
exec ./target/release/vigie serve --ui-dir frontend/dist "$@"
