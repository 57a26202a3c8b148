#!/bin/sh
# Java's javax.smartcardio (OpenJDK 17, run with the source launcher:
# `java SmartcardioTest.java`) through `ccidkit run` against `ccidkit
# vreader`.  Java loads the library named by the system property
# sun.security.smartcardio.library, which `ccidkit run` sets through
# JAVA_TOOL_OPTIONS; the JVM says "Picked up JAVA_TOOL_OPTIONS" on stderr.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/clients/lib.sh"
need java default-jdk-headless
java -version 2>&1 | grep -q 'version "\(1[1-9]\|[2-9][0-9]\)' ||
	skip "java is older than 11 (no source launcher): $(java -version 2>&1 | head -n 1)"
here=$top_srcdir/tests/clients
# The source launcher compiles in memory; keep the JIT and GC small and quiet.
export JAVA_TOOL_OPTIONS="-Xshare:auto -XX:TieredStopAtLevel=1"

vr_start jv
client_check "smartcardio: terminals, connect, ECHO" 0 "$(expect \
	"provider: PC/SC" \
	"terminals: 1" \
	"terminal: ccidkit Virtual Reader 00 00, card present: true" \
	"waitForCardPresent: true" \
	"protocol: T=1" \
	"ATR: 3B 88 81 31 FE 45 63 63 69 64 6B 69 74 31 C9" \
	"ECHO: data 01 02 03, SW 9000" \
	"GET DATA: data , SW 6A81" \
	"disconnected")" "" \
	-- "$CK" run -- java "$here/SmartcardioTest.java"
vr_cmd remove
client_check "smartcardio: list, no card" 0 "$(expect "provider: PC/SC" "terminals: 1" \
	"terminal: ccidkit Virtual Reader 00 00, card present: false")" "" \
	-- "$CK" run -- java "$here/SmartcardioTest.java" list
vr_stop jv

unset CCIDKIT_USBREDIR
# No reader: SCardListReaders says SCARD_E_NO_READERS_AVAILABLE, as pcscd
# does, and Java reports it its own way.
client_check "smartcardio: list, no reader" 0 "$(expect "provider: PC/SC" \
	"list() failed: SCARD_E_NO_READERS_AVAILABLE")" "" \
	-- "$CK" run -- java "$here/SmartcardioTest.java" list

finish
