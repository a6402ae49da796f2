#!/bin/bash
# What a confined root service keeps. The drop-in vpnconf-generator writes
# for a confined service used to remove only CAP_NET_RAW and CAP_NET_ADMIN
# from its bounding set: a service running as root kept CAP_SYS_ADMIN, and
# with it left the namespace with one setns() (nsenter --net=/proc/1/ns/net,
# or any file under /run/netns). Here a root process inside the namespace,
# under exactly the bounding set of the generated drop-in, tries each way
# out that no table can filter: setns() into the host's and another
# namespace, an interface created in the host's namespace, raw frames.
. "$(dirname "$0")/lib.sh"

: "${VPNCONF_GENERATOR:?VPNCONF_GENERATOR must point at vpnconf-generator}"
command -v setpriv >/dev/null || skip "no setpriv"

write_config '"units": { "app.service": { "namespace": "'"$NS"'" } }' <<END
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "egress": { "mode": "allowAllTunnel" },
      "publishToHost": { "tcp": [8080] }
END
up

gen=$TEST_TMP/gen
mkdir -p "$gen/n" "$gen/e" "$gen/l"
VPNCONF_CONFIG=$CONFIG "$VPNCONF_GENERATOR" "$gen/n" "$gen/e" "$gen/l"
dropin=$gen/n/app.service.d/zz-vpnconf.conf
[ -f "$dropin" ] || fail "the generator wrote no drop-in for app.service"
# "CapabilityBoundingSet=~CAP_A CAP_B" -> setpriv's "-a,-b".
line=$(sed -n 's/^CapabilityBoundingSet=~//p' "$dropin")
[ -n "$line" ] || fail "the drop-in restricts no capability: $(cat "$dropin")"
bset=$(tr ' ' '\n' <<<"$line" | sed 's/^CAP_//' | tr 'A-Z' 'a-z' | sed 's/^/-/' | paste -sd,)
note "bounding set of the confined service: $line"

# confined CMD...: CMD as root inside $NS with the drop-in's bounding set.
confined() { in_ns "$NS" setpriv --bounding-set "$bset" -- "$@"; }

note "the control: root inside with every capability leaves the namespace"
in_ns "$NS" nsenter --net=/run/netns/vpnsrv true || fail "setns with every capability failed; the test proves nothing"

note "under the drop-in's bounding set, each way out is refused"
if confined nsenter --net=/proc/1/ns/net true 2>/dev/null; then
  check_failed "a confined root process entered the host's namespace (setns, /proc/1/ns/net)"
fi
if confined nsenter --net=/run/netns/vpnsrv true 2>/dev/null; then
  check_failed "a confined root process entered another namespace (setns, /run/netns)"
fi
if confined ip link add evil type veth peer name evilh netns $$ 2>/dev/null; then
  check_failed "a confined root process created an interface in the host's namespace"
fi
HOST_MAC=$(ip -o link show dev "$HOST_IF" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
if confined "$NETTEST" raw-udp "$HOST_ADDR" 4000 --dev "$NS_IF" --dst-mac "$HOST_MAC" \
  --src "$NS_ADDR" --count 1 2>/dev/null; then
  check_failed "a confined root process sent raw frames"
fi
finish
