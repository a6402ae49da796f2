#!/bin/bash
# Concurrency: reconciles started together serialise on the lock. Each one
# exits 0, or 4 with a message naming the lock when it gave up waiting;
# never anything else. Readers (plan, status, history) run alongside
# without the lock. The journal stays intact and the state converges.
# A held lock makes --lock-timeout 0 exit 4 at once.
. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-8}

config() {
  write_config <<EOF
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "egress": { "mode": "allowList", "allowedCidrs": $1 },
      "publishToHost": { "tcp": $2 }
EOF
}

# start NAME ARGS...: vpnconf ARGS in the background, output in files.
declare -A job=()
start() {
  local name=$1
  shift
  "$VPNCONF" --config "$CONFIG" --state-dir "$STATE" "$@" >"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err" &
  job[$name]=$!
}
# finished NAME OK-CODES...: the job exited with one of OK-CODES.
finished() {
  local name=$1 rc=0
  shift
  wait "${job[$name]}" || rc=$?
  [[ " $* " == *" $rc "* ]] ||
    fail "$name exited $rc (expected one of: $*): $(cat "$TEST_TMP/$name.err" "$TEST_TMP/$name.out")"
  if [ "$rc" = 4 ]; then
    contains "$(cat "$TEST_TMP/$name.err")" "another vpnconf reconcile is running (lock /run/vpnconf/.lock" ||
      fail "$name: exit 4 without naming the lock: $(cat "$TEST_TMP/$name.err")"
    busy=$((busy + 1))
  fi
  FINISHED_RC=$rc
}

busy=0 applied=0
for round in $(seq 1 "$ROUNDS"); do
  case $((round % 3)) in
  0) config '["10.64.0.0/16"]' '[8080]' ;;
  1) config '["10.64.0.0/16", "192.0.2.0/24"]' '[]' ;;
  2) config '["192.0.2.0/24"]' '[8080, 8443]' ;;
  esac
  # Every other round starts from nothing: a longer bring-up to contend for.
  [ $((round % 2)) = 0 ] || expect_rc 0 vc -q down "$NS" >/dev/null
  start a reconcile
  start b reconcile --lock-timeout 0
  start c reconcile --lock-timeout 0
  start d reconcile
  start plan plan
  start status status --json
  start history history --json
  this_round=0
  for name in a b c d; do
    finished "$name" 0 4
    [ "$FINISHED_RC" != 0 ] || ! contains "$(cat "$TEST_TMP/$name.out")" applied ||
      this_round=$((this_round + 1))
  done
  # The first to get the lock converges; the others find it in sync.
  [ "$this_round" = 1 ] || fail "round $round: $this_round reconciles applied changes, want 1"
  applied=$((applied + this_round))
  finished plan 0 2
  finished status 0
  finished history 0
  json 'len(d["namespaces"])' <"$TEST_TMP/status.out" >/dev/null || fail "status --json is not JSON"
  json 'len(d["transactions"])' <"$TEST_TMP/history.out" >/dev/null || fail "history --json is not JSON"
  expect_rc 0 vc plan >/dev/null
done
note "$ROUNDS rounds: $applied reconciles applied changes, $busy gave up on the lock"
[ "$busy" -gt 0 ] || note "(no reconcile found the lock busy: the machine was too fast to contend)"

[ "$(sqlite3 "$STATE/journal.db" 'PRAGMA integrity_check')" = ok ] || fail "journal damaged"
[ "$(sqlite3 "$STATE/journal.db" "SELECT count(*) FROM txn WHERE outcome = 'running'")" = 0 ] ||
  fail "transactions left running"
[ "$(sqlite3 "$STATE/journal.db" "SELECT count(*) FROM txn WHERE outcome NOT IN ('applied')")" = 0 ] ||
  fail "unexpected outcomes: $(sqlite3 "$STATE/journal.db" "SELECT outcome, summary FROM txn WHERE outcome != 'applied'")"
capture 0 vc reconcile
contains "$OUT" "$NS: in sync" || fail "not converged"

note "a held lock: --lock-timeout 0 gives up at once, --lock-timeout 300 after 300 ms"
flock -o /run/vpnconf/.lock sleep 2 >/dev/null 2>&1 &
holder=$!
BG_PIDS+=("$holder")
for i in $(seq 1 100); do
  ! flock -n /run/vpnconf/.lock true || { sleep 0.01; continue; }
  break
done
config '["10.64.0.0/16"]' '[]'
t0=$(date +%s%N)
capture 4 vc --lock-timeout 0 reconcile
ms=$((($(date +%s%N) - t0) / 1000000))
contains "$OUT" "/run/vpnconf/.lock" || fail "the message does not name the lock: $OUT"
[ "$ms" -lt 1000 ] || fail "--lock-timeout 0 took $ms ms"
t0=$(date +%s%N)
capture 4 vc --lock-timeout 300 reconcile
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -ge 300 ] && [ "$ms" -lt 2000 ] || fail "--lock-timeout 300 took $ms ms"
# Readers take no lock.
capture 2 vc plan
capture 0 vc status
wait "$holder"
capture 0 vc reconcile
capture 0 vc plan
finish
