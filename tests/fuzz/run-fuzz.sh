#!/bin/sh
# tests/fuzz/run-fuzz.sh SRCDIR BUILDDIR NAME...: what `make fuzz` runs.
# For each target NAME: run BUILDDIR/tests/fuzz/fuzz_NAME (libFuzzer, built
# by ./configure --enable-fuzzing CC=clang) for FUZZ_SECONDS seconds
# (default 60) on a scratch copy of SRCDIR/tests/fuzz/corpus/NAME, then
# merge (-merge=1) what brought new coverage back into that corpus, and
# copy any crash, leak or timeout input there too (as finding-NAME-*), so
# that `make check`'s replay reproduces it.  Prints a table: target,
# executions, corpus files (and KB), findings.  Extra libFuzzer flags for
# one target: SRCDIR/tests/fuzz/fuzz_NAME.options (one line), for all:
# FUZZ_FLAGS.  Exit status 1 when anything was found.
set -u
[ $# -ge 3 ] || { echo "usage: $0 SRCDIR BUILDDIR NAME..." >&2; exit 2; }
srcdir=$1; builddir=$2; shift 2
secs=${FUZZ_SECONDS:-60}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/ccidkit-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM
table=$scratch/table
cap_kb=${FUZZ_CORPUS_KB:-100}

# keep_corpus CORPUS MINDIR: see below.
keep_corpus() {
	kept=0
	for f in "$1"/*; do
		[ -f "$f" ] || continue
		n=$(basename "$f")
		if printf '%s\n' "$n" | grep -qE '^[0-9a-f]{40}$'; then
			rm -f "$f"
		else
			rm -f "$2/$(sha1sum <"$f" | cut -c1-40)"
			kept=$((kept + $(wc -c <"$f")))
		fi
	done
	for f in $(ls -Sr "$2"); do
		sz=$(wc -c <"$2/$f")
		[ $((kept + sz)) -le $((cap_kb * 1024)) ] || break
		cp "$2/$f" "$1/$f"
		kept=$((kept + sz))
	done
}
total_found=0

for name in "$@"; do
	bin=$builddir/tests/fuzz/fuzz_$name
	corpus=$srcdir/tests/fuzz/corpus/$name
	work=$scratch/$name
	mkdir -p "$work/corpus" "$work/art" "$corpus"
	if [ ! -x "$bin" ]; then
		echo "run-fuzz: no $bin" >&2
		printf '%-12s %14s %14s %9s\n' "$name" "-" "-" "no binary" >>"$table"
		total_found=$((total_found + 1))
		continue
	fi
	cp "$corpus"/* "$work/corpus/" 2>/dev/null
	opts=
	[ -f "$srcdir/tests/fuzz/fuzz_$name.options" ] &&
		opts=$(cat "$srcdir/tests/fuzz/fuzz_$name.options")
	echo "run-fuzz: $name for ${secs}s" >&2
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$work/art/" $opts \
		${FUZZ_FLAGS:-} "$work/corpus" >"$work/log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
	found=0
	for f in "$work/art"/*; do
		[ -f "$f" ] || continue
		found=$((found + 1))
		cp "$f" "$corpus/finding-$name-$(basename "$f")"
		echo "run-fuzz: $name: FINDING $(basename "$f") (copied to $corpus)" >&2
	done
	if [ "$rc" -ne 0 ] && [ "$found" -eq 0 ]; then
		found=1 # died without an artifact: show the log
	fi
	if [ "$found" -gt 0 ]; then
		echo "run-fuzz: $name: log $builddir/tests/fuzz/fuzz_$name.log" >&2
		cp "$work/log" "$builddir/tests/fuzz/fuzz_$name.log"
		grep -E '^(==[0-9]+==|SUMMARY|.*runtime error)' "$work/log" | head -n 5 >&2
	fi
	# New coverage back into the repository's corpus: the union is
	# minimised (-merge=1 into an empty directory), the hand-written seeds
	# and findings (names that are no SHA-1) always stay, then the
	# smallest inputs first up to FUZZ_CORPUS_KB (default 100) in all.
	mkdir -p "$work/min"
	# shellcheck disable=SC2086
	if "$bin" -merge=1 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$work/art/merge-" $opts "$work/min" "$corpus" \
		"$work/corpus" >"$work/merge.log" 2>&1; then
		keep_corpus "$corpus" "$work/min"
	else
		echo "run-fuzz: $name: merge failed, corpus left as it was" >&2
	fi
	files=$(find "$corpus" -type f | wc -l)
	kb=$(find "$corpus" -type f -exec cat {} + | wc -c)
	kb=$(((kb + 1023) / 1024))
	printf '%-12s %14s %8s (%4s KB) %9s\n' "$name" "${runs:-?}" "$files" "$kb" \
		"$found" >>"$table"
	total_found=$((total_found + found))
done

printf '\n%-12s %14s %19s %9s\n' target executions "corpus files" findings
cat "$table"
printf '(%s s per target)\n' "$secs"
[ "$total_found" -eq 0 ]
