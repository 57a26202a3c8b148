#!/bin/sh
# Integration: `ccidkit uid / features / escape / atr / apdu` on the
# virtual reader models of issue 6 — contactless (PC/SC Part 3 firmware,
# MIFARE cards), PIN pad (Part 10), escape-answering and the plain contact
# reader — exact output and exit codes.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integ/lib.sh"

PLAIN="ccidkit Virtual Reader 00 00"
CTLS="ccidkit Virtual Contactless Reader 00 00"
PINPAD="ccidkit Virtual PIN-pad Reader 00 00"
MF1K_ATR="3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A"

for cmd in uid features escape; do
	"$CCIDKIT" $cmd --help >"$TMP/help" 2>&1; rc=$?
	ok=1; [ $rc -eq 0 ] || ok=0
	head -n 1 "$TMP/help" | grep -q "^Usage: ccidkit $cmd " || { echo "  first line: $(head -n 1 "$TMP/help")"; ok=0; }
	verdict "$cmd --help" $ok
done
"$CCIDKIT" --help >"$TMP/help"
ok=1
for cmd in uid features escape; do grep -q "^  $cmd " "$TMP/help" || ok=0; done
verdict "--help lists uid, features, escape" $ok
check_err "uid: extra argument" 2 "ccidkit uid: unexpected argument 'x'" -- "$CCIDKIT" uid x
check_err "escape: no command" 2 "ccidkit escape: give exactly one HEX command" -- "$CCIDKIT" escape
check_err "escape: bad hex" 2 "ccidkit escape: malformed command '0G': not a hex digit: 'G' at position 2" \
	-- "$CCIDKIT" escape 0G

# ---- contactless reader, MIFARE Classic 1K, UID chosen with --uid
vr_start c1k --reader contactless --card mifare-classic-1k --uid 04A22B1C
check "uid: MIFARE Classic 1K, --uid honoured" 0 "$(expect "UID: 04 A2 2B 1C")" -- "$CCIDKIT" uid

"$CCIDKIT" atr >"$TMP/atr"; rc=$?
ok=1; [ $rc -eq 0 ] || { echo "  exit code $rc"; ok=0; }
sed -n 1,2p "$TMP/atr" | diff - "$(expect "Reader: $CTLS" "ATR: $MF1K_ATR")" || ok=0
# the Part 3 decoding: RID, standard, card name
for want in "PC/SC Part 3: contactless storage card (RID A0 00 00 03 06)" \
	"  standard: 03 (ISO 14443 A part 3)" "  card name: 00 01 (MIFARE Classic 1K)"; do
	grep -qxF -- "$want" "$TMP/atr" || { echo "  decoded ATR lacks the line '$want':"; sed 's/^/    /' "$TMP/atr"; ok=0; }
done
verdict "atr: the PC/SC Part 3 storage-card ATR, decoded" $ok

# MIFARE Classic through Part 3: READ BINARY before authentication is
# refused; LOAD KEYS (transport key FF..FF, volatile slot 0), GENERAL
# AUTHENTICATE block 4 key A, UPDATE BINARY then READ BINARY block 4;
# block 5 in the same sector needs no new authentication; a wrong key
# slot is refused.
check "apdu: MIFARE LOAD KEYS, GENERAL AUTHENTICATE, UPDATE/READ BINARY" 0 "$(expect \
	"> FF B0 00 04 10" "SW: 69 82 (security status not satisfied)" \
	"> FF 82 00 00 06 FF FF FF FF FF FF" "SW: 90 00 (success)" \
	"> FF 86 00 00 05 01 00 04 60 00" "SW: 90 00 (success)" \
	"> FF D6 00 04 10 00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF" "SW: 90 00 (success)" \
	"> FF B0 00 04 10" "< 00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF" "SW: 90 00 (success)" \
	"> FF B0 00 05 10" "< 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00" "SW: 90 00 (success)")" \
	-- "$CCIDKIT" apdu 'FF B0 00 04 10' 'FF 82 00 00 06 FF FF FF FF FF FF' \
	'FF 86 00 00 05 01 00 04 60 00' \
	'FF D6 00 04 10 00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF' \
	'FF B0 00 04 10' 'FF B0 00 05 10'
check "apdu: GENERAL AUTHENTICATE with a wrong key fails" 0 "$(expect \
	"> FF 82 00 01 06 A0 A1 A2 A3 A4 A5" "SW: 90 00 (success)" \
	"> FF 86 00 00 05 01 00 08 60 01" "SW: 63 00 (warning: no information given (state changed))")" \
	-- "$CCIDKIT" apdu 'FF 82 00 01 06 A0 A1 A2 A3 A4 A5' 'FF 86 00 00 05 01 00 08 60 01'
# block 0: the UID, its BCC (04^A2^2B^1C = 91) then manufacturer data
"$CCIDKIT" apdu 'FF 82 00 00 06 FF FF FF FF FF FF' 'FF 86 00 00 05 01 00 00 60 00' 'FF B0 00 00 10' >"$TMP/b0"; rc=$?
ok=1; [ $rc -eq 0 ] || ok=0
sed -n 6p "$TMP/b0" | grep -q "^< 04 A2 2B 1C 91 " || { echo "  block 0:"; sed 's/^/    /' "$TMP/b0"; ok=0; }
verdict "apdu: MIFARE block 0 holds the --uid and its BCC" $ok

check "apdu: MIFARE Classic has no ATS: GET DATA P1 01 is 6A 81" 0 "$(expect \
	"> FF CA 01 00 00" "SW: 6A 81 (function not supported)")" -- "$CCIDKIT" apdu 'FF CA 01 00 00'
check_err "escape: the contactless reader without --escape refuses" 1 \
	"ccidkit: $CTLS: the reader refused the escape command (not supported by this reader or driver)" \
	-- "$CCIDKIT" escape 01
vr_cmd remove
check_err "uid: no card on the reader" 4 "ccidkit: $CTLS: no card in the reader" -- "$CCIDKIT" uid
vr_stop c1k

# ---- Ultralight (7-byte UID), 4K and ISO 14443-4 cards
vr_start ul --reader contactless --card mifare-ultralight --uid 04112233445566
check "uid: MIFARE Ultralight 7-byte UID" 0 "$(expect "UID: 04 11 22 33 44 55 66")" -- "$CCIDKIT" uid
"$CCIDKIT" atr >"$TMP/atr"
ok=1
sed -n 2p "$TMP/atr" | diff - "$(expect "ATR: 3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 03 00 00 00 00 68")" || ok=0
grep -qxF "  card name: 00 03 (MIFARE Ultralight)" "$TMP/atr" || { echo "  no card name"; ok=0; }
verdict "atr: MIFARE Ultralight" $ok
vr_stop ul
vr_start c4k --reader contactless --card mifare-classic-4k
"$CCIDKIT" atr >"$TMP/atr"
ok=1
sed -n 2p "$TMP/atr" | diff - "$(expect "ATR: 3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 02 00 00 00 00 69")" || ok=0
grep -qxF "  card name: 00 02 (MIFARE Classic 4K)" "$TMP/atr" || { echo "  no card name"; ok=0; }
verdict "atr: MIFARE Classic 4K" $ok
# no --uid: the vreader's documented default for MIFARE Classic
check "uid: MIFARE Classic 4K, default UID" 0 "$(expect "UID: 12 34 56 78")" -- "$CCIDKIT" uid
vr_stop c4k
vr_start t4 --reader contactless --card iso14443-4 --uid 08AABBCC
check "uid: ISO 14443-4 card" 0 "$(expect "UID: 08 AA BB CC")" -- "$CCIDKIT" uid
"$CCIDKIT" atr >"$TMP/atr"; rc=$?
ok=1; [ $rc -eq 0 ] || ok=0
# 3B 88 80 01, the ATS historical bytes "ccidkit4", TCK 46 (XOR of T0..)
sed -n 2p "$TMP/atr" | diff - "$(expect "ATR: 3B 88 80 01 63 63 69 64 6B 69 74 34 46")" || ok=0
grep -qxF "PC/SC Part 3: contactless ISO 14443-4 card (T=CL)" "$TMP/atr" || { echo "  not decoded as T=CL"; ok=0; }
verdict "atr: ISO 14443-4 form 3B 8n 80 01 + ATS historical bytes" $ok
# GET DATA through the reader's firmware: UID, the ATS historical bytes,
# and a too-short Le corrected with 6C (exact length)
check "apdu: ISO 14443-4 GET DATA UID, historical bytes, 6C xx" 0 "$(expect \
	"> FF CA 00 00 00" "< 08 AA BB CC" "SW: 90 00 (success)" \
	"> FF CA 01 00 00" "< 63 63 69 64 6B 69 74 34" "SW: 90 00 (success)" \
	"> FF CA 00 00 02" "SW: 6C 04 (wrong Le: exact length is 4)")" \
	-- "$CCIDKIT" apdu 'FF CA 00 00 00' 'FF CA 01 00 00' 'FF CA 00 00 02'
check "features: contactless reader" 0 "$(expect "Reader: $CTLS" \
	"Features (CM_IOCTL_GET_FEATURE_REQUEST):" \
	"  FEATURE_GET_TLV_PROPERTIES: tag 0x12, control code 0x42330012" \
	"  FEATURE_CCID_ESC_COMMAND: tag 0x13, control code 0x42000001" \
	"TLV properties (FEATURE_GET_TLV_PROPERTIES):" \
	"  wLcdLayout (tag 0x01): 0x0000" \
	"  bTimeOut2 (tag 0x03): 0" \
	"  bPPDUSupport (tag 0x09): 0x00" \
	"  dwMaxAPDUDataSize (tag 0x0A): 65536" \
	"  wIdVendor (tag 0x0B): 0x1209" \
	"  wIdProduct (tag 0x0C): 0x0002")" -- "$CCIDKIT" features
# the test-card applet runs behind T=CL: SELECT then ECHO
check "apdu: ISO 14443-4 card runs the test applet" 0 "$(expect \
	"> 00 A4 04 00 08 F0 63 63 69 64 6B 69 74" "SW: 90 00 (success)" \
	"> 80 10 00 00 02 CA FE 00" "< CA FE" "SW: 90 00 (success)")" \
	-- "$CCIDKIT" apdu '00 A4 04 00 08 F0 63 63 69 64 6B 69 74' '80 10 00 00 02 CA FE 00'
vr_stop t4

# ---- the plain contact reader: no UID, no escape
vr_start plain
check_err "uid: contact card has no UID (6A 81)" 1 \
	"ccidkit: $PLAIN: this card has no UID (contact card?): SW 6A 81 (function not supported)" \
	-- "$CCIDKIT" uid
check_err "escape: plain reader refuses" 1 \
	"ccidkit: $PLAIN: the reader refused the escape command (not supported by this reader or driver)" \
	-- "$CCIDKIT" escape 01
check "features: plain reader" 0 "$(expect "Reader: $PLAIN" \
	"Features (CM_IOCTL_GET_FEATURE_REQUEST):" \
	"  FEATURE_GET_TLV_PROPERTIES: tag 0x12, control code 0x42330012" \
	"  FEATURE_CCID_ESC_COMMAND: tag 0x13, control code 0x42000001" \
	"TLV properties (FEATURE_GET_TLV_PROPERTIES):" \
	"  wLcdLayout (tag 0x01): 0x0000" \
	"  bTimeOut2 (tag 0x03): 0" \
	"  bPPDUSupport (tag 0x09): 0x00" \
	"  dwMaxAPDUDataSize (tag 0x0A): 65536" \
	"  wIdVendor (tag 0x0B): 0x1209" \
	"  wIdProduct (tag 0x0C): 0x0001")" -- "$CCIDKIT" features
vr_stop plain

# ---- the escape-answering reader
vr_start esc --escape
# "ccidkit-vreader 1" in ASCII
check "escape 01: the vreader's identification" 0 \
	"$(expect "63 63 69 64 6B 69 74 2D 76 72 65 61 64 65 72 20 31")" -- "$CCIDKIT" escape 01
check "escape 01 with -r 0 and spaces" 0 \
	"$(expect "63 63 69 64 6B 69 74 2D 76 72 65 61 64 65 72 20 31")" -- "$CCIDKIT" escape -r 0 ' 01 '
# any other command D: the vreader answers EC || D (also for no data)
check "escape 02 A5: echoed after EC" 0 "$(expect "EC 02 A5")" -- "$CCIDKIT" escape '02 A5'
check "escape with no data" 0 "$(expect "EC")" -- "$CCIDKIT" escape ''
vr_cmd remove
check "escape needs no card" 0 \
	"$(expect "63 63 69 64 6B 69 74 2D 76 72 65 61 64 65 72 20 31")" -- "$CCIDKIT" escape 01
vr_stop esc

# ---- the PIN-pad reader: Part 10 PIN features and properties
vr_start pp --reader pinpad --pin 1234
check "features: PIN pad" 0 "$(expect "Reader: $PINPAD" \
	"Features (CM_IOCTL_GET_FEATURE_REQUEST):" \
	"  FEATURE_VERIFY_PIN_DIRECT: tag 0x06, control code 0x42330006" \
	"  FEATURE_MODIFY_PIN_DIRECT: tag 0x07, control code 0x42330007" \
	"  FEATURE_IFD_PIN_PROPERTIES: tag 0x0A, control code 0x4233000A" \
	"  FEATURE_GET_TLV_PROPERTIES: tag 0x12, control code 0x42330012" \
	"  FEATURE_CCID_ESC_COMMAND: tag 0x13, control code 0x42000001" \
	"TLV properties (FEATURE_GET_TLV_PROPERTIES):" \
	"  wLcdLayout (tag 0x01): 0x0210" \
	"  bEntryValidationCondition (tag 0x02): 0x07" \
	"  bTimeOut2 (tag 0x03): 0" \
	"  wLcdMaxCharacters (tag 0x04): 16" \
	"  wLcdMaxLines (tag 0x05): 2" \
	"  bPPDUSupport (tag 0x09): 0x00" \
	"  dwMaxAPDUDataSize (tag 0x0A): 65536" \
	"  wIdVendor (tag 0x0B): 0x1209" \
	"  wIdProduct (tag 0x0C): 0x0003" \
	"PIN properties (FEATURE_IFD_PIN_PROPERTIES):" \
	"  wLcdLayout: 0x0210 (2 lines of 16 characters)" \
	"  bEntryValidationCondition: 0x07 (maximum size reached, validation key pressed, timeout)" \
	"  bTimeOut2: 0")" -- "$CCIDKIT" features
check_err "uid: PIN-pad contact card has no UID" 1 \
	"ccidkit: $PINPAD: this card has no UID (contact card?): SW 6A 81 (function not supported)" \
	-- "$CCIDKIT" uid
vr_stop pp

finish
