/* ccidkit — unit tests for ccid/apdu.c (ISO/IEC 7816-4 §5.1 cases). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ccid/apdu.h"
#include "ccid/err.h"

/* A `total`-byte APDU starting with the `lead_len` bytes of `lead`, the
 * rest filled with 0xA5 (the data). */
static uint8_t *make_apdu(const uint8_t *lead, size_t lead_len, size_t total)
{
	uint8_t *b = malloc(total);

	assert_non_null(b);
	memset(b, 0xA5, total);
	memcpy(b, lead, lead_len);
	return b;
}

static void expect_parse(const uint8_t *b, size_t len, int apdu_case,
			 bool extended, size_t nc, size_t data_off, size_t ne)
{
	struct ccid_apdu a;

	memset(&a, 0x77, sizeof(a));
	assert_int_equal(ccid_apdu_parse(b, len, &a), CCID_OK);
	assert_int_equal(a.cla, b[0]);
	assert_int_equal(a.ins, b[1]);
	assert_int_equal(a.p1, b[2]);
	assert_int_equal(a.p2, b[3]);
	assert_int_equal(a.apdu_case, apdu_case);
	assert_int_equal(a.extended, extended);
	assert_int_equal(a.nc, nc);
	if (nc)
		assert_ptr_equal(a.data, b + data_off);
	else
		assert_null(a.data);
	assert_int_equal(a.ne, ne);
}

static void expect_invalid(const uint8_t *b, size_t len)
{
	struct ccid_apdu a;

	memset(&a, 0x77, sizeof(a));
	assert_int_equal(ccid_apdu_parse(b, len, &a), CCID_E_INVAL);
	assert_int_equal(a.cla, 0x77); /* untouched on failure */
}

static void test_case1(void **state)
{
	static const uint8_t b[] = { 0x00, 0xA4, 0x04, 0x0C };

	(void)state;
	expect_parse(b, sizeof(b), 1, false, 0, 0, 0);
}

static void test_case2_short(void **state)
{
	static const uint8_t le10[] = { 0x00, 0xB0, 0x00, 0x00, 0x10 };
	static const uint8_t le00[] = { 0x00, 0xB0, 0x00, 0x00, 0x00 };
	static const uint8_t leff[] = { 0x80, 0xCA, 0x9F, 0x7F, 0xFF };

	(void)state;
	expect_parse(le10, sizeof(le10), 2, false, 0, 0, 16);
	expect_parse(le00, sizeof(le00), 2, false, 0, 0, 256);
	expect_parse(leff, sizeof(leff), 2, false, 0, 0, 255);
}

static void test_case3_short(void **state)
{
	static const uint8_t b[] = { 0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00 };
	static const uint8_t lead[] = { 0x00, 0xD6, 0x00, 0x00, 0xFF };
	uint8_t *big;

	(void)state;
	expect_parse(b, sizeof(b), 3, false, 2, 5, 0);
	big = make_apdu(lead, sizeof(lead), 5 + 255);
	expect_parse(big, 5 + 255, 3, false, 255, 5, 0);
	free(big);
}

static void test_case4_short(void **state)
{
	static const uint8_t le00[] = { 0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F, 0x00,
					0x00 };
	static const uint8_t le01[] = { 0x00, 0x88, 0x00, 0x00, 0x01, 0x55, 0x01 };
	static const uint8_t lead[] = { 0x00, 0x2A, 0x9E, 0x9A, 0xFF };
	uint8_t *big;

	(void)state;
	expect_parse(le00, sizeof(le00), 4, false, 2, 5, 256);
	expect_parse(le01, sizeof(le01), 4, false, 1, 5, 1);
	big = make_apdu(lead, sizeof(lead), 5 + 255 + 1);
	big[5 + 255] = 0x80;
	expect_parse(big, 5 + 255 + 1, 4, false, 255, 5, 128);
	free(big);
}

static void test_case2_extended(void **state)
{
	static const uint8_t le256[] = { 0x00, 0xB0, 0x00, 0x00, 0x00, 0x01, 0x00 };
	static const uint8_t le0000[] = { 0x00, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x00 };
	static const uint8_t leffff[] = { 0x00, 0xB0, 0x00, 0x00, 0x00, 0xFF, 0xFF };
	static const uint8_t le0001[] = { 0x00, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x01 };

	(void)state;
	expect_parse(le256, sizeof(le256), 2, true, 0, 0, 256);
	expect_parse(le0000, sizeof(le0000), 2, true, 0, 0, 65536);
	expect_parse(leffff, sizeof(leffff), 2, true, 0, 0, 65535);
	expect_parse(le0001, sizeof(le0001), 2, true, 0, 0, 1);
}

static void test_case3_extended(void **state)
{
	static const uint8_t lead256[] = { 0x00, 0xDA, 0x00, 0x00, 0x00, 0x01, 0x00 };
	static const uint8_t lead1[] = { 0x00, 0xDA, 0x00, 0x00, 0x00, 0x00, 0x01 };
	static const uint8_t leadmax[] = { 0x00, 0xDA, 0x00, 0x00, 0x00, 0xFF, 0xFF };
	uint8_t *b;

	(void)state;
	b = make_apdu(lead256, sizeof(lead256), 7 + 256);
	expect_parse(b, 7 + 256, 3, true, 256, 7, 0);
	free(b);
	b = make_apdu(lead1, sizeof(lead1), 7 + 1);
	expect_parse(b, 7 + 1, 3, true, 1, 7, 0);
	free(b);
	b = make_apdu(leadmax, sizeof(leadmax), 7 + 65535);
	expect_parse(b, 7 + 65535, 3, true, 65535, 7, 0);
	free(b);
}

static void test_case4_extended(void **state)
{
	static const uint8_t lead[] = { 0x00, 0x2A, 0x80, 0x86, 0x00, 0x01, 0x00 };
	static const uint8_t leadmax[] = { 0x10, 0xDB, 0x3F, 0xFF, 0x00, 0xFF, 0xFF };
	uint8_t *b;

	(void)state;
	b = make_apdu(lead, sizeof(lead), 7 + 256 + 2);
	b[7 + 256] = 0x00;
	b[7 + 256 + 1] = 0x00;
	expect_parse(b, 7 + 256 + 2, 4, true, 256, 7, 65536);
	b[7 + 256] = 0x01;
	b[7 + 256 + 1] = 0x02;
	expect_parse(b, 7 + 256 + 2, 4, true, 256, 7, 0x0102);
	free(b);
	b = make_apdu(leadmax, sizeof(leadmax), 7 + 65535 + 2);
	b[7 + 65535] = 0xFF;
	b[7 + 65535 + 1] = 0xFF;
	expect_parse(b, 7 + 65535 + 2, 4, true, 65535, 7, 65535);
	free(b);
}

static void test_short_lc_zero(void **state)
{
	/* short Lc = 00 is not a valid encoding */
	static const uint8_t b6[] = { 0x00, 0xA4, 0x04, 0x00, 0x00, 0x3F };

	(void)state;
	expect_invalid(b6, sizeof(b6));
}

static void test_extended_lc_zero(void **state)
{
	static const uint8_t b8[] = { 0x00, 0xDA, 0x00, 0x00, 0x00, 0x00, 0x00,
				      0x11 };
	static const uint8_t b9[] = { 0x00, 0xDA, 0x00, 0x00, 0x00, 0x00, 0x00,
				      0x00, 0x00 };

	(void)state;
	expect_invalid(b8, sizeof(b8));
	expect_invalid(b9, sizeof(b9));
}

static void test_inconsistent_short(void **state)
{
	static const uint8_t lead[] = { 0x00, 0xA4, 0x04, 0x00, 0x05 };
	uint8_t *b = make_apdu(lead, sizeof(lead), 5 + 5 + 3);

	(void)state;
	expect_invalid(b, 5 + 4);     /* one data byte missing */
	expect_invalid(b, 5 + 5 + 2); /* Le plus a stray byte */
	expect_invalid(b, 5 + 5 + 3);
	expect_parse(b, 5 + 5, 3, false, 5, 5, 0);
	expect_parse(b, 5 + 5 + 1, 4, false, 5, 5, 0xA5);
	free(b);
}

static void test_inconsistent_extended(void **state)
{
	static const uint8_t lead[] = { 0x00, 0xDA, 0x00, 0x00, 0x00, 0x01, 0x00 };
	uint8_t *b = make_apdu(lead, sizeof(lead), 7 + 256 + 3);

	(void)state;
	expect_invalid(b, 7 + 255);     /* Lc runs past the end */
	expect_invalid(b, 7 + 256 + 1); /* a one-byte Le after extended Lc */
	expect_invalid(b, 7 + 256 + 3); /* Le plus a stray byte */
	/* Lc 0x0100 with only 2 bytes left */
	expect_invalid(b, 7 + 2);
	free(b);
}

static void test_too_short(void **state)
{
	static const uint8_t b[] = { 0x00, 0xA4, 0x04, 0x00 };
	struct ccid_apdu a;

	(void)state;
	for (size_t len = 0; len < 4; len++)
		expect_invalid(b, len);
	assert_int_equal(ccid_apdu_parse(NULL, 4, &a), CCID_E_INVAL);
	assert_int_equal(ccid_apdu_parse(b, 4, NULL), CCID_E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case1),
		cmocka_unit_test(test_case2_short),
		cmocka_unit_test(test_case3_short),
		cmocka_unit_test(test_case4_short),
		cmocka_unit_test(test_case2_extended),
		cmocka_unit_test(test_case3_extended),
		cmocka_unit_test(test_case4_extended),
		cmocka_unit_test(test_short_lc_zero),
		cmocka_unit_test(test_extended_lc_zero),
		cmocka_unit_test(test_inconsistent_short),
		cmocka_unit_test(test_inconsistent_extended),
		cmocka_unit_test(test_too_short),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
