# vpn-fixture.sh: the world of the managed-tunnel tests (test-managed-*.sh),
# sourced after lib.sh:
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/vpn-fixture.sh"
#
# vpnconf runs in the guest's initial namespace and manages the WireGuard
# tunnel of one confinement namespace, $FX_NS ("vpnapps"), towards a "VPN
# server" the fixture builds out of kernel WireGuard, wg and ip:
#
#   underlay (init, or the namespace given to fx_vpnsrv)
#     up0 10.99.0.1/24 ---- veth ---- vpnsrv: eth0 10.99.0.2/24
#   vpnsrv
#     wgsrv 10.0.0.1/24, UDP port 51820 (the endpoint 10.99.0.2:51820);
#       its peer is the client key, allowed IP 10.0.0.2/32 (the client's
#       tunnel address, routed back through wgsrv)
#     lo  10.64.0.1 (the resolver), 10.64.9.9 (inside an allowed CIDR, not a
#         resolver), 192.0.2.10 (an allowed destination), 198.51.100.20
#         (never allowed)
#     nft table inet fixture: counters of what arrives through the tunnel
#       never        anything for 198.51.100.20
#       dns_other    DNS-like ports (53, 853, 5353, 5355) for anything but
#                    the resolver
#   decoy (fx_decoy)
#     eth0 10.98.0.2/24 ---- veth ---- up1 10.98.0.1/24 in the initial
#     namespace; a counting UDP server on 10.98.0.2:51820
#
# Every address is assigned here, in namespaces the test creates.
#
#   FX_NS FX_IF            the confinement namespace and its tunnel interface
#   FX_CONFIG FX_STATE     desired-state file, journal directory
#   FX_RUNTIME             vpnconf's runtime directory (paths.runtimeDir)
#   FX_KEY FX_CLIENT_PUB   the client's private key file and public key
#   FX_PSK                 a preshared key file the test uses, or empty
#   FX_SRV_PUB             the server's public key
#   NETTEST VPNCONF        the packet tool and the vpnconf binary
#
#   fx_vpnsrv [UNDERLAY_NS]    build vpnsrv (underlay end in UNDERLAY_NS,
#                              default the initial namespace)
#   fx_client_key [FILE]       new client key pair (FILE default $FX_KEY);
#                              the server accepts its public key
#   fx_server_allow PUBKEY     let PUBKEY in as the client (10.0.0.2/32)
#   fx_desired                 write the base desired state: a managed wg0
#                              with 10.0.0.2/32, the server as only peer
#                              (allowed IPs 0.0.0.0/0, keepalive 25), DNS
#                              10.64.0.1, everything else default
#   fx_edit FILTER [JQ-ARGS...]
#                              apply jq FILTER to $FX_CONFIG, with $ns
#                              bound to $FX_NS (.namespaces[$ns].egress = ...)
#   vc ARGS...                 vpnconf --config $FX_CONFIG ARGS...
#   fx_run RC CMD...           run CMD, keep stdout in $FX_OUT and stderr in
#                              $FX_ERR; fail (showing both) unless it exits
#                              with RC
#   fx_in NS CMD...            run CMD in NS ("": the initial namespace)
#   matches ERE CMD...         CMD's output has a line matching the extended
#                              regular expression ERE (CMD's output is read
#                              whole first: "CMD | grep -q" would kill CMD
#                              with SIGPIPE at the first match, and fail
#                              under pipefail)
#   fx_serve NS udp|tcp ADDR PORT [--reply]
#                              a nettest server in the background, counting
#                              into a file; returns once it is listening
#   fx_count NS udp|tcp ADDR PORT
#                              what that server counted
#   can NS udp|tcp ADDR PORT [MS]
#                              a reply came back within MS (default 3000)
#   cannot NS udp|tcp ADDR PORT [udp|tcp ADDR PORT]...
#                              fails the test if a reply comes back within
#                              a second; several probes run in parallel
#                              (a dropped TCP SYN costs the whole second)
#   fx_handshake NS [IF]       latest handshake (epoch seconds) of the only
#                              peer of IF (default $FX_IF) in NS; 0: never
#   fx_wait_handshake NS [IF]  wait (30 s) for a handshake
#   fx_transfer NS [IF]        "rx tx" bytes of the only peer
#   fx_pin_mark IFNAME         the derived endpoint-pinning mark (decimal)
#   fx_decoy                   build the decoy namespace
#   fx_fallback_peer TIMEOUT   the peer gets a dead first endpoint
#                              (10.97.0.2:51820 in namespace "dead", where
#                              nothing listens) and the server as its
#                              fallback, with endpoint pinning on and
#                              drift.handshakeTimeoutSeconds TIMEOUT
#   fx_assert_no_secret FILE...
#                              fail if any FILE holds the client's private
#                              key (or the preshared key $FX_PSK, when set),
#                              in base64 or as raw bytes

# shellcheck shell=bash disable=SC2034 # FX_* are used by the tests

command -v jq >/dev/null || skip "jq is not installed"
NETTEST=$VPNCONF_BUILD_DIR/tests/nettest
VPNCONF=$VPNCONF_BUILD_DIR/cli/vpnconf
[[ -x $NETTEST && -x $VPNCONF ]] ||
  fail "build $VPNCONF_BUILD_DIR first (no vpnconf or nettest)"

FX_NS=vpnapps
FX_IF=wg0
FX_CONFIG=$VM_TMP/desired.json
FX_STATE=$VM_TMP/state
FX_RUNTIME=$VM_TMP/run
FX_KEY=$VM_TMP/client.key
FX_PSK=
FX_OUT=$VM_TMP/fx.out
FX_ERR=$VM_TMP/fx.err
FX_CLIENT_PUB=
FX_SRV_PUB=
mkdir -p "$VM_TMP/count"

fx_vpnsrv() {
  local underlay=${1:-} ns_opt=()

  [[ -n $underlay ]] && ns_opt=(-n "$underlay")
  make_netns vpnsrv
  ip "${ns_opt[@]}" link add up0 type veth peer name eth0 netns vpnsrv
  ip "${ns_opt[@]}" addr add 10.99.0.1/24 dev up0
  ip "${ns_opt[@]}" link set up0 up
  ip -n vpnsrv addr add 10.99.0.2/24 dev eth0
  ip -n vpnsrv link set eth0 up

  wg_genkey vpnsrv
  FX_SRV_PUB=$(<"$VM_TMP/vpnsrv.pub")
  ip -n vpnsrv link add wgsrv type wireguard
  in_ns vpnsrv wg set wgsrv listen-port 51820 private-key "$VM_TMP/vpnsrv.key"
  ip -n vpnsrv addr add 10.0.0.1/24 dev wgsrv
  ip -n vpnsrv link set wgsrv up
  local a
  for a in 10.64.0.1 10.64.9.9 192.0.2.10 198.51.100.20; do
    ip -n vpnsrv addr add "$a/32" dev lo
  done
  in_ns vpnsrv nft -f - <<'EOF'
table inet fixture {
  counter never { }
  counter dns_other { }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "wgsrv" ip daddr 198.51.100.20 counter name "never"
    iifname "wgsrv" ip daddr != 10.64.0.1 meta l4proto { tcp, udp } th dport { 53, 853, 5353, 5355 } counter name "dns_other"
  }
}
EOF
}

fx_server_allow() {
  in_ns vpnsrv wg set wgsrv peer "$1" allowed-ips 10.0.0.2/32
}

fx_client_key() {
  local file=${1:-$FX_KEY}

  (umask 077 && wg genkey >"$file")
  FX_CLIENT_PUB=$(wg pubkey <"$file")
  fx_server_allow "$FX_CLIENT_PUB"
}

fx_desired() {
  jq -n --arg ns "$FX_NS" --arg key "$FX_KEY" --arg srv "$FX_SRV_PUB" \
    --arg state "$FX_STATE" --arg run "$FX_RUNTIME" '{
    version: 1,
    paths: { stateDir: $state, runtimeDir: $run, netnsDir: "/run/netns" },
    namespaces: { ($ns): {
      wireguard: {
        privateKeyFile: $key,
        addresses: ["10.0.0.2/32"],
        peers: [{
          publicKey: $srv,
          endpoint: "10.99.0.2:51820",
          allowedIPs: ["0.0.0.0/0"],
          persistentKeepalive: 25
        }]
      },
      dns: { servers: ["10.64.0.1"] }
    } }
  }' >"$FX_CONFIG"
}

fx_edit() {
  local filter=$1
  shift
  jq --arg ns "$FX_NS" "$@" "$filter" "$FX_CONFIG" >"$FX_CONFIG.new"
  mv "$FX_CONFIG.new" "$FX_CONFIG"
}

vc() {
  "$VPNCONF" --config "$FX_CONFIG" "$@"
}

fx_run() {
  local want=$1 rc=0
  shift
  "$@" >"$FX_OUT" 2>"$FX_ERR" || rc=$?
  if [[ $rc != "$want" ]]; then
    echo "--- stdout of: $*" >&2
    cat "$FX_OUT" >&2
    echo "--- stderr" >&2
    cat "$FX_ERR" >&2
    fail "'$*' exited with $rc, expected $want"
  fi
}

_fx_count_file() {
  echo "$VM_TMP/count/$1-$2-$3-$4"
}

fx_in() {
  local ns=$1
  shift
  if [[ -n $ns ]]; then
    in_ns "$ns" "$@"
  else
    "$@"
  fi
}

matches() {
  local re=$1 out
  shift
  out=$("$@" 2>/dev/null) || true
  grep -qE -- "$re" <<<"$out"
}

fx_serve() {
  local ns=$1 proto=$2 addr=$3 port=$4 file
  shift 4
  file=$(_fx_count_file "$ns" "$proto" "$addr" "$port")
  fx_in "$ns" "$NETTEST" "$proto-server" "$addr" "$port" --count-file "$file" "$@" &
  wait_for "[[ -e '$file' ]]" 10
}

fx_count() {
  local file
  file=$(_fx_count_file "$@")
  cat "$file"
}

can() {
  fx_in "$1" "$NETTEST" "$2" "$3" "$4" --timeout "${5:-3000}"
}

cannot() {
  local ns=$1 pids=() probes=() i
  shift
  while (($# >= 3)); do
    fx_in "$ns" "$NETTEST" "$1" "$2" "$3" --timeout 1000 >/dev/null 2>&1 &
    pids+=($!)
    probes+=("$2:$3/$1")
    shift 3
  done
  for i in "${!pids[@]}"; do
    if wait "${pids[i]}"; then
      fail "${probes[i]} answered inside ${ns:-the initial namespace}, expected no path"
    fi
  done
}

fx_handshake() {
  in_ns "$1" wg show "${2:-$FX_IF}" latest-handshakes | awk 'NR == 1 { print $2 }'
}

fx_wait_handshake() {
  # shellcheck disable=SC2016 # wait_for evaluates it
  wait_for '(($(fx_handshake '"$1 ${2:-$FX_IF}"') > 0))' 30
}

fx_transfer() {
  in_ns "$1" wg show "${2:-$FX_IF}" transfer | awk 'NR == 1 { print $2, $3 }'
}

fx_pin_mark() {
  local hex
  hex=$(printf '%s' "$1" | sha256sum | cut -c1-8)
  echo $(((16#$hex) % 4294967294 + 1))
}

fx_decoy() {
  make_netns decoy
  ip link add up1 type veth peer name eth0 netns decoy
  ip addr add 10.98.0.1/24 dev up1
  ip link set up1 up
  ip -n decoy addr add 10.98.0.2/24 dev eth0
  ip -n decoy link set eth0 up
  fx_serve decoy udp 10.98.0.2 51820
}

fx_fallback_peer() {
  make_netns dead
  ip link add up2 type veth peer name eth0 netns dead
  ip addr add 10.97.0.1/24 dev up2
  ip link set up2 up
  ip -n dead addr add 10.97.0.2/24 dev eth0
  ip -n dead link set eth0 up
  # shellcheck disable=SC2016 # a jq filter
  fx_edit '.drift = { handshakeTimeoutSeconds: $t }
    | .namespaces[$ns].wireguard.endpointPinning = { enable: true }
    | .namespaces[$ns].wireguard.peers[0] += { endpoint: "10.97.0.2:51820",
                                               endpoints: ["10.99.0.2:51820"] }' \
    --argjson t "$1"
}

fx_assert_no_secret() {
  local key b64 hex f files=() size
  # All files at once (process starts are slow in the guest); a match
  # across two files' boundary would be a false alarm, never a miss.
  for f; do
    [[ -f $f ]] && files+=("$f")
  done
  cat -- "${files[@]}" >"$VM_TMP/secret.all"
  size=$(stat -c %s "$VM_TMP/secret.all")
  # The raw bytes: the whole of it as one line of " xx" bytes.
  od -An -v -tx1 -w$((size > 0 ? size : 1)) "$VM_TMP/secret.all" >"$VM_TMP/secret.hex"
  for key in "$FX_KEY" ${FX_PSK:+"$FX_PSK"}; do
    b64=$(<"$key")
    hex=$(base64 -d <"$key" | od -An -v -tx1 -w32)
    if grep -qaF -- "$b64" "$VM_TMP/secret.all"; then
      fail "the secret key of $key (base64) is in one of: ${files[*]}"
    fi
    if grep -qF -- "$hex" "$VM_TMP/secret.hex"; then
      fail "the secret key of $key (raw bytes) is in one of: ${files[*]}"
    fi
  done
}
