#!/usr/bin/env bash
# Records tests/data/demo.pcap: real tools talking between two network namespaces.
#
# Namespace pts70-a (10.200.70.1, the "server") runs tcpdump and a python3 http.server on
# port 8080; from pts70-b (10.200.70.2, the "attacker") we run:
#   - nmap -sS on 100 ports (1-99 and 8080, which is open)
#   - a ping sweep of 10.200.70.1, .3, .4, .5 (only .1 answers; the others give ARP requests)
#   - four curl requests to the http.server (one with a SQL-injection-like query string)
#   - one DNS query for example.com sent with nc -u to port 53 (nothing listens: ICMP unreachable)
# The namespaces are created here and removed at the end, whatever happens.
#
# Needs root, iproute2, tcpdump, nmap, curl, netcat-openbsd, python3, iputils-ping.
# Usage: sudo scripts/make_demo_capture.sh [OUTPUT.pcap]   (default tests/data/demo.pcap)
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${1:-tests/data/demo.pcap}
ID=70
NS_A=pts$ID-a NS_B=pts$ID-b IF_A=vpts${ID}a IF_B=vpts${ID}b
IP_A=10.200.$ID.1 IP_B=10.200.$ID.2
WORK=$(mktemp -d)
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  ip netns del "$NS_A" 2>/dev/null || true
  ip netns del "$NS_B" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

say() { echo "make_demo_capture: $*" >&2; }
in_a() { ip netns exec "$NS_A" "$@"; }
in_b() { ip netns exec "$NS_B" "$@"; }

say "creating namespaces $NS_A ($IP_A) and $NS_B ($IP_B)"
ip netns del "$NS_A" 2>/dev/null || true
ip netns del "$NS_B" 2>/dev/null || true
ip netns add "$NS_A"
ip netns add "$NS_B"
ip link add "$IF_A" netns "$NS_A" type veth peer name "$IF_B" netns "$NS_B"
ip -n "$NS_A" link set lo up
ip -n "$NS_B" link set lo up
ip -n "$NS_A" addr add "$IP_A/24" dev "$IF_A"
ip -n "$NS_B" addr add "$IP_B/24" dev "$IF_B"
ip -n "$NS_A" link set "$IF_A" up
ip -n "$NS_B" link set "$IF_B" up
in_a sysctl -qw net.ipv4.icmp_ratelimit=0
# No IPv6 noise (router solicitations, MLD) in the demo: IPv4 tools only.
in_a sysctl -qw net.ipv6.conf.all.disable_ipv6=1
in_b sysctl -qw net.ipv6.conf.all.disable_ipv6=1
for _ in $(seq 20); do in_b ping -c1 -W1 "$IP_A" >/dev/null 2>&1 && break; sleep 0.1; done

say "starting http.server on $IP_A:8080"
mkdir -p "$WORK/www"
echo "<html><body>pcap_ts demo</body></html>" > "$WORK/www/index.html"
# Background jobs are started by `ip netns exec` itself (which execs the tool), so that $! is
# the tool's pid; they are stopped with SIGTERM (a non-interactive shell's background jobs
# ignore SIGINT).
ip netns exec "$NS_A" python3 -m http.server 8080 --bind "$IP_A" --directory "$WORK/www" \
  >"$WORK/http.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do in_b curl -s -o /dev/null "http://$IP_A:8080/" && break; sleep 0.1; done

say "recording $OUT with tcpdump on $IF_A"
mkdir -p "$(dirname "$OUT")"
ip netns exec "$NS_A" tcpdump -i "$IF_A" -n -U -w "$OUT" 2>"$WORK/tcpdump.log" &
TCPDUMP=$!
PIDS+=("$TCPDUMP")
for _ in $(seq 50); do grep -q "listening on" "$WORK/tcpdump.log" && break; sleep 0.1; done
sleep 0.3

say "nmap -sS on 100 ports"
in_b nmap -n -sS -T4 -Pn --max-retries 1 -p 1-99,8080 "$IP_A" >"$WORK/nmap.log"

say "ping sweep"
for host in 1 3 4 5; do in_b ping -c1 -W1 "10.200.$ID.$host" >/dev/null 2>&1 || true; done

say "curl requests"
in_b curl -s -o /dev/null "http://$IP_A:8080/"
in_b curl -s -o /dev/null "http://$IP_A:8080/index.html"
in_b curl -s -o /dev/null "http://$IP_A:8080/missing.php"
in_b curl -s -o /dev/null -A "sqlmap/1.7" "http://$IP_A:8080/?id=1%27%20OR%20%271%27=%271"

say "DNS query with nc"
# A standard query: id 0x1234, RD, one question: example.com IN A.
printf '\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01' \
  >"$WORK/query.bin"
in_b nc -u -w1 "$IP_A" 53 <"$WORK/query.bin" || true

sleep 0.5
kill -TERM "$TCPDUMP"
wait "$TCPDUMP" || true
# tcpdump drops root and writes the file as its own user: give it to the checkout's owner.
chown --reference="$(dirname "$OUT")" "$OUT"
say "$(tail -n 3 "$WORK/tcpdump.log" | tr '\n' ' ')"
say "wrote $OUT ($(stat -c %s "$OUT") bytes)"
