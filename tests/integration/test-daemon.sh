#!/bin/bash
# The agent's life cycle: READY=1, STATUS= and the watchdog through the
# notification socket; SIGHUP with a valid file (applied, trigger reload)
# and with an invalid one (rejected and journaled, the last good state
# still enforced); vpnconf reconcile and down while the daemon runs (one
# reconcile at a time; a namespace taken down that is still desired comes
# back); SIGTERM leaves every namespace in place.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"

config() {
  write_config <<EOF
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["$1"] },
      "egress": { "mode": "allowAllTunnel" }
EOF
}

config 10.64.0.1
export WATCHDOG_USEC=200000
start_daemon --periodic-interval 0
unset WATCHDOG_USEC
[ "$(txn_last trigger)" = daemon ] || fail "first reconcile has trigger $(txn_last trigger)"
wait_until 20 "STATUS=" notified_at_least "STATUS=1 namespace in sync" 1
wait_until 20 "WATCHDOG=1 keep-alives" notified_at_least WATCHDOG=1 2
wait_until 20 "in sync" in_sync
ino=$(stat -L -c %i "/run/netns/$NS")

note "SIGHUP with a valid file: applied at once"
config 10.64.0.53
ready=$(notified READY=1)
kill -HUP "$DAEMON_PID"
wait_until 30 "READY=1 after the reload" notified_more READY=1 "$ready"
grep -qx "nameserver 10.64.0.53" "/run/vpnconf/$NS/resolv.conf" || fail "reload not applied"
[ "$(txn_last trigger)" = reload ] || fail "reload has trigger $(txn_last trigger)"
grep -qx RELOADING=1 "$NOTIFY_LOG" || fail "no RELOADING=1"

note "SIGHUP with an invalid file: rejected, the last good state enforced"
good_config=$(cat "$CONFIG")
echo '{ "version": 1, "namespaces": { "bad name!": {} } }' >"$CONFIG"
ready=$(notified READY=1)
kill -HUP "$DAEMON_PID"
wait_until 30 "READY=1 after the rejected reload" notified_more READY=1 "$ready"
daemon_alive || fail "the daemon exited on an invalid file"
[ "$(txn_last outcome)" = rejected ] || fail "the rejection is not journaled: $(txn_last outcome)"
grep -q "rejected" "$DAEMON_LOG" || fail "no rejection message"
# Still enforcing the last good state.
echo "nameserver 203.0.113.1" >"/run/vpnconf/$NS/resolv.conf"
printf '%s\n' "$good_config" >"$CONFIG"
wait_until 20 "drift repaired under the last good state" grep -qx "nameserver 10.64.0.53" \
  "/run/vpnconf/$NS/resolv.conf"

note "vpnconf reconcile while the daemon runs"
for i in 1 2 3; do expect_rc 0 vc reconcile >/dev/null; done
in_ns "$NS" nft delete table inet vpnconf
expect_rc 0 vc reconcile --lock-timeout 10000 >/dev/null
wait_until 20 "in sync" in_sync

note "the lock held by someone else: the agent retries, then repairs"
flock /run/vpnconf/.lock sleep 1.5 &
holder=$!
lock_held() { ! flock -n /run/vpnconf/.lock true; }
wait_until 20 "the lock taken" lock_held
in_ns "$NS" nft delete table inet vpnconf
wait "$holder"
released=$EPOCHREALTIME
wait_until 20 "repaired once the lock was free" in_sync
daemon_alive || fail "the daemon gave up on a busy lock"
started=$(sqlite3 "$STATE/journal.db" "SELECT started_usec FROM txn ORDER BY started_usec DESC LIMIT 1")
[ "$started" -ge "$(awk -v t="$released" 'BEGIN { printf "%d", (t - 0.05) * 1000000 }')" ] ||
  fail "the repair started while the lock was held"

note "vpnconf down while the daemon runs: still desired, so it comes back"
expect_rc 0 vc down "$NS" >/dev/null
wait_until 20 "namespace re-created by the daemon" mountpoint -q "/run/netns/$NS"
wait_until 20 "in sync" in_sync
[ "$(txn_last command)" = reconcile ] || fail "not re-created by a reconcile: $(txn_last command)"
if grep -q "removed behind vpnconf's back" "$DAEMON_LOG"; then
  fail "vpnconf down reported as a namespace removed behind vpnconf's back"
fi
ino=$(stat -L -c %i "/run/netns/$NS")

note "SIGTERM: exit 0, every namespace in place"
snapshot "$TEST_TMP/before"
stop_daemon
grep -qx STOPPING=1 "$NOTIFY_LOG" || fail "no STOPPING=1"
snapshot "$TEST_TMP/after"
same_snapshot "$TEST_TMP/before" "$TEST_TMP/after" "SIGTERM"
[ "$(stat -L -c %i "/run/netns/$NS")" = "$ino" ] || fail "the namespace was replaced"
expect_rc 0 vc plan >/dev/null

note "SIGINT too; --metrics-file kept up to date"
METRICS="$TEST_TMP/textfile/vpnconf.prom"
mkdir -p "$(dirname "$METRICS")"
start_daemon --periodic-interval 0 --metrics-file "$METRICS"
metrics_say() { grep -qxF -- "$1" "$METRICS" 2>/dev/null; }
wait_until 20 "the metrics file" metrics_say "vpnconf_namespace_in_sync{namespace=\"$NS\"} 1"
in_ns "$NS" nft insert rule inet vpnconf output accept
wait_until 20 "in sync" in_sync
wait_until 20 "the drift counted in the metrics file" metrics_say \
  "vpnconf_drift_events_total{namespace=\"$NS\"} $(sqlite3 "$STATE/journal.db" "SELECT count(*) FROM drift")"
[ -z "$(find "$(dirname "$METRICS")" -name '.*')" ] || fail "a temporary metrics file was left"
kill -INT "$DAEMON_PID"
wait "$DAEMON_PID" || fail "the daemon exited $? on SIGINT"
[ "$(stat -L -c %i "/run/netns/$NS")" = "$ino" ] || fail "the namespace was replaced"

note "the periodic check: a sysctl changed (no event) is repaired"
start_daemon --periodic-interval 1
wait_until 20 "in sync" in_sync
before=$(txn_count)
# (default: it changes no interface, so no event at all.)
in_ns "$NS" sysctl -qw net.ipv6.conf.default.disable_ipv6=0
wait_until 20 "the sysctl repaired by the periodic check" in_sync
wait_until 20 "the periodic repair journaled" outcome_is applied
[ "$(txn_last trigger)" = periodic ] || fail "repaired by trigger $(txn_last trigger)"
# Nothing changed: the periodic checks make no transaction.
sleep 2.5
after=$(txn_count)
[ "$((after - before))" = 1 ] || fail "$((after - before)) transactions for one repair"
stop_daemon

note "an invalid file at start: exit 3, nothing changed"
echo '{' >"$CONFIG"
expect_rc 3 "$VPNCONF" --config "$CONFIG" --state-dir "$STATE" daemon
finish
