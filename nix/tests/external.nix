# NixOS VM test: an external tunnel. The client's WireGuard interface comes
# from networking.wireguard with interfaceNamespace = "vpnapps"; vpnconf
# provides the namespace, its policy and strict DNS around it. Checks the
# ordering and binding of wireguard-wg0.service to vpnconf.service, that
# confined traffic uses the tunnel only, and the status of an external
# tunnel.
#
# Run with: nix build .#checks.x86_64-linux.external
let
  common = import ./common.nix;
in
{
  name = "vpnconf-external";

  nodes = {
    server = common.server;

    client =
      { nodes, ... }:
      let
        serverIP = nodes.server.networking.primaryIPAddress;
      in
      {
        imports = [
          ../module.nix
          (common.client serverIP)
        ];

        environment.etc."wireguard/wg0.key" = {
          text = common.keys.client.private;
          mode = "0400";
        };

        networking.wireguard.interfaces.wg0 = {
          ips = [ "10.100.0.2/32" ];
          privateKeyFile = "/etc/wireguard/wg0.key";
          interfaceNamespace = "vpnapps";
          peers = [
            {
              publicKey = common.keys.server.public;
              endpoint = "${serverIP}:51820";
              allowedIPs = [ "10.100.0.0/24" ];
              persistentKeepalive = 25;
            }
          ];
        };

        services.vpnconf = {
          enable = true;
          namespaces.vpnapps = {
            wireguard = {
              interface = "wg0";
              managed = false;
            };
            dns.servers = [ "10.100.0.1" ];
            publishToHost.tcp = [ 9000 ];
          };
        };
      };
  };

  testScript = ''
    import json


    def status():
        out = json.loads(client.succeed("vpnconf status --json"))
        return {n["name"]: n for n in out["namespaces"]}["vpnapps"]


    def active_since(unit):
        return int(client.succeed(f"systemctl show -P ActiveEnterTimestampMonotonic {unit}"))


    start_all()
    server.wait_for_unit("wireguard-wg0.service")
    server.wait_for_unit("dnsmasq.service")
    server.wait_for_unit("echo-ip.service")
    server.wait_for_open_port(8000)
    client.wait_for_unit("wireguard-wg0.service")
    client.wait_for_unit("confined-web.service")

    with subtest("the tunnel is created after the namespace, inside it"):
        assert active_since("wireguard-wg0.service") >= active_since("vpnconf.service")
        client.succeed("ip netns exec vpnapps ip link show wg0")
        client.fail("ip link show wg0")

    with subtest("confined traffic uses the tunnel only, with strict DNS"):
        client.wait_until_succeeds("systemctl start probe-tunnel.service", timeout=90)
        client.succeed("systemctl start probe-isolated.service")
        client.succeed("systemctl start probe-dns.service")
        client.succeed("systemctl start probe-dns-blocked.service")

    with subtest("status reports the external tunnel, in sync"):
        client.succeed("vpnconf plan")
        st = status()
        assert st["inSync"], st
        assert not st["tunnel"]["managed"], st
        assert st["tunnel"]["present"] and st["tunnel"]["up"], st

    with subtest("a restart of vpnconf re-creates the namespace, and the tunnel in it"):
        client.succeed("systemctl restart vpnconf.service")
        client.wait_for_unit("wireguard-wg0.service")
        client.wait_for_unit("confined-web.service")
        client.succeed("ip netns exec vpnapps ip link show wg0")
        client.wait_until_succeeds("systemctl start probe-tunnel.service", timeout=120)

    with subtest("stopping vpnconf stops the tunnel unit and the confined services"):
        client.succeed("systemctl stop vpnconf.service")
        client.fail("systemctl is-active wireguard-wg0.service")
        client.fail("systemctl is-active confined-web.service")
        client.fail("test -e /run/netns/vpnapps")

    with subtest("starting vpnconf brings the tunnel back"):
        client.succeed("systemctl start vpnconf.service")
        client.wait_for_unit("wireguard-wg0.service")
        client.succeed("systemctl start confined-web.service")
        client.wait_until_succeeds("systemctl start probe-tunnel.service", timeout=120)
  '';
}
