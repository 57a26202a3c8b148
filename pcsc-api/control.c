/* ccidkit — SCardControl: PC/SC Part 10 feature discovery answered from
 * the reader's descriptor, and the CCID escape (ccid-spec.md §9; the
 * codes are listed in pcsc-api/SCARDCONTROL.md). */
#include "config.h"
#include "pcsc-api/api.h"

#include <string.h>

#include "ccid/err.h"
#include "ccid/slot.h"

/* Part 10 feature control codes: libccid's values, so that scripts that
 * hard-code them keep working (ccid-spec.md §9). */
#define API_IOCTL_FEATURE(tag) SCARD_CTL_CODE(0x330000 + (tag))
#define API_IOCTL_GET_TLV_PROPERTIES API_IOCTL_FEATURE(FEATURE_GET_TLV_PROPERTIES)
#define API_IOCTL_CCID_ESCAPE SCARD_CTL_CODE(1)
/* Windows' value of SCARD_CTL_CODE(3400), used over RDP (libccid). */
#define API_IOCTL_GET_FEATURE_REQUEST_WIN 0x313520u

/* One feature TLV: tag, length 4, control code big-endian. */
static size_t ctl_feature(uint8_t *p, uint8_t tag, uint32_t code)
{
	p[0] = tag;
	p[1] = 4;
	p[2] = (uint8_t)(code >> 24);
	p[3] = (uint8_t)(code >> 16);
	p[4] = (uint8_t)(code >> 8);
	p[5] = (uint8_t)code;
	return 6;
}

/* CM_IOCTL_GET_FEATURE_REQUEST.  PIN-pad features are not offered:
 * ccidkit has no PC_to_RDR_Secure yet (see SCARDCONTROL.md). */
static size_t ctl_features(const struct ccid_reader *r, uint8_t *out)
{
	size_t n = 0;

	(void)r;
	n += ctl_feature(out + n, FEATURE_GET_TLV_PROPERTIES,
			 API_IOCTL_GET_TLV_PROPERTIES);
	n += ctl_feature(out + n, FEATURE_CCID_ESC_COMMAND,
			 API_IOCTL_CCID_ESCAPE);
	return n;
}

/* Little-endian property TLV (PC/SC Part 10 §2.6.14). */
static size_t ctl_prop(uint8_t *p, uint8_t tag, uint32_t v, uint8_t len)
{
	p[0] = tag;
	p[1] = len;
	for (uint8_t i = 0; i < len; i++)
		p[2 + i] = (uint8_t)(v >> (8 * i));
	return 2u + len;
}

/* FEATURE_GET_TLV_PROPERTIES: what libccid always gives, in its order. */
static size_t ctl_properties(const struct ccid_reader *r, uint8_t *out)
{
	const struct ccid_usb_info *info = &r->tp->info;
	/* 0: short APDUs only; 64 KiB when the reader takes extended ones
	 * (TPDU level included: the driver frames them) */
	uint32_t max_apdu = r->level == CCID_LEVEL_SHORT_APDU ? 0 : 0x10000;
	size_t n = 0;

	n += ctl_prop(out + n, PCSCv2_PART10_PROPERTY_wLcdLayout,
		      r->desc.wLcdLayout, 2);
	n += ctl_prop(out + n, PCSCv2_PART10_PROPERTY_bTimeOut2, 0, 1);
	/* PPDU (pseudo-APDUs through Transmit/escape) is not offered */
	n += ctl_prop(out + n, PCSCv2_PART10_PROPERTY_bPPDUSupport, 0, 1);
	n += ctl_prop(out + n, PCSCv2_PART10_PROPERTY_wIdVendor,
		      info->idVendor, 2);
	n += ctl_prop(out + n, PCSCv2_PART10_PROPERTY_wIdProduct,
		      info->idProduct, 2);
	n += ctl_prop(out + n, PCSCv2_PART10_PROPERTY_dwMaxAPDUDataSize,
		      max_apdu, 4);
	return n;
}

/* Copy a locally built answer to the caller's buffer. */
static LONG ctl_answer(const uint8_t *src, size_t len, void *out, DWORD cap,
		       DWORD *returned)
{
	if (len > cap || (len > 0 && out == NULL))
		return SCARD_E_INSUFFICIENT_BUFFER;
	if (len > 0)
		memcpy(out, src, len);
	if (returned != NULL)
		*returned = len;
	return SCARD_S_SUCCESS;
}

static LONG ctl_escape(struct api_card *c, const void *in, DWORD in_len,
		       void *out, DWORD cap, DWORD *returned)
{
	size_t got = 0;
	int err = ccid_slot_escape(c->slot->reader, c->slot->slot, in, in_len,
				   out, out != NULL ? cap : 0, &got,
				   ccid_deadline_in(API_IO_MS));

	if (err == CCID_OK && returned != NULL)
		*returned = got;
	return api_err(err);
}

static LONG ctl_dispatch(struct api_card *c, DWORD code, const void *in,
			 DWORD in_len, void *out, DWORD cap, DWORD *returned)
{
	struct ccid_reader *r = c->slot->reader;
	uint8_t buf[64];

	if (ccid_reader_is_gone(r))
		return SCARD_E_READER_UNAVAILABLE;
	if (code == CM_IOCTL_GET_FEATURE_REQUEST ||
	    code == API_IOCTL_GET_FEATURE_REQUEST_WIN)
		return ctl_answer(buf, ctl_features(r, buf), out, cap, returned);
	if (code == API_IOCTL_GET_TLV_PROPERTIES)
		return ctl_answer(buf, ctl_properties(r, buf), out, cap,
				  returned);
	if (code == API_IOCTL_CCID_ESCAPE)
		return ctl_escape(c, in, in_len, out, cap, returned);
	return SCARD_E_UNSUPPORTED_FEATURE;
}

LONG SCardControl(SCARDHANDLE hCard, DWORD dwControlCode,
		  LPCVOID pbSendBuffer, DWORD cbSendLength,
		  LPVOID pbRecvBuffer, DWORD cbRecvLength,
		  LPDWORD lpBytesReturned)
{
	struct api_card *c;
	LONG rv;

	API_TRACE("hCard 0x%lX code 0x%lX %lu bytes", (unsigned long)hCard,
		  (unsigned long)dwControlCode, (unsigned long)cbSendLength);
	if (lpBytesReturned != NULL)
		*lpBytesReturned = 0;
	rv = api_card_get(hCard, &c);
	if (rv != SCARD_S_SUCCESS)
		API_RETURN(rv);
	if (cbSendLength > MAX_BUFFER_SIZE_EXTENDED ||
	    (pbSendBuffer == NULL && cbSendLength > 0)) {
		api_card_put(c);
		API_RETURN(SCARD_E_INVALID_PARAMETER);
	}
	if (cbRecvLength > MAX_BUFFER_SIZE_EXTENDED)
		cbRecvLength = MAX_BUFFER_SIZE_EXTENDED;
	/* no card needed and no RESET/REMOVED marks (winscard.c); but
	 * another handle's transaction is waited for */
	api_lock();
	rv = api_wait_tx(c);
	api_unlock();
	if (rv == SCARD_S_SUCCESS)
		rv = ctl_dispatch(c, dwControlCode, pbSendBuffer, cbSendLength,
				  pbRecvBuffer, cbRecvLength, lpBytesReturned);
	api_card_put(c);
	API_RETURN(rv);
}
