# Shared by the client tests: real PC/SC programs (pyscard, pcsc-tools,
# OpenSC, Java smartcardio) run through `ccidkit run` against `ccidkit
# vreader`, with no pcscd anywhere.  Sourced after tests/integ/lib.sh's
# helpers (vr_start, vr_cmd, check, verdict, finish, $TMP).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integ/lib.sh"

top_builddir=${top_builddir:-$(pwd)}
# Clients run as `"$CK" run -- CLIENT...`.  The real binary, never
# check-valgrind's wrapper in $CCIDKIT: `ccidkit run` finds the library
# through /proc/self/exe, next to pcsc-api/.libs.
CK=$top_builddir/ccidkit
# A client that hangs (a GetStatusChange that never returns) must fail the
# test, not block `make check`.
CLIENT_TIMEOUT=${CLIENT_TIMEOUT:-60}

# skip REASON: exit 77 (automake's SKIP) and say why, loudly, on both streams.
skip() {
	echo "SKIP: $(basename "$0" .sh): $1" >&2
	echo "###################################################################"
	echo "SKIP: $(basename "$0" .sh): $1"
	echo "###################################################################"
	exit 77
}

# need COMMAND PACKAGE: skip unless COMMAND is on the PATH.
need() {
	command -v "$1" >/dev/null 2>&1 ||
		skip "'$1' is not installed (Debian package $2; 'sh tests/deps.sh' installs it)"
}

# The library under test: the build tree's, unless CCIDKIT_LIBDIR names
# another one (e.g. an installed copy).  Its absence is a failure, not a
# skip: it is part of every build.
if [ -n "${CCIDKIT_LIBDIR:-}" ]; then
	PCSC_LIB=$CCIDKIT_LIBDIR/libpcsclite.so.1
else
	PCSC_LIB=$top_builddir/pcsc-api/.libs/libpcsclite.so.1
fi
if [ ! -f "$PCSC_LIB" ]; then
	echo "FAIL: $PCSC_LIB was not built" >&2
	echo "FAIL: $PCSC_LIB was not built"
	exit 1
fi

# A library built with -fsanitize=address cannot load into an uninstrumented
# program (python3, java, pcsc_scan...) unless the ASan runtime is preloaded.
# Leak checking is off then: the interpreters' own allocations would drown
# ours (the cmocka tests check our leaks).
asan_rt=$(readelf -d "$PCSC_LIB" 2>/dev/null |
	sed -n 's/.*(NEEDED).*\[\(libasan[^]]*\)\].*/\1/p')
if [ -n "$asan_rt" ]; then
	export LD_PRELOAD="$asan_rt${LD_PRELOAD:+ $LD_PRELOAD}"
	export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
fi

# client_check NAME EXPECTED_RC EXPECTED_FILE SED_SCRIPT -- command...
# Runs the command (with a time limit), passes its standard output through
# SED_SCRIPT (empty: unchanged) and compares it, and the exit code, exactly.
# Shows the client's standard error when the check fails.
client_check() {
	tname=$1; want_rc=$2; want_out=$3; sed_script=$4; shift 5
	timeout -k 5 "$CLIENT_TIMEOUT" "$@" >"$TMP/raw" 2>"$TMP/err"
	rc=$?
	ok=1
	[ "$rc" -ne 124 ] || echo "  timed out after ${CLIENT_TIMEOUT}s"
	[ "$rc" -eq "$want_rc" ] || { echo "  exit code $rc, expected $want_rc"; ok=0; }
	if [ -n "$sed_script" ]; then
		sed -e "$sed_script" "$TMP/raw" >"$TMP/out"
	else
		cp "$TMP/raw" "$TMP/out"
	fi
	if ! diff -u "$want_out" "$TMP/out" >"$TMP/diff"; then
		echo "  stdout differs:"; head -60 "$TMP/diff"; ok=0
	fi
	if [ $ok -eq 0 ]; then
		echo "  stderr was:"; head -30 "$TMP/err" | sed 's/^/    /'
	fi
	verdict "$tname" $ok
}
