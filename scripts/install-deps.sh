#!/usr/bin/env bash
# Installs the system packages Vigie's tests and demo need, and only those that are missing:
# net-snmp (snmpd, snmpget, snmptrap, snmptrapd), chromium for the browser tests, and logger
# (util-linux, packaged as bsdutils on Debian) for the syslog tests. Debian/Ubuntu only.
# Idempotent: when everything is present it runs no apt command at all.
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

if ((${#missing[@]} == 0)); then
    echo "install-deps: everything is already installed"
    exit 0
fi

sudo=()
if ((EUID != 0)); then
    sudo=(sudo)
fi
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive
    apt-get -qq -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)

echo "install-deps: installing ${missing[*]}"
"${apt[@]}" update
"${apt[@]}" install -y "${missing[@]}" >/dev/null
echo "install-deps: done"
