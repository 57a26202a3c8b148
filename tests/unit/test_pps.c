/* ccidkit — unit tests for ccid/pps.c: the PPS codec and answer rules
 * (ISO/IEC 7816-3 §9, ccid-spec.md §6.4) and the Fi/Di choice against the
 * reader's clock and data rates (ccid-spec.md §6.2). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "ccid/atr.h"
#include "ccid/desc.h"
#include "ccid/err.h"
#include "ccid/pps.h"

#define B(...) (const uint8_t[]){ __VA_ARGS__ }, \
	sizeof((const uint8_t[]){ __VA_ARGS__ })

/* ---- encode ---- */

static void expect_encode(uint8_t protocol, int fidi, const uint8_t *want,
			  size_t want_len)
{
	uint8_t out[CCID_PPS_MAX + 2];
	size_t len = 0;

	memset(out, 0xEE, sizeof(out));
	assert_int_equal(ccid_pps_encode(protocol, fidi, out, sizeof(out),
					 &len), CCID_OK);
	assert_int_equal(len, want_len);
	assert_memory_equal(out, want, want_len);
	assert_int_equal(out[want_len], 0xEE);
}

static void test_encode(void **state)
{
	(void)state;
	/* PCK = XOR of PPSS..PPS1: FF ^ 10 ^ 94 = 7B */
	expect_encode(0, 0x94, B(0xFF, 0x10, 0x94, 0x7B));
	expect_encode(0, 0x13, B(0xFF, 0x10, 0x13, 0xFC));
	expect_encode(1, 0x96, B(0xFF, 0x11, 0x96, 0x78));
	expect_encode(1, 0x11, B(0xFF, 0x11, 0x11, 0xFF));
	/* no PPS1: protocol only */
	expect_encode(1, -1, B(0xFF, 0x01, 0xFE));
	expect_encode(0, -1, B(0xFF, 0x00, 0xFF));
}

static void test_encode_errors(void **state)
{
	uint8_t out[CCID_PPS_MAX];
	size_t len = 0;

	(void)state;
	/* cap too small: the length it needs */
	assert_int_equal(ccid_pps_encode(1, 0x96, out, 3, &len),
			 CCID_E_OVERFLOW);
	assert_int_equal(len, 4);
	assert_int_equal(ccid_pps_encode(1, -1, out, 3, &len), CCID_OK);
	assert_int_equal(len, 3);
	/* T=15 is no protocol; RFU Fi (7, 8, E, F) or Di (0, A..F) */
	assert_int_equal(ccid_pps_encode(15, 0x11, out, sizeof(out), &len),
			 CCID_E_INVAL);
	assert_int_equal(ccid_pps_encode(16, -1, out, sizeof(out), &len),
			 CCID_E_INVAL);
	assert_int_equal(ccid_pps_encode(0, 0x71, out, sizeof(out), &len),
			 CCID_E_INVAL);
	assert_int_equal(ccid_pps_encode(0, 0xE1, out, sizeof(out), &len),
			 CCID_E_INVAL);
	assert_int_equal(ccid_pps_encode(0, 0x10, out, sizeof(out), &len),
			 CCID_E_INVAL);
	assert_int_equal(ccid_pps_encode(0, 0x1A, out, sizeof(out), &len),
			 CCID_E_INVAL);
	assert_int_equal(ccid_pps_encode(0, 0x111, out, sizeof(out), &len),
			 CCID_E_INVAL);
	assert_int_equal(ccid_pps_encode(0, 0x11, NULL, sizeof(out), &len),
			 CCID_E_INVAL);
	assert_int_equal(ccid_pps_encode(0, 0x11, out, sizeof(out), NULL),
			 CCID_E_INVAL);
}

/* ---- check ---- */

static const uint8_t req96[] = { 0xFF, 0x11, 0x96, 0x78 };

static void check_pps(const uint8_t *req, size_t req_len,
		      const uint8_t *resp, size_t resp_len, int rc,
		      uint8_t fidi)
{
	uint8_t got = 0x5A;

	assert_int_equal(ccid_pps_check(req, req_len, resp, resp_len, &got),
			 rc);
	assert_int_equal(got, rc == CCID_OK ? fidi : 0x5A);
}

static void test_check_accepted(void **state)
{
	(void)state;
	/* echoed: the requested Fi/Di apply */
	check_pps(req96, sizeof(req96), B(0xFF, 0x11, 0x96, 0x78), CCID_OK,
		  0x96);
	check_pps(B(0xFF, 0x10, 0x94, 0x7B), B(0xFF, 0x10, 0x94, 0x7B),
		  CCID_OK, 0x94);
	/* protocol only, echoed: Fd/Dd */
	check_pps(B(0xFF, 0x01, 0xFE), B(0xFF, 0x01, 0xFE), CCID_OK, 0x11);
	/* fidi may be NULL */
	assert_int_equal(ccid_pps_check(req96, sizeof(req96), req96,
					sizeof(req96), NULL), CCID_OK);
}

static void test_check_pps1_omitted(void **state)
{
	(void)state;
	/* the card keeps Fd/Dd but takes the protocol (ISO 7816-3 §9.3) */
	check_pps(req96, sizeof(req96), B(0xFF, 0x01, 0xFE), CCID_OK,
		  0x11);
	/* PPS2 asked, echoed without it and with PPS1: accepted */
	check_pps(B(0xFF, 0x31, 0x96, 0x05, 0x5D),
		  B(0xFF, 0x11, 0x96, 0x78), CCID_OK, 0x96);
	check_pps(B(0xFF, 0x31, 0x96, 0x05, 0x5D),
		  B(0xFF, 0x31, 0x96, 0x05, 0x5D), CCID_OK, 0x96);
}

static void test_check_refused(void **state)
{
	(void)state;
	/* another protocol */
	check_pps(req96, sizeof(req96), B(0xFF, 0x10, 0x96, 0x79),
		  CCID_E_PROTO, 0);
	check_pps(req96, sizeof(req96), B(0xFF, 0x00, 0xFF), CCID_E_PROTO,
		  0);
	/* bad PCK */
	check_pps(req96, sizeof(req96), B(0xFF, 0x11, 0x96, 0x79),
		  CCID_E_PROTO, 0);
	check_pps(req96, sizeof(req96), B(0xFF, 0x11, 0x96, 0x00),
		  CCID_E_PROTO, 0);
	/* bad PPSS (PCK consistent with it) */
	check_pps(req96, sizeof(req96), B(0xFE, 0x11, 0x96, 0x79),
		  CCID_E_PROTO, 0);
	check_pps(req96, sizeof(req96), B(0x00, 0x11, 0x96, 0x87),
		  CCID_E_PROTO, 0);
	/* another PPS1 */
	check_pps(req96, sizeof(req96), B(0xFF, 0x11, 0x95, 0x7B),
		  CCID_E_PROTO, 0);
	/* PPS1 that was not asked for */
	check_pps(B(0xFF, 0x01, 0xFE), B(0xFF, 0x11, 0x96, 0x78),
		  CCID_E_PROTO, 0);
	/* PPS2 that was not asked for */
	check_pps(req96, sizeof(req96), B(0xFF, 0x31, 0x96, 0x05, 0x5D),
		  CCID_E_PROTO, 0);
	/* reserved bit 8 of PPS0 */
	check_pps(req96, sizeof(req96), B(0xFF, 0x91, 0x96, 0xF8),
		  CCID_E_PROTO, 0);
}

static void test_check_lengths(void **state)
{
	uint8_t fidi = 0;

	(void)state;
	/* PPS0 announces PPS1 but it is missing, or a byte too many */
	check_pps(req96, sizeof(req96), B(0xFF, 0x11, 0xEE), CCID_E_PROTO,
		  0);
	check_pps(req96, sizeof(req96), B(0xFF, 0x11, 0x96, 0x00, 0x78),
		  CCID_E_PROTO, 0);
	check_pps(req96, sizeof(req96), B(0xFF, 0xFF), CCID_E_PROTO, 0);
	check_pps(req96, sizeof(req96), B(0xFF), CCID_E_PROTO, 0);
	assert_int_equal(ccid_pps_check(req96, sizeof(req96), req96, 0,
					&fidi), CCID_E_PROTO);
	assert_int_equal(ccid_pps_check(req96, sizeof(req96), NULL, 4, &fidi),
			 CCID_E_PROTO);
	/* our own request malformed: a caller bug */
	check_pps(B(0xFF, 0x11, 0x96, 0x00), req96, sizeof(req96),
		  CCID_E_INVAL, 0);
	check_pps(B(0xFF, 0x11, 0x96), req96, sizeof(req96), CCID_E_INVAL,
		  0);
	assert_int_equal(ccid_pps_check(NULL, 4, req96, sizeof(req96), &fidi),
			 CCID_E_INVAL);
}

/* ---- ATRs and descriptors ---- */

/* Parse hist-less ATR bytes, appending TCK when need_tck. */
static struct ccid_atr atr_of(const uint8_t *b, size_t len, bool need_tck)
{
	uint8_t raw[CCID_ATR_MAX];
	struct ccid_atr a;

	assert_true(len < sizeof(raw));
	memcpy(raw, b, len);
	if (need_tck) {
		uint8_t x = 0;

		for (size_t i = 1; i < len; i++)
			x ^= raw[i];
		raw[len++] = x;
	}
	assert_int_equal(ccid_atr_parse(raw, len, &a), CCID_OK);
	assert_true(a.tck_ok);
	return a;
}

/* T=0 only, TA1 given */
static struct ccid_atr atr_t0(uint8_t ta1)
{
	return atr_of(B(0x3B, 0x10, ta1), false);
}

/* T=0 first, T=1 offered too */
static struct ccid_atr atr_t0_t1(uint8_t ta1)
{
	return atr_of(B(0x3B, 0x90, ta1, 0x80, 0x01), true);
}

/* T=1 only */
static struct ccid_atr atr_t1(uint8_t ta1)
{
	return atr_of(B(0x3B, 0x90, ta1, 0x01), true);
}

/* specific mode: TA2 (T=0) */
static struct ccid_atr atr_specific(uint8_t ta1, uint8_t ta2)
{
	struct ccid_atr a = atr_of(B(0x3B, 0x90, ta1, 0x10, ta2), false);

	assert_true(a.specific_mode);
	return a;
}

/* A 4 MHz reader with a wide data-rate range. */
static struct ccid_desc desc_wide(void)
{
	struct ccid_desc d;

	memset(&d, 0, sizeof(d));
	d.dwProtocols = 3;
	d.dwDefaultClock = 4000;
	d.dwMaximumClock = 4000;
	d.dwDataRate = 9600;
	d.dwMaxDataRate = 344086;
	d.dwFeatures = CCID_FEAT_AUTO_CONF_ATR | CCID_FEAT_AUTO_ACTIVATION |
		       CCID_FEAT_AUTO_VOLTAGE | CCID_FEAT_AUTO_CLOCK |
		       CCID_FEAT_LEVEL_TPDU;
	return d;
}

/* The same, limited to 115200 bps. */
static struct ccid_desc desc_115200(void)
{
	struct ccid_desc d = desc_wide();

	d.dwMaxDataRate = 115200;
	return d;
}

/* GemCore secondary-slot rates (readers.md) */
static const uint32_t gem_rates[] = { 10753, 21505, 43011, 125000 };

static void expect_fidi(uint8_t ta1, const struct ccid_desc *d,
			const uint32_t *rates, size_t nrates, uint8_t want)
{
	struct ccid_atr a = atr_t0(ta1);

	assert_int_equal(ccid_pps_choose_fidi(&a, d, rates, nrates), want);
	/* the protocols offered make no difference */
	a = atr_t1(ta1);
	assert_int_equal(ccid_pps_choose_fidi(&a, d, rates, nrates), want);
}

static void test_choose_wide(void **state)
{
	struct ccid_desc d = desc_wide();
	struct ccid_atr a = atr_of(B(0x3B, 0x00), false);

	(void)state;
	expect_fidi(0x11, &d, NULL, 0, 0x11);	/* 10752 bps */
	expect_fidi(0x13, &d, NULL, 0, 0x13);	/* 43010 */
	expect_fidi(0x18, &d, NULL, 0, 0x18);	/* 129032 */
	expect_fidi(0x19, &d, NULL, 0, 0x19);	/* 215053 */
	expect_fidi(0x95, &d, NULL, 0, 0x95);	/* 125000 */
	expect_fidi(0x96, &d, NULL, 0, 0x96);	/* 250000 */
	expect_fidi(0x16, &d, NULL, 0, 0x16);	/* 344086: the top */
	/* Di 64: 500000 and 688172 too fast, Di 32 is the next lower */
	expect_fidi(0x97, &d, NULL, 0, 0x96);
	expect_fidi(0x17, &d, NULL, 0, 0x16);
	/* 512/1: 7812 below dwDataRate, and nothing lower: 0x11 */
	expect_fidi(0x91, &d, NULL, 0, 0x11);
	/* both ends of the range are included */
	d.dwDataRate = 43010;
	expect_fidi(0x13, &d, NULL, 0, 0x13);
	d.dwDataRate = 43011;
	expect_fidi(0x13, &d, NULL, 0, 0x11);
	d.dwDataRate = 9600;
	/* no TA1 */
	assert_int_equal(ccid_pps_choose_fidi(&a, &d, NULL, 0), 0x11);
}

static void test_choose_115200(void **state)
{
	struct ccid_desc d = desc_115200();

	(void)state;
	expect_fidi(0x11, &d, NULL, 0, 0x11);
	expect_fidi(0x13, &d, NULL, 0, 0x13);
	/* 129032 too fast; Di 8 (86021) */
	expect_fidi(0x18, &d, NULL, 0, 0x14);
	/* 125000 too fast; Di 12 (93750, index 8) comes before Di 8 */
	expect_fidi(0x95, &d, NULL, 0, 0x98);
	expect_fidi(0x96, &d, NULL, 0, 0x98);
	/* 215053 too fast; Di 16 172043 too; Di 12 = 129032 too; Di 8 */
	expect_fidi(0x19, &d, NULL, 0, 0x14);
}

static void test_choose_rates(void **state)
{
	struct ccid_desc d = desc_wide();
	const size_t n = sizeof(gem_rates) / sizeof(gem_rates[0]);
	/* 43010 bps is within 1% of 43444 (434 × 100 <= 43444), not of
	 * 43445 (435 × 100 > 43445); from below: 42585 (425 × 100 <= 42585) */
	static const uint32_t near[] = { 43444 };
	static const uint32_t far[] = { 43445 };
	static const uint32_t low[] = { 42585 };
	static const uint32_t too_low[] = { 42584 };

	(void)state;
	/* the rates list wins over the descriptor's range */
	expect_fidi(0x11, &d, gem_rates, n, 0x11);
	expect_fidi(0x13, &d, gem_rates, n, 0x13);
	expect_fidi(0x18, &d, gem_rates, n, 0x13); /* 129032 not listed */
	expect_fidi(0x95, &d, gem_rates, n, 0x95);
	expect_fidi(0x96, &d, gem_rates, n, 0x95);
	expect_fidi(0x94, &d, gem_rates, n, 0x11); /* 62500 .. 7812 */
	/* ±1% */
	expect_fidi(0x13, &d, near, 1, 0x13);
	expect_fidi(0x13, &d, low, 1, 0x13);
	expect_fidi(0x13, &d, far, 1, 0x11);
	expect_fidi(0x13, &d, too_low, 1, 0x11);
	/* the range is ignored when a list is given */
	d.dwMaxDataRate = 20000;
	expect_fidi(0x95, &d, gem_rates, n, 0x95);
	/* NULL list with a count: defaults */
	expect_fidi(0x95, &d, NULL, 1, 0x11);
}

static void test_choose_clock(void **state)
{
	struct ccid_desc d = desc_wide();

	(void)state;
	/* 8 MHz: fmax of Fi index 9 is 5 MHz, too slow for the clock */
	d.dwDefaultClock = 8000;
	expect_fidi(0x96, &d, NULL, 0, 0x11);
	/* Fi 744 (fmax 8 MHz) / Di 32 at 8 MHz: 344086 */
	expect_fidi(0x36, &d, NULL, 0, 0x36);
	/* Fi index 0 (372, fmax 4 MHz) at 4 MHz: fine, at 4.001 no */
	d.dwDefaultClock = 4000;
	expect_fidi(0x03, &d, NULL, 0, 0x03);
	d.dwDefaultClock = 4001;
	expect_fidi(0x03, &d, NULL, 0, 0x11);
	/* no clock in the descriptor */
	d.dwDefaultClock = 0;
	expect_fidi(0x13, &d, NULL, 0, 0x11);
	/* RFU Fi / Di in TA1 */
	d = desc_wide();
	expect_fidi(0x71, &d, NULL, 0, 0x11);
	expect_fidi(0x1A, &d, NULL, 0, 0x11);
}

static void test_choose_specific(void **state)
{
	struct ccid_desc d = desc_115200();
	struct ccid_atr a;

	(void)state;
	/* specific mode: TA1 is what the card runs, whatever we prefer */
	a = atr_specific(0x96, 0x00);
	assert_int_equal(ccid_pps_choose_fidi(&a, &d, NULL, 0), 0x96);
	a = atr_specific(0x13, 0x80);
	assert_int_equal(ccid_pps_choose_fidi(&a, &d, NULL, 0), 0x13);
	/* TA2 bit 5: implicit parameters, taken as the defaults */
	a = atr_specific(0x96, 0x10);
	assert_int_equal(ccid_pps_choose_fidi(&a, &d, NULL, 0), 0x11);
	/* NULL arguments */
	assert_int_equal(ccid_pps_choose_fidi(NULL, &d, NULL, 0), 0x11);
	assert_int_equal(ccid_pps_choose_fidi(&a, NULL, NULL, 0), 0x11);
}

static void test_needed(void **state)
{
	struct ccid_desc d = desc_wide();
	struct ccid_atr a;

	(void)state;
	/* T=0 card at default speed: nothing to negotiate */
	a = atr_t0(0x11);
	assert_false(ccid_pps_needed(&a, &d, 0, 0x11));
	/* Fi index 0 is 372 too */
	assert_false(ccid_pps_needed(&a, &d, 0, 0x01));
	/* Di 1 with another Fi is no default */
	assert_true(ccid_pps_needed(&a, &d, 0, 0x91));
	/* faster Fi/Di */
	a = atr_t0(0x13);
	assert_true(ccid_pps_needed(&a, &d, 0, 0x13));
	assert_false(ccid_pps_needed(&a, &d, 0, 0x11));
	/* T=1 on a card whose first protocol is T=0 */
	a = atr_t0_t1(0x11);
	assert_true(ccid_pps_needed(&a, &d, 1, 0x11));
	assert_false(ccid_pps_needed(&a, &d, 0, 0x11));
	/* T=1 first */
	a = atr_t1(0x11);
	assert_false(ccid_pps_needed(&a, &d, 1, 0x11));
	assert_true(ccid_pps_needed(&a, &d, 0, 0x11));
	assert_true(ccid_pps_needed(&a, &d, 1, 0x18));
	/* the reader does it: automatic PPS or parameter negotiation */
	d.dwFeatures |= CCID_FEAT_AUTO_PPS;
	assert_false(ccid_pps_needed(&a, &d, 1, 0x18));
	d = desc_wide();
	d.dwFeatures |= CCID_FEAT_AUTO_PARAM_NEG;
	assert_false(ccid_pps_needed(&a, &d, 0, 0x11));
	/* automatic baud alone is not PPS */
	d = desc_wide();
	d.dwFeatures |= CCID_FEAT_AUTO_BAUD;
	assert_true(ccid_pps_needed(&a, &d, 1, 0x18));
	/* specific mode: never */
	a = atr_specific(0x96, 0x00);
	assert_false(ccid_pps_needed(&a, &d, 0, 0x96));
	assert_false(ccid_pps_needed(&a, &d, 1, 0x11));
	assert_false(ccid_pps_needed(NULL, &d, 1, 0x11));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_encode_errors),
		cmocka_unit_test(test_check_accepted),
		cmocka_unit_test(test_check_pps1_omitted),
		cmocka_unit_test(test_check_refused),
		cmocka_unit_test(test_check_lengths),
		cmocka_unit_test(test_choose_wide),
		cmocka_unit_test(test_choose_115200),
		cmocka_unit_test(test_choose_rates),
		cmocka_unit_test(test_choose_clock),
		cmocka_unit_test(test_choose_specific),
		cmocka_unit_test(test_needed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
