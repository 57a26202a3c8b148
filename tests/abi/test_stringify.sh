#!/bin/sh
# pcsc_stringify_error(): ours (stringify_ours, linked with our
# libpcsclite.so.1) must print what pcsc-lite's does (stringify_sys) for
# every code, except the lines of stringify_own.txt: SCARD_* codes pcsc-lite
# calls "Unknown error: 0x…", for which we have a sentence.
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
dir=$top_builddir/tests/abi
sys=$dir/stringify_sys
ours=$dir/stringify_ours
own=$top_srcdir/tests/abi/stringify_own.txt

if [ ! -x "$sys" ]; then
	echo "SKIP: $sys was not built: pcsc-lite (libpcsclite-dev) was not found at configure time;" \
		"install libpcsclite-dev and re-run configure to compare the error texts with pcsc-lite's" >&2
	exit 77
fi

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0

"$sys" >"$tmp/sys" || { echo "FAIL: $sys exited with $?"; exit 1; }
"$ours" >"$tmp/ours" || { echo "FAIL: $ours exited with $?"; exit 1; }

# Expected output: the system's, with each own-wording line substituted,
# which must replace an "Unknown error" line of the same code.
awk -v own="$own" '
	BEGIN { while ((getline l < own) > 0) { split(l, f, " "); text[f[1]] = l } }
	($1 in text) {
		want = $1 " Unknown error: " $1
		if ($0 != want) { print "stringify_own.txt lists " $1 " but pcsc-lite says: " $0 > "/dev/stderr"; bad = 1 }
		print text[$1]; used[$1] = 1; next
	}
	{ print }
	END {
		for (c in text) if (!(c in used)) { print "stringify_own.txt: " c " not printed" > "/dev/stderr"; bad = 1 }
		exit bad
	}' "$tmp/sys" >"$tmp/want" || { echo "FAIL: stringify_own.txt does not fit pcsc-lite's output"; fail=1; }

if ! diff -u "$tmp/want" "$tmp/ours"; then
	echo "FAIL: our pcsc_stringify_error differs (- expected, + ours)"
	fail=1
fi
# No SCARD_* code of pcsclite.h may be left without a text of ours.
if grep -E '^0x801000(0[1-9A-F]|[12][0-9A-F]|3[01]|6[5-9A-F]) Unknown error: ' "$tmp/ours" |
	grep -v '^0x80100022 '; then
	echo "FAIL: the codes above have no text"
	fail=1
fi
[ $fail = 0 ] && echo "PASS: $(wc -l <"$tmp/ours") lines as pcsc-lite's, $(wc -l <"$own") codes in our own words"
exit $fail
