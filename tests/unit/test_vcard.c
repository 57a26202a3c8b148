/* ccidkit — tests for the virtual reader's test cards (src/vr_card.c). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "src/vr_card.h"

static uint8_t *resp;	/* VR_CARD_RESP_MAX bytes, too big for the stack */
static size_t rlen;

static int setup(void **state)
{
	(void)state;
	resp = malloc(VR_CARD_RESP_MAX);
	return resp ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(resp);
	return 0;
}

/* Run an APDU through the T=1 test card; returns the status word. */
static unsigned run_on(const char *card, const uint8_t *apdu, size_t len)
{
	const struct vr_card *c = vr_card_find(card);

	assert_non_null(c);
	rlen = 0;
	assert_int_equal(vr_card_process(c, apdu, len, resp, VR_CARD_RESP_MAX,
					 &rlen), 0);
	assert_true(rlen >= 2);
	return (unsigned)resp[rlen - 2] << 8 | resp[rlen - 1];
}

static unsigned run(const uint8_t *apdu, size_t len)
{
	return run_on("test", apdu, len);
}

#define RUN(...) ({ static const uint8_t a_[] = { __VA_ARGS__ }; run(a_, sizeof(a_)); })

static void test_atr_t1(void **state)
{
	static const uint8_t want[] = {
		0x3B, 0x88, 0x81, 0x31, 0xFE, 0x45, 'c', 'c', 'i', 'd', 'k',
		'i', 't', '1', 0xC9,
	};
	const struct vr_card *c = vr_card_find("test");
	uint8_t x = 0;

	(void)state;
	assert_non_null(c);
	assert_int_equal(c->atr_len, sizeof(want));
	assert_memory_equal(c->atr, want, sizeof(want));
	/* ISO 7816-3 §8.2.5: XOR of T0..TCK is zero */
	for (size_t i = 1; i < c->atr_len; i++)
		x ^= c->atr[i];
	assert_int_equal(x, 0);
	assert_int_equal(c->protocol, 1);
	assert_int_equal(c->params_len, 7);
	assert_memory_equal(c->params, ((const uint8_t[]){ 0x11, 0x10, 0x00,
				       0x45, 0x00, 0xFE, 0x00 }), 7);
}

static void test_atr_t0(void **state)
{
	static const uint8_t want[] = {
		0x3B, 0x08, 'c', 'c', 'i', 'd', 'k', 'i', 't', '0',
	};
	const struct vr_card *c = vr_card_find("test-t0");

	(void)state;
	assert_non_null(c);
	assert_int_equal(c->atr_len, sizeof(want));
	assert_memory_equal(c->atr, want, sizeof(want));
	assert_int_equal(c->protocol, 0);
	assert_int_equal(c->params_len, 5);
	assert_memory_equal(c->params, ((const uint8_t[]){ 0x11, 0x00, 0x00,
				       0x0A, 0x00 }), 5);
	assert_null(vr_card_find("nope"));
	assert_null(vr_card_find(NULL));
	assert_null(vr_card_find("Test"));
}

static void test_echo_short(void **state)
{
	(void)state;
	assert_int_equal(RUN(0x80, 0x10, 0, 0, 3, 1, 2, 3), 0x9000);
	assert_int_equal(rlen, 5);
	assert_memory_equal(resp, ((const uint8_t[]){ 1, 2, 3 }), 3);
	assert_int_equal(RUN(0x80, 0x10, 0, 0, 3, 1, 2, 3, 0), 0x9000);
	assert_int_equal(rlen, 5);
	assert_int_equal(RUN(0x80, 0x10, 0, 0, 3, 1, 2, 3, 2), 0x9000);
	assert_int_equal(rlen, 4);
	assert_memory_equal(resp, ((const uint8_t[]){ 1, 2 }), 2);
	/* same on the T=0 card */
	static const uint8_t a[] = { 0x80, 0x10, 0, 0, 1, 0xAB };
	assert_int_equal(run_on("test-t0", a, sizeof(a)), 0x9000);
	assert_int_equal(rlen, 3);
	assert_int_equal(resp[0], 0xAB);
}

static void test_echo_extended(void **state)
{
	size_t n = 70000;
	uint8_t *a = malloc(n);

	(void)state;
	assert_non_null(a);
	/* case 3E, Nc = 300 */
	memcpy(a, (const uint8_t[]){ 0x80, 0x10, 0, 0, 0, 0x01, 0x2C }, 7);
	for (size_t i = 0; i < 300; i++)
		a[7 + i] = (uint8_t)(i * 7);
	assert_int_equal(run(a, 307), 0x9000);
	assert_int_equal(rlen, 302);
	assert_memory_equal(resp, a + 7, 300);
	/* case 4E, Le 0000 = 65536 */
	a[307] = 0;
	a[308] = 0;
	assert_int_equal(run(a, 309), 0x9000);
	assert_int_equal(rlen, 302);
	/* case 4E, Le 0010 */
	a[308] = 0x10;
	assert_int_equal(run(a, 309), 0x9000);
	assert_int_equal(rlen, 18);
	assert_memory_equal(resp, a + 7, 16);
	/* Nc = 65535 */
	a[5] = a[6] = 0xFF;
	memset(a + 7, 0x5A, 65535);
	assert_int_equal(run(a, 7 + 65535), 0x9000);
	assert_int_equal(rlen, 65537);
	assert_int_equal(resp[65534], 0x5A);
	free(a);
}

static void test_echo_errors(void **state)
{
	(void)state;
	assert_int_equal(RUN(0x80, 0x10, 0, 0), 0x6700);		/* no data */
	assert_int_equal(rlen, 2);
	assert_int_equal(RUN(0x80, 0x10, 0, 0, 0x10), 0x6700);	/* case 2 */
	assert_int_equal(RUN(0x80, 0x10, 1, 0, 1, 1), 0x6B00);
	assert_int_equal(RUN(0x80, 0x10, 0, 1, 1, 1), 0x6B00);
	/* Lc says 5, 2 bytes follow */
	assert_int_equal(RUN(0x80, 0x10, 0, 0, 5, 1, 2), 0x6700);
	/* Lc says 1, 3 bytes follow (neither case 3 nor 4) */
	assert_int_equal(RUN(0x80, 0x10, 0, 0, 1, 1, 2, 3), 0x6700);
	/* extended: Lc 0000 does not exist */
	assert_int_equal(RUN(0x80, 0x10, 0, 0, 0, 0, 0, 0xAA), 0x6700);
	/* extended: Lc 5, 2 bytes */
	assert_int_equal(RUN(0x80, 0x10, 0, 0, 0, 0, 5, 1, 2), 0x6700);
	/* 6 bytes with 00 at byte 4: neither short nor extended */
	assert_int_equal(RUN(0x80, 0x10, 0, 0, 0, 1), 0x6700);
	/* case 2E: no data for ECHO */
	assert_int_equal(RUN(0x80, 0x10, 0, 0, 0, 0, 1), 0x6700);
}

static void test_pattern(void **state)
{
	(void)state;
	assert_int_equal(RUN(0x80, 0x12, 0, 5), 0x9000);
	assert_int_equal(rlen, 7);
	assert_memory_equal(resp, ((const uint8_t[]){ 0, 1, 2, 3, 4 }), 5);
	assert_int_equal(RUN(0x80, 0x12, 0, 0), 0x9000);
	assert_int_equal(rlen, 2);
	/* N = 300, no Le: all of it */
	assert_int_equal(RUN(0x80, 0x12, 1, 0x2C), 0x9000);
	assert_int_equal(rlen, 302);
	assert_int_equal(resp[255], 255);
	assert_int_equal(resp[256], 0);
	assert_int_equal(resp[299], 43);
	/* short Le 00 = 256 */
	assert_int_equal(RUN(0x80, 0x12, 1, 0x2C, 0), 0x9000);
	assert_int_equal(rlen, 258);
	/* Le larger than N */
	assert_int_equal(RUN(0x80, 0x12, 0, 3, 0x10), 0x9000);
	assert_int_equal(rlen, 5);
	/* extended Le 0000 = 65536 with N = 65535 */
	assert_int_equal(RUN(0x80, 0x12, 0xFF, 0xFF, 0, 0, 0), 0x9000);
	assert_int_equal(rlen, 65537);
	assert_int_equal(resp[65534], 0xFE);
	/* extended Le 0105 */
	assert_int_equal(RUN(0x80, 0x12, 0x10, 0, 0, 1, 5), 0x9000);
	assert_int_equal(rlen, 263);
	/* data is not allowed */
	assert_int_equal(RUN(0x80, 0x12, 0, 5, 1, 0xAA), 0x6700);
	assert_int_equal(rlen, 2);
}

static void test_sink_nop(void **state)
{
	(void)state;
	assert_int_equal(RUN(0x80, 0x14, 0, 0, 2, 9, 9), 0x9000);
	assert_int_equal(rlen, 2);
	assert_int_equal(RUN(0x80, 0x14, 0, 0, 0, 0, 2, 9, 9), 0x9000);
	assert_int_equal(RUN(0x80, 0x14, 0, 0, 2, 9, 9, 0), 0x6700);
	assert_int_equal(RUN(0x80, 0x14, 0, 0), 0x6700);
	assert_int_equal(RUN(0x80, 0x14, 0, 2, 1, 9), 0x6B00);
	assert_int_equal(RUN(0x80, 0x16, 0, 0), 0x9000);
	assert_int_equal(rlen, 2);
	assert_int_equal(RUN(0x80, 0x16, 0, 0, 0), 0x6700);
	assert_int_equal(RUN(0x80, 0x16, 0, 0, 1, 1), 0x6700);
	assert_int_equal(RUN(0x80, 0x16, 1, 0), 0x6B00);
}

static void test_get_challenge(void **state)
{
	uint8_t first[8];

	(void)state;
	assert_int_equal(RUN(0x00, 0x84, 0, 0, 8), 0x9000);
	assert_int_equal(rlen, 10);
	memcpy(first, resp, 8);
	assert_int_equal(RUN(0x00, 0x84, 0, 0, 8), 0x9000);
	assert_memory_not_equal(first, resp, 8);
	assert_int_equal(RUN(0x00, 0x84, 0, 0, 0), 0x9000);
	assert_int_equal(rlen, 258);
	assert_int_equal(RUN(0x00, 0x84, 0, 0, 0, 0x01, 0x00), 0x9000);
	assert_int_equal(rlen, 258);
	assert_int_equal(RUN(0x00, 0x84, 0, 0, 0, 0, 0), 0x9000);
	assert_int_equal(rlen, 65538);
	assert_int_equal(RUN(0x00, 0x84, 0, 0), 0x6700);
	assert_int_equal(RUN(0x00, 0x84, 0, 0, 1, 1, 8), 0x6700);
	assert_int_equal(RUN(0x00, 0x84, 1, 0, 8), 0x6B00);
}

static void test_select(void **state)
{
	(void)state;
	assert_int_equal(RUN(0x00, 0xA4, 4, 0, 8, 0xF0, 0x63, 0x63, 0x69,
			     0x64, 0x6B, 0x69, 0x74), 0x9000);
	assert_int_equal(rlen, 2);
	assert_int_equal(RUN(0x00, 0xA4, 4, 0, 8, 0xF0, 0x63, 0x63, 0x69,
			     0x64, 0x6B, 0x69, 0x74, 0x00), 0x9000);
	assert_int_equal(RUN(0x00, 0xA4, 4, 0, 8, 0xF0, 0x63, 0x63, 0x69,
			     0x64, 0x6B, 0x69, 0x75), 0x6A82);
	assert_int_equal(RUN(0x00, 0xA4, 4, 0, 7, 0xF0, 0x63, 0x63, 0x69,
			     0x64, 0x6B, 0x69), 0x6A82);
	assert_int_equal(RUN(0x00, 0xA4, 4, 0, 5, 0xA0, 0, 0, 0, 0x62), 0x6A82);
	assert_int_equal(RUN(0x00, 0xA4, 0, 0, 2, 0x3F, 0x00), 0x6B00);
	assert_int_equal(RUN(0x00, 0xA4, 4, 0x0C, 1, 1), 0x6B00);
	assert_int_equal(RUN(0x00, 0xA4, 4, 0), 0x6700);
	assert_memory_equal(vr_card_aid, ((const uint8_t[]){ 0xF0, 'c', 'c',
			    'i', 'd', 'k', 'i', 't' }), 8);
}

static void test_wrong_cla_ins(void **state)
{
	(void)state;
	assert_int_equal(RUN(0x90, 0x10, 0, 0, 1, 1), 0x6E00);
	assert_int_equal(rlen, 2);
	assert_int_equal(RUN(0xA0, 0xA4, 4, 0), 0x6E00);
	assert_int_equal(RUN(0x81, 0x10, 0, 0, 1, 1), 0x6E00);
	assert_int_equal(RUN(0xFF, 0xCA, 0, 0, 0), 0x6E00);
	assert_int_equal(RUN(0x80, 0x20, 0, 0), 0x6D00);
	assert_int_equal(RUN(0x80, 0x11, 0, 0), 0x6D00);
	assert_int_equal(RUN(0x80, 0x84, 0, 0, 8), 0x6D00);
	assert_int_equal(RUN(0x00, 0x10, 0, 0, 1, 1), 0x6D00);
	assert_int_equal(RUN(0x00, 0xB0, 0, 0, 0), 0x6D00);
	/* malformed length structure with a known instruction */
	assert_int_equal(RUN(0x80, 0x16, 0), 0x6700);
	assert_int_equal(run((const uint8_t *)"", 0), 0x6700);
	assert_int_equal(RUN(0x90), 0x6E00);
}

static void test_small_buffer(void **state)
{
	static const uint8_t echo[] = { 0x80, 0x10, 0, 0, 3, 1, 2, 3 };
	const struct vr_card *c = vr_card_find("test");
	uint8_t small[5];
	size_t n = 99;

	(void)state;
	assert_int_equal(vr_card_process(c, echo, sizeof(echo), small, 4, &n),
			 -ENOSPC);
	assert_int_equal(n, 0);
	assert_int_equal(vr_card_process(c, echo, sizeof(echo), small, 5, &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(small, ((const uint8_t[]){ 1, 2, 3, 0x90, 0 }), 5);
	assert_int_equal(vr_card_process(c, echo, 3, small, 1, &n), -ENOSPC);
	assert_int_equal(vr_card_process(NULL, echo, 3, small, 5, &n), -EINVAL);
	assert_int_equal(vr_card_process(c, NULL, 3, small, 5, &n), -EINVAL);
	assert_int_equal(vr_card_process(c, echo, 3, NULL, 5, &n), -EINVAL);
	assert_int_equal(vr_card_process(c, echo, 3, small, 5, NULL), -EINVAL);
}

/* --ifsc / --t1-crc: TA3 and TC3 change, the TCK follows (XOR of T0..TCK
 * is 0, ISO 7816-3 §8.2.5). */
static void test_atr_t1_variants(void **state)
{
	const struct vr_card *c = vr_card_find("test");
	uint8_t atr[VR_CARD_ATR_MAX];

	(void)state;
	assert_int_equal(vr_card_t1_atr(254, false, atr), c->atr_len);
	assert_memory_equal(atr, c->atr, c->atr_len);
	assert_int_equal(vr_card_t1_atr(32, false, atr), 15);
	assert_memory_equal(atr, ((const uint8_t[]){ 0x3B, 0x88, 0x81, 0x31,
			    0x20, 0x45, 'c', 'c', 'i', 'd', 'k', 'i', 't', '1',
			    0x17 }), 15);
	assert_int_equal(vr_card_t1_atr(16, true, atr), 16);
	assert_memory_equal(atr, ((const uint8_t[]){ 0x3B, 0x88, 0x81, 0x71,
			    0x10, 0x45, 0x01, 'c', 'c', 'i', 'd', 'k', 'i', 't',
			    '1', 0x66 }), 16);
}

/* VERIFY 00 20 00 81: the PIN block rules of vr_card.h, 3 tries. */
static void test_verify(void **state)
{
	(void)state;
	assert_int_equal(vr_card_set_pin(NULL), 0);		/* 1234 */
	assert_int_equal(RUN(0x00, 0x20, 0x00, 0x81), 0x63C3);
	/* ASCII + FF padding, binary digits, ISO 9564 format 2 */
	assert_int_equal(RUN(0x00, 0x20, 0x00, 0x81, 0x08, '1', '2', '3', '4',
			     0xFF, 0xFF, 0xFF, 0xFF), 0x9000);
	assert_int_equal(RUN(0x00, 0x20, 0x00, 0x81, 0x04, '1', '2', '3', '4'),
			 0x9000);
	assert_int_equal(RUN(0x00, 0x20, 0x00, 0x81, 0x06, 1, 2, 3, 4, 0xFF,
			     0xFF), 0x9000);
	assert_int_equal(RUN(0x00, 0x20, 0x00, 0x81, 0x08, 0x24, 0x12, 0x34,
			     0xFF, 0xFF, 0xFF, 0xFF, 0xFF), 0x9000);
	/* wrong: 63 C2, C1; right again resets the counter */
	assert_int_equal(RUN(0x00, 0x20, 0x00, 0x81, 0x04, '1', '2', '3', '5'),
			 0x63C2);
	assert_int_equal(RUN(0x00, 0x20, 0x00, 0x81, 0x08, '1', '2', '3', '4',
			     0xFF, 0x00, 0xFF, 0xFF), 0x63C1);	/* bad padding */
	assert_int_equal(RUN(0x00, 0x20, 0x00, 0x81), 0x63C1);
	assert_int_equal(RUN(0x00, 0x20, 0x00, 0x81, 0x04, '1', '2', '3', '4'),
			 0x9000);
	assert_int_equal(RUN(0x00, 0x20, 0x00, 0x81), 0x63C3);
	/* three wrong: C2 C1 C0, then blocked even for the right PIN */
	assert_int_equal(RUN(0x00, 0x20, 0x00, 0x81, 0x04, 'x', '2', '3', '4'),
			 0x63C2);
	assert_int_equal(RUN(0x00, 0x20, 0x00, 0x81, 0x03, '1', '2', '3'),
			 0x63C1);
	assert_int_equal(RUN(0x00, 0x20, 0x00, 0x81, 0x08, 0x25, 0x12, 0x34,
			     0x5F, 0xFF, 0xFF, 0xFF, 0xFF), 0x63C0);
	assert_int_equal(RUN(0x00, 0x20, 0x00, 0x81, 0x04, '1', '2', '3', '4'),
			 0x6983);
	assert_int_equal(RUN(0x00, 0x20, 0x00, 0x81), 0x6983);
	/* parameters */
	assert_int_equal(vr_card_set_pin("987654"), 0);
	assert_int_equal(RUN(0x00, 0x20, 0x01, 0x81, 0x01, '1'), 0x6B00);
	assert_int_equal(RUN(0x00, 0x20, 0x00, 0x80, 0x01, '1'), 0x6A88);
	assert_int_equal(RUN(0x00, 0x20, 0x00, 0x81, 0x01, '1', 0x00), 0x6700);
	assert_int_equal(RUN(0x00, 0x20, 0x00, 0x81, 0x06, '9', '8', '7', '6',
			     '5', '4'), 0x9000);
	assert_int_equal(vr_card_set_pin("123"), -EINVAL);
	assert_int_equal(vr_card_set_pin("1234567890123"), -EINVAL);
	assert_int_equal(vr_card_set_pin("12a4"), -EINVAL);
	assert_int_equal(vr_card_set_pin(NULL), 0);
}

/* CHANGE REFERENCE DATA 00 24 00 81 Lc old||new. */
static void test_change_reference_data(void **state)
{
	(void)state;
	assert_int_equal(vr_card_set_pin(NULL), 0);
	assert_int_equal(RUN(0x00, 0x24, 0x00, 0x81, 0x08, '1', '2', '3', '4',
			     '5', '6', '7', '8'), 0x9000);
	assert_int_equal(RUN(0x00, 0x20, 0x00, 0x81, 0x04, '1', '2', '3', '4'),
			 0x63C2);
	assert_int_equal(RUN(0x00, 0x20, 0x00, 0x81, 0x04, '5', '6', '7', '8'),
			 0x9000);
	/* wrong old PIN: counted, nothing changed */
	assert_int_equal(RUN(0x00, 0x24, 0x00, 0x81, 0x08, '1', '2', '3', '4',
			     '0', '0', '0', '0'), 0x63C2);
	/* a new PIN that is no PIN: 6A 80 */
	assert_int_equal(RUN(0x00, 0x24, 0x00, 0x81, 0x08, '5', '6', '7', '8',
			     '1', 0xFF, 0xFF, 0xFF), 0x6A80);
	assert_int_equal(RUN(0x00, 0x24, 0x00, 0x81, 0x07, '5', '6', '7', '8',
			     '1', '2', '3'), 0x6700);
	assert_int_equal(RUN(0x00, 0x24, 0x00, 0x81), 0x6700);
	/* format 2 blocks both */
	assert_int_equal(RUN(0x00, 0x24, 0x00, 0x81, 0x10,
			     0x24, 0x56, 0x78, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
			     0x26, 0x12, 0x34, 0x56, 0xFF, 0xFF, 0xFF, 0xFF),
			 0x9000);
	assert_int_equal(RUN(0x00, 0x20, 0x00, 0x81, 0x06, '1', '2', '3', '4',
			     '5', '6'), 0x9000);
	assert_int_equal(vr_card_set_pin(NULL), 0);
	/* the T=0 card has the same instructions */
	{
		static const uint8_t v[] = { 0x00, 0x20, 0x00, 0x81, 0x04, '1',
					     '2', '3', '4' };
		assert_int_equal(run_on("test-t0", v, sizeof(v)), 0x9000);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_atr_t1),
		cmocka_unit_test(test_atr_t1_variants),
		cmocka_unit_test(test_atr_t0),
		cmocka_unit_test(test_echo_short),
		cmocka_unit_test(test_echo_extended),
		cmocka_unit_test(test_echo_errors),
		cmocka_unit_test(test_pattern),
		cmocka_unit_test(test_sink_nop),
		cmocka_unit_test(test_get_challenge),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_wrong_cla_ins),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_change_reference_data),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
