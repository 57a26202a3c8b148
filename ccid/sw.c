/* ccidkit — meaning of status words (see sw.h).
 *
 * ISO/IEC 7816-4 §5.6 tables 5 and 6.  Status words are data, not errors:
 * this only turns them into words for traces and for `ccidkit apdu`.
 * Exact SW1 SW2 pairs are looked up first, then the SW1 groups whose SW2
 * carries a number (61xx, 6Cxx, 63Cx), then the SW1 class alone. */
#include "config.h"
#include "ccid/sw.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct sw_row {
	uint16_t sw;
	const char *text;
};

static const struct sw_row sw_exact[] = {
	{ 0x9000, "success" },
	{ 0x6200, "warning: no information given (state unchanged)" },
	{ 0x6281, "warning: part of returned data may be corrupted" },
	{ 0x6282, "warning: end of file or record reached before reading Ne bytes" },
	{ 0x6283, "warning: selected file deactivated" },
	{ 0x6284, "warning: file control information not formatted" },
	{ 0x6285, "warning: selected file in termination state" },
	{ 0x6286, "warning: no input data available from a sensor" },
	{ 0x6300, "warning: no information given (state changed)" },
	{ 0x6381, "warning: file filled up by the last write" },
	{ 0x6400, "execution error (PIN pad: timeout)" },
	{ 0x6401, "immediate response required (PIN pad: cancelled)" },
	{ 0x6500, "execution error: no information given (state changed)" },
	{ 0x6581, "memory failure" },
	{ 0x6700, "wrong length" },
	{ 0x6800, "function in CLA not supported" },
	{ 0x6881, "logical channel not supported" },
	{ 0x6882, "secure messaging not supported" },
	{ 0x6883, "last command of the chain expected" },
	{ 0x6884, "command chaining not supported" },
	{ 0x6900, "command not allowed" },
	{ 0x6981, "command incompatible with file structure" },
	{ 0x6982, "security status not satisfied" },
	{ 0x6983, "authentication method blocked" },
	{ 0x6984, "reference data not usable" },
	{ 0x6985, "conditions of use not satisfied" },
	{ 0x6986, "command not allowed (no current EF)" },
	{ 0x6987, "expected secure messaging data objects missing" },
	{ 0x6988, "incorrect secure messaging data objects" },
	{ 0x6A00, "wrong parameters P1-P2" },
	{ 0x6A80, "incorrect parameters in the command data field" },
	{ 0x6A81, "function not supported" },
	{ 0x6A82, "file or application not found" },
	{ 0x6A83, "record not found" },
	{ 0x6A84, "not enough memory space in the file" },
	{ 0x6A85, "Nc inconsistent with TLV structure" },
	{ 0x6A86, "incorrect parameters P1-P2" },
	{ 0x6A87, "Nc inconsistent with parameters P1-P2" },
	{ 0x6A88, "referenced data or reference data not found" },
	{ 0x6A89, "file already exists" },
	{ 0x6A8A, "DF name already exists" },
	{ 0x6B00, "wrong parameters P1-P2" },
	{ 0x6D00, "instruction not supported" },
	{ 0x6E00, "class not supported" },
	{ 0x6F00, "no precise diagnosis" },
};

/* SW1 alone (ISO 7816-4 §5.6 table 5), when SW2 is not in the table */
static const struct sw_row sw_class[] = {
	{ 0x62, "warning: state of non-volatile memory unchanged" },
	{ 0x63, "warning: state of non-volatile memory changed" },
	{ 0x64, "execution error: state of non-volatile memory unchanged" },
	{ 0x65, "execution error: state of non-volatile memory changed" },
	{ 0x66, "security-related issue" },
	{ 0x68, "function in CLA not supported" },
	{ 0x69, "command not allowed" },
	{ 0x6A, "wrong parameters P1-P2" },
};

/* 61xx / 6Cxx: SW2 is a byte count, 00 meaning 256 */
static unsigned sw2_count(uint8_t sw2)
{
	return sw2 ? sw2 : 256u;
}

const char *ccid_sw_describe(uint8_t sw1, uint8_t sw2, char *buf, size_t cap)
{
	uint16_t sw = (uint16_t)(sw1 << 8 | sw2);
	const char *text = "unknown status";

	if (buf == NULL || cap == 0)
		return buf;
	if (sw1 == 0x61) {
		snprintf(buf, cap, "%u more bytes available (GET RESPONSE)",
			 sw2_count(sw2));
		return buf;
	}
	if (sw1 == 0x6C) {
		snprintf(buf, cap, "wrong Le: exact length is %u", sw2_count(sw2));
		return buf;
	}
	if (sw1 == 0x63 && (sw2 & 0xF0) == 0xC0) {
		snprintf(buf, cap, "verification failed, %u tries left", sw2 & 0x0F);
		return buf;
	}
	for (size_t i = 0; i < sizeof(sw_exact) / sizeof(sw_exact[0]); i++)
		if (sw_exact[i].sw == sw) {
			snprintf(buf, cap, "%s", sw_exact[i].text);
			return buf;
		}
	for (size_t i = 0; i < sizeof(sw_class) / sizeof(sw_class[0]); i++)
		if (sw_class[i].sw == sw1)
			text = sw_class[i].text;
	snprintf(buf, cap, "%s", text);
	return buf;
}
