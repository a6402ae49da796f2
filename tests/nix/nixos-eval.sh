#!/bin/sh
# Evaluates nix/module.nix with nixpkgs' real lib and a stub of the NixOS
# options it touches (the render tests, both examples, and `vpnconf check`
# on the files they install), when that evaluation fixture is present.
#   nixos-eval.sh RUN_SH SOURCE_ROOT VPNCONF
# NIXOS_EVAL overrides RUN_SH. Exit 77 (skip) without the fixture or
# without nix-instantiate.
set -eu
run=${NIXOS_EVAL:-$1}
src=$2
vpnconf=$3
if [ ! -x "$run" ]; then
	echo "no NixOS evaluation fixture at $run: skipped"
	exit 77
fi
command -v nix-instantiate >/dev/null || { echo "nix-instantiate missing: skipped"; exit 77; }
VPNCONF=$vpnconf exec "$run" "$src"
