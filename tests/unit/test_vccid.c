/* ccidkit — tests for the virtual reader's CCID model (src/vr_ccid.c) and
 * its USB descriptors (src/vr_usb.c): raw PC_to_RDR bytes in, exact
 * RDR_to_PC bytes out. Layouts from CCID 1.1 §6, written out by hand. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "src/vr_ccid.h"
#include "src/vr_usb.h"

static const uint8_t ATR_T1[] = {
	0x3B, 0x88, 0x81, 0x31, 0xFE, 0x45, 0x63, 0x63, 0x69, 0x64, 0x6B,
	0x69, 0x74, 0x31, 0xC9,
};

static struct vr_ccid *make(unsigned nslots, enum vr_level level,
			    uint32_t max, unsigned tx, const char *card)
{
	struct vr_ccid_config cfg = {
		.nslots = nslots, .level = level, .dwMaxCCIDMessageLength = max,
		.auto_voltage = true, .card_class = 1, .time_extension = tx,
		.start_card = card ? vr_card_find(card) : NULL,
	};
	int err = 0;
	struct vr_ccid *c = vr_ccid_new(&cfg, &err);

	assert_non_null(c);
	return c;
}

/* Feed a header (+ data) as one transfer. */
static void send_msg(struct vr_ccid *c, uint8_t type, uint8_t slot, uint8_t seq,
		     uint8_t b7, uint8_t b8, uint8_t b9, const uint8_t *data,
		     size_t len)
{
	uint8_t *m = malloc(10 + len);

	assert_non_null(m);
	m[0] = type;
	m[1] = len & 0xFF;
	m[2] = (len >> 8) & 0xFF;
	m[3] = (len >> 16) & 0xFF;
	m[4] = (uint8_t)(len >> 24);
	m[5] = slot;
	m[6] = seq;
	m[7] = b7;
	m[8] = b8;
	m[9] = b9;
	if (len)
		memcpy(m + 10, data, len);
	vr_ccid_bulk_out(c, m, 10 + len);
	free(m);
}

/* Pop one reply and compare it with the expected bytes. */
static void expect(struct vr_ccid *c, const uint8_t *want, size_t len)
{
	uint8_t *got = malloc(70000);
	size_t n;

	assert_non_null(got);
	assert_int_equal(vr_ccid_bulk_in_pending(c), len);
	n = vr_ccid_bulk_in(c, got, 70000);
	assert_int_equal(n, len);
	assert_memory_equal(got, want, len);
	free(got);
}

#define EXPECT(c, ...) do { static const uint8_t w_[] = { __VA_ARGS__ }; \
	expect(c, w_, sizeof(w_)); } while (0)

static void expect_none(struct vr_ccid *c)
{
	uint8_t b[1];

	assert_int_equal(vr_ccid_bulk_in_pending(c), 0);
	assert_int_equal(vr_ccid_bulk_in(c, b, 1), 0);
}

static void power_on(struct vr_ccid *c, uint8_t seq)
{
	uint8_t want[10 + sizeof(ATR_T1)] = { 0x80, sizeof(ATR_T1), 0, 0, 0,
					      0, seq, 0, 0, 0 };

	memcpy(want + 10, ATR_T1, sizeof(ATR_T1));
	send_msg(c, 0x62, 0, seq, 0, 0, 0, NULL, 0);
	expect(c, want, sizeof(want));
}

static void test_power(void **state)
{
	struct vr_ccid *c = make(1, VR_LEVEL_EXTENDED, 271, 0, "test");

	(void)state;
	send_msg(c, 0x65, 0, 1, 0, 0, 0, NULL, 0);		/* GetSlotStatus */
	EXPECT(c, 0x81, 0, 0, 0, 0, 0, 1, 0x01, 0, 0);
	power_on(c, 2);
	assert_true(vr_ccid_powered(c, 0));
	send_msg(c, 0x65, 0, 3, 0, 0, 0, NULL, 0);
	EXPECT(c, 0x81, 0, 0, 0, 0, 0, 3, 0x00, 0, 0);
	send_msg(c, 0x63, 0, 4, 0, 0, 0, NULL, 0);		/* IccPowerOff */
	EXPECT(c, 0x81, 0, 0, 0, 0, 0, 4, 0x01, 0, 0);
	assert_false(vr_ccid_powered(c, 0));
	/* explicit 5 V (bPowerSelect 1) is fine for a 5 V card */
	send_msg(c, 0x62, 0, 5, 1, 0, 0, NULL, 0);
	assert_int_equal(vr_ccid_bulk_in_pending(c), 10 + sizeof(ATR_T1));
	vr_ccid_reset(c);
	expect_none(c);
	assert_false(vr_ccid_powered(c, 0));
	assert_true(vr_ccid_present(c, 0));
	/* bPowerSelect 4 is invalid: bError 7 */
	send_msg(c, 0x62, 0, 6, 4, 0, 0, NULL, 0);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 6, 0x41, 0x07, 0);
	/* PowerOn with abData: bad dwLength */
	send_msg(c, 0x62, 0, 7, 0, 0, 0, (const uint8_t[]){ 1 }, 1);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 7, 0x41, 0x01, 0);
	send_msg(c, 0x63, 0, 8, 0, 0, 0, (const uint8_t[]){ 1 }, 1);
	EXPECT(c, 0x81, 0, 0, 0, 0, 0, 8, 0x41, 0x01, 0);
	vr_ccid_free(&c);
	assert_null(c);
	vr_ccid_free(&c);
	vr_ccid_free(NULL);
}

static void test_voltage_class(void **state)
{
	struct vr_ccid_config cfg = {
		.nslots = 1, .level = VR_LEVEL_SHORT,
		.dwMaxCCIDMessageLength = 271, .card_class = 2,
		.start_card = vr_card_find("test"),
	};
	struct vr_ccid *c = vr_ccid_new(&cfg, NULL);

	(void)state;
	assert_non_null(c);
	send_msg(c, 0x62, 0, 1, 1, 0, 0, NULL, 0);		/* 5 V: refused */
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 1, 0x41, 0xF5, 0);
	send_msg(c, 0x62, 0, 2, 2, 0, 0, NULL, 0);		/* 3 V */
	assert_int_equal(vr_ccid_bulk_in_pending(c), 25);
	vr_ccid_reset(c);
	send_msg(c, 0x62, 0, 3, 3, 0, 0, NULL, 0);		/* 1.8 V */
	assert_int_equal(vr_ccid_bulk_in_pending(c), 25);
	vr_ccid_reset(c);
	power_on(c, 4);						/* automatic */
	vr_ccid_free(&c);
	/* 1.8 V-only card refuses 3 V too */
	cfg.card_class = 3;
	c = vr_ccid_new(&cfg, NULL);
	send_msg(c, 0x62, 0, 5, 2, 0, 0, NULL, 0);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 5, 0x41, 0xF5, 0);
	vr_ccid_free(&c);
}

static void test_no_card(void **state)
{
	struct vr_ccid *c = make(1, VR_LEVEL_EXTENDED, 271, 0, NULL);

	(void)state;
	assert_false(vr_ccid_present(c, 0));
	send_msg(c, 0x62, 0, 1, 0, 0, 0, NULL, 0);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 1, 0x42, 0xFE, 0);
	send_msg(c, 0x65, 0, 2, 0, 0, 0, NULL, 0);
	EXPECT(c, 0x81, 0, 0, 0, 0, 0, 2, 0x02, 0, 0);
	send_msg(c, 0x6F, 0, 3, 0, 0, 0, (const uint8_t[]){ 0x80, 0x16, 0, 0 }, 4);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 3, 0x42, 0xFE, 0);
	send_msg(c, 0x6C, 0, 4, 0, 0, 0, NULL, 0);
	EXPECT(c, 0x82, 0, 0, 0, 0, 0, 4, 0x42, 0xFE, 0);
	send_msg(c, 0x63, 0, 5, 0, 0, 0, NULL, 0);
	EXPECT(c, 0x81, 0, 0, 0, 0, 0, 5, 0x02, 0, 0);
	vr_ccid_free(&c);
}

static void test_wrong_slot_and_type(void **state)
{
	struct vr_ccid *c = make(2, VR_LEVEL_EXTENDED, 271, 0, "test");

	(void)state;
	send_msg(c, 0x65, 2, 9, 0, 0, 0, NULL, 0);
	EXPECT(c, 0x81, 0, 0, 0, 0, 2, 9, 0x42, 0x05, 0);
	send_msg(c, 0x62, 0xFF, 10, 0, 0, 0, NULL, 0);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0xFF, 10, 0x42, 0x05, 0);
	send_msg(c, 0x65, 1, 11, 0, 0, 0, NULL, 0);		/* slot 1 exists */
	EXPECT(c, 0x81, 0, 0, 0, 0, 1, 11, 0x01, 0, 0);
	send_msg(c, 0x99, 0, 12, 0, 0, 0, NULL, 0);		/* unknown type */
	EXPECT(c, 0x81, 0, 0, 0, 0, 0, 12, 0x41, 0x00, 0);
	send_msg(c, 0x6B, 0, 13, 0, 0, 0, (const uint8_t[]){ 1, 2 }, 2);
	EXPECT(c, 0x83, 0, 0, 0, 0, 0, 13, 0x41, 0x00, 0);	/* Escape */
	send_msg(c, 0x71, 0, 14, 1, 0, 0, NULL, 0);		/* Mechanical */
	EXPECT(c, 0x81, 0, 0, 0, 0, 0, 14, 0x41, 0x00, 0);
	send_msg(c, 0x69, 0, 15, 0, 0, 0, (const uint8_t[]){ 0 }, 1);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 15, 0x41, 0x00, 0);	/* Secure */
	send_msg(c, 0x6A, 0, 16, 3, 0xFF, 0xFF, NULL, 0);	/* T0APDU */
	EXPECT(c, 0x81, 0, 0, 0, 0, 0, 16, 0x01, 0, 0);
	send_msg(c, 0x72, 0, 17, 0, 0, 0, NULL, 0);		/* Abort */
	EXPECT(c, 0x81, 0, 0, 0, 0, 0, 17, 0x01, 0, 0);
	vr_ccid_free(&c);
}

static void test_bad_length(void **state)
{
	struct vr_ccid *c = make(1, VR_LEVEL_EXTENDED, 271, 0, "test");
	uint8_t m[300];

	(void)state;
	/* dwLength 5, 2 bytes in a short transfer */
	vr_ccid_bulk_out(c, (const uint8_t[]){ 0x6F, 5, 0, 0, 0, 0, 1, 0, 0, 0,
			 0x80, 0x16 }, 12);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 1, 0x41, 0x01, 0);
	/* dwLength 0, 3 extra bytes */
	vr_ccid_bulk_out(c, (const uint8_t[]){ 0x65, 0, 0, 0, 0, 0, 2, 0, 0, 0,
			 1, 2, 3 }, 13);
	EXPECT(c, 0x81, 0, 0, 0, 0, 0, 2, 0x41, 0x01, 0);
	/* longer than dwMaxCCIDMessageLength: answered at once */
	vr_ccid_bulk_out(c, (const uint8_t[]){ 0x6F, 0xE8, 3, 0, 0, 0, 3, 0, 0,
			 0 }, 10);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 3, 0x41, 0x01, 0);
	/* dwLength 0xFFFFFFFF */
	vr_ccid_bulk_out(c, (const uint8_t[]){ 0x65, 0xFF, 0xFF, 0xFF, 0xFF,
			 0, 4, 0, 0, 0 }, 10);
	EXPECT(c, 0x81, 0, 0, 0, 0, 0, 4, 0x41, 0x01, 0);
	/* oversized in a full 64-byte packet: its continuation is dropped */
	memset(m, 0xEE, sizeof(m));
	memcpy(m, (const uint8_t[]){ 0x6F, 0x00, 0x02, 0, 0, 0, 5, 0, 0, 0 }, 10);
	vr_ccid_bulk_out(c, m, 64);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 5, 0x41, 0x01, 0);
	vr_ccid_bulk_out(c, m + 64, 64);
	vr_ccid_bulk_out(c, m + 128, 10);
	expect_none(c);
	/* truncated header: nothing can be answered */
	vr_ccid_bulk_out(c, (const uint8_t[]){ 0x65, 0, 0, 0, 0 }, 5);
	expect_none(c);
	vr_ccid_bulk_out(c, NULL, 0);
	expect_none(c);
	/* and the model still works */
	send_msg(c, 0x65, 0, 6, 0, 0, 0, NULL, 0);
	EXPECT(c, 0x81, 0, 0, 0, 0, 0, 6, 0x01, 0, 0);
	/* SetDataRateAndClockFrequency needs exactly 8 bytes */
	send_msg(c, 0x73, 0, 7, 0, 0, 0, (const uint8_t[]){ 1, 2, 3 }, 3);
	EXPECT(c, 0x84, 0, 0, 0, 0, 0, 7, 0x41, 0x01, 0);
	send_msg(c, 0x73, 0, 8, 0, 0, 0, (const uint8_t[]){ 0xA0, 0x0F, 0, 0,
		 0x00, 0x2A, 0, 0 }, 8);
	EXPECT(c, 0x84, 8, 0, 0, 0, 0, 8, 0x01, 0, 0, 0xA0, 0x0F, 0, 0, 0x00,
	       0x2A, 0, 0);
	vr_ccid_free(&c);
}

static void test_split_out_and_partial_in(void **state)
{
	struct vr_ccid *c = make(1, VR_LEVEL_EXTENDED, 271, 0, "test");
	uint8_t m[10 + 95], got[200];

	(void)state;
	power_on(c, 1);
	/* XfrBlock ECHO of 90 bytes: 105 bytes sent as 64 + 41 */
	memcpy(m, (const uint8_t[]){ 0x6F, 95, 0, 0, 0, 0, 2, 0, 0, 0,
	       0x80, 0x10, 0, 0, 90 }, 15);
	for (int i = 0; i < 90; i++)
		m[15 + i] = (uint8_t)(i + 1);
	vr_ccid_bulk_out(c, m, 64);
	expect_none(c);
	/* a zero-length packet ends an incomplete message */
	vr_ccid_bulk_out(c, NULL, 0);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 2, 0x40, 0x01, 0);
	vr_ccid_bulk_out(c, m, 64);
	expect_none(c);
	vr_ccid_bulk_out(c, m + 64, sizeof(m) - 64);
	assert_int_equal(vr_ccid_bulk_in_pending(c), 10 + 92);
	/* read it in 64-byte pieces like a full-speed host */
	assert_int_equal(vr_ccid_bulk_in(c, got, 64), 64);
	assert_int_equal(vr_ccid_bulk_in_pending(c), 38);
	assert_int_equal(vr_ccid_bulk_in(c, got + 64, 64), 38);
	assert_memory_equal(got, ((const uint8_t[]){ 0x80, 92, 0, 0, 0, 0, 2,
			    0, 0, 0 }), 10);
	assert_memory_equal(got + 10, m + 15, 90);
	assert_int_equal(got[100], 0x90);
	assert_int_equal(got[101], 0x00);
	expect_none(c);
	vr_ccid_free(&c);
}

static void test_xfr_short(void **state)
{
	struct vr_ccid *c = make(1, VR_LEVEL_SHORT, 271, 0, "test");
	uint8_t apdu[262];

	(void)state;
	/* unpowered card */
	send_msg(c, 0x6F, 0, 1, 0, 0, 0, (const uint8_t[]){ 0x80, 0x16, 0, 0 }, 4);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 1, 0x41, 0xFE, 0);
	power_on(c, 2);
	send_msg(c, 0x6F, 0, 3, 0, 0, 0, (const uint8_t[]){ 0x80, 0x16, 0, 0 }, 4);
	EXPECT(c, 0x80, 2, 0, 0, 0, 0, 3, 0x00, 0, 0, 0x90, 0x00);
	send_msg(c, 0x6F, 0, 4, 0, 0, 0, (const uint8_t[]){ 0x80, 0x12, 0, 3 }, 4);
	EXPECT(c, 0x80, 5, 0, 0, 0, 0, 4, 0x00, 0, 0, 0, 1, 2, 0x90, 0x00);
	/* 256 data bytes still fit */
	send_msg(c, 0x6F, 0, 5, 0, 0, 0, (const uint8_t[]){ 0x80, 0x12, 1, 0 }, 4);
	assert_int_equal(vr_ccid_bulk_in_pending(c), 10 + 258);
	vr_ccid_reset(c);
	power_on(c, 6);
	/* 257 data bytes cannot go back at short level */
	send_msg(c, 0x6F, 0, 7, 0, 0, 0, (const uint8_t[]){ 0x80, 0x12, 1, 1 }, 4);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 7, 0x40, 0xFC, 0);
	/* a 262-byte command is not a short APDU */
	memset(apdu, 0, sizeof(apdu));
	memcpy(apdu, (const uint8_t[]){ 0x80, 0x10, 0, 0, 0, 0, 0xFF }, 7);
	send_msg(c, 0x6F, 0, 8, 0, 0, 0, apdu, sizeof(apdu));
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 8, 0x40, 0x01, 0);
	/* the card still answers status words */
	send_msg(c, 0x6F, 0, 9, 0, 0, 0, (const uint8_t[]){ 0x90, 0x16, 0, 0 }, 4);
	EXPECT(c, 0x80, 2, 0, 0, 0, 0, 9, 0x00, 0, 0, 0x6E, 0x00);
	/* removal powers the card down */
	assert_int_equal(vr_ccid_remove(c, 0), 0);
	assert_false(vr_ccid_powered(c, 0));
	assert_int_equal(vr_ccid_insert(c, 0, NULL), 0);
	send_msg(c, 0x65, 0, 10, 0, 0, 0, NULL, 0);
	EXPECT(c, 0x81, 0, 0, 0, 0, 0, 10, 0x01, 0, 0);
	vr_ccid_free(&c);
}

static struct vr_ccid *make_cfg(struct vr_ccid_config *cfg, const char *card)
{
	struct vr_ccid *c;

	cfg->nslots = 1;
	cfg->auto_voltage = true;
	cfg->card_class = 1;
	if (cfg->dwMaxCCIDMessageLength == 0)
		cfg->dwMaxCCIDMessageLength = 271;
	cfg->start_card = vr_card_find(card);
	c = vr_ccid_new(cfg, NULL);
	assert_non_null(c);
	return c;
}

/* TPDU level, T=1 card: one block per XfrBlock (ISO 7816-3 §11). */
static void test_xfr_tpdu(void **state)
{
	struct vr_ccid *c = make(1, VR_LEVEL_TPDU, 64, 0, "test");

	(void)state;
	power_on(c, 1);
	/* S(IFS request 254) → S(IFS response 254) */
	send_msg(c, 0x6F, 0, 2, 0, 0, 0, (const uint8_t[]){ 0x00, 0xC1, 0x01,
		 0xFE, 0x3E }, 5);
	EXPECT(c, 0x80, 5, 0, 0, 0, 0, 2, 0x00, 0, 0, 0x00, 0xE1, 0x01, 0xFE,
	       0x1E);
	/* I(0) NOP → I(0) 90 00 */
	send_msg(c, 0x6F, 0, 3, 0, 0, 0, (const uint8_t[]){ 0x00, 0x00, 0x04,
		 0x80, 0x16, 0x00, 0x00, 0x92 }, 8);
	EXPECT(c, 0x80, 6, 0, 0, 0, 0, 3, 0x00, 0, 0, 0x00, 0x00, 0x02, 0x90,
	       0x00, 0x92);
	/* bad EDC → R(N(R) = 1) with the EDC error bit */
	send_msg(c, 0x6F, 0, 4, 0, 0, 0, (const uint8_t[]){ 0x00, 0x40, 0x04,
		 0x80, 0x16, 0x00, 0x00, 0xD3 }, 8);
	EXPECT(c, 0x80, 4, 0, 0, 0, 0, 4, 0x00, 0, 0, 0x00, 0x91, 0x00, 0x91);
	/* an 80-byte answer block does not fit dwMaxCCIDMessageLength 64 */
	send_msg(c, 0x6F, 0, 5, 0, 0, 0, (const uint8_t[]){ 0x00, 0x40, 0x04,
		 0x80, 0x12, 0x00, 0x50, 0x86 }, 8);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 5, 0x40, 0xFC, 0);
	/* a new power-on starts the sequence numbers again */
	power_on(c, 6);
	send_msg(c, 0x6F, 0, 7, 0, 0, 0, (const uint8_t[]){ 0x00, 0x00, 0x04,
		 0x80, 0x16, 0x00, 0x00, 0x92 }, 8);
	EXPECT(c, 0x80, 6, 0, 0, 0, 0, 7, 0x00, 0, 0, 0x00, 0x00, 0x02, 0x90,
	       0x00, 0x92);
	vr_ccid_free(&c);
}

/* --ifsc 16 --t1-crc: ATR TA3 = 10, TC3 = 01, TCK 66; the parameters
 * follow; SetParameters switches the card to LRC and IFSC 32. */
static void test_tpdu_t1_config(void **state)
{
	struct vr_ccid_config cfg = { .level = VR_LEVEL_TPDU, .ifsc = 16,
				      .t1_crc = true };
	struct vr_ccid *c = make_cfg(&cfg, "test");
	uint8_t blk[3 + 20 + 1] = { 0x00, 0x00, 20, 0x80, 0x10, 0x00, 0x00, 15 };
	uint8_t x = 0;

	(void)state;
	send_msg(c, 0x62, 0, 1, 0, 0, 0, NULL, 0);
	EXPECT(c, 0x80, 16, 0, 0, 0, 0, 1, 0x00, 0, 0, 0x3B, 0x88, 0x81, 0x71,
	       0x10, 0x45, 0x01, 0x63, 0x63, 0x69, 0x64, 0x6B, 0x69, 0x74,
	       0x31, 0x66);
	send_msg(c, 0x6C, 0, 2, 0, 0, 0, NULL, 0);
	EXPECT(c, 0x82, 7, 0, 0, 0, 0, 2, 0x00, 0, 0x01,
	       0x11, 0x11, 0x00, 0x45, 0x00, 0x10, 0x00);
	/* CRC: I(0) NOP */
	send_msg(c, 0x6F, 0, 3, 0, 0, 0, (const uint8_t[]){ 0x00, 0x00, 0x04,
		 0x80, 0x16, 0x00, 0x00, 0xDF, 0x42 }, 9);
	EXPECT(c, 0x80, 7, 0, 0, 0, 0, 3, 0x00, 0, 0, 0x00, 0x00, 0x02, 0x90,
	       0x00, 0x63, 0x92);
	/* bIFSC 0 does not exist: bError 15, its offset */
	send_msg(c, 0x61, 0, 4, 1, 0, 0, (const uint8_t[]){ 0x11, 0x10, 0x00,
		 0x45, 0x00, 0x00, 0x00 }, 7);
	EXPECT(c, 0x82, 0, 0, 0, 0, 0, 4, 0x40, 0x0F, 0);
	send_msg(c, 0x61, 0, 5, 1, 0, 0, (const uint8_t[]){ 0x11, 0x10, 0x00,
		 0x45, 0x00, 0x20, 0x00 }, 7);
	EXPECT(c, 0x82, 7, 0, 0, 0, 0, 5, 0x00, 0, 0x01,
	       0x11, 0x10, 0x00, 0x45, 0x00, 0x20, 0x00);
	/* now LRC, and 20 bytes of INF fit IFSC 32: I(1) ECHO of 15 bytes */
	blk[1] = 0x40;
	for (int i = 0; i < 15; i++)
		blk[8 + i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(blk) - 1; i++)
		x ^= blk[i];
	blk[sizeof(blk) - 1] = x;
	send_msg(c, 0x6F, 0, 6, 0, 0, 0, blk, sizeof(blk));
	EXPECT(c, 0x80, 21, 0, 0, 0, 0, 6, 0x00, 0, 0, 0x00, 0x40, 17,
	       0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0x90, 0x00,
	       0x00 ^ 0x40 ^ 17 ^ 0x90 ^ 0 ^ 1 ^ 2 ^ 3 ^ 4 ^ 5 ^ 6 ^ 7 ^ 8 ^ 9 ^
	       10 ^ 11 ^ 12 ^ 13 ^ 14);
	vr_ccid_free(&c);
}

/* TPDU level, T=0 card: 61 xx and GET RESPONSE; bad-procedure fault. */
static void test_tpdu_t0(void **state)
{
	struct vr_ccid_config cfg = { .level = VR_LEVEL_TPDU };
	struct vr_ccid *c;

	(void)state;
	assert_int_equal(vr_fault_parse(&cfg.faults, "bad-procedure"), 0);
	c = make_cfg(&cfg, "test-t0");
	send_msg(c, 0x62, 0, 1, 0, 0, 0, NULL, 0);
	EXPECT(c, 0x80, 10, 0, 0, 0, 0, 1, 0x00, 0, 0, 0x3B, 0x08, 0x63, 0x63,
	       0x69, 0x64, 0x6B, 0x69, 0x74, 0x30);
	send_msg(c, 0x6F, 0, 2, 0, 0, 0, (const uint8_t[]){ 0x80, 0x16, 0x00,
		 0x00, 0x00 }, 5);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 2, 0x40, 0xF4, 0);
	send_msg(c, 0x6F, 0, 3, 0, 0, 0, (const uint8_t[]){ 0x80, 0x10, 0x00,
		 0x00, 0x02, 0xCA, 0xFE }, 7);
	EXPECT(c, 0x80, 2, 0, 0, 0, 0, 3, 0x00, 0, 0, 0x61, 0x02);
	send_msg(c, 0x6F, 0, 4, 0, 0, 0, (const uint8_t[]){ 0x80, 0xC0, 0x00,
		 0x00, 0x02 }, 5);
	EXPECT(c, 0x80, 4, 0, 0, 0, 0, 4, 0x00, 0, 0, 0xCA, 0xFE, 0x90, 0x00);
	send_msg(c, 0x6F, 0, 5, 0, 0, 0, (const uint8_t[]){ 0x80, 0x12, 0x00,
		 0x02, 0x04 }, 5);
	EXPECT(c, 0x80, 2, 0, 0, 0, 0, 5, 0x00, 0, 0, 0x6C, 0x02);
	/* a TPDU shorter than its P3 says */
	send_msg(c, 0x6F, 0, 6, 0, 0, 0, (const uint8_t[]){ 0x80, 0x14, 0x00,
		 0x00, 0x04, 0x01 }, 6);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 6, 0x40, 0x01, 0);
	vr_ccid_free(&c);
}

/* PPS by the host (dwFeatures without 0x80): the first XfrBlock only. */
static void test_tpdu_pps(void **state)
{
	struct vr_ccid_config cfg = { .level = VR_LEVEL_TPDU,
				      .no_auto_pps = true };
	struct vr_ccid *c;
	uint8_t d[54];

	(void)state;
	assert_int_equal(vr_fault_parse(&cfg.faults, "pps-refused"), 0);
	c = make_cfg(&cfg, "test");
	vr_ccid_class_descriptor(c, d);
	assert_memory_equal(d + 40, ((const uint8_t[]){ 0x3A, 0, 0x01, 0 }), 4);
	/* refused once: PPS0 without PPS1 */
	power_on(c, 1);
	send_msg(c, 0x6F, 0, 2, 0, 0, 0, (const uint8_t[]){ 0xFF, 0x11, 0x13,
		 0xFD }, 4);
	EXPECT(c, 0x80, 3, 0, 0, 0, 0, 2, 0x00, 0, 0, 0xFF, 0x01, 0xFE);
	/* accepted after the next power-on: the echo, and Fi/Di 13 */
	power_on(c, 3);
	send_msg(c, 0x6F, 0, 4, 0, 0, 0, (const uint8_t[]){ 0xFF, 0x11, 0x13,
		 0xFD }, 4);
	EXPECT(c, 0x80, 4, 0, 0, 0, 0, 4, 0x00, 0, 0, 0xFF, 0x11, 0x13, 0xFD);
	send_msg(c, 0x6C, 0, 5, 0, 0, 0, NULL, 0);
	EXPECT(c, 0x82, 7, 0, 0, 0, 0, 5, 0x00, 0, 0x01,
	       0x13, 0x10, 0x00, 0x45, 0x00, 0xFE, 0x00);
	/* not the first block any more: a T=1 block with a wrong LEN */
	send_msg(c, 0x6F, 0, 6, 0, 0, 0, (const uint8_t[]){ 0xFF, 0x11, 0x13,
		 0xFD }, 4);
	EXPECT(c, 0x80, 4, 0, 0, 0, 0, 6, 0x00, 0, 0, 0x00, 0x82, 0x00, 0x82);
	/* a PPS for T=0 to a T=1 card: no answer, ICC_MUTE */
	power_on(c, 7);
	send_msg(c, 0x6F, 0, 8, 0, 0, 0, (const uint8_t[]){ 0xFF, 0x10, 0x11,
		 0xEE }, 4);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 8, 0x40, 0xFE, 0);
	vr_ccid_free(&c);
}

/* Faults of the reader model, each counted down. */
static void test_faults(void **state)
{
	struct vr_ccid_config cfg = { .level = VR_LEVEL_SHORT };
	const uint8_t nop[4] = { 0x80, 0x16, 0x00, 0x00 };
	struct vr_ccid *c;

	(void)state;
	assert_int_equal(vr_fault_parse(&cfg.faults, "mute:1"), 0);
	c = make_cfg(&cfg, "test");
	send_msg(c, 0x62, 0, 1, 0, 0, 0, NULL, 0);		/* mute */
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 1, 0x41, 0xFE, 0);
	power_on(c, 2);
	assert_int_equal(vr_ccid_add_fault(c, "mute:1"), 0);
	assert_int_equal(vr_ccid_add_fault(c, "lose-block"), 0);
	assert_int_equal(vr_ccid_add_fault(c, "lose"), -EINVAL);
	send_msg(c, 0x6F, 0, 3, 0, 0, 0, nop, 4);		/* mute */
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 3, 0x40, 0xFE, 0);
	send_msg(c, 0x6F, 0, 4, 0, 0, 0, nop, 4);		/* lost */
	expect_none(c);
	/* the abort answers the lost XfrBlock, then itself */
	assert_int_equal(vr_ccid_control(c, 0x01, 0x0500, NULL, 0,
					 &(size_t){ 0 }), 0);
	send_msg(c, 0x72, 0, 5, 0, 0, 0, NULL, 0);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 4, 0x40, 0xFF, 0);
	EXPECT(c, 0x81, 0, 0, 0, 0, 0, 5, 0x00, 0, 0);
	send_msg(c, 0x6F, 0, 6, 0, 0, 0, nop, 4);
	EXPECT(c, 0x80, 2, 0, 0, 0, 0, 6, 0x00, 0, 0, 0x90, 0x00);
	vr_ccid_free(&c);

	memset(&cfg, 0, sizeof(cfg));
	cfg.level = VR_LEVEL_SHORT;
	assert_int_equal(vr_fault_parse(&cfg.faults, "wrong-bseq"), 0);
	assert_int_equal(vr_fault_parse(&cfg.faults, "short:2"), 0);
	assert_int_equal(vr_fault_parse(&cfg.faults, "disconnect-after:1"), 0);
	assert_int_equal(vr_fault_parse(&cfg.faults, "split"), 0);
	assert_int_equal(vr_fault_parse(&cfg.faults, "stall"), 0);
	c = make_cfg(&cfg, "test");
	/* a stale answer (bSeq - 1) before the right one — the right one
	 * is cut short: half a header */
	send_msg(c, 0x65, 0, 1, 0, 0, 0, NULL, 0);
	EXPECT(c, 0x81, 0, 0, 0, 0, 0, 0, 0x01, 0, 0);
	EXPECT(c, 0x81, 0, 0, 0, 0);
	/* short: 2 data bytes, 1 of them sent */
	send_msg(c, 0x62, 0, 2, 0, 0, 0, NULL, 0);
	EXPECT(c, 0x80, 15, 0, 0, 0, 0, 2, 0x00, 0, 0, 0x3B, 0x88, 0x81,
	       0x31, 0xFE, 0x45, 0x63);
	send_msg(c, 0x6F, 0, 3, 0, 0, 0, nop, 4);		/* answered */
	EXPECT(c, 0x80, 2, 0, 0, 0, 0, 3, 0x00, 0, 0, 0x90, 0x00);
	assert_false(vr_ccid_take_disconnect(c));
	send_msg(c, 0x6F, 0, 4, 0, 0, 0, nop, 4);		/* hang-up */
	expect_none(c);
	assert_true(vr_ccid_take_disconnect(c));
	assert_false(vr_ccid_take_disconnect(c));
	send_msg(c, 0x6F, 0, 5, 0, 0, 0, nop, 4);		/* once only */
	EXPECT(c, 0x80, 2, 0, 0, 0, 0, 5, 0x00, 0, 0, 0x90, 0x00);
	/* the USB layer's faults: once each */
	assert_true(vr_ccid_fault_take(c, VR_FAULT_SPLIT));
	assert_false(vr_ccid_fault_take(c, VR_FAULT_SPLIT));
	assert_true(vr_ccid_fault_take(c, VR_FAULT_STALL));
	assert_false(vr_ccid_fault_take(c, VR_FAULT_STALL));
	vr_ccid_free(&c);
}

/* Character level: announced (level bits 0), XfrBlock not supported;
 * the dwFeatures switches. */
static void test_character_and_features(void **state)
{
	struct vr_ccid_config cfg = { .level = VR_LEVEL_CHARACTER,
				      .dwMaxCCIDMessageLength = 64 };
	struct vr_ccid *c = make_cfg(&cfg, "test");
	uint8_t d[54];

	(void)state;
	vr_ccid_class_descriptor(c, d);
	assert_memory_equal(d + 40, ((const uint8_t[]){ 0xBA, 0, 0, 0 }), 4);
	power_on(c, 1);
	send_msg(c, 0x6F, 0, 2, 0, 0, 0, (const uint8_t[]){ 0x00 }, 1);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 2, 0x40, 0x00, 0);
	vr_ccid_free(&c);
	memset(&cfg, 0, sizeof(cfg));
	cfg.level = VR_LEVEL_TPDU;
	cfg.no_auto_pps = cfg.no_auto_param = true;
	cfg.auto_negotiate = cfg.auto_ifsd = true;
	c = make_cfg(&cfg, "test");
	vr_ccid_class_descriptor(c, d);
	assert_memory_equal(d + 40, ((const uint8_t[]){ 0x78, 0x04, 0x01, 0 }), 4);
	/* 0x40: the reader negotiated, a PPS from the host is not one */
	power_on(c, 1);
	send_msg(c, 0x6F, 0, 2, 0, 0, 0, (const uint8_t[]){ 0xFF, 0x11, 0x13,
		 0xFD }, 4);
	EXPECT(c, 0x80, 4, 0, 0, 0, 0, 2, 0x00, 0, 0, 0x00, 0x82, 0x00, 0x82);
	vr_ccid_free(&c);
	/* ifsc above 254 is refused */
	memset(&cfg, 0, sizeof(cfg));
	cfg.level = VR_LEVEL_TPDU;
	cfg.nslots = 1;
	cfg.card_class = 1;
	cfg.dwMaxCCIDMessageLength = 271;
	cfg.ifsc = 255;
	assert_null(vr_ccid_new(&cfg, NULL));
}

/* Read one DataBlock and check its header fields; returns dwLength. */
static size_t expect_datablock(struct vr_ccid *c, uint8_t seq, uint8_t chain,
			       uint8_t *data)
{
	uint8_t *got = malloc(70000);
	size_t n, dlen;

	assert_non_null(got);
	n = vr_ccid_bulk_in(c, got, 70000);
	assert_true(n >= 10);
	dlen = got[1] | got[2] << 8 | (size_t)got[3] << 16 | (size_t)got[4] << 24;
	assert_int_equal(n, 10 + dlen);
	assert_int_equal(got[0], 0x80);
	assert_int_equal(got[5], 0);
	assert_int_equal(got[6], seq);
	assert_int_equal(got[7], 0x00);
	assert_int_equal(got[8], 0x00);
	assert_int_equal(got[9], chain);
	if (data)
		memcpy(data, got + 10, dlen);
	free(got);
	return dlen;
}

/* CCID 1.1 §6.1.4: a 309-byte ECHO in two chunks, a 302-byte answer in
 * two parts (dwMaxCCIDMessageLength 271 leaves 261 bytes per message). */
static void test_extended_chaining(void **state)
{
	struct vr_ccid *c = make(1, VR_LEVEL_EXTENDED, 271, 0, "test");
	uint8_t apdu[309], resp[400];

	(void)state;
	power_on(c, 1);
	memcpy(apdu, (const uint8_t[]){ 0x80, 0x10, 0, 0, 0, 0x01, 0x2C }, 7);
	for (int i = 0; i < 300; i++)
		apdu[7 + i] = (uint8_t)(255 - i);
	apdu[307] = apdu[308] = 0;
	send_msg(c, 0x6F, 0, 2, 0, 0x01, 0x00, apdu, 261);	/* begins */
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 2, 0x00, 0x00, 0x10);
	send_msg(c, 0x6F, 0, 3, 0, 0x02, 0x00, apdu + 261, 48); /* ends */
	assert_int_equal(expect_datablock(c, 3, 0x01, resp), 261);
	send_msg(c, 0x6F, 0, 4, 0, 0x10, 0x00, NULL, 0);
	assert_int_equal(expect_datablock(c, 4, 0x02, resp + 261), 41);
	assert_memory_equal(resp, apdu + 7, 300);
	assert_int_equal(resp[300], 0x90);
	assert_int_equal(resp[301], 0x00);
	expect_none(c);
	/* nothing left: wLevelParameter 0x10 is wrong now */
	send_msg(c, 0x6F, 0, 5, 0, 0x10, 0x00, NULL, 0);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 5, 0x40, 0x08, 0);
	/* continuation without a beginning, and an undefined value */
	send_msg(c, 0x6F, 0, 6, 0, 0x03, 0x00, apdu, 10);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 6, 0x40, 0x08, 0);
	send_msg(c, 0x6F, 0, 7, 0, 0x02, 0x00, apdu, 10);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 7, 0x40, 0x08, 0);
	send_msg(c, 0x6F, 0, 8, 0, 0x05, 0x00, apdu, 10);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 8, 0x40, 0x08, 0);
	/* three command chunks: 1, 3, 2 */
	send_msg(c, 0x6F, 0, 9, 0, 0x01, 0x00, apdu, 100);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 9, 0x00, 0x00, 0x10);
	send_msg(c, 0x6F, 0, 10, 0, 0x03, 0x00, apdu + 100, 100);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 10, 0x00, 0x00, 0x10);
	send_msg(c, 0x6F, 0, 11, 0, 0x02, 0x00, apdu + 200, 109);
	assert_int_equal(expect_datablock(c, 11, 0x01, resp), 261);
	vr_ccid_free(&c);
}

/* PATTERN of 600 bytes: 602 = 261 (01) + 261 (03) + 80 (02). */
static void test_extended_response_three_parts(void **state)
{
	struct vr_ccid *c = make(1, VR_LEVEL_EXTENDED, 271, 0, "test");
	uint8_t resp[700];

	(void)state;
	power_on(c, 1);
	send_msg(c, 0x6F, 0, 2, 0, 0, 0, (const uint8_t[]){ 0x80, 0x12, 0x02,
		 0x58 }, 4);
	assert_int_equal(expect_datablock(c, 2, 0x01, resp), 261);
	send_msg(c, 0x6F, 0, 3, 0, 0x10, 0, NULL, 0);
	assert_int_equal(expect_datablock(c, 3, 0x03, resp + 261), 261);
	send_msg(c, 0x6F, 0, 4, 0, 0x10, 0, NULL, 0);
	assert_int_equal(expect_datablock(c, 4, 0x02, resp + 522), 80);
	for (int i = 0; i < 600; i++)
		assert_int_equal(resp[i], (uint8_t)i);
	assert_int_equal(resp[600], 0x90);
	/* a whole response that fits: bChainParameter 0 */
	send_msg(c, 0x6F, 0, 5, 0, 0, 0, (const uint8_t[]){ 0x80, 0x12, 0x01,
		 0x03 }, 4);
	assert_int_equal(expect_datablock(c, 5, 0x00, resp), 261);
	/* a new command drops an unread response */
	send_msg(c, 0x6F, 0, 6, 0, 0, 0, (const uint8_t[]){ 0x80, 0x12, 0x02,
		 0x00 }, 4);
	assert_int_equal(expect_datablock(c, 6, 0x01, resp), 261);
	send_msg(c, 0x6F, 0, 7, 0, 0, 0, (const uint8_t[]){ 0x80, 0x16, 0, 0 }, 4);
	EXPECT(c, 0x80, 2, 0, 0, 0, 0, 7, 0x00, 0, 0, 0x90, 0x00);
	send_msg(c, 0x6F, 0, 8, 0, 0x10, 0, NULL, 0);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 8, 0x40, 0x08, 0);
	/* Abort ends chaining too */
	send_msg(c, 0x6F, 0, 9, 0, 0x01, 0, (const uint8_t[]){ 0x80 }, 1);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 9, 0x00, 0x00, 0x10);
	send_msg(c, 0x72, 0, 10, 0, 0, 0, NULL, 0);
	EXPECT(c, 0x81, 0, 0, 0, 0, 0, 10, 0x00, 0, 0);
	send_msg(c, 0x6F, 0, 11, 0, 0x02, 0, (const uint8_t[]){ 0x16 }, 1);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 11, 0x40, 0x08, 0);
	vr_ccid_free(&c);
}

static void test_time_extension(void **state)
{
	struct vr_ccid *c = make(1, VR_LEVEL_EXTENDED, 271, 2, "test");

	(void)state;
	power_on(c, 1);
	send_msg(c, 0x6F, 0, 2, 0, 0, 0, (const uint8_t[]){ 0x80, 0x16, 0, 0 }, 4);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 2, 0x80, 0x01, 0);
	EXPECT(c, 0x80, 0, 0, 0, 0, 0, 2, 0x80, 0x01, 0);
	EXPECT(c, 0x80, 2, 0, 0, 0, 0, 2, 0x00, 0, 0, 0x90, 0x00);
	expect_none(c);
	/* no time extension for other commands */
	send_msg(c, 0x65, 0, 3, 0, 0, 0, NULL, 0);
	EXPECT(c, 0x81, 0, 0, 0, 0, 0, 3, 0x00, 0, 0);
	vr_ccid_free(&c);
}

static void test_parameters(void **state)
{
	struct vr_ccid *c = make(1, VR_LEVEL_EXTENDED, 271, 0, "test");

	(void)state;
	send_msg(c, 0x6C, 0, 1, 0, 0, 0, NULL, 0);
	EXPECT(c, 0x82, 7, 0, 0, 0, 0, 1, 0x01, 0, 0x01,
	       0x11, 0x10, 0x00, 0x45, 0x00, 0xFE, 0x00);
	send_msg(c, 0x61, 0, 2, 1, 0, 0, (const uint8_t[]){ 0x11, 0x11, 0x00,
		 0x47, 0x00, 0x80, 0x00 }, 7);
	EXPECT(c, 0x82, 7, 0, 0, 0, 0, 2, 0x01, 0, 0x01,
	       0x11, 0x11, 0x00, 0x47, 0x00, 0x80, 0x00);
	send_msg(c, 0x6C, 0, 3, 0, 0, 0, NULL, 0);
	EXPECT(c, 0x82, 7, 0, 0, 0, 0, 3, 0x01, 0, 0x01,
	       0x11, 0x11, 0x00, 0x47, 0x00, 0x80, 0x00);
	/* T=0 is not offered by this card */
	send_msg(c, 0x61, 0, 4, 0, 0, 0, (const uint8_t[]){ 0x11, 0, 0, 0x0A,
		 0 }, 5);
	EXPECT(c, 0x82, 0, 0, 0, 0, 0, 4, 0x41, 0x07, 0);
	/* T=1 structure of the wrong size */
	send_msg(c, 0x61, 0, 5, 1, 0, 0, (const uint8_t[]){ 0x11, 0x10 }, 2);
	EXPECT(c, 0x82, 0, 0, 0, 0, 0, 5, 0x41, 0x01, 0);
	send_msg(c, 0x6D, 0, 6, 0, 0, 0, NULL, 0);
	EXPECT(c, 0x82, 7, 0, 0, 0, 0, 6, 0x01, 0, 0x01,
	       0x11, 0x10, 0x00, 0x45, 0x00, 0xFE, 0x00);
	vr_ccid_free(&c);

	c = make(1, VR_LEVEL_SHORT, 271, 0, "test-t0");
	send_msg(c, 0x62, 0, 7, 0, 0, 0, NULL, 0);
	EXPECT(c, 0x80, 10, 0, 0, 0, 0, 7, 0x00, 0, 0, 0x3B, 0x08, 0x63, 0x63,
	       0x69, 0x64, 0x6B, 0x69, 0x74, 0x30);
	send_msg(c, 0x6C, 0, 8, 0, 0, 0, NULL, 0);
	EXPECT(c, 0x82, 5, 0, 0, 0, 0, 8, 0x00, 0, 0x00,
	       0x11, 0x00, 0x00, 0x0A, 0x00);
	send_msg(c, 0x61, 0, 9, 0, 0, 0, (const uint8_t[]){ 0x13, 0x00, 0x02,
		 0x0B, 0x00 }, 5);
	EXPECT(c, 0x82, 5, 0, 0, 0, 0, 9, 0x00, 0, 0x00,
	       0x13, 0x00, 0x02, 0x0B, 0x00);
	send_msg(c, 0x61, 0, 10, 1, 0, 0, (const uint8_t[]){ 0x11, 0x10, 0,
		 0x45, 0, 0xFE, 0 }, 7);
	EXPECT(c, 0x82, 0, 0, 0, 0, 0, 10, 0x40, 0x07, 0);
	/* a new power-on restores the ATR's defaults */
	send_msg(c, 0x62, 0, 11, 0, 0, 0, NULL, 0);
	assert_int_equal(vr_ccid_bulk_in_pending(c), 20);
	vr_ccid_bulk_in(c, (uint8_t[20]){ 0 }, 20);
	send_msg(c, 0x6C, 0, 12, 0, 0, 0, NULL, 0);
	EXPECT(c, 0x82, 5, 0, 0, 0, 0, 12, 0x00, 0, 0x00,
	       0x11, 0x00, 0x00, 0x0A, 0x00);
	vr_ccid_free(&c);
}

static void test_clock(void **state)
{
	struct vr_ccid *c = make(1, VR_LEVEL_EXTENDED, 271, 0, "test");

	(void)state;
	power_on(c, 1);
	send_msg(c, 0x6E, 0, 2, 1, 0, 0, NULL, 0);		/* stop */
	EXPECT(c, 0x81, 0, 0, 0, 0, 0, 2, 0x00, 0, 0x01);
	send_msg(c, 0x6E, 0, 3, 0, 0, 0, NULL, 0);		/* restart */
	EXPECT(c, 0x81, 0, 0, 0, 0, 0, 3, 0x00, 0, 0x00);
	send_msg(c, 0x6E, 0, 4, 2, 0, 0, NULL, 0);
	EXPECT(c, 0x81, 0, 0, 0, 0, 0, 4, 0x40, 0x07, 0);
	vr_ccid_free(&c);
}

static void expect_notify(struct vr_ccid *c, const uint8_t *want, size_t len)
{
	uint8_t got[8];

	assert_int_equal(vr_ccid_interrupt(c, got, sizeof(got)), len);
	assert_memory_equal(got, want, len);
}

#define NOTIFY(c, ...) do { static const uint8_t w_[] = { __VA_ARGS__ }; \
	expect_notify(c, w_, sizeof(w_)); } while (0)

static void test_notify_one_slot(void **state)
{
	struct vr_ccid *c = make(1, VR_LEVEL_EXTENDED, 271, 0, NULL);
	uint8_t b[8];

	(void)state;
	assert_int_equal(vr_ccid_notify_len(c), 2);
	assert_int_equal(vr_ccid_interrupt(c, b, sizeof(b)), 0);
	assert_int_equal(vr_ccid_interrupt_initial(c, b, sizeof(b)), 2);
	assert_memory_equal(b, ((const uint8_t[]){ 0x50, 0x00 }), 2);
	assert_int_equal(vr_ccid_insert(c, 0, NULL), 0);
	NOTIFY(c, 0x50, 0x03);
	assert_int_equal(vr_ccid_insert(c, 0, NULL), -EALREADY);
	assert_int_equal(vr_ccid_interrupt(c, b, sizeof(b)), 0);
	assert_int_equal(vr_ccid_remove(c, 0), 0);
	NOTIFY(c, 0x50, 0x02);
	assert_int_equal(vr_ccid_remove(c, 0), -EALREADY);
	assert_int_equal(vr_ccid_remove(c, 1), -EINVAL);
	assert_int_equal(vr_ccid_insert(c, 1, NULL), -EINVAL);
	/* two changes queue two messages; the initial one replaces them */
	vr_ccid_insert(c, 0, NULL);
	vr_ccid_remove(c, 0);
	vr_ccid_insert(c, 0, vr_card_find("test-t0"));
	assert_int_equal(vr_ccid_interrupt_initial(c, b, 1), 0); /* too small */
	assert_int_equal(vr_ccid_interrupt(c, b, sizeof(b)), 0);
	assert_int_equal(vr_ccid_interrupt_initial(c, b, sizeof(b)), 2);
	assert_memory_equal(b, ((const uint8_t[]){ 0x50, 0x03 }), 2);
	/* the inserted card is the one asked for */
	send_msg(c, 0x62, 0, 1, 0, 0, 0, NULL, 0);
	assert_int_equal(vr_ccid_bulk_in_pending(c), 20);
	vr_ccid_reset(c);
	assert_int_equal(vr_ccid_interrupt(c, b, sizeof(b)), 0);
	vr_ccid_free(&c);
}

static void test_notify_three_slots(void **state)
{
	struct vr_ccid *c = make(3, VR_LEVEL_EXTENDED, 271, 0, "test");
	uint8_t b[8];

	(void)state;
	assert_int_equal(vr_ccid_notify_len(c), 2);
	assert_int_equal(vr_ccid_interrupt_initial(c, b, sizeof(b)), 2);
	assert_memory_equal(b, ((const uint8_t[]){ 0x50, 0x3F }), 2);
	assert_int_equal(vr_ccid_remove(c, 1), 0);
	NOTIFY(c, 0x50, 0x19);		/* 01 | 10 << 2 | 01 << 4 */
	assert_int_equal(vr_ccid_remove(c, 2), 0);
	NOTIFY(c, 0x50, 0x21);		/* 01 | 00 << 2 | 10 << 4 */
	assert_int_equal(vr_ccid_insert(c, 1, NULL), 0);
	NOTIFY(c, 0x50, 0x0D);		/* 01 | 11 << 2 */
	assert_int_equal(vr_ccid_interrupt_initial(c, b, sizeof(b)), 2);
	assert_memory_equal(b, ((const uint8_t[]){ 0x50, 0x0F }), 2);
	/* slot 2 is empty: its status says so, slot 1 works */
	send_msg(c, 0x65, 2, 1, 0, 0, 0, NULL, 0);
	EXPECT(c, 0x81, 0, 0, 0, 0, 2, 1, 0x02, 0, 0);
	send_msg(c, 0x62, 1, 2, 0, 0, 0, NULL, 0);
	assert_int_equal(vr_ccid_bulk_in_pending(c), 25);
	vr_ccid_free(&c);

	/* 8 slots: two bytes of bmSlotICCState */
	c = make(8, VR_LEVEL_EXTENDED, 271, 0, NULL);
	assert_int_equal(vr_ccid_notify_len(c), 3);
	assert_int_equal(vr_ccid_insert(c, 7, NULL), 0);
	NOTIFY(c, 0x50, 0x00, 0xC0);
	assert_int_equal(vr_ccid_insert(c, 4, NULL), 0);
	NOTIFY(c, 0x50, 0x00, 0x43);
	vr_ccid_free(&c);
}

static void test_class_descriptor(void **state)
{
	static const uint8_t want[54] = {
		0x36, 0x21, 0x10, 0x01, 0x02, 0x07, 0x03, 0, 0, 0,
		0xA0, 0x0F, 0, 0, 0xA0, 0x0F, 0, 0, 0x01,
		0x00, 0x2A, 0, 0, 0x16, 0x40, 0x05, 0x00, 0x02,
		0xFE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xBA, 0x00, 0x04, 0x00,			/* dwFeatures */
		0x0F, 0x01, 0x00, 0x00,			/* 271 */
		0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01,
	};
	struct vr_ccid *c = make(3, VR_LEVEL_EXTENDED, 271, 0, "test");
	struct vr_ccid_config cfg = *vr_ccid_config(c);
	uint8_t d[54];

	(void)state;
	vr_ccid_class_descriptor(c, d);
	assert_memory_equal(d, want, 54);
	vr_ccid_free(&c);
	cfg.nslots = 1;
	cfg.level = VR_LEVEL_SHORT;
	cfg.auto_voltage = false;
	cfg.dwMaxCCIDMessageLength = 65554;
	c = vr_ccid_new(&cfg, NULL);
	assert_non_null(c);
	vr_ccid_class_descriptor(c, d);
	assert_int_equal(d[4], 0);
	assert_memory_equal(d + 40, ((const uint8_t[]){ 0xB2, 0, 0x02, 0,
			    0x12, 0x00, 0x01, 0x00 }), 8);
	vr_ccid_free(&c);
	c = make(1, VR_LEVEL_TPDU, 64, 0, "test");
	vr_ccid_class_descriptor(c, d);
	assert_memory_equal(d + 40, ((const uint8_t[]){ 0xBA, 0, 0x01, 0,
			    64, 0, 0, 0 }), 8);
	vr_ccid_free(&c);
}

static void test_bad_config(void **state)
{
	struct vr_ccid_config cfg = {
		.nslots = 1, .level = VR_LEVEL_SHORT,
		.dwMaxCCIDMessageLength = 271, .card_class = 1,
	};
	struct vr_ccid *c;
	int err = 0;

	(void)state;
	c = vr_ccid_new(&cfg, &err);
	assert_non_null(c);
	vr_ccid_free(&c);
	cfg.dwMaxCCIDMessageLength = 270;		/* APDU level needs 271 */
	assert_null(vr_ccid_new(&cfg, &err));
	assert_int_equal(err, -EINVAL);
	cfg.level = VR_LEVEL_TPDU;
	c = vr_ccid_new(&cfg, &err);
	assert_non_null(c);
	vr_ccid_free(&c);
	cfg.dwMaxCCIDMessageLength = 63;
	err = 0;
	assert_null(vr_ccid_new(&cfg, &err));
	assert_int_equal(err, -EINVAL);
	cfg.dwMaxCCIDMessageLength = 65555;
	assert_null(vr_ccid_new(&cfg, &err));
	cfg.dwMaxCCIDMessageLength = 271;
	cfg.nslots = 0;
	assert_null(vr_ccid_new(&cfg, &err));
	cfg.nslots = 9;
	assert_null(vr_ccid_new(&cfg, &err));
	cfg.nslots = 1;
	cfg.card_class = 4;
	assert_null(vr_ccid_new(&cfg, &err));
	cfg.card_class = 1;
	cfg.level = (enum vr_level)0x00080000;
	assert_null(vr_ccid_new(&cfg, &err));
	assert_null(vr_ccid_new(NULL, &err));
}

static void test_class_requests(void **state)
{
	struct vr_ccid *c = make(2, VR_LEVEL_EXTENDED, 271, 0, "test");
	uint8_t out[16];
	size_t n = 99;

	(void)state;
	assert_int_equal(vr_ccid_control(c, 0x02, 0, out, sizeof(out), &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(out, ((const uint8_t[]){ 0xA0, 0x0F, 0, 0 }), 4);
	assert_int_equal(vr_ccid_control(c, 0x03, 0, out, sizeof(out), &n), 0);
	assert_int_equal(n, 8);
	assert_memory_equal(out, ((const uint8_t[]){ 0x00, 0x2A, 0, 0, 0x16,
			    0x40, 0x05, 0x00 }), 8);
	assert_int_equal(vr_ccid_control(c, 0x03, 0, out, 5, &n), 0);
	assert_int_equal(n, 4);				/* wLength 5 */
	assert_int_equal(vr_ccid_control(c, 0x01, 0x0701, out, 0, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(vr_ccid_control(c, 0x01, 0x0702, out, 0, &n), -EINVAL);
	assert_int_equal(vr_ccid_control(c, 0x04, 0, out, sizeof(out), &n),
			 -EINVAL);
	vr_ccid_free(&c);
}

static void test_usb_descriptors(void **state)
{
	struct vr_usb_config ucfg = {
		.idVendor = 0x1209, .idProduct = 0x0001, .bcdDevice = 0x0100,
		.manufacturer = "ccidkit", .product = "Virtual Reader",
		.interrupt_ep = true,
	};
	static const uint8_t dev[18] = {
		18, 1, 0x10, 0x01, 0, 0, 0, 64, 0x09, 0x12, 0x01, 0x00,
		0x00, 0x01, 1, 2, 0, 1,
	};
	struct vr_ccid *c = make(1, VR_LEVEL_EXTENDED, 271, 0, "test");
	uint8_t d[128], cls[54];

	(void)state;
	assert_int_equal(vr_usb_device_descriptor(&ucfg, d, sizeof(d)), 18);
	assert_memory_equal(d, dev, 18);
	assert_int_equal(vr_usb_config_descriptor(&ucfg, c, d, sizeof(d)), 93);
	assert_memory_equal(d, ((const uint8_t[]){ 9, 2, 93, 0, 1, 1, 0, 0x80,
			    50, 9, 4, 0, 0, 3, 0x0B, 0, 0, 0 }), 18);
	vr_ccid_class_descriptor(c, cls);
	assert_memory_equal(d + 18, cls, 54);
	assert_memory_equal(d + 72, ((const uint8_t[]){
		7, 5, 0x01, 2, 64, 0, 0,
		7, 5, 0x82, 2, 64, 0, 0,
		7, 5, 0x83, 3, 64, 0, 16 }), 21);
	/* wLength 9: only the configuration descriptor itself */
	memset(d, 0xEE, sizeof(d));
	assert_int_equal(vr_usb_config_descriptor(&ucfg, c, d, 9), 93);
	assert_int_equal(d[9], 0xEE);
	ucfg.interrupt_ep = false;
	ucfg.serial = "S1";
	ucfg.interface_name = "CCID";
	assert_int_equal(vr_usb_config_descriptor(&ucfg, c, d, sizeof(d)), 86);
	assert_int_equal(d[2], 86);
	assert_int_equal(d[13], 2);
	assert_int_equal(d[17], 4);			/* iInterface */
	vr_usb_device_descriptor(&ucfg, d, sizeof(d));
	assert_int_equal(d[16], 3);			/* iSerialNumber */
	assert_int_equal(vr_usb_string_descriptor(&ucfg, 0, d, sizeof(d)), 4);
	assert_memory_equal(d, ((const uint8_t[]){ 4, 3, 0x09, 0x04 }), 4);
	assert_int_equal(vr_usb_string_descriptor(&ucfg, 1, d, sizeof(d)), 16);
	assert_memory_equal(d, ((const uint8_t[]){ 16, 3, 'c', 0, 'c', 0, 'i',
			    0, 'd', 0, 'k', 0, 'i', 0, 't', 0 }), 16);
	assert_int_equal(vr_usb_string_descriptor(&ucfg, 3, d, sizeof(d)), 6);
	assert_memory_equal(d, ((const uint8_t[]){ 6, 3, 'S', 0, '1', 0 }), 6);
	assert_int_equal(vr_usb_string_descriptor(&ucfg, 4, d, sizeof(d)), 10);
	assert_int_equal(vr_usb_string_descriptor(&ucfg, 5, d, sizeof(d)), 0);
	ucfg.serial = NULL;
	assert_int_equal(vr_usb_string_descriptor(&ucfg, 3, d, sizeof(d)), 0);
	/* UTF-8 "é" becomes U+00E9 */
	ucfg.product = "\xC3\xA9";
	assert_int_equal(vr_usb_string_descriptor(&ucfg, 2, d, sizeof(d)), 4);
	assert_memory_equal(d, ((const uint8_t[]){ 4, 3, 0xE9, 0x00 }), 4);
	vr_ccid_free(&c);
}

/* ---- issue 6: reader models ---- */

static struct vr_ccid *make_model(enum vr_reader reader, const char *card,
				  const struct vr_pinpad_user *user)
{
	struct vr_ccid_config cfg = { .reader = reader, .level = VR_LEVEL_SHORT };

	if (user)
		cfg.user = *user;
	return make_cfg(&cfg, card);
}

/* The answer to one message: a DataBlock (or Escape) with data + status. */
static void expect_reply(struct vr_ccid *c, uint8_t type, uint8_t seq,
			 uint8_t status, uint8_t error, const uint8_t *data,
			 size_t len)
{
	uint8_t want[64] = { type, (uint8_t)len, 0, 0, 0, 0, seq, status, error, 0 };

	assert_true(len <= sizeof(want) - 10);
	if (len)
		memcpy(want + 10, data, len);
	expect(c, want, 10 + len);
}

#define REPLY(c, type, seq, st, err, ...) do { \
	static const uint8_t d_[] = { 0, __VA_ARGS__ }; \
	expect_reply(c, type, seq, st, err, d_ + 1, sizeof(d_) - 1); } while (0)

static void xfr(struct vr_ccid *c, uint8_t seq, const uint8_t *apdu, size_t n)
{
	send_msg(c, 0x6F, 0, seq, 0, 0, 0, apdu, n);
}

#define XFR(c, seq, ...) do { static const uint8_t a_[] = { __VA_ARGS__ }; \
	xfr(c, seq, a_, sizeof(a_)); } while (0)

static void test_contactless(void **state)
{
	struct vr_ccid_config cfg = { .reader = VR_READER_CONTACTLESS,
				      .level = VR_LEVEL_EXTENDED };
	struct vr_ccid *c = make_cfg(&cfg, "mifare-classic-1k");

	(void)state;
	send_msg(c, 0x62, 0, 1, 0, 0, 0, NULL, 0);
	REPLY(c, 0x80, 1, 0x00, 0x00, 0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C,
	      0xA0, 0x00, 0x00, 0x03, 0x06, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00,
	      0x00, 0x6A);
	XFR(c, 2, 0xFF, 0xCA, 0x00, 0x00, 0x00);
	REPLY(c, 0x80, 2, 0x00, 0x00, 0x12, 0x34, 0x56, 0x78, 0x90, 0x00);
	XFR(c, 3, 0xFF, 0x82, 0x00, 0x00, 0x06, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF);
	REPLY(c, 0x80, 3, 0x00, 0x00, 0x90, 0x00);
	XFR(c, 4, 0xFF, 0x86, 0x00, 0x00, 0x05, 0x01, 0x00, 0x01, 0x60, 0x00);
	REPLY(c, 0x80, 4, 0x00, 0x00, 0x90, 0x00);
	XFR(c, 5, 0xFF, 0xB0, 0x00, 0x02, 0x10);
	REPLY(c, 0x80, 5, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	      0, 0, 0x90, 0x00);
	/* the Part 3 ATR offers T=0 and T=1: the firmware takes either */
	send_msg(c, 0x61, 0, 20, 0, 0, 0, (const uint8_t[]){ 0x11, 0x00, 0x00,
		 0x0A, 0x00 }, 5);
	EXPECT(c, 0x82, 5, 0, 0, 0, 0, 20, 0x00, 0x00, 0x00, 0x11, 0x00, 0x00,
	       0x0A, 0x00);
	send_msg(c, 0x61, 0, 21, 0, 0, 0, (const uint8_t[]){ 0x11, 0x00, 0x00,
		 0x0A, 0x00 }, 5);
	EXPECT(c, 0x82, 5, 0, 0, 0, 0, 21, 0x00, 0x00, 0x00, 0x11, 0x00, 0x00,
	       0x0A, 0x00);
	send_msg(c, 0x61, 0, 22, 1, 0, 0, (const uint8_t[]){ 0x11, 0x10, 0x00,
		 0x45, 0x00, 0xFE, 0x00 }, 7);
	EXPECT(c, 0x82, 7, 0, 0, 0, 0, 22, 0x00, 0x00, 0x01, 0x11, 0x10, 0x00,
	       0x45, 0x00, 0xFE, 0x00);
	send_msg(c, 0x61, 0, 23, 2, 0, 0, (const uint8_t[]){ 0x11, 0x00, 0x00,
		 0x0A, 0x00 }, 5);
	EXPECT(c, 0x82, 0, 0, 0, 0, 0, 23, 0x40, 0x07, 0x00);
	/* a storage card takes no ISO APDU */
	XFR(c, 6, 0x80, 0x16, 0x00, 0x00);
	REPLY(c, 0x80, 6, 0x00, 0x00, 0x6E, 0x00);
	/* a new PowerOn drops the authentication */
	send_msg(c, 0x62, 0, 7, 0, 0, 0, NULL, 0);
	assert_int_equal(vr_ccid_bulk_in_pending(c), 30);
	vr_ccid_bulk_in(c, (uint8_t[30]){ 0 }, 30);
	XFR(c, 8, 0xFF, 0xB0, 0x00, 0x02, 0x10);
	REPLY(c, 0x80, 8, 0x00, 0x00, 0x69, 0x82);
	/* removing and tapping again (the insert card), other cards */
	assert_int_equal(vr_ccid_remove(c, 0), 0);
	assert_int_equal(vr_ccid_insert(c, 0, vr_card_find("test")), -EINVAL);
	assert_int_equal(vr_ccid_insert(c, 0, vr_card_find("iso14443-4")), 0);
	send_msg(c, 0x62, 0, 9, 0, 0, 0, NULL, 0);
	REPLY(c, 0x80, 9, 0x00, 0x00, 0x3B, 0x88, 0x80, 0x01, 'c', 'c', 'i',
	      'd', 'k', 'i', 't', '4', 0x46);
	XFR(c, 10, 0x80, 0x10, 0x00, 0x00, 0x01, 0x5A);
	REPLY(c, 0x80, 10, 0x00, 0x00, 0x5A, 0x90, 0x00);
	XFR(c, 11, 0xFF, 0xCA, 0x01, 0x00, 0x00);
	REPLY(c, 0x80, 11, 0x00, 0x00, 'c', 'c', 'i', 'd', 'k', 'i', 't', '4',
	      0x90, 0x00);
	assert_int_equal(vr_ccid_remove(c, 0), 0);
	assert_int_equal(vr_ccid_insert(c, 0, NULL), 0);	/* Classic 1K */
	send_msg(c, 0x62, 0, 12, 0, 0, 0, NULL, 0);
	assert_int_equal(vr_ccid_bulk_in_pending(c), 30);
	vr_ccid_free(&c);
	/* --uid and a 4K card */
	memset(&cfg, 0, sizeof(cfg));
	cfg.reader = VR_READER_CONTACTLESS;
	cfg.level = VR_LEVEL_SHORT;
	memcpy(cfg.uid, (const uint8_t[]){ 0xA1, 0xB2, 0xC3, 0xD4 }, 4);
	cfg.uid_len = 4;
	c = make_cfg(&cfg, "mifare-classic-4k");
	send_msg(c, 0x62, 0, 1, 0, 0, 0, NULL, 0);
	REPLY(c, 0x80, 1, 0x00, 0x00, 0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C,
	      0xA0, 0x00, 0x00, 0x03, 0x06, 0x03, 0x00, 0x02, 0x00, 0x00, 0x00,
	      0x00, 0x69);
	XFR(c, 2, 0xFF, 0xCA, 0x00, 0x00, 0x00);
	REPLY(c, 0x80, 2, 0x00, 0x00, 0xA1, 0xB2, 0xC3, 0xD4, 0x90, 0x00);
	vr_ccid_free(&c);
}

static void test_model_config(void **state)
{
	struct vr_ccid_config cfg = { .nslots = 1, .card_class = 1,
				      .dwMaxCCIDMessageLength = 271,
				      .reader = VR_READER_CONTACTLESS,
				      .level = VR_LEVEL_TPDU };

	(void)state;
	cfg.start_card = vr_card_find("mifare-ultralight");
	assert_null(vr_ccid_new(&cfg, NULL));		/* TPDU level */
	cfg.level = VR_LEVEL_SHORT;
	cfg.uid_len = 4;				/* Ultralight: 7 */
	assert_null(vr_ccid_new(&cfg, NULL));
	cfg.uid_len = 0;
	cfg.start_card = vr_card_find("test");		/* contact card */
	assert_null(vr_ccid_new(&cfg, NULL));
	cfg.reader = VR_READER_CONTACT;
	cfg.start_card = vr_card_find("mifare-classic-1k");
	assert_null(vr_ccid_new(&cfg, NULL));
	cfg.reader = VR_READER_PINPAD;
	cfg.start_card = vr_card_find("test");
	cfg.level = VR_LEVEL_CHARACTER;
	assert_null(vr_ccid_new(&cfg, NULL));
	cfg.reader = (enum vr_reader)3;
	cfg.level = VR_LEVEL_SHORT;
	assert_null(vr_ccid_new(&cfg, NULL));
}

/* bPINSupport 03 and wLcdLayout on the PIN pad only. */
static void test_pinpad_descriptor(void **state)
{
	struct vr_ccid *c = make_model(VR_READER_PINPAD, "test", NULL);
	struct vr_ccid_config cfg;
	uint8_t d[54];

	(void)state;
	vr_ccid_class_descriptor(c, d);
	assert_memory_equal(d + 50, ((const uint8_t[]){ 0x10, 0x02, 0x03, 0x01 }), 4);
	cfg = *vr_ccid_config(c);
	vr_ccid_free(&c);
	cfg.wLcdLayout = 0x0414;
	c = vr_ccid_new(&cfg, NULL);
	assert_non_null(c);
	vr_ccid_class_descriptor(c, d);
	assert_memory_equal(d + 50, ((const uint8_t[]){ 0x14, 0x04, 0x03, 0x01 }), 4);
	vr_ccid_free(&c);
	c = make_model(VR_READER_CONTACTLESS, "mifare-ultralight", NULL);
	vr_ccid_class_descriptor(c, d);
	assert_memory_equal(d + 50, ((const uint8_t[]){ 0, 0, 0, 0x01 }), 4);
	vr_ccid_free(&c);
}

/* PC_to_RDR_Secure verify: header, bPINOperation 00, then the structure of
 * vr_pinpad.h with wPINMaxExtraDigit max 8, min 4, and the template. */
static void secure_verify(struct vr_ccid *c, uint8_t seq, uint8_t fmt,
			  uint8_t block, uint8_t lenfmt, const uint8_t *tpl,
			  size_t tlen)
{
	uint8_t m[64] = { 0x00, 0x00, fmt, block, lenfmt, 0x08, 0x04, 0x02,
			  0x01, 0x09, 0x04, 0x00, 0x00, 0x00, 0x00 };

	memcpy(m + 15, tpl, tlen);
	send_msg(c, 0x69, 0, seq, 0, 0, 0, m, 15 + tlen);
}

struct fmt_case {
	const char *name;
	uint8_t fmt, block, lenfmt;
	uint8_t tpl[13];
	size_t tlen;
};

/* ASCII left-justified, ISO 9564 format 2 (BCD at byte 1, length nibble
 * at bit 4), binary; each with the right PIN, a wrong one, Cancel and a
 * time-out. */
static const struct fmt_case fmt_cases[] = {
	{ "ascii", 0x82, 0x08, 0x00, { 0x00, 0x20, 0x00, 0x81, 0x08, 0xFF,
	  0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, 13 },
	{ "bcd", 0x89, 0x47, 0x04, { 0x00, 0x20, 0x00, 0x81, 0x08, 0x20,
	  0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, 13 },
	{ "binary", 0x80, 0x06, 0x00, { 0x00, 0x20, 0x00, 0x81, 0x06, 0xFF,
	  0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, 11 },
};

static void test_secure_verify(void **state)
{
	static const struct { struct vr_pinpad_user u; uint8_t st, err;
			      uint16_t sw; } users[] = {
		{ { .pin = "1234" }, 0x00, 0x00, 0x9000 },
		{ { .pin = "9999" }, 0x00, 0x00, 0x63C2 },
		{ { .pin = NULL }, 0x40, 0xEF, 0 },
		{ { .pin = "1234", .timeout = true }, 0x40, 0xF0, 0 },
		{ { .pin = "123" }, 0x40, 0xF0, 0 },		/* under min 4 */
		{ { .pin = "123456789" }, 0x40, 0xF0, 0 },	/* over max 8 */
	};

	(void)state;
	for (size_t f = 0; f < sizeof(fmt_cases) / sizeof(fmt_cases[0]); f++) {
		for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
			struct vr_ccid *c = make_model(VR_READER_PINPAD, "test",
						       &users[i].u);
			uint8_t sw[2] = { users[i].sw >> 8, users[i].sw & 0xFF };

			print_message("%s, user %zu\n", fmt_cases[f].name, i);
			assert_int_equal(vr_card_set_pin(NULL), 0);
			power_on(c, 1);
			secure_verify(c, 2, fmt_cases[f].fmt, fmt_cases[f].block,
				      fmt_cases[f].lenfmt, fmt_cases[f].tpl,
				      fmt_cases[f].tlen);
			expect_reply(c, 0x80, 2, users[i].st, users[i].err, sw,
				     users[i].sw ? 2 : 0);
			vr_ccid_free(&c);
		}
	}
}

/* Where the PIN went: the card's verdict on variants. */
static void test_secure_layouts(void **state)
{
	struct vr_pinpad_user u = { .pin = "1234" };
	/* right-justified ASCII in an 8-byte block: FF FF FF FF 31 32 33 34 is
	 * no PIN for the card (padding first): 63 C2 */
	static const uint8_t tpl8[] = { 0x00, 0x20, 0x00, 0x81, 0x08, 0xFF,
		0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
	/* bit units: ASCII at bit 0 = byte 0; a one-byte length field at
	 * byte 0 with the PIN at byte 1 makes 04 31 32 33 34: no PIN */
	struct vr_ccid *c = make_model(VR_READER_PINPAD, "test", &u);

	(void)state;
	assert_int_equal(vr_card_set_pin(NULL), 0);
	power_on(c, 1);
	secure_verify(c, 2, 0x86, 0x08, 0x00, tpl8, sizeof(tpl8));
	REPLY(c, 0x80, 2, 0x00, 0x00, 0x63, 0xC2);
	secure_verify(c, 3, 0x02, 0x08, 0x00, tpl8, sizeof(tpl8));
	REPLY(c, 0x80, 3, 0x00, 0x00, 0x90, 0x00);
	secure_verify(c, 4, 0x8A, 0x88, 0x10, tpl8, sizeof(tpl8));
	REPLY(c, 0x80, 4, 0x00, 0x00, 0x63, 0xC2);
	/* the PIN does not fit the data field: bError 13 (bmPINLengthFormat's
	 * neighbour bmPINBlockString, offset 3 of the structure + 10) */
	secure_verify(c, 5, 0xBA, 0x08, 0x00, tpl8, sizeof(tpl8));
	REPLY(c, 0x80, 5, 0x40, 13);
	/* format 3 does not exist: bmFormatString, offset 12 */
	secure_verify(c, 6, 0x83, 0x08, 0x00, tpl8, sizeof(tpl8));
	REPLY(c, 0x80, 6, 0x40, 12);
	/* a template whose Lc disagrees: abData, offset 25 */
	secure_verify(c, 7, 0x82, 0x08, 0x00, tpl8, sizeof(tpl8) - 1);
	REPLY(c, 0x80, 7, 0x40, 25);
	/* unknown bPINOperation: offset 10 */
	send_msg(c, 0x69, 0, 8, 0, 0, 0, (const uint8_t[]){ 0x04 }, 1);
	REPLY(c, 0x80, 8, 0x40, 10);
	/* chained Secure (wLevelParameter) is not taken */
	send_msg(c, 0x69, 0, 9, 0, 1, 0, (const uint8_t[]){ 0x00 }, 1);
	REPLY(c, 0x80, 9, 0x40, 0x08);
	/* a powered-off card */
	send_msg(c, 0x63, 0, 10, 0, 0, 0, NULL, 0);
	REPLY(c, 0x81, 10, 0x01, 0x00);
	secure_verify(c, 11, 0x82, 0x08, 0x00, tpl8, sizeof(tpl8));
	REPLY(c, 0x80, 11, 0x41, 0xFE);
	vr_ccid_free(&c);
	assert_int_equal(vr_card_set_pin(NULL), 0);
	/* no PIN pad: command not supported */
	c = make(1, VR_LEVEL_SHORT, 271, 0, "test");
	power_on(c, 1);
	secure_verify(c, 2, 0x82, 0x08, 0x00, tpl8, sizeof(tpl8));
	REPLY(c, 0x80, 2, 0x40, 0x00);
	vr_ccid_free(&c);
}

/* PIN modify: bInsertionOffsetOld 0, New 8, bConfirmPIN 03, then k
 * bMsgIndex bytes, prologue, template 00 24 00 81 10 FF*16. */
static void secure_modify(struct vr_ccid *c, uint8_t seq, uint8_t fmt,
			  uint8_t block, uint8_t lenfmt, uint8_t off_new,
			  size_t k, uint8_t ctl)
{
	uint8_t m[64] = { 0x01, 0x00, fmt, block, lenfmt, 0x00, off_new, 0x08,
			  0x04, 0x03, 0x02, (uint8_t)k, 0x09, 0x04 };
	size_t n = 14 + k + 3;

	memcpy(m + n, (const uint8_t[]){ 0x00, 0x24, 0x00, 0x81, 0x10 }, 5);
	memset(m + n + 5, 0xFF, 16);
	if (ctl)	/* the format 2 control nibble of both blocks */
		m[n + 5] = m[n + 5 + 8] = ctl;
	send_msg(c, 0x69, 0, seq, 0, 0, 0, m, n + 21);
}

static void test_secure_modify(void **state)
{
	struct vr_pinpad_user u = { .pin = "1234", .new_pin = "56789" };
	struct vr_ccid *c = make_model(VR_READER_PINPAD, "test", &u);

	(void)state;
	assert_int_equal(vr_card_set_pin(NULL), 0);
	power_on(c, 1);
	secure_modify(c, 2, 0x82, 0x08, 0x00, 8, 3, 0);	/* ASCII */
	REPLY(c, 0x80, 2, 0x00, 0x00, 0x90, 0x00);
	XFR(c, 3, 0x00, 0x20, 0x00, 0x81, 0x05, '5', '6', '7', '8', '9');
	REPLY(c, 0x80, 3, 0x00, 0x00, 0x90, 0x00);
	/* the old PIN is now wrong: 63 C2 */
	secure_modify(c, 4, 0x82, 0x08, 0x00, 8, 1, 0);
	REPLY(c, 0x80, 4, 0x00, 0x00, 0x63, 0xC2);
	vr_ccid_free(&c);
	/* format 2 blocks (BCD), two bMsgIndex */
	assert_int_equal(vr_card_set_pin(NULL), 0);
	c = make_model(VR_READER_PINPAD, "test", &u);
	power_on(c, 1);
	secure_modify(c, 2, 0x89, 0x47, 0x04, 8, 2, 0x20);
	REPLY(c, 0x80, 2, 0x00, 0x00, 0x90, 0x00);
	XFR(c, 3, 0x00, 0x20, 0x00, 0x81, 0x08, 0x25, 0x56, 0x78, 0x9F, 0xFF,
	    0xFF, 0xFF, 0xFF);
	REPLY(c, 0x80, 3, 0x00, 0x00, 0x90, 0x00);
	/* without the control nibble (FF template) the old block is F4 12 34
	 * FF..: no format 2 and no digits: a wrong PIN */
	secure_modify(c, 4, 0x89, 0x47, 0x04, 8, 2, 0);
	REPLY(c, 0x80, 4, 0x00, 0x00, 0x63, 0xC2);
	vr_ccid_free(&c);
	/* binary digits; Cancel; time-out; bad structure */
	assert_int_equal(vr_card_set_pin(NULL), 0);
	u.new_pin = NULL;				/* "changed" to itself */
	c = make_model(VR_READER_PINPAD, "test", &u);
	power_on(c, 1);
	secure_modify(c, 2, 0x80, 0x08, 0x00, 8, 1, 0);
	REPLY(c, 0x80, 2, 0x00, 0x00, 0x90, 0x00);
	send_msg(c, 0x69, 0, 3, 0, 0, 0, (const uint8_t[]){ 0x01, 0, 0x82 }, 3);
	REPLY(c, 0x80, 3, 0x40, 24);
	vr_ccid_free(&c);
	u.pin = NULL;
	c = make_model(VR_READER_PINPAD, "test", &u);
	power_on(c, 1);
	secure_modify(c, 2, 0x82, 0x08, 0x00, 8, 3, 0);
	REPLY(c, 0x80, 2, 0x40, 0xEF);
	vr_ccid_free(&c);
	u.pin = "1234";
	u.timeout = true;
	c = make_model(VR_READER_PINPAD, "test", &u);
	power_on(c, 1);
	secure_modify(c, 2, 0x82, 0x08, 0x00, 8, 3, 0);
	REPLY(c, 0x80, 2, 0x40, 0xF0);
	vr_ccid_free(&c);
	assert_int_equal(vr_card_set_pin(NULL), 0);
}

static void test_escape(void **state)
{
	struct vr_ccid_config cfg = { .level = VR_LEVEL_SHORT, .escape = true };
	struct vr_ccid *c = make(1, VR_LEVEL_SHORT, 271, 0, "test");

	(void)state;
	send_msg(c, 0x6B, 0, 1, 0, 0, 0, (const uint8_t[]){ 0x01 }, 1);
	REPLY(c, 0x83, 1, 0x41, 0x00);
	vr_ccid_free(&c);
	c = make_cfg(&cfg, "test");
	send_msg(c, 0x6B, 0, 1, 0, 0, 0, (const uint8_t[]){ 0x01 }, 1);
	REPLY(c, 0x83, 1, 0x01, 0x00, 'c', 'c', 'i', 'd', 'k', 'i', 't', '-',
	      'v', 'r', 'e', 'a', 'd', 'e', 'r', ' ', '1');
	send_msg(c, 0x6B, 0, 2, 0, 0, 0, (const uint8_t[]){ 0x01, 0x02 }, 2);
	REPLY(c, 0x83, 2, 0x01, 0x00, 0xEC, 0x01, 0x02);
	send_msg(c, 0x6B, 0, 3, 0, 0, 0, NULL, 0);
	REPLY(c, 0x83, 3, 0x01, 0x00, 0xEC);
	/* no card needed */
	assert_int_equal(vr_ccid_remove(c, 0), 0);
	send_msg(c, 0x6B, 0, 4, 0, 0, 0, (const uint8_t[]){ 0x33 }, 1);
	REPLY(c, 0x83, 4, 0x02, 0x00, 0xEC, 0x33);
	vr_ccid_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_power),
		cmocka_unit_test(test_voltage_class),
		cmocka_unit_test(test_no_card),
		cmocka_unit_test(test_wrong_slot_and_type),
		cmocka_unit_test(test_bad_length),
		cmocka_unit_test(test_split_out_and_partial_in),
		cmocka_unit_test(test_xfr_short),
		cmocka_unit_test(test_xfr_tpdu),
		cmocka_unit_test(test_tpdu_t1_config),
		cmocka_unit_test(test_tpdu_t0),
		cmocka_unit_test(test_tpdu_pps),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_character_and_features),
		cmocka_unit_test(test_extended_chaining),
		cmocka_unit_test(test_extended_response_three_parts),
		cmocka_unit_test(test_time_extension),
		cmocka_unit_test(test_parameters),
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_notify_one_slot),
		cmocka_unit_test(test_notify_three_slots),
		cmocka_unit_test(test_class_descriptor),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_class_requests),
		cmocka_unit_test(test_usb_descriptors),
		cmocka_unit_test(test_contactless),
		cmocka_unit_test(test_model_config),
		cmocka_unit_test(test_pinpad_descriptor),
		cmocka_unit_test(test_secure_verify),
		cmocka_unit_test(test_secure_layouts),
		cmocka_unit_test(test_secure_modify),
		cmocka_unit_test(test_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
