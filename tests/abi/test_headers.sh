#!/bin/sh
# Our four PC/SC headers are self-contained and clean: each compiles alone
# (and twice in a row: include guards) as C89/GNU, C99, C11 and C17 with
# strict warnings as errors, both as <X.h> with -I.../PCSC (how pcsc-lite's
# pkg-config flags make clients write it) and as <PCSC/X.h>; and as C++,
# where every function and object must keep its C (unmangled) name.
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
env=$top_builddir/tests/abi/abi.env
inc=$top_srcdir/pcsc-api/include
[ -r "$env" ] || { echo "FAIL: $env missing (run configure)"; exit 99; }
. "$env"

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0
WARN="-Wall -Wextra -Werror -Wshadow -Wundef -Wstrict-prototypes -Wmissing-prototypes -Wcast-qual -Wredundant-decls -Wpadded"

# compile LABEL COMPILER FLAGS...: compiles $tmp/src, reports a failure
compile() {
	label=$1; shift
	n=$((n + 1))
	if ! "$@" -c -o "$tmp/out.o" "$tmp/src" >"$tmp/log" 2>&1; then
		echo "FAIL: $label"
		sed 's/^/    /' "$tmp/src" "$tmp/log"
		fail=1
	fi
}

for h in wintypes pcsclite winscard reader; do
	for spelling in "<$h.h>" "<PCSC/$h.h>"; do
		printf '#include %s\n#include %s\nint abi_header_check;\n' "$spelling" "$spelling" >"$tmp/src"
		# -Wpadded is for the packed reader.h structures only.
		w=$WARN
		[ $h = pcsclite ] || [ $h = winscard ] && w=$(echo "$WARN" | sed 's/ -Wpadded//')
		for std in "-std=gnu89" "-std=c99 -pedantic" "-std=c11 -pedantic" "-std=c17 -pedantic"; do
			# shellcheck disable=SC2086
			compile "$spelling alone, $CC $std" $CC -x c $std $w -I"$inc/PCSC" -I"$inc"
		done
	done
done

# Using what each header defines, with nothing else included first.
cat >"$tmp/src" <<'SRC'
#include <reader.h>
_Static_assert(sizeof(PIN_VERIFY_STRUCTURE) == 19, "PIN_VERIFY_STRUCTURE");
_Static_assert(sizeof(PIN_MODIFY_STRUCTURE) == 24, "PIN_MODIFY_STRUCTURE");
_Static_assert(sizeof(PCSC_TLV_STRUCTURE) == 6, "PCSC_TLV_STRUCTURE");
_Static_assert(SCARD_ATTR_ATR_STRING == 0x90303UL, "SCARD_ATTR_VALUE");
_Static_assert(CM_IOCTL_GET_FEATURE_REQUEST == 0x42000D48, "SCARD_CTL_CODE");
uint8_t abi_header_check;
SRC
compile "reader.h used alone" $CC -x c -std=c11 -pedantic $WARN -I"$inc/PCSC"

if command -v "${CXX:-c++}" >/dev/null 2>&1; then
	cxx=${CXX:-c++}
	cat >"$tmp/src" <<'SRC'
#include <cstddef>
#include <winscard.h>
#include <reader.h>
extern "C" int abi_cxx_check(void);
int abi_cxx_check(void)
{
	SCARDCONTEXT ctx;
	SCARDHANDLE card;
	DWORD proto;
	SCARD_READERSTATE rs[2] = {};
	LONG rv = SCardEstablishContext(SCARD_SCOPE_USER, NULL, NULL, &ctx);
	rv |= SCardConnect(ctx, "r", SCARD_SHARE_SHARED, SCARD_PROTOCOL_ANY, &card, &proto);
	rv |= SCardGetStatusChange(ctx, INFINITE, rs, 2);
	rv |= SCardTransmit(card, SCARD_PCI_T1, NULL, 0, NULL, NULL, NULL);
	return (int)rv + (pcsc_stringify_error(rv) != NULL) + (int)g_rgSCardRawPci.cbPciLength;
}
SRC
	for std in -std=c++98 -std=c++11 -std=c++17; do
		compile "winscard.h + reader.h as C++ ($cxx $std)" "$cxx" -x c++ $std -Wall -Wextra -Werror -I"$inc/PCSC"
	done
	# C linkage: the object must refer to the plain C names.
	undef=$(nm -u "$tmp/out.o" 2>/dev/null | awk '{ print $2 }' | grep -E 'SCard|pcsc_|g_rgSCard' | LC_ALL=C sort | tr '\n' ' ')
	want="SCardConnect SCardEstablishContext SCardGetStatusChange SCardTransmit g_rgSCardRawPci g_rgSCardT1Pci pcsc_stringify_error "
	n=$((n + 1))
	if [ "$undef" != "$want" ]; then
		echo "FAIL: C++ object refers to '$undef', want '$want' (missing extern \"C\"?)"
		fail=1
	fi
else
	echo "NOTE: no C++ compiler (${CXX:-c++}) found: the C++ part of this test was skipped; install g++" >&2
fi

[ $fail = 0 ] && echo "PASS: $n header compilations and checks"
exit $fail
