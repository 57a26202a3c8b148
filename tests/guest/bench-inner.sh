#!/bin/sh
# The inside part of bench_guest.sh, run in the guest (as root, with the
# root writable: CCIDKIT_GUEST_RW=1) with one `ccidkit vreader` attached:
#
#   bench-inner.sh PKGROOT CLIENT LIBDIR SHORT EXT ROUNDS
#
# PKGROOT: Debian's pcscd and libccid packages extracted (dpkg-deb -x);
# CLIENT: bench_client, linked with the system's libpcsclite.so.1;
# LIBDIR: ccidkit's pcsc-api/.libs; SHORT and EXT APDUs in all, split
# over ROUNDS runs per stack.  Prints "STACK KEY VALUE" lines (STACK pcscd
# or ccidkit; keys as bench_client prints them, once per run), "STACK
# failed RC" for a run that failed, and "log ..." lines from pcscd's debug
# log.
set -u
ME=bench-inner
die() { echo "$ME: $*" >&2; exit 1; }
[ $# -eq 6 ] || die "usage: $0 PKGROOT CLIENT LIBDIR SHORT EXT ROUNDS"
PKG=$1 CLIENT=$2 LIBDIR=$3 SHORT=$4 EXT=$5 ROUNDS=$6
PCSCD=$PKG/usr/sbin/pcscd
BUNDLE=usr/lib/pcsc/drivers/ifd-ccid.bundle
[ -x "$PCSCD" ] || die "no pcscd in $PKG"
[ -f "$PKG/$BUNDLE/Contents/Linux/libccid.so" ] || die "no libccid in $PKG"
[ -f "$LIBDIR/libpcsclite.so.1" ] || die "no libpcsclite.so.1 in $LIBDIR"
[ -x "$CLIENT" ] || die "no $CLIENT"

# pcscd looks for drivers in /usr/lib/pcsc/drivers only; Info.plist is a
# link to /etc/libccid_Info.plist.  The root is an overlay in the guest's
# RAM: the host never sees these files.
mkdir -p /usr/lib/pcsc/drivers /run/pcscd || die "the root is not writable (CCIDKIT_GUEST_RW=1?)"
cp -R "$PKG/$BUNDLE" /usr/lib/pcsc/drivers/ || die "cannot install libccid"
cp "$PKG/etc/libccid_Info.plist" /etc/libccid_Info.plist || die "cannot install Info.plist"

# Both stacks talk to the USB device through usbfs; ccidkit's through
# libusb, not usbredir.
unset CCIDKIT_USBREDIR CCIDKIT_DEBUG
export CCIDKIT_LIBUSB=1

# Warm the page cache (the files come over 9p): a cold start measures the
# stacks, not the first read of their files.
for f in "$PCSCD" "$PKG/$BUNDLE/Contents/Linux/libccid.so" "$CLIENT" \
	"$LIBDIR/libpcsclite.so.1" /lib/x86_64-linux-gnu/libpcsclite.so.1 \
	/lib/x86_64-linux-gnu/libusb-1.0.so.0 /lib/x86_64-linux-gnu/libudev.so.1 \
	/lib/x86_64-linux-gnu/libsystemd.so.0; do
	[ -f "$f" ] && cat "$f" >/dev/null
done

LOG=/run/bench-pcscd.log
# run STACK CLIENT-ARGS...: one measured run, lines prefixed with STACK.
run() {
	stack=$1; shift
	case $stack in
	pcscd)
		out=$("$CLIENT" "$@" -- "$PCSCD" -f 2>/run/bench.err) ;;
	ccidkit)
		out=$(LD_LIBRARY_PATH=$LIBDIR "$CLIENT" "$@" 2>/run/bench.err) ;;
	esac
	rc=$?
	[ -s /run/bench.err ] && sed "s/^/$stack stderr: /" /run/bench.err >&2
	echo "$out" | sed "s/^/$stack /"
	[ $rc -eq 0 ] || echo "$stack failed $rc"
}

# 1. Proof that pcscd drives the reader through libccid: a short run with
#    pcscd's debug log, not measured.
"$CLIENT" -n 2 -m 1 -- "$PCSCD" -f -d >"$LOG" 2>&1
rc=$?
[ $rc -eq 0 ] || { echo "check failed $rc"; sed 's/^/check: /' "$LOG" | tail -n 20; }
[ "${BENCH_PCSCD_LOG:-0}" = 1 ] && sed 's/^/pcscd log: /' "$LOG" >&2
grep -m 1 'RFInitializeReader() Attempting startup of .*libccid\.so' "$LOG" | sed 's/^[0-9]* /log /'
grep -m 1 'OpenUSBByName() Found Vendor/Product' "$LOG" | sed 's/^[0-9]* /log /'

# 2. ROUNDS rounds, each one run per stack (a cold start, then SHORT/ROUNDS
#    and EXT/ROUNDS APDUs), in turn pcscd first and ccidkit first: a load
#    on the host that comes and goes weighs on both alike.
r=0
while [ $r -lt "$ROUNDS" ]; do
	n=$(( (SHORT + ROUNDS - 1 - r) / ROUNDS )) m=$(( (EXT + ROUNDS - 1 - r) / ROUNDS ))
	if [ $((r % 2)) -eq 0 ]; then
		run pcscd -n $n -m $m; run ccidkit -n $n -m $m
	else
		run ccidkit -n $n -m $m; run pcscd -n $n -m $m
	fi
	r=$((r + 1))
done
pgrep -x pcscd >/dev/null 2>&1 && echo "pcscd still running"
exit 0
