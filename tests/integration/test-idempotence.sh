#!/bin/bash
# Idempotence: once a reconcile succeeded, the next one plans nothing,
# changes nothing in the kernel (no rtnetlink or nftables event in the host
# namespace or in the confinement namespace) and records no transaction;
# plan and status change nothing either.
. "$(dirname "$0")/lib.sh"

use_example
up
settle

out=$(vc plan)
[ "$out" = "$NS: in sync" ] || fail "plan: $out"
before=$(txn_count)

monitor() {
  local where=$1 file=$2
  shift 2
  if [ "$where" = host ]; then
    "$@" >>"$file" 2>&1 &
  else
    nsenter --net="/run/netns/$where" "$@" >>"$file" 2>&1 &
  fi
  BG_PIDS+=($!)
}
monitor host "$TEST_TMP/ip-host" ip monitor all
monitor "$NS" "$TEST_TMP/ip-ns" ip monitor all
monitor host "$TEST_TMP/nft-host" nft monitor
monitor "$NS" "$TEST_TMP/nft-ns" nft monitor
# The monitors must be listening before the reconcile: make events each of
# them has to see until all have seen one, then start from empty files.
probe() {
  ip link add probe0 type veth peer name probe1
  ip link del probe0
  ip -n "$NS" link add probe0 type veth peer name probe1
  ip -n "$NS" link del probe0
  nft add table inet probe
  nft delete table inet probe
  in_ns "$NS" nft add table inet probe
  in_ns "$NS" nft delete table inet probe
}
listening() {
  local f
  for f in ip-host ip-ns nft-host nft-ns; do
    contains "$(cat "$TEST_TMP/$f")" probe || return 1
  done
}
for i in $(seq 1 50); do
  probe
  sleep 0.05
  listening && break
done
listening || fail "the monitors did not start"
sleep 0.2
for f in ip-host ip-ns nft-host nft-ns; do : >"$TEST_TMP/$f"; done

note "second reconcile (and the read-only verbs)"
out=$(vc reconcile)
[ "$out" = "$NS: in sync" ] || fail "reconcile: $out"
vc plan >/dev/null
vc status --json >/dev/null
vc status >/dev/null
sleep 0.3

for f in ip-host ip-ns nft-host nft-ns; do
  [ ! -s "$TEST_TMP/$f" ] || fail "kernel events during an in-sync reconcile ($f): $(cat "$TEST_TMP/$f")"
done
[ "$(txn_count)" = "$before" ] || fail "the journal gained a transaction: $(txn_count) != $before"
out=$(vc plan)
[ "$out" = "$NS: in sync" ] || fail "plan afterwards: $out"

note "status and the journal agree"
[ "$(vc status --json | json 'd["namespaces"][0]["inSync"]')" = true ] || fail "status: not in sync"
finish
