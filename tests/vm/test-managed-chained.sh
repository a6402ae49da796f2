#!/bin/bash
# test-managed-chained: wireguard.socketNamespace names another confinement
# namespace.  "chain" has its tunnel's UDP socket in vpnapps, so chain's
# tunnel runs inside vpnapps' own tunnel, and chain's endpoint-pinning
# table lives in vpnapps, as part of vpnapps' expected state (it used to be
# "foreign" there: vpnapps deleted it, chain put it back, both reported
# drift forever, and drift.action "lockdown" locked vpnapps down).  chain's
# name sorts first, yet vpnapps, its socket namespace, is brought up first.
# With drift.action "lockdown": the first run brings both up, the second
# finds both in sync, nothing is locked down, DNS works through both
# tunnels; down chain takes its pinning table out of vpnapps.

# shellcheck disable=SC2016 # jq filters, on purpose
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpn-fixture.sh"

load_wireguard
fx_vpnsrv
fx_client_key
fx_desired
chain_key=$VM_TMP/chain.key
(umask 077 && wg genkey >"$chain_key")
in_ns vpnsrv wg set wgsrv peer "$(wg pubkey <"$chain_key")" allowed-ips 10.0.0.3/32
# chain's server endpoint is the server's tunnel address, reached through
# vpnapps' tunnel.
fx_edit '.drift = { action: "lockdown" } |
  .namespaces.chain = {
    wireguard: {
      interface: "wg1", socketNamespace: $ns, privateKeyFile: $key,
      addresses: ["10.0.0.3/32"], endpointPinning: { enable: true },
      peers: [{ publicKey: $srv, endpoint: "10.0.0.1:51820",
        allowedIPs: ["10.64.0.1/32"], persistentKeepalive: 25 }]
    },
    dns: { servers: ["10.64.0.1"] }
  }' --arg key "$chain_key" --arg srv "$FX_SRV_PUB"

log "two consecutive runs"
fx_run 0 vc check
fx_run 0 vc reconcile
fx_run 0 vc plan
fx_run 0 vc reconcile
matches 'in sync' cat "$FX_ERR" "$FX_OUT" || fail "the second run did not find everything in sync"
if matches 'LOCKED|locked-down|drift' cat "$FX_ERR" "$FX_OUT"; then
  fail "the second run found drift or locked down: $(<"$FX_ERR")"
fi
for ns in chain "$FX_NS"; do
  matches 'comment "vpnconf:policy"' in_ns "$ns" nft list table inet vpnconf ||
    fail "$ns does not hold its policy"
done
matches 'ip daddr 10\.0\.0\.1 udp dport 51820 accept' \
  in_ns "$FX_NS" nft list table inet vpnconf-pin-chain || fail "no pin table of chain in $FX_NS"
if nft list table inet vpnconf-pin-chain >/dev/null 2>&1; then
  fail "chain's pin table is in the initial namespace"
fi

log "DNS through both tunnels"
fx_wait_handshake "$FX_NS"
fx_wait_handshake chain wg1
fx_serve vpnsrv udp 10.64.0.1 53 --reply
can "$FX_NS" udp 10.64.0.1 53 || fail "no DNS through vpnapps' tunnel"
can chain udp 10.64.0.1 53 || fail "no DNS through chain's tunnel inside vpnapps'"
fx_run 0 vc plan

log "down chain"
fx_run 0 vc down chain
if in_ns "$FX_NS" nft list table inet vpnconf-pin-chain >/dev/null 2>&1; then
  fail "chain's pin table outlived down"
fi
fx_run 0 vc plan -n "$FX_NS"
fx_run 0 vc down "$FX_NS"
