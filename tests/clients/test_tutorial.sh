#!/bin/sh
# pyscard's tutorial programs (tutorial_uid.py, tutorial_atr.py: what
# tests/demo.sh shows) through `ccidkit run` against the virtual
# contactless reader, with no pcscd: the UID from FF CA 00 00 00 and the
# PC/SC Part 3 ATR of the virtual MIFARE cards, exact output.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/clients/lib.sh"
here=$top_srcdir/tests/clients

# Debian's python3-pyscard is installed for the system's python3.
PY=/usr/bin/python3
"$PY" -c 'import smartcard.scard' 2>/dev/null ||
	skip "$PY cannot import pyscard (Debian package python3-pyscard; 'sh tests/deps.sh' installs it)"

CTLS="ccidkit Virtual Contactless Reader 00 00"

# tutorial 1 on MIFARE Classic 1K with a chosen UID
vr_start c1k --reader contactless --card mifare-classic-1k --uid 04A22B1C
client_check "tutorial 1: MIFARE Classic 1K, readers, connect, UID, 90 00" 0 "$(expect \
	"Readers: ['$CTLS']" \
	"Connected to: $CTLS" \
	"UID: 04 A2 2B 1C" \
	"90 00")" "" -- "$CK" run -- "$PY" "$here/tutorial_uid.py"

# tutorial 2: the Part 3 storage-card ATR (RID A0 00 00 03 06, standard
# 03 = ISO 14443-A part 3, card name 00 01 = MIFARE Classic 1K, TCK 6A)
client_check "tutorial 2: MIFARE Classic 1K ATR" 0 "$(expect \
	"Card in: $CTLS" \
	"ATR: 3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A")" "" \
	-- "$CK" run -- "$PY" "$here/tutorial_atr.py"

# tutorial 2 while no card is on the reader: waitforcard() blocks in
# SCardGetStatusChange until the card is tapped a second later.
vr_cmd remove
timeout -k 5 "$CLIENT_TIMEOUT" "$CK" run -- "$PY" "$here/tutorial_atr.py" >"$TMP/late" 2>"$TMP/late_err" &
late=$!
sleep 1
vr_cmd insert
wait $late; rc=$?
ok=1
[ $rc -eq 0 ] || { echo "  exit code $rc, expected 0"; ok=0; }
diff -u "$(expect "Card in: $CTLS" \
	"ATR: 3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A")" "$TMP/late" ||
	{ sed 's/^/    /' "$TMP/late_err"; ok=0; }
verdict "tutorial 2: card tapped while waitforcard() waits" $ok
vr_stop c1k

# the other storage cards: card names 00 02 / 00 03, TCK recomputed
vr_start c4k --reader contactless --card mifare-classic-4k --uid 11223344
client_check "tutorial 1: MIFARE Classic 4K UID" 0 "$(expect \
	"Readers: ['$CTLS']" "Connected to: $CTLS" "UID: 11 22 33 44" "90 00")" "" \
	-- "$CK" run -- "$PY" "$here/tutorial_uid.py"
client_check "tutorial 2: MIFARE Classic 4K ATR" 0 "$(expect "Card in: $CTLS" \
	"ATR: 3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 02 00 00 00 00 69")" "" \
	-- "$CK" run -- "$PY" "$here/tutorial_atr.py"
vr_stop c4k

vr_start ul --reader contactless --card mifare-ultralight --uid 04112233445566
client_check "tutorial 1: MIFARE Ultralight 7-byte UID" 0 "$(expect \
	"Readers: ['$CTLS']" "Connected to: $CTLS" "UID: 04 11 22 33 44 55 66" "90 00")" "" \
	-- "$CK" run -- "$PY" "$here/tutorial_uid.py"
client_check "tutorial 2: MIFARE Ultralight ATR" 0 "$(expect "Card in: $CTLS" \
	"ATR: 3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 03 00 00 00 00 68")" "" \
	-- "$CK" run -- "$PY" "$here/tutorial_atr.py"
vr_stop ul

# an ISO 14443-4 (T=CL) card: its ATR is 3B 88 80 01 + the ATS historical
# bytes ("ccidkit4") + TCK, and its default UID is the vreader's
vr_start t4 --reader contactless --card iso14443-4
client_check "tutorial 1: ISO 14443-4 card, default UID" 0 "$(expect \
	"Readers: ['$CTLS']" "Connected to: $CTLS" "UID: 04 A1 B2 C3 D4 E5 F6" "90 00")" "" \
	-- "$CK" run -- "$PY" "$here/tutorial_uid.py"
client_check "tutorial 2: ISO 14443-4 ATR from the ATS" 0 "$(expect "Card in: $CTLS" \
	"ATR: 3B 88 80 01 63 63 69 64 6B 69 74 34 46")" "" \
	-- "$CK" run -- "$PY" "$here/tutorial_atr.py"
vr_stop t4

finish
