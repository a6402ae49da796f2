# docs/examples/managed.json and docs/examples/desired.json as NixOS
# configuration: transmission confined to namespace "vpnapps" behind a
# managed tunnel, and the same behind an external tunnel made by
# networking.wireguard. Used by render.nix and the flake's checks.
let
  publicKey = "vblMc9U8RAI6cVopcKEMTVT6lVC3D9nTTMSwot5d3L4=";

  example = wireguard: {
    services.vpnconf = {
      enable = true;
      namespaces.vpnapps = {
        securityProfile = "balanced";
        inherit wireguard;
        dns = {
          mode = "strict";
          servers = [ "10.64.0.1" ];
        };
        ipv6.mode = "disable";
        egress = {
          mode = "allowList";
          allowedCidrs = [
            "10.64.0.0/16"
            "192.0.2.0/24"
          ];
        };
        ingress.fromTunnel.tcp = [ 51413 ];
        publishToHost.tcp = [ 8080 ];
        hostLink.enable = true;
      };
    };
    systemd.services.transmission = {
      serviceConfig.DynamicUser = true;
      vpn = {
        enable = true;
        namespace = "vpnapps";
      };
    };
  };
in
{
  inherit publicKey;

  # The README example of the earlier services.vpnConfinement module, as
  # written there (publicKey "..." included): the alias, a namespace
  # `enable`, and a networking.wireguard interface without
  # interfaceNamespace that the namespace's wireguard.interface names.
  original = {
    services.vpnConfinement = {
      enable = true;
      namespaces.vpnapps = {
        enable = true;
        wireguard.interface = "wg0";
        dns = {
          mode = "strict";
          servers = [ "10.64.0.1" ];
        };
        ipv6.mode = "disable";
        egress.mode = "allowAllTunnel";
      };
    };
    networking.wireguard.interfaces.wg0 = {
      privateKeyFile = "/run/keys/wg.key";
      ips = [ "10.0.0.2/32" ];
      peers = [
        {
          publicKey = "...";
          endpoint = "198.51.100.10:51820";
          allowedIPs = [ "0.0.0.0/0" ];
        }
      ];
    };
    systemd.services.my-service = {
      serviceConfig.DynamicUser = true;
      vpn = {
        enable = true;
        namespace = "vpnapps";
      };
    };
  };

  managed = example {
    interface = "wg0";
    managed = true;
    privateKeyFile = "/run/keys/wg-vpnapps.key";
    addresses = [ "10.0.0.2/32" ];
    peers = [
      {
        inherit publicKey;
        endpoint = "198.51.100.10:51820";
        allowedIPs = [ "0.0.0.0/0" ];
        persistentKeepalive = 25;
      }
    ];
  };

  external =
    example {
      interface = "wg0";
      managed = false;
    }
    // {
      networking.wireguard.interfaces.wg0 = {
        privateKeyFile = "/run/keys/wg.key";
        ips = [ "10.0.0.2/32" ];
        interfaceNamespace = "vpnapps";
      };
    };
}
