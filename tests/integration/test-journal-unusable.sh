#!/bin/bash
# An unusable journal does not stop protective actions. With the journal
# corrupt (garbage bytes), on a full file system, or on a read-only one,
# "reconcile" of a drifted namespace still repairs it (or, with
# drift.action lockdown, locks it down) and "down" still tears down: judged
# by packets and the nftables dump. The run says so on stderr and exits 5
# (1 when it locked down). A corrupt journal is moved aside, a new one
# records that.
. "$(dirname "$0")/lib.sh"

good=("tcp 192.0.2.10 80" "udp 10.64.0.1 53")
bad=("tcp 198.51.100.20 80")

# tamper: an accept rule inserted from inside opens every destination.
tamper() {
  in_ns "$NS" nft insert rule inet vpnconf output accept
  reach "$NS" yes "${bad[@]}"
}
repaired() {
  reach "$NS" yes "${good[@]}"
  reach "$NS" no "${bad[@]}"
  ! contains "$(in_ns "$NS" nft list chain inet vpnconf output)" $'\t\taccept' ||
    fail "the inserted accept rule is still there"
  expect_rc 0 vc plan >/dev/null
}
locked_down() {
  contains "$(in_ns "$NS" nft list table inet vpnconf)" 'comment "vpnconf:lockdown"' ||
    fail "not locked down: $(in_ns "$NS" nft list table inet vpnconf)"
  reach "$NS" no "${good[@]}" "${bad[@]}"
}

# state_on_tmpfs SIZE: $STATE becomes a tiny tmpfs holding a copy of the
# journal as it is now.
state_on_tmpfs() {
  local copy="$TEST_TMP/journal-copy"
  rm -rf "$copy"
  cp -a "$STATE" "$copy"
  mount -t tmpfs -o "size=$1,mode=0700" tmpfs "$STATE"
  cp -a "$copy/." "$STATE/"
}
state_off_tmpfs() { umount "$STATE"; }
# fill: no space left on $STATE.
fill() {
  dd if=/dev/zero of="$STATE/fill" bs=4k 2>/dev/null || true
  [ "$(df --output=avail -B1 "$STATE" | tail -1)" -lt 4096 ] || fail "could not fill $STATE"
}

drift_config repair
up
serve_all vpnsrv "${good[@]}" "${bad[@]}"
repaired

note "corrupt journal (garbage bytes): drift repaired, journal moved aside"
tamper
head -c 65536 /dev/urandom >"$STATE/journal.db"
rm -f "$STATE/journal.db-wal" "$STATE/journal.db-shm"
capture 5 vc reconcile
contains "$OUT" "was damaged" || fail "no message about the damaged journal"
contains "$OUT" "moved aside" || fail "the message does not say where it went"
contains "$OUT" "drift from the desired state" || fail "not handled as drift"
repaired
ls "$STATE"/journal.db.corrupt-* >/dev/null || fail "the corrupt journal was not kept"
[ "$(cmp "$STATE"/journal.db.corrupt-????????T??????Z "$STATE/journal.db" 2>&1 || true)" ] ||
  fail "the new journal is the old file"
[ "$(sqlite3 "$STATE/journal.db" "SELECT count(*) FROM txn WHERE command = 'journal-reset'")" = 1 ] ||
  fail "the reset is not recorded in the new journal"
[ "$(txn_last outcome)" = applied ] || fail "the repair was not journaled in the new journal"
capture 0 vc reconcile # the new journal works: back to normal

note "corrupt journal, drift.action lockdown: locked down"
drift_config lockdown
expect_rc 0 vc reconcile
tamper
printf 'garbage' >"$STATE/journal.db"
rm -f "$STATE/journal.db-wal" "$STATE/journal.db-shm" "$STATE"/journal.db.corrupt-*
capture 1 vc reconcile
contains "$OUT" "was damaged" || fail "no message about the damaged journal"
contains "$OUT" "LOCKED DOWN" || fail "the lockdown is not reported"
locked_down
drift_config repair
capture 0 vc reconcile
repaired

note "full disk: drift repaired unjournaled"
state_on_tmpfs 512k
fill
txns=$(sqlite3 "$STATE/journal.db" "SELECT count(*) FROM txn")
tamper
capture 5 vc reconcile
contains "$OUT" "JOURNAL UNUSABLE" || fail "no alarm about the journal"
contains "$OUT" "No space left on device" || fail "the cause is not named"
contains "$OUT" "drift from the desired state" || fail "not handled as drift"
repaired
[ "$(sqlite3 "$STATE/journal.db" "SELECT count(*) FROM txn")" = "$txns" ] ||
  note "(the journal took some records before it filled up)"

note "full disk: down tears down"
capture 5 vc down "$NS"
contains "$OUT" "JOURNAL UNUSABLE" || fail "no alarm about the journal"
[ ! -e "/run/netns/$NS" ] || fail "the namespace is still there"
host_links_are lo || eventually host_links_are lo || fail "host links left: $(links host)"
state_off_tmpfs

note "read-only state directory: drift repaired unjournaled, down tears down"
up
tamper
state_on_tmpfs 4m
mount -o remount,ro "$STATE"
capture 5 vc reconcile
contains "$OUT" "JOURNAL UNUSABLE" || fail "no alarm about the journal"
repaired
capture 5 vc down "$NS"
contains "$OUT" "JOURNAL UNUSABLE" || fail "no alarm about the journal"
[ ! -e "/run/netns/$NS" ] || fail "the namespace is still there"
state_off_tmpfs

note "full disk and no journal at all: none can be created; bring-up and down still run"
mount -t tmpfs -o size=64k,mode=0700 tmpfs "$STATE"
fill
capture 5 vc reconcile
contains "$OUT" "JOURNAL UNUSABLE" || fail "no alarm about the journal"
contains "$OUT" "cannot open it" || fail "the journal was expected to fail at open"
contains "$OUT" "ran UNJOURNALED" || fail "not reported as unjournaled"
vpn_server "$NS" wg0
repaired
capture 5 vc down "$NS"
[ ! -e "/run/netns/$NS" ] || fail "the namespace is still there"
state_off_tmpfs

note "read-only state directory, drift.action lockdown: locked down"
drift_config lockdown
up
tamper
state_on_tmpfs 4m
mount -o remount,ro "$STATE"
capture 1 vc reconcile
contains "$OUT" "JOURNAL UNUSABLE" || fail "no alarm about the journal"
locked_down
state_off_tmpfs
finish
