#!/bin/bash
# The agent repairs drift as it happens: with vpnconf daemon running, each
# tampering (policy table deleted, an accept rule inserted, a foreign table
# added, the host link deleted, a resolver file edited or deleted, the
# namespace unmounted or deleted, the host's ruleset flushed) is repaired
# without any command being run, journaled as drift by a transaction with
# trigger "watch". drift.action lockdown locks the namespace down at once;
# alert only reports. Nothing here relies on the periodic pass (it is off).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"

good=("tcp 192.0.2.10 80" "udp 10.64.0.1 53")
bad=("tcp 198.51.100.20 80")
drift_rows() { sqlite3 "$STATE/journal.db" "SELECT count(*) FROM drift WHERE action = '$1'"; }
drift_more() { [ "$(drift_rows "$1")" -gt "$2" ]; }
last_trigger() { txn_last trigger; }

drift_config repair
start_daemon --periodic-interval 0
vpn_server "$NS" wg0
serve_all vpnsrv "${good[@]}" "${bad[@]}"
wait_until 20 "in sync after the tunnel stand-in" in_sync
[ "$(notified "STATUS=1 namespace in sync")" -ge 1 ] || fail "no STATUS= line: $(cat "$NOTIFY_LOG")"

# tamper NAME CMD...: CMD changes the kernel by hand; the daemon repairs it
# and journals it as drift.
tamper() {
  local name=$1 rows
  shift
  note "drift: $name"
  rows=$(drift_rows repair)
  "$@"
  repaired "$name"
  wait_until 20 "$name: drift journaled" drift_more repair "$rows"
  # (The drift rows are written inside the transaction: wait for its end.)
  wait_until 20 "$name: repair journaled as applied" outcome_is applied
  [ "$(last_trigger)" = watch ] || fail "$name: repaired by trigger $(last_trigger), not watch"
}

tamper "policy table deleted" in_ns "$NS" nft delete table inet vpnconf
tamper "accept rule inserted" in_ns "$NS" nft insert rule inet vpnconf output accept
reach "$NS" no "${bad[@]}"
tamper "foreign table added" in_ns "$NS" nft add table ip sneaky
tamper "host link deleted" ip link del "$HOST_IF"
tamper "resolv.conf edited" sh -c "echo nameserver 203.0.113.1 >>/run/vpnconf/$NS/resolv.conf"
tamper "nsswitch.conf deleted" rm "/run/vpnconf/$NS/nsswitch.conf"
grep -qx "nameserver 10.64.0.1" "/run/vpnconf/$NS/resolv.conf" || fail "resolv.conf not restored"
if grep -q 203.0.113.1 "/run/vpnconf/$NS/resolv.conf"; then fail "resolv.conf still edited"; fi

# The old namespace dies once nobody holds it (the daemon must not: its
# watch sockets inside would keep it, and its interfaces, alive); then the
# tunnel stand-in's peer end goes with it.
old_ns_gone() { ! ip -n vpnsrv link show "srv-${NS:0:10}" >/dev/null 2>&1; }

note "namespace unmounted behind vpnconf's back"
umount "/run/netns/$NS"
wait_until 20 "namespace re-created" mountpoint -q "/run/netns/$NS"
lost_reported() { grep -q "$NS: the namespace was removed behind vpnconf's back" "$DAEMON_LOG"; }
wait_until 20 "the lost namespace reported" lost_reported
wait_until 20 "the old namespace destroyed" old_ns_gone
vpn_server "$NS" wg0
wait_until 20 "in sync" in_sync
note "namespace deleted (ip netns delete)"
# (ip may fail to unlink: the daemon can see the unmount and repair
# before ip gets to it.)
ip netns delete "$NS" 2>/dev/null || true
wait_until 20 "namespace re-created" mountpoint -q "/run/netns/$NS"
wait_until 20 "the old namespace destroyed" old_ns_gone
vpn_server "$NS" wg0
wait_until 20 "in sync" in_sync
reach "$NS" yes "${good[@]}"
reach "$NS" no "${bad[@]}"

note "the host's firewall reload (nft flush ruleset in the host namespace)"
host_tables() { nft list tables | grep vpnconf || true; }
host_tables_are() { [ "$(host_tables)" = "$1" ]; }
before=$(host_tables)
nft add table inet hostfw
nft flush ruleset
wait_until 20 "vpnconf's host tables restored" host_tables_are "$before"
wait_until 20 "in sync" in_sync
daemon_alive || fail "the daemon died"

# reload FILE-WRITER...: SIGHUP, then wait for READY=1.
reload() {
  local ready
  ready=$(notified READY=1)
  kill -HUP "$DAEMON_PID"
  wait_until 30 "READY=1 after the reload" notified_more READY=1 "$ready"
}

note "drift.action lockdown: locked down at once"
drift_config lockdown
reload
[ "$(notified RELOADING=1)" -ge 1 ] || fail "no RELOADING=1"
wait_until 20 "in sync" in_sync
in_ns "$NS" nft insert rule inet vpnconf output accept
locked() { in_ns "$NS" nft list table inet vpnconf | grep -qF 'comment "vpnconf:lockdown"'; }
wait_until 20 "lockdown" locked
wait_until 20 "lockdown journaled" outcome_is lockdown
[ "$(last_trigger)" = watch ] || fail "lockdown by trigger $(last_trigger)"
reach "$NS" no "${good[@]}"
# The daemon keeps it locked down: removing the lockdown table restores it.
in_ns "$NS" nft delete table inet vpnconf
wait_until 20 "lockdown table restored" locked
expect_rc 0 vc reconcile --unlock >/dev/null
wait_until 20 "in sync" in_sync
reach "$NS" yes "${good[@]}"

note "drift.action alert: reported, not repaired"
drift_config alert
reload
wait_until 20 "in sync" in_sync
rows=$(drift_rows alert)
in_ns "$NS" nft insert rule inet vpnconf output accept
wait_until 20 "alert journaled" drift_more alert "$rows"
wait_until 20 "the alert transaction finished" outcome_is drift
if in_sync; then fail "alert: the drift was repaired"; fi
daemon_alive || fail "the daemon died"

stop_daemon
finish
