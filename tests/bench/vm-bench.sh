#!/bin/bash
# Managed WireGuard bring-up + teardown: vpnconf against the shell path a
# NixOS user has today (the original project's namespace unit plus NixOS's
# wireguard-<if> unit: ip netns add, ip link add type wireguard, wg set,
# ip link set netns, ip addr, ip route, nft -f), side by side in one run,
# inside the test VM (it needs kernel WireGuard). Run it with:
#
#   tests/vm/run-vm --build-dir build -- tests/bench/vm-bench.sh [ITERATIONS]
#
# Prints the medians and the ratio. Not a test.
. "$VPNCONF_SOURCE_DIR/tests/vm/lib.sh"
. "$VPNCONF_SOURCE_DIR/tests/vm/vpn-fixture.sh"

iters=${1:-10}
load_wireguard
fx_vpnsrv
fx_client_key
fx_desired
fx_edit '.namespaces[$ns].egress = { mode: "allowList",
    allowedCidrs: ["10.64.0.0/16", "192.0.2.0/24"] }
  | .namespaces[$ns].publishToHost.tcp = [8080]'

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
q() { "$VPNCONF" --config "$FX_CONFIG" -q "$@" >/dev/null; }

# The shell path gets exactly vpnconf's policy, as nft text.
q reconcile
rules=$VM_TMP/rules.nft
{ echo "table inet vpnconf"; echo "delete table inet vpnconf"
  in_ns "$FX_NS" nft list table inet vpnconf; } >"$rules"
read -r hif nif < <("$VPNCONF" --config "$FX_CONFIG" status --json |
  jq -r '.namespaces[0].hostLink | "\(.hostInterface) \(.namespaceInterface)"')
q down "$FX_NS"
srv_pub=$FX_SRV_PUB
ns=shellns

shell_up() {
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1
  ip netns exec "$ns" sysctl -q -w net.ipv6.conf.default.disable_ipv6=1
  ip netns exec "$ns" nft -c -f "$rules"
  ip netns exec "$ns" nft -f "$rules"
  ip link add "$hif" type veth peer name "$nif"
  ip link set "$nif" netns "$ns"
  ip addr replace 169.254.0.1/30 dev "$hif"
  ip link set "$hif" up
  ip -n "$ns" addr replace 169.254.0.2/30 dev "$nif"
  ip -n "$ns" link set "$nif" up
  mkdir -p "/run/shell-path/$ns"
  printf 'nameserver 10.64.0.1\noptions edns0\n' >"/run/shell-path/$ns/resolv.conf"
  # NixOS's wireguard-wg0.service with interfaceNamespace
  ip link add dev wg0 type wireguard
  ip link set dev wg0 netns "$ns"
  ip -n "$ns" address add 10.0.0.2/32 dev wg0
  ip netns exec "$ns" wg set wg0 private-key "$FX_KEY"
  ip netns exec "$ns" wg set wg0 peer "$srv_pub" endpoint 10.99.0.2:51820 \
    persistent-keepalive 25 allowed-ips 0.0.0.0/0
  ip -n "$ns" link set up dev wg0
  ip -n "$ns" route replace 0.0.0.0/0 dev wg0 table main
}

shell_down() {
  ip -n "$ns" link del dev wg0
  ip link del "$hif"
  ip netns del "$ns"
  rm -rf "/run/shell-path/$ns"
}

gone() { local i; for i in $(seq 1 500); do ip link show "$hif" >/dev/null 2>&1 || return 0; sleep 0.01; done; }

t_shell=() t_vpnconf=()
for i in $(seq "$iters"); do
  s=${EPOCHREALTIME/./}000; shell_up; shell_down; e=${EPOCHREALTIME/./}000; t_shell+=($((e - s)))
  gone
  s=${EPOCHREALTIME/./}000; q reconcile; q down "$FX_NS"; e=${EPOCHREALTIME/./}000; t_vpnconf+=($((e - s)))
  gone
done
ms=$(printf '%s\n' "${t_shell[@]}" | median)
mv=$(printf '%s\n' "${t_vpnconf[@]}" | median)
# The same work without process start-up (under TCG a bare /bin/true
# takes about as long as vpnconf's whole bring-up).
mi=$("$VPNCONF_BUILD_DIR/tests/bench/bench-reconcile" "$FX_CONFIG" "$FX_STATE" "$iters" down-up |
  sed -E 's/.*median_us=([0-9]+).*/\1/')
t_true=()
for i in $(seq "$iters"); do s=${EPOCHREALTIME/./}000; /bin/true; e=${EPOCHREALTIME/./}000; t_true+=($((e - s))); done
mt=$(printf '%s\n' "${t_true[@]}" | median)
printf '\nmanaged bring-up + teardown in the VM (TCG), median of %s, microseconds\n' "$iters"
printf '%-44s %12s %12s %9s\n' "scenario" "shell path" "vpnconf" "ratio"
printf '%-44s %12s %12s %9s\n' "bring-up + teardown, processes" $((ms / 1000)) $((mv / 1000)) \
  "$(python3 -c "print('%.1fx' % ($ms / $mv))")"
printf '%-44s %12s %12s %9s\n' "bring-up + teardown, in-process" $((ms / 1000)) "$mi" \
  "$(python3 -c "print('%.1fx' % ($ms / ($mi * 1000)))")"
printf '%-44s %12s\n' "one /bin/true, for scale" $((mt / 1000))
