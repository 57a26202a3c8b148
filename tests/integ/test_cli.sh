#!/bin/sh
# Integration: `ccidkit` against `ccidkit vreader` over a unix socket.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integ/lib.sh"

check "version" 0 "$(expect "ccidkit 0.1.0")" -- "$CCIDKIT" --version
for cmd in list info atr apdu vreader; do
	"$CCIDKIT" $cmd --help >"$TMP/help" 2>&1; rc=$?
	ok=1; [ $rc -eq 0 ] || ok=0
	head -n 1 "$TMP/help" | grep -q "^Usage: ccidkit $cmd" || { echo "  first line: $(head -n 1 "$TMP/help")"; ok=0; }
	verdict "$cmd --help" $ok
done
"$CCIDKIT" --help >"$TMP/help"; rc=$?
ok=1; [ $rc -eq 0 ] || ok=0
for cmd in list info atr apdu vreader; do grep -q "^  $cmd " "$TMP/help" || ok=0; done
verdict "--help lists every command" $ok

vr_start ext
check "list: one reader, card present" 0 \
	"$(expect "0: ccidkit Virtual Reader 00 00: card present")" -- "$CCIDKIT" list

"$CCIDKIT" info >"$TMP/info" 2>&1
ok=1
for line in "Reader: ccidkit Virtual Reader 00 00" "  idVendor: 0x1209" "  idProduct: 0x0001" \
	"  manufacturer: ccidkit" "  product: Virtual Reader" "  slots: 1" \
	"  exchange level: extended APDU" "  dwMaxCCIDMessageLength: 271" "  bMaxSlotIndex: 0 (1 slot)"; do
	grep -qxF -- "$line" "$TMP/info" || { echo "  info lacks: $line"; ok=0; }
done
verdict "info: identity and descriptor" $ok

"$CCIDKIT" atr >"$TMP/atr"; rc=$?
ok=1
[ $rc -eq 0 ] || ok=0
sed -n 1,2p "$TMP/atr" | diff - "$(expect "Reader: ccidkit Virtual Reader 00 00" \
	"ATR: 3B 88 81 31 FE 45 63 63 69 64 6B 69 74 31 C9")" || ok=0
grep -q "T=1" "$TMP/atr" || { echo "  decoded ATR does not name T=1"; ok=0; }
verdict "atr: hex and decoding" $ok

check "apdu: short ECHO" 0 "$(expect "> 80 10 00 00 03 01 02 03 03" "< 01 02 03" "SW: 90 00 (success)")" \
	-- "$CCIDKIT" apdu '80 10 00 00 03 01 02 03 03'

check "apdu: several APDUs, SELECT, errors as status words" 0 "$(expect \
	"> 00 A4 04 00 08 F0 63 63 69 64 6B 69 74" "SW: 90 00 (success)" \
	"> 00 A4 04 00 02 3F 00" "SW: 6A 82 (file or application not found)" \
	"> 80 FF 00 00" "SW: 6D 00 (instruction not supported)" \
	"> 90 10 00 00" "SW: 6E 00 (class not supported)" \
	"> 80 16 00 00" "SW: 90 00 (success)")" \
	-- "$CCIDKIT" apdu '00A4040008F0636369646B6974' '00 A4 04 00 02 3F 00' '80 FF 00 00' '90 10 00 00' '80 16 00 00'

# 4000-byte ECHO: extended case 4, chained both ways (dwMaxCCIDMessageLength 271)
data=$(pattern_hex 4000)
{ echo "> 80 10 00 00 00 0F A0 $data 00 00"; pattern_lines 4000; echo "SW: 90 00 (success)"; } >"$TMP/echo4000"
check "apdu: 4000-byte extended ECHO" 0 "$TMP/echo4000" -- "$CCIDKIT" apdu "80 10 00 00 00 0F A0 $data 00 00"

{ echo "> 80 12 FF FF 00 00 00"; pattern_lines 65535; echo "SW: 90 00 (success)"; } >"$TMP/pattern"
check "apdu: 65535-byte PATTERN" 0 "$TMP/pattern" -- "$CCIDKIT" apdu "80 12 FF FF 00 00 00"

"$CCIDKIT" apdu '00 84 00 00 08' >"$TMP/chal"; rc=$?
ok=1; [ $rc -eq 0 ] || ok=0
[ "$(sed -n 2p "$TMP/chal" | wc -w)" -eq 9 ] || { echo "  GET CHALLENGE did not return 8 bytes"; ok=0; }
[ "$(sed -n 3p "$TMP/chal")" = "SW: 90 00 (success)" ] || ok=0
verdict "apdu: GET CHALLENGE 8" $ok

# card removal and insertion on the vreader's standard input
vr_cmd "remove"
check "list after remove: no card" 0 "$(expect "0: ccidkit Virtual Reader 00 00: no card")" -- "$CCIDKIT" list
check_err "apdu after remove: no card" 4 "ccidkit: ccidkit Virtual Reader 00 00: no card in the reader" \
	-- "$CCIDKIT" apdu '80 16 00 00'
vr_cmd "insert"
check "list after insert: card present" 0 "$(expect "0: ccidkit Virtual Reader 00 00: card present")" -- "$CCIDKIT" list
vr_stop ext

# reader selection on a 2-slot reader
vr_start two --slots 2 --serial 4711
check "list: two slots" 0 "$(expect "0: ccidkit Virtual Reader (4711) 00 00: card present" \
	"1: ccidkit Virtual Reader (4711) 00 01: card present")" -- "$CCIDKIT" list
check "apdu -r 1" 0 "$(expect "> 80 16 00 00" "SW: 90 00 (success)")" -- "$CCIDKIT" apdu -r 1 '80 16 00 00'
check "apdu -r substring" 0 "$(expect "> 80 16 00 00" "SW: 90 00 (success)")" -- "$CCIDKIT" apdu -r "00 01" '80 16 00 00'
check_err "-r ambiguous" 3 "ccidkit: '(4711)' matches several readers: 'ccidkit Virtual Reader (4711) 00 00' and 'ccidkit Virtual Reader (4711) 00 01'" \
	-- "$CCIDKIT" atr -r '(4711)'
check_err "-r unknown name" 3 "ccidkit: no reader name contains 'nosuch' (see 'ccidkit list')" \
	-- "$CCIDKIT" atr -r nosuch
check_err "-r index out of range" 3 "ccidkit: no reader number 5 (there are 2; see 'ccidkit list')" \
	-- "$CCIDKIT" atr -r 5
vr_stop two

# short-APDU reader: short works, extended refused clearly
vr_start short --level short
check "short reader: short ECHO" 0 "$(expect "> 80 10 00 00 02 CA FE" "< CA FE" "SW: 90 00 (success)")" \
	-- "$CCIDKIT" apdu '80 10 00 00 02 CA FE'
check_err "short reader: extended APDU refused, why" 1 \
	"ccidkit: this reader exchanges only short APDUs (at most 255 bytes of data in, 256 out)" \
	-- "$CCIDKIT" apdu '80 10 00 00 00 00 02 CA FE'
check_err "short reader: extended APDU refused" 1 \
	"ccidkit: ccidkit Virtual Reader 00 00: not supported by this reader or driver" \
	-- "$CCIDKIT" apdu '80 10 00 00 00 00 02 CA FE'
vr_stop short

# TPDU readers: the driver frames T=1 blocks and T=0 TPDUs itself
vr_start tpdu --level tpdu --ifsc 16
check "tpdu reader, T=1: atr" 0 - -- "$CCIDKIT" atr
"$CCIDKIT" info >"$TMP/info" 2>&1
ok=1; grep -qxF "  exchange level: TPDU" "$TMP/info" || ok=0
verdict "tpdu reader: info" $ok
data=$(pattern_hex 300)
{ echo "> 80 10 00 00 00 01 2C $data 01 2C"; pattern_lines 300; echo "SW: 90 00 (success)"; } >"$TMP/echo300"
check "tpdu reader, T=1 (IFSC 16): 300-byte ECHO chained" 0 "$TMP/echo300" \
	-- "$CCIDKIT" apdu "80 10 00 00 00 01 2C $data 01 2C"
vr_stop tpdu
vr_start tpdu0 --level tpdu --card test-t0 --envelope off
check "tpdu reader, T=0: case 4 through GET RESPONSE" 0 "$(expect "> 80 10 00 00 02 CA FE 02" "< CA FE" "SW: 90 00 (success)")" \
	-- "$CCIDKIT" apdu '80 10 00 00 02 CA FE 02'
check_err "tpdu reader, T=0 without ENVELOPE: extended APDU refused, why" 1 \
	"ccidkit: over T=0 an extended APDU needs ENVELOPE, which this card refuses" \
	-- "$CCIDKIT" apdu "80 10 00 00 00 01 2C $data 01 2C"
vr_stop tpdu0

# a reader that asks for time extensions, a card that only takes 1.8 V
vr_start slow --time-extension 3 --no-auto-voltage --card-voltage 1.8 --card test-t0
check "time extension + voltage fallback" 0 "$(expect "> 80 10 00 00 01 42 01" "< 42" "SW: 90 00 (success)")" \
	-- "$CCIDKIT" apdu '80 10 00 00 01 42 01'
"$CCIDKIT" atr >"$TMP/atr0"
check "test-t0 ATR" 0 "$(expect "ATR: 3B 08 63 63 69 64 6B 69 74 30")" -- sed -n 2p "$TMP/atr0"
vr_stop slow

finish
