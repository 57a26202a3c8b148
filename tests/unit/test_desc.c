/* ccidkit — unit tests for ccid/desc.c (CCID class descriptor).
 * The descriptors are the 54 bytes of real readers, rebuilt from the field
 * values in libccid's readers/ folder dumps. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccid/desc.h"
#include "ccid/err.h"

/* ACS ACR39U ICC Reader (072F:B100): TPDU level, T=0 and T=1 */
static const uint8_t acr39u[CCID_DESC_LEN] = {
	0x36, 0x21, 0x10, 0x01, 0x00, 0x07, 0x03, 0x00, 0x00, 0x00, 0xC0, 0x12,
	0x00, 0x00, 0x80, 0x3E, 0x00, 0x00, 0x00, 0x67, 0x32, 0x00, 0x00, 0x90,
	0x9A, 0x0C, 0x00, 0x00, 0xF7, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0xB2, 0x00, 0x01, 0x00, 0x0F, 0x01, 0x00, 0x00,
	0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01,
};

/* ACS ACR122U PICC Interface (072F:2200): short APDU level, T=1 */
static const uint8_t acr122u[CCID_DESC_LEN] = {
	0x36, 0x21, 0x00, 0x01, 0x00, 0x07, 0x02, 0x00, 0x00, 0x00, 0xA0, 0x0F,
	0x00, 0x00, 0xA0, 0x0F, 0x00, 0x00, 0x00, 0x00, 0x2A, 0x00, 0x00, 0x90,
	0xD0, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x02, 0x00, 0x0F, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
};

/* Yubico YubiKey 4 CCID (1050:0404): extended APDU level */
static const uint8_t yubikey4[CCID_DESC_LEN] = {
	0x36, 0x21, 0x00, 0x01, 0x00, 0x07, 0x02, 0x00, 0x00, 0x00, 0xA0, 0x0F,
	0x00, 0x00, 0xA0, 0x0F, 0x00, 0x00, 0x00, 0x00, 0xB0, 0x04, 0x00, 0x00,
	0xB0, 0x04, 0x00, 0x00, 0xF6, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0xFE, 0x00, 0x04, 0x00, 0x00, 0x08, 0x00, 0x00,
	0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01,
};

/* Gemplus GemCore SIM Pro (08E6:3480): two slots, TPDU level */
static const uint8_t gemcore_sim_pro[CCID_DESC_LEN] = {
	0x36, 0x21, 0x00, 0x01, 0x01, 0x07, 0x03, 0x00, 0x00, 0x00, 0xA0, 0x0F,
	0x00, 0x00, 0xA0, 0x0F, 0x00, 0x00, 0x00, 0x00, 0x2A, 0x00, 0x00, 0x20,
	0xA1, 0x07, 0x00, 0x00, 0xFE, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x30, 0x02, 0x01, 0x00, 0x0F, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
};

/* Gemplus GemPC Pinpad (08E6:3478): PIN verification and modification */
static const uint8_t gempc_pinpad[CCID_DESC_LEN] = {
	0x36, 0x21, 0x00, 0x01, 0x00, 0x07, 0x03, 0x00, 0x00, 0x00, 0xA0, 0x0F,
	0x00, 0x00, 0xA0, 0x0F, 0x00, 0x00, 0x00, 0x00, 0x2A, 0x00, 0x00, 0x20,
	0xA1, 0x07, 0x00, 0x00, 0xFE, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x30, 0x02, 0x01, 0x00, 0x0F, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x03, 0x01,
};

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Parse a copy of `base` with one byte changed; returns the result. */
static int parse_patched(const uint8_t *base, size_t off, uint8_t val)
{
	uint8_t b[CCID_DESC_LEN];
	struct ccid_desc d;

	memcpy(b, base, sizeof(b));
	b[off] = val;
	return ccid_desc_parse(b, sizeof(b), &d);
}

static int parse_msglen(uint32_t v)
{
	uint8_t b[CCID_DESC_LEN];
	struct ccid_desc d;

	memcpy(b, acr39u, sizeof(b));
	put_le32(b + 44, v);
	return ccid_desc_parse(b, sizeof(b), &d);
}

static void test_acr39u_all_fields(void **state)
{
	struct ccid_desc d;

	(void)state;
	memset(&d, 0xAA, sizeof(d));
	assert_int_equal(ccid_desc_parse(acr39u, sizeof(acr39u), &d), CCID_OK);
	assert_int_equal(d.bLength, 54);
	assert_int_equal(d.bDescriptorType, 0x21);
	assert_int_equal(d.bcdCCID, 0x0110);
	assert_int_equal(d.bMaxSlotIndex, 0);
	assert_int_equal(d.bVoltageSupport, 0x07);
	assert_int_equal(d.dwProtocols, 3);
	assert_int_equal(d.dwDefaultClock, 4800);
	assert_int_equal(d.dwMaximumClock, 16000);
	assert_int_equal(d.bNumClockSupported, 0);
	assert_int_equal(d.dwDataRate, 12903);
	assert_int_equal(d.dwMaxDataRate, 826000);
	assert_int_equal(d.bNumDataRatesSupported, 0);
	assert_int_equal(d.dwMaxIFSD, 247);
	assert_int_equal(d.dwSynchProtocols, 0);
	assert_int_equal(d.dwMechanical, 0);
	assert_int_equal(d.dwFeatures, 0x000100B2);
	assert_int_equal(d.dwMaxCCIDMessageLength, 271);
	assert_int_equal(d.bClassGetResponse, 0xFF);
	assert_int_equal(d.bClassEnvelope, 0xFF);
	assert_int_equal(d.wLcdLayout, 0);
	assert_int_equal(d.bPINSupport, 0);
	assert_int_equal(d.bMaxCCIDBusySlots, 1);
	assert_int_equal(ccid_desc_level(&d), CCID_LEVEL_TPDU);
}

static void test_acr122u_short_apdu(void **state)
{
	struct ccid_desc d;

	(void)state;
	assert_int_equal(ccid_desc_parse(acr122u, sizeof(acr122u), &d), CCID_OK);
	assert_int_equal(d.bcdCCID, 0x0100);
	assert_int_equal(d.dwProtocols, 2);
	assert_int_equal(d.dwDefaultClock, 4000);
	assert_int_equal(d.dwDataRate, 10752);
	assert_int_equal(d.dwMaxDataRate, 250000);
	assert_int_equal(d.dwMaxIFSD, 256);
	assert_int_equal(d.dwFeatures, 0x00020040);
	assert_int_equal(d.bClassGetResponse, 0x00);
	assert_int_equal(ccid_desc_level(&d), CCID_LEVEL_SHORT_APDU);
}

static void test_yubikey_extended_apdu(void **state)
{
	struct ccid_desc d;

	(void)state;
	assert_int_equal(ccid_desc_parse(yubikey4, sizeof(yubikey4), &d), CCID_OK);
	assert_int_equal(d.dwDataRate, 307200);
	assert_int_equal(d.dwMaxIFSD, 2038);
	assert_int_equal(d.dwFeatures, 0x000400FE);
	assert_int_equal(d.dwMaxCCIDMessageLength, 2048);
	assert_int_equal(ccid_desc_level(&d), CCID_LEVEL_EXT_APDU);
}

static void test_gemcore_multi_slot(void **state)
{
	struct ccid_desc d;

	(void)state;
	assert_int_equal(ccid_desc_parse(gemcore_sim_pro, sizeof(gemcore_sim_pro),
					 &d), CCID_OK);
	assert_int_equal(d.bMaxSlotIndex, 1);
	assert_int_equal(d.dwMaxDataRate, 500000);
	assert_int_equal(d.dwMaxIFSD, 254);
	assert_int_equal(d.dwFeatures, 0x00010230);
	assert_int_equal(d.bMaxCCIDBusySlots, 1);
	assert_int_equal(ccid_desc_level(&d), CCID_LEVEL_TPDU);
}

static void test_pinpad(void **state)
{
	struct ccid_desc d;

	(void)state;
	assert_int_equal(ccid_desc_parse(gempc_pinpad, sizeof(gempc_pinpad), &d),
			 CCID_OK);
	assert_int_equal(d.bPINSupport, 3);
	assert_int_equal(d.wLcdLayout, 0);
}

static void test_truncated(void **state)
{
	struct ccid_desc d;

	(void)state;
	for (size_t len = 0; len < CCID_DESC_LEN; len++) {
		memset(&d, 0x5A, sizeof(d));
		assert_int_equal(ccid_desc_parse(acr39u, len, &d), CCID_E_PROTO);
		assert_int_equal(d.bLength, 0x5A); /* untouched on failure */
	}
}

static void test_longer_buffer_ok(void **state)
{
	uint8_t b[CCID_DESC_LEN + 7];
	struct ccid_desc d;

	(void)state;
	memcpy(b, yubikey4, CCID_DESC_LEN);
	memset(b + CCID_DESC_LEN, 0x07, 7); /* an endpoint descriptor follows */
	assert_int_equal(ccid_desc_parse(b, sizeof(b), &d), CCID_OK);
	assert_int_equal(d.bMaxCCIDBusySlots, 1);
}

static void test_blength_wrong(void **state)
{
	(void)state;
	assert_int_equal(parse_patched(acr39u, 0, 53), CCID_E_PROTO);
	assert_int_equal(parse_patched(acr39u, 0, 55), CCID_E_PROTO);
	assert_int_equal(parse_patched(acr39u, 0, 0), CCID_E_PROTO);
	assert_int_equal(parse_patched(acr39u, 0, 9), CCID_E_PROTO);
}

static void test_descriptor_type(void **state)
{
	uint8_t b[CCID_DESC_LEN];
	struct ccid_desc d;

	(void)state;
	memcpy(b, acr39u, sizeof(b));
	b[1] = 0xFF;
	assert_int_equal(ccid_desc_parse(b, sizeof(b), &d), CCID_OK);
	assert_int_equal(d.bDescriptorType, 0xFF);
	assert_int_equal(parse_patched(acr39u, 1, 0x22), CCID_E_PROTO);
	assert_int_equal(parse_patched(acr39u, 1, 0x04), CCID_E_PROTO);
	assert_int_equal(parse_patched(acr39u, 1, 0x00), CCID_E_PROTO);
}

static void test_slot_index(void **state)
{
	(void)state;
	assert_int_equal(parse_patched(acr39u, 4, 15), CCID_OK);
	assert_int_equal(parse_patched(acr39u, 4, 16), CCID_E_PROTO);
	assert_int_equal(parse_patched(acr39u, 4, 0xFF), CCID_E_PROTO);
}

static void test_max_message_length(void **state)
{
	(void)state;
	assert_int_equal(parse_msglen(0), CCID_E_PROTO);
	assert_int_equal(parse_msglen(10), CCID_E_PROTO);
	assert_int_equal(parse_msglen(11), CCID_OK);
	assert_int_equal(parse_msglen(65544 + 10), CCID_OK);
	assert_int_equal(parse_msglen(65544 + 11), CCID_E_PROTO);
	assert_int_equal(parse_msglen(0xFFFFFFFFu), CCID_E_PROTO);
}

static void test_voltage(void **state)
{
	(void)state;
	assert_int_equal(parse_patched(acr39u, 5, 0x00), CCID_E_PROTO);
	assert_int_equal(parse_patched(acr39u, 5, 0x08), CCID_E_PROTO);
	assert_int_equal(parse_patched(acr39u, 5, 0x0F), CCID_E_PROTO);
	assert_int_equal(parse_patched(acr39u, 5, 0x87), CCID_E_PROTO);
	assert_int_equal(parse_patched(acr39u, 5, 0x01), CCID_OK);
	assert_int_equal(parse_patched(acr39u, 5, 0x02), CCID_OK);
	assert_int_equal(parse_patched(acr39u, 5, 0x04), CCID_OK);
}

static void test_exchange_levels(void **state)
{
	(void)state;
	/* byte 42 = bits 16..23 of dwFeatures */
	assert_int_equal(parse_patched(acr39u, 42, 0x03), CCID_E_PROTO);
	assert_int_equal(parse_patched(acr39u, 42, 0x05), CCID_E_PROTO);
	assert_int_equal(parse_patched(acr39u, 42, 0x06), CCID_E_PROTO);
	assert_int_equal(parse_patched(acr39u, 42, 0x07), CCID_E_PROTO);
	assert_int_equal(parse_patched(acr39u, 42, 0x00), CCID_OK);
	assert_int_equal(parse_patched(acr39u, 42, 0x10), CCID_OK);
}

static void test_level_function(void **state)
{
	struct ccid_desc d;

	(void)state;
	memset(&d, 0, sizeof(d));
	assert_int_equal(ccid_desc_level(&d), CCID_LEVEL_CHARACTER);
	d.dwFeatures = CCID_FEAT_LEVEL_TPDU | CCID_FEAT_NAD;
	assert_int_equal(ccid_desc_level(&d), CCID_LEVEL_TPDU);
	d.dwFeatures = CCID_FEAT_LEVEL_SHORT_APDU;
	assert_int_equal(ccid_desc_level(&d), CCID_LEVEL_SHORT_APDU);
	d.dwFeatures = CCID_FEAT_LEVEL_EXT_APDU | CCID_FEAT_USB_WAKEUP;
	assert_int_equal(ccid_desc_level(&d), CCID_LEVEL_EXT_APDU);
	assert_string_equal(ccid_level_name(CCID_LEVEL_CHARACTER), "character");
	assert_string_equal(ccid_level_name(CCID_LEVEL_TPDU), "TPDU");
	assert_string_equal(ccid_level_name(CCID_LEVEL_SHORT_APDU), "short APDU");
	assert_string_equal(ccid_level_name(CCID_LEVEL_EXT_APDU), "extended APDU");
	assert_string_equal(ccid_level_name((enum ccid_level)9), "unknown");
}

static void test_null_args(void **state)
{
	struct ccid_desc d;

	(void)state;
	assert_int_equal(ccid_desc_parse(NULL, 54, &d), CCID_E_INVAL);
	assert_int_equal(ccid_desc_parse(acr39u, 54, NULL), CCID_E_INVAL);
}

/* ccid_desc_print into a string (caller frees) */
static char *print_to_string(const struct ccid_desc *d)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	assert_non_null(f);
	ccid_desc_print(d, f);
	assert_int_equal(fclose(f), 0);
	return text;
}

static const char acr39u_golden[] =
	"  bLength: 54\n"
	"  bDescriptorType: 0x21\n"
	"  bcdCCID: 1.10\n"
	"  bMaxSlotIndex: 0 (1 slot)\n"
	"  bVoltageSupport: 0x07 5.0V 3.0V 1.8V\n"
	"  dwProtocols: 0x00000003 T=0 T=1\n"
	"  dwDefaultClock: 4.800 MHz\n"
	"  dwMaximumClock: 16.000 MHz\n"
	"  bNumClockSupported: 0\n"
	"  dwDataRate: 12903 bps\n"
	"  dwMaxDataRate: 826000 bps\n"
	"  bNumDataRatesSupported: 0\n"
	"  dwMaxIFSD: 247\n"
	"  dwSynchProtocols: 0x00000000\n"
	"  dwMechanical: 0x00000000 (no special characteristics)\n"
	"  dwFeatures: 0x000100B2\n"
	"    Automatic parameter configuration based on ATR data\n"
	"    Automatic ICC clock frequency change\n"
	"    Automatic baud rate change according to frequency and Fi, Di\n"
	"    Automatic PPS made by the CCID\n"
	"    TPDU level exchange\n"
	"  exchange level: TPDU\n"
	"  dwMaxCCIDMessageLength: 271\n"
	"  bClassGetResponse: 0xFF (echoes the APDU class)\n"
	"  bClassEnvelope: 0xFF (echoes the APDU class)\n"
	"  wLcdLayout: 0x0000 (no LCD)\n"
	"  bPINSupport: 0x00 (none)\n"
	"  bMaxCCIDBusySlots: 1\n";

static void test_print_golden(void **state)
{
	struct ccid_desc d;
	char *text;

	(void)state;
	assert_int_equal(ccid_desc_parse(acr39u, sizeof(acr39u), &d), CCID_OK);
	text = print_to_string(&d);
	assert_string_equal(text, acr39u_golden);
	free(text);
}

static void test_print_other_fields(void **state)
{
	struct ccid_desc d;
	char *text;

	(void)state;
	assert_int_equal(ccid_desc_parse(gemcore_sim_pro, sizeof(gemcore_sim_pro),
					 &d), CCID_OK);
	d.bDescriptorType = 0xFF;
	d.bVoltageSupport = 0x04;
	d.dwProtocols = 1;
	d.dwDefaultClock = 500;
	d.dwMechanical = 0x0A;
	d.dwSynchProtocols = 0x04;
	d.dwFeatures = CCID_FEAT_AUTO_VOLTAGE | CCID_FEAT_AUTO_ACTIVATION |
		       CCID_FEAT_CLOCK_STOP | CCID_FEAT_AUTO_IFSD |
		       CCID_FEAT_ICCD_TOKEN | CCID_FEAT_AUTO_PARAM_NEG |
		       CCID_FEAT_LEVEL_EXT_APDU | CCID_FEAT_USB_WAKEUP |
		       0x00800000u;
	d.wLcdLayout = 0x0210;
	d.bPINSupport = 3;
	text = print_to_string(&d);
	assert_non_null(strstr(text, "  bDescriptorType: 0xFF (proprietary, pre-1.0)\n"));
	assert_non_null(strstr(text, "  bMaxSlotIndex: 1 (2 slots)\n"));
	assert_non_null(strstr(text, "  bVoltageSupport: 0x04 1.8V\n"));
	assert_non_null(strstr(text, "  dwProtocols: 0x00000001 T=0\n"));
	assert_non_null(strstr(text, "  dwDefaultClock: 500 kHz\n"));
	assert_non_null(strstr(text, "  dwMaximumClock: 4.000 MHz\n"));
	assert_non_null(strstr(text, "    I2C protocol\n"));
	assert_non_null(strstr(text, "    Card ejection mechanism\n"));
	assert_non_null(strstr(text, "    Card lock/unlock mechanism\n"));
	assert_null(strstr(text, "Card accept"));
	assert_non_null(strstr(text, "    Automatic ICC voltage selection\n"));
	assert_non_null(strstr(text, "    Automatic activation of ICC on inserting\n"));
	assert_non_null(strstr(text, "    CCID can set ICC in clock stop mode\n"));
	assert_non_null(strstr(text, "    Automatic IFSD exchange as first exchange (T=1)\n"));
	assert_non_null(strstr(text, "    ICCD token\n"));
	assert_non_null(strstr(text, "    Automatic parameters negotiation made by the CCID\n"));
	assert_non_null(strstr(text, "    Short and extended APDU level exchange\n"));
	assert_non_null(strstr(text, "    USB wake up signaling on card insertion/removal\n"));
	assert_non_null(strstr(text, "    unknown bit 0x00800000\n"));
	assert_non_null(strstr(text, "  exchange level: extended APDU\n"));
	assert_non_null(strstr(text, "  bClassGetResponse: 0x00\n"));
	assert_non_null(strstr(text, "  wLcdLayout: 0x0210 (2 lines x 16 characters)\n"));
	assert_non_null(strstr(text, "  bPINSupport: 0x03 PIN verification, PIN modification\n"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acr39u_all_fields),
		cmocka_unit_test(test_acr122u_short_apdu),
		cmocka_unit_test(test_yubikey_extended_apdu),
		cmocka_unit_test(test_gemcore_multi_slot),
		cmocka_unit_test(test_pinpad),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_longer_buffer_ok),
		cmocka_unit_test(test_blength_wrong),
		cmocka_unit_test(test_descriptor_type),
		cmocka_unit_test(test_slot_index),
		cmocka_unit_test(test_max_message_length),
		cmocka_unit_test(test_voltage),
		cmocka_unit_test(test_exchange_levels),
		cmocka_unit_test(test_level_function),
		cmocka_unit_test(test_null_args),
		cmocka_unit_test(test_print_golden),
		cmocka_unit_test(test_print_other_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
