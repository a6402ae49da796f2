#!/bin/bash
# Ingress from the tunnel: only ingress.fromTunnel's TCP and UDP ports
# accept connections arriving through the tunnel, and their replies get
# out even where egress would not let the namespace reach the peer itself.
. "$(dirname "$0")/lib.sh"

config() {
  write_config <<EOF
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "egress": { "mode": "allowList", "allowedCidrs": ["192.0.2.0/24"] },
      "ingress": { "fromTunnel": { $1 } }
EOF
  expect_rc 0 vc reconcile
  expect_rc 0 vc plan >/dev/null
}

config '"tcp": [51413], "udp": [6881]'
vpn_server "$NS" wg0
expect_rc 0 vc plan >/dev/null
open=("tcp 10.0.0.2 51413" "udp 10.0.0.2 6881")
closed=("tcp 10.0.0.2 51414" "udp 10.0.0.2 6882" "tcp 10.0.0.2 6881" "udp 10.0.0.2 51413")
serve_all "$NS" "${open[@]}" "${closed[@]}"
serve_all vpnsrv "tcp 10.0.0.1 80" "udp 10.0.0.1 6881"

note "the declared ports, nothing else"
reach vpnsrv yes "${open[@]}"
reach vpnsrv no "${closed[@]}"
for spec in "${closed[@]}"; do
  [ "$(served "$NS" "$spec")" = 0 ] || fail "$spec: a closed port was reached"
done
# The peer is no allowed destination: the namespace cannot reach it.
reach "$NS" no "tcp 10.0.0.1 80" "udp 10.0.0.1 6881"

note "other ports once declared"
config '"tcp": [51414], "udp": [6882]'
reach vpnsrv yes "tcp 10.0.0.2 51414" "udp 10.0.0.2 6882"
reach vpnsrv no "${open[@]}"

note "none declared: nothing gets in"
config '"tcp": [], "udp": []'
contains "$(in_ns "$NS" nft list table inet vpnconf)" ingress_tunnel && fail "ingress sets left"
reach vpnsrv no "${open[@]}" "${closed[@]}"
finish
