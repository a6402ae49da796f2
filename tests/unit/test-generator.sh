#!/bin/bash
# vpnconf-generator as systemd runs it: three directories, always exit 0.
# A valid file gives the drop-ins and publish units; a missing file gives
# nothing, silently; an invalid file gives nothing and every problem on
# stderr, with its JSON path.
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

# Invalid: nothing, every problem named.
sed -e 's/"port": 80 }/"port": 0 }/' -e 's/"namespace": "web"/"namespace": "nope"/' \
	"$tmp/publish.json" >"$tmp/invalid.json"
run invalid "$tmp/invalid.json"
[ -z "$(ls -A "$tmp/invalid")" ] || fail "invalid: wrote files"
grep -q 'namespaces.web.publish\[0\].port' "$tmp/invalid.err" || fail "invalid: port error not logged"
grep -q 'invalid: no unit is confined' "$tmp/invalid.err" || fail "invalid: no summary"

# Not JSON at all.
echo '{ "version": 1,' >"$tmp/broken.json"
run broken "$tmp/broken.json"
[ -z "$(ls -A "$tmp/broken")" ] || fail "broken: wrote files"
grep -q 'line ' "$tmp/broken.err" || fail "broken: no position"

# A path that cannot go into a unit file: nothing.
sed 's/"version": 1,/"version": 1, "paths": { "netnsDir": "\/run\/my netns" },/' \
	"$tmp/publish.json" >"$tmp/space.json"
run space "$tmp/space.json"
[ -z "$(ls -A "$tmp/space")" ] || fail "space: wrote files"

# Usage errors still exit 0 (a generator never fails the boot).
"$gen" 2>/dev/null || fail "no arguments: exit status $?"
echo "ok"
