#!/bin/bash
# Teardown: "down NAME" removes the host link, the resolver files, the
# ownership marker and the namespace, and is journaled as "down"; a
# namespace removed from the desired state goes with the next reconcile,
# leaving the others alone; a process still inside is left with loopback
# only; a foreign namespace is never touched; an unusable desired-state
# file does not prevent a teardown. Along the way, status --json follows
# the lifecycle.
. "$(dirname "$0")/lib.sh"

status() { vc status --json | json "$1"; }
# expect_status EXPR VALUE: EXPR over namespaces[0] of status --json.
expect_status() {
  local got
  got=$(vc status --json | json "d['namespaces'][0]$1")
  [ "$got" = "$2" ] || fail "status --json: $1 is $got, want $2"
}
gone() {
  [ -z "$(ip netns list | grep -x "$NS.*" || true)" ] || fail "namespace $NS still there"
  [ ! -e "/run/netns/$NS" ] || fail "/run/netns/$NS still there"
  [ ! -e "/run/vpnconf/$NS" ] || fail "/run/vpnconf/$NS still there: $(ls -la "/run/vpnconf/$NS")"
  # Nothing of the namespace is left on the host when down returns.
  host_links_are lo || fail "host links left: $(links host)"
}

use_example
note "status before anything"
expect_status "['present']" false
expect_status "['inSync']" false
expect_status "['policy']" absent
expect_status "['units']" '["transmission.service"]'
expect_status "['lastTransaction']" null
expect_status "['tunnel']['present']" false

up
note "status of a running namespace"
expect_status "['present']" true
expect_status "['inSync']" true
expect_status "['sync']" "in sync"
expect_status "['policy']" policy
expect_status "['tunnel']['interface']" wg0
expect_status "['tunnel']['present']" true
expect_status "['tunnel']['addresses']" '["10.0.0.2/24"]'
expect_status "['hostLink']['present']" true
expect_status "['lastTransaction']['id']" "$(txn_last)"
expect_status "['lastTransaction']['outcome']" applied

note "status of a drifted namespace"
in_ns "$NS" nft delete element inet vpnconf allowed_v4 '{ 192.0.2.0/24 }'
expect_status "['inSync']" false
expect_status "['sync']" drifted
expect_status "['differences']" '["set allowed_v4: element 192.0.2.0/24 missing"]'
capture 0 vc reconcile
expect_status "['inSync']" true

note "down"
capture 0 vc down "$NS"
gone
[ "$(txn_last command)" = down ] || fail "journaled as $(txn_last command)"
[ "$(txn_last outcome)" = applied ] || fail "down outcome: $(txn_last outcome)"
show=$(vc show "$(txn_last)")
# (Nothing runs inside: no lockdown, but vpnconf's interfaces are deleted.)
contains "$show" "lockdown" && fail "show: a lockdown with nobody inside: $show"
for what in "links $NS_IF" "link $HOST_IF" "file /run/vpnconf/$NS/resolv.conf" "file /run/vpnconf/$NS/nsswitch.conf" \
  "namespace $NS" "file /run/vpnconf/$NS/netns-id"; do
  contains "$show" "$what" || fail "show: no step for $what: $show"
done
expect_status "['present']" false
expect_status "['inSync']" false
expect_status "['policy']" absent
expect_status "['lastTransaction']['id']" "$(txn_last)"
capture 0 vc down "$NS"
contains "$OUT" "nothing to tear down" || fail "a second down: $OUT"

note "a namespace removed from the desired state"
two='"other": {
      "wireguard": { "interface": "wg1", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "hostLink": { "enable": true }
    }'
one=$(sed '/"namespaces": {/,$d' "$SRCDIR/docs/examples/desired.json")
example_ns=$(sed -n '/^    "vpnapps": {/,/^    }$/p' "$SRCDIR/docs/examples/desired.json")
[ -n "$example_ns" ] || fail "cannot cut the example"
write_two() {
  {
    echo "$one"
    echo '  "namespaces": {'
    echo "$example_ns${1:+,}"
    [ -z "$1" ] || echo "    $1"
    echo '  }'
    echo '}'
  } >"$CONFIG"
}
write_two "$two"
capture 0 vc reconcile
contains "$OUT" "other: applied" || fail "other not created"
capture 0 vc plan
[ "$(status 'len(d["namespaces"])')" = 2 ] || fail "status does not show two namespaces"
snapshot_ns() {
  in_ns "$NS" ip -d -o link show
  in_ns "$NS" nft list ruleset
  find "/run/vpnconf/$NS" -type f -exec sha256sum {} + | sort
}
before=$(snapshot_ns)
write_two ""
capture 0 vc reconcile
contains "$OUT" "other: torn-down" || fail "other not torn down: $OUT"
contains "$OUT" "$NS: in sync" || fail "$NS touched: $OUT"
[ "$(ip netns list | cut -d' ' -f1 | grep -vx vpnsrv | tr '\n' ' ')" = "$NS " ] ||
  fail "namespaces: $(ip netns list)"
[ ! -e /run/vpnconf/other ] || fail "/run/vpnconf/other left"
eventually host_links_are "lo $HOST_IF" || fail "host links: $(links host)"
[ "$(snapshot_ns)" = "$before" ] || fail "tearing other down changed $NS: $(diff <(echo "$before") <(snapshot_ns) || true)"
[ "$(status 'len(d["namespaces"])')" = 1 ] || fail "status still shows other"
capture 0 vc plan

note "a process still inside is left with loopback only"
# The external tunnel is not vpnconf's: it stays, but the lockdown table
# that replaced the policy lets nothing through it; vpnconf's own
# interfaces are deleted.
vpn_server "$NS" wg0
serve "$NS" udp-server 127.0.0.1 7777 --reply --count-file "$TEST_TMP/inside"
wait_file "$TEST_TMP/inside"
inside=${BG_PIDS[-1]}
capture 0 vc down "$NS"
gone
left=$(nsenter --net="/proc/$inside/ns/net" ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' |
  sort | tr '\n' ' ')
[ "$left" = "lo wg0 " ] || check_failed "a process inside the torn-down namespace still has: $left"
contains "$(nsenter --net="/proc/$inside/ns/net" nft list table inet vpnconf)" 'comment "vpnconf:lockdown"' ||
  check_failed "the namespace is not locked down while a process is inside"
if nsenter --net="/proc/$inside/ns/net" "$NETTEST" udp 10.64.0.1 53 --timeout 300; then
  check_failed "a process inside the torn-down namespace still reaches the resolver"
fi
nsenter --net="/proc/$inside/ns/net" "$NETTEST" udp 127.0.0.1 7777 --timeout 1000 ||
  check_failed "loopback inside the torn-down namespace does not work"
kill "$inside"

note "a foreign namespace is not vpnconf's to tear down"
ip netns add "$NS"
capture 0 vc down "$NS"
[ -e "/run/netns/$NS" ] || fail "a foreign namespace was deleted"
ip netns del "$NS"

note "an unusable desired-state file does not prevent a teardown"
use_example
capture 0 vc reconcile
echo garbage >"$CONFIG"
capture 0 vc down "$NS"
gone
finish
