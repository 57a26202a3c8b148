#!/bin/sh
# The README's first command, for a newcomer: build ccidkit, then run
# pyscard's tutorial programs through ccidkit's libpcsclite.so.1 (no pcscd)
# on a contactless MIFARE Classic 1K card: list the reader, connect, read
# the card's UID with FF CA 00 00 00, then wait for a card and print its
# ATR.  Then the same reader through the command line: list, info, atr,
# uid, apdu.  Uses a real USB reader when one is plugged in, otherwise
# starts the built-in virtual contactless reader (ccidkit vreader).
# BUILDDIR=DIR runs an out-of-tree build's ccidkit instead of building here.
set -e
SRC=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${BUILDDIR:-}" ]; then
	cd "$BUILDDIR"
else
	cd "$SRC"
	if [ ! -x ./ccidkit ] || [ ! -f pcsc-api/.libs/libpcsclite.so.1 ]; then
		[ -x ./configure ] || autoreconf -fi
		[ -f Makefile ] || ./configure
		make -j"$(nproc)" ccidkit pcsc-api/libpcsclite.la
	fi
fi
# pyscard comes from Debian's python3-pyscard, installed for the system's
# python3 (a python3 first on the PATH, pyenv or a venv, may lack it).
PY=/usr/bin/python3
if ! "$PY" -c 'import smartcard.scard' 2>/dev/null; then
	echo "demo: $PY cannot import pyscard: run 'sh tests/deps.sh' (python3-pyscard)" >&2
	exit 1
fi
TMP=$(mktemp -d)
trap 'kill $VR 2>/dev/null; rm -rf "$TMP"' EXIT
VR=
if ! ./ccidkit list >/dev/null 2>&1; then
	echo "== no USB reader found: starting the virtual contactless reader with a MIFARE Classic 1K card"
	echo "== (ccidkit vreader --reader contactless --card mifare-classic-1k)"
	./ccidkit vreader --listen "unix:$TMP/vreader.sock" \
		--reader contactless --card mifare-classic-1k >"$TMP/out" </dev/null &
	VR=$!
	for _ in $(seq 50); do grep -qx ready "$TMP/out" 2>/dev/null && break; sleep 0.1; done
	export CCIDKIT_USBREDIR="unix:$TMP/vreader.sock"
fi
set -x
# pyscard's tutorial, unmodified, with ccidkit's library in front
./ccidkit run -- "$PY" "$SRC/tests/clients/tutorial_uid.py"
./ccidkit run -- "$PY" "$SRC/tests/clients/tutorial_atr.py"
# the same reader through the command line
./ccidkit list
./ccidkit info -r 0
./ccidkit atr -r 0
./ccidkit uid -r 0
# MIFARE Classic through PC/SC Part 3: LOAD KEYS (the transport key
# FF..FF into key slot 0), GENERAL AUTHENTICATE block 4 with key A,
# READ BINARY block 4 (16 bytes)
./ccidkit apdu -r 0 'FF 82 00 00 06 FF FF FF FF FF FF' \
	'FF 86 00 00 05 01 00 04 60 00' 'FF B0 00 04 10'
set +x
