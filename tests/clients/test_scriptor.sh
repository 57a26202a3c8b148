#!/bin/sh
# scriptor (pcsc-tools, Perl's Chipcard::PCSC) through `ccidkit run` against
# `ccidkit vreader`: a script of APDUs, exact output.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/clients/lib.sh"
need scriptor pcsc-tools
here=$top_srcdir/tests/clients

vr_start scr
# scriptor echoes each input line, then "> APDU" and "< RESPONSE SW : meaning"
# (16 bytes a line, the status word on a line of its own after a full one).
# The status words' meanings are scriptor's own texts.
client_check "scriptor: a script of APDUs" 0 "$(expect \
	"Using T=1 protocol" \
	"# scriptor input for test_scriptor.sh: one APDU a line, \"reset\" powers the" \
	"# card again, lines starting with # are comments." \
	"80 10 00 00 03 01 02 03" \
	"> 80 10 00 00 03 01 02 03" \
	"< 01 02 03 90 00 : Normal processing." \
	"00 A4 04 00 08 F0 63 63 69 64 6B 69 74" \
	"> 00 A4 04 00 08 F0 63 63 69 64 6B 69 74" \
	"< 90 00 : Normal processing." \
	"00 A4 04 00 02 3F 00" \
	"> 00 A4 04 00 02 3F 00" \
	"< 6A 82 : Wrong parameter(s) P1-P2. File not found." \
	"80 16 00 00" \
	"> 80 16 00 00" \
	"< 90 00 : Normal processing." \
	"reset" \
	"> RESET" \
	"< OK: 3B 88 81 31 FE 45 63 63 69 64 6B 69 74 31 C9 " \
	"90 10 00 00" \
	"> 90 10 00 00" \
	"< 6E 00 : Class not supported." \
	"80 12 00 10 10" \
	"> 80 12 00 10 10" \
	"< 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F " \
	"90 00 : Normal processing." \
	"exit")" "" \
	-- "$CK" run -- scriptor "$here/scriptor_apdus.txt"

# The same from standard input, with the reader named (-r).
printf '80 10 00 00 02 CA FE\n' >"$TMP/stdin.txt"
client_check "scriptor -r READER, APDUs on stdin" 0 "$(expect \
	"Using T=1 protocol" \
	"> 80 10 00 00 02 CA FE" \
	"< CA FE 90 00 : Normal processing.")" "" \
	-- sh -c '"$@" <"$0"' "$TMP/stdin.txt" "$CK" run -- scriptor -r "ccidkit Virtual Reader 00 00"
vr_stop scr

finish
