#!/bin/bash
# Egress: allowList lets only the listed CIDRs out; allowedTcpPorts and
# allowedUdpPorts narrow it to those ports; allowAllTunnel lets everything
# out through the tunnel and still nothing through any other interface,
# even when a route points there.
. "$(dirname "$0")/lib.sh"

config() {
  write_config <<EOF
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "egress": { $1 }
EOF
  expect_rc 0 vc reconcile
  expect_rc 0 vc plan >/dev/null
  if [ -e /run/netns/leak ]; then leak_link; fi
}

allowed_cidrs='"mode": "allowList", "allowedCidrs": ["10.64.0.0/16", "192.0.2.0/24"]'
config "$allowed_cidrs"
vpn_server "$NS" wg0
expect_rc 0 vc plan >/dev/null

# A second way out that is not the tunnel: a veth to namespace "leak",
# with routes through it to an address the fixture serves there. Each
# reconcile deletes it as drift (test-foreign-link-out); the policy must
# hold while it is there, so it is put back after every reconcile.
ip netns add leak
ip -n leak link set lo up
leak_link() {
  ip -n "$NS" link show leak0 >/dev/null 2>&1 && return 0
  ip link add leak0 type veth peer name leak1
  ip link set leak0 netns "$NS"
  ip link set leak1 netns leak
  ip -n "$NS" addr add 203.0.113.2/24 dev leak0
  ip -n "$NS" link set leak0 up
  ip -n leak addr add 203.0.113.1/24 dev leak1
  ip -n leak link set leak1 up
}
leak_link

allowed=("tcp 192.0.2.10 80" "tcp 192.0.2.10 443" "udp 192.0.2.10 4000" "udp 192.0.2.10 4001"
  "tcp 10.64.9.9 443" "udp 10.64.9.9 4000")
never=("tcp 198.51.100.20 80" "tcp 198.51.100.20 443" "udp 198.51.100.20 4000")
leaks=("tcp 203.0.113.1 443" "udp 203.0.113.1 4000")
serve_all vpnsrv "${allowed[@]}" "${never[@]}"
serve_all leak "${leaks[@]}"

note "allowList: the listed CIDRs, any port"
reach "$NS" yes "${allowed[@]}"
reach "$NS" no "${never[@]}" "${leaks[@]}"

note "narrowing allowList cuts connections already open to the removed CIDR"
# A TCP echo server in vpnsrv and a client inside that keeps its
# connection open across the reconcile that removes 192.0.2.0/24.
nsenter --net=/run/netns/vpnsrv "$PYTHON3" -c '
import socket
socket.setdefaulttimeout(5)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.10", 7000))
s.listen()
open("'"$TEST_TMP/echo-ready"'", "w").close()
c, _ = s.accept()
while True:
    d = c.recv(100)
    if not d:
        break
    c.sendall(d)
' 2>/dev/null &
BG_PIDS+=($!)
wait_file "$TEST_TMP/echo-ready"
in_ns "$NS" "$PYTHON3" -c '
import os, socket, sys, time
c = socket.create_connection(("192.0.2.10", 7000), timeout=2)
c.sendall(b"before")
assert c.recv(100) == b"before"
open(sys.argv[1] + "-open", "w").close()
while not os.path.exists(sys.argv[1] + "-go"):
    time.sleep(0.01)
c.settimeout(0.5)
try:
    c.sendall(b"after")
    sys.exit(0 if c.recv(100) == b"after" else 3)
except OSError:
    sys.exit(3)
' "$TEST_TMP/conn" &
client=$!
wait_file "$TEST_TMP/conn-open"
config '"mode": "allowList", "allowedCidrs": ["10.64.0.0/16"]'
reach "$NS" no "tcp 192.0.2.10 80"
touch "$TEST_TMP/conn-go"
rc=0
wait "$client" || rc=$?
[ "$rc" = 3 ] || check_failed "a connection opened before 192.0.2.0/24 was removed from allowedCidrs still" \
  "passes after the reconcile that removed it (client exit $rc)"

config "$allowed_cidrs"
note "allowList with allowedTcpPorts [443]: tcp/443 to allowed CIDRs only"
config "$allowed_cidrs, \"allowedTcpPorts\": [443]"
reach "$NS" yes "tcp 192.0.2.10 443" "tcp 10.64.9.9 443"
reach "$NS" no "tcp 192.0.2.10 80" "udp 192.0.2.10 4000" "udp 10.64.9.9 4000" "${never[@]}" \
  "${leaks[@]}"

note "allowList with allowedUdpPorts [4000]: udp/4000 to allowed CIDRs only"
config "$allowed_cidrs, \"allowedUdpPorts\": [4000]"
reach "$NS" yes "udp 192.0.2.10 4000" "udp 10.64.9.9 4000"
reach "$NS" no "udp 192.0.2.10 4001" "tcp 192.0.2.10 80" "tcp 192.0.2.10 443" "${never[@]}" \
  "${leaks[@]}"

note "allowList with ports and no CIDRs: those ports to any destination through the tunnel"
config '"mode": "allowList", "allowedTcpPorts": [443], "allowedUdpPorts": [4000]'
reach "$NS" yes "tcp 192.0.2.10 443" "tcp 198.51.100.20 443" "udp 198.51.100.20 4000"
reach "$NS" no "tcp 192.0.2.10 80" "tcp 198.51.100.20 80" "udp 192.0.2.10 4001" "${leaks[@]}"

note "allowList with neither ports nor CIDRs: nothing"
config '"mode": "allowList"'
reach "$NS" no "${allowed[@]}" "${never[@]}" "${leaks[@]}"

note "allowAllTunnel: everything through the tunnel, nothing elsewhere"
config '"mode": "allowAllTunnel"'
reach "$NS" yes "${allowed[@]}" "${never[@]}"
reach "$NS" no "${leaks[@]}"

note "allowAllTunnel: a route through another interface meets the drop"
ip -n leak addr add 198.51.100.20/32 dev leak1
ip -n "$NS" route add 198.51.100.20/32 via 203.0.113.1 dev leak0
serve_all leak "tcp 198.51.100.20 8443"
reach "$NS" no "tcp 198.51.100.20 8443"
ip -n "$NS" route del 198.51.100.20/32
ip -n "$NS" route replace default via 203.0.113.1 dev leak0
reach "$NS" no "tcp 198.51.100.20 8443" "${never[@]}" "${allowed[@]}"
for spec in "${leaks[@]}"; do
  [ "$(served leak "$spec")" = 0 ] || fail "$spec: traffic left by the leak interface"
done
[ "$(served leak "tcp 198.51.100.20 8443")" = 0 ] || fail "traffic left by a leaked route"
finish
