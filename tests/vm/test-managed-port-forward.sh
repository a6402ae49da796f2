#!/bin/bash
# test-managed-port-forward: a NAT-PMP lease through a real WireGuard
# tunnel. The test gateway (tests/integration/natpmp-gateway.py) listens on
# the VPN server's tunnel address 10.0.0.1 inside vpnsrv, so the agent's
# requests (from a socket inside the confinement namespace) can only reach
# it through the tunnel. A granted port is reachable from the server side
# through the tunnel and another one is not; a port change is followed;
# the gateway going silent closes the port at expiry.

# shellcheck disable=SC2016 # wait_for conditions, on purpose
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpn-fixture.sh"

command -v python3 >/dev/null || skip "python3 is not installed"
load_wireguard
fx_vpnsrv
fx_client_key
fx_desired
fx_edit '.namespaces[$ns].portForwarding = { mode: "natpmp", gateway: "10.0.0.1" }'
port_file=$FX_RUNTIME/$FX_NS/forwarded-port
ctl=$VM_TMP/gateway.json
echo '{"mode": "grant", "port": 40000, "lifetime": 4}' >"$ctl"

fx_run 0 vc reconcile
fx_wait_handshake "$FX_NS"
in_ns vpnsrv python3 "$VPNCONF_SOURCE_DIR/tests/integration/natpmp-gateway.py" \
  10.0.0.1 "$ctl" "$VM_TMP/gateway.log" &
on_exit "kill $! 2>/dev/null"
wait_for '[ -e '"$VM_TMP"'/gateway.log.ready ]' 10
for p in 40000 40001 40002; do fx_serve "$FX_NS" tcp 10.0.0.2 "$p"; done

"$VPNCONF" --config "$FX_CONFIG" daemon --periodic-interval 0 >"$VM_TMP/daemon.log" 2>&1 &
daemon=$!
on_exit "kill $daemon 2>/dev/null"

log "lease granted through the tunnel"
wait_for '[ "$(cat '"$port_file"' 2>/dev/null)" = 40000 ]' 30
can vpnsrv tcp 10.0.0.2 40000 || fail "the granted port is not reachable through the tunnel"
cannot vpnsrv tcp 10.0.0.2 40001
wait_for 'vc plan >/dev/null 2>&1' 10

log "a port change is followed, the old port closed"
echo '{"mode": "grant", "port": 40002, "lifetime": 4}' >"$ctl"
wait_for '[ "$(cat '"$port_file"' 2>/dev/null)" = 40002 ]' 10
can vpnsrv tcp 10.0.0.2 40002 || fail "the new port is not reachable"
cannot vpnsrv tcp 10.0.0.2 40000

log "the gateway silent: the port closes at expiry"
echo '{"mode": "silent", "port": 40002, "lifetime": 4}' >"$ctl"
wait_for '[ ! -e '"$port_file"' ]' 10
cannot vpnsrv tcp 10.0.0.2 40002
kill "$daemon"
wait "$daemon" || fail "the agent exited $? on SIGTERM"
log "ok"
