#!/usr/bin/env bash
# A real SMTP server for the notification tests: aiosmtpd (PyPI) in a venv under target/,
# installed when missing (idempotent). `scripts/aiosmtpd.sh --install` only installs it;
# otherwise the arguments go to `python -m aiosmtpd`, e.g.
#   scripts/aiosmtpd.sh -n -l 127.0.0.1:2525 -c aiosmtpd.handlers.Mailbox /tmp/maildir
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=1.4.6
VENV=target/aiosmtpd-venv

if ! "$VENV/bin/python" -c "import aiosmtpd, sys; sys.exit(aiosmtpd.__version__ != '$VERSION')" 2>/dev/null; then
    echo "== installing aiosmtpd $VERSION in $VENV" >&2
    if ! python3 -m venv --clear "$VENV" >&2; then
        # Debian's python3 keeps venv in a package of its own.
        apt-get update -qq >&2 && apt-get install -y -qq -o DPkg::Lock::Timeout=600 python3-venv >&2
        python3 -m venv --clear "$VENV" >&2
    fi
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd==$VERSION" >&2
fi
if [ "${1:-}" = --install ]; then
    exit 0
fi
exec "$VENV/bin/python" -m aiosmtpd "$@"
