/* ccidkit — SCardControl: PC/SC Part 10 features as the driver computes
 * them (ccid/features.h): discovery, TLV and PIN properties, PIN entry on
 * the reader's keypad (PC_to_RDR_Secure), and the CCID escape
 * (ccid-spec.md §9; the codes are listed in pcsc-api/SCARDCONTROL.md). */
#include "config.h"
#include "pcsc-api/api.h"

#include <string.h>

#include "ccid/err.h"
#include "ccid/features.h"
#include "ccid/slot.h"

/* Windows' value of SCARD_CTL_CODE(3400), used over RDP (libccid). */
#define API_IOCTL_GET_FEATURE_REQUEST_WIN 0x313520u
/* Room for every feature a reader can offer (features.c lists five). */
#define API_FEATURES_MAX 8

/* CM_IOCTL_GET_FEATURE_REQUEST: what ccid_features_list says this reader
 * really supports, as 6-byte TLVs (tag, length 4, control code
 * big-endian; ccid-spec.md §9). */
static size_t ctl_features(const struct ccid_reader *r, uint8_t *out)
{
	struct ccid_feature f[API_FEATURES_MAX];
	size_t n = 0, len = 0;

	if (ccid_features_list(r, f, API_FEATURES_MAX, &n) != CCID_OK)
		return 0;
	for (size_t i = 0; i < n; i++, len += 6) {
		uint32_t code = f[i].control_code;

		out[len] = f[i].tag;
		out[len + 1] = 4;
		out[len + 2] = (uint8_t)(code >> 24);
		out[len + 3] = (uint8_t)(code >> 16);
		out[len + 4] = (uint8_t)(code >> 8);
		out[len + 5] = (uint8_t)code;
	}
	return len;
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

/* Answer of a driver-side encoder (TLV / PIN properties). */
static LONG ctl_encoded(int (*enc)(const struct ccid_reader *, uint8_t *,
				   size_t, size_t *),
			const struct ccid_reader *r, void *out, DWORD cap,
			DWORD *returned)
{
	uint8_t buf[128];
	size_t len = 0;
	int err = enc(r, buf, sizeof(buf), &len);

	if (err != CCID_OK)
		return api_err(err);
	return ctl_answer(buf, len, out, cap, returned);
}

/* FEATURE_VERIFY_PIN_DIRECT / FEATURE_MODIFY_PIN_DIRECT: the input is the
 * application's PIN_VERIFY/PIN_MODIFY structure, the output the card's
 * response (data + SW; 64 01 cancelled, 64 00 timed out on the keypad).
 * A malformed structure is SCARD_E_UNSUPPORTED_FEATURE, as pcscd answers
 * libccid's IFD_NOT_SUPPORTED.  The structure is the caller's buffer,
 * passed down without a copy; the driver wipes its own copies. */
static LONG ctl_secure(struct api_card *c, int op, const void *in,
		       DWORD in_len, void *out, DWORD cap, DWORD *returned)
{
	size_t got = 0;
	int err;

	if (in == NULL || in_len == 0)
		return SCARD_E_UNSUPPORTED_FEATURE;
	err = ccid_slot_secure(c->slot->reader, c->slot->slot, op, in, in_len,
			       out, out != NULL ? cap : 0, &got,
			       ccid_deadline_in(API_IO_MS));
	if (err == CCID_E_INVAL)
		return SCARD_E_UNSUPPORTED_FEATURE;
	if (err == CCID_OK && returned != NULL)
		*returned = got;
	return api_err(err);
}

/* Only the codes GET_FEATURE_REQUEST offers for this reader are served
 * (a PIN code on a reader without a keypad is unsupported). */
static LONG ctl_dispatch(struct api_card *c, DWORD code, const void *in,
			 DWORD in_len, void *out, DWORD cap, DWORD *returned)
{
	struct ccid_reader *r = c->slot->reader;
	uint8_t buf[6 * API_FEATURES_MAX];

	if (ccid_reader_is_gone(r))
		return SCARD_E_READER_UNAVAILABLE;
	if (code == CM_IOCTL_GET_FEATURE_REQUEST ||
	    code == API_IOCTL_GET_FEATURE_REQUEST_WIN)
		return ctl_answer(buf, ctl_features(r, buf), out, cap, returned);
	if (code > UINT32_MAX)
		return SCARD_E_UNSUPPORTED_FEATURE;
	switch (ccid_features_tag_of(r, (uint32_t)code)) {
	case CCID_FEATURE_VERIFY_PIN_DIRECT:
		return ctl_secure(c, CCID_PIN_OP_VERIFY, in, in_len, out, cap,
				  returned);
	case CCID_FEATURE_MODIFY_PIN_DIRECT:
		return ctl_secure(c, CCID_PIN_OP_MODIFY, in, in_len, out, cap,
				  returned);
	case CCID_FEATURE_IFD_PIN_PROPERTIES:
		return ctl_encoded(ccid_features_pin_properties, r, out, cap,
				   returned);
	case CCID_FEATURE_GET_TLV_PROPERTIES:
		return ctl_encoded(ccid_features_tlv_properties, r, out, cap,
				   returned);
	case CCID_FEATURE_CCID_ESC_COMMAND:
		return ctl_escape(c, in, in_len, out, cap, returned);
	default:
		return SCARD_E_UNSUPPORTED_FEATURE;
	}
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
