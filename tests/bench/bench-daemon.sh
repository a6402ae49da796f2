#!/bin/bash
# Benchmarks the agent (vpnconf daemon), inside tests/sandbox. Not a test:
# it prints figures (docs/benchmarks.md, "The agent") and judges nothing.
#
#   tests/bench/bench-daemon.sh [BUILD-DIR] [TAMPERINGS] [IDLE-SECONDS]
#
# - drift -> repaired latency, per kind (policy table deleted inside, an
#   accept rule inserted inside, the host link deleted): from the
#   tampering command's exit to the first in-process poll that sees the
#   repair (tests/bench/bench-daemon-poll), TAMPERINGS (50) times each;
# - the same for the policy table while thousands of dummy links come and
#   go in the host namespace, with the agent's RSS before and after;
# - idle CPU with 10 namespaces: utime+stime from /proc/PID/stat over
#   IDLE-SECONDS (60), with and without the periodic pass, extrapolated to
#   10 minutes;
# - RSS and open file descriptors with 1, 10 and 50 namespaces;
# - start-up of vpnconf --version and of the agent executable.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
n=${2:-50}
idle=${3:-60}

if [ "${VPNCONF_IN_SANDBOX:-}" != 1 ]; then
  exec "$src/tests/sandbox" "$0" "$build" "$n" "$idle"
fi

V="$build/cli/vpnconf"
VD="$build/cli/vpnconfd"
POLL="$build/tests/bench/bench-daemon-poll"
work=$(mktemp -d)
PID=
trap '[ -z "$PID" ] || kill "$PID" 2>/dev/null; rm -rf "$work"' EXIT

ns_obj() {
  cat <<EOF
"$1": {
  "wireguard": { "interface": "wg0", "managed": false },
  "dns": { "mode": "strict", "servers": ["10.64.0.1"] },
  "ipv6": { "mode": "disable" },
  "egress": { "mode": "allowList", "allowedCidrs": ["10.64.0.0/16", "192.0.2.0/24"], "allowedTcpPorts": [443] },
  "publishToHost": { "tcp": [8080] }
}
EOF
}
config() { # config COUNT
  local i first=1
  { printf '{ "version": 1, "paths": { "stateDir": "%s/state" }, "namespaces": {' "$work"
    for i in $(seq 1 "$1"); do
      [ $first = 1 ] || printf ','
      first=0
      ns_obj "b$i"
    done
    printf '} }\n'; } >"$work/desired.json"
}
start() { # start ARGS...: the agent, returns once the first pass is done
  "$V" --config "$work/desired.json" -q daemon "$@" >>"$work/daemon.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 500); do
    "$V" --config "$work/desired.json" plan >/dev/null 2>&1 && return 0
    sleep 0.01
  done
  echo "the agent did not converge" >&2
  exit 1
}
stop() { kill "$PID"; wait "$PID" || true; PID=; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
# CPU time on a processor, in ns (precise; the ticks above are 10 ms).
cpu_ns() { awk '{ print $1 }' "/proc/$PID/schedstat"; }
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status"; }
fds() { ls "/proc/$PID/fd" | wc -l; }
stats() { sort -n | awk '{ a[NR] = $1 } END { printf "median %.2f ms, worst %.2f ms (n=%d)", a[int((NR + 1) / 2)] / 1000, a[NR] / 1000, NR }'; }
hostif() { "$V" --config "$work/desired.json" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["namespaces"][0]["hostLink"]["hostInterface"])'; }
settle="$V --config $work/desired.json plan >/dev/null 2>&1"

echo "## drift -> repaired (1 namespace)"
config 1
start
HOSTIF=$(hostif)
for kind in table rule link; do
  printf '%-6s ' "$kind"
  "$POLL" /run/netns/b1 "$HOSTIF" "$kind" "$n" "$settle" | stats
  echo
done

echo "## drift -> repaired during an event storm in the host"
for i in $(seq 1 500); do echo "link add st$i type dummy"; done >"$work/storm"
for i in $(seq 1 500); do echo "link del st$i"; done >>"$work/storm"
( while :; do ip -batch "$work/storm" >/dev/null 2>&1 || true; done ) &
STORM=$!
sleep 1
rss_before=$(rss)
printf 'table  '
"$POLL" /run/netns/b1 "$HOSTIF" table "$n" "$settle" | stats
echo
ticks=$(cpu_ticks)
sleep 5
storm_cpu=$(( $(cpu_ticks) - ticks ))
kill "$STORM"
wait "$STORM" 2>/dev/null || true
echo "RSS before the storm ${rss_before} KiB, after $(rss) KiB; agent CPU during 5 s of storm: $storm_cpu ticks ($(getconf CLK_TCK)/s)"
stop

hz=$(getconf CLK_TCK)
echo "## idle, 10 namespaces, ${idle} s each"
config 10
for periodic in 60 0; do
  start --periodic-interval "$periodic"
  sleep 2
  t0=$(cpu_ticks)
  n0=$(cpu_ns)
  sleep "$idle"
  t=$(( $(cpu_ticks) - t0 ))
  ns=$(( $(cpu_ns) - n0 ))
  echo "periodic ${periodic}s: utime+stime $t ticks, on-CPU $(awk -v n="$ns" 'BEGIN { printf "%.1f ms", n / 1e6 }') in ${idle} s = $(awk -v n="$ns" -v s="$idle" 'BEGIN { printf "%.3f s per 10 min (extrapolated)", n / 1e9 * 600 / s }')"
  stop
done

echo "## memory and descriptors"
for count in 1 10 50; do
  config "$count"
  start --periodic-interval 0
  echo "$count namespaces: RSS $(rss) KiB, $(fds) open fds"
  stop
done

echo "## start-up, 1000 runs each (wall time, and CPU time of the runs)"
for exe in "$V" "$VD"; do
  python3 - "$exe" <<'PY'
import os, resource, subprocess, sys, time
exe = sys.argv[1]
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
t0 = time.monotonic()
for _ in range(1000):
    subprocess.run([exe, "--version"], stdout=subprocess.DEVNULL, check=True)
t1 = time.monotonic()
r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
print(f"{os.path.basename(exe)} --version: {(t1 - t0) * 1000:.0f} us wall, {cpu * 1000:.0f} us CPU per run")
PY
done
