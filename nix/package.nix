# The vpnconf package: the meson build, dynamically linked against nixpkgs'
# libraries, with the unit tests run in the build sandbox.
#
# Use with callPackage: `pkgs.callPackage ./nix/package.nix { }`.
{
  lib,
  stdenv,
  meson,
  ninja,
  pkg-config,
  python3,
  patchelf,
  sqlite,
  libnftnl,
  libmnl,
  libnl,
  systemd,
  libuuid,
  jansson,
}:

let
  # The version is the one meson.build declares, read at evaluation time
  # (a plain file read of the source, not a build).
  mesonLines = lib.splitString "\n" (builtins.readFile ../meson.build);
  versionLine = lib.findFirst (
    l: builtins.match "[[:space:]]*version: '[^']+',?[[:space:]]*" l != null
  ) (throw "vpnconf: no version in meson.build") mesonLines;
in
stdenv.mkDerivation (finalAttrs: {
  pname = "vpnconf";
  version = builtins.head (builtins.match "[[:space:]]*version: '([^']+)'.*" versionLine);

  # Only what the build reads: a working tree's build directories and
  # editor files must not change the source hash.
  src = lib.fileset.toSource {
    root = ../.;
    fileset = lib.fileset.unions [
      ../LICENSE
      ../meson.build
      ../meson_options.txt
      ../cli
      ../docs
      ../migrations
      ../reconciler
      ../store
      ../tests
    ];
  };

  outputs = [
    "out"
    "man"
  ];

  strictDeps = true;

  nativeBuildInputs = [
    meson
    ninja
    pkg-config
    python3 # migrations/embed.py
    patchelf
  ];

  buildInputs = [
    sqlite
    libnftnl
    libmnl
    libnl
    systemd # libsystemd: loaded at run time by vpnconf, linked by the agent (vpnconfd)
    libuuid
    jansson
  ];

  mesonFlags = [
    (lib.mesonBool "static-deps" false)
    # The qemu suite boots a VM; the NixOS tests in nix/tests cover that.
    (lib.mesonBool "vm-tests" false)
    # NixOS has no sbin on PATH.
    "--sbindir=${placeholder "out"}/bin"
  ];

  # The build sandbox has no root and no network namespaces of its own:
  # only the suites that need neither.
  doCheck = stdenv.buildPlatform.canExecute stdenv.hostPlatform;
  mesonCheckFlags = [
    "--suite"
    "unit"
    "--suite"
    "fuzz-corpus"
  ];

  # cli/log.c dlopen()s libsystemd.so.0 when it has an event for the
  # journal. dlopen() searches the RUNPATH of the calling object; the
  # fixup phase shrinks RUNPATH to the libraries the binary links, so the
  # entry is added after it.
  postFixup = ''
    patchelf --add-rpath ${lib.getLib systemd}/lib "$out/bin/vpnconf"
  '';

  doInstallCheck = stdenv.buildPlatform.canExecute stdenv.hostPlatform;
  installCheckPhase = ''
    runHook preInstallCheck
    test "$("$out/bin/vpnconf" --version)" = "vpnconf ${finalAttrs.version}"
    # "vpnconf daemon" runs the agent from libexec.
    test "$("$out/libexec/vpnconfd" --version)" = "vpnconf ${finalAttrs.version}"
    patchelf --print-rpath "$out/bin/vpnconf" | tr ':' '\n' | grep -qx '${lib.getLib systemd}/lib'
    test -e '${lib.getLib systemd}/lib/libsystemd.so.0'
    runHook postInstallCheck
  '';

  meta = {
    description = "Fail-closed WireGuard confinement for selected systemd services";
    longDescription = ''
      vpnconf runs selected systemd services in dedicated network
      namespaces whose only way out is a WireGuard interface, guarded by a
      deny-by-default nftables policy, strict DNS and IPv6 fail-closed. It
      is a transactional reconciler: every change is journaled and rolled
      back (or the namespace locked down) on failure.
    '';
    license = lib.licenses.mit;
    platforms = lib.platforms.linux;
    mainProgram = "vpnconf";
  };
})
