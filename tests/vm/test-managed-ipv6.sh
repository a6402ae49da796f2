#!/bin/bash
# test-managed-ipv6: ipv6.mode "tunnel" over a managed tunnel. IPv6 is
# enabled in the namespace and carried by the tunnel only: DNS to an IPv6
# resolver over udp and tcp 53 works, DNS-like ports to any other IPv6
# address are dropped, IPv6 egress to the tunnel's peer works, and nothing
# IPv6 leaves by the host link. Switching back to "disable" turns IPv6 off
# again (sysctls, no addresses, the policy drops it).

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpn-fixture.sh"

load_wireguard
fx_vpnsrv
fx_client_key
fx_desired

# The server side of IPv6: its tunnel address, the client's, a resolver
# and another address behind the tunnel.
ip -n vpnsrv addr add fd00::1/64 dev wgsrv
in_ns vpnsrv wg set wgsrv peer "$FX_CLIENT_PUB" allowed-ips 10.0.0.2/32,fd00::2/128
ip -n vpnsrv addr add fd64::1/128 dev lo
ip -n vpnsrv addr add fd64::9/128 dev lo

fx_edit '.namespaces[$ns].ipv6.mode = "tunnel"
  | .namespaces[$ns].wireguard.addresses = ["10.0.0.2/32", "fd00::2/128"]
  | .namespaces[$ns].wireguard.peers[0].allowedIPs = ["0.0.0.0/0", "::/0"]
  | .namespaces[$ns].dns.servers = ["10.64.0.1", "fd64::1"]
  | .namespaces[$ns].publishToHost.tcp = [8080]'

log "bring-up with IPv6 through the tunnel"
fx_run 0 vc reconcile
fx_run 0 vc plan
[[ $(in_ns "$FX_NS" cat /proc/sys/net/ipv6/conf/all/disable_ipv6) == 0 ]] ||
  fail "IPv6 is disabled in tunnel mode"
matches 'fd00::2/128' ip -n "$FX_NS" -6 addr show dev "$FX_IF" ||
  fail "the tunnel has no IPv6 address"
matches '^default dev wg0 proto 158' ip -n "$FX_NS" -6 route show ||
  fail "no IPv6 default route through the tunnel"
matches 'nameserver fd64::1' cat "$FX_RUNTIME/$FX_NS/resolv.conf" ||
  fail "resolv.conf lacks the IPv6 resolver"
fx_wait_handshake "$FX_NS"

fx_serve vpnsrv udp fd64::1 53 --reply
fx_serve vpnsrv tcp fd64::1 53
fx_serve vpnsrv udp fd64::9 53 --reply
fx_serve vpnsrv tcp fd64::9 853
fx_serve vpnsrv udp fd00::1 4000 --reply
can "$FX_NS" udp fd64::1 53 || fail "DNS over udp to the IPv6 resolver failed"
can "$FX_NS" tcp fd64::1 53 || fail "DNS over tcp to the IPv6 resolver failed"
can "$FX_NS" udp fd00::1 4000 || fail "IPv6 through the tunnel failed"
cannot "$FX_NS" udp fd64::9 53 tcp fd64::9 853
[[ $(fx_count vpnsrv udp fd64::9 53) == 0 ]] || fail "a DNS query reached fd64::9"

log "no IPv6 by the host link"
nsif=$(vc status --json | jq -r '.namespaces[0].hostLink.namespaceInterface')
hostif=$(vc status --json | jq -r '.namespaces[0].hostLink.hostInterface')
host_ll=$(ip -6 -o addr show dev "$hostif" scope link | awk '{ sub(/\/.*/, "", $4); print $4 }')
[[ -n $host_ll ]] || fail "the host end of the host link has no link-local address"
fx_serve "" udp "$host_ll%$hostif" 5000 --reply
if fx_in "$FX_NS" "$NETTEST" send-udp "$host_ll%$nsif" 5000; then
  fail "an IPv6 datagram to the host's link-local address left by the host link"
fi
cannot "$FX_NS" udp "$host_ll%$nsif" 5000
[[ $(fx_count "" udp "$host_ll%$hostif" 5000) == 0 ]] || fail "the host received IPv6 from the namespace"

log "back to ipv6.mode disable"
fx_edit '.namespaces[$ns].ipv6.mode = "disable"
  | .namespaces[$ns].wireguard.addresses = ["10.0.0.2/32"]
  | .namespaces[$ns].wireguard.peers[0].allowedIPs = ["0.0.0.0/0"]
  | .namespaces[$ns].dns.servers = ["10.64.0.1"]'
fx_run 0 vc reconcile
fx_run 0 vc plan
[[ $(in_ns "$FX_NS" cat /proc/sys/net/ipv6/conf/all/disable_ipv6) == 1 ]] ||
  fail "IPv6 is still enabled"
if ip -n "$FX_NS" -6 addr show | grep -q inet6; then
  fail "IPv6 addresses left: $(ip -n "$FX_NS" -6 addr show)"
fi
matches 'meta nfproto ipv6 drop' in_ns "$FX_NS" nft list table inet vpnconf ||
  fail "the policy does not drop IPv6"
fx_serve vpnsrv udp 10.64.0.1 53 --reply
can "$FX_NS" udp 10.64.0.1 53 || fail "IPv4 DNS failed after the switch"
