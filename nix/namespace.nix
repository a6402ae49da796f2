# The options of services.vpnconf.namespaces.<name>: one for each field of a
# namespace in the desired-state file (docs/desired-state.md), with the same
# names, types and defaults, plus the namespace's rendering as JSON and the
# host-link values vpnconf derives from the name (read-only).
#
# The types catch what is cheap to state here; every rule of the format
# (address syntax, cross-field rules, the highAssurance profile) is checked
# by `vpnconf check` on the rendered file when the system is built.
{ lib }:

let
  inherit (lib)
    mkOption
    types
    filter
    genAttrs
    optionalAttrs
    substring
    ;

  ifName = types.strMatching "[A-Za-z0-9]([A-Za-z0-9_.-]{0,13}[A-Za-z0-9])?";
  port = types.ints.between 1 65535;
  ports = types.listOf port;
  fwMark = types.ints.between 1 4294967295;
  seconds = types.ints.between 0 31536000;
  # A string, never a Nix path: a path literal would copy the key file into
  # the world-readable Nix store.
  keyFile = types.addCheck types.str (lib.hasPrefix "/") // {
    description = "absolute path (a string)";
  };

  # Names of the options of a submodule instance that were set explicitly,
  # that is, not left at their default (which has mkOptionDefault priority).
  explicitIn = options: names: filter (n: options.${n}.highestPrio < 1500) names;

  explicitOption = mkOption {
    internal = true;
    readOnly = true;
    type = types.listOf types.str;
    description = "The managed-only options of this submodule that were set explicitly.";
  };

  peerManagedOnly = [
    "publicKey"
    "presharedKeyFile"
    "allowedIPs"
    "persistentKeepalive"
  ];

  peerModule =
    { options, ... }:
    {
      options = {
        publicKey = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "vblMc9U8RAI6cVopcKEMTVT6lVC3D9nTTMSwot5d3L4=";
          description = ''
            The peer's public key, as `wg pubkey` prints it. Required for
            managed tunnels; external tunnels must not set it.
          '';
        };
        presharedKeyFile = mkOption {
          type = types.nullOr keyFile;
          default = null;
          example = "/run/keys/wg-psk";
          description = "File holding the preshared key (managed tunnels only).";
        };
        endpoint = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "198.51.100.10:51820";
          description = ''
            `IPv4:port`, `[IPv6]:port` or `hostname:port` (hostnames need
            `wireguard.allowHostnameEndpoints` and
            `wireguard.dynamicEndpointRefreshSeconds`). For an external tunnel
            the endpoint only feeds endpoint pinning and must be literal.
          '';
        };
        endpoints = mkOption {
          type = types.listOf types.str;
          default = [ ];
          example = [ "198.51.100.11:51820" ];
          description = ''
            Fallback endpoints of the same peer (at most 8), tried in order
            after `endpoint` when the peer's latest handshake is older than
            `drift.handshakeTimeoutSeconds`; same syntax and rules as
            `endpoint`. Endpoint pinning admits all of them.
          '';
        };
        allowedIPs = mkOption {
          type = types.nullOr (types.listOf types.str);
          default = null;
          example = [ "0.0.0.0/0" ];
          description = ''
            Strict CIDRs routed to and accepted from this peer (host bits are
            an error). Required for managed tunnels (may be empty).
          '';
        };
        persistentKeepalive = mkOption {
          type = types.nullOr (types.ints.between 0 65535);
          default = 0;
          example = 25;
          description = "Keepalive interval in seconds; 0 or null is off (managed tunnels only).";
        };
        explicitOptions = explicitOption;
      };
      config.explicitOptions = explicitIn options peerManagedOnly;
    };

  wgManagedOnly = [
    "privateKeyFile"
    "generatePrivateKeyFile"
    "addresses"
    "listenPort"
    "mtu"
    "fwMark"
    "allowedIPsAsRoutes"
    "allowHostnameEndpoints"
    "dynamicEndpointRefreshSeconds"
  ];

  wireguardModule =
    { options, ... }:
    {
      options = {
        interface = mkOption {
          type = ifName;
          default = "wg0";
          description = ''
            Name of the tunnel interface inside the namespace. Interface names
            must be unique across all namespaces, so with more than one
            namespace the tunnels need names.
          '';
        };
        managed = mkOption {
          type = types.bool;
          default = true;
          description = ''
            Whether vpnconf creates and configures the WireGuard link itself.
            With `false` another tool puts an interface of that name into the
            namespace, for example
            `networking.wireguard.interfaces.<interface>.interfaceNamespace`
            (which this module then orders after, and binds to,
            `vpnconf.service`); vpnconf applies the policy, DNS and host link
            around it. External tunnels may only set `interface`, `managed`,
            `socketNamespace`, `endpointPinning` and the peers' `endpoint`.
          '';
        };
        privateKeyFile = mkOption {
          type = types.nullOr keyFile;
          default = null;
          example = "/run/keys/wg-vpnapps.key";
          description = ''
            The private key (required for managed tunnels). Read by the root
            service at reconcile time, never at build time; in the
            highAssurance profile it must not be group- or world-readable.
          '';
        };
        generatePrivateKeyFile = mkOption {
          type = types.bool;
          default = false;
          description = "Create `privateKeyFile` when it does not exist.";
        };
        addresses = mkOption {
          type = types.nullOr (types.listOf types.str);
          default = null;
          example = [ "10.0.0.2/32" ];
          description = ''
            Addresses of the interface (required for managed tunnels), with
            their host bits: `"10.0.0.2/24"`; a bare address is a /32 or /128.
          '';
        };
        listenPort = mkOption {
          type = types.nullOr port;
          default = null;
          description = "UDP listen port; null for a random one.";
        };
        mtu = mkOption {
          type = types.nullOr (types.ints.between 1280 65535);
          default = null;
          description = "Interface MTU; null for the kernel default.";
        };
        fwMark = mkOption {
          type = types.nullOr fwMark;
          default = null;
          description = ''
            Firewall mark of the tunnel's UDP packets; null for none, or with
            endpoint pinning the pinning mark (which it must equal if set).
          '';
        };
        socketNamespace = mkOption {
          type = types.nullOr types.str;
          default = null;
          example = "init";
          description = ''
            Where the tunnel's UDP socket lives: `"init"` (what null means,
            the namespace vpnconf runs in) or another namespace name. Must
            differ from this namespace.
          '';
        };
        allowedIPsAsRoutes = mkOption {
          type = types.bool;
          default = true;
          description = "Install the peers' `allowedIPs` as routes through the tunnel.";
        };
        allowHostnameEndpoints = mkOption {
          type = types.bool;
          default = false;
          description = ''
            Allow `hostname:port` endpoints. They are resolved by vpnconf in
            the socket namespace, outside the strict DNS guarantee.
          '';
        };
        dynamicEndpointRefreshSeconds = mkOption {
          type = seconds;
          default = 0;
          description = ''
            Re-resolve hostname endpoints this often (0 is off). The agent
            (vpnconf-watch.service) runs its periodic pass at least this
            often; every pass re-resolves.
          '';
        };
        endpointPinning = {
          enable = mkOption {
            type = types.bool;
            default = false;
            description = ''
              Restrict the tunnel's outer UDP traffic to the peers' literal
              endpoints (an nftables table in the socket namespace).
            '';
          };
          fwMark = mkOption {
            type = types.nullOr fwMark;
            default = null;
            description = "The mark the pinning rules match; null derives it from the interface name.";
          };
        };
        peers = mkOption {
          type = types.listOf (types.submodule peerModule);
          default = [ ];
          description = ''
            The peers. At least one for managed tunnels; for external tunnels
            only with endpoint pinning, and then with `endpoint` and
            `endpoints` only.
          '';
        };
        explicitOptions = explicitOption;
      };
      config.explicitOptions = explicitIn options wgManagedOnly;
    };

  renderPeer =
    managed: p:
    if managed then
      optionalAttrs (p.publicKey != null) { inherit (p) publicKey; }
      // {
        inherit (p) presharedKeyFile endpoint persistentKeepalive;
      }
      // optionalAttrs (p.endpoints != [ ]) { inherit (p) endpoints; }
      // optionalAttrs (p.allowedIPs != null) { inherit (p) allowedIPs; }
    else
      # Managed-only keys appear only when set, so that `vpnconf check`
      # reports them ("only for managed tunnels") instead of the module
      # dropping them silently.
      { inherit (p) endpoint; }
      // optionalAttrs (p.endpoints != [ ]) { inherit (p) endpoints; }
      // genAttrs p.explicitOptions (n: p.${n});

  renderWireguard =
    wg:
    {
      inherit (wg) interface managed socketNamespace;
      endpointPinning = {
        inherit (wg.endpointPinning) enable fwMark;
      };
      peers = map (renderPeer wg.managed) wg.peers;
    }
    // (
      if wg.managed then
        {
          inherit (wg)
            generatePrivateKeyFile
            listenPort
            mtu
            fwMark
            allowedIPsAsRoutes
            allowHostnameEndpoints
            dynamicEndpointRefreshSeconds
            ;
        }
        # Required fields left unset are left out: `vpnconf check` then
        # names them ("is required").
        // optionalAttrs (wg.privateKeyFile != null) { inherit (wg) privateKeyFile; }
        // optionalAttrs (wg.addresses != null) { inherit (wg) addresses; }
      else
        genAttrs wg.explicitOptions (n: wg.${n})
    );

  hexDigits = {
    "0" = 0;
    "1" = 1;
    "2" = 2;
    "3" = 3;
    "4" = 4;
    "5" = 5;
    "6" = 6;
    "7" = 7;
    "8" = 8;
    "9" = 9;
    "a" = 10;
    "b" = 11;
    "c" = 12;
    "d" = 13;
    "e" = 14;
    "f" = 15;
  };
  fromHex = s: lib.foldl' (acc: c: acc * 16 + hexDigits.${c}) 0 (lib.stringToCharacters s);
  sha256Prefix = n: s: substring 0 n (builtins.hashString "sha256" s);

  # The derivations of docs/desired-state.md, "Derived values".
  derivedSubnet =
    name:
    let
      offset = (lib.mod (fromHex (sha256Prefix 8 name)) 16384) * 4;
    in
    "169.254.${toString (offset / 256)}.${toString (lib.mod offset 256)}/30";

  # The address at `index` in an "a.b.c.d/30" whose last octet is the base.
  subnetAddress =
    subnet: index:
    let
      octets = lib.splitString "." (builtins.head (lib.splitString "/" subnet));
      base = lib.toInt (lib.last octets);
    in
    lib.concatStringsSep "." (lib.take 3 octets ++ [ (toString (base + index)) ]);

  readOnlyOption =
    type: description:
    mkOption {
      inherit type description;
      readOnly = true;
    };
in
{ name, config, ... }:
{
  options = {
    enable = mkOption {
      type = types.bool;
      default = true;
      description = ''
        Whether the namespace exists; false leaves it out of the desired
        state (as the earlier `services.vpnConfinement` module's
        `namespaces.<name>.enable`).
      '';
    };

    securityProfile = mkOption {
      type = types.enum [
        "balanced"
        "highAssurance"
      ];
      default = "balanced";
      description = ''
        `highAssurance` turns the weaker options into errors: it requires
        strict DNS without host resolver IPC, an `allowList` egress with
        CIDRs, literal endpoints, `allowedIPsAsRoutes`, units that do not run
        as root (unless `vpn.allowRootInHighAssurance`), and key files that
        are not group- or world-readable.
      '';
    };

    wireguard = mkOption {
      type = types.submodule wireguardModule;
      default = { };
      description = "The tunnel.";
    };

    dns = {
      mode = mkOption {
        type = types.enum [
          "strict"
          "compat"
        ];
        default = "strict";
        description = ''
          `strict`: confined services get a namespace-local `resolv.conf` and
          `nsswitch.conf` (bind-mounted over `/etc`), the host's resolver IPC
          is made inaccessible to them, and DNS-like ports (53, 853, 5353,
          5355) are blocked except towards `servers`. `compat`: the services
          keep the host's resolver configuration, subject to the egress policy.
        '';
      };
      servers = mkOption {
        type = types.listOf types.str;
        example = [ "10.64.0.1" ];
        description = "One to three literal IP addresses (required).";
      };
      search = mkOption {
        type = types.listOf types.str;
        default = [ ];
        description = "Up to six search domains.";
      };
      allowHostResolverIPC = mkOption {
        type = types.bool;
        default = false;
        description = ''
          Let confined services reach the host's resolver helpers (nscd,
          systemd-resolved's sockets, the system D-Bus, avahi). This weakens
          strict DNS: those helpers resolve outside the tunnel.
        '';
      };
    };

    ipv6.mode = mkOption {
      type = types.enum [
        "disable"
        "tunnel"
      ];
      default = "disable";
      description = "`disable`: no IPv6 in the namespace. `tunnel`: IPv6 only through the tunnel.";
    };

    egress = {
      mode = mkOption {
        type = types.enum [
          "allowAllTunnel"
          "allowList"
        ];
        default = "allowAllTunnel";
        description = "Everything through the tunnel, or only to `allowedCidrs` (and ports).";
      };
      allowedTcpPorts = mkOption {
        type = ports;
        default = [ ];
        description = "TCP destination ports allowed in `allowList` mode.";
      };
      allowedUdpPorts = mkOption {
        type = ports;
        default = [ ];
        description = "UDP destination ports allowed in `allowList` mode.";
      };
      allowedCidrs = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "10.64.0.0/16" ];
        description = "Destinations allowed in `allowList` mode (strict CIDRs).";
      };
      allowEssentialIcmp = mkOption {
        type = types.bool;
        default = true;
        description = "Keep the ICMP errors path MTU discovery needs towards allowed destinations.";
      };
    };

    ingress = {
      fromHost.tcp = mkOption {
        type = ports;
        default = [ ];
        description = "TCP ports the host may connect to over the host link.";
      };
      fromTunnel.tcp = mkOption {
        type = ports;
        default = [ ];
        description = "TCP ports open to connections arriving through the tunnel.";
      };
      fromTunnel.udp = mkOption {
        type = ports;
        default = [ ];
        description = "UDP ports open to traffic arriving through the tunnel.";
      };
    };

    publishToHost.tcp = mkOption {
      type = ports;
      default = [ ];
      example = [ 9091 ];
      description = ''
        TCP ports published to the host over the host link: merged into
        `ingress.fromHost.tcp`, and a non-empty list turns the host link on.
        The host reaches them at `derived.nsAddress`.
      '';
    };

    publish = mkOption {
      type = types.listOf (
        types.submodule {
          options = {
            listen = mkOption {
              type = types.str;
              example = "192.168.1.10:9091";
              description = ''
                Where the host listens, in its own network namespace:
                `IPv4:port` or `[IPv6]:port`, a literal address
                (`0.0.0.0` / `[::]` for all addresses).
              '';
            };
            port = mkOption {
              type = port;
              example = 9091;
              description = "The port the service listens on inside the namespace, on 127.0.0.1.";
            };
          };
        }
      );
      default = [ ];
      example = [
        {
          listen = "192.168.1.10:9091";
          port = 9091;
        }
      ];
      description = ''
        TCP services of the namespace published to the LAN or the host
        without a host link, DNAT or forwarding: for each entry a socket
        unit `vpnconf-publish-<namespace>-<i>.socket` listens on `listen`
        in the host's namespace, and `systemd-socket-proxyd` joined to the
        namespace forwards its connections to `127.0.0.1:<port>` there.
        The confined service never holds a socket of the host's namespace.
      '';
    };

    hostLink = {
      enable = mkOption {
        type = types.bool;
        default = false;
        description = "Create a veth pair between the host and the namespace.";
      };
      hostIf = mkOption {
        type = types.nullOr ifName;
        default = null;
        description = "Host side of the pair; null derives `vh-` and 12 hex digits.";
      };
      nsIf = mkOption {
        type = types.nullOr ifName;
        default = null;
        description = "Namespace side of the pair; null derives `vn-` and 12 hex digits.";
      };
      subnetIPv4 = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "10.250.0.0/30";
        description = ''
          The link's /30 (the network base); null derives one in
          169.254.0.0/16. The host side gets `.1`, the namespace `.2`.
        '';
      };
    };

    portForwarding = {
      mode = mkOption {
        type = types.enum [
          "none"
          "natpmp"
          "static"
        ];
        default = "none";
        description = ''
          How the provider forwards an inbound port through the tunnel:
          `natpmp` leases one from a NAT-PMP gateway (ProtonVPN), renewed by
          vpnconf-watch.service; `static` opens the ports the provider
          forwards permanently (AirVPN). See docs/port-forwarding.md.
        '';
      };
      gateway = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "10.2.0.1";
        description = "The NAT-PMP gateway (IPv4), reached through the tunnel; natpmp only.";
      };
      protocols = mkOption {
        type = types.listOf (
          types.enum [
            "tcp"
            "udp"
          ]
        );
        default = [
          "tcp"
          "udp"
        ];
        description = "What is mapped and opened.";
      };
      lifetimeSeconds = mkOption {
        type = types.ints.between 60 86400;
        default = 60;
        description = "The lease asked for; renewed after half of what is granted.";
      };
      staticPorts = mkOption {
        type = ports;
        default = [ ];
        description = "static: the ports the provider forwards.";
      };
      onChange = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "\${pkgs.transmission_4}/bin/transmission-remote --port $VPNCONF_PORT";
        description = ''
          A shell command run inside the namespace, as a dynamic user, each
          time the forwarded port changes (`$VPNCONF_PORT` holds it): a path
          unit on `<runtimeDir>/<namespace>/forwarded-port` starts the
          oneshot `vpnconf-port-<namespace>.service`. Takes precedence over
          `client`.
        '';
      };
      client = mkOption {
        type = types.nullOr (
          types.enum [
            "qbittorrent"
            "transmission"
            "deluge"
          ]
        );
        default = null;
        description = ''
          A ready-made onChange for the confined client's Web API on the
          namespace's loopback: qBittorrent (setPreferences listen_port),
          Transmission (RPC session-set peer-port), Deluge (core.set_config
          listen_ports). See vpnconf-port-hook.
        '';
      };
      clientUrl = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "http://127.0.0.1:8080";
        description = "The client's API URL, when not its default port on 127.0.0.1.";
      };
      clientEnvironmentFile = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = ''
          A file with VPNCONF_HOOK_USER= and VPNCONF_HOOK_PASSWORD= for the
          client's API (read by systemd, never copied into the Nix store).
        '';
      };
    };

    # Read-only: what vpnconf will use, for the rest of the configuration
    # (a reverse proxy to a published port, firewall or NAT rules).
    derived = {
      hostLinkEffective = readOnlyOption types.bool ''
        Whether the host link exists (`hostLink.enable`, or published ports).
      '';
      hostIf = readOnlyOption types.str "The host side of the host link, as set or derived.";
      nsIf = readOnlyOption types.str "The namespace side of the host link, as set or derived.";
      subnetIPv4 = readOnlyOption types.str "The host link's /30, as set or derived.";
      hostAddress = readOnlyOption types.str "The host's address on the host link.";
      nsAddress = readOnlyOption types.str ''
        The namespace's address on the host link: where the host reaches the
        `publishToHost` ports.
      '';
    };

    desiredState = mkOption {
      type = types.attrs;
      internal = true;
      readOnly = true;
      description = "This namespace as an object of the desired-state file.";
    };
  };

  config = {
    derived = rec {
      hostLinkEffective = config.hostLink.enable || config.publishToHost.tcp != [ ];
      hostIf =
        if config.hostLink.hostIf != null then
          config.hostLink.hostIf
        else
          "vh-" + sha256Prefix 12 "host:${name}";
      nsIf =
        if config.hostLink.nsIf != null then
          config.hostLink.nsIf
        else
          "vn-" + sha256Prefix 12 "ns:${name}";
      subnetIPv4 =
        if config.hostLink.subnetIPv4 != null then config.hostLink.subnetIPv4 else derivedSubnet name;
      hostAddress = subnetAddress subnetIPv4 1;
      nsAddress = subnetAddress subnetIPv4 2;
    };

    desiredState = optionalAttrs (config.publish != [ ]) {
      publish = map (p: { inherit (p) listen port; }) config.publish;
    }
    // {
      inherit (config) securityProfile;
      wireguard = renderWireguard config.wireguard;
      dns = {
        inherit (config.dns)
          mode
          servers
          search
          allowHostResolverIPC
          ;
      };
      ipv6 = {
        inherit (config.ipv6) mode;
      };
      egress = {
        inherit (config.egress)
          mode
          allowedTcpPorts
          allowedUdpPorts
          allowedCidrs
          allowEssentialIcmp
          ;
      };
      ingress = {
        fromHost = {
          inherit (config.ingress.fromHost) tcp;
        };
        fromTunnel = {
          inherit (config.ingress.fromTunnel) tcp udp;
        };
      };
      publishToHost = {
        inherit (config.publishToHost) tcp;
      };
      hostLink = {
        inherit (config.hostLink)
          enable
          hostIf
          nsIf
          subnetIPv4
          ;
      };
      # onChange is the module's own unit (see module.nix), not the
      # generator's.
      portForwarding = {
        inherit (config.portForwarding)
          mode
          gateway
          protocols
          lifetimeSeconds
          ;
      }
      // optionalAttrs (config.portForwarding.mode == "static") {
        inherit (config.portForwarding) staticPorts;
      };
    };
  };
}
