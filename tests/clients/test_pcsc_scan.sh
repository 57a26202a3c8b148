#!/bin/sh
# pcsc_scan (pcsc-tools) through `ccidkit run` against `ccidkit vreader`.
# Flags of Debian 12's pcsc-tools 1.6.2: -r lists the readers and exits,
# -c lists the cards and exits, -n skips the ATR analysis (it would fetch
# smartcard_list.txt from the network), -q drops the banner, -t SECS quits
# after SECS seconds.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/clients/lib.sh"
need pcsc_scan pcsc-tools

# -t works through SCardCancel: pcsc_scan's spinner thread calls it once, when
# the time is up, and the main loop ends only when that makes the pending
# SCardGetStatusChange return SCARD_E_CANCELLED.  A cancel that lands while
# no call waits is lost, with pcscd as with us (pcsc-lite's cancel is not
# sticky either), so every -t here leaves ample time for the start-up.
#
# Normalised: the line of the local time of each event, the spinner after
# "Waiting for the first reader...", and the lines pcsc_scan draws its
# "\r \r" spinner on (they hold nothing else).
NORM='s/^[A-Z][a-z][a-z] [A-Z][a-z][a-z] [ 0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9] [0-9]\{4\}$/<time>/
s/^\(Waiting for the first reader\.\.\.\).*/\1/
\%^[[:space:]|/\\-]*$%d'
ATR="3B 88 81 31 FE 45 63 63 69 64 6B 69 74 31 C9"

vr_start scan
client_check "pcsc_scan -r: the readers" 0 "$(expect "0: ccidkit Virtual Reader 00 00")" "$NORM" \
	-- "$CK" run -- pcsc_scan -r

# "Event number" is the reader's card-event counter (high 16 bits of
# dwEventState): 0 for a card that was in the reader when it appeared, as
# with pcscd (eventhandler.c counts insertions and removals it sees later).
printf '%s\n' "<time>" " Reader 0: ccidkit Virtual Reader 00 00" "  Event number: 0" \
	"  Card state: Card inserted, " "  ATR: $ATR" >"$TMP/want_c"
client_check "pcsc_scan -c -n: the card and its ATR" 0 "$TMP/want_c" "$NORM" \
	-- "$CK" run -- pcsc_scan -c -n

# The banner and the reader list, then the card.  The banner's version line
# is pcsc-tools' own: taken from `pcsc_scan -V` when it is not 1.6.2.
printf '%s\n' "PC/SC device scanner" \
	"V 1.6.2 (c) 2001-2022, Ludovic Rousseau <ludovic.rousseau@free.fr>" \
	"Using reader plug'n play mechanism" "Scanning present readers..." \
	"0: ccidkit Virtual Reader 00 00" >"$TMP/want_t"
cat "$TMP/want_c" >>"$TMP/want_t"
pcsc_scan -V 2>&1 | grep -q "^V 1\.6\.2 " ||
	sed -i "2s/.*/$(pcsc_scan -V 2>&1 | grep '^V ' | sed 's/[\/&]/\\&/g')/" "$TMP/want_t"
client_check "pcsc_scan -n -t 3: banner, readers, card" 0 "$TMP/want_t" "$NORM" \
	-- "$CK" run -- pcsc_scan -n -t 3

# Removal and insertion while it watches: each one a new event.  pcsc_scan
# with -q prints the reader list and then one block per event.  Its
# SCardGetStatusChange waits with a one-hour timeout, so each event has to
# wake it (NotifySlotChange on the interrupt pipe) for its block to appear;
# a missed wake-up merges both events into one block with counter 2.
timeout -k 5 "$CLIENT_TIMEOUT" "$CK" run -- pcsc_scan -n -q -t 6 >"$TMP/raw_ev" 2>"$TMP/err_ev" &
scan=$!
sleep 1.5
vr_cmd remove
sleep 1
vr_cmd insert
wait $scan; rc=$?
printf '%s\n' "0: ccidkit Virtual Reader 00 00" \
	"<time>" " Reader 0: ccidkit Virtual Reader 00 00" "  Event number: 0" \
	"  Card state: Card inserted, " "  ATR: $ATR" \
	"<time>" " Reader 0: ccidkit Virtual Reader 00 00" "  Event number: 1" \
	"  Card state: Card removed, " \
	"<time>" " Reader 0: ccidkit Virtual Reader 00 00" "  Event number: 2" \
	"  Card state: Card inserted, " "  ATR: $ATR" >"$TMP/want_ev"
sed -e "$NORM" "$TMP/raw_ev" >"$TMP/out_ev"
ok=1
[ $rc -eq 0 ] || { echo "  exit code $rc, expected 0"; ok=0; }
diff -u "$TMP/want_ev" "$TMP/out_ev" || { sed 's/^/    /' "$TMP/err_ev"; ok=0; }
verdict "pcsc_scan -q -t 6: removal and insertion, promptly" $ok
vr_stop scan

# No reader at all: pcsc_scan waits for the first one on the PnP
# pseudo-reader, until -t cancels the wait; that path of pcsc_scan treats
# SCARD_E_CANCELLED as an error: "SCardGetStatusChange: Command cancelled."
# on stderr, exit status 255, no newline after the spinner.
unset CCIDKIT_USBREDIR
printf '%s\n' "PC/SC device scanner" "$(sed -n 2p "$TMP/want_t")" \
	"Using reader plug'n play mechanism" "Scanning present readers..." >"$TMP/want_none"
printf '%s' "Waiting for the first reader..." >>"$TMP/want_none"
client_check "pcsc_scan -t 2 without readers: waits, cancelled" 255 "$TMP/want_none" "$NORM" \
	-- "$CK" run -- pcsc_scan -n -t 2
ok=1
grep -qxF "SCardGetStatusChange: Command cancelled." "$TMP/err" ||
	{ echo "  stderr lacks 'SCardGetStatusChange: Command cancelled.'"; ok=0; }
verdict "pcsc_scan -t 2 without readers: stderr says cancelled" $ok

finish
