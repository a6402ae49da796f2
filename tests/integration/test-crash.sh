#!/bin/bash
# Crashes: bring-ups, changes and teardowns killed with SIGKILL at random
# points. After every kill the state must be fail-closed: a namespace, if
# it exists, holds the deny-by-default policy (or the lockdown table) and
# no interface but loopback and vpnconf's host link end; the host holds no
# interface but vpnconf's veth, and that only with its host-side table. The next reconcile (or down) finishes the
# job and records the transaction the kill left running as interrupted.
. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-30}
# Kill delays are drawn from a window: at first the time in which a
# calibration run of the same kind had its transaction open (plus a
# millisecond either side), then narrowed by every kill that came too early
# or too late, so that most kills land in a step whatever the machine's
# speed.
WIN_LO=0 WIN_HI=20000
calibrate() {
  local t0
  t0=$(date +%s%6N)
  "$VPNCONF" --config "$CONFIG" --state-dir "$STATE" -q "$@" >/dev/null 2>&1
  read -r WIN_LO WIN_HI < <(sqlite3 -separator ' ' "$STATE/journal.db" \
    "SELECT started_usec - $t0, finished_usec - $t0 FROM txn ORDER BY started_usec DESC LIMIT 1")
  WIN_LO=$((WIN_LO > 1000 ? WIN_LO - 1000 : 0))
  WIN_HI=$((WIN_HI + 1000))
}

# Six steps: namespace, pinning table, host-side table, host link, two
# resolver files.
write_config <<'EOF'
      "wireguard": { "interface": "wg0", "managed": false,
                     "endpointPinning": { "enable": true },
                     "peers": [ { "endpoint": "198.51.100.10:51820" } ] },
      "dns": { "servers": ["10.64.0.1"] },
      "egress": { "mode": "allowList", "allowedCidrs": ["10.64.0.0/16", "192.0.2.0/24"] },
      "publishToHost": { "tcp": [8080] }
EOF
expect_rc 0 vc check >/dev/null
VPNC_GROUP=1448103491 # 0x56504e43, vpnconf's interface group

# chain_policies: "input drop forward drop output drop" for a policy that
# drops by default.
chain_policies() {
  sed -n 's/^\s*chain \([a-z]*\) {$/\1/p; s/.*type filter hook [a-z]* priority [a-z0-9-]*; policy \([a-z]*\);.*/\1/p' |
    tr '\n' ' ' | sed 's/ $//'
}

# fail_closed ROUND: the invariants of a state a kill may leave.
fail_closed() {
  local round=$1 table links l host
  if mountpoint -q "/run/netns/$NS"; then
    table=$(in_ns "$NS" nft list table inet vpnconf 2>&1) ||
      fail "round $round: a namespace without its policy table: $table"
    contains "$table" 'comment "vpnconf:policy"' || contains "$table" 'comment "vpnconf:lockdown"' ||
      fail "round $round: the table is neither the policy nor the lockdown table: $table"
    [ "$(chain_policies <<<"$table")" = "input drop forward drop output drop" ] ||
      fail "round $round: chains and policies: $(chain_policies <<<"$table")"
    links=$(links "$NS")
    [ "$links" = lo ] || [ "$links" = "lo $NS_IF" ] || fail "round $round: interfaces inside: $links"
    [ "$(in_ns "$NS" cat /proc/sys/net/ipv6/conf/all/disable_ipv6)" = 1 ] ||
      fail "round $round: IPv6 enabled inside"
  fi
  host=$(links host)
  [ "$host" = lo ] || [ "$host" = "lo $HOST_IF" ] || fail "round $round: interfaces on the host: $host"
  # (The host end of a destroyed namespace's link goes asynchronously.)
  if [ "$host" != lo ] && l=$(ip -d link show dev "$HOST_IF" 2>/dev/null); then
    contains "$l" "group $VPNC_GROUP" || fail "round $round: $HOST_IF is not in vpnconf's group: $l"
    # Unlabelled is allowed for an instant after creation; the next
    # reconcile restores the alias.
    contains "$l" "alias" && ! contains "$l" "alias vpnconf:$NS:hostlink" &&
      fail "round $round: $HOST_IF has a foreign alias: $l"
    # Raw frames from inside pass no hook of the namespace: the host end
    # never exists without its host-side table.
    table=$(nft list table inet "vpnconf-host-$NS" 2>&1) ||
      fail "round $round: the host end of the host link without its host-side table: $table"
    contains "$table" 'comment "vpnconf:host"' ||
      fail "round $round: host-side table unmarked: $table"
  fi
  table=$(nft list table inet "vpnconf-pin-$NS" 2>/dev/null) || return 0
  contains "$table" 'comment "vpnconf:pin"' || fail "round $round: pinning table unmarked: $table"
}

# kill_at_random PHASE VERB...: runs vpnconf VERB and kills it with SIGKILL
# after a random delay; checks the state it leaves, then lets a reconcile
# (or for a teardown, down) finish the job. Counts where the kills landed.
declare -A landed=()
interrupted=0 kills=0
kill_at_random() {
  local phase=$1 delay pid rc running where txns strays
  shift
  kills=$((kills + 1))
  txns=$(sqlite3 "$STATE/journal.db" "SELECT count(*) FROM txn")
  delay=$((WIN_LO + (RANDOM * 32768 + RANDOM) % (WIN_HI - WIN_LO)))
  # A simple command, so that $! is vpnconf itself.
  "$VPNCONF" --config "$CONFIG" --state-dir "$STATE" -q "$@" >/dev/null 2>&1 &
  pid=$!
  sleep "$(printf '%d.%06d' $((delay / 1000000)) $((delay % 1000000)))"
  kill -9 "$pid" 2>/dev/null || true
  rc=0
  wait "$pid" 2>/dev/null || rc=$?
  fail_closed "$phase $kills"

  # Where the kill landed, from the journal (read-only, lock-free).
  running=$(sqlite3 "$STATE/journal.db" "SELECT id FROM txn WHERE outcome = 'running'" 2>/dev/null || true)
  if [ "$rc" = 0 ]; then
    where="after the end"
  elif [ -z "$running" ] && [ "$(sqlite3 "$STATE/journal.db" "SELECT count(*) FROM txn")" != "$txns" ]; then
    where="after the transaction, before exiting"
  elif [ -z "$running" ]; then
    where="before the transaction"
  else
    where=$(sqlite3 "$STATE/journal.db" "SELECT status || ' ' || action || ' ' || object FROM step
      WHERE txn_id = '$running' ORDER BY seq DESC LIMIT 1")
    case $where in
    "") where="transaction begun, no step yet" ;;
    done*) where="between steps, after ${where#done }" ;;
    pending*) where="during ${where#pending }" ;;
    esac
  fi
  landed["$phase: $where"]=$((${landed["$phase: $where"]:-0} + 1))
  # Narrow the window towards where the steps run on this machine now.
  case $where in
  "before the transaction") WIN_LO=$delay ;;
  after*) WIN_HI=$delay ;;
  esac
  if [ $((WIN_HI - WIN_LO)) -lt 2000 ]; then
    WIN_LO=$((WIN_LO > 1000 ? WIN_LO - 1000 : 0))
    WIN_HI=$((WIN_HI + 1000))
  fi

  capture 0 vc "$1" ${2:+"$2"}
  if [ -n "$running" ]; then
    interrupted=$((interrupted + 1))
    contains "$OUT" "recovered: transaction $running was interrupted" ||
      fail "$phase $kills: transaction $running not reported as interrupted"
    [ "$(vc show --json "$running" | json 'd["outcome"]')" = interrupted ] ||
      fail "$phase $kills: transaction $running is not recorded as interrupted"
  fi
  fail_closed "$phase $kills (finished)"
  # What a kill during a file write leaves must not outlive the recovery.
  strays=$(find /run/vpnconf -name '*.tmp' 2>/dev/null)
  if [ -n "$strays" ]; then
    stray_files+=("$phase $kills: $strays")
    rm -f $strays
  fi
}
stray_files=()

# config_with_link true|false: the same namespace with or without the host
# link (and different CIDRs), for changes that create and delete it.
base=$(cat "$CONFIG")
config_with_link() {
  if [ "$1" = true ]; then
    printf '%s\n' "$base" >"$CONFIG"
  else
    sed -e 's|"publishToHost": { "tcp": \[8080\] }|"hostLink": { "enable": false }|' \
      -e 's|"10.64.0.0/16", "192.0.2.0/24"|"192.0.2.0/24"|' <<<"$base" >"$CONFIG"
  fi
}

note "bring-ups killed at random points"
calibrate reconcile
capture 0 vc down "$NS"
note "a bring-up's transaction: $WIN_LO-$WIN_HI us after its start"
for round in $(seq 1 "$ROUNDS"); do
  kill_at_random bring-up reconcile
  capture 0 vc plan
  [ "$(links "$NS")" = "lo $NS_IF" ] || fail "bring-up $round: converged without the host link"
  capture 0 vc down "$NS"
  [ -z "$(ip netns list)" ] || fail "bring-up $round: down left $(ip netns list)"
done

note "changes killed at random points"
capture 0 vc reconcile
config_with_link false
calibrate reconcile
note "a change's transaction: $WIN_LO-$WIN_HI us after its start"
for round in $(seq 1 "$((ROUNDS / 2))"); do
  if [ $((round % 2)) = 1 ]; then config_with_link false; else config_with_link true; fi
  kill_at_random change reconcile
  capture 0 vc plan
done

note "teardowns killed at random points"
empty_dirs=0
config_with_link true
capture 0 vc reconcile
calibrate down "$NS"
note "a teardown's transaction: $WIN_LO-$WIN_HI us after its start"
for round in $(seq 1 "$((ROUNDS / 2))"); do
  capture 0 vc reconcile
  kill_at_random teardown down "$NS"
  [ -z "$(ip netns list)" ] || fail "teardown $round: down left $(ip netns list)"
  if [ -e "/run/vpnconf/$NS" ]; then
    # A kill between the removal of the last file and that of its
    # directory leaves the directory, empty; nothing reads it.
    [ -z "$(find "/run/vpnconf/$NS" -mindepth 1)" ] ||
      fail "teardown $round: left $(find "/run/vpnconf/$NS" -mindepth 1)"
    empty_dirs=$((empty_dirs + 1))
    rmdir "/run/vpnconf/$NS"
  fi
done
[ "$empty_dirs" = 0 ] || note "$empty_dirs teardown(s) left an empty /run/vpnconf/$NS behind"
# The same, deterministically: what a write killed before its rename
# leaves (the temporary file next to the target, named after the pid).
capture 0 vc reconcile
echo "nameserver 192.0.2.1" >"/run/vpnconf/$NS/resolv.conf.vpnconf-4242.tmp"
capture 0 vc reconcile
capture 0 vc down "$NS"
[ ! -e "/run/vpnconf/$NS" ] ||
  check_failed "down left $(find "/run/vpnconf/$NS" -mindepth 1) (an interrupted write's temporary file)"
[ "${#stray_files[@]}" = 0 ] ||
  check_failed "temporary files of interrupted writes survived the recovery ${#stray_files[@]} time(s):" \
    "$(printf '%s; ' "${stray_files[@]}")"

note "$kills kills landed in ${#landed[@]} distinct places ($interrupted left a transaction running):"
for where in "${!landed[@]}"; do note "  $where: ${landed[$where]}"; done | sort
[ "$(sqlite3 "$STATE/journal.db" 'PRAGMA integrity_check')" = ok ] || fail "journal damaged"
[ "$(sqlite3 "$STATE/journal.db" "SELECT count(*) FROM txn WHERE outcome = 'running'")" = 0 ] ||
  fail "transactions still running"
finish
