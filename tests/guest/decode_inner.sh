#!/bin/sh
# The inside part of test_decode_qemu.sh, run in the guest (as root, the
# root writable: CCIDKIT_GUEST_RW=1) with the vreaders attached:
#
#   decode_inner.sh PKGROOT LIBPCSCLITE CLIENT NREADERS APDU-HEX...
#
# PKGROOT: Debian's pcscd and libccid packages extracted (dpkg-deb -x), as
# bench_guest.sh fetches them; LIBPCSCLITE: pcsc-lite's libpcsclite.so.1;
# CLIENT: decode_client.py.  Installs libccid, starts pcscd in the
# foreground (in the background of this script), runs CLIENT (which sends
# the APDUs to each of the NREADERS readers), then stops pcscd (SIGTERM)
# and waits for it.  Prints CLIENT's output, prefixed "client: ", and the
# lines of pcscd's debug log that name the driver and the devices,
# prefixed "log: ".  Exit 0 when the client succeeded, pcscd used libccid
# and ended, 1 otherwise.
set -u
ME=decode-inner
die() { echo "$ME: $*" >&2; exit 1; }
[ $# -ge 5 ] || die "usage: $0 PKGROOT LIBPCSCLITE CLIENT NREADERS APDU-HEX..."
PKG=$1 LIB=$2 CLIENT=$3
shift 3
PCSCD=$PKG/usr/sbin/pcscd
BUNDLE=usr/lib/pcsc/drivers/ifd-ccid.bundle
[ -x "$PCSCD" ] || die "no pcscd in $PKG"
[ -f "$PKG/$BUNDLE/Contents/Linux/libccid.so" ] || die "no libccid in $PKG"
[ -f "$LIB" ] || die "no $LIB"
[ -f "$CLIENT" ] || die "no $CLIENT"

# pcscd looks for drivers in /usr/lib/pcsc/drivers only; the overlay root
# lives in the guest's RAM, the host never sees these files.
mkdir -p /usr/lib/pcsc/drivers /run/pcscd || die "the root is not writable (CCIDKIT_GUEST_RW=1?)"
cp -R "$PKG/$BUNDLE" /usr/lib/pcsc/drivers/ || die "cannot install libccid"
cp "$PKG/etc/libccid_Info.plist" /etc/libccid_Info.plist || die "cannot install Info.plist"

LOG=/run/decode-pcscd.log
"$PCSCD" -f -d >"$LOG" 2>&1 &
PCSCD_PID=$!

rc=0
/usr/bin/python3 "$CLIENT" "$LIB" "$@" >/run/decode-client.out 2>&1 || rc=1
sed 's/^/client: /' /run/decode-client.out

kill "$PCSCD_PID" 2>/dev/null
wait "$PCSCD_PID"
grep -q 'RFInitializeReader() Attempting startup of .*libccid\.so' "$LOG" || rc=1
grep -e 'RFInitializeReader() Attempting startup of' -e 'OpenUSBByName() Found Vendor/Product' "$LOG" |
	sed 's/^[0-9]* /log: /'
[ $rc -eq 0 ] || sed 's/^/pcscd: /' "$LOG" | tail -n 40
pgrep -x pcscd >/dev/null 2>&1 && { echo "pcscd still running"; rc=1; }
exit $rc
