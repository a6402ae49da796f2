#!/bin/bash
# test-smoke: proves the VM infrastructure itself.  Two namespaces, "client"
# and "server", joined by a veth pair (192.0.2.1 and 192.0.2.2); a kernel
# WireGuard link in each (tunnel 10.111.0.2 and 10.111.0.1), keys from
# wg genkey, the client's endpoint being the server's veth address.  Checks
# that modules load (wireguard, and veth/nf_tables/nft_ct autoloaded through
# the host's kmod), that the handshake completes, that ICMP and a TCP
# exchange go through the tunnel, and that an nftables table in the client
# namespace really filters: UDP to port 9999 is dropped and never reaches
# the server, while UDP to port 9998 does.

. "$(dirname "$0")/lib.sh"

load_wireguard

log "namespaces and the veth underlay"
make_netns client
make_netns server
ip link add veth-c netns client type veth peer name veth-s netns server
ip -n client addr add 192.0.2.1/24 dev veth-c
ip -n server addr add 192.0.2.2/24 dev veth-s
ip -n client link set veth-c up
ip -n server link set veth-s up
vm_ping client 192.0.2.2 || fail "no connectivity over the veth pair"

log "WireGuard links"
wg_genkey client
wg_genkey server
for ns in client server; do
  ip -n "$ns" link add wg0 type wireguard
done
in_ns server wg set wg0 listen-port 51820 private-key "$VM_TMP/server.key" \
  peer "$(<"$VM_TMP/client.pub")" allowed-ips 10.111.0.2/32
in_ns client wg set wg0 private-key "$VM_TMP/client.key" \
  peer "$(<"$VM_TMP/server.pub")" allowed-ips 10.111.0.0/24 \
  endpoint 192.0.2.2:51820
ip -n server addr add 10.111.0.1/24 dev wg0
ip -n client addr add 10.111.0.2/24 dev wg0
ip -n server link set wg0 up
ip -n client link set wg0 up

log "handshake and ping through the tunnel"
vm_ping client 10.111.0.1 3 || fail "no ping through the tunnel"
wait_for "wg_has_handshake client wg0" 10
wait_for "wg_has_handshake server wg0" 10
in_ns server wg show wg0 endpoints | grep -q '192\.0\.2\.1:' ||
  fail "the server does not see the client's endpoint"

log "TCP exchange through the tunnel"
in_ns server busybox nc -l -p 7777 >"$VM_TMP/received" &
wait_for "in_ns server ss -Hltn 'sport = :7777' | grep -q ." 10
in_ns client bash -c 'echo hello-through-wireguard >/dev/tcp/10.111.0.1/7777'
wait_for "grep -q hello-through-wireguard '$VM_TMP/received'" 10

log "nftables in the client namespace"
in_ns server nft -f - <<'EOF'
table inet smoke {
  counter got9998 { }
  counter got9999 { }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "wg0" udp dport 9998 counter name "got9998"
    iifname "wg0" udp dport 9999 counter name "got9999"
  }
}
EOF
in_ns client nft -f - <<'EOF'
table inet smoke {
  counter dropped { }
  chain output {
    type filter hook output priority filter; policy accept;
    ct state invalid drop
    oifname "wg0" udp dport 9999 counter name "dropped" drop
  }
}
EOF
# A drop in the output hook makes the sender's write fail with EPERM.
in_ns client bash -c 'echo pass >/dev/udp/10.111.0.1/9998' ||
  fail "UDP to port 9998 could not be sent"
if in_ns client bash -c 'echo drop >/dev/udp/10.111.0.1/9999' 2>/dev/null; then
  fail "UDP to port 9999 was sent despite the drop rule"
fi
# shellcheck disable=SC2016 # wait_for evaluates it
wait_for '[[ $(nft_counter server inet smoke got9998) == 1 ]]' 10
[[ $(nft_counter client inet smoke dropped) == 1 ]] ||
  fail "the drop rule did not count the packet"
[[ $(nft_counter server inet smoke got9999) == 0 ]] ||
  fail "UDP to port 9999 reached the server"
in_ns client wg show wg0 transfer | awk '$3 > 0 { ok = 1 } END { exit !ok }' ||
  fail "no bytes counted on the client's WireGuard peer"

# veth, nf_tables and nft_ct are not in the initramfs: the kernel loaded them
# on demand with the host's modprobe, through the 9p root.
for mod in wireguard veth nf_tables nft_ct; do
  [[ -d /sys/module/$mod ]] || fail "module $mod is not loaded"
done
