/* ccidkit tests — PC/SC Part 10 features (ccid/features.c): the list
 * GET_FEATURE_REQUEST gives, the GET_TLV_PROPERTIES and
 * IFD_PIN_PROPERTIES answers, byte for byte, for a plain reader and for
 * PIN pads, opened over the scripted fake transport (ccid-spec.md §9). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ccid/clock.h"
#include "ccid/err.h"
#include "ccid/features.h"
#include "ccid/reader.h"
#include "fake/fake_transport.h"

#define D5S ccid_deadline_in(5000)

static const struct fake_step probe[] = {
	FAKE_OUT("65 00000000 00 00 000000"),
	FAKE_IN("81 00000000 00 00 01 00 00"),
};

/* A reader at `level` with bPINSupport `pin` and wLcdLayout `lcd`, USB
 * identity 08e6:3437 (the fake's default). */
static struct ccid_reader *open_reader(struct fake_transport **fp,
				       uint32_t level, uint8_t pin,
				       uint16_t lcd)
{
	const struct fake_desc o = {
		.bVoltageSupport = 0x07,
		.dwFeatures = level | CCID_FEAT_AUTO_VOLTAGE,
		.dwMaxCCIDMessageLength = 271,
		.bPINSupport = pin,
		.wLcdLayout = lcd,
	};
	uint8_t d[54];
	struct ccid_reader *r = NULL;
	struct fake_transport *f;

	fake_desc_build(d, &o);
	f = fake_transport_new(d, sizeof(d));
	FAKE_SCRIPT(f, probe);
	assert_int_equal(ccid_reader_new(&f->base, D5S, &r), CCID_OK);
	fake_transport_done(f);
	f->ops = 0;
	*fp = f;
	return r;
}

static void close_reader(struct fake_transport **f, struct ccid_reader **r)
{
	/* computing features talks to nobody */
	assert_int_equal((*f)->ops, 0);
	ccid_reader_unref(r);
	fake_transport_free(f);
}

struct want_feature {
	uint8_t tag;
	uint32_t code;
};

static void check_list(uint8_t pin, const struct want_feature *want,
		       size_t nwant)
{
	struct fake_transport *f;
	struct ccid_reader *r = open_reader(&f, CCID_FEAT_LEVEL_SHORT_APDU,
					    pin, 0);
	struct ccid_feature got[8];
	size_t n = 99;

	assert_int_equal(ccid_features_list(r, got, 8, &n), CCID_OK);
	assert_int_equal(n, nwant);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(got[i].tag, want[i].tag);
		assert_int_equal(got[i].control_code, want[i].code);
		assert_int_equal(ccid_features_tag_of(r, want[i].code),
				 want[i].tag);
	}
	close_reader(&f, &r);
}

/* No keypad: GET_TLV_PROPERTIES and the escape only; libccid's codes. */
static void test_list_plain(void **state)
{
	static const struct want_feature want[] = {
		{ 0x12, 0x42330012 },
		{ 0x13, 0x42000001 },
	};

	(void)state;
	check_list(0x00, want, 2);
}

static void test_list_pinpad(void **state)
{
	static const struct want_feature both[] = {
		{ 0x06, 0x42330006 },
		{ 0x07, 0x42330007 },
		{ 0x0A, 0x4233000A },
		{ 0x12, 0x42330012 },
		{ 0x13, 0x42000001 },
	};
	static const struct want_feature verify_only[] = {
		{ 0x06, 0x42330006 },
		{ 0x0A, 0x4233000A },
		{ 0x12, 0x42330012 },
		{ 0x13, 0x42000001 },
	};
	static const struct want_feature modify_only[] = {
		{ 0x07, 0x42330007 },
		{ 0x0A, 0x4233000A },
		{ 0x12, 0x42330012 },
		{ 0x13, 0x42000001 },
	};

	(void)state;
	check_list(0x03, both, 5);
	check_list(0x01, verify_only, 4);
	check_list(0x02, modify_only, 4);
	/* reserved bits alone are no keypad */
	check_list(0xFC, both + 3, 2);
}

/* Codes not offered map to 0; a short array: OVERFLOW, full count, the
 * first entries written. */
static void test_list_edges(void **state)
{
	struct fake_transport *f;
	struct ccid_reader *r = open_reader(&f, CCID_FEAT_LEVEL_SHORT_APDU,
					    0x00, 0);
	struct ccid_feature got[2];
	size_t n = 0;

	(void)state;
	assert_int_equal(ccid_features_tag_of(r, 0x42330006), 0);
	assert_int_equal(ccid_features_tag_of(r, 0x4233000A), 0);
	assert_int_equal(ccid_features_tag_of(r, 0x42000D48), 0);
	memset(got, 0, sizeof(got));
	assert_int_equal(ccid_features_list(r, got, 1, &n), CCID_E_OVERFLOW);
	assert_int_equal(n, 2);
	assert_int_equal(got[0].tag, 0x12);
	assert_int_equal(got[1].tag, 0);
	assert_int_equal(ccid_features_list(r, NULL, 0, &n), CCID_E_OVERFLOW);
	assert_int_equal(n, 2);
	assert_int_equal(ccid_features_list(NULL, got, 2, &n), CCID_E_INVAL);
	assert_int_equal(ccid_features_list(r, got, 2, NULL), CCID_E_INVAL);
	close_reader(&f, &r);
}

/* A keypad the quirk table vetoes (HP keyboard 03F0:1024, NO_PINPAD) is
 * no keypad: no PIN features, no PIN properties. */
static void test_quirk_no_pinpad(void **state)
{
	uint8_t d[54];
	struct ccid_reader *r = NULL;
	struct fake_transport *f, *g;
	struct ccid_feature got[8];
	uint8_t props[8];
	size_t n = 0;

	(void)state;
	/* the same descriptor as a real keypad, another identity */
	r = open_reader(&g, CCID_FEAT_LEVEL_SHORT_APDU, 0x03, 0);
	memcpy(d, g->base.info.class_desc, sizeof(d));
	assert_int_equal(ccid_features_pin_support(r), 0x03);
	close_reader(&g, &r);
	f = fake_transport_new(d, sizeof(d));
	f->base.info.idVendor = 0x03F0;
	f->base.info.idProduct = 0x1024;
	FAKE_SCRIPT(f, probe);
	assert_int_equal(ccid_reader_new(&f->base, D5S, &r), CCID_OK);
	fake_transport_done(f);
	f->ops = 0;
	assert_int_equal(ccid_features_pin_support(r), 0);
	assert_int_equal(ccid_features_list(r, got, 8, &n), CCID_OK);
	assert_int_equal(n, 2);
	assert_int_equal(got[0].tag, 0x12);
	assert_int_equal(got[1].tag, 0x13);
	assert_int_equal(ccid_features_pin_properties(r, props, sizeof(props),
						      &n), CCID_E_NOT_SUPPORTED);
	close_reader(&f, &r);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(ccid_feature_name(0x06), "FEATURE_VERIFY_PIN_DIRECT");
	assert_string_equal(ccid_feature_name(0x07), "FEATURE_MODIFY_PIN_DIRECT");
	assert_string_equal(ccid_feature_name(0x0A), "FEATURE_IFD_PIN_PROPERTIES");
	assert_string_equal(ccid_feature_name(0x12), "FEATURE_GET_TLV_PROPERTIES");
	assert_string_equal(ccid_feature_name(0x13), "FEATURE_CCID_ESC_COMMAND");
	assert_string_equal(ccid_feature_name(0x20), "FEATURE_EXECUTE_PACE");
	assert_string_equal(ccid_feature_name(0x14), "unknown feature");
}

static void check_props(uint32_t level, uint8_t pin, uint16_t lcd,
			const char *want_hex)
{
	struct fake_transport *f;
	struct ccid_reader *r = open_reader(&f, level, pin, lcd);
	uint8_t want[128], got[128];
	size_t nwant = fake_hex(want_hex, want, sizeof(want)), n = 0;

	assert_int_equal(ccid_features_tlv_properties(r, got, sizeof(got), &n),
			 CCID_OK);
	assert_int_equal(n, nwant);
	assert_memory_equal(got, want, n);
	close_reader(&f, &r);
}

/* Little-endian TLVs in tag order: wLcdLayout, bTimeOut2 0, bPPDUSupport
 * 0, dwMaxAPDUDataSize, wIdVendor 08E6, wIdProduct 3437. */
static void test_props_plain(void **state)
{
	(void)state;
	/* short APDU: dwMaxAPDUDataSize 0 */
	check_props(CCID_FEAT_LEVEL_SHORT_APDU, 0, 0,
		    "01 02 00 00  03 01 00  09 01 00  0A 04 00 00 00 00"
		    "  0B 02 E6 08  0C 02 37 34");
	/* TPDU and extended: 0x10000 */
	check_props(CCID_FEAT_LEVEL_TPDU, 0, 0,
		    "01 02 00 00  03 01 00  09 01 00  0A 04 00 00 01 00"
		    "  0B 02 E6 08  0C 02 37 34");
	check_props(CCID_FEAT_LEVEL_EXT_APDU, 0, 0,
		    "01 02 00 00  03 01 00  09 01 00  0A 04 00 00 01 00"
		    "  0B 02 E6 08  0C 02 37 34");
}

/* A keypad adds bEntryValidationCondition 07; a 2 × 16 display
 * (wLcdLayout 0210) adds wLcdMaxCharacters 16 and wLcdMaxLines 2. */
static void test_props_pinpad(void **state)
{
	(void)state;
	check_props(CCID_FEAT_LEVEL_SHORT_APDU, 0x03, 0x0210,
		    "01 02 10 02  02 01 07  03 01 00  04 02 10 00  05 02 02 00"
		    "  09 01 00  0A 04 00 00 00 00  0B 02 E6 08  0C 02 37 34");
	check_props(CCID_FEAT_LEVEL_TPDU, 0x01, 0,
		    "01 02 00 00  02 01 07  03 01 00  09 01 00  0A 04 00 00 01 00"
		    "  0B 02 E6 08  0C 02 37 34");
	/* a display without a keypad still tells its size */
	check_props(CCID_FEAT_LEVEL_SHORT_APDU, 0, 0x0114,
		    "01 02 14 01  03 01 00  04 02 14 00  05 02 01 00"
		    "  09 01 00  0A 04 00 00 00 00  0B 02 E6 08  0C 02 37 34");
}

/* Too small a buffer: OVERFLOW with the length needed. */
static void test_props_overflow(void **state)
{
	struct fake_transport *f;
	struct ccid_reader *r = open_reader(&f, CCID_FEAT_LEVEL_SHORT_APDU, 0, 0);
	uint8_t got[8];
	size_t n = 0;

	(void)state;
	assert_int_equal(ccid_features_tlv_properties(r, got, sizeof(got), &n),
			 CCID_E_OVERFLOW);
	assert_int_equal(n, 24);
	assert_int_equal(ccid_features_tlv_properties(r, NULL, 0, &n),
			 CCID_E_OVERFLOW);
	assert_int_equal(n, 24);
	assert_int_equal(ccid_features_tlv_properties(r, NULL, 4, &n),
			 CCID_E_INVAL);
	close_reader(&f, &r);
}

/* PIN_PROPERTIES_STRUCTURE: wLcdLayout LE, bEntryValidationCondition 07,
 * bTimeOut2 0; refused without a keypad. */
static void test_pin_properties(void **state)
{
	static const uint8_t want[] = { 0x10, 0x02, 0x07, 0x00 };
	struct fake_transport *f;
	struct ccid_reader *r = open_reader(&f, CCID_FEAT_LEVEL_SHORT_APDU,
					    0x03, 0x0210);
	uint8_t got[8];
	size_t n = 0;

	(void)state;
	assert_int_equal(ccid_features_pin_properties(r, got, sizeof(got), &n),
			 CCID_OK);
	assert_int_equal(n, 4);
	assert_memory_equal(got, want, 4);
	assert_int_equal(ccid_features_pin_properties(r, got, 3, &n),
			 CCID_E_OVERFLOW);
	assert_int_equal(n, 4);
	close_reader(&f, &r);

	r = open_reader(&f, CCID_FEAT_LEVEL_SHORT_APDU, 0x00, 0x0210);
	n = 7;
	assert_int_equal(ccid_features_pin_properties(r, got, sizeof(got), &n),
			 CCID_E_NOT_SUPPORTED);
	assert_int_equal(n, 0);
	close_reader(&f, &r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_plain),
		cmocka_unit_test(test_list_pinpad),
		cmocka_unit_test(test_list_edges),
		cmocka_unit_test(test_quirk_no_pinpad),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_props_plain),
		cmocka_unit_test(test_props_pinpad),
		cmocka_unit_test(test_props_overflow),
		cmocka_unit_test(test_pin_properties),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
