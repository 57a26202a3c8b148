#!/bin/sh
# The man pages document everything: every command `ccidkit --help` lists
# has src/man/ccidkit-COMMAND.1 (and every page a command), every long
# option `ccidkit COMMAND --help` prints is in that page (the global ones
# of `ccidkit --help` in ccidkit.1), and every CCIDKIT_* variable the
# sources read is in ccidkit.1's ENVIRONMENT section (and those the
# library reads in libpcsclite-ccidkit.3's).  Prints each
# failure; exit 1 when there is one.
set -u
top=${top_srcdir:-$(dirname "$0")/..}
CCIDKIT=${CCIDKIT:-$(pwd)/ccidkit}
MAN=$top/src/man
TMP=$(mktemp -d "${TMPDIR:-/tmp}/check-man.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
fails=0
checked=0

fail() {
	echo "check_man: FAIL: $*"
	fails=$((fails + 1))
}

# The page as plain text for grep: roff escapes for '-' and fonts removed.
plain() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\(aq/'"'"'/g' "$1"
}

# options_in PAGE HELPFILE WHAT: every --option of HELPFILE in PAGE.
options_in() {
	plain "$1" >"$TMP/page"
	for opt in $(grep -oE -- '--[a-zA-Z0-9][a-zA-Z0-9-]*' "$2" | sort -u); do
		checked=$((checked + 1))
		grep -qE -- "(^|[^a-zA-Z0-9-])$opt([^a-zA-Z0-9-]|\$)" "$TMP/page" ||
			fail "$3: option $opt is not in $(basename "$1")"
	done
}

if ! "$CCIDKIT" --help >"$TMP/help" 2>&1; then
	fail "'ccidkit --help' failed"; exit 1
fi
cmds=$(sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z0-9-]*\) .*/\1/p' "$TMP/help")
[ -n "$cmds" ] || fail "'ccidkit --help' lists no command"

[ -f "$MAN/ccidkit.1" ] || fail "src/man/ccidkit.1 is missing"
[ -f "$MAN/ccidkit.1" ] && options_in "$MAN/ccidkit.1" "$TMP/help" "ccidkit --help"
for c in $cmds; do
	page=$MAN/ccidkit-$c.1
	checked=$((checked + 1))
	if [ ! -f "$page" ]; then
		fail "command '$c' has no page src/man/ccidkit-$c.1"
		continue
	fi
	grep -q "ccidkit\\\\-$c (1)" "$MAN/ccidkit.1" || fail "ccidkit.1 does not refer to ccidkit-$c(1)"
	if ! "$CCIDKIT" "$c" --help >"$TMP/chelp" 2>&1; then
		fail "'ccidkit $c --help' failed"
		continue
	fi
	options_in "$page" "$TMP/chelp" "ccidkit $c --help"
done
for page in "$MAN"/ccidkit-*.1; do
	[ -f "$page" ] || continue
	c=$(basename "$page" .1); c=${c#ccidkit-}
	echo "$cmds" | grep -qx -- "$c" || fail "page $(basename "$page") documents no command of 'ccidkit --help'"
done

# Environment variables: every "CCIDKIT_..." string the sources use (the
# names getenv() is called with, directly or through a macro).
sed -n '/^\.SH ENVIRONMENT/,/^\.SH /p' "$MAN/ccidkit.1" 2>/dev/null | sed -e 's/\\-/-/g' >"$TMP/env"
vars=$(cd "$top" && grep -rhoE '"CCIDKIT_[A-Z0-9_]+"' ccid pcsc-api src --include='*.c' --include='*.h' | tr -d '"' | sort -u)
[ -n "$vars" ] || fail "no CCIDKIT_* variable found in the sources"
for v in $vars; do
	checked=$((checked + 1))
	grep -qE "(^|[^A-Z0-9_])$v([^A-Z0-9_]|\$)" "$TMP/env" ||
		fail "environment variable $v (read in $(cd "$top" && grep -rlE "\"$v\"" ccid pcsc-api src --include='*.c' --include='*.h' | tr '\n' ' ' | sed 's/ $//')) is not in ccidkit.1's ENVIRONMENT"
done

# The library's page: every variable the library reads (ccid/, pcsc-api/).
LIBPAGE=$top/pcsc-api/libpcsclite-ccidkit.3
if [ ! -f "$LIBPAGE" ]; then
	fail "pcsc-api/libpcsclite-ccidkit.3 is missing"
else
	sed -n '/^\.SH ENVIRONMENT/,/^\.SH /p' "$LIBPAGE" >"$TMP/libenv"
	for v in $(cd "$top" && grep -rhoE '"CCIDKIT_[A-Z0-9_]+"' ccid pcsc-api --include='*.c' --include='*.h' | tr -d '"' | sort -u); do
		checked=$((checked + 1))
		grep -qE "(^|[^A-Z0-9_])$v([^A-Z0-9_]|\$)" "$TMP/libenv" ||
			fail "environment variable $v (read by the library) is not in libpcsclite-ccidkit.3's ENVIRONMENT"
	done
fi

echo "check_man: $checked checks, $fails failed"
[ "$fails" -eq 0 ]
