#!/usr/bin/env bash
# A fleet of real net-snmp agents on loopback, for the fleet benchmark's FLEET_EXTERNAL (README,
# Performance, "An external fleet"): a fleet we did not write.
#
#   scripts/snmpd-fleet.sh start COUNT FIRST_PORT DIR [INTERFACES]   # default 48 interfaces
#   scripts/snmpd-fleet.sh stop DIR
#
# Each agent is one `snmpd` on 127.0.0.1:PORT (ports FIRST_PORT..FIRST_PORT+COUNT-1, community
# `public`), serving INTERFACES made-up interfaces through the tests' pass_persist script
# (backend/tests/fixtures/ifmib_pass.py) with 64-bit counters growing at 1-100 Mbit/s. Its files
# (configuration, state, log, pid) are in DIR/PORT. snmpd and the script cost 50-100 µs of CPU
# per varbind: a slow fleet, but what Vigie spends on it depends only on the replies.
set -euo pipefail
cd "$(dirname "$0")/.."
PASS_SCRIPT="$PWD/backend/tests/fixtures/ifmib_pass.py"

usage() {
    sed -n '5,6p' "$0" >&2
    exit 2
}

state_json() {
    local interfaces=$1 port=$2
    /usr/bin/python3 - "$interfaces" "$port" <<'EOF'
import json, sys, time
count, port = int(sys.argv[1]), int(sys.argv[2])
interfaces = [{
    "ifIndex": i, "ifDescr": f"port{i}", "ifName": f"port{i}", "ifAlias": f"agent {port} port {i}",
    "ifType": 6, "speedBps": 1_000_000_000, "adminStatus": 1, "operStatus": 1,
    "inOctets": (port * 7919 + i * 104729) % 2**40, "outOctets": (port * 104729 + i * 7919) % 2**40,
    "inOctetsPerSec": 125_000 * (1 + (port + i) % 100), "outOctetsPerSec": 125_000 * (1 + (port * i) % 100),
    "hc": True,
} for i in range(1, count + 1)]
print(json.dumps({"interfaces": interfaces, "epoch": time.time()}))
EOF
}

start() {
    local count=$1 first=$2 dir=$3 interfaces=${4:-48}
    if compgen -G "$dir/*/pid" > /dev/null; then
        echo "$dir holds agents already started: scripts/snmpd-fleet.sh stop $dir first" >&2
        exit 1
    fi
    mkdir -p "$dir"
    for ((port = first; port < first + count; port++)); do
        local agent="$dir/$port"
        mkdir -p "$agent/persist"
        state_json "$interfaces" "$port" > "$agent/state.json"
        cat > "$agent/snmpd.conf" <<EOF
agentAddress udp:127.0.0.1:$port
rocommunity public 127.0.0.1
sysName snmpd-$port
sysDescr net-snmp agent $port of a Vigie benchmark fleet
dontLogTCPWrappersConnects yes
pass_persist .1.3.6.1.2.1.2 /usr/bin/python3 $PASS_SCRIPT $agent/state.json
pass_persist .1.3.6.1.2.1.31 /usr/bin/python3 $PASS_SCRIPT $agent/state.json
EOF
        # -I: without it the built-in modules serve the host's own interfaces, and smux would
        # make the agents fight over TCP port 199. -m "": Debian ships no MIB files.
        SNMP_PERSISTENT_DIR="$agent/persist" setsid snmpd -f -Lo -C -c "$agent/snmpd.conf" \
            -p "$agent/snmpd.pid" -m "" -I -smux,ifTable,ifXTable,interfaces \
            < /dev/null > "$agent/snmpd.log" 2>&1 &
        echo $! > "$agent/pid"
    done
    local silent=0
    for ((port = first; port < first + count; port++)); do
        if ! snmpget -v2c -c public -m "" -On -t 1 -r 5 "127.0.0.1:$port" 1.3.6.1.2.1.2.2.1.10.1 > /dev/null 2>&1; then
            echo "agent on port $port does not answer: see $dir/$port/snmpd.log" >&2
            silent=$((silent + 1))
        fi
    done
    echo "$((count - silent)) of $count snmpd agents answering on 127.0.0.1:$first-$((first + count - 1))"
    [ "$silent" -eq 0 ]
}

stop() {
    local dir=$1 pid
    for file in "$dir"/*/pid; do
        [ -e "$file" ] || continue
        pid=$(cat "$file")
        # The agent's session holds its pass_persist scripts too.
        kill -- "-$pid" 2> /dev/null || kill "$pid" 2> /dev/null || true
        rm -f "$file"
    done
}

case "${1:-}" in
    start) [ $# -ge 4 ] || usage; start "$2" "$3" "$4" "${5:-}" ;;
    stop) [ $# -eq 2 ] || usage; stop "$2" ;;
    *) usage ;;
esac
