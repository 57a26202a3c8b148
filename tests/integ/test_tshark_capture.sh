#!/bin/sh
# Integration: the pcap files ccidkit writes (ccid/capture.c) are what
# Wireshark decodes as USB CCID with no "Decode As", and the capture files
# of tests/data (built by tests/data/mkcaptures.py from the format specs)
# are read by tshark as the events their .expect files list.
# Needs tshark (Debian package tshark) and the cmocka unit test
# tests/unit/test_capture, which writes the CCID conversation when
# CCIDKIT_CAPTURE_OUT is set; skipped (77) without either.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integ/lib.sh"

TOP_SRC=${top_srcdir:-$(dirname "$0")/../..}
UNIT=${top_builddir:-.}/tests/unit/test_capture
if ! command -v tshark >/dev/null 2>&1; then
	echo "test_tshark_capture: SKIP: tshark is not installed"
	exit 77
fi
if [ ! -x "$UNIT" ]; then
	echo "test_tshark_capture: SKIP: $UNIT not built (cmocka missing?)"
	exit 77
fi

# tshark -r FILE ARGS...: fields only, its stderr chatter dropped
ts() {
	f=$1; shift
	tshark -r "$f" "$@" 2>"$TMP/tshark.err"
}

# ---- the writer: a CCID conversation (GET_DESCRIPTOR device and
# configuration, IccPowerOn, XfrBlock, GetSlotStatus, NotifySlotChange)
CCIDKIT_CAPTURE_OUT="$TMP/conv.pcap" "$UNIT" >"$TMP/unit.out" 2>&1
ok=1; [ -s "$TMP/conv.pcap" ] || { echo "  no capture written:"; cat "$TMP/unit.out"; ok=0; }
verdict "unit test wrote the conversation" $ok

check "tshark decodes usbccid: type, slot, seq" 0 "$(expect \
	"0x62	0	0" \
	"0x80	0	0" \
	"0x6f	0	1" \
	"0x80	0	1" \
	"0x65	1	2" \
	"0x81	1	2")" -- ts "$TMP/conv.pcap" -Y usbccid -T fields \
	-e usbccid.bMessageType -e usbccid.bSlot -e usbccid.bSeq

check "tshark: every record, URB fields" 0 "$(expect \
	"2	11	0x80	0x02	'S'	-115	0" \
	"2	11	0x80	0x02	'C'	0	18" \
	"2	11	0x80	0x02	'S'	-115	0" \
	"2	11	0x80	0x02	'C'	0	93" \
	"2	11	0x01	0x03	'S'	-115	10" \
	"2	11	0x01	0x03	'C'	0	0" \
	"2	11	0x82	0x03	'S'	-115	0" \
	"2	11	0x82	0x03	'C'	0	20" \
	"2	11	0x01	0x03	'S'	-115	17" \
	"2	11	0x01	0x03	'C'	0	0" \
	"2	11	0x82	0x03	'S'	-115	0" \
	"2	11	0x82	0x03	'C'	0	12" \
	"2	11	0x01	0x03	'S'	-115	10" \
	"2	11	0x01	0x03	'C'	0	0" \
	"2	11	0x82	0x03	'S'	-115	0" \
	"2	11	0x82	0x03	'C'	0	10" \
	"2	11	0x83	0x01	'C'	0	2")" -- ts "$TMP/conv.pcap" -T fields \
	-e usb.bus_id -e usb.device_address -e usb.endpoint_address \
	-e usb.transfer_type -e usb.urb_type -e usb.urb_status -e usb.data_len

check "tshark: the CCID class descriptor from the configuration" 0 "$(expect \
	"0x0110	0x00	271")" -- ts "$TMP/conv.pcap" -Y usbccid.bcdCCID -T fields \
	-e usbccid.bcdCCID -e usbccid.bMaxSlotIndex -e usbccid.dwMaxCCIDMessageLength

# ---- the test inputs: tshark agrees with the .expect files on bus,
# device, endpoint, transfer type, URB type and status
for name in usbmon189_le_us usbmon189_be_ns usbmon220_le_ns usbmon220_be_us; do
	awk '{ printf "%s\t%s\t%s\t0x%02x\t'\''%s'\''\t%s\n", $2, $3, $4, $5, $6, $7 }' \
		"$TOP_SRC/tests/data/$name.expect" >"$TMP/$name.want"
	check "tshark reads tests/data/$name.pcap as its .expect says" 0 \
		"$TMP/$name.want" -- ts "$TOP_SRC/tests/data/$name.pcap" -T fields \
		-e usb.bus_id -e usb.device_address -e usb.endpoint_address \
		-e usb.transfer_type -e usb.urb_type -e usb.urb_status
done
# USBPcap: the configuration descriptor makes the bulk pipes CCID
check "tshark decodes tests/data/usbpcap_ccid.pcap as usbccid" 0 "$(expect \
	"0x6f	0	2" \
	"0x80	0	2")" -- ts "$TOP_SRC/tests/data/usbpcap_ccid.pcap" -Y usbccid \
	-T fields -e usbccid.bMessageType -e usbccid.bSlot -e usbccid.bSeq
check "tshark reads tests/data/two_sections.pcapng" 0 "$(expect \
	"3	7	0x02	'S'" \
	"3	7	0x02	'C'" \
	"3	7	0x82	'C'" \
	"3	7	0x83	'C'" \
	"2	9	0x02	" \
	"2	9	0x82	")" -- ts "$TOP_SRC/tests/data/two_sections.pcapng" \
	-Y usb -T fields -e usb.bus_id -e usb.device_address \
	-e usb.endpoint_address -e usb.urb_type

finish
