# units-compare.py EVAL_JSON GENERATOR_DIR: the settings of each unit the
# generator wrote (a drop-in of a confined unit, or a publish unit) against
# the unit text the NixOS module evaluated to. For the settings vpnconf
# owns, the values must be the same; for ordering, the generator's must be
# among NixOS's (which adds the unit's own).
import json
import os
import sys

OWNED = {
    "NetworkNamespacePath", "BindReadOnlyPaths", "InaccessiblePaths",
    "CapabilityBoundingSet", "RestrictAddressFamilies",
    "DefaultDependencies", "Requires", "Conflicts", "ListenStream", "FreeBind",
    "Service", "DynamicUser", "NoNewPrivileges", "PrivateTmp", "PrivateDevices",
    "ProtectSystem", "ProtectHome", "ProtectKernelTunables", "ProtectKernelModules",
    "ProtectControlGroups", "RestrictNamespaces", "RestrictRealtime",
    "RestrictSUIDSGID", "LockPersonality", "MemoryDenyWriteExecute",
    "SystemCallArchitectures", "SystemCallFilter", "SocketBindAllow", "SocketBindDeny",
    "Type", "PathChanged", "PathModified", "Unit",
}
# NixOS adds the units of an external networking.wireguard tunnel, which
# have no counterpart elsewhere (docs/units.md).
SUBSET = {"After", "Before", "Wants", "BindsTo", "PartOf"}
IGNORED = {"Description", "Documentation", "ExecStart", "ExecStop"}
BOOL = {"true": "yes", "false": "no", "1": "yes", "0": "no"}


def settings(text, drop_own=None):
    """{key: [values...]} of a unit text, list values split on spaces."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith(("#", "[")) or "=" not in line:
            continue
        k, v = line.split("=", 1)
        if v == "" and k in ("RuntimeDirectory", "StateDirectory"):
            out.pop(k, None)  # an empty assignment resets the list
            continue
        v = BOOL.get(v, v)
        words = [v] if k.startswith("Exec") or k == "Description" else (v.split() or [""])
        if v.startswith("~"):
            words = [v]  # a "~" line restricts as a whole
        out.setdefault(k, []).extend(words)
    return out


LIFECYCLE = {
    "Type", "RemainAfterExit", "TimeoutStartSec", "StateDirectory", "StateDirectoryMode",
    "RuntimeDirectory", "RuntimeDirectoryMode", "RuntimeDirectoryPreserve",
    "CapabilityBoundingSet", "NoNewPrivileges", "RestrictNamespaces",
    "RestrictAddressFamilies", "SystemCallArchitectures", "SystemCallFilter",
    "SystemCallErrorNumber", "LockPersonality", "MemoryDenyWriteExecute",
    "RestrictRealtime", "RestrictSUIDSGID", "DevicePolicy", "UMask", "Before",
}


def lifecycle(nix_text, unit_path, dropin_path):
    """vpnconf.service as installed plus the generator's drop-in, against
    the module's: the same hardening, timeouts, directories, ordering and
    one teardown per namespace."""
    g = settings(open(unit_path).read() + open(dropin_path).read())
    n = settings(nix_text)
    problems = []
    for k in sorted(LIFECYCLE | set(g) | set(n)):
        if k in LIFECYCLE and sorted(g.get(k, [])) != sorted(n.get(k, [])):
            problems.append(f"vpnconf.service: {k}= installed {g.get(k)}, NixOS {n.get(k)}")
    for k in ("ExecStop", "ExecStart", "ExecReload"):
        tail = lambda vals: sorted(" ".join(v.split()[-2:]) for v in vals)
        if tail(g.get(k, [])) != tail(n.get(k, [])):
            problems.append(f"vpnconf.service: {k}= installed {g.get(k)}, NixOS {n.get(k)}")
    return problems


def hook_command(exec_start):
    """The shell text of a port hook's ExecStart=/bin/sh -c "...", with
    systemd's and the quoting's escapes undone."""
    prefix = '/bin/sh -c "'
    if not exec_start.startswith(prefix) or not exec_start.endswith('"'):
        return None
    body, out, i = exec_start[len(prefix):-1], "", 0
    while i < len(body):
        two = body[i:i + 2]
        if two in ("$$", "%%", '\\"', "\\\\"):
            out += two[1]
            i += 2
        else:
            out += body[i]
            i += 1
    return out


def port_hooks(ev, gdir):
    """A port hook runs the same lines on both (NixOS: a script file,
    generator: sh -c), and both start its path unit with vpnconf.service."""
    problems = []
    dropin = os.path.join(gdir, "vpnconf.service.d", "zz-vpnconf.conf")
    wants = settings(open(dropin).read()).get("Wants", []) if os.path.exists(dropin) else []
    for unit, script in ev.get("scripts", {}).items():
        path = unit[:-len(".service")] + ".path"
        f = os.path.join(gdir, unit)
        if not os.path.exists(f):
            problems.append(f"{unit}: not written by the generator")
            continue
        g = settings(open(f).read())
        got = hook_command(g.get("ExecStart", [""])[0])
        want = "; ".join(l for l in script.splitlines() if l)
        if got != want:
            problems.append(f"{unit}: ExecStart= runs {got!r}, NixOS's script {want!r}")
        if "WantedBy=vpnconf.service" not in ev["units"].get(path, "") or path not in wants:
            problems.append(f"{path}: not started with vpnconf.service on both ({wants})")
    return problems


def main():
    ev = json.load(open(sys.argv[1]))
    gdir = sys.argv[2]
    nix_units = ev["units"]
    problems = []
    checked = 0
    for root, _, files in os.walk(gdir):
        for f in files:
            rel = os.path.relpath(os.path.join(root, f), gdir)
            unit = rel.split("/")[0]
            if unit.endswith(".d"):
                unit = unit[:-2]
            if unit == "vpnconf.service":
                continue  # its own unit file, compared in units.md's terms below
            if unit not in nix_units:
                problems.append(f"{unit}: written by the generator, not made by the module")
                continue
            g = settings(open(os.path.join(root, f)).read())
            n = settings(nix_units[unit])
            for k, vals in g.items():
                if k in IGNORED:
                    continue
                have = n.get(k, [])
                if k in SUBSET:
                    if k in ("BindsTo", "PartOf") and sorted(vals) != sorted(
                            v for v in have if not v.startswith("wireguard-")):
                        problems.append(f"{unit}: {k}= generator {vals}, NixOS {have}")
                    missing = [v for v in vals if v not in have]
                    if missing:
                        problems.append(f"{unit}: {k}= {missing} missing on NixOS ({have})")
                elif k in OWNED:
                    if sorted(vals) != sorted(have):
                        problems.append(f"{unit}: {k}= generator {vals}, NixOS {have}")
                else:
                    problems.append(f"{unit}: {k}= not compared (add it to units-compare.py)")
            for k in OWNED:
                if k in n and k not in g and unit in ev["desired"].get("units", {}):
                    if k in ("NetworkNamespacePath", "BindReadOnlyPaths", "InaccessiblePaths",
                             "BindsTo", "PartOf"):
                        problems.append(f"{unit}: {k}= only on NixOS ({n[k]})")
            checked += 1
    if len(sys.argv) > 3:
        problems += lifecycle(nix_units["vpnconf.service"], sys.argv[3],
                              os.path.join(gdir, "vpnconf.service.d", "zz-vpnconf.conf"))
    want = len(ev["desired"].get("units", {}))
    want += 2 * sum(len(ns.get("publish", [])) for ns in ev["desired"]["namespaces"].values())
    want += 2 * sum(1 for ns in ev["desired"]["namespaces"].values()
                    if ns.get("portForwarding", {}).get("onChange"))
    problems += port_hooks(ev, gdir)
    if checked != want:
        problems.append(f"compared {checked} units, expected {want}")
    for p in problems:
        print("MISMATCH " + p)
    print(f"{checked} units compared, {len(problems)} mismatches")
    return 1 if problems else 0


sys.exit(main())
