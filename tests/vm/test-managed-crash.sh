#!/bin/bash
# test-managed-crash: vpnconf killed (SIGKILL) at random points of a managed
# bring-up, and of a teardown, is fail-closed at every point and recovers.
# The bring-up carries every kind of step (namespace with its policy,
# endpoint pinning, host link, tunnel create/label/configure/address/up/
# route, files).  The kill delays start spread over a whole measured
# bring-up and then concentrate where a transaction is open.  After each
# kill:
#  - a namespace that exists (not just an empty placeholder) holds vpnconf's
#    table inet vpnconf with all three chains at policy drop;
#  - no WireGuard link is in the initial namespace (the tunnel is created
#    directly inside the confinement namespace; only its UDP socket lives
#    outside);
# then the next reconcile reports a cut transaction as interrupted (and the
# journal records it so), converges (plan in sync) and DNS flows through the
# tunnel.  A tunnel whose creator died before labelling it (made by hand
# here, since that window is a few microseconds) is taken over.  Teardowns
# killed the same way leave nothing usable outside, and the next down
# completes.

# shellcheck disable=SC2016 # jq filters and wait_for conditions, on purpose
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpn-fixture.sh"

iterations=${VPNCONF_VM_CRASH_ITERATIONS:-15}
down_iterations=${VPNCONF_VM_CRASH_DOWN_ITERATIONS:-5}

load_wireguard
fx_vpnsrv
fx_client_key
fx_desired
fx_edit '.namespaces[$ns].wireguard.endpointPinning = { enable: true }
  | .namespaces[$ns].publishToHost.tcp = [8080]'
fx_serve vpnsrv udp 10.64.0.1 53 --reply
# The interface group that marks vpnconf's links (reconciler/link.h).
vpnconf_group=$((0x56504e43))

# Fails unless the state right after a kill is fail-closed.  Prints what it
# found: "netns", "placeholder" or "absent", then "+unlabelled" when a link
# of vpnconf's in the namespace has no alias yet.
check_fail_closed() {
  local found=absent table links
  if [[ -e /run/netns/$FX_NS ]]; then
    if in_ns "$FX_NS" true 2>/dev/null; then
      found=netns
      table=$(in_ns "$FX_NS" nft list table inet vpnconf 2>&1) ||
        fail "namespace $FX_NS without its policy table: $table"
      grep -qE 'comment "vpnconf:(policy|lockdown)"' <<<"$table" ||
        fail "the table in $FX_NS is not vpnconf's: $table"
      [[ $(grep -c 'policy drop;' <<<"$table") == 3 ]] ||
        fail "not every chain drops by default: $table"
      links=$(ip -n "$FX_NS" -o link show group "$vpnconf_group")
      if awk 'NF && !/ alias / { f = 1 } END { exit !f }' <<<"$links"; then
        found+=+unlabelled
      fi
    else
      found=placeholder
    fi
  fi
  if matches . ip -o link show type wireguard; then
    fail "a WireGuard link exists in the initial namespace: $(ip -o link show type wireguard)"
  fi
  echo "$found"
}

# The transactions still marked running (cut by the kill).
running_txns() {
  vc history --json --limit 0 2>/dev/null |
    jq -r '.transactions[] | select(.outcome == "running") | .id'
}

# kill_at MS CMD...: run vpnconf CMD in the background and SIGKILL it after
# MS milliseconds; prints the last step it reported.
kill_at() {
  local ms=$1 pid
  shift
  # Not through vc: $! must be vpnconf itself, not a subshell around it.
  "$VPNCONF" --config "$FX_CONFIG" "$@" >"$VM_TMP/killed.out" 2>"$VM_TMP/killed.err" &
  pid=$!
  sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  { grep -v '^vpnconf: .*drift' "$VM_TMP/killed.err" || echo "(nothing)"; } |
    tail -n 1 | sed 's/^vpnconf: //'
}

now_ms() {
  local t=${EPOCHREALTIME/[.,]/}
  echo $((t / 1000))
}

log "a whole bring-up, timed (the second: the first also creates the journal)"
fx_run 0 vc reconcile
fx_run 0 vc down "$FX_NS"
t0=$(now_ms)
fx_run 0 vc reconcile
bringup_ms=$(($(now_ms) - t0))
t0=$(now_ms)
fx_run 0 vc down "$FX_NS"
down_ms=$(($(now_ms) - t0))
log "bring-up ${bringup_ms} ms, teardown ${down_ms} ms"

# The kill window [lo, hi] (ms after the start) narrows to where vpnconf
# holds a transaction open: a kill that came before anything started raises
# lo, one that came after everything was done lowers hi.  Process start-up
# and observation take most of a run; the steps themselves a fraction.
window() {
  lo=0 hi=$(($1 * 11 / 10))
}
window_update() {
  case $1 in
  early) lo=$(($2 > lo ? $2 : lo)) ;;
  late) hi=$(($2 < hi ? $2 : hi)) ;;
  esac
  if ((hi - lo < 10)); then
    lo=$((lo > 10 ? lo - 10 : 0)) hi=$((hi + 10))
  fi
}
pick() {
  echo $((lo + RANDOM % (hi - lo + 1)))
}

declare -A seen=([early]=0 [cut]=0 [late]=0 [unlabelled]=0 [placeholder]=0)
window "$bringup_ms"
for ((i = 1; i <= iterations; i++)); do
  ms=$(pick)
  last=$(kill_at "$ms" reconcile)
  found=$(check_fail_closed)
  running=$(running_txns)
  if [[ -n $running ]]; then
    class="cut"
  elif [[ $found == absent ]]; then
    class=early
  else
    class=late
  fi
  window_update "$class" "$ms"
  seen[$class]=$((seen[$class] + 1))
  [[ $found == *+unlabelled ]] && seen[unlabelled]=$((seen[unlabelled] + 1))
  [[ $found == placeholder* ]] && seen[placeholder]=$((seen[placeholder] + 1))
  log "kill $i after $ms ms: $class, $found; last step: $last"

  fx_run 0 vc reconcile
  if [[ -n $running ]]; then
    grep -qF "recovered: transaction $running was interrupted" "$FX_OUT" ||
      fail "reconcile did not report $running as interrupted"
    fx_run 0 vc show --json "$running"
    jq -e '.outcome == "interrupted"' "$FX_OUT" >/dev/null ||
      fail "the journal does not record $running as interrupted"
  fi
  fx_run 0 vc plan
  can "$FX_NS" udp 10.64.0.1 53 || fail "no DNS through the tunnel after recovery $i"
  fx_run 0 vc down "$FX_NS"
done
log "bring-ups killed: ${seen[early]} before the transaction, ${seen[cut]} cut," \
  "${seen[late]} after it; ${seen[unlabelled]} left an unlabelled link," \
  "${seen[placeholder]} a placeholder"

log "a tunnel link left unlabelled (made by hand)"
fx_run 0 vc reconcile
ip -n "$FX_NS" link del "$FX_IF"
# Created the way vpnconf creates it: from the initial namespace (which
# keeps its UDP socket) directly inside the confinement namespace.
ip link add "$FX_IF" netns "$FX_NS" group "$vpnconf_group" type wireguard
[[ $(check_fail_closed) == netns+unlabelled ]] || fail "the hand-made link is not unlabelled"
fx_run 2 vc plan
grep -q "label link $FX_IF" "$FX_OUT" || fail "plan does not label $FX_IF"
fx_run 0 vc reconcile
fx_run 0 vc plan
matches "alias vpnconf:$FX_NS:tunnel" ip -n "$FX_NS" -o link show "$FX_IF" ||
  fail "$FX_IF did not get its alias"
can "$FX_NS" udp 10.64.0.1 53 || fail "no DNS through the taken-over tunnel"

log "teardowns killed"
declare -A seen=([early]=0 [cut]=0 [late]=0)
window "$down_ms"
for ((i = 1; i <= down_iterations; i++)); do
  if [[ ! -e /run/netns/$FX_NS ]]; then
    fx_run 0 vc reconcile
  fi
  ms=$(pick)
  last=$(kill_at "$ms" down "$FX_NS")
  found=$(check_fail_closed)
  running=$(running_txns)
  if [[ -n $running ]]; then
    class="cut"
  elif [[ $found == netns ]]; then
    class=early
  else
    class=late
  fi
  window_update "$class" "$ms"
  seen[$class]=$((seen[$class] + 1))
  log "kill $i of down after $ms ms: $class, $found; last step: $last"
  fx_run 0 vc down "$FX_NS"
  [[ ! -e /run/netns/$FX_NS ]] || fail "the namespace outlived down"
  if nft list table inet "vpnconf-pin-$FX_NS" >/dev/null 2>&1; then
    fail "the pin table outlived down"
  fi
  if matches ': vh-' ip -o link show; then
    fail "a link of $FX_NS outlived down: $(ip -o link show)"
  fi
done
log "teardowns killed: ${seen[early]} before the transaction, ${seen[cut]} cut," \
  "${seen[late]} after it"
