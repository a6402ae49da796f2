#!/bin/bash
# Raw frames over the host link. A process with CAP_NET_RAW inside the
# namespace writes whole Ethernet frames onto the namespace end of the
# veth (AF_PACKET): they pass no nftables hook of the namespace and arrive
# at the host end. The host-side table (inet vpnconf-host-$NS) must drop
# them there: a listener on the host receives nothing, and with forwarding
# on, nothing reaches a "LAN" namespace behind the host. The published
# port still works, and the table is observed, repaired, ordered before
# the link at bring-up and removed after it at teardown.
. "$(dirname "$0")/lib.sh"

TABLE="vpnconf-host-$NS"
LAN_HOST=10.77.0.1
LAN_PEER=10.77.0.2
LAN6_HOST=2001:db8:77::1
LAN6_PEER=2001:db8:77::2

write_config <<END
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "egress": { "mode": "allowAllTunnel" },
      "publishToHost": { "tcp": [8080] }
END

note "a table of that name that is not vpnconf's: no host link is made"
nft add table inet "$TABLE"
expect_rc 1 vc reconcile
[ -z "$(ip -o link show type veth)" ] || fail "a host link without its table: $(ip -o link show type veth)"
nft delete table inet "$TABLE"

up
contains "$(nft list table inet "$TABLE")" 'comment "vpnconf:host"' ||
  fail "host-side table without its marker: $(nft list table inet "$TABLE")"
[ "$(vc status --json | json 'd["namespaces"][0]["hostLink"]["hostTable"]')" = present ] ||
  fail "status does not show the host-side table"

# The host routes, IPv4 and IPv6, and has a LAN behind it.
sysctl -qw net.ipv4.ip_forward=1
sysctl -qw net.ipv6.conf.all.forwarding=1
ip netns add lan
ip -n lan link set lo up
ip link add lanh type veth peer name lanp
ip link set lanp netns lan
ip addr add "$LAN_HOST/24" dev lanh
ip link set lanh up
ip -n lan addr add "$LAN_PEER/24" dev lanp
ip -n lan link set lanp up
ip -n lan route add default via "$LAN_HOST"
ip addr add "$LAN6_HOST/64" dev lanh nodad
ip -n lan addr add "$LAN6_PEER/64" dev lanp nodad
# The LAN's neighbour entry, so that forwarding does not wait for
# neighbour discovery.
ip -6 neigh replace "$LAN6_PEER" dev lanh nud permanent \
  lladdr "$(ip -n lan -o link show dev lanp | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')"
settle

serve_all host "udp $HOST_ADDR 4000" "udp $LAN_HOST 4001" "udp $LAN6_HOST 4002"
serve_all lan "udp $LAN_PEER 5000" "udp $LAN6_PEER 5001"
serve_all "$NS" "tcp $NS_ADDR 8080"
HOST_MAC=$(ip -o link show dev "$HOST_IF" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
[ -n "$HOST_MAC" ] || fail "no MAC address on $HOST_IF"

# raw_frames: from inside, raw frames to the host end's MAC, from the
# namespace's own address, towards the host address, another address of
# the host, and the LAN; and IPv6 ones (the namespace has no IPv6 at all)
# towards the host's other address and the LAN.
raw_frames() {
  local spec src
  for spec in "$HOST_ADDR 4000" "$LAN_HOST 4001" "$LAN_PEER 5000" "$LAN6_HOST 4002" \
    "$LAN6_PEER 5001"; do
    src=$NS_ADDR
    if contains "$spec" :; then src=fd00:77::2; fi
    # shellcheck disable=SC2086
    in_ns "$NS" "$NETTEST" raw-udp $spec --dev "$NS_IF" --dst-mac "$HOST_MAC" --src "$src" \
      --count 5 || fail "raw-udp $spec: the frame could not be sent"
  done
  sleep 0.2
}

# received: datagrams the listeners counted, "HOST OTHER LAN OTHER6 LAN6".
received() {
  echo "$(served host "udp $HOST_ADDR 4000") $(served host "udp $LAN_HOST 4001")" \
    "$(served lan "udp $LAN_PEER 5000") $(served host "udp $LAN6_HOST 4002")" \
    "$(served lan "udp $LAN6_PEER 5001")"
}

note "raw frames from inside reach nothing: not the host, not the LAN"
raw_frames
[ "$(received)" = "0 0 0 0 0" ] ||
  fail "raw frames got through (host, other host address, LAN, same over IPv6): $(received)"

note "the host still reaches the published port"
reach host yes "tcp $NS_ADDR 8080"

note "without the host-side table the same frames get through (the attack)"
nft delete table inet "$TABLE"
raw_frames
read -r h o l o6 l6 <<<"$(received)"
[ "$h" -gt 0 ] && [ "$o" -gt 0 ] && [ "$l" -gt 0 ] && [ "$o6" -gt 0 ] && [ "$l6" -gt 0 ] ||
  fail "the frames did not get through without the table; the test proves nothing: $(received)"
before=$(received)

note "drift: the missing table is reported and put back"
capture 0 vc status
contains "$OUT" "host-side table absent" || fail "status does not say the host-side table is absent"
capture 2 vc plan
contains "$OUT" "nft table inet $TABLE" || fail "plan does not name the host-side table"
expect_rc 0 vc reconcile
expect_rc 0 vc plan >/dev/null
raw_frames
[ "$(received)" = "$before" ] || fail "raw frames got through after the repair: $before -> $(received)"

note "a rule added to the table is drift too"
nft insert rule inet "$TABLE" prerouting iifname "$HOST_IF" accept
expect_rc 2 vc plan >/dev/null
expect_rc 0 vc reconcile
before=$(received)
raw_frames
[ "$(received)" = "$before" ] || fail "raw frames got through after the repair: $before -> $(received)"
reach host yes "tcp $NS_ADDR 8080"

note "down: the host end goes before its table, and nothing is left"
expect_rc 0 vc down "$NS"
if ip link show dev "$HOST_IF" >/dev/null 2>&1; then fail "host end left after down"; fi
if nft list table inet "$TABLE" >/dev/null 2>&1; then fail "host-side table left after down"; fi
note "a host-side table whose namespace is gone goes; one that is not vpnconf's stays"
nft add table inet vpnconf-host-ghost '{ comment "vpnconf:host"; }'
nft add table inet vpnconf-host-other
capture 0 vc reconcile
if nft list table inet vpnconf-host-ghost >/dev/null 2>&1; then fail "the orphaned host-side table is still there"; fi
nft list table inet vpnconf-host-other >/dev/null || fail "a table that is not vpnconf's was deleted"
if contains "$OUT" other; then fail "a table that is not vpnconf's was treated as vpnconf's: $OUT"; fi
capture 0 vc reconcile
if contains "$OUT" other; then fail "a table that is not vpnconf's was treated as vpnconf's: $OUT"; fi

note "a namespace no longer desired takes its own hostIf and its table along"
write_config <<END
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "hostLink": { "enable": true, "hostIf": "vhost-raw" }
END
expect_rc 0 vc reconcile
ip link show dev vhost-raw >/dev/null || fail "no host link vhost-raw"
echo '{ "version": 1, "namespaces": {} }' >"$CONFIG"
# The host end goes by its own name (the kernel would reap it only later).
capture 2 vc plan
contains "$OUT" "delete link vhost-raw" || fail "the teardown does not delete vhost-raw"
expect_rc 0 vc reconcile
if ip link show dev vhost-raw >/dev/null 2>&1; then fail "host end vhost-raw left behind"; fi
if nft list table inet "$TABLE" >/dev/null 2>&1; then fail "host-side table left behind"; fi
finish
