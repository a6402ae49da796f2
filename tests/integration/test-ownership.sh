#!/bin/bash
# Ownership survives the kernel's reuse of nsfs inode numbers. vpnconf
# brings a namespace up; it is deleted behind vpnconf's back, and another
# tool creates a namespace of the same name (usually with the same inode
# number: the kernel hands a freed one to the next namespace) with its own
# nftables tables, one of them named and marked like vpnconf's policy.
# reconcile must not adopt it: conflict, non-zero exit, every table of the
# other tool intact. Markers of the old dev:inode form are migrated only
# with vpnconf's policy inside, and that is no drift. drift.action is
# "lockdown" throughout: not even a lockdown may be written into the
# other tool's namespace.
. "$(dirname "$0")/lib.sh"

use_example
sed -i 's/"version": 1,/"version": 1, "drift": { "action": "lockdown" },/' "$CONFIG"
contains "$(cat "$CONFIG")" '"action": "lockdown"' || fail "config: $(cat "$CONFIG")"
up
marker=$(cat "/run/vpnconf/$NS/netns-id")
[[ $marker == cookie:* ]] || fail "marker: $marker"
old_ino=$(stat -L -c %i "/run/netns/$NS")

note "the namespace is deleted behind vpnconf's back, another tool takes the name"
ip netns del "$NS"
ip netns del vpnsrv
same=no
for _ in $(seq 1 100); do
  ip netns add "$NS"
  if [ "$(stat -L -c %i "/run/netns/$NS")" = "$old_ino" ]; then same=yes; break; fi
  ip netns del "$NS"
  sleep 0.02
done
[ -e "/run/netns/$NS" ] || ip netns add "$NS"
echo "# inode of the old namespace: $old_ino; the new one: $(stat -L -c %i "/run/netns/$NS") (same: $same)"
in_ns "$NS" nft -f - <<'NFT'
table inet othertool {
  chain output { type filter hook output priority 10; policy accept; }
}
table inet vpnconf {
  comment "vpnconf:policy"
  chain output { type filter hook output priority 0; policy accept; }
}
NFT
before=$(in_ns "$NS" nft list ruleset)

capture 1 vc reconcile
contains "$OUT" "was not created by vpnconf" || fail "no conflict reported: $OUT"
contains "$OUT" "names another namespace" || fail "the reason is not given: $OUT"
after=$(in_ns "$NS" nft list ruleset)
[ "$before" = "$after" ] || fail "the other tool's tables changed: $(diff <(echo "$before") <(echo "$after"))"
contains "$(in_ns "$NS" nft list tables)" "table inet othertool" || fail "othertool's table is gone"
capture 1 vc reconcile
[ "$before" = "$(in_ns "$NS" nft list ruleset)" ] || fail "a second run changed the other tool's tables"
[ "$(vc status --json | json "d['namespaces'][0]['notOwnedReason']")" != null ] ||
  fail "status does not say why the namespace is not vpnconf's"
contains "$(vc status)" "names another namespace" || fail "status: $(vc status)"

note "down does not touch it either, and forgets vpnconf's stale marker"
capture 0 vc down "$NS"
contains "$OUT" "left untouched" || fail "down: $OUT"
[ "$before" = "$(in_ns "$NS" nft list ruleset)" ] || fail "down changed the other tool's tables"
[ -e "/run/netns/$NS" ] || fail "down deleted the other tool's namespace"
[ ! -e "/run/vpnconf/$NS/netns-id" ] || fail "the stale marker is still there"

note "a table like vpnconf's policy without a marker is no proof"
capture 1 vc reconcile
contains "$OUT" "no ownership marker" || fail "conflict reason: $OUT"
[ "$before" = "$(in_ns "$NS" nft list ruleset)" ] || fail "the other tool's tables changed"
ip netns del "$NS"

note "a marker of the old dev:inode form, with vpnconf's policy inside, is migrated"
capture 0 vc reconcile
dev_ino=$(stat -L -c '%d:%i' "/run/netns/$NS")
echo "$dev_ino" >"/run/vpnconf/$NS/netns-id"
capture 2 vc plan
contains "$OUT" "write file /run/vpnconf/$NS/netns-id" || fail "plan: $OUT"
if contains "$OUT" "drift"; then fail "a marker migration is taken for drift: $OUT"; fi
capture 0 vc reconcile
contains "$(in_ns "$NS" nft list table inet vpnconf)" 'comment "vpnconf:policy"' ||
  fail "the migration locked the namespace down"
[[ $(cat "/run/vpnconf/$NS/netns-id") == cookie:* ]] || fail "not migrated: $(cat "/run/vpnconf/$NS/netns-id")"
capture 0 vc plan

note "a marker of the old form without vpnconf's policy is no proof"
echo "$dev_ino" >"/run/vpnconf/$NS/netns-id"
in_ns "$NS" nft delete table inet vpnconf
in_ns "$NS" nft add table inet othertool
capture 1 vc reconcile
contains "$OUT" "old dev:inode form" || fail "conflict reason: $OUT"
contains "$(in_ns "$NS" nft list tables)" "table inet othertool" || fail "othertool's table is gone"
finish
