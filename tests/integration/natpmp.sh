# The NAT-PMP fixture of the port forwarding tests, sourced after lib.sh
# and daemon.sh: a namespace with portForwarding natpmp through the
# stand-in tunnel, and the scriptable gateway (natpmp-gateway.py) in the
# "VPN server" namespace, on the tunnel's far address.
GW_CTL="$TEST_TMP/gateway.json"
GW_LOG="$TEST_TMP/gateway.log"
PORT_FILE="/run/vpnconf/$NS/forwarded-port"

# natpmp_up: writes the configuration and brings the namespace up.
natpmp_up() {
  write_config <<EOF2
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "egress": { "mode": "allowList", "allowedTcpPorts": [443] },
      "portForwarding": { "mode": "natpmp", "gateway": "10.0.0.1" }
EOF2
  up
}

# gateway JSON: tells the running gateway how to answer from now on.
gateway() { echo "$1" >"$GW_CTL.tmp" && mv "$GW_CTL.tmp" "$GW_CTL"; }
port_is() { [ "$(cat "$PORT_FILE" 2>/dev/null)" = "$1" ]; }
# The number of journaled port-forward transactions.
pf_txns() {
  vc history --json --limit 0 |
    json 'len([t for t in d["transactions"] if t["trigger"] == "port-forward"])'
}

# start_gateway JSON: starts the gateway answering as JSON says.
start_gateway() {
  gateway "$1"
  nsenter --net=/run/netns/vpnsrv "$PYTHON3" "$SRCDIR/tests/integration/natpmp-gateway.py" \
    10.0.0.1 "$GW_CTL" "$GW_LOG" &
  BG_PIDS+=($!)
  wait_file "$GW_LOG.ready"
}
