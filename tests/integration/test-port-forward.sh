#!/bin/bash
# Port forwarding through the tunnel stand-in (docs/port-forwarding.md):
# static ports opened by the ordinary reconcile; then a NAT-PMP gateway
# written for the tests (natpmp-gateway.py) in the "VPN server" namespace
# and the agent's lease loop: a granted lease writes forwarded-port and
# opens exactly that port from the server side; renewals at half the
# (short, gateway-chosen) lifetime; a port change followed and the old
# port closed; the gateway silent -> port closed and the file removed at
# expiry, then re-opened; a gateway restart (epoch back) -> mapped again;
# malformed and truncated responses ignored.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"

GW_CTL="$TEST_TMP/gateway.json"
GW_LOG="$TEST_TMP/gateway.log"
PORT_FILE="/run/vpnconf/$NS/forwarded-port"

config() {
  write_config <<EOF
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "egress": { "mode": "allowList", "allowedTcpPorts": [443] },
      "portForwarding": $1
EOF
}

# gateway JSON: the test gateway's behaviour from now on.
gateway() { echo "$1" >"$GW_CTL.tmp" && mv "$GW_CTL.tmp" "$GW_CTL"; }

# port_is N: forwarded-port holds N ("" : absent).
port_is() {
  if [ -z "$1" ]; then [ ! -e "$PORT_FILE" ]; else [ "$(cat "$PORT_FILE" 2>/dev/null)" = "$1" ]; fi
}

# open_from_server PORT yes|no: a TCP connection and a UDP echo from the
# server side to PORT inside the namespace get through (yes) or not (no).
open_from_server() {
  reach vpnsrv "$2" "tcp 10.0.0.2 $1" "udp 10.0.0.2 $1"
}

contains_port() { contains "$(in_ns "$NS" nft list set inet vpnconf forwarded_tcp)" "$1"; }

servers() {
  local p specs=()
  for p in "$@"; do specs+=("tcp 10.0.0.2 $p" "udp 10.0.0.2 $p"); done
  serve_all "$NS" "${specs[@]}"
}

note "static ports: opened by the ordinary reconcile, nothing else"
config '{ "mode": "static", "staticPorts": [41000] }'
up
servers 41000 41001
open_from_server 41000 yes
open_from_server 41001 no
contains "$(in_ns "$NS" nft list set inet vpnconf forwarded_tcp)" 41000 || fail "no 41000 in the set"

note "natpmp: the gateway's UDP 5351 is admitted, nothing else of it"
config '{ "mode": "natpmp", "gateway": "10.0.0.1" }'
expect_rc 0 vc reconcile >/dev/null
open_from_server 41000 no
serve_all vpnsrv "udp 10.0.0.1 5352" "tcp 10.0.0.1 5351"
reach "$NS" no "udp 10.0.0.1 5352" "tcp 10.0.0.1 5351"

gateway '{"mode": "grant", "port": 40000, "lifetime": 4}'
nsenter --net=/run/netns/vpnsrv "$PYTHON3" "$SRCDIR/tests/integration/natpmp-gateway.py" \
  10.0.0.1 "$GW_CTL" "$GW_LOG" &
BG_PIDS+=($!)
wait_file "$GW_LOG.ready"
servers 40000 40002 40004 40006 9999

start_daemon --periodic-interval 0
wait_until 20 "port 40000 granted" port_is 40000
[ "$(stat -c %a "$PORT_FILE")" = 644 ] || fail "forwarded-port has mode $(stat -c %a "$PORT_FILE")"
open_from_server 40000 yes
open_from_server 40002 no
wait_until 20 "in sync with the lease" in_sync
vc history --json --limit 0 |
  json '[t["trigger"] for t in d["transactions"] if t["trigger"] == "port-forward"]' |
  grep -q port-forward || fail "no port-forward transaction"
grep -q "udp 1 0 60" "$GW_LOG" || fail "no udp mapping request (internal 1, lifetime 60): $(cat "$GW_LOG")"
grep -q "tcp 1 0 60" "$GW_LOG" || fail "no tcp mapping request"

note "status: text, JSON and Prometheus"
capture 0 vc status
contains "$OUT" "ports:     natpmp via 10.0.0.1: port 40000 (tcp, udp), renews at" ||
  fail "status text"
st=$(vc status --json)
[ "$(json 'd["namespaces"][0]["portForwarding"]["port"]' <<<"$st")" = 40000 ] || fail "status --json port"
[ "$(json 'd["namespaces"][0]["portForwarding"]["mode"]' <<<"$st")" = natpmp ] || fail "status --json mode"
[ "$(json 'd["namespaces"][0]["portForwarding"]["protocols"]' <<<"$st")" = '["tcp", "udp"]' ] ||
  fail "status --json protocols"
[ "$(json 'd["namespaces"][0]["portForwarding"]["expiresAt"] > 0' <<<"$st")" = true ] || fail "expiresAt"
[ "$(json 'd["namespaces"][0]["portForwarding"]["gatewayEpoch"] is not None' <<<"$st")" = true ] ||
  fail "gatewayEpoch"
prom=$(vc status --format prometheus)
contains "$prom" 'vpnconf_forwarded_port{namespace="vpnapps"} 40000' || fail "prometheus port"
contains "$prom" 'vpnconf_forwarded_port_lease_age_seconds{namespace="vpnapps"}' ||
  fail "prometheus lease age"

note "renewals at half the granted lifetime (4 s -> every 2 s)"
before=$(grep -c udp "$GW_LOG")
sleep 5
after=$(grep -c udp "$GW_LOG")
[ $((after - before)) -ge 2 ] && [ $((after - before)) -le 4 ] ||
  fail "$((after - before)) udp renewals in 5 s (expected 2-3): $(cat "$GW_LOG")"
grep -q "udp 1 40000 60" "$GW_LOG" || fail "renewals do not suggest the granted port"
port_is 40000 || fail "the port changed on renewal"
"$PYTHON3" - "$GW_LOG" <<'PY' || fail "renewal intervals not about 2 s"
import sys
t = [float(l.split()[0]) for l in open(sys.argv[1]) if l.split()[1] == "udp"]
gaps = [b - a for a, b in zip(t, t[1:])][1:]
print("# renewal gaps:", " ".join("%.2f" % g for g in gaps))
sys.exit(0 if gaps and all(1.5 <= g <= 3.0 for g in gaps) else 1)
PY

note "a port change is followed and the old port closed"
gateway '{"mode": "grant", "port": 40002, "lifetime": 4}'
wait_until 10 "port 40002" port_is 40002
open_from_server 40002 yes
open_from_server 40000 no
wait_until 20 "in sync after the change" in_sync

note "the gateway silent: the port closes and the file goes at expiry"
gateway '{"mode": "silent", "port": 40002, "lifetime": 4}'
wait_until 10 "the lease expired" port_is ""
open_from_server 40002 no
[ ! -e "/run/vpnconf/$NS/forwarded-lease" ] || fail "forwarded-lease left after expiry"
capture 0 vc status
contains "$OUT" "no port (tcp, udp): no lease" || fail "status after expiry"
wait_until 20 "in sync after expiry" in_sync

note "the gateway back: re-opened"
gateway '{"mode": "grant", "port": 40004, "lifetime": 4}'
wait_until 40 "port 40004 after the gateway came back" port_is 40004
open_from_server 40004 yes

note "a gateway restart (epoch back to 0): mapped again at once"
sleep 3
n_before=$(wc -l <"$GW_LOG")
gateway '{"mode": "grant", "port": 40004, "lifetime": 4, "restart": 1}'
wait_until 10 "the restart noticed" grep -q "restarted" "$DAEMON_LOG"
"$PYTHON3" - "$GW_LOG" "$n_before" <<'PY' || fail "no immediate re-mapping after the restart"
import sys
lines = open(sys.argv[1]).read().split("\n")[int(sys.argv[2]):]
t = [float(l.split()[0]) for l in lines if l and l.split()[1] == "udp"]
sys.exit(0 if any(b - a < 0.5 for a, b in zip(t, t[1:])) else 1)
PY
port_is 40004 || fail "port lost over the restart"

note "the granted port removed inside: repaired as drift, from the lease"
in_ns "$NS" nft delete element inet vpnconf forwarded_tcp "{ 40004 }"
wait_until 20 "the port put back" contains_port 40004
open_from_server 40004 yes

note "malformed and truncated responses are ignored"
gateway '{"mode": "malformed", "port": 40006, "lifetime": 4}'
wait_until 10 "port 40006" port_is 40006
open_from_server 40006 yes
open_from_server 9999 no

note "the gateway refuses: nothing opens, the port of the current lease stays until expiry"
gateway '{"mode": "refuse", "port": 40008, "lifetime": 4}'
sleep 1
port_is 40006 || fail "a refusal changed the port"
gateway '{"mode": "malformed", "port": 40006, "lifetime": 4}'

note "the agent stops: the port stays for the rest of the lease"
stop_daemon
port_is 40006 || fail "the port file went with the agent"
open_from_server 40006 yes
expect_rc 0 vc plan >/dev/null

note "an expired lease without the agent: the next reconcile closes the port (not drift)"
sleep 4.5
drift_before=$(vc history --json --limit 0 | json 'len([t for t in d["transactions"] if t["outcome"] == "drift" or "drift" in (t.get("summary") or "")])')
expect_rc 0 vc reconcile >/dev/null
open_from_server 40006 no
port_is "" || fail "forwarded-port left after the lease expired"
[ "$(txn_last trigger)" = port-forward ] || fail "the expiry is not a port-forward transaction"
drift_after=$(vc history --json --limit 0 | json 'len([t for t in d["transactions"] if t["outcome"] == "drift" or "drift" in (t.get("summary") or "")])')
[ "$drift_before" = "$drift_after" ] || fail "the expiry was handled as drift"
expect_rc 0 vc plan >/dev/null

note "reload without port forwarding: the lease is deleted at the gateway and released"
start_daemon --periodic-interval 0
wait_until 20 "port 40006 again" port_is 40006
config '{ "mode": "none" }'
ready=$(notified READY=1)
kill -HUP "$DAEMON_PID"
wait_until 30 "READY=1 after the reload" notified_more READY=1 "$ready"
wait_until 10 "the lease released" port_is ""
grep -q "udp 1 0 0" "$GW_LOG" || fail "no deletion (lifetime 0) sent to the gateway"
open_from_server 40006 no
wait_until 20 "in sync without port forwarding" in_sync
stop_daemon

note "teardown removes the lease files"
config '{ "mode": "natpmp", "gateway": "10.0.0.1" }'
echo "v1 40006 1 4000000000 1" >"/run/vpnconf/$NS/forwarded-lease"
echo 40006 >"$PORT_FILE"
expect_rc 0 vc down "$NS" >/dev/null
[ ! -e "$PORT_FILE" ] && [ ! -e "/run/vpnconf/$NS/forwarded-lease" ] ||
  fail "lease files left after down: $(ls "/run/vpnconf/$NS")"
finish
