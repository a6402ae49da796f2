# Render tests of the module's port forwarding hooks
# (services.vpnconf.namespaces.<n>.portForwarding.onChange / client): the
# path unit on the namespace's forwarded-port file and the oneshot it
# starts inside the namespace. Evaluated on the NixOS stub of the fixture
# with systemd.paths added (stub-paths.nix). lib.runTests' failures:
# empty when every test passes.
#   nix-instantiate --eval --strict --json port-hook.nix \
#     --arg fixture FIXTURE_DIR --arg src SRC -A failures
{ fixture, src }:
let
  lib = import (fixture + "/nixpkgs-lib/lib");
  run = import (fixture + "/run.nix") { inherit src lib; };
  eval = import ./eval-paths.nix { inherit fixture src lib; };
  hook =
    pf: extra:
    eval [
      run.examples.managed
      {
        services.vpnconf.namespaces.vpnapps.portForwarding = {
          mode = "natpmp";
          gateway = "10.2.0.1";
        }
        // pf;
      }
      extra
    ];
  command = "echo \"$VPNCONF_PORT\" > /var/lib/client/port";
  onChange = hook { onChange = command; } { };
  client = hook {
    client = "qbittorrent";
    clientUrl = "http://127.0.0.1:8081";
    clientEnvironmentFile = "/run/keys/qbittorrent-api";
  } { };
  otherPaths = hook { onChange = command; } {
    services.vpnconf.paths = {
      netnsDir = "/var/run/ns";
      runtimeDir = "/run/vc";
    };
  };
  name = "vpnconf-port-vpnapps";
  path = c: c.systemd.paths.${name};
  service = c: c.systemd.services.${name};
  lines = c: lib.filter (l: l != "") (lib.splitString "\n" (service c).script);
  failed = c: map (a: a.message) (lib.filter (a: !a.assertion) c.assertions);
  portFile = "/run/vpnconf/vpnapps/forwarded-port";
in
{
  failures = lib.runTests {
    testNoFailedAssertion = {
      expr = failed onChange ++ failed client ++ failed otherPaths;
      expected = [ ];
    };
    testPathWatchesPortFile = {
      expr = (path onChange).pathConfig;
      expected = {
        PathChanged = portFile;
        Unit = "${name}.service";
      };
    };
    testPathBoundToLifecycle = {
      expr = {
        inherit (path onChange) wantedBy bindsTo partOf after;
      };
      expected = {
        wantedBy = [ "vpnconf.service" ];
        bindsTo = [ "vpnconf.service" ];
        partOf = [ "vpnconf.service" ];
        after = [ "vpnconf.service" ];
      };
    };
    testHookInsideNamespaceAsDynamicUser = {
      expr = {
        inherit ((service onChange).serviceConfig)
          Type
          NetworkNamespacePath
          DynamicUser
          CapabilityBoundingSet
          NoNewPrivileges
          ;
        root = (service onChange).serviceConfig ? User;
      };
      expected = {
        Type = "oneshot";
        NetworkNamespacePath = "/run/netns/vpnapps";
        DynamicUser = true;
        CapabilityBoundingSet = "";
        NoNewPrivileges = true;
        root = false;
      };
    };
    # $VPNCONF_PORT is the file's one line; a removed file runs nothing.
    testHookEnvironment = {
      expr = lines onChange;
      expected = [
        "[ -r ${portFile} ] || exit 0"
        "read -r VPNCONF_PORT < ${portFile}"
        "export VPNCONF_PORT"
        command
      ];
    };
    testHookScriptIsExecStart = {
      expr = lib.hasInfix "unit-script-${name}-start" (service onChange).serviceConfig.ExecStart;
      expected = true;
    };
    # The unit files as NixOS writes them (every value forced).
    testPathUnitText = {
      expr = (import ./path-text.nix { inherit lib; config = onChange; })."${name}.path";
      expected = ''
        [Unit]
        After=vpnconf.service
        BindsTo=vpnconf.service
        Description=vpnconf: watch the forwarded port of namespace vpnapps
        PartOf=vpnconf.service

        [Path]
        PathChanged=${portFile}
        Unit=${name}.service

        [Install]
        WantedBy=vpnconf.service
      '';
    };
    testServiceUnitText = {
      expr =
        let
          t = (import (fixture + "/stub/unit-text.nix") { inherit lib; config = client; })."${name}.service";
        in
        map (l: lib.hasInfix l t) [
          "NetworkNamespacePath=/run/netns/vpnapps\n"
          "DynamicUser=true\n"
          "EnvironmentFile=/run/keys/qbittorrent-api\n"
          "-curl-0-stub/bin:"
        ];
      expected = [ true true true true ];
    };
    testClientCommand = {
      expr = {
        inherit ((service client).serviceConfig) EnvironmentFile;
        inherit ((path client).pathConfig) PathChanged;
      };
      expected = {
        EnvironmentFile = "/run/keys/qbittorrent-api";
        PathChanged = portFile;
      };
    };
    testClientRunsPortHook = {
      expr = builtins.match ".*/libexec/vpnconf-port-hook qbittorrent '?http://127[.]0[.]0[.]1:8081'?" (lib.last (lines client)) != null;
      expected = true;
    };
    testOtherPaths = {
      expr = {
        inherit ((path otherPaths).pathConfig) PathChanged;
        inherit ((service otherPaths).serviceConfig) NetworkNamespacePath;
      };
      expected = {
        PathChanged = "/run/vc/vpnapps/forwarded-port";
        NetworkNamespacePath = "/var/run/ns/vpnapps";
      };
    };
    # The hook is the module's unit: the rendered file does not carry it
    # (the generator would write a second pair).
    testOnChangeNotInDesiredState = {
      expr = onChange.services.vpnconf.desiredState.namespaces.vpnapps.portForwarding ? onChange;
      expected = false;
    };
    testNoHookNoUnits = {
      expr =
        let
          c = hook { } { };
        in
        {
          paths = c.systemd.paths;
          service = c.systemd.services ? ${name};
        };
      expected = {
        paths = { };
        service = false;
      };
    };
    testModeNoneNoUnits = {
      expr =
        let
          c = eval [
            run.examples.managed
            { services.vpnconf.namespaces.vpnapps.portForwarding.onChange = command; }
          ];
        in
        c.systemd.paths ? ${name} || c.systemd.services ? ${name};
      expected = false;
    };
  };
}
