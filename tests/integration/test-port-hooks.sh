#!/bin/bash
# The ready-made client hooks of port forwarding (cli/vpnconf-port-hook),
# run inside a namespace as the onChange unit runs them, against stand-ins
# of the qBittorrent, Transmission and Deluge APIs on its loopback that
# record the calls: each stand-in receives the new port after each change.
# Also the generator's onChange oneshot: its ExecStart=, unescaped as
# systemd does, run the same way.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || skip "curl is not installed"
HOOK="$SRCDIR/cli/vpnconf-port-hook"
CALLS="$TEST_TMP/calls.log"
ip netns add hooks
ip -n hooks link set lo up
nsenter --net=/run/netns/hooks "$PYTHON3" "$SRCDIR/tests/integration/port-hook-clients.py" \
  127.0.0.1 "$CALLS" &
BG_PIDS+=($!)
wait_file "$CALLS.ready"

for port in 40000 51413; do
  for client in qbittorrent transmission deluge; do
    VPNCONF_PORT=$port in_ns hooks "$HOOK" "$client" || fail "$client hook failed"
    [ "$(tail -1 "$CALLS")" = "$client $port" ] ||
      fail "$client stand-in did not get port $port: $(cat "$CALLS")"
  done
done
note "calls: $(tr '\n' ';' <"$CALLS")"

note "bad input is refused, nothing called"
n=$(wc -l <"$CALLS")
VPNCONF_PORT='1;reboot' in_ns hooks "$HOOK" qbittorrent 2>/dev/null && fail "bad port accepted"
VPNCONF_PORT=70000 in_ns hooks "$HOOK" deluge 2>/dev/null && fail "port 70000 accepted"
in_ns hooks "$HOOK" nosuchclient 2>/dev/null && fail "unknown client accepted"
[ "$(wc -l <"$CALLS")" = "$n" ] || fail "a refused call reached a client"

note "the generator's oneshot, as systemd would run its ExecStart="
mkdir -p "$TEST_TMP/gen" "/run/vpnconf/$NS"
write_config <<JSON
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "portForwarding": { "mode": "natpmp", "gateway": "10.0.0.1",
                          "onChange": "$HOOK transmission" }
JSON
VPNCONF_CONFIG="$CONFIG" "$VPNCONF_GENERATOR" "$TEST_TMP/gen" || fail "generator failed"
unit="$TEST_TMP/gen/vpnconf-port-$NS.service"
[ -e "$TEST_TMP/gen/vpnconf-port-$NS.path" ] || fail "no path unit"
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
# systemd's unquoting: the word after -c in double quotes, \" -> ", $$ -> $, %% -> %.
script=$("$PYTHON3" -c '
import shlex, sys
w = shlex.split(sys.argv[1])
assert w[:2] == ["/bin/sh", "-c"], w
print(w[2].replace("$$", "$").replace("%%", "%"))' "$exec_start")
echo 51999 >"/run/vpnconf/$NS/forwarded-port"
in_ns hooks /bin/sh -c "$script" || fail "the oneshot failed"
[ "$(tail -1 "$CALLS")" = "transmission 51999" ] || fail "oneshot did not reach the client"
rm "/run/vpnconf/$NS/forwarded-port"
n=$(wc -l <"$CALLS")
in_ns hooks /bin/sh -c "$script" || fail "the oneshot failed without a port file"
[ "$(wc -l <"$CALLS")" = "$n" ] || fail "the oneshot called the client without a port"
finish
