#!/bin/bash
# Link aliases are untrusted: root inside a confinement namespace can
# label any link there. A tunnel label naming its socket namespace as
# "../../<path>" made vpnconf open that path as a namespace and delete a
# pinning table in whatever namespace was bound there. Hostile labels
# (path traversal, overlong, bad characters, another vpnconf namespace's
# name) must open nothing outside the namespace directory and delete
# nothing: the decoy tables survive, and strace shows no such open.
. "$(dirname "$0")/lib.sh"

command -v strace >/dev/null || skip "strace is not installed"
# LeakSanitizer stops threads with ptrace, which fails under strace: no
# leak check in the traced runs of a sanitizer build.

config() {
  cat >"$CONFIG" <<JSON
{
  "version": 1,
  "namespaces": {
    "t": { $1, "dns": { "servers": ["10.64.0.1"] } },
    "b": { "wireguard": { "interface": "wg0", "managed": false }, "dns": { "servers": ["10.64.0.1"] } }
  }
}
JSON
}
config '"wireguard": { "interface": "wg0", "managed": false }'
capture 0 vc reconcile

note "decoys: pinning tables named like t's, marked and unmarked, where labels could point"
ip netns add decoy
touch "$TEST_TMP/decoyns"
mount --bind /run/netns/decoy "$TEST_TMP/decoyns"
decoy_rel="../..$TEST_TMP/decoyns"
[ -e "/run/netns/$decoy_rel" ] || fail "the decoy is not reachable as $decoy_rel"
in_ns decoy nft add table inet vpnconf-pin-t '{ comment "vpnconf:pin"; }'
in_ns b nft add table inet vpnconf-pin-t
nft add table inet vpnconf-pin-t
tables() { echo "decoy: $(in_ns decoy nft list tables | tr '\n' ' ')"; echo "b: $(in_ns b nft list tables | tr '\n' ' ')"; echo "host: $(nft list tables | tr '\n' ' ')"; }
before=$(tables)

note "hostile labels on links of vpnconf's group inside t"
long=$(printf 'a%.0s' $(seq 1 230))
i=0
for alias in "vpnconf:t:tunnel@$decoy_rel" "vpnconf:t:tunnel@..%2f..%2fx" \
  "vpnconf:t:tunnel@$long" "vpnconf:t:tunnel@a b" "vpnconf:t:tunnel@a@$decoy_rel" \
  "vpnconf:t:tunnel@b"; do
  i=$((i + 1))
  ip -n t link add "h$i" type veth peer name "p$i"
  ip -n t link set "h$i" group 1448103491 alias "$alias"
done
ip -n t link add wg0 type veth peer name p0
ip -n t link set wg0 group 1448103491 alias "vpnconf:t:tunnel@$decoy_rel"

note "plan of a managed t whose tunnel's label points at the decoy"
printf 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n' >"$TEST_TMP/wg.key"
chmod 0600 "$TEST_TMP/wg.key"
config "\"wireguard\": { \"privateKeyFile\": \"$TEST_TMP/wg.key\", \"addresses\": [\"10.0.0.2/32\"],
  \"peers\": [{ \"publicKey\": \"vblMc9U8RAI6cVopcKEMTVT6lVC3D9nTTMSwot5d3L4=\",
    \"endpoint\": \"198.51.100.10:51820\", \"allowedIPs\": [\"0.0.0.0/0\"] }] }"
rc=0
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
  strace -f -qq -e trace=open,openat -o "$TEST_TMP/plan.trace" "$VPNCONF" --config "$CONFIG" \
  --state-dir "$STATE" plan >"$TEST_TMP/plan.out" 2>&1 || rc=$?
cat "$TEST_TMP/plan.out"
[ "$rc" != 0 ] || fail "plan: a foreign wg0 should be a conflict"
if grep -E 'decoy|/run/netns/\.\.' "$TEST_TMP/plan.trace"; then fail "plan opened a path outside the namespace directory"; fi
grep -q "/run/netns/t\"" "$TEST_TMP/plan.trace" || fail "the trace does not show the namespace opened (strace broken?)"

note "t no longer desired: its teardown goes by the tunnel labels (h6 names b, a valid name)"
cat >"$CONFIG" <<'JSON'
{
  "version": 1,
  "namespaces": {
    "b": { "wireguard": { "interface": "wg0", "managed": false }, "dns": { "servers": ["10.64.0.1"] } }
  }
}
JSON
rc=0
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
  strace -f -qq -e trace=open,openat -o "$TEST_TMP/down.trace" "$VPNCONF" --config "$CONFIG" \
  --state-dir "$STATE" reconcile -n t >"$TEST_TMP/down.out" 2>&1 || rc=$?
cat "$TEST_TMP/down.out"
[ "$rc" = 0 ] || fail "reconcile -n t exited $rc"
contains "$(cat "$TEST_TMP/down.out")" "t: torn-down" || fail "t not torn down"
if grep -E 'decoy|/run/netns/\.\.' "$TEST_TMP/down.trace"; then fail "the teardown opened a path outside the namespace directory"; fi
grep -q '/run/netns/b"' "$TEST_TMP/down.trace" || fail "the trace does not show b looked at (strace broken?)"
[ ! -e /run/netns/t ] || fail "t is still there"
after=$(tables)
[ "$before" = "$after" ] || fail "tables changed: $(diff <(echo "$before") <(echo "$after"))"
contains "$after" "vpnconf-pin-t" || fail "no decoy table left"
contains "$(cat "$TEST_TMP/down.out")" "vpnconf-pin-t in b does not carry vpnconf's pinning marker" ||
  check_failed "the teardown does not say why it left b's table alone"
umount "$TEST_TMP/decoyns"
finish
