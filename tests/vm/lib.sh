# lib.sh: helpers for the VM test scripts (tests/vm/test-*.sh).
#
# A test is a bash script that guest-run-suite runs as root inside the VM
# (see run-vm), from the source tree, with VPNCONF_SOURCE_DIR and
# VPNCONF_BUILD_DIR set.  It starts with
#
#   . "$(dirname "$0")/lib.sh"
#
# and exits 0 (passed), 77 (skipped) or anything else (failed).  Sourcing
# this file turns on "set -Eeuo pipefail": an unchecked failing command fails
# the test and its line is reported.  Each test builds its own world out of
# network namespaces in the guest; the guest has no network card, so every
# address belongs to the test.  The guest's initial namespace plays the
# "host" (the underlay of vpnconf's WireGuard links).
#
#   fail MSG...            report MSG and exit 1
#   skip MSG...            report MSG and exit 77
#   log MSG...             progress message
#   on_exit CMD            eval CMD when the test exits (last in, first run)
#   wait_for CMD [SECS]    eval CMD every 0.1 s until it succeeds; fail after
#                          SECS seconds (default 10)
#   load_wireguard         modprobe wireguard, fail if it cannot be loaded
#   make_netns NAME        create namespace NAME with lo up, deleted at exit
#   in_ns NAME CMD...      run CMD inside namespace NAME
#   wg_genkey NAME         new key pair: $VM_TMP/NAME.key, $VM_TMP/NAME.pub
#   wg_has_handshake NS IF true once interface IF in NS has completed a
#                          handshake with some peer
#   vm_ping NS ADDR [N]    N (default 1) echo requests from NS to ADDR, 0.2 s
#                          apart, all answered within 5 s; prints only on
#                          failure
#   nft_counter NS FAMILY TABLE COUNTER
#                          print the packet count of a named nft counter
#   make_vpn_server NAME HOST_ADDR SERVER_ADDR TUNNEL_ADDR [PORT]
#       A "VPN server": namespace NAME joined to the host by a veth pair
#       (host end "vh-NAME" with HOST_ADDR, server end "eth0" with
#       SERVER_ADDR, both ADDR/PREFIX) and a WireGuard link "wg0" with
#       TUNNEL_ADDR (ADDR/PREFIX) listening on PORT (default 51820) with a
#       key from wg genkey.  Sets VPN_SERVER_PUBKEY[NAME] and
#       VPN_SERVER_ENDPOINT[NAME] ("addr:port" or "[addr]:port").  NAME has
#       at most 12 characters.
#   vpn_server_add_peer NAME PUBKEY ALLOWED_IPS
#       let a client with PUBKEY in, routing ALLOWED_IPS (comma list) to it
#
#   VM_TMP                 scratch directory of the test, removed at exit

# shellcheck shell=bash disable=SC2034 # VPN_SERVER_* are used by the tests
if [[ ${VPNCONF_IN_VM:-} != 1 ]]; then
  echo "lib.sh: refusing to run outside the test VM (see tests/vm/run-vm)" >&2
  exit 1
fi

set -Eeuo pipefail
trap 'echo "FAIL: line $LINENO: $BASH_COMMAND (status $?)" >&2' ERR

VM_TMP=$(mktemp -d /tmp/vm-test.XXXXXX)
declare -a _vm_exit_cmds=("rm -rf -- '$VM_TMP'")
declare -gA VPN_SERVER_PUBKEY=() VPN_SERVER_ENDPOINT=()

if command -v ping >/dev/null; then
  _vm_ping=(ping)
else
  _vm_ping=(busybox ping)
fi

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

skip() {
  echo "SKIP: $*"
  exit 77
}

log() {
  echo "# $*"
}

on_exit() {
  _vm_exit_cmds+=("$1")
}

_vm_run_exit_cmds() {
  local i pid
  trap - ERR
  set +e
  # Background helpers (listeners and the like) must not outlive the test.
  for pid in $(jobs -p); do
    kill "$pid" 2>/dev/null
  done
  for ((i = ${#_vm_exit_cmds[@]} - 1; i >= 0; i--)); do
    eval "${_vm_exit_cmds[i]}" >/dev/null 2>&1
  done
}
trap _vm_run_exit_cmds EXIT

_vm_now_ms() {
  local t=${EPOCHREALTIME/[.,]/}
  echo $((t / 1000))
}

wait_for() {
  local cmd=$1 secs=${2:-10} deadline
  deadline=$(($(_vm_now_ms) + secs * 1000))
  until eval "$cmd"; do
    (($(_vm_now_ms) < deadline)) ||
      fail "timed out after ${secs}s waiting for: $cmd"
    sleep 0.1
  done
}

load_wireguard() {
  modprobe wireguard || fail "cannot load the wireguard module"
}

make_netns() {
  ip netns add "$1"
  on_exit "ip netns delete '$1'"
  ip -n "$1" link set lo up
}

in_ns() {
  local ns=$1
  shift
  ip netns exec "$ns" "$@"
}

wg_genkey() {
  (umask 077 && wg genkey >"$VM_TMP/$1.key")
  wg pubkey <"$VM_TMP/$1.key" >"$VM_TMP/$1.pub"
}

wg_has_handshake() {
  in_ns "$1" wg show "$2" latest-handshakes |
    awk '$2 != 0 { ok = 1 } END { exit !ok }'
}

vm_ping() {
  local out
  out=$(in_ns "$1" "${_vm_ping[@]}" -q -c "${3:-1}" -i 0.2 -w 5 "$2" 2>&1) || {
    echo "$out" >&2
    return 1
  }
}

nft_counter() {
  in_ns "$1" nft list counter "$2" "$3" "$4" |
    awk '$1 == "packets" { print $2; found = 1 } END { exit !found }'
}

# _vm_addr_add NS DEV ADDR/PREFIX (NS "" = the host).  IPv6 addresses skip
# duplicate address detection, which would keep them unusable for a while.
_vm_addr_add() {
  local ns_opt=() dad_opt=()
  [[ -n $1 ]] && ns_opt=(-n "$1")
  [[ $3 == *:* ]] && dad_opt=(nodad)
  ip "${ns_opt[@]}" addr add "$3" dev "$2" "${dad_opt[@]}"
}

make_vpn_server() {
  local name=$1 host_addr=$2 server_addr=$3 tunnel_addr=$4 port=${5:-51820}
  local host_if="vh-$name" ip=${3%/*}

  ((${#name} <= 12)) || fail "make_vpn_server: name '$name' is too long"
  make_netns "$name"
  ip link add "$host_if" type veth peer name eth0 netns "$name"
  _vm_addr_add "" "$host_if" "$host_addr"
  ip link set "$host_if" up
  _vm_addr_add "$name" eth0 "$server_addr"
  ip -n "$name" link set eth0 up

  wg_genkey "$name"
  ip -n "$name" link add wg0 type wireguard
  in_ns "$name" wg set wg0 listen-port "$port" \
    private-key "$VM_TMP/$name.key"
  _vm_addr_add "$name" wg0 "$tunnel_addr"
  ip -n "$name" link set wg0 up

  VPN_SERVER_PUBKEY[$name]=$(<"$VM_TMP/$name.pub")
  if [[ $ip == *:* ]]; then
    VPN_SERVER_ENDPOINT[$name]="[$ip]:$port"
  else
    VPN_SERVER_ENDPOINT[$name]="$ip:$port"
  fi
}

vpn_server_add_peer() {
  in_ns "$1" wg set wg0 peer "$2" allowed-ips "$3"
}
