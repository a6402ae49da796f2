# The NixOS module evaluated for the configurations that units-compare.sh
# compares with vpnconf-generator's output: the rendered desired state and
# the text of every confined and vpnconf unit, as NixOS would write them.
#   nix-instantiate --eval --strict --json units-compare.nix \
#     --arg fixture FIXTURE_DIR --arg src SRC -A CASE
{ fixture, src }:
let
  lib = import (fixture + "/nixpkgs-lib/lib");
  run = import (fixture + "/run.nix") { inherit src lib; };
  inherit (run.examples) managed;
  eval =
    modules:
    let
      config = run.evalConfig modules;
    in
    {
      desired = config.services.vpnconf.desiredState;
      units = import (fixture + "/stub/unit-text.nix") { inherit lib config; };
    };
  confined = extra: {
    enable = true;
    namespace = "vpnapps";
  } // extra;
in
{
  # Strict DNS, a service, a socket and its service, a service keeping its
  # capabilities, publish entries.
  strict = eval [
    managed
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
      services.vpnconf.namespaces.vpnapps.ingress.fromTunnel.udp = [ 51413 ];
      systemd.services.web = {
        serviceConfig.DynamicUser = true;
        vpn = confined { restrictBind = true; };
      };
      systemd.sockets.web = {
        listenStreams = [ "8080" ];
        vpn = confined { restrictBind = true; };
      };
      systemd.services.pinger = {
        serviceConfig.User = "pinger";
        vpn = confined { keepNetworkCapabilities = true; };
      };
    }
  ];
  # Strict DNS with the host's resolver IPC allowed, other paths.
  ipc = eval [
    managed
    {
      services.vpnconf.paths = {
        netnsDir = "/var/run/ns";
        runtimeDir = "/run/vc";
      };
      services.vpnconf.namespaces.vpnapps.dns.allowHostResolverIPC = true;
    }
  ];
  # The earlier module's README example, verbatim (nix/tests/examples.nix):
  # the generator must accept the file it renders.
  original = eval [ run.examples.original ];
  # Compat DNS.
  compat = eval [
    managed
    { services.vpnconf.namespaces.vpnapps.dns.mode = lib.mkForce "compat"; }
  ];
}
