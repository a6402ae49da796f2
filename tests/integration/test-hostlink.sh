#!/bin/bash
# The host link: nothing leaves the namespace by it (no connection, no
# datagram towards the host), the host reaches only the declared ports
# (publishToHost.tcp and ingress.fromHost.tcp), and the link has the
# derived names and addresses; declared ones replace them.
. "$(dirname "$0")/lib.sh"

config() {
  write_config <<EOF
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "egress": { "mode": "allowAllTunnel" },
      "ingress": { "fromHost": { "tcp": [9090, 9091] } },
      "publishToHost": { "tcp": [8080] },
      "hostLink": { $1 }
EOF
  expect_rc 0 vc reconcile
  expect_rc 0 vc plan >/dev/null
}

# check_link HOST_IF NS_IF HOST_ADDR NS_ADDR: addresses, state, aliases.
check_link() {
  local hif=$1 nif=$2 ha=$3 na=$4 line
  line=$(ip -br addr show dev "$hif")
  [[ $line == "$hif@"*" UP "*"$ha/30"* ]] || fail "host side: $line"
  line=$(ip -n "$NS" -br addr show dev "$nif")
  [[ $line == "$nif@"*" UP "*"$na/30"* ]] || fail "namespace side: $line"
  [ "$(ip -n "$NS" -o addr show dev "$nif" | wc -l)" = 1 ] ||
    fail "namespace side has more than its address: $(ip -n "$NS" -o addr show dev "$nif")"
  contains "$(ip -d link show dev "$hif")" "alias vpnconf:$NS:" ||
    fail "host side without vpnconf's alias: $(ip -d link show dev "$hif")"
  [ "$(ip -o link show type veth | wc -l)" = 1 ] ||
    fail "other veths on the host: $(ip -o link show type veth)"
}

# check_traffic HOST_ADDR NS_ADDR: what may cross the link.
check_traffic() {
  local ha=$1 na=$2 pid rc
  serve_all "$NS" "tcp $na 8080" "tcp $na 9090" "tcp $na 8081" "udp $na 8080"
  serve_all host "tcp $ha 2222" "tcp $ha 8080" "udp $ha 4000" "udp $ha 53"

  note "the host reaches the published ports, nothing else"
  reach host yes "tcp $na 8080" "tcp $na 9090"
  reach host no "tcp $na 8081" "udp $na 8080"
  [ "$(served "$NS" "tcp $na 8081")" = 0 ] || fail "the unpublished port was reached"
  [ "$(served "$NS" "udp $na 8080")" = 0 ] || fail "udp to the published port got in"

  note "nothing leaves the namespace by the host link"
  reach "$NS" no "tcp $ha 2222" "tcp $ha 8080" "udp $ha 4000" "udp $ha 53"
  for spec in "tcp $ha 2222" "tcp $ha 8080" "udp $ha 4000" "udp $ha 53"; do
    [ "$(served host "$spec")" = 0 ] || fail "$spec: the host saw traffic from the namespace"
  done
  # Not even from a published port, which the output rule for the host's
  # connections matches (only as replies).
  rc=0
  in_ns "$NS" "$PYTHON3" -c '
import socket, sys
s = socket.socket()
s.settimeout(0.4)
s.bind((sys.argv[1], 9091))
try:
    s.connect((sys.argv[2], 2222))
except (TimeoutError, ConnectionRefusedError, PermissionError):
    sys.exit(3)
' "$na" "$ha" || rc=$?
  [ "$rc" = 3 ] || fail "a connection from published port 9091 to the host: exit $rc, expected 3 (blocked)"
  [ "$(served host "tcp $ha 2222")" = 0 ] || fail "the host saw a connection from port 9091"

  for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait "${BG_PIDS[@]}" 2>/dev/null || true
  BG_PIDS=()
}

note "derived names and subnet"
config '"enable": true'
vpn_server "$NS" wg0
expect_rc 0 vc plan >/dev/null
check_link "$HOST_IF" "$NS_IF" "$HOST_ADDR" "$NS_ADDR"
check_traffic "$HOST_ADDR" "$NS_ADDR"
# The tunnel is unaffected by the host link.
serve_all vpnsrv "tcp 192.0.2.10 80"
reach "$NS" yes "tcp 192.0.2.10 80"

note "declared names and subnet replace the derived ones"
config '"enable": true, "hostIf": "vhost-apps", "nsIf": "vns-apps", "subnetIPv4": "10.200.0.4/30"'
check_link vhost-apps vns-apps 10.200.0.5 10.200.0.6
if ip link show dev "$HOST_IF" >/dev/null 2>&1; then fail "the old host link is still there"; fi
check_traffic 10.200.0.5 10.200.0.6

note "publishToHost alone turns the link on; without it and enable the link goes"
config '"enable": false'
check_link "$HOST_IF" "$NS_IF" "$HOST_ADDR" "$NS_ADDR"
write_config <<EOF
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] }
EOF
expect_rc 0 vc reconcile
expect_rc 0 vc plan >/dev/null
[ -z "$(ip -o link show type veth)" ] || fail "host link left: $(ip -o link show type veth)"
[ "$(links "$NS")" = "lo wg0" ] || fail "namespace links: $(links "$NS")"
finish
