#!/usr/bin/env bash
# Schemathesis against a running Vigie: every check, stateful links, a bounded time. Vigie polls
# whatever hosts the generated devices name, so the server and the fuzzer run inside a network
# namespace that has only loopback (needs root, as CI is). Installs Schemathesis in a venv under
# target/ when it is missing. Access control is ON: the script logs in as the first admin, makes an
# admin API token and hands it to Schemathesis, whose `ignored_auth` check also sends requests
# without it and expects them refused. Usage: scripts/schemathesis.sh [SECONDS per run, default 60] [more `schemathesis run` options]
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=4.32.5
VENV=target/schemathesis-venv
BUDGET_SECS=${1:-60}

if [ "${VIGIE_IN_NETNS:-}" != 1 ]; then
    if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$VERSION"; then
        echo "== installing Schemathesis $VERSION in $VENV"
        if ! python3 -m venv --clear "$VENV"; then
            # Debian's python3 keeps venv in a package of its own.
            apt-get update -qq && apt-get install -y -qq -o DPkg::Lock::Timeout=600 python3-venv
            python3 -m venv --clear "$VENV"
        fi
        "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
    fi
    cargo build --quiet -p vigie
    if [ "$(id -u)" != 0 ]; then
        echo "schemathesis.sh: needs root for its network namespace (unshare --net)" >&2
        exit 1
    fi
    exec env VIGIE_IN_NETNS=1 unshare --net -- "$0" "$@"
fi

# Inside the namespace: only loopback exists.
ip link set lo up
data=$(mktemp -d)
port=18080
target/debug/vigie serve --listen "127.0.0.1:$port" --data-dir "$data/data" \
    --syslog-udp off --syslog-tcp off --trap-udp off >"$data/vigie.log" 2>&1 &
vigie=$!
cleanup() {
    kill "$vigie" 2>/dev/null || true
    wait "$vigie" 2>/dev/null || true
    rm -rf "$data"
}
trap cleanup EXIT

for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$port/api/v1/health" >/dev/null 2>&1 && break
    sleep 0.1
done

# An admin token, made through the API as a script would: log in, then POST /tokens with the
# session's CSRF token.
json_field() { python3 -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }
password=$(cat "$data/data/initial-admin-password")
csrf=$(curl -fsS -c "$data/cookies" -H 'content-type: application/json' \
    -d "{\"username\": \"admin\", \"password\": \"$password\"}" \
    "http://127.0.0.1:$port/api/v1/session" | json_field csrfToken)
# The first admin must choose a password before the API does anything else for them.
curl -fsS -b "$data/cookies" -H 'content-type: application/json' -H "X-CSRF-Token: $csrf" \
    -d "{\"currentPassword\": \"$password\", \"newPassword\": \"schemathesis admin password\"}" \
    "http://127.0.0.1:$port/api/v1/session/password"
# schemathesis.toml hands it to the `token` security scheme by name ([auth.openapi.token]).
made=$(curl -fsS -b "$data/cookies" -H 'content-type: application/json' -H "X-CSRF-Token: $csrf" \
    -d '{"name": "schemathesis", "role": "admin"}' "http://127.0.0.1:$port/api/v1/tokens")
VIGIE_TOKEN=$(json_field token <<<"$made")
# schemathesis_hooks.py keeps the run from revoking this token (its id) halfway through.
VIGIE_TOKEN_ID=$(json_field id <<<"$made")
export VIGIE_TOKEN VIGIE_TOKEN_ID

# Run from the temp dir: Schemathesis keeps its cache (.schemathesis/) in the working directory.
root=$(pwd)
export PYTHONPATH="$root/scripts" SCHEMATHESIS_HOOKS=schemathesis_hooks
cd "$data"
# The event stream never ends, so it is left out here; tests/integration/events.rs covers it.
set +e
"$root/$VENV/bin/schemathesis" --config-file "$root/scripts/schemathesis.toml" run "http://127.0.0.1:$port/api/v1/openapi.json" \
    --checks all \
    --phases examples,coverage,fuzzing,stateful \
    --exclude-operation-id streamEvents \
    --max-time "$BUDGET_SECS" \
    --request-timeout 10 \
    --workers 1 \
    --seed 1 \
    --no-color \
    "${@:2}"
status=$?
set -e
if [ "$status" != 0 ]; then
    echo "== schemathesis found failures; the last lines of vigie's log:"
    tail -n 40 "$data/vigie.log"
fi
exit "$status"
