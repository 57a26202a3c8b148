#!/bin/sh
# Benchmark (not a test): 1000 short ECHO APDUs through `ccidkit apdu`
# against the virtual reader, in one process; prints the figures.
set -e
CCIDKIT=${1:-./ccidkit}
N=${N:-1000}
TMP=$(mktemp -d)
trap 'kill $VR 2>/dev/null; rm -rf "$TMP"' EXIT
"$CCIDKIT" vreader --listen "unix:$TMP/b.sock" --level ${LEVEL:-extended} >"$TMP/out" </dev/null &
VR=$!
for _ in $(seq 50); do grep -qx ready "$TMP/out" 2>/dev/null && break; sleep 0.1; done
export CCIDKIT_USBREDIR="unix:$TMP/b.sock" CCIDKIT_LIBUSB=0
set --
i=0
while [ $i -lt "$N" ]; do set -- "$@" '80 10 00 00 10 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10'; i=$((i + 1)); done
start=$(date +%s%N)
"$CCIDKIT" apdu "$@" >"$TMP/log"
end=$(date +%s%N)
ok=$(grep -c '^SW: 90 00' "$TMP/log")
ns=$((end - start))
echo "bench: $N ECHO APDUs (16 bytes) in one ccidkit process: $((ns / 1000000)) ms total, $((ns / N / 1000)) us per APDU, $ok answered 90 00"
[ "$ok" -eq "$N" ]

# The same APDU from separate processes: connect, descriptors, power on, one ECHO.
M=${M:-100}
start=$(date +%s%N)
i=0
while [ $i -lt "$M" ]; do
	"$CCIDKIT" apdu '80 10 00 00 10 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10' >/dev/null
	i=$((i + 1))
done
end=$(date +%s%N)
ns=$((end - start))
echo "bench: $M separate 'ccidkit apdu' runs (connect + power on + 1 ECHO): $((ns / 1000000)) ms total, $((ns / M / 1000)) us per run"

# The same APDU through the winscard library (SCardTransmit), in-process.
BT=$(dirname "$CCIDKIT")/tests/bench_transmit
if [ -x "$BT" ]; then
	"$(dirname "$CCIDKIT")/libtool" --mode=execute "$BT" "$N"
else
	echo "bench: $BT not built (make tests/bench_transmit)"
fi
