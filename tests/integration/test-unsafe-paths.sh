#!/bin/bash
# Unsafe directories: reconcile and down refuse a runtime or namespace
# directory that is a symbolic link, not owned by root, or writable by
# group or others (or lies under a writable directory without the sticky
# bit), and change nothing; an unsafe state directory is not used (the run
# goes on unjournaled, exit 5). check refuses shared system directories and
# overlapping paths, naming the JSON path.
. "$(dirname "$0")/lib.sh"

# config [PATHS]: the test namespace, with "paths" members PATHS.
config() {
  write_config "\"paths\": { ${1:-} }" <<EOF
      "wireguard": { "interface": "wg0", "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "egress": { "mode": "allowList", "allowedCidrs": ["10.64.0.0/16"] }
EOF
}
nothing_changed() {
  [ -z "$(netns_names)" ] || fail "a namespace was created: $(netns_names)"
  host_links_are lo || fail "links were created: $(links host)"
}
# refused WHAT RULE PATHS: reconcile exits 1 naming RULE; nothing changes.
refused() {
  note "refused: $1"
  config "$3"
  capture 1 vc reconcile
  contains "$OUT" "$2" || fail "$1: the message does not say \"$2\""
  contains "$OUT" "nothing was changed" || fail "$1: the message does not say nothing changed"
  nothing_changed
}

mkdir -p /run/real
ln -s /run/real /run/link
refused "runtime directory is a symbolic link" "refusing paths.runtimeDir /run/link: /run/link is a symbolic link" \
  '"runtimeDir": "/run/link"'
refused "namespace directory below a symbolic link" "/run/link is a symbolic link" \
  '"netnsDir": "/run/link/netns"'
mkdir -p /run/vc-group && chmod 0775 /run/vc-group
refused "runtime directory group-writable" "/run/vc-group is writable by group or others (mode 0775)" \
  '"runtimeDir": "/run/vc-group"'
mkdir -p /run/ns-world && chmod 0777 /run/ns-world
refused "namespace directory world-writable" "/run/ns-world is writable by group or others" \
  '"netnsDir": "/run/ns-world"'
mkdir -p /run/vc-user && chown 1000:1000 /run/vc-user
refused "runtime directory not owned by root" "/run/vc-user is owned by uid 1000, not root" \
  '"runtimeDir": "/run/vc-user"'
mkdir -p /run/open && chmod 0777 /run/open
refused "under a world-writable directory without the sticky bit" \
  "/run/open is writable by group or others (mode 0777) without the sticky bit" \
  '"runtimeDir": "/run/open/vc"'
note "down refuses too"
config '"runtimeDir": "/run/vc-group"'
capture 1 vc down "$NS"
contains "$OUT" "writable by group or others" || fail "down: no clear refusal"

note "a sticky world-writable ancestor (like /tmp) is fine"
mkdir -p /run/sticky && chmod 1777 /run/sticky
config '"runtimeDir": "/run/sticky/vc"'
up
[ "$(stat -c '%U %a' /run/sticky/vc)" = "root 755" ] || fail "runtime directory: $(stat -c '%U %a' /run/sticky/vc)"
expect_rc 0 vc down "$NS"

note "an unsafe state directory is not used; the run goes on unjournaled"
config
mkdir -p "$TEST_TMP/state-real"
rm -rf "$STATE"
ln -s "$TEST_TMP/state-real" "$STATE"
capture 5 vc reconcile
contains "$OUT" "refusing the state directory: $STATE is a symbolic link" ||
  fail "the state directory is not refused"
[ -z "$(ls -A "$TEST_TMP/state-real")" ] || fail "files were created through the link"
[ -e "/run/netns/$NS" ] || fail "the namespace was not brought up"
rm "$STATE"
mkdir -m 0777 "$STATE"
capture 5 vc down "$NS"
contains "$OUT" "writable by group or others" || fail "the state directory is not refused"
[ ! -e "/run/netns/$NS" ] || fail "down did not tear down"

note "check: shared system directories and overlapping paths"
config '"stateDir": "/var/lib", "runtimeDir": "/run/netns/x"'
capture 3 vc check
contains "$OUT" "paths.stateDir: /var/lib is a shared system directory" || fail "check: /var/lib"
contains "$OUT" "paths.netnsDir: must not overlap paths.runtimeDir" || fail "check: overlap"
finish
