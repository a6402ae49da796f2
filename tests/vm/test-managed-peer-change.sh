#!/bin/bash
# test-managed-peer-change: changing a live peer (its allowed IPs and its
# persistent keepalive) in the desired state reconciles in place, the way
# "wg syncconf" does: the peer is updated, never removed and re-added, so
# its session survives.  Checked three ways: the latest-handshake time does
# not change on either side, the byte counters only grow (a re-added peer
# starts from zero), and traffic flows right after the reconcile.  The plan
# and the journal show a configure of the tunnel (plus the route changes
# the new allowed IPs call for), never a delete or create.  The control at
# the end shows that a peer really re-created fails these checks.

# shellcheck disable=SC2016 # jq filters and wait_for conditions, on purpose
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpn-fixture.sh"

load_wireguard
fx_vpnsrv
fx_client_key
fx_desired
fx_run 0 vc reconcile
fx_wait_handshake "$FX_NS"
fx_serve vpnsrv udp 10.64.0.1 53 --reply
fx_serve vpnsrv tcp 192.0.2.10 80
can "$FX_NS" udp 10.64.0.1 53 || fail "no DNS through the tunnel"

# change FILTER KEEPALIVE ALLOWED_IPS: apply FILTER, reconcile, and check
# that the session was kept and the kernel has what was asked for.
change() {
  local filter=$1 keepalive=$2 allowed=$3 hs_c hs_s rx0 tx0 rx tx txn

  hs_c=$(fx_handshake "$FX_NS")
  hs_s=$(fx_handshake vpnsrv wgsrv)
  read -r rx0 tx0 < <(fx_transfer "$FX_NS")
  fx_edit "$filter"
  fx_run 2 vc plan --json
  jq -e '[.namespaces[0].steps[].kind] | (index("tunnel-configure") != null)
    and all(. == "tunnel-configure" or . == "route-add" or . == "route-del")' \
    "$FX_OUT" >/dev/null || fail "unexpected plan for a peer change: $(<"$FX_OUT")"
  fx_run 0 vc reconcile --json
  txn=$(jq -r '.namespaces[0].transaction' "$FX_OUT")
  fx_run 0 vc show --json "$txn"
  jq -e '[.stepList[].action] | index("configure") != null
    and all(. == "configure" or . == "add" or . == "delete")' "$FX_OUT" >/dev/null ||
    fail "unexpected journal for a peer change: $(<"$FX_OUT")"
  jq -e '[.stepList[] | select(.action == "delete") | .object] | all(startswith("route "))' \
    "$FX_OUT" >/dev/null || fail "the journal deletes more than routes: $(<"$FX_OUT")"
  fx_run 0 vc plan

  [[ $(in_ns "$FX_NS" wg show "$FX_IF" persistent-keepalive | awk '{ print $2 }') == \
    "$keepalive" ]] || fail "persistent keepalive is not $keepalive"
  [[ $(in_ns "$FX_NS" wg show "$FX_IF" allowed-ips | cut -f2 | tr " " "\n" | sort | xargs) == \
    "$allowed" ]] ||
    fail "allowed IPs are not $allowed: $(in_ns "$FX_NS" wg show "$FX_IF" allowed-ips)"
  can "$FX_NS" udp 10.64.0.1 53 || fail "no DNS through the tunnel after the change"
  can "$FX_NS" tcp 192.0.2.10 80 || fail "no TCP through the tunnel after the change"
  [[ $(fx_handshake "$FX_NS") == "$hs_c" ]] ||
    fail "the client made a new handshake ($hs_c -> $(fx_handshake "$FX_NS"))"
  [[ $(fx_handshake vpnsrv wgsrv) == "$hs_s" ]] ||
    fail "the server saw a new handshake ($hs_s -> $(fx_handshake vpnsrv wgsrv))"
  read -r rx tx < <(fx_transfer "$FX_NS")
  ((rx > rx0 && tx > tx0)) ||
    fail "byte counters went from $rx0/$tx0 to $rx/$tx: the peer was re-created"
}

# A new handshake would carry a later time stamp only if a second passed.
sleep 1.1
log "add 192.0.2.0/24 alongside 0.0.0.0/0, keepalive 25 -> 15"
change '.namespaces[$ns].wireguard.peers[0] += {
  allowedIPs: ["0.0.0.0/0", "192.0.2.0/24"], persistentKeepalive: 15 }' \
  15 "0.0.0.0/0 192.0.2.0/24"
matches "dev $FX_IF proto 158" ip -n "$FX_NS" route show 192.0.2.0/24 ||
  fail "no route for the new allowed IP"

sleep 1.1
log "switch to a list without the default route, keepalive off"
change '.namespaces[$ns].wireguard.peers[0] += {
  allowedIPs: ["10.64.0.0/16", "192.0.2.0/24"], persistentKeepalive: 0 }' \
  off "10.64.0.0/16 192.0.2.0/24"
if matches . ip -n "$FX_NS" route show default; then
  fail "the default route is still there"
fi

# The control: a peer that really is re-created (removed by hand, re-added
# by reconcile) makes a new handshake and restarts its counters, which the
# checks above would have caught.
sleep 1.1
log "control: a re-created peer"
hs=$(fx_handshake "$FX_NS")
in_ns "$FX_NS" wg set "$FX_IF" peer "$FX_SRV_PUB" remove
fx_run 2 vc plan
grep -q "missing, added" "$FX_OUT" || fail "plan does not re-add the removed peer"
fx_run 0 vc reconcile
can "$FX_NS" udp 10.64.0.1 53 || fail "no DNS through the tunnel after re-adding the peer"
fx_wait_handshake "$FX_NS"
(($(fx_handshake "$FX_NS") > hs)) || fail "a re-created peer kept the old handshake time"
