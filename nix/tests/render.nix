# Evaluation tests of the NixOS module: the rendered desired state, the
# wiring of confined units and vpnconf's own units, and the assertions.
# Nothing is built or booted.
#
# `evalConfig` takes a list of NixOS modules, evaluates them together with
# the vpnconf module and returns `config`. Returns lib.runTests' list of
# failures: empty when every test passes.
{ lib, evalConfig }:

let
  examples = import ./examples.nix;
  inherit (examples) publicKey;
  managedExample = examples.managed;
  externalExample = examples.external;

  commonNamespace = {
    securityProfile = "balanced";
    dns = {
      mode = "strict";
      servers = [ "10.64.0.1" ];
      search = [ ];
      allowHostResolverIPC = false;
    };
    ipv6.mode = "disable";
    egress = {
      mode = "allowList";
      allowedTcpPorts = [ ];
      allowedUdpPorts = [ ];
      allowedCidrs = [
        "10.64.0.0/16"
        "192.0.2.0/24"
      ];
      allowEssentialIcmp = true;
    };
    ingress = {
      fromHost.tcp = [ ];
      fromTunnel = {
        tcp = [ 51413 ];
        udp = [ ];
      };
    };
    publishToHost.tcp = [ 8080 ];
    hostLink = {
      enable = true;
      hostIf = null;
      nsIf = null;
      subnetIPv4 = null;
    };
    portForwarding = {
      mode = "none";
      gateway = null;
      protocols = [
        "tcp"
        "udp"
      ];
      lifetimeSeconds = 60;
    };
  };

  expectedTop = namespace: {
    version = 1;
    paths = {
      stateDir = "/var/lib/vpnconf";
      runtimeDir = "/run/vpnconf";
      netnsDir = "/run/netns";
    };
    drift = {
      action = "repair";
      handshakeTimeoutSeconds = 0;
    };
    namespaces.vpnapps = commonNamespace // namespace;
    units."transmission.service" = {
      namespace = "vpnapps";
      user = null;
      dynamicUser = true;
      allowRootInHighAssurance = false;
    };
  };

  eval = modules: evalConfig modules;

  # The messages of the failing assertions that concern vpnconf (a whole
  # NixOS evaluation has others, about file systems and boot loaders).
  failures =
    config:
    map (a: a.message) (
      lib.filter (a: !a.assertion && lib.hasInfix "vpn" a.message) config.assertions
    );

  anyFailure = infix: config: lib.any (lib.hasInfix infix) (failures config);

  withService = service: [
    managedExample
    { systemd.services.transmission = service; }
  ];

  managed = eval [ managedExample ];
  external = eval [ externalExample ];
  transmission = managed.systemd.services.transmission;
in
lib.runTests {
  testManagedRendersEveryField = {
    expr = managed.services.vpnconf.desiredState;
    expected = expectedTop {
      wireguard = {
        interface = "wg0";
        managed = true;
        privateKeyFile = "/run/keys/wg-vpnapps.key";
        generatePrivateKeyFile = false;
        addresses = [ "10.0.0.2/32" ];
        listenPort = null;
        mtu = null;
        fwMark = null;
        socketNamespace = null;
        allowedIPsAsRoutes = true;
        allowHostnameEndpoints = false;
        dynamicEndpointRefreshSeconds = 0;
        endpointPinning = {
          enable = false;
          fwMark = null;
        };
        peers = [
          {
            inherit publicKey;
            presharedKeyFile = null;
            endpoint = "198.51.100.10:51820";
            allowedIPs = [ "0.0.0.0/0" ];
            persistentKeepalive = 25;
          }
        ];
      };
    };
  };

  testExternalRendersOnlyExternalKeys = {
    expr = external.services.vpnconf.desiredState;
    expected = expectedTop {
      wireguard = {
        interface = "wg0";
        managed = false;
        socketNamespace = null;
        endpointPinning = {
          enable = false;
          fwMark = null;
        };
        peers = [ ];
      };
    };
  };

  # A managed-only option set on an external tunnel reaches the file, for
  # `vpnconf check` to reject with its path.
  testExternalKeepsExplicitManagedOnlyOptions = {
    expr =
      let
        c = eval [
          externalExample
          {
            services.vpnconf.namespaces.vpnapps.wireguard = {
              mtu = 1400;
              peers = [
                {
                  endpoint = "198.51.100.10:51820";
                  persistentKeepalive = 25;
                }
              ];
            };
          }
        ];
        wg = c.services.vpnconf.desiredState.namespaces.vpnapps.wireguard;
      in
      {
        inherit (wg) mtu peers;
        hasPrivateKeyFile = wg ? privateKeyFile;
      };
    expected = {
      mtu = 1400;
      peers = [
        {
          endpoint = "198.51.100.10:51820";
          persistentKeepalive = 25;
        }
      ];
      hasPrivateKeyFile = false;
    };
  };

  testRequiredFieldsLeftOutWhenUnset = {
    expr =
      let
        c = eval [
          {
            services.vpnconf = {
              enable = true;
              namespaces.a.dns.servers = [ "10.64.0.1" ];
            };
          }
        ];
      in
      lib.attrNames c.services.vpnconf.desiredState.namespaces.a.wireguard;
    expected = [
      "allowHostnameEndpoints"
      "allowedIPsAsRoutes"
      "dynamicEndpointRefreshSeconds"
      "endpointPinning"
      "fwMark"
      "generatePrivateKeyFile"
      "interface"
      "listenPort"
      "managed"
      "mtu"
      "peers"
      "socketNamespace"
    ];
  };

  testPortForwardingRendered = {
    expr =
      let
        c = eval [
          managedExample
          {
            services.vpnconf.namespaces.vpnapps.portForwarding = {
              mode = "natpmp";
              gateway = "10.2.0.1";
              protocols = [ "udp" ];
            };
          }
        ];
      in
      c.services.vpnconf.desiredState.namespaces.vpnapps.portForwarding;
    expected = {
      mode = "natpmp";
      gateway = "10.2.0.1";
      protocols = [ "udp" ];
      lifetimeSeconds = 60;
    };
  };

  testStaticPortsRendered = {
    expr =
      let
        c = eval [
          managedExample
          {
            services.vpnconf.namespaces.vpnapps.portForwarding = {
              mode = "static";
              staticPorts = [ 51413 ];
            };
          }
        ];
      in
      c.services.vpnconf.desiredState.namespaces.vpnapps.portForwarding.staticPorts;
    expected = [ 51413 ];
  };

  testDerivedHostLinkValues = {
    expr = managed.services.vpnconf.namespaces.vpnapps.derived;
    expected = {
      hostLinkEffective = true;
      hostIf = "vh-614ddd762fc4";
      nsIf = "vn-b24c1d61df23";
      subnetIPv4 = "169.254.202.92/30";
      hostAddress = "169.254.202.93";
      nsAddress = "169.254.202.94";
    };
  };

  testConfinedServiceWiring = {
    expr = {
      inherit (transmission) bindsTo after partOf;
      inherit (transmission.serviceConfig)
        NetworkNamespacePath
        BindReadOnlyPaths
        InaccessiblePaths
        ;
    };
    expected = {
      bindsTo = [ "vpnconf.service" ];
      after = [
        "vpnconf.service"
        "vpnconf-watch.service"
      ];
      partOf = [ "vpnconf.service" ];
      NetworkNamespacePath = "/run/netns/vpnapps";
      BindReadOnlyPaths = [
        "/run/vpnconf/vpnapps/resolv.conf:/etc/resolv.conf"
        "/run/vpnconf/vpnapps/nsswitch.conf:/etc/nsswitch.conf"
      ];
      InaccessiblePaths = [
        "-/run/nscd"
        "-/var/run/nscd"
        "-/run/systemd/resolve/io.systemd.Resolve"
        "-/run/systemd/resolve/io.systemd.Resolve.Monitor"
        "-/run/dbus/system_bus_socket"
        "-/run/avahi-daemon/socket"
      ];
    };
  };

  testResolverChangeRestartsConfinedServices = {
    expr =
      let
        other = eval [
          managedExample
          { services.vpnconf.namespaces.vpnapps.dns.servers = lib.mkForce [ "10.64.0.2" ]; }
        ];
        egress = eval [
          managedExample
          { services.vpnconf.namespaces.vpnapps.egress.allowedCidrs = lib.mkForce [ "10.64.0.0/16" ]; }
        ];
      in
      {
        dnsChange =
          other.systemd.services.transmission.restartTriggers != transmission.restartTriggers;
        egressChange =
          egress.systemd.services.transmission.restartTriggers != transmission.restartTriggers;
      };
    expected = {
      dnsChange = true;
      egressChange = false;
    };
  };

  testCompatDnsBindsNothing = {
    expr =
      let
        c = eval [
          managedExample
          { services.vpnconf.namespaces.vpnapps.dns.mode = lib.mkForce "compat"; }
        ];
        sc = c.systemd.services.transmission.serviceConfig;
      in
      [
        (sc ? BindReadOnlyPaths)
        (sc ? InaccessiblePaths)
      ];
    expected = [
      false
      false
    ];
  };

  testHostResolverIPCKeepsTheBindsOnly = {
    expr =
      let
        c = eval [
          managedExample
          { services.vpnconf.namespaces.vpnapps.dns.allowHostResolverIPC = true; }
        ];
        sc = c.systemd.services.transmission.serviceConfig;
      in
      [
        (sc ? BindReadOnlyPaths)
        (sc ? InaccessiblePaths)
      ];
    expected = [
      true
      false
    ];
  };

  # NixOS's own wireguard-<if>.service has orderings of its own
  # (network-pre.target): the module adds to them, so test membership.
  testExternalTunnelUnitIsBoundToVpnconf = {
    expr =
      let
        wg = external.systemd.services.wireguard-wg0;
        has = l: lib.elem "vpnconf.service" l;
      in
      {
        bindsTo = has wg.bindsTo;
        after = has wg.after;
        partOf = has wg.partOf;
        transmission = lib.all (u: lib.elem u external.systemd.services.transmission.bindsTo) [
          "vpnconf.service"
          "wireguard-wg0.service"
        ];
      };
    expected = {
      bindsTo = true;
      after = true;
      partOf = true;
      transmission = true;
    };
  };

  # NixOS configures each peer in a unit of its own after the interface's:
  # a confined unit ordered only after wireguard-<if>.service could start
  # with a tunnel that has no peers yet.
  testExternalTunnelPeersOrderConfinedUnits = {
    expr =
      let
        withPeers = eval [
          externalExample
          {
            networking.wireguard.interfaces.wg0.peers = [
              {
                inherit publicKey;
                name = "a";
                endpoint = "198.51.100.10:51820";
                allowedIPs = [ "0.0.0.0/0" ];
              }
              {
                inherit publicKey;
                name = "b";
                endpoint = "198.51.100.11:51820";
                allowedIPs = [ "10.9.0.0/16" ];
                dynamicEndpointRefreshSeconds = 30;
              }
            ];
          }
        ];
        after = withPeers.systemd.services.transmission.after;
        units = withPeers.systemd.services // lib.mapAttrs' (n: v: lib.nameValuePair "${n}.target" v) withPeers.systemd.targets;
        ordered = lib.filter (u: lib.hasPrefix "wireguard-wg0" u) after;
      in
      {
        ordered = lib.sort (a: b: a < b) ordered;
        # Every unit it is ordered after exists in the configuration.
        exist = lib.all (u: units ? ${lib.removeSuffix ".service" u} || units ? ${u}) ordered;
      };
    expected = {
      ordered = [
        "wireguard-wg0-peer-a.service"
        "wireguard-wg0-peer-b-refresh.service"
        "wireguard-wg0.service"
        "wireguard-wg0.target"
      ];
      exist = true;
    };
  };

  # Raw frames bypass the namespace's nftables policy: a confined service
  # loses CAP_NET_RAW, CAP_NET_ADMIN, CAP_SYS_ADMIN (setns() out of the
  # namespace) and AF_PACKET unless it opts out.
  testConfinedServiceLosesRawNetworking = {
    expr =
      let
        own = eval (withService {
          serviceConfig.CapabilityBoundingSet = [ "CAP_NET_BIND_SERVICE CAP_NET_RAW" ];
          serviceConfig.RestrictAddressFamilies = [ "AF_INET AF_PACKET" ];
        });
        kept = eval (withService { vpn.keepNetworkCapabilities = true; });
        sc = u: u.systemd.services.transmission.serviceConfig;
      in
      {
        default = {
          inherit (transmission.serviceConfig) CapabilityBoundingSet RestrictAddressFamilies;
        };
        # The service's own lines come first, the restriction last.
        own = {
          inherit (sc own) CapabilityBoundingSet RestrictAddressFamilies;
        };
        kept = (sc kept) ? CapabilityBoundingSet || (sc kept) ? RestrictAddressFamilies;
        ambient = anyFailure "asks for CAP_NET_RAW, CAP_NET_ADMIN or CAP_SYS_ADMIN in AmbientCapabilities" (
          eval (withService { serviceConfig.AmbientCapabilities = [ "CAP_NET_RAW" ]; })
        );
        ambientKept = anyFailure "AmbientCapabilities" (
          eval (withService {
            serviceConfig.AmbientCapabilities = [ "CAP_NET_RAW" ];
            vpn.keepNetworkCapabilities = true;
          })
        );
      };
    expected = {
      default = {
        CapabilityBoundingSet = [ "~CAP_NET_RAW CAP_NET_ADMIN CAP_SYS_ADMIN" ];
        RestrictAddressFamilies = [ "~AF_PACKET" ];
      };
      own = {
        CapabilityBoundingSet = [
          "CAP_NET_BIND_SERVICE CAP_NET_RAW"
          "~CAP_NET_RAW CAP_NET_ADMIN CAP_SYS_ADMIN"
        ];
        RestrictAddressFamilies = [
          "AF_INET AF_PACKET"
          "~AF_PACKET"
        ];
      };
      kept = false;
      ambient = true;
      ambientKept = false;
    };
  };

  # A oneshot unit has no start timeout by default: a hung reconcile hung
  # activation, and the drift check counted "lock busy" (exit 4) as success.
  testReconcileUnitsHaveStartTimeouts = {
    expr =
      let
        s = managed.systemd.services;
        short = eval [
          managedExample
          { services.vpnconf.reconcileTimeout = "90s"; }
        ];
      in
      {
        vpnconf = s.vpnconf.serviceConfig.TimeoutStartSec;
        watch = s.vpnconf-watch.serviceConfig.TimeoutStartSec;
        set = short.systemd.services.vpnconf.serviceConfig.TimeoutStartSec;
      };
    expected = {
      vpnconf = "5min";
      watch = "5min";
      set = "90s";
    };
  };

  testVpnconfServiceReloadsAndTearsDown = {
    expr =
      let
        s = managed.systemd.services.vpnconf;
      in
      {
        inherit (s) reloadIfChanged wantedBy;
        reloads = s.reloadTriggers != [ ];
        inherit (s.serviceConfig)
          Type
          RemainAfterExit
          ExecStart
          ExecReload
          ExecStop
          ;
        ordered = lib.elem "network-pre.target" s.after && lib.elem "network.target" s.before;
        etc = managed.environment.etc ? "vpnconf/desired.json";
        checked = managed.system.checks != [ ];
      };
    expected =
      let
        exe = "${managed.services.vpnconf.package}/bin/vpnconf --config /etc/vpnconf/desired.json";
      in
      {
        reloadIfChanged = true;
        wantedBy = [ "multi-user.target" ];
        reloads = true;
        Type = "oneshot";
        RemainAfterExit = true;
        ExecStart = "${exe} --lock-timeout 30000 reconcile --trigger boot";
        ExecReload = "${exe} --lock-timeout 30000 reconcile --trigger activation";
        ExecStop = [ "-${exe} down vpnapps" ];
        ordered = true;
        etc = true;
        checked = true;
      };
  };

  # The agent is its own unit: bound to the lifecycle unit, restarted on
  # failure and by the watchdog, reloaded in place with the desired state;
  # no drift timer any more, and no teardown on its stop.
  testWatchUnitRunsTheAgent = {
    expr =
      let
        w = managed.systemd.services.vpnconf-watch;
        tuned = eval [
          managedExample
          {
            services.vpnconf.drift.periodicSeconds = 0;
            services.vpnconf.metricsFile = "/var/lib/textfiles/vpnconf.prom";
          }
        ];
      in
      {
        inherit (w) wantedBy bindsTo partOf after;
        reloads = w.reloadTriggers != [ ];
        inherit (w.serviceConfig)
          Type
          NotifyAccess
          ExecStart
          Restart
          WatchdogSec
          ;
        stop = w.serviceConfig ? ExecStop || w.serviceConfig ? ExecStopPost;
        tuned = tuned.systemd.services.vpnconf-watch.serviceConfig.ExecStart;
        timer = managed.systemd.timers ? vpnconf-drift || managed.systemd.services ? vpnconf-drift;
      };
    expected =
      let
        exe = "${managed.services.vpnconf.package}/bin/vpnconf --config /etc/vpnconf/desired.json";
      in
      {
        wantedBy = [ "vpnconf.service" ];
        bindsTo = [ "vpnconf.service" ];
        partOf = [ "vpnconf.service" ];
        after = [ "vpnconf.service" ];
        reloads = true;
        Type = "notify";
        NotifyAccess = "main";
        ExecStart = "${exe} daemon --periodic-interval 60";
        Restart = "always";
        WatchdogSec = "30s";
        stop = false;
        tuned = "${exe} daemon --periodic-interval 0 --metrics-file /var/lib/textfiles/vpnconf.prom";
        timer = false;
      };
  };

  testHostnameEndpointsWaitForTheNetwork = {
    expr =
      let
        c = eval [
          managedExample
          {
            services.vpnconf.namespaces.vpnapps.wireguard = {
              allowHostnameEndpoints = true;
              dynamicEndpointRefreshSeconds = 300;
              peers = lib.mkForce [
                {
                  inherit publicKey;
                  endpoint = "vpn.example.com:51820";
                  allowedIPs = [ "0.0.0.0/0" ];
                }
              ];
            };
          }
        ];
      in
      {
        inherit (c.systemd.services.vpnconf) wants before;
        online = lib.elem "network-online.target" c.systemd.services.vpnconf.after;
      };
    expected = {
      wants = [ "network-online.target" ];
      before = [ ];
      online = true;
    };
  };

  # peers[].endpoints reaches the file when set (and only then), and a
  # hostname among them orders vpnconf after the network like a hostname
  # endpoint does.
  testFallbackEndpoints = {
    expr =
      let
        c = eval [
          managedExample
          {
            services.vpnconf.namespaces.vpnapps.wireguard = {
              allowHostnameEndpoints = true;
              dynamicEndpointRefreshSeconds = 300;
              peers = lib.mkForce [
                {
                  inherit publicKey;
                  endpoint = "198.51.100.10:51820";
                  endpoints = [
                    "198.51.100.11:51820"
                    "backup.example.com:51820"
                  ];
                  allowedIPs = [ "0.0.0.0/0" ];
                }
              ];
            };
          }
        ];
      in
      {
        inherit (builtins.head c.services.vpnconf.desiredState.namespaces.vpnapps.wireguard.peers)
          endpoints
          ;
        online = lib.elem "network-online.target" c.systemd.services.vpnconf.after;
        unset = managed.services.vpnconf.desiredState.namespaces.vpnapps.wireguard.peers;
      };
    expected = {
      endpoints = [
        "198.51.100.11:51820"
        "backup.example.com:51820"
      ];
      online = true;
      unset = [
        {
          inherit publicKey;
          presharedKeyFile = null;
          endpoint = "198.51.100.10:51820";
          allowedIPs = [ "0.0.0.0/0" ];
          persistentKeepalive = 25;
        }
      ];
    };
  };

  testUnitUserRendering = {
    expr =
      let
        c = eval [
          managedExample
          {
            systemd.services.transmission.serviceConfig = {
              User = "transmission";
              DynamicUser = lib.mkForce "no";
            };
            systemd.services.web = {
              serviceConfig.DynamicUser = "yes";
              vpn = {
                enable = true;
                namespace = "vpnapps";
                allowRootInHighAssurance = true;
              };
            };
          }
        ];
      in
      c.services.vpnconf.desiredState.units;
    expected = {
      "transmission.service" = {
        namespace = "vpnapps";
        user = "transmission";
        dynamicUser = false;
        allowRootInHighAssurance = false;
      };
      "web.service" = {
        namespace = "vpnapps";
        user = null;
        dynamicUser = true;
        allowRootInHighAssurance = true;
      };
    };
  };

  testOriginalReadmeExample = {
    expr =
      let
        c = eval [ examples.original ];
      in
      {
        warned = lib.any (lib.hasInfix "has been renamed to `services.vpnconf'") c.warnings;
        interfaceNamespace = c.networking.wireguard.interfaces.wg0.interfaceNamespace;
        inherit (c.services.vpnconf.desiredState.namespaces.vpnapps.wireguard) managed interface;
        unit = c.services.vpnconf.desiredState.units."my-service.service";
        bound = lib.elem "wireguard-wg0.service" c.systemd.services.my-service.bindsTo;
        failures = failures c;
      };
    expected = {
      warned = true;
      interfaceNamespace = "vpnapps";
      managed = false;
      interface = "wg0";
      unit = {
        namespace = "vpnapps";
        user = null;
        dynamicUser = true;
        allowRootInHighAssurance = false;
      };
      bound = true;
      failures = [ ];
    };
  };

  testDisabledNamespaceIsLeftOut = {
    expr =
      (eval [
        managedExample
        { services.vpnconf.namespaces.other.enable = false; }
      ]).services.vpnconf.desiredState.namespaces ? other;
    expected = false;
  };

  testDefaultNamespace = {
    expr =
      let
        web = {
          serviceConfig.DynamicUser = true;
          vpn.enable = true;
        };
        c = eval [
          managedExample
          {
            services.vpnconf.defaultNamespace = "vpnapps";
            systemd.services.web = web;
          }
        ];
        explicit = eval [
          managedExample
          { systemd.services.web = web; }
        ];
        unknown = eval [
          managedExample
          {
            services.vpnconf.defaultNamespace = "nope";
            systemd.services.web = web;
          }
        ];
      in
      {
        path = c.systemd.services.web.serviceConfig.NetworkNamespacePath;
        bound = c.systemd.services.web.bindsTo;
        rendered = c.services.vpnconf.desiredState.units."web.service".namespace;
        failures = failures c;
        explicitByDefault = anyFailure "web.vpn.namespace must be set" explicit;
        unknownDefault = anyFailure "services.vpnconf.defaultNamespace names \"nope\"" unknown;
      };
    expected = {
      path = "/run/netns/vpnapps";
      bound = [ "vpnconf.service" ];
      rendered = "vpnapps";
      failures = [ ];
      explicitByDefault = true;
      unknownDefault = true;
    };
  };

  testPublish = {
    expr =
      let
        c = eval [
          managedExample
          {
            services.vpnconf.namespaces.vpnapps.publish = [
              {
                listen = "192.0.2.1:8080";
                port = 80;
              }
              {
                listen = "[::]:9091";
                port = 9091;
              }
            ];
          }
        ];
        sock = c.systemd.sockets.vpnconf-publish-vpnapps-1;
        svc = c.systemd.services.vpnconf-publish-vpnapps-0;
      in
      {
        rendered = c.services.vpnconf.desiredState.namespaces.vpnapps.publish;
        inherit (sock) listenStreams wantedBy bindsTo;
        inherit (sock.socketConfig) Service FreeBind;
        socketDefaults = sock.unitConfig.DefaultDependencies;
        inherit (svc.serviceConfig) NetworkNamespacePath DynamicUser CapabilityBoundingSet;
        proxy = lib.hasSuffix "/lib/systemd/systemd-socket-proxyd 127.0.0.1:80" svc.serviceConfig.ExecStart;
        serviceBound = svc.bindsTo;
        notConfined = !(c.services.vpnconf.desiredState.units ? "vpnconf-publish-vpnapps-0.service");
        failures = failures c;
      };
    expected = {
      rendered = [
        {
          listen = "192.0.2.1:8080";
          port = 80;
        }
        {
          listen = "[::]:9091";
          port = 9091;
        }
      ];
      listenStreams = [ "[::]:9091" ];
      wantedBy = [ "vpnconf.service" ];
      bindsTo = [ "vpnconf.service" ];
      Service = "vpnconf-publish-vpnapps-1.service";
      FreeBind = true;
      socketDefaults = false;
      NetworkNamespacePath = "/run/netns/vpnapps";
      DynamicUser = true;
      CapabilityBoundingSet = "";
      proxy = true;
      serviceBound = [ "vpnconf.service" ];
      notConfined = true;
      failures = [ ];
    };
  };

  testConfinedSocket = {
    expr =
      let
        c = eval [
          managedExample
          {
            systemd.sockets.transmission = {
              listenStreams = [ "9091" ];
              vpn = {
                enable = true;
                namespace = "vpnapps";
              };
            };
          }
        ];
        s = c.systemd.sockets.transmission;
      in
      {
        inherit (s.socketConfig) NetworkNamespacePath;
        inherit (s.unitConfig) DefaultDependencies;
        bound = s.bindsTo;
        unit = c.services.vpnconf.desiredState.units."transmission.socket";
        failures = failures c;
      };
    expected = {
      NetworkNamespacePath = "/run/netns/vpnapps";
      DefaultDependencies = false;
      bound = [ "vpnconf.service" ];
      unit = {
        namespace = "vpnapps";
        user = null;
        dynamicUser = false;
        allowRootInHighAssurance = false;
      };
      failures = [ ];
    };
  };

  testHostLinksAreKeptFromNetworkManagers = {
    expr = {
      dhcpcd = managed.networking.dhcpcd.denyInterfaces;
      networkmanager = managed.networking.networkmanager.unmanaged;
    };
    expected = {
      dhcpcd = [ "vh-614ddd762fc4" ];
      networkmanager = [ "interface-name:vh-614ddd762fc4" ];
    };
  };

  testValidConfigurationsPassTheAssertions = {
    expr = map failures [
      managed
      external
    ];
    expected = [
      [ ]
      [ ]
    ];
  };

  testAssertions = {
    expr = {
      privateNetwork = anyFailure "must not set PrivateNetwork" (
        eval (withService { serviceConfig.PrivateNetwork = true; })
      );
      joinsNamespaceOf = anyFailure "must not set JoinsNamespaceOf" (
        eval (withService { unitConfig.JoinsNamespaceOf = "other.service"; })
      );
      netnsPath = anyFailure "must not set NetworkNamespacePath" (
        eval (withService { serviceConfig.NetworkNamespacePath = lib.mkForce "/run/netns/other"; })
      );
      unknownNamespace = anyFailure "which services.vpnconf.namespaces does not define" (
        eval (withService { vpn.namespace = lib.mkForce "other"; })
      );
      noNamespace = anyFailure "vpn.namespace must be set" (
        eval (withService { vpn.namespace = lib.mkForce null; })
      );
      disabled = anyFailure "services.vpnconf.enable is false" (
        eval [
          managedExample
          { services.vpnconf.enable = lib.mkForce false; }
        ]
      );
      unconfinedSocket = anyFailure "the socket would listen on the host's network" (
        eval [
          managedExample
          { systemd.sockets.transmission.listenStreams = [ "9091" ]; }
        ]
      );
      unconfinedService = anyFailure "must set vpn.enable and the same vpn.namespace" (
        eval [
          managedExample
          {
            systemd.sockets.web = {
              listenStreams = [ "80" ];
              vpn = {
                enable = true;
                namespace = "vpnapps";
              };
            };
            systemd.services.web.serviceConfig.ExecStart = "/bin/true";
          }
        ]
      );
      managedAndMoved = anyFailure "whose tunnel vpnconf manages itself" (
        eval [
          managedExample
          {
            networking.wireguard.interfaces.wg0 = {
              privateKeyFile = "/run/keys/wg.key";
              interfaceNamespace = "vpnapps";
            };
          }
        ]
      );
      inlineKeyInHighAssurance = anyFailure "world-readable Nix store" (
        eval [
          externalExample
          {
            services.vpnconf.namespaces.vpnapps.securityProfile = lib.mkForce "highAssurance";
            networking.wireguard.interfaces.wg0 = {
              privateKeyFile = lib.mkForce null;
              privateKey = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
            };
          }
        ]
      );
      hostnameEndpointsAndExternalTunnel = anyFailure "order vpnconf.service after network-online.target" (
        eval [
          externalExample
          {
            services.vpnconf.namespaces.other = {
              wireguard = {
                interface = "wg1";
                privateKeyFile = "/run/keys/wg1.key";
                addresses = [ "10.1.0.2/32" ];
                allowHostnameEndpoints = true;
                dynamicEndpointRefreshSeconds = 300;
                peers = [
                  {
                    inherit publicKey;
                    endpoint = "vpn.example.com:51820";
                    allowedIPs = [ "0.0.0.0/0" ];
                  }
                ];
              };
              dns.servers = [ "10.1.0.1" ];
            };
          }
        ]
      );
    };
    expected = {
      hostnameEndpointsAndExternalTunnel = true;
      privateNetwork = true;
      joinsNamespaceOf = true;
      netnsPath = true;
      unknownNamespace = true;
      noNamespace = true;
      disabled = true;
      unconfinedSocket = true;
      unconfinedService = true;
      managedAndMoved = true;
      inlineKeyInHighAssurance = true;
    };
  };
}
