#!/bin/bash
# test-wg-genl: vpnconf's WireGuard generic netlink module against the real
# kernel.  Two namespaces, "ga" and "gb", joined by a veth pair (192.0.2.1
# and 192.0.2.2, 2001:db8:1::1 and ::2), each with a WireGuard link wg0
# configured only through reconciler/wg.h (the wg-genl-check helper); wg(8)
# serves only to verify.  Checks: keys, configuration and the device as wg
# sees it, handshake and ping through the tunnel, an in-place change of a
# peer's allowed IPs and keepalive that keeps its session (same handshake,
# counters not reset, traffic goes on), adding and removing a peer, a
# device with 1,000 allowed IPs (split set and dump messages) and one with
# 300 peers, and the time a get_device dump + diff takes.

. "$(dirname "$0")/lib.sh"

load_wireguard

check=${VPNCONF_BUILD_DIR:?}/tests/vm/wg-genl-check
[[ -x $check ]] || fail "$check is not built"

chk() {
  local ns=$1
  shift
  in_ns "$ns" "$check" "$@"
}

# Both "wg show IF dump" (converted by wg_dump_as_show) and "wg-genl-check
# show IF" print: the device line, then one line per peer; this sorts the
# peers and the allowed IPs of each, so the two can be compared.  One awk
# and one sort: process creation is expensive in an emulated guest.
normalize() {
  awk -F'\t' -v OFS='\t' '
    NR == 1 { print; fflush(); next }
    {
      n = split($4, ips, ",")
      for (i = 2; i <= n; i++) {
        v = ips[i]
        for (j = i - 1; j >= 1 && ips[j] > v; j--)
          ips[j + 1] = ips[j]
        ips[j + 1] = v
      }
      s = ips[1]
      for (i = 2; i <= n; i++)
        s = s "," ips[i]
      $4 = s
      print | "sort"
    }
    END { close("sort") }'
}

# Keys hidden, handshake and counters dropped, as "wg-genl-check show".
wg_dump_as_show() {
  awk -F'\t' -v OFS='\t' '
    NR == 1 { $1 = ($1 == "(none)" ? "(none)" : "(hidden)"); print; next }
    { print $1, ($2 == "(none)" ? "(none)" : "(hidden)"), $3, $4, $8 }'
}

# The device NS/IF reads the same through wg.h and through wg(8).
same_as_wg() {
  chk "$1" show "$2" | normalize >"$VM_TMP/ours"
  in_ns "$1" wg show "$2" dump | wg_dump_as_show | normalize >"$VM_TMP/theirs"
  diff -u "$VM_TMP/theirs" "$VM_TMP/ours" >&2 ||
    fail "$1/$2: wg-genl-check show and wg show dump differ"
}

latest_handshake() {
  in_ns "$1" wg show wg0 latest-handshakes | awk '{ print $2 }'
}

tx_bytes() {
  in_ns "$1" wg show wg0 transfer | awk '{ print $3 }'
}

# Random 32-byte values, base64: any of them is a valid peer public key.
random_pubkeys() {
  "$check" randkeys "$1"
}

log "underlay"
make_netns ga
make_netns gb
ip link add veth-a netns ga type veth peer name veth-b netns gb
ip -n ga addr add 192.0.2.1/24 dev veth-a
ip -n gb addr add 192.0.2.2/24 dev veth-b
ip -n ga addr add 2001:db8:1::1/64 dev veth-a nodad
ip -n gb addr add 2001:db8:1::2/64 dev veth-b nodad
ip -n ga link set veth-a up
ip -n gb link set veth-b up
vm_ping ga 192.0.2.2 || fail "no connectivity over the veth pair"

for ns in ga gb; do
  ip -n "$ns" link add wg0 type wireguard
done
ip -n ga addr add 10.200.0.1/24 dev wg0
ip -n gb addr add 10.200.0.2/24 dev wg0
ip -n ga link set wg0 up
ip -n gb link set wg0 up

log "errors: no such device, not a WireGuard device"
out=$(chk ga show nosuch0 2>&1) && fail "show of a missing device succeeded"
[[ $out == *"No such device"* ]] || fail "missing device: $out"
out=$(chk ga show veth-a 2>&1) && fail "show of a veth succeeded"
[[ $out == *"not supported"* ]] || fail "veth: $out"
out=$(in_ns ga "$VPNCONF_BUILD_DIR/tests/unit/test-wg-genl" socket_open)
[[ $out == *"ok   socket_open"* ]] || fail "unit test socket_open: $out"

log "keys: wg_key_generate_file"
[[ $(chk ga genkey "$VM_TMP/a.key") == created ]] || fail "a.key not created"
[[ $(chk ga genkey "$VM_TMP/a.key") == exists ]] || fail "a.key created twice"
[[ $(stat -c %a "$VM_TMP/a.key") == 600 ]] || fail "a.key is not 0600"
chk gb genkey "$VM_TMP/b.key" >/dev/null
chk ga genkey "$VM_TMP/psk" >/dev/null

log "private keys and listen ports"
printf 'private-key-file %s\nlisten-port 51820\n' "$VM_TMP/a.key" >"$VM_TMP/a0.conf"
printf 'private-key-file %s\nlisten-port 51821\nfwmark 4660\n' "$VM_TMP/b.key" \
  >"$VM_TMP/b0.conf"
chk ga set wg0 "$VM_TMP/a0.conf"
chk gb set wg0 "$VM_TMP/b0.conf"
pub_a=$(chk ga show wg0 | awk 'NR == 1 { print $2 }')
pub_b=$(chk gb show wg0 | awk 'NR == 1 { print $2 }')
[[ $pub_a == "$(wg pubkey <"$VM_TMP/a.key")" ]] || fail "wrong public key for a"
[[ $pub_b == "$(wg pubkey <"$VM_TMP/b.key")" ]] || fail "wrong public key for b"
[[ $(in_ns ga wg show wg0 listen-port) == 51820 ]] || fail "listen port of a"
[[ $(in_ns gb wg show wg0 fwmark) == 0x1234 ]] || fail "fwmark of b"

log "peers"
cat >"$VM_TMP/a.conf" <<EOF
private-key-file $VM_TMP/a.key
listen-port 51820
peer $pub_b
preshared-key-file $VM_TMP/psk
endpoint 192.0.2.2:51821
allowed-ip 10.200.0.2/32
EOF
cat >"$VM_TMP/b.conf" <<EOF
private-key-file $VM_TMP/b.key
listen-port 51821
fwmark 4660
peer $pub_a
preshared-key-file $VM_TMP/psk
endpoint [2001:db8:1::1]:51820
allowed-ip 10.200.0.1/32
EOF
out=$(chk ga set wg0 "$VM_TMP/a.conf")
log "a: $out"
grep -q "missing, added" <<<"$out" || fail "peer b not reported as added"
chk gb set wg0 "$VM_TMP/b.conf" >/dev/null
same_as_wg ga wg0
same_as_wg gb wg0
in_ns gb wg show wg0 endpoints | grep -qF '[2001:db8:1::1]:51820' ||
  fail "IPv6 endpoint of b's peer"
[[ $(in_ns ga wg show wg0 preshared-keys | awk '{ print $2 }') == "$(<"$VM_TMP/psk")" ]] ||
  fail "preshared key of a's peer"
[[ -z $(chk ga set wg0 "$VM_TMP/a.conf") ]] || fail "a differs right after set"

log "handshake and ping through the tunnel"
vm_ping ga 10.200.0.2 3 || fail "no ping through the tunnel"
wait_for "wg_has_handshake ga wg0" 10
wait_for "wg_has_handshake gb wg0" 10
hs_a=$(latest_handshake ga)
hs_b=$(latest_handshake gb)
tx_a=$(tx_bytes ga)
stat_before=$(chk ga stat wg0 | awk '{ print $2 }')
((stat_before / 1000000 == hs_a)) || fail "handshake time: $stat_before vs $hs_a"

log "allowed IPs and keepalive change in place"
{ cat "$VM_TMP/a.conf" && printf 'keepalive 25\nallowed-ip 10.201.0.0/24\n'; } \
  >"$VM_TMP/a1.conf"
out=$(chk ga set wg0 "$VM_TMP/a1.conf")
log "a: ${out//$'\n'/; }"
grep -q "allowed IPs +10.201.0.0/24" <<<"$out" || fail "allowed IPs change not reported"
grep -q "persistent keepalive 0 -> 25" <<<"$out" || fail "keepalive change not reported"
! grep -qE "added|removed" <<<"$out" || fail "peer re-created: $out"
same_as_wg ga wg0
[[ $(in_ns ga wg show wg0 persistent-keepalive | awk '{ print $2 }') == 25 ]] ||
  fail "keepalive not set"
[[ $(latest_handshake ga) == "$hs_a" ]] || fail "a's handshake changed at once"
vm_ping ga 10.200.0.2 3 || fail "no ping after the change"
vm_ping gb 10.200.0.1 3 || fail "no ping back after the change"
[[ $(latest_handshake ga) == "$hs_a" ]] || fail "a needed a new handshake"
[[ $(latest_handshake gb) == "$hs_b" ]] || fail "b needed a new handshake"
(($(tx_bytes ga) > tx_a)) || fail "a's transfer counters were reset"
[[ $(chk ga stat wg0 | awk '{ print $2 }') == "$stat_before" ]] ||
  fail "handshake time differs through wg.h"

log "adding and removing a peer"
pub_c=$(random_pubkeys 1)
{ cat "$VM_TMP/a1.conf" && printf 'peer %s\nendpoint 192.0.2.2:51999\nallowed-ip 10.202.0.0/24\n' "$pub_c"; } \
  >"$VM_TMP/a2.conf"
out=$(chk ga set wg0 "$VM_TMP/a2.conf")
[[ $out == *"missing, added"* && $(grep -c . <<<"$out") == 1 ]] || fail "adding c: $out"
same_as_wg ga wg0
[[ $(in_ns ga wg show wg0 peers | wc -l) == 2 ]] || fail "a should have 2 peers"
out=$(chk ga set wg0 "$VM_TMP/a1.conf")
[[ $out == *"not wanted, removed"* && $(grep -c . <<<"$out") == 1 ]] || fail "removing c: $out"
same_as_wg ga wg0
[[ $(in_ns ga wg show wg0 peers) == "$pub_b" ]] || fail "a should only have b"
vm_ping ga 10.200.0.2 2 || fail "no ping after removing c"
[[ $(latest_handshake ga) == "$hs_a" ]] || fail "removing c disturbed b's session"

log "1,000 allowed IPs"
ip -n ga link add wg1 type wireguard
chk ga genkey "$VM_TMP/a1.key" >/dev/null
{
  echo "private-key-file $VM_TMP/a1.key"
  echo "peer $(random_pubkeys 1)"
  for ((i = 0; i < 1000; i++)); do
    printf 'allowed-ip fd10::%x/128\n' "$i"
  done
} >"$VM_TMP/big.conf"
chk ga set wg1 "$VM_TMP/big.conf" >/dev/null
same_as_wg ga wg1
count=$(chk ga dump-count wg1)
log "wg1: $count"
read -r _ messages _ peers _ ips <<<"$count"
((messages >= 2 && peers == 1 && ips == 1000)) || fail "dump of wg1: $count"
[[ $(in_ns ga wg show wg1 allowed-ips | wc -w) == 1001 ]] || fail "wg1 allowed IPs"
sed -i 's|^allowed-ip fd10::0/128$|allowed-ip fd11::/128|' "$VM_TMP/big.conf"
out=$(chk ga set wg1 "$VM_TMP/big.conf")
[[ $out == *"+fd11::/128"* && $out == *"-fd10::/128"* ]] || fail "wg1 change: $out"
same_as_wg ga wg1

log "300 peers"
ip -n ga link add wg2 type wireguard
chk ga genkey "$VM_TMP/a2.key" >/dev/null
mapfile -t keys < <(random_pubkeys 300)
{
  echo "private-key-file $VM_TMP/a2.key"
  echo "listen-port 51900"
  for ((i = 0; i < 300; i++)); do
    echo "peer ${keys[i]}"
    if ((i % 2)); then
      echo "endpoint 192.0.2.2:$((20000 + i))"
      echo "keepalive 25"
    else
      echo "endpoint [2001:db8:1::2]:$((20000 + i))"
    fi
    ((i % 3)) || echo "preshared-key-file $VM_TMP/psk"
    printf 'allowed-ip 10.%d.%d.0/24\nallowed-ip fd20:%x::/64\n' $((i / 256 + 100)) \
      $((i % 256)) "$i"
  done
} >"$VM_TMP/many.conf"
chk ga set wg2 "$VM_TMP/many.conf" >/dev/null
same_as_wg ga wg2
count=$(chk ga dump-count wg2)
log "wg2: $count"
read -r _ messages _ peers _ ips <<<"$count"
((messages >= 2 && peers == 300 && ips == 600)) || fail "dump of wg2: $count"
[[ -z $(chk ga set wg2 "$VM_TMP/many.conf") ]] || fail "wg2 differs right after set"

log "timing: get_device dump + diff"
log "$(chk ga bench wg0 200)"
log "$(chk ga bench wg2 50)"
log "$(chk ga bench wg1 50)"
