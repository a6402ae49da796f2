#!/bin/bash
# "down" is complete when it returns. It used to leave the kernel to reap
# an unused namespace asynchronously, so the host end of the veth was
# still there when down returned and an immediate reconcile tripped over
# it; when it could not tell whether processes were inside, it only set
# its links down and left the veth pair. And a process whose only thread
# inside the namespace is not its main thread (a thread that called
# setns()) counts as inside: the namespace is locked down first.
. "$(dirname "$0")/lib.sh"

use_example
up

note "down, then reconcile at once, ten times"
for i in $(seq 1 10); do
  capture 0 vc down "$NS"
  # No waiting: nothing of the namespace may be left on the host.
  host_links_are lo || fail "round $i: host links left right after down: $(links host)"
  [ ! -e "/run/netns/$NS" ] || fail "round $i: /run/netns/$NS still there"
  [ ! -e "/run/vpnconf/$NS" ] || fail "round $i: /run/vpnconf/$NS still there"
  capture 0 vc reconcile
  contains "$OUT" "$NS: applied" || fail "round $i: reconcile: $OUT"
done
capture 0 vc plan

note "a thread inside, its process's main thread outside"
vpn_server "$NS" wg0
"$PYTHON3" - "/run/netns/$NS" "$TEST_TMP/tid" <<'PY' &
import ctypes, os, sys, threading, time
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000
def inside():
    fd = os.open(sys.argv[1], os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns")
    with open(sys.argv[2] + ".tmp", "w") as f:
        f.write(str(threading.get_native_id()))
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
    time.sleep(600)
t = threading.Thread(target=inside, daemon=True)
t.start()
t.join()
PY
BG_PIDS+=($!)
pid=$!
wait_file "$TEST_TMP/tid"
tid=$(cat "$TEST_TMP/tid")
[ "$tid" != "$pid" ] || fail "the thread is the main thread"
[ "$(readlink "/proc/$pid/ns/net")" = "$(readlink /proc/self/ns/net)" ] ||
  fail "the main thread left the host namespace"
[ "$(readlink "/proc/$pid/task/$tid/ns/net")" = "$(nsenter --net="/run/netns/$NS" readlink /proc/self/ns/net)" ] ||
  fail "the thread is not inside $NS"
capture 0 vc down "$NS"
contains "$OUT" "lockdown" || fail "down did not lock down with a thread inside: $OUT"
host_links_are lo || fail "host links left right after down: $(links host)"
contains "$(nsenter --net="/proc/$pid/task/$tid/ns/net" nft list table inet vpnconf)" 'comment "vpnconf:lockdown"' ||
  fail "the namespace the thread is in is not locked down"
left=$(nsenter --net="/proc/$pid/task/$tid/ns/net" ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort | tr '\n' ' ')
[ "$left" = "lo wg0 " ] || fail "links left inside: $left (vpnconf's must be gone, the foreign tunnel stays)"
kill "$pid"
capture 0 vc reconcile
finish
