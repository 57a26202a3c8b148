#!/bin/sh
# Guest test (tests/guest/run-guest.sh): USB hotplug through libusb's
# hotplug callbacks, in a guest that runs systemd-udevd
# (CCIDKIT_GUEST_UDEV=1; libusb hears of devices only through udevd).
#
# Two virtual readers: ur0 (serial STAY) stays, ur1 (serial HOT) is
# unplugged (QMP device_del) and plugged back (chardev-add + device_add)
# CYCLES times (5).  Inside the guest a program on ccidkit's libpcsclite
# waits in SCardGetStatusChange on "\\?PnP?\Notification" and must see
# "ccidkit Virtual Reader (HOT) 00 00" leave and come back under that name
# (ECHO on it after each return), "... (STAY) 00 00" staying throughout.
#
# Latencies are PRINTED, never asserted (TCG timing is not the machine's):
#   guest: sysfs lost/gained the device -> the PnP wait returned with the
#          new list (the kernel's view to the application's);
#   host:  the QMP command -> the guest's line about it reached the host
#          (QEMU, usb-redir, the guest kernel's enumeration, udevd, the
#          driver, the PnP wait and the serial port all included).
# The driver's log (CCIDKIT_DEBUG=3) must show the hotplug path: "usb:
# following libusb's hotplug events", one "hotplug event: left" and one
# "arrived" per cycle, and never the polling fallback's "no hotplug events
# here".  Skips (77) when run-guest.sh does.
set -u
ME=test_hotplug_udev
CYCLES=5
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
export top_srcdir top_builddir
CCIDKIT=${CCIDKIT:-$top_builddir/ccidkit}
export CCIDKIT
LIB=$top_builddir/pcsc-api/.libs/libpcsclite.so.1
[ -x "$CCIDKIT" ] || { echo "$ME: no ccidkit at $CCIDKIT" >&2; exit 99; }
[ -e "$LIB" ] || { echo "$ME: no $LIB (make pcsc-api/libpcsclite.la)" >&2; exit 99; }
command -v python3 >/dev/null 2>&1 || { echo "$ME: SKIP: python3 not found" >&2; exit 77; }
T=$(mktemp -d /tmp/ccidkit-hotplug-udev.XXXXXX) || exit 99
GPID=
cleanup() {
	[ -n "$GPID" ] && kill "$GPID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() { echo "$ME: $*" >&2; }
# fail MESSAGE: what the guest said, then exit 1 (the guest program
# gives up by itself after a step that does not come: wait for it)
fail() {
	say "$*"
	if [ -n "$GPID" ]; then wait "$GPID"; GPID=; fi
	cat "$T/guest.out"; cat "$T/guest.err" >&2
	exit 1
}

# wait_for SECONDS COMMAND...: poll every 0.1 s
wait_for() {
	n=$(($1 * 10)); shift
	while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
	return 1
}
cat >"$T/pnp.py" <<'PY'
# Inside the guest: ccidkit's libpcsclite (argv[1]) follows CYCLES
# (argv[2]) unplug/replug cycles of the HOT reader with a PnP wait.
import ctypes, os, sys, threading, time
lib = ctypes.CDLL(sys.argv[1])
CYCLES = int(sys.argv[2])
D = ctypes.c_ulong
class RS(ctypes.Structure):
    _fields_ = [("szReader", ctypes.c_char_p), ("pvUserData", ctypes.c_void_p),
                ("dwCurrentState", D), ("dwEventState", D), ("cbAtr", D),
                ("rgbAtr", ctypes.c_ubyte * 33)]
class PCI(ctypes.Structure):
    _fields_ = [("dwProtocol", D), ("cbPciLength", D)]
STAY = "ccidkit Virtual Reader (STAY) 00 00"
HOT = "ccidkit Virtual Reader (HOT) 00 00"
PNP = b"\\\\?PnP?\\Notification"
fails = 0
def check(ok, what):
    global fails
    print(("ok - " if ok else "not ok - ") + what, flush=True)
    if not ok:
        fails += 1
def now(): return time.monotonic() * 1000.0
def hot_in_sysfs():
    base = "/sys/bus/usb/devices"
    for d in os.listdir(base):
        try:
            with open("%s/%s/serial" % (base, d)) as f:
                if f.read().strip() == "HOT":
                    return True
        except OSError:
            pass
    return False
class Watch(threading.Thread):
    """the moment sysfs shows the HOT device present == want (1 ms polls)"""
    def __init__(self, want):
        super().__init__(daemon=True)
        self.want, self.t, self.stop = want, None, False
    def run(self):
        while not self.stop and self.t is None:
            if hot_in_sysfs() == self.want:
                self.t = now()
            time.sleep(0.001)
ctx = ctypes.c_long()
check(lib.SCardEstablishContext(2, None, None, ctypes.byref(ctx)) == 0, "SCardEstablishContext")
def readers():
    n = D(0)
    if lib.SCardListReaders(ctx, None, None, ctypes.byref(n)) != 0:
        return []
    buf = ctypes.create_string_buffer(n.value)
    if lib.SCardListReaders(ctx, None, buf, ctypes.byref(n)) != 0:
        return []
    return sorted(x.decode() for x in buf.raw[:n.value].split(b"\0") if x)
def pnp_until(want_hot, secs):
    """block in the PnP wait until HOT's presence is want_hot; returns
    (list, ms when the list showed it, PnP wake-ups taken)"""
    end = now() + secs * 1000
    cur = readers()
    wakes = 0
    while (HOT in cur) != want_hot and now() < end:
        rs = RS(PNP, None, D(len(cur) << 16), 0, 0)
        lib.SCardGetStatusChange(ctx, D(int(max(1, end - now()))), ctypes.byref(rs), D(1))
        wakes += 1
        cur = readers()
    return cur, now(), wakes
def echo(name):
    h = ctypes.c_long(); proto = D()
    rc = lib.SCardConnect(ctx, name.encode(), D(2), D(3), ctypes.byref(h), ctypes.byref(proto))
    if rc != 0:
        return "SCardConnect 0x%08X" % (rc & 0xFFFFFFFF)
    apdu = bytes([0x80, 0x10, 0, 0, 2, 0xC0, 0xDE])
    pci = PCI(proto.value, 16)
    rbuf = ctypes.create_string_buffer(258); rlen = D(258)
    rc = lib.SCardTransmit(h, ctypes.byref(pci), apdu, D(len(apdu)), None, rbuf, ctypes.byref(rlen))
    lib.SCardDisconnect(h, D(0))
    if rc != 0:
        return "SCardTransmit 0x%08X" % (rc & 0xFFFFFFFF)
    return rbuf.raw[:rlen.value].hex()
cur, _, _ = pnp_until(True, 20)
check(cur == [HOT, STAY], "both readers listed at start: %s" % cur)
lat = {"left": [], "arrived": []}
for c in range(1, CYCLES + 1):
    for want, ready, done, kind in ((False, "READY-UNPLUG", "GONE", "left"),
                                    (True, "READY-PLUG", "BACK", "arrived")):
        w = Watch(want)
        w.start()
        print("%s %d" % (ready, c), flush=True)
        cur, t_list, wakes = pnp_until(want, 60)
        # the sysfs watcher may lag the driver (an interrupt pipe's
        # NO_DEVICE can come first): give it a moment
        w.join(2)
        w.stop = True
        want_list = [HOT, STAY] if want else [STAY]
        check(cur == want_list, "cycle %d: HOT %s: %s" % (c, kind, cur))
        if cur != want_list:
            break
        if w.t is not None:
            ms = t_list - w.t
            lat[kind].append(ms)
            print("# cycle %d: %s: sysfs -> PnP list %.0f ms (%d PnP wake-ups)" % (c, kind, ms, wakes), flush=True)
        else:
            check(False, "cycle %d: sysfs never showed HOT %s" % (c, kind))
        print("%s %d" % (done, c), flush=True)
        if want:
            r = echo(HOT)
            check(r == "c0de9000", "cycle %d: ECHO on %s after the replug: %s" % (c, HOT, r))
    if fails:
        break  # (the host side gives up too, within 60 s)
r = echo(STAY)
check(r == "c0de9000", "ECHO on %s after %d cycles: %s" % (STAY, CYCLES, r))
for kind in ("left", "arrived"):
    v = sorted(lat[kind])
    if v:
        print("# guest sysfs -> PnP list, %s: min %.0f median %.0f max %.0f ms over %d" %
              (kind, v[0], v[len(v) // 2], v[-1], len(v)), flush=True)
lib.SCardReleaseContext(ctx)
print("PASS" if fails == 0 else "FAIL: %d" % fails, flush=True)
sys.exit(1 if fails else 0)
PY

cat >"$T/host.py" <<'PY'
# On the host: the CYCLES (argv[3]) unplug/replug cycles of ur1 over one
# QMP connection (the class of tests/guest/qmp.py, under argv[1]), each
# command timed to the guest's line about it in run-guest.sh's live
# SOCKET.stdout (polled every 5 ms).  Exit 1 with a message on failure.
import os, re, sys, time
sys.path.insert(0, os.path.join(sys.argv[1], "tests", "guest"))
import qmp
sock, cycles, dev = sys.argv[2], int(sys.argv[3]), "ur1"
def now(): return time.monotonic() * 1000.0
def wait_line(rx, secs):
    r = re.compile(rx)
    end = time.monotonic() + secs
    while time.monotonic() < end:
        try:
            with open(sock + ".stdout", errors="replace") as f:
                if any(r.search(line) for line in f):
                    return now()
        except OSError:
            pass
        time.sleep(0.005)
    qmp.die("no output line matching %r within %g s" % (rx, secs))
wait_line(r"^READY-UNPLUG 1$", 120)
q = qmp.Qmp(sock)
ident, path = qmp.vreader(sock, dev)[:2]
lat = {"left": [], "arrived": []}
for c in range(1, cycles + 1):
    wait_line(r"^READY-UNPLUG %d$" % c, 60)
    t0 = now()
    q.run("device_del", id=dev)
    lat["left"].append(wait_line(r"^GONE %d$" % c, 30) - t0)
    q.wait_event("DEVICE_DELETED", dev)  # (its chardev goes with it)
    wait_line(r"^READY-PLUG %d$" % c, 60)
    t0 = now()
    q.run("chardev-add", id=ident, backend={"type": "socket", "data": {
        "addr": {"type": "unix", "data": {"path": path}}, "server": False}})
    q.run("device_add", driver="usb-redir", chardev=ident, id=ident, bus="xhci.0")
    lat["arrived"].append(wait_line(r"^BACK %d$" % c, 30) - t0)
for kind, what, how in (("left", "device_del", "without"),
                        ("arrived", "chardev-add + device_add", "with")):
    v = lat[kind]
    print("# host: QMP %s -> the guest's list %s HOT, ms: %s (median %.0f)" %
          (what, how, " ".join("%.0f" % x for x in v), sorted(v)[len(v) // 2]))
PY

CCIDKIT_GUEST_BIND="$T ${CCIDKIT_GUEST_BIND:-}" CCIDKIT_LIBUSB= CCIDKIT_USBREDIR= \
	CCIDKIT_GUEST_UDEV=1 CCIDKIT_DEBUG=3 \
	CCIDKIT_GUEST_TIMEOUT=${CCIDKIT_GUEST_TIMEOUT:-300} \
	sh "$top_srcdir/tests/guest/run-guest.sh" --vreader '--serial STAY' --vreader '--serial HOT' \
	--qmp "$T/qmp.sock" -- python3 "$T/pnp.py" "$LIB" "$CYCLES" \
	>"$T/guest.out" 2>"$T/guest.err" &
GPID=$!
# the rig may skip or fail before QEMU starts
if ! wait_for 120 test -S "$T/qmp.sock"; then
	wait "$GPID"; rc=$?; GPID=
	cat "$T/guest.err" >&2
	[ $rc -eq 77 ] && exit 77
	say "QEMU never opened its QMP socket (run-guest exit $rc)"; exit 1
fi
python3 "$T/host.py" "$top_srcdir" "$T/qmp.sock" "$CYCLES" >"$T/host.out" ||
	fail "the host's side of the cycles failed"
wait "$GPID"; rc=$?; GPID=
cat "$T/guest.out" "$T/host.out"

# the driver's log: the hotplug path, never the polling fallback
fails=0
verdict() {
	if [ "$2" -eq 1 ]; then echo "ok - $1"; else echo "not ok - $1"; fails=$((fails + 1)); fi
}
n=$(grep -c "^ccidkit info: mgr_usb_start: usb: following libusb's hotplug events$" "$T/guest.err")
verdict "log: the manager follows libusb's hotplug events (once; $n)" $((n == 1))
n=$(grep -c -e 'no hotplug events here' -e 'udevd is not running' "$T/guest.err")
verdict "log: no polling fallback ($n lines)" $((n == 0))
n=$(grep -c '^ccidkit debug: mgr_usb_events: usb [0-9]*:[0-9]*: hotplug event: left$' "$T/guest.err")
verdict "log: one hotplug 'left' event per unplug ($n, want $CYCLES)" $((n == CYCLES))
n=$(grep -c '^ccidkit debug: mgr_usb_events: usb [0-9]*:[0-9]*: hotplug event: arrived$' "$T/guest.err")
verdict "log: one hotplug 'arrived' event per plug ($n, want $CYCLES)" $((n == CYCLES))
if [ $rc -ne 0 ] || [ $fails -ne 0 ]; then
	say "guest exit $rc; the driver's log:"
	grep -v '^ccidkit debug: .*: [<>] ' "$T/guest.err" | tail -n 60 >&2
fi
[ $rc -eq 0 ] && [ $fails -eq 0 ] && grep -qx PASS "$T/guest.out" || exit 1
exit 0
