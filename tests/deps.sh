#!/bin/sh
# Install what ccidkit needs to build and test, from Debian's packages.
set -e
# The PC/SC clients and pcsc-lite's headers are for the tests (tests/abi,
# tests/clients).  Never pcscd: the point is that no daemon exists.
PKGS="build-essential autoconf automake libtool pkg-config tshark clang
      libusb-1.0-0-dev libusbredirparser-dev libcmocka-dev valgrind binutils g++
      libpcsclite-dev python3-pyscard pcsc-tools opensc default-jdk-headless
      qemu-system-x86 busybox-static cpio udev"
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps: all installed"
	exit 0
fi
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "deps: installing$missing"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
