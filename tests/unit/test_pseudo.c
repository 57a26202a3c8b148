/* ccidkit tests — ccid/pseudo_apdu.c against the scripted fake transport:
 * on a reader with Part 3 firmware every CLA FF APDU travels unchanged in
 * an XfrBlock; on a contact reader the driver answers or refuses with
 * NOTHING on the wire (the fake fails any unscripted op); APDUs of other
 * classes always reach the card unchanged. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccid/clock.h"
#include "ccid/ctls.h"
#include "ccid/err.h"
#include "ccid/pseudo_apdu.h"
#include "ccid/reader.h"
#include "ccid/slot.h"
#include "fake/fake_transport.h"

#define D5S ccid_deadline_in(5000)

/* CCID 1.1 §5.1 class descriptor (54 bytes): short APDU level, automatic
 * voltage, 271-byte messages, bMaxSlotIndex as given. */
static void make_desc(uint8_t d[54], uint8_t bMaxSlotIndex)
{
	const struct fake_desc o = {
		.bMaxSlotIndex = bMaxSlotIndex,
		.bVoltageSupport = 0x07,
		.dwFeatures = CCID_FEAT_LEVEL_SHORT_APDU | CCID_FEAT_AUTO_VOLTAGE,
		.dwMaxCCIDMessageLength = 271,
	};

	fake_desc_build(d, &o);
}

/* Slot 0 holds an unpowered card; slots 1, 2 (if any) are empty. */
static const struct fake_step probe1[] = {
	FAKE_OUT("65 00000000 00 00 000000"),
	FAKE_IN("81 00000000 00 00 01 00 00"),
};
static const struct fake_step probe3[] = {
	FAKE_OUT("65 00000000 00 00 000000"),
	FAKE_IN("81 00000000 00 00 01 00 00"),
	FAKE_OUT("65 00000000 01 01 000000"),
	FAKE_IN("81 00000000 01 01 02 00 00"),
	FAKE_OUT("65 00000000 02 02 000000"),
	FAKE_IN("81 00000000 02 02 02 00 00"),
};

struct fx {
	struct fake_transport *f;
	struct ccid_reader *r;
};

static void fx_open(struct fx *x, uint16_t vid, uint16_t pid, uint8_t maxslot)
{
	uint8_t d[54];

	make_desc(d, maxslot);
	x->f = fake_transport_new(d, sizeof(d));
	x->f->base.info.idVendor = vid;
	x->f->base.info.idProduct = pid;
	x->f->base.info.bcdDevice = 0x0207;
	if (maxslot == 2)
		FAKE_SCRIPT(x->f, probe3);
	else
		FAKE_SCRIPT(x->f, probe1);
	assert_int_equal(ccid_reader_new(&x->f->base, D5S, &x->r), CCID_OK);
	fake_transport_done(x->f);
	x->f->ops = 0;
}

static void fx_close(struct fx *x)
{
	fake_transport_done(x->f);
	ccid_reader_unref(&x->r);
	fake_transport_free(&x->f);
}

/* The vreader test card: T=1, historical bytes "ccidkit1". */
#define CARD_ATR_HEX "3B 88 81 31 FE 45 63 63 69 64 6B 69 74 31 C9"
static const uint8_t card_hist[] = { 0x63, 0x63, 0x69, 0x64, 0x6B, 0x69,
				     0x74, 0x31 };
#define MIFARE_1K_HEX \
	"3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A"

/* PC_to_RDR_IccPowerOn (bSeq 01 after the one-slot probe) → atr_hex. */
static void fx_power(struct fx *x, const char *reply_hex)
{
	const struct fake_step script[] = {
		FAKE_OUT("62 00000000 00 01 00 00 00"),
		FAKE_IN(reply_hex),
	};
	uint8_t atr[CCID_ATR_MAX];
	size_t len = 0;

	FAKE_SCRIPT(x->f, script);
	assert_int_equal(ccid_slot_power_on(x->r, 0, atr, sizeof(atr), &len,
					    D5S), CCID_OK);
	fake_transport_done(x->f);
	x->f->ops = 0;
}

static size_t hex(const char *h, uint8_t *out, size_t cap)
{
	return fake_hex(h, out, cap);
}

/* Send apdu_hex through ccid_pseudo_transmit; expect CCID_OK and exactly
 * want_hex back. */
static void xfer_ok(struct fx *x, const char *apdu_hex, const char *want_hex)
{
	uint8_t apdu[300], want[300], resp[300];
	size_t alen = hex(apdu_hex, apdu, sizeof(apdu));
	size_t wlen = hex(want_hex, want, sizeof(want));
	size_t len = 999;

	assert_int_equal(ccid_pseudo_transmit(x->r, 0, apdu, alen, resp,
					      sizeof(resp), &len, D5S),
			 CCID_OK);
	assert_int_equal(len, wlen);
	assert_memory_equal(resp, want, wlen);
}

/* ------------------------------------------------------------------ */
/* Part 3 readers: pass-through                                       */

static void pass_through(uint16_t vid, uint16_t pid)
{
	static const struct fake_step script[] = {
		/* GET DATA UID, unchanged */
		FAKE_OUT("6F 05000000 00 01 00 00 00 FF CA 00 00 00"),
		FAKE_IN("80 06000000 00 01 00 00 00 04 A1 B2 C3 90 00"),
		/* LOAD KEYS with the key bytes, unchanged */
		FAKE_OUT("6F 0B000000 00 02 00 00 00 FF 82 00 00 06 FF FF FF FF FF FF"),
		FAKE_IN("80 02000000 00 02 00 00 00 90 00"),
		/* a vendor command (unknown INS): the firmware's business */
		FAKE_OUT("6F 07000000 00 03 00 00 00 FF 00 00 00 02 D4 02"),
		FAKE_IN("80 02000000 00 03 00 00 00 63 00"),
		/* malformed: the firmware judges it */
		FAKE_OUT("6F 06000000 00 04 00 00 00 FF CA 01 00 05 AA"),
		FAKE_IN("80 02000000 00 04 00 00 00 67 00"),
		/* another class: unchanged as always */
		FAKE_OUT("6F 05000000 00 05 00 00 00 00 B0 00 00 10"),
		FAKE_IN("80 02000000 00 05 00 00 00 69 86"),
	};
	struct fx x;

	fx_open(&x, vid, pid, 0);
	FAKE_SCRIPT(x.f, script);
	/* not even powered: a Part 3 reader answers for itself */
	xfer_ok(&x, "FF CA 00 00 00", "04 A1 B2 C3 90 00");
	xfer_ok(&x, "FF 82 00 00 06 FF FF FF FF FF FF", "90 00");
	xfer_ok(&x, "FF 00 00 00 02 D4 02", "63 00");
	xfer_ok(&x, "FF CA 01 00 05 AA", "67 00");
	xfer_ok(&x, "00 B0 00 00 10", "69 86");
	assert_int_equal(x.f->ops, 10);
	fx_close(&x);
}

static void test_pass_acr122u(void **state)
{
	(void)state;
	pass_through(0x072F, 0x2200);
}

static void test_pass_omnikey_5422(void **state)
{
	(void)state;
	pass_through(0x076B, 0x5422);
}

static void test_pass_vreader_ctls(void **state)
{
	(void)state;
	pass_through(0x1209, 0x0002);
}

/* An unlisted reader that gave a Part 3 storage-card ATR has Part 3
 * firmware: its pseudo-APDUs pass too. */
static void test_pass_by_storage_atr(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("6F 05000000 00 02 00 00 00 FF CA 00 00 00"),
		FAKE_IN("80 06000000 00 02 00 00 00 04 A1 B2 C3 90 00"),
		FAKE_OUT("6F 05000000 00 03 00 00 00 FF B0 00 04 10"),
		FAKE_IN("80 12000000 00 03 00 00 00"
			"00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 90 00"),
	};
	struct fx x;

	(void)state;
	fx_open(&x, 0x1209, 0x0001, 0);
	fx_power(&x, "80 14000000 00 01 00 00 00" MIFARE_1K_HEX);
	FAKE_SCRIPT(x.f, script);
	xfer_ok(&x, "FF CA 00 00 00", "04 A1 B2 C3 90 00");
	xfer_ok(&x, "FF B0 00 04 10",
		"00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 90 00");
	fx_close(&x);
}

/* ------------------------------------------------------------------ */
/* Contact readers: the driver answers, nothing on the wire            */

static void contact_open(struct fx *x)
{
	fx_open(x, 0x08E6, 0x3437, 0);
	fx_power(x, "80 0F000000 00 01 00 00 00" CARD_ATR_HEX);
	fake_transport_script(x->f, NULL, 0);
}

static void test_contact_get_data(void **state)
{
	struct fx x;

	(void)state;
	contact_open(&x);
	/* UID: a contact card has none */
	xfer_ok(&x, "FF CA 00 00 00", "6A 81");
	xfer_ok(&x, "FF CA 00 00 04", "6A 81");
	/* historical bytes: everything with Le 00, exact Le, short/long Le */
	xfer_ok(&x, "FF CA 01 00 00", "63 63 69 64 6B 69 74 31 90 00");
	xfer_ok(&x, "FF CA 01 00 08", "63 63 69 64 6B 69 74 31 90 00");
	xfer_ok(&x, "FF CA 01 00 05", "6C 08");
	xfer_ok(&x, "FF CA 01 00 01", "6C 08");
	xfer_ok(&x, "FF CA 01 00 0A", "63 63 69 64 6B 69 74 31 62 82");
	/* extended Le */
	xfer_ok(&x, "FF CA 01 00 00 00 08", "63 63 69 64 6B 69 74 31 90 00");
	xfer_ok(&x, "FF CA 01 00 00 00 00", "63 63 69 64 6B 69 74 31 90 00");
	xfer_ok(&x, "FF CA 01 00 00 00 07", "6C 08");
	/* other P1 / P2 */
	xfer_ok(&x, "FF CA 02 00 00", "6A 81");
	xfer_ok(&x, "FF CA 01 01 00", "6A 81");
	xfer_ok(&x, "FF CA F0 00 00", "6A 81");
	/* no Le, or data: wrong length */
	xfer_ok(&x, "FF CA 01 00", "67 00");
	xfer_ok(&x, "FF CA 01 00 01 AA", "67 00");
	xfer_ok(&x, "FF CA 01 00 01 AA 00", "67 00");
	assert_int_equal(x.f->ops, 0);
	fx_close(&x);
}

static void test_contact_needs_reader(void **state)
{
	struct fx x;

	(void)state;
	contact_open(&x);
	xfer_ok(&x, "FF 82 00 00 06 FF FF FF FF FF FF", "6A 81");
	xfer_ok(&x, "FF 86 00 00 05 01 00 04 60 00", "6A 81");
	xfer_ok(&x, "FF 88 00 04 60 00", "6A 81");
	xfer_ok(&x, "FF 88 00 04", "6A 81");
	xfer_ok(&x, "FF 88 00", "67 00");
	xfer_ok(&x, "FF 20 00 00 02 12 34", "6A 81");
	xfer_ok(&x, "FF B0 00 04 10", "6A 81");
	xfer_ok(&x, "FF D6 00 04 04 01 02 03 04", "6A 81");
	xfer_ok(&x, "FF C2 00 00 02 81 00", "6A 81");
	/* unknown INS */
	xfer_ok(&x, "FF 00 00 00 02 D4 02", "6D 00");
	xfer_ok(&x, "FF 9A 01 01 00", "6D 00");
	xfer_ok(&x, "FF A4 00 00", "6D 00");
	/* malformed: Lc past the end, too short, stray byte */
	xfer_ok(&x, "FF CA 01 00 05 AA", "67 00");
	xfer_ok(&x, "FF 82 00 00 06 FF FF", "67 00");
	xfer_ok(&x, "FF CA 01", "67 00");
	xfer_ok(&x, "FF", "67 00");
	xfer_ok(&x, "FF CA 01 00 01 AA 00 00", "67 00");
	assert_int_equal(x.f->ops, 0);
	fx_close(&x);
}

static void test_contact_other_classes(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("6F 07000000 00 02 00 00 00 00 A4 04 00 02 3F 00"),
		FAKE_IN("80 02000000 00 02 00 00 00 90 00"),
		FAKE_OUT("6F 05000000 00 03 00 00 00 80 CA 00 00 00"),
		FAKE_IN("80 02000000 00 03 00 00 00 6E 00"),
		FAKE_OUT("6F 05000000 00 04 00 00 00 FE CA 00 00 00"),
		FAKE_IN("80 02000000 00 04 00 00 00 6E 00"),
	};
	struct fx x;

	(void)state;
	contact_open(&x);
	FAKE_SCRIPT(x.f, script);
	xfer_ok(&x, "00 A4 04 00 02 3F 00", "90 00");
	xfer_ok(&x, "80 CA 00 00 00", "6E 00");
	xfer_ok(&x, "FE CA 00 00 00", "6E 00");
	assert_int_equal(x.f->ops, 6);
	fx_close(&x);
}

static void test_contact_buffers_and_states(void **state)
{
	static const uint8_t gd_hist[] = { 0xFF, 0xCA, 0x01, 0x00, 0x00 };
	static const uint8_t gd_uid[] = { 0xFF, 0xCA, 0x00, 0x00, 0x00 };
	uint8_t resp[16];
	size_t len = 0;
	struct fx x;

	(void)state;
	contact_open(&x);
	/* too small: the length it needs, the start copied */
	memset(resp, 0xEE, sizeof(resp));
	assert_int_equal(ccid_pseudo_transmit(x.r, 0, gd_hist, 5, resp, 4,
					      &len, D5S), CCID_E_OVERFLOW);
	assert_int_equal(len, 10);
	assert_memory_equal(resp, card_hist, 4);
	assert_int_equal(resp[4], 0xEE);
	assert_int_equal(ccid_pseudo_transmit(x.r, 0, gd_uid, 5, resp, 1,
					      &len, D5S), CCID_E_OVERFLOW);
	assert_int_equal(len, 2);
	assert_int_equal(ccid_pseudo_transmit(x.r, 0, gd_uid, 5, NULL, 0,
					      &len, D5S), CCID_E_OVERFLOW);
	/* bad arguments */
	assert_int_equal(ccid_pseudo_transmit(NULL, 0, gd_uid, 5, resp, 16,
					      &len, D5S), CCID_E_INVAL);
	assert_int_equal(ccid_pseudo_transmit(x.r, 0, NULL, 5, resp, 16,
					      &len, D5S), CCID_E_INVAL);
	assert_int_equal(ccid_pseudo_transmit(x.r, 0, gd_uid, 0, resp, 16,
					      &len, D5S), CCID_E_INVAL);
	assert_int_equal(ccid_pseudo_transmit(x.r, 0, gd_uid, 5, NULL, 16,
					      &len, D5S), CCID_E_INVAL);
	assert_int_equal(ccid_pseudo_transmit(x.r, 0, gd_uid, 5, resp, 16,
					      NULL, D5S), CCID_E_INVAL);
	assert_int_equal(ccid_pseudo_transmit(x.r, 1, gd_uid, 5, resp, 16,
					      &len, D5S), CCID_E_NOT_FOUND);
	assert_int_equal(x.f->ops, 0);
	fx_close(&x);
}

static void test_contact_no_card_unpowered(void **state)
{
	static const uint8_t gd[] = { 0xFF, 0xCA, 0x01, 0x00, 0x00 };
	uint8_t resp[16];
	size_t len = 7;
	struct fx x;

	(void)state;
	fx_open(&x, 0x08E6, 0x3437, 2);
	fake_transport_script(x.f, NULL, 0);
	assert_int_equal(ccid_pseudo_transmit(x.r, 0, gd, 5, resp, 16, &len,
					      D5S), CCID_E_UNPOWERED);
	assert_int_equal(len, 0);
	assert_int_equal(ccid_pseudo_transmit(x.r, 1, gd, 5, resp, 16, &len,
					      D5S), CCID_E_NO_CARD);
	assert_int_equal(ccid_pseudo_transmit(x.r, 3, gd, 5, resp, 16, &len,
					      D5S), CCID_E_NOT_FOUND);
	assert_int_equal(x.f->ops, 0);
	fx_close(&x);
}

static void test_gone_reader(void **state)
{
	static const uint8_t gd[] = { 0xFF, 0xCA, 0x01, 0x00, 0x00 };
	uint8_t resp[16];
	size_t len = 0;
	struct fx x;

	(void)state;
	contact_open(&x);
	ccid_reader_set_gone(x.r);
	assert_int_equal(ccid_pseudo_transmit(x.r, 0, gd, 5, resp, 16, &len,
					      D5S), CCID_E_NO_DEVICE);
	assert_int_equal(x.f->ops, 0);
	fx_close(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pass_acr122u),
		cmocka_unit_test(test_pass_omnikey_5422),
		cmocka_unit_test(test_pass_vreader_ctls),
		cmocka_unit_test(test_pass_by_storage_atr),
		cmocka_unit_test(test_contact_get_data),
		cmocka_unit_test(test_contact_needs_reader),
		cmocka_unit_test(test_contact_other_classes),
		cmocka_unit_test(test_contact_buffers_and_states),
		cmocka_unit_test(test_contact_no_card_unpowered),
		cmocka_unit_test(test_gone_reader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
