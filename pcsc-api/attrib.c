/* ccidkit — SCardGetAttrib / SCardSetAttrib: reader and card attributes
 * (reader.h SCARD_ATTR_*), answered the way libccid and pcscd answer them
 * (pcsc-abi.md §5 "SCARD_ATTR_*"). */
#include "config.h"
#include "pcsc-api/api.h"

#include <stdio.h>
#include <string.h>

#include "ccid/err.h"

/* An attribute's value, built under api.lock. */
struct attr_val {
	uint8_t b[CCID_READERNAME_MAX + CCID_USB_STRLEN];
	size_t len;
};

static LONG attr_u32(struct attr_val *v, uint32_t x)
{
	/* native byte order, 4 bytes: what libccid writes */
	memcpy(v->b, &x, sizeof(x));
	v->len = sizeof(x);
	return SCARD_S_SUCCESS;
}

static LONG attr_byte(struct attr_val *v, uint8_t x)
{
	v->b[0] = x;
	v->len = 1;
	return SCARD_S_SUCCESS;
}

/* A string with its NUL; an absent USB string is no attribute. */
static LONG attr_str(struct attr_val *v, const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return SCARD_E_UNSUPPORTED_FEATURE;
	memcpy(v->b, s, n + 1);
	v->len = n + 1;
	return SCARD_S_SUCCESS;
}

/* SCARD_ATTR_CHANNEL_ID: 0xDDDDCCCC, DDDD 0x0020 = USB, CCCC = bus << 8 |
 * address (libccid); 0 for a device that is not on a local bus. */
static uint32_t attr_channel(const struct ccid_usb_info *info)
{
	unsigned bus, addr;

	if (sscanf(info->location, "usb:%u:%u", &bus, &addr) != 2)
		bus = addr = 0;
	return 0x00200000u | ((bus & 0xFFu) << 8) | (addr & 0xFFu);
}

/* Attributes of the reader itself (descriptor and USB strings). */
static LONG attr_reader(const struct api_card *c, DWORD id, struct attr_val *v)
{
	const struct ccid_reader *r = c->slot->reader;
	const struct ccid_usb_info *info = &r->tp->info;
	const struct ccid_desc *d = &r->desc;

	switch (id) {
	case SCARD_ATTR_VENDOR_NAME:
		return attr_str(v, info->manufacturer);
	case SCARD_ATTR_VENDOR_IFD_TYPE:
		return attr_str(v, info->product);
	case SCARD_ATTR_VENDOR_IFD_VERSION:
		return attr_u32(v, (uint32_t)info->bcdDevice << 16); /* 0xMMmmbbbb */
	case SCARD_ATTR_VENDOR_IFD_SERIAL_NO:
		return attr_str(v, info->serial);
	case SCARD_ATTR_CHANNEL_ID:
		return attr_u32(v, attr_channel(info));
	case SCARD_ATTR_ASYNC_PROTOCOL_TYPES:
		return attr_u32(v, d->dwProtocols);
	case SCARD_ATTR_DEFAULT_CLK:
		return attr_u32(v, d->dwDefaultClock);
	case SCARD_ATTR_MAX_CLK:
		return attr_u32(v, d->dwMaximumClock);
	case SCARD_ATTR_DEFAULT_DATA_RATE:
		return attr_u32(v, d->dwDataRate);
	case SCARD_ATTR_MAX_DATA_RATE:
		return attr_u32(v, d->dwMaxDataRate);
	case SCARD_ATTR_MAX_IFSD:
		return attr_u32(v, d->dwMaxIFSD);
	case SCARD_ATTR_SYNC_PROTOCOL_TYPES:
		return attr_u32(v, d->dwSynchProtocols);
	case SCARD_ATTR_CHARACTERISTICS:
		return attr_u32(v, d->dwMechanical);
	case SCARD_ATTR_MAXINPUT:
		return attr_u32(v, d->dwMaxCCIDMessageLength - CCID_HEADER_LEN);
	case SCARD_ATTR_DEVICE_FRIENDLY_NAME_A:
	case SCARD_ATTR_DEVICE_SYSTEM_NAME_A:
		/* pcscd answers these with the PC/SC reader name */
		return attr_str(v, c->slot->name);
	default:
		return SCARD_E_UNSUPPORTED_FEATURE;
	}
}

/* Under api.lock: attributes of the card in the slot. */
static LONG attr_card(const struct api_card *c,
		      const struct ccid_slot_state *st, DWORD id,
		      struct attr_val *v)
{
	const struct api_slot *s = c->slot;

	switch (id) {
	case SCARD_ATTR_ICC_PRESENCE:
		return attr_byte(v, st->present ? 2 : 0); /* libccid: 2 or 0 */
	case SCARD_ATTR_ICC_INTERFACE_STATUS:
		return attr_byte(v, st->powered ? 1 : 0); /* contacts active */
	case SCARD_ATTR_CURRENT_PROTOCOL_TYPE:
		return attr_u32(v, (uint32_t)c->protocol);
	case SCARD_ATTR_ATR_STRING:
		v->len = 0;
		if (st->present && s->atr_known && s->atr_changes == st->changes) {
			memcpy(v->b, s->atr, s->atr_len);
			v->len = s->atr_len;
		}
		return SCARD_S_SUCCESS;
	default:
		return attr_reader(c, id, v);
	}
}

LONG SCardGetAttrib(SCARDHANDLE hCard, DWORD dwAttrId, LPBYTE pbAttr,
		    LPDWORD pcbAttrLen)
{
	struct api_card *c;
	struct ccid_slot_state st;
	struct attr_val v = { .len = 0 };
	LONG rv;

	API_TRACE("hCard 0x%lX attribute 0x%lX", (unsigned long)hCard,
		  (unsigned long)dwAttrId);
	if (pcbAttrLen == NULL ||
	    (*pcbAttrLen == SCARD_AUTOALLOCATE && pbAttr == NULL))
		API_RETURN(SCARD_E_INVALID_PARAMETER);
	rv = api_card_get(hCard, &c);
	if (rv != SCARD_S_SUCCESS)
		API_RETURN(rv);
	api_lock();
	rv = api_wait_tx(c);
	if (rv == SCARD_S_SUCCESS)
		rv = api_card_check(c, &st);
	if (rv == SCARD_S_SUCCESS)
		rv = attr_card(c, &st, dwAttrId, &v);
	api_card_put_locked(c);
	api_unlock();
	if (rv == SCARD_S_SUCCESS)
		rv = api_out(pbAttr, pcbAttrLen, v.b, v.len);
	API_RETURN(rv);
}

LONG SCardSetAttrib(SCARDHANDLE hCard, DWORD dwAttrId, LPCBYTE pbAttr,
		    DWORD cbAttrLen)
{
	struct api_card *c;
	struct ccid_slot_state st;
	LONG rv;

	API_TRACE("hCard 0x%lX attribute 0x%lX", (unsigned long)hCard,
		  (unsigned long)dwAttrId);
	if (pbAttr == NULL || cbAttrLen == 0)
		API_RETURN(SCARD_E_INVALID_PARAMETER);
	rv = api_card_get(hCard, &c);
	if (rv != SCARD_S_SUCCESS)
		API_RETURN(rv);
	api_lock();
	rv = api_wait_tx(c);
	if (rv == SCARD_S_SUCCESS)
		rv = api_card_check(c, &st);
	api_card_put_locked(c);
	api_unlock();
	/* every attribute ccidkit knows is read-only, as with libccid */
	if (rv == SCARD_S_SUCCESS)
		rv = SCARD_E_UNSUPPORTED_FEATURE;
	API_RETURN(rv);
}
