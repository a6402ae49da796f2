#!/bin/bash
# The agent restarts confined units into a namespace re-created under
# their namespace's name. It used to do that for whatever the name held
# after the pass, even when the pass had refused it: a symbolic link to
# /proc/1/ns/net (systemd follows it) or the host's namespace attached
# under the name by hand ("ip netns attach NAME 1") would have received
# the confined units, unconfined. Units are restarted only into a
# namespace the pass proved vpnconf's; once vpnconf's own is back, they
# are.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"

write_config '"units": { "app.service": { "namespace": "'"$NS"'" } }' <<END
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] }
END
up
# The confined service: it keeps the original namespace alive (and with it
# its nsfs inode number, which the kernel would otherwise give to the
# next namespace created).
in_ns "$NS" sleep 120 &
BG_PIDS+=($!)
start_daemon

rejoined() { grep -c "$NS: re-created; confined units restarted" "$DAEMON_LOG" || true; }
logged() { grep -qF -- "$1" "$DAEMON_LOG"; }
# swap CMD...: runs CMD while the agent is stopped, so that it sees only
# the result.
swap() {
  kill -STOP "$DAEMON_PID"
  "$@"
  kill -CONT "$DAEMON_PID"
}

note "the namespace removed and a symbolic link to the host's put in its place"
swap sh -c "ip netns delete $NS && ln -s /proc/$$/ns/net /run/netns/$NS"
wait_until 20 "the loss reported" logged "$NS: the namespace was removed behind vpnconf's back"
sleep 1
[ "$(rejoined)" = 0 ] || fail "confined units were restarted into a symbolic link to the host's namespace"

note "the host's namespace attached under the name"
swap sh -c "rm /run/netns/$NS && ip netns attach $NS $$"
wait_until 20 "the foreign namespace reported" logged "holds a namespace that is not vpnconf's"
sleep 1
[ "$(rejoined)" = 0 ] || fail "confined units were restarted into the host's namespace"

note "vpnconf's own namespace back: the units join it"
swap ip netns delete "$NS"
did_rejoin() { [ "$(rejoined)" -gt 0 ]; }
wait_until 20 "the units restarted into vpnconf's re-created namespace" did_rejoin
in_sync || fail "not in sync: $(vc plan 2>&1)"
stop_daemon
finish
