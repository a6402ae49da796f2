#!/bin/bash
# test-managed-bringup: vpnconf brings up a managed WireGuard tunnel against
# the fixture's VPN server (vpn-fixture.sh) and the namespace can use it:
# the handshake completes, ICMP, UDP and TCP reach the server's tunnel
# address, TCP reaches an address behind the server, and the configured
# resolver answers over UDP and TCP port 53, all through the tunnel, whose
# UDP socket lives in the initial namespace.  Afterwards plan is in sync,
# and status (text and JSON) shows the tunnel's public key, listen port,
# the peer's endpoint, handshake age and byte counts.  The peer has a
# preshared key (the handshake proves it is set).  Neither the private nor
# the preshared key appears in any output, in any file under the runtime
# directory or anywhere in the journal database.

# shellcheck disable=SC2016 # jq filters and wait_for conditions, on purpose
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpn-fixture.sh"

load_wireguard
fx_vpnsrv
fx_client_key
FX_PSK=$VM_TMP/client.psk
(umask 077 && wg genpsk >"$FX_PSK")
in_ns vpnsrv wg set wgsrv peer "$FX_CLIENT_PUB" preshared-key "$FX_PSK"
fx_desired
fx_edit '.namespaces[$ns].wireguard.peers[0].presharedKeyFile = $psk' --arg psk "$FX_PSK"
outputs=()
keep_output() {
  cp "$FX_OUT" "$VM_TMP/out.$1"
  cp "$FX_ERR" "$VM_TMP/err.$1"
  outputs+=("$VM_TMP/out.$1" "$VM_TMP/err.$1")
}

log "check, plan, reconcile"
fx_run 0 vc check
fx_run 2 vc plan
grep -q "create link $FX_IF (wireguard, UDP socket in init)" "$FX_OUT" ||
  fail "plan does not create the tunnel"
keep_output plan
fx_run 0 vc reconcile
grep -q "^$FX_NS: applied" "$FX_OUT" || fail "reconcile did not apply"
keep_output reconcile
fx_run 0 vc plan
grep -qx "$FX_NS: in sync" "$FX_OUT" || fail "plan is not in sync after reconcile"

log "the tunnel"
matches "state UNKNOWN|,UP" ip -n "$FX_NS" -o link show "$FX_IF" ||
  fail "$FX_IF is not up in $FX_NS"
if ip link show "$FX_IF" >/dev/null 2>&1; then
  fail "$FX_IF exists in the initial namespace"
fi
if matches . ip -o link show type wireguard; then
  fail "a WireGuard link exists in the initial namespace"
fi
matches "^default dev $FX_IF proto 158" ip -n "$FX_NS" route show default ||
  fail "no default route through $FX_IF with protocol 158"
fx_wait_handshake "$FX_NS"
fx_wait_handshake vpnsrv wgsrv
port=$(in_ns "$FX_NS" wg show "$FX_IF" listen-port)
((port > 0)) || fail "no listen port"
# The server sees the tunnel's packets coming from the underlay address of
# the initial namespace, where the UDP socket was born.
matches "10\.99\.0\.1:$port\$" in_ns vpnsrv wg show wgsrv endpoints ||
  fail "the server does not see the client at 10.99.0.1:$port"
matches . ss -Huan "sport = :$port" ||
  fail "no UDP socket on port $port in the initial namespace"
if matches . in_ns "$FX_NS" ss -Huan "sport = :$port"; then
  fail "the tunnel's UDP socket is inside $FX_NS"
fi

log "traffic through the tunnel"
vm_ping "$FX_NS" 10.0.0.1 3 || fail "no ping through the tunnel"
fx_serve vpnsrv udp 10.0.0.1 7 --reply
fx_serve vpnsrv tcp 10.0.0.1 7
fx_serve vpnsrv tcp 192.0.2.10 80
can "$FX_NS" udp 10.0.0.1 7 || fail "no UDP answer from the server's tunnel address"
can "$FX_NS" tcp 10.0.0.1 7 || fail "no TCP answer from the server's tunnel address"
can "$FX_NS" tcp 192.0.2.10 80 || fail "no TCP through the tunnel to 192.0.2.10"

log "DNS through the tunnel"
grep -qx "nameserver 10.64.0.1" "$FX_RUNTIME/$FX_NS/resolv.conf" ||
  fail "resolv.conf does not name the resolver"
fx_serve vpnsrv udp 10.64.0.1 53 --reply
fx_serve vpnsrv tcp 10.64.0.1 53
can "$FX_NS" udp 10.64.0.1 53 || fail "the resolver does not answer over UDP"
can "$FX_NS" tcp 10.64.0.1 53 || fail "the resolver does not answer over TCP"
[[ $(fx_count vpnsrv udp 10.64.0.1 53) == 1 &&
  $(fx_count vpnsrv tcp 10.64.0.1 53) == 1 ]] ||
  fail "the resolver did not see exactly one query per protocol"

log "status"
fx_run 0 vc status --json
keep_output status-json
jq -e --arg pub "$FX_CLIENT_PUB" --arg srv "$FX_SRV_PUB" --argjson port "$port" '
  .namespaces[0] as $n
  | $n.inSync == true and $n.policy == "policy"
  and $n.tunnel.present and $n.tunnel.up and $n.tunnel.managed
  and $n.tunnel.publicKey == $pub and $n.tunnel.listenPort == $port
  and ($n.tunnel.peers | length) == 1
  and $n.tunnel.peers[0].publicKey == $srv
  and $n.tunnel.peers[0].endpoint == "10.99.0.2:51820"
  and ($n.tunnel.peers[0].latestHandshakeAgeSeconds | type) == "number"
  and $n.tunnel.peers[0].latestHandshakeAgeSeconds >= 0
  and $n.tunnel.peers[0].latestHandshake > 0
  and $n.tunnel.peers[0].rxBytes > 0 and $n.tunnel.peers[0].txBytes > 0
  and $n.tunnel.peers[0].persistentKeepalive == 25
  and $n.lastTransaction.outcome == "applied"' "$FX_OUT" >/dev/null || {
  cat "$FX_OUT" >&2
  fail "status --json does not describe the tunnel"
}
fx_run 0 vc status
keep_output status
grep -q "public key $FX_CLIENT_PUB, listen port $port" "$FX_OUT" ||
  fail "status does not show the public key and listen port"
grep -q "peer $FX_SRV_PUB: endpoint 10.99.0.2:51820, handshake [0-9]" "$FX_OUT" ||
  fail "status does not show the peer's endpoint and handshake"

log "no secret anywhere"
fx_run 0 vc history
keep_output history
txn=$(jq -r '.namespaces[0].lastTransaction.id' "$VM_TMP/out.status-json")
fx_run 0 vc show "$txn"
keep_output show
fx_run 0 vc show --json "$txn"
keep_output show-json
grep -q "configure wireguard $FX_IF" "$VM_TMP/out.show" ||
  fail "the transaction does not list the tunnel configuration"
fx_assert_no_secret "${outputs[@]}" "$FX_STATE"/* "$FX_RUNTIME/$FX_NS"/*
