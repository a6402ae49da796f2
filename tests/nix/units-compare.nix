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
  # The stub has no systemd.paths: stub-paths.nix declares it.
  evalPaths =
    modules:
    let
      config = import ./eval-paths.nix { inherit fixture src lib; } modules;
    in
    {
      desired = config.services.vpnconf.desiredState;
      units =
        import (fixture + "/stub/unit-text.nix") { inherit lib config; }
        // import ./path-text.nix { inherit lib config; };
      scripts = lib.mapAttrs' (n: v: lib.nameValuePair "${n}.service" v.script) (
        lib.filterAttrs (n: _: lib.hasPrefix "vpnconf-port-" n) config.systemd.services
      );
    };
  # A port forwarding hook: the module keeps onChange out of the file (its
  # own units run it); the generator gets the same command in the file.
  portHook =
    pf:
    let
      e = evalPaths [
        managed
        { services.vpnconf.namespaces.vpnapps.portForwarding = pf; }
      ];
      command = lib.last (lib.filter (l: l != "") (lib.splitString "\n" e.scripts."vpnconf-port-vpnapps.service"));
    in
    e
    // {
      desired = lib.recursiveUpdate e.desired {
        namespaces.vpnapps.portForwarding.onChange = command;
      };
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
  # A port forwarding hook: onChange, and a ready-made client.
  porthook = portHook {
    mode = "natpmp";
    gateway = "10.2.0.1";
    onChange = "echo \"$VPNCONF_PORT\" 100% > /var/lib/client/port";
  };
  portclient = portHook {
    mode = "natpmp";
    gateway = "10.2.0.1";
    client = "transmission";
  };
  # Compat DNS.
  compat = eval [
    managed
    { services.vpnconf.namespaces.vpnapps.dns.mode = lib.mkForce "compat"; }
  ];
}
