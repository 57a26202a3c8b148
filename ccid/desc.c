/* ccidkit — the CCID class descriptor (see desc.h).
 *
 * CCID 1.1 §5.1: a 54-byte functional descriptor, every multi-byte field
 * little-endian.  Parsing validates only what the driver relies on later
 * (slot count, message size, voltages, one exchange level), so that a
 * broken descriptor is refused here, with the field named, rather than
 * misbehaving deep inside an exchange. */
#include "config.h"
#include "ccid/desc.h"

#include "ccid/err.h"
#include "ccid/log.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The largest extended APDU: 4 header + 3 Lc + 65535 data + 2 Le = 65544
 * bytes, plus the 10-byte CCID header (CCID 1.1 §6.1.4). */
#define CCID_DESC_MAX_MSG (65544u + CCID_HEADER_LEN)
/* The smallest useful message: the header plus one data byte. */
#define CCID_DESC_MIN_MSG (CCID_HEADER_LEN + 1u)

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Offsets per CCID 1.1 §5.1 table 5.1-1. */
static void desc_fill(const uint8_t *b, struct ccid_desc *d)
{
	d->bLength = b[0];
	d->bDescriptorType = b[1];
	d->bcdCCID = get_le16(b + 2);
	d->bMaxSlotIndex = b[4];
	d->bVoltageSupport = b[5];
	d->dwProtocols = get_le32(b + 6);
	d->dwDefaultClock = get_le32(b + 10);
	d->dwMaximumClock = get_le32(b + 14);
	d->bNumClockSupported = b[18];
	d->dwDataRate = get_le32(b + 19);
	d->dwMaxDataRate = get_le32(b + 23);
	d->bNumDataRatesSupported = b[27];
	d->dwMaxIFSD = get_le32(b + 28);
	d->dwSynchProtocols = get_le32(b + 32);
	d->dwMechanical = get_le32(b + 36);
	d->dwFeatures = get_le32(b + 40);
	d->dwMaxCCIDMessageLength = get_le32(b + 44);
	d->bClassGetResponse = b[48];
	d->bClassEnvelope = b[49];
	d->wLcdLayout = get_le16(b + 50);
	d->bPINSupport = b[52];
	d->bMaxCCIDBusySlots = b[53];
}

static unsigned popcount32(uint32_t v)
{
	unsigned n = 0;

	for (; v != 0; v &= v - 1)
		n++;
	return n;
}

/* Checks on the fields the driver depends on; logs the culprit. */
static int desc_validate(const struct ccid_desc *d)
{
	if (d->bMaxSlotIndex >= CCID_MAX_SLOTS) {
		ccid_log_err("bMaxSlotIndex %u: more than %d slots",
			     d->bMaxSlotIndex, CCID_MAX_SLOTS);
		return CCID_E_PROTO;
	}
	if (d->dwMaxCCIDMessageLength < CCID_DESC_MIN_MSG ||
	    d->dwMaxCCIDMessageLength > CCID_DESC_MAX_MSG) {
		ccid_log_err("dwMaxCCIDMessageLength %" PRIu32 " out of range %u..%u",
			     d->dwMaxCCIDMessageLength, CCID_DESC_MIN_MSG,
			     CCID_DESC_MAX_MSG);
		return CCID_E_PROTO;
	}
	/* bits 0..2 are 5.0/3.0/1.8 V; a reader must power at least one */
	if ((d->bVoltageSupport & 0x07) == 0 || (d->bVoltageSupport & 0xF8) != 0) {
		ccid_log_err("bVoltageSupport 0x%02X: no voltage or reserved bits",
			     d->bVoltageSupport);
		return CCID_E_PROTO;
	}
	/* CCID 1.1 §5.1: the exchange levels are mutually exclusive */
	if (popcount32(d->dwFeatures & CCID_FEAT_LEVEL_MASK) > 1) {
		ccid_log_err("dwFeatures 0x%08" PRIX32 ": several exchange levels",
			     d->dwFeatures);
		return CCID_E_PROTO;
	}
	return CCID_OK;
}

int ccid_desc_parse(const uint8_t *buf, size_t len, struct ccid_desc *out)
{
	struct ccid_desc d;
	int rc;

	if (buf == NULL || out == NULL)
		return CCID_E_INVAL;
	if (len < CCID_DESC_LEN) {
		ccid_log_err("descriptor truncated: %zu bytes, need %d", len,
			     CCID_DESC_LEN);
		return CCID_E_PROTO;
	}
	if (buf[0] != CCID_DESC_LEN) {
		ccid_log_err("bLength %u, expected %d", buf[0], CCID_DESC_LEN);
		return CCID_E_PROTO;
	}
	/* 0xFF: pre-1.0 readers with the same layout (libccid accepts them) */
	if (buf[1] != CCID_DESC_TYPE && buf[1] != CCID_DESC_TYPE_PROPRIETARY) {
		ccid_log_err("bDescriptorType 0x%02X, expected 0x21", buf[1]);
		return CCID_E_PROTO;
	}
	memset(&d, 0, sizeof(d));
	desc_fill(buf, &d);
	rc = desc_validate(&d);
	if (rc != CCID_OK)
		return rc;
	*out = d;
	return CCID_OK;
}

enum ccid_level ccid_desc_level(const struct ccid_desc *d)
{
	uint32_t f;

	if (d == NULL)
		return CCID_LEVEL_CHARACTER;
	f = d->dwFeatures;
	if (f & CCID_FEAT_LEVEL_EXT_APDU)
		return CCID_LEVEL_EXT_APDU;
	if (f & CCID_FEAT_LEVEL_SHORT_APDU)
		return CCID_LEVEL_SHORT_APDU;
	if (f & CCID_FEAT_LEVEL_TPDU)
		return CCID_LEVEL_TPDU;
	return CCID_LEVEL_CHARACTER;
}

const char *ccid_level_name(enum ccid_level level)
{
	switch (level) {
	case CCID_LEVEL_CHARACTER:
		return "character";
	case CCID_LEVEL_TPDU:
		return "TPDU";
	case CCID_LEVEL_SHORT_APDU:
		return "short APDU";
	case CCID_LEVEL_EXT_APDU:
		return "extended APDU";
	}
	return "unknown";
}

/* ---- printing ---------------------------------------------------------- */

struct bit_name {
	uint32_t bit;
	const char *name;
};

/* CCID 1.1 §5.1 dwFeatures, one name per bit */
static const struct bit_name feature_names[] = {
	{ CCID_FEAT_AUTO_CONF_ATR, "Automatic parameter configuration based on ATR data" },
	{ CCID_FEAT_AUTO_ACTIVATION, "Automatic activation of ICC on inserting" },
	{ CCID_FEAT_AUTO_VOLTAGE, "Automatic ICC voltage selection" },
	{ CCID_FEAT_AUTO_CLOCK, "Automatic ICC clock frequency change" },
	{ CCID_FEAT_AUTO_BAUD, "Automatic baud rate change according to frequency and Fi, Di" },
	{ CCID_FEAT_AUTO_PARAM_NEG, "Automatic parameters negotiation made by the CCID" },
	{ CCID_FEAT_AUTO_PPS, "Automatic PPS made by the CCID" },
	{ CCID_FEAT_CLOCK_STOP, "CCID can set ICC in clock stop mode" },
	{ CCID_FEAT_NAD, "NAD value other than 00 accepted (T=1)" },
	{ CCID_FEAT_AUTO_IFSD, "Automatic IFSD exchange as first exchange (T=1)" },
	{ CCID_FEAT_ICCD_TOKEN, "ICCD token" },
	{ CCID_FEAT_LEVEL_TPDU, "TPDU level exchange" },
	{ CCID_FEAT_LEVEL_SHORT_APDU, "Short APDU level exchange" },
	{ CCID_FEAT_LEVEL_EXT_APDU, "Short and extended APDU level exchange" },
	{ CCID_FEAT_USB_WAKEUP, "USB wake up signaling on card insertion/removal" },
};

/* dwMechanical bits (CCID 1.1 §5.1) */
static const struct bit_name mechanical_names[] = {
	{ 0x01, "Card accept mechanism" },
	{ 0x02, "Card ejection mechanism" },
	{ 0x04, "Card capture mechanism" },
	{ 0x08, "Card lock/unlock mechanism" },
};

/* dwSynchProtocols bits (CCID 1.1 §5.1) */
static const struct bit_name synch_names[] = {
	{ 0x01, "2-wire protocol" },
	{ 0x02, "3-wire protocol" },
	{ 0x04, "I2C protocol" },
};

static void print_bits(FILE *out, uint32_t v, const struct bit_name *names,
		       size_t n)
{
	uint32_t known = 0;

	for (size_t i = 0; i < n; i++) {
		known |= names[i].bit;
		if (v & names[i].bit)
			fprintf(out, "    %s\n", names[i].name);
	}
	for (unsigned b = 0; b < 32; b++)
		if ((v & ~known) & (UINT32_C(1) << b))
			fprintf(out, "    unknown bit 0x%08" PRIX32 "\n",
				UINT32_C(1) << b);
}

/* kHz as "4.000 MHz", or "500 kHz" below one MHz */
static void print_clock(FILE *out, const char *name, uint32_t khz)
{
	if (khz >= 1000)
		fprintf(out, "  %s: %" PRIu32 ".%03" PRIu32 " MHz\n", name,
			khz / 1000, khz % 1000);
	else
		fprintf(out, "  %s: %" PRIu32 " kHz\n", name, khz);
}

static void print_cla(FILE *out, const char *name, uint8_t cla)
{
	/* 0xFF: the reader echoes the CLA of the APDU (CCID 1.1 §5.1) */
	fprintf(out, "  %s: 0x%02X%s\n", name, cla,
		cla == 0xFF ? " (echoes the APDU class)" : "");
}

static void print_head(const struct ccid_desc *d, FILE *out)
{
	fprintf(out, "  bLength: %u\n", d->bLength);
	fprintf(out, "  bDescriptorType: 0x%02X%s\n", d->bDescriptorType,
		d->bDescriptorType == CCID_DESC_TYPE_PROPRIETARY ?
		" (proprietary, pre-1.0)" : "");
	fprintf(out, "  bcdCCID: %x.%02x\n", d->bcdCCID >> 8, d->bcdCCID & 0xFF);
	fprintf(out, "  bMaxSlotIndex: %u (%u slot%s)\n", d->bMaxSlotIndex,
		d->bMaxSlotIndex + 1u, d->bMaxSlotIndex ? "s" : "");
	fprintf(out, "  bVoltageSupport: 0x%02X%s%s%s\n", d->bVoltageSupport,
		d->bVoltageSupport & 1 ? " 5.0V" : "",
		d->bVoltageSupport & 2 ? " 3.0V" : "",
		d->bVoltageSupport & 4 ? " 1.8V" : "");
	fprintf(out, "  dwProtocols: 0x%08" PRIX32 "%s%s\n", d->dwProtocols,
		d->dwProtocols & 1 ? " T=0" : "",
		d->dwProtocols & 2 ? " T=1" : "");
	print_clock(out, "dwDefaultClock", d->dwDefaultClock);
	print_clock(out, "dwMaximumClock", d->dwMaximumClock);
	fprintf(out, "  bNumClockSupported: %u\n", d->bNumClockSupported);
	fprintf(out, "  dwDataRate: %" PRIu32 " bps\n", d->dwDataRate);
	fprintf(out, "  dwMaxDataRate: %" PRIu32 " bps\n", d->dwMaxDataRate);
	fprintf(out, "  bNumDataRatesSupported: %u\n",
		d->bNumDataRatesSupported);
	fprintf(out, "  dwMaxIFSD: %" PRIu32 "\n", d->dwMaxIFSD);
}

static void print_tail(const struct ccid_desc *d, FILE *out)
{
	fprintf(out, "  dwSynchProtocols: 0x%08" PRIX32 "\n", d->dwSynchProtocols);
	print_bits(out, d->dwSynchProtocols, synch_names,
		   sizeof(synch_names) / sizeof(synch_names[0]));
	fprintf(out, "  dwMechanical: 0x%08" PRIX32 "%s\n", d->dwMechanical,
		d->dwMechanical ? "" : " (no special characteristics)");
	print_bits(out, d->dwMechanical, mechanical_names,
		   sizeof(mechanical_names) / sizeof(mechanical_names[0]));
	fprintf(out, "  dwFeatures: 0x%08" PRIX32 "\n", d->dwFeatures);
	print_bits(out, d->dwFeatures, feature_names,
		   sizeof(feature_names) / sizeof(feature_names[0]));
	fprintf(out, "  exchange level: %s\n",
		ccid_level_name(ccid_desc_level(d)));
	fprintf(out, "  dwMaxCCIDMessageLength: %" PRIu32 "\n",
		d->dwMaxCCIDMessageLength);
	print_cla(out, "bClassGetResponse", d->bClassGetResponse);
	print_cla(out, "bClassEnvelope", d->bClassEnvelope);
	/* high byte: lines, low byte: characters per line */
	if (d->wLcdLayout)
		fprintf(out, "  wLcdLayout: 0x%04X (%u lines x %u characters)\n",
			d->wLcdLayout, d->wLcdLayout >> 8, d->wLcdLayout & 0xFF);
	else
		fprintf(out, "  wLcdLayout: 0x0000 (no LCD)\n");
	fprintf(out, "  bPINSupport: 0x%02X%s%s%s%s\n", d->bPINSupport,
		d->bPINSupport & 1 ? " PIN verification" : "",
		(d->bPINSupport & 3) == 3 ? "," : "",
		d->bPINSupport & 2 ? " PIN modification" : "",
		d->bPINSupport & 3 ? "" : " (none)");
	fprintf(out, "  bMaxCCIDBusySlots: %u\n", d->bMaxCCIDBusySlots);
}

void ccid_desc_print(const struct ccid_desc *d, FILE *out)
{
	if (d == NULL || out == NULL)
		return;
	print_head(d, out);
	print_tail(d, out);
}
