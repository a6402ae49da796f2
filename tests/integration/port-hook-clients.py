#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Stand-ins for the Web APIs of qBittorrent (8080), Transmission (9091)
and Deluge (8112) on ADDRESS, enough for vpnconf-port-hook: each call that
would change the listening port is appended to LOG as
"<client> <port>"; protocol details are enforced (Transmission's session
id handshake, Deluge's login cookie, qBittorrent's form-encoded json).

usage: port-hook-clients.py ADDRESS LOG
"""
import json
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

addr, log = sys.argv[1:3]


def record(client, port):
    with open(log, "a") as f:
        f.write("%s %d\n" % (client, port))


class Base(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def reply(self, code, data=b"", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class Qbittorrent(Base):
    def do_POST(self):
        if self.path != "/api/v2/app/setPreferences":
            return self.reply(404)
        form = urllib.parse.parse_qs(self.body().decode())
        prefs = json.loads(form["json"][0])
        record("qbittorrent", int(prefs["listen_port"]))
        self.reply(200, b"Ok.")


class Transmission(Base):
    SID = "stand-in-session-1"

    def do_GET(self):
        self.do_POST()

    def do_POST(self):
        data = self.body()
        if self.headers.get("X-Transmission-Session-Id") != self.SID:
            return self.reply(409, b"", [("X-Transmission-Session-Id", self.SID)])
        req = json.loads(data)
        if req.get("method") == "session-set":
            record("transmission", int(req["arguments"]["peer-port"]))
        self.reply(200, b'{"result": "success", "arguments": {}}')


class Deluge(Base):
    def do_POST(self):
        req = json.loads(self.body())
        if req["method"] == "auth.login":
            ok = req["params"] == ["deluge"]
            return self.reply(200, json.dumps({"result": ok, "error": None,
                                               "id": req["id"]}).encode(),
                              [("Set-Cookie", "_session_id=standin; Path=/")] if ok else [])
        if "_session_id=standin" not in (self.headers.get("Cookie") or ""):
            return self.reply(200, b'{"result": null, "error": {"message": "Not authenticated"}}')
        if req["method"] == "core.set_config":
            ports = req["params"][0]["listen_ports"]
            assert ports[0] == ports[1] and req["params"][0]["random_port"] is False
            record("deluge", int(ports[0]))
        self.reply(200, json.dumps({"result": None, "error": None, "id": req["id"]}).encode())


servers = [ThreadingHTTPServer((addr, p), h)
           for p, h in ((8080, Qbittorrent), (9091, Transmission), (8112, Deluge))]
for s in servers[1:]:
    threading.Thread(target=s.serve_forever, daemon=True).start()
open(log + ".ready", "w").close()
servers[0].serve_forever()
