#!/bin/bash
# The VM's "VPN server", started before vpnconf.service (vm-fixture.service):
#   init: up0 10.99.0.1/24 ---- veth ---- vpnsrv: eth0 10.99.0.2/24
#   vpnsrv: wgsrv 10.0.0.1/24 on UDP 51820, whose peer is the client
#           (CLIENT_PUB, allowed 10.0.0.2/32); on lo 10.64.0.1 (the
#           resolver) and 192.0.2.10 (a destination)
#   fixture.sh CLIENT_PUB
set -euo pipefail
ip netns add vpnsrv
ip -n vpnsrv link set lo up
ip link add up0 type veth peer name eth0 netns vpnsrv
ip addr add 10.99.0.1/24 dev up0
ip link set up0 up
ip -n vpnsrv addr add 10.99.0.2/24 dev eth0
ip -n vpnsrv link set eth0 up
ip -n vpnsrv addr add 10.64.0.1/32 dev lo
ip -n vpnsrv addr add 192.0.2.10/32 dev lo
modprobe wireguard
ip -n vpnsrv link add wgsrv type wireguard
ip netns exec vpnsrv wg set wgsrv listen-port 51820 private-key /etc/vpnconf/keys/server.key \
  peer "$1" allowed-ips 10.0.0.2/32
ip -n vpnsrv addr add 10.0.0.1/24 dev wgsrv
ip -n vpnsrv link set wgsrv up
