#!/usr/bin/env python3
"""Hot-unplug and re-plug run-guest.sh's virtual readers over QMP.

    qmp.py SOCKET unplug ID       device_del ID, wait for DEVICE_DELETED
    qmp.py SOCKET plug ID         chardev-add ID + device_add usb-redir ID
    qmp.py SOCKET card ID LINE    write LINE (insert, remove, ...) to the
                                  vreader's standard input
    qmp.py SOCKET wait REGEX      wait until the command's output has a
                                  line matching REGEX

SOCKET is run-guest.sh's --qmp; ID is ur0, ur1... (one per --vreader, in
order).  QEMU's device_del of a usb-redir device deletes its chardev too,
so a re-plug adds the chardev again, on the vreader's socket from
SOCKET.vreaders; the vreader accepts the new connection as its next client.
Every wait is bounded (QMP_TIMEOUT seconds, default 30); exit status 0 on
success, 1 with a message on stderr otherwise.
"""
import json
import os
import re
import socket
import sys
import time

TIMEOUT = float(os.environ.get("QMP_TIMEOUT", "30"))


def die(msg):
    sys.stderr.write("qmp.py: %s\n" % msg)
    sys.exit(1)


class Qmp:
    def __init__(self, path):
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX)
                self.s.settimeout(TIMEOUT)
                self.s.connect(path)
                break
            except OSError as e:
                self.s.close()
                if time.monotonic() > deadline:
                    die("cannot connect to %s: %s" % (path, e))
                time.sleep(0.1)
        self.f = self.s.makefile("rw")
        self.events = []
        self.read()  # the greeting
        self.run("qmp_capabilities")

    def read(self):
        line = self.f.readline()
        if not line:
            die("QEMU closed the QMP connection")
        return json.loads(line)

    def run(self, cmd, **args):
        """One command; its "return" value, or exit with its error."""
        msg = {"execute": cmd}
        if args:
            msg["arguments"] = args
        self.f.write(json.dumps(msg) + "\n")
        self.f.flush()
        while True:
            r = self.read()
            if "return" in r:
                return r["return"]
            if "error" in r:
                die("%s: %s" % (cmd, r["error"].get("desc", r["error"])))
            self.events.append(r)

    def wait_event(self, name, device):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            for e in self.events:
                if e.get("event") == name and e.get("data", {}).get("device") == device:
                    return
            self.events = []
            self.events.append(self.read())
        die("no %s for %s within %g s" % (name, device, TIMEOUT))


def vreader(sock, ident):
    with open(sock + ".vreaders") as f:
        for line in f:
            parts = line.split()
            if parts and parts[0] == ident:
                return parts
    die("no vreader %s in %s.vreaders" % (ident, sock))


def wait_output(sock, pattern):
    rx = re.compile(pattern)
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            with open(sock + ".stdout", errors="replace") as f:
                if any(rx.search(line) for line in f):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    die("no output line matching %r within %g s" % (pattern, TIMEOUT))


def main(argv):
    if len(argv) < 3:
        die("usage: qmp.py SOCKET unplug|plug|card|wait ...")
    sock, op = argv[1], argv[2]
    if op == "wait" and len(argv) == 4:
        wait_output(sock, argv[3])
    elif op == "card" and len(argv) == 5:
        with open(vreader(sock, argv[3])[2], "w") as f:
            f.write(argv[4] + "\n")
    elif op == "unplug" and len(argv) == 4:
        q = Qmp(sock)
        q.run("device_del", id=argv[3])
        q.wait_event("DEVICE_DELETED", argv[3])
    elif op == "plug" and len(argv) == 4:
        ident, path = vreader(sock, argv[3])[:2]
        q = Qmp(sock)
        q.run("chardev-add", id=ident, backend={"type": "socket", "data": {
            "addr": {"type": "unix", "data": {"path": path}},
            "server": False}})
        q.run("device_add", driver="usb-redir", chardev=ident, id=ident, bus="xhci.0")
    else:
        die("usage: qmp.py SOCKET unplug|plug|card|wait ...")


if __name__ == "__main__":
    main(sys.argv)
