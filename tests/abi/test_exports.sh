#!/bin/sh
# Exports of our libpcsclite.so.1 against the system's pcsc-lite
# (research/pcsc-abi.md §1-§2): the same defined dynamic symbols with the
# same nm types (T functions, R read-only data), the data objects 16 bytes
# each, no symbol versions, and the SONAME libpcsclite.so.1.
top_builddir=${top_builddir:-.}
env=$top_builddir/tests/abi/abi.env
ours=$top_builddir/pcsc-api/.libs/libpcsclite.so.1

[ -r "$env" ] || { echo "FAIL: $env missing (run configure)"; exit 99; }
. "$env"
for tool in nm readelf; do
	command -v $tool >/dev/null 2>&1 ||
		{ echo "SKIP: '$tool' not found (install binutils) - cannot inspect the libraries" >&2; exit 77; }
done
if [ "$have_sys_pcsclite" != yes ] || [ ! -r "$SYS_PCSCLITE_LIBDIR/libpcsclite.so.1" ]; then
	echo "SKIP: pcsc-lite's libpcsclite.so.1 not found (libdir '$SYS_PCSCLITE_LIBDIR');" \
		"install libpcsclite-dev and re-run configure to compare our exports with pcsc-lite's" >&2
	exit 77
fi
sys=$SYS_PCSCLITE_LIBDIR/libpcsclite.so.1
[ -r "$ours" ] || { echo "FAIL: $ours was not built"; exit 1; }

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0

# "TYPE NAME" for functions (their sizes are ours), "TYPE NAME size 0xN"
# for data; nm -S prints "address size(hex) type name".
exports() {
	nm -D --defined-only -S "$1" | awk '
		NF == 4 && $3 == "T" { print $3, $4; next }
		NF == 4 { s = $2; sub(/^0+/, "", s); printf "%s %s size 0x%s\n", $3, $4, s; next }
		{ print "unexpected nm line:", $0 }' | LC_ALL=C sort -k2
}
exports "$sys" >"$tmp/sys"
exports "$ours" >"$tmp/ours"

n=$(wc -l <"$tmp/sys")
[ "$n" -eq 22 ] || { echo "FAIL: expected pcsc-lite 1.9.9's 22 exports in $sys, found $n:"; cat "$tmp/sys"; fail=1; }
if ! diff -u "$tmp/sys" "$tmp/ours"; then
	echo "FAIL: exports differ (- pcsc-lite, + ours)"
	fail=1
fi
for pci in g_rgSCardT0Pci g_rgSCardT1Pci g_rgSCardRawPci; do
	grep -qxF "R $pci size 0x10" "$tmp/ours" || { echo "FAIL: $pci is not a 16-byte read-only object"; fail=1; }
done

soname=$(readelf -d "$ours" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[ "$soname" = libpcsclite.so.1 ] || { echo "FAIL: SONAME is '$soname', want libpcsclite.so.1"; fail=1; }
[ -f "$top_builddir/pcsc-api/.libs/libpcsclite.so.1.0.0" ] ||
	{ echo "FAIL: pcsc-api/.libs/libpcsclite.so.1.0.0 missing"; fail=1; }
# Unversioned, as pcsc-lite's: no version definitions at all.
for lib in "$sys" "$ours"; do
	if readelf -V "$lib" | grep -q 'Version definition'; then
		echo "FAIL: $lib defines symbol versions"
		fail=1
	fi
done
# Full RELRO, as asked of the link (-z relro -z now).
readelf -d "$ours" | grep -q 'BIND_NOW\|FLAGS.*NOW' || { echo "FAIL: $ours is not linked with -z now"; fail=1; }
readelf -lW "$ours" | grep -q GNU_RELRO || { echo "FAIL: $ours has no GNU_RELRO segment"; fail=1; }

[ $fail = 0 ] && echo "PASS: $n exports identical to pcsc-lite's, SONAME $soname, unversioned"
exit $fail
