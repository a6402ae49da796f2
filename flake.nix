{
  description = "vpnconf: fail-closed WireGuard confinement for selected systemd services";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAllSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      overlays.default = final: _prev: {
        vpnconf = final.callPackage ./nix/package.nix { };
      };

      nixosModules.default = ./nix/module.nix;
      nixosModules.vpnconf = self.nixosModules.default;

      packages = forAllSystems (pkgs: rec {
        vpnconf = pkgs.callPackage ./nix/package.nix { };
        default = vpnconf;
      });

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          inputsFrom = [ self.packages.${pkgs.stdenv.hostPlatform.system}.vpnconf ];
          packages = [
            pkgs.clang-tools
            pkgs.gdb
          ];
        };
      });

      checks = forAllSystems (
        pkgs:
        let
          inherit (pkgs.stdenv.hostPlatform) system;
          evalConfig =
            modules:
            (import "${nixpkgs}/nixos/lib/eval-config.nix" {
              inherit system;
              modules = [
                self.nixosModules.default
                {
                  # A bare system: only the vpnconf parts are looked at.
                  boot.isContainer = true;
                  system.stateVersion = lib.trivial.release;
                }
              ]
              ++ modules;
            }).config;
          renderFailures = import ./nix/tests/render.nix { inherit lib evalConfig; };
          # The examples of docs/examples as rendered by the module, judged
          # by `vpnconf check` as a system build would (system.checks).
          examples = import ./nix/tests/examples.nix;
          renderedExamples = lib.concatMap (c: c.system.checks) [
            (evalConfig [ examples.managed ])
            (evalConfig [ examples.external ])
          ];
        in
        {
          package = self.packages.${system}.vpnconf;

          render =
            if renderFailures == [ ] then
              pkgs.runCommand "vpnconf-module-render-tests" { checks = renderedExamples; } ''
                touch "$out"
              ''
            else
              throw "vpnconf module tests failed: ${builtins.toJSON renderFailures}";

          basic = pkgs.testers.runNixOSTest ./nix/tests/basic.nix;
          external = pkgs.testers.runNixOSTest ./nix/tests/external.nix;
        }
      );
    };
}
