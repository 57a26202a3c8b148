/* ccidkit — unit tests for ccid/sw.c (ISO/IEC 7816-4 §5.6 status words). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ccid/sw.h"

struct sw_case {
	uint8_t sw1, sw2;
	const char *text;
};

static const struct sw_case cases[] = {
	{ 0x90, 0x00, "success" },
	{ 0x61, 0x10, "16 more bytes available (GET RESPONSE)" },
	{ 0x61, 0x01, "1 more bytes available (GET RESPONSE)" },
	{ 0x61, 0x00, "256 more bytes available (GET RESPONSE)" },
	{ 0x62, 0x00, "warning: no information given (state unchanged)" },
	{ 0x62, 0x81, "warning: part of returned data may be corrupted" },
	{ 0x62, 0x82, "warning: end of file or record reached before reading Ne bytes" },
	{ 0x62, 0x83, "warning: selected file deactivated" },
	{ 0x62, 0x84, "warning: file control information not formatted" },
	{ 0x62, 0x85, "warning: selected file in termination state" },
	{ 0x62, 0x86, "warning: no input data available from a sensor" },
	{ 0x62, 0x10, "warning: state of non-volatile memory unchanged" },
	{ 0x63, 0x00, "warning: no information given (state changed)" },
	{ 0x63, 0x81, "warning: file filled up by the last write" },
	{ 0x63, 0xC0, "verification failed, 0 tries left" },
	{ 0x63, 0xC2, "verification failed, 2 tries left" },
	{ 0x63, 0xCF, "verification failed, 15 tries left" },
	{ 0x63, 0x10, "warning: state of non-volatile memory changed" },
	{ 0x64, 0x00, "execution error (PIN pad: timeout)" },
	{ 0x64, 0x01, "immediate response required (PIN pad: cancelled)" },
	{ 0x64, 0x02, "execution error: state of non-volatile memory unchanged" },
	{ 0x65, 0x00, "execution error: no information given (state changed)" },
	{ 0x65, 0x81, "memory failure" },
	{ 0x66, 0x00, "security-related issue" },
	{ 0x67, 0x00, "wrong length" },
	{ 0x68, 0x00, "function in CLA not supported" },
	{ 0x68, 0x81, "logical channel not supported" },
	{ 0x68, 0x82, "secure messaging not supported" },
	{ 0x68, 0x83, "last command of the chain expected" },
	{ 0x68, 0x84, "command chaining not supported" },
	{ 0x69, 0x00, "command not allowed" },
	{ 0x69, 0x81, "command incompatible with file structure" },
	{ 0x69, 0x82, "security status not satisfied" },
	{ 0x69, 0x83, "authentication method blocked" },
	{ 0x69, 0x84, "reference data not usable" },
	{ 0x69, 0x85, "conditions of use not satisfied" },
	{ 0x69, 0x86, "command not allowed (no current EF)" },
	{ 0x69, 0x87, "expected secure messaging data objects missing" },
	{ 0x69, 0x88, "incorrect secure messaging data objects" },
	{ 0x69, 0x99, "command not allowed" },
	{ 0x6A, 0x00, "wrong parameters P1-P2" },
	{ 0x6A, 0x80, "incorrect parameters in the command data field" },
	{ 0x6A, 0x81, "function not supported" },
	{ 0x6A, 0x82, "file or application not found" },
	{ 0x6A, 0x83, "record not found" },
	{ 0x6A, 0x84, "not enough memory space in the file" },
	{ 0x6A, 0x85, "Nc inconsistent with TLV structure" },
	{ 0x6A, 0x86, "incorrect parameters P1-P2" },
	{ 0x6A, 0x87, "Nc inconsistent with parameters P1-P2" },
	{ 0x6A, 0x88, "referenced data or reference data not found" },
	{ 0x6A, 0x89, "file already exists" },
	{ 0x6A, 0x8A, "DF name already exists" },
	{ 0x6B, 0x00, "wrong parameters P1-P2" },
	{ 0x6C, 0x20, "wrong Le: exact length is 32" },
	{ 0x6C, 0x00, "wrong Le: exact length is 256" },
	{ 0x6D, 0x00, "instruction not supported" },
	{ 0x6E, 0x00, "class not supported" },
	{ 0x6F, 0x00, "no precise diagnosis" },
	{ 0x90, 0x01, "unknown status" },
	{ 0x6B, 0x01, "unknown status" },
	{ 0x6D, 0x12, "unknown status" },
	{ 0x12, 0x34, "unknown status" },
	{ 0x00, 0x00, "unknown status" },
	{ 0xFF, 0xFF, "unknown status" },
};

static void test_table(void **state)
{
	char buf[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *r;

		memset(buf, 'X', sizeof(buf));
		r = ccid_sw_describe(cases[i].sw1, cases[i].sw2, buf, sizeof(buf));
		assert_ptr_equal(r, buf);
		if (strcmp(buf, cases[i].text) != 0)
			fail_msg("%02X%02X: got \"%s\", want \"%s\"", cases[i].sw1,
				 cases[i].sw2, buf, cases[i].text);
	}
}

static void test_small_buffer(void **state)
{
	char buf[8];
	char one[1] = { 'X' };

	(void)state;
	memset(buf, 'X', sizeof(buf));
	assert_ptr_equal(ccid_sw_describe(0x6A, 0x82, buf, 5), buf);
	assert_string_equal(buf, "file");
	assert_int_equal(buf[5], 'X'); /* nothing written past cap */
	assert_ptr_equal(ccid_sw_describe(0x61, 0x10, buf, 3), buf);
	assert_string_equal(buf, "16");
	assert_ptr_equal(ccid_sw_describe(0x90, 0x00, one, 1), one);
	assert_int_equal(one[0], '\0');
}

static void test_zero_cap_and_null(void **state)
{
	char buf[4] = { 'a', 'b', 'c', 'd' };

	(void)state;
	assert_ptr_equal(ccid_sw_describe(0x90, 0x00, buf, 0), buf);
	assert_int_equal(buf[0], 'a'); /* cap 0: nothing written */
	assert_null(ccid_sw_describe(0x90, 0x00, NULL, 10));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_zero_cap_and_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
