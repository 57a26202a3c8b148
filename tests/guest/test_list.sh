#!/bin/sh
# Guest test: `ccidkit` finds `ccidkit vreader` as a real USB reader through
# tp_libusb (libusb -> usbfs -> xhci -> QEMU usb-redir), with no usbredir
# shortcut: list, ECHO APDUs (short and a chained 4000-byte extended one),
# the descriptor as libusb read it, and two readers at once.
#
# On the host (no argument) it boots the guest twice through run-guest.sh
# and runs itself inside with `--inside one|two`; the inside part prints
# "ok - NAME" / "not ok - NAME" lines, which the host counts.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)

if [ "${1:-}" = --inside ]; then
	. "$HERE/../integ/lib.sh"
	# lib.sh turns real USB off; here it is the point.
	export CCIDKIT_LIBUSB=1
	unset CCIDKIT_USBREDIR
	case $2 in
	one)
		check "list: the vreader as a USB reader" 0 \
			"$(expect "0: ccidkit Virtual Reader 00 00: card present")" -- "$CCIDKIT" list
		check "apdu: short ECHO over usbfs" 0 \
			"$(expect "> 80 10 00 00 03 01 02 03 03" "< 01 02 03" "SW: 90 00 (success)")" \
			-- "$CCIDKIT" apdu '80 10 00 00 03 01 02 03 03'
		data=$(pattern_hex 4000)
		{ echo "> 80 10 00 00 00 0F A0 $data 00 00"; pattern_lines 4000
		  echo "SW: 90 00 (success)"; } >"$TMP/echo4000"
		check "apdu: 4000-byte extended ECHO over usbfs" 0 "$TMP/echo4000" \
			-- "$CCIDKIT" apdu "80 10 00 00 00 0F A0 $data 00 00"
		"$CCIDKIT" info >"$TMP/info" 2>&1
		ok=1
		for line in "Reader: ccidkit Virtual Reader 00 00" "  transport: libusb" \
			"  location: usb:001:002:0" "  idVendor: 0x1209" "  idProduct: 0x0001" \
			"  manufacturer: ccidkit" "  product: Virtual Reader" "  serial: (none)" \
			"  bInterfaceNumber: 0" "  interrupt endpoint: yes" "  slots: 1" \
			"  bLength: 54" "  dwFeatures: 0x000400BA" "  exchange level: extended APDU" \
			"  dwMaxCCIDMessageLength: 271" "  bMaxSlotIndex: 0 (1 slot)"; do
			grep -qxF -- "$line" "$TMP/info" || { echo "  info lacks: $line"; ok=0; }
		done
		[ $ok -eq 1 ] || sed 's/^/    /' "$TMP/info"
		verdict "info: the descriptor as tp_libusb read it" $ok
		;;
	two)
		# The two devices enumerate in an order QEMU decides; compare the
		# set of names and the indices separately.
		"$CCIDKIT" list >"$TMP/list" 2>"$TMP/err"; rc=$?
		ok=1
		[ $rc -eq 0 ] || { echo "  exit code $rc: $(cat "$TMP/err")"; ok=0; }
		cut -d' ' -f2- "$TMP/list" | sort >"$TMP/names"
		if ! diff -u "$(expect "ccidkit Virtual Reader (A1) 00 00: card present" \
			"ccidkit Virtual Reader (B2) 00 00: card present" \
			"ccidkit Virtual Reader (B2) 00 01: card present")" "$TMP/names"; then ok=0; fi
		[ "$(cut -d' ' -f1 "$TMP/list" | tr '\n' ' ')" = "0: 1: 2: " ] ||
			{ echo "  indices:"; cat "$TMP/list"; ok=0; }
		verdict "list: two vreaders (one with two slots), three USB reader slots" $ok
		for r in "A1) 00 00" "B2) 00 00" "B2) 00 01"; do
			b=$(echo "$r" | cut -c1-2)
			check "apdu -r '($r': ECHO on each reader and slot" 0 \
				"$(expect "> 80 10 00 00 02 $b 00 02" "< $b 00" "SW: 90 00 (success)")" \
				-- "$CCIDKIT" apdu -r "($r" "80 10 00 00 02 $b 00 02"
		done
		;;
	esac
	finish
	exit $?
fi

# ---- on the host ----
RUNGUEST=$HERE/run-guest.sh
PASS=0
FAIL=0
OUT=$(mktemp "${TMPDIR:-/tmp}/ccidkit-test_list.XXXXXX")
trap 'rm -f "$OUT"' EXIT

# guest NAME RUN-GUEST-OPTIONS...: boot, run the inside part NAME, count.
guest() {
	name=$1; shift
	sh "$RUNGUEST" "$@" -- sh "$HERE/test_list.sh" --inside "$name" >"$OUT" 2>&1
	rc=$?
	if [ $rc -eq 77 ]; then
		cat "$OUT"
		echo "test_list: SKIP: the guest cannot run here (see above)"
		exit 77
	fi
	cat "$OUT"
	PASS=$((PASS + $(grep -c '^ok - ' "$OUT")))
	FAIL=$((FAIL + $(grep -c '^not ok - ' "$OUT")))
	# the guest itself must have run the whole inside part
	if grep -q "^test_list: [0-9]* passed, [0-9]* failed$" "$OUT" && [ $rc -le 1 ]; then
		PASS=$((PASS + 1)); echo "ok - guest '$name' ran (exit $rc)"
	else
		FAIL=$((FAIL + 1)); echo "not ok - guest '$name' did not complete (exit $rc)"
	fi
}

guest one --vreader ''
guest two --vreader '--serial A1' --vreader '--serial B2 --slots 2'

echo "test_list: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
