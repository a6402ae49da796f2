#!/bin/bash
# The command line: help, version, usage errors (exit 64), the exit codes
# of plan (0 in sync, 2 pending), --json output of every verb that has one
# (valid JSON on stdout, nothing else there), show by unique prefix, the
# journal's file modes.
. "$(dirname "$0")/lib.sh"

raw() { "$VPNCONF" "$@"; }
# valid_json FILE WHAT: FILE holds one JSON document.
valid_json() { "$PYTHON3" -m json.tool "$1" >/dev/null || fail "$2: not JSON: $(cat "$1")"; }
# json_out RC WHAT ARGS...: vc ARGS must exit RC with JSON on stdout.
json_out() {
  local want=$1 what=$2 rc=0
  shift 2
  vc "$@" >"$TEST_TMP/out.json" 2>"$TEST_TMP/err" || rc=$?
  [ "$rc" = "$want" ] || fail "$what: exit $rc, want $want: $(cat "$TEST_TMP/err")"
  valid_json "$TEST_TMP/out.json" "$what"
}

note "help, version, usage errors"
capture 0 raw --help
contains "$OUT" "Usage: vpnconf [OPTIONS] COMMAND" || fail "--help: $OUT"
for verb in check plan reconcile down status history show; do
  contains "$OUT" "  $verb " || fail "--help does not list $verb"
done
capture 0 raw -h
capture 0 raw --version
[[ $OUT =~ ^vpnconf\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "--version: $OUT"
capture 64 raw frobnicate
contains "$OUT" "unknown command: frobnicate" || fail "unknown command: $OUT"
capture 64 raw
capture 64 raw --bogus plan
capture 64 raw down
capture 64 raw down a b
capture 64 raw show
capture 64 raw --lock-timeout soon plan
capture 64 raw --limit -1 history
capture 64 raw -n ../x plan
contains "$OUT" "invalid namespace name" || fail "-n ../x: $OUT"
capture 64 raw down ../x

note "help [COMMAND] works like --help"
capture 0 raw help
contains "$OUT" "Usage: vpnconf [OPTIONS] COMMAND" || fail "help: $OUT"
capture 0 raw help check
contains "$OUT" "Usage: vpnconf [OPTIONS] check [FILE]" || fail "help check: $OUT"
contains "$OUT" "--config FILE" || fail "help check lists no options: $OUT"
capture 0 raw check --help
contains "$OUT" "Usage: vpnconf [OPTIONS] check [FILE]" || fail "check --help: $OUT"
capture 64 raw help frobnicate
contains "$OUT" "unknown command: frobnicate" || fail "help frobnicate: $OUT"

note "a missing desired-state file is invalid input (3) and says what to do"
for verb in check plan reconcile status; do
  capture 3 raw --state-dir "$STATE" --config "$TEST_TMP/none.json" "$verb"
  [ "$OUT" = "vpnconf: $TEST_TMP/none.json: No such file or directory; write one (docs/desired-state.md) or pass --config" ] ||
    fail "$verb with a missing file: $OUT"
done
capture 3 raw --state-dir "$STATE" check "$TEST_TMP/none.json"

note "check and plan take the file as their argument"
cp "$SRCDIR/docs/examples/desired.json" "$TEST_TMP/mine.json"
capture 0 raw --state-dir "$STATE" check "$TEST_TMP/mine.json"
[ "$OUT" = "$TEST_TMP/mine.json: valid (1 namespace, 1 unit)" ] || fail "check FILE: $OUT"
capture 0 raw --state-dir "$STATE" check --config "$TEST_TMP/mine.json" "$TEST_TMP/mine.json"
capture 64 raw --state-dir "$STATE" --config "$CONFIG" check "$TEST_TMP/mine.json"
contains "$OUT" "give it once" || fail "check FILE --config OTHER: $OUT"
capture 64 raw --state-dir "$STATE" check a.json b.json
capture 2 raw --state-dir "$STATE" plan "$TEST_TMP/mine.json"

note "unknown keys suggest the nearest known key; unit names are quoted in paths"
sed 's/"allowedCidrs"/"allowedCidr"/' "$TEST_TMP/mine.json" >"$TEST_TMP/typo.json"
grep -q '"allowedCidr"' "$TEST_TMP/typo.json" || fail "the example has no allowedCidrs to misspell"
capture 3 raw --state-dir "$STATE" check "$TEST_TMP/typo.json"
contains "$OUT" 'egress.allowedCidr: unknown key; did you mean allowedCidrs?' ||
  fail "no suggestion: $OUT"
sed 's/"namespace": "vpnapps"/"namespace": "other"/' "$TEST_TMP/mine.json" >"$TEST_TMP/unit.json"
capture 3 raw --state-dir "$STATE" check "$TEST_TMP/unit.json"
contains "$OUT" 'units["transmission.service"].namespace: names the namespace "other"' ||
  fail "unit path not quoted: $OUT"

use_example
note "check, plan and reconcile, in text and JSON"
capture 0 vc check
contains "$OUT" "valid (1 namespace, 1 unit)" || fail "check: $OUT"
json_out 0 "check --json" check --json
json_out 2 "plan --json (pending)" plan --json
[ "$(json 'd["namespaces"][0]["steps"][0]["kind"]' <"$TEST_TMP/out.json")" = netns-create ] ||
  fail "plan --json: first step is not the namespace"
capture 2 vc plan
json_out 0 "reconcile --json" reconcile --json
[ "$(json 'd["namespaces"][0]["outcome"]' <"$TEST_TMP/out.json")" = applied ] || fail "reconcile --json: not applied"
txn=$(json 'd["namespaces"][0]["transaction"]' <"$TEST_TMP/out.json")
capture 0 vc plan
[ "$OUT" = "$NS: in sync" ] || fail "plan: $OUT"
json_out 0 "plan --json (in sync)" plan --json
[ "$(json 'd["namespaces"][0]["steps"]' <"$TEST_TMP/out.json")" = "[]" ] || fail "plan --json lists steps"
# Options may follow the command.
json_out 0 "plan -n NS --json" plan -n "$NS" --json
capture 0 vc -n "$NS" plan

# The journal is root's alone.
[ "$(stat -c %a "$STATE")" = 700 ] || fail "state directory mode $(stat -c %a "$STATE")"
[ "$(stat -c %a "$STATE/journal.db")" = 600 ] || fail "journal mode $(stat -c %a "$STATE/journal.db")"

note "status, history, show"
json_out 0 "status --json" status --json
for field in name present inSync policy tunnel hostLink dns units lastTransaction; do
  [ "$(json "'$field' in d['namespaces'][0]" <"$TEST_TMP/out.json")" = true ] ||
    fail "status --json: no field $field"
done
capture 0 vc status
contains "$OUT" "$NS: in sync" || fail "status: $OUT"
contains "$OUT" "    policy:    in place" || fail "status does not say the policy is in place: $OUT"
contains "$OUT" "      state:   absent: " && contains "$OUT" "confined traffic goes nowhere (safe)" ||
  fail "status does not say what the missing tunnel means: $OUT"
[ "$(vc status --json | json 'd["namespaces"][0]["policy"]')" = policy ] ||
  fail "status --json changed its policy word"
json_out 0 "history --json" history --json
[ "$(json 'd["transactions"][0]["id"]' <"$TEST_TMP/out.json")" = "$txn" ] || fail "history --json: newest is not $txn"
capture 0 vc history
contains "$OUT" "${txn:0:8}" || fail "history: no ${txn:0:8}"
json_out 0 "show --json" show --json "$txn"
[ "$(json 'd["id"]' <"$TEST_TMP/out.json")" = "$txn" ] || fail "show --json: wrong transaction"
[ "$(json 'len(d["stepList"])' <"$TEST_TMP/out.json")" = 5 ] || fail "show --json: not 5 steps (namespace, host-side table, host link, two files)"
for prefix in "${txn:0:4}" "${txn:0:8}" "${txn^^}" "$txn"; do
  capture 0 vc show "$prefix"
  contains "$OUT" "transaction $txn" || fail "show $prefix: $OUT"
done
capture 1 vc show ffffffff-0000
contains "$OUT" "no transaction ffffffff-0000" || fail "show of an unknown id: $OUT"
capture 1 vc show "${txn:0:3}"
contains "$OUT" "at least 4" || fail "show of a prefix under 4 characters: $OUT"
capture 1 vc show "not-hex!"
contains "$OUT" "is not a transaction id" || fail "show of a malformed id: $OUT"
json_out 0 "history --json --limit 0 -n NS" history --json --limit 0 -n "$NS"

note "drift and down"
in_ns "$NS" nft flush chain inet vpnconf forward
capture 2 vc plan
contains "$OUT" "(drift)" || fail "plan: drift not called drift: $OUT"
json_out 2 "plan --json (drift)" plan --json
[ "$(json 'd["namespaces"][0]["drift"]' <"$TEST_TMP/out.json")" = true ] || fail "plan --json: drift false"
json_out 0 "reconcile --json (repair)" reconcile --json
json_out 0 "down --json" down --json "$NS"
[ "$(json 'd["namespaces"][0]["outcome"]' <"$TEST_TMP/out.json")" = torn-down ] || fail "down --json: not torn down"

note "an invalid file"
echo '{ "version": 2 }' >"$CONFIG"
json_out 3 "check --json (invalid)" check --json
[ "$(json 'd["errors"][0]["path"]' <"$TEST_TMP/out.json")" = version ] || fail "check --json: error path"
capture 3 vc plan
capture 3 vc reconcile
# The journal is readable whatever the file says.
json_out 0 "history --json (invalid file)" history --json
finish
