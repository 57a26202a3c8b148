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

# the reader vanishes in the middle of a long run of exchanges
vr_start pulled
set --
for _ in $(seq 400); do set -- "$@" '80 12 FF FF 00 00 00'; done
"$CCIDKIT" apdu "$@" >"$TMP/pulled.out" 2>"$TMP/pulled.err" &
apdu_pid=$!
for _ in $(seq 200); do grep -q '^SW: ' "$TMP/pulled.out" 2>/dev/null && break; sleep 0.05; done
kill -9 "$VR_PID_pulled"
wait "$apdu_pid"; rc=$?
ok=1
[ $rc -eq 6 ] || { echo "  exit code $rc, expected 6"; ok=0; }
grep -qxF "ccidkit: ccidkit Virtual Reader 00 00: reader is gone (unplugged or disconnected)" "$TMP/pulled.err" ||
	{ echo "  stderr:"; cat "$TMP/pulled.err"; ok=0; }
verdict "reader killed mid-exchange: exit 6, reader gone" $ok

# a second program while the virtual reader serves the first: busy
vr_start shared
set --
for _ in $(seq 400); do set -- "$@" '80 12 FF FF 00 00 00'; done
"$CCIDKIT" apdu "$@" >"$TMP/first.out" 2>&1 &
first=$!
for _ in $(seq 200); do grep -q '^SW: ' "$TMP/first.out" 2>/dev/null && break; sleep 0.05; done
check_err "second client: reader busy" 5 "ccidkit: no reader available: busy (in use by another program)" \
	-- "$CCIDKIT" list
kill "$first" 2>/dev/null; wait "$first" 2>/dev/null
vr_stop shared

finish
