#!/bin/bash
# IPv6 disabled: the namespace's all/default disable_ipv6 sysctls are 1, no
# interface inside has an IPv6 address, the policy drops IPv6 in both
# directions even when someone gives the tunnel an IPv6 address by hand.
# IPv6 tunnelled: it flows through the tunnel, within the egress policy.
. "$(dirname "$0")/lib.sh"

config() {
  write_config <<EOF
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "ipv6": { "mode": "$1" },
      "egress": { "mode": "allowList", "allowedCidrs": $2 },
      "publishToHost": { "tcp": [8080] }
EOF
  expect_rc 0 vc reconcile
  expect_rc 0 vc plan >/dev/null
}

sysctl_of() { in_ns "$NS" cat "/proc/sys/net/ipv6/conf/$1/disable_ipv6"; }

config disable '["10.64.0.0/16", "192.0.2.0/24"]'
vpn_server "$NS" wg0
expect_rc 0 vc plan >/dev/null

note "disable: sysctls, addresses, rules"
for c in all default lo wg0 "$NS_IF"; do
  [ "$(sysctl_of "$c")" = 1 ] || fail "net.ipv6.conf.$c.disable_ipv6 is $(sysctl_of "$c")"
done
[ -z "$(ip -n "$NS" -6 -o addr show)" ] || fail "IPv6 addresses inside: $(ip -n "$NS" -6 -o addr show)"
for chain in input output; do
  contains "$(in_ns "$NS" nft list chain inet vpnconf "$chain")" 'meta nfproto ipv6 drop' ||
    fail "chain $chain has no 'meta nfproto ipv6 drop'"
done

note "disable: an IPv6 address added by hand carries nothing"
echo 0 | in_ns "$NS" tee /proc/sys/net/ipv6/conf/wg0/disable_ipv6 >/dev/null
peer=$(ip -n vpnsrv -o link show type veth | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }')
ip -n "$NS" addr add 2001:db8:64::2/64 dev wg0 nodad
ip -n vpnsrv addr add 2001:db8:64::1/64 dev "$peer" nodad
ip -n vpnsrv addr add 2001:db8:64::9/128 dev "$peer" nodad
ip -n "$NS" -6 route add default via 2001:db8:64::1 dev wg0
# A WireGuard link has no neighbour discovery; the veth standing in for it
# does, and the policy (rightly) passes none of it: static neighbours.
mac_of() { ip -n "$1" -o link show dev "$2" | sed -n 's|.*link/ether \([0-9a-f:]*\).*|\1|p'; }
for a in 2001:db8:64::1 2001:db8:64::9; do
  ip -n "$NS" neigh replace "$a" lladdr "$(mac_of vpnsrv "$peer")" dev wg0 nud permanent
done
ip -n vpnsrv neigh replace 2001:db8:64::2 lladdr "$(mac_of "$NS" wg0)" dev "$peer" nud permanent
serve_all vpnsrv "udp 2001:db8:64::1 4000" "tcp 2001:db8:64::1 80" "udp 2001:db8:64::9 4000"
serve_all "$NS" "udp 2001:db8:64::2 5000" "tcp 2001:db8:64::2 8080"
reach "$NS" no "udp 2001:db8:64::1 4000" "tcp 2001:db8:64::1 80" "udp 2001:db8:64::9 4000"
# The output chain's drop shows as EPERM from sendto().
expect_rc 1 in_ns "$NS" "$NETTEST" send-udp 2001:db8:64::1 4000
reach vpnsrv no "udp 2001:db8:64::2 5000" "tcp 2001:db8:64::2 8080"
for spec in "udp 2001:db8:64::1 4000" "tcp 2001:db8:64::1 80" "udp 2001:db8:64::9 4000"; do
  [ "$(served vpnsrv "$spec")" = 0 ] || fail "$spec: IPv6 left the namespace"
done
for spec in "udp 2001:db8:64::2 5000" "tcp 2001:db8:64::2 8080"; do
  [ "$(served "$NS" "$spec")" = 0 ] || fail "$spec: IPv6 entered the namespace"
done
# IPv4 still works: the drop is IPv6's alone.
serve_all vpnsrv "tcp 192.0.2.10 80"
reach "$NS" yes "tcp 192.0.2.10 80"

note "tunnel: IPv6 through the tunnel to allowed destinations only"
config tunnel '["10.64.0.0/16", "192.0.2.0/24", "2001:db8:64::9/128"]'
for c in all default; do
  [ "$(sysctl_of "$c")" = 0 ] || fail "tunnel mode: net.ipv6.conf.$c.disable_ipv6 is $(sysctl_of "$c")"
done
for chain in input output; do
  if contains "$(in_ns "$NS" nft list chain inet vpnconf "$chain")" 'meta nfproto ipv6 drop'; then
    fail "tunnel mode: chain $chain still drops IPv6"
  fi
done
reach "$NS" yes "udp 2001:db8:64::9 4000" "tcp 192.0.2.10 80"
reach "$NS" no "udp 2001:db8:64::1 4000" "tcp 2001:db8:64::1 80"
# The host link now has an IPv6 link-local address (the kernel's doing,
# accepted by design); the policy carries no IPv6 over it: the host may
# only open IPv4 connections from its link address.
host_rule=$(in_ns "$NS" nft list chain inet vpnconf input | grep "iifname \"$NS_IF\"")
[ "$host_rule" = "		iifname \"$NS_IF\" ip saddr $HOST_ADDR tcp dport @ingress_host_tcp accept" ] ||
  fail "host link input rule: $host_rule"

note "back to disable"
config disable '["10.64.0.0/16", "192.0.2.0/24"]'
for c in all default; do
  [ "$(sysctl_of "$c")" = 1 ] || fail "net.ipv6.conf.$c.disable_ipv6 is $(sysctl_of "$c")"
done
[ -z "$(ip -n "$NS" -6 -o addr show)" ] || fail "IPv6 addresses inside: $(ip -n "$NS" -6 -o addr show)"
reach "$NS" no "udp 2001:db8:64::9 4000"
finish
