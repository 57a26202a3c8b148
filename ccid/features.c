/* ccidkit — PC/SC Part 10 reader features (see features.h): which
 * features a reader offers, and the FEATURE_GET_TLV_PROPERTIES and
 * FEATURE_IFD_PIN_PROPERTIES answers, all computed from the CCID class
 * descriptor and the USB identity (ccid-spec.md §9).  No I/O. */
#include "config.h"
#include "ccid/features.h"

#include <string.h>

#include "ccid/err.h"
#include "ccid/quirks.h"

/* bEntryValidationCondition we announce for a PIN pad: max size reached,
 * validation key, timeout (Part 10 §2.6.8; libccid's default answer). */
#define ENTRY_VALIDATION_DEFAULT 0x07
/* dwMaxAPDUDataSize for readers that carry extended APDUs: at TPDU level
 * the driver frames them itself (Part 10 §2.6.14, libccid's value). */
#define MAX_APDU_EXTENDED 0x10000u

/* Some readers set bPINSupport without a keypad we may use (none at
 * all, or one that hands the PIN to the host): the quirk table vetoes
 * those (readers.md, libccid). */
uint8_t ccid_features_pin_support(const struct ccid_reader *r)
{
	const struct ccid_usb_info *u = &r->tp->info;

	if (ccid_quirks_lookup(u->idVendor, u->idProduct, u->bcdDevice) &
	    CCID_QUIRK_NO_PINPAD)
		return 0;
	return r->desc.bPINSupport &
	       (CCID_PIN_SUPPORT_VERIFY | CCID_PIN_SUPPORT_MODIFY);
}

static void feature_put(struct ccid_feature *out, size_t cap, size_t *n,
			uint8_t tag, uint32_t code)
{
	if (*n < cap) {
		out[*n].tag = tag;
		out[*n].control_code = code;
	}
	(*n)++;
}

/* Order as libccid lists them (ifdhandler.c GET_FEATURE_REQUEST): the
 * PIN features first, then GET_TLV_PROPERTIES, then the escape.  The
 * escape is always offered: an application that asks for it means it
 * (unlike libccid, no Info.plist switch; SCARDCONTROL.md). */
int ccid_features_list(const struct ccid_reader *r, struct ccid_feature *out,
		       size_t cap, size_t *n)
{
	uint8_t pin;

	if (r == NULL || n == NULL || (out == NULL && cap > 0))
		return CCID_E_INVAL;
	*n = 0;
	pin = ccid_features_pin_support(r);
	if (pin & CCID_PIN_SUPPORT_VERIFY)
		feature_put(out, cap, n, CCID_FEATURE_VERIFY_PIN_DIRECT,
			    CCID_IOCTL_FEATURE(CCID_FEATURE_VERIFY_PIN_DIRECT));
	if (pin & CCID_PIN_SUPPORT_MODIFY)
		feature_put(out, cap, n, CCID_FEATURE_MODIFY_PIN_DIRECT,
			    CCID_IOCTL_FEATURE(CCID_FEATURE_MODIFY_PIN_DIRECT));
	if (pin != 0)
		feature_put(out, cap, n, CCID_FEATURE_IFD_PIN_PROPERTIES,
			    CCID_IOCTL_FEATURE(CCID_FEATURE_IFD_PIN_PROPERTIES));
	feature_put(out, cap, n, CCID_FEATURE_GET_TLV_PROPERTIES,
		    CCID_IOCTL_FEATURE(CCID_FEATURE_GET_TLV_PROPERTIES));
	feature_put(out, cap, n, CCID_FEATURE_CCID_ESC_COMMAND,
		    CCID_IOCTL_ESCAPE);
	return *n > cap ? CCID_E_OVERFLOW : CCID_OK;
}

uint8_t ccid_features_tag_of(const struct ccid_reader *r, uint32_t code)
{
	struct ccid_feature f[8];
	size_t n = 0;

	if (ccid_features_list(r, f, sizeof(f) / sizeof(f[0]), &n) != CCID_OK)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (f[i].control_code == code)
			return f[i].tag;
	return 0;
}

/* Names as in reader.h (PC/SC Part 10 §2.3). */
static const struct {
	uint8_t tag;
	const char *name;
} feature_names[] = {
	{ 0x01, "FEATURE_VERIFY_PIN_START" },
	{ 0x02, "FEATURE_VERIFY_PIN_FINISH" },
	{ 0x03, "FEATURE_MODIFY_PIN_START" },
	{ 0x04, "FEATURE_MODIFY_PIN_FINISH" },
	{ 0x05, "FEATURE_GET_KEY_PRESSED" },
	{ 0x06, "FEATURE_VERIFY_PIN_DIRECT" },
	{ 0x07, "FEATURE_MODIFY_PIN_DIRECT" },
	{ 0x08, "FEATURE_MCT_READER_DIRECT" },
	{ 0x09, "FEATURE_MCT_UNIVERSAL" },
	{ 0x0A, "FEATURE_IFD_PIN_PROPERTIES" },
	{ 0x0B, "FEATURE_ABORT" },
	{ 0x0C, "FEATURE_SET_SPE_MESSAGE" },
	{ 0x0D, "FEATURE_VERIFY_PIN_DIRECT_APP_ID" },
	{ 0x0E, "FEATURE_MODIFY_PIN_DIRECT_APP_ID" },
	{ 0x0F, "FEATURE_WRITE_DISPLAY" },
	{ 0x10, "FEATURE_GET_KEY" },
	{ 0x11, "FEATURE_IFD_DISPLAY_PROPERTIES" },
	{ 0x12, "FEATURE_GET_TLV_PROPERTIES" },
	{ 0x13, "FEATURE_CCID_ESC_COMMAND" },
	{ 0x20, "FEATURE_EXECUTE_PACE" },
};

const char *ccid_feature_name(uint8_t tag)
{
	for (size_t i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]);
	     i++)
		if (feature_names[i].tag == tag)
			return feature_names[i].name;
	return "unknown feature";
}

/* An output cursor: past cap only the length counts, so the caller
 * learns how much room the whole answer needs. */
struct tlv_out {
	uint8_t *buf;
	size_t cap;
	size_t len;
};

static void put_byte(struct tlv_out *o, uint8_t b)
{
	if (o->len < o->cap)
		o->buf[o->len] = b;
	o->len++;
}

/* One property: tag, length, value little-endian (Part 10 §2.6.14). */
static void put_prop(struct tlv_out *o, uint8_t tag, uint32_t v, uint8_t len)
{
	put_byte(o, tag);
	put_byte(o, len);
	for (uint8_t i = 0; i < len; i++)
		put_byte(o, (uint8_t)(v >> (8 * i)));
}

static int tlv_finish(const struct tlv_out *o, size_t *len)
{
	*len = o->len;
	return o->len > o->cap ? CCID_E_OVERFLOW : CCID_OK;
}

/* Tags in ascending order.  PIN-entry properties only for a PIN pad;
 * the LCD size (CCID 1.1 §5.1 wLcdLayout: XX lines, YY characters) only
 * with a display.  bMinPINSize / bMaxPINSize are not given: neither the
 * descriptor nor any table of ours knows a keypad's limits, and a wrong
 * value would make applications refuse PINs the pad accepts. */
int ccid_features_tlv_properties(const struct ccid_reader *r, uint8_t *out,
				 size_t cap, size_t *len)
{
	struct tlv_out o = { .buf = out, .cap = out != NULL ? cap : 0 };
	const struct ccid_usb_info *info;
	uint16_t lcd;

	if (r == NULL || len == NULL || (out == NULL && cap > 0))
		return CCID_E_INVAL;
	info = &r->tp->info;
	lcd = r->desc.wLcdLayout;
	put_prop(&o, 0x01, lcd, 2); /* wLcdLayout */
	if (ccid_features_pin_support(r) != 0) /* bEntryValidationCondition */
		put_prop(&o, 0x02, ENTRY_VALIDATION_DEFAULT, 1);
	put_prop(&o, 0x03, 0, 1); /* bTimeOut2: CCID has no such timer */
	if (lcd != 0) {
		put_prop(&o, 0x04, lcd & 0xFFu, 2); /* wLcdMaxCharacters */
		put_prop(&o, 0x05, lcd >> 8, 2);    /* wLcdMaxLines */
	}
	/* bPPDUSupport: pseudo-APDUs for the pad are not offered */
	put_prop(&o, 0x09, 0, 1);
	/* dwMaxAPDUDataSize: 0 = short APDUs only */
	put_prop(&o, 0x0A, r->level == CCID_LEVEL_SHORT_APDU ? 0 :
		 MAX_APDU_EXTENDED, 4);
	put_prop(&o, 0x0B, info->idVendor, 2);
	put_prop(&o, 0x0C, info->idProduct, 2);
	return tlv_finish(&o, len);
}

/* PIN_PROPERTIES_STRUCTURE (Part 10 §2.6.8, pcsc-abi.md §4): wLcdLayout
 * (LE), bEntryValidationCondition, bTimeOut2 = 0.  Only for a reader
 * that offers PIN entry (CCID_E_NOT_SUPPORTED otherwise). */
int ccid_features_pin_properties(const struct ccid_reader *r, uint8_t *out,
				 size_t cap, size_t *len)
{
	struct tlv_out o = { .buf = out, .cap = out != NULL ? cap : 0 };

	if (r == NULL || len == NULL || (out == NULL && cap > 0))
		return CCID_E_INVAL;
	*len = 0;
	if (ccid_features_pin_support(r) == 0)
		return CCID_E_NOT_SUPPORTED;
	put_byte(&o, (uint8_t)(r->desc.wLcdLayout & 0xFF));
	put_byte(&o, (uint8_t)(r->desc.wLcdLayout >> 8));
	put_byte(&o, ENTRY_VALIDATION_DEFAULT);
	put_byte(&o, 0);
	return tlv_finish(&o, len);
}
