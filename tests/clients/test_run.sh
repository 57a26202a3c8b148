#!/bin/sh
# `ccidkit run`: where it finds the library, what it does to the environment,
# and its errors.  Needs no PC/SC client (it runs `env` and `sh`), and no
# working library: a placeholder file in a temporary directory will do.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integ/lib.sh"
top_builddir=${top_builddir:-$(pwd)}
CK=$top_builddir/ccidkit   # the real binary: run looks at /proc/self/exe
TMP=$(cd "$TMP" && pwd -P)   # run prints resolved paths
unset CCIDKIT_LIBDIR LD_LIBRARY_PATH JAVA_TOOL_OPTIONS

"$CK" run --help >"$TMP/help" 2>&1; rc=$?
ok=1; [ $rc -eq 0 ] || ok=0
[ "$(head -n 1 "$TMP/help")" = "Usage: ccidkit run [--] COMMAND [ARGS...]" ] ||
	{ echo "  first line: $(head -n 1 "$TMP/help")"; ok=0; }
grep -q "CCIDKIT_USBREDIR" "$TMP/help" || { echo "  --help does not mention CCIDKIT_USBREDIR"; ok=0; }
verdict "run --help" $ok

check_err "no command" 2 "ccidkit run: no COMMAND given" -- "$CK" run
check_err "only --" 2 "ccidkit run: no COMMAND given" -- "$CK" run --
check_err "unknown option" 2 "ccidkit run: unknown option '-x'" -- "$CK" run -x true

mkdir "$TMP/empty" "$TMP/lib" "$TMP/lib dir"
: >"$TMP/lib/libpcsclite.so.1"
: >"$TMP/lib dir/libpcsclite.so.1"
check_err "CCIDKIT_LIBDIR without the library" 1 \
	"ccidkit run: CCIDKIT_LIBDIR=$TMP/empty holds no libpcsclite.so.1" \
	-- env CCIDKIT_LIBDIR="$TMP/empty" "$CK" run true
check_err "CCIDKIT_LIBDIR that does not exist" 1 \
	"ccidkit run: CCIDKIT_LIBDIR=$TMP/nosuch holds no libpcsclite.so.1" \
	-- env CCIDKIT_LIBDIR="$TMP/nosuch" "$CK" run true

# Like a shell: 127 for a command that is not there, 126 for one that
# cannot be executed.
check_err "command not found" 127 "ccidkit run: ccidkit-no-such-command: command not found" \
	-- env CCIDKIT_LIBDIR="$TMP/lib" "$CK" run ccidkit-no-such-command
: >"$TMP/noexec"
check_err "command not executable" 126 "ccidkit run: $TMP/noexec: Permission denied" \
	-- env CCIDKIT_LIBDIR="$TMP/lib" "$CK" run "$TMP/noexec"

# The command's arguments, standard streams and exit code pass through.
check "arguments and exit code pass through" 3 "$(expect "a b" "-x" "--")" \
	-- env CCIDKIT_LIBDIR="$TMP/lib" "$CK" run sh -c 'echo "$1"; echo "$2"; echo "$3"; exit 3' sh "a b" -x --
check "-- before the command" 0 "$(expect "-n")" \
	-- env CCIDKIT_LIBDIR="$TMP/lib" "$CK" run -- printf '%s\n' -n

# The environment: LD_LIBRARY_PATH gets the directory in front (absolute
# even when CCIDKIT_LIBDIR is relative; no empty element, which would mean
# "."), JAVA_TOOL_OPTIONS gets the smartcardio property last (quoted when
# the path has a space: HotSpot splits the variable at white space), and
# everything else — CCIDKIT_USBREDIR above all — is left alone.
envcmd='echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"; echo "JAVA_TOOL_OPTIONS=$JAVA_TOOL_OPTIONS"; echo "CCIDKIT_USBREDIR=$CCIDKIT_USBREDIR"; echo "PCSCLITE_CSOCK_NAME=${PCSCLITE_CSOCK_NAME-unset}"'
check "environment: fresh" 0 "$(expect "LD_LIBRARY_PATH=$TMP/lib" \
	"JAVA_TOOL_OPTIONS=-Dsun.security.smartcardio.library=$TMP/lib/libpcsclite.so.1" \
	"CCIDKIT_USBREDIR=unix:/x.sock" "PCSCLITE_CSOCK_NAME=unset")" \
	-- env CCIDKIT_LIBDIR="$TMP/lib" CCIDKIT_USBREDIR=unix:/x.sock "$CK" run sh -c "$envcmd"
check "environment: existing values kept" 0 "$(expect "LD_LIBRARY_PATH=$TMP/lib:/opt/a:/opt/b" \
	"JAVA_TOOL_OPTIONS=-Xmx64m -Dsun.security.smartcardio.library=$TMP/lib/libpcsclite.so.1" \
	"CCIDKIT_USBREDIR=unix:/y.sock" "PCSCLITE_CSOCK_NAME=/run/p.comm")" \
	-- env CCIDKIT_LIBDIR="$TMP/lib" LD_LIBRARY_PATH=/opt/a:/opt/b JAVA_TOOL_OPTIONS=-Xmx64m \
	CCIDKIT_USBREDIR=unix:/y.sock PCSCLITE_CSOCK_NAME=/run/p.comm "$CK" run sh -c "$envcmd"
check "environment: relative CCIDKIT_LIBDIR, empty LD_LIBRARY_PATH" 0 "$(expect "LD_LIBRARY_PATH=$TMP/lib" \
	"JAVA_TOOL_OPTIONS=-Dsun.security.smartcardio.library=$TMP/lib/libpcsclite.so.1" \
	"CCIDKIT_USBREDIR=" "PCSCLITE_CSOCK_NAME=unset")" \
	-- sh -c 'cd "$1" && CCIDKIT_LIBDIR=lib LD_LIBRARY_PATH= "$2" run sh -c "$3"' sh "$TMP" "$CK" "$envcmd"
check "environment: a space in the path" 0 "$(expect "LD_LIBRARY_PATH=$TMP/lib dir" \
	"JAVA_TOOL_OPTIONS=\"-Dsun.security.smartcardio.library=$TMP/lib dir/libpcsclite.so.1\"" \
	"CCIDKIT_USBREDIR=" "PCSCLITE_CSOCK_NAME=unset")" \
	-- env CCIDKIT_LIBDIR="$TMP/lib dir" "$CK" run sh -c "$envcmd"

# Java really reads the quoted property (its launcher echoes the variable
# on stderr, "Picked up JAVA_TOOL_OPTIONS", which check ignores).
if command -v java >/dev/null 2>&1; then
	printf '%s\n' 'public class Prop { public static void main(String[] a) {' \
		'System.out.println(System.getProperty("sun.security.smartcardio.library")); } }' \
		>"$TMP/Prop.java"
	check "java sees the property" 0 "$(expect "$TMP/lib dir/libpcsclite.so.1")" \
		-- env CCIDKIT_LIBDIR="$TMP/lib dir" JAVA_TOOL_OPTIONS="-Dsun.security.smartcardio.library=/old" \
		"$CK" run java "$TMP/Prop.java"
else
	echo "SKIP (one check): java is not installed (default-jdk-headless)"
fi

# Without CCIDKIT_LIBDIR: pcsc-api/.libs next to the binary (a build tree),
# also when the binary is libtool's .libs/ copy; else the install directory
# that --help names.  A copy of the binary in a fake tree shows each case.
mkdir -p "$TMP/bt/pcsc-api/.libs" "$TMP/bt/.libs" "$TMP/elsewhere"
: >"$TMP/bt/pcsc-api/.libs/libpcsclite.so.1"
cp "$CK" "$TMP/bt/ccidkit"; cp "$CK" "$TMP/bt/.libs/ccidkit"; cp "$CK" "$TMP/elsewhere/ccidkit"
want_bt=$(expect "LD_LIBRARY_PATH=$TMP/bt/pcsc-api/.libs" \
	"JAVA_TOOL_OPTIONS=-Dsun.security.smartcardio.library=$TMP/bt/pcsc-api/.libs/libpcsclite.so.1" \
	"CCIDKIT_USBREDIR=" "PCSCLITE_CSOCK_NAME=unset")
cp "$want_bt" "$TMP/want_bt"
check "build tree: pcsc-api/.libs" 0 "$TMP/want_bt" -- "$TMP/bt/ccidkit" run sh -c "$envcmd"
check "build tree: from .libs/ccidkit" 0 "$TMP/want_bt" -- "$TMP/bt/.libs/ccidkit" run sh -c "$envcmd"
pkglibdir=$(sed -n '/directory it is installed into:/{n;s/^  //p;}' "$TMP/help")
if [ -f "$pkglibdir/libpcsclite.so.1" ]; then
	echo "  ($pkglibdir holds an installed library: the not-installed error is untested)"
else
	check_err "neither build tree nor installed" 1 \
		"ccidkit run: $pkglibdir/libpcsclite.so.1 not found: ccidkit's library is not installed (run 'make install', or set CCIDKIT_LIBDIR to the directory that holds it)" \
		-- "$TMP/elsewhere/ccidkit" run true
fi
# And this build's own binary finds this build's library.
if [ -f "$top_builddir/pcsc-api/.libs/libpcsclite.so.1" ]; then
	libdir=$(cd "$top_builddir/pcsc-api/.libs" && pwd -P)
	check "this build tree" 0 "$(expect "LD_LIBRARY_PATH=$libdir" \
		"JAVA_TOOL_OPTIONS=-Dsun.security.smartcardio.library=$libdir/libpcsclite.so.1" \
		"CCIDKIT_USBREDIR=" "PCSCLITE_CSOCK_NAME=unset")" -- "$CK" run sh -c "$envcmd"
else
	FAIL=$((FAIL + 1)); echo "not ok - this build tree: pcsc-api/.libs/libpcsclite.so.1 was not built"
fi

finish
