#!/bin/bash
# test-vpn-server: checks the make_vpn_server fixture of lib.sh the way
# vpnconf uses a VPN server.  The client's WireGuard link is created in the
# initial ("host") namespace, which keeps its UDP socket, and then moved into
# a namespace "svc" whose only route is the tunnel.  Traffic from svc must
# reach the server's tunnel address, over IPv4 and IPv6.

. "$(dirname "$0")/lib.sh"

load_wireguard
make_vpn_server vpn 192.0.2.1/24 192.0.2.2/24 10.112.0.1/24
ip -n vpn addr add fd00:112::1/64 dev wg0 nodad

make_netns svc
wg_genkey svc
ip link add wg-svc type wireguard
on_exit "ip link delete wg-svc"
wg set wg-svc private-key "$VM_TMP/svc.key" \
  peer "${VPN_SERVER_PUBKEY[vpn]}" endpoint "${VPN_SERVER_ENDPOINT[vpn]}" \
  allowed-ips 0.0.0.0/0,::/0
ip link set wg-svc netns svc
ip -n svc addr add 10.112.0.2/32 dev wg-svc
ip -n svc addr add fd00:112::2/128 dev wg-svc nodad
ip -n svc link set wg-svc up
ip -n svc route add default dev wg-svc
ip -n svc -6 route add default dev wg-svc
vpn_server_add_peer vpn "$(<"$VM_TMP/svc.pub")" 10.112.0.2/32,fd00:112::2/128

[[ $(ip -n svc -o link show | awk -F': ' '{ print $2 }' | sort | xargs) == \
  "lo wg-svc" ]] || fail "svc has links besides lo and wg-svc"

vm_ping svc 10.112.0.1 || fail "no IPv4 ping through the tunnel"
vm_ping svc fd00:112::1 || fail "no IPv6 ping through the tunnel"
wg_has_handshake vpn wg0 || fail "the server saw no handshake"

# Whatever the destination, even the host's end of the underlay, svc can
# only send into the tunnel.
[[ $(ip -n svc route get 192.0.2.1) == *" dev wg-svc "* ]] ||
  fail "svc routes the underlay outside the tunnel"
