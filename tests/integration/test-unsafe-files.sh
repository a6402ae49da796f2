#!/bin/bash
# Files in the runtime directory are untrusted: a FIFO, a symbolic link (to
# a secret elsewhere), a hard link, a directory or a device node in place of
# a generated file (resolv.conf, nsswitch.conf, the ownership marker, a
# temporary), or a link in place of the namespace's directory. reconcile
# neither hangs nor follows any of them: it finishes in its normal time,
# treats each as drift and replaces it, leaving the link targets untouched;
# a non-empty directory makes it fail with a clear error. A FIFO in place of
# the lock file is refused at once with a clear error (it used to hang every
# run while the lock was held). down removes whatever is there.
. "$(dirname "$0")/lib.sh"

write_config <<EOF
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "egress": { "mode": "allowList", "allowedCidrs": ["10.64.0.0/16"] }
EOF
DIR=/run/vpnconf/$NS
RESOLV=$DIR/resolv.conf
up
want_resolv=$(cat "$RESOLV")
want_nss=$(cat "$DIR/nsswitch.conf")
want_marker=$(cat "$DIR/netns-id")

# A secret elsewhere, in the same file system as the runtime directory (so
# that it can be hard-linked too).
SECRET=/run/secret
printf 'root:hash:0:0\n' >"$SECRET"
chmod 0600 "$SECRET"

# bounded RC CMD...: CMD must exit RC within 20 s (it used to hang forever).
bounded() {
  local want=$1 rc=0
  shift
  [ "$1" = vc ] && set -- "$VPNCONF" --config "$CONFIG" --state-dir "$STATE" "${@:2}"
  OUT=$(timeout 20 "$@" 2>&1) || rc=$?
  printf '%s\n' "$OUT"
  [ "$rc" != 124 ] || fail "'$*' hung"
  [ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want"
}
regular() {
  [ -f "$1" ] && [ ! -L "$1" ] || fail "$1 is not a regular file: $(ls -la "$1")"
  [ "$(stat -c %h "$1")" = 1 ] || fail "$1 has $(stat -c %h "$1") links"
  [ "$(cat "$1")" = "$2" ] || fail "$1 has the wrong content: $(cat "$1")"
}
all_repaired() {
  regular "$RESOLV" "$want_resolv"
  regular "$DIR/nsswitch.conf" "$want_nss"
  regular "$DIR/netns-id" "$want_marker"
  [ "$(cat "$SECRET")" = "root:hash:0:0" ] || fail "the secret was written through a link"
  [ -z "$(find "$DIR" -name '*.tmp')" ] || fail "temporaries left: $(ls -la "$DIR")"
  expect_rc 0 vc plan >/dev/null
}

# replaced WHAT FILE CMD...: CMD puts something in place of FILE; reconcile
# must call it drift, finish in time and replace it.
replaced() {
  local what=$1 file=$2
  shift 2
  note "$what in place of $(basename "$file")"
  rm -rf "$file"
  "$@"
  bounded 2 vc plan
  contains "$OUT" "(drift)" || fail "$what: plan does not call it drift"
  bounded 0 vc reconcile
  contains "$OUT" "drift from the desired state" || fail "$what: not reported as drift"
  all_repaired
}

for file in "$RESOLV" "$DIR/nsswitch.conf" "$DIR/netns-id"; do
  replaced "a FIFO" "$file" mkfifo "$file"
  contains "$OUT" "is a FIFO, socket or device, not a regular file" || fail "the FIFO is not named"
  replaced "a symbolic link to a secret" "$file" ln -s "$SECRET" "$file"
  replaced "a hard link to a secret" "$file" ln "$SECRET" "$file"
  replaced "an empty directory" "$file" mkdir "$file"
  replaced "a device node" "$file" mknod "$file" c 1 3
  replaced "a socket" "$file" "$PYTHON3" -c \
    "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$file"
done

note "a FIFO at the name of a temporary"
mkfifo "$RESOLV.vpnconf-4242.tmp"
bounded 0 vc reconcile
all_repaired

note "the namespace's directory replaced by a link to a directory elsewhere"
mkdir -p /run/elsewhere
printf 'theirs\n' >/run/elsewhere/resolv.conf
mv "$DIR" /run/moved-away
ln -s /run/elsewhere "$DIR"
bounded 2 vc plan
contains "$OUT" "(drift)" || fail "plan does not call it drift"
bounded 0 vc reconcile
[ -d "$DIR" ] && [ ! -L "$DIR" ] || fail "$DIR is not a directory again"
all_repaired
[ "$(cat /run/elsewhere/resolv.conf)" = theirs ] || fail "the link's target was written"
[ "$(ls /run/elsewhere)" = resolv.conf ] || fail "files were created through the link"
rm -rf /run/moved-away

note "a non-empty directory in place of resolv.conf: a clear error"
rm -f "$RESOLV"
mkdir "$RESOLV"
touch "$RESOLV/x"
bounded 1 vc reconcile
contains "$OUT" "refusing a file that is a directory" || fail "no clear error"
[ -e "$RESOLV/x" ] || fail "the directory's content was removed"
rm -rf "$RESOLV"
bounded 0 vc reconcile
all_repaired

note "a FIFO in place of the lock file: refused at once"
rm -f /run/vpnconf/.lock
mkfifo /run/vpnconf/.lock
bounded 1 vc reconcile
contains "$OUT" "not a regular file" || fail "the lock error is not clear"
ln -sf "$SECRET" /run/vpnconf/.lock
bounded 1 vc reconcile
[ "$(cat "$SECRET")" = "root:hash:0:0" ] || fail "the lock followed a link"
rm -f /run/vpnconf/.lock
bounded 0 vc reconcile

note "down removes whatever is in place of the files"
rm -f "$RESOLV" "$DIR/nsswitch.conf"
mkfifo "$RESOLV"
ln -s "$SECRET" "$DIR/nsswitch.conf"
bounded 0 vc down "$NS"
[ ! -e "$DIR" ] || fail "$DIR still there: $(ls -la "$DIR")"
[ "$(cat "$SECRET")" = "root:hash:0:0" ] || fail "the secret was touched"
finish
