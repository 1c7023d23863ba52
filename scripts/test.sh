#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this): installs what the tests need
# (net-snmp, chromium, npm packages), then the backend's unit and integration tests (real snmpd
# on loopback), the spec check, 20 s of fuzzing per fuzz target, Schemathesis against the running
# server, and the web UI's type check, unit tests and build.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/npm-install.sh
# The SMTP server of the notification tests (aiosmtpd in a venv), before the tests start.
scripts/aiosmtpd.sh --install

echo "== frontend: build (frontend/dist), which the backend build embeds"
(cd frontend && npm run --silent build)

# The fuzz targets take minutes to build from scratch (every dependency instrumented, in release):
# built in the background at the lowest priority, they use the cores the backend's tests leave idle
# (those mostly wait on sockets and processes). The fuzzing step below waits for it; a failed build
# is reported there, where fuzz.sh builds again.
fuzz_build_log=$(mktemp)
setsid nice -n 19 scripts/fuzz.sh --build-only >"$fuzz_build_log" 2>&1 &
fuzz_build=$!
# If a step fails, the build (its own process group) stops with the suite.
trap 'kill -- -"$fuzz_build" 2>/dev/null || true' EXIT

echo "== backend: unit and integration tests"
cargo test --workspace --locked

echo "== packaging: compose file, Dockerfile, Debian package and its systemd unit"
scripts/test-packaging.sh

echo "== fuzzing: each fuzz target for 20 s (skipped without a nightly toolchain)"
wait "$fuzz_build" || true
cat "$fuzz_build_log"
rm -f "$fuzz_build_log"
scripts/fuzz.sh 20

echo "== schemathesis: every check against the running server's spec, in a loopback-only network namespace"
scripts/schemathesis.sh 60

echo "== frontend: generated API types are current, unit tests (the build above type-checked)"
(cd frontend && npm run --silent check:api && npm test --silent)

echo "== end to end: real backend, real snmpd, headless Chromium"
node frontend/e2e/e2e.mjs

echo "== end to end at fleet scale: 2,000 simulated devices and a 4,000-interface one, bounded DOM, live patches"
node frontend/e2e/fleet.mjs
