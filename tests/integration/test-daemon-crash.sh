#!/bin/bash
# kill -9 of the agent at random points during repairs: every state it
# leaves is fail-closed (the namespace holds vpnconf's policy or lockdown
# table, a never-allowed destination stays unreachable), and a restarted
# agent records the interrupted transaction and converges.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"

write_config <<EOF
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "egress": { "mode": "allowList", "allowedCidrs": ["10.64.0.0/16", "192.0.2.0/24"] },
      "publishToHost": { "tcp": [8080] }
EOF
start_daemon --periodic-interval 0
vpn_server "$NS" wg0
good=("tcp 192.0.2.10 80")
bad=("tcp 198.51.100.20 80")
serve_all vpnsrv "${good[@]}" "${bad[@]}"
wait_until 20 "in sync" in_sync

closed() {
  local t
  t=$(in_ns "$NS" nft list ruleset)
  contains "$t" 'comment "vpnconf:policy"' || contains "$t" 'comment "vpnconf:lockdown"' ||
    fail "round $round: no policy table after the kill: $t"
  TIMEOUT_MS=200 reach "$NS" no "${bad[@]}"
}

interrupted=0
for round in $(seq 1 20); do
  # Tamperings whose repair takes several steps, none of which opens
  # anything by itself: the host link (veth, labels, addresses, up) and a
  # narrowed set (the table replaced in one transaction).
  if ((round % 2)); then
    ip link del "$HOST_IF"
  else
    in_ns "$NS" nft delete element inet vpnconf allowed_v4 '{ 192.0.2.0/24 }'
  fi
  # A random point: at once, or after 1-9 ms (a repair takes a few).
  d=$((RANDOM % 10))
  [ "$d" = 0 ] || sleep "0.00$d"
  kill -9 "$DAEMON_PID"
  wait "$DAEMON_PID" 2>/dev/null || true
  closed
  before=$(sqlite3 "$STATE/journal.db" "SELECT count(*) FROM txn WHERE outcome = 'interrupted'")
  start_daemon --periodic-interval 0
  wait_until 20 "round $round: converged after the restart" in_sync
  after=$(sqlite3 "$STATE/journal.db" "SELECT count(*) FROM txn WHERE outcome = 'interrupted'")
  interrupted=$((interrupted + after - before))
  # No transaction is left running.
  [ "$(sqlite3 "$STATE/journal.db" "SELECT count(*) FROM txn WHERE outcome = 'running'")" = 0 ] ||
    fail "round $round: a transaction is still running"
done
note "$interrupted of 20 kills interrupted a transaction"
reach "$NS" yes "${good[@]}"
reach "$NS" no "${bad[@]}"
stop_daemon
finish
