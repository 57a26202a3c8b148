/* ccidkit — protocol parameters and the escape command (see slot.h):
 * PC_to_RDR_SetParameters built from the card's ATR (CCID 1.1 §6.1.7,
 * ccid-spec.md §5) and PC_to_RDR_Escape (CCID 1.1 §6.1.8).
 * Like slot.c, each operation holds the reader's io_lock for its whole
 * exchange so it never interleaves with another thread's commands. */
#include "config.h"
#include "ccid/slot.h"

#include <string.h>

#include "ccid/atr.h"
#include "ccid/err.h"
#include "ccid/log.h"

/* Default bmFindexDindex when no faster speed was agreed: Fi 372, Di 1
 * (ISO 7816-3 §8.3, the values every card starts with). */
#define FIDI_DEFAULT 0x11
/* IFSC 0xFF is reserved by ISO 7816-3 §11.4.2; readers choke on it. */
#define IFSC_MAX 0xFE

/* The speed the card works at after activation.  Without a PPS exchange
 * the card stays at Fi/Di = 372/1, unless it is in specific mode with
 * TA2 bit 5 clear (ISO 7816-3 §8.3: TA1 applies at once) or the reader
 * runs PPS itself (dwFeatures AUTO_PPS, CCID 1.1 §5.1) with TA1's values. */
static uint8_t params_fidi(const struct ccid_reader *r,
			   const struct ccid_atr *atr)
{
	bool ta1_applies;

	if (!(atr->group[0].present & 0x01) || atr->fi == 0 || atr->di == 0)
		return FIDI_DEFAULT;
	ta1_applies = (atr->specific_mode && !atr->specific_implicit) ||
		      (r->desc.dwFeatures & CCID_FEAT_AUTO_PPS);
	if (!ta1_applies)
		return FIDI_DEFAULT;
	return (uint8_t)(atr->fi_index << 4 | atr->di_index);
}

/* bClockStop from the T=15 TA clock-stop indicator XI (ISO 7816-3 §8.3):
 * the same two-bit encoding as CCID's 0 none, 1 low, 2 high, 3 either. */
static uint8_t params_clock_stop(const struct ccid_atr *atr)
{
	return atr->has_class ? (uint8_t)(atr->clock_stop & 3u) : 0;
}

/* abProtocolDataStructure (CCID 1.1 §6.1.7, tables 6.1-8 and 6.1-9). */
static size_t params_build(const struct ccid_reader *r,
			   const struct ccid_atr *atr, int protocol,
			   uint8_t d[7])
{
	uint8_t conv = atr->inverse ? 0x02 : 0x00;

	d[0] = params_fidi(r, atr);
	d[2] = atr->n; /* TC1: extra guard time */
	d[4] = params_clock_stop(atr);
	if (protocol == 0) {
		d[1] = conv;            /* bmTCCKST0 */
		d[3] = atr->wi;         /* bWaitingIntegerT0 */
		return 5;
	}
	d[1] = (uint8_t)(0x10 | conv | (atr->crc ? 0x01 : 0x00));
	d[3] = (uint8_t)((atr->bwi & 0x0F) << 4 | (atr->cwi & 0x0F));
	d[5] = atr->ifsc == 0 ? 0x20 : atr->ifsc > IFSC_MAX ? IFSC_MAX :
	       atr->ifsc;
	d[6] = 0; /* bNadValue: ccidkit never addresses nodes */
	return 7;
}

int ccid_slot_set_protocol(struct ccid_reader *r, unsigned slot, int protocol,
			   uint64_t deadline)
{
	struct ccid_slot_state st;
	struct ccid_atr atr;
	struct ccid_reply rep;
	uint8_t data[7], param[3] = { 0, 0, 0 };
	size_t len;
	int err;

	if (r == NULL || (protocol != 0 && protocol != 1))
		return CCID_E_INVAL;
	err = ccid_reader_slot_state(r, slot, &st, NULL);
	if (err != CCID_OK)
		return err;
	if (!st.present)
		return CCID_E_NO_CARD;
	if (!st.powered || st.atr_len == 0)
		return CCID_E_UNPOWERED;
	/* The reader negotiates and sets every parameter by itself. */
	if (r->desc.dwFeatures & CCID_FEAT_AUTO_PARAM_NEG)
		return CCID_OK;
	err = ccid_atr_parse(st.atr, st.atr_len, &atr);
	if (err != CCID_OK)
		return err;
	len = params_build(r, &atr, protocol, data);
	param[0] = (uint8_t)protocol; /* bProtocolNum */
	ccid_log_hex(CCID_LOG_DEBUG, __func__, protocol ? "T=1 parameters" :
		     "T=0 parameters", data, len);
	err = ccid_slot_begin(r, slot);
	if (err != CCID_OK)
		return err;
	err = ccid_reader_command(r, PC_to_RDR_SetParameters, (uint8_t)slot,
				  param, data, len, &rep, deadline);
	if (err == CCID_OK)
		err = ccid_msg_status_err(rep.bStatus, rep.bError);
	ccid_slot_end(r);
	if (err != CCID_OK)
		ccid_log_info("slot %u: SetParameters T=%d: %s", slot, protocol,
			      ccid_strerror(err));
	return err;
}

int ccid_slot_escape(struct ccid_reader *r, unsigned slot, const uint8_t *in,
		     size_t in_len, uint8_t *out, size_t cap, size_t *out_len,
		     uint64_t deadline)
{
	static const uint8_t rfu3[3] = { 0, 0, 0 };
	struct ccid_reply rep;
	int err;

	if (out_len == NULL || (in == NULL && in_len > 0) ||
	    (out == NULL && cap > 0))
		return CCID_E_INVAL;
	*out_len = 0;
	err = ccid_slot_begin(r, slot);
	if (err != CCID_OK)
		return err;
	if (in_len > r->buf_cap - CCID_HEADER_LEN) {
		ccid_slot_end(r);
		return CCID_E_OVERFLOW; /* does not fit one message */
	}
	err = ccid_reader_command(r, PC_to_RDR_Escape, (uint8_t)slot, rfu3,
				  in, in_len, &rep, deadline);
	if (err == CCID_OK)
		err = ccid_msg_status_err(rep.bStatus, rep.bError);
	if (err == CCID_OK) {
		*out_len = rep.dwLength;
		if (rep.dwLength > cap)
			err = CCID_E_OVERFLOW;
		else if (rep.dwLength > 0)
			memcpy(out, rep.data, rep.dwLength);
	}
	ccid_slot_end(r);
	return err;
}
