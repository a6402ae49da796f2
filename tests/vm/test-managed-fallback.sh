#!/bin/bash
# test-managed-fallback: a peer with a fallback endpoint (peers[].endpoints)
# and drift.handshakeTimeoutSeconds. Its first endpoint is dead (an address
# in a test namespace where nothing listens); its second is the VPN server.
# With endpoint pinning on, the pin table admits both. The tunnel comes up
# on endpoint 1 and gets no handshake; status says it is trying. Before the
# timeout, reconcile leaves it alone (the endpoint gets a full timeout);
# after it, plan names the move and reconcile sets endpoint 2, the
# handshake recovers through it and traffic flows, with the namespace's
# only route still the tunnel. The kernel's endpoint being one of the list,
# the next run is in sync; status and the metrics show endpoint 2/2.

# shellcheck disable=SC2016 # jq filters and wait_for conditions, on purpose
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpn-fixture.sh"

TIMEOUT=20
load_wireguard
fx_vpnsrv
fx_client_key
fx_desired
fx_fallback_peer "$TIMEOUT"

log "bring-up on the dead endpoint"
fx_run 0 vc reconcile
start=$(_vm_now_ms)
table=$(nft list table inet "vpnconf-pin-$FX_NS")
for ep in "10.97.0.2 udp dport 51820" "10.99.0.2 udp dport 51820"; do
  grep -qF "ip daddr $ep accept" <<<"$table" || fail "the pin table does not admit $ep:"$'\n'"$table"
done
matches "10\.97\.0\.2:51820\$" in_ns "$FX_NS" wg show "$FX_IF" endpoints ||
  fail "the tunnel does not start on endpoint 1"
fx_serve vpnsrv udp 10.64.0.1 53 --reply
cannot "$FX_NS" udp 10.64.0.1 53
[[ $(fx_handshake "$FX_NS") == 0 ]] || fail "a handshake through a dead endpoint"
fx_run 0 vc status --json
jq -e '.namespaces[0].tunnel.peers[0].health | .state == "trying" and .endpoint == 1
  and .endpoints == 2' "$FX_OUT" >/dev/null ||
  fail "status does not show the peer trying endpoint 1/2: $(jq -c '.namespaces[0].tunnel.peers' "$FX_OUT")"

log "within the timeout, endpoint 1 keeps its chance"
if (($(_vm_now_ms) - start < (TIMEOUT - 5) * 1000)); then
  fx_run 0 vc plan
fi

log "after the timeout, endpoint 2"
wait_for "(( \$(_vm_now_ms) - $start > ($TIMEOUT + 1) * 1000 ))" $((TIMEOUT + 5))
fx_run 2 vc plan
grep -qF "on endpoint 1/2 (10.97.0.2:51820); trying endpoint 2/2 (10.99.0.2:51820)" "$FX_OUT" ||
  fail "plan does not name the move to endpoint 2: $(<"$FX_OUT")"
fx_run 0 vc reconcile
matches "10\.99\.0\.2:51820\$" in_ns "$FX_NS" wg show "$FX_IF" endpoints ||
  fail "reconcile did not move the peer to endpoint 2"
can "$FX_NS" udp 10.64.0.1 53 10000 || fail "no DNS through endpoint 2"
fx_wait_handshake "$FX_NS"
recovered=$(_vm_now_ms)
[[ $(ip -n "$FX_NS" -4 route show default) == *"dev $FX_IF"* ]] ||
  fail "the namespace's default route is not the tunnel: $(ip -n "$FX_NS" route)"

log "the kernel's endpoint 2 is no drift"
fx_run 0 vc plan
fx_run 0 vc status
grep -qE "peer .*endpoint 10\.99\.0\.2:51820.*; ok$" "$FX_OUT" || fail "status: $(<"$FX_OUT")"
fx_run 0 vc status --format prometheus
grep -qE '^vpnconf_peer_endpoint_index\{namespace="vpnapps",interface="wg0",public_key="[^"]+"\} 2$' "$FX_OUT" ||
  fail "metrics lack endpoint index 2: $(<"$FX_OUT")"
grep -qE '^vpnconf_peer_healthy\{[^}]+\} 1$' "$FX_OUT" || fail "metrics: the peer is not healthy"
(($(_vm_now_ms) - recovered < TIMEOUT * 1000)) ||
  log "(the checks above took longer than the timeout; they ran on a stale peer)"
fx_run 0 vc down "$FX_NS"
