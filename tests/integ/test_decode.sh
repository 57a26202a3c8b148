#!/bin/sh
# Integration: `ccidkit decode` on capture files (written here by a small
# generator, and those in tests/data/), its filters and errors; `ccidkit
# monitor` watching a virtual reader's card come and go.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integ/lib.sh"
DATA=${top_srcdir:-$(dirname "$0")/../..}/tests/data

for cmd in decode monitor; do
	"$CCIDKIT" $cmd --help >"$TMP/help" 2>&1; rc=$?
	ok=1; [ $rc -eq 0 ] || ok=0
	head -n 1 "$TMP/help" | grep -q "^Usage: ccidkit $cmd" || { echo "  first line: $(head -n 1 "$TMP/help")"; ok=0; }
	"$CCIDKIT" --help | grep -q "^  $cmd " || { echo "  'ccidkit --help' does not list $cmd"; ok=0; }
	verdict "$cmd --help" $ok
done

# ---- captures: pcap, LINKTYPE_USB_LINUX_MMAPPED (64-byte usbmon headers),
# little-endian, built from the spec (usbmon.rst, CCID 1.1) ----
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: no python3: the generated captures are not tested"
else
python3 - "$TMP" <<'EOF'
import struct, sys
def rec(ts, id, typ, xfer, ep, dev, bus, data=b'', setup=None, urb_len=None):
    flag_setup = 0 if setup is not None else ord('-')
    flag_data = 0 if data else (ord('<') if typ == 'S' and ep & 0x80 else ord('>'))
    if urb_len is None: urb_len = len(data)
    hdr = struct.pack('<QBBBBHbbqiiII8siiII', id, ord(typ), xfer, ep, dev, bus, flag_setup, flag_data,
                      ts // 1000000, ts % 1000000, 0, urb_len, len(data), setup or bytes(8), 0, 0, 0, 0)
    n = len(hdr) + len(data)
    return (ts, struct.pack('<IIII', ts // 1000000, ts % 1000000, n, n) + hdr + data)
def pcap(recs, linktype=220):
    recs = sorted(recs, key=lambda r: r[0])
    return struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, linktype) + b''.join(r[1] for r in recs)
def h(s): return bytes.fromhex(s)
def msg(t, slot, seq, p, data=b''): return bytes([t]) + struct.pack('<I', len(data)) + bytes([slot, seq]) + h(p) + data
T0 = 1700000000 * 1000000
class Dev:
    def __init__(s, bus, dev): s.bus, s.dev, s.id, s.r = bus, dev, 0x1000 * dev, []
    def nid(s): s.id += 1; return s.id
    def out(s, t, ep, data):   # bulk OUT: data on the submission
        i = s.nid(); s.r += [rec(T0 + t, i, 'S', 3, ep, s.dev, s.bus, data), rec(T0 + t + 50, i, 'C', 3, ep, s.dev, s.bus, urb_len=len(data))]
    def inn(s, t, ep, *parts): # bulk IN: one URB per part, data on the completion
        for k, data in enumerate(parts):
            i = s.nid(); s.r += [rec(T0 + t + 100 * k, i, 'S', 3, ep, s.dev, s.bus, urb_len=64), rec(T0 + t + 100 * k + 60, i, 'C', 3, ep, s.dev, s.bus, data)]
    def ctrl(s, t, setup, data=b''):
        ep = 0x80 if setup[0] & 0x80 else 0
        i = s.nid(); s.r += [rec(T0 + t, i, 'S', 2, ep, s.dev, s.bus, b'' if ep else data, setup=setup, urb_len=setup[6] | setup[7] << 8),
                             rec(T0 + t + 40, i, 'C', 2, ep, s.dev, s.bus, data if ep else b'')]
    def intr(s, t, ep, data):
        i = s.nid(); s.r += [rec(T0 + t, i, 'C', 1, ep, s.dev, s.bus, data)]
# CCID class descriptor (CCID 1.1 5.1): 2 slots, short APDU level
classdesc = struct.pack('<BBHBBIIIBIIBIIIIIBBHBB', 54, 0x21, 0x0110, 1, 7, 3, 3580, 3580, 0, 9600, 9600, 0,
                        254, 0, 0, 0x000200BE, 271, 0xFF, 0xFF, 0, 0, 1)
body = bytes([9, 4, 0, 0, 3, 0x0B, 0, 0, 0]) + classdesc + \
    bytes([7, 5, 0x01, 2, 64, 0, 0, 7, 5, 0x82, 2, 64, 0, 0, 7, 5, 0x83, 3, 8, 0, 10])
config = struct.pack('<BBHBBBBB', 9, 2, 9 + len(body), 1, 1, 0, 0x80, 50) + body
A = Dev(1, 5)    # a reader whose enumeration the capture shows
A.ctrl(0, h('8006000200000900'), config[:9])
A.ctrl(10, h('800600020000ff00'), config)
A.out(100, 0x01, msg(0x62, 0, 0, '010000'))
A.inn(200, 0x82, msg(0x80, 0, 0, '000000', h('3B888131FE45636369646B697431C9')))
A.out(2000, 0x01, msg(0x6F, 0, 1, '000000', h('00A4040008F0636369646B6974')))
A.inn(2100, 0x82, msg(0x80, 0, 1, '000000', h('9000')))
pat = msg(0x80, 0, 2, '000000', bytes(range(56)) + h('9000'))
A.out(3000, 0x01, msg(0x6F, 0, 2, '000000', h('8012003800')))
A.inn(3100, 0x82, pat[:64], pat[64:])    # one message over two URBs
A.out(4000, 0x01, msg(0x65, 1, 3, '000000'))
A.inn(4100, 0x82, msg(0x81, 1, 3, '020000'))
A.intr(5000, 0x83, h('500D'))
A.ctrl(6000, h('2101010300000000'))      # class request ABORT slot 1 seq 3
A.out(7000, 0x01, msg(0x63, 0, 4, '000000'))
A.inn(7100, 0x82, msg(0x81, 0, 4, '010000'))
B = Dev(2, 3)    # a reader seen only by its traffic (no descriptors)
B.out(1500, 0x02, msg(0x65, 0, 0, '000000'))
B.inn(1600, 0x81, msg(0x81, 0, 0, '000000'))
B.out(2500, 0x02, msg(0x6F, 0, 1, '000000', h('0020008108313233343536FFFF')))
B.inn(2600, 0x81, msg(0x80, 0, 1, '000000', h('9000')))
M = Dev(2, 4)    # a USB stick: Bulk-Only Transport CBW / CSW, not CCID
M.out(1700, 0x02, h('55534243') + bytes(27))
M.inn(1800, 0x81, h('55534253') + bytes(9))
d = sys.argv[1]
open(d + '/a.pcap', 'wb').write(pcap(A.r))
open(d + '/ab.pcap', 'wb').write(pcap(A.r + B.r + M.r))
open(d + '/storage.pcap', 'wb').write(pcap(M.r))
open(d + '/ether.pcap', 'wb').write(pcap([], 1))
open(d + '/cut.pcap', 'wb').write(pcap(B.r)[:-5])
open(d + '/junk.txt', 'w').write('hello, world\n')
EOF

A_LINES='+0.000100 001:005 > PC_to_RDR_IccPowerOn slot 0 seq 0 bPowerSelect 1 (5.0 V) len 0
+0.000260 001:005 < RDR_to_PC_DataBlock slot 0 seq 0 status 0x00 (active, ok) chain 0x00 len 15
    ATR 3B 88 81 31 FE 45 63 63 69 64 6B 69 74 31 C9 (T=1)'
A_SELECT='+0.002000 001:005 > PC_to_RDR_XfrBlock slot 0 seq 1 bBWI 0 wLevelParameter 0x0000 len 13
    APDU > CLA 00 INS A4 P1 04 P2 00 Lc 8 (SELECT)
    APDU data F0 63 63 69 64 6B 69 74
+0.002160 001:005 < RDR_to_PC_DataBlock slot 0 seq 1 status 0x00 (active, ok) chain 0x00 len 2
    APDU < SW 90 00 (success)'
A_PATTERN='+0.003000 001:005 > PC_to_RDR_XfrBlock slot 0 seq 2 bBWI 0 wLevelParameter 0x0000 len 5
    APDU > CLA 80 INS 12 P1 00 P2 38 Le 256
+0.003260 001:005 < RDR_to_PC_DataBlock slot 0 seq 2 status 0x00 (active, ok) chain 0x00 len 58
    APDU < SW 90 00 (success)
    APDU data 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 11 12 13 14 15 16 17 18 19 1A 1B 1C 1D 1E 1F 20 21 22 23 24 25 26 27 28 29 2A 2B 2C 2D 2E 2F 30 31 32 33 34 35 36 37'
A_SLOT1='+0.004000 001:005 > PC_to_RDR_GetSlotStatus slot 1 seq 3 len 0
+0.004160 001:005 < RDR_to_PC_SlotStatus slot 1 seq 3 status 0x02 (absent, ok) bClockStatus 0 (running) len 0
+0.005000 001:005 ! RDR_to_PC_NotifySlotChange slot 0 present, slot 1 present changed
+0.006000 001:005 > control ABORT slot 1 seq 3
+0.006040 001:005 < control ABORT slot 1 seq 3'
A_OFF='+0.007000 001:005 > PC_to_RDR_IccPowerOff slot 0 seq 4 len 0
+0.007160 001:005 < RDR_to_PC_SlotStatus slot 0 seq 4 status 0x01 (inactive, ok) bClockStatus 0 (running) len 0'
B_STATUS='+0.001500 002:003 > PC_to_RDR_GetSlotStatus slot 0 seq 0 len 0
+0.001660 002:003 < RDR_to_PC_SlotStatus slot 0 seq 0 status 0x00 (active, ok) bClockStatus 0 (running) len 0'
B_VERIFY='+0.002500 002:003 > PC_to_RDR_XfrBlock slot 0 seq 1 bBWI 0 wLevelParameter 0x0000 len 13
    APDU > CLA 00 INS 20 P1 00 P2 81 Lc 8 (VERIFY)'
B_OK='+0.002660 002:003 < RDR_to_PC_DataBlock slot 0 seq 1 status 0x00 (active, ok) chain 0x00 len 2
    APDU < SW 90 00 (success)'

check "decode: descriptors, layers, a message over two URBs" 0 \
	"$(expect "$A_LINES" "$A_SELECT" "$A_PATTERN" "$A_SLOT1" "$A_OFF")" -- "$CCIDKIT" decode "$TMP/a.pcap"
check "decode: two readers (one found by its traffic), a USB stick left out" 0 \
	"$(expect "$A_LINES" "$B_STATUS" "$A_SELECT" "$B_VERIFY" "    masked: 8 bytes (PIN)" "$B_OK" \
		"$A_PATTERN" "$A_SLOT1" "$A_OFF")" -- "$CCIDKIT" decode "$TMP/ab.pcap"
check "decode --show-secrets: the PIN shown" 0 \
	"$(expect "$B_STATUS" "$B_VERIFY" "    APDU data 31 32 33 34 35 36 FF FF" "$B_OK")" \
	-- "$CCIDKIT" decode --show-secrets --device 2:3 "$TMP/ab.pcap"
check "ccidkit --show-secrets decode: the PIN shown" 0 \
	"$(expect "$B_STATUS" "$B_VERIFY" "    APDU data 31 32 33 34 35 36 FF FF" "$B_OK")" \
	-- "$CCIDKIT" --show-secrets decode -d 002:003 "$TMP/ab.pcap"
check "decode --device 1:5" 0 \
	"$(expect "$A_LINES" "$A_SELECT" "$A_PATTERN" "$A_SLOT1" "$A_OFF")" -- "$CCIDKIT" decode --device 1:5 "$TMP/ab.pcap"
check "decode --device with no traffic: nothing" 0 /dev/null -- "$CCIDKIT" decode --device 3:1 "$TMP/ab.pcap"
check "decode --slot 1 (NotifySlotChange kept, ABORT by its slot)" 0 \
	"$(expect "$A_SLOT1")" -- "$CCIDKIT" decode --slot 1 "$TMP/ab.pcap"
check "decode --type XfrBlock --type SlotStatus" 0 "$(expect \
	"+0.001660 002:003 < RDR_to_PC_SlotStatus slot 0 seq 0 status 0x00 (active, ok) bClockStatus 0 (running) len 0" \
	"+0.002000 001:005 > PC_to_RDR_XfrBlock slot 0 seq 1 bBWI 0 wLevelParameter 0x0000 len 13" \
	"    APDU > CLA 00 INS A4 P1 04 P2 00 Lc 8 (SELECT)" "    APDU data F0 63 63 69 64 6B 69 74" \
	"$B_VERIFY" "    masked: 8 bytes (PIN)" \
	"+0.003000 001:005 > PC_to_RDR_XfrBlock slot 0 seq 2 bBWI 0 wLevelParameter 0x0000 len 5" \
	"    APDU > CLA 80 INS 12 P1 00 P2 38 Le 256" \
	"+0.004160 001:005 < RDR_to_PC_SlotStatus slot 1 seq 3 status 0x02 (absent, ok) bClockStatus 0 (running) len 0" \
	"+0.007160 001:005 < RDR_to_PC_SlotStatus slot 0 seq 4 status 0x01 (inactive, ok) bClockStatus 0 (running) len 0")" \
	-- "$CCIDKIT" decode --type XfrBlock --type SlotStatus "$TMP/ab.pcap"
check "decode --type PC_to_RDR_IccPowerOn --raw" 0 "$(expect \
	"+0.000100 001:005 > PC_to_RDR_IccPowerOn slot 0 seq 0 bPowerSelect 1 (5.0 V) len 0" \
	"    raw 62 00 00 00 00 00 00 01 00 00")" -- "$CCIDKIT" decode --type PC_to_RDR_IccPowerOn --raw "$TMP/ab.pcap"
check "decode --type NotifySlotChange -s 0" 0 "$(expect \
	"+0.005000 001:005 ! RDR_to_PC_NotifySlotChange slot 0 present, slot 1 present changed")" \
	-- "$CCIDKIT" decode --type NotifySlotChange -s 0 "$TMP/ab.pcap"
check "decode - (standard input)" 0 "$(expect "$A_LINES" "$A_SELECT" "$A_PATTERN" "$A_SLOT1" "$A_OFF")" \
	-- sh -c "\"\$0\" decode - <\"\$1\"" "$CCIDKIT" "$TMP/a.pcap"

# errors
check_err "decode: no CCID traffic" 1 "ccidkit decode: $TMP/storage.pcap: no CCID traffic in this capture (4 USB events)" \
	-- "$CCIDKIT" decode "$TMP/storage.pcap"
"$CCIDKIT" decode "$TMP/ether.pcap" >"$TMP/out" 2>"$TMP/err"; rc=$?
ok=1; [ $rc -eq 2 ] || { echo "  exit code $rc"; ok=0; }
grep -q "^ccidkit decode: $TMP/ether.pcap: not a USB capture: " "$TMP/err" || { echo "  stderr: $(cat "$TMP/err")"; ok=0; }
[ -s "$TMP/out" ] && ok=0
verdict "decode: an Ethernet capture is not USB (exit 2)" $ok
"$CCIDKIT" decode "$TMP/junk.txt" >"$TMP/out" 2>"$TMP/err"; rc=$?
ok=1; [ $rc -eq 2 ] || { echo "  exit code $rc"; ok=0; }
grep -q "^ccidkit decode: $TMP/junk.txt: not a pcap or pcapng capture: " "$TMP/err" || { echo "  stderr: $(cat "$TMP/err")"; ok=0; }
verdict "decode: a text file is not a capture (exit 2)" $ok
"$CCIDKIT" decode "$TMP/cut.pcap" >"$TMP/out" 2>"$TMP/err"; rc=$?
ok=1; [ $rc -eq 1 ] || { echo "  exit code $rc"; ok=0; }
printf '%s\n' "+0.000000 002:003 > PC_to_RDR_GetSlotStatus slot 0 seq 0 len 0" \
	"+0.000160 002:003 < RDR_to_PC_SlotStatus slot 0 seq 0 status 0x00 (active, ok) bClockStatus 0 (running) len 0" \
	"+0.001000 002:003 > PC_to_RDR_XfrBlock slot 0 seq 1 bBWI 0 wLevelParameter 0x0000 len 13" \
	"    APDU > CLA 00 INS 20 P1 00 P2 81 Lc 8 (VERIFY)" "    masked: 8 bytes (PIN)" | diff -u - "$TMP/out" || ok=0
grep -q "^ccidkit decode: $TMP/cut.pcap: capture cut short after 7 USB events: " "$TMP/err" || { echo "  stderr: $(cat "$TMP/err")"; ok=0; }
verdict "decode: a truncated capture is decoded up to the cut (exit 1)" $ok
fi

check_err "decode: missing file" 2 "ccidkit decode: cannot read $TMP/nosuch.pcap: No such file or directory" \
	-- "$CCIDKIT" decode "$TMP/nosuch.pcap"
check_err "decode: no file" 2 "ccidkit decode: which capture file?" -- "$CCIDKIT" decode
check_err "decode: two files" 2 "ccidkit decode: one capture file at a time" -- "$CCIDKIT" decode a b
check_err "decode: bad --device" 2 "ccidkit decode: --device wants BUS:DEV, e.g. 1:5, not '1-5'" \
	-- "$CCIDKIT" decode --device 1-5 x.pcap
check_err "decode: bad --slot" 2 "ccidkit decode: --slot wants a number 0-255, not '256'" \
	-- "$CCIDKIT" decode --slot 256 x.pcap
check_err "decode: unknown --type" 2 "ccidkit decode: unknown message type 'Frobnicate' (e.g. XfrBlock, DataBlock, IccPowerOn, NotifySlotChange)" \
	-- "$CCIDKIT" decode --type Frobnicate x.pcap
check_err "decode: bad option" 2 "ccidkit decode: bad option '--frob'" -- "$CCIDKIT" decode --frob x.pcap
check_err "--trace without SPEC" 2 "ccidkit: --trace needs a SPEC (text, text:PATH, pcap:PATH)" -- "$CCIDKIT" --trace
"$CCIDKIT" --trace frobnicate:x list >"$TMP/out" 2>"$TMP/err"; rc=$?
ok=1; [ $rc -eq 2 ] || { echo "  exit code $rc"; ok=0; }
[ -s "$TMP/err" ] || { echo "  no message"; ok=0; }
verdict "--trace with a bad SPEC: exit 2 with a message" $ok

# The captures of tests/data/ (tests/data/mkcaptures.py, written for the
# capture reader's unit test): the same traffic in every usbmon flavour,
# a USBPcap capture, a pcapng file with two sections.  A capture added
# there later is decoded with exit 0, or compared with NAME.txt if any.
USBMON_TEXT='+0.076544 003:007 > PC_to_RDR_IccPowerOn slot 0 seq 1 bPowerSelect 1 (5.0 V) len 0
+0.126544 003:007 < RDR_to_PC_DataBlock slot 0 seq 1 status 0x00 (active, ok) chain 0x00 len 13
    ATR 3B 8A 80 01 80 31 80 65 B0 85 03 00 EF (malformed)
+0.136544 003:007 ! RDR_to_PC_NotifySlotChange slot 0 present changed
+0.876544 003:007 < malformed CCID message (5 bytes): 00 01 02 03 04'
for cap in "$DATA"/*.pcap "$DATA"/*.pcapng; do
	[ -f "$cap" ] || continue
	name=$(basename "$cap")
	case "$name" in
	usbmon189_le_us.pcap|usbmon189_be_ns.pcap|usbmon220_be_us.pcap|usbmon220_le_ns.pcap)
		check "decode tests/data/$name" 0 "$(expect "$USBMON_TEXT")" -- "$CCIDKIT" decode "$cap" ;;
	usbpcap_ccid.pcap)
		check "decode tests/data/$name (USBPcap)" 0 "$(expect \
			"+0.002000 001:005 > control bmRequestType 0x21 bRequest 0x0A wValue 0x0000 wIndex 0 len 2" \
			"+0.003000 001:005 < control bmRequestType 0x21 bRequest 0x0A wValue 0x0000 wIndex 0 len 2" \
			"    data 12 34" \
			"+0.004000 001:005 > PC_to_RDR_XfrBlock slot 0 seq 2 bBWI 0 wLevelParameter 0x0000 len 5" \
			"    APDU > CLA 00 INS A4 P1 04 P2 00 Le 256 (SELECT)" \
			"+0.007000 001:005 < RDR_to_PC_DataBlock slot 0 seq 2 status 0x00 (active, ok) chain 0x00 len 2" \
			"    APDU < SW 90 00 (success)" \
			"+0.010000 001:005 ! RDR_to_PC_0x00 len 12" \
			"    data 01 02 03 04 05 06 07 08 09 0A 0B")" -- "$CCIDKIT" decode "$cap" ;;
	two_sections.pcapng)
		check "decode tests/data/$name (pcapng, two sections)" 0 "$(expect \
			"+0.000000 003:007 > PC_to_RDR_IccPowerOn slot 0 seq 1 bPowerSelect 1 (5.0 V) len 0" \
			"+0.000000 003:007 < RDR_to_PC_DataBlock slot 0 seq 1 status 0x00 (active, ok) chain 0x00 len 13" \
			"    ATR 3B 8A 80 01 80 31 80 65 B0 85 03 00 EF (malformed)" \
			"+0.060000 003:007 ! RDR_to_PC_NotifySlotChange slot 0 present changed" \
			"+20.300000 002:009 > PC_to_RDR_IccPowerOn slot 0 seq 1 bPowerSelect 1 (5.0 V) len 0")" \
			-- "$CCIDKIT" decode "$cap" ;;
	*)
		if [ -f "${cap%.*}.txt" ]; then
			check "decode tests/data/$name" 0 "${cap%.*}.txt" -- "$CCIDKIT" decode "$cap"
		else
			"$CCIDKIT" decode "$cap" >"$TMP/out" 2>"$TMP/err"; rc=$?
			ok=1
			if [ $rc -ne 0 ] || [ ! -s "$TMP/out" ]; then echo "  exit $rc: $(head -3 "$TMP/err")"; ok=0; fi
			verdict "decode tests/data/$name (decodes, exit 0)" $ok
		fi ;;
	esac
done

# ---- monitor ----
check_err "monitor: bad --count" 2 "ccidkit monitor: --count wants a positive number, not '0'" -- "$CCIDKIT" monitor --count 0
check_err "monitor: operand" 2 "ccidkit monitor: takes no arguments" -- "$CCIDKIT" monitor x

# ccidkit's own pcap trace, read back (the layers the live trace knows)
vr_start mon
"$CCIDKIT" --trace "pcap:$TMP/own.pcap" apdu '00 A4 04 00 08 F0 63 63 69 64 6B 69 74' \
	'80 12 00 05 05' >/dev/null 2>"$TMP/err"; rc=$?
ok=1; [ $rc -eq 0 ] || { echo "  apdu exit code $rc: $(cat "$TMP/err")"; ok=0; }
"$CCIDKIT" decode --type XfrBlock --type DataBlock "$TMP/own.pcap" 2>&1 |
	sed 's/^+[0-9]*\.[0-9]\{6\} /+T /' >"$TMP/own.txt"
diff -u "$(expect \
	"+T 001:100 < RDR_to_PC_DataBlock slot 0 seq 1 status 0x00 (active, ok) chain 0x00 len 15" \
	"    ATR 3B 88 81 31 FE 45 63 63 69 64 6B 69 74 31 C9 (T=1)" \
	"+T 001:100 > PC_to_RDR_XfrBlock slot 0 seq 2 bBWI 0 wLevelParameter 0x0000 len 13" \
	"    APDU > CLA 00 INS A4 P1 04 P2 00 Lc 8 (SELECT)" \
	"    APDU data F0 63 63 69 64 6B 69 74" \
	"+T 001:100 < RDR_to_PC_DataBlock slot 0 seq 2 status 0x00 (active, ok) chain 0x00 len 2" \
	"    APDU < SW 90 00 (success)" \
	"+T 001:100 > PC_to_RDR_XfrBlock slot 0 seq 3 bBWI 0 wLevelParameter 0x0000 len 5" \
	"    APDU > CLA 80 INS 12 P1 00 P2 05 Le 5" \
	"+T 001:100 < RDR_to_PC_DataBlock slot 0 seq 3 status 0x00 (active, ok) chain 0x00 len 7" \
	"    APDU < SW 90 00 (success)" \
	"    APDU data 00 01 02 03 04")" "$TMP/own.txt" || ok=0
verdict "--trace pcap:FILE apdu, then decode FILE" $ok
check "--show-secrets --trace before run: handed to the program as CCIDKIT_TRACE" 0 \
	"$(expect "text,show-secrets")" -- "$CCIDKIT" --show-secrets --trace text run -- sh -c 'echo "$CCIDKIT_TRACE"'

"$CCIDKIT" monitor --count 5 --timeout 20 >"$TMP/mon" 2>"$TMP/mon.err" &
mon_pid=$!
for _ in $(seq 50); do [ -s "$TMP/mon" ] && break; sleep 0.1; done
vr_cmd remove
vr_cmd insert
vr_cmd remove
vr_stop mon
wait $mon_pid; rc=$?
ok=1; [ $rc -eq 0 ] || { echo "  exit code $rc"; cat "$TMP/mon.err"; ok=0; }
sed 's/^+[0-9]*\.[0-9]\{6\} /+T /' "$TMP/mon" | diff -u "$(expect \
	"+T ccidkit Virtual Reader 00 00: reader found, card present" \
	"+T ccidkit Virtual Reader 00 00: card removed" \
	"+T ccidkit Virtual Reader 00 00: card inserted" \
	"+T ccidkit Virtual Reader 00 00: card removed" \
	"+T ccidkit Virtual Reader 00 00: reader left")" - || ok=0
verdict "monitor: reader found, card removed, inserted, removed, reader left" $ok

vr_start mon2 --no-card
rm -f "$TMP/mon2"   # a file of the same name would end the wait below at once
"$CCIDKIT" monitor >"$TMP/mon2" 2>"$TMP/mon.err" &
mon_pid=$!
for _ in $(seq 50); do [ -s "$TMP/mon2" ] && break; sleep 0.1; done
vr_cmd insert
kill -INT $mon_pid
wait $mon_pid; rc=$?
ok=1; [ $rc -eq 0 ] || { echo "  exit code $rc"; ok=0; }
sed 's/^+[0-9]*\.[0-9]\{6\} /+T /' "$TMP/mon2" | diff -u "$(expect \
	"+T ccidkit Virtual Reader 00 00: reader found, no card" \
	"+T ccidkit Virtual Reader 00 00: card inserted")" - || ok=0
verdict "monitor: ends at SIGINT with exit 0" $ok

# --exchanges: the monitor's own traffic too, as the text trace (the
# interrupt message that told of the removal), in one file
rm -f "$TMP/mon3"
"$CCIDKIT" monitor --exchanges --count 2 --timeout 20 >"$TMP/mon3" 2>"$TMP/mon.err" &
mon_pid=$!
for _ in $(seq 50); do grep -q "reader found" "$TMP/mon3" 2>/dev/null && break; sleep 0.1; done
vr_cmd remove
wait $mon_pid; rc=$?
ok=1; [ $rc -eq 0 ] || { echo "  exit code $rc"; ok=0; }
for line in "ccidkit Virtual Reader 00 00: reader found, card present" \
	"ccidkit Virtual Reader 00 00: card removed" \
	"unix:$TMP/mon2.sock ! RDR_to_PC_NotifySlotChange slot 0 absent changed"; do
	sed 's/^+[0-9]*\.[0-9]\{6\} //' "$TMP/mon3" | grep -qxF -- "$line" || { echo "  no line: $line"; ok=0; }
done
[ $ok -eq 1 ] || sed 's/^/    /' "$TMP/mon3"
verdict "monitor --exchanges: the events and the decoded traffic" $ok
vr_cmd insert

start=$(date +%s)
check "monitor --timeout 1: the reader, then the end" 0 /dev/null -- sh -c "\"\$0\" monitor --timeout 1 | sed -n '2,\$p'" "$CCIDKIT"
[ $(( $(date +%s) - start )) -le 5 ] || { echo "  monitor --timeout 1 took too long"; FAIL=$((FAIL + 1)); }
vr_stop mon2

finish
