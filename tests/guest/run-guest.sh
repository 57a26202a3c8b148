#!/bin/sh
# Run a command inside a QEMU guest with a stock Debian kernel, real usbfs
# and real libusb, with `ccidkit vreader` instances attached as USB devices
# through QEMU's usb-redir (this machine's kernel may have no USB at all).
#
#   run-guest.sh [--vreader 'VREADER ARGS']... [--qmp SOCKET] -- COMMAND...
#
# The guest sees the host's root filesystem read-only (virtio-9p) with
# fresh tmpfs on /tmp and /run; directories under /tmp that the command
# needs (working directory, build and source trees) are bound back in
# read-only.  COMMAND runs chrooted in that root, as root, in the caller's
# working directory and environment; its standard output and error come
# back on two serial ports, its exit code on a third, the kernel console on
# the first.  Exits with COMMAND's exit code; 77 when QEMU or the kernel
# cannot be had (automake's "skipped"), 124 when the guest overruns its
# time, 125 when the guest itself fails.  The output is printed when the
# guest is done: all of standard output, then all of standard error.
#
# --vreader ARGS (repeatable): one `ccidkit vreader --listen unix:... ARGS`
# each (ARGS split as by the shell), attached as usb-redir device ur0,
# ur1... on one qemu-xhci controller.  --qmp SOCKET: QEMU's monitor on
# SOCKET for hot-unplug and re-plug, with SOCKET.vreaders and SOCKET.stdout
# beside it (see qmp.py, which drives them).
#
# Environment: CCIDKIT (the ccidkit that runs the vreaders; default
# $top_builddir/ccidkit or ./ccidkit), CCIDKIT_GUEST_CACHE (kernel and
# initramfs cache; default ~/.cache/ccidkit-guest), CCIDKIT_GUEST_ACCEL
# (tcg, the default, or kvm), CCIDKIT_GUEST_TIMEOUT (seconds, default 120),
# CCIDKIT_GUEST_MEM (MiB, default 512), CCIDKIT_GUEST_IFACES (CCID
# interfaces to wait for; default one per --vreader), CCIDKIT_GUEST_KEEP
# (keep the run directory with the console log), CCIDKIT_GUEST_UDEV=1 (run
# the host's systemd-udevd in the guest: needed for libusb hotplug events
# and udev rules), CCIDKIT_GUEST_RW=1 (the whole root writable: an overlay
# with a tmpfs on top of the read-only share; /tmp is then the host's, seen
# through it, not an empty tmpfs), CCIDKIT_GUEST_USB_PCAP=DIR (QEMU writes
# each usb-redir device's traffic, as usbmon sees it, to DIR/urN.pcap:
# QEMU's `pcap=` property of USB devices; DIR must exist; a device
# re-plugged through --qmp writes none unless its device_add says pcap=).
set -u

ME=run-guest
skip() { echo "$ME: SKIP: $*" >&2; exit 77; }
die() { echo "$ME: $*" >&2; exit 125; }

usage() {
	echo "usage: $0 [--vreader 'VREADER ARGS']... [--qmp SOCKET] -- COMMAND..." >&2
	exit 2
}

VREADERS=0
QMP=
RUN=$(mktemp -d "${TMPDIR:-/tmp}/ccidkit-guest.XXXXXX") || die "mktemp failed"
while [ $# -gt 0 ]; do
	case $1 in
	--vreader)
		[ $# -ge 2 ] || usage
		printf '%s\n' "$2" >"$RUN/vr$VREADERS.args"
		VREADERS=$((VREADERS + 1)); shift 2 ;;
	--qmp)
		[ $# -ge 2 ] || usage
		QMP=$2; shift 2 ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
[ $# -ge 1 ] || usage

CACHE=${CCIDKIT_GUEST_CACHE:-${HOME:-/tmp}/.cache/ccidkit-guest}
ACCEL=${CCIDKIT_GUEST_ACCEL:-tcg}
TIMEOUT=${CCIDKIT_GUEST_TIMEOUT:-120}
MEM=${CCIDKIT_GUEST_MEM:-512}
IFACES=${CCIDKIT_GUEST_IFACES:-$VREADERS}
if [ -z "${CCIDKIT:-}" ]; then
	if [ -n "${top_builddir:-}" ]; then CCIDKIT=$top_builddir/ccidkit; else CCIDKIT=$(pwd)/ccidkit; fi
fi
QEMU=${QEMU:-qemu-system-x86_64}
BUSYBOX=${BUSYBOX:-/bin/busybox}

QEMU_PID=
VR_PIDS=
cleanup() {
	[ -n "$QEMU_PID" ] && kill "$QEMU_PID" 2>/dev/null
	for p in $VR_PIDS; do kill "$p" 2>/dev/null; done
	for p in $QEMU_PID $VR_PIDS; do wait "$p" 2>/dev/null; done
	[ -n "$QMP" ] && rm -f "$QMP" "$QMP.vreaders" "$QMP.stdout"
	if [ -n "${CCIDKIT_GUEST_KEEP:-}" ]; then
		echo "$ME: run directory kept: $RUN" >&2
	else
		rm -rf "$RUN"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- what we need from the host ----
command -v "$QEMU" >/dev/null 2>&1 ||
	skip "$QEMU not found (apt-get install qemu-system-x86)"
[ -x "$BUSYBOX" ] ||
	skip "$BUSYBOX not found (apt-get install busybox-static)"
for t in cpio gzip dpkg-deb apt-get; do
	command -v $t >/dev/null 2>&1 || skip "$t not found (apt-get install cpio gzip dpkg apt)"
done
[ "$VREADERS" -eq 0 ] || [ -x "$CCIDKIT" ] || die "no ccidkit at $CCIDKIT (set CCIDKIT)"
PCAPDIR=${CCIDKIT_GUEST_USB_PCAP:-}
if [ -n "$PCAPDIR" ]; then
	[ -d "$PCAPDIR" ] && [ -w "$PCAPDIR" ] ||
		die "CCIDKIT_GUEST_USB_PCAP: $PCAPDIR is not a writable directory"
	"$QEMU" -device usb-redir,help 2>/dev/null | grep -q '^ *pcap=' ||
		skip "$QEMU's usb-redir has no pcap property (CCIDKIT_GUEST_USB_PCAP)"
	case $PCAPDIR in /*) ;; *) PCAPDIR=$(cd "$PCAPDIR" && pwd) ;; esac
	case $PCAPDIR in *,*) die "CCIDKIT_GUEST_USB_PCAP: no commas in $PCAPDIR, please (QEMU's option syntax)" ;; esac
fi
if [ "$ACCEL" = kvm ] && ! [ -w /dev/kvm ]; then
	skip "CCIDKIT_GUEST_ACCEL=kvm but /dev/kvm is not usable"
fi
mkdir -p "$CACHE" || die "cannot create the cache $CACHE"

# ---- the kernel: a Debian package, extracted, never installed ----
# linux-image-amd64 is a metapackage; its Depends names the real one.
kernel_fetch() {
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
	if [ -z "$pkg" ]; then
		# no apt lists (offline?): a kernel fetched before will do
		KDIR=$(ls -d "$CACHE"/linux-image-*/.done 2>/dev/null | sort -V | tail -n 1)
		[ -n "$KDIR" ] ||
			skip "apt-cache cannot resolve linux-image-amd64 (run apt-get update)"
		KDIR=${KDIR%/.done}
		return 0
	fi
	KDIR=$CACHE/$pkg
	[ -f "$KDIR/.done" ] && return 0
	echo "$ME: fetching $pkg with apt-get download" >&2
	# in this run's directory, then renamed: concurrent runs do not collide
	mkdir -p "$RUN/dl"
	(cd "$RUN/dl" && apt-get download -q "$pkg" >"$RUN/dl/log" 2>&1) ||
		skip "apt-get download $pkg failed: $(tail -n 3 "$RUN/dl/log")"
	dpkg-deb -x "$RUN"/dl/"$pkg"_*.deb "$RUN/dl/x" || die "dpkg-deb -x failed"
	touch "$RUN/dl/x/.done"
	if ! [ -f "$KDIR/.done" ]; then
		rm -rf "$KDIR"   # an interrupted extraction of an older version
		mv "$RUN/dl/x" "$KDIR" || [ -f "$KDIR/.done" ] || die "cannot fill $KDIR"
	fi
	rm -rf "$RUN/dl"
}
kernel_fetch
VMLINUZ=$(ls "$KDIR"/boot/vmlinuz-* 2>/dev/null | head -n 1)
[ -n "$VMLINUZ" ] || die "no vmlinuz in $KDIR/boot"
KVER=${VMLINUZ##*/vmlinuz-}
MODDIR=$KDIR/lib/modules/$KVER

# ---- the initramfs: busybox, the modules, /init ----
# Module dependencies come from each .ko's own modinfo "depends=" (the
# extracted tree has no modules.dep: depmod runs at install time).
mod_path() {
	n=$(echo "$1" | tr _ -)
	u=$(echo "$1" | tr - _)
	grep -E "/($n|$u)\.ko(\.[a-z]+)?$" "$MODDIR/modules.order" | head -n 1
}
mod_deps() {
	tr '\0' '\n' <"$MODDIR/$1" | sed -n 's/^depends=//p' | tr , ' '
}
# mod_add NAME: NAME's dependencies first, then NAME, each once.
# (recursive: `local` keeps each level's variables; dash, bash and busybox
# sh all have it)
mod_add() {
	# shellcheck disable=SC3043
	local p d
	p=$(mod_path "$1")
	if [ -z "$p" ]; then
		# built in: nothing to load
		grep -qE "/($(echo "$1" | tr _ -)|$(echo "$1" | tr - _))\.ko$" \
			"$MODDIR/modules.builtin" && return 0
		die "module $1 is neither in modules.order nor built in"
	fi
	grep -qxF "$p" "$RUN/mods" 2>/dev/null && return 0
	for d in $(mod_deps "$p"); do mod_add "$d"; done
	grep -qxF "$p" "$RUN/mods" 2>/dev/null || echo "$p" >>"$RUN/mods"
}

# Named after this script and /init: a change to either (the module list
# is here) builds a new one.
HERE=$(cd "$(dirname "$0")" && pwd)
INITRD=$CACHE/initrd-$KVER-$(cat "$0" "$HERE/guest-init.sh" | cksum | cut -d' ' -f1).gz
initrd_build() {
	[ -f "$INITRD" ] && return 0
	rm -f "$CACHE/initrd-$KVER-"*.gz
	: >"$RUN/mods"
	for m in virtio_pci 9pnet_virtio 9p overlay xhci_pci usbcore; do mod_add "$m"; done
	root=$RUN/initrd
	mkdir -p "$root/bin" "$root/lib/modules" "$root/proc" "$root/sys" \
		"$root/dev" "$root/newroot" "$root/cmd"
	cp "$BUSYBOX" "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
	: >"$root/lib/modules/order"
	while read -r p; do
		cp "$MODDIR/$p" "$root/lib/modules/"
		echo "${p##*/}" >>"$root/lib/modules/order"
	done <"$RUN/mods"
	cp "$HERE/guest-init.sh" "$root/init" 2>/dev/null ||
		die "guest-init.sh missing next to $0"
	chmod 755 "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$INITRD.$$" ||
		die "cpio failed"
	mv "$INITRD.$$" "$INITRD"
}
initrd_build

# ---- this run: the command, its directory, its environment ----
# A second cpio archive appended to the cached one (the kernel unpacks
# concatenated archives in order) carries /cmd/*.
quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
mkdir -p "$RUN/cmd/cmd"
{
	printf 'cd %s || exit 126\n' "$(quote "$(pwd)")"
	printf 'exec'
	for a in "$@"; do printf ' %s' "$(quote "$a")"; done
	printf '\n'
} >"$RUN/cmd/cmd/run.sh"
# `export -p` is the portable, re-readable form of the environment.
export -p | grep -vE '^(export |declare -x )(HOME|TERM|SHLVL|PWD|OLDPWD|_)=' >"$RUN/cmd/cmd/env.sh"
echo "$IFACES" >"$RUN/cmd/cmd/ifaces"
echo "${CCIDKIT_GUEST_UDEV:-0}" >"$RUN/cmd/cmd/udev"
echo "${CCIDKIT_GUEST_RW:-0}" >"$RUN/cmd/cmd/rw"
# directories under /tmp or /run that must be visible in the guest
for d in "$(pwd)" "${top_builddir:-}" "${top_srcdir:-}" "$(dirname "$CCIDKIT")" \
	${CCIDKIT_GUEST_BIND:-}; do
	case $d in
	/tmp/?*|/run/?*) echo "$d" | cut -d/ -f1-3 ;;
	esac
done | sort -u >"$RUN/cmd/cmd/binds"
(cd "$RUN/cmd" && find cmd | cpio -o -H newc --quiet | gzip -1) >"$RUN/cmd.gz" || die "cpio failed"
cat "$INITRD" "$RUN/cmd.gz" >"$RUN/initrd.gz"

# ---- the virtual readers ----
set --
i=0
while [ $i -lt "$VREADERS" ]; do
	sock=$RUN/vr$i.sock
	eval "set -- \"\$@\" $(cat "$RUN/vr$i.args")"
	# Standard input: a fifo opened read-write, so the vreader never sees
	# end of input and a host-side test can write `remove`, `insert`...
	mkfifo "$RUN/vr$i.in" || die "mkfifo failed"
	"$CCIDKIT" vreader --listen "unix:$sock" "$@" <>"$RUN/vr$i.in" \
		>"$RUN/vr$i.out" 2>"$RUN/vr$i.err" &
	VR_PIDS="$VR_PIDS $!"
	set --
	for _ in $(seq 100); do
		grep -qx ready "$RUN/vr$i.out" 2>/dev/null && break
		sleep 0.1
	done
	grep -qx ready "$RUN/vr$i.out" 2>/dev/null ||
		die "vreader $i ($(cat "$RUN/vr$i.args")) did not print ready: $(cat "$RUN/vr$i.err")"
	i=$((i + 1))
done

# ---- QEMU ----
set -- -nodefaults -display none -no-reboot -m "$MEM" -smp 1 \
	-kernel "$VMLINUZ" -initrd "$RUN/initrd.gz" \
	-append "console=ttyS0 panic=-1 loglevel=6" \
	-serial "file:$RUN/console" -serial "file:$RUN/stdout" \
	-serial "file:$RUN/stderr" -serial "file:$RUN/status" \
	-virtfs local,path=/,mount_tag=hostroot,readonly=on,security_model=none,multidevs=remap,id=hostroot \
	-device qemu-xhci,id=xhci
# (KVM: a CPU model without IA32_ARCH_CAPABILITIES, which some nested
# hypervisors refuse to set: QEMU then aborts at start.)
if [ "$ACCEL" = kvm ]; then
	set -- "$@" -accel kvm -cpu host,-arch-capabilities
else
	set -- "$@" -accel tcg -cpu max
fi
i=0
while [ $i -lt "$VREADERS" ]; do
	set -- "$@" -chardev "socket,id=ur$i,path=$RUN/vr$i.sock" \
		-device "usb-redir,chardev=ur$i,id=ur$i,bus=xhci.0${PCAPDIR:+,pcap=$PCAPDIR/ur$i.pcap}"
	i=$((i + 1))
done
# With --qmp (QEMU's monitor protocol on a unix socket, for tests/guest/
# qmp.py), SOCKET.vreaders lists "ID SOCKET FIFO" per vreader: the
# usb-redir device id (and chardev id), the vreader's socket (for a new
# chardev-add after device_del, which deletes the chardev too) and its
# standard input.  qmp.py uses it.
if [ -n "$QMP" ]; then
	rm -f "$QMP"
	i=0
	while [ $i -lt "$VREADERS" ]; do
		echo "ur$i $RUN/vr$i.sock $RUN/vr$i.in"
		i=$((i + 1))
	done >"$QMP.vreaders"
	# and SOCKET.stdout follows the command's output as it comes, for a
	# host-side test to wait for a line the command prints
	ln -sf "$RUN/stdout" "$QMP.stdout"
	set -- "$@" -qmp "unix:$QMP,server=on,wait=off"
fi

"$QEMU" "$@" </dev/null >"$RUN/qemu.log" 2>&1 &
QEMU_PID=$!
elapsed=0
while kill -0 "$QEMU_PID" 2>/dev/null; do
	if [ "$elapsed" -ge $((TIMEOUT * 10)) ]; then
		kill "$QEMU_PID" 2>/dev/null
		echo "$ME: the guest did not finish within $TIMEOUT s; killed. Console tail:" >&2
		tail -n 30 "$RUN/console" >&2
		wait "$QEMU_PID" 2>/dev/null; QEMU_PID=
		cat "$RUN/stdout"; cat "$RUN/stderr" >&2
		exit 124
	fi
	sleep 0.1
	elapsed=$((elapsed + 1))
done
wait "$QEMU_PID"; qrc=$?; QEMU_PID=

cat "$RUN/stdout"
cat "$RUN/stderr" >&2
rc=$(sed -n 's/^ccidkit-guest-exit: \([0-9]*\)$/\1/p' "$RUN/status" | tail -n 1)
if [ -z "$rc" ]; then
	err=$(sed -n 's/^ccidkit-guest-error: //p' "$RUN/status")
	echo "$ME: the guest ended without the command's exit code (qemu exit $qrc)${err:+: $err}" >&2
	echo "$ME: qemu: $(cat "$RUN/qemu.log")" >&2
	echo "$ME: console tail:" >&2
	tail -n 30 "$RUN/console" >&2
	for f in "$RUN"/vr*.err; do
		[ -s "$f" ] && { echo "$ME: ${f##*/}:"; tail -n 10 "$f"; } >&2
	done
	exit 125
fi
exit "$rc"
