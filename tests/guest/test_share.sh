#!/bin/sh
# ccidkit: two processes share one reader without a daemon
# (ccid/SHARING.md), on a real kernel: a guest with two virtual readers on
# usb-redir (one at extended-APDU level, one at TPDU level with T=1, whose
# block sequence numbers must pass from one process to the other).
# tests/guest/share.py does the work inside; this file boots the guest.
set -u
ME=test_share
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
CCIDKIT=${CCIDKIT:-$top_builddir/ccidkit}
export CCIDKIT
LIB=$top_builddir/pcsc-api/.libs/libpcsclite.so.1
[ -x "$CCIDKIT" ] || { echo "$ME: no ccidkit at $CCIDKIT" >&2; exit 99; }
[ -e "$LIB" ] || { echo "$ME: no $LIB (make pcsc-api/libpcsclite.la)" >&2; exit 99; }
command -v python3 >/dev/null 2>&1 || { echo "$ME: SKIP: python3 not found" >&2; exit 77; }
OUT=$(mktemp "${TMPDIR:-/tmp}/ccidkit-$ME.XXXXXX") || exit 99
trap 'rm -f "$OUT"' EXIT

CCIDKIT_LIBUSB= CCIDKIT_USBREDIR= \
	sh "$top_srcdir/tests/guest/run-guest.sh" \
	--vreader '--product ExtReader' \
	--vreader '--level tpdu --product TpduReader' \
	-- python3 "$top_srcdir/tests/guest/share.py" "$LIB" >"$OUT" 2>&1
rc=$?
cat "$OUT"
[ $rc -eq 77 ] && exit 77
[ $rc -eq 0 ] && grep -qx PASS "$OUT" || { echo "$ME: guest exit $rc" >&2; exit 1; }
exit 0
