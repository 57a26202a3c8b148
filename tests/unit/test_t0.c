/* ccidkit — unit tests for ccid/t0.c: APDU → T=0 TPDU mapping (ISO/IEC
 * 7816-4 §5.3.4, ccid-spec.md §6.5).  A fake xfer plays a scripted card:
 * each step is the exact TPDU expected and the canned answer (data + SW),
 * and every script must be used up exactly. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ccid/err.h"
#include "ccid/t0.h"

#define MAX_STEPS 600

struct step {
	uint8_t *tpdu;
	size_t tlen;
	uint8_t *resp;
	size_t rlen;
	int err; /* returned by xfer instead of an answer */
};

struct script {
	struct step st[MAX_STEPS];
	size_t n, pos;
	size_t min_cap; /* smallest cap xfer was given */
};

/* byte i of a scripted response's data: a pattern that shows misplaced or
 * repeated pieces */
static uint8_t pat(size_t i)
{
	return (uint8_t)(i * 7 + 3 + (i >> 8));
}

static void pat_fill(uint8_t *b, size_t off, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = pat(off + i);
}

static uint8_t *dup_bytes(const uint8_t *b, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	assert_non_null(p);
	if (n)
		memcpy(p, b, n);
	return p;
}

static struct script *script_new(void)
{
	struct script *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->min_cap = SIZE_MAX;
	return s;
}

static void script_free(struct script *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->st[i].tpdu);
		free(s->st[i].resp);
	}
	free(s);
}

static void add(struct script *s, const uint8_t *t, size_t tl,
		const uint8_t *r, size_t rl)
{
	assert_true(s->n < MAX_STEPS);
	s->st[s->n].tpdu = dup_bytes(t, tl);
	s->st[s->n].tlen = tl;
	s->st[s->n].resp = dup_bytes(r, rl);
	s->st[s->n].rlen = rl;
	s->n++;
}

/* answer = pat(off .. off+n-1) then SW1 SW2 */
static void add_data(struct script *s, const uint8_t *t, size_t tl,
		     size_t off, size_t n, uint8_t sw1, uint8_t sw2)
{
	uint8_t *r = malloc(n + 2);

	assert_non_null(r);
	pat_fill(r, off, n);
	r[n] = sw1;
	r[n + 1] = sw2;
	add(s, t, tl, r, n + 2);
	free(r);
}

static void add_err(struct script *s, const uint8_t *t, size_t tl, int err)
{
	add(s, t, tl, NULL, 0);
	s->st[s->n - 1].err = err;
}

#define B(...) (const uint8_t[]){ __VA_ARGS__ }, \
	sizeof((const uint8_t[]){ __VA_ARGS__ })

static int fake_xfer(void *arg, const uint8_t *tpdu, size_t len,
		     uint8_t *resp, size_t cap, size_t *resp_len)
{
	struct script *s = arg;
	const struct step *st;

	assert_true(s->pos < s->n); /* a TPDU the card did not expect */
	st = &s->st[s->pos++];
	assert_int_equal(len, st->tlen);
	assert_memory_equal(tpdu, st->tpdu, len);
	/* at most one short header + 255 data bytes per TPDU */
	assert_true(len <= 260);
	if (cap < s->min_cap)
		s->min_cap = cap;
	if (st->err != CCID_OK)
		return st->err;
	if (st->rlen > cap)
		return CCID_E_OVERFLOW;
	memcpy(resp, st->resp, st->rlen);
	*resp_len = st->rlen;
	return CCID_OK;
}

/* Run one APDU through the script; every step must have been used. */
static int run(struct script *s, uint8_t gr_cla, uint8_t env_cla,
	       const uint8_t *apdu, size_t alen, uint8_t *resp, size_t cap,
	       size_t *rlen)
{
	int rc = ccid_t0_transceive(fake_xfer, s, gr_cla, env_cla, apdu, alen,
				    resp, cap, rlen);

	assert_int_equal(s->pos, s->n);
	if (s->n > 0) /* room for a whole TPDU answer, always */
		assert_true(s->min_cap >= 258);
	return rc;
}

/* expect pat(0 .. n-1) then SW1 SW2 */
static void expect_resp(const uint8_t *resp, size_t rlen, size_t n,
			uint8_t sw1, uint8_t sw2)
{
	uint8_t *want = malloc(n + 2);

	assert_non_null(want);
	pat_fill(want, 0, n);
	want[n] = sw1;
	want[n + 1] = sw2;
	assert_int_equal(rlen, n + 2);
	assert_memory_equal(resp, want, n + 2);
	free(want);
}

static uint8_t rbuf[65536 + 2];

/* A short-form APDU and its TPDU, for a one-exchange test. */
static void one(const uint8_t *apdu, size_t alen, const uint8_t *tpdu,
		size_t tlen, size_t ndata, uint8_t sw1, uint8_t sw2)
{
	struct script *s = script_new();
	size_t rlen = 0;

	add_data(s, tpdu, tlen, 0, ndata, sw1, sw2);
	assert_int_equal(run(s, 0xFF, 0xFF, apdu, alen, rbuf, sizeof(rbuf),
			     &rlen), CCID_OK);
	expect_resp(rbuf, rlen, ndata, sw1, sw2);
	script_free(s);
}

static void test_case1(void **state)
{
	static const uint8_t apdu[] = { 0x00, 0x70, 0x00, 0x01 };

	(void)state;
	one(apdu, sizeof(apdu), B(0x00, 0x70, 0x00, 0x01, 0x00), 0, 0x90,
	    0x00);
	one(apdu, sizeof(apdu), B(0x00, 0x70, 0x00, 0x01, 0x00), 0, 0x6A,
	    0x81);
}

static void test_case2(void **state)
{
	static const uint8_t le10[] = { 0x00, 0xB0, 0x00, 0x00, 0x10 };
	static const uint8_t le00[] = { 0x00, 0xB0, 0x81, 0x02, 0x00 };
	static const uint8_t le01[] = { 0x80, 0xCA, 0x9F, 0x7F, 0x01 };

	(void)state;
	one(le10, sizeof(le10), B(0x00, 0xB0, 0x00, 0x00, 0x10), 16, 0x90,
	    0x00);
	/* Le 00 = 256, P3 00 */
	one(le00, sizeof(le00), B(0x00, 0xB0, 0x81, 0x02, 0x00), 256, 0x90,
	    0x00);
	one(le01, sizeof(le01), B(0x80, 0xCA, 0x9F, 0x7F, 0x01), 1, 0x90,
	    0x00);
	/* fewer bytes than Le, with a warning: as is */
	one(le10, sizeof(le10), B(0x00, 0xB0, 0x00, 0x00, 0x10), 5, 0x62,
	    0x82);
	/* an error, no data */
	one(le10, sizeof(le10), B(0x00, 0xB0, 0x00, 0x00, 0x10), 0, 0x6A,
	    0x82);
}

static void test_case2_6c(void **state)
{
	static const uint8_t le10[] = { 0x00, 0xB0, 0x00, 0x00, 0x10 };
	static const uint8_t le05[] = { 0x00, 0xB0, 0x00, 0x00, 0x05 };
	struct script *s;
	size_t rlen;

	(void)state;
	/* 6C08: same header again with P3 = 08 */
	s = script_new();
	add(s, B(0x00, 0xB0, 0x00, 0x00, 0x10), B(0x6C, 0x08));
	add_data(s, B(0x00, 0xB0, 0x00, 0x00, 0x08), 0, 8, 0x90, 0x00);
	assert_int_equal(run(s, 0xFF, 0xFF, le10, sizeof(le10), rbuf,
			     sizeof(rbuf), &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 8, 0x90, 0x00);
	script_free(s);

	/* 6C00 means 256 available: P3 00; more than Le asked for */
	s = script_new();
	add(s, B(0x00, 0xB0, 0x00, 0x00, 0x05), B(0x6C, 0x00));
	add_data(s, B(0x00, 0xB0, 0x00, 0x00, 0x00), 0, 256, 0x90, 0x00);
	assert_int_equal(run(s, 0xFF, 0xFF, le05, sizeof(le05), rbuf,
			     sizeof(rbuf), &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 256, 0x90, 0x00);
	script_free(s);

	/* only once: a second 6Cxx is the answer */
	s = script_new();
	add(s, B(0x00, 0xB0, 0x00, 0x00, 0x10), B(0x6C, 0x08));
	add(s, B(0x00, 0xB0, 0x00, 0x00, 0x08), B(0x6C, 0x04));
	assert_int_equal(run(s, 0xFF, 0xFF, le10, sizeof(le10), rbuf,
			     sizeof(rbuf), &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 0, 0x6C, 0x04);
	script_free(s);

	/* the re-sent command answered 61xx: GET RESPONSE follows */
	s = script_new();
	add(s, B(0x00, 0xB0, 0x00, 0x00, 0x10), B(0x6C, 0x20));
	add_data(s, B(0x00, 0xB0, 0x00, 0x00, 0x20), 0, 0x18, 0x61, 0x08);
	add_data(s, B(0x00, 0xC0, 0x00, 0x00, 0x08), 0x18, 8, 0x90, 0x00);
	assert_int_equal(run(s, 0xFF, 0xFF, le10, sizeof(le10), rbuf,
			     sizeof(rbuf), &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 0x20, 0x90, 0x00);
	script_free(s);
}

static void test_case2_61(void **state)
{
	static const uint8_t le00[] = { 0x00, 0xCA, 0x9F, 0x7F, 0x00 };
	static const uint8_t le10[] = { 0x00, 0xCA, 0x9F, 0x7F, 0x10 };
	struct script *s;
	size_t rlen;

	(void)state;
	/* 61 20 at once: GET RESPONSE with P3 20 */
	s = script_new();
	add(s, B(0x00, 0xCA, 0x9F, 0x7F, 0x00), B(0x61, 0x20));
	add_data(s, B(0x00, 0xC0, 0x00, 0x00, 0x20), 0, 0x20, 0x90, 0x00);
	assert_int_equal(run(s, 0xFF, 0xFF, le00, sizeof(le00), rbuf,
			     sizeof(rbuf), &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 0x20, 0x90, 0x00);
	script_free(s);

	/* 61 00 = 256 available, but Le is 16: P3 = min(256, 16) */
	s = script_new();
	add(s, B(0x00, 0xCA, 0x9F, 0x7F, 0x10), B(0x61, 0x00));
	add_data(s, B(0x00, 0xC0, 0x00, 0x00, 0x10), 0, 0x10, 0x61, 0xF0);
	assert_int_equal(run(s, 0xFF, 0xFF, le10, sizeof(le10), rbuf,
			     sizeof(rbuf), &rlen), CCID_OK);
	/* Ne reached: the 61F0 goes to the application */
	expect_resp(rbuf, rlen, 0x10, 0x61, 0xF0);
	script_free(s);

	/* data then 61xx with Ne already reached: nothing more is sent */
	s = script_new();
	add_data(s, B(0x00, 0xCA, 0x9F, 0x7F, 0x10), 0, 0x10, 0x61, 0x04);
	assert_int_equal(run(s, 0xFF, 0xFF, le10, sizeof(le10), rbuf,
			     sizeof(rbuf), &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 0x10, 0x61, 0x04);
	script_free(s);

	/* data then 61xx below Ne: the rest is fetched and appended */
	s = script_new();
	add_data(s, B(0x00, 0xCA, 0x9F, 0x7F, 0x00), 0, 0x80, 0x61, 0x00);
	add_data(s, B(0x00, 0xC0, 0x00, 0x00, 0x80), 0x80, 0x80, 0x90, 0x00);
	assert_int_equal(run(s, 0xFF, 0xFF, le00, sizeof(le00), rbuf,
			     sizeof(rbuf), &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 256, 0x90, 0x00);
	script_free(s);
}

static void test_case3(void **state)
{
	static const uint8_t apdu[] = { 0x00, 0xD6, 0x00, 0x10, 0x03,
					0x01, 0x02, 0x03 };
	struct script *s;
	size_t rlen;

	(void)state;
	one(apdu, sizeof(apdu), B(0x00, 0xD6, 0x00, 0x10, 0x03, 0x01, 0x02,
				  0x03), 0, 0x90, 0x00);
	/* case 3 expects no data: a 61xx goes to the application as is */
	s = script_new();
	add(s, apdu, sizeof(apdu), B(0x61, 0x05));
	assert_int_equal(run(s, 0xFF, 0xFF, apdu, sizeof(apdu), rbuf,
			     sizeof(rbuf), &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 0, 0x61, 0x05);
	script_free(s);
}

static void test_case3_255(void **state)
{
	uint8_t apdu[5 + 255];
	struct script *s = script_new();
	size_t rlen;

	(void)state;
	apdu[0] = 0x00;
	apdu[1] = 0xD6;
	apdu[2] = 0x00;
	apdu[3] = 0x00;
	apdu[4] = 0xFF;
	pat_fill(apdu + 5, 100, 255);
	/* the TPDU is the APDU itself: 260 bytes */
	add(s, apdu, sizeof(apdu), B(0x90, 0x00));
	assert_int_equal(run(s, 0xFF, 0xFF, apdu, sizeof(apdu), rbuf,
			     sizeof(rbuf), &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 0, 0x90, 0x00);
	script_free(s);
}

#define SELECT_AID 0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x01, 0x51

static void test_case4(void **state)
{
	static const uint8_t apdu[] = { SELECT_AID, 0x00 };
	static const uint8_t le10[] = { SELECT_AID, 0x10 };
	struct script *s;
	size_t rlen;

	(void)state;
	/* 9000 without data: the answer is 9000 */
	one(apdu, sizeof(apdu), B(SELECT_AID), 0, 0x90, 0x00);
	/* a warning after the data phase, as is (no GET RESPONSE) */
	one(apdu, sizeof(apdu), B(SELECT_AID), 0, 0x62, 0x83);
	one(apdu, sizeof(apdu), B(SELECT_AID), 0, 0x63, 0xC2);
	one(apdu, sizeof(apdu), B(SELECT_AID), 0, 0x6A, 0x82);

	/* 61 12: GET RESPONSE 00 C0 00 00 12 */
	s = script_new();
	add(s, B(SELECT_AID), B(0x61, 0x12));
	add_data(s, B(0x00, 0xC0, 0x00, 0x00, 0x12), 0, 0x12, 0x90, 0x00);
	assert_int_equal(run(s, 0xFF, 0xFF, apdu, sizeof(apdu), rbuf,
			     sizeof(rbuf), &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 0x12, 0x90, 0x00);
	script_free(s);

	/* 61 00 and Le 00: P3 00, 256 bytes */
	s = script_new();
	add(s, B(SELECT_AID), B(0x61, 0x00));
	add_data(s, B(0x00, 0xC0, 0x00, 0x00, 0x00), 0, 256, 0x90, 0x00);
	assert_int_equal(run(s, 0xFF, 0xFF, apdu, sizeof(apdu), rbuf,
			     sizeof(rbuf), &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 256, 0x90, 0x00);
	script_free(s);

	/* 61 20 but Le 10: P3 10, and the 61 10 that follows is returned */
	s = script_new();
	add(s, B(SELECT_AID), B(0x61, 0x20));
	add_data(s, B(0x00, 0xC0, 0x00, 0x00, 0x10), 0, 0x10, 0x61, 0x10);
	assert_int_equal(run(s, 0xFF, 0xFF, le10, sizeof(le10), rbuf,
			     sizeof(rbuf), &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 0x10, 0x61, 0x10);
	script_free(s);

	/* 61 11, one more than Le 10: still P3 10 */
	s = script_new();
	add(s, B(SELECT_AID), B(0x61, 0x11));
	add_data(s, B(0x00, 0xC0, 0x00, 0x00, 0x10), 0, 0x10, 0x61, 0x01);
	assert_int_equal(run(s, 0xFF, 0xFF, le10, sizeof(le10), rbuf,
			     sizeof(rbuf), &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 0x10, 0x61, 0x01);
	script_free(s);

	/* GET RESPONSE ending in a warning: data + 6282 */
	s = script_new();
	add(s, B(SELECT_AID), B(0x61, 0x08));
	add_data(s, B(0x00, 0xC0, 0x00, 0x00, 0x08), 0, 8, 0x62, 0x82);
	assert_int_equal(run(s, 0xFF, 0xFF, apdu, sizeof(apdu), rbuf,
			     sizeof(rbuf), &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 8, 0x62, 0x82);
	script_free(s);
}

static void test_case4_mix(void **state)
{
	static const uint8_t apdu[] = { SELECT_AID, 0x00 };
	static const uint8_t le08[] = { SELECT_AID, 0x08 };
	struct script *s;
	size_t rlen;

	(void)state;
	/* 61 10, GET RESPONSE answered 6C 08: re-issued with P3 08 */
	s = script_new();
	add(s, B(SELECT_AID), B(0x61, 0x10));
	add(s, B(0x00, 0xC0, 0x00, 0x00, 0x10), B(0x6C, 0x08));
	add_data(s, B(0x00, 0xC0, 0x00, 0x00, 0x08), 0, 8, 0x90, 0x00);
	assert_int_equal(run(s, 0xFF, 0xFF, apdu, sizeof(apdu), rbuf,
			     sizeof(rbuf), &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 8, 0x90, 0x00);
	script_free(s);

	/* Le 08 but the card insists on 10 bytes (6C 10): the card's
	 * answer is returned whole */
	s = script_new();
	add(s, B(SELECT_AID), B(0x61, 0x10));
	add(s, B(0x00, 0xC0, 0x00, 0x00, 0x08), B(0x6C, 0x10));
	add_data(s, B(0x00, 0xC0, 0x00, 0x00, 0x10), 0, 0x10, 0x90, 0x00);
	assert_int_equal(run(s, 0xFF, 0xFF, le08, sizeof(le08), rbuf,
			     sizeof(rbuf), &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 0x10, 0x90, 0x00);
	script_free(s);

	/* 6Cxx to the case 4 command itself is its answer: no retry */
	s = script_new();
	add(s, B(SELECT_AID), B(0x6C, 0x10));
	assert_int_equal(run(s, 0xFF, 0xFF, apdu, sizeof(apdu), rbuf,
			     sizeof(rbuf), &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 0, 0x6C, 0x10);
	script_free(s);

	/* 61 80, 61 40, 61 00 then 9000: the chain is concatenated */
	s = script_new();
	add(s, B(SELECT_AID), B(0x61, 0x80));
	add_data(s, B(0x00, 0xC0, 0x00, 0x00, 0x80), 0, 0x80, 0x61, 0x40);
	add_data(s, B(0x00, 0xC0, 0x00, 0x00, 0x40), 0x80, 0x40, 0x61, 0x00);
	add_data(s, B(0x00, 0xC0, 0x00, 0x00, 0x40), 0xC0, 0x40, 0x90, 0x00);
	assert_int_equal(run(s, 0xFF, 0xFF, apdu, sizeof(apdu), rbuf,
			     sizeof(rbuf), &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 256, 0x90, 0x00);
	script_free(s);
}

static void test_get_response_cla(void **state)
{
	static const uint8_t apdu[] = { 0x84, 0xCA, 0x00, 0x6E, 0x00 };
	struct script *s;
	size_t rlen;

	(void)state;
	/* bClassGetResponse 0xFF: the APDU's CLA */
	s = script_new();
	add(s, B(0x84, 0xCA, 0x00, 0x6E, 0x00), B(0x61, 0x02));
	add(s, B(0x84, 0xC0, 0x00, 0x00, 0x02), B(0xAB, 0xCD, 0x90, 0x00));
	assert_int_equal(run(s, 0xFF, 0xFF, apdu, sizeof(apdu), rbuf,
			     sizeof(rbuf), &rlen), CCID_OK);
	assert_int_equal(rlen, 4);
	assert_memory_equal(rbuf, ((uint8_t[]){ 0xAB, 0xCD, 0x90, 0x00 }), 4);
	script_free(s);

	/* bClassGetResponse 0x00: CLA 00 whatever the APDU's */
	s = script_new();
	add(s, B(0x84, 0xCA, 0x00, 0x6E, 0x00), B(0x61, 0x02));
	add(s, B(0x00, 0xC0, 0x00, 0x00, 0x02), B(0xAB, 0xCD, 0x90, 0x00));
	assert_int_equal(run(s, 0x00, 0xFF, apdu, sizeof(apdu), rbuf,
			     sizeof(rbuf), &rlen), CCID_OK);
	assert_int_equal(rlen, 4);
	script_free(s);
}

/* Extended encodings whose lengths fit short TPDUs go without ENVELOPE. */
static void test_extended_fits_short(void **state)
{
	static const uint8_t le16[] = { 0x00, 0xB0, 0x00, 0x00, 0x00, 0x00,
					0x10 };
	static const uint8_t le256[] = { 0x00, 0xB0, 0x00, 0x00, 0x00, 0x01,
					 0x00 };
	static const uint8_t c4[] = { 0x00, 0x88, 0x00, 0x00, 0x00, 0x00,
				      0x02, 0x11, 0x22, 0x01, 0x00 };
	struct script *s;
	size_t rlen;

	(void)state;
	one(le16, sizeof(le16), B(0x00, 0xB0, 0x00, 0x00, 0x10), 16, 0x90,
	    0x00);
	one(le256, sizeof(le256), B(0x00, 0xB0, 0x00, 0x00, 0x00), 256, 0x90,
	    0x00);
	s = script_new();
	add(s, B(0x00, 0x88, 0x00, 0x00, 0x02, 0x11, 0x22), B(0x61, 0x00));
	add_data(s, B(0x00, 0xC0, 0x00, 0x00, 0x00), 0, 256, 0x90, 0x00);
	assert_int_equal(run(s, 0xFF, 0xFF, c4, sizeof(c4), rbuf,
			     sizeof(rbuf), &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 256, 0x90, 0x00);
	script_free(s);
}

/* Build an extended APDU: header, 00 Lc1 Lc2, nc bytes of pat(1000..),
 * then Le1 Le2 when case 4 (ne 65536 → 0000). */
static size_t ext_apdu(uint8_t *b, uint8_t cla, size_t nc, size_t ne,
		       bool has_le)
{
	size_t n = 0;

	b[n++] = cla;
	b[n++] = 0xDA;
	b[n++] = 0x01;
	b[n++] = 0x02;
	b[n++] = 0x00;
	b[n++] = (uint8_t)(nc >> 8);
	b[n++] = (uint8_t)nc;
	pat_fill(b + n, 1000, nc);
	n += nc;
	if (has_le) {
		b[n++] = (uint8_t)(ne >> 8);
		b[n++] = (uint8_t)ne;
	}
	return n;
}

/* Expect the APDU's bytes in ENVELOPE pieces of 255, every one but the
 * last answered 9000, the last one answered last_sw1 last_sw2. */
static void add_envelope(struct script *s, uint8_t cla, const uint8_t *apdu,
			 size_t alen, uint8_t last_sw1, uint8_t last_sw2)
{
	uint8_t t[260];

	for (size_t off = 0; off < alen; off += 255) {
		size_t piece = alen - off > 255 ? 255 : alen - off;
		bool last = off + piece == alen;

		t[0] = cla;
		t[1] = 0xC2;
		t[2] = 0x00;
		t[3] = 0x00;
		t[4] = (uint8_t)piece;
		memcpy(t + 5, apdu + off, piece);
		last = last && piece < 255; /* else an empty ENVELOPE ends it */
		add(s, t, 5 + piece, last ? (uint8_t[]){ last_sw1, last_sw2 } :
			(uint8_t[]){ 0x90, 0x00 }, 2);
	}
	if (alen % 255 == 0) {
		static const uint8_t end[5] = { 0, 0xC2, 0x00, 0x00, 0x00 };

		memcpy(t, end, 5);
		t[0] = cla;
		add(s, t, 5, (uint8_t[]){ last_sw1, last_sw2 }, 2);
	}
}

/* An APDU of exactly 2 × 255 bytes: two full pieces, then an empty
 * ENVELOPE so the card knows the APDU is complete. */
static void test_envelope_full_pieces(void **state)
{
	static uint8_t apdu[510];
	size_t alen = ext_apdu(apdu, 0x80, 503, 0, false), rlen;
	struct script *s = script_new();

	(void)state;
	assert_int_equal(alen, 510);
	add_envelope(s, 0x80, apdu, alen, 0x90, 0x00);
	assert_int_equal(s->n, 3);
	assert_int_equal(s->st[2].tlen, 5);
	assert_int_equal(s->st[2].tpdu[1], 0xC2);
	assert_int_equal(s->st[2].tpdu[4], 0x00);
	assert_int_equal(run(s, 0xFF, 0xFF, apdu, alen, rbuf, sizeof(rbuf),
			     &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 0, 0x90, 0x00);
	script_free(s);
}

static void test_envelope_case3(void **state)
{
	static uint8_t apdu[8 + 300];
	size_t alen = ext_apdu(apdu, 0x80, 300, 0, false), rlen;
	struct script *s;

	(void)state;
	assert_int_equal(alen, 307);
	/* bClassEnvelope 0xFF: the APDU's CLA, pieces 255 + 52 */
	s = script_new();
	add_envelope(s, 0x80, apdu, alen, 0x90, 0x00);
	assert_int_equal(s->n, 2);
	assert_int_equal(s->st[0].tlen, 260);
	assert_int_equal(s->st[0].tpdu[4], 0xFF);
	assert_int_equal(s->st[1].tlen, 5 + 52);
	assert_int_equal(s->st[1].tpdu[4], 0x34);
	assert_int_equal(run(s, 0xFF, 0xFF, apdu, alen, rbuf, sizeof(rbuf),
			     &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 0, 0x90, 0x00);
	script_free(s);

	/* bClassEnvelope 0x00 */
	s = script_new();
	add_envelope(s, 0x00, apdu, alen, 0x6A, 0x80);
	assert_int_equal(run(s, 0xFF, 0x00, apdu, alen, rbuf, sizeof(rbuf),
			     &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 0, 0x6A, 0x80);
	script_free(s);
}

static void test_envelope_case4(void **state)
{
	static uint8_t apdu[9 + 600];
	size_t alen = ext_apdu(apdu, 0x00, 600, 1000, true), rlen;
	struct script *s = script_new();

	(void)state;
	assert_int_equal(alen, 609);
	add_envelope(s, 0x00, apdu, alen, 0x61, 0x00);
	assert_int_equal(s->n, 3); /* 255 + 255 + 99 */
	/* 256 + 256 + 256, then min(256, 1000 - 768) = 232 = E8 */
	add_data(s, B(0x00, 0xC0, 0x00, 0x00, 0x00), 0, 256, 0x61, 0x00);
	add_data(s, B(0x00, 0xC0, 0x00, 0x00, 0x00), 256, 256, 0x61, 0x00);
	add_data(s, B(0x00, 0xC0, 0x00, 0x00, 0x00), 512, 256, 0x61, 0x00);
	add_data(s, B(0x00, 0xC0, 0x00, 0x00, 0xE8), 768, 232, 0x90, 0x00);
	assert_int_equal(run(s, 0x00, 0xFF, apdu, alen, rbuf, sizeof(rbuf),
			     &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 1000, 0x90, 0x00);
	script_free(s);
}

/* Case 2E, Ne = 4096: one 7-byte ENVELOPE, then a chain of 16 GET
 * RESPONSE 256; and Ne = 65536 (Le 0000), 256 of them. */
static void chain(size_t ne, uint8_t le1, uint8_t le2)
{
	const uint8_t apdu[] = { 0x00, 0xB0, 0x00, 0x00, 0x00, le1, le2 };
	struct script *s = script_new();
	size_t rlen;

	add_envelope(s, 0x00, apdu, sizeof(apdu), 0x61, 0x00);
	for (size_t off = 0; off < ne; off += 256)
		add_data(s, B(0x00, 0xC0, 0x00, 0x00, 0x00), off, 256,
			 off + 256 < ne ? 0x61 : 0x90, 0x00);
	assert_int_equal(run(s, 0xFF, 0xFF, apdu, sizeof(apdu), rbuf,
			     sizeof(rbuf), &rlen), CCID_OK);
	expect_resp(rbuf, rlen, ne, 0x90, 0x00);
	script_free(s);
}

static void test_chain_4096(void **state)
{
	(void)state;
	chain(4096, 0x10, 0x00);
}

static void test_chain_65536(void **state)
{
	(void)state;
	chain(65536, 0x00, 0x00);
}

static void test_envelope_refused(void **state)
{
	static uint8_t apdu[9 + 600];
	size_t alen = ext_apdu(apdu, 0x00, 600, 0x100, true), rlen = 77;
	static const uint8_t le2e[] = { 0x00, 0xB0, 0x00, 0x00, 0x00, 0x02,
					0x00 };
	struct script *s;
	uint8_t t[260];

	(void)state;
	/* 6D00 (INS not supported) on the first piece */
	t[0] = 0x00;
	t[1] = 0xC2;
	t[2] = 0x00;
	t[3] = 0x00;
	t[4] = 0xFF;
	memcpy(t + 5, apdu, 255);
	s = script_new();
	add(s, t, 260, B(0x6D, 0x00));
	assert_int_equal(run(s, 0xFF, 0xFF, apdu, alen, rbuf, sizeof(rbuf),
			     &rlen), CCID_E_NOT_SUPPORTED);
	assert_int_equal(rlen, 0);
	script_free(s);

	/* 6E00 (CLA not supported), case 2E in one piece */
	s = script_new();
	add(s, B(0x00, 0xC2, 0x00, 0x00, 0x07, 0x00, 0xB0, 0x00, 0x00, 0x00,
		 0x02, 0x00), B(0x6E, 0x00));
	assert_int_equal(run(s, 0xFF, 0xFF, le2e, sizeof(le2e), rbuf,
			     sizeof(rbuf), &rlen), CCID_E_NOT_SUPPORTED);
	script_free(s);

	/* an error on a middle piece ends the transfer: it is the answer */
	s = script_new();
	add(s, t, 260, B(0x90, 0x00));
	memcpy(t + 5, apdu + 255, 255);
	add(s, t, 260, B(0x6A, 0x84));
	assert_int_equal(run(s, 0xFF, 0xFF, apdu, alen, rbuf, sizeof(rbuf),
			     &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 0, 0x6A, 0x84);
	script_free(s);

	/* 6D00 after accepted pieces is the enveloped command's answer */
	s = script_new();
	add_envelope(s, 0x00, apdu, alen, 0x6D, 0x00);
	assert_int_equal(run(s, 0xFF, 0xFF, apdu, alen, rbuf, sizeof(rbuf),
			     &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 0, 0x6D, 0x00);
	script_free(s);
}

static void test_endless_61(void **state)
{
	static const uint8_t apdu[] = { SELECT_AID, 0x00 };
	struct script *s;
	size_t rlen;

	(void)state;
	/* 61xx with no data, again and again: three idle rounds, then
	 * CCID_E_PROTO */
	s = script_new();
	add(s, B(SELECT_AID), B(0x61, 0x10));
	for (int i = 0; i < 3; i++)
		add(s, B(0x00, 0xC0, 0x00, 0x00, 0x10), B(0x61, 0x10));
	assert_int_equal(run(s, 0xFF, 0xFF, apdu, sizeof(apdu), rbuf,
			     sizeof(rbuf), &rlen), CCID_E_PROTO);
	script_free(s);

	/* 61 10 with data forever: stops at Ne = 256 (16 rounds) and the
	 * last 61 10 is the SW */
	s = script_new();
	add(s, B(SELECT_AID), B(0x61, 0x10));
	for (size_t off = 0; off < 256; off += 16)
		add_data(s, B(0x00, 0xC0, 0x00, 0x00, 0x10), off, 16, 0x61,
			 0x10);
	assert_int_equal(run(s, 0xFF, 0xFF, apdu, sizeof(apdu), rbuf,
			     sizeof(rbuf), &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 256, 0x61, 0x10);
	script_free(s);

	/* two idle rounds are tolerated when data follow */
	s = script_new();
	add(s, B(SELECT_AID), B(0x61, 0x04));
	add(s, B(0x00, 0xC0, 0x00, 0x00, 0x04), B(0x61, 0x04));
	add(s, B(0x00, 0xC0, 0x00, 0x00, 0x04), B(0x61, 0x04));
	add_data(s, B(0x00, 0xC0, 0x00, 0x00, 0x04), 0, 4, 0x90, 0x00);
	assert_int_equal(run(s, 0xFF, 0xFF, apdu, sizeof(apdu), rbuf,
			     sizeof(rbuf), &rlen), CCID_OK);
	expect_resp(rbuf, rlen, 4, 0x90, 0x00);
	script_free(s);
}

static void test_overflow(void **state)
{
	static const uint8_t le00[] = { 0x00, 0xB0, 0x00, 0x00, 0x00 };
	static const uint8_t apdu[] = { 0x00, 0xB0, 0x00, 0x00, 0x00, 0x10,
					0x00 };
	static const size_t caps[] = { 0, 1, 100, 257, 258 };
	uint8_t small[300], want[256];
	struct script *s;
	size_t rlen;

	(void)state;
	pat_fill(want, 0, sizeof(want));
	/* 256 + SW into 257: CCID_E_OVERFLOW, the length needed, the
	 * data that fitted */
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		size_t cap = caps[i];

		s = script_new();
		add_data(s, B(0x00, 0xB0, 0x00, 0x00, 0x00), 0, 256, 0x90,
			 0x00);
		memset(small, 0xEE, sizeof(small));
		rlen = 0;
		assert_int_equal(run(s, 0xFF, 0xFF, le00, sizeof(le00),
				     cap ? small : NULL, cap, &rlen),
				 cap == 258 ? CCID_OK : CCID_E_OVERFLOW);
		assert_int_equal(rlen, 258);
		if (cap > 0)
			assert_memory_equal(small, want,
					    cap < 256 ? cap : 256);
		assert_int_equal(small[cap], 0xEE); /* nothing past cap */
		script_free(s);
	}

	/* a 4096-byte chain into 1000 bytes: all of it is still read */
	s = script_new();
	add_envelope(s, 0x00, apdu, sizeof(apdu), 0x61, 0x00);
	for (size_t off = 0; off < 4096; off += 256)
		add_data(s, B(0x00, 0xC0, 0x00, 0x00, 0x00), off, 256,
			 off + 256 < 4096 ? 0x61 : 0x90, 0x00);
	memset(rbuf, 0xEE, 1001);
	assert_int_equal(run(s, 0xFF, 0xFF, apdu, sizeof(apdu), rbuf, 1000,
			     &rlen), CCID_E_OVERFLOW);
	assert_int_equal(rlen, 4098);
	for (size_t i = 0; i < 1000; i++)
		assert_int_equal(rbuf[i], pat(i));
	assert_int_equal(rbuf[1000], 0xEE);
	script_free(s);
}

static void test_malformed(void **state)
{
	static const uint8_t three[] = { 0x00, 0xA4, 0x04 };
	static const uint8_t four[] = { 0x00, 0x70, 0x00, 0x00 };
	static const uint8_t lc_short[] = { 0x00, 0xA4, 0x04, 0x00, 0x02,
					    0x3F };
	static const uint8_t lc0[] = { 0x00, 0xA4, 0x04, 0x00, 0x00, 0x3F };
	static const uint8_t stray[] = { 0x00, 0xA4, 0x04, 0x00, 0x01, 0x3F,
					 0x00, 0x00 };
	struct script *s = script_new();
	size_t rlen = 77;

	(void)state;
	assert_int_equal(run(s, 0xFF, 0xFF, three, sizeof(three), rbuf,
			     sizeof(rbuf), &rlen), CCID_E_INVAL);
	assert_int_equal(rlen, 0);
	assert_int_equal(run(s, 0xFF, 0xFF, lc_short, sizeof(lc_short), rbuf,
			     sizeof(rbuf), &rlen), CCID_E_INVAL);
	assert_int_equal(run(s, 0xFF, 0xFF, lc0, sizeof(lc0), rbuf,
			     sizeof(rbuf), &rlen), CCID_E_INVAL);
	assert_int_equal(run(s, 0xFF, 0xFF, stray, sizeof(stray), rbuf,
			     sizeof(rbuf), &rlen), CCID_E_INVAL);
	assert_int_equal(ccid_t0_transceive(NULL, s, 0xFF, 0xFF, four, 4,
					    rbuf, 10, &rlen), CCID_E_INVAL);
	assert_int_equal(ccid_t0_transceive(fake_xfer, s, 0xFF, 0xFF, NULL, 4,
					    rbuf, 10, &rlen), CCID_E_INVAL);
	assert_int_equal(ccid_t0_transceive(fake_xfer, s, 0xFF, 0xFF, four, 4,
					    NULL, 10, &rlen), CCID_E_INVAL);
	assert_int_equal(ccid_t0_transceive(fake_xfer, s, 0xFF, 0xFF, four, 4,
					    rbuf, 10, NULL), CCID_E_INVAL);
	assert_int_equal(s->pos, 0); /* nothing sent */
	script_free(s);
}

static void test_xfer_errors(void **state)
{
	static const uint8_t apdu[] = { SELECT_AID, 0x00 };
	static const uint8_t le04[] = { 0x00, 0xB0, 0x00, 0x00, 0x04 };
	struct script *s;
	size_t rlen;

	(void)state;
	/* the transport's error, as is */
	s = script_new();
	add_err(s, B(SELECT_AID), CCID_E_TIMEOUT);
	assert_int_equal(run(s, 0xFF, 0xFF, apdu, sizeof(apdu), rbuf,
			     sizeof(rbuf), &rlen), CCID_E_TIMEOUT);
	script_free(s);

	/* ... also in the middle of a GET RESPONSE chain */
	s = script_new();
	add(s, B(SELECT_AID), B(0x61, 0x10));
	add_err(s, B(0x00, 0xC0, 0x00, 0x00, 0x10), CCID_E_CARD_MUTE);
	assert_int_equal(run(s, 0xFF, 0xFF, apdu, sizeof(apdu), rbuf,
			     sizeof(rbuf), &rlen), CCID_E_CARD_MUTE);
	script_free(s);

	/* an answer without SW2 */
	s = script_new();
	add(s, B(SELECT_AID), B(0x90));
	assert_int_equal(run(s, 0xFF, 0xFF, apdu, sizeof(apdu), rbuf,
			     sizeof(rbuf), &rlen), CCID_E_PROTO);
	script_free(s);

	/* data answering a TPDU that carried data (T=0 is one-way) */
	s = script_new();
	add(s, B(SELECT_AID), B(0x01, 0x90, 0x00));
	assert_int_equal(run(s, 0xFF, 0xFF, apdu, sizeof(apdu), rbuf,
			     sizeof(rbuf), &rlen), CCID_E_PROTO);
	script_free(s);

	/* more data than P3 asked for */
	s = script_new();
	add_data(s, B(0x00, 0xB0, 0x00, 0x00, 0x04), 0, 5, 0x90, 0x00);
	assert_int_equal(run(s, 0xFF, 0xFF, le04, sizeof(le04), rbuf,
			     sizeof(rbuf), &rlen), CCID_E_PROTO);
	script_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case1),
		cmocka_unit_test(test_case2),
		cmocka_unit_test(test_case2_6c),
		cmocka_unit_test(test_case2_61),
		cmocka_unit_test(test_case3),
		cmocka_unit_test(test_case3_255),
		cmocka_unit_test(test_case4),
		cmocka_unit_test(test_case4_mix),
		cmocka_unit_test(test_get_response_cla),
		cmocka_unit_test(test_extended_fits_short),
		cmocka_unit_test(test_envelope_case3),
		cmocka_unit_test(test_envelope_case4),
		cmocka_unit_test(test_envelope_full_pieces),
		cmocka_unit_test(test_chain_4096),
		cmocka_unit_test(test_chain_65536),
		cmocka_unit_test(test_envelope_refused),
		cmocka_unit_test(test_endless_61),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_xfer_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
