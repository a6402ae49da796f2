#!/bin/bash
# Benchmarks port forwarding (docs/benchmarks.md, "Port forwarding"),
# inside tests/sandbox with the integration fixture (stand-in tunnel, the
# test NAT-PMP gateway). Not a test: it prints figures.
#
#   tests/bench/bench-port-forward.sh [BUILD-DIR] [CHANGES]
#
# - grant -> open: the gateway changes the port CHANGES (20) times (a 2 s
#   lease, renewed every second); from the moment it sent the second
#   answer of a round (both protocols granted) to forwarded-port holding
#   the new port (the port is opened in the policy before the file is
#   written), polled every 0.1 ms from another process; CLOCK_MONOTONIC on
#   both sides;
# - no drop after open: during 5 of those changes, the server side sends
#   numbered UDP datagrams to the new port every 0.5 ms; the client inside
#   listens on it. Every datagram after the first one that got through
#   must arrive (a gap would be a moment without the port after it opened).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
changes=${2:-20}

if [ "${VPNCONF_IN_SANDBOX:-}" != 1 ]; then
  exec "$src/tests/sandbox" "$0" "$build" "$changes"
fi
export VPNCONF="$build/cli/vpnconf" NETTEST="$build/tests/nettest" SRCDIR="$src"
. "$src/tests/integration/lib.sh"
. "$src/tests/integration/daemon.sh"

GW_CTL="$TEST_TMP/gateway.json"
SENDS="$TEST_TMP/sends.log"
SEEN="$TEST_TMP/seen.log"
PORT_FILE="/run/vpnconf/$NS/forwarded-port"
write_config <<EOF
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "egress": { "mode": "allowList", "allowedTcpPorts": [443] },
      "portForwarding": { "mode": "natpmp", "gateway": "10.0.0.1" }
EOF
up
echo '{"mode": "grant", "port": 30000, "lifetime": 2}' >"$GW_CTL"
nsenter --net=/run/netns/vpnsrv "$PYTHON3" "$src/tests/integration/natpmp-gateway.py" \
  10.0.0.1 "$GW_CTL" "$TEST_TMP/gateway.log" "$SENDS" &
BG_PIDS+=($!)
wait_file "$TEST_TMP/gateway.log.ready"
"$PYTHON3" - "$PORT_FILE" "$SEEN" <<'PY' &
import sys, time
path, out = sys.argv[1:3]
last = None
while True:
    try:
        with open(path) as f:
            v = f.read().strip()
    except OSError:
        v = ""
    if v != last:
        with open(out, "a") as f:
            f.write("%.6f %s\n" % (time.monotonic(), v))
        last = v
    time.sleep(0.0001)
PY
BG_PIDS+=($!)
start_daemon --periodic-interval 0
wait_until 20 "first grant" grep -q '30000' "$SEEN"

# flood_check PORT: the numbered-datagram receiver inside and the sender
# on the server side, around one port change to PORT.
flood_check() {
  local port=$1 recv="$TEST_TMP/recv-$1"
  nsenter --net="/run/netns/$NS" "$PYTHON3" - "$port" "$recv" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.0.0.2", int(sys.argv[1])))
s.settimeout(4)
seqs = []
open(sys.argv[2] + ".ready", "w").close()
try:
    while True:
        seqs.append(int(s.recv(64)))
except socket.timeout:
    pass
with open(sys.argv[2], "w") as f:
    f.write(" ".join(map(str, seqs)))
PY
  local rpid=$!
  wait_file "$recv.ready"
  nsenter --net=/run/netns/vpnsrv "$PYTHON3" - "$port" "$recv.sent" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
n = 0
end = time.monotonic() + 3.5
while time.monotonic() < end:
    try:
        s.sendto(b"%d" % n, ("10.0.0.2", int(sys.argv[1])))
    except OSError:
        pass
    n += 1
    time.sleep(0.0005)
open(sys.argv[2], "w").write(str(n))
PY
  local spid=$!
  sleep 0.5
  echo "{\"mode\": \"grant\", \"port\": $port, \"lifetime\": 2}" >"$GW_CTL"
  wait "$spid" "$rpid"
}

for i in $(seq 1 "$changes"); do
  port=$((30000 + i))
  if [ "$i" -le 5 ]; then
    flood_check "$port"
  else
    echo "{\"mode\": \"grant\", \"port\": $port, \"lifetime\": 2}" >"$GW_CTL"
  fi
  wait_until 10 "port $port" grep -q " $port\$" "$SEEN"
done

"$PYTHON3" - "$SENDS" "$SEEN" "$TEST_TMP" "$changes" <<'PY'
import sys, os
sends, seen, tmp, changes = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
rounds = {}
for l in open(sends):
    t, op, port = l.split()
    rounds.setdefault(int(port), []).append(float(t))
first_seen = {}
for l in open(seen):
    t, v = (l.split() + [""])[:2]
    if v and int(v) not in first_seen:
        first_seen[int(v)] = float(t)
lat = []
for p in range(30001, 30001 + changes):
    # The round that granted p: its first two answers.
    t_grant = sorted(rounds[p])[1]
    lat.append((first_seen[p] - t_grant) * 1000)
lat.sort()
print("grant -> port open and forwarded-port written (%d changes): median %.2f ms, "
      "min %.2f ms, max %.2f ms" % (len(lat), lat[len(lat) // 2], lat[0], lat[-1]))
for p in range(30001, 30006):
    recv = os.path.join(tmp, "recv-%d" % p)
    seqs = list(map(int, open(recv).read().split()))
    sent = int(open(recv + ".sent").read())
    gaps = sum(1 for a, b in zip(seqs, seqs[1:]) if b != a + 1)
    after = seqs[-1] - seqs[0] + 1 if seqs else 0
    print("port %d: %d datagrams sent, first through #%d, %d received of %d sent after it, "
          "%d gaps" % (p, sent, seqs[0] if seqs else -1, len(seqs), after, gaps))
PY
stop_daemon
