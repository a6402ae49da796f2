#!/bin/bash
# vpnconf status --format prometheus on a reconciled namespace: the text
# parses as the Prometheus exposition format (prom-parse.py, strict), the
# namespace is present and in sync, and the drift counter follows the
# journal: drift found and repaired by reconcile counts, in-sync runs do
# not. --format json is --json; other verbs refuse prometheus.
. "$(dirname "$0")/lib.sh"

write_config '"drift": { "action": "repair" }' <<EOF
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "publishToHost": { "tcp": [8080] }
EOF
up

# scrape: a fresh status --format prometheus, checked by prom-parse.py;
# metric NAME: the value of NAME{namespace="$NS"} in it.
scrape() {
  vc status --format prometheus >"$TEST_TMP/metrics" || fail "status --format prometheus failed"
  "$PYTHON3" "$SRCDIR/tests/integration/prom-parse.py" <"$TEST_TMP/metrics" >"$TEST_TMP/samples" ||
    fail "not the exposition format: $(cat "$TEST_TMP/metrics")"
}
metric() { json "int(d['$1{namespace=$NS}'])" <"$TEST_TMP/samples"; }

note "in sync"
scrape
cat "$TEST_TMP/metrics"
[ "$(metric vpnconf_namespace_present)" = 1 ] || fail "not present"
[ "$(metric vpnconf_namespace_in_sync)" = 1 ] || fail "not in sync"
[ "$(metric vpnconf_namespace_locked_down)" = 0 ] || fail "locked down"
[ "$(metric vpnconf_drift_events_total)" = 0 ] || fail "drift counted before any"
[ "$(metric vpnconf_lockdowns_total)" = 0 ] || fail "lockdown counted before any"

note "drift"
ip link del "$HOST_IF"
scrape
[ "$(metric vpnconf_namespace_in_sync)" = 0 ] || fail "in sync with its host link deleted"
expect_rc 0 vc reconcile
scrape
[ "$(metric vpnconf_namespace_in_sync)" = 1 ] || fail "not in sync after the repair"
drift=$(metric vpnconf_drift_events_total)
[ "$drift" -ge 1 ] || fail "the repaired drift is not counted"
expect_rc 0 vc reconcile
scrape
[ "$(metric vpnconf_drift_events_total)" = "$drift" ] || fail "an in-sync run counted drift"

note "formats"
vc status --format json >"$TEST_TMP/out.json" || fail "status --format json failed"
"$PYTHON3" -m json.tool "$TEST_TMP/out.json" >/dev/null || fail "--format json: not JSON"
capture 64 vc status --format yaml
contains "$OUT" "invalid format" || fail "--format yaml: $OUT"
capture 64 vc plan --format prometheus
finish
