/* ccidkit — unit tests for ccid/quirks.c: the table gives exact flags for
 * the readers of research/readers.md, bcdDevice ranges are inclusive at
 * both ends, rows add up, unknown readers get nothing. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ccid/quirks.h"

#define P3 CCID_QUIRK_PART3_FIRMWARE

static void test_part3_readers(void **state)
{
	static const uint16_t ids[][2] = {
		{ 0x072F, 0x221A }, { 0x072F, 0x223B }, { 0x072F, 0x223E },
		{ 0x072F, 0x2259 }, { 0x072F, 0x2224 }, { 0x076B, 0x5022 },
		{ 0x076B, 0x5422 }, { 0x076B, 0x532A }, { 0x076B, 0x5340 },
		{ 0x04E6, 0x5292 }, { 0x04E6, 0x5725 }, { 0x04E6, 0x5720 },
		{ 0x04E6, 0x5721 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		assert_int_equal(ccid_quirks_lookup(ids[i][0], ids[i][1], 0x0100),
				 P3);
		assert_int_equal(ccid_quirks_lookup(ids[i][0], ids[i][1], 0x0000),
				 P3);
		assert_int_equal(ccid_quirks_lookup(ids[i][0], ids[i][1], 0xFFFF),
				 P3);
	}
	/* the virtual reader: contactless model yes, contact model no */
	assert_int_equal(ccid_quirks_lookup(0x1209, 0x0002, 0x0100), P3);
	assert_int_equal(ccid_quirks_lookup(CCID_VREADER_CTLS_VID,
					    CCID_VREADER_CTLS_PID, 0), P3);
	assert_int_equal(ccid_quirks_lookup(0x1209, 0x0001, 0x0100), 0);
	assert_int_equal(ccid_quirks_lookup(0x076B, 0x5427, 0x0100),
			 P3 | CCID_QUIRK_ESCAPE_ALLOWED);
	assert_int_equal(ccid_quirks_lookup(0x04E6, 0x5790, 0x0102),
			 P3 | CCID_QUIRK_SLOW_OPEN);
	assert_int_equal(ccid_quirks_lookup(0x04E6, 0x5724, 0x0104),
			 P3 | CCID_QUIRK_SLOW_OPEN);
}

static void test_contact_readers(void **state)
{
	(void)state;
	/* contact readers: no Part 3 firmware, no other quirk */
	assert_int_equal(ccid_quirks_lookup(0x1050, 0x0407, 0x0512), 0);
	assert_int_equal(ccid_quirks_lookup(0x072F, 0x90CC, 0x0100), 0);
	assert_int_equal(ccid_quirks_lookup(0x076B, 0x5321, 0x0520), 0);
	assert_int_equal(ccid_quirks_lookup(0x04E6, 0x5116, 0x0100), 0);
	assert_int_equal(ccid_quirks_lookup(0x08E6, 0x3437, 0x0100), 0);
	assert_int_equal(ccid_quirks_lookup(0, 0, 0), 0);
	assert_int_equal(ccid_quirks_lookup(0xFFFF, 0xFFFF, 0xFFFF), 0);
	/* VID and PID swapped do not match */
	assert_int_equal(ccid_quirks_lookup(0x2200, 0x072F, 0x0207), 0);
}

static void test_bcd_ranges(void **state)
{
	(void)state;
	/* ACR122U: Part 3 always, slow to open, bogus below 2.06 */
	assert_int_equal(ccid_quirks_lookup(0x072F, 0x2200, 0x0205),
			 P3 | CCID_QUIRK_SLOW_OPEN | CCID_QUIRK_BOGUS_FIRMWARE);
	assert_int_equal(ccid_quirks_lookup(0x072F, 0x2200, 0x0000),
			 P3 | CCID_QUIRK_SLOW_OPEN | CCID_QUIRK_BOGUS_FIRMWARE);
	assert_int_equal(ccid_quirks_lookup(0x072F, 0x2200, 0x0206),
			 P3 | CCID_QUIRK_SLOW_OPEN);
	assert_int_equal(ccid_quirks_lookup(0x072F, 0x2200, 0x0207),
			 P3 | CCID_QUIRK_SLOW_OPEN);
	/* SafeNet eToken 5100: firmware 0.12 and 0.13 only */
	assert_int_equal(ccid_quirks_lookup(0x0529, 0x0620, 0x0011), 0);
	assert_int_equal(ccid_quirks_lookup(0x0529, 0x0620, 0x0012),
			 CCID_QUIRK_NO_IFSD_REQUEST);
	assert_int_equal(ccid_quirks_lookup(0x0529, 0x0620, 0x0013),
			 CCID_QUIRK_NO_IFSD_REQUEST);
	assert_int_equal(ccid_quirks_lookup(0x0529, 0x0620, 0x0014), 0);
	/* GemPC Twin: ZLP only with firmware 2.00 */
	assert_int_equal(ccid_quirks_lookup(0x08E6, 0x3437, 0x0200),
			 CCID_QUIRK_ZLP);
	assert_int_equal(ccid_quirks_lookup(0x08E6, 0x3437, 0x0201), 0);
	/* SCL010: Part 3; bogus below 1.12 */
	assert_int_equal(ccid_quirks_lookup(0x04E6, 0x5291, 0x0111),
			 P3 | CCID_QUIRK_BOGUS_FIRMWARE);
	assert_int_equal(ccid_quirks_lookup(0x04E6, 0x5291, 0x0112), P3);
	/* Alcor AU9520: never autosuspended; bogus below 1.02 */
	assert_int_equal(ccid_quirks_lookup(0x058F, 0x9520, 0x0101),
			 CCID_QUIRK_NO_AUTOSUSPEND | CCID_QUIRK_BOGUS_FIRMWARE);
	assert_int_equal(ccid_quirks_lookup(0x058F, 0x9520, 0x0102),
			 CCID_QUIRK_NO_AUTOSUSPEND);
}

static void test_other_flags(void **state)
{
	(void)state;
	assert_int_equal(ccid_quirks_lookup(0x076B, 0x3031, 0x0100),
			 CCID_QUIRK_NO_PINPAD | CCID_QUIRK_FORCE_EXTENDED);
	assert_int_equal(ccid_quirks_lookup(0x03F0, 0x1024, 0x0100),
			 CCID_QUIRK_NO_PINPAD);
	assert_int_equal(ccid_quirks_lookup(0x0D46, 0x3010, 0x0100),
			 CCID_QUIRK_FORCE_SHORT);
	assert_int_equal(ccid_quirks_lookup(0x046A, 0x00A1, 0x0100),
			 CCID_QUIRK_FORCE_EXTENDED);
	assert_int_equal(ccid_quirks_lookup(0x046A, 0x00A1, 0x0101), 0);
	assert_int_equal(ccid_quirks_lookup(0x25DD, 0x3111, 0x0111),
			 CCID_QUIRK_NO_PINPAD);
	assert_int_equal(ccid_quirks_lookup(0x25DD, 0x3111, 0x0112), 0);
	assert_int_equal(ccid_quirks_lookup(0x09D8, 0x0427, 0x0200),
			 CCID_QUIRK_SLOW_OPEN);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(ccid_quirk_name(CCID_QUIRK_PART3_FIRMWARE),
			    "PART3_FIRMWARE");
	assert_string_equal(ccid_quirk_name(CCID_QUIRK_ZLP), "ZLP");
	assert_string_equal(ccid_quirk_name(CCID_QUIRK_NO_PINPAD), "NO_PINPAD");
	/* every defined bit has a name, the next one none */
	for (unsigned b = 0; b <= 9; b++)
		assert_non_null(ccid_quirk_name(1u << b));
	assert_null(ccid_quirk_name(1u << 10));
	assert_null(ccid_quirk_name(0));
	assert_null(ccid_quirk_name(CCID_QUIRK_PART3_FIRMWARE | CCID_QUIRK_ZLP));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_part3_readers),
		cmocka_unit_test(test_contact_readers),
		cmocka_unit_test(test_bcd_ranges),
		cmocka_unit_test(test_other_flags),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
