#!/bin/bash
# test-managed-hostname: a hostname endpoint (allowHostnameEndpoints with
# a refresh interval) is resolved at reconcile time in the tunnel's socket
# namespace, journaled as resolved outside the strict-DNS guarantee, and
# the tunnel works; when the name moves to another address, the next
# reconcile follows it. Names come from an /etc/hosts the test writes (the
# guest writes to an overlay: nothing of the host changes), with an
# nsswitch.conf that reads it: a minimal root may have neither.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/vpn-fixture.sh"

load_wireguard
fx_vpnsrv
fx_client_key
fx_desired
# own_etc FILE CONTENT: /etc/FILE holds CONTENT until the test exits.
own_etc() {
  if [[ -e /etc/$1 ]]; then
    cp -a "/etc/$1" "$VM_TMP/$1.orig"
    on_exit "cp -a '$VM_TMP/$1.orig' '/etc/$1'"
  else
    on_exit "rm -f '/etc/$1'"
  fi
  printf '%s\n' "$2" >"/etc/$1"
}
own_etc hosts $'127.0.0.1 localhost\n10.99.0.2 vpn.vpnconf.test'
own_etc nsswitch.conf 'hosts: files'

fx_edit '.namespaces[$ns].wireguard += { allowHostnameEndpoints: true,
    dynamicEndpointRefreshSeconds: 60 }
  | .namespaces[$ns].wireguard.peers[0].endpoint = "vpn.vpnconf.test:51820"'

log "the hostname is resolved in the socket namespace and journaled"
fx_run 0 vc reconcile
fx_wait_handshake "$FX_NS"
fx_serve vpnsrv udp 10.64.0.1 53 --reply
can "$FX_NS" udp 10.64.0.1 53 || fail "no DNS through a tunnel with a hostname endpoint"
matches '10\.99\.0\.2:51820' in_ns "$FX_NS" wg show "$FX_IF" endpoints ||
  fail "the endpoint is not the resolved address"
id=$(vc history --json | jq -r '.transactions[0].id')
fx_run 0 vc show --json "$id"
jq -e '[.stepList[] | select(.action == "resolve")] | length == 1' "$FX_OUT" >/dev/null ||
  fail "the resolution is not journaled: $(<"$FX_OUT")"
matches 'outside the strict-DNS guarantee' cat "$FX_OUT" ||
  fail "the journal does not say the resolution is outside strict DNS"
fx_run 0 vc plan

log "the name moves: the next reconcile follows it"
ip -n vpnsrv addr add 10.99.0.3/24 dev eth0
sed -i 's/^10\.99\.0\.2 vpn\.vpnconf\.test$/10.99.0.3 vpn.vpnconf.test/' /etc/hosts
fx_run 2 vc plan
matches 'endpoint' cat "$FX_OUT" || fail "plan does not name the endpoint: $(<"$FX_OUT")"
fx_run 0 vc reconcile
matches '10\.99\.0\.3:51820' in_ns "$FX_NS" wg show "$FX_IF" endpoints ||
  fail "the endpoint did not follow the name"
can "$FX_NS" udp 10.64.0.1 53 || fail "no DNS after the endpoint moved"
