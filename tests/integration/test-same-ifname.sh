#!/bin/bash
# Interface names inside different namespaces may repeat: two namespaces
# both call their tunnel wg0 and their host link's inner end veth0. Each
# is reconciled, labelled, reported and torn down on its own; nothing
# keyed by an interface name mixes them up.
. "$(dirname "$0")/lib.sh"

cat >"$CONFIG" <<'JSON'
{
  "version": 1,
  "namespaces": {
    "a": {
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "hostLink": { "enable": true, "nsIf": "veth0" }
    },
    "b": {
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "hostLink": { "enable": true, "nsIf": "veth0" }
    }
  }
}
JSON

capture 0 vc check
capture 0 vc reconcile
contains "$OUT" "a: applied" || fail "a: $OUT"
contains "$OUT" "b: applied" || fail "b: $OUT"
# External tunnel stand-ins, both called wg0.
ip netns add vpnsrv
for ns in a b; do
  ip link add wg0 netns "$ns" type veth peer name "srv-$ns" netns vpnsrv
  ip -n "$ns" link set wg0 up
done
capture 0 vc plan

for ns in a b; do
  contains "$(ip -n "$ns" -d link show veth0)" "alias vpnconf:$ns:hostlink" ||
    fail "veth0 in $ns: $(ip -n "$ns" -d link show veth0)"
done
st=$(vc status --json)
[ "$(json '[n["tunnel"]["interface"] for n in d["namespaces"]]' <<<"$st")" = '["wg0", "wg0"]' ] ||
  fail "status: $st"
[ "$(json '[n["tunnel"]["present"] for n in d["namespaces"]]' <<<"$st")" = '[true, true]' ] ||
  fail "status: $st"
[ "$(json '[n["inSync"] for n in d["namespaces"]]' <<<"$st")" = '[true, true]' ] ||
  fail "status: $st"

note "drift in one namespace's veth0 is that namespace's"
ip -n b link set veth0 down
capture 2 vc plan
contains "$OUT" "b: 1 change pending" || fail "plan: $OUT"
contains "$OUT" "up link veth0" || fail "plan: $OUT"
contains "$OUT" "a: in sync" || fail "a blamed for b's link: $OUT"
capture 0 vc reconcile
contains "$OUT" "a: in sync" || fail "a touched: $OUT"

note "down a leaves b and its wg0 alone"
capture 0 vc down a
[ ! -e /run/netns/a ] || fail "a still there"
ip -n b link show wg0 >/dev/null || fail "b lost its wg0"
ip -n b link show veth0 >/dev/null || fail "b lost its veth0"
capture 2 vc plan
contains "$OUT" "b: in sync" || fail "b after a's teardown: $OUT"
finish
