#!/bin/sh
# udev/: the readers list is well-formed, sorted and without duplicates;
# the rules built from it are exactly genrules.sh's output, with the class
# match and one uaccess rule per listed VID:PID; ccid/tp_libusb.c claims
# exactly the listed vendor-class IDs; genrules.sh refuses bad lists.
set -u
LC_ALL=C
export LC_ALL
src=${top_srcdir:-.}
build=${top_builddir:-.}
list=$src/udev/readers.list
gen=$src/udev/genrules.sh
rules=$build/udev/60-ccidkit.rules
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_udev.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { # check DESCRIPTION COMMAND...
	d=$1; shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}

[ -r "$rules" ] || { echo "test_udev: $rules not built (make udev/60-ccidkit.rules)"; exit 99; }

ids() { grep -v '^#' "$list" | grep -v '^[[:space:]]*$' | cut -c1-9; }

sh "$gen" "$list" >"$tmp/rules"
check "genrules.sh accepts the list" test $? -eq 0
check "built rules are exactly genrules.sh's output" cmp -s "$tmp/rules" "$rules"
check "list IDs are sorted and unique" sh -c "grep -v '^#' '$list' | cut -c1-9 | sort -c -u"
count=$(ids | wc -l)
check "list has the 23 vendor-class readers of readers.md" test "$count" -eq 23
check "one class-0x0B rule" test "$(grep -c '^ENV{ID_USB_INTERFACES}=="\*:0b0000:\*", TAG+="uaccess"$' "$rules")" -eq 1
check "one VID:PID rule per listed reader" test "$(grep -c '^ATTR{idVendor}==' "$rules")" -eq "$count"
missing=0
for id in $(ids); do
	v=${id%:*}; p=${id#*:}
	grep -qx "ATTR{idVendor}==\"$v\", ATTR{idProduct}==\"$p\", TAG+=\"uaccess\"" "$rules" || { echo "# no rule for $id"; missing=1; }
done
check "every listed ID has its rule" test $missing -eq 0
check "every rule line grants uaccess" test "$(grep -v '^#' "$rules" | grep -e '==' | grep -v -e 'GOTO=' | grep -vc 'TAG+="uaccess"$')" -eq 0
check "rules end with the label the GOTOs jump to" test "$(tail -n 1 "$rules")" = 'LABEL="ccidkit_end"'

# tp_libusb.c: vendor_ccid_ids[] = { 0x046a003e, ... } in the same order
sed -n '/^static const uint32_t vendor_ccid_ids/,/^};/p' "$src/ccid/tp_libusb.c" |
	grep -o '0x[0-9a-f]\{8\}' | sed 's/^0x\(....\)\(....\)$/\1:\2/' >"$tmp/c_ids"
ids >"$tmp/l_ids"
check "tp_libusb.c vendor_ccid_ids[] == readers.list IDs" cmp -s "$tmp/c_ids" "$tmp/l_ids"

# The generator must refuse what would make a wrong file.
printf '04e6:5111 B\n046a:003e A\n' >"$tmp/unsorted"
check "unsorted list refused" sh -c "! sh '$gen' '$tmp/unsorted' >/dev/null 2>'$tmp/err' && grep -q 'out of order' '$tmp/err'"
printf '046a:003e A\n046a:003e B\n' >"$tmp/dup"
check "duplicate refused" sh -c "! sh '$gen' '$tmp/dup' >/dev/null 2>'$tmp/err' && grep -q 'duplicate 046a:003e' '$tmp/err'"
printf '046A:003E A\n' >"$tmp/upper"
check "upper-case hex refused" sh -c "! sh '$gen' '$tmp/upper' >/dev/null 2>'$tmp/err' && grep -q 'lower-case hex' '$tmp/err'"
printf '046a:003e\n' >"$tmp/noname"
check "line without a name refused" sh -c "! sh '$gen' '$tmp/noname' >/dev/null 2>/dev/null"

# udev's own parser, where this udev has one (systemd >= 254).
if command -v udevadm >/dev/null 2>&1 && udevadm verify --help >/dev/null 2>&1; then
	check "udevadm verify accepts the rules" udevadm verify --no-summary "$rules"
else
	echo "# note: no 'udevadm verify' here; rules syntax checked by the patterns above only"
fi

echo "1..$n"
[ $fails -eq 0 ] || { echo "test_udev: $fails of $n checks failed"; exit 1; }
exit 0
