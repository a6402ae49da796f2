# Shared pieces of the NixOS VM tests: a WireGuard server with an echo
# service and a DNS server behind its tunnel, and the client side's probe
# services, all confined to namespace "vpnapps".
#
# Addresses: the tunnel is 10.100.0.0/24, the server 10.100.0.1 (and
# 10.100.0.254, which also answers DNS but is not the client's resolver),
# the client 10.100.0.2. The real network is the test driver's VLAN.
let
  # Throwaway keys for these tests only.
  keys = {
    server = {
      private = "yLjNr8rr1GDJwdzm1ORHnH9d7JPaJ9FFyilTWi3cf2o=";
      public = "20t7Rhh0bWlP9abYwvDYnMpbBbIVjk21PGMWQTaYyg8=";
    };
    client = {
      private = "4Bjahnc+AJkdU8lueU6P2SYBKTCXORuI9uiaeW0mY2Y=";
      public = "C6rR7soNWCJDSo6R17mRWnedI7nR7P/Qsy/KvGZcezM=";
    };
  };
in
{
  inherit keys;

  server =
    { pkgs, ... }:
    let
      # Answers every GET with the address the request came from.
      echo = pkgs.writeText "echo-ip.py" ''
        import http.server


        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = (self.client_address[0] + "\n").encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)


        http.server.ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
      '';
    in
    {
      environment.systemPackages = [
        pkgs.curl
        pkgs.dnsutils
      ];
      environment.etc."wireguard/server.key" = {
        text = keys.server.private;
        mode = "0400";
      };
      networking.wireguard.interfaces.wg0 = {
        ips = [
          "10.100.0.1/24"
          "10.100.0.254/24"
        ];
        listenPort = 51820;
        privateKeyFile = "/etc/wireguard/server.key";
        peers = [
          {
            publicKey = keys.client.public;
            allowedIPs = [ "10.100.0.2/32" ];
          }
        ];
      };
      networking.firewall = {
        allowedUDPPorts = [ 51820 ];
        # The echo service answers on the real network too: the control
        # that shows what a leak would look like.
        allowedTCPPorts = [ 8000 ];
        interfaces.wg0 = {
          allowedTCPPorts = [ 53 ];
          allowedUDPPorts = [ 53 ];
        };
      };
      systemd.services.echo-ip = {
        wantedBy = [ "multi-user.target" ];
        serviceConfig = {
          DynamicUser = true;
          ExecStart = "${pkgs.python3}/bin/python3 ${echo}";
        };
      };
      services.dnsmasq = {
        enable = true;
        resolveLocalQueries = false;
        settings = {
          no-resolv = true;
          bind-dynamic = true;
          listen-address = [
            "10.100.0.1"
            "10.100.0.254"
          ];
          address = [ "/web.vpn/10.100.0.1" ];
        };
      };
    };

  # The client's confined units. `serverIP` is the server's address on the
  # real network.
  client =
    serverIP:
    { pkgs, ... }:
    let
      confine = {
        enable = true;
        namespace = "vpnapps";
      };
      # A probe succeeds when the confinement behaves as it should; the
      # test script starts it and checks the result.
      probe = description: script: {
        inherit description script;
        path = [
          pkgs.curl
          pkgs.dnsutils
          pkgs.getent
          pkgs.gnugrep
        ];
        serviceConfig = {
          Type = "oneshot";
          DynamicUser = true;
        };
        vpn = confine;
      };
      # curl's exit status for a connection refused by the kernel (7:
      # unreachable, or EPERM from the policy) or timed out (28).
      unreachable = url: ''
        rc=0
        curl -sf --max-time 5 ${url} || rc=$?
        echo "curl ${url}: exit $rc"
        [ "$rc" = 7 ] || [ "$rc" = 28 ]
      '';
      webRoot = pkgs.writeTextDir "index.html" "confined\n";
    in
    {
      environment.systemPackages = [
        pkgs.curl
        pkgs.dnsutils
        pkgs.nftables
        pkgs.iproute2
      ];

      # A long-running confined service with a port published to the host.
      systemd.services.confined-web = {
        wantedBy = [ "multi-user.target" ];
        serviceConfig = {
          DynamicUser = true;
          ExecStart = "${pkgs.python3}/bin/python3 -m http.server 9000 --bind 0.0.0.0 --directory ${webRoot}";
        };
        vpn = confine;
      };

      systemd.services.probe-tunnel = probe "reaches the server through the tunnel" ''
        test "$(curl -sf --max-time 10 http://10.100.0.1:8000/)" = 10.100.0.2
        test "$(curl -sf --max-time 10 http://10.100.0.254:8000/)" = 10.100.0.2
      '';

      systemd.services.probe-isolated = probe "cannot reach the real network" (
        unreachable "http://${serverIP}:8000/"
      );

      systemd.services.probe-dns = probe "resolves through the namespace's resolver only" ''
        grep -qx 'nameserver 10.100.0.1' /etc/resolv.conf
        grep -q '^hosts: files myhostname dns$' /etc/nsswitch.conf
        getent hosts web.vpn | grep -q '^10\.100\.0\.1 '
        test "$(dig +short +time=2 +tries=1 @10.100.0.1 web.vpn)" = 10.100.0.1
        # The host's resolver helpers are out of reach.
        if ls /run/nscd/ >/dev/null 2>&1; then
          echo "/run/nscd is accessible"
          exit 1
        fi
      '';

      systemd.services.probe-dns-blocked = probe "no DNS to anything but the resolver" ''
        for transport in +notcp +tcp; do
          rc=0
          dig +short +time=2 +tries=1 "$transport" @10.100.0.254 web.vpn || rc=$?
          echo "dig $transport @10.100.0.254: exit $rc"
          [ "$rc" = 9 ]
        done
      '';

      systemd.services.probe-allowlist = probe "egress limited to 10.100.0.1" (
        ''
          test "$(curl -sf --max-time 10 http://10.100.0.1:8000/)" = 10.100.0.2
        ''
        + unreachable "http://10.100.0.254:8000/"
      );
    };
}
