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

expect_rc 0 vc plan >/dev/null

# flood SPEC FILE: floods SPEC in 500 ms bursts until $TEST_TMP/stop
# exists, then writes "ACCEPTED ATTEMPTED" (datagrams the kernel took,
# datagrams sent at all) to FILE. The namespace's own ruleset is left to
# vpnconf: any other table in it would be drift.
flood() {
  local proto addr port sent=0 tried=0 s t
  read -r proto addr port <<<"$1"
  while [ ! -e "$TEST_TMP/stop" ]; do
    read -r s t < <(in_ns "$NS" "$NETTEST" udp-flood "$addr" "$port" --duration 500)
    sent=$((sent + s)) tried=$((tried + t))
  done
  echo "$sent $tried" >"$2"
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

read -r sent_never tried_never <"$TEST_TMP/sent-never"
read -r sent_dns tried_dns <"$TEST_TMP/sent-dns"
read -r sent_allowed _ <"$TEST_TMP/sent-allowed"
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
