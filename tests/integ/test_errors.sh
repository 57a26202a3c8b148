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

# a usb-guest asking for what a CCID device does not have (isochronous
# streams; iso data): refused with usb_redir_inval (the data dropped), and
# the virtual reader goes on serving (usbredirparser calls a missing
# callback at address 0, which killed it before)
if command -v python3 >/dev/null 2>&1; then
	vr_start iso
	python3 - "$TMP/iso.sock" >"$TMP/iso.py.out" 2>&1 <<'PYEOF'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(5)
buf = b""
def packet():
    """one usbredir packet (32-bit ids: no 64bits_ids cap announced)"""
    global buf
    while True:
        if len(buf) >= 12:
            t, n, i = struct.unpack("<III", buf[:12])
            if len(buf) >= 12 + n:
                p, buf = (t, i, buf[12:12 + n]), buf[12 + n:]
                return p
        d = s.recv(4096)
        if not d:
            return None
        buf += d
def send(t, i, body):
    s.sendall(struct.pack("<III", t, len(body), i) + body)
send(0, 0, b"iso-guest".ljust(64, b"\0") + struct.pack("<I", 0))
send(12, 7, bytes([0x83, 8, 2]))           # start_iso_stream on 0x83
send(102, 8, struct.pack("<BBH", 0x03, 0, 2) + b"\1\2")  # iso packet OUT
send(13, 9, bytes([0x83]))                 # stop_iso_stream
got = []
while len(got) < 2:
    p = packet()
    if p is None:
        break
    if p[0] == 14:
        got.append("iso_stream_status id %d status %d ep 0x%02x" % (p[1], p[2][0], p[2][1]))
print("\n".join(got))
PYEOF
	cat >"$TMP/iso.want" <<'EOF2'
iso_stream_status id 7 status 2 ep 0x83
iso_stream_status id 9 status 2 ep 0x83
EOF2
	ok=1
	diff -u "$TMP/iso.want" "$TMP/iso.py.out" || ok=0
	kill -0 "$VR_PID_iso" 2>/dev/null || { echo "  the virtual reader died"; ok=0; }
	verdict "usb-guest asking for iso streams: usb_redir_inval, vreader alive" $ok
	check "vreader still serves after the iso requests" 0 \
		"$(expect "0: ccidkit Virtual Reader 00 00: card present")" \
		-- env CCIDKIT_USBREDIR="unix:$TMP/iso.sock" "$CCIDKIT" list
	vr_stop iso
else
	echo "SKIP: no python3: the usb-guest misuse check does not run"
fi

finish
