#!/usr/bin/env bash
# Installs what opendoor, its tests and its benchmarks need on a Debian machine, then the npm
# dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PKGS="orthanc orthanc-dicomweb dcmtk odil python3-odil python3-aiosmtpd libpixelmed-java default-jre-headless postgresql nmap gcc g++ make python3 libc6-dev openssl ca-certificates chromium time"
missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# The Debian package may start a system Orthanc on 0.0.0.0:4242/8042; the tests pin their own
# servers to 127.0.77.x on those ports, so the system one must not hold them.
if pgrep -x Orthanc >/dev/null 2>&1; then
  ($SUDO systemctl stop orthanc || $SUDO service orthanc stop || true) >/dev/null 2>&1
fi
npm ci --no-audit --no-fund --loglevel=error
# The Debian package may start a system PostgreSQL cluster; the tests start their own (initdb in a
# temporary directory, a free loopback port), so the system one is left as it is.
