#!/bin/bash
# A hostile NAT-PMP gateway (the far side of the tunnel) answers with
# epochs jumping back and forth and ports alternating: every jump back is
# a "restart". Each one used to start a new round at once, and each round
# a new port: one nftables transaction, one journal transaction and
# journald events per few datagrams, as fast as the gateway sends. A
# restart is now followed at most once per interval: the journal and the
# log grow by a bounded amount whatever the gateway sends.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"

GW_CTL="$TEST_TMP/gateway.json"
GW_LOG="$TEST_TMP/gateway.log"
PORT_FILE="/run/vpnconf/$NS/forwarded-port"

write_config <<EOF2
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "egress": { "mode": "allowList", "allowedTcpPorts": [443] },
      "portForwarding": { "mode": "natpmp", "gateway": "10.0.0.1" }
EOF2
up

gateway() { echo "$1" >"$GW_CTL.tmp" && mv "$GW_CTL.tmp" "$GW_CTL"; }
port_is() { [ "$(cat "$PORT_FILE" 2>/dev/null)" = "$1" ]; }
pf_txns() {
  vc history --json --limit 0 |
    json 'len([t for t in d["transactions"] if t["trigger"] == "port-forward"])'
}

gateway '{"mode": "grant", "port": 40000, "lifetime": 4}'
nsenter --net=/run/netns/vpnsrv "$PYTHON3" "$SRCDIR/tests/integration/natpmp-gateway.py" \
  10.0.0.1 "$GW_CTL" "$GW_LOG" &
BG_PIDS+=($!)
wait_file "$GW_LOG.ready"

start_daemon --periodic-interval 0
wait_until 20 "port 40000 granted" port_is 40000
before=$(pf_txns)
lines_before=$(wc -l <"$DAEMON_LOG")

note "the gateway flips its epoch and the port for 6 s"
gateway '{"mode": "epochflip", "port": 40000, "lifetime": 4}'
sleep 6
gateway '{"mode": "grant", "port": 40000, "lifetime": 4}'
daemon_alive || fail "the agent died under the flood"
after=$(pf_txns)
lines_after=$(wc -l <"$DAEMON_LOG")
note "port-forward transactions: $((after - before)); log lines: $((lines_after - lines_before))"
[ $((after - before)) -le 6 ] ||
  fail "$((after - before)) port-forward transactions in 6 s of epoch flips (at most 6)"
[ $((lines_after - lines_before)) -le 40 ] ||
  fail "$((lines_after - lines_before)) log lines in 6 s of epoch flips (at most 40)"
finish
