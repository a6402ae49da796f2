#!/bin/sh
# What a confined unit gets on NixOS and elsewhere is the same
# (docs/units.md): evaluates the NixOS module for a few configurations
# (units-compare.nix), runs vpnconf-generator on the desired-state file the
# module rendered, and compares, unit by unit, the settings the generator
# writes with those of the module's units.
#   units-compare.sh FIXTURE_DIR SOURCE_ROOT GENERATOR VPNCONF_SERVICE
# FIXTURE_DIR is the NixOS evaluation fixture (nixpkgs' lib and a stub of
# NixOS); exit 77 (skip) without it or without nix-instantiate.
set -eu
fixture=${NIXOS_EVAL:+$(dirname "$NIXOS_EVAL")}
fixture=${fixture:-$1}
src=$2
gen=$3
lifecycle=$4
if [ ! -f "$fixture/run.nix" ]; then
	echo "no NixOS evaluation fixture at $fixture: skipped"
	exit 77
fi
command -v nix-instantiate >/dev/null || { echo "nix-instantiate missing: skipped"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

status=0
for case in strict ipc compat original porthook portclient; do
	echo "== $case"
	nix-instantiate --store dummy:// --eval --strict --json "$here/units-compare.nix" \
		--arg fixture "$fixture" --arg src "$src" -A "$case" >"$tmp/$case.json"
	python3 -c 'import json,sys; json.dump(json.load(open(sys.argv[1]))["desired"], open(sys.argv[2], "w"))' \
		"$tmp/$case.json" "$tmp/$case.desired.json"
	mkdir "$tmp/$case"
	VPNCONF_CONFIG="$tmp/$case.desired.json" "$gen" "$tmp/$case" "$tmp/$case" "$tmp/$case"
	python3 "$here/units-compare.py" "$tmp/$case.json" "$tmp/$case" "$lifecycle" || status=1
done
exit $status
