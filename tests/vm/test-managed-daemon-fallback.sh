#!/bin/bash
# test-managed-daemon-fallback: the agent watches tunnel health on its own.
# A peer's first endpoint is dead, its fallback (peers[].endpoints) is the
# VPN server, drift.handshakeTimeoutSeconds is short. With vpnconf daemon
# running and its periodic pass off, nobody runs a command: the agent
# looks at the tunnel again when its health can change, finds the peer
# stale after the timeout, moves it to endpoint 2 and the handshake
# recovers there; the transitions are reported.

# shellcheck disable=SC2016 # jq filters and wait_for conditions, on purpose
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpn-fixture.sh"

TIMEOUT=15
load_wireguard
fx_vpnsrv
fx_client_key
fx_desired
fx_fallback_peer "$TIMEOUT"

log "the agent brings the tunnel up on the dead endpoint"
# Not through vc (a shell function): $! must be the agent itself.
"$VPNCONF" --config "$FX_CONFIG" daemon --periodic-interval 0 >"$VM_TMP/daemon.log" 2>&1 &
daemon=$!
on_exit "kill $daemon 2>/dev/null"
wait_for 'matches "10\.97\.0\.2:51820\$" in_ns '"$FX_NS"' wg show '"$FX_IF"' endpoints' 30
fx_serve vpnsrv udp 10.64.0.1 53 --reply

log "after the timeout, the agent moves the peer to endpoint 2 by itself"
wait_for 'matches "10\.99\.0\.2:51820\$" in_ns '"$FX_NS"' wg show '"$FX_IF"' endpoints' $((TIMEOUT + 30))
fx_wait_handshake "$FX_NS"
can "$FX_NS" udp 10.64.0.1 53 10000 || fail "no DNS through endpoint 2"
grep -q "stale" "$VM_TMP/daemon.log" || fail "the stale peer was not reported: $(<"$VM_TMP/daemon.log")"
grep -q "trying endpoint 2/2" "$VM_TMP/daemon.log" ||
  fail "the fallback was not reported: $(<"$VM_TMP/daemon.log")"
nft list table inet "vpnconf-pin-$FX_NS" >/dev/null || fail "the pinning table is gone"
fx_run 0 vc plan
kill -TERM "$daemon"
wait "$daemon" || fail "the daemon exited $? on SIGTERM"
log "ok"
