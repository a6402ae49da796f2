# The unit file text NixOS writes for the path units of a configuration
# (nixos/lib/systemd-lib.nix: pathToUnit, attrsToSection), named
# "<name>.path", for the units whose name starts with "vpnconf".
{ lib, config }:
let
  toOption = x: if x == true then "true" else if x == false then "false" else toString x;
  attrsToSection =
    as:
    lib.concatStrings (
      lib.concatLists (
        lib.mapAttrsToList (
          name: value: map (x: "${name}=${toOption x}\n") (if lib.isList value then value else [ value ])
        ) as
      )
    );
  text =
    def:
    "[Unit]\n${attrsToSection def.unitConfig}\n[Path]\n${attrsToSection def.pathConfig}"
    + lib.optionalString (def.wantedBy != [ ]) "\n[Install]\nWantedBy=${lib.concatStringsSep " " def.wantedBy}\n";
in
lib.mapAttrs' (n: v: lib.nameValuePair "${n}.path" (text v)) (
  lib.filterAttrs (n: _: lib.hasPrefix "vpnconf" n) config.systemd.paths
)
