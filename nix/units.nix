# Per-unit opt-in: systemd.services.<name>.vpn and systemd.sockets.<name>.vpn.
#
# A confined unit joins the namespace through NetworkNamespacePath=, is
# ordered after and bound to vpnconf.service (and to the unit of an external
# tunnel), and in strict DNS mode sees the namespace's resolver files over
# /etc/resolv.conf and /etc/nsswitch.conf, with the host's resolver IPC out
# of reach. Returns the submodule extensions (`module`), the `units` object
# of the desired-state file (`rendered`), the assertions, and the external
# tunnels made by networking.wireguard.
{ lib, config }:

let
  inherit (lib)
    mkOption
    mkEnableOption
    mkIf
    mkMerge
    types
    attrNames
    concatLists
    filterAttrs
    mapAttrs'
    mapAttrsToList
    nameValuePair
    optional
    optionalAttrs
    ;

  cfg = config.services.vpnconf;
  wgCfg = config.networking.wireguard or { };

  # systemd's boolean spellings, for values read from serviceConfig.
  truthy =
    v:
    if builtins.isBool v then
      v
    else
      builtins.elem (lib.toLower (toString v)) [
        "yes"
        "true"
        "on"
        "1"
      ];

  # networking.wireguard interfaces moved into a confinement namespace
  # whose tunnel is external and has the interface's name: ifname -> ns.
  externalTunnels = lib.listToAttrs (
    lib.concatMap (
      nsName:
      let
        ns = cfg.namespaces.${nsName};
        ifname = ns.wireguard.interface;
        wgIf = (wgCfg.interfaces or { }).${ifname} or null;
      in
      optional (
        !ns.wireguard.managed
        && (wgCfg.enable or false)
        && !(wgCfg.useNetworkd or false)
        && wgIf != null
        && wgIf.interfaceNamespace == nsName
      ) (nameValuePair ifname nsName)
    ) (attrNames cfg.namespaces)
  );

  tunnelUnits =
    nsName:
    mapAttrsToList (ifname: _: "wireguard-${ifname}.service") (
      filterAttrs (_: ns: ns == nsName) externalTunnels
    );

  # NixOS configures each peer of an interface in a unit of its own,
  # wireguard-<if>-peer-<name>[-refresh].service, started after the
  # interface's unit; wireguard-<if>.target comes after all of them. A
  # confined unit started when only wireguard-<if>.service is up would
  # find a tunnel without peers.
  peerUnitName =
    ifname: i: p:
    let
      refresh =
        if p.dynamicEndpointRefreshSeconds or null != null then
          p.dynamicEndpointRefreshSeconds
        else
          i.dynamicEndpointRefreshSeconds or 0;
    in
    "wireguard-${ifname}-peer-${p.name}" + lib.optionalString (refresh != 0) "-refresh" + ".service";
  tunnelReadyUnits =
    nsName:
    concatLists (
      mapAttrsToList (
        ifname: _:
        let
          i = wgCfg.interfaces.${ifname};
        in
        [ "wireguard-${ifname}.target" ] ++ map (peerUnitName ifname i) (i.peers or [ ])
      ) (filterAttrs (_: ns: ns == nsName) externalTunnels)
    );

  netnsPath = nsName: "${cfg.paths.netnsDir}/${nsName}";

  # vpn.namespace, or services.vpnconf.defaultNamespace when that is unset.
  effectiveNs = u: if u.vpn.namespace != null then u.vpn.namespace else cfg.defaultNamespace;

  # Helpers that resolve outside the namespace. The resolved sockets, not
  # their directory: /etc/resolv.conf may be a symlink into
  # /run/systemd/resolve, and the bind mount below follows it.
  resolverIPC = [
    "-/run/nscd"
    "-/var/run/nscd"
    "-/run/systemd/resolve/io.systemd.Resolve"
    "-/run/systemd/resolve/io.systemd.Resolve.Monitor"
    "-/run/dbus/system_bus_socket"
    "-/run/avahi-daemon/socket"
  ];

  dnsSettings =
    nsName:
    let
      ns = cfg.namespaces.${nsName} or null;
      dir = "${cfg.paths.runtimeDir}/${nsName}";
    in
    optionalAttrs (ns != null && ns.dns.mode == "strict") (
      {
        BindReadOnlyPaths = [
          "${dir}/resolv.conf:/etc/resolv.conf"
          "${dir}/nsswitch.conf:/etc/nsswitch.conf"
        ];
      }
      // optionalAttrs (!ns.dns.allowHostResolverIPC) { InaccessiblePaths = resolverIPC; }
    );

  # The resolver files are bind-mounted when the service starts and
  # replaced (renamed over) when they change: a running service would keep
  # the old ones. So a change restarts the confined services.
  dnsTrigger =
    nsName:
    let
      ns = cfg.namespaces.${nsName} or null;
    in
    optional (ns != null) (
      builtins.hashString "sha256" (
        builtins.toJSON {
          inherit (ns.dns) mode servers search;
          inherit (cfg.paths) runtimeDir;
        }
      )
    );

  # vpn.restrictBind: binds only to the ports the namespace lets in (from
  # the tunnel, from the host, published); nftables stays the enforcement.
  bindSettings =
    nsName:
    let
      ns = cfg.namespaces.${nsName} or null;
      tcp = lib.unique (
        lib.sort (a: b: a < b) (
          ns.ingress.fromHost.tcp
          ++ ns.publishToHost.tcp
          ++ ns.ingress.fromTunnel.tcp
          ++ map (p: p.port) ns.publish
        )
      );
    in
    optionalAttrs (ns != null) {
      SocketBindAllow =
        map (p: "tcp:${toString p}") tcp
        ++ map (p: "udp:${toString p}") (lib.unique (lib.sort (a: b: a < b) ns.ingress.fromTunnel.udp));
      SocketBindDeny = "any";
    };

  vpnOptions = kind: {
    enable = mkEnableOption "confinement of this ${kind} in a vpnconf namespace";
    namespace = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "vpnapps";
      description = ''
        The namespace (a key of `services.vpnconf.namespaces`) to confine the
        ${kind} to; null takes `services.vpnconf.defaultNamespace`.
      '';
    };
    restrictBind = mkOption {
      type = types.bool;
      default = false;
      description = ''
        Let the ${kind} bind only to the ports its namespace lets in
        (`ingress.fromTunnel`, `ingress.fromHost`, `publishToHost`, the
        `port` of `publish` entries), through `SocketBindAllow=` and
        `SocketBindDeny=any`: defense in depth, nftables stays the
        enforcement.
      '';
    };
    allowRootInHighAssurance = mkOption {
      type = types.bool;
      default = false;
      description =
        "Let the ${kind} run as root in a `highAssurance` namespace."
        + lib.optionalString (kind == "socket") (
          " A socket unit counts as root unless its `socketConfig` sets"
          + " `User=` or `DynamicUser=`."
        );
    };
  }
  // optionalAttrs (kind == "service") {
    keepNetworkCapabilities = mkOption {
      type = types.bool;
      default = false;
      description = ''
        Keep `CAP_NET_RAW`, `CAP_NET_ADMIN` and `CAP_SYS_ADMIN` in the
        service's capability bounding set and let it open `AF_PACKET`
        sockets. By default a confined service loses all four: with them,
        root inside the namespace could reconfigure it, send raw frames
        over its links, create interfaces in other namespaces, or leave it
        with setns(). Keeping them gives the confinement up towards that
        service.
      '';
    };
  };

  commonWiring =
    nsName:
    let
      deps = [ "vpnconf.service" ] ++ tunnelUnits nsName;
    in
    {
      bindsTo = deps;
      # And after the agent's first reconcile (its READY=1), when it runs.
      after = deps ++ [ "vpnconf-watch.service" ] ++ tunnelReadyUnits nsName;
      # A restart of vpnconf.service re-creates the namespaces: the units
      # must restart to join the new ones.
      partOf = deps;
    };

  serviceModule =
    { config, ... }:
    {
      options.vpn = vpnOptions "service";
      config = mkIf (config.vpn.enable && effectiveNs config != null) (mkMerge [
        (commonWiring (effectiveNs config))
        {
          serviceConfig = {
            NetworkNamespacePath = netnsPath (effectiveNs config);
          } // dnsSettings (effectiveNs config);
          restartTriggers = dnsTrigger (effectiveNs config);
        }
        (mkIf config.vpn.restrictBind { serviceConfig = bindSettings (effectiveNs config); })
        (mkIf (!config.vpn.keepNetworkCapabilities) {
          # CAP_SYS_ADMIN goes too: with it, root inside leaves the
          # namespace with setns() (/run/netns/*, /proc/1/ns/net).
          # Last, so that these lines restrict whatever the service's own
          # lines allow: systemd ANDs a "~" line of CapabilityBoundingSet=
          # into the set built so far, and removes a "~" line of
          # RestrictAddressFamilies= from an allow-list before it (or
          # denies the family when there is none). AmbientCapabilities=
          # naming either is refused by an assertion.
          serviceConfig.CapabilityBoundingSet = lib.mkAfter [ "~CAP_NET_RAW CAP_NET_ADMIN CAP_SYS_ADMIN" ];
          serviceConfig.RestrictAddressFamilies = lib.mkAfter [ "~AF_PACKET" ];
        })
      ]);
    };

  socketModule =
    { config, ... }:
    {
      options.vpn = vpnOptions "socket";
      config = mkIf (config.vpn.enable && effectiveNs config != null) (mkMerge [
        (commonWiring (effectiveNs config))
        {
          socketConfig = {
            NetworkNamespacePath = netnsPath (effectiveNs config);
          } // lib.optionalAttrs config.vpn.restrictBind (bindSettings (effectiveNs config));
          # Default dependencies would order the socket before
          # sockets.target, which comes before vpnconf.service (through
          # basic.target): a cycle. These are the defaults, without it.
          unitConfig.DefaultDependencies = false;
          requires = [ "sysinit.target" ];
          after = [ "sysinit.target" ];
          before = [ "shutdown.target" ];
          conflicts = [ "shutdown.target" ];
        }
      ]);
    };

  confined = filterAttrs (_: u: u.vpn.enable);
  services = confined config.systemd.services;
  sockets = confined config.systemd.sockets;

  renderUnit = execConfig: u: {
    namespace = effectiveNs u;
    user =
      let
        user = execConfig.User or null;
      in
      if user == null then null else toString user;
    dynamicUser = truthy (execConfig.DynamicUser or false);
    inherit (u.vpn) allowRootInHighAssurance;
  }
  // optionalAttrs u.vpn.restrictBind { restrictBind = true; }
  // optionalAttrs (u.vpn.keepNetworkCapabilities or false) {
    # What vpnconf-generator needs to leave the capabilities alone, as
    # the settings above do.
    keepNetworkCapabilities = true;
  };

  rendered =
    mapAttrs' (name: u: nameValuePair "${name}.service" (renderUnit u.serviceConfig u)) services
    // mapAttrs' (name: u: nameValuePair "${name}.socket" (renderUnit u.socketConfig u)) sockets;

  # The service a socket activates, as systemd picks it.
  socketService =
    name: s:
    if s.socketConfig ? Service then
      lib.removeSuffix ".service" s.socketConfig.Service
    else if truthy (s.socketConfig.Accept or false) then
      "${name}@"
    else
      name;

  unitAssertions =
    kind: name: u: execConfig:
    let
      where = "systemd.${kind}s.${name}";
      ns = effectiveNs u;
    in
    [
      {
        assertion = ns != null;
        message = "${where}.vpn.namespace must be set when ${where}.vpn.enable is true (or set services.vpnconf.defaultNamespace).";
      }
      {
        assertion = ns == null || cfg.namespaces ? ${ns};
        message = "${if u.vpn.namespace != null then "${where}.vpn.namespace" else "services.vpnconf.defaultNamespace"} names \"${toString ns}\", which services.vpnconf.namespaces does not define.";
      }
      {
        assertion = !truthy (execConfig.PrivateNetwork or false);
        message = "${where} is confined by vpnconf (vpn.enable) and must not set PrivateNetwork.";
      }
      {
        assertion = !(u.unitConfig ? JoinsNamespaceOf);
        message = "${where} is confined by vpnconf (vpn.enable) and must not set JoinsNamespaceOf.";
      }
      {
        assertion =
          kind != "service"
          || u.vpn.keepNetworkCapabilities
          || !lib.any (c: builtins.match ".*CAP_(NET_RAW|NET_ADMIN|SYS_ADMIN).*" c != null) (
            map toString (lib.toList (execConfig.AmbientCapabilities or [ ]))
          );
        message = "${where} is confined by vpnconf (vpn.enable) and asks for CAP_NET_RAW, CAP_NET_ADMIN or CAP_SYS_ADMIN in AmbientCapabilities, which confined services lose: set ${where}.vpn.keepNetworkCapabilities = true if it needs them.";
      }
      {
        assertion = ns == null || (execConfig.NetworkNamespacePath or null) == netnsPath ns;
        message = "${where} is confined by vpnconf (vpn.enable) and must not set NetworkNamespacePath (vpnconf sets it to ${netnsPath (toString ns)}).";
      }
    ];

  # A socket hands its listening sockets to its service: both sides of the
  # pair must be confined to the same namespace, or the service accepts
  # from (or connects to) the host's network.
  pairAssertions = concatLists (
    mapAttrsToList (
      name: s:
      let
        svc = socketService name s;
        other = config.systemd.services.${svc} or null;
      in
      optional (other != null) {
        assertion = other.vpn.enable && effectiveNs other == effectiveNs s;
        message = "systemd.sockets.${name} is confined to namespace \"${toString (effectiveNs s)}\"; its service systemd.services.${svc} must set vpn.enable and the same vpn.namespace.";
      }
    ) sockets
    ++ mapAttrsToList (
      name: u:
      let
        s = config.systemd.sockets.${name} or null;
      in
      optional (s != null && !s.vpn.enable) {
        assertion = false;
        message = "systemd.services.${name} is confined by vpnconf, but its socket systemd.sockets.${name} is not: the socket would listen on the host's network. Set systemd.sockets.${name}.vpn too.";
      }
    ) services
  );

  tunnelAssertions = concatLists (
    mapAttrsToList (
      nsName: ns:
      let
        ifname = ns.wireguard.interface;
        wgIf = (wgCfg.interfaces or { }).${ifname} or null;
        movedHere = wgIf != null && wgIf.interfaceNamespace == nsName;
      in
      [
        {
          assertion = !(ns.wireguard.managed && movedHere);
          message = "networking.wireguard.interfaces.${ifname} is moved into namespace \"${nsName}\", whose tunnel vpnconf manages itself: set services.vpnconf.namespaces.${nsName}.wireguard.managed = false, or remove the interface.";
        }
        {
          assertion = !(movedHere && (wgCfg.useNetworkd or false));
          message = "services.vpnconf.namespaces.${nsName}: the external tunnel ${ifname} needs networking.wireguard.useNetworkd = false (the networkd backend does not create wireguard-${ifname}.service).";
        }
        {
          assertion = !(movedHere && ns.securityProfile == "highAssurance" && wgIf.privateKey or null != null);
          message = "services.vpnconf.namespaces.${nsName} is highAssurance: networking.wireguard.interfaces.${ifname}.privateKey would put the key into the world-readable Nix store; use privateKeyFile.";
        }
      ]
    ) cfg.namespaces
  );
in
{
  inherit rendered externalTunnels;

  module = {
    options.systemd.services = mkOption {
      type = types.attrsOf (types.submodule serviceModule);
    };
    options.systemd.sockets = mkOption {
      type = types.attrsOf (types.submodule socketModule);
    };
  };

  assertions =
    concatLists (mapAttrsToList (n: u: unitAssertions "service" n u u.serviceConfig) services)
    ++ concatLists (mapAttrsToList (n: u: unitAssertions "socket" n u u.socketConfig) sockets)
    ++ [
      {
        assertion = !(services ? vpnconf || services ? vpnconf-watch);
        message = "vpnconf's own units cannot be confined.";
      }
    ]
    ++ pairAssertions
    ++ tunnelAssertions;

  assertionsIfDisabled =
    enabled:
    optional (!enabled && (services != { } || sockets != { })) {
      assertion = false;
      message = "systemd.{services,sockets}.<name>.vpn.enable is set for ${
        lib.concatStringsSep ", " (attrNames services ++ map (s: "${s}.socket") (attrNames sockets))
      }, but services.vpnconf.enable is false.";
    };
}
