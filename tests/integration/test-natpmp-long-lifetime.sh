#!/bin/bash
# A NAT-PMP gateway that grants far longer than asked (4000000000 s, some
# 126 years) used to be taken at its word: the lease file said so, the
# agent would not ask again for 63 years, and once the agent stopped every
# reconcile kept the port open until then. The agent keeps a grant no
# longer than the lifetime it asked for, and a lease file expiring further
# ahead than any lease can run (written while the clock was ahead, or by
# hand) counts as expired: the next reconcile closes its port.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"
. "$(dirname "$0")/natpmp.sh"

LEASE_FILE="/run/vpnconf/$NS/forwarded-lease"

write_config <<EOF2
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "egress": { "mode": "allowList", "allowedTcpPorts": [443] },
      "portForwarding": { "mode": "natpmp", "gateway": "10.0.0.1", "lifetimeSeconds": 60 }
EOF2
up

start_gateway '{"mode": "grant", "port": 40000, "lifetime": 4000000000}'

note "the gateway grants 4000000000 s: the agent keeps 60"
start_daemon --periodic-interval 0
wait_until 20 "port 40000 granted" [ -s "$PORT_FILE" ]
read -r _ port granted expires _ <"$LEASE_FILE"
[ "$port" = 40000 ] || fail "port $port"
[ $((expires - granted)) -le 61 ] ||
  fail "the lease runs $((expires - granted)) s, longer than the 60 s asked for"
capture 0 vc status
contains "$OUT" "port 40000" || fail "status: $OUT"
stop_daemon

note "a lease file expiring years ahead: the reconcile closes its port"
now=$(date +%s)
echo "v1 40000 $now $((now + 10 * 365 * 86400)) 1" >"$LEASE_FILE"
expect_rc 0 vc reconcile >/dev/null
contains "$(in_ns "$NS" nft list set inet vpnconf forwarded_tcp)" 40000 &&
  fail "port 40000 kept open by a lease expiring in ten years"
[ ! -e "$LEASE_FILE" ] || fail "the far-future lease file was kept"
finish
