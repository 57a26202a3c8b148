#!/bin/sh
# pyscard (python3-pyscard) through `ccidkit run` against `ccidkit vreader`:
# pyscard's two tutorial programs and an ECHO, exact output.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/clients/lib.sh"
here=$top_srcdir/tests/clients

# pyscard may be installed for the system's python3 only (Debian's package),
# not for a python3 that comes first on the PATH (pyenv, a venv).
PY=
for p in python3 /usr/bin/python3; do
	if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import smartcard.scard' 2>/dev/null; then
		PY=$p; break
	fi
done
[ -n "$PY" ] || skip "no python3 with pyscard (Debian package python3-pyscard; 'sh tests/deps.sh' installs it)"

vr_start card
# GET DATA (FF CA 00 00, a PC/SC Part 3 pseudo-APDU that contactless
# readers answer with the UID) on a contact reader: the driver answers
# 6A 81 (function not supported: a contact card has no UID) and sends
# nothing to the card (ccid/pseudo_apdu.c).  pcscd + libccid would pass it
# to the card, which says 6E 00.
check_gd=$(expect "readers: ['ccidkit Virtual Reader 00 00']" "GET DATA: data [], SW 6A 81")
client_check "tutorial 1: readers()[0], connect, GET DATA" 0 "$check_gd" "" \
	-- "$CK" run -- "$PY" "$here/pyscard_readers.py"

printf '%s\n' "reader: ccidkit Virtual Reader 00 00" "ATR: 3B 88 81 31 FE 45 63 63 69 64 6B 69 74 31 C9" \
	"GET DATA: data [], SW 6A 81" >"$TMP/want_cr"
client_check "tutorial 2: CardRequest(AnyCardType).waitforcard, ATR, GET DATA" 0 "$TMP/want_cr" "" \
	-- "$CK" run -- "$PY" "$here/pyscard_cardrequest.py"

client_check "ECHO through a connection and through smartcard.scard" 0 "$(expect \
	"ECHO: 01 02 03, SW 90 00" \
	"SCardEstablishContext: Command successful." \
	"SCardListReaders: Command successful. ['ccidkit Virtual Reader 00 00']" \
	"SCardConnect: Command successful. T=1" \
	"SCardStatus: Command successful. ccidkit Virtual Reader 00 00 state 0x0034 3B 88 81 31 FE 45 63 63 69 64 6B 69 74 31 C9" \
	"SCardTransmit: Command successful. 01 02 03 90 00" \
	"SCardDisconnect: Command successful." \
	"SCardReleaseContext: Command successful.")" "" \
	-- "$CK" run -- "$PY" "$here/pyscard_echo.py"

# tutorial 2 while the reader is empty: waitforcard() blocks in
# SCardGetStatusChange until the card goes in a second later.
vr_cmd remove
timeout -k 5 "$CLIENT_TIMEOUT" "$CK" run -- "$PY" "$here/pyscard_cardrequest.py" >"$TMP/late" 2>"$TMP/late_err" &
late=$!
sleep 1
vr_cmd insert
wait $late; rc=$?
ok=1
[ $rc -eq 0 ] || { echo "  exit code $rc, expected 0"; ok=0; }
diff -u "$TMP/want_cr" "$TMP/late" || { sed 's/^/    /' "$TMP/late_err"; ok=0; }
verdict "tutorial 2: card inserted while waitforcard() waits" $ok

# ... and when none comes, pyscard's own timeout (here 5 s) ends the wait.
vr_cmd remove
: >"$TMP/nothing"
client_check "tutorial 2: no card within the timeout" 1 "$TMP/nothing" "" \
	-- "$CK" run -- "$PY" "$here/pyscard_cardrequest.py"
ok=1
grep -q "^smartcard.Exceptions.CardRequestTimeoutException: " "$TMP/err" ||
	{ echo "  stderr lacks CardRequestTimeoutException"; ok=0; }
verdict "tutorial 2: no card within the timeout: CardRequestTimeoutException" $ok
vr_stop card

finish
