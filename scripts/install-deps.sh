#!/usr/bin/env bash
# Installs the system packages Vigie's tests and demo need, and only those that are missing:
# net-snmp (snmpd, snmpget, snmptrap, snmptrapd), chromium for the browser tests, and logger
# (util-linux, packaged as bsdutils on Debian) for the syslog tests, Prometheus (it scrapes
# /metrics in a test) and VictoriaMetrics (history read back by PromQL), docker-compose, systemd-analyze, curl and cargo-deb for the packaging
# checks. Debian/Ubuntu only.
# Idempotent: when everything is present it runs no apt command at all.
# It installs no Recommends (they pulled ~120 packages: avahi, cups helpers, samba libraries) and
# starts or enables no system service: Debian's snmpd and snmptrapd would otherwise start on ports
# 161/162, and the tests run their own instances on free loopback ports.
set -euo pipefail

missing=()

# require COMMAND PACKAGE: queue PACKAGE unless COMMAND is found (also in /usr/sbin, which a
# non-root PATH often lacks; an absolute COMMAND is checked as a file).
require() {
    local command=$1 package=$2
    if [[ $command == /* ]]; then
        [[ -x $command ]] && return
    else
        command -v "$command" >/dev/null 2>&1 && return
        [[ -x /usr/sbin/$command ]] && return
    fi
    [[ " ${missing[*]} " == *" $package "* ]] || missing+=("$package")
}

require snmpd snmpd
require snmpget snmp
require snmptrap snmp
require snmptrapd snmptrapd
require /usr/bin/chromium chromium
require logger bsdutils
require prometheus prometheus
# VictoriaMetrics (single node): the TSDB the remote-write and PromQL history tests run against.
require victoria-metrics victoria-metrics
# The packaging checks (scripts/test-packaging.sh): compose validation, unit lint, HTTP probe.
require docker-compose docker-compose
require systemd-analyze systemd
require curl curl
# Certificates for the HTTPS tests (auth.rs, poller_tls.rs: a private CA and a certificate it signs).
require openssl openssl
# zstdcat reads sealed samples files in the sealing test (backend/tests/integration/sealing.rs).
require zstdcat zstd

# cargo-deb builds the Debian package; from crates.io, pinned, only when missing.
if ! command -v cargo-deb >/dev/null 2>&1; then
    echo "install-deps: cargo install cargo-deb (about 2 minutes, once)"
    cargo install cargo-deb --locked --version 3.8.0 --quiet
fi

if ((${#missing[@]} == 0)); then
    echo "install-deps: everything is already installed"
    exit 0
fi

sudo=()
if ((EUID != 0)); then
    sudo=(sudo)
fi
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive
    apt-get -q -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)

# policy-rc.d answering 101 ("action forbidden") keeps invoke-rc.d from starting or enabling the
# packages' services during the install; an existing policy is left alone.
policy=/usr/sbin/policy-rc.d
own_policy=false
if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    own_policy=true
fi
remove_policy() { if $own_policy; then "${sudo[@]}" rm -f "$policy"; fi; }
trap remove_policy EXIT

started=$SECONDS
echo "install-deps: installing ${missing[*]} (no Recommends, no services started; about a minute on a fresh machine)"
echo "install-deps: apt-get update"
"${apt[@]}" update | sed 's/^/  apt: /'
"${apt[@]}" install -y --no-install-recommends "${missing[@]}" | { grep --line-buffered -E '^(Get:|Setting up|Unpacking|Need to get|[0-9]+ upgraded)' || true; } | sed "s/^/  apt: /"
echo "install-deps: done in $((SECONDS - started)) s"
