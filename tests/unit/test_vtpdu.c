/* ccidkit — tests for the virtual reader's TPDU-level card side
 * (src/vr_tpdu.c): T=0 TPDU dialogues, T=1 blocks, PPS, the EDC codecs and
 * the fault specs. Every expected byte is written out by hand from
 * ISO/IEC 7816-3 (LRC = XOR of the block, CRC-16 of ISO/IEC 13239 sent MSB
 * first), never computed with the code under test. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "src/vr_tpdu.h"

static uint8_t out[1024];
static size_t olen;

static struct vr_tpdu *mk(const char *card, unsigned ifsc, bool crc,
			  bool envelope)
{
	struct vr_tpdu_config cfg = { .ifsc = ifsc, .crc = crc,
				      .envelope = envelope };
	struct vr_tpdu *t = vr_tpdu_new();

	assert_non_null(t);
	vr_tpdu_activate(t, vr_card_find(card), &cfg);
	return t;
}

static void x0(struct vr_tpdu *t, struct vr_faults *f, const uint8_t *in,
	       size_t len, const uint8_t *want, size_t wlen)
{
	assert_int_equal(vr_tpdu_t0(t, f, in, len, out, sizeof(out), &olen), 0);
	assert_int_equal(olen, wlen);
	assert_memory_equal(out, want, wlen);
}

static void x1(struct vr_tpdu *t, struct vr_faults *f, const uint8_t *in,
	       size_t len, const uint8_t *want, size_t wlen)
{
	assert_int_equal(vr_tpdu_t1(t, f, in, len, out, sizeof(out), &olen), 0);
	assert_int_equal(olen, wlen);
	assert_memory_equal(out, want, wlen);
}

#define B(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })
#define T0(t, in, want) x0(t, NULL, in, want)
#define T1(t, in, want) x1(t, NULL, in, want)

/* ---- T=0 ---- */

static void test_t0_case1_case3(void **state)
{
	struct vr_tpdu *t = mk("test-t0", 0, false, true);
	uint8_t sel[13] = { 0x00, 0xA4, 0x04, 0x00, 0x08, 0xF0, 0x63, 0x63,
			    0x69, 0x64, 0x6B, 0x69, 0x74 };

	(void)state;
	T0(t, B(0x80, 0x16, 0x00, 0x00, 0x00), B(0x90, 0x00));	/* NOP */
	/* case 1 with P3 ≠ 0: the card would wait for data */
	T0(t, B(0x80, 0x16, 0x00, 0x00, 0x05), B(0x67, 0x00));
	T0(t, B(0x80, 0x14, 0x00, 0x00, 0x02, 0xAA, 0xBB), B(0x90, 0x00));
	x0(t, NULL, sel, sizeof(sel), B(0x90, 0x00));		/* SELECT */
	sel[12] = 0x75;
	x0(t, NULL, sel, sizeof(sel), B(0x6A, 0x82));
	/* applet errors pass straight through */
	T0(t, B(0x90, 0x16, 0x00, 0x00, 0x00), B(0x6E, 0x00));
	T0(t, B(0x80, 0x18, 0x00, 0x00, 0x00), B(0x6D, 0x00));
	/* ISO 7816-3 §10.3.2: INS 6X / 9X are not instructions */
	T0(t, B(0x80, 0x60, 0x00, 0x00, 0x00), B(0x6D, 0x00));
	T0(t, B(0x80, 0x92, 0x00, 0x00, 0x00), B(0x6D, 0x00));
	/* the TPDU must be as long as P3 says */
	assert_int_equal(vr_tpdu_t0(t, NULL, B(0x80, 0x14, 0, 0, 0x03, 1, 2),
				    out, sizeof(out), &olen), VR_TPDU_BAD_LENGTH);
	assert_int_equal(vr_tpdu_t0(t, NULL, B(0x80, 0x14, 0, 0), out,
				    sizeof(out), &olen), VR_TPDU_BAD_LENGTH);
	assert_int_equal(olen, 0);
	vr_tpdu_free(&t);
	assert_null(t);
	vr_tpdu_free(&t);
	vr_tpdu_free(NULL);
}

static void test_t0_case2_6c(void **state)
{
	struct vr_tpdu *t = mk("test-t0", 0, false, true);

	(void)state;
	T0(t, B(0x80, 0x12, 0x00, 0x03, 0x03), B(0x00, 0x01, 0x02, 0x90, 0x00));
	/* wrong Le: 6C with the available length, then the re-issue */
	T0(t, B(0x80, 0x12, 0x00, 0x03, 0x05), B(0x6C, 0x03));
	T0(t, B(0x80, 0x12, 0x00, 0x03, 0x01), B(0x6C, 0x03));
	T0(t, B(0x80, 0x12, 0x00, 0x03, 0x03), B(0x00, 0x01, 0x02, 0x90, 0x00));
	/* 256 available (or more): P3 00, 6C 00 otherwise */
	T0(t, B(0x80, 0x12, 0x01, 0x2C, 0x10), B(0x6C, 0x00));
	assert_int_equal(vr_tpdu_t0(t, NULL, B(0x80, 0x12, 0x01, 0x2C, 0x00),
				    out, sizeof(out), &olen), 0);
	assert_int_equal(olen, 258);
	for (int i = 0; i < 256; i++)
		assert_int_equal(out[i], i);
	assert_memory_equal(out + 256, ((const uint8_t[]){ 0x90, 0x00 }), 2);
	/* nothing to send: the SW at once */
	T0(t, B(0x80, 0x12, 0x00, 0x00, 0x04), B(0x90, 0x00));
	/* GET CHALLENGE takes any Le */
	assert_int_equal(vr_tpdu_t0(t, NULL, B(0x00, 0x84, 0x00, 0x00, 0x08),
				    out, sizeof(out), &olen), 0);
	assert_int_equal(olen, 10);
	assert_memory_equal(out + 8, ((const uint8_t[]){ 0x90, 0x00 }), 2);
	T0(t, B(0x00, 0x84, 0x01, 0x00, 0x08), B(0x6B, 0x00));
	vr_tpdu_free(&t);
}

static void test_t0_case4_get_response(void **state)
{
	struct vr_tpdu *t = mk("test-t0", 0, false, true);

	(void)state;
	T0(t, B(0x80, 0x10, 0x00, 0x00, 0x03, 0x0A, 0x0B, 0x0C), B(0x61, 0x03));
	T0(t, B(0x80, 0xC0, 0x00, 0x00, 0x03), B(0x0A, 0x0B, 0x0C, 0x90, 0x00));
	/* nothing left */
	T0(t, B(0x80, 0xC0, 0x00, 0x00, 0x03), B(0x69, 0x85));
	/* wrong lengths: 6C when more is asked, 61 for what remains */
	T0(t, B(0x80, 0x10, 0x00, 0x00, 0x03, 0x0A, 0x0B, 0x0C), B(0x61, 0x03));
	T0(t, B(0x00, 0xC0, 0x00, 0x00, 0x05), B(0x6C, 0x03));
	T0(t, B(0x00, 0xC0, 0x01, 0x00, 0x03), B(0x6B, 0x00));
	T0(t, B(0x00, 0xC0, 0x00, 0x00, 0x02), B(0x0A, 0x0B, 0x61, 0x01));
	T0(t, B(0x00, 0xC0, 0x00, 0x00, 0x01), B(0x0C, 0x90, 0x00));
	/* another command drops what was not fetched */
	T0(t, B(0x80, 0x10, 0x00, 0x00, 0x01, 0x55), B(0x61, 0x01));
	T0(t, B(0x80, 0x16, 0x00, 0x00, 0x00), B(0x90, 0x00));
	T0(t, B(0x80, 0xC0, 0x00, 0x00, 0x01), B(0x69, 0x85));
	/* a data-in command without response data: the SW directly */
	T0(t, B(0x80, 0x14, 0x00, 0x00, 0x01, 0x55), B(0x90, 0x00));
	vr_tpdu_free(&t);
}

/* Extended ECHO of 300 bytes carried by ENVELOPE (255 + 54 bytes), the
 * 302-byte answer fetched as 256 + 44. */
static void test_t0_envelope(void **state)
{
	struct vr_tpdu *t = mk("test-t0", 0, false, true);
	uint8_t apdu[309], tpdu[5 + 255];

	(void)state;
	memcpy(apdu, (const uint8_t[]){ 0x80, 0x10, 0, 0, 0, 0x01, 0x2C }, 7);
	for (int i = 0; i < 300; i++)
		apdu[7 + i] = (uint8_t)(i * 7);
	apdu[307] = apdu[308] = 0;
	memcpy(tpdu, (const uint8_t[]){ 0x80, 0xC2, 0, 0, 0xFF }, 5);
	memcpy(tpdu + 5, apdu, 255);
	x0(t, NULL, tpdu, 260, B(0x90, 0x00));
	tpdu[4] = 54;
	memcpy(tpdu + 5, apdu + 255, 54);
	x0(t, NULL, tpdu, 59, B(0x61, 0x00));
	assert_int_equal(vr_tpdu_t0(t, NULL, B(0x80, 0xC0, 0, 0, 0x00), out,
				    sizeof(out), &olen), 0);
	assert_int_equal(olen, 258);
	assert_memory_equal(out, apdu + 7, 256);
	assert_memory_equal(out + 256, ((const uint8_t[]){ 0x61, 0x2C }), 2);
	assert_int_equal(vr_tpdu_t0(t, NULL, B(0x80, 0xC0, 0, 0, 0x2C), out,
				    sizeof(out), &olen), 0);
	assert_int_equal(olen, 46);
	assert_memory_equal(out, apdu + 7 + 256, 44);
	assert_memory_equal(out + 44, ((const uint8_t[]){ 0x90, 0x00 }), 2);
	/* exactly 255 bytes: an empty ENVELOPE ends it; NOP → 90 00 */
	memset(tpdu, 0, sizeof(tpdu));
	memcpy(tpdu, (const uint8_t[]){ 0x80, 0xC2, 0, 0, 0xFF,
	       0x80, 0x10, 0, 0, 0, 0, 0xF6 }, 12);
	x0(t, NULL, tpdu, 260, B(0x90, 0x00));
	T0(t, B(0x80, 0xC2, 0x00, 0x00, 0x00), B(0x61, 0xF6));
	/* a short piece alone is a whole APDU */
	T0(t, B(0x00, 0xC2, 0x00, 0x00, 0x04, 0x80, 0x16, 0x00, 0x00),
	   B(0x90, 0x00));
	vr_tpdu_free(&t);
	/* --envelope off: the card does not know INS C2 */
	t = mk("test-t0", 0, false, false);
	T0(t, B(0x80, 0xC2, 0x00, 0x00, 0x04, 0x80, 0x16, 0x00, 0x00),
	   B(0x6D, 0x00));
	vr_tpdu_free(&t);
}

static void test_t0_bad_procedure(void **state)
{
	struct vr_tpdu *t = mk("test-t0", 0, false, true);
	struct vr_faults f = { 0 };

	(void)state;
	assert_int_equal(vr_fault_parse(&f, "bad-procedure"), 0);
	assert_int_equal(vr_tpdu_t0(t, &f, B(0x80, 0x16, 0, 0, 0), out,
				    sizeof(out), &olen), VR_TPDU_PROCEDURE);
	x0(t, &f, B(0x80, 0x16, 0x00, 0x00, 0x00), B(0x90, 0x00));
	vr_tpdu_free(&t);
}

/* ---- T=1 ---- */

static void test_edc(void **state)
{
	(void)state;
	/* the CRC-16 check value of ISO/IEC 13239 (X.25): "123456789" */
	assert_int_equal(vr_t1_crc((const uint8_t *)"123456789", 9), 0x906E);
	assert_int_equal(vr_t1_lrc(B(0x00, 0xC1, 0x01, 0xFE)), 0x3E);
	assert_int_equal(vr_t1_lrc(NULL, 0), 0);
}

/* ISO 7816-3 Annex A style: I-blocks alternate N(S) on both sides, NAD
 * comes back with SAD and DAD swapped. */
static void test_t1_basic(void **state)
{
	struct vr_tpdu *t = mk("test", 254, false, true);

	(void)state;
	T1(t, B(0x00, 0x00, 0x04, 0x80, 0x16, 0x00, 0x00, 0x92),
	   B(0x00, 0x00, 0x02, 0x90, 0x00, 0x92));
	T1(t, B(0x00, 0x40, 0x04, 0x80, 0x16, 0x00, 0x00, 0xD2),
	   B(0x00, 0x40, 0x02, 0x90, 0x00, 0xD2));
	T1(t, B(0x00, 0x00, 0x04, 0x80, 0x12, 0x00, 0x03, 0x95),
	   B(0x00, 0x00, 0x05, 0x00, 0x01, 0x02, 0x90, 0x00, 0x96));
	/* the host asks for the card's last I-block again: R(N(R) = 0) */
	T1(t, B(0x00, 0x82, 0x00, 0x82),
	   B(0x00, 0x00, 0x05, 0x00, 0x01, 0x02, 0x90, 0x00, 0x96));
	T1(t, B(0x00, 0x80, 0x00, 0x80),
	   B(0x00, 0x00, 0x05, 0x00, 0x01, 0x02, 0x90, 0x00, 0x96));
	vr_tpdu_free(&t);
	/* NAD 21 (DAD 2, SAD 1) is answered with NAD 12 */
	t = mk("test", 254, false, true);
	T1(t, B(0x21, 0x00, 0x04, 0x80, 0x16, 0x00, 0x00, 0xB3),
	   B(0x12, 0x00, 0x02, 0x90, 0x00, 0x80));
	vr_tpdu_free(&t);
}

/* --ifsc 16: a 25-byte command in 16 + 9, the 22-byte answer in one block
 * (IFSD 32), then after S(IFS 10) in 10 + 10 + 2. */
static void test_t1_chaining(void **state)
{
	struct vr_tpdu *t = mk("test", 16, false, true);

	(void)state;
	for (int round = 0; round < 2; round++) {
		T1(t, B(0x00, 0x20, 0x10, 0x80, 0x10, 0x00, 0x00, 0x14, 0x01,
			0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A,
			0x0B, 0xB4),
		   B(0x00, 0x90, 0x00, 0x90));
		if (round == 0) {
			T1(t, B(0x00, 0x40, 0x09, 0x0C, 0x0D, 0x0E, 0x0F, 0x10,
				0x11, 0x12, 0x13, 0x14, 0x5D),
			   B(0x00, 0x00, 0x16, 0x01, 0x02, 0x03, 0x04, 0x05,
			     0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D,
			     0x0E, 0x0F, 0x10, 0x11, 0x12, 0x13, 0x14, 0x90,
			     0x00, 0x92));
			T1(t, B(0x00, 0xC1, 0x01, 0x0A, 0xCA),
			   B(0x00, 0xE1, 0x01, 0x0A, 0xEA));
			continue;
		}
		T1(t, B(0x00, 0x40, 0x09, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11,
			0x12, 0x13, 0x14, 0x5D),
		   B(0x00, 0x60, 0x0A, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
		     0x07, 0x08, 0x09, 0x0A, 0x61));
		T1(t, B(0x00, 0x80, 0x00, 0x80),
		   B(0x00, 0x20, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10,
		     0x11, 0x12, 0x13, 0x14, 0x35));
		/* R(N(R) = 0) again: that block is lost, send it again */
		T1(t, B(0x00, 0x81, 0x00, 0x81),
		   B(0x00, 0x20, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10,
		     0x11, 0x12, 0x13, 0x14, 0x35));
		T1(t, B(0x00, 0x90, 0x00, 0x90),
		   B(0x00, 0x40, 0x02, 0x90, 0x00, 0xD2));
	}
	/* a block longer than IFSC 16 is refused: R(N(R) = 0, other error) */
	{
		uint8_t b[3 + 17 + 1] = { 0x00, 0x00, 0x11 };
		uint8_t x = 0;

		for (size_t i = 0; i < sizeof(b) - 1; i++)
			x ^= b[i];
		b[sizeof(b) - 1] = x;
		x1(t, NULL, b, sizeof(b), B(0x00, 0x82, 0x00, 0x82));
	}
	vr_tpdu_free(&t);
}

static void test_t1_errors(void **state)
{
	struct vr_tpdu *t = mk("test", 254, false, true);

	(void)state;
	/* bad LRC: R(N(R) = 0) with the EDC error bit */
	T1(t, B(0x00, 0x00, 0x04, 0x80, 0x16, 0x00, 0x00, 0x93),
	   B(0x00, 0x81, 0x00, 0x81));
	/* LEN not matching, LEN FF, too short, VPP bits in the NAD */
	T1(t, B(0x00, 0x00, 0x05, 0x80, 0x16, 0x00, 0x00, 0x93),
	   B(0x00, 0x82, 0x00, 0x82));
	T1(t, B(0x00, 0x00, 0xFF, 0xFF), B(0x00, 0x82, 0x00, 0x82));
	T1(t, B(0x00, 0x00, 0x00), B(0x00, 0x82, 0x00, 0x82));
	T1(t, B(0x08, 0x00, 0x00, 0x08), B(0x00, 0x82, 0x00, 0x82));
	/* wrong N(S): the card expects 0 */
	T1(t, B(0x00, 0x40, 0x04, 0x80, 0x16, 0x00, 0x00, 0xD2),
	   B(0x00, 0x82, 0x00, 0x82));
	/* S(WTX request) from the host and an unknown S-block */
	T1(t, B(0x00, 0xC3, 0x01, 0x02, 0xC0), B(0x00, 0x82, 0x00, 0x82));
	T1(t, B(0x00, 0xC5, 0x00, 0xC5), B(0x00, 0x82, 0x00, 0x82));
	/* S(IFS) with 0 is invalid */
	T1(t, B(0x00, 0xC1, 0x01, 0x00, 0xC0), B(0x00, 0x82, 0x00, 0x82));
	/* the card still works */
	T1(t, B(0x00, 0x00, 0x04, 0x80, 0x16, 0x00, 0x00, 0x92),
	   B(0x00, 0x00, 0x02, 0x90, 0x00, 0x92));
	/* after it: expected N(S) 1, an error answers R(N(R) = 1) */
	T1(t, B(0x00, 0x00, 0x04, 0x80, 0x16, 0x00, 0x00, 0x00),
	   B(0x00, 0x91, 0x00, 0x91));
	vr_tpdu_free(&t);
}

static void test_t1_resynch_abort(void **state)
{
	struct vr_tpdu *t = mk("test", 16, false, true);

	(void)state;
	T1(t, B(0x00, 0x00, 0x04, 0x80, 0x16, 0x00, 0x00, 0x92),
	   B(0x00, 0x00, 0x02, 0x90, 0x00, 0x92));
	T1(t, B(0x00, 0xC0, 0x00, 0xC0), B(0x00, 0xE0, 0x00, 0xE0));
	/* both sides start again at N(S) 0 */
	T1(t, B(0x00, 0x00, 0x04, 0x80, 0x16, 0x00, 0x00, 0x92),
	   B(0x00, 0x00, 0x02, 0x90, 0x00, 0x92));
	/* a chain aborted half way */
	T1(t, B(0x00, 0x60, 0x10, 0x80, 0x10, 0x00, 0x00, 0x14, 0x01, 0x02,
		0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0xF4),
	   B(0x00, 0x80, 0x00, 0x80));
	T1(t, B(0x00, 0xC2, 0x00, 0xC2), B(0x00, 0xE2, 0x00, 0xE2));
	/* the next command starts afresh (host N(S) stays 0) */
	T1(t, B(0x00, 0x00, 0x04, 0x80, 0x16, 0x00, 0x00, 0x92),
	   B(0x00, 0x40, 0x02, 0x90, 0x00, 0xD2));
	vr_tpdu_free(&t);
}

static void test_t1_crc(void **state)
{
	struct vr_tpdu *t = mk("test", 254, true, true);

	(void)state;
	T1(t, B(0x00, 0xC1, 0x01, 0xFE, 0xAB, 0xB1),
	   B(0x00, 0xE1, 0x01, 0xFE, 0xA8, 0x8A));
	T1(t, B(0x00, 0x00, 0x04, 0x80, 0x16, 0x00, 0x00, 0xDF, 0x42),
	   B(0x00, 0x00, 0x02, 0x90, 0x00, 0x63, 0x92));
	/* an LRC block is not a CRC block */
	T1(t, B(0x00, 0x40, 0x04, 0x80, 0x16, 0x00, 0x00, 0xD2),
	   B(0x00, 0x91, 0x00, 0xC6, 0x49));
	vr_tpdu_free(&t);
}

static void test_t1_faults(void **state)
{
	struct vr_tpdu *t = mk("test", 254, false, true);
	struct vr_faults f = { 0 };

	(void)state;
	/* wtx:2 — two S(WTX request 02), each answered, then the answer */
	assert_int_equal(vr_fault_parse(&f, "wtx:2"), 0);
	x1(t, &f, B(0x00, 0x00, 0x04, 0x80, 0x16, 0x00, 0x00, 0x92),
	   B(0x00, 0xC3, 0x01, 0x02, 0xC0));
	/* a lost WTX request is asked for again */
	x1(t, &f, B(0x00, 0x81, 0x00, 0x81), B(0x00, 0xC3, 0x01, 0x02, 0xC0));
	x1(t, &f, B(0x00, 0xE3, 0x01, 0x02, 0xE0),
	   B(0x00, 0xC3, 0x01, 0x02, 0xC0));
	x1(t, &f, B(0x00, 0xE3, 0x01, 0x02, 0xE0),
	   B(0x00, 0x00, 0x02, 0x90, 0x00, 0x92));
	/* a WTX response nobody asked for */
	x1(t, &f, B(0x00, 0xE3, 0x01, 0x02, 0xE0), B(0x00, 0x92, 0x00, 0x92));
	/* bad-edc:1 — the answer's LRC is wrong, the retransmission clean */
	assert_int_equal(vr_fault_parse(&f, "bad-edc"), 0);
	x1(t, &f, B(0x00, 0x40, 0x04, 0x80, 0x16, 0x00, 0x00, 0xD2),
	   B(0x00, 0x40, 0x02, 0x90, 0x00, 0xD2 ^ 0x5A));
	x1(t, &f, B(0x00, 0x91, 0x00, 0x91),
	   B(0x00, 0x40, 0x02, 0x90, 0x00, 0xD2));
	assert_int_equal(f.n[VR_FAULT_BAD_EDC], 0);
	vr_tpdu_free(&t);
}

/* ---- PPS ---- */

static void test_pps(void **state)
{
	uint8_t o[6], fidi = 0;
	size_t n = 0;

	(void)state;
	/* T=1, PPS1 = 13 (Fi 372, Di 4): echoed */
	assert_int_equal(vr_pps_answer(B(0xFF, 0x11, 0x13, 0xFD), 1, false, o,
				       &n, &fidi), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(o, ((const uint8_t[]){ 0xFF, 0x11, 0x13, 0xFD }), 4);
	assert_int_equal(fidi, 0x13);
	/* no PPS1: the default */
	assert_int_equal(vr_pps_answer(B(0xFF, 0x00, 0xFF), 0, false, o, &n,
				       &fidi), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(o, ((const uint8_t[]){ 0xFF, 0x00, 0xFF }), 3);
	assert_int_equal(fidi, 0x11);
	/* PPS1 and PPS2 */
	assert_int_equal(vr_pps_answer(B(0xFF, 0x30, 0x96, 0x00, 0x59), 0, false,
				       o, &n, &fidi), 0);
	assert_int_equal(n, 5);
	assert_int_equal(fidi, 0x96);
	/* refused: PPS0 without PPS1 */
	assert_int_equal(vr_pps_answer(B(0xFF, 0x11, 0x13, 0xFD), 1, true, o,
				       &n, &fidi), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(o, ((const uint8_t[]){ 0xFF, 0x01, 0xFE }), 3);
	assert_int_equal(fidi, 0x11);
	/* bad PCK, another protocol, wrong length, no PPSS: mute */
	assert_int_equal(vr_pps_answer(B(0xFF, 0x11, 0x13, 0xFE), 1, false, o,
				       &n, &fidi), VR_TPDU_MUTE);
	assert_int_equal(vr_pps_answer(B(0xFF, 0x11, 0x13, 0xFD), 0, false, o,
				       &n, &fidi), VR_TPDU_MUTE);
	assert_int_equal(vr_pps_answer(B(0xFF, 0x11, 0xEE), 1, false, o, &n,
				       &fidi), VR_TPDU_MUTE);
	assert_int_equal(vr_pps_answer(B(0xFE, 0x01, 0xFF), 1, false, o, &n,
				       &fidi), VR_TPDU_MUTE);
	assert_int_equal(n, 0);
}

static void test_fault_parse(void **state)
{
	struct vr_faults f = { 0 };

	(void)state;
	assert_int_equal(vr_fault_parse(&f, "bad-edc:3"), 0);
	assert_int_equal(vr_fault_parse(&f, "bad-edc"), 0);
	assert_int_equal(f.n[VR_FAULT_BAD_EDC], 4);
	assert_int_equal(vr_fault_parse(&f, "mute"), 0);
	assert_int_equal(f.n[VR_FAULT_MUTE], VR_FAULT_FOREVER);
	assert_true(vr_fault_take(&f, VR_FAULT_MUTE));
	assert_int_equal(f.n[VR_FAULT_MUTE], VR_FAULT_FOREVER);
	assert_int_equal(vr_fault_parse(&f, "disconnect-after:0"), 0);
	assert_int_equal(f.n[VR_FAULT_DISCONNECT_AFTER], 1);
	assert_int_equal(vr_fault_parse(&f, "lose-block:2"), 0);
	assert_true(vr_fault_take(&f, VR_FAULT_LOSE_BLOCK));
	assert_true(vr_fault_take(&f, VR_FAULT_LOSE_BLOCK));
	assert_false(vr_fault_take(&f, VR_FAULT_LOSE_BLOCK));
	assert_false(vr_fault_take(NULL, VR_FAULT_LOSE_BLOCK));
	for (const char *const *s = (const char *const[]){
		     "wtx:2", "bad-procedure", "pps-refused", "wrong-bseq:2",
		     "split", "short", "stall:1", "hangup:3", NULL }; *s; s++)
		assert_int_equal(vr_fault_parse(&f, *s), 0);
	assert_int_equal(f.n[VR_FAULT_HANGUP], 3);
	assert_int_equal(vr_fault_parse(&f, "hangup:5"), 0);
	assert_int_equal(f.n[VR_FAULT_HANGUP], 5); /* replaced, not added */
	for (const char *const *s = (const char *const[]){
		     "wtx", "disconnect-after", "bad-edc:", "bad-edc:x",
		     "bad", "stall:-1", "pps-refused:2", "", ":3", "hangup",
		     "hangup:0", NULL };
	     *s; s++)
		assert_int_equal(vr_fault_parse(&f, *s), -EINVAL);
	assert_int_equal(vr_fault_parse(&f, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_t0_case1_case3),
		cmocka_unit_test(test_t0_case2_6c),
		cmocka_unit_test(test_t0_case4_get_response),
		cmocka_unit_test(test_t0_envelope),
		cmocka_unit_test(test_t0_bad_procedure),
		cmocka_unit_test(test_edc),
		cmocka_unit_test(test_t1_basic),
		cmocka_unit_test(test_t1_chaining),
		cmocka_unit_test(test_t1_errors),
		cmocka_unit_test(test_t1_resynch_abort),
		cmocka_unit_test(test_t1_crc),
		cmocka_unit_test(test_t1_faults),
		cmocka_unit_test(test_pps),
		cmocka_unit_test(test_fault_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
