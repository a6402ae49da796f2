#!/bin/bash
# test-managed-policy: the namespace policy (docs/policy.md) over a real
# managed WireGuard tunnel.  With strict DNS and an allow-list egress:
#  - DNS goes to the configured resolver over UDP and TCP port 53 only;
#    DNS-like ports (53, 853, 5353, 5355) to any other address, and even DNS
#    over TLS to the resolver, are dropped before they reach the tunnel;
#  - only the listed CIDRs are reachable, then (after a reconcile to ports
#    and CIDRs) only the listed ports to the listed CIDRs;
#  - IPv6 stays unusable, even after IPv6 was re-enabled by hand and given
#    an address and a tunnel route; without the policy table the same
#    packet does pass (the control), and reconcile repairs it all;
#  - nothing leaves by the host link; the host reaches the published port
#    and no other; the tunnel side reaches the open ingress port and no
#    other.
# Drops are checked on both sides: the sender's write fails (an nftables
# drop in the output hook returns EPERM) and the server's counters stay 0.

# shellcheck disable=SC2016 # jq filters and wait_for conditions, on purpose
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpn-fixture.sh"

load_wireguard
fx_vpnsrv
fx_client_key
fx_desired
fx_edit '.namespaces[$ns] += {
  egress: { mode: "allowList", allowedCidrs: ["10.64.0.0/16", "192.0.2.0/24"] },
  publishToHost: { tcp: [8080] },
  ingress: { fromTunnel: { tcp: [9000] } } }'

# send_dropped NS ADDR PORT: a UDP datagram from NS must be refused locally.
send_dropped() {
  if in_ns "$1" "$NETTEST" send-udp "$2" "$3" 2>/dev/null; then
    fail "a UDP datagram to $2:$3 left $1"
  fi
}

counters_zero() {
  local c
  for c in never dns_other; do
    [[ $(nft_counter vpnsrv inet fixture "$c") == 0 ]] ||
      fail "server counter $c is not 0: $(nft_counter vpnsrv inet fixture "$c")"
  done
}

fx_run 0 vc reconcile
fx_wait_handshake "$FX_NS"
for p in 53 853 5353 5355 80 443; do
  fx_serve vpnsrv tcp 0.0.0.0 "$p"
done
fx_serve vpnsrv udp 10.64.0.1 53 --reply
fx_serve vpnsrv udp 192.0.2.10 9999 --reply
fx_serve vpnsrv udp 198.51.100.20 9999 --reply

log "DNS only to the resolver, only on port 53"
can "$FX_NS" udp 10.64.0.1 53 || fail "the resolver does not answer over UDP"
can "$FX_NS" tcp 10.64.0.1 53 || fail "the resolver does not answer over TCP"
probes=()
for a in 10.64.9.9 192.0.2.10 198.51.100.20; do
  for p in 53 853 5353 5355; do
    send_dropped "$FX_NS" "$a" "$p"
    probes+=(tcp "$a" "$p")
  done
done
for p in 853 5353 5355; do
  send_dropped "$FX_NS" 10.64.0.1 "$p"
  probes+=(tcp 10.64.0.1 "$p")
done
cannot "$FX_NS" "${probes[@]}"
counters_zero
[[ $(fx_count vpnsrv tcp 0.0.0.0 53) == 1 ]] ||
  fail "the TCP DNS server saw more than the resolver's query"

log "allow-list of CIDRs"
can "$FX_NS" tcp 192.0.2.10 80 || fail "192.0.2.10 (allowed) is not reachable"
can "$FX_NS" tcp 10.64.9.9 443 || fail "10.64.9.9 (allowed) is not reachable"
can "$FX_NS" udp 192.0.2.10 9999 || fail "192.0.2.10 (allowed) does not answer UDP"
# The last one is the underlay address of the server: only ever through
# the tunnel, and not in the list either.
cannot "$FX_NS" tcp 198.51.100.20 80 tcp 10.0.0.1 80 tcp 10.99.0.2 80
send_dropped "$FX_NS" 198.51.100.20 9999
counters_zero
[[ $(fx_count vpnsrv udp 198.51.100.20 9999) == 0 ]] ||
  fail "198.51.100.20 received a datagram"

log "allow-list of ports and CIDRs"
hs=$(fx_handshake "$FX_NS")
fx_edit '.namespaces[$ns].egress += { allowedTcpPorts: [443], allowedCidrs: ["192.0.2.0/24"] }'
fx_run 2 vc plan --json
jq -e '[.namespaces[0].steps[].kind] == ["nft-replace", "conntrack-flush"]' "$FX_OUT" >/dev/null ||
  fail "an egress change plans more than the policy table and the conntrack flush: $(<"$FX_OUT")"
fx_run 0 vc reconcile
can "$FX_NS" tcp 192.0.2.10 443 || fail "192.0.2.10:443 (allowed) is not reachable"
cannot "$FX_NS" tcp 192.0.2.10 80 tcp 10.64.9.9 443 tcp 198.51.100.20 443
send_dropped "$FX_NS" 192.0.2.10 9999
can "$FX_NS" udp 10.64.0.1 53 || fail "the resolver no longer answers"
counters_zero
[[ $(fx_handshake "$FX_NS") == "$hs" ]] ||
  fail "a policy change touched the tunnel's session"

log "IPv6 is disabled"
for k in all default "$FX_IF"; do
  [[ $(in_ns "$FX_NS" sysctl -n "net.ipv6.conf.$k.disable_ipv6") == 1 ]] ||
    fail "IPv6 is not disabled on $k"
done
if ip -n "$FX_NS" addr add fd00:10::2/64 dev "$FX_IF" nodad 2>/dev/null; then
  fail "an IPv6 address could be added in $FX_NS"
fi
send_dropped "$FX_NS" fd00:10::1 9999

# Now undo the kernel's part by hand, as a compromised service with
# CAP_NET_ADMIN might, and route IPv6 into the tunnel: the policy alone
# must still keep it in.
ip -n vpnsrv addr add fd00:10::1/64 dev wgsrv nodad
in_ns vpnsrv wg set wgsrv peer "$FX_CLIENT_PUB" allowed-ips 10.0.0.2/32,fd00:10::2/128
fx_serve vpnsrv udp fd00:10::1 9999
for k in all default "$FX_IF"; do
  in_ns "$FX_NS" sysctl -qw "net.ipv6.conf.$k.disable_ipv6=0"
done
ip -n "$FX_NS" addr add fd00:10::2/64 dev "$FX_IF" nodad
# A route that looks like one of vpnconf's (its protocol number).
ip -n "$FX_NS" -6 route add default dev "$FX_IF" proto 158
in_ns "$FX_NS" wg set "$FX_IF" peer "$FX_SRV_PUB" allowed-ips 0.0.0.0/0,::/0
send_dropped "$FX_NS" fd00:10::1 9999
[[ $(fx_count vpnsrv udp fd00:10::1 9999) == 0 ]] || fail "IPv6 went through the tunnel"
fx_run 2 vc plan
for want in "disable_ipv6 is 0, want 1" "unexpected address fd00:10::2/64" \
  "unexpected route ::/0" "allowed IPs -::/0"; do
  grep -qF "$want" "$FX_OUT" || fail "plan does not report: $want"
done
# The control: without the policy table, the very same datagram arrives.
in_ns "$FX_NS" nft delete table inet vpnconf
in_ns "$FX_NS" "$NETTEST" send-udp fd00:10::1 9999 ||
  fail "the control datagram could not be sent"
wait_for '[[ $(fx_count vpnsrv udp fd00:10::1 9999) == 1 ]]' 10
fx_run 0 vc reconcile
fx_run 0 vc plan
for k in all default "$FX_IF"; do
  [[ $(in_ns "$FX_NS" sysctl -n "net.ipv6.conf.$k.disable_ipv6") == 1 ]] ||
    fail "reconcile did not disable IPv6 on $k again"
done
send_dropped "$FX_NS" fd00:10::1 9999
can "$FX_NS" udp 10.64.0.1 53 || fail "the resolver no longer answers after the repair"

log "the host link"
fx_run 0 vc status --json
host_if=$(jq -r '.namespaces[0].hostLink.hostInterface' "$FX_OUT")
ns_if=$(jq -r '.namespaces[0].hostLink.namespaceInterface' "$FX_OUT")
host_addr=$(jq -r '.namespaces[0].hostLink.hostAddresses[0]' "$FX_OUT")
host_addr=${host_addr%/*}
ns_addr=$(ip -n "$FX_NS" -4 -o addr show dev "$ns_if" | awk '{ sub(/\/.*/, "", $4); print $4 }')
[[ -n $ns_addr && $host_addr == 169.254.* ]] || fail "no host link addresses"
nft -f - <<EOF
table inet fixture_host {
  counter from_ns { }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "$host_if" ct direction original counter name "from_ns"
  }
}
EOF
fx_serve "$FX_NS" tcp 0.0.0.0 8080
fx_serve "$FX_NS" tcp 0.0.0.0 8081
fx_serve "$FX_NS" tcp 0.0.0.0 9000
fx_serve "$FX_NS" tcp 0.0.0.0 9001
fx_serve "" tcp 0.0.0.0 2222
"$NETTEST" tcp "$ns_addr" 8080 --timeout 3000 || fail "the host cannot reach the published port"
cannot "" tcp "$ns_addr" 8081
cannot "$FX_NS" tcp "$host_addr" 2222
send_dropped "$FX_NS" "$host_addr" 2222
[[ $(nft list counter inet fixture_host from_ns | awk '$1 == "packets" { print $2 }') == 0 ]] ||
  fail "the namespace sent something over the host link"
[[ $(fx_count "$FX_NS" tcp 0.0.0.0 8081) == 0 ]] || fail "port 8081 saw a connection"

log "ingress from the tunnel"
can vpnsrv tcp 10.0.0.2 9000 || fail "the open ingress port is not reachable from the tunnel"
cannot vpnsrv tcp 10.0.0.2 9001
[[ $(fx_count "$FX_NS" tcp 0.0.0.0 9001) == 0 ]] || fail "port 9001 saw a connection"
