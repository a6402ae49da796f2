#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A NAT-PMP gateway (RFC 6886) for the tests, scriptable through a
control file that is re-read for every request:

    {"mode": "grant" | "silent" | "malformed" | "refuse",
     "port": N, "lifetime": L, "restart": K}

grant      answers every mapping request with port N and lifetime L
           (whatever lifetime the client asked for);
silent     answers nothing;
malformed  first sends datagrams a careless parser would take for a grant
           of port 9999 (wrong version, truncated, too long, wrong opcode,
           zero port), then the real answer;
refuse     answers "not authorized";
epochflip  answers every request with a burst of grants whose epoch
           jumps between 0 and a large value and whose port alternates
           between N and N+2 (a hostile gateway making a client believe
           it restarted, again and again).
A new value of "restart" restarts the epoch at 0 (the gateway rebooted).
Deletions (lifetime 0) are acknowledged. Every request is appended to the
log file as "<monotonic seconds> <op> <internal> <suggested> <lifetime>".

With SENDLOG, every answer sent is appended to it as
"<monotonic seconds> <op> <port>" (for the benchmark).

usage: natpmp-gateway.py ADDRESS CONTROL LOG [SENDLOG]
"""
import json
import socket
import struct
import sys
import time

addr, control, log = sys.argv[1:4]
sendlog = sys.argv[4] if len(sys.argv) > 4 else None
start = time.monotonic()
restart_seen = 0

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, 5351))
open(log + ".ready", "w").close()

while True:
    data, peer = s.recvfrom(64)
    try:
        with open(control) as f:
            ctl = json.load(f)
    except (OSError, ValueError):
        continue
    if ctl.get("restart", 0) != restart_seen:
        start = time.monotonic()
        restart_seen = ctl.get("restart", 0)
    epoch = int(time.monotonic() - start)
    if len(data) != 12 or data[0] != 0 or data[1] not in (1, 2):
        continue
    op = data[1]
    internal, suggested, lifetime = struct.unpack("!HHI", data[4:12])
    with open(log, "a") as f:
        f.write("%.3f %s %d %d %d\n" % (time.monotonic(), "udp" if op == 1 else "tcp",
                                        internal, suggested, lifetime))
    mode = ctl.get("mode", "grant")
    if mode == "silent":
        continue
    if mode == "epochflip":
        for k in range(200):
            for e, p in ((1 << 30, 0), (0, 0), (0, ctl["port"] + 2 * (k % 2))):
                for o in (1, 2):
                    s.sendto(struct.pack("!BBHIHHI", 0, 128 + o, 0, e, internal, p or ctl["port"],
                                         ctl["lifetime"]), peer)
        continue
    if mode == "refuse":
        s.sendto(struct.pack("!BBHI", 0, 128 + op, 2, epoch), peer)
        continue
    if lifetime == 0:
        s.sendto(struct.pack("!BBHIHHI", 0, 128 + op, 0, epoch, internal, 0, 0), peer)
        continue
    good = struct.pack("!BBHIHHI", 0, 128 + op, 0, epoch, internal, ctl["port"],
                       ctl["lifetime"])
    if mode == "malformed":
        bad = struct.pack("!BBHIHHI", 0, 128 + op, 0, epoch, internal, 9999, ctl["lifetime"])
        for b in (b"\x01" + bad[1:], bad[:15], bad + b"\x00", bytes([0, op]) + bad[2:],
                  bad[:8], struct.pack("!BBHIHHI", 0, 128 + op, 0, epoch, internal, 0, 60),
                  struct.pack("!BBHIHHI", 0, 128 + op, 0, epoch, internal + 1, 9999, 60)):
            s.sendto(b, peer)
    s.sendto(good, peer)
    if sendlog:
        with open(sendlog, "a") as f:
            f.write("%.6f %s %d\n" % (time.monotonic(), "udp" if op == 1 else "tcp", ctl["port"]))
