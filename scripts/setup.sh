#!/usr/bin/env bash
# pcap_ts quick start on a fresh Debian 12 machine, as root:
#
#   sudo scripts/setup.sh              install everything, then analyse live traffic of the
#                                      default interface with the built-in config (Ctrl-C stops)
#   sudo scripts/setup.sh --install-only   install everything and stop (what .ci/run uses)
#
# Installs from Debian: libpcap (capture), nftables/ipset/iptables (bans), and the tools the
# tests drive (tcpdump, tshark, nmap, hping3, curl, netcat, socat, python3-aiosmtpd, dunst,
# Xvfb, D-Bus, rsyslog, tcpreplay); Deno 2.9.6 from the npm registry when it is not already
# installed; then the npm dependencies pinned by deno.lock.
set -euo pipefail
cd "$(dirname "$0")/.."

DENO_VERSION=2.9.6
INSTALL_ONLY=false
case "${1:-}" in
  --install-only) INSTALL_ONLY=true ;;
  "") ;;
  *) echo "usage: sudo scripts/setup.sh [--install-only]" >&2; exit 2 ;;
esac

say() { echo "setup: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  say "run me as root: sudo scripts/setup.sh (capture, firewall and test namespaces need it)"
  exit 2
fi

export DEBIAN_FRONTEND=noninteractive
PACKAGES=(
  libpcap0.8 libpcap0.8-dev tcpdump tshark nmap hping3 nftables libnftables1 ipset iptables
  iproute2 iputils-ping curl netcat-openbsd socat python3 python3-aiosmtpd dunst xvfb dbus
  dbus-x11 libnotify-bin rsyslog tcpreplay procps ca-certificates
)

say "apt-get update"
apt-get update
# tshark asks whether non-root users may capture; answer no without a prompt.
say "preseeding wireshark-common/install-setuid=false"
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
say "apt-get install ${PACKAGES[*]}"
apt-get install -y --no-install-recommends "${PACKAGES[@]}"

if deno --version 2>/dev/null | head -n 1 | grep -qx "deno $DENO_VERSION (.*)"; then
  say "deno $DENO_VERSION already installed at $(command -v deno)"
else
  if ! command -v npm >/dev/null; then
    say "apt-get install npm (to fetch Deno from the npm registry)"
    apt-get install -y --no-install-recommends npm
  fi
  say "npm install -g deno@$DENO_VERSION"
  npm install -g "deno@$DENO_VERSION"
  hash -r
  deno --version | head -n 1
fi

say "deno install --frozen (npm dependencies as pinned in deno.lock)"
deno install --frozen

if [ "$INSTALL_ONLY" = true ]; then
  say "installed; run the tests with: sudo deno task test"
  exit 0
fi

say "starting live analysis of the default interface with the built-in config (Ctrl-C stops)"
exec deno task start
