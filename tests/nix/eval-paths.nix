# evalConfig of the fixture (a list of modules -> config) on its NixOS stub
# with what the port forwarding hooks need and the stub lacks: the option
# systemd.paths (stub-paths.nix) and pkgs.curl (on the hook's PATH).
{ fixture, src, lib }:
let
  stubPkgs = import (fixture + "/stub/pkgs.nix") { inherit lib; };
  pkgs = stubPkgs // {
    curl = stubPkgs.stdenv.mkDerivation {
      pname = "curl";
      version = "0-stub";
    };
  };
  evalConfig = import (fixture + "/stub/eval-config.nix") {
    inherit lib pkgs;
    vpnconfModule = src + "/nix/module.nix";
  };
in
modules: evalConfig ([ ./stub-paths.nix ] ++ modules)
