#!/bin/bash
# Drift: changes made by hand behind vpnconf's back (a deleted host link, a
# flushed chain, a deleted set element, a permissive rule, a changed chain
# policy, a dormant table, an edited resolv.conf, a changed sysctl, a
# foreign table next to vpnconf's). For each, plan exits 2 and names the
# difference, reconcile repairs it and journals the drift, and the repaired
# namespace passes a packet check. drift.action alert reports without
# repairing; lockdown replaces the policy by the lockdown table.
. "$(dirname "$0")/lib.sh"

good=("tcp 192.0.2.10 80" "udp 10.64.0.1 53" "udp 10.64.9.9 4000")
bad=("tcp 198.51.100.20 80" "udp 10.64.9.9 53")
packets_ok() {
  local pid
  reach "$NS" yes "${good[@]}"
  reach host yes "tcp $NS_ADDR 8080"
  reach "$NS" no "${bad[@]}" &
  pid=$!
  reach host no "tcp $NS_ADDR 8081"
  wait "$pid"
}
drift_rows() { sqlite3 "$STATE/journal.db" "SELECT count(*) FROM drift"; }

drift_config repair
up
serve_all vpnsrv "${good[@]}" "${bad[@]}"
serve_all "$NS" "tcp $NS_ADDR 8080" "tcp $NS_ADDR 8081"
packets_ok

# tamper NAME DIFFERENCE CMD...: CMD changes the kernel by hand; plan must
# name DIFFERENCE, reconcile must repair it and journal it as drift.
declare -A repair_txn=()
tamper() {
  local name=$1 difference=$2 rows
  shift 2
  note "drift: $name"
  "$@"
  capture 2 vc plan
  contains "$OUT" "(drift)" || fail "$name: plan does not call it drift"
  contains "$OUT" "$difference" || fail "$name: plan does not name \"$difference\""
  rows=$(drift_rows)
  capture 0 vc reconcile
  contains "$OUT" "drift from the desired state (action: repair)" ||
    fail "$name: reconcile did not report drift"
  capture 0 vc plan
  [ "$(sqlite3 "$STATE/journal.db" "SELECT count(*) FROM drift WHERE action = 'repair' AND
      description LIKE '%' || replace(replace('$difference', '%', ''), '''', '''''') || '%'")" -ge 1 ] ||
    fail "$name: no drift record in the journal"
  [ "$(drift_rows)" -gt "$rows" ] || fail "$name: the journal gained no drift record"
  repair_txn[$name]=$(txn_last)
  [ "$(txn_last outcome)" = applied ] || fail "$name: the repair is not journaled as applied"
  packets_ok
}

tamper "host link deleted" "host link absent" ip link del "$HOST_IF"
# While the output chain is empty its policy still drops: fail-closed.
nft_flush_output() {
  in_ns "$NS" nft flush chain inet vpnconf output
  reach "$NS" no "${good[@]}"
}
tamper "output chain flushed" 'chain output: rule 1 missing: oifname "lo" accept' nft_flush_output
nft_delete_element() {
  in_ns "$NS" nft delete element inet vpnconf allowed_v4 '{ 192.0.2.0/24 }'
  reach "$NS" no "tcp 192.0.2.10 80"
}
tamper "set element deleted" "set allowed_v4: element 192.0.2.0/24 missing" nft_delete_element
nft_insert_accept() {
  in_ns "$NS" nft insert rule inet vpnconf output accept
  reach "$NS" yes "tcp 198.51.100.20 80"
}
tamper "accept rule inserted" "chain output: unexpected rule 1: accept" nft_insert_accept
tamper "chain policy changed" "chain forward: policy accept, want drop" \
  in_ns "$NS" nft add chain inet vpnconf forward '{ type filter hook forward priority filter; policy accept; }'
tamper "table made dormant" "table: flags 0x1" in_ns "$NS" nft add table inet vpnconf '{ flags dormant; }'
tamper "resolv.conf edited" "resolv.conf" sed -i 's/^nameserver .*/nameserver 192.0.2.10/' \
  "/run/vpnconf/$NS/resolv.conf"
[ "$(grep '^nameserver' "/run/vpnconf/$NS/resolv.conf")" = "nameserver 10.64.0.1" ] ||
  fail "resolv.conf not repaired"
tamper "sysctl changed" "disable_ipv6" in_ns "$NS" sysctl -qw net.ipv6.conf.default.disable_ipv6=0

note "drift: a foreign table that rewrites allowed traffic towards a forbidden address"
# vpnconf's table stays intact; a chain of another table that runs after
# it (priority 10) sends what vpnconf allowed to 198.51.100.20.
in_ns "$NS" nft -f - <<'EOF'
table inet tamper {
	chain output {
		type filter hook output priority 10; policy accept;
		ip daddr 192.0.2.10 udp dport 4000 ip daddr set 198.51.100.20
	}
}
EOF
serve_all vpnsrv "udp 198.51.100.20 4000"
expect_rc 0 in_ns "$NS" "$NETTEST" send-udp 192.0.2.10 4000
rc=0
vc plan >/dev/null || rc=$?
if [ "$rc" != 2 ]; then
  sleep 0.1
  check_failed "a foreign nftables table inside the namespace goes unnoticed (plan exits $rc)," \
    "while it sent $(served vpnsrv "udp 198.51.100.20 4000") datagram(s) to 198.51.100.20"
fi
in_ns "$NS" nft delete table inet tamper

note "drift.action alert: reported, not repaired"
drift_config alert
capture 0 vc reconcile # the same kernel state: in sync with the new file
rows=$(drift_rows)
in_ns "$NS" nft delete element inet vpnconf allowed_v4 '{ 192.0.2.0/24 }'
capture 1 vc reconcile
contains "$OUT" "drift from the desired state (action: alert)" || fail "alert: no drift reported"
contains "$OUT" "set allowed_v4: element 192.0.2.0/24 missing" || fail "alert: difference not named"
capture 2 vc plan
contains "$OUT" "set allowed_v4: element 192.0.2.0/24 missing" || fail "alert: repaired anyway"
reach "$NS" no "tcp 192.0.2.10 80"
[ "$(sqlite3 "$STATE/journal.db" "SELECT count(*) FROM drift WHERE action = 'alert'")" = 1 ] ||
  fail "alert: no drift record with action alert"
[ "$(drift_rows)" -gt "$rows" ] || fail "alert: the journal gained no drift record"
alert_history=$(vc history --json --limit 0)

note "drift.action lockdown: only loopback works"
drift_config lockdown
capture 0 vc reconcile # a changed file: converges, this is no drift
contains "$OUT" "applied" || fail "lockdown: the new file was not applied"
serve_all "$NS" "tcp 127.0.0.1 7777" "udp 127.0.0.1 7777"
in_ns "$NS" nft delete element inet vpnconf allowed_v4 '{ 192.0.2.0/24 }'
capture 1 vc reconcile
contains "$OUT" "LOCKED DOWN" || fail "lockdown: not reported"
table=$(in_ns "$NS" nft list table inet vpnconf)
contains "$table" 'comment "vpnconf:lockdown"' || fail "lockdown: table is not the lockdown table: $table"
expected=$(sed -n '/^table inet vpnconf/,$p' "$SRCDIR/tests/integration/expected/nft-lockdown.nft")
[ "$table" = "$expected" ] || fail "lockdown table differs from nft-lockdown.nft: $table"
reach "$NS" yes "tcp 127.0.0.1 7777" "udp 127.0.0.1 7777"
reach "$NS" no "${good[@]}" "${bad[@]}"
reach host no "tcp $NS_ADDR 8080"
[ "$(txn_last outcome)" = lockdown ] || fail "lockdown: last transaction is $(txn_last outcome)"
[ "$(vc status --json | json 'd["namespaces"][0]["policy"]')" = lockdown ] ||
  fail "lockdown: status does not show the lockdown policy"
lockdown_txn=$(txn_last)
contains "$(vc show "$lockdown_txn")" "[done] lockdown nft table inet vpnconf" ||
  fail "lockdown: show $lockdown_txn: $(vc show "$lockdown_txn")"

note "going back to an earlier desired state is a change, not drift"
drift_config lockdown
capture 1 vc reconcile # a drift lockdown holds under the same file
contains "$OUT" "locked down since drift" || fail "the drift lockdown did not hold: $OUT"
contains "$(in_ns "$NS" nft list table inet vpnconf)" 'comment "vpnconf:lockdown"' ||
  fail "the lockdown table is gone"
capture 0 vc reconcile --unlock # lifts it
capture 0 vc reconcile # in sync with A
drift_config lockdown '["10.64.0.0/16"]'
capture 0 vc reconcile # B, a change
drift_config lockdown
capture 2 vc plan
contains "$OUT" "(drift)" && check_failed "plan calls the return to an earlier file drift"
rc=0
OUT=$(vc reconcile 2>&1) || rc=$?
printf '%s\n' "$OUT"
[ "$rc" = 0 ] && contains "$OUT" "$NS: applied" ||
  check_failed "returning to an earlier file: exit $rc, not applied (drift.action lockdown acted on it)"
contains "$(in_ns "$NS" nft list table inet vpnconf)" 'comment "vpnconf:lockdown"' &&
  check_failed "returning to an earlier file locked the namespace down"

note "the drift is visible in history and show"
silent=() silent_json=()
for name in "${!repair_txn[@]}"; do
  contains "$(vc show "${repair_txn[$name]}")" "drift" || silent+=("$name")
  contains "$(vc show --json "${repair_txn[$name]}")" "drift" || silent_json+=("$name")
done
[ "${#silent[@]}" = 0 ] ||
  check_failed "show TXN of a drift repair does not mention drift (${#silent[@]} of ${#repair_txn[@]}: ${silent[*]})"
[ "${#silent_json[@]}" = 0 ] ||
  check_failed "show --json TXN of a drift repair does not mention drift (${#silent_json[@]} of ${#repair_txn[@]})"
contains "$alert_history" "drift" ||
  check_failed "history --json: no trace of the drift that drift.action alert reported"
tied=$(sqlite3 "$STATE/journal.db" "SELECT count(*) FROM drift WHERE txn_id IS NOT NULL")
[ "$tied" -gt 0 ] ||
  check_failed "journal: every drift record has txn_id NULL, none names the transaction that repaired it"
finish
