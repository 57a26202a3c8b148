#!/bin/sh
# The main job, for a newcomer: build ccidkit, then list the readers, show
# one, power its card and exchange APDUs.  Uses a real USB reader when one
# is plugged in, otherwise starts the built-in virtual reader.
set -e
cd "$(dirname "$0")/.."
if [ ! -x ./ccidkit ]; then
	[ -x ./configure ] || autoreconf -fi
	[ -f Makefile ] || ./configure
	make -j"$(nproc)" ccidkit
fi
TMP=$(mktemp -d)
trap 'kill $VR 2>/dev/null; rm -rf "$TMP"' EXIT
VR=
if ! ./ccidkit list >/dev/null 2>&1; then
	echo "== no USB reader found: starting the virtual reader (ccidkit vreader)"
	./ccidkit vreader --listen "unix:$TMP/vreader.sock" >"$TMP/out" </dev/null &
	VR=$!
	for _ in $(seq 50); do grep -qx ready "$TMP/out" 2>/dev/null && break; sleep 0.1; done
	export CCIDKIT_USBREDIR="unix:$TMP/vreader.sock"
fi
set -x
./ccidkit list
./ccidkit info -r 0
./ccidkit atr -r 0
./ccidkit apdu -r 0 '00 A4 04 00 08 F0 63 63 69 64 6B 69 74' '80 10 00 00 05 68 65 6C 6C 6F 00' '00 84 00 00 08'
