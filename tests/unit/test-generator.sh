#!/bin/bash
# vpnconf-generator as systemd runs it: three directories, always exit 0.
# A valid file gives the drop-ins and publish units; a missing file gives
# nothing, silently; an invalid file gives every problem on stderr, with
# its JSON path, and for each unit it names a drop-in keeping that unit off
# the network.
#   test-generator.sh GENERATOR SOURCE_DIR
set -euo pipefail
gen=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

run() { # run NAME CONFIG: output directory $tmp/NAME, stderr in $tmp/NAME.err
	mkdir -p "$tmp/$1" "$tmp/$1-early" "$tmp/$1-late"
	VPNCONF_CONFIG=$2 "$gen" "$tmp/$1" "$tmp/$1-early" "$tmp/$1-late" 2>"$tmp/$1.err" ||
		fail "$1: exit status $?"
	[ -z "$(find "$tmp/$1-early" "$tmp/$1-late" -mindepth 1)" ] || fail "$1: wrote to the early or late directory"
}

# The bundled example: one confined service.
run example "$src/docs/examples/desired.json"
(cd "$tmp/example" && find . -type f | sort) >"$tmp/example.list"
diff -u - "$tmp/example.list" <<'LIST' || fail "example: unexpected files"
./transmission.service.d/zz-vpnconf.conf
./vpnconf.service.d/zz-vpnconf.conf
LIST
grep -qx 'NetworkNamespacePath=/run/netns/vpnapps' "$tmp/example/transmission.service.d/zz-vpnconf.conf" ||
	fail "example: no NetworkNamespacePath"
grep -qx "ExecStop=-.*/vpnconf --config $src/docs/examples/desired.json down vpnapps" \
	"$tmp/example/vpnconf.service.d/zz-vpnconf.conf" || fail "example: no ExecStop"

# publish: a socket and a proxy per entry.
cat >"$tmp/publish.json" <<'JSON'
{
  "version": 1,
  "namespaces": {
    "web": {
      "wireguard": { "managed": false },
      "dns": { "servers": ["10.64.0.1"] },
      "publish": [
        { "listen": "192.0.2.1:8080", "port": 80 },
        { "listen": "[::]:8443", "port": 443 }
      ]
    }
  },
  "units": { "nginx.service": { "namespace": "web", "user": "nginx" } }
}
JSON
run publish "$tmp/publish.json"
for f in vpnconf-publish-web-0.socket vpnconf-publish-web-0.service vpnconf-publish-web-1.socket \
	vpnconf-publish-web-1.service nginx.service.d/zz-vpnconf.conf; do
	[ -f "$tmp/publish/$f" ] || fail "publish: no $f"
done
grep -qx 'ListenStream=\[::\]:8443' "$tmp/publish/vpnconf-publish-web-1.socket" || fail "publish: listen"
grep -qx 'ExecStart=.*/systemd-socket-proxyd 127.0.0.1:443' "$tmp/publish/vpnconf-publish-web-1.service" ||
	fail "publish: proxy target"
grep -qx 'Wants=vpnconf-publish-web-0.socket' "$tmp/publish/vpnconf.service.d/zz-vpnconf.conf" ||
	fail "publish: vpnconf.service does not pull the socket in"

# Missing: nothing, and no error.
run missing "$tmp/does-not-exist.json"
[ -z "$(ls -A "$tmp/missing")" ] || fail "missing: wrote files"

# unusable NAME UNIT: the only file is UNIT's drop-in keeping it off the
# network (a unit the operator meant to confine used to start in the
# host's network namespace, outside the tunnel, when the file was invalid).
unusable() {
	(cd "$tmp/$1" && find . -type f) >"$tmp/$1.list"
	[ "$(cat "$tmp/$1.list")" = "./$2.d/zz-vpnconf.conf" ] || fail "$1: files: $(cat "$tmp/$1.list")"
	grep -qx 'PrivateNetwork=yes' "$tmp/$1/$2.d/zz-vpnconf.conf" || fail "$1: $2 not kept off the network"
	grep -qx 'BindsTo=vpnconf.service' "$tmp/$1/$2.d/zz-vpnconf.conf" || fail "$1: $2 not bound"
	grep -q "$2: kept off the network" "$tmp/$1.err" || fail "$1: not logged"
}

# Invalid: every problem named; the units it names kept off the network.
sed -e 's/"port": 80 }/"port": 0 }/' -e 's/"namespace": "web"/"namespace": "nope"/' \
	"$tmp/publish.json" >"$tmp/invalid.json"
run invalid "$tmp/invalid.json"
unusable invalid nginx.service
grep -q 'namespaces.web.publish\[0\].port' "$tmp/invalid.err" || fail "invalid: port error not logged"
grep -q 'invalid.json is invalid: vpnconf.service will fail' "$tmp/invalid.err" || fail "invalid: no summary"

# Not JSON at all.
echo '{ "version": 1,' >"$tmp/broken.json"
run broken "$tmp/broken.json"
[ -z "$(ls -A "$tmp/broken")" ] || fail "broken: wrote files"
grep -q 'line ' "$tmp/broken.err" || fail "broken: no position"
grep -q 'starts unconfined' "$tmp/broken.err" || fail "broken: the risk is not named"

# A path that cannot go into a unit file: nothing.
sed 's/"version": 1,/"version": 1, "paths": { "netnsDir": "\/run\/my netns" },/' \
	"$tmp/publish.json" >"$tmp/space.json"
run space "$tmp/space.json"
unusable space nginx.service

# Usage errors still exit 0 (a generator never fails the boot).
"$gen" 2>/dev/null || fail "no arguments: exit status $?"
echo "ok"
