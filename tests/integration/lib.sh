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

# in_ns NS CMD...: run CMD inside network namespace NS.
in_ns() {
  local ns=$1
  shift
  nsenter --net="/run/netns/$ns" "$@"
}

# example_config [JQ-LIKE SED...]: the bundled example as the test config.
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
  in_ns "$ns" "$NETTEST" "$@" &
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
