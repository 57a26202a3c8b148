#!/bin/sh
# The rules of the house (DESIGN.md), checked on every `make check`:
# dependencies point down, only the transports see libusb/usbredir, pure
# codecs allocate nothing, the virtual reader shares no code with the driver.
src=${top_srcdir:-$(dirname "$0")/..}
# shellcheck disable=SC2086
cd "$src" || exit 1
fail=0
bad() { echo "FAIL: $*"; fail=1; }

includes() { # file -> the quoted and angled includes it has
	sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]\([^>"]*\)[>"].*/\1/p' "$1"
}

for f in ccid/*.c ccid/*.h src/*.c src/*.h tests/unit/*.c tests/fake/*.c; do
	[ -f "$f" ] || continue
	for inc in $(includes "$f"); do
		case "$inc" in
		libusb.h|libusb-1.0/libusb.h)
			[ "$f" = ccid/tp_libusb.c ] || bad "$f includes <$inc>: only ccid/tp_libusb.c may" ;;
		usbredir*.h)
			case "$f" in
			ccid/tp_usbredir.c|src/vr_*|src/vreader*|tests/*) ;;
			*) bad "$f includes <$inc>: only tp_usbredir.c and the virtual reader may" ;;
			esac ;;
		winscard.h|PCSC/*|pcsclite.h|reader.h|wintypes.h)
			case "$f" in pcsc-api/*) ;; *) bad "$f includes <$inc>: only pcsc-api/ may" ;; esac ;;
		src/*|pcsc-api/*)
			case "$f" in ccid/*) bad "$f includes $inc: ccid/ must not depend on upper layers" ;; esac ;;
		esac
		case "$f:$inc" in
		src/vr_*:ccid/*|src/vreader*:ccid/*)
			bad "$f includes $inc: the virtual reader must not share the driver's code" ;;
		ccid/reader.*:ccid/slot.h|ccid/reader.*:ccid/manager.h|ccid/slot.*:ccid/manager.h)
			bad "$f includes $inc: upward dependency" ;;
		esac
	done
done

# Pure codecs: no transport, no reader, no allocation, no I/O.
for f in ccid/desc.c ccid/msg.c ccid/atr.c ccid/apdu.c ccid/sw.c ccid/usbdesc.c; do
	for inc in $(includes "$f"); do
		case "$inc" in
		ccid/transport.h|ccid/reader.h|ccid/slot.h|ccid/manager.h)
			bad "$f includes $inc: codecs are sans-I/O" ;;
		esac
	done
	if grep -nE '\b(malloc|calloc|realloc|strdup)[[:space:]]*\(' "$f"; then
		bad "$f allocates: codecs fill caller structs"
	fi
done

[ $fail -eq 0 ] && echo "layering: ok"
exit $fail
