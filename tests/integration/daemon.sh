# Sourced by the agent's tests (test-daemon-*.sh) after lib.sh: running
# vpnconf daemon in the background with a notification socket, and
# waiting for what it does with bounded polls.

NOTIFY_LOG="$TEST_TMP/notify.log"
DAEMON_LOG="$TEST_TMP/daemon.log"
DAEMON_PID=

# notify_listener: an AF_UNIX datagram socket standing in for systemd's
# notification socket; every message is appended to $NOTIFY_LOG, its
# assignments one per line, followed by a "--" line.
notify_listener() {
  local sock="$TEST_TMP/notify.sock"
  "$PYTHON3" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[2] + ".ready", "w").close()
while True:
    m = s.recv(4096).decode()
    with open(sys.argv[2], "a") as f:
        f.write(m.rstrip("\n") + "\n--\n")
' "$sock" "$NOTIFY_LOG" &
  BG_PIDS+=($!)
  wait_file "$NOTIFY_LOG.ready"
  export NOTIFY_SOCKET="$sock"
}

# start_daemon [ARGS...]: vpnconf daemon in the background; returns once
# it said READY=1.
start_daemon() {
  local ready_before
  [ -n "${NOTIFY_SOCKET:-}" ] || notify_listener
  ready_before=$(notified READY=1)
  "$VPNCONF" --config "$CONFIG" --state-dir "$STATE" daemon "$@" >>"$DAEMON_LOG" 2>&1 &
  DAEMON_PID=$!
  BG_PIDS+=($DAEMON_PID)
  wait_until 30 "READY=1 from the daemon" notified_more READY=1 "$ready_before"
}

# notified LINE: how many notifications carried LINE.
notified() {
  if [ -e "$NOTIFY_LOG" ]; then grep -cxF -- "$1" "$NOTIFY_LOG" || true; else echo 0; fi
}
notified_more() { [ "$(notified "$1")" -gt "$2" ]; }
notified_at_least() { [ "$(notified "$1")" -ge "$2" ]; }

# outcome_is OUTCOME: the newest transaction ended so.
outcome_is() { [ "$(txn_last outcome)" = "$1" ]; }

# stop_daemon: SIGTERM; the daemon must exit 0.
stop_daemon() {
  local rc=0
  kill -TERM "$DAEMON_PID"
  wait "$DAEMON_PID" || rc=$?
  [ "$rc" = 0 ] || fail "the daemon exited $rc on SIGTERM (log: $(cat "$DAEMON_LOG"))"
  DAEMON_PID=
}

# wait_until SECONDS WHAT CMD...: polls CMD every 10 ms until it succeeds;
# fails the test naming WHAT after SECONDS. (CMD's arguments are expanded
# once: poll a function, not "test $(...)".)
wait_until() {
  local secs=$1 what=$2 i
  shift 2
  for ((i = 0; i < secs * 100; i++)); do
    "$@" && return 0
    sleep 0.01
  done
  "$@" || fail "timed out after ${secs}s waiting for $what (daemon log: $(tail -20 "$DAEMON_LOG"))"
}

# in_sync: vpnconf plan finds nothing to do.
in_sync() { vc plan >/dev/null 2>&1; }

# repaired WHAT: waits until the daemon has repaired (plan in sync).
repaired() { wait_until 20 "$1 repaired" in_sync; }

# daemon_alive: the daemon still runs.
daemon_alive() { kill -0 "$DAEMON_PID" 2>/dev/null; }

# rss_kib PID: resident set size.
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
