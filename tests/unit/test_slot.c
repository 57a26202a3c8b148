/* ccidkit tests — the reader exchange loop and the slot engine, against
 * the scripted fake transport: exact bytes on the wire, exact errors,
 * exact slot states. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ccid/clock.h"
#include "ccid/err.h"
#include "ccid/log.h"
#include "ccid/reader.h"
#include "ccid/slot.h"
#include "fake/fake_transport.h"

#define D5S ccid_deadline_in(5000)

/* ------------------------------------------------------------------ */
/* Readers                                                            */

enum rd {
	RD_SHORT,  /* short APDU, auto voltage, 271-byte messages */
	RD_EXT,    /* extended APDU, 26-byte messages: 16-byte chunks */
	RD_TPDU,   /* TPDU level */
	RD_MULTI,  /* 3 slots, short APDU, interrupt pipe */
	RD_NOAUTO, /* short APDU, 5/3/1.8 V, no automatic voltage */
	RD_TPDU_FAST, /* TPDU, up to 344086 bps, 2 rates (GET_DATA_RATES) */
	RD_CHAR,   /* character level (no level bit) */
};

/* CCID 1.1 §5.1 class descriptor, 54 bytes */
static void make_desc(uint8_t d[54], uint32_t features, uint32_t maxmsg,
		      uint8_t bMaxSlotIndex, uint8_t bVoltageSupport)
{
	const struct fake_desc o = {
		.bMaxSlotIndex = bMaxSlotIndex,
		.bVoltageSupport = bVoltageSupport,
		.dwFeatures = features,
		.dwMaxCCIDMessageLength = maxmsg,
	};

	fake_desc_build(d, &o);
}

static struct fake_transport *make_fake(enum rd kind)
{
	uint8_t d[54];
	struct fake_transport *f;

	switch (kind) {
	case RD_SHORT:
		make_desc(d, CCID_FEAT_LEVEL_SHORT_APDU | CCID_FEAT_AUTO_VOLTAGE,
			  271, 0, 0x07);
		break;
	case RD_EXT:
		make_desc(d, CCID_FEAT_LEVEL_EXT_APDU | CCID_FEAT_AUTO_VOLTAGE,
			  26, 0, 0x07);
		break;
	case RD_TPDU:
		make_desc(d, CCID_FEAT_LEVEL_TPDU | CCID_FEAT_AUTO_VOLTAGE,
			  271, 0, 0x07);
		break;
	case RD_MULTI:
		make_desc(d, CCID_FEAT_LEVEL_SHORT_APDU | CCID_FEAT_AUTO_VOLTAGE,
			  271, 2, 0x07);
		break;
	case RD_TPDU_FAST:
		make_desc(d, CCID_FEAT_LEVEL_TPDU | CCID_FEAT_AUTO_VOLTAGE,
			  271, 0, 0x07);
		fake_put32(d + 23, 344086);
		d[18] = 1; /* bNumClockSupported */
		d[27] = 2; /* bNumDataRatesSupported */
		break;
	case RD_CHAR:
		make_desc(d, CCID_FEAT_AUTO_VOLTAGE, 271, 0, 0x07);
		break;
	case RD_NOAUTO:
	default:
		make_desc(d, CCID_FEAT_LEVEL_SHORT_APDU, 271, 0, 0x07);
		break;
	}
	f = fake_transport_new(d, sizeof(d));
	f->base.info.has_interrupt = kind == RD_MULTI;
	return f;
}

/* GetSlotStatus per slot at ccid_reader_new: slot 0 holds an unpowered
 * card, the others are empty.  Leaves bSeq = nslots. */
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

static void fx_open_fake(struct fx *x, struct fake_transport *f)
{
	x->f = f;
	if (f->base.info.class_desc[4] == 2)
		FAKE_SCRIPT(f, probe3);
	else
		FAKE_SCRIPT(f, probe1);
	assert_int_equal(ccid_reader_new(&f->base, D5S, &x->r), CCID_OK);
	assert_non_null(x->r);
	fake_transport_done(f);
	f->ops = 0;
}

static void fx_open(struct fx *x, enum rd kind)
{
	fx_open_fake(x, make_fake(kind));
}

static void fx_close(struct fx *x)
{
	fake_transport_done(x->f);
	ccid_reader_unref(&x->r);
	assert_null(x->r);
	assert_true(x->f->closed);
	assert_false(x->f->intr_running);
	fake_transport_free(&x->f);
}

static struct ccid_slot_state slot_state(struct fx *x, unsigned n,
					 uint64_t *gen)
{
	struct ccid_slot_state s;

	assert_int_equal(ccid_reader_slot_state(x->r, n, &s, gen), CCID_OK);
	return s;
}

static const uint8_t ATR10[] = { 0x3B, 0x88, 0x80, 0x01, 0x00, 0x00,
				 0x00, 0x00, 0x77, 0x81 };
#define ATR10_HEX "3B 88 80 01 00 00 00 00 77 81"

/* ------------------------------------------------------------------ */
/* Opening: descriptor, ICCD, names, probe                            */

static void test_new_initial_state(void **state)
{
	struct fx x;
	struct ccid_slot_state s;
	uint64_t gen = 0;

	(void)state;
	fx_open(&x, RD_MULTI);
	assert_int_equal(x.r->nslots, 3);
	assert_int_equal(x.r->level, CCID_LEVEL_SHORT_APDU);
	assert_int_equal(x.r->buf_cap, 271);
	assert_int_equal(x.r->seq, 3);
	s = slot_state(&x, 0, &gen);
	assert_true(s.present);
	assert_false(s.powered);
	assert_int_equal(s.changes, 0) /* present at opening: no event */;
	s = slot_state(&x, 2, NULL);
	assert_false(s.present);
	assert_int_equal(s.changes, 0);
	assert_int_equal(gen, 1);
	assert_true(x.f->intr_running);
	assert_int_equal(ccid_reader_slot_state(x.r, 3, &s, NULL),
			 CCID_E_NOT_FOUND);
	fx_close(&x);
}

static void test_new_bad_desc(void **state)
{
	struct fake_transport *f = make_fake(RD_SHORT);
	struct ccid_reader *r = (struct ccid_reader *)&r;

	(void)state;
	f->base.info.class_desc_len = 53; /* truncated */
	FAKE_SCRIPT(f, probe1);
	assert_int_equal(ccid_reader_new(&f->base, D5S, &r), CCID_E_PROTO);
	assert_null(r);
	assert_true(f->closed);
	assert_int_equal(f->ops, 0);
	fake_transport_free(&f);

	f = make_fake(RD_SHORT);
	fake_put32(f->base.info.class_desc + 44, 10); /* dwMaxCCIDMessageLength < 11 */
	assert_int_equal(ccid_reader_new(&f->base, D5S, &r), CCID_E_PROTO);
	assert_true(f->closed);
	fake_transport_free(&f);

	assert_int_equal(ccid_reader_new(NULL, D5S, &r), CCID_E_INVAL);
}

static void test_new_iccd_refused(void **state)
{
	struct fake_transport *f = make_fake(RD_MULTI);
	struct ccid_reader *r = NULL;

	(void)state;
	f->base.info.bInterfaceProtocol = 1;
	assert_int_equal(ccid_reader_new(&f->base, D5S, &r),
			 CCID_E_NOT_SUPPORTED);
	assert_null(r);
	assert_true(f->closed);
	assert_false(f->intr_running);
	assert_int_equal(f->ops, 0);
	fake_transport_free(&f);
}

static void test_new_probe_no_device(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("65 00000000 00 00 000000"),
		FAKE_FAULT(CCID_E_NO_DEVICE),
	};
	struct fake_transport *f = make_fake(RD_MULTI);
	struct ccid_reader *r = NULL;

	(void)state;
	FAKE_SCRIPT(f, script);
	assert_int_equal(ccid_reader_new(&f->base, D5S, &r), CCID_E_NO_DEVICE);
	assert_null(r);
	fake_transport_done(f);
	assert_true(f->closed);
	assert_false(f->intr_running);
	fake_transport_free(&f);
}

static void check_name(const char *m, const char *p, const char *i,
		       const char *s, const char *want)
{
	struct fake_transport *f = make_fake(RD_SHORT);
	struct fx x;

	strcpy(f->base.info.manufacturer, m);
	strcpy(f->base.info.product, p);
	strcpy(f->base.info.interface, i);
	strcpy(f->base.info.serial, s);
	fx_open_fake(&x, f);
	assert_string_equal(x.r->base_name, want);
	fx_close(&x);
}

static void test_base_name(void **state)
{
	char longp[CCID_USB_STRLEN];

	(void)state;
	check_name("Fake", "Reader", "", "", "Fake Reader");
	check_name("Gemalto", "Gemalto USB Shell Token V2", "", "",
		   "Gemalto USB Shell Token V2");
	check_name("Yubico", "YubiKey OTP+FIDO+CCID", "", "0123",
		   "Yubico YubiKey OTP+FIDO+CCID (0123)");
	check_name("ACS", "ACR122U", "PICC Interface", "", "ACS ACR122U [PICC Interface]");
	check_name("SCM", "SCR3310", "CCID 21120703", "21120703",
		   "SCM SCR3310 [CCID 21120703]");
	check_name("SCM", "SCR3310", "CCID", "9999",
		   "SCM SCR3310 [CCID] (9999)");
	check_name("", "", "", "", "CCID reader 08e6:3437");
	check_name("", "", "If", "S1", "CCID reader 08e6:3437 [If] (S1)");
	check_name("", "OnlyProduct", "", "", "OnlyProduct");
	check_name("OnlyMaker", "", "", "", "OnlyMaker");
	/* too long: cut at 127 characters, still terminated */
	memset(longp, 'x', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	{
		struct fake_transport *f = make_fake(RD_SHORT);
		struct fx x;

		strcpy(f->base.info.product, longp);
		fx_open_fake(&x, f);
		assert_int_equal(strlen(x.r->base_name), 127);
		assert_memory_equal(x.r->base_name, "Fake xxx", 8);
		fx_close(&x);
	}
}

static void test_refcount(void **state)
{
	struct fx x;
	struct ccid_reader *extra;

	(void)state;
	fx_open(&x, RD_SHORT);
	extra = ccid_reader_ref(x.r);
	assert_ptr_equal(extra, x.r);
	ccid_reader_unref(&extra);
	assert_null(extra);
	assert_false(x.f->closed);
	ccid_reader_unref(NULL);
	fx_close(&x);
}

/* ------------------------------------------------------------------ */
/* Power                                                              */

static void test_power_on_auto(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("62 00000000 00 01 00 00 00"),
		FAKE_IN("80 0A000000 00 01 00 00 00" ATR10_HEX),
	};
	struct fx x;
	uint8_t atr[64];
	size_t len = 0;
	uint64_t g0 = 0, g1 = 0;
	struct ccid_slot_state s;

	(void)state;
	fx_open(&x, RD_SHORT);
	slot_state(&x, 0, &g0);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_power_on(x.r, 0, atr, sizeof(atr), &len,
					    D5S), CCID_OK);
	assert_int_equal(len, sizeof(ATR10));
	assert_memory_equal(atr, ATR10, sizeof(ATR10));
	s = slot_state(&x, 0, &g1);
	assert_true(s.present);
	assert_true(s.powered);
	assert_int_equal(s.atr_len, sizeof(ATR10));
	assert_memory_equal(s.atr, ATR10, sizeof(ATR10));
	assert_true(g1 > g0);
	fx_close(&x);
}

static void test_power_on_voltage_fallback(void **state)
{
	static const struct fake_step script[] = {
		/* 5 V: ICC_CLASS_NOT_SUPPORTED */
		FAKE_OUT("62 00000000 00 01 01 00 00"),
		FAKE_IN("80 00000000 00 01 41 F5 00"),
		FAKE_OUT("63 00000000 00 02 00 00 00"),
		FAKE_IN("81 00000000 00 02 01 00 00"),
		/* 3 V: mute */
		FAKE_OUT("62 00000000 00 03 02 00 00"),
		FAKE_IN("80 00000000 00 03 41 FE 00"),
		FAKE_OUT("63 00000000 00 04 00 00 00"),
		FAKE_IN("81 00000000 00 04 01 00 00"),
		/* 1.8 V: ATR */
		FAKE_OUT("62 00000000 00 05 03 00 00"),
		FAKE_IN("80 0A000000 00 05 00 00 00" ATR10_HEX),
	};
	struct fx x;
	uint8_t atr[33];
	size_t len = 0;

	(void)state;
	fx_open(&x, RD_NOAUTO);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_power_on(x.r, 0, atr, sizeof(atr), &len,
					    D5S), CCID_OK);
	assert_int_equal(len, 10);
	assert_memory_equal(atr, ATR10, 10);
	assert_true(slot_state(&x, 0, NULL).powered);
	fx_close(&x);
}

static void test_power_on_only_3v(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("62 00000000 00 01 02 00 00"),
		FAKE_IN("80 0A000000 00 01 00 00 00" ATR10_HEX),
	};
	struct fake_transport *f = make_fake(RD_NOAUTO);
	struct fx x;
	uint8_t atr[33];
	size_t len = 0;

	(void)state;
	f->base.info.class_desc[5] = 0x02; /* bVoltageSupport: 3 V only */
	fx_open_fake(&x, f);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_power_on(x.r, 0, atr, sizeof(atr), &len,
					    D5S), CCID_OK);
	fx_close(&x);
}

static void test_power_on_all_mute(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("62 00000000 00 01 01 00 00"),
		FAKE_IN("80 00000000 00 01 40 FE 00"),
		FAKE_OUT("63 00000000 00 02 00 00 00"),
		FAKE_IN("81 00000000 00 02 01 00 00"),
		FAKE_OUT("62 00000000 00 03 02 00 00"),
		FAKE_IN("80 00000000 00 03 41 FE 00"),
		FAKE_OUT("63 00000000 00 04 00 00 00"),
		FAKE_IN("81 00000000 00 04 01 00 00"),
		FAKE_OUT("62 00000000 00 05 03 00 00"),
		FAKE_IN("80 00000000 00 05 41 FE 00"),
	};
	struct fx x;
	uint8_t atr[33];
	size_t len = 99;

	(void)state;
	fx_open(&x, RD_NOAUTO);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_power_on(x.r, 0, atr, sizeof(atr), &len,
					    D5S), CCID_E_CARD_MUTE);
	assert_int_equal(len, 0);
	assert_false(slot_state(&x, 0, NULL).powered);
	fx_close(&x);
}

static void test_power_on_no_card(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("62 00000000 00 01 01 00 00"),
		FAKE_IN("80 00000000 00 01 42 FE 00"),
	};
	struct fx x;
	uint8_t atr[33];
	size_t len = 0;
	uint64_t g0 = 0, g1 = 0;
	struct ccid_slot_state s;

	(void)state;
	fx_open(&x, RD_NOAUTO);
	slot_state(&x, 0, &g0);
	FAKE_SCRIPT(x.f, script);
	/* no IccPowerOff, no 3 V attempt: the script ends here */
	assert_int_equal(ccid_slot_power_on(x.r, 0, atr, sizeof(atr), &len,
					    D5S), CCID_E_NO_CARD);
	s = slot_state(&x, 0, &g1);
	assert_false(s.present);
	assert_int_equal(s.changes, 1); /* removed now (presence at opening is no event) */
	assert_int_equal(g1, g0 + 1);
	fx_close(&x);
}

static void test_power_on_voltage_last_refused(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("62 00000000 00 01 03 00 00"),
		FAKE_IN("80 00000000 00 01 41 F5 00"),
	};
	struct fake_transport *f = make_fake(RD_NOAUTO);
	struct fx x;
	uint8_t atr[33];
	size_t len = 0;

	(void)state;
	f->base.info.class_desc[5] = 0x04; /* 1.8 V only */
	fx_open_fake(&x, f);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_power_on(x.r, 0, atr, sizeof(atr), &len,
					    D5S), CCID_E_VOLTAGE);
	fx_close(&x);
}

static void test_power_on_hw_error_stops(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("62 00000000 00 01 01 00 00"),
		FAKE_IN("80 00000000 00 01 41 FB 00"),
	};
	struct fx x;
	uint8_t atr[33];
	size_t len = 0;

	(void)state;
	fx_open(&x, RD_NOAUTO);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_power_on(x.r, 0, atr, sizeof(atr), &len,
					    D5S), CCID_E_HW);
	fx_close(&x);
}

static void test_power_on_bad_atr(void **state)
{
	static const struct fake_step empty[] = {
		FAKE_OUT("62 00000000 00 01 00 00 00"),
		FAKE_IN("80 00000000 00 01 00 00 00"),
	};
	static const struct fake_step big[] = {
		FAKE_OUT("62 00000000 00 02 00 00 00"),
		FAKE_IN("80 22000000 00 02 00 00 00"
			"3B000000000000000000000000000000"
			"00000000000000000000000000000000 0000"),
	};
	struct fx x;
	uint8_t atr[64];
	size_t len = 0;

	(void)state;
	fx_open(&x, RD_SHORT);
	FAKE_SCRIPT(x.f, empty);
	assert_int_equal(ccid_slot_power_on(x.r, 0, atr, sizeof(atr), &len,
					    D5S), CCID_E_BAD_ATR);
	fake_transport_done(x.f);
	FAKE_SCRIPT(x.f, big);
	assert_int_equal(ccid_slot_power_on(x.r, 0, atr, sizeof(atr), &len,
					    D5S), CCID_E_BAD_ATR);
	assert_false(slot_state(&x, 0, NULL).powered);
	fx_close(&x);
}

static void test_power_on_small_buffer(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("62 00000000 00 01 00 00 00"),
		FAKE_IN("80 0A000000 00 01 00 00 00" ATR10_HEX),
	};
	struct fx x;
	uint8_t atr[4];
	size_t len = 0;

	(void)state;
	fx_open(&x, RD_SHORT);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_power_on(x.r, 0, atr, sizeof(atr), &len,
					    D5S), CCID_E_OVERFLOW);
	assert_int_equal(len, 10);
	/* the card is powered all the same, and its ATR known */
	assert_int_equal(slot_state(&x, 0, NULL).atr_len, 10);
	fx_close(&x);
}

static void test_power_off(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("62 00000000 00 01 00 00 00"),
		FAKE_IN("80 0A000000 00 01 00 00 00" ATR10_HEX),
		FAKE_OUT("63 00000000 00 02 00 00 00"),
		FAKE_IN("81 00000000 00 02 01 00 00"),
	};
	struct fx x;
	uint8_t atr[33];
	size_t len = 0;
	struct ccid_slot_state s;

	(void)state;
	fx_open(&x, RD_SHORT);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_power_on(x.r, 0, atr, sizeof(atr), &len,
					    D5S), CCID_OK);
	assert_int_equal(ccid_slot_power_off(x.r, 0, D5S), CCID_OK);
	s = slot_state(&x, 0, NULL);
	assert_true(s.present);
	assert_false(s.powered);
	assert_int_equal(s.atr_len, 0);
	fx_close(&x);
}

static void test_multi_slot_bytes(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("62 00000000 02 03 00 00 00"),
		FAKE_IN("80 0A000000 02 03 00 00 00" ATR10_HEX),
		FAKE_OUT("6F 05000000 02 04 00 00 00 00 B0 00 00 00"),
		FAKE_IN("80 02000000 02 04 00 00 00 90 00"),
		FAKE_OUT("63 00000000 01 05 00 00 00"),
		FAKE_IN("81 00000000 01 05 02 00 00"),
	};
	struct fx x;
	uint8_t atr[33], resp[8];
	size_t len = 0;
	static const uint8_t apdu[] = { 0x00, 0xB0, 0x00, 0x00, 0x00 };

	(void)state;
	fx_open(&x, RD_MULTI);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_power_on(x.r, 2, atr, sizeof(atr), &len,
					    D5S), CCID_OK);
	assert_true(slot_state(&x, 2, NULL).powered);
	assert_false(slot_state(&x, 0, NULL).powered);
	assert_int_equal(ccid_slot_transmit(x.r, 2, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, D5S), CCID_OK);
	assert_int_equal(ccid_slot_power_off(x.r, 1, D5S), CCID_OK);
	assert_int_equal(ccid_slot_power_off(x.r, 3, D5S), CCID_E_NOT_FOUND);
	fx_close(&x);
}

/* ------------------------------------------------------------------ */
/* Slot status                                                        */

static void test_slot_status(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("65 00000000 00 01 00 00 00"),
		FAKE_IN("81 00000000 00 01 00 00 00"),
		FAKE_OUT("65 00000000 00 02 00 00 00"),
		FAKE_IN("81 00000000 00 02 01 00 00"),
		/* "failed, ICC_MUTE, absent": still an answer */
		FAKE_OUT("65 00000000 00 03 00 00 00"),
		FAKE_IN("81 00000000 00 03 42 FE 00"),
		FAKE_OUT("65 00000000 00 04 00 00 00"),
		FAKE_IN("81 00000000 00 04 40 FB 00"),
		FAKE_OUT("65 00000000 00 05 00 00 00"),
		FAKE_IN("81 00000000 00 05 03 00 00"),
	};
	struct fx x;
	enum ccid_icc_status st = CCID_ICC_ABSENT;
	uint64_t g0 = 0, g1 = 0;

	(void)state;
	fx_open(&x, RD_SHORT);
	slot_state(&x, 0, &g0);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_get_status(x.r, 0, &st, D5S), CCID_OK);
	assert_int_equal(st, CCID_ICC_ACTIVE);
	assert_int_equal(ccid_slot_get_status(x.r, 0, &st, D5S), CCID_OK);
	assert_int_equal(st, CCID_ICC_INACTIVE);
	assert_int_equal(ccid_slot_get_status(x.r, 0, &st, D5S), CCID_OK);
	assert_int_equal(st, CCID_ICC_ABSENT);
	assert_false(slot_state(&x, 0, &g1).present);
	assert_int_equal(g1, g0 + 1);
	assert_int_equal(ccid_slot_get_status(x.r, 0, &st, D5S), CCID_E_HW);
	assert_int_equal(ccid_slot_get_status(x.r, 0, &st, D5S), CCID_E_PROTO);
	assert_int_equal(ccid_slot_get_status(x.r, 1, &st, D5S),
			 CCID_E_NOT_FOUND);
	assert_int_equal(ccid_slot_get_status(x.r, 0, NULL, D5S), CCID_E_INVAL);
	fx_close(&x);
}

static void test_inactive_reply_clears_power(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("62 00000000 00 01 00 00 00"),
		FAKE_IN("80 0A000000 00 01 00 00 00" ATR10_HEX),
		FAKE_OUT("65 00000000 00 02 00 00 00"),
		FAKE_IN("81 00000000 00 02 01 00 00"),
	};
	struct fx x;
	uint8_t atr[33];
	size_t len;
	enum ccid_icc_status st;

	(void)state;
	fx_open(&x, RD_SHORT);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_power_on(x.r, 0, atr, sizeof(atr), &len,
					    D5S), CCID_OK);
	assert_int_equal(ccid_slot_get_status(x.r, 0, &st, D5S), CCID_OK);
	assert_false(slot_state(&x, 0, NULL).powered);
	fx_close(&x);
}

/* DESIGN.md "secrets stay secret": with CCIDKIT_DEBUG=3 the wire dump of
 * a VERIFY shows the header, never the PIN; other APDUs are dumped whole. */
static char cap_path[] = "/tmp/ccidkit-logXXXXXX";
static int cap_fd = -1, cap_saved = -1;

/* From here to capture_stop(), debug logging goes to a file. */
static void capture_start(void)
{
	strcpy(cap_path, "/tmp/ccidkit-logXXXXXX");
	cap_fd = mkstemp(cap_path);
	cap_saved = dup(2);
	assert_true(cap_fd >= 0 && cap_saved >= 0);
	ccid_log_set_level(CCID_LOG_DEBUG);
	fflush(stderr);
	dup2(cap_fd, 2);
}

static char *capture_stop(void)
{
	static char text[8192];
	FILE *f;
	size_t got;

	fflush(stderr);
	dup2(cap_saved, 2);
	close(cap_saved);
	ccid_log_set_level(CCID_LOG_NONE);
	f = fdopen(cap_fd, "r");
	assert_non_null(f);
	rewind(f);
	got = fread(text, 1, sizeof(text) - 1, f);
	text[got] = '\0';
	fclose(f);
	unlink(cap_path);
	return text;
}

static char *capture_stderr_of_verify(const uint8_t *apdu, size_t len,
				      const struct fake_step *script, size_t n)
{
	struct fx x;
	uint8_t resp[16];
	size_t rlen = 0;

	fx_open(&x, RD_SHORT);
	fake_transport_script(x.f, script, n);
	capture_start();
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, len, resp,
					    sizeof(resp), &rlen, D5S), CCID_OK);
	fx_close(&x);
	return capture_stop();
}

static void test_debug_dump_redacts_pin(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("6F 0D000000 00 01 00 00 00 00 20 00 81 08 31 32 33 34 FF FF FF FF"),
		FAKE_IN("80 02000000 00 01 00 00 00 90 00"),
	};
	static const uint8_t verify[] = { 0x00, 0x20, 0x00, 0x81, 0x08, 0x31, 0x32,
					  0x33, 0x34, 0xFF, 0xFF, 0xFF, 0xFF };
	static const struct fake_step script2[] = {
		FAKE_OUT("6F 07000000 00 01 00 00 00 00 A4 04 00 02 3F 00"),
		FAKE_IN("80 02000000 00 01 00 00 00 90 00"),
	};
	static const uint8_t select[] = { 0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F, 0x00 };
	const char *text;

	(void)state;
	text = capture_stderr_of_verify(verify, sizeof(verify), script, 2);
	assert_non_null(strstr(text, "6F 0D 00 00 00 00 01 00 00 00 00 20 00 81 08\n"));
	assert_non_null(strstr(text, "8 more bytes redacted (PIN)"));
	assert_null(strstr(text, "31 32 33 34"));
	text = capture_stderr_of_verify(select, sizeof(select), script2, 2);
	assert_non_null(strstr(text, "6F 07 00 00 00 00 01 00 00 00 00 A4 04 00 02 3F 00"));
	assert_null(strstr(text, "redacted"));
}

/* ------------------------------------------------------------------ */
/* Transmit, short APDU level                                         */

static void test_transmit_short(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("6F 07000000 00 01 00 00 00 00 A4 04 00 02 3F 00"),
		FAKE_IN("80 04000000 00 01 00 00 00 6F 00 90 00"),
	};
	static const uint8_t apdu[] = { 0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F, 0x00 };
	static const uint8_t want[] = { 0x6F, 0x00, 0x90, 0x00 };
	struct fx x;
	uint8_t resp[16];
	size_t len = 0;

	(void)state;
	fx_open(&x, RD_SHORT);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, D5S), CCID_OK);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(resp, want, sizeof(want));
	fx_close(&x);
}

static void test_transmit_short_refusals(void **state)
{
	/* case 2 extended: Le = 00 01 00 */
	static const uint8_t ext[] = { 0x00, 0xB0, 0x00, 0x00, 0x00, 0x01, 0x00 };
	uint8_t big[262], resp[8];
	struct fx x;
	size_t len = 7;

	(void)state;
	memset(big, 0xAA, sizeof(big)); /* does not parse, too long anyway */
	fx_open(&x, RD_SHORT);
	assert_int_equal(ccid_slot_transmit(x.r, 0, ext, sizeof(ext), resp,
					    sizeof(resp), &len, D5S),
			 CCID_E_NOT_SUPPORTED);
	assert_int_equal(len, 0);
	assert_int_equal(ccid_slot_transmit(x.r, 0, big, sizeof(big), resp,
					    sizeof(resp), &len, D5S),
			 CCID_E_NOT_SUPPORTED);
	assert_int_equal(ccid_slot_transmit(x.r, 0, big, 0, resp,
					    sizeof(resp), &len, D5S),
			 CCID_E_INVAL);
	assert_int_equal(ccid_slot_transmit(x.r, 0, ext, sizeof(ext), NULL,
					    8, &len, D5S), CCID_E_INVAL);
	assert_int_equal(ccid_slot_transmit(x.r, 1, ext, 4, resp,
					    sizeof(resp), &len, D5S),
			 CCID_E_NOT_FOUND);
	assert_int_equal(x.f->ops, 0);
	fx_close(&x);
}

static void test_transmit_short_malformed_sent(void **state)
{
	/* Lc = 5 but only one data byte: the card judges it */
	static const struct fake_step script[] = {
		FAKE_OUT("6F 06000000 00 01 00 00 00 00 A4 04 00 05 3F"),
		FAKE_IN("80 02000000 00 01 00 00 00 67 00"),
	};
	static const uint8_t apdu[] = { 0x00, 0xA4, 0x04, 0x00, 0x05, 0x3F };
	struct fx x;
	uint8_t resp[2];
	size_t len = 0;

	(void)state;
	fx_open(&x, RD_SHORT);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, D5S), CCID_OK);
	assert_int_equal(len, 2);
	assert_int_equal(resp[0], 0x67);
	fx_close(&x);
}

static void test_transmit_short_errors(void **state)
{
	static const struct fake_step script[] = {
		/* one byte: no SW1 SW2 */
		FAKE_OUT("6F 04000000 00 01 00 00 00 00 84 00 00"),
		FAKE_IN("80 01000000 00 01 00 00 00 90"),
		/* parity error */
		FAKE_OUT("6F 04000000 00 02 00 00 00 00 84 00 00"),
		FAKE_IN("80 00000000 00 02 40 FD 00"),
		/* response larger than the caller's buffer */
		FAKE_OUT("6F 04000000 00 03 00 00 00 00 84 00 00"),
		FAKE_IN("80 04000000 00 03 00 00 00 01 02 90 00"),
		/* card not powered */
		FAKE_OUT("6F 04000000 00 04 00 00 00 00 84 00 00"),
		FAKE_IN("80 00000000 00 04 41 FE 00"),
	};
	static const uint8_t apdu[] = { 0x00, 0x84, 0x00, 0x00 };
	struct fx x;
	uint8_t resp[3];
	size_t len = 5;

	(void)state;
	fx_open(&x, RD_SHORT);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, D5S),
			 CCID_E_PROTO);
	assert_int_equal(len, 0);
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, D5S),
			 CCID_E_XFR);
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, D5S),
			 CCID_E_OVERFLOW);
	assert_int_equal(len, 4);
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, D5S),
			 CCID_E_UNPOWERED);
	fx_close(&x);
}

/* ------------------------------------------------------------------ */
/* TPDU level: protocol selection, T=0, T=1                            */

/* ATRs: T=0 only; T=1 first; T=1 with TA1 13 (Fi 372, Di 4); specific
 * mode T=1 with TA1 13 (TA2 01: TA1 applies at once). */
#define ATR_T0_HEX "3B 02 14 50"
#define ATR_T1_HEX "3B 80 01 81"
#define ATR_PPS_HEX "3B 90 13 01 82"
#define ATR_SPEC_HEX "3B 90 13 11 01 93"

/* Power slot 0 on (bSeq 1, automatic voltage) with this ATR. */
static void tpdu_power_on(struct fx *x, const char *atr_hex)
{
	char in[128];
	uint8_t atr[33], got[33];
	size_t n = fake_hex(atr_hex, atr, sizeof(atr)), len = 0;
	struct fake_step script[] = {
		FAKE_OUT("62 00000000 00 01 00 00 00"),
		FAKE_IN(in),
	};

	snprintf(in, sizeof(in), "80 %02X000000 00 01 00 00 00 %s",
		 (unsigned)n, atr_hex);
	FAKE_SCRIPT(x->f, script);
	assert_int_equal(ccid_slot_power_on(x->r, 0, got, sizeof(got), &len,
					    D5S), CCID_OK);
	assert_int_equal(len, n);
	fake_transport_done(x->f);
}

static void test_new_character_refused(void **state)
{
	struct fake_transport *f = make_fake(RD_CHAR);
	struct ccid_reader *r = (struct ccid_reader *)0x1;

	(void)state;
	assert_int_equal(ccid_reader_new(&f->base, D5S, &r),
			 CCID_E_NOT_SUPPORTED);
	assert_null(r);
	assert_int_equal(f->ops, 0);
	assert_true(f->closed);
	fake_transport_free(&f);
}

/* T=0: SetParameters from the ATR, then one TPDU per XfrBlock; case 4
 * runs GET RESPONSE on 61xx (ISO 7816-4 §5.3.4) with the APDU's CLA
 * (bClassGetResponse FF). */
static void test_tpdu_t0(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("61 05000000 00 02 00 00 00 11 00 00 0A 00"),
		FAKE_IN("82 05000000 00 02 00 00 00 11 00 00 0A 00"),
		FAKE_OUT("6F 05000000 00 03 00 00 00 00 84 00 00 04"),
		FAKE_IN("80 06000000 00 03 00 00 00 01 02 03 04 90 00"),
		FAKE_OUT("6F 07000000 00 04 00 00 00 80 10 00 00 02 AA BB"),
		FAKE_IN("80 02000000 00 04 00 00 00 61 02"),
		FAKE_OUT("6F 05000000 00 05 00 00 00 80 C0 00 00 02"),
		FAKE_IN("80 04000000 00 05 00 00 00 AA BB 90 00"),
	};
	static const uint8_t c2[] = { 0x00, 0x84, 0x00, 0x00, 0x04 };
	static const uint8_t c4[] = { 0x80, 0x10, 0x00, 0x00, 0x02, 0xAA,
				      0xBB, 0x00 };
	static const uint8_t r2[] = { 1, 2, 3, 4, 0x90, 0x00 };
	static const uint8_t r4[] = { 0xAA, 0xBB, 0x90, 0x00 };
	struct fx x;
	uint8_t resp[300];
	size_t len = 0;

	(void)state;
	fx_open(&x, RD_TPDU);
	tpdu_power_on(&x, ATR_T0_HEX);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_set_protocol(x.r, 0, 0, D5S), CCID_OK);
	assert_int_equal(ccid_slot_transmit(x.r, 0, c2, sizeof(c2), resp,
					    sizeof(resp), &len, D5S), CCID_OK);
	assert_int_equal(len, sizeof(r2));
	assert_memory_equal(resp, r2, sizeof(r2));
	assert_int_equal(ccid_slot_transmit(x.r, 0, c4, sizeof(c4), resp,
					    sizeof(resp), &len, D5S), CCID_OK);
	assert_int_equal(len, sizeof(r4));
	assert_memory_equal(resp, r4, sizeof(r4));
	fx_close(&x);
}

/* Nobody selected a protocol since power-on (ccidkit apdu): the ATR's
 * default one is set up first. */
/* (case 1 goes out as a TPDU with P3 = 00, ISO 7816-4 §5.3.1) */
static void test_tpdu_default_protocol(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("61 05000000 00 02 00 00 00 11 00 00 0A 00"),
		FAKE_IN("82 05000000 00 02 00 00 00 11 00 00 0A 00"),
		FAKE_OUT("6F 05000000 00 03 00 00 00 80 16 00 00 00"),
		FAKE_IN("80 02000000 00 03 00 00 00 90 00"),
		/* the same power-up: no second SetParameters */
		FAKE_OUT("6F 05000000 00 04 00 00 00 80 16 00 00 00"),
		FAKE_IN("80 02000000 00 04 00 00 00 90 00"),
	};
	static const uint8_t nop[] = { 0x80, 0x16, 0x00, 0x00 };
	struct fx x;
	uint8_t resp[8];
	size_t len = 0;

	(void)state;
	fx_open(&x, RD_TPDU);
	tpdu_power_on(&x, ATR_T0_HEX);
	FAKE_SCRIPT(x.f, script);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(ccid_slot_transmit(x.r, 0, nop, sizeof(nop),
						    resp, sizeof(resp), &len,
						    D5S), CCID_OK);
		assert_int_equal(len, 2);
		assert_int_equal(resp[0], 0x90);
	}
	fx_close(&x);
}

/* SetParameters T=1 and S(IFS request 254) = dwMaxIFSD (bSeq 2, 3). */
#define T1_START_STEPS(fidi)                                              \
	FAKE_OUT("61 07000000 00 02 01 00 00 " fidi " 10 00 4D 00 20 00"),   \
	FAKE_IN("82 07000000 00 02 00 00 01 " fidi " 10 00 4D 00 20 00"),    \
	FAKE_OUT("6F 05000000 00 03 00 00 00 00 C1 01 FE 3E"),               \
	FAKE_IN("80 05000000 00 03 00 00 00 00 E1 01 FE 1E")

/* T=1: I-blocks with alternating N(S), S(WTX) answered with bBWI = the
 * multiplier and the local deadline pushed by multiplier × BWT. */
static void test_tpdu_t1(void **state)
{
	static const struct fake_step script[] = {
		T1_START_STEPS("11"),
		FAKE_OUT("6F 08000000 00 04 00 00 00 00 00 04 80 16 00 00 92"),
		FAKE_IN("80 06000000 00 04 00 00 00 00 00 02 90 00 92"),
		FAKE_OUT("6F 08000000 00 05 00 00 00 00 40 04 80 16 00 00 D2"),
		FAKE_IN("80 05000000 00 05 00 00 00 00 C3 01 03 C1"),
		FAKE_OUT("6F 05000000 00 06 03 00 00 00 E3 01 03 E1"),
		FAKE_IN("80 06000000 00 06 00 00 00 00 40 02 90 00 D2"),
	};
	static const uint8_t nop[] = { 0x80, 0x16, 0x00, 0x00 };
	struct fx x;
	uint8_t resp[8];
	size_t len = 0;
	uint64_t dl, t;

	(void)state;
	fx_open(&x, RD_TPDU);
	tpdu_power_on(&x, ATR_T1_HEX);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_set_protocol(x.r, 0, 1, D5S), CCID_OK);
	assert_int_equal(ccid_slot_transmit(x.r, 0, nop, sizeof(nop), resp,
					    sizeof(resp), &len, D5S), CCID_OK);
	assert_int_equal(len, 2);
	assert_int_equal(resp[0], 0x90);
	t = ccid_now_ms();
	dl = t + 5000;
	assert_int_equal(ccid_slot_transmit(x.r, 0, nop, sizeof(nop), resp,
					    sizeof(resp), &len, dl), CCID_OK);
	assert_int_equal(len, 2);
	assert_int_equal(resp[1], 0x00);
	/* BWI 4 at 4 MHz: BWT = 960 × 372 × 16 / 4000 kHz + 11 etu = 1430 ms;
	 * the block after S(WTX response 03) may take 3 BWT + the margin
	 * (2 s + 2 × 259 characters of 12 etu ≈ 580 ms) */
	assert_true(x.f->last_in_deadline >= t + 3 * 1430 + 2000 + 570);
	assert_true(x.f->last_in_deadline <= ccid_now_ms() + 3 * 1430 + 2000 + 600);
	fx_close(&x);
}

/* A T=1 exchange the engine gives up on ends in deactivation (ISO 7816-3
 * §11.6.3): here every block is out of time before it is sent. */
static void test_tpdu_t1_deactivates(void **state)
{
	static const struct fake_step script[] = {
		T1_START_STEPS("11"),
		FAKE_OUT("63 00000000 00 04 00 00 00"),
		FAKE_IN("81 00000000 00 04 01 00 00"),
	};
	static const uint8_t nop[] = { 0x80, 0x16, 0x00, 0x00 };
	struct fx x;
	uint8_t resp[8];
	size_t len = 0;
	struct ccid_slot_state st;

	(void)state;
	fx_open(&x, RD_TPDU);
	tpdu_power_on(&x, ATR_T1_HEX);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_set_protocol(x.r, 0, 1, D5S), CCID_OK);
	assert_int_equal(ccid_slot_transmit(x.r, 0, nop, sizeof(nop), resp,
					    sizeof(resp), &len,
					    ccid_now_ms()), CCID_E_XFR);
	st = slot_state(&x, 0, NULL);
	assert_true(st.present);
	assert_false(st.powered);
	fx_close(&x);
}

/* PPS (ISO 7816-3 §9): TA1 13 runs at 43010 bps at 4 MHz, within the
 * reader's 10752..344086; GET_CLOCK_FREQUENCIES and GET_DATA_RATES are
 * asked first (answered empty here, so the descriptor decides).  The
 * echo accepts it. */
static void test_tpdu_pps_accepted(void **state)
{
	static const struct fake_step script[] = {
		FAKE_CONTROL(0xA1, 0x02, 0x0000),
		FAKE_CONTROL(0xA1, 0x03, 0x0000),
		FAKE_OUT("6F 04000000 00 02 00 00 00 FF 11 13 FD"),
		FAKE_IN("80 04000000 00 02 00 00 00 FF 11 13 FD"),
		FAKE_OUT("61 07000000 00 03 01 00 00 13 10 00 4D 00 20 00"),
		FAKE_IN("82 07000000 00 03 00 00 01 13 10 00 4D 00 20 00"),
		FAKE_OUT("6F 05000000 00 04 00 00 00 00 C1 01 FE 3E"),
		FAKE_IN("80 05000000 00 04 00 00 00 00 E1 01 FE 1E"),
	};
	struct fx x;
	struct ccid_slot_state st0, st1;

	(void)state;
	fx_open(&x, RD_TPDU_FAST);
	tpdu_power_on(&x, ATR_PPS_HEX);
	st0 = slot_state(&x, 0, NULL);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_set_protocol(x.r, 0, 1, D5S), CCID_OK);
	st1 = slot_state(&x, 0, NULL);
	assert_int_equal(st1.power_epoch, st0.power_epoch);
	fx_close(&x);
}

/* The card does not answer the PPS: reset (IccPowerOff + IccPowerOn) and
 * go on at Fd/Dd without PPS; a second set_protocol in the same power-up
 * does not try PPS again. */
static void test_tpdu_pps_refused(void **state)
{
	static const struct fake_step script[] = {
		FAKE_CONTROL(0xA1, 0x02, 0x0000),
		FAKE_CONTROL(0xA1, 0x03, 0x0000),
		FAKE_OUT("6F 04000000 00 02 00 00 00 FF 11 13 FD"),
		FAKE_IN("80 00000000 00 02 40 FE 00"),
		FAKE_OUT("63 00000000 00 03 00 00 00"),
		FAKE_IN("81 00000000 00 03 01 00 00"),
		FAKE_OUT("62 00000000 00 04 00 00 00"),
		FAKE_IN("80 05000000 00 04 00 00 00 " ATR_PPS_HEX),
		FAKE_OUT("61 07000000 00 05 01 00 00 11 10 00 4D 00 20 00"),
		FAKE_IN("82 07000000 00 05 00 00 01 11 10 00 4D 00 20 00"),
		FAKE_OUT("6F 05000000 00 06 00 00 00 00 C1 01 FE 3E"),
		FAKE_IN("80 05000000 00 06 00 00 00 00 E1 01 FE 1E"),
	};
	struct fx x;
	struct ccid_slot_state st0, st1;

	(void)state;
	fx_open(&x, RD_TPDU_FAST);
	tpdu_power_on(&x, ATR_PPS_HEX);
	st0 = slot_state(&x, 0, NULL);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_set_protocol(x.r, 0, 1, D5S), CCID_OK);
	st1 = slot_state(&x, 0, NULL);
	assert_true(st1.powered);
	assert_int_equal(st1.power_epoch, st0.power_epoch + 2);
	/* again in the same power-up: already T=1, nothing is sent (PPS
	 * belongs right after the ATR); the other protocol is refused */
	x.f->ops = 0;
	assert_int_equal(ccid_slot_set_protocol(x.r, 0, 1, D5S), CCID_OK);
	assert_int_equal(ccid_slot_set_protocol(x.r, 0, 0, D5S), CCID_E_INVAL);
	assert_int_equal(x.f->ops, 0);
	fx_close(&x);
}

/* Specific mode (TA2 01): no PPS, TA1 applies at once; the other
 * protocol is refused without a byte sent. */
static void test_tpdu_specific_mode(void **state)
{
	static const struct fake_step script[] = {
		T1_START_STEPS("13"),
	};
	struct fx x;

	(void)state;
	fx_open(&x, RD_TPDU_FAST);
	tpdu_power_on(&x, ATR_SPEC_HEX);
	FAKE_SCRIPT(x.f, script);
	x.f->ops = 0;
	assert_int_equal(ccid_slot_set_protocol(x.r, 0, 0, D5S), CCID_E_INVAL);
	assert_int_equal(x.f->ops, 0);
	assert_int_equal(ccid_slot_set_protocol(x.r, 0, 1, D5S), CCID_OK);
	fx_close(&x);
}

/* After a timeout and the abort sequence (CCID 1.1 §5.3.1) the slot
 * works again: the next APDU goes out with the next bSeq. */
static void test_tpdu_abort_then_works(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("61 05000000 00 02 00 00 00 11 00 00 0A 00"),
		FAKE_IN("82 05000000 00 02 00 00 00 11 00 00 0A 00"),
		FAKE_OUT("6F 05000000 00 03 00 00 00 80 16 00 00 00"),
		FAKE_FAULT(CCID_E_TIMEOUT),
		FAKE_CONTROL(0x21, 0x01, 0x0300),
		FAKE_OUT("72 00000000 00 03 00 00 00"),
		FAKE_IN("80 00000000 00 03 40 FF 00"),
		FAKE_IN("81 00000000 00 03 00 00 00"),
		FAKE_OUT("6F 05000000 00 04 00 00 00 80 16 00 00 00"),
		FAKE_IN("80 02000000 00 04 00 00 00 90 00"),
	};
	static const uint8_t nop[] = { 0x80, 0x16, 0x00, 0x00 };
	struct fx x;
	uint8_t resp[8];
	size_t len = 0;

	(void)state;
	fx_open(&x, RD_TPDU);
	tpdu_power_on(&x, ATR_T0_HEX);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_set_protocol(x.r, 0, 0, D5S), CCID_OK);
	assert_int_equal(ccid_slot_transmit(x.r, 0, nop, sizeof(nop), resp,
					    sizeof(resp), &len, D5S),
			 CCID_E_TIMEOUT);
	assert_int_equal(ccid_slot_transmit(x.r, 0, nop, sizeof(nop), resp,
					    sizeof(resp), &len, D5S), CCID_OK);
	assert_int_equal(len, 2);
	assert_int_equal(resp[0], 0x90);
	fx_close(&x);
}

/* ------------------------------------------------------------------ */
/* Transmit, extended APDU level (16-byte chunks)                     */

static void test_transmit_ext_single(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("6F 05000000 00 01 00 00 00 00 CA 00 6E 00"),
		FAKE_IN("80 03000000 00 01 00 00 00 AA 90 00"),
	};
	static const uint8_t apdu[] = { 0x00, 0xCA, 0x00, 0x6E, 0x00 };
	struct fx x;
	uint8_t resp[8];
	size_t len = 0;

	(void)state;
	fx_open(&x, RD_EXT);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, D5S), CCID_OK);
	assert_int_equal(len, 3);
	assert_int_equal(resp[0], 0xAA);
	fx_close(&x);
}

/* 40-byte command: 16 (wLevelParameter 1) + 16 (3) + 8 (2);
 * response: 16 (bChainParameter 1) + 16 (3) + 4 (2) = 36 bytes. */
static const struct fake_step chain_script[] = {
	FAKE_OUT("6F 10000000 00 01 00 01 00"
		 "00010203 04050607 08090A0B 0C0D0E0F"),
	FAKE_IN("80 00000000 00 01 00 00 10"),
	FAKE_OUT("6F 10000000 00 02 00 03 00"
		 "10111213 14151617 18191A1B 1C1D1E1F"),
	FAKE_IN("80 00000000 00 02 00 00 10"),
	FAKE_OUT("6F 08000000 00 03 00 02 00"
		 "20212223 24252627"),
	FAKE_IN("80 10000000 00 03 00 00 01"
		"A0A1A2A3 A4A5A6A7 A8A9AAAB ACADAEAF"),
	FAKE_OUT("6F 00000000 00 04 00 10 00"),
	FAKE_IN("80 10000000 00 04 00 00 03"
		"B0B1B2B3 B4B5B6B7 B8B9BABB BCBDBEBF"),
	FAKE_OUT("6F 00000000 00 05 00 10 00"),
	FAKE_IN("80 04000000 00 05 00 00 02 C0C1 9000"),
};

static void test_transmit_ext_chained(void **state)
{
	struct fx x;
	uint8_t apdu[40], resp[64], want[36];
	size_t len = 0;

	(void)state;
	for (unsigned i = 0; i < sizeof(apdu); i++)
		apdu[i] = (uint8_t)i;
	for (unsigned i = 0; i < 16; i++) {
		want[i] = (uint8_t)(0xA0 + i);
		want[16 + i] = (uint8_t)(0xB0 + i);
	}
	memcpy(want + 32, "\xC0\xC1\x90\x00", 4);
	fx_open(&x, RD_EXT);
	FAKE_SCRIPT(x.f, chain_script);
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, D5S), CCID_OK);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(resp, want, sizeof(want));
	fx_close(&x);
}

/* A continuation chunk of a chained APDU is data: that its second byte
 * looks like VERIFY's INS (20) redacts nothing (CCID 1.1 §6.1.4). */
static void test_debug_dump_chunk_not_redacted(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("6F 10000000 00 01 00 01 00"
			 "00010203 04050607 08090A0B 0C0D0E0F"),
		FAKE_IN("80 00000000 00 01 00 00 10"),
		FAKE_OUT("6F 10000000 00 02 00 03 00"
			 "10201213 14151617 18191A1B 1C1D1E1F"),
		FAKE_IN("80 00000000 00 02 00 00 10"),
		FAKE_OUT("6F 08000000 00 03 00 02 00"
			 "20212223 24252627"),
		FAKE_IN("80 02000000 00 03 00 00 00 90 00"),
	};
	struct fx x;
	uint8_t apdu[40], resp[8];
	size_t len = 0;
	const char *text;

	(void)state;
	for (unsigned i = 0; i < sizeof(apdu); i++)
		apdu[i] = (uint8_t)i;
	apdu[17] = 0x20;
	fx_open(&x, RD_EXT);
	FAKE_SCRIPT(x.f, script);
	capture_start();
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, D5S), CCID_OK);
	fx_close(&x);
	text = capture_stop();
	assert_non_null(strstr(text, "10 20 12 13 14 15 16 17 18 19 1A 1B 1C 1D 1E 1F"));
	assert_null(strstr(text, "redacted"));
}

/* At TPDU level with T=1 the APDU sits in the I-block's INF: a VERIFY's
 * PIN is redacted there too. */
static void test_debug_dump_redacts_t1_verify(void **state)
{
	static const struct fake_step script[] = {
		T1_START_STEPS("11"),
		FAKE_OUT("6F 0D000000 00 04 00 00 00 00 00 09 00 20 00 81 04 31 32 33 34 A8"),
		FAKE_IN("80 06000000 00 04 00 00 00 00 00 02 90 00 92"),
	};
	static const uint8_t verify[] = { 0x00, 0x20, 0x00, 0x81, 0x04,
					  0x31, 0x32, 0x33, 0x34 };
	struct fx x;
	uint8_t resp[8];
	size_t len = 0;
	const char *text;

	(void)state;
	fx_open(&x, RD_TPDU);
	tpdu_power_on(&x, ATR_T1_HEX);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_set_protocol(x.r, 0, 1, D5S), CCID_OK);
	capture_start();
	assert_int_equal(ccid_slot_transmit(x.r, 0, verify, sizeof(verify),
					    resp, sizeof(resp), &len, D5S),
			 CCID_OK);
	fx_close(&x);
	text = capture_stop();
	assert_non_null(strstr(text, "6F 0D 00 00 00 00 04 00 00 00 00 00 09 00 20 00 81 04\n"));
	assert_non_null(strstr(text, "5 more bytes redacted (PIN)"));
	assert_null(strstr(text, "31 32 33 34"));
}

static void test_transmit_ext_overflow_drains(void **state)
{
	struct fx x;
	uint8_t apdu[40], resp[20];
	size_t len = 0;

	(void)state;
	for (unsigned i = 0; i < sizeof(apdu); i++)
		apdu[i] = (uint8_t)i;
	fx_open(&x, RD_EXT);
	FAKE_SCRIPT(x.f, chain_script);
	/* every part is still read (script fully consumed) */
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, D5S),
			 CCID_E_OVERFLOW);
	assert_int_equal(len, 36);
	assert_int_equal(resp[0], 0xA0);
	assert_int_equal(resp[19], 0xB3);
	fx_close(&x);
}

static void test_transmit_ext_bad_ack(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("6F 10000000 00 01 00 01 00"
			 "00000000 00000000 00000000 00000000"),
		/* must be an empty DataBlock with bChainParameter 0x10 */
		FAKE_IN("80 02000000 00 01 00 00 00 6700"),
	};
	static const struct fake_step script2[] = {
		FAKE_OUT("6F 10000000 00 02 00 01 00"
			 "00000000 00000000 00000000 00000000"),
		FAKE_IN("80 01000000 00 02 00 00 10 00"),
	};
	struct fx x;
	uint8_t apdu[20] = { 0 }, resp[8];
	size_t len = 0;

	(void)state;
	fx_open(&x, RD_EXT);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, D5S),
			 CCID_E_PROTO);
	fake_transport_done(x.f);
	FAKE_SCRIPT(x.f, script2);
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, D5S),
			 CCID_E_PROTO);
	fx_close(&x);
}

static void test_transmit_ext_bad_resp_chain(void **state)
{
	static const struct fake_step starts_with_3[] = {
		FAKE_OUT("6F 04000000 00 01 00 00 00 00 84 00 00"),
		FAKE_IN("80 02000000 00 01 00 00 03 AABB"),
	};
	static const struct fake_step one_then_zero[] = {
		FAKE_OUT("6F 04000000 00 02 00 00 00 00 84 00 00"),
		FAKE_IN("80 02000000 00 02 00 00 01 AABB"),
		FAKE_OUT("6F 00000000 00 03 00 10 00"),
		FAKE_IN("80 02000000 00 03 00 00 00 9000"),
	};
	static const struct fake_step one_then_fail[] = {
		FAKE_OUT("6F 04000000 00 04 00 00 00 00 84 00 00"),
		FAKE_IN("80 02000000 00 04 00 00 01 AABB"),
		FAKE_OUT("6F 00000000 00 05 00 10 00"),
		FAKE_IN("80 00000000 00 05 40 FD 00"),
	};
	static const uint8_t apdu[] = { 0x00, 0x84, 0x00, 0x00 };
	struct fx x;
	uint8_t resp[8];
	size_t len = 0;

	(void)state;
	fx_open(&x, RD_EXT);
	FAKE_SCRIPT(x.f, starts_with_3);
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, D5S),
			 CCID_E_PROTO);
	fake_transport_done(x.f);
	FAKE_SCRIPT(x.f, one_then_zero);
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, D5S),
			 CCID_E_PROTO);
	fake_transport_done(x.f);
	FAKE_SCRIPT(x.f, one_then_fail);
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, D5S),
			 CCID_E_XFR);
	fx_close(&x);
}

/* ------------------------------------------------------------------ */
/* The exchange loop                                                  */

static void test_stale_skipped(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("65 00000000 00 01 00 00 00"),
		/* late answers to earlier commands, of any type */
		FAKE_IN("80 02000000 00 00 00 00 00 9000"),
		FAKE_IN("81 00000000 00 FF 01 00 00"),
		FAKE_IN("81 00000000 00 01 00 00 00"),
	};
	struct fx x;
	enum ccid_icc_status st;

	(void)state;
	fx_open(&x, RD_SHORT);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_get_status(x.r, 0, &st, D5S), CCID_OK);
	assert_int_equal(st, CCID_ICC_ACTIVE);
	fx_close(&x);
}

static void test_too_many_stale(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("65 00000000 00 01 00 00 00"),
		FAKE_IN("81 00000000 00 00 01 00 00"),
		FAKE_IN("81 00000000 00 00 01 00 00"),
		FAKE_IN("81 00000000 00 00 01 00 00"),
		FAKE_IN("81 00000000 00 00 01 00 00"),
		FAKE_IN("81 00000000 00 00 01 00 00"),
		FAKE_IN("81 00000000 00 00 01 00 00"),
		FAKE_IN("81 00000000 00 00 01 00 00"),
		FAKE_IN("81 00000000 00 00 01 00 00"),
		FAKE_IN("81 00000000 00 00 01 00 00"), /* the 9th */
	};
	struct fx x;
	enum ccid_icc_status st;

	(void)state;
	assert_int_equal(CCID_MAX_STALE_REPLIES, 8);
	fx_open(&x, RD_SHORT);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_get_status(x.r, 0, &st, D5S), CCID_E_PROTO);
	fx_close(&x);
}

static void test_time_extension(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("6F 04000000 00 01 00 00 00 00 84 00 00"),
		FAKE_IN("80 00000000 00 01 80 03 00"), /* x3 */
		FAKE_IN("80 00000000 00 01 80 00 00"), /* x0 counts as 1 */
		FAKE_IN("80 02000000 00 01 00 00 00 9000"),
		FAKE_OUT("6F 04000000 00 02 00 00 00 00 84 00 00"),
		FAKE_IN("80 00000000 00 02 80 FF 00"),
		FAKE_IN("80 00000000 00 02 80 FF 00"),
		FAKE_IN("80 00000000 00 02 80 FF 00"),
		FAKE_IN("80 02000000 00 02 00 00 00 9000"),
	};
	static const uint8_t apdu[] = { 0x00, 0x84, 0x00, 0x00 };
	struct fx x;
	uint8_t resp[4];
	size_t len = 0;
	uint64_t dl = ccid_deadline_in(5000);

	(void)state;
	fx_open(&x, RD_SHORT);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, dl), CCID_OK);
	assert_int_equal(x.f->last_in_deadline, dl + 4 * CCID_TIME_EXTENSION_MS);
	/* 3 x 255 s asked, capped at original + 10 min */
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, dl), CCID_OK);
	assert_int_equal(x.f->last_in_deadline, dl + CCID_TIME_EXTENSION_MAX_MS);
	fx_close(&x);
}

static void test_wrong_slot_or_type(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("65 00000000 00 03 00 00 00"),
		FAKE_IN("81 00000000 01 03 00 00 00"), /* bSlot 1 */
		FAKE_OUT("65 00000000 00 04 00 00 00"),
		FAKE_IN("80 00000000 00 04 00 00 00"), /* DataBlock */
		FAKE_OUT("65 00000000 00 05 00 00 00"),
		FAKE_IN("50 00000000 00 05 00 00 00"), /* not a bulk reply */
	};
	struct fx x;
	enum ccid_icc_status st;

	(void)state;
	fx_open(&x, RD_MULTI);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_get_status(x.r, 0, &st, D5S), CCID_E_PROTO);
	assert_int_equal(ccid_slot_get_status(x.r, 0, &st, D5S), CCID_E_PROTO);
	assert_int_equal(ccid_slot_get_status(x.r, 0, &st, D5S), CCID_E_PROTO);
	fx_close(&x);
}

static void test_short_read_reassembled(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("6F 04000000 00 01 00 00 00 00 84 00 00"),
		/* header cut in two, then the data separately */
		FAKE_IN_SPLIT("80 04000000 00 01 00 00 00 11 22 90 00", 4),
		FAKE_OUT("6F 04000000 00 02 00 00 00 00 84 00 00"),
		FAKE_IN_SPLIT("80 04000000 00 02 00 00 00 33 44 90 00", 10),
	};
	static const uint8_t apdu[] = { 0x00, 0x84, 0x00, 0x00 };
	struct fx x;
	uint8_t resp[4];
	size_t len = 0;

	(void)state;
	fx_open(&x, RD_SHORT);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, D5S), CCID_OK);
	assert_memory_equal(resp, "\x11\x22\x90\x00", 4);
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, D5S), CCID_OK);
	assert_memory_equal(resp, "\x33\x44\x90\x00", 4);
	fx_close(&x);
}

/* The rest of a reply gets CCID_CONTINUATION_MS, not the caller's
 * deadline: the read after the first part carries the shorter one. */
static void test_continuation_deadline(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("6F 04000000 00 01 00 00 00 00 84 00 00"),
		FAKE_IN_SPLIT("80 04000000 00 01 00 00 00 11 22 90 00", 6),
	};
	static const uint8_t apdu[] = { 0x00, 0x84, 0x00, 0x00 };
	struct fx x;
	uint8_t resp[4];
	size_t len = 0;
	uint64_t before, caller = ccid_deadline_in(60000);

	(void)state;
	fx_open(&x, RD_SHORT);
	FAKE_SCRIPT(x.f, script);
	before = ccid_deadline_in(0);
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, caller),
			 CCID_OK);
	assert_memory_equal(resp, "\x11\x22\x90\x00", 4);
	/* the last bulk-IN was the continuation */
	assert_true(x.f->last_in_deadline >= before + CCID_CONTINUATION_MS);
	assert_true(x.f->last_in_deadline <=
		    ccid_deadline_in(CCID_CONTINUATION_MS));
	assert_true(x.f->last_in_deadline < caller);
	fake_transport_done(x.f);
	fx_close(&x);
}

/* A reply cut short (its rest never comes) ends as a timeout with the
 * abort sequence, and the next command works. */
static void test_reply_cut_short(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("6F 04000000 00 01 00 00 00 00 84 00 00"),
		FAKE_IN("80 04000000 00 01 00 00 00 11 22"),
		FAKE_FAULT(CCID_E_TIMEOUT),
		FAKE_CONTROL(0x21, 0x01, 0x0100),
		FAKE_OUT("72 00000000 00 01 00 00 00"),
		FAKE_IN("81 00000000 00 01 00 00 00"),
		FAKE_OUT("6F 04000000 00 02 00 00 00 00 84 00 00"),
		FAKE_IN("80 04000000 00 02 00 00 00 33 44 90 00"),
	};
	static const uint8_t apdu[] = { 0x00, 0x84, 0x00, 0x00 };
	struct fx x;
	uint8_t resp[4];
	size_t len = 0;

	(void)state;
	fx_open(&x, RD_SHORT);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, D5S),
			 CCID_E_TIMEOUT);
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, D5S), CCID_OK);
	assert_memory_equal(resp, "\x33\x44\x90\x00", 4);
	fake_transport_done(x.f);
	fx_close(&x);
}

/* Empty transfers are skipped, a few of them; a reader that sends
 * nothing else is a protocol error, not a busy loop until the deadline. */
static void test_empty_transfers(void **state)
{
#define E FAKE_IN("")
	static const struct fake_step script[] = {
		FAKE_OUT("6F 04000000 00 01 00 00 00 00 84 00 00"),
		E, E, E,
		FAKE_IN("80 04000000 00 01 00 00 00 11 22 90 00"),
		FAKE_OUT("6F 04000000 00 02 00 00 00 00 84 00 00"),
		E, E, E, E, E, E, E, E, E, E, E, E, E, E, E, E, E,
	};
#undef E
	static const uint8_t apdu[] = { 0x00, 0x84, 0x00, 0x00 };
	struct fx x;
	uint8_t resp[4];
	size_t len = 0;

	(void)state;
	assert_int_equal(CCID_MAX_EMPTY_READS, 16);
	fx_open(&x, RD_SHORT);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, D5S), CCID_OK);
	assert_memory_equal(resp, "\x11\x22\x90\x00", 4);
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, D5S),
			 CCID_E_PROTO);
	fake_transport_done(x.f);
	fx_close(&x);
}

static void test_reply_too_long(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("6F 04000000 00 01 00 00 00 00 84 00 00"),
		/* announces 262 + 10 > dwMaxCCIDMessageLength 271 */
		FAKE_IN("80 06010000 00 01 00 00 00"),
	};
	static const uint8_t apdu[] = { 0x00, 0x84, 0x00, 0x00 };
	struct fx x;
	uint8_t resp[300];
	size_t len = 0;

	(void)state;
	fx_open(&x, RD_SHORT);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, D5S),
			 CCID_E_PROTO);
	fx_close(&x);
}

static void test_command_too_long(void **state)
{
	struct fx x;
	struct ccid_reply rep;
	uint8_t data[262] = { 0 };

	(void)state;
	fx_open(&x, RD_SHORT);
	assert_int_equal(ccid_reader_command(x.r, PC_to_RDR_XfrBlock, 0, NULL,
					     data, sizeof(data), &rep, D5S),
			 CCID_E_OVERFLOW);
	assert_int_equal(x.f->ops, 0);
	assert_int_equal(x.r->seq, 1); /* no bSeq spent */
	fx_close(&x);
}

static void test_seq_wraps(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("65 00000000 00 FF 00 00 00"),
		FAKE_IN("81 00000000 00 FF 01 00 00"),
		FAKE_OUT("65 00000000 00 00 00 00 00"),
		FAKE_IN("81 00000000 00 00 01 00 00"),
	};
	struct fx x;
	enum ccid_icc_status st;

	(void)state;
	fx_open(&x, RD_SHORT);
	x.r->seq = 0xFF;
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_get_status(x.r, 0, &st, D5S), CCID_OK);
	assert_int_equal(ccid_slot_get_status(x.r, 0, &st, D5S), CCID_OK);
	fx_close(&x);
}

static void test_timeout_abort(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("6F 04000000 02 03 00 00 00 00 84 00 00"),
		FAKE_FAULT(CCID_E_TIMEOUT),
		/* CCID 1.1 §5.3.1: ABORT, wValue = bSeq << 8 | bSlot */
		FAKE_CONTROL(0x21, 0x01, 0x0302),
		FAKE_OUT("72 00000000 02 03 00 00 00"),
		/* the aborted XfrBlock, then the Abort's SlotStatus */
		FAKE_IN("80 00000000 02 03 40 FF 00"),
		FAKE_IN("81 00000000 02 03 00 00 00"),
		/* the next command starts clean with the next bSeq */
		FAKE_OUT("65 00000000 02 04 00 00 00"),
		FAKE_IN("81 00000000 02 04 00 00 00"),
	};
	static const uint8_t apdu[] = { 0x00, 0x84, 0x00, 0x00 };
	struct fx x;
	uint8_t resp[4];
	size_t len = 0;
	enum ccid_icc_status st;

	(void)state;
	fx_open(&x, RD_MULTI);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_transmit(x.r, 2, apdu, sizeof(apdu), resp,
					    sizeof(resp), &len, D5S),
			 CCID_E_TIMEOUT);
	assert_false(ccid_reader_is_gone(x.r));
	assert_int_equal(ccid_slot_get_status(x.r, 2, &st, D5S), CCID_OK);
	assert_int_equal(st, CCID_ICC_ACTIVE);
	fx_close(&x);
}

static void test_timeout_abort_unanswered(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("65 00000000 00 01 00 00 00"),
		FAKE_FAULT(CCID_E_TIMEOUT),
		FAKE_CONTROL(0x21, 0x01, 0x0100),
		FAKE_OUT("72 00000000 00 01 00 00 00"),
		FAKE_FAULT(CCID_E_TIMEOUT),
	};
	static const struct fake_step stalled[] = {
		FAKE_OUT("65 00000000 00 02 00 00 00"),
		FAKE_FAULT(CCID_E_TIMEOUT),
		FAKE_FAULT(CCID_E_STALL), /* ABORT request not supported */
		FAKE_OUT("72 00000000 00 02 00 00 00"),
		FAKE_IN("81 00000000 00 02 01 00 00"),
	};
	struct fx x;
	enum ccid_icc_status st;

	(void)state;
	fx_open(&x, RD_SHORT);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_get_status(x.r, 0, &st, D5S),
			 CCID_E_TIMEOUT);
	fake_transport_done(x.f);
	FAKE_SCRIPT(x.f, stalled);
	assert_int_equal(ccid_slot_get_status(x.r, 0, &st, D5S),
			 CCID_E_TIMEOUT);
	fx_close(&x);
}

static void test_stall(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("65 00000000 00 01 00 00 00"),
		FAKE_FAULT(CCID_E_STALL),
	};
	struct fx x;
	enum ccid_icc_status st;

	(void)state;
	fx_open(&x, RD_SHORT);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_get_status(x.r, 0, &st, D5S), CCID_E_STALL);
	assert_false(ccid_reader_is_gone(x.r));
	fx_close(&x);
}

static void test_no_device_is_final(void **state)
{
	static const struct fake_step script[] = {
		FAKE_FAULT(CCID_E_NO_DEVICE),
	};
	static const uint8_t apdu[] = { 0x00, 0x84, 0x00, 0x00 };
	struct fx x;
	enum ccid_icc_status st;
	struct ccid_slot_state s;
	uint8_t buf[40];
	size_t len = 0;
	uint64_t gen = 0;
	unsigned ops;

	(void)state;
	fx_open(&x, RD_SHORT);
	slot_state(&x, 0, &gen);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), buf,
					    sizeof(buf), &len, D5S),
			 CCID_E_NO_DEVICE);
	assert_true(ccid_reader_is_gone(x.r));
	ops = x.f->ops;
	assert_int_equal(ccid_slot_get_status(x.r, 0, &st, D5S),
			 CCID_E_NO_DEVICE);
	assert_int_equal(ccid_slot_power_on(x.r, 0, buf, sizeof(buf), &len,
					    D5S), CCID_E_NO_DEVICE);
	assert_int_equal(ccid_slot_power_off(x.r, 0, D5S), CCID_E_NO_DEVICE);
	assert_int_equal(ccid_slot_transmit(x.r, 0, apdu, sizeof(apdu), buf,
					    sizeof(buf), &len, D5S),
			 CCID_E_NO_DEVICE);
	assert_int_equal(ccid_reader_command(x.r, PC_to_RDR_GetSlotStatus, 0,
					     NULL, NULL, 0, NULL, D5S),
			 CCID_E_INVAL);
	assert_int_equal(ccid_reader_slot_state(x.r, 0, &s, NULL),
			 CCID_E_NO_DEVICE);
	assert_int_equal(ccid_reader_wait_change(x.r, gen + 1, D5S),
			 CCID_E_NO_DEVICE);
	assert_int_equal(x.f->ops, ops); /* nothing reached the transport */
	fx_close(&x);
}

/* ------------------------------------------------------------------ */
/* Interrupt pipe                                                     */

static void test_interrupt_notify(void **state)
{
	static const struct fake_step power[] = {
		FAKE_OUT("62 00000000 00 03 00 00 00"),
		FAKE_IN("80 0A000000 00 03 00 00 00" ATR10_HEX),
	};
	static const struct fake_step insert1[] = {
		FAKE_INTR("50 0D"), /* slot 0 present; slot 1 inserted */
	};
	static const struct fake_step noise[] = {
		FAKE_INTR("51 00 03 01"), /* hardware error: logged only */
		FAKE_INTR("50"),          /* truncated: ignored */
		FAKE_INTR("50 05"),       /* nothing changed */
	};
	static const struct fake_step remove0[] = {
		FAKE_INTR("50 06"), /* slot 0 removed, slot 1 still there */
	};
	struct fx x;
	struct ccid_slot_state s;
	uint64_t g0 = 0, g1 = 0, g2 = 0;
	uint8_t atr[33];
	size_t len = 0;

	(void)state;
	fx_open(&x, RD_MULTI);
	FAKE_SCRIPT(x.f, power);
	assert_int_equal(ccid_slot_power_on(x.r, 0, atr, sizeof(atr), &len,
					    D5S), CCID_OK);
	fake_transport_done(x.f);
	slot_state(&x, 0, &g0);

	FAKE_SCRIPT(x.f, insert1);
	fake_transport_pump(x.f);
	s = slot_state(&x, 1, &g1);
	assert_true(s.present);
	assert_int_equal(s.changes, 1);
	assert_int_equal(g1, g0 + 1);
	assert_true(slot_state(&x, 0, NULL).powered);

	FAKE_SCRIPT(x.f, noise);
	fake_transport_pump(x.f);
	slot_state(&x, 1, &g2);
	assert_int_equal(g2, g1);

	FAKE_SCRIPT(x.f, remove0);
	fake_transport_pump(x.f);
	s = slot_state(&x, 0, &g2);
	assert_false(s.present);
	assert_false(s.powered);
	assert_int_equal(s.atr_len, 0);
	assert_int_equal(s.changes, 1);
	assert_int_equal(g2, g1 + 1);
	assert_true(slot_state(&x, 1, NULL).present);
	assert_false(slot_state(&x, 2, NULL).present);
	fx_close(&x);
}

static void test_interrupt_swap_and_gone(void **state)
{
	static const struct fake_step power[] = {
		FAKE_OUT("62 00000000 00 03 00 00 00"),
		FAKE_IN("80 0A000000 00 03 00 00 00" ATR10_HEX),
	};
	static const struct fake_step swap[] = {
		/* the first after open: the card present since the reader
		 * powered up, which GetSlotStatus saw; no swap */
		FAKE_INTR("50 03"),
		FAKE_INTR("50 03"), /* present, changed: a different card */
		FAKE_INTR(NULL),    /* device gone */
	};
	struct fx x;
	struct ccid_slot_state s;
	uint8_t atr[33];
	size_t len = 0;

	(void)state;
	fx_open(&x, RD_MULTI);
	FAKE_SCRIPT(x.f, power);
	assert_int_equal(ccid_slot_power_on(x.r, 0, atr, sizeof(atr), &len,
					    D5S), CCID_OK);
	FAKE_SCRIPT(x.f, swap);
	fake_transport_pump(x.f);
	assert_int_equal(ccid_reader_slot_state(x.r, 0, &s, NULL),
			 CCID_E_NO_DEVICE);
	assert_true(s.present);
	assert_false(s.powered);
	assert_int_equal(s.changes, 2);
	assert_true(ccid_reader_is_gone(x.r));
	fx_close(&x);
}

struct waiter {
	struct ccid_reader *r;
	uint64_t since;
	int rc;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;

	w->rc = ccid_reader_wait_change(w->r, w->since, ccid_deadline_in(10000));
	return NULL;
}

static void test_wait_change(void **state)
{
	static const struct fake_step insert2[] = {
		FAKE_INTR("50 31"), /* slot 2 inserted */
	};
	struct fx x;
	struct waiter w;
	pthread_t t;
	uint64_t gen = 0;
	const struct timespec pause = { 0, 20 * 1000000L };

	(void)state;
	fx_open(&x, RD_MULTI);
	slot_state(&x, 0, &gen);
	assert_int_equal(ccid_reader_wait_change(x.r, gen, ccid_deadline_in(0)),
			 CCID_E_TIMEOUT);
	assert_int_equal(ccid_reader_wait_change(x.r, gen + 7, 0), CCID_OK);
	w.r = x.r;
	w.since = gen;
	w.rc = 99;
	assert_int_equal(pthread_create(&t, NULL, wait_thread, &w), 0);
	nanosleep(&pause, NULL);
	FAKE_SCRIPT(x.f, insert2);
	fake_transport_pump(x.f);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.rc, CCID_OK);
	assert_true(slot_state(&x, 2, NULL).present);
	fx_close(&x);
}

/* ------------------------------------------------------------------ */
/* power_epoch and the change hook (the manager's wake-up)            */

struct hook_rec {
	struct ccid_reader *r;
	unsigned calls;
	unsigned locked; /* calls made with state_lock held: must stay 0 */
};

static void count_hook(void *arg)
{
	struct hook_rec *h = arg;

	h->calls++;
	if (pthread_mutex_trylock(&h->r->state_lock) == 0)
		pthread_mutex_unlock(&h->r->state_lock);
	else
		h->locked++;
}

static void hook_on(struct fx *x, struct hook_rec *h)
{
	*h = (struct hook_rec){ .r = x->r };
	ccid_reader_set_on_change(x->r, count_hook, h);
}

static void test_power_epoch_and_hook(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("62 00000000 00 01 00 00 00"),
		FAKE_IN("80 0A000000 00 01 00 00 00" ATR10_HEX),
		/* the power-off reply already says "inactive" */
		FAKE_OUT("63 00000000 00 02 00 00 00"),
		FAKE_IN("81 00000000 00 02 01 00 00"),
		FAKE_OUT("62 00000000 00 03 00 00 00"),
		FAKE_IN("80 0A000000 00 03 00 00 00" ATR10_HEX),
		/* reset behind our back, then removed, then still removed */
		FAKE_OUT("65 00000000 00 04 00 00 00"),
		FAKE_IN("81 00000000 00 04 01 00 00"),
		FAKE_OUT("65 00000000 00 05 00 00 00"),
		FAKE_IN("81 00000000 00 05 02 00 00"),
		FAKE_OUT("65 00000000 00 06 00 00 00"),
		FAKE_IN("81 00000000 00 06 02 00 00"),
		/* back, with the hook removed */
		FAKE_OUT("65 00000000 00 07 00 00 00"),
		FAKE_IN("81 00000000 00 07 01 00 00"),
	};
	struct fx x;
	struct hook_rec h;
	struct ccid_slot_state s;
	enum ccid_icc_status st;
	uint8_t atr[33];
	size_t len = 0;
	uint64_t g0 = 0, g = 0;

	(void)state;
	fx_open(&x, RD_SHORT);
	hook_on(&x, &h);
	s = slot_state(&x, 0, &g0);
	assert_int_equal(s.power_epoch, 0);
	FAKE_SCRIPT(x.f, script);

	assert_int_equal(ccid_slot_power_on(x.r, 0, atr, sizeof(atr), &len,
					    D5S), CCID_OK);
	s = slot_state(&x, 0, &g);
	assert_int_equal(s.power_epoch, 1);
	assert_int_equal(h.calls, 1);
	assert_int_equal(g, g0 + 1);

	assert_int_equal(ccid_slot_power_off(x.r, 0, D5S), CCID_OK);
	s = slot_state(&x, 0, &g);
	assert_false(s.powered);
	assert_int_equal(s.power_epoch, 2); /* one step for one power-off */
	assert_int_equal(h.calls, 2);
	assert_int_equal(g, g0 + 2);

	assert_int_equal(ccid_slot_power_on(x.r, 0, atr, sizeof(atr), &len,
					    D5S), CCID_OK);
	assert_int_equal(slot_state(&x, 0, NULL).power_epoch, 3);
	assert_int_equal(h.calls, 3);

	assert_int_equal(ccid_slot_get_status(x.r, 0, &st, D5S), CCID_OK);
	assert_int_equal(st, CCID_ICC_INACTIVE);
	s = slot_state(&x, 0, NULL);
	assert_true(s.present);
	assert_false(s.powered);
	assert_int_equal(s.power_epoch, 4);
	assert_int_equal(h.calls, 4);

	assert_int_equal(ccid_slot_get_status(x.r, 0, &st, D5S), CCID_OK);
	assert_int_equal(st, CCID_ICC_ABSENT);
	s = slot_state(&x, 0, NULL);
	assert_false(s.present);
	assert_int_equal(s.changes, 1);
	assert_int_equal(s.power_epoch, 5);
	assert_int_equal(h.calls, 5);

	assert_int_equal(ccid_slot_get_status(x.r, 0, &st, D5S), CCID_OK);
	s = slot_state(&x, 0, &g);
	assert_int_equal(s.power_epoch, 5);
	assert_int_equal(h.calls, 5); /* no change, no call */
	assert_int_equal(g, g0 + 5);

	/* a slot that does not exist, a power-off of an unpowered slot */
	ccid_reader_note_power(x.r, 1, ATR10, sizeof(ATR10));
	ccid_reader_note_power(x.r, 0, NULL, 0);
	slot_state(&x, 0, &g);
	assert_int_equal(g, g0 + 5);
	assert_int_equal(h.calls, 5);

	ccid_reader_set_on_change(x.r, NULL, NULL);
	assert_int_equal(ccid_slot_get_status(x.r, 0, &st, D5S), CCID_OK);
	s = slot_state(&x, 0, &g);
	assert_true(s.present);
	assert_int_equal(s.changes, 2);
	assert_int_equal(s.power_epoch, 5); /* insertion: not a power change */
	assert_int_equal(g, g0 + 6);
	assert_int_equal(h.calls, 5);
	assert_int_equal(h.locked, 0);
	fx_close(&x);
}

static void test_interrupt_epoch_and_hook(void **state)
{
	static const struct fake_step power[] = {
		FAKE_OUT("62 00000000 00 03 00 00 00"),
		FAKE_IN("80 0A000000 00 03 00 00 00" ATR10_HEX),
	};
	static const struct fake_step swap[] = {
		FAKE_INTR("50 01"), /* the first after open: old news */
		FAKE_INTR("50 03"), /* slot 0: present, changed */
	};
	static const struct fake_step same[] = {
		FAKE_INTR("50 01"), /* nothing changed */
	};
	static const struct fake_step remove0_insert1[] = {
		FAKE_INTR("50 02"), /* slot 0 removed */
		FAKE_INTR("50 0C"), /* slot 1 inserted */
	};
	static const struct fake_step gone[] = {
		FAKE_INTR(NULL),
	};
	struct fx x;
	struct hook_rec h;
	struct ccid_slot_state s;
	uint8_t atr[33];
	size_t len = 0;
	uint64_t g0 = 0, g = 0;

	(void)state;
	fx_open(&x, RD_MULTI);
	hook_on(&x, &h);
	FAKE_SCRIPT(x.f, power);
	assert_int_equal(ccid_slot_power_on(x.r, 0, atr, sizeof(atr), &len,
					    D5S), CCID_OK);
	fake_transport_done(x.f);
	s = slot_state(&x, 0, &g0);
	assert_int_equal(s.power_epoch, 1);
	assert_int_equal(h.calls, 1);

	FAKE_SCRIPT(x.f, swap);
	fake_transport_pump(x.f);
	s = slot_state(&x, 0, &g);
	assert_int_equal(s.power_epoch, 2);
	assert_int_equal(s.changes, 2);
	assert_int_equal(h.calls, 2);
	assert_int_equal(g, g0 + 1);

	FAKE_SCRIPT(x.f, same);
	fake_transport_pump(x.f);
	slot_state(&x, 0, &g);
	assert_int_equal(h.calls, 2);
	assert_int_equal(g, g0 + 1);

	FAKE_SCRIPT(x.f, remove0_insert1);
	fake_transport_pump(x.f);
	s = slot_state(&x, 0, &g);
	assert_false(s.present);
	assert_int_equal(s.power_epoch, 3);
	assert_int_equal(s.changes, 3);
	s = slot_state(&x, 1, NULL);
	assert_true(s.present);
	assert_int_equal(s.power_epoch, 0);
	assert_int_equal(h.calls, 4);
	assert_int_equal(g, g0 + 3);

	FAKE_SCRIPT(x.f, gone);
	fake_transport_pump(x.f);
	assert_true(ccid_reader_is_gone(x.r));
	assert_int_equal(h.calls, 5);
	ccid_reader_set_gone(x.r); /* already gone: no second call */
	assert_int_equal(h.calls, 5);
	assert_int_equal(ccid_reader_slot_state(x.r, 0, &s, &g),
			 CCID_E_NO_DEVICE);
	assert_int_equal(g, g0 + 4);
	assert_int_equal(h.locked, 0);
	fx_close(&x);
}

/* The manager's poller: never waits for io_lock, one GetSlotStatus per
 * slot, changes reported through the hook. */
static void test_poll_status(void **state)
{
	static const struct fake_step poll[] = {
		FAKE_OUT("65 00000000 00 03 00 00 00"),
		FAKE_IN("81 00000000 00 03 02 00 00"), /* slot 0 removed */
		FAKE_OUT("65 00000000 01 04 00 00 00"),
		FAKE_IN("81 00000000 01 04 01 00 00"), /* slot 1 inserted */
		FAKE_OUT("65 00000000 02 05 00 00 00"),
		FAKE_IN("81 00000000 02 05 02 00 00"),
	};
	static const struct fake_step unplug[] = {
		FAKE_FAULT(CCID_E_NO_DEVICE),
	};
	struct fx x;
	struct hook_rec h;
	uint64_t g0 = 0, g = 0;

	(void)state;
	fx_open(&x, RD_MULTI);
	hook_on(&x, &h);
	slot_state(&x, 0, &g0);
	assert_int_equal(ccid_reader_poll_status(NULL, D5S), CCID_E_INVAL);

	pthread_mutex_lock(&x.r->io_lock); /* an exchange in progress */
	assert_int_equal(ccid_reader_poll_status(x.r, D5S), CCID_E_BUSY);
	pthread_mutex_unlock(&x.r->io_lock);
	assert_int_equal(x.f->ops, 0);

	FAKE_SCRIPT(x.f, poll);
	assert_int_equal(ccid_reader_poll_status(x.r, D5S), CCID_OK);
	fake_transport_done(x.f);
	assert_int_equal(x.f->ops, 6);
	assert_false(slot_state(&x, 0, &g).present);
	assert_int_equal(slot_state(&x, 0, NULL).power_epoch, 1);
	assert_true(slot_state(&x, 1, NULL).present);
	assert_false(slot_state(&x, 2, NULL).present);
	assert_int_equal(h.calls, 2);
	assert_int_equal(g, g0 + 2);

	FAKE_SCRIPT(x.f, unplug);
	assert_int_equal(ccid_reader_poll_status(x.r, D5S), CCID_E_NO_DEVICE);
	assert_true(ccid_reader_is_gone(x.r));
	assert_int_equal(h.calls, 3);
	assert_int_equal(ccid_reader_poll_status(x.r, D5S), CCID_E_NO_DEVICE);
	assert_int_equal(h.calls, 3);
	assert_int_equal(h.locked, 0);
	fx_close(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_initial_state),
		cmocka_unit_test(test_new_bad_desc),
		cmocka_unit_test(test_new_iccd_refused),
		cmocka_unit_test(test_new_probe_no_device),
		cmocka_unit_test(test_base_name),
		cmocka_unit_test(test_refcount),
		cmocka_unit_test(test_power_on_auto),
		cmocka_unit_test(test_power_on_voltage_fallback),
		cmocka_unit_test(test_power_on_only_3v),
		cmocka_unit_test(test_power_on_all_mute),
		cmocka_unit_test(test_power_on_no_card),
		cmocka_unit_test(test_power_on_voltage_last_refused),
		cmocka_unit_test(test_power_on_hw_error_stops),
		cmocka_unit_test(test_power_on_bad_atr),
		cmocka_unit_test(test_power_on_small_buffer),
		cmocka_unit_test(test_power_off),
		cmocka_unit_test(test_multi_slot_bytes),
		cmocka_unit_test(test_slot_status),
		cmocka_unit_test(test_inactive_reply_clears_power),
		cmocka_unit_test(test_transmit_short),
		cmocka_unit_test(test_debug_dump_redacts_pin),
		cmocka_unit_test(test_transmit_short_refusals),
		cmocka_unit_test(test_transmit_short_malformed_sent),
		cmocka_unit_test(test_transmit_short_errors),
		cmocka_unit_test(test_new_character_refused),
		cmocka_unit_test(test_tpdu_t0),
		cmocka_unit_test(test_tpdu_default_protocol),
		cmocka_unit_test(test_tpdu_t1),
		cmocka_unit_test(test_tpdu_t1_deactivates),
		cmocka_unit_test(test_tpdu_pps_accepted),
		cmocka_unit_test(test_tpdu_pps_refused),
		cmocka_unit_test(test_tpdu_specific_mode),
		cmocka_unit_test(test_tpdu_abort_then_works),
		cmocka_unit_test(test_transmit_ext_single),
		cmocka_unit_test(test_transmit_ext_chained),
		cmocka_unit_test(test_transmit_ext_overflow_drains),
		cmocka_unit_test(test_debug_dump_chunk_not_redacted),
		cmocka_unit_test(test_debug_dump_redacts_t1_verify),
		cmocka_unit_test(test_transmit_ext_bad_ack),
		cmocka_unit_test(test_transmit_ext_bad_resp_chain),
		cmocka_unit_test(test_stale_skipped),
		cmocka_unit_test(test_too_many_stale),
		cmocka_unit_test(test_time_extension),
		cmocka_unit_test(test_wrong_slot_or_type),
		cmocka_unit_test(test_short_read_reassembled),
		cmocka_unit_test(test_continuation_deadline),
		cmocka_unit_test(test_reply_cut_short),
		cmocka_unit_test(test_empty_transfers),
		cmocka_unit_test(test_reply_too_long),
		cmocka_unit_test(test_command_too_long),
		cmocka_unit_test(test_seq_wraps),
		cmocka_unit_test(test_timeout_abort),
		cmocka_unit_test(test_timeout_abort_unanswered),
		cmocka_unit_test(test_stall),
		cmocka_unit_test(test_no_device_is_final),
		cmocka_unit_test(test_interrupt_notify),
		cmocka_unit_test(test_interrupt_swap_and_gone),
		cmocka_unit_test(test_wait_change),
		cmocka_unit_test(test_power_epoch_and_hook),
		cmocka_unit_test(test_interrupt_epoch_and_hook),
		cmocka_unit_test(test_poll_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
