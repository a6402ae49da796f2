#!/bin/bash
# A namespace that is another one's socket namespace keeps that one's
# pinning table. "chain" has its tunnel's UDP socket in vpnapps
# (wireguard.socketNamespace), so chain's endpoint-pinning table
# `inet vpnconf-pin-chain` lives in vpnapps. vpnapps used to take it for a
# foreign table: it deleted it, chain put it back, both reported drift on
# every run, and with drift.action "lockdown" a valid configuration locked
# vpnapps down. Without WireGuard in this kernel chain's own tunnel cannot
# be made here (tests/vm/test-managed-chained.sh does the whole thing);
# the table chain's plan would create is made by hand, as it would be.
. "$(dirname "$0")/lib.sh"

(umask 077 && wg genkey >"$TEST_TMP/chain.key") 2>/dev/null || skip "wg is not installed"
cat >"$CONFIG" <<EOF
{
  "version": 1,
  "drift": { "action": "lockdown" },
  "namespaces": {
    "chain": {
      "wireguard": { "interface": "wg1", "socketNamespace": "$NS",
        "endpointPinning": { "enable": true },
        "privateKeyFile": "$TEST_TMP/chain.key", "addresses": ["10.1.0.2/32"],
        "peers": [{ "publicKey": "vblMc9U8RAI6cVopcKEMTVT6lVC3D9nTTMSwot5d3L4=",
          "endpoint": "10.0.0.1:51820", "allowedIPs": ["0.0.0.0/0"] }] },
      "dns": { "servers": ["10.64.0.1"] }
    },
    "$NS": {
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] }
    }
  }
}
EOF
capture 0 vc check

policy_kind() { in_ns "$NS" nft list table inet vpnconf | sed -n 's/^\tcomment "\(.*\)"$/\1/p'; }

capture 0 vc reconcile -n "$NS"
capture 0 vc plan -n "$NS"
note "chain's pinning table, where chain's reconcile puts it"
in_ns "$NS" nft -f - <<'EOF'
table inet vpnconf-pin-chain {
	comment "vpnconf:pin"
	chain output {
		type filter hook output priority filter; policy accept;
		meta mark 0x1 ip daddr 10.0.0.1 udp dport 51820 accept
		meta mark 0x1 meta l4proto udp drop
	}
}
EOF
for run in 1 2; do
  capture 0 vc plan -n "$NS"
  contains "$OUT" "drift" && check_failed "run $run: chain's pinning table is drift in $NS"
  capture 0 vc reconcile -n "$NS"
  [ "$(policy_kind)" = vpnconf:policy ] || check_failed "run $run: $NS holds $(policy_kind)"
  in_ns "$NS" nft list table inet vpnconf-pin-chain >/dev/null ||
    check_failed "run $run: chain's pinning table was deleted from $NS"
done

note "the pinning table of a namespace born elsewhere is still foreign"
in_ns "$NS" nft add table inet vpnconf-pin-other
capture 2 vc plan -n "$NS"
contains "$OUT" "table inet vpnconf-pin-other in namespace $NS was not created by vpnconf" ||
  check_failed "a pinning table of a namespace not born here is not reported"
contains "$OUT" "vpnconf-pin-chain" && check_failed "chain's pinning table is reported"
in_ns "$NS" nft delete table inet vpnconf-pin-other

note "a cycle of socket namespaces is refused"
sed -i "s/\"wg0\", \"managed\": false/\"wg0\", \"socketNamespace\": \"chain\", \"privateKeyFile\": \"${TEST_TMP//\//\\/}\/chain.key\", \"addresses\": [\"10.2.0.2\/32\"], \"peers\": [{ \"publicKey\": \"vblMc9U8RAI6cVopcKEMTVT6lVC3D9nTTMSwot5d3L4=\", \"endpoint\": \"10.0.0.1:51821\", \"allowedIPs\": [\"0.0.0.0\/0\"] }]/" "$CONFIG"
capture 3 vc check
contains "$OUT" "namespaces.$NS.wireguard.socketNamespace" || check_failed "the error does not name the path"
contains "$OUT" "must not form a cycle" || check_failed "the error does not say why"
finish
