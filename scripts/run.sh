#!/usr/bin/env bash
# Builds the web UI, then the backend (release) with the UI embedded in the binary, and starts
# Vigie at http://127.0.0.1:8080. Extra arguments go to `vigie serve` (e.g. --listen
# 0.0.0.0:8080 --data-dir /var/lib/vigie).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { echo "== run.sh: $*"; }
started=$SECONDS
step "installing the web UI's npm packages (only what is missing)"
scripts/npm-install.sh
step "building the web UI (frontend/dist)"
(cd frontend && npm run --silent build)
if [ ! -x target/release/vigie ]; then
  step "building the backend in release mode, with the UI embedded: the first build takes about 3 to 8 minutes on 2 cores; later ones a few seconds"
else
  step "building the backend in release mode, with the UI embedded (incremental: seconds)"
fi
cargo build --release --locked -p vigie
step "built in $((SECONDS - started)) s; starting ./target/release/vigie serve $*"
exec ./target/release/vigie serve "$@"
