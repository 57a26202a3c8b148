#!/bin/sh
# /init of the ccidkit test guest (busybox sh, PID 1).  run-guest.sh puts
# it in the initramfs with the kernel modules (in dependency order, in
# /lib/modules/order) and this run's command in /cmd.
#
# Serial ports: ttyS0 kernel console, ttyS1 the command's stdout, ttyS2 its
# stderr, ttyS3 the status line "ccidkit-guest-exit: RC" (or
# "ccidkit-guest-error: WHY").  /cmd/run.sh (cd + exec COMMAND), env.sh
# (the caller's environment), ifaces (CCID interfaces to wait for), binds,
# udev and rw come from run-guest.sh.  Then power off; a panic reboots, and QEMU
# runs with -no-reboot, so the host never waits for a dead guest.
PATH=/bin
export PATH

fail() {
	echo "ccidkit-guest-error: $*" >/dev/ttyS3
	echo "init: $*" >/dev/console
	sync
	poweroff -f
}

/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for p in /dev/ttyS1 /dev/ttyS2 /dev/ttyS3; do
	stty -F "$p" raw -echo 2>/dev/null
done

while read -r m; do
	insmod "/lib/modules/$m" || fail "insmod $m failed"
done </lib/modules/order

# The host's root, read-only.  A large msize: the default 8 KiB makes every
# read a round trip per page.  The virtio device may probe a moment after
# insmod returns: retry (5 s).  CCIDKIT_GUEST_RW=1: the share goes under an overlay whose upper layer is
# a tmpfs, so the whole root is writable (writes stay in the guest's RAM).
rw=$(cat /cmd/rw)
if [ "$rw" = 1 ]; then share=/lower; else share=/newroot; fi
mkdir -p "$share"
i=0
until mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=262144,cache=loose \
	hostroot "$share" 2>/tmp.err; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "cannot mount the host's root over 9p: $(cat /tmp.err)"
	sleep 0.1
done
if [ "$rw" = 1 ]; then
	mkdir -p /rw
	mount -t tmpfs -o mode=755 tmpfs /rw && mkdir /rw/upper /rw/work &&
		mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work \
			overlay /newroot 2>/tmp.err ||
		fail "cannot mount the overlay: $(cat /tmp.err)"
	: >/cmd/binds   # /tmp stays the host's, writable through the overlay
fi

# Read-only: directories under the host's /tmp and /run that the command
# needs, set aside before tmpfs hides them, moved back on top of it.
n=0
while read -r d; do
	[ -d "/newroot$d" ] || continue
	mkdir -p "/stage/$n"
	mount -o bind "/newroot$d" "/stage/$n" || fail "bind $d"
	n=$((n + 1))
done </cmd/binds
if [ "$rw" != 1 ]; then
	mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp || fail "tmpfs /tmp"
fi
mount -t tmpfs -o mode=755 tmpfs /newroot/run || fail "tmpfs /run"
n=0
while read -r d; do
	[ -d "/stage/$n" ] || continue
	mkdir -p "/newroot$d"
	mount -o move "/stage/$n" "/newroot$d" || fail "move $d"
	n=$((n + 1))
done </cmd/binds

mount -t proc proc /newroot/proc || fail "proc"
mount -t sysfs sysfs /newroot/sys || fail "sysfs"
mount -t devtmpfs devtmpfs /newroot/dev || fail "devtmpfs"
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts
mount -t tmpfs -o mode=1777 tmpfs /newroot/dev/shm
mkdir -p /newroot/run/ccidkit-guest
cp /cmd/* /newroot/run/ccidkit-guest/

# CCIDKIT_GUEST_UDEV=1: run the host's systemd-udevd in the guest.  libusb
# (built with udev) learns of hotplug only from udevd's events, and udev
# rules (device modes, groups, tags) are applied only by it.
if [ "$(cat /cmd/udev)" = 1 ]; then
	# systemd's tools do nothing in a chroot ("Running in chroot, ignoring
	# request") unless told; the command inherits this too (udevadm trigger)
	SYSTEMD_IGNORE_CHROOT=1
	export SYSTEMD_IGNORE_CHROOT
	chroot /newroot /bin/test -x /lib/systemd/systemd-udevd ||
		fail "CCIDKIT_GUEST_UDEV=1 but the host has no /lib/systemd/systemd-udevd (apt-get install udev)"
	chroot /newroot /lib/systemd/systemd-udevd --daemon 2>/dev/console ||
		fail "systemd-udevd did not start"
fi

# Wait (at most 30 s) until the expected number of CCID interfaces (class
# 0x0B) are enumerated: usb-redir devices attach a moment after xhci.
want=$(cat /cmd/ifaces)
count_ccid() {
	c=0
	for f in /sys/bus/usb/devices/*/bInterfaceClass; do
		[ -r "$f" ] && [ "$(cat "$f")" = 0b ] && c=$((c + 1))
	done
	echo $c
}
i=0
while [ "$(count_ccid)" -lt "$want" ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
have=$(count_ccid)
[ "$have" -ge "$want" ] ||
	echo "run-guest: only $have of $want CCID interfaces appeared in 30 s" >/dev/ttyS2

if [ "$(cat /cmd/udev)" = 1 ]; then
	# the devices that appeared before udevd: replay their events, once
	# udevd answers on its control socket
	chroot /newroot /bin/udevadm control --ping --timeout=20 ||
		echo "run-guest: udevd does not answer" >/dev/ttyS2
	chroot /newroot /bin/udevadm trigger --type=subsystems --action=add
	chroot /newroot /bin/udevadm trigger --type=devices --action=add
	chroot /newroot /bin/udevadm settle --timeout=20 ||
		echo "run-guest: udevadm settle timed out" >/dev/ttyS2
fi

chroot /newroot /bin/sh -c '. /run/ccidkit-guest/env.sh; . /run/ccidkit-guest/run.sh' \
	</dev/null >/dev/ttyS1 2>/dev/ttyS2
rc=$?
echo "ccidkit-guest-exit: $rc" >/dev/ttyS3
sync
poweroff -f
