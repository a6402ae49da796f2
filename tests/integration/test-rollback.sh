#!/bin/bash
# Rollback: a step fails midway because a foreign interface holds the host
# link's name. The reconcile exits 1, the state afterwards equals the state
# before, the foreign interface is untouched, and the journal shows the
# failed step, the undone ones and the outcome rolled-back. Twice: for a
# first bring-up, and for a change of a working namespace (enabling the
# host link), where the rollback keeps the previous, working state. Also:
# one namespace failing leaves the others alone, and a foreign namespace
# or file where the namespace should be is refused and left as it is (an
# empty placeholder, as an interrupted creation leaves, is removed).
. "$(dirname "$0")/lib.sh"

# config true|false: with the host link (and a port published on it, so
# that the policy changes before the link is created), or without.
config() {
  local link='"hostLink": { "enable": false }'
  [ "$1" = false ] || link='"publishToHost": { "tcp": [8080] }, "hostLink": { "enable": true }'
  write_config <<EOF
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "egress": { "mode": "allowList", "allowedCidrs": ["10.64.0.0/16", "192.0.2.0/24"] },
      "ingress": { "fromTunnel": { "tcp": [51413] } },
      $link
EOF
}

# foreign_link: the foreign interface, described by what must not change.
foreign_link() { ip -d -o link show dev "$HOST_IF"; }
ifindex_of() { ip -o link show dev "$1" | cut -d: -f1; }
check_untouched() {
  local now
  now=$(foreign_link)
  [ "$now" = "$1" ] || check_failed "the foreign interface changed: was '$1', is '$now'"
  contains "$now" "alias" && check_failed "the foreign interface got an alias: $now"
  [ "$(ifindex_of "$HOST_IF")" = "$2" ] ||
    check_failed "the foreign interface was replaced (ifindex $(ifindex_of "$HOST_IF"), was $2)"
}

# check_journal TXN: rolled back, with a failed step and undone ones.
check_journal() {
  local txn=$1 show
  [ "$(vc history --json | json 'd["transactions"][0]["outcome"]')" = rolled-back ] ||
    check_failed "history: outcome $(vc history --json | json 'd["transactions"][0]["outcome"]')"
  show=$(vc show "$txn")
  printf '%s\n' "$show"
  contains "$show" "outcome:   rolled-back" || check_failed "show: not rolled back"
  contains "$show" "[failed] create link $HOST_IF" || check_failed "show: no failed host link step"
  contains "$show" "was not created by vpnconf" || check_failed "show: the error does not say why"
  contains "$show" "[undone]" || check_failed "show: no undone step"
  show=$(vc show --json "$txn")
  [ "$(json '[s["status"] for s in d["stepList"]].count("failed")' <<<"$show")" = 1 ] ||
    check_failed "show --json: not exactly one failed step"
  [ "$(json '[s["status"] for s in d["stepList"]].count("undone")' <<<"$show")" -ge 1 ] ||
    check_failed "show --json: no undone step"
  [ "$(json '[s["status"] for s in d["stepList"]].count("undo-failed")' <<<"$show")" = 0 ] ||
    check_failed "show --json: an undo failed"
}

note "a failing first bring-up"
config true
ip link add "$HOST_IF" type veth peer name x
before_link=$(foreign_link)
ifindex=$(ifindex_of "$HOST_IF")
snapshot "$TEST_TMP/before"
capture 1 vc reconcile
contains "$OUT" "rolled-back" || fail "not rolled back: $OUT"
contains "$OUT" "$HOST_IF" || fail "the error does not name the interface: $OUT"
snapshot "$TEST_TMP/after"
same_snapshot "$TEST_TMP/before" "$TEST_TMP/after" "rollback of a bring-up"
[ -z "$(ip netns list)" ] || check_failed "namespaces left: $(ip netns list)"
check_untouched "$before_link" "$ifindex"
check_journal "$(txn_last)"
capture 2 vc plan

note "a failing change keeps the previous, working state"
ip link del "$HOST_IF"
config false
up
serve_all vpnsrv "tcp 192.0.2.10 80"
reach "$NS" yes "tcp 192.0.2.10 80"
settle
txns=$(txn_count)
ip link add "$HOST_IF" type veth peer name x
before_link=$(foreign_link)
ifindex=$(ifindex_of "$HOST_IF")
config true
snapshot "$TEST_TMP/before2"
capture 1 vc reconcile
contains "$OUT" "rolled-back" || fail "not rolled back: $OUT"
snapshot "$TEST_TMP/after2"
same_snapshot "$TEST_TMP/before2" "$TEST_TMP/after2" "rollback of a change"
check_untouched "$before_link" "$ifindex"
check_journal "$(txn_last)"
[ "$(txn_count)" = $((txns + 1)) ] || check_failed "expected exactly one new transaction"
reach "$NS" yes "tcp 192.0.2.10 80"
[ "$(in_ns "$NS" nft list table inet vpnconf | head -2 | tail -1)" = '	comment "vpnconf:policy"' ] ||
  check_failed "the namespace lost its policy table"
# The previous state is still in sync with the previous file.
config false
capture 0 vc plan

note "with the foreign interface gone, the change goes through"
ip link del "$HOST_IF"
config true
capture 0 vc reconcile
capture 0 vc plan
serve_all "$NS" "tcp $NS_ADDR 8080"
reach host yes "tcp $NS_ADDR 8080"

note "one namespace failing does not stop the others"
ip link add vh-7e97c3d5fa8a type veth peer name y # the derived host link of "other"
config true
sed -i 's/^  "namespaces": {/&\n    "other": { "wireguard": { "interface": "wg1", "managed": false },\n      "dns": { "servers": ["10.64.0.1"] }, "hostLink": { "enable": true } },/' "$CONFIG"
capture 0 vc check
capture 1 vc reconcile
contains "$OUT" "other: rolled-back" || fail "other: $OUT"
contains "$OUT" "$NS: in sync" || fail "$NS: $OUT"
reach host yes "tcp $NS_ADDR 8080"
ip link del vh-7e97c3d5fa8a
capture 0 vc reconcile
contains "$OUT" "other: applied" || fail "other: $OUT"

note "foreign objects where the namespace should be"
capture 0 vc down other
capture 0 vc down "$NS"
eventually host_links_are lo || fail "host links left: $(links host)"
use_example
ip netns add "$NS"
snapshot "$TEST_TMP/before3"
capture 1 vc reconcile
contains "$OUT" "was not created by vpnconf" || fail "a foreign namespace: $OUT"
snapshot "$TEST_TMP/after3"
same_snapshot "$TEST_TMP/before3" "$TEST_TMP/after3" "a foreign namespace of the same name"
ip netns del "$NS"
echo "not a namespace" >"/run/netns/$NS"
snapshot "$TEST_TMP/before4"
capture 1 vc reconcile
contains "$OUT" "is not a network namespace" || fail "a file in the way: $OUT"
snapshot "$TEST_TMP/after4"
same_snapshot "$TEST_TMP/before4" "$TEST_TMP/after4" "a file where the namespace should be"
# An empty file is what an interrupted creation leaves: vpnconf's to remove.
: >"/run/netns/$NS"
capture 0 vc reconcile
contains "$OUT" "remove namespace placeholder $NS" || fail "the placeholder was not removed: $OUT"
capture 0 vc plan
finish
