# Shared by the integration tests: start `ccidkit vreader` on a socket in a
# temporary directory, run `ccidkit` against it, compare exact output and
# exit codes.  Sourced, not run.
set -u
CCIDKIT=${CCIDKIT:-$(pwd)/ccidkit}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ccidkit-test.XXXXXX")
PASS=0
FAIL=0
VR_PIDS=""
export CCIDKIT_LIBUSB=0   # never pick up a real reader plugged into this machine
unset CCIDKIT_DEBUG CCIDKIT_USBREDIR
export CCIDKIT_TIMEOUT=20

cleanup() {
	for p in $VR_PIDS; do kill "$p" 2>/dev/null; done
	for p in $VR_PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

# vr_start NAME [vreader options...]: socket $TMP/NAME.sock, stdin from the
# fifo $TMP/NAME.in (write commands with vr_cmd), waits for `ready`.
vr_start() {
	name=$1; shift
	rm -f "$TMP/$name.in"; mkfifo "$TMP/$name.in"
	"$CCIDKIT" vreader --listen "unix:$TMP/$name.sock" "$@" \
		<"$TMP/$name.in" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	pid=$!
	VR_PIDS="$VR_PIDS $pid"
	eval "VR_PID_$name=$pid"
	# hold the fifo open for writing so the reader sees no EOF
	eval "exec 9<>\"\$TMP/\$name.in\""
	eval "exec 3>\"\$TMP/\$name.in\""
	exec 9<&-
	for _ in $(seq 100); do
		grep -qx ready "$TMP/$name.out" 2>/dev/null && break
		sleep 0.1
	done
	if ! grep -qx ready "$TMP/$name.out"; then
		echo "vreader $name did not print ready:"; cat "$TMP/$name.err"
		exit 1
	fi
	export CCIDKIT_USBREDIR="unix:$TMP/$name.sock"
}

# vr_cmd LINE: one command on the vreader's standard input (current one).
vr_cmd() {
	echo "$1" >&3
	sleep 0.3
}

vr_stop() {
	eval "pid=\$VR_PID_$1"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	exec 3>&-
}

# check NAME EXPECTED_RC EXPECTED_STDOUT_FILE_OR_- -- command...
# Compares exit code and the exact standard output.
check() {
	tname=$1; want_rc=$2; want_out=$3; shift 4
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	ok=1
	[ "$rc" -eq "$want_rc" ] || { echo "  exit code $rc, expected $want_rc"; ok=0; }
	if [ "$want_out" != - ] && ! diff -u "$want_out" "$TMP/out" >"$TMP/diff"; then
		echo "  stdout differs:"; head -40 "$TMP/diff"; ok=0
	fi
	verdict "$tname" $ok
}

# check_err NAME EXPECTED_RC EXPECTED_STDERR_LINE -- command...
check_err() {
	tname=$1; want_rc=$2; want_err=$3; shift 4
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	ok=1
	[ "$rc" -eq "$want_rc" ] || { echo "  exit code $rc, expected $want_rc"; ok=0; }
	if ! grep -qxF -- "$want_err" "$TMP/err"; then
		echo "  stderr lacks the line: $want_err"; echo "  stderr was:"; sed 's/^/    /' "$TMP/err"; ok=0
	fi
	verdict "$tname" $ok
}

verdict() {
	if [ "$2" -eq 1 ]; then
		PASS=$((PASS + 1)); echo "ok - $1"
	else
		FAIL=$((FAIL + 1)); echo "not ok - $1"
	fi
}

# expect TEXT: write the expected output file and print its name.
expect() {
	printf '%s\n' "$@" >"$TMP/expected"
	echo "$TMP/expected"
}

# hexseq N: "00 01 02 ... " N bytes of i mod 256, 32 a line, each "< "-prefixed
pattern_lines() {
	awk -v n="$1" 'BEGIN {
		for (i = 0; i < n; i++) {
			if (i % 32 == 0) printf "%s< ", (i ? "\n" : "");
			else printf " ";
			printf "%02X", i % 256;
		}
		if (n) printf "\n";
	}'
}

# hexbytes N: the same N bytes as one space-separated hex string
pattern_hex() {
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "%s%02X", (i ? " " : ""), i % 256 }'
}

finish() {
	echo "$(basename "$0" .sh): $PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
