# Listens where nscd and systemd-resolved's varlink service would, so that
# the VM test can tell a reachable socket from one made inaccessible to a
# confined unit. Accepts and closes; tells systemd when it listens.
import os
import socket

paths = ["/run/nscd/socket", "/run/systemd/resolve/io.systemd.Resolve"]
socks = []
for p in paths:
    os.makedirs(os.path.dirname(p), exist_ok=True)
    if os.path.exists(p):
        os.unlink(p)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(p)
    os.chmod(p, 0o666)
    s.listen(16)
    socks.append(s)
n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
addr = os.environ["NOTIFY_SOCKET"]
n.sendto(b"READY=1", "\0" + addr[1:] if addr.startswith("@") else addr)
import select
while True:
    r, _, _ = select.select(socks, [], [])
    for s in r:
        c, _ = s.accept()
        c.close()
