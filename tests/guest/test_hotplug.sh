#!/bin/sh
# Guest test (tests/guest/run-guest.sh): real USB hotplug through libusb
# in a real kernel.  Two identical virtual readers (ur0, ur1).  Inside the
# guest ccidkit's libpcsclite must list them as "... 00 00" and "... 01 00"
# and exchange APDUs; we unplug ur1 (QMP device_del): it must leave the
# list (timed against the kernel's view in sysfs), its handle must get
# SCARD_E_READER_UNAVAILABLE or SCARD_W_REMOVED_CARD, the other must go on
# working; we plug it back: listed again within the polling period (the
# guest has no udevd, so no libusb hotplug events), same name, APDUs.
# Skips (77) when run-guest.sh does.
set -u
ME=test_hotplug
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
export top_srcdir top_builddir
CCIDKIT=${CCIDKIT:-$top_builddir/ccidkit}
export CCIDKIT
LIB=$top_builddir/pcsc-api/.libs/libpcsclite.so.1
[ -x "$CCIDKIT" ] || { echo "$ME: no ccidkit at $CCIDKIT" >&2; exit 99; }
[ -e "$LIB" ] || { echo "$ME: no $LIB (make pcsc-api/libpcsclite.la)" >&2; exit 99; }
command -v python3 >/dev/null 2>&1 || { echo "$ME: SKIP: python3 not found" >&2; exit 77; }
T=$(mktemp -d /tmp/ccidkit-hotplug.XXXXXX) || exit 99
GPID=
cleanup() {
	[ -n "$GPID" ] && kill "$GPID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() { echo "$ME: $*" >&2; }
# fail MESSAGE: what the guest said, then exit 1
fail() {
	say "$*"
	if [ -n "$GPID" ]; then wait "$GPID"; GPID=; fi
	cat "$T/guest.out"; cat "$T/guest.err" >&2
	exit 1
}

QMP="python3 $top_srcdir/tests/guest/qmp.py $T/qmp.sock"
# wait_for SECONDS COMMAND...: poll every 0.1 s
wait_for() {
	n=$(($1 * 10)); shift
	while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
	return 1
}

cat >"$T/watch.py" <<'PY'
# Inside the guest: ccidkit's libpcsclite (argv[1]) follows a real USB
# unplug/replug of one of two identical virtual readers.
import ctypes, os, sys, threading, time
lib = ctypes.CDLL(sys.argv[1])
D = ctypes.c_ulong
class RS(ctypes.Structure):
    _fields_ = [("szReader", ctypes.c_char_p), ("pvUserData", ctypes.c_void_p),
                ("dwCurrentState", D), ("dwEventState", D), ("cbAtr", D),
                ("rgbAtr", ctypes.c_ubyte * 33)]
class PCI(ctypes.Structure):
    _fields_ = [("dwProtocol", D), ("cbPciLength", D)]
fails = 0
def check(ok, what):
    global fails
    print(("ok - " if ok else "not ok - ") + what, flush=True)
    if not ok:
        fails += 1
def now(): return time.monotonic() * 1000.0
def vr_devs():
    out = []
    for d in os.listdir("/sys/bus/usb/devices"):
        try:
            with open("/sys/bus/usb/devices/%s/idVendor" % d) as f:
                if f.read().strip() == "1209":
                    out.append(d)
        except OSError:
            pass
    return sorted(out)
ctx = ctypes.c_long()
check(lib.SCardEstablishContext(2, None, None, ctypes.byref(ctx)) == 0, "SCardEstablishContext")
def readers():
    n = D(0)
    if lib.SCardListReaders(ctx, None, None, ctypes.byref(n)) != 0:
        return []
    buf = ctypes.create_string_buffer(n.value)
    if lib.SCardListReaders(ctx, None, buf, ctypes.byref(n)) != 0:
        return []
    return [x.decode() for x in buf.raw[:n.value].split(b"\0") if x]
def wait_count(want, secs):
    """PnP waits until the list has `want` readers; (list, ms at change)"""
    end = now() + secs * 1000
    while now() < end:
        cur = readers()
        if len(cur) == want:
            return cur, now()
        rs = RS(b"\\\\?PnP?\\Notification", None, D(len(cur) << 16), 0, 0)
        lib.SCardGetStatusChange(ctx, D(500), ctypes.byref(rs), D(1))
    return readers(), None
def echo(name, data=b"\x5A\xA5"):
    h = ctypes.c_long(); proto = D()
    rc = lib.SCardConnect(ctx, name.encode(), D(2), D(3), ctypes.byref(h), ctypes.byref(proto))
    if rc != 0:
        return rc, None, None
    return 0, h, proto.value
def transmit(h, proto, data=b"\x5A\xA5"):
    apdu = bytes([0x80, 0x10, 0, 0, len(data)]) + data
    pci = PCI(proto, 16)
    rbuf = ctypes.create_string_buffer(258); rlen = D(258)
    rc = lib.SCardTransmit(h, ctypes.byref(pci), apdu, D(len(apdu)), None, rbuf, ctypes.byref(rlen))
    return rc & 0xFFFFFFFF, rbuf.raw[:rlen.value] if rc == 0 else b""
names = ["ccidkit Virtual Reader 00 00", "ccidkit Virtual Reader 01 00"]
cur, _ = wait_count(2, 10)
check(cur == names, "two identical readers listed as %s" % cur)
handles = {}
for n in cur:
    rc, h, proto = echo(n)
    check(rc == 0, "SCardConnect %s" % n)
    if rc == 0:
        handles[n] = (h, proto)
        rc, resp = transmit(h, proto)
        check(rc == 0 and resp == b"\x5A\xA5\x90\x00", "ECHO on %s over real USB: %s" % (n, resp.hex()))
# unplugging mid-exchange: each reader is kept busy by a thread (ctypes
# lets go of the GIL in SCardTransmit) until an error or the end
stop = False
results = {}
def hammer(n, h, proto):
    count = 0
    while not stop:
        rc, resp = transmit(h, proto)
        if rc != 0 or resp != b"\x5A\xA5\x90\x00":
            results[n] = (rc, count)
            return
        count += 1
    results[n] = (0, count)
threads = {}
for n, (h, proto) in handles.items():
    threads[n] = threading.Thread(target=hammer, args=(n, h, proto))
    threads[n].start()
before = vr_devs()
print("READY-UNPLUG", flush=True)
# 2. the host unplugs one of them (QMP device_del): measure from the
#    moment sysfs loses the device to the moment PnP shows it
t_kernel = None
end = now() + 60000
cur = readers()
while now() < end and len(cur) == 2:
    if t_kernel is None and len(vr_devs()) < len(before):
        t_kernel = now()
    rs = RS(b"\\\\?PnP?\\Notification", None, D(len(cur) << 16), 0, 0)
    lib.SCardGetStatusChange(ctx, D(5), ctypes.byref(rs), D(1))
    cur = readers()
t_list = now()
check(len(cur) == 1, "one reader left after the unplug: %s" % cur)
if t_kernel is not None:
    ms = t_list - t_kernel
    check(ms <= 1500, "departure listed %.0f ms after sysfs lost the device (limit 1500)" % ms)
else:
    print("# departure listed before sysfs lost the device (the interrupt pipe's NO_DEVICE came first)")
gone = [n for n in names if n not in cur]
left = cur[0] if cur else None
if gone and gone[0] in threads:
    threads[gone[0]].join(10)
    check(not threads[gone[0]].is_alive(), "the exchange loop on the unplugged reader ended (no hang)")
    rc, count = results.get(gone[0], (None, 0))
    check(rc in (0x80100017, 0x80100069), "it ended with 0x%08X after %d ECHOs (READER_UNAVAILABLE or REMOVED_CARD)" % (rc or 0, count))
stop = True
if left in threads:
    threads[left].join(10)
    rc, count = results.get(left, (None, 0))
    check(rc == 0 and count > 0, "the other reader's loop ran on: 0x%08X after %d ECHOs" % (rc or 0, count))
if gone and gone[0] in handles:
    h, proto = handles[gone[0]]
    rc, _ = transmit(h, proto)
    check(rc in (0x80100017, 0x80100069), "Transmit on the unplugged reader: 0x%08X (READER_UNAVAILABLE or REMOVED_CARD)" % rc)
if left in handles:
    h, proto = handles[left]
    rc, resp = transmit(h, proto)
    check(rc == 0 and resp == b"\x5A\xA5\x90\x00", "the other reader goes on working: 0x%08X %s" % (rc, resp.hex()))
print("READY-PLUG", flush=True)
# 3. the host plugs it back: it comes back under its old name, listed
#    within the polling period (no udevd here: no hotplug events) of the
#    kernel's arrival
t_kernel = None
end = now() + 60000
n_now = len(vr_devs())
while now() < end and len(cur) < 2:
    if t_kernel is None and len(vr_devs()) > n_now:
        t_kernel = now()
    rs = RS(b"\\\\?PnP?\\Notification", None, D(len(cur) << 16), 0, 0)
    lib.SCardGetStatusChange(ctx, D(5), ctypes.byref(rs), D(1))
    cur = readers()
t_list = now()
check(t_kernel is not None, "the kernel saw the replugged device")
if t_kernel is not None:
    ms = t_list - t_kernel
    check(ms <= 2500, "arrival listed %.0f ms after the kernel's (limit 2500)" % ms)
# (listed in arrival order; the names are what must not change)
check(sorted(cur) == names, "replugged reader back under its old name: %s" % cur)
for n in cur:
    rc, h, proto = echo(n)
    ok = rc == 0
    if ok:
        rc, resp = transmit(h, proto)
        ok = rc == 0 and resp == b"\x5A\xA5\x90\x00"
    check(ok, "ECHO on %s after the replug" % n)
lib.SCardReleaseContext(ctx)
print("PASS" if fails == 0 else "FAIL: %d" % fails, flush=True)
sys.exit(1 if fails else 0)
PY

CCIDKIT_GUEST_BIND="$T ${CCIDKIT_GUEST_BIND:-}" CCIDKIT_LIBUSB= CCIDKIT_USBREDIR= \
	sh "$top_srcdir/tests/guest/run-guest.sh" --vreader '' --vreader '' \
	--qmp "$T/qmp.sock" -- python3 "$T/watch.py" "$LIB" \
	>"$T/guest.out" 2>"$T/guest.err" &
GPID=$!
# the rig may skip or fail before QEMU starts
if ! wait_for 120 test -S "$T/qmp.sock"; then
	wait "$GPID"; rc=$?; GPID=
	cat "$T/guest.err" >&2
	[ $rc -eq 77 ] && exit 77
	say "QEMU never opened its QMP socket (run-guest exit $rc)"; exit 1
fi
QMP_TIMEOUT=120 $QMP wait '^READY-UNPLUG' || fail "the guest never got ready"
$QMP unplug ur1 || fail "QMP unplug failed"
QMP_TIMEOUT=90 $QMP wait '^READY-PLUG' || fail "the guest did not see the unplug"
$QMP plug ur1 || fail "QMP plug failed"
wait "$GPID"; rc=$?; GPID=
cat "$T/guest.out"
[ $rc -eq 0 ] && [ -z "${CCIDKIT_DEBUG:-}" ] || cat "$T/guest.err" >&2
[ $rc -eq 0 ] || say "guest exit $rc"
[ $rc -eq 0 ] && grep -qx PASS "$T/guest.out" || exit 1
exit 0
