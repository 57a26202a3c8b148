#!/bin/sh
# The traffic trace (ccid/trace.h): `ccidkit --trace SPEC` and
# CCIDKIT_TRACE against virtual readers at every exchange level, with the
# fault plans that change what crosses the wire.
#  - text: golden decoded traces (tests/integ/golden/trace-NAME.txt), times
#    and the socket path normalised ("+T", "READER");
#  - pcap: what tshark's USB CCID dissector makes of the file, and
#    `ccidkit decode` of it printing the same story as the text trace;
#  - secrets: a VERIFY's PIN in neither file unless --show-secrets;
#  - a real client under `ccidkit run` with CCIDKIT_TRACE=pcap:...
# TRACE_GOLDEN_UPDATE=1 rewrites the golden files (then review the diff).
. "$(dirname "$0")/lib.sh"
GOLDEN=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integ/golden

# norm FILE: times and the temporary socket path out of a text trace, and
# the interrupt pipe's NotifySlotChange, which arrives on its own thread
# at a moment of its own (the unit tests check its decoding)
norm() {
	sed -e 's/^+[0-9]*\.[0-9]\{6\} /+T /' -e "s|unix:$TMP/[a-z0-9_]*\.sock|READER|" \
		-e '/^+T READER ! RDR_to_PC_NotifySlotChange /d' "$1"
}

# golden NAME VREADER-OPTS -- CCIDKIT-ARGS...: run with a text trace,
# compare it with the golden file.
golden() {
	gname=$1; shift
	vopts=
	while [ "$1" != -- ]; do vopts="$vopts $1"; shift; done
	shift
	vname=g$(printf '%s' "$gname" | tr -c 'a-z0-9' '_')
	# shellcheck disable=SC2086
	vr_start "$vname" $vopts
	rm -f "$TMP/t.txt"
	"$CCIDKIT" --trace "text:$TMP/t.txt" "$@" >"$TMP/out" 2>"$TMP/err"
	norm "$TMP/t.txt" >"$TMP/t.norm"
	vr_stop "$vname"
	if [ -n "${TRACE_GOLDEN_UPDATE:-}" ]; then
		cp "$TMP/t.norm" "$GOLDEN/trace-$gname.txt"
	fi
	ok=1
	if ! diff -u "$GOLDEN/trace-$gname.txt" "$TMP/t.norm" >"$TMP/diff"; then
		echo "  trace differs from golden/trace-$gname.txt:"; head -60 "$TMP/diff"; ok=0
	fi
	verdict "golden trace: $gname ($*)" $ok
}

ECHO3='80 10 00 00 03 01 02 03 03'
VERIFY='00 20 00 81 08 31 32 33 34 FF FF FF FF'
golden tpdu-t1 --level tpdu -- apdu "$ECHO3"
golden tpdu-t1-chain --level tpdu --ifsc 16 -- apdu "80 10 00 00 28 $(pattern_hex 40) 28"
golden tpdu-t1-wtx --level tpdu --fault wtx:1 -- apdu "$ECHO3"
golden tpdu-t1-bad-edc --level tpdu --fault bad-edc:1 -- apdu "$ECHO3"
golden tpdu-t1-crc --level tpdu --t1-crc -- apdu "$ECHO3"
golden tpdu-t0 --level tpdu --card test-t0 -- apdu "$ECHO3"
golden tpdu-t0-case2 --level tpdu --card test-t0 -- apdu '80 12 00 08 08'
golden short --level short -- apdu "$ECHO3"
golden short-verify --level short -- apdu "$VERIFY"
golden extended-chain --level extended -- apdu "80 10 00 00 00 01 2C $(pattern_hex 300) 01 2C"
golden time-extension --level short --time-extension 2 -- apdu "$ECHO3"
golden split-replies --level short --fault split:2 -- apdu "$ECHO3"
golden stale-reply --level short --fault wrong-bseq:1 -- apdu "$ECHO3"
golden mute --level short --fault mute -- apdu "$ECHO3"
golden escape --level short --escape -- escape 01
CCIDKIT_TIMEOUT=3 golden lost-block --level short --fault lose-block:1 -- apdu "$ECHO3"

# ---- secrets -------------------------------------------------------
vr_start sec --level short
"$CCIDKIT" --trace "text:$TMP/s.txt,pcap:$TMP/s.pcap" apdu "$VERIFY" >/dev/null 2>&1
"$CCIDKIT" --show-secrets --trace "text:$TMP/s2.txt,pcap:$TMP/s2.pcap" apdu "$VERIFY" >/dev/null 2>&1
vr_stop sec
pin_hex='31 32 33 34'
ok=1
grep -q "$pin_hex" "$TMP/s.txt" && { echo "  the PIN is in the text trace"; ok=0; }
grep -q "masked: 8 bytes (PIN)" "$TMP/s.txt" || { echo "  no 'masked' line"; ok=0; }
grep -qa '1234' "$TMP/s.pcap" && { echo "  the PIN is in the pcap"; ok=0; }
verdict "secrets: a VERIFY's PIN is in neither the text nor the pcap" $ok
ok=1
grep -q "$pin_hex" "$TMP/s2.txt" || { echo "  --show-secrets: PIN not in the text"; ok=0; }
grep -qa '1234' "$TMP/s2.pcap" || { echo "  --show-secrets: PIN not in the pcap"; ok=0; }
verdict "secrets: --show-secrets shows them in both" $ok

# ---- pcap: tshark and ccidkit decode --------------------------------
vr_start pc --level tpdu
"$CCIDKIT" --trace "text:$TMP/p.txt,pcap:$TMP/p.pcap" apdu "$ECHO3" >/dev/null 2>&1
vr_stop pc
# the same story: both without their prefixes (time, device name)
sed -e 's/^+[0-9.]* [^ ]* //' "$TMP/p.txt" >"$TMP/p.live"
"$CCIDKIT" decode "$TMP/p.pcap" >"$TMP/p.dec" 2>"$TMP/err"; rc=$?
sed -e 's/^+[0-9.]* [^ ]* //' "$TMP/p.dec" >"$TMP/p.decn"
ok=1
[ $rc -eq 0 ] || { echo "  decode exit $rc: $(cat "$TMP/err")"; ok=0; }
diff -u "$TMP/p.live" "$TMP/p.decn" >"$TMP/diff" || { echo "  decode differs:"; head -40 "$TMP/diff"; ok=0; }
[ -s "$TMP/p.live" ] || { echo "  empty trace"; ok=0; }
verdict "ccidkit decode of the pcap prints what the text trace printed" $ok

if command -v tshark >/dev/null 2>&1; then
	# every CCID message, as the dissector names and numbers them
	grep -c '^+[0-9.]* [^ ]* [<>] ' "$TMP/p.txt" >"$TMP/nmsg"
	tshark -r "$TMP/p.pcap" -Y usbccid -T fields -e usbccid.bMessageType \
		-e usbccid.bSlot -e usbccid.bSeq >"$TMP/tshark" 2>"$TMP/err"
	sed -n 's/^+[0-9.]* [^ ]* [<>] \([A-Za-z_]*\) slot \([0-9]*\) seq \([0-9]*\).*/\1 \2 \3/p' \
		"$TMP/p.txt" >"$TMP/want.names"
	# tshark prints bMessageType as a number: map ours to theirs
	awk '{ printf "%s\t%s\t%s\n", $1, $2, $3 }' "$TMP/want.names" |
		sed -e 's/^PC_to_RDR_IccPowerOn/0x62/' -e 's/^PC_to_RDR_IccPowerOff/0x63/' \
		    -e 's/^PC_to_RDR_GetSlotStatus/0x65/' -e 's/^PC_to_RDR_XfrBlock/0x6f/' \
		    -e 's/^PC_to_RDR_SetParameters/0x61/' -e 's/^RDR_to_PC_DataBlock/0x80/' \
		    -e 's/^RDR_to_PC_SlotStatus/0x81/' -e 's/^RDR_to_PC_Parameters/0x82/' >"$TMP/want.tshark"
	ok=1
	diff -u "$TMP/want.tshark" "$TMP/tshark" >"$TMP/diff" ||
		{ echo "  tshark saw:"; head -30 "$TMP/diff"; cat "$TMP/err"; ok=0; }
	[ "$(cat "$TMP/nmsg")" -ge 6 ] || { echo "  only $(cat "$TMP/nmsg") messages"; ok=0; }
	verdict "tshark -Y usbccid decodes every message of the pcap (no Decode As)" $ok
else
	echo "not ok - tshark is not installed (tests/deps.sh installs it)"; FAIL=$((FAIL + 1))
fi

# ---- a real client under ccidkit run, traced by the environment ------
# an ASan build of the library needs its runtime preloaded into the
# uninstrumented client (as tests/clients/lib.sh does)
lib=${top_builddir:-$(dirname "$CCIDKIT")}/pcsc-api/.libs/libpcsclite.so.1
asan_rt=$(readelf -d "$lib" 2>/dev/null |
	sed -n 's/.*(NEEDED).*\[\(libasan[^]]*\)\].*/\1/p')
if command -v opensc-tool >/dev/null 2>&1; then
	vr_start cl --level short
	CCIDKIT_TRACE="pcap:$TMP/c%p.pcap,text:$TMP/c.txt" \
	LD_PRELOAD="${asan_rt:+$asan_rt }${LD_PRELOAD:-}" \
	ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
		"$CCIDKIT" run -- opensc-tool -a >"$TMP/out" 2>&1
	rc=$?
	vr_stop cl
	ok=1
	[ $rc -eq 0 ] || { echo "  opensc-tool -a exit $rc"; cat "$TMP/out"; ok=0; }
	ls "$TMP"/c[0-9]*.pcap >/dev/null 2>&1 || { echo "  no c<pid>.pcap"; ok=0; }
	grep -q ' SCardConnect: ' "$TMP/c.txt" || { echo "  no SCardConnect line"; ok=0; }
	grep -q ' SCardConnect -> 0x00000000 ' "$TMP/c.txt" || { echo "  no SCardConnect result"; ok=0; }
	grep -q '< RDR_to_PC_DataBlock slot 0 ' "$TMP/c.txt" || { echo "  no DataBlock"; ok=0; }
	verdict "CCIDKIT_TRACE under ccidkit run: a client's PC/SC calls and CCID traffic" $ok
else
	echo "not ok - opensc-tool is not installed (tests/deps.sh installs it)"; FAIL=$((FAIL + 1))
fi

finish
