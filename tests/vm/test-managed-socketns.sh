#!/bin/bash
# test-managed-socketns: wireguard.socketNamespace names another namespace,
# "uplink", which holds the underlay to the VPN server; the initial
# namespace has no route there at all.  The tunnel's UDP socket must live
# in uplink (the handshake can only work through it), on the configured
# listen port, and the endpoint-pinning table must be there too, not in the
# initial namespace.  A socket namespace that does not exist is refused
# without leaving anything behind; a re-created link gets its socket in
# uplink again, and so does a new listen port (without a new handshake);
# down removes the pin table from uplink and leaves uplink itself alone.

# shellcheck disable=SC2016 # jq filters and wait_for conditions, on purpose
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpn-fixture.sh"

load_wireguard
make_netns uplink
fx_vpnsrv uplink
fx_client_key
fx_desired
fx_edit '.namespaces[$ns].wireguard += { socketNamespace: "nowhere", listenPort: 51900,
  endpointPinning: { enable: true } }'
pin_table=vpnconf-pin-$FX_NS
if ip route get 10.99.0.2 >/dev/null 2>&1; then
  fail "the initial namespace has a route to the server"
fi

log "a socket namespace that does not exist"
fx_run 2 vc plan
grep -q "socket namespace nowhere does not exist" "$FX_OUT" ||
  fail "plan does not report the missing socket namespace"
fx_run 1 vc reconcile
[[ ! -e /run/netns/$FX_NS ]] || fail "a refused reconcile left the namespace"
if matches ': vh-' ip -o link show; then
  fail "a refused reconcile left a host link: $(ip -o link show)"
fi

log "the socket in uplink"
fx_edit '.namespaces[$ns].wireguard.socketNamespace = "uplink"'
fx_run 0 vc reconcile
fx_run 0 vc plan
fx_wait_handshake "$FX_NS"
fx_serve vpnsrv udp 10.64.0.1 53 --reply
can "$FX_NS" udp 10.64.0.1 53 || fail "no DNS through the tunnel"

# check_socket PORT
check_socket() {
  local port=$1
  [[ $(in_ns "$FX_NS" wg show "$FX_IF" listen-port) == "$port" ]] ||
    fail "the tunnel does not listen on $port"
  matches . in_ns uplink ss -Huan "sport = :$port" ||
    fail "no UDP socket on $port in uplink"
  if matches . ss -Huan "sport = :$port"; then
    fail "a UDP socket on $port in the initial namespace"
  fi
  if matches . in_ns "$FX_NS" ss -Huan "sport = :$port"; then
    fail "a UDP socket on $port inside $FX_NS"
  fi
  matches "10\.99\.0\.1:$port\$" in_ns vpnsrv wg show wgsrv endpoints ||
    fail "the server does not see the client at 10.99.0.1:$port"
}
check_socket 51900
matches 'ip daddr 10\.99\.0\.2 udp dport 51820 accept' \
  in_ns uplink nft list table inet "$pin_table" || fail "no pin table in uplink"
if nft list table inet "$pin_table" >/dev/null 2>&1; then
  fail "the pin table is in the initial namespace"
fi
for ns in "" uplink; do
  if matches . fx_in "$ns" ip -o link show type wireguard; then
    fail "a WireGuard link exists in ${ns:-the initial namespace}"
  fi
done

log "a re-created link"
ip -n "$FX_NS" link del "$FX_IF"
fx_run 0 vc reconcile
can "$FX_NS" udp 10.64.0.1 53 || fail "no DNS after the link was re-created"
check_socket 51900

log "a new listen port"
hs=$(fx_handshake "$FX_NS")
fx_edit '.namespaces[$ns].wireguard.listenPort = 51901'
fx_run 2 vc plan --json
jq -e '[.namespaces[0].steps[].kind] == ["tunnel-configure"]' "$FX_OUT" >/dev/null ||
  fail "unexpected plan for a new listen port: $(<"$FX_OUT")"
fx_run 0 vc reconcile
can "$FX_NS" udp 10.64.0.1 53 || fail "no DNS after the listen port changed"
check_socket 51901
[[ $(fx_handshake "$FX_NS") == "$hs" ]] || fail "a new listen port cost the session"
if matches . in_ns uplink ss -Huan "sport = :51900"; then
  fail "the old socket on 51900 is still open"
fi

log "down"
fx_run 0 vc down "$FX_NS"
if in_ns uplink nft list table inet "$pin_table" >/dev/null 2>&1; then
  fail "the pin table outlived down"
fi
matches 'state UP' ip -n uplink -o link show up0 || fail "down touched uplink's own link"

log "a namespace removed from the desired state takes its pinning along"
fx_run 0 vc reconcile
in_ns uplink nft list table inet "$pin_table" >/dev/null || fail "no pin table after reconcile"
fx_edit 'del(.namespaces[$ns])'
fx_run 0 vc reconcile
matches 'torn-down' cat "$FX_OUT" || fail "the namespace was not torn down: $(<"$FX_OUT")"
if in_ns uplink nft list table inet "$pin_table" >/dev/null 2>&1; then
  fail "the pin table of a namespace no longer desired is left in uplink"
fi
