#!/bin/bash
# Rejection: an invalid desired state gets a clear error (the JSON path and
# the rule), exit status 3, exactly one journaled "rejected" transaction
# per attempt, and changes nothing: not the running namespace, not the
# host, not the runtime directory.
. "$(dirname "$0")/lib.sh"

use_example
up
settle
good=$(cat "$CONFIG")

# reject NAME VERBS EXPECTED-LINE: $CONFIG (already written) must be refused
# by each of VERBS ("check reconcile plan") with EXPECTED-LINE among the
# errors, and change nothing.
reject() {
  local name=$1 verbs=$2 want=$3 verb n
  note "rejected ($verbs): $name"
  for verb in $verbs; do
    n=$(txn_count)
    snapshot "$TEST_TMP/before"
    capture 3 vc "$verb"
    contains "$OUT" "$CONFIG: $want" || fail "$name: $verb: no line '$CONFIG: $want'"
    contains "$OUT" "rejected" || fail "$name: $verb: does not say it was rejected"
    snapshot "$TEST_TMP/after"
    same_snapshot "$TEST_TMP/before" "$TEST_TMP/after" "$name: $verb"
    [ "$(txn_count)" = $((n + 1)) ] || check_failed "$name: $verb: $(($(txn_count) - n)) new transactions, want 1"
    [ "$(txn_last outcome)" = rejected ] || check_failed "$name: $verb: last outcome $(txn_last outcome)"
    [ "$(txn_last command)" = "$verb" ] || check_failed "$name: $verb: journaled as $(txn_last command)"
    contains "$(txn_last summary)" "$want" || check_failed "$name: $verb: the journal lacks the error"
  done
}

printf '{ "version": 1, "namespaces": { "vpnapps": { "dns": { "servers": ["10.64.0.1"] }\n' >"$CONFIG"
reject "syntax error" "check reconcile plan" "line 2, column 0: "

sed 's/"servers": \["10.64.0.1"\]/"servers": ["10.64.0.1"], "serverz": ["10.64.0.2"]/' <<<"$good" >"$CONFIG"
reject "unknown key" "check reconcile" "namespaces.vpnapps.dns.serverz: unknown key"

sed 's/"servers": \["10.64.0.1"\]/"servers": ["dns.example"]/' <<<"$good" >"$CONFIG"
reject "DNS server host name" "check reconcile" \
  'namespaces.vpnapps.dns.servers[0]: must be a literal IPv4 or IPv6 address, not "dns.example"'

write_config <<'EOF'
      "securityProfile": "highAssurance",
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "egress": { "mode": "allowAllTunnel" }
EOF
reject "highAssurance with allowAllTunnel" "check reconcile" "namespaces.vpnapps.egress.mode: "

managed() {
  write_config <<EOF
      "securityProfile": "$1",
      "wireguard": {
        "interface": "wg0",
        "privateKeyFile": "$TEST_TMP/wg.key",
        "addresses": ["10.0.0.2/32"],
        "peers": [ { "publicKey": "vblMc9U8RAI6cVopcKEMTVT6lVC3D9nTTMSwot5d3L4=",
                     "endpoint": "198.51.100.10:51820", "allowedIPs": ["0.0.0.0/0"] } ]
      },
      "dns": { "servers": ["10.64.0.1"] },
      "egress": { "mode": "allowList", "allowedCidrs": ["10.64.0.0/16"] }
EOF
}
managed balanced
capture 0 vc check # key files are not required to exist at check time
reject "missing key file of a managed tunnel" "reconcile plan" "namespaces.vpnapps.wireguard.privateKeyFile: "
# A key file that everyone may read: refused in highAssurance only.
printf 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n' >"$TEST_TMP/wg.key"
chmod 0644 "$TEST_TMP/wg.key"
managed highAssurance
capture 0 vc check
reject "exposed key file in highAssurance" "reconcile" "namespaces.vpnapps.wireguard.privateKeyFile: "
contains "$OUT" "yAnz5TF" && fail "the key leaked into the output"
contains "$(vc history --json --limit 0)" "yAnz5TF" && fail "the key leaked into the journal"

note "the namespace kept running"
printf '%s\n' "$good" >"$CONFIG"
capture 0 vc plan
contains "$OUT" "$NS: in sync" || fail "not in sync: $OUT"
serve_all vpnsrv "tcp 192.0.2.10 80"
reach "$NS" yes "tcp 192.0.2.10 80"
# Rejected attempts touch no namespace: the namespace's history has none.
[ "$(vc history --json --limit 0 -n "$NS" | json '[t["outcome"] for t in d["transactions"]]')" = '["applied"]' ] ||
  check_failed "the namespace's history: $(vc history --json -n "$NS")"
finish
