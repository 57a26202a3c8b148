#!/usr/bin/env python3
# ccidkit: two processes share one reader, no daemon (ccid/SHARING.md).
# Runs inside the test guest (tests/guest/test_share.sh), where the readers
# are real USB devices claimed through libusb.
#
#   share.py LIBPCSCLITE               the conductor: starts two workers,
#                                      drives them, checks every answer
#   share.py LIBPCSCLITE --worker      one independent process with its own
#                                      SCARDCONTEXT: reads commands on stdin,
#                                      answers one line each on stdout
import ctypes, os, select, subprocess, sys, time

LIB = sys.argv[1]
D = ctypes.c_ulong

OK = 0
SHARING_VIOLATION = 0x8010000B
RESET_CARD = 0x80100068
STATE_EXCLUSIVE = 0x80
STATE_INUSE = 0x100
STATE_PRESENT = 0x20
ECHO = "80100000025AA5"
ECHO_RESP = "5aa59000"


# ---------------------------------------------------------------- worker
def worker():
    lib = ctypes.CDLL(LIB)

    class RS(ctypes.Structure):
        _fields_ = [("szReader", ctypes.c_char_p), ("pvUserData", ctypes.c_void_p),
                    ("dwCurrentState", D), ("dwEventState", D), ("cbAtr", D),
                    ("rgbAtr", ctypes.c_ubyte * 33)]

    class PCI(ctypes.Structure):
        _fields_ = [("dwProtocol", D), ("cbPciLength", D)]

    ctx = ctypes.c_long()
    h = ctypes.c_long()
    proto = D(0)
    rc = lib.SCardEstablishContext(2, None, None, ctypes.byref(ctx))
    print("ready %x" % (rc & 0xFFFFFFFF), flush=True)

    def u(rc):
        return rc & 0xFFFFFFFF

    def transmit(hexapdu):
        apdu = bytes.fromhex(hexapdu)
        pci = PCI(proto.value, 16)
        rbuf = ctypes.create_string_buffer(300)
        rlen = D(300)
        rc = lib.SCardTransmit(h, ctypes.byref(pci), apdu, D(len(apdu)), None,
                               rbuf, ctypes.byref(rlen))
        return u(rc), rbuf.raw[:rlen.value].hex() if rc == 0 else ""

    for line in sys.stdin:
        a = line.split()
        if not a:
            continue
        cmd = a[0]
        if cmd == "list":
            n = D(0)
            lib.SCardListReaders(ctx, None, None, ctypes.byref(n))
            buf = ctypes.create_string_buffer(max(n.value, 1))
            rc = lib.SCardListReaders(ctx, None, buf, ctypes.byref(n))
            names = [x.decode() for x in buf.raw[:n.value].split(b"\0") if x]
            out = "%x %s" % (u(rc), "|".join(names))
        elif cmd == "connect":  # connect READER SHARE
            rc = lib.SCardConnect(ctx, a[1].replace("_", " ").encode(), D(int(a[2])),
                                  D(3), ctypes.byref(h), ctypes.byref(proto))
            out = "%x %d" % (u(rc), proto.value)
        elif cmd == "reconnect":  # reconnect SHARE INIT
            rc = lib.SCardReconnect(h, D(int(a[1])), D(3), D(int(a[2])),
                                    ctypes.byref(proto))
            out = "%x %d" % (u(rc), proto.value)
        elif cmd == "disconnect":
            out = "%x" % u(lib.SCardDisconnect(h, D(int(a[1]))))
        elif cmd == "begin":
            out = "%x" % u(lib.SCardBeginTransaction(h))
        elif cmd == "end":
            out = "%x" % u(lib.SCardEndTransaction(h, D(int(a[1]))))
        elif cmd == "transmit":
            out = "%x %s" % transmit(a[1])
        elif cmd == "loop":  # loop N: N ECHOs, stop at the first failure
            n, rc, resp = 0, 0, ECHO_RESP
            while n < int(a[1]):
                rc, resp = transmit(ECHO)
                if rc != 0 or resp != ECHO_RESP:
                    break
                n += 1
            out = "%d %x %s" % (n, rc, resp)
        elif cmd == "status":
            state, p = D(0), D(0)
            atr = ctypes.create_string_buffer(33)
            alen = D(33)
            rc = lib.SCardStatus(h, None, None, ctypes.byref(state), ctypes.byref(p),
                                 atr, ctypes.byref(alen))
            out = "%x %x %s" % (u(rc), state.value & 0xFFFF, atr.raw[:alen.value].hex())
        elif cmd == "gsc":  # gsc READER CURRENT TIMEOUT_MS
            rs = RS(a[1].replace("_", " ").encode(), None, D(int(a[2], 16)), 0, 0)
            rc = lib.SCardGetStatusChange(ctx, D(int(a[3])), ctypes.byref(rs), D(1))
            out = "%x %x %s" % (u(rc), rs.dwEventState & 0xFFFF,
                                bytes(rs.rgbAtr[:rs.cbAtr]).hex())
        elif cmd == "exit":
            lib.SCardReleaseContext(ctx)
            print("bye", flush=True)
            return 0
        else:
            out = "?"
        print(out, flush=True)
    return 0


# ------------------------------------------------------------- conductor
fails = 0


def check(ok, what):
    global fails
    print(("ok - " if ok else "not ok - ") + what, flush=True)
    if not ok:
        fails += 1


class Worker:
    def __init__(self, name, env=None):
        self.name = name
        self.p = subprocess.Popen([sys.executable, __file__, LIB, "--worker"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True, bufsize=1,
                                  env=dict(os.environ, **(env or {})))
        self.pending = None

    def send(self, cmd):
        self.pending = cmd
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()

    def answer(self, secs=60):
        """The answer to the last command, or None when it is still blocked."""
        r, _, _ = select.select([self.p.stdout], [], [], secs)
        if not r:
            return None
        line = self.p.stdout.readline()
        return line.strip() if line else "EOF"

    def do(self, cmd, secs=60):
        self.send(cmd)
        got = self.answer(secs)
        return got if got is not None else "TIMEOUT"

    def kill(self):
        self.p.kill()
        self.p.wait()


def rc_of(ans):
    try:
        return int(ans.split()[0], 16)
    except (ValueError, IndexError):
        return -1


def scenario(reader, a, b):
    r = reader.replace(" ", "_")
    tag = "[%s]" % reader
    # 1. both connect SHARED, both exchange, alternately and at once
    x, y = a.do("connect %s 2" % r), b.do("connect %s 2" % r)
    check(rc_of(x) == OK and rc_of(y) == OK and x.split()[1] == y.split()[1],
          "%s A and B connect SHARED: %s / %s" % (tag, x, y))
    good = 0
    for i in range(10):
        good += a.do("transmit " + ECHO) == "0 " + ECHO_RESP
        good += b.do("transmit " + ECHO) == "0 " + ECHO_RESP
    check(good == 20, "%s 20 alternating ECHOs from A and B: %d right" % (tag, good))
    a.send("loop 150")
    b.send("loop 150")
    x, y = a.answer(120), b.answer(120)
    check(x == "150 0 " + ECHO_RESP and y == "150 0 " + ECHO_RESP,
          "%s A and B 150 ECHOs each at the same time: %s / %s" % (tag, x, y))
    sa, sb = a.do("status"), b.do("status")
    check(rc_of(sa) == OK and sa == sb and len(sa.split()) == 3,
          "%s both see the same state and ATR: %s / %s" % (tag, sa, sb))
    # 2. A's transaction holds B off until it ends
    check(a.do("begin") == "0", "%s A begins a transaction" % tag)
    b.send("transmit " + ECHO)
    y = b.answer(1.5)
    check(y is None, "%s B's Transmit waits during A's transaction (%s)" % (tag, y))
    check(a.do("transmit " + ECHO) == "0 " + ECHO_RESP, "%s A exchanges in its transaction" % tag)
    check(a.do("end 0") == "0", "%s A ends the transaction" % tag)
    y = b.answer(10) if y is None else y
    check(y == "0 " + ECHO_RESP, "%s then B's Transmit goes through: %s" % (tag, y))
    # 3. a reset by A is seen by B's handle, which recovers with Reconnect
    x = a.do("reconnect 2 1")
    check(rc_of(x) == OK, "%s A resets the card (Reconnect RESET): %s" % (tag, x))
    y = b.do("transmit " + ECHO)
    check(rc_of(y) == RESET_CARD, "%s B's next Transmit: SCARD_W_RESET_CARD: %s" % (tag, y))
    y = b.do("reconnect 2 0")
    check(rc_of(y) == OK, "%s B reconnects (LEAVE): %s" % (tag, y))
    y = b.do("transmit " + ECHO)
    check(y == "0 " + ECHO_RESP, "%s B exchanges again: %s" % (tag, y))
    x = a.do("transmit " + ECHO)
    check(x == "0 " + ECHO_RESP, "%s A still exchanges: %s" % (tag, x))
    # 4. EXCLUSIVE: refused while the other is connected, and excludes it
    x = a.do("reconnect 1 0")
    check(rc_of(x) == SHARING_VIOLATION,
          "%s A cannot go EXCLUSIVE while B is connected: %s" % (tag, x))
    check(b.do("disconnect 0") == "0", "%s B disconnects" % tag)
    x = a.do("reconnect 1 0")
    check(rc_of(x) == OK, "%s now A goes EXCLUSIVE: %s" % (tag, x))
    y = b.do("connect %s 2" % r)
    check(rc_of(y) == SHARING_VIOLATION,
          "%s B's SHARED Connect: SCARD_E_SHARING_VIOLATION: %s" % (tag, y))
    y = b.do("gsc %s 0 0" % r)
    ev = int(y.split()[1], 16) if rc_of(y) == OK else 0
    check(ev & STATE_EXCLUSIVE and ev & STATE_PRESENT and len(y.split()) == 3,
          "%s B's GetStatusChange: PRESENT|EXCLUSIVE and the ATR: %s" % (tag, y))
    check(a.do("transmit " + ECHO) == "0 " + ECHO_RESP, "%s A exchanges exclusively" % tag)
    check(a.do("reconnect 2 0").startswith("0 "), "%s A back to SHARED" % tag)
    y = b.do("connect %s 2" % r)
    check(rc_of(y) == OK, "%s B connects again: %s" % (tag, y))
    # 5. A dies in its transaction: the kernel drops its locks and claim
    check(a.do("begin") == "0", "%s A begins a transaction again" % tag)
    a.kill()
    y = b.do("transmit " + ECHO, 15)
    check(y == "0 " + ECHO_RESP, "%s A killed in its transaction: B goes on: %s" % (tag, y))
    check(b.do("disconnect 0") == "0", "%s B disconnects" % tag)


def conductor():
    a, b = Worker("A"), Worker("B")
    check(a.answer() == "ready 0" and b.answer() == "ready 0", "two contexts")
    # both processes see both readers (neither claims an idle reader)
    la, lb = a.do("list"), b.do("list")
    names = sorted(la.split(" ", 1)[1].split("|")) if rc_of(la) == OK else []
    check(len(names) == 2 and la == lb, "A and B list the same two readers: %s / %s" % (la, lb))
    for n in names:
        scenario(n, a, b)
        a = Worker("A")  # the killed one's successor
        check(a.answer() == "ready 0", "a new process A")
    # 6. the command line while a process holds a connection
    tpdu = [n for n in names if "Tpdu" in n]
    if tpdu:
        r = tpdu[0].replace(" ", "_")
        check(rc_of(a.do("connect %s 2" % r)) == OK, "A connects to %s" % tpdu[0])
        cli = subprocess.run([os.environ.get("CCIDKIT", "ccidkit"), "list"],
                             capture_output=True, text=True, timeout=60)
        check(cli.returncode == 0 and tpdu[0] in cli.stdout,
              "`ccidkit list` while A is connected: exit %d: %s" % (cli.returncode, cli.stdout.strip()))
        x = a.do("transmit " + ECHO)
        check(x == "0 " + ECHO_RESP, "A exchanges after the listing: %s" % x)
    for w in (a, b):
        w.do("exit")
        w.p.wait()
    # 7. a process that does not share (CCIDKIT_SHARE=0) keeps the readers:
    #    the others are told who to blame, and get them back when it ends
    ccidkit = os.environ.get("CCIDKIT", "ccidkit")
    c = Worker("C", {"CCIDKIT_SHARE": "0"})
    check(c.answer() == "ready 0", "a process with CCIDKIT_SHARE=0")
    cli = subprocess.run([ccidkit, "list"], capture_output=True, text=True, timeout=60)
    check(cli.returncode == 5 and "does not share it" in cli.stderr,
          "`ccidkit list` meanwhile: exit %d (5: busy), says why: %s" %
          (cli.returncode, cli.stderr.strip().splitlines()[-1:] if cli.stderr else ""))
    c.do("exit")
    c.p.wait()
    cli = subprocess.run([ccidkit, "list"], capture_output=True, text=True, timeout=60)
    check(cli.returncode == 0 and cli.stdout.count("\n") == 2,
          "`ccidkit list` after it ended: exit %d" % cli.returncode)
    print("PASS" if fails == 0 else "FAIL: %d" % fails, flush=True)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(worker() if "--worker" in sys.argv[2:] else conductor())
