#!/bin/bash
# test-managed-pinning: endpoint pinning of a managed tunnel.  vpnconf
# installs table inet vpnconf-pin-NS in the tunnel's birthplace (here the
# initial namespace), matching the derived pinning mark, which is also the
# device's fwmark.  Someone inside the namespace then points the peer at a
# decoy that listens (wg set ... endpoint 10.98.0.2:51820): the tunnel's
# packets towards it are seen leaving (a counter in front of the pin table)
# but not one arrives, while an unmarked datagram from the host does (the
# control).  plan reports the endpoint drift, reconcile restores the
# endpoint and traffic flows again.  An explicit pinning mark replaces the
# derived one on both sides, and down removes the pin table.

# shellcheck disable=SC2016 # jq filters and wait_for conditions, on purpose
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpn-fixture.sh"

load_wireguard
fx_vpnsrv
fx_decoy
fx_client_key
fx_desired
fx_edit '.namespaces[$ns].wireguard.endpointPinning = { enable: true }'
pin_table=vpnconf-pin-$FX_NS

# check_pinning MARK: the pin table and the device both use MARK.
check_pinning() {
  local mark=$1 table
  table=$(nft --numeric-protocol list table inet "$pin_table") || fail "no $pin_table in the initial namespace"
  for want in 'comment "vpnconf:pin"' \
    "$(printf 'meta mark 0x%08x ip daddr 10.99.0.2 udp dport 51820 accept' "$mark")" \
    "$(printf 'meta mark 0x%08x meta l4proto 17 drop' "$mark")"; do
    grep -qF "$want" <<<"$table" || fail "$pin_table lacks: $want"$'\n'"$table"
  done
  [[ $(in_ns "$FX_NS" wg show "$FX_IF" fwmark) == "$(printf '0x%x' "$mark")" ]] ||
    fail "the device's fwmark is $(in_ns "$FX_NS" wg show "$FX_IF" fwmark), want $mark"
  if in_ns "$FX_NS" nft list table inet "$pin_table" >/dev/null 2>&1; then
    fail "$pin_table exists inside $FX_NS"
  fi
}

log "pinning with the derived mark"
fx_run 0 vc reconcile
mark=$(fx_pin_mark "$FX_IF")
check_pinning "$mark"
fx_run 0 vc status --json
jq -e --argjson m "$mark" '.namespaces[0].tunnel.fwMark == $m' "$FX_OUT" >/dev/null ||
  fail "status does not show the pinning mark as the tunnel's fwmark"
fx_wait_handshake "$FX_NS"
fx_serve vpnsrv udp 10.64.0.1 53 --reply
can "$FX_NS" udp 10.64.0.1 53 || fail "no DNS through the pinned tunnel"

# Counts the tunnel's packets towards the decoy before the pin table sees
# them (a lower priority runs first).
nft -f - <<EOF
table inet fixture_pin {
  counter to_decoy { }
  chain output {
    type filter hook output priority -10; policy accept;
    meta mark $mark ip daddr 10.98.0.2 udp dport 51820 counter name "to_decoy"
  }
}
EOF
log "control: the decoy receives unmarked datagrams"
"$NETTEST" send-udp 10.98.0.2 51820 || fail "cannot send to the decoy"
wait_for '[[ $(fx_count decoy udp 10.98.0.2 51820) == 1 ]]' 10

log "the endpoint moved to the decoy by hand"
in_ns "$FX_NS" wg set "$FX_IF" peer "$FX_SRV_PUB" endpoint 10.98.0.2:51820
cannot "$FX_NS" udp 10.64.0.1 53 udp 10.64.0.1 53 udp 10.64.0.1 53
sent=$(nft list counter inet fixture_pin to_decoy |
  awk '$1 == "packets" { print $2 }')
((sent > 0)) || fail "the tunnel sent nothing towards the decoy (the test proves nothing)"
[[ $(fx_count decoy udp 10.98.0.2 51820) == 1 ]] ||
  fail "the decoy received $(($(fx_count decoy udp 10.98.0.2 51820) - 1)) tunnel datagram(s)"
fx_run 2 vc plan
grep -qF "endpoint 10.98.0.2:51820 -> 10.99.0.2:51820" "$FX_OUT" ||
  fail "plan does not report the endpoint drift"
fx_run 0 vc reconcile
matches "10\.99\.0\.2:51820\$" in_ns "$FX_NS" wg show "$FX_IF" endpoints ||
  fail "reconcile did not restore the endpoint"
can "$FX_NS" udp 10.64.0.1 53 || fail "no DNS after the endpoint was restored"
[[ $(fx_count decoy udp 10.98.0.2 51820) == 1 ]] || fail "the decoy received a datagram"

log "an explicit pinning mark"
fx_edit '.namespaces[$ns].wireguard.endpointPinning.fwMark = 4660'
fx_run 2 vc plan --json
jq -e '[.namespaces[0].steps[].kind] | sort == ["nft-replace", "tunnel-configure"]' \
  "$FX_OUT" >/dev/null || fail "unexpected plan for a new pinning mark: $(<"$FX_OUT")"
fx_run 0 vc reconcile
check_pinning 4660
can "$FX_NS" udp 10.64.0.1 53 || fail "no DNS after the pinning mark changed"

log "down removes the pin table"
fx_run 0 vc down "$FX_NS"
if nft list table inet "$pin_table" >/dev/null 2>&1; then
  fail "$pin_table is still there after down"
fi
