#!/bin/bash
# test-managed-daemon: the agent with a real managed tunnel and endpoint
# pinning.  With "vpnconf daemon" running: the host's firewall reload
# ("nft flush ruleset" in the initial namespace) removes the pinning table
# and the agent puts it back at once; the tunnel deleted inside the
# namespace is re-created and handshakes again; a peer's endpoint changed
# by hand (no kernel event exists for that) is restored by the periodic
# pass, here every 2 s; SIGTERM leaves the tunnel and the pinning in place.

# shellcheck disable=SC2016 # wait_for conditions, on purpose
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpn-fixture.sh"

load_wireguard
fx_vpnsrv
fx_client_key
fx_desired
fx_edit '.namespaces[$ns].wireguard.endpointPinning = { enable: true }'
pin_table=vpnconf-pin-$FX_NS

# Not through vc (a shell function): $! must be the agent itself.
"$VPNCONF" --config "$FX_CONFIG" daemon --periodic-interval 2 >"$VM_TMP/daemon.log" 2>&1 &
daemon=$!
on_exit "kill $daemon 2>/dev/null"
wait_for 'vc plan >/dev/null 2>&1' 30
fx_wait_handshake "$FX_NS"
fx_serve vpnsrv udp 10.64.0.1 53 --reply
can "$FX_NS" udp 10.64.0.1 53 || fail "no DNS through the tunnel"

log "the host's firewall reload removes the pinning table: restored at once"
nft flush ruleset
wait_for 'nft list table inet '"$pin_table"' >/dev/null 2>&1' 5
wait_for 'vc plan >/dev/null 2>&1' 10
can "$FX_NS" udp 10.64.0.1 53 || fail "no DNS after the pinning table came back"

log "the tunnel deleted inside the namespace: re-created"
ip -n "$FX_NS" link del "$FX_IF"
wait_for 'ip -n '"$FX_NS"' link show '"$FX_IF"' >/dev/null 2>&1' 5
wait_for 'vc plan >/dev/null 2>&1' 10
fx_wait_handshake "$FX_NS"
can "$FX_NS" udp 10.64.0.1 53 || fail "no DNS through the re-created tunnel"

log "the endpoint changed by hand: restored by the periodic pass"
in_ns "$FX_NS" wg set "$FX_IF" peer "$FX_SRV_PUB" endpoint 10.98.0.2:51820
wait_for 'matches "10\.99\.0\.2:51820\$" in_ns '"$FX_NS"' wg show '"$FX_IF"' endpoints' 10
nft list table inet "$pin_table" >/dev/null || fail "the pinning table is gone"
can "$FX_NS" udp 10.64.0.1 53 || fail "no DNS after the endpoint was restored"
grep -q '"trigger": *"periodic"\|periodic' < <(vc history --json --limit 0) ||
  fail "no periodic pass journaled"

log "SIGTERM leaves everything in place"
kill -TERM "$daemon"
wait "$daemon" || fail "the daemon exited $? on SIGTERM"
nft list table inet "$pin_table" >/dev/null || fail "the pinning table went with the daemon"
ip -n "$FX_NS" link show "$FX_IF" >/dev/null || fail "the tunnel went with the daemon"
fx_run 0 vc plan
log "ok"
