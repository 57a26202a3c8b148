#!/bin/sh
# ABI of the headers: abi_dump built against the system's pcsc-lite headers
# and against ours must print exactly the same lines (sizes, offsets, exact
# types, prototypes, constant values and types; see abi_list.h), and no
# line may say MISMATCH.
top_builddir=${top_builddir:-.}
dir=$top_builddir/tests/abi
sys=$dir/abi_dump_sys
ours=$dir/abi_dump_ours

if [ ! -x "$sys" ]; then
	echo "SKIP: $sys was not built: pcsc-lite's headers (libpcsclite-dev) were not found at configure time;" \
		"install libpcsclite-dev and re-run configure to compare our PC/SC headers with pcsc-lite's" >&2
	exit 77
fi

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0

"$sys" >"$tmp/sys" || { echo "FAIL: $sys exited with $?"; exit 1; }
"$ours" >"$tmp/ours" || { echo "FAIL: $ours exited with $?"; exit 1; }

# The list has some 300 entries; a short output means a broken build.
n=$(wc -l <"$tmp/sys")
if [ "$n" -lt 300 ]; then
	echo "FAIL: only $n lines from $sys"
	fail=1
fi
if grep -nE " MISMATCH(\(|$)" "$tmp/sys" "$tmp/ours"; then
	echo "FAIL: the lines above do not have the type abi_list.h states"
	fail=1
fi
if ! diff -u "$tmp/sys" "$tmp/ours"; then
	echo "FAIL: our headers differ from pcsc-lite's (- system, + ours)"
	fail=1
fi
# Spot checks of the facts the whole ABI hangs on (research/pcsc-abi.md §3-4).
for want in \
	'struct SCARD_READERSTATE size 80 align 8' \
	'field SCARD_READERSTATE.rgbAtr offset 40 size 33 ok' \
	'type DWORD size 8 ok' \
	'type LONG size 8 ok' \
	'struct SCARD_IO_REQUEST size 16 align 8' \
	'struct PIN_VERIFY_STRUCTURE size 19 align 1' \
	'struct PIN_MODIFY_STRUCTURE size 24 align 1' \
	'struct PCSC_TLV_STRUCTURE size 6 align 1' \
	'pci SCARD_PCI_T1 ok size 16 protocol 2 length 16' \
	'const SCARD_E_UNSUPPORTED_FEATURE long 0x8010001f' \
	'const SCARD_AUTOALLOCATE unsigned long 0xffffffffffffffff' \
	'const INFINITE unsigned int 0xffffffff' \
	'const CM_IOCTL_GET_FEATURE_REQUEST int 0x42000d48'; do
	grep -qxF "$want" "$tmp/ours" || { echo "FAIL: ours lacks line: $want"; fail=1; }
done
[ $fail = 0 ] && echo "PASS: $n ABI facts identical in pcsc-lite's and our headers"
exit $fail
