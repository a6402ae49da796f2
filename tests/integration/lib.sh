# Sourced by the shell integration tests. Each test runs inside
# tests/sandbox (a private network and mount namespace with its own /run),
# creates every namespace, interface and address it uses, and sends packets
# only to addresses it assigned itself.
#
# Environment (set by meson): VPNCONF (the binary), NETTEST (the packet
# tool), SRCDIR (the source tree).
#
# Fixture: a "VPN server" namespace, vpnsrv, joined to the confinement
# namespace by a veth named like the tunnel interface (the stand-in for an
# external WireGuard link). vpnsrv holds the addresses the tests talk to:
#   10.0.0.1    the tunnel peer (gateway of the stand-in)
#   10.64.0.1   the configured resolver
#   10.64.9.9   another address inside an allowed CIDR
#   192.0.2.10  an allowed destination
#   198.51.100.20  a destination that is never allowed
set -euo pipefail

: "${VPNCONF:?VPNCONF must point at the vpnconf binary}"
: "${NETTEST:?NETTEST must point at the nettest binary}"
: "${SRCDIR:?SRCDIR must point at the source tree}"

if [ "${VPNCONF_IN_SANDBOX:-}" != 1 ]; then
  echo "refusing to run outside tests/sandbox" >&2
  exit 2
fi

TEST_TMP=$(mktemp -d)
STATE="$TEST_TMP/state"
CONFIG="$TEST_TMP/desired.json"
BG_PIDS=()

cleanup() {
  local pid
  for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TEST_TMP"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
note() { echo "# $*"; }

# vc ARGS...: vpnconf with the test's config and state directory.
vc() { "$VPNCONF" --config "$CONFIG" --state-dir "$STATE" "$@"; }

# expect_rc RC CMD...: run CMD, fail unless it exits with RC.
expect_rc() {
  local want=$1 rc=0
  shift
  "$@" || rc=$?
  [ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want"
}

# in_ns NS CMD...: run CMD inside network namespace NS ("host": the
# sandbox's own namespace, where vpnconf runs).
in_ns() {
  local ns=$1
  shift
  if [ "$ns" = host ]; then
    "$@"
  else
    nsenter --net="/run/netns/$ns" "$@"
  fi
}

# use_example: the bundled example as the test config.
use_example() { cp "$SRCDIR/docs/examples/desired.json" "$CONFIG"; }

# vpn_server NS IFNAME: the tunnel stand-in for confinement namespace NS.
vpn_server() {
  local ns=$1 ifname=$2 peer="srv-${1:0:10}"
  ip netns add vpnsrv 2>/dev/null || true
  ip -n vpnsrv link set lo up
  ip link add "$ifname" type veth peer name "$peer"
  ip link set "$ifname" netns "$ns"
  ip link set "$peer" netns vpnsrv
  ip -n "$ns" addr add 10.0.0.2/24 dev "$ifname"
  ip -n "$ns" link set "$ifname" up
  ip -n "$ns" route add default via 10.0.0.1 dev "$ifname"
  ip -n vpnsrv addr add 10.0.0.1/24 dev "$peer"
  for a in 10.64.0.1/32 10.64.9.9/32 192.0.2.10/32 198.51.100.20/32; do
    ip -n vpnsrv addr add "$a" dev "$peer"
  done
  ip -n vpnsrv link set "$peer" up
}

# serve NS KIND ADDR PORT [ARGS...]: a nettest server in the background.
serve() {
  local ns=$1
  shift
  # A simple command, so that $! is nettest itself (cleanup kills it).
  if [ "$ns" = host ]; then
    "$NETTEST" "$@" &
  else
    nsenter --net="/run/netns/$ns" "$NETTEST" "$@" &
  fi
  BG_PIDS+=($!)
}

# can NS udp|tcp ADDR PORT: succeeds when a reply comes back.
can() { in_ns "$1" "$NETTEST" "$2" "$3" "$4" --timeout "${TIMEOUT_MS:-400}"; }
cannot() {
  if can "$@"; then fail "expected no answer from $3:$4/$2 inside $1"; fi
}

# Waits until a server's count file exists (the server is listening).
wait_file() {
  local i
  for i in $(seq 1 200); do [ -e "$1" ] && return 0; sleep 0.01; done
  fail "timed out waiting for $1"
}

# ---------------------------------------------------------------------------
# Helpers of the shell tests (tests/integration/test-*.sh).

set -E
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND (status $?)" >&2' ERR

# The confinement namespace the tests configure, and what
# docs/desired-state.md derives for it: host link names and addresses.
NS=vpnapps
HOST_IF=vh-614ddd762fc4
NS_IF=vn-b24c1d61df23
HOST_ADDR=169.254.202.93
NS_ADDR=169.254.202.94

# The system's python3 when there is one: version-manager shims cost
# 100 ms a call.
PYTHON3=$(command -v /usr/bin/python3 || command -v python3)

# --- Checks ----------------------------------------------------------------

# check_failed MSG: reports a failed check and lets the test go on, so that
# one known problem does not hide the checks after it; finish then fails.
SOFT_FAILURES=()
check_failed() {
  echo "FAIL: $*" >&2
  SOFT_FAILURES+=("$*")
}

# finish: the end of a test.
finish() {
  [ "${#SOFT_FAILURES[@]}" = 0 ] || fail "${#SOFT_FAILURES[@]} check(s) failed (see above)"
  note "ok"
}

# capture RC CMD...: runs CMD with its standard output and error in $OUT
# (and shown), failing unless it exits with RC.
OUT=
capture() {
  local want=$1 rc=0
  shift
  OUT=$("$@" 2>&1) || rc=$?
  printf '%s\n' "$OUT"
  [ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want"
}

# contains TEXT STRING: TEXT contains the fixed STRING. (Not "CMD | grep
# -q": with pipefail, grep's early exit fails CMD with SIGPIPE.)
contains() { grep -qF -- "$2" <<<"$1"; }

# json EXPR: evaluates the Python expression EXPR over the JSON document
# read from stdin (bound to d). Strings print as they are, anything else
# as JSON (true, null, [...]).
json() {
  "$PYTHON3" -c '
import json, sys
d = json.load(sys.stdin)
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))
' "$1"
}

# eventually CMD...: retries CMD every 20 ms for up to 2 s until it
# succeeds (for what the kernel finishes asynchronously).
eventually() {
  local i
  for i in $(seq 1 100); do
    "$@" && return 0
    sleep 0.02
  done
  "$@"
}

# --- vpnconf ---------------------------------------------------------------

# write_config [MEMBER...]: writes $CONFIG, a desired state with the one
# namespace $NS whose members (the inside of namespaces.$NS) come from
# stdin. Each MEMBER is another top-level member, e.g. '"drift": {...}'.
write_config() {
  local body member
  body=$(cat)
  {
    echo '{'
    echo '  "version": 1,'
    for member in "$@"; do echo "  $member,"; done
    echo "  \"namespaces\": { \"$NS\": {"
    echo "$body"
    echo '  } }'
    echo '}'
  } >"$CONFIG"
}

# drift_config ACTION [CIDRS]: the namespace the drift tests share, with
# drift.action ACTION: the unmanaged wg0, DNS 10.64.0.1, egress allowList
# to CIDRS (a JSON array, default 10.64.0.0/16 and 192.0.2.0/24), host
# port 8080 published.
drift_config() {
  local cidrs=${2:-'["10.64.0.0/16", "192.0.2.0/24"]'}
  write_config "\"drift\": { \"action\": \"$1\" }" <<EOF
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "egress": { "mode": "allowList", "allowedCidrs": $cidrs },
      "publishToHost": { "tcp": [8080] }
EOF
}

# up: the first reconcile of $CONFIG, then the tunnel stand-in moved into
# $NS; the result must be in sync.
up() {
  expect_rc 0 vc reconcile
  vpn_server "$NS" wg0
  expect_rc 0 vc plan >/dev/null
}

# txn_count: how many transactions the journal holds.
txn_count() { vc history --json --limit 0 | json 'len(d["transactions"])'; }

# txn_last [FIELD]: a field (default id) of the newest transaction.
txn_last() {
  vc history --json --limit 1 | json "d['transactions'][0]['${1:-id}'] if d['transactions'] else ''"
}

# --- Kernel state ----------------------------------------------------------

# netns_names: the namespaces under /run/netns (files there that are not
# mounted namespaces left out).
netns_names() {
  local ns
  for ns in $(ip netns list | cut -d' ' -f1); do
    if mountpoint -q "/run/netns/$ns"; then echo "$ns"; fi
  done
}

# links NS: the names of the interfaces in NS ("host" too), sorted, on one
# line.
links() {
  in_ns "$1" ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort |
    tr '\n' ' ' | sed 's/ $//'
}

# host_links_are "lo ...": the host namespace has exactly these interfaces.
host_links_are() { [ "$(links host)" = "$1" ]; }

# snapshot FILE: what the kernel and the runtime directory hold, in every
# namespace (links, addresses, routes, nftables), for before/after
# comparisons. The lock file and the bare directories /run/vpnconf and
# /run/netns are left out (creating them changes nothing that matters).
snapshot() {
  local ns
  {
    echo "## namespaces"
    ip netns list
    for ns in host $(netns_names); do
      echo "## $ns"
      in_ns "$ns" ip -d -o link show
      in_ns "$ns" ip -o addr show
      in_ns "$ns" ip route show table all
      in_ns "$ns" nft list ruleset
    done
    echo "## files"
    find /run/vpnconf /run/netns -mindepth 1 ! -path /run/vpnconf/.lock -printf '%p %y %m\n' \
      2>/dev/null | sort || true
    find /run/vpnconf -type f ! -path /run/vpnconf/.lock -exec sha256sum {} + 2>/dev/null | sort ||
      true
  } >"$1" 2>&1
}

# same_snapshot BEFORE AFTER WHAT: a failed check, with the difference,
# unless both are equal.
same_snapshot() {
  diff -u "$1" "$2" >&2 || check_failed "$3: the state changed (diff above)"
}

# settle: waits until the kernel is done with new links (carrier and
# operational state propagated, IPv6 duplicate address detection over) in
# every namespace, so that snapshots and event monitors see only what
# vpnconf does.
settle() {
  local i ns busy
  for i in $(seq 1 250); do
    busy=
    for ns in host $(netns_names); do
      if contains "$(in_ns "$ns" ip -o link show up)" NO-CARRIER ||
        [ -n "$(in_ns "$ns" ip -6 -o addr show tentative)" ]; then
        busy=$ns
        break
      fi
    done
    [ -n "$busy" ] || return 0
    sleep 0.02
  done
  fail "namespace $busy did not settle: $(in_ns "$busy" ip -o addr; in_ns "$busy" ip -o link)"
}

# --- Packets ---------------------------------------------------------------

# Services: each SPEC is "PROTO ADDR PORT" (one word each, PROTO udp or
# tcp). count_file NS SPEC names the file a server's count goes to.
count_file() { echo "$TEST_TMP/count-$1-${2// /-}"; }

# serve_all NS SPEC...: nettest servers on each SPEC in NS (UDP ones
# echo), returning once all are listening.
serve_all() {
  local ns=$1 spec proto addr port
  shift
  for spec in "$@"; do
    read -r proto addr port <<<"$spec"
    if [ "$proto" = udp ]; then
      serve "$ns" udp-server "$addr" "$port" --reply --count-file "$(count_file "$ns" "$spec")"
    else
      serve "$ns" tcp-server "$addr" "$port" --count-file "$(count_file "$ns" "$spec")"
    fi
  done
  for spec in "$@"; do wait_file "$(count_file "$ns" "$spec")"; done
}

# served NS SPEC: how many datagrams/connections the server counted.
served() { cat "$(count_file "$1" "$2")"; }

# reach NS yes|no SPEC...: from NS, every SPEC answers (yes) or none does
# (no). The probes run concurrently, so a "no" costs one timeout
# ($TIMEOUT_MS, default 400 ms); a "yes" may take up to 2 s on a busy
# machine, since an answer ends it early.
reach() {
  local ns=$1 want=$2 spec proto addr port i rc bad=() ms=${TIMEOUT_MS:-400}
  local -a pids=() specs=()
  shift 2
  [ "$want" = no ] || ms=2000
  for spec in "$@"; do
    read -r proto addr port <<<"$spec"
    (
      trap - ERR
      TIMEOUT_MS=$ms can "$ns" "$proto" "$addr" "$port"
    ) &
    pids+=($!)
    specs+=("$spec")
  done
  for i in "${!pids[@]}"; do
    rc=0
    wait "${pids[$i]}" || rc=$?
    if [ "$want" = yes ] && [ "$rc" != 0 ]; then
      bad+=("no answer from ${specs[$i]}")
    elif [ "$want" = no ] && [ "$rc" = 0 ]; then
      bad+=("an answer from ${specs[$i]}")
    fi
  done
  [ "${#bad[@]}" = 0 ] || fail "inside $ns: $(printf '%s; ' "${bad[@]}")"
}
