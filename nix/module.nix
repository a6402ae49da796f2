# The NixOS module of vpnconf.
#
# services.vpnconf.* renders the desired-state file /etc/vpnconf/desired.json
# (docs/desired-state.md; the option names mirror it), checked with
# `vpnconf check` when the system is built. vpnconf.service reconciles the
# kernel towards it at boot and on every `nixos-rebuild switch` (a reload,
# never a restart), and tears the namespaces down when stopped.
# vpnconf-watch.service runs the agent (`vpnconf daemon`): it repairs drift
# as the kernel reports it, re-checks everything periodically, refreshes
# hostname endpoints and watches tunnel health; its stop or crash never
# tears anything down.
#
# Services and sockets opt in with systemd.{services,sockets}.<name>.vpn;
# see ./units.nix for what that sets on the unit.
{
  config,
  lib,
  pkgs,
  ...
}:

let
  inherit (lib)
    mkOption
    mkEnableOption
    mkIf
    mkMerge
    types
    literalExpression
    attrNames
    attrValues
    filter
    mapAttrs
    mapAttrs'
    nameValuePair
    optional
    hasPrefix
    removePrefix
    ;

  cfg = config.services.vpnconf;
  units = import ./units.nix { inherit lib config; };

  configFile = "/etc/vpnconf/desired.json";

  desiredState = {
    version = 1;
    paths = {
      inherit (cfg.paths) stateDir runtimeDir netnsDir;
    };
    drift = {
      inherit (cfg.drift) action handshakeTimeoutSeconds;
    };
    namespaces = mapAttrs (_: ns: ns.desiredState) cfg.namespaces;
    units = units.rendered;
  };

  desiredFile = pkgs.writeText "vpnconf-desired.json" (builtins.toJSON desiredState);

  # Judges the rendered file in the build sandbox: no root, no key files
  # (check never reads them), and a private state directory so that a
  # rejected file is not recorded in the build machine's journal.
  checkedDesiredFile =
    pkgs.runCommand "vpnconf-desired-checked"
      {
        nativeBuildInputs = [ cfg.package ];
        preferLocalBuild = true;
      }
      ''
        vpnconf --config ${desiredFile} --state-dir "$TMPDIR/state" check
        touch "$out"
      '';

  # Every word is a store path, a fixed option or a namespace name, which
  # `vpnconf check` restricts to [A-Za-z0-9_.-]: nothing to quote.
  vpnconf =
    args:
    lib.concatStringsSep " " (
      [
        (lib.getExe' cfg.package "vpnconf")
        "--config"
        configFile
      ]
      ++ args
    );

  # Longer than the CLI's default: a boot or activation reconcile should
  # wait out a drift check rather than fail.
  lockTimeout = [
    "--lock-timeout"
    "30000"
  ];

  # The tunnel's hostname endpoints are resolved by the reconcile itself,
  # which then needs a working uplink.
  literalEndpoint = e: builtins.match "([0-9.]+|[[][0-9A-Fa-f:.]+[]]):[0-9]+" e != null;
  hostnameEndpoints = lib.any (
    ns:
    ns.wireguard.managed
    && lib.any (
      p: lib.any (e: !literalEndpoint e) (lib.optional (p.endpoint != null) p.endpoint ++ p.endpoints)
    ) ns.wireguard.peers
  ) (attrValues cfg.namespaces);

  hostIfs = map (ns: ns.derived.hostIf) (
    filter (ns: ns.derived.hostLinkEffective) (attrValues cfg.namespaces)
  );

  # vpnconf must run in the host's mount namespace: it bind-mounts each
  # namespace on <netnsDir>/<name> (a shared mount point) for services to
  # join, and a mount made in a private mount namespace never reaches the
  # host. So everything that would give the service a mount namespace of
  # its own (ProtectSystem, ProtectHome, PrivateTmp, PrivateDevices,
  # ProtectKernelTunables, ReadWritePaths, ...) is left out; it also writes
  # /proc/sys/net inside the namespaces. What remains is seccomp,
  # capability and namespace-type restrictions.
  hardening = {
    # NET_ADMIN: netlink, nftables, WireGuard. SYS_ADMIN: unshare/setns and
    # the netns bind mounts. SYS_PTRACE: reading /proc/<pid>/ns/net of
    # other users' processes, to know whether a namespace being torn down
    # is still in use. DAC_READ_SEARCH: key files owned by another user.
    CapabilityBoundingSet = [
      "CAP_NET_ADMIN"
      "CAP_SYS_ADMIN"
      "CAP_SYS_PTRACE"
      "CAP_DAC_READ_SEARCH"
    ];
    NoNewPrivileges = true;
    RestrictNamespaces = "net";
    RestrictAddressFamilies = [
      "AF_UNIX"
      "AF_NETLINK"
      "AF_INET"
      "AF_INET6"
    ];
    SystemCallArchitectures = "native";
    SystemCallFilter = [
      "@system-service"
      "@mount"
    ];
    SystemCallErrorNumber = "EPERM";
    LockPersonality = true;
    MemoryDenyWriteExecute = true;
    RestrictRealtime = true;
    RestrictSUIDSGID = true;
    DevicePolicy = "closed";
    UMask = "0022";
  };

  vpnconfService = {
    description = "vpnconf: WireGuard confinement namespaces";
    documentation = [ "man:vpnconf(8)" ];
    wantedBy = [ "multi-user.target" ];
    # After the host firewall (network-pre.target); before network.target,
    # so that network services, and the confined ones (which are ordered
    # after this unit anyway), find the namespaces in place. Resolving
    # hostname endpoints needs the uplink instead.
    after = [ "network-pre.target" ] ++ optional hostnameEndpoints "network-online.target";
    before = optional (!hostnameEndpoints) "network.target";
    # Starting vpnconf brings the external tunnels back with it.
    wants =
      optional hostnameEndpoints "network-online.target"
      ++ map (ifname: "wireguard-${ifname}.service") (attrNames units.externalTunnels);

    # switch-to-configuration reloads the unit, which reconciles in place:
    # namespaces, tunnels and confined services keep running and each
    # policy is replaced atomically. A restart would tear down every
    # namespace and stop every confined service.
    reloadIfChanged = true;
    reloadTriggers = [ desiredFile ];

    serviceConfig = hardening // directories // {
      Type = "oneshot";
      RemainAfterExit = true;
      ExecStart = vpnconf (lockTimeout ++ [ "reconcile" "--trigger" "boot" ]);
      ExecReload = vpnconf (lockTimeout ++ [ "reconcile" "--trigger" "activation" ]);
      # A oneshot unit has no start timeout by default: a reconcile that
      # hangs would hang the boot or the activation, and hold the lock
      # that every later run waits for. The timeout covers ExecReload= too.
      TimeoutStartSec = cfg.reconcileTimeout;
      # One line per namespace, each allowed to fail, so that every
      # namespace is torn down even if one teardown fails.
      ExecStop = map (name: "-" + vpnconf [ "down" name ]) (attrNames cfg.namespaces);
    };
  };

  # The agent. Bound to the lifecycle unit (stopped before its teardown,
  # restarted with it), but its own stop, crash or restart changes
  # nothing in the kernel: every namespace stays fail-closed meanwhile.
  watchService = {
    description = "vpnconf: agent repairing drift and watching tunnel health";
    documentation = [ "man:vpnconf(8)" ];
    wantedBy = [ "vpnconf.service" ];
    bindsTo = [ "vpnconf.service" ];
    partOf = [ "vpnconf.service" ];
    after = [ "vpnconf.service" ];
    # A new desired state is re-read in place (SIGHUP), like the
    # lifecycle unit's reload.
    reloadTriggers = [ desiredFile ];
    serviceConfig = hardening // {
      Type = "notify";
      NotifyAccess = "main";
      ExecStart = vpnconf (
        [
          "daemon"
          "--periodic-interval"
          (toString cfg.drift.periodicSeconds)
        ]
        ++ lib.optionals (cfg.metricsFile != null) [
          "--metrics-file"
          cfg.metricsFile
        ]
      );
      ExecReload = "${pkgs.coreutils}/bin/kill -HUP $MAINPID";
      Restart = "always";
      RestartSec = "1s";
      WatchdogSec = cfg.drift.watchdogSec;
      # The first reconcile (and each reload's) runs before READY=1.
      TimeoutStartSec = cfg.reconcileTimeout;
    };
  };

  # namespaces.<n>.publish: for entry i, a socket in the host's namespace
  # and systemd-socket-proxyd joined to the namespace, forwarding to
  # 127.0.0.1:<port> there; the same units as vpnconf-generator writes
  # (reconciler/systemd-units.c, docs/units.md).
  publishEntries = lib.concatLists (
    lib.mapAttrsToList (
      nsName: ns:
      lib.imap0 (i: p: {
        name = "vpnconf-publish-${nsName}-${toString i}";
        inherit nsName;
        inherit (p) listen port;
      }) ns.publish
    ) cfg.namespaces
  );
  lifecycleBinding = {
    bindsTo = [ "vpnconf.service" ];
    after = [ "vpnconf.service" ];
    partOf = [ "vpnconf.service" ];
  };
  # portForwarding.onChange / .client: a path unit on the port file and the
  # oneshot it starts, inside the namespace, as a dynamic user.
  portHookEntries = lib.concatLists (
    lib.mapAttrsToList (
      nsName: ns:
      let
        pf = ns.portForwarding;
        command =
          if pf.onChange != null then
            pf.onChange
          else
            "${cfg.package}/libexec/vpnconf-port-hook ${pf.client}"
            + lib.optionalString (pf.clientUrl != null) " ${lib.escapeShellArg pf.clientUrl}";
      in
      lib.optional (pf.mode != "none" && (pf.onChange != null || pf.client != null)) {
        name = "vpnconf-port-${nsName}";
        inherit nsName command;
        environmentFile = pf.clientEnvironmentFile;
        portFile = "${cfg.paths.runtimeDir}/${nsName}/forwarded-port";
      }
    ) cfg.namespaces
  );

  portHookPath = e: lifecycleBinding // {
    description = "vpnconf: watch the forwarded port of namespace ${e.nsName}";
    wantedBy = [ "vpnconf.service" ];
    pathConfig = {
      PathChanged = e.portFile;
      Unit = "${e.name}.service";
    };
  };

  portHookService = e: {
    description = "vpnconf: tell the client of namespace ${e.nsName} its forwarded port";
    after = [ "vpnconf.service" ];
    path = [
      pkgs.curl
      pkgs.coreutils
      pkgs.gnused
      pkgs.gnugrep
    ];
    script = ''
      [ -r ${e.portFile} ] || exit 0
      read -r VPNCONF_PORT < ${e.portFile}
      export VPNCONF_PORT
      ${e.command}
    '';
    serviceConfig = {
      Type = "oneshot";
      NetworkNamespacePath = "${cfg.paths.netnsDir}/${e.nsName}";
      DynamicUser = true;
      CapabilityBoundingSet = "";
      NoNewPrivileges = true;
      PrivateTmp = true;
      ProtectSystem = "strict";
      ProtectHome = true;
      RestrictAddressFamilies = [
        "AF_UNIX"
        "AF_INET"
        "AF_INET6"
      ];
    }
    // lib.optionalAttrs (e.environmentFile != null) { EnvironmentFile = e.environmentFile; };
  };

  publishSocket = e: lifecycleBinding // {
    description = "vpnconf: ${e.listen} published to port ${toString e.port} of namespace ${e.nsName}";
    documentation = [ "man:vpnconf(8)" ];
    # Listens only while the namespaces are up, and not before
    # sockets.target (a cycle with vpnconf.service): the default
    # dependencies without that one.
    wantedBy = [ "vpnconf.service" ];
    unitConfig.DefaultDependencies = false;
    requires = [ "sysinit.target" ];
    after = [ "sysinit.target" "vpnconf.service" ];
    before = [ "shutdown.target" ];
    conflicts = [ "shutdown.target" ];
    listenStreams = [ e.listen ];
    socketConfig = {
      FreeBind = true;
      Service = "${e.name}.service";
    };
  };
  publishService = e: lifecycleBinding // {
    description = "vpnconf: proxy of ${e.listen} to 127.0.0.1:${toString e.port} in namespace ${e.nsName}";
    documentation = [ "man:vpnconf(8)" ];
    requires = [ "${e.name}.socket" ];
    after = [ "${e.name}.socket" "vpnconf.service" ];
    serviceConfig = {
      ExecStart = "${config.systemd.package}/lib/systemd/systemd-socket-proxyd 127.0.0.1:${toString e.port}";
      NetworkNamespacePath = "${cfg.paths.netnsDir}/${e.nsName}";
      DynamicUser = true;
      CapabilityBoundingSet = "";
      NoNewPrivileges = true;
      PrivateTmp = true;
      PrivateDevices = true;
      ProtectSystem = "strict";
      ProtectHome = true;
      ProtectKernelTunables = true;
      ProtectKernelModules = true;
      ProtectControlGroups = true;
      RestrictAddressFamilies = [ "AF_INET" "AF_INET6" ];
      RestrictNamespaces = true;
      RestrictRealtime = true;
      RestrictSUIDSGID = true;
      LockPersonality = true;
      MemoryDenyWriteExecute = true;
      SystemCallArchitectures = "native";
      SystemCallFilter = [ "@system-service" ];
    };
  };

  # StateDirectory= and RuntimeDirectory= only take paths below /var/lib
  # and /run; vpnconf creates other locations itself.
  directories =
    optionalDir "StateDirectory" "/var/lib/" cfg.paths.stateDir
    // optionalDir "RuntimeDirectory" "/run/" cfg.paths.runtimeDir
    // {
      StateDirectoryMode = "0700";
      RuntimeDirectoryMode = "0755";
      # The ownership markers of the namespaces live there: a namespace
      # whose teardown failed must still be recognised as vpnconf's.
      RuntimeDirectoryPreserve = true;
    };
  optionalDir =
    key: prefix: path:
    lib.optionalAttrs (hasPrefix prefix path && removePrefix prefix path != "") {
      ${key} = removePrefix prefix path;
    };

  # A namespace whose tunnel interface networking.wireguard defines is, unless
  # its configuration says otherwise, that external tunnel moved into it, as
  # with the earlier services.vpnConfinement module: the interface gets the
  # namespace as its interfaceNamespace by default. Neither default creates
  # an attribute, so neither depends on itself.
  wgInterfaces = config.networking.wireguard.interfaces or { };
  externalByDefault =
    { config, ... }:
    {
      config.wireguard.managed = lib.mkDefault (!(wgInterfaces ? ${config.wireguard.interface}));
    };
  movedInto =
    ifname:
    let
      l = attrNames (
        lib.filterAttrs (
          _: ns: !ns.wireguard.managed && ns.wireguard.interface == ifname
        ) cfg.namespaces
      );
    in
    if cfg.enable && l != [ ] then builtins.head l else null;

  absolutePath = types.addCheck types.str (hasPrefix "/") // {
    description = "absolute path";
  };
in
{
  imports = [
    units.module
    # The options of the shell-unit module vpnconf replaces: the same
    # tree under its old name, with a warning naming the new one.
    (lib.mkRenamedOptionModule [ "services" "vpnConfinement" ] [ "services" "vpnconf" ])
    (lib.mkRemovedOptionModule [ "services" "vpnconf" "drift" "checkInterval" ] ''
      The drift timer is gone: vpnconf-watch.service repairs drift as the
      kernel reports it, and re-checks everything every
      services.vpnconf.drift.periodicSeconds.
    '')
  ];

  options.networking.wireguard.interfaces = mkOption {
    type = types.attrsOf (
      types.submodule (
        { name, ... }:
        {
          config.interfaceNamespace = lib.mkIf (movedInto name != null) (
            lib.mkDefault (movedInto name)
          );
        }
      )
    );
  };

  options.services.vpnconf = {
    enable = mkEnableOption "vpnconf, fail-closed WireGuard confinement of selected services";

    package = mkOption {
      type = types.package;
      default = pkgs.vpnconf or (pkgs.callPackage ./package.nix { });
      defaultText = literalExpression "pkgs.vpnconf or (pkgs.callPackage ./package.nix { })";
      description = "The vpnconf package.";
    };

    checkConfig = mkOption {
      type = types.bool;
      default = pkgs.stdenv.buildPlatform.canExecute pkgs.stdenv.hostPlatform;
      defaultText = literalExpression "pkgs.stdenv.buildPlatform.canExecute pkgs.stdenv.hostPlatform";
      description = ''
        Run `vpnconf check` on the rendered desired-state file when the
        system is built, so that an invalid configuration fails the build
        with the JSON path of every problem. Needs to run the package on the
        build machine.
      '';
    };

    paths = {
      stateDir = mkOption {
        type = absolutePath;
        default = "/var/lib/vpnconf";
        description = "Persistent state: the journal.";
      };
      runtimeDir = mkOption {
        type = absolutePath;
        default = "/run/vpnconf";
        description = "Generated per-namespace files (resolv.conf, nsswitch.conf, ownership markers).";
      };
      netnsDir = mkOption {
        type = absolutePath;
        default = "/run/netns";
        description = "Where the namespaces are bound (the directory `ip netns` uses).";
      };
    };

    defaultNamespace = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "vpnapps";
      description = ''
        The namespace of units that set `vpn.enable` without `vpn.namespace`.
        null (the default) keeps the selection explicit: such a unit is an
        error.
      '';
    };

    reconcileTimeout = mkOption {
      type = types.str;
      default = "5min";
      example = "90s";
      description = ''
        How long a reconcile of `vpnconf.service` (start and reload) or of
        the drift check may run before systemd kills it (`TimeoutStartSec=`).
        A killed reconcile leaves every namespace fail-closed; the unit
        fails, and the next run finishes the work.
      '';
    };

    drift = {
      action = mkOption {
        type = types.enum [
          "repair"
          "lockdown"
          "alert"
        ];
        default = "repair";
        description = ''
          What a reconcile does about a namespace that was in sync and
          drifted: converge it again, replace its policy by one that drops
          everything but loopback, or only report (the run then fails).
        '';
      };
      handshakeTimeoutSeconds = mkOption {
        type = types.ints.between 0 31536000;
        default = 0;
        description = ''
          Maximum age of a tunnel's latest handshake before drift detection
          reports it; 0 turns the check off.
        '';
      };
      periodicSeconds = mkOption {
        type = types.ints.between 0 86400;
        default = 60;
        description = ''
          How often the agent (`vpnconf-watch.service`) re-checks what the
          kernel reports no event about (sysctls, a WireGuard peer's
          endpoint changed by hand, the resolver files); 0 turns the
          periodic check off. Everything else is repaired
          as soon as the kernel reports it. Hostname endpoints are refreshed
          at least as often as the shortest
          `wireguard.dynamicEndpointRefreshSeconds`.
        '';
      };
      watchdogSec = mkOption {
        type = types.str;
        default = "30s";
        description = ''
          `WatchdogSec=` of `vpnconf-watch.service`: systemd restarts an
          agent that stops answering for this long.
        '';
      };
    };

    metricsFile = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "/var/lib/prometheus-node-exporter-text-files/vpnconf.prom";
      description = ''
        A node_exporter textfile that the agent keeps up to date with the
        metrics of `vpnconf status --format prometheus`, replaced
        atomically; null: none.
      '';
    };

    namespaces = mkOption {
      type = types.attrsOf (
        types.submodule [
          (import ./namespace.nix { inherit lib; })
          externalByDefault
        ]
      );
      apply = lib.filterAttrs (_: ns: ns.enable);
      default = { };
      example = literalExpression ''
        {
          vpnapps = {
            wireguard = {
              privateKeyFile = "/run/keys/wg-vpnapps.key";
              addresses = [ "10.0.0.2/32" ];
              peers = [
                {
                  publicKey = "vblMc9U8RAI6cVopcKEMTVT6lVC3D9nTTMSwot5d3L4=";
                  endpoint = "198.51.100.10:51820";
                  allowedIPs = [ "0.0.0.0/0" ];
                  persistentKeepalive = 25;
                }
              ];
            };
            dns.servers = [ "10.64.0.1" ];
          };
        }
      '';
      description = ''
        Confinement namespaces by name (1 to 64 characters of
        `A-Z a-z 0-9 _ . -`, not starting or ending with `_ . -`; `init` is
        reserved). Each is one trust domain: one tunnel, one policy.
      '';
    };

    desiredState = mkOption {
      type = types.attrs;
      internal = true;
      readOnly = true;
      description = "The desired state as rendered into /etc/vpnconf/desired.json.";
    };
  };

  config = mkMerge [
    { services.vpnconf.desiredState = desiredState; }

    { assertions = units.assertionsIfDisabled cfg.enable; }

    # Only defined when used: systemd.paths stays untouched otherwise.
    (mkIf cfg.enable {
      systemd = lib.optionalAttrs (portHookEntries != [ ]) {
        paths = lib.listToAttrs (map (e: nameValuePair e.name (portHookPath e)) portHookEntries);
      };
    })

    (mkIf cfg.enable {
      assertions = units.assertions ++ [
        {
          assertion = !(hostnameEndpoints && units.externalTunnels != { });
          message = "services.vpnconf: hostname endpoints of managed tunnels order vpnconf.service after network-online.target, but the external tunnels ${lib.concatStringsSep ", " (attrNames units.externalTunnels)} (networking.wireguard) come up before network.target and after vpnconf.service. Use literal endpoints, or manage those tunnels with vpnconf.";
        }
      ];

      environment.etc."vpnconf/desired.json".source = desiredFile;
      # The journal catalog (docs/vpnconf.catalog), in a directory
      # journalctl --update-catalog reads, for journalctl -x.
      environment.etc."systemd/catalog/vpnconf.catalog".source =
        "${cfg.package}/lib/systemd/catalog/vpnconf.catalog";
      environment.systemPackages = [ cfg.package ];
      system.checks = optional cfg.checkConfig checkedDesiredFile;

      boot.kernelModules = optional (lib.any (ns: ns.wireguard.managed) (
        attrValues cfg.namespaces
      )) "wireguard";

      systemd.services = mkMerge [
        {
          vpnconf = vpnconfService;
          vpnconf-watch = watchService;
        }
        # External tunnels made by networking.wireguard with
        # interfaceNamespace = <namespace>: their unit needs the namespace,
        # and must go (and come back) with it.
        (lib.listToAttrs (map (e: nameValuePair e.name (publishService e)) publishEntries))
        (lib.listToAttrs (map (e: nameValuePair e.name (portHookService e)) portHookEntries))
        (mapAttrs' (
          ifname: _:
          nameValuePair "wireguard-${ifname}" {
            bindsTo = [ "vpnconf.service" ];
            partOf = [ "vpnconf.service" ];
            after = [ "vpnconf.service" ];
          }
        ) units.externalTunnels)
      ];

      systemd.sockets = lib.listToAttrs (map (e: nameValuePair e.name (publishSocket e)) publishEntries);

      # Keep the host's network managers off the host side of the host
      # links: vpnconf assigns its address and owns it.
      networking.dhcpcd.denyInterfaces = hostIfs;
      networking.networkmanager.unmanaged = map (i: "interface-name:${i}") hostIfs;
      systemd.network.networks = mkIf (config.systemd.network.enable && hostIfs != [ ]) {
        "10-vpnconf-host-links" = {
          matchConfig.Name = lib.concatStringsSep " " hostIfs;
          linkConfig.Unmanaged = true;
        };
      };
    })
  ];
}
