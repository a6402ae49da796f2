#!/bin/bash
# tests/sandbox itself (run outside it, as root; each case makes its own
# sandbox or private mount namespace):
#   - a command that calls abort() inside fails at once (as PID 1 of the
#     sandbox's PID namespace abort() did nothing and the test hung until
#     meson's timeout);
#   - exit status and stdin pass through; the command is not PID 1;
#   - a sandbox stopped by a signal to its process group ends at once;
#   - / that is not a mount point (a chroot): the sandbox works when the
#     mount holding / does not propagate (and "ip netns exec", which needs
#     / to be a mount point, works inside), its mounts stay inside, and it
#     refuses with the reason when that mount propagates.
set -euo pipefail
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
sandbox=$SRCDIR/tests/sandbox
unset VPNCONF_IN_SANDBOX

fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "skip: needs root" >&2; exit 77; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
python3=$(command -v /usr/bin/python3 || command -v python3)

# The time from the moment the command dies to the end of the sandbox:
# the command prints the clock (ms) just before; the sandbox's own start-up
# is not counted (it is slow on a loaded machine, and not what broke).
echo "# abort() inside the sandbox fails within a second"
rc=0
before=$(timeout 30 "$sandbox" "$python3" -c '
import os, time
print(time.clock_gettime_ns(time.CLOCK_REALTIME) // 1000000, flush=True)
os.abort()' 2>/dev/null) || rc=$?
took=$(( $(now_ms) - before ))
[ "$rc" = 134 ] || fail "abort() inside the sandbox: exit status $rc, want 134 (SIGABRT)"
[ "$took" -lt 1000 ] || fail "abort() inside the sandbox took ${took} ms to fail"

echo "# a signal without a handler (SIGABRT, SIGTERM) kills the command"
for sig in ABRT TERM; do
  rc=0
  before=$(timeout 30 "$sandbox" sh -c "echo \$(( \$(date +%s%N) / 1000000 )); kill -$sig \$\$; sleep 10" \
    2>/dev/null) || rc=$?
  took=$(( $(now_ms) - before ))
  want=$(( 128 + $(kill -l "$sig") ))
  [ "$rc" = "$want" ] || fail "kill -$sig inside the sandbox: exit status $rc, want $want"
  [ "$took" -lt 1000 ] || fail "kill -$sig inside the sandbox took ${took} ms to end it"
done

echo "# exit status, stdin, PID"
rc=0
"$sandbox" sh -c 'exit 3' || rc=$?
[ "$rc" = 3 ] || fail "exit status $rc, want 3"
[ "$(echo through | "$sandbox" cat)" = through ] || fail "stdin does not reach the command"
pid=$("$sandbox" sh -c 'echo $$')
[ "$pid" != 1 ] || fail "the command is PID 1 of the sandbox"
[ "$("$sandbox" cat /proc/1/comm)" = bash ] || fail "PID 1 of the sandbox is not its shell"

echo "# a signal to the process group ends the sandbox at once"
start=$(now_ms)
rc=0
timeout 1 "$sandbox" sleep 60 || rc=$?
took=$(( $(now_ms) - start ))
[ "$rc" = 124 ] || fail "timeout: exit status $rc, want 124"
[ "$took" -lt 5000 ] || fail "the sandbox outlived its timeout by $(( took - 1000 )) ms"

echo "# / not a mount point: a chroot into a directory of a tmpfs"
# run_in_chroot PROPAGATION CMD: in a sandbox (a private mount namespace
# whose / is a mount point, even when this test itself runs in a chroot), a
# root that is a plain directory on a tmpfs of the given propagation, with
# /usr, /etc and the source tree bound in; runs CMD there through chroot.
run_in_chroot() {
  "$sandbox" /bin/bash -euc '
    prop=$1 src=$2 cmd=$3
    unset VPNCONF_IN_SANDBOX
    t=$(mktemp -d /run/chroot.XXXXXX)
    mount -t tmpfs tmpfs "$t"
    mount --make-"$prop" "$t"
    r=$t/root
    mkdir -p "$r"/{usr,etc,proc,dev,sys,run,tmp,var/lib} "$r$src"
    for l in bin lib lib64 sbin; do
      if [ -L "/$l" ]; then
        ln -s "$(readlink "/$l")" "$r/$l"
      elif [ -d "/$l" ]; then
        mkdir "$r/$l" && mount --bind "/$l" "$r/$l"
      fi
    done
    mount --bind /usr "$r/usr"
    mount -o bind,ro /etc "$r/etc"
    mount --rbind /dev "$r/dev"
    mount -t proc proc "$r/proc"
    mount --bind "$src" "$r$src"
    chroot "$r" /bin/sh -c "$cmd"
  ' run-in-chroot "$@"
}

out=$(run_in_chroot private "$SRCDIR" "
  mountpoint -q / && { echo '/ is a mount point'; exit 1; }
  cd /usr/share
  '$sandbox' sh -c 'mountpoint -q /run && mountpoint -q / && [ \$PWD = /usr/share ] &&
    ip netns add probe && ip netns exec probe true && echo inside-ok'
  mountpoint -q /run && echo leaked
  ls -a / | grep -q sandbox-probe && echo probe-left
  true
" 2>&1) || fail "sandbox in a chroot: $out"
[ "$out" = inside-ok ] || fail "sandbox in a chroot on a private mount: $out"

rc=0
out=$(run_in_chroot shared "$SRCDIR" "
  '$sandbox' true; rc=\$?
  mountpoint -q /run && echo leaked
  ls -a / | grep -q sandbox-probe && echo probe-left
  exit \$rc
" 2>&1) || rc=$?
[ "$rc" = 1 ] || fail "sandbox in a chroot on a shared mount: exit status $rc, want 1: $out"
grep -q "/ is not a mount point" <<<"$out" || fail "no reason given: $out"
grep -q "leaked\|probe-left" <<<"$out" && fail "the refused sandbox left something: $out"
echo "ok"
