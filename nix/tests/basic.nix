# NixOS VM test: a managed tunnel. A client confines a web service and probe
# services to namespace "vpnapps", whose WireGuard tunnel vpnconf creates
# towards the server. Checks that confined traffic goes through the tunnel
# and nowhere else, strict DNS, the published port, fail-closed tunnel
# loss, drift detection and repair, the in-place reload on a configuration
# switch, and the lifecycle of vpnconf.service.
#
# Run with: nix build .#checks.x86_64-linux.basic
# (or pkgs.testers.runNixOSTest ./nix/tests/basic.nix)
let
  common = import ./common.nix;
in
{
  name = "vpnconf-basic";

  nodes = {
    server = common.server;

    client =
      {
        config,
        nodes,
        ...
      }:
      let
        serverIP = nodes.server.networking.primaryIPAddress;
      in
      {
        imports = [
          ../module.nix
          (common.client serverIP)
        ];

        environment.etc."wireguard/vpnapps.key" = {
          text = common.keys.client.private;
          mode = "0400";
        };

        services.vpnconf = {
          enable = true;
          # Drift is repaired by the agent (vpnconf-watch.service) as it
          # happens; its periodic pass is not what this test relies on.
          drift.periodicSeconds = 3600;
          namespaces.vpnapps = {
            wireguard = {
              privateKeyFile = "/etc/wireguard/vpnapps.key";
              addresses = [ "10.100.0.2/32" ];
              peers = [
                {
                  publicKey = common.keys.server.public;
                  endpoint = "${serverIP}:51820";
                  allowedIPs = [ "10.100.0.0/24" ];
                  persistentKeepalive = 25;
                }
              ];
            };
            dns.servers = [ "10.100.0.1" ];
            publishToHost.tcp = [ 9000 ];
            # The same web server on the client's own loopback, without
            # the host link: a socket of the host and a proxy inside.
            publish = [
              {
                listen = "127.0.0.1:9090";
                port = 9000;
              }
            ];
          };
        };

        # The host forwards and masquerades what comes from the host link,
        # so that a route through it would be a working leak: only the
        # namespace's policy stands in the way.
        networking.nat = {
          enable = true;
          internalInterfaces = [ config.services.vpnconf.namespaces.vpnapps.derived.hostIf ];
          externalInterface = "eth1";
        };

        specialisation.allowlist.configuration = {
          services.vpnconf.namespaces.vpnapps.egress = {
            mode = "allowList";
            allowedCidrs = [ "10.100.0.1/32" ];
          };
        };
      };
  };

  testScript =
    { nodes, ... }:
    let
      ns = nodes.client.services.vpnconf.namespaces.vpnapps.derived;
      toplevel = nodes.client.system.build.toplevel;
    in
    ''
      import json

      server_ip = "${nodes.server.networking.primaryIPAddress}"
      client_ip = "${nodes.client.networking.primaryIPAddress}"
      host_if = "${ns.hostIf}"
      host_address = "${ns.hostAddress}"
      ns_address = "${ns.nsAddress}"
      base_system = "${toplevel}"
      allowlist_system = "${toplevel}/specialisation/allowlist"
      leak_route = f"{server_ip}/32 via {host_address}"


      def status():
          out = json.loads(client.succeed("vpnconf status --json"))
          return {n["name"]: n for n in out["namespaces"]}["vpnapps"]


      def transactions():
          return json.loads(client.succeed("vpnconf history --json --limit 0"))["transactions"]


      start_all()
      server.wait_for_unit("wireguard-wg0.service")
      server.wait_for_unit("dnsmasq.service")
      server.wait_for_unit("echo-ip.service")
      server.wait_for_open_port(8000)
      server.wait_until_succeeds("dig +short @10.100.0.254 web.vpn | grep -qx 10.100.0.1")
      client.wait_for_unit("vpnconf.service")
      client.wait_for_unit("confined-web.service")

      with subtest("the rendered desired state is installed and valid"):
          client.succeed("vpnconf check")

      with subtest("the host itself keeps the real network"):
          out = client.succeed(f"curl -sf --max-time 10 http://{server_ip}:8000/").strip()
          assert out == client_ip, out

      with subtest("confined traffic goes through the tunnel"):
          client.wait_until_succeeds("systemctl start probe-tunnel.service", timeout=90)

      with subtest("and nowhere else"):
          client.succeed("systemctl start probe-isolated.service")

      with subtest("strict DNS"):
          client.succeed("systemctl start probe-dns.service")
          client.succeed("systemctl start probe-dns-blocked.service")

      with subtest("status: in sync, tunnel up, a handshake; history: the boot run"):
          client.succeed("vpnconf plan")
          st = status()
          assert st["inSync"], st
          assert st["sync"] == "in sync", st
          assert st["policy"] == "policy", st
          assert st["tunnel"]["managed"] and st["tunnel"]["present"] and st["tunnel"]["up"], st
          assert st["tunnel"]["peers"][0]["latestHandshake"] is not None, st
          assert "confined-web.service" in st["units"], st
          assert st["hostLink"]["present"], st
          assert any(
              t["trigger"] == "boot" and t["outcome"] == "applied" for t in transactions()
          ), transactions()

      with subtest("the published port is reachable from the host, nothing from the tunnel"):
          client.succeed(f"curl -sf --max-time 10 http://{ns_address}:9000/ | grep -qx confined")
          server.fail("curl -sf --max-time 5 http://10.100.0.2:9000/")

      with subtest("publish: the host reaches the web server through the proxy in the namespace"):
          client.wait_for_unit("vpnconf-publish-vpnapps-0.socket")
          client.succeed("curl -sf --max-time 10 http://127.0.0.1:9090/ | grep -qx confined")
          pid = client.succeed("systemctl show -P MainPID vpnconf-publish-vpnapps-0.service").strip()
          netns = client.succeed("stat -L -c %i /run/netns/vpnapps").strip()
          assert client.succeed(f"stat -L -c %i /proc/{pid}/ns/net").strip() == netns

      with subtest("losing the tunnel fails closed"):
          server.succeed("systemctl stop wireguard-wg0.service")
          client.fail("systemctl start probe-tunnel.service")
          client.succeed("systemctl start probe-isolated.service")
          client.succeed(f"curl -sf --max-time 10 http://{server_ip}:8000/")
          server.succeed("systemctl start wireguard-wg0.service")
          client.wait_until_succeeds("systemctl start probe-tunnel.service", timeout=120)

      with subtest("a route out through the host link does not leak"):
          client.succeed(f"ip netns exec vpnapps ip route add {leak_route}")
          client.succeed("systemctl start probe-isolated.service")
          client.succeed(f"ip netns exec vpnapps ip route del {leak_route}")

      with subtest("drift is detected, reported and repaired"):
          client.wait_for_unit("vpnconf-watch.service")
          # Without its policy the namespace would leak through such a
          # route; the agent puts the policy back as soon as it is gone.
          client.succeed(f"ip netns exec vpnapps ip route add {leak_route}")
          client.succeed("ip netns exec vpnapps nft flush ruleset")
          client.wait_until_succeeds("vpnconf plan", timeout=10)
          client.succeed(
              "journalctl SYSLOG_IDENTIFIER=vpnconf VPNCONF_EVENT=drift VPNCONF_NAMESPACE=vpnapps"
              " --no-pager -o cat | grep -q drifted"
          )
          client.succeed("vpnconf plan")
          client.succeed("systemctl start probe-isolated.service")
          client.fail(f"ip netns exec vpnapps curl -sf --max-time 5 http://{server_ip}:8000/")
          client.succeed(f"ip netns exec vpnapps ip route del {leak_route}")
          assert any(t["trigger"] == "watch" for t in transactions()), transactions()

      with subtest("the agent's stop and crash leave every namespace in place"):
          ino = client.succeed("stat -L -c %i /run/netns/vpnapps").strip()
          client.succeed("systemctl kill -s KILL vpnconf-watch.service")
          client.wait_until_succeeds("systemctl is-active vpnconf-watch.service", timeout=30)
          client.succeed("systemctl stop vpnconf-watch.service")
          assert client.succeed("stat -L -c %i /run/netns/vpnapps").strip() == ino
          client.succeed("vpnconf plan")
          client.succeed("systemctl start vpnconf-watch.service")

      with subtest("a configuration switch reloads vpnconf in place"):
          invocation = client.succeed("systemctl show -P InvocationID vpnconf.service").strip()
          web_pid = client.succeed("systemctl show -P MainPID confined-web.service").strip()
          client.succeed(f"{allowlist_system}/bin/switch-to-configuration test")
          assert client.succeed("systemctl show -P InvocationID vpnconf.service").strip() == invocation
          assert client.succeed("systemctl show -P MainPID confined-web.service").strip() == web_pid
          client.succeed("systemctl start probe-allowlist.service")
          assert any(t["trigger"] == "activation" for t in transactions()), transactions()
          client.succeed(f"{base_system}/bin/switch-to-configuration test")
          assert client.succeed("systemctl show -P InvocationID vpnconf.service").strip() == invocation
          client.succeed("systemctl start probe-tunnel.service")
          client.succeed("vpnconf plan")

      with subtest("a restart re-creates the namespace; confined services follow"):
          client.succeed("systemctl restart vpnconf.service")
          client.wait_for_unit("confined-web.service")
          pid = client.succeed("systemctl show -P MainPID confined-web.service").strip()
          netns = client.succeed("stat -L -c %i /run/netns/vpnapps").strip()
          assert client.succeed(f"stat -L -c %i /proc/{pid}/ns/net").strip() == netns
          client.wait_until_succeeds("systemctl start probe-tunnel.service", timeout=120)

      with subtest("stopping vpnconf tears everything down and stops confined services"):
          client.succeed("systemctl stop vpnconf.service")
          client.fail("systemctl is-active confined-web.service")
          client.fail("test -e /run/netns/vpnapps")
          client.fail(f"ip link show {host_if}")
    '';
}
