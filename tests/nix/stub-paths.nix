# systemd.paths, declared as NixOS declares it (nixos/lib/systemd-types.nix,
# systemd-unit-options.nix: the common unit options and pathConfig;
# systemd-lib.nix: unitConfig from the list options), for evaluating the
# module's port forwarding hooks on a NixOS stub that lacks the option.
# Also gives `pathText`: the unit file text NixOS writes (pathToUnit).
{ lib, ... }:
let
  inherit (lib) mkOption types optionalAttrs;

  # nixos/lib/systemd-unit-options.nix: unitOption (lists concatenate,
  # scalars must agree).
  unitOption = lib.mkOptionType {
    name = "systemd option";
    merge =
      loc: defs:
      let
        defs' = lib.filterOverrides defs;
      in
      if lib.any (def: lib.isList def.value) defs' then
        lib.concatMap (def: lib.toList def.value) defs'
      else
        lib.mergeEqualOption loc defs';
  };
  unitNameType = types.strMatching "[a-zA-Z0-9@%:_.\\-]+[.](service|socket|device|mount|automount|swap|target|path|timer|scope|slice)";
  unitNames =
    description:
    mkOption {
      default = [ ];
      type = types.listOf unitNameType;
      inherit description;
    };

  pathModule =
    { name, config, ... }:
    {
      options = {
        name = mkOption {
          type = types.str;
          description = "The unit's name, with its extension.";
        };
        enable = mkOption {
          default = true;
          type = types.bool;
          description = "If false, the unit is a symlink to /dev/null.";
        };
        description = mkOption {
          default = "";
          type = types.singleLineStr;
          description = "Description=";
        };
        documentation = mkOption {
          default = [ ];
          type = types.listOf types.str;
          description = "Documentation=";
        };
        requiredBy = unitNames "requiredBy";
        wantedBy = unitNames "wantedBy";
        requires = unitNames "Requires=";
        wants = unitNames "Wants=";
        after = unitNames "After=";
        before = unitNames "Before=";
        bindsTo = unitNames "BindsTo=";
        partOf = unitNames "PartOf=";
        conflicts = unitNames "Conflicts=";
        unitConfig = mkOption {
          default = { };
          type = types.attrsOf unitOption;
          description = "[Unit] section.";
        };
        restartTriggers = mkOption {
          default = [ ];
          type = types.listOf types.unspecified;
          description = "Restart the unit when any of these change.";
        };
        pathConfig = mkOption {
          default = { };
          example = {
            PathChanged = "/some/path";
            Unit = "changedpath.service";
          };
          type = types.attrsOf unitOption;
          description = "[Path] section.";
        };
      };
      config = {
        name = "${name}.path";
        unitConfig =
          optionalAttrs (config.requires != [ ]) { Requires = toString config.requires; }
          // optionalAttrs (config.wants != [ ]) { Wants = toString config.wants; }
          // optionalAttrs (config.after != [ ]) { After = toString config.after; }
          // optionalAttrs (config.before != [ ]) { Before = toString config.before; }
          // optionalAttrs (config.bindsTo != [ ]) { BindsTo = toString config.bindsTo; }
          // optionalAttrs (config.partOf != [ ]) { PartOf = toString config.partOf; }
          // optionalAttrs (config.conflicts != [ ]) { Conflicts = toString config.conflicts; }
          // optionalAttrs (config.description != "") { Description = config.description; }
          // optionalAttrs (config.documentation != [ ]) { Documentation = toString config.documentation; };
      };
    };
in
{
  options.systemd.paths = mkOption {
    default = { };
    type = types.attrsOf (types.submodule pathModule);
    description = "Path units.";
  };
}
