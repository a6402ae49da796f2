#!/bin/bash
# Policy changes under a packet flood: while the namespace floods a
# destination no policy allows (198.51.100.20) and a DNS-like port of an
# allowed address (10.64.9.9:53), reconciles alternate between two valid
# configurations (different CIDRs and ports, host link on and off). Not one
# datagram may arrive, and every send must be refused; a third flood to an
# allowed destination shows the floods really ran through the tunnel.
. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-40}

config_a() {
  write_config <<'EOF'
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "egress": { "mode": "allowList", "allowedCidrs": ["10.64.0.0/16", "192.0.2.0/24", "203.0.113.0/24"] },
      "publishToHost": { "tcp": [8080] }
EOF
}
config_b() {
  write_config <<'EOF'
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "egress": { "mode": "allowList", "allowedCidrs": ["192.0.2.0/24", "10.64.0.0/16"],
                  "allowedUdpPorts": [53, 4000], "allowedTcpPorts": [443] }
EOF
}

config_a
up
never="udp 198.51.100.20 4000"
dns_leak="udp 10.64.9.9 53"
allowed="udp 192.0.2.10 4000"
for spec in "$never" "$dns_leak" "$allowed"; do
  read -r _ addr port <<<"$spec"
  serve vpnsrv udp-server "$addr" "$port" --count-file "$(count_file vpnsrv "$spec")"
done
for spec in "$never" "$dns_leak" "$allowed"; do wait_file "$(count_file vpnsrv "$spec")"; done

# Counts what the flood attempts, ahead of vpnconf's table (a table of its
# own: vpnconf's is never touched by hand here).
in_ns "$NS" nft -f - <<'EOF'
table inet flood_probe {
	counter never { }
	counter dns_leak { }
	chain output {
		type filter hook output priority -10; policy accept;
		ip daddr 198.51.100.20 udp dport 4000 counter name never
		ip daddr 10.64.9.9 udp dport 53 counter name dns_leak
	}
}
EOF
expect_rc 0 vc plan >/dev/null
packets() { in_ns "$NS" nft list counter inet flood_probe "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }

# flood SPEC FILE: floods SPEC in 500 ms bursts until $TEST_TMP/stop
# exists, then writes the number of datagrams the kernel accepted to FILE.
flood() {
  local proto addr port total=0 n
  read -r proto addr port <<<"$1"
  while [ ! -e "$TEST_TMP/stop" ]; do
    n=$(in_ns "$NS" "$NETTEST" udp-flood "$addr" "$port" --duration 500)
    total=$((total + n))
  done
  echo "$total" >"$2"
}
flood "$never" "$TEST_TMP/sent-never" &
BG_PIDS+=($!)
flood "$dns_leak" "$TEST_TMP/sent-dns" &
BG_PIDS+=($!)
flood "$allowed" "$TEST_TMP/sent-allowed" &
BG_PIDS+=($!)
flooders=("${BG_PIDS[@]: -3}")
sleep 0.2

note "$ROUNDS reconciles under the flood"
start=$(date +%s%N)
for i in $(seq 1 "$ROUNDS"); do
  if [ $((i % 2)) = 1 ]; then config_b; else config_a; fi
  rc=0
  vc -q reconcile >"$TEST_TMP/out" 2>&1 || rc=$?
  [ "$rc" = 0 ] || fail "round $i: reconcile exited $rc: $(cat "$TEST_TMP/out")"
  contains "$(cat "$TEST_TMP/out")" "applied" || fail "round $i: nothing applied: $(cat "$TEST_TMP/out")"
done
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
touch "$TEST_TMP/stop"
wait "${flooders[@]}"

sent_never=$(cat "$TEST_TMP/sent-never")
sent_dns=$(cat "$TEST_TMP/sent-dns")
sent_allowed=$(cat "$TEST_TMP/sent-allowed")
tried_never=$(packets never)
tried_dns=$(packets dns_leak)
note "$ROUNDS reconciles in $elapsed_ms ms; attempted: $tried_never to $never, $tried_dns to $dns_leak;" \
  "accepted by the kernel: $sent_never, $sent_dns, and $sent_allowed to $allowed;" \
  "arrived: $(served vpnsrv "$never"), $(served vpnsrv "$dns_leak"), $(served vpnsrv "$allowed")"
[ "$tried_never" -gt 1000 ] || fail "the flood to $never hardly ran ($tried_never datagrams)"
[ "$tried_dns" -gt 1000 ] || fail "the flood to $dns_leak hardly ran ($tried_dns datagrams)"
[ "$(served vpnsrv "$allowed")" -gt 100 ] || fail "the control flood did not get through"
[ "$(served vpnsrv "$never")" = 0 ] || fail "$(served vpnsrv "$never") datagrams reached $never"
[ "$(served vpnsrv "$dns_leak")" = 0 ] || fail "$(served vpnsrv "$dns_leak") datagrams reached $dns_leak"
[ "$sent_never" = 0 ] || fail "$sent_never datagrams to $never passed the output hook"
[ "$sent_dns" = 0 ] || fail "$sent_dns datagrams to $dns_leak passed the output hook"

expect_rc 0 vc plan >/dev/null
[ "$(vc history --json --limit 0 | json 'sum(t["outcome"] == "applied" for t in d["transactions"])')" = \
  $((ROUNDS + 1)) ] || fail "the journal does not hold $((ROUNDS + 1)) applied transactions"
finish
