#!/usr/bin/env bash
# Checks the container files and the Debian package without a Docker engine or a running systemd:
#   - docker-compose.yml is valid for Debian's docker-compose and publishes the HTTP and receiver ports;
#   - deploy/compose/victoriametrics.yml over it is valid and points Vigie's remote-write and history
#     at its VictoriaMetrics service, whose data is in a volume;
#   - deploy/compose/sharded.yml is valid: a deduplicating VictoriaMetrics, a primary over TLS with its
#     history from it, pollers covering every shard of one N that trust its CA, write to it and take
#     their token from the environment (never from the file), each with its own data volume;
#   - the Dockerfile runs as a non-root user, has a HEALTHCHECK on /health, EXPOSEs exactly
#     8080 1514/udp 1514/tcp 1162/udp, and every VIGIE_* variable and option it (or compose) sets is
#     one `vigie serve --help` knows;
#   - the .deb (built by cargo-deb from the already-built debug binary) holds the binary, the unit, the
#     conffile and the README; its unit passes `systemd-analyze verify`; its postinst creates the
#     `vigie` user; the extracted binary answers --version and serves /health with the packaged config.
# Needs docker-compose, systemd-analyze and cargo-deb (scripts/install-deps.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=$(mktemp -d)
server_pid=
cleanup() {
    if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; fi
    rm -rf "$scratch"
}
trap cleanup EXIT

failures=0
fail() { echo "  FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "  ok: $*"; }

echo "== packaging: the debug binary (built if missing)"
cargo build --locked -p vigie --quiet
vigie=target/debug/vigie
serve_help=$("$vigie" serve --help)

echo "== packaging: docker-compose.yml"
if docker-compose -f docker-compose.yml config -q; then pass "docker-compose config -q"; else fail "docker-compose config -q"; fi
grep -q '^version:' docker-compose.yml && fail "docker-compose.yml still has the obsolete 'version' key"
grep -qi 'later release' docker-compose.yml Dockerfile && fail "the container files still speak of 'a later release'"
compose=$(docker-compose -f docker-compose.yml config)
# The published ports, as "CONTAINER_PORT/PROTOCOL", read from the normalized file (PyYAML comes with docker-compose).
published=$(python3 -c '
import sys, yaml
ports = yaml.safe_load(sys.stdin)["services"]["vigie"].get("ports", [])
seen = set()
for p in ports:
    if isinstance(p, dict):
        seen.add("%s/%s" % (p["target"], p.get("protocol", "tcp")))
    else:
        target = str(p).split(":")[-1]
        seen.add(target if "/" in target else target + "/tcp")
print(" ".join(sorted(seen)))
' <<<"$compose")
for port in 8080/tcp 1514/udp 1514/tcp 1162/udp; do
    [[ " $published " == *" $port "* ]] && pass "compose publishes $port" || fail "compose does not publish $port (it publishes: $published)"
done
grep -Eq 'vigie-data:/var/lib/vigie' <<<"$compose" && pass "compose keeps the data in a volume" || fail "compose has no data volume at /var/lib/vigie"

echo "== packaging: deploy/compose/victoriametrics.yml (over docker-compose.yml)"
vm_files=(-f docker-compose.yml -f deploy/compose/victoriametrics.yml)
if docker-compose "${vm_files[@]}" config -q; then pass "docker-compose config -q"; else fail "docker-compose config -q"; fi
# Vigie writes to and reads from the VictoriaMetrics service, on the port it listens on, and
# VictoriaMetrics keeps its data in a volume and is published on loopback only.
vm_checks=$(docker-compose "${vm_files[@]}" config | python3 -c '
import sys, yaml
services = yaml.safe_load(sys.stdin)["services"]
vm, vigie = services.get("victoriametrics", {}), services["vigie"]
def check(ok, what):
    print(("ok: " if ok else "") + what)
args = vm.get("command", [])
port = next((a.split(":")[-1] for a in args if a.startswith("-httpListenAddr=")), "8428")
check(str(vm.get("image", "")).startswith("victoriametrics/victoria-metrics:"), "the victoriametrics service runs victoriametrics/victoria-metrics")
storage = next((a.split("=", 1)[1] for a in args if a.startswith("-storageDataPath=")), None)
named = [v for v in vm.get("volumes", []) if storage and str(v).split(":")[1:2] == [storage] and not str(v).startswith((".", "/"))]
check(bool(named), "VictoriaMetrics keeps -storageDataPath (%s) in a named volume" % storage)
env = vigie.get("environment", {})
check(env.get("VIGIE_REMOTE_WRITE_URL") == "http://victoriametrics:%s/api/v1/write" % port, "VIGIE_REMOTE_WRITE_URL is the service write URL (port %s)" % port)
check(env.get("VIGIE_HISTORY_PROMQL_URL") == "http://victoriametrics:%s" % port, "VIGIE_HISTORY_PROMQL_URL is the service base URL")
check("victoriametrics" in vigie.get("depends_on", {}), "vigie starts after victoriametrics")
published = [str(p) for p in vm.get("ports", [])]
check(all(p.startswith("127.0.0.1:") for p in published), "VictoriaMetrics is published on loopback only (%s)" % published)
') || fail "the normalized compose file cannot be checked"
while IFS= read -r line; do
    case $line in ok:*) pass "${line#ok: }" ;; *) fail "$line" ;; esac
done <<<"$vm_checks"

echo "== packaging: deploy/compose/sharded.yml"
sharded=deploy/compose/sharded.yml
# The token comes from the environment (deploy/compose/.env): a made-up one must come out in the
# pollers' VIGIE_TOKEN, and no token may be written in the file.
if VIGIE_POLLER_TOKEN= docker-compose -f $sharded config -q; then pass "docker-compose config -q (no token set)"; else fail "docker-compose config -q (no token set)"; fi
grep -Eq 'vgt_[A-Za-z0-9]' $sharded && fail "$sharded holds a token in clear" || pass "no token in $sharded"
sharded_checks=$(VIGIE_POLLER_TOKEN=vgt_from_the_environment docker-compose -f $sharded config | python3 -c '
import sys, yaml
spec = yaml.safe_load(sys.stdin)
services, volumes = spec["services"], spec.get("volumes") or {}
def check(ok, what):
    print(("ok: " if ok else "") + what)
def env(service):
    return services[service].get("environment", {})
vm = services.get("victoriametrics", {})
args = vm.get("command", [])
port = next((a.split(":")[-1] for a in args if a.startswith("-httpListenAddr=")), "8428")
check(any(a.startswith("-dedup.minScrapeInterval=") for a in args), "VictoriaMetrics deduplicates (-dedup.minScrapeInterval): HA pairs write one series twice")
storage = next((a.split("=", 1)[1] for a in args if a.startswith("-storageDataPath=")), None)
check(any(str(v).split(":")[1:2] == [storage] and str(v).split(":")[0] in volumes for v in vm.get("volumes", [])), "VictoriaMetrics keeps %s in a named volume" % storage)
check(all(str(p).startswith("127.0.0.1:") for p in vm.get("ports", [])), "VictoriaMetrics is published on loopback only")
def data_volume(service):
    return next((str(v).split(":")[0] for v in services[service].get("volumes", []) if str(v).split(":")[1:2] == ["/var/lib/vigie"]), None)
def secret_paths(service):
    return {"/run/secrets/" + (s["source"] if isinstance(s, dict) else s) for s in services[service].get("secrets", [])}
primaries = [n for n in services if env(n).get("VIGIE_ROLE") == "primary"]
pollers = sorted(n for n in services if env(n).get("VIGIE_ROLE") == "poller")
check(len(primaries) == 1, "one primary (%s)" % primaries)
if primaries:
    name = primaries[0]
    p = env(name)
    check(p.get("VIGIE_HISTORY_PROMQL_URL") == "http://victoriametrics:%s" % port, "the primary reads its history from VictoriaMetrics")
    check(p.get("VIGIE_TLS_CERT") in secret_paths(name) and p.get("VIGIE_TLS_KEY") in secret_paths(name), "the primary serves TLS with a certificate and key given as secrets")
    check(p.get("VIGIE_LISTEN", "0.0.0.0:8080") == "0.0.0.0:8080", "the primary listens on 0.0.0.0:8080 in its container")
    published = [p for p in services[name].get("ports", []) if str(p).endswith(":8080/tcp") or str(p).endswith(":8080")]
    check(bool(published) and all(str(p).startswith("127.0.0.1:") for p in published), "the primary publishes its HTTPS port on loopback only (%s)" % published)
    test = " ".join(services[name].get("healthcheck", {}).get("test", []))
    check("https://127.0.0.1:8080/health" in test, "the primary is health-checked over HTTPS")
    check(data_volume(name) in volumes, "the primary keeps its data in a named volume")
shards = {}
for name in pollers:
    e = env(name)
    check(e.get("VIGIE_REGISTRY") == "https://%s:8080" % (primaries or ["?"])[0], "%s reaches the primary over HTTPS by its service name" % name)
    check(e.get("VIGIE_REGISTRY_CA") in secret_paths(name), "%s trusts the CA given as a secret" % name)
    check(e.get("VIGIE_REMOTE_WRITE_URL") == "http://victoriametrics:%s/api/v1/write" % port, "%s remote-writes to VictoriaMetrics" % name)
    check(e.get("VIGIE_TOKEN") == "vgt_from_the_environment", "%s takes its token from the environment" % name)
    check(not services[name].get("ports"), "%s publishes no port" % name)
    i, _, n = str(e.get("VIGIE_SHARD", "")).partition("/")
    shards.setdefault(n, set()).add(i)
check(len(pollers) >= 2 and len(shards) == 1 and all(s == {str(i) for i in range(int(n))} for n, s in shards.items()), "the pollers cover every shard of one N (%s)" % shards)
names = [env(n).get("VIGIE_POLLER_NAME") for n in pollers]
check(len(set(names)) == len(names) and None not in names, "each poller has its own name (%s)" % names)
data = [data_volume(n) for n in pollers]
check(len(set(data)) == len(data) and all(d in volumes for d in data), "each poller has its own data volume (%s)" % data)
') || fail "the normalized sharded compose file cannot be checked"
while IFS= read -r line; do
    case $line in ok:*) pass "${line#ok: }" ;; *) fail "$line" ;; esac
done <<<"$sharded_checks"
git check-ignore -q deploy/compose/.env && git check-ignore -q deploy/compose/secrets/primary.key && pass "git ignores deploy/compose/.env and secrets/" ||
    fail "git does not ignore deploy/compose/.env and deploy/compose/secrets/"

echo "== packaging: Dockerfile"
dockerfile=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' Dockerfile)  # continuation lines joined
final_stage=$(awk '/^FROM /{stage=""} {stage=stage $0 "\n"} END{printf "%s", stage}' <<<"$dockerfile")
user=$(grep -E '^USER ' <<<"$final_stage" | tail -1 | awk '{print $2}')
if [[ -n $user && $user != root && $user != 0 && $user != 0:* && $user != root:* ]]; then
    pass "the runtime stage runs as '$user'"
else
    fail "the runtime stage has no USER, or runs as root"
fi
healthcheck=$(grep -E '^HEALTHCHECK ' <<<"$final_stage" || true)
if [[ $healthcheck == *'/health"'* || $healthcheck == *'/health '* ]]; then pass "HEALTHCHECK probes /health"; else fail "no HEALTHCHECK on /health"; fi
if [[ $healthcheck =~ \"(curl|wget)\" ]]; then
    tool=${BASH_REMATCH[1]}
    grep -Eq "apt-get install .*\b$tool\b" <<<"$final_stage" && pass "the runtime image installs $tool" ||
        fail "HEALTHCHECK uses $tool, which the runtime image does not install"
fi
exposed=$(grep -E '^EXPOSE ' <<<"$final_stage" | cut -d' ' -f2- | tr ' ' '\n' | sort | xargs)
expected=$(printf '%s\n' 8080 1514/udp 1514/tcp 1162/udp | sort | xargs)
[[ $exposed == "$expected" ]] && pass "EXPOSE $exposed" || fail "EXPOSE is '$exposed', expected '$expected'"
for var in VIGIE_LISTEN VIGIE_SYSLOG_UDP VIGIE_SYSLOG_TCP VIGIE_TRAP_UDP; do
    value=$(grep -oE "$var=[^ ]+" <<<"$final_stage" | head -1 | cut -d= -f2)
    [[ $value == 0.0.0.0:* ]] && pass "$var=$value" || fail "$var is '$value' in the image, not 0.0.0.0:PORT"
done
# Every VIGIE_* variable the image or compose sets, and every --option of its CMD, is one `vigie serve` reads.
for var in $( (grep -oE 'VIGIE_[A-Z_]+' Dockerfile; grep -hoE '^ +VIGIE_[A-Z_]+:' docker-compose.yml deploy/compose/*.yml | tr -d ' :') | sort -u); do
    # A secret's variable (VIGIE_TOKEN) is listed without its value: "[env: VIGIE_TOKEN]".
    if grep -Eq "env: $var(=|\])" <<<"$serve_help"; then pass "vigie serve reads $var"; else fail "vigie serve has no variable $var"; fi
done
for option in $(grep -E '^(CMD|ENTRYPOINT) ' <<<"$final_stage" | grep -oE -- '--[a-z-]+' | sort -u); do
    if grep -qE -- "^ +$option\b" <<<"$serve_help"; then pass "vigie serve has $option"; else fail "vigie serve has no option $option"; fi
done
grep -E '^(ENTRYPOINT|CMD) ' <<<"$final_stage" | grep -q '"serve"' && pass "the image runs 'vigie serve'" || fail "the image does not run 'vigie serve'"

echo "== packaging: Debian package from the debug binary"
# --profile dev packages target/debug/vigie (stripped), so the suite needs no release build;
# the real package is `cargo deb -p vigie` (README, Install).
cargo deb -p vigie --profile dev --no-build --fast -o "$scratch/" 2>&1 | grep -v 'dev profile is not supported\|To enable debug symbols\|make `\[profile.dist\]`' || true
deb=$(ls "$scratch"/vigie_*.deb)
pass "built $(basename "$deb") ($(du -h "$deb" | cut -f1))"
contents=$(dpkg-deb --contents "$deb")
for path in ./usr/bin/vigie ./usr/lib/systemd/system/vigie.service ./etc/vigie/vigie.toml ./usr/share/doc/vigie/README.md; do
    grep -q " $path\$" <<<"$contents" && pass "holds $path" || fail "does not hold $path"
done
grep -q '^-rw-r----- .* ./etc/vigie/vigie.toml$' <<<"$contents" && pass "the configuration is not world-readable" ||
    fail "/etc/vigie/vigie.toml is world-readable"
info=$(dpkg-deb --info "$deb")
for field in 'Package: vigie' 'Section: net' 'Depends: .*adduser'; do
    grep -Eq "^ $field" <<<"$info" && pass "control: $field" || fail "control lacks '$field'"
done
dpkg-deb -e "$deb" "$scratch/control"
grep -qx /etc/vigie/vigie.toml "$scratch/control/conffiles" && pass "/etc/vigie/vigie.toml is a conffile" || fail "no conffile"
grep -q 'adduser --system' "$scratch/control/postinst" && pass "postinst creates the vigie system user" || fail "postinst creates no user"
grep -q 'deb-systemd-helper' "$scratch/control/postinst" && pass "postinst registers the unit" || fail "postinst does not register the unit"
sh -n "$scratch/control/postinst" && sh -n "$scratch/control/postrm" && pass "maintainer scripts parse" || fail "a maintainer script does not parse"

root=$scratch/root
dpkg-deb -x "$deb" "$root"
unit=$root/usr/lib/systemd/system/vigie.service
for line in 'User=vigie' 'StateDirectory=vigie' 'AmbientCapabilities=CAP_NET_BIND_SERVICE CAP_NET_RAW' 'NoNewPrivileges=yes' 'ProtectSystem=strict'; do
    grep -qx "$line" "$unit" && pass "unit: $line" || fail "unit lacks '$line'"
done
# systemd-analyze checks that ExecStart's binary exists: point it at the extracted one. It only warns
# (exit 0) on an unknown key, so any output at all is a failure.
mkdir -p "$scratch/unit"
sed "s|/usr/bin/vigie|$root/usr/bin/vigie|" "$unit" >"$scratch/unit/vigie.service"
verify=$(systemd-analyze verify "$scratch/unit/vigie.service" 2>&1) && [[ -z $verify ]] &&
    pass "systemd-analyze verify: no complaint" || fail "systemd-analyze verify: $verify"
exposure=$(systemd-analyze security --offline=yes "$scratch/unit/vigie.service" 2>/dev/null | grep -o 'Overall exposure level.*' || true)
echo "  measured: systemd-analyze security: $exposure"

version=$("$root/usr/bin/vigie" --version)
[[ $version == "vigie $(grep -m1 '^version' backend/Cargo.toml | cut -d'"' -f2)" ]] && pass "extracted binary: $version" ||
    fail "extracted binary answers '$version'"
# Start it as the unit would (the packaged configuration, its own data dir), on a free loopback port,
# receivers off, and wait (bounded) for the API's health answer.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$root/usr/bin/vigie" serve --config "$root/etc/vigie/vigie.toml" --data-dir "$scratch/data" \
    --listen "127.0.0.1:$port" --syslog-udp off --syslog-tcp off --trap-udp off >"$scratch/serve.log" 2>&1 &
server_pid=$!
healthy=false
for _ in $(seq 1 150); do
    if curl -fsS --max-time 2 "http://127.0.0.1:$port/health" >"$scratch/health" 2>/dev/null; then healthy=true; break; fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
done
if $healthy; then
    pass "the packaged binary and configuration serve /health: $(head -c 200 "$scratch/health")"
else
    fail "the packaged binary did not serve /health within 30 s; its log:"
    sed 's/^/    /' "$scratch/serve.log"
fi
kill "$server_pid" 2>/dev/null || true
wait "$server_pid" 2>/dev/null || true
server_pid=
[[ -f $scratch/data/initial-admin-password ]] && pass "first start wrote initial-admin-password in the data dir" ||
    fail "no initial-admin-password in the data dir"

if ((failures > 0)); then
    echo "packaging: $failures check(s) failed"
    exit 1
fi
echo "packaging: all checks passed"
