#!/bin/bash
# The shell path a user has without vpnconf, as the original project's
# namespace unit runs it (iproute2, sysctl and nft processes), for the
# reference namespace of tests/bench/run-bench. Usage:
#   shell-path.sh up|down NAME HOSTIF NSIF HOSTADDR NSADDR RULES RUNDIR
set -eu
cmd=$1 ns=$2 hostif=$3 nsif=$4 hostaddr=$5 nsaddr=$6 rules=$7 rundir=$8

if [ "$cmd" = down ]; then
  ip link del "$hostif" 2>/dev/null || true
  ip netns del "$ns"
  rm -rf "$rundir/$ns"
  exit 0
fi

mkdir -p /run/netns
if [ ! -e "/run/netns/$ns" ]; then
  ip netns add "$ns"
fi
ip -n "$ns" link set lo up
ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1
ip netns exec "$ns" sysctl -q -w net.ipv6.conf.default.disable_ipv6=1

ip netns exec "$ns" nft -c -f "$rules"
ip netns exec "$ns" nft -f "$rules"

ip link del "$hostif" 2>/dev/null || true
ip -n "$ns" link del "$nsif" 2>/dev/null || true
ip link add "$hostif" type veth peer name "$nsif"
ip link set "$nsif" netns "$ns"
ip addr replace "$hostaddr/30" dev "$hostif"
ip link set "$hostif" up
ip -n "$ns" addr replace "$nsaddr/30" dev "$nsif"
ip -n "$ns" link set "$nsif" up

mkdir -p "$rundir/$ns"
tmp=$(mktemp "$rundir/$ns/resolv.conf.XXXXXX")
printf 'nameserver 10.64.0.1\noptions edns0\n' > "$tmp"
chmod 0444 "$tmp"
mv -f "$tmp" "$rundir/$ns/resolv.conf"
tmp=$(mktemp "$rundir/$ns/nsswitch.conf.XXXXXX")
printf 'hosts: files myhostname dns\n' > "$tmp"
mv -f "$tmp" "$rundir/$ns/nsswitch.conf"
