#!/bin/sh
# Benchmark (not a test; `make bench-guest`): ccidkit's libpcsclite.so.1
# head to head with pcscd + libccid (Debian's packages) and pcsc-lite's
# libpcsclite.so.1, in ONE boot of the QEMU guest, on the same virtual
# reader: `ccidkit vreader` at the extended APDU level, attached through
# usb-redir, under an identity that libccid's Info.plist lists (1209:2702,
# which libccid's code does not special-case), so that pcscd hands it to
# libccid.  Prints a table: cold start, median and p99 round trip of a
# short and of a 4 KB extended APDU, CPU per APDU, each stack's figure and
# the ratio ccidkit / pcscd+libccid.
#
# pcscd and libccid are fetched with `apt-get download` and extracted
# (dpkg-deb -x) into the guest cache, never installed on this machine; in
# the guest (CCIDKIT_GUEST_RW=1: the root is an overlay in the guest's RAM)
# libccid is copied to /usr/lib/pcsc/drivers, where pcscd looks for it.
# bench_client (linked with -lpcsclite) runs once on the system's
# libpcsclite.so.1 with pcscd, once on ccidkit's (LD_LIBRARY_PATH).
#
# Environment: top_builddir, top_srcdir, CCIDKIT (as for the guest tests);
# BENCH_SHORT (short APDUs, default 3000), BENCH_EXT (4 KB APDUs, default
# 300), BENCH_ROUNDS (runs per stack, each a cold start and its share of
# the APDUs, default 10), BENCH_GOALS=1 (exit 1 when a goal is missed:
# latency and CPU ratios at most 0.50, cold start below 1),
# BENCH_VREADER_ARGS (more `ccidkit vreader` options, e.g. --max-msg 5000
# or a --fault), BENCH_PCSCD_LOG=1 (pcscd's debug log of the check run on
# standard error), CCIDKIT_GUEST_* (see run-guest.sh).
# Exit: 0 done, 1 a run failed or an answer was wrong, 77 cannot run here.
set -u
ME=bench-guest
HERE=$(cd "$(dirname "$0")" && pwd)
skip() { echo "$ME: SKIP: $*" >&2; exit 77; }
die() { echo "$ME: $*" >&2; exit 1; }

BUILD=${top_builddir:-$(pwd)}
CLIENT=$BUILD/tests/guest/bench_client
LIBDIR=$BUILD/pcsc-api/.libs
SHORT=${BENCH_SHORT:-3000}
EXT=${BENCH_EXT:-300}
ROUNDS=${BENCH_ROUNDS:-10}
[ "$ROUNDS" -ge 1 ] && [ "$SHORT" -ge "$ROUNDS" ] && [ "$EXT" -ge "$ROUNDS" ] ||
	die "BENCH_SHORT and BENCH_EXT must be at least BENCH_ROUNDS (>= 1)"
VID=1209 PID=2702
[ -x "$CLIENT" ] || die "no $CLIENT (make tests/guest/bench_client)"
[ -f "$LIBDIR/libpcsclite.so.1" ] || die "no $LIBDIR/libpcsclite.so.1 (make)"
# the client's libpcsclite.so.1 without LD_LIBRARY_PATH: pcsc-lite's
syslib=$(ldd "$CLIENT" 2>/dev/null | sed -n 's/^[[:space:]]*libpcsclite\.so\.1 => \([^ ]*\) .*/\1/p')
[ -n "$syslib" ] || skip "the system's libpcsclite.so.1 is missing (apt-get install libpcsclite1)"

# ---- pcscd and libccid: Debian's packages, extracted, not installed ----
pkgs_broken() { die "$@"; }
. "$HERE/pcscd-pkgs.sh"
pcscd_pkgs
grep -q "<string>0x$VID</string>" "$PKG/etc/libccid_Info.plist" ||
	die "libccid's Info.plist does not list vendor $VID"

# ---- one guest boot, both stacks ----
OUT=$(mktemp "${TMPDIR:-/tmp}/ccidkit-bench.XXXXXX") || die "mktemp failed"
trap 'rm -f "$OUT"' EXIT
export CCIDKIT_GUEST_RW=1
export CCIDKIT_GUEST_TIMEOUT="${CCIDKIT_GUEST_TIMEOUT:-170}"
[ -n "${BENCH_PCSCD_LOG:-}" ] && export BENCH_PCSCD_LOG
sh "$HERE/run-guest.sh" --vreader "--vid $VID --pid $PID --level extended ${BENCH_VREADER_ARGS:-}" -- \
	sh "$HERE/bench-inner.sh" "$PKG" "$CLIENT" "$LIBDIR" "$SHORT" "$EXT" "$ROUNDS" >"$OUT"
rc=$?
[ $rc -eq 77 ] && skip "the guest cannot run here (see above)"
if [ $rc -ne 0 ] || grep -q -e '^[a-z]* failed' -e '^pcscd still running' "$OUT"; then
	cat "$OUT"
	die "the guest run failed (exit $rc)"
fi

# ---- the table ----
# value STACK KEY: the last value printed for KEY
value() { sed -n "s/^$1 $2 //p" "$OUT" | tail -n 1; }
# total STACK KEY: the sum of every value printed for KEY
total() { sed -n "s/^$1 $2 //p" "$OUT" | awk '{ t += $1 } END { printf "%.0f\n", t }'; }
# quantile STACK KEY DIV: median, p99 (nearest rank) and mean of every
# value of KEY (several per line), divided by DIV
quantile() {
	sed -n "s/^$1 $2 //p" "$OUT" | tr ' ' '\n' | grep . | sort -n |
		awk -v d="$3" '{ v[NR] = $1; t += $1 } END { if (NR == 0) exit 1
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			r = int((99 * NR + 99) / 100)
			printf "%.1f %.1f %.1f\n", m / d, v[r] / d, t / NR / d }'
}
# per STACK KEY LOOP: total of KEY (ns) per APDU of LOOP, in us
per() {
	awk -v t="$(total "$1" "$2")" -v n="$(total "$1" "$3_n")" \
		'BEGIN { printf "%.1f", (n > 0 ? t / n / 1000 : -1) }'
}
problems=
for s in pcscd ccidkit; do
	[ "$(grep -c "^$s cold_us " "$OUT")" -eq "$ROUNDS" ] || problems="$problems $s:cold_us"
	[ -n "$(value $s reader)" ] || problems="$problems $s:reader"
	[ -n "$(value $s library)" ] || problems="$problems $s:library"
	[ "$(total $s short_n)" -eq "$SHORT" ] || problems="$problems $s:short_n"
	[ "$(total $s ext_n)" -eq "$EXT" ] || problems="$problems $s:ext_n"
	for l in short ext; do
		[ "$(sed -n "s/^$s ${l}_samples_ns //p" "$OUT" | wc -w)" -eq "$(total $s ${l}_n)" ] ||
			problems="$problems $s:${l}_samples_ns"
	done
done
for l in short ext; do
	grep -q "^pcscd ${l}_daemon_cpu_ns -" "$OUT" && problems="$problems pcscd:${l}_daemon_cpu_ns"
	[ "$(grep -c "^pcscd ${l}_daemon_cpu_ns " "$OUT")" -eq "$ROUNDS" ] ||
		problems="$problems pcscd:${l}_daemon_cpu_ns"
done
if [ -n "$problems" ]; then
	cat "$OUT"
	die "figures missing or short in the guest's output:$problems"
fi
grep -q '^log .*libccid\.so' "$OUT" || { cat "$OUT"; die "pcscd's log does not show libccid driving the reader"; }
case $(value pcscd library) in
"$LIBDIR"/*) die "the pcscd runs used ccidkit's library" ;;
esac
case $(value ccidkit library) in
"$LIBDIR"/*) ;;
*) die "the ccidkit runs used $(value ccidkit library), not ccidkit's library" ;;
esac

# (split on purpose: two figures per quantile)
# shellcheck disable=SC2046
set -- $(quantile pcscd cold_us 1000) $(quantile ccidkit cold_us 1000)
P_COLD=$1 C_COLD=$4
# shellcheck disable=SC2046
set -- $(quantile pcscd short_samples_ns 1000) $(quantile ccidkit short_samples_ns 1000)
P_SMED=$1 P_SP99=$2 P_SAVG=$3 C_SMED=$4 C_SP99=$5 C_SAVG=$6
# shellcheck disable=SC2046
set -- $(quantile pcscd ext_samples_ns 1000) $(quantile ccidkit ext_samples_ns 1000)
P_EMED=$1 P_EP99=$2 P_EAVG=$3 C_EMED=$4 C_EP99=$5 C_EAVG=$6
P_SCLI=$(per pcscd short_cpu_ns short) P_SDAE=$(per pcscd short_daemon_cpu_ns short)
P_ECLI=$(per pcscd ext_cpu_ns ext) P_EDAE=$(per pcscd ext_daemon_cpu_ns ext)
sum() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a + b }'; }
P_SCPU=$(sum "$P_SCLI" "$P_SDAE") P_ECPU=$(sum "$P_ECLI" "$P_EDAE")
C_SCPU=$(per ccidkit short_cpu_ns short) C_ECPU=$(per ccidkit ext_cpu_ns ext)

GOALMISS=0
# row LABEL PCSCD CCIDKIT GOAL: ratio = ccidkit / pcscd; GOAL the highest
# ratio that meets it, or "<1" for strictly below 1
row() {
	r=$(awk -v p="$2" -v c="$3" 'BEGIN { printf "%.2f", c / p }')
	case $4 in
	"<1") met=$(awk -v r="$r" 'BEGIN { print (r < 1) ? "yes" : "NO" }') ;;
	*) met=$(awk -v r="$r" -v g="$4" 'BEGIN { print (r <= g) ? "yes" : "NO" }') ;;
	esac
	[ "$met" = yes ] || GOALMISS=1
	printf '%-36s %14s %12s %7s  %-5s %s\n' "$1" "$2" "$3" "$r" "$4" "$met"
}
echo "bench-guest: pcscd $pv + libccid $lv (Debian) vs ccidkit, one guest boot" \
	"(QEMU ${CCIDKIT_GUEST_ACCEL:-tcg}), one vreader $VID:$PID at the extended APDU level"
printf '%-36s %14s %12s %7s  %-5s %s\n' metric pcscd+libccid ccidkit ratio goal met
row "cold start, median of $ROUNDS (ms)" "$P_COLD" "$C_COLD" "<1"
row "short APDU round trip, median (us)" "$P_SMED" "$C_SMED" 0.50
row "short APDU round trip, p99 (us)" "$P_SP99" "$C_SP99" 0.50
row "4 KB APDU round trip, median (us)" "$P_EMED" "$C_EMED" 0.50
row "4 KB APDU round trip, p99 (us)" "$P_EP99" "$C_EP99" 0.50
row "CPU per short APDU (us) [1]" "$P_SCPU" "$C_SCPU" 0.50
row "CPU per 4 KB APDU (us) [1]" "$P_ECPU" "$C_ECPU" 0.50
echo "ratio = ccidkit / pcscd+libccid: below 1, ccidkit is faster or cheaper."
echo "short: $SHORT x 16-byte ECHO (80 10 00 00 10 .. 10); 4 KB: $EXT x 4096-byte" \
	"extended ECHO (80 10 00 00 00 10 00 .. 10 00); in $ROUNDS runs per stack, the stacks" \
	"in turn. Cold start: from spawning the client (and pcscd) to SCardListReaders" \
	"listing the reader."
echo "[1] pcscd+libccid: client (getrusage) + pcscd (all its threads), short" \
	"$P_SCLI + $P_SDAE, 4 KB $P_ECLI + $P_EDAE; ccidkit: the client alone (all its" \
	"threads). The vreader runs on the host, common to both, and is not counted."
echo "mean round trip (us): short $P_SAVG / $C_SAVG, 4 KB $P_EAVG / $C_EAVG (pcscd+libccid / ccidkit)"
echo "threads, last run, us per APDU:"
echo "  short, pcscd+libccid:$(value pcscd short_threads | sed 's/^/ /')"
echo "  short, ccidkit:$(value ccidkit short_threads | sed 's/^/ /')"
echo "  4 KB, pcscd+libccid:$(value pcscd ext_threads | sed 's/^/ /')"
echo "  4 KB, ccidkit:$(value ccidkit ext_threads | sed 's/^/ /')"
echo "pcscd+libccid: reader \"$(value pcscd reader)\" through $(value pcscd library)"
echo "ccidkit:       reader \"$(value ccidkit reader)\" through $(value ccidkit library)"
sed -n 's/^log /pcscd -d: /p' "$OUT"
if [ "${BENCH_GOALS:-0}" = 1 ] && [ $GOALMISS -ne 0 ]; then
	echo "$ME: a goal is missed (BENCH_GOALS=1)"
	exit 1
fi
exit 0
