#!/bin/bash
# test-managed-relink: the managed tunnel deleted by hand (ip link del) is
# drift that plan shows and reconcile repairs.  While the link is gone the
# namespace has no way out (its routes went with the link; the policy
# drops anything else); reconcile re-creates the link (its UDP socket in
# the birthplace, the device inside the namespace) and configures it, the
# handshake recovers and traffic flows.
# The same holds for a link left down by hand.

# shellcheck disable=SC2016 # jq filters and wait_for conditions, on purpose
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpn-fixture.sh"

load_wireguard
fx_vpnsrv
fx_client_key
fx_desired
fx_edit '.namespaces[$ns].publishToHost.tcp = [8080]'
fx_run 0 vc reconcile
fx_wait_handshake "$FX_NS"
fx_serve vpnsrv udp 10.64.0.1 53 --reply
fx_serve vpnsrv tcp 192.0.2.10 80
can "$FX_NS" udp 10.64.0.1 53 || fail "no DNS through the tunnel"
port=$(in_ns "$FX_NS" wg show "$FX_IF" listen-port)

log "the tunnel link deleted by hand"
ip -n "$FX_NS" link del "$FX_IF"
if matches "proto 158" ip -n "$FX_NS" route show; then
  fail "vpnconf's routes outlived the link"
fi
cannot "$FX_NS" udp 10.64.0.1 53 tcp 192.0.2.10 80 udp 10.99.0.2 51820
fx_run 2 vc plan
grep -q "create link $FX_IF" "$FX_OUT" || fail "plan does not re-create the link"
grep -q "add route 0.0.0.0/0" "$FX_OUT" || fail "plan does not restore the route"
fx_run 0 vc reconcile
fx_run 0 vc plan
if matches . ip -o link show type wireguard; then
  fail "a WireGuard link exists in the initial namespace"
fi
can "$FX_NS" udp 10.64.0.1 53 || fail "no DNS after the link was re-created"
can "$FX_NS" tcp 192.0.2.10 80 || fail "no TCP after the link was re-created"
fx_wait_handshake "$FX_NS"
# A new device: a new random port, and the server has roamed to it.
port2=$(in_ns "$FX_NS" wg show "$FX_IF" listen-port)
matches "10\.99\.0\.1:$port2\$" in_ns vpnsrv wg show wgsrv endpoints ||
  fail "the server does not talk to the new socket (port $port, now $port2)"

log "the tunnel link set down by hand"
ip -n "$FX_NS" link set "$FX_IF" down
cannot "$FX_NS" udp 10.64.0.1 53
fx_run 2 vc plan
grep -q "up link $FX_IF" "$FX_OUT" || fail "plan does not bring the link up"
fx_run 0 vc reconcile
fx_run 0 vc plan
can "$FX_NS" udp 10.64.0.1 53 || fail "no DNS after the link was brought up"
