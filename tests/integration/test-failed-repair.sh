#!/bin/bash
# Failed repairs never restore a tampered policy. Root inside the namespace
# inserts an accept rule into the policy, and a foreign interface squats
# the host link's name, so that a later step of the repair fails. The
# policy is repaired first and kept (or the namespace is locked down):
# never the tampered table, by packets and by `nft -j list table`, on the
# first run and on the next ones. Then a foreign table with "flags owner",
# held by a live `nft -i` inside, which nobody else can delete: the policy
# is still repaired, and the failure to delete the table is reported.
. "$(dirname "$0")/lib.sh"

write_config <<EOF
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "egress": { "mode": "allowList", "allowedCidrs": ["10.64.0.0/16", "192.0.2.0/24"] },
      "publishToHost": { "tcp": [8080] }
EOF

good=("tcp 192.0.2.10 80")
bad=("tcp 198.51.100.20 80")

# policy: the namespace's table as `nft -j` shows it, without handles
# (which the kernel numbers anew with every replacement).
policy() {
  in_ns "$NS" nft -j list table inet vpnconf | "$PYTHON3" -c '
import json, sys
def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if k not in ("handle", "metainfo")}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v
print(json.dumps(strip(json.load(sys.stdin)), sort_keys=True))'
}

tamper() {
  in_ns "$NS" nft insert rule inet vpnconf output accept
  in_ns "$NS" nft insert rule inet vpnconf input accept
  reach "$NS" yes "${bad[@]}"
  [ "$(policy)" != "$want" ] || fail "the tampered policy looks like vpnconf's"
  tampered=$(policy)
}

# check_policy WHAT: vpnconf's policy or the lockdown table, never the
# tampered one; the forbidden destination is unreachable.
check_policy() {
  local now
  now=$(policy)
  [ "$now" != "$tampered" ] || check_failed "$1: the tampered policy was restored"
  if [ "$now" = "$want" ]; then
    reach "$NS" yes "${good[@]}"
  else
    contains "$(in_ns "$NS" nft list table inet vpnconf)" 'comment "vpnconf:lockdown"' ||
      check_failed "$1: the policy is neither vpnconf's nor the lockdown table: $now"
  fi
  reach "$NS" no "${bad[@]}"
}

up
serve_all vpnsrv "${good[@]}" "${bad[@]}"
reach "$NS" yes "${good[@]}"
reach "$NS" no "${bad[@]}"
want=$(policy)

note "a tampered policy and a foreign interface squatting the host link's name"
tamper
ip link del "$HOST_IF"
ip link add "$HOST_IF" type veth peer name squat0
capture 1 vc reconcile
contains "$OUT" "drift" || fail "the tampering was not reported as drift"
contains "$OUT" "$HOST_IF" || fail "the squatted name is not reported: $OUT"
check_policy "first run"
[ "$(policy)" = "$want" ] || check_failed "the repaired policy was not kept"
[ "$(txn_last outcome)" != rolled-back ] || check_failed "the repair was rolled back"
show=$(vc show "$(txn_last)")
printf '%s\n' "$show"
contains "$show" "[done] replace nft table inet vpnconf" || check_failed "no policy repair journaled"
contains "$show" "[undone]" && check_failed "a step of the repair was undone"

note "the next runs, tampered again"
for run in 2 3; do
  tamper
  rc=0
  OUT=$(vc reconcile 2>&1) || rc=$?
  printf '%s\n' "$OUT"
  [ "$rc" != 0 ] || check_failed "run $run: succeeded with the name squatted"
  check_policy "run $run"
done
note "and untouched"
capture 1 vc reconcile
check_policy "run 4"

note "with the squatter gone, everything converges"
ip link del "$HOST_IF"
capture 0 vc reconcile
capture 0 vc plan
[ "$(policy)" = "$want" ] || check_failed "not vpnconf's policy after convergence"
reach "$NS" yes "${good[@]}"
reach "$NS" no "${bad[@]}"

note "a foreign table with flags owner, held by nft -i inside"
mkfifo "$TEST_TMP/nft-in"
in_ns "$NS" nft -i <"$TEST_TMP/nft-in" >"$TEST_TMP/nft-out" 2>&1 &
BG_PIDS+=($!)
exec 9>"$TEST_TMP/nft-in"
echo 'add table inet owned { flags owner; }' >&9
echo 'add chain inet owned out { type filter hook output priority -10; policy accept; }' >&9
eventually contains "$(in_ns "$NS" nft list tables)" "table inet owned" ||
  eventually bash -c "ip netns exec '$NS' nft list tables | grep -q 'inet owned'" ||
  fail "the owned table did not appear: $(cat "$TEST_TMP/nft-out")"
if in_ns "$NS" nft delete table inet owned 2>/dev/null; then
  skip "this kernel lets anyone delete a table with flags owner"
fi
tamper
capture 1 vc reconcile
contains "$OUT" "delete nft table inet owned" || check_failed "the failed deletion is not reported"
[ "$(policy)" = "$want" ] || check_failed "the policy was not repaired next to an owned table"
check_policy "owned table"
contains "$(vc show "$(txn_last)")" "[failed] delete nft table inet owned" ||
  check_failed "the journal does not show the failed deletion"
note "the owner gone, the table goes with it"
exec 9>&-
eventually bash -c "! ip netns exec '$NS' nft list tables | grep -q 'inet owned'" ||
  fail "the owned table outlived its owner"
capture 0 vc reconcile
capture 0 vc plan
finish
