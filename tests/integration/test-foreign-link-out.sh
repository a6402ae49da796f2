#!/bin/bash
# A foreign interface inside that reaches another namespace. Root inside
# with CAP_NET_ADMIN can create a veth whose peer lives in the host's
# namespace (IFLA_NET_NS_PID names any process's namespace, and
# "ip link add X type veth peer name Y netns PID" is one message). Frames
# written to the inside end (AF_PACKET) pass no hook of the namespace and
# arrive on an interface the host-side table does not filter. vpnconf used
# to leave such an interface alone ("the policy gives it no path out"):
# plan must report it as drift and reconcile must delete it (the peer in
# the host goes with it). A foreign interface that reaches nowhere is
# still left alone. A tunnel made inside whose underlay is the host's
# namespace (a VXLAN device created with the host's link netnsid) is
# deleted like the veth.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"

write_config <<END
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "egress": { "mode": "allowAllTunnel" },
      "publishToHost": { "tcp": [8080] }
END
up
serve_all host "udp $HOST_ADDR 4000"
serve_all "$NS" "tcp $NS_ADDR 8080"

# The attack: from inside, a veth whose other end is created in the
# namespace of a process of the host (this shell). Whatever brings the
# host's new interfaces up (a network manager) is played by the test.
in_ns "$NS" ip link add evil up type veth peer name evilh netns $$
ip link set evilh up
# A harmless foreign interface: its peer is inside too.
in_ns "$NS" ip link add quiet type veth peer name quieth
MAC=$(ip -o link show dev evilh | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
[ -n "$MAC" ] || fail "no MAC address on evilh"

send_frames() {
  in_ns "$NS" "$NETTEST" raw-udp "$HOST_ADDR" 4000 --dev evil --dst-mac "$MAC" --src "$NS_ADDR" \
    --count 5 || fail "raw-udp: the frame could not be sent"
  sleep 0.2
}

note "the attack works: raw frames through the foreign veth reach the host"
send_frames
got_through() { [ "$(served host "udp $HOST_ADDR 4000")" -gt 0 ]; }
eventually got_through || fail "nothing got through the foreign veth; the test proves nothing"

note "plan reports it as drift, reconcile deletes it with its host end"
capture 2 vc plan
contains "$OUT" "delete link evil" || fail "plan does not delete the foreign veth: $OUT"
contains "$OUT" "reaches another namespace" || fail "plan does not say why: $OUT"
if contains "$OUT" "delete link quiet"; then fail "a foreign link that leads nowhere is deleted: $OUT"; fi
expect_rc 0 vc reconcile
if ip link show dev evilh >/dev/null 2>&1; then fail "the host end of the foreign veth is still there"; fi
if in_ns "$NS" ip link show dev evil >/dev/null 2>&1; then fail "the foreign veth is still inside"; fi
in_ns "$NS" ip link show dev quiet >/dev/null || fail "a foreign link that leads nowhere was deleted"
expect_rc 0 vc plan >/dev/null

note "a veth made inside whose end is then moved to the host is deleted too"
in_ns "$NS" ip link add evil2 type veth peer name evil2h
in_ns "$NS" ip link set evil2h netns $$
capture 2 vc plan
contains "$OUT" "delete link evil2" || fail "plan does not delete a veth whose end was moved out: $OUT"
expect_rc 0 vc reconcile
if ip link show dev evil2h >/dev/null 2>&1; then fail "the moved end is still in the host"; fi
expect_rc 0 vc plan >/dev/null

note "a tunnel made inside whose underlay is the host's namespace is deleted too"
# The namespace knows the host's namespace by a netnsid (its host link's
# peer lives there); a VXLAN device created inside with that link netnsid
# has its UDP socket in the host: frames written to it are sent by the
# host, to the host's networks.
ip netns add lan
ip -n lan link set lo up
ip link add lanh type veth peer name lanp
ip link set lanp netns lan
ip addr add 10.77.0.1/24 dev lanh
ip link set lanh up
ip -n lan addr add 10.77.0.2/24 dev lanp
ip -n lan link set lanp up
serve_all lan "udp 10.77.0.2 4789"
hostid=$(in_ns "$NS" ip netns list-id | awk '!/name/ { print $2; exit }')
[ -n "$hostid" ] || fail "no netnsid for the host inside: $(in_ns "$NS" ip netns list-id)"
if in_ns "$NS" ip link add vx0 link-netnsid "$hostid" type vxlan id 5 remote 10.77.0.2 \
  dstport 4789 2>/dev/null; then
  in_ns "$NS" ip link set vx0 up
  in_ns "$NS" "$NETTEST" raw-udp 192.0.2.1 9 --dev vx0 --dst-mac 02:00:00:00:00:01 \
    --src "$NS_ADDR" --count 5 || fail "raw-udp: the frame could not be sent"
  sleep 0.2
  [ "$(served lan "udp 10.77.0.2 4789")" -gt 0 ] ||
    fail "nothing left through the VXLAN device; the test proves nothing"
  capture 2 vc plan
  contains "$OUT" "delete link vx0" || fail "plan does not delete the VXLAN device: $OUT"
  expect_rc 0 vc reconcile
  if in_ns "$NS" ip link show dev vx0 >/dev/null 2>&1; then fail "the VXLAN device is still inside"; fi
  expect_rc 0 vc plan >/dev/null
else
  note "no VXLAN in this kernel: that case is skipped"
fi

# The host link's inside end relabelled from inside (another namespace's
# alias, or out of vpnconf's group) is no longer vpnconf's and leads out:
# it is deleted (its host end with it) and the host link made again in
# the same run, not refused as a foreign link squatting the name.
for relabel in "alias vpnconf:other:hostlink" "group 0"; do
  note "the host link's inside end relabelled ($relabel): repaired in one run"
  # shellcheck disable=SC2086
  in_ns "$NS" ip link set "$NS_IF" $relabel
  expect_rc 0 vc reconcile
  expect_rc 0 vc plan >/dev/null
done
reach host yes "tcp $NS_ADDR 8080"

note "the inside end renamed away and a veth of root's own labelled in its place"
in_ns "$NS" ip link set "$NS_IF" down
in_ns "$NS" ip link set "$NS_IF" name old
in_ns "$NS" ip link add "$NS_IF" type veth peer name evilh netns $$
in_ns "$NS" ip link set "$NS_IF" group 1448103491 alias "vpnconf:$NS:hostlink" up
ip link set evilh up
expect_rc 0 vc reconcile
expect_rc 0 vc plan >/dev/null
if ip link show dev evilh >/dev/null 2>&1; then fail "the impostor's host end is still there"; fi
peer=$(in_ns "$NS" ip -o link show dev "$NS_IF" | sed -n 's/^[0-9]*: [^@]*@if\([0-9]*\):.*/\1/p')
[ "$peer" = "$(ip -o link show dev "$HOST_IF" | cut -d: -f1)" ] ||
  fail "the inside end is not the host end's peer: $(in_ns "$NS" ip -o link show dev "$NS_IF")"
reach host yes "tcp $NS_ADDR 8080"

note "the agent deletes such a veth as soon as it appears"
start_daemon
in_ns "$NS" ip link add evil3 type veth peer name evil3h netns $$
evil3_gone() { ! ip link show dev evil3h >/dev/null 2>&1; }
wait_until 10 "the agent deleted the foreign veth" evil3_gone
wait_until 10 "in sync" in_sync
stop_daemon
finish
