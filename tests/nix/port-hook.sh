#!/bin/sh
# Render tests of the NixOS module's port forwarding hooks (port-hook.nix):
# the path unit on the forwarded-port file and the oneshot inside the
# namespace, evaluated with nixpkgs' real lib on the NixOS stub of the
# evaluation fixture (with systemd.paths from stub-paths.nix).
#   port-hook.sh FIXTURE_DIR SOURCE_ROOT
# NIXOS_EVAL (the fixture's run.sh) overrides FIXTURE_DIR. Exit 77 (skip)
# without the fixture or without nix-instantiate.
set -eu
fixture=${NIXOS_EVAL:+$(dirname "$NIXOS_EVAL")}
fixture=${fixture:-$1}
src=$2
if [ ! -f "$fixture/run.nix" ]; then
	echo "no NixOS evaluation fixture at $fixture: skipped"
	exit 77
fi
command -v nix-instantiate >/dev/null || { echo "nix-instantiate missing: skipped"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
failures=$(nix-instantiate --store dummy:// --eval --strict --json "$here/port-hook.nix" \
	--arg fixture "$fixture" --arg src "$src" -A failures)
if [ "$failures" = "[]" ]; then
	echo "all port hook render tests pass"
	exit 0
fi
echo "$failures" | python3 -m json.tool
exit 1
