/* ccidkit — unit tests for ccid/atr.c (ISO/IEC 7816-3 §8 ATR parser).
 * The ATRs are those of real cards plus a few built for one feature each;
 * their TCKs were computed by hand (XOR of T0..TCK is zero). */
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
#include "ccid/err.h"

/* PC/SC Part 3 synthesised ATR of a contactless MIFARE Classic 1K */
static const uint8_t atr_mifare[] = {
	0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C, 0xA0, 0x00, 0x00, 0x03, 0x06,
	0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x6A,
};
/* OpenPGP card */
static const uint8_t atr_openpgp[] = {
	0x3B, 0xDA, 0x18, 0xFF, 0x81, 0xB1, 0xFE, 0x75, 0x1F, 0x03, 0x00, 0x31,
	0xC5, 0x73, 0xC0, 0x01, 0x40, 0x00, 0x90, 0x00, 0x0C,
};
/* a T=0-only card: no TD, so no TCK */
static const uint8_t atr_t0[] = {
	0x3B, 0x6E, 0x00, 0x00, 0x80, 0x31, 0x80, 0x66, 0xB0, 0x84, 0x0C, 0x01,
	0x6E, 0x01, 0x83, 0x00, 0x90, 0x00,
};
static const uint8_t atr_short[] = { 0x3B, 0x02, 0x14, 0x50 };
/* TA1 0x96, TA2 0x81 (specific mode T=1), T=1 IFSC/BWI/CWI */
static const uint8_t atr_specific[] = {
	0x3B, 0x95, 0x96, 0x91, 0x81, 0x31, 0xFE, 0x45, 0x41, 0x42, 0x43, 0x44,
	0x45, 0xD8,
};
/* inverse convention card (as delivered by the reader, already decoded) */
static const uint8_t atr_inverse[] = {
	0x3F, 0x65, 0x25, 0x08, 0x36, 0x04, 0x6C, 0x90, 0x00,
};
/* the ccidkit virtual T=1 and T=0 test cards */
static const uint8_t atr_ccidkit1[] = {
	0x3B, 0x88, 0x81, 0x31, 0xFE, 0x45, 0x63, 0x63, 0x69, 0x64, 0x6B, 0x69,
	0x74, 0x31, 0xC9,
};
static const uint8_t atr_ccidkit0[] = {
	0x3B, 0x08, 0x63, 0x63, 0x69, 0x64, 0x6B, 0x69, 0x74, 0x30,
};
/* 33 bytes, the maximum: four groups and 15 historical bytes */
static const uint8_t atr_max[] = {
	0x3B, 0xFF, 0x11, 0x00, 0x00, 0xF1, 0x01, 0x00, 0x0A, 0xF1, 0x20, 0x45,
	0x01, 0x71, 0x03, 0x00, 0x00, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
	0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0xB2,
};
/* eight groups, each TD saying T=0: allowed, no TCK */
static const uint8_t atr_eight[] = {
	0x3B, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00,
};

struct named_atr {
	const char *name;
	const uint8_t *atr;
	size_t len;
};

#define ATR(x) { #x, x, sizeof(x) }
static const struct named_atr all_atrs[] = {
	ATR(atr_mifare), ATR(atr_openpgp), ATR(atr_t0), ATR(atr_short),
	ATR(atr_specific), ATR(atr_inverse), ATR(atr_ccidkit1),
	ATR(atr_ccidkit0), ATR(atr_max), ATR(atr_eight),
};
#define N_ATRS (sizeof(all_atrs) / sizeof(all_atrs[0]))

static void test_mifare(void **state)
{
	struct ccid_atr a;

	(void)state;
	assert_int_equal(ccid_atr_parse(atr_mifare, sizeof(atr_mifare), &a), CCID_OK);
	assert_int_equal(a.len, 20);
	assert_memory_equal(a.raw, atr_mifare, 20);
	assert_int_equal(a.ts, 0x3B);
	assert_false(a.inverse);
	assert_int_equal(a.t0, 0x8F);
	assert_int_equal(a.ngroups, 2);
	assert_int_equal(a.group[0].present, 0x08);
	assert_int_equal(a.group[0].td, 0x80);
	assert_int_equal(a.group[0].protocol, 0);
	assert_int_equal(a.group[1].present, 0x08);
	assert_int_equal(a.group[1].td, 0x01);
	assert_int_equal(a.group[1].protocol, 0);
	assert_int_equal(a.nhist, 15);
	assert_memory_equal(a.hist, atr_mifare + 4, 15);
	assert_true(a.has_tck);
	assert_int_equal(a.tck, 0x6A);
	assert_true(a.tck_ok);
	assert_int_equal(a.protocols, 0x3);
	assert_int_equal(a.first_protocol, 0);
	assert_int_equal(a.fi_index, 1);
	assert_int_equal(a.di_index, 1);
	assert_int_equal(a.fi, 372);
	assert_int_equal(a.di, 1);
	assert_int_equal(a.fmax_khz, 5000);
	assert_int_equal(a.n, 0);
	assert_false(a.specific_mode);
	assert_int_equal(a.wi, 10);
	assert_int_equal(a.ifsc, 32);
	assert_int_equal(a.bwi, 4);
	assert_int_equal(a.cwi, 13);
	assert_false(a.crc);
	assert_false(a.has_class);
}

static void test_openpgp(void **state)
{
	struct ccid_atr a;
	static const uint8_t hist[] = { 0x00, 0x31, 0xC5, 0x73, 0xC0, 0x01, 0x40,
					0x00, 0x90, 0x00 };

	(void)state;
	assert_int_equal(ccid_atr_parse(atr_openpgp, sizeof(atr_openpgp), &a),
			 CCID_OK);
	assert_int_equal(a.ngroups, 4);
	assert_int_equal(a.group[0].present, 0x0D); /* TA1 TC1 TD1 */
	assert_int_equal(a.group[0].ta, 0x18);
	assert_int_equal(a.group[0].tc, 0xFF);
	assert_int_equal(a.group[0].td, 0x81);
	assert_int_equal(a.group[1].present, 0x08);
	assert_int_equal(a.group[1].td, 0xB1);
	assert_int_equal(a.group[1].protocol, 1);
	assert_int_equal(a.group[2].present, 0x0B); /* TA3 TB3 TD3 */
	assert_int_equal(a.group[2].ta, 0xFE);
	assert_int_equal(a.group[2].tb, 0x75);
	assert_int_equal(a.group[2].td, 0x1F);
	assert_int_equal(a.group[2].protocol, 1);
	assert_int_equal(a.group[3].present, 0x01);
	assert_int_equal(a.group[3].ta, 0x03);
	assert_int_equal(a.group[3].protocol, 15);
	assert_int_equal(a.fi_index, 1);
	assert_int_equal(a.di_index, 8);
	assert_int_equal(a.fi, 372);
	assert_int_equal(a.di, 12);
	assert_int_equal(a.fmax_khz, 5000);
	assert_int_equal(a.n, 255);
	assert_int_equal(a.protocols, 0x2); /* T=15 is not a protocol */
	assert_int_equal(a.first_protocol, 1);
	assert_int_equal(a.ifsc, 254);
	assert_int_equal(a.bwi, 7);
	assert_int_equal(a.cwi, 5);
	assert_false(a.crc);
	assert_true(a.has_class);
	assert_int_equal(a.class_bits, 0x03);
	assert_int_equal(a.clock_stop, 0);
	assert_int_equal(a.nhist, 10);
	assert_memory_equal(a.hist, hist, 10);
	assert_true(a.has_tck);
	assert_int_equal(a.tck, 0x0C);
	assert_true(a.tck_ok);
}

static void test_t0_only(void **state)
{
	struct ccid_atr a;

	(void)state;
	assert_int_equal(ccid_atr_parse(atr_t0, sizeof(atr_t0), &a), CCID_OK);
	assert_int_equal(a.ngroups, 1);
	assert_int_equal(a.group[0].present, 0x06); /* TB1 TC1 */
	assert_int_equal(a.group[0].tb, 0x00);
	assert_int_equal(a.group[0].tc, 0x00);
	assert_int_equal(a.nhist, 14);
	assert_memory_equal(a.hist, atr_t0 + 4, 14);
	assert_false(a.has_tck);
	assert_true(a.tck_ok);
	assert_int_equal(a.protocols, 0x1);
	assert_int_equal(a.first_protocol, 0);
	assert_int_equal(a.fi, 372);
	assert_int_equal(a.di, 1);
	assert_int_equal(a.wi, 10);
}

static void test_short(void **state)
{
	struct ccid_atr a;

	(void)state;
	assert_int_equal(ccid_atr_parse(atr_short, sizeof(atr_short), &a), CCID_OK);
	assert_int_equal(a.ngroups, 1);
	assert_int_equal(a.group[0].present, 0);
	assert_int_equal(a.nhist, 2);
	assert_int_equal(a.hist[0], 0x14);
	assert_int_equal(a.hist[1], 0x50);
	assert_false(a.has_tck);
	assert_int_equal(a.protocols, 1);
}

static void test_specific_mode(void **state)
{
	struct ccid_atr a;

	(void)state;
	assert_int_equal(ccid_atr_parse(atr_specific, sizeof(atr_specific), &a),
			 CCID_OK);
	assert_int_equal(a.fi_index, 9);
	assert_int_equal(a.di_index, 6);
	assert_int_equal(a.fi, 512);
	assert_int_equal(a.di, 32);
	assert_int_equal(a.fmax_khz, 5000);
	assert_true(a.specific_mode);
	assert_int_equal(a.specific_protocol, 1);
	assert_false(a.specific_implicit);
	assert_false(a.specific_can_change);
	assert_int_equal(a.protocols, 0x2);
	assert_int_equal(a.first_protocol, 1);
	assert_int_equal(a.ifsc, 254);
	assert_int_equal(a.bwi, 4);
	assert_int_equal(a.cwi, 5);
	assert_true(a.tck_ok);
}

static void test_specific_mode_bits(void **state)
{
	/* TA2 = 0x10: implicit parameters, may change to negotiable; T=0 */
	static const uint8_t atr[] = { 0x3B, 0x80, 0x10, 0x10 };
	struct ccid_atr a;

	(void)state;
	assert_int_equal(ccid_atr_parse(atr, sizeof(atr), &a), CCID_OK);
	assert_true(a.specific_mode);
	assert_int_equal(a.specific_protocol, 0);
	assert_true(a.specific_implicit);
	assert_true(a.specific_can_change);
	assert_false(a.has_tck); /* only T=0 */
}

static void test_inverse(void **state)
{
	struct ccid_atr a;

	(void)state;
	assert_int_equal(ccid_atr_parse(atr_inverse, sizeof(atr_inverse), &a),
			 CCID_OK);
	assert_int_equal(a.ts, 0x3F);
	assert_true(a.inverse);
	assert_int_equal(a.group[0].tb, 0x25);
	assert_int_equal(a.group[0].tc, 0x08);
	assert_int_equal(a.n, 8);
	assert_int_equal(a.nhist, 5);
	assert_false(a.has_tck);
}

static void test_ccidkit_cards(void **state)
{
	struct ccid_atr a;

	(void)state;
	assert_int_equal(ccid_atr_parse(atr_ccidkit1, sizeof(atr_ccidkit1), &a),
			 CCID_OK);
	assert_int_equal(a.protocols, 0x2);
	assert_int_equal(a.first_protocol, 1);
	assert_int_equal(a.ifsc, 254);
	assert_int_equal(a.bwi, 4);
	assert_int_equal(a.cwi, 5);
	assert_int_equal(a.nhist, 8);
	assert_memory_equal(a.hist, "ccidkit1", 8);
	assert_int_equal(a.tck, 0xC9);
	assert_true(a.tck_ok);

	assert_int_equal(ccid_atr_parse(atr_ccidkit0, sizeof(atr_ccidkit0), &a),
			 CCID_OK);
	assert_int_equal(a.protocols, 0x1);
	assert_int_equal(a.ngroups, 1);
	assert_int_equal(a.nhist, 8);
	assert_memory_equal(a.hist, "ccidkit0", 8);
	assert_false(a.has_tck);
	assert_true(a.tck_ok);
}

static void test_max_length(void **state)
{
	struct ccid_atr a;

	(void)state;
	assert_int_equal(sizeof(atr_max), CCID_ATR_MAX);
	assert_int_equal(ccid_atr_parse(atr_max, sizeof(atr_max), &a), CCID_OK);
	assert_int_equal(a.ngroups, 4);
	assert_true(a.specific_mode);
	assert_int_equal(a.specific_protocol, 1);
	assert_int_equal(a.wi, 10);         /* TC2 is not WI after a T=1 TD1 */
	assert_int_equal(a.group[1].tc, 0x0A);
	assert_int_equal(a.ifsc, 32);       /* TA3, not TA4 */
	assert_int_equal(a.bwi, 4);
	assert_int_equal(a.cwi, 5);
	assert_true(a.crc);
	assert_int_equal(a.group[3].ta, 0x03);
	assert_int_equal(a.nhist, 15);
	assert_true(a.tck_ok);
}

static void test_eight_groups(void **state)
{
	static const uint8_t nine[] = { 0x3B, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
					0x80, 0x80, 0x80, 0x00 };
	struct ccid_atr a;

	(void)state;
	assert_int_equal(ccid_atr_parse(atr_eight, sizeof(atr_eight), &a), CCID_OK);
	assert_int_equal(a.ngroups, 8);
	assert_int_equal(a.group[7].td, 0x00);
	assert_false(a.has_tck);
	assert_int_equal(ccid_atr_parse(nine, sizeof(nine), &a), CCID_E_BAD_ATR);
}

static void test_wi_t0(void **state)
{
	/* TD1 = 0x40: TC2 follows, T=0; TC2 = 0x20 is WI */
	static const uint8_t atr[] = { 0x3B, 0x80, 0x40, 0x20 };
	struct ccid_atr a;

	(void)state;
	assert_int_equal(ccid_atr_parse(atr, sizeof(atr), &a), CCID_OK);
	assert_int_equal(a.wi, 0x20);
	assert_false(a.has_tck);
}

static void test_class_and_clock_stop(void **state)
{
	/* TD1 = 0x8F (T=15), TD2 = 0x1F, TA3 = 0xC4: clock stop either, class C */
	static const uint8_t atr[] = { 0x3B, 0x80, 0x8F, 0x1F, 0xC4, 0x00 };
	uint8_t tck = 0;
	uint8_t b[sizeof(atr)];
	struct ccid_atr a;

	(void)state;
	memcpy(b, atr, sizeof(b));
	for (size_t i = 1; i + 1 < sizeof(b); i++)
		tck ^= b[i];
	b[sizeof(b) - 1] = tck;
	assert_int_equal(tck, 0xD4);
	assert_int_equal(ccid_atr_parse(b, sizeof(b), &a), CCID_OK);
	assert_true(a.has_tck); /* T=15 is not "only T=0" */
	assert_true(a.tck_ok);
	assert_true(a.has_class);
	assert_int_equal(a.class_bits, 0x04);
	assert_int_equal(a.clock_stop, 3);
	assert_int_equal(a.protocols, 0x1);
	assert_int_equal(a.first_protocol, 0);
}

static void test_truncations(void **state)
{
	struct ccid_atr a;

	(void)state;
	for (size_t i = 0; i < N_ATRS; i++) {
		assert_int_equal(ccid_atr_parse(all_atrs[i].atr, all_atrs[i].len,
						&a), CCID_OK);
		for (size_t len = 0; len < all_atrs[i].len; len++) {
			int rc = ccid_atr_parse(all_atrs[i].atr, len, &a);

			if (rc != CCID_E_BAD_ATR)
				fail_msg("%s truncated to %zu: %d", all_atrs[i].name,
					 len, rc);
		}
	}
}

static void test_trailing_bytes(void **state)
{
	uint8_t b[CCID_ATR_MAX + 1];
	struct ccid_atr a;

	(void)state;
	for (size_t i = 0; i < N_ATRS; i++) {
		size_t len = all_atrs[i].len;

		if (len >= CCID_ATR_MAX)
			continue;
		memcpy(b, all_atrs[i].atr, len);
		b[len] = 0x00;
		assert_int_equal(ccid_atr_parse(b, len + 1, &a), CCID_E_BAD_ATR);
	}
}

static void test_too_long(void **state)
{
	uint8_t b[CCID_ATR_MAX + 1];
	struct ccid_atr a;

	(void)state;
	memcpy(b, atr_max, sizeof(atr_max));
	b[CCID_ATR_MAX] = 0x00;
	assert_int_equal(ccid_atr_parse(b, sizeof(b), &a), CCID_E_BAD_ATR);
	memset(b, 0x3B, sizeof(b));
	assert_int_equal(ccid_atr_parse(b, 100, &a), CCID_E_BAD_ATR);
}

static void test_bad_ts(void **state)
{
	static const uint8_t tss[] = { 0x00, 0x3A, 0x3C, 0x03, 0xFF, 0x3E };
	uint8_t b[sizeof(atr_short)];
	struct ccid_atr a;

	(void)state;
	memcpy(b, atr_short, sizeof(b));
	for (size_t i = 0; i < sizeof(tss); i++) {
		b[0] = tss[i];
		assert_int_equal(ccid_atr_parse(b, sizeof(b), &a), CCID_E_BAD_ATR);
	}
}

static void test_wrong_tck(void **state)
{
	uint8_t b[sizeof(atr_ccidkit1)];
	struct ccid_atr a;

	(void)state;
	memcpy(b, atr_ccidkit1, sizeof(b));
	b[sizeof(b) - 1] = 0xC8;
	assert_int_equal(ccid_atr_parse(b, sizeof(b), &a), CCID_OK);
	assert_true(a.has_tck);
	assert_int_equal(a.tck, 0xC8);
	assert_false(a.tck_ok);
	/* a changed historical byte breaks the checksum too */
	memcpy(b, atr_ccidkit1, sizeof(b));
	b[6] ^= 0x01;
	assert_int_equal(ccid_atr_parse(b, sizeof(b), &a), CCID_OK);
	assert_false(a.tck_ok);
}

static void test_null_and_untouched(void **state)
{
	struct ccid_atr a;

	(void)state;
	assert_int_equal(ccid_atr_parse(NULL, 4, &a), CCID_E_INVAL);
	assert_int_equal(ccid_atr_parse(atr_short, 4, NULL), CCID_E_INVAL);
	memset(&a, 0x5A, sizeof(a));
	assert_int_equal(ccid_atr_parse(atr_short, 3, &a), CCID_E_BAD_ATR);
	assert_int_equal(a.ts, 0x5A);
}

static void test_tables(void **state)
{
	static const unsigned fi[16] = { 372, 372, 558, 744, 1116, 1488, 1860, 0,
					 0, 512, 768, 1024, 1536, 2048, 0, 0 };
	static const unsigned di[16] = { 0, 1, 2, 4, 8, 16, 32, 64, 12, 20, 0, 0,
					 0, 0, 0, 0 };
	static const unsigned fmax[16] = { 4000, 5000, 6000, 8000, 12000, 16000,
					   20000, 0, 0, 5000, 7500, 10000, 15000,
					   20000, 0, 0 };

	(void)state;
	for (uint8_t i = 0; i < 16; i++) {
		assert_int_equal(ccid_atr_fi(i), fi[i]);
		assert_int_equal(ccid_atr_di(i), di[i]);
		assert_int_equal(ccid_atr_fmax_khz(i), fmax[i]);
	}
	assert_int_equal(ccid_atr_fi(16), 0);
	assert_int_equal(ccid_atr_di(0xFF), 0);
	assert_int_equal(ccid_atr_fmax_khz(16), 0);
}

static char *print_to_string(const struct ccid_atr *a)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	assert_non_null(f);
	ccid_atr_print(a, f);
	assert_int_equal(fclose(f), 0);
	return text;
}

static const char ccidkit1_golden[] =
	"ATR: 3B 88 81 31 FE 45 63 63 69 64 6B 69 74 31 C9\n"
	"TS = 0x3B: direct convention\n"
	"T0 = 0x88: next: TD; K=8 historical bytes\n"
	"TD1 = 0x81: T=1, next: TD\n"
	"TD2 = 0x31: T=1, next: TA TB\n"
	"TA3 = 0xFE: IFSC=254\n"
	"TB3 = 0x45: BWI=4 CWI=5\n"
	"protocols offered: T=1\n"
	"default protocol: T=1\n"
	"mode: negotiable\n"
	"Fi=372 Di=1 fmax=5 MHz N=0\n"
	"T=1: IFSC=254 BWI=4 CWI=5 checksum=LRC\n"
	"historical bytes: 63 63 69 64 6B 69 74 31 \"ccidkit1\"\n"
	"TCK = 0xC9 (correct)\n";

static void test_print_golden(void **state)
{
	struct ccid_atr a;
	char *text;

	(void)state;
	assert_int_equal(ccid_atr_parse(atr_ccidkit1, sizeof(atr_ccidkit1), &a),
			 CCID_OK);
	text = print_to_string(&a);
	assert_string_equal(text, ccidkit1_golden);
	free(text);
}

static void test_print_lines(void **state)
{
	uint8_t b[sizeof(atr_specific)];
	struct ccid_atr a;
	char *text;

	(void)state;
	memcpy(b, atr_specific, sizeof(b));
	b[sizeof(b) - 1] ^= 0xFF;
	assert_int_equal(ccid_atr_parse(b, sizeof(b), &a), CCID_OK);
	text = print_to_string(&a);
	assert_non_null(strstr(text, "TA1 = 0x96: Fi=512 Di=32 (fmax 5 MHz)\n"));
	assert_non_null(strstr(text, "TA2 = 0x81: specific mode, T=1, TA1 parameters, cannot change mode\n"));
	assert_non_null(strstr(text, "mode: specific, T=1\n"));
	assert_non_null(strstr(text, "historical bytes: 41 42 43 44 45 \"ABCDE\"\n"));
	assert_non_null(strstr(text, "TCK = 0x27 (WRONG, should be 0xD8)\n"));
	free(text);

	assert_int_equal(ccid_atr_parse(atr_openpgp, sizeof(atr_openpgp), &a),
			 CCID_OK);
	text = print_to_string(&a);
	assert_non_null(strstr(text, "TC1 = 0xFF: N=255 extra guard time (minimum)\n"));
	assert_non_null(strstr(text, "TA4 = 0x03: clock stop not supported; classes A (5 V) B (3 V)\n"));
	assert_non_null(strstr(text, "TD3 = 0x1F: T=15, next: TA\n"));
	assert_non_null(strstr(text, "historical bytes: 00 31 C5 73 C0 01 40 00 90 00 \".1.s..@...\"\n"));
	free(text);

	assert_int_equal(ccid_atr_parse(atr_inverse, sizeof(atr_inverse), &a),
			 CCID_OK);
	text = print_to_string(&a);
	assert_non_null(strstr(text, "TS = 0x3F: inverse convention\n"));
	assert_non_null(strstr(text, "TB1 = 0x25: VPP programming (deprecated, ignored)\n"));
	assert_non_null(strstr(text, "T=0: WI=10\n"));
	assert_non_null(strstr(text, "TCK absent (only T=0 indicated)\n"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mifare),
		cmocka_unit_test(test_openpgp),
		cmocka_unit_test(test_t0_only),
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_specific_mode),
		cmocka_unit_test(test_specific_mode_bits),
		cmocka_unit_test(test_inverse),
		cmocka_unit_test(test_ccidkit_cards),
		cmocka_unit_test(test_max_length),
		cmocka_unit_test(test_eight_groups),
		cmocka_unit_test(test_wi_t0),
		cmocka_unit_test(test_class_and_clock_stop),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_bad_ts),
		cmocka_unit_test(test_wrong_tck),
		cmocka_unit_test(test_null_and_untouched),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_print_golden),
		cmocka_unit_test(test_print_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
