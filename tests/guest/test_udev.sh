#!/bin/sh
# Guest test: the udev rules built from udev/readers.list give the seat's
# active user access to CCID readers, and nobody else.
#
# Two virtual readers: ur0 with the class-0x0B match only (1209:0001), ur1
# with a VID:PID taken from readers.list.  In a guest running systemd-udevd
# (CCIDKIT_GUEST_UDEV=1), a non-root user (uid 4242) first gets ccidkit's
# access error; `make install-udev-rules` puts the generated file into
# /run/udev/rules.d (one of udev's rules directories); after `udevadm
# control --reload; udevadm trigger --action=change; udevadm settle` the
# devices carry TAG "uaccess" and the user lists them and sends APDUs.
#
# TAG+="uaccess" grants nothing by itself: udev's 73-seat-late.rules runs
# the `uaccess` builtin on tagged devices, which puts an ACL for the seat's
# active user on the device node; that user comes from systemd-logind's
# state file /run/systemd/seats/seat0 (ACTIVE_UID).  The guest runs no
# logind, so the test writes that file the way logind does for an active
# session: the ACL itself is udev's own doing.  Debian's systemd already
# tags class-0x0B readers (70-uaccess.rules, via ID_SMARTCARD_READER): the
# test masks that file so that every grant seen comes from ccidkit's rules.
#
# Steps: no ccidkit rule -> both refused; the generated rules without the
# class line -> only the listed VID:PID; the generated rules as installed
# -> both; the seat switches to another user -> uid 4242 refused again.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ME=test_udev
USER_A=4242
USER_B=4243

if [ "${1:-}" = --inside ]; then
	. "$HERE/../integ/lib.sh"
	# lib.sh turns real USB off; here it is the point.
	export CCIDKIT_LIBUSB=1
	unset CCIDKIT_USBREDIR
	src=$top_srcdir
	build=$top_builddir
	vid=$2
	pid=$3
	RULESD=/run/udev/rules.d

	# as_user UID COMMAND...: no supplementary groups, not root
	as_user() {
		u=$1; shift
		setpriv --reuid="$u" --regid="$u" --clear-groups -- "$@"
	}
	# the device node of the USB device VID:PID, and its location as
	# ccidkit names it (usb:BUS:DEV:IFACE)
	node_of() {
		for d in /sys/bus/usb/devices/*; do
			[ -f "$d/idVendor" ] || continue
			[ "$(cat "$d/idVendor"):$(cat "$d/idProduct")" = "$1:$2" ] || continue
			printf '/dev/bus/usb/%03d/%03d\n' "$(cat "$d/busnum")" "$(cat "$d/devnum")"
			return 0
		done
		return 1
	}
	loc_of() {
		n=$(node_of "$1" "$2") || return 1
		echo "$n" | sed 's|^/dev/bus/usb/\([0-9]*\)/\([0-9]*\)$|usb:\1:\2:0|'
	}
	# has_tag NODE: 0 when udev's last event on NODE set TAG "uaccess",
	# 1 when no event ever did, 3 when only an earlier one did (sticky)
	has_tag() {
		udevadm info --query=property --name="$1" >"$TMP/prop" 2>&1 || return 2
		grep -q '^CURRENT_TAGS=.*:uaccess:' "$TMP/prop" && return 0
		grep -q '^TAGS=.*:uaccess:' "$TMP/prop" && return 3
		return 1
	}
	retrigger() {
		# (--settle: a bare `udevadm settle` may return before the
		# triggered events reach udevd's queue)
		udevadm control --reload &&
			udevadm trigger --settle --action=change --subsystem-match=usb &&
			udevadm settle --timeout=30
	}
	# check_run NAME UID RC STDOUT-FILE STDERR-FILE -- COMMAND...: exact
	# exit code, standard output and (as a set of lines) standard error
	check_run() {
		tname=$1; u=$2; want_rc=$3; want_out=$4; want_err=$5; shift 6
		as_user "$u" "$@" >"$TMP/out" 2>"$TMP/err"
		rc=$?
		ok=1
		[ "$rc" -eq "$want_rc" ] || { echo "  exit code $rc, expected $want_rc"; ok=0; }
		if ! diff -u "$want_out" "$TMP/out" >"$TMP/diff"; then
			echo "  stdout differs:"; head -40 "$TMP/diff"; ok=0
		fi
		sort "$want_err" >"$TMP/err.want"
		sort "$TMP/err" >"$TMP/err.got"
		if ! diff -u "$TMP/err.want" "$TMP/err.got" >"$TMP/diff"; then
			echo "  stderr differs (lines sorted):"; head -40 "$TMP/diff"; ok=0
		fi
		verdict "$tname" $ok
	}
	# expect_to FILE LINE...: like lib.sh's expect, into FILE ("" = empty)
	expect_to() {
		f=$1; shift
		if [ $# -eq 0 ]; then : >"$f"; else printf '%s\n' "$@" >"$f"; fi
		echo "$f"
	}

	N0=$(node_of 1209 0001); L0=$(loc_of 1209 0001)
	N1=$(node_of "$vid" "$pid"); L1=$(loc_of "$vid" "$pid")
	if [ -z "$N0" ] || [ -z "$N1" ]; then
		verdict "both vreaders enumerated (1209:0001, $vid:$pid)" 0
		finish; exit 1
	fi
	NAME0="ccidkit Virtual Reader 00 00"
	NAME1="ccidkit Listed Reader 00 00"
	# what uid 4242 is told when the node is not its to open
	hint="no permission on the USB device node: install ccidkit's udev rule (60-ccidkit.rules), then \`udevadm trigger\` and replug, or ask the administrator"
	deny0="ccidkit: warning: $L0 (1209:0001  ): cannot open: permission denied on the reader (install the udev rule?) (CCID_E_ACCESS); $hint"
	deny1="ccidkit: warning: $L1 ($(echo "$vid:$pid" | tr a-f A-F)  ): cannot open: permission denied on the reader (install the udev rule?) (CCID_E_ACCESS); $hint"
	none="ccidkit: no reader found (no USB CCID reader; for a virtual one set CCIDKIT_USBREDIR, see 'ccidkit vreader --help')"

	# ---- 0. no ccidkit rule; systemd's smart-card uaccess rule masked ----
	mkdir -p "$RULESD" /run/systemd/seats
	ln -sf /dev/null "$RULESD/70-uaccess.rules"
	# TAGS are sticky (systemd >= 247): the tags of the boot's events,
	# systemd's uaccess among them, would still match 73-seat-late.rules'
	# TAG=="uaccess".  Start from an empty udev database.
	udevadm info --cleanup-db
	retrigger
	has_tag "$N0"; r0=$?
	has_tag "$N1"; r1=$?
	[ $r0 -eq 1 ] && [ $r1 -eq 1 ]
	verdict "without ccidkit's rules neither device is tagged uaccess" $((! $?))
	# logind's record of an active session of uid 4242 on seat0
	printf 'ACTIVE=c1\nACTIVE_UID=%s\n' "$USER_A" >/run/systemd/seats/seat0
	retrigger
	check_run "no rule: uid $USER_A is refused both readers (exit 3)" "$USER_A" 3 \
		"$(expect_to "$TMP/o0")" "$(expect_to "$TMP/e0" "$deny0" "$deny1" "$none")" \
		-- "$CCIDKIT" list

	# ---- 1. the generated rules, installed, minus the class line ----
	# (proves the VID:PID lines on their own)
	sh "$src/udev/genrules.sh" "$src/udev/readers.list" >"$TMP/gen"
	verdict "genrules.sh runs on readers.list" $((! $?))
	cmp -s "$TMP/gen" "$build/udev/60-ccidkit.rules"
	verdict "the built 60-ccidkit.rules is genrules.sh's output for readers.list" $((! $?))
	c=$(grep -c '^ENV{ID_USB_INTERFACES}==' "$TMP/gen")
	grep -v '^ENV{ID_USB_INTERFACES}==' "$TMP/gen" >"$RULESD/60-ccidkit.rules"
	[ "$c" -eq 1 ]
	verdict "the generated rules have one class line (removed for this step)" $((! $?))
	retrigger
	has_tag "$N0"; r0=$?
	has_tag "$N1"; r1=$?
	[ $r0 -eq 1 ] && [ $r1 -eq 0 ]
	verdict "VID:PID lines only: $vid:$pid tagged uaccess, 1209:0001 not" $((! $?))
	check_run "VID:PID lines only: uid $USER_A lists $vid:$pid, is refused 1209:0001" \
		"$USER_A" 0 "$(expect_to "$TMP/o1" "0: $NAME1: card present")" \
		"$(expect_to "$TMP/e1" "$deny0")" -- "$CCIDKIT" list

	# ---- 2. the generated rules as `make install` puts them ----
	rm -f "$RULESD/60-ccidkit.rules"
	make -s -C "$build" install-udev-rules udevrulesdir="$RULESD" >"$TMP/make" 2>&1
	rc=$?
	[ $rc -eq 0 ] || sed 's/^/    /' "$TMP/make"
	verdict "make install-udev-rules udevrulesdir=$RULESD (exit $rc)" $((rc == 0))
	cmp -s "$TMP/gen" "$RULESD/60-ccidkit.rules"
	verdict "the installed rules are the generated ones" $((! $?))
	retrigger
	has_tag "$N0"; r0=$?
	has_tag "$N1"; r1=$?
	[ $r0 -eq 0 ] && [ $r1 -eq 0 ]
	verdict "installed rules: both devices tagged uaccess" $((! $?))
	for n in "$N0" "$N1"; do
		case $(ls -l "$n") in
		c?????????+*) verdict "$n carries an ACL (the uaccess builtin's)" 1 ;;
		*) ls -l "$n"; verdict "$n carries an ACL (the uaccess builtin's)" 0 ;;
		esac
	done
	"$CCIDKIT" list >"$TMP/root.list" 2>&1
	as_user "$USER_A" "$CCIDKIT" list >"$TMP/user.list" 2>"$TMP/err"; rc=$?
	sort "$TMP/user.list" >"$TMP/user.sorted"
	ok=1
	[ $rc -eq 0 ] || { echo "  exit code $rc: $(cat "$TMP/err")"; ok=0; }
	[ ! -s "$TMP/err" ] || { echo "  stderr:"; sed 's/^/    /' "$TMP/err"; ok=0; }
	# (the order is the enumeration's; the indices are 0 and 1)
	cut -d' ' -f2- "$TMP/user.list" | sort >"$TMP/user.names"
	if ! diff -u "$(expect_to "$TMP/o2" "$NAME1: card present" "$NAME0: card present")" \
		"$TMP/user.names"; then ok=0; fi
	[ "$(cut -d' ' -f1 "$TMP/user.list" | tr '\n' ' ')" = "0: 1: " ] || { cat "$TMP/user.list"; ok=0; }
	verdict "installed rules: uid $USER_A lists both readers, as root does" $ok
	cmp -s "$TMP/user.list" "$TMP/root.list"
	verdict "uid $USER_A's list is root's" $((! $?))
	check_run "installed rules: uid $USER_A sends ECHO to 1209:0001" "$USER_A" 0 \
		"$(expect_to "$TMP/o3" "> 80 10 00 00 03 0A 0B 0C 03" "< 0A 0B 0C" "SW: 90 00 (success)")" \
		"$(expect_to "$TMP/e3")" -- "$CCIDKIT" apdu -r "Virtual" '80 10 00 00 03 0A 0B 0C 03'
	check_run "installed rules: uid $USER_A sends ECHO to $vid:$pid" "$USER_A" 0 \
		"$(expect_to "$TMP/o4" "> 80 10 00 00 02 CA FE 02" "< CA FE" "SW: 90 00 (success)")" \
		"$(expect_to "$TMP/e4")" -- "$CCIDKIT" apdu -r "Listed" '80 10 00 00 02 CA FE 02'
	check_run "installed rules: uid $USER_B (not the seat's user) is refused" "$USER_B" 3 \
		"$(expect_to "$TMP/o5")" "$(expect_to "$TMP/e5" "$deny0" "$deny1" "$none")" \
		-- "$CCIDKIT" list

	# ---- 3. the seat switches to uid 4243: the ACL follows ----
	printf 'ACTIVE=c2\nACTIVE_UID=%s\n' "$USER_B" >/run/systemd/seats/seat0
	retrigger
	check_run "seat switched: uid $USER_A is refused both again" "$USER_A" 3 \
		"$(expect_to "$TMP/o6")" "$(expect_to "$TMP/e6" "$deny0" "$deny1" "$none")" \
		-- "$CCIDKIT" list
	check_run "seat switched: uid $USER_B sends ECHO" "$USER_B" 0 \
		"$(expect_to "$TMP/o7" "> 80 10 00 00 01 42 01" "< 42" "SW: 90 00 (success)")" \
		"$(expect_to "$TMP/e7")" -- "$CCIDKIT" apdu -r "Listed" '80 10 00 00 01 42 01'
	finish
	exit $?
fi

# ---- on the host ----
top_srcdir=${top_srcdir:-$(cd "$HERE/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
CCIDKIT=${CCIDKIT:-$top_builddir/ccidkit}
export top_srcdir top_builddir CCIDKIT
[ -x "$CCIDKIT" ] || { echo "$ME: no ccidkit at $CCIDKIT" >&2; exit 99; }
[ -r "$top_builddir/udev/60-ccidkit.rules" ] ||
	{ echo "$ME: no $top_builddir/udev/60-ccidkit.rules (make udev/60-ccidkit.rules)" >&2; exit 99; }
command -v setpriv >/dev/null 2>&1 ||
	{ echo "$ME: SKIP: setpriv not found (apt-get install util-linux)" >&2; exit 77; }
command -v make >/dev/null 2>&1 ||
	{ echo "$ME: SKIP: make not found" >&2; exit 77; }
for f in /lib/udev/rules.d/73-seat-late.rules /lib/udev/rules.d/70-uaccess.rules; do
	[ -r "$f" ] || { echo "$ME: SKIP: no $f (apt-get install udev)" >&2; exit 77; }
done
# a vendor-class reader from the list: the last one
id=$(grep -v '^#' "$top_srcdir/udev/readers.list" | grep -v '^[[:space:]]*$' | tail -n 1 | cut -c1-9)
vid=${id%:*}
pid=${id#*:}
PASS=0
FAIL=0
OUT=$(mktemp "${TMPDIR:-/tmp}/ccidkit-$ME.XXXXXX")
trap 'rm -f "$OUT"' EXIT

CCIDKIT_GUEST_UDEV=1 sh "$HERE/run-guest.sh" --vreader '' \
	--vreader "--vid $vid --pid $pid --product 'Listed Reader'" \
	-- sh "$HERE/$ME.sh" --inside "$vid" "$pid" >"$OUT" 2>&1
rc=$?
cat "$OUT"
if [ $rc -eq 77 ]; then
	echo "$ME: SKIP: the guest cannot run here (see above)"
	exit 77
fi
PASS=$(grep -c '^ok - ' "$OUT")
FAIL=$(grep -c '^not ok - ' "$OUT")
if grep -q "^$ME: [0-9]* passed, [0-9]* failed$" "$OUT" && [ $rc -le 1 ]; then
	PASS=$((PASS + 1)); echo "ok - the guest ran the whole test (exit $rc)"
else
	FAIL=$((FAIL + 1)); echo "not ok - the guest did not complete (exit $rc)"
fi
echo "$ME: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
