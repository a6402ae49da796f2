#!/bin/bash
# The host end of the host link diverted on the host. The host-side table
# filters what arrives on the host end at the IP layer (inet prerouting).
# A bridge the host end is enslaved to (an operator's "put every veth on
# br0") takes its frames before that and bridges raw frames from inside
# onto the host's network; a macvlan made on the host end receives the
# frames addressed to it under its own name. vpnconf used to report such a
# namespace in sync: the host end with a master or an upper device is
# drift, and the repair makes the host link again without either.
. "$(dirname "$0")/lib.sh"

LAN_PEER=10.77.0.2
MV_ADDR=10.88.0.1

write_config <<END
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "egress": { "mode": "allowAllTunnel" },
      "publishToHost": { "tcp": [8080] }
END
up

# A LAN on a bridge of the host.
ip netns add lan
ip -n lan link set lo up
ip link add lanh type veth peer name lanp
ip link set lanp netns lan
ip -n lan addr add "$LAN_PEER/24" dev lanp
ip -n lan link set lanp up
ip link add br0 type bridge
ip link set br0 up
ip link set lanh master br0
ip link set lanh up
serve_all lan "udp $LAN_PEER 5000"
LAN_MAC=$(ip -n lan -o link show dev lanp | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
[ -n "$LAN_MAC" ] || fail "no MAC address on lanp"

# frames_to MAC ADDR PORT: raw UDP frames from inside, out of the
# namespace end of the host link.
frames_to() {
  in_ns "$NS" "$NETTEST" raw-udp "$2" "$3" --dev "$NS_IF" --dst-mac "$1" --src 10.77.0.99 \
    --count 5 || fail "raw-udp: the frame could not be sent"
  sleep 0.2
}

note "the host end on the LAN's bridge: raw frames from inside are bridged onto the LAN"
ip link set "$HOST_IF" master br0
eventually contains "$(ip -o link show dev "$HOST_IF")" "master br0"
frames_to "$LAN_MAC" "$LAN_PEER" 5000
[ "$(served lan "udp $LAN_PEER 5000")" -gt 0 ] ||
  fail "nothing was bridged onto the LAN; the test proves nothing"

note "plan reports it, reconcile makes the host link again, off the bridge"
capture 2 vc plan
contains "$OUT" "is enslaved" || fail "plan does not report the bridge: $OUT"
expect_rc 0 vc reconcile
expect_rc 0 vc plan >/dev/null
if contains "$(ip -o link show dev "$HOST_IF")" master; then
  fail "the host end still has a master: $(ip -o link show dev "$HOST_IF")"
fi
before=$(served lan "udp $LAN_PEER 5000")
settle
frames_to "$LAN_MAC" "$LAN_PEER" 5000
[ "$(served lan "udp $LAN_PEER 5000")" = "$before" ] ||
  fail "raw frames still reach the LAN after the repair"
serve_all "$NS" "tcp $NS_ADDR 8080"
reach host yes "tcp $NS_ADDR 8080"

note "a macvlan on the host end: frames for it pass the host-side table"
if ! ip link add link "$HOST_IF" name mv0 type macvlan mode bridge 2>/dev/null; then
  note "no macvlan in this kernel: that case is skipped"
  finish
  exit 0
fi
ip addr add "$MV_ADDR/24" dev mv0
ip link set mv0 up
serve_all host "udp $MV_ADDR 4000"
MV_MAC=$(ip -o link show dev mv0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
frames_to "$MV_MAC" "$MV_ADDR" 4000
[ "$(served host "udp $MV_ADDR 4000")" -gt 0 ] ||
  fail "nothing reached the macvlan; the test proves nothing"
capture 2 vc plan
contains "$OUT" "has mv0 on top of it" || fail "plan does not report the macvlan: $OUT"
expect_rc 0 vc reconcile
expect_rc 0 vc plan >/dev/null
if ip link show dev mv0 >/dev/null 2>&1; then fail "the macvlan on the host end is still there"; fi
finish
