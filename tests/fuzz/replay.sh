#!/bin/sh
# tests/fuzz/replay.sh NAME [FILE|DIR...]: replay the corpus of fuzz target
# NAME (tests/fuzz/corpus/NAME, or the files and directories given) through
# tests/fuzz/replay_NAME, the target linked with tests/fuzz/replay.c.  Run
# from the build directory, or set top_builddir / top_srcdir.  Under ASan
# or valgrind a bug is reported and the exit status is not 0.
#   VALGRIND=1 tests/fuzz/replay.sh atr     # under valgrind memcheck
set -eu
[ $# -ge 1 ] || { echo "usage: $0 NAME [FILE|DIR...]" >&2; exit 2; }
name=$1; shift
here=$(cd "$(dirname "$0")" && pwd)
srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
builddir=${top_builddir:-.}
prog=$builddir/tests/fuzz/replay_$name
[ -x "$prog" ] || { echo "$0: no $prog (make $prog first)" >&2; exit 2; }
[ $# -gt 0 ] || set -- "$srcdir/tests/fuzz/corpus/$name"
if [ -n "${VALGRIND:-}" ]; then
	exec "$builddir/libtool" --mode=execute valgrind -q --error-exitcode=99 \
		--leak-check=full --errors-for-leak-kinds=definite "$prog" "$@"
fi
exec "$prog" "$@"
