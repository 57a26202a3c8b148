#!/bin/sh
# Guest test: `ccidkit decode` on a capture of ANOTHER stack.  pcscd +
# libccid (Debian's packages, fetched as bench_guest.sh does, never
# installed here) drive two `ccidkit vreader`s in the QEMU guest, under an
# identity libccid lists (1209:2702): one at the extended APDU level, one
# at the TPDU level (so T=1 blocks cross the wire).  A client on pcsc-lite's
# libpcsclite.so.1 (decode_client.py, ctypes) sends ECHO, PATTERN and a
# VERIFY (PIN 1234) to each.  QEMU writes each device's traffic as usbmon
# sees it (run-guest.sh's CCIDKIT_GUEST_USB_PCAP: usb-redir's pcap=); then,
# on the host, `ccidkit decode` of each capture must show exactly those
# APDUs (T=1 blocks around them at the TPDU level), the ATR, the PIN
# masked (shown with --show-secrets), its --type and --slot filters must
# hold, tshark's CCID dissector must count the same bulk messages with the
# same bMessageType and bSeq, and the APDU lines must be those of a
# capture of ccidkit's own stack (--trace pcap:) doing the same.
#
# QEMU (7.2) logs control transfers that usb-redir completes
# asynchronously (all of them) by their submission only: the capture holds
# the GET_DESCRIPTOR requests but never the descriptors.  ccidkit decode
# then finds the reader by the shape of its bulk traffic, and tshark needs
# to be told the device is CCID (-d usb.device==ADDRESS,usbccid).
#
# Environment: top_builddir, top_srcdir, CCIDKIT (as for the guest tests),
# CCIDKIT_GUEST_* (see run-guest.sh), DECODE_KEEP=DIR (copy the captures
# there).  Exit 0 pass, 1 fail, 77 cannot run here (QEMU without pcap, no
# packages, no tshark).
set -u
ME=test_decode_qemu
HERE=$(cd "$(dirname "$0")" && pwd)
skip() { echo "$ME: SKIP: $*" >&2; exit 77; }
. "$HERE/../integ/lib.sh"

VID=1209 PID=2702
ATR="    ATR 3B 88 81 31 FE 45 63 63 69 64 6B 69 74 31 C9 (T=1)"
ECHO=801000000301020303
PATTERN=8012001010
VERIFY=002000810831323334FFFFFFFF

# ---- what we need ----
command -v tshark >/dev/null 2>&1 || skip "tshark not found (apt-get install tshark)"
[ -x /usr/bin/python3 ] || skip "/usr/bin/python3 not found (apt-get install python3)"
SYSLIB=$(/sbin/ldconfig -p 2>/dev/null |
	sed -n 's/^[[:space:]]*libpcsclite\.so\.1 (libc6,x86-64) => \(.*\)$/\1/p' | head -n 1)
[ -n "$SYSLIB" ] && [ -f "$SYSLIB" ] ||
	skip "pcsc-lite's libpcsclite.so.1 is not installed (apt-get install libpcsclite1)"
case $(readlink -f "$SYSLIB") in
*/pcsc-api/*) skip "libpcsclite.so.1 in ld.so's cache is ccidkit's, not pcsc-lite's" ;;
esac
qemu=${QEMU:-qemu-system-x86_64}
command -v "$qemu" >/dev/null 2>&1 || skip "$qemu not found (apt-get install qemu-system-x86)"
"$qemu" -device usb-redir,help 2>/dev/null | grep -q '^ *pcap=' ||
	skip "$qemu's usb-redir has no pcap property"

# ---- pcscd and libccid: Debian's packages, extracted, not installed ----
# (the same cache directory as bench_guest.sh)
pkgs_broken() { skip "$@"; }
. "$HERE/pcscd-pkgs.sh"
pcscd_pkgs
grep -q "<string>0x$VID</string>" "$PKG/etc/libccid_Info.plist" ||
	skip "libccid's Info.plist does not list vendor $VID"

# ---- one guest boot: pcscd + libccid on two vreaders, QEMU capturing ----
mkdir "$TMP/cap" || exit 1
CCIDKIT_GUEST_RW=1 CCIDKIT_GUEST_USB_PCAP=$TMP/cap \
	sh "$HERE/run-guest.sh" \
	--vreader "--vid $VID --pid $PID --level extended" \
	--vreader "--vid $VID --pid $PID --level tpdu" -- \
	sh "$HERE/decode_inner.sh" "$PKG" "$SYSLIB" "$HERE/decode_client.py" 2 \
	"$ECHO" "$PATTERN" "$VERIFY" >"$TMP/guest" 2>&1
rc=$?
cat "$TMP/guest"
[ $rc -eq 77 ] && skip "the guest cannot run here (see above)"
[ -n "${DECODE_KEEP:-}" ] && mkdir -p "$DECODE_KEEP" && cp "$TMP"/cap/*.pcap "$DECODE_KEEP/"
[ $rc -eq 0 ] && ok=1 || ok=0
verdict "guest: pcscd + libccid drove both readers (exit $rc)" $ok

# the client's transcript, per reader (the order the readers were listed)
{
	for r in 00 01; do
		echo "client: reader F-Secure Foundry USB Armory Mk II $r 00"
		echo "client: protocol T=1"
		echo "client: > $ECHO"; echo "client: < 0102039000"
		echo "client: > $PATTERN"; echo "client: < 000102030405060708090A0B0C0D0E0F9000"
		echo "client: > $VERIFY"; echo "client: < 9000"
	done
} >"$TMP/client.want"
grep '^client: ' "$TMP/guest" >"$TMP/client.got"
diff -u "$TMP/client.want" "$TMP/client.got" && ok=1 || ok=0
verdict "guest: the client's APDUs and answers through pcsc-lite" $ok
n=$(grep -c '^log: .*RFInitializeReader() Attempting startup of .*libccid\.so' "$TMP/guest")
[ "$n" -eq 2 ] && ok=1 || ok=0
verdict "guest: pcscd started both readers with libccid ($n)" $ok
[ -s "$TMP/cap/ur0.pcap" ] && [ -s "$TMP/cap/ur1.pcap" ] && ok=1 || ok=0
verdict "guest: QEMU wrote a capture per device" $ok
[ $ok -eq 1 ] || { finish; exit 1; }

# ---- the decoding, per capture ----
# the APDU layer both levels must show (the PIN masked)
APDUS="    APDU > CLA 80 INS 10 P1 00 P2 00 Lc 3 Le 3
    APDU data 01 02 03
    APDU < SW 90 00 (success)
    APDU data 01 02 03
    APDU > CLA 80 INS 12 P1 00 P2 10 Le 16
    APDU < SW 90 00 (success)
    APDU data 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F
    APDU > CLA 00 INS 20 P1 00 P2 81 Lc 8 (VERIFY)
    masked: 8 bytes (PIN)
    APDU < SW 90 00 (success)"
# libccid's T=1 at the TPDU level: S(IFS) to IFSD 254, then one I-block
# each way per APDU, N(S) alternating
T1="    T=1 S(IFS request) FE LEN 1 LRC 0x3E ok
    T=1 S(IFS response) FE LEN 1 LRC 0x1E ok
    T=1 I(0) M=0 LEN 9 LRC 0x99 ok
    T=1 I(0) M=0 LEN 5 LRC 0x95 ok
    T=1 I(1) M=0 LEN 5 LRC 0xD7 ok
    T=1 I(1) M=0 LEN 18 LRC 0xC2 ok
    T=1 I(0) M=0 LEN 13 LRC 0xA0 ok
    T=1 I(0) M=0 LEN 2 LRC 0x92 ok"

# CCID bMessageType (CCID 1.1 §6.1, §6.2) of the names decode prints
msgtype() {
	case $1 in
	PC_to_RDR_IccPowerOn) echo 0x62 ;; PC_to_RDR_IccPowerOff) echo 0x63 ;;
	PC_to_RDR_GetSlotStatus) echo 0x65 ;; PC_to_RDR_XfrBlock) echo 0x6f ;;
	PC_to_RDR_GetParameters) echo 0x6c ;; PC_to_RDR_ResetParameters) echo 0x6d ;;
	PC_to_RDR_SetParameters) echo 0x61 ;; PC_to_RDR_Escape) echo 0x6b ;;
	PC_to_RDR_IccClock) echo 0x6e ;; PC_to_RDR_T0APDU) echo 0x6a ;;
	PC_to_RDR_Secure) echo 0x69 ;; PC_to_RDR_Mechanical) echo 0x71 ;;
	PC_to_RDR_Abort) echo 0x72 ;; PC_to_RDR_SetDataRateAndClockFrequency) echo 0x73 ;;
	RDR_to_PC_DataBlock) echo 0x80 ;; RDR_to_PC_SlotStatus) echo 0x81 ;;
	RDR_to_PC_Parameters) echo 0x82 ;; RDR_to_PC_Escape) echo 0x83 ;;
	RDR_to_PC_DataRateAndClockFrequency) echo 0x84 ;;
	*) echo "?$1" ;;
	esac
}

# only_events FILE NAME: the events named NAME with their indented lines
only_events() {
	awk -v n="$2" '/^\+/ { keep = ($4 == n) } keep' "$1"
}

for cap in ur0 ur1; do
	f=$TMP/cap/$cap.pcap
	case $cap in
	ur0) level=extended; want=$APDUS ;;
	ur1) level=tpdu; want="$T1
$APDUS" ;;
	esac
	echo "# ccidkit decode $cap.pcap ($level level):"
	"$CCIDKIT" decode "$f" >"$TMP/$cap.dec" 2>"$TMP/$cap.err"
	rc=$?
	cat "$TMP/$cap.dec"
	[ $rc -eq 0 ] && ! [ -s "$TMP/$cap.err" ] && ok=1 || ok=0
	[ $ok -eq 1 ] || { echo "  exit $rc, stderr:"; cat "$TMP/$cap.err"; }
	verdict "$cap ($level): ccidkit decode exits 0, nothing on stderr" $ok

	# one device, found as a CCID reader (by its bulk traffic: QEMU's
	# capture has no descriptor), all its events in the usbmon shape
	devs=$(grep '^+' "$TMP/$cap.dec" | cut -d' ' -f2 | sort -u)
	bad=$(grep '^+' "$TMP/$cap.dec" | grep -cvE '^\+[0-9]+\.[0-9]{6} [0-9]{3}:[0-9]{3} [<>!] ')
	[ "$(echo "$devs" | wc -w)" -eq 1 ] && [ "$bad" -eq 0 ] && ok=1 || ok=0
	verdict "$cap: one device ($devs), every event line well formed ($bad bad)" $ok
	bus=${devs%%:*} dev=${devs#*:}
	bus=$(expr "$bus" + 0) dev=$(expr "$dev" + 0)

	# the APDU layer (T=1 blocks at the TPDU level), exactly, in order
	grep -E '^    (APDU |masked|T=1 [ISR]\()' "$TMP/$cap.dec" >"$TMP/$cap.layer"
	printf '%s\n' "$want" | grep -E '^    (APDU |masked)' >"$TMP/want.apdu"
	printf '%s\n' "$want" | grep -E '^    T=1 ' >"$TMP/want.t1"
	grep -E '^    (APDU |masked)' "$TMP/$cap.layer" >"$TMP/$cap.apdu"
	grep -E '^    T=1 ' "$TMP/$cap.layer" >"$TMP/$cap.t1"
	diff -u "$TMP/want.apdu" "$TMP/$cap.apdu" && ok=1 || ok=0
	verdict "$cap: the APDUs, their data and status words, the PIN masked" $ok
	diff -u "$TMP/want.t1" "$TMP/$cap.t1" && ok=1 || ok=0
	verdict "$cap: the T=1 blocks ($(wc -l <"$TMP/want.t1") expected)" $ok
	# each I-block is followed by its APDU line (the layers in order)
	if [ $level = tpdu ]; then
		awk '/^    T=1 I\(/ { i = 1; next } i && /^    APDU [<>] / { n++ } { i = 0 } END { print n + 0 }' \
			"$TMP/$cap.layer" >"$TMP/n"
		[ "$(cat "$TMP/n")" -eq 6 ] && ok=1 || ok=0
		verdict "$cap: each T=1 I-block carries its APDU ($(cat "$TMP/n") of 6)" $ok
	fi

	# every PowerOn answered by a DataBlock with the test card's ATR; the
	# only ATR lines are those
	awk -v atr="$ATR" '
		/^\+/ { prev = cur; cur = $4; if (cur == "PC_to_RDR_IccPowerOn") on++; next }
		/^    ATR / {
			if ($0 == atr && cur == "RDR_to_PC_DataBlock" && prev == "PC_to_RDR_IccPowerOn") atrs++
			else bad++
		}
		END { print on + 0, atrs + 0, bad + 0 }' "$TMP/$cap.dec" >"$TMP/n"
	read -r on atrs bad <"$TMP/n"
	[ "$on" -ge 1 ] && [ "$on" -eq "$atrs" ] && [ "$bad" -eq 0 ] && ok=1 || ok=0
	verdict "$cap: IccPowerOn -> DataBlock with the ATR ($on power-ons, $atrs ATRs, $bad wrong)" $ok

	# --show-secrets: the PIN block instead of the mask, nothing else changes
	"$CCIDKIT" decode --show-secrets "$f" >"$TMP/$cap.sec" 2>&1; rc=$?
	sed 's/^    masked: 8 bytes (PIN)$/    APDU data 31 32 33 34 FF FF FF FF/' "$TMP/$cap.dec" >"$TMP/want"
	[ $rc -eq 0 ] && diff -u "$TMP/want" "$TMP/$cap.sec" && ok=1 || ok=0
	[ "$(grep -c '^    APDU data 31 32 33 34 FF FF FF FF$' "$TMP/$cap.sec")" -eq 1 ] || ok=0
	verdict "$cap: --show-secrets shows the VERIFY's PIN block" $ok

	# --type XfrBlock: the XfrBlock events of the full output, nothing else
	"$CCIDKIT" decode --type XfrBlock "$f" >"$TMP/$cap.xfr" 2>&1; rc=$?
	only_events "$TMP/$cap.dec" PC_to_RDR_XfrBlock >"$TMP/want"
	n=$(grep -c '^+' "$TMP/want")
	[ $rc -eq 0 ] && diff -u "$TMP/want" "$TMP/$cap.xfr" && ok=1 || ok=0
	case $level in extended) [ "$n" -eq 3 ] || ok=0 ;; tpdu) [ "$n" -eq 4 ] || ok=0 ;; esac
	verdict "$cap: --type XfrBlock ($n XfrBlocks)" $ok
	"$CCIDKIT" decode -t RDR_to_PC_DataBlock "$f" >"$TMP/$cap.db" 2>&1; rc=$?
	only_events "$TMP/$cap.dec" RDR_to_PC_DataBlock >"$TMP/want"
	[ $rc -eq 0 ] && [ -s "$TMP/want" ] && diff -u "$TMP/want" "$TMP/$cap.db" && ok=1 || ok=0
	verdict "$cap: --type RDR_to_PC_DataBlock" $ok

	# --slot 0: everything (one slot); --slot 1: no CCID message at all
	"$CCIDKIT" decode --slot 0 "$f" >"$TMP/$cap.s0" 2>&1; rc=$?
	[ $rc -eq 0 ] && diff -u "$TMP/$cap.dec" "$TMP/$cap.s0" && ok=1 || ok=0
	verdict "$cap: --slot 0 is all of it" $ok
	"$CCIDKIT" decode --slot 1 "$f" >"$TMP/$cap.s1" 2>&1; rc=$?
	[ $rc -eq 0 ] && ! grep -E ' (PC_to_RDR|RDR_to_PC)_[A-Za-z]+ slot [0-9]+ seq ' "$TMP/$cap.s1" &&
		ok=1 || ok=0
	verdict "$cap: --slot 1 shows no bulk message" $ok
	"$CCIDKIT" decode --device "$bus:$dev" "$f" >"$TMP/$cap.d" 2>&1; rc=$?
	[ $rc -eq 0 ] && diff -u "$TMP/$cap.dec" "$TMP/$cap.d" && ok=1 || ok=0
	verdict "$cap: --device $bus:$dev is all of it" $ok

	# tshark's CCID dissector: the same bulk messages (bMessageType, bSeq)
	sed -nE 's/^\+[0-9.]+ [0-9:]+ [<>] ([A-Za-z_]+) slot [0-9]+ seq ([0-9]+) .*/\1 \2/p' \
		"$TMP/$cap.dec" | while read -r name seq; do
		echo "$(msgtype "$name") $seq"
	done >"$TMP/$cap.ours"
	tshark -r "$f" -d "usb.device==$((bus * 65536 + dev)),usbccid" \
		-Y 'usbccid && usb.transfer_type == 0x03' \
		-T fields -e usbccid.bMessageType -e usbccid.bSeq 2>"$TMP/tshark.err" |
		tr '\t' ' ' >"$TMP/$cap.tshark"
	n=$(wc -l <"$TMP/$cap.ours")
	diff -u "$TMP/$cap.tshark" "$TMP/$cap.ours" >"$TMP/diff" && [ "$n" -gt 0 ] && ok=1 || ok=0
	[ $ok -eq 1 ] || { cat "$TMP/diff"; grep -v '^Running as user' "$TMP/tshark.err"; }
	verdict "$cap: tshark counts the same $n bulk CCID messages (bMessageType, bSeq)" $ok
	# (for the log: QEMU's control transfers, submissions and completions)
	echo "# $cap: control transfers in QEMU's capture:" \
		"$(tshark -r "$f" -Y "usb.transfer_type == 0x02 && usb.urb_type == 'S'" 2>/dev/null | wc -l) submitted," \
		"$(tshark -r "$f" -Y "usb.transfer_type == 0x02 && usb.urb_type == 'C'" 2>/dev/null | wc -l) completed"
done

# ---- the same APDUs through ccidkit's own stack, traced to pcap ----
# "decodes the same way": the APDU layer of ccidkit's own capture (on this
# machine, through usbredir) is that of libccid's, the PIN shown (the
# trace's show-secrets, decode's --show-secrets) and masked (the defaults)
for level in extended tpdu; do
	case $level in extended) c=ur0 ;; tpdu) c=ur1 ;; esac
	grep -E '^    (APDU |masked)' "$TMP/$c.sec" >"$TMP/$c.apdu.sec"
	for mode in shown masked; do
		case $mode in
		shown) spec=pcap:$TMP/own.pcap,show-secrets; dopt=--show-secrets want=$TMP/$c.apdu.sec ;;
		masked) spec=pcap:$TMP/own.pcap; dopt='' want=$TMP/$c.apdu ;;
		esac
		rm -f "$TMP/own.pcap"
		vr_start "own_$level" --vid "$VID" --pid "$PID" --level "$level"
		CCIDKIT_USBREDIR=unix:$TMP/own_$level.sock "$CCIDKIT" --trace "$spec" \
			apdu "$ECHO" "$PATTERN" "$VERIFY" >"$TMP/out" 2>&1
		rc=$?
		vr_stop "own_$level"
		# shellcheck disable=SC2086
		"$CCIDKIT" decode $dopt "$TMP/own.pcap" >"$TMP/own.dec" 2>&1 || rc=$?
		grep -E '^    (APDU |masked)' "$TMP/own.dec" >"$TMP/own.apdu"
		[ $rc -eq 0 ] && diff -u "$want" "$TMP/own.apdu" && ok=1 || ok=0
		if [ $ok -eq 0 ]; then
			cat "$TMP/out"; echo "  ccidkit decode $dopt of ccidkit's own trace:"; cat "$TMP/own.dec"
			cp "$TMP/own.pcap" "$TMP/cap/own-$level-$mode.pcap"
		fi
		verdict "$level: ccidkit's own pcap trace decodes to libccid's APDU lines ($c), PIN $mode" $ok
	done
done

if [ "$FAIL" -ne 0 ]; then
	mkdir -p "${TMPDIR:-/tmp}/$ME-failed" && cp "$TMP"/cap/*.pcap "${TMPDIR:-/tmp}/$ME-failed/" &&
		echo "$ME: the captures are kept in ${TMPDIR:-/tmp}/$ME-failed/"
fi
finish
