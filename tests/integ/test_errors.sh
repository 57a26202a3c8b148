#!/bin/sh
# Integration: clear errors and exit codes.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integ/lib.sh"

check_err "unknown command" 2 "ccidkit: unknown command 'frobnicate' (try 'ccidkit --help')" \
	-- "$CCIDKIT" frobnicate
check_err "no reader at all" 3 \
	"ccidkit: no reader found (no USB CCID reader; for a virtual one set CCIDKIT_USBREDIR, see 'ccidkit vreader --help')" \
	-- "$CCIDKIT" list
check_err "nobody listening" 3 "ccidkit: warning: unix:$TMP/none.sock: no virtual reader is listening there" \
	-- env CCIDKIT_USBREDIR="unix:$TMP/none.sock" "$CCIDKIT" list
check_err "malformed endpoint" 3 \
	"ccidkit: warning: bogus: not an endpoint (CCIDKIT_USBREDIR wants unix:PATH or tcp:HOST:PORT)" \
	-- env CCIDKIT_USBREDIR=bogus "$CCIDKIT" list
check_err "malformed hex" 2 "ccidkit apdu: malformed APDU '80 1': odd number of hex digits" \
	-- "$CCIDKIT" apdu '80 1'
check_err "not hex" 2 "ccidkit apdu: malformed APDU '80 XY 00 00': not a hex digit: 'X' at position 4" \
	-- "$CCIDKIT" apdu '80 XY 00 00'
check_err "too short APDU" 2 "ccidkit apdu: malformed APDU '80 10': shorter than 4 bytes (CLA INS P1 P2)" \
	-- "$CCIDKIT" apdu '80 10'
check_err "apdu without APDU" 2 "ccidkit apdu: give at least one APDU" -- "$CCIDKIT" apdu

vr_start empty --no-card
check "list: no card" 0 "$(expect "0: ccidkit Virtual Reader 00 00: no card")" -- "$CCIDKIT" list
check_err "atr: no card" 4 "ccidkit: ccidkit Virtual Reader 00 00: no card in the reader" -- "$CCIDKIT" atr
vr_stop empty

# a killed vreader: its socket file stays, nobody answers
vr_start gone
kill -9 "$VR_PID_gone"; wait "$VR_PID_gone" 2>/dev/null
check_err "killed vreader" 3 "ccidkit: warning: unix:$TMP/gone.sock: no virtual reader is listening there" \
	-- "$CCIDKIT" atr

# one working and one dead endpoint: the working reader is still used
vr_start alive
check "dead endpoint does not hide a live one" 0 "$(expect "0: ccidkit Virtual Reader 00 00: card present")" \
	-- env CCIDKIT_USBREDIR="unix:$TMP/gone.sock,unix:$TMP/alive.sock" "$CCIDKIT" list
vr_stop alive

finish
