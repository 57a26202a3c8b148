/* ccidkit — unit tests for ccid/ctls.c (PC/SC Part 3 contactless ATRs):
 * synthesis checked against the values published in ccid-spec.md §7
 * (MIFARE Classic 1K ...6A, 4K ...69, Ultralight ...68, Mini ...4D),
 * recognition of both forms, every truncation, the ISO 7816-3 parser's
 * view of what we build. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccid/atr.h"
#include "ccid/ctls.h"
#include "ccid/err.h"

#define STORAGE_HEAD 0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C, 0xA0, 0x00, \
	0x00, 0x03, 0x06, 0x03
static const uint8_t atr_1k[] = { STORAGE_HEAD, 0x00, 0x01, 0, 0, 0, 0, 0x6A };
static const uint8_t atr_4k[] = { STORAGE_HEAD, 0x00, 0x02, 0, 0, 0, 0, 0x69 };
static const uint8_t atr_ul[] = { STORAGE_HEAD, 0x00, 0x03, 0, 0, 0, 0, 0x68 };
static const uint8_t atr_mini[] = { STORAGE_HEAD, 0x00, 0x26, 0, 0, 0, 0, 0x4D };

static void check_storage(uint16_t nn, const uint8_t *want, const char *name)
{
	uint8_t out[32];
	size_t len = 0;
	struct ccid_ctls_info ci;
	struct ccid_atr atr;

	memset(out, 0xEE, sizeof(out));
	assert_int_equal(ccid_ctls_storage_atr(0x03, nn, out, sizeof(out), &len),
			 CCID_OK);
	assert_int_equal(len, CCID_CTLS_STORAGE_ATR_LEN);
	assert_memory_equal(out, want, CCID_CTLS_STORAGE_ATR_LEN);
	assert_int_equal(out[20], 0xEE); /* nothing written beyond */

	assert_int_equal(ccid_ctls_decode(want, 20, &ci), CCID_OK);
	assert_int_equal(ci.kind, CCID_CTLS_STORAGE);
	assert_true(ci.tck_ok);
	assert_int_equal(ci.standard, 0x03);
	assert_int_equal(ci.card_name, nn);
	assert_int_equal(ci.nhist, 15);
	assert_memory_equal(ci.hist, want + 4, 15);
	assert_string_equal(ccid_ctls_card_name(nn), name);

	/* the ISO 7816-3 parser agrees: T=0 and T=1, TCK right */
	assert_int_equal(ccid_atr_parse(out, len, &atr), CCID_OK);
	assert_true(atr.tck_ok);
	assert_int_equal(atr.nhist, 15);
	assert_int_equal(atr.protocols, 0x3);
}

static void test_storage_published(void **state)
{
	(void)state;
	check_storage(CCID_CTLS_MIFARE_1K, atr_1k, "MIFARE Classic 1K");
	check_storage(CCID_CTLS_MIFARE_4K, atr_4k, "MIFARE Classic 4K");
	check_storage(CCID_CTLS_MIFARE_ULTRALIGHT, atr_ul, "MIFARE Ultralight");
	check_storage(CCID_CTLS_MIFARE_MINI, atr_mini, "MIFARE Mini");
	assert_null(ccid_ctls_card_name(0x0004));
	assert_string_equal(ccid_ctls_standard_name(0x03), "ISO 14443 A part 3");
	assert_null(ccid_ctls_standard_name(0x04));
}

static void test_storage_buffers(void **state)
{
	uint8_t out[20];
	size_t len = 0;

	(void)state;
	assert_int_equal(ccid_ctls_storage_atr(3, 1, out, 19, &len),
			 CCID_E_OVERFLOW);
	assert_int_equal(len, 20);
	len = 0;
	assert_int_equal(ccid_ctls_storage_atr(3, 1, NULL, 0, &len),
			 CCID_E_OVERFLOW);
	assert_int_equal(len, 20);
	assert_int_equal(ccid_ctls_storage_atr(3, 1, NULL, 20, &len),
			 CCID_E_INVAL);
	assert_int_equal(ccid_ctls_storage_atr(3, 1, out, 20, NULL),
			 CCID_E_INVAL);
}

/* Every proper prefix of a Part 3 ATR, and the ATR with a byte more, is
 * not a Part 3 ATR. */
static void check_truncations(const uint8_t *atr, size_t len)
{
	struct ccid_ctls_info ci;
	uint8_t longer[40];

	for (size_t n = 0; n < len; n++) {
		memset(&ci, 0x55, sizeof(ci));
		assert_int_equal(ccid_ctls_decode(atr, n, &ci), CCID_OK);
		assert_int_equal(ci.kind, CCID_CTLS_NONE);
		assert_int_equal(ci.nhist, 0);
	}
	memcpy(longer, atr, len);
	longer[len] = 0x00;
	assert_int_equal(ccid_ctls_decode(longer, len + 1, &ci), CCID_OK);
	assert_int_equal(ci.kind, CCID_CTLS_NONE);
}

static void test_truncations(void **state)
{
	static const uint8_t iso4[] = { 0x3B, 0x81, 0x80, 0x01, 0x80, 0x80 };
	(void)state;
	check_truncations(atr_1k, sizeof(atr_1k));
	check_truncations(atr_4k, sizeof(atr_4k));
	check_truncations(atr_ul, sizeof(atr_ul));
	check_truncations(atr_mini, sizeof(atr_mini));
	check_truncations(iso4, sizeof(iso4));
}

static void test_decode_not_part3(void **state)
{
	/* contact cards: the vreader test card, a T=0 card, inverse TS */
	static const uint8_t test_card[] = { 0x3B, 0x88, 0x81, 0x31, 0xFE,
		0x45, 0x63, 0x63, 0x69, 0x64, 0x6B, 0x69, 0x74, 0x31, 0xC9 };
	static const uint8_t t0[] = { 0x3B, 0x02, 0x14, 0x50 };
	static const uint8_t inv[] = { 0x3F, 0x81, 0x80, 0x01, 0x80, 0x80 };
	static const uint8_t td2_t2[] = { 0x3B, 0x81, 0x80, 0x02, 0x80, 0x83 };
	struct ccid_ctls_info ci;

	(void)state;
	assert_int_equal(ccid_ctls_decode(test_card, sizeof(test_card), &ci),
			 CCID_OK);
	assert_int_equal(ci.kind, CCID_CTLS_NONE);
	assert_int_equal(ccid_ctls_decode(t0, sizeof(t0), &ci), CCID_OK);
	assert_int_equal(ci.kind, CCID_CTLS_NONE);
	assert_int_equal(ccid_ctls_decode(inv, sizeof(inv), &ci), CCID_OK);
	assert_int_equal(ci.kind, CCID_CTLS_NONE);
	assert_int_equal(ccid_ctls_decode(td2_t2, sizeof(td2_t2), &ci),
			 CCID_OK);
	assert_int_equal(ci.kind, CCID_CTLS_NONE);
	assert_int_equal(ccid_ctls_decode(NULL, 4, &ci), CCID_E_INVAL);
	assert_int_equal(ccid_ctls_decode(t0, 4, NULL), CCID_E_INVAL);
}

static void test_decode_wrong_tck_and_rid(void **state)
{
	uint8_t a[20];
	struct ccid_ctls_info ci;

	(void)state;
	memcpy(a, atr_1k, 20);
	a[19] ^= 0x01;
	assert_int_equal(ccid_ctls_decode(a, 20, &ci), CCID_OK);
	assert_int_equal(ci.kind, CCID_CTLS_STORAGE);
	assert_false(ci.tck_ok);
	/* another RID: a 14443-4 card with 15 historical bytes */
	memcpy(a, atr_1k, 20);
	a[11] = 0x07;
	a[19] ^= 0x06 ^ 0x07;
	assert_int_equal(ccid_ctls_decode(a, 20, &ci), CCID_OK);
	assert_int_equal(ci.kind, CCID_CTLS_ISO14443_4);
	assert_true(ci.tck_ok);
	assert_int_equal(ci.nhist, 15);
	assert_int_equal(ci.card_name, 0);
	/* RFU bytes are reported, the form is still recognised */
	memcpy(a, atr_1k, 20);
	a[18] = 0x5A;
	a[19] ^= 0x5A;
	assert_int_equal(ccid_ctls_decode(a, 20, &ci), CCID_OK);
	assert_int_equal(ci.kind, CCID_CTLS_STORAGE);
	assert_true(ci.tck_ok);
	assert_int_equal(ci.rfu[3], 0x5A);
}

static void test_iso4_type_a(void **state)
{
	/* ATS: TL 0A, T0 78 (TA, TB, TC present; FSCI 8), TA 77, TB 81,
	 * TC 02, then 5 historical bytes 80 73 C8 21 10 */
	static const uint8_t ats[] = { 0x0A, 0x78, 0x77, 0x81, 0x02,
				       0x80, 0x73, 0xC8, 0x21, 0x10 };
	static const uint8_t want[] = { 0x3B, 0x85, 0x80, 0x01, 0x80, 0x73,
					0xC8, 0x21, 0x10, 0x0E };
	uint8_t out[32];
	size_t len = 0;
	const uint8_t *h;
	size_t n;
	struct ccid_ctls_info ci;
	struct ccid_atr atr;

	(void)state;
	assert_int_equal(ccid_ctls_ats_hist(ats, sizeof(ats), &h, &n), CCID_OK);
	assert_int_equal(n, 5);
	assert_ptr_equal(h, ats + 5);
	assert_int_equal(ccid_ctls_typea_atr(ats, sizeof(ats), out, sizeof(out),
					     &len), CCID_OK);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(ccid_atr_parse(out, len, &atr), CCID_OK);
	assert_true(atr.tck_ok);
	assert_int_equal(ccid_ctls_decode(out, len, &ci), CCID_OK);
	assert_int_equal(ci.kind, CCID_CTLS_ISO14443_4);
	assert_true(ci.tck_ok);
	assert_int_equal(ci.nhist, 5);
	assert_memory_equal(ci.hist, ats + 5, 5);
}

static void test_ats_forms(void **state)
{
	static const uint8_t tl_only[] = { 0x01 };
	static const uint8_t no_if[] = { 0x04, 0x00, 0xAA, 0xBB };
	static const uint8_t ta_only[] = { 0x03, 0x10, 0x00 };
	static const uint8_t short_if[] = { 0x03, 0x70, 0x00 };
	static const uint8_t bad_tl[] = { 0x05, 0x00, 0xAA, 0xBB };
	uint8_t long_ats[22], out[32];
	const uint8_t *h;
	size_t n, len = 0;

	(void)state;
	assert_int_equal(ccid_ctls_ats_hist(tl_only, 1, &h, &n), CCID_OK);
	assert_int_equal(n, 0);
	assert_null(h);
	assert_int_equal(ccid_ctls_typea_atr(tl_only, 1, out, sizeof(out), &len),
			 CCID_OK);
	assert_int_equal(len, 5);
	assert_int_equal(out[1], 0x80);
	assert_int_equal(out[4], 0x01); /* 80 ^ 80 ^ 01 */
	assert_int_equal(ccid_ctls_ats_hist(no_if, 4, &h, &n), CCID_OK);
	assert_int_equal(n, 2);
	assert_ptr_equal(h, no_if + 2);
	assert_int_equal(ccid_ctls_ats_hist(ta_only, 3, &h, &n), CCID_OK);
	assert_int_equal(n, 0);
	assert_int_equal(ccid_ctls_ats_hist(short_if, 3, &h, &n), CCID_E_INVAL);
	assert_int_equal(ccid_ctls_ats_hist(bad_tl, 4, &h, &n), CCID_E_INVAL);
	assert_int_equal(ccid_ctls_ats_hist(bad_tl, 0, &h, &n), CCID_E_INVAL);
	/* 20 historical bytes: the ATR keeps the first 15 */
	long_ats[0] = sizeof(long_ats);
	long_ats[1] = 0x00;
	for (size_t i = 2; i < sizeof(long_ats); i++)
		long_ats[i] = (uint8_t)i;
	assert_int_equal(ccid_ctls_typea_atr(long_ats, sizeof(long_ats), out,
					     sizeof(out), &len), CCID_OK);
	assert_int_equal(len, 20);
	assert_int_equal(out[1], 0x8F);
	assert_memory_equal(out + 4, long_ats + 2, 15);
}

static void test_iso4_type_b(void **state)
{
	/* ATQB: 50, PUPI 11 22 33 44, app data A1 A2 A3 A4, prot info 81 71 85 */
	static const uint8_t atqb[] = { 0x50, 0x11, 0x22, 0x33, 0x44, 0xA1,
		0xA2, 0xA3, 0xA4, 0x81, 0x71, 0x85 };
	uint8_t want[13] = { 0x3B, 0x88, 0x80, 0x01, 0xA1, 0xA2, 0xA3, 0xA4,
			     0x81, 0x71, 0x85, 0x10, 0 };
	uint8_t out[16], ext[13];
	size_t len = 0;

	(void)state;
	for (size_t i = 1; i < 12; i++)
		want[12] ^= want[i];
	assert_int_equal(want[12], 0x68); /* computed by hand */
	assert_int_equal(ccid_ctls_typeb_atr(atqb, sizeof(atqb), 0x10, out,
					     sizeof(out), &len), CCID_OK);
	assert_int_equal(len, 13);
	assert_memory_equal(out, want, 13);
	memcpy(ext, atqb, 12);
	ext[12] = 0x00; /* extended ATQB: 4th protocol info byte dropped */
	assert_int_equal(ccid_ctls_typeb_atr(ext, 13, 0x10, out, sizeof(out),
					     &len), CCID_OK);
	assert_memory_equal(out, want, 13);
	assert_int_equal(ccid_ctls_typeb_atr(atqb, 11, 0x10, out, sizeof(out),
					     &len), CCID_E_INVAL);
	ext[0] = 0x51;
	assert_int_equal(ccid_ctls_typeb_atr(ext, 12, 0x10, out, sizeof(out),
					     &len), CCID_E_INVAL);
	assert_int_equal(ccid_ctls_typeb_atr(atqb, 12, 0x10, out, 12, &len),
			 CCID_E_OVERFLOW);
	assert_int_equal(len, 13);
}

static void test_iso4_limits(void **state)
{
	uint8_t h[16] = { 0 }, out[32];
	size_t len = 0;

	(void)state;
	assert_int_equal(ccid_ctls_iso4_atr(h, 16, out, sizeof(out), &len),
			 CCID_E_INVAL);
	assert_int_equal(ccid_ctls_iso4_atr(NULL, 1, out, sizeof(out), &len),
			 CCID_E_INVAL);
	assert_int_equal(ccid_ctls_iso4_atr(NULL, 0, out, sizeof(out), &len),
			 CCID_OK);
	assert_int_equal(len, 5);
	assert_int_equal(ccid_ctls_iso4_atr(h, 15, out, 19, &len),
			 CCID_E_OVERFLOW);
	assert_int_equal(len, 20);
}

static char *print_to_string(const struct ccid_ctls_info *ci)
{
	static char buf[1024];
	FILE *f;

	memset(buf, 0, sizeof(buf));
	f = fmemopen(buf, sizeof(buf), "w");
	assert_non_null(f);
	ccid_ctls_print(ci, f);
	fclose(f);
	return buf;
}

static void test_print(void **state)
{
	static const uint8_t iso4[] = { 0x3B, 0x82, 0x80, 0x01, 0xAB, 0xCD,
					0x67 };
	struct ccid_ctls_info ci;

	(void)state;
	assert_int_equal(ccid_ctls_decode(atr_4k, 20, &ci), CCID_OK);
	assert_string_equal(print_to_string(&ci),
		"PC/SC Part 3: contactless storage card (RID A0 00 00 03 06)\n"
		"  standard: 03 (ISO 14443 A part 3)\n"
		"  card name: 00 02 (MIFARE Classic 4K)\n");
	assert_int_equal(ccid_ctls_decode(iso4, sizeof(iso4), &ci), CCID_OK);
	assert_string_equal(print_to_string(&ci),
		"PC/SC Part 3: contactless ISO 14443-4 card (T=CL)\n"
		"  historical bytes (ATS for type A; ATQB application data, protocol info, MBLI/CID for type B): AB CD\n"
		"  TCK is wrong\n");
	ci.kind = CCID_CTLS_NONE;
	assert_string_equal(print_to_string(&ci), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_storage_published),
		cmocka_unit_test(test_storage_buffers),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_decode_not_part3),
		cmocka_unit_test(test_decode_wrong_tck_and_rid),
		cmocka_unit_test(test_iso4_type_a),
		cmocka_unit_test(test_ats_forms),
		cmocka_unit_test(test_iso4_type_b),
		cmocka_unit_test(test_iso4_limits),
		cmocka_unit_test(test_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
