/* ccidkit — protocol parameters and the escape command (see slot.h):
 * PPS at TPDU level (ISO 7816-3 §9), PC_to_RDR_SetParameters built from
 * the card's ATR (CCID 1.1 §6.1.7, ccid-spec.md §5), the T=1 start-up
 * (S(IFS)), and PC_to_RDR_Escape (CCID 1.1 §6.1.8).
 * Like slot.c, each operation holds the reader's io_lock for its whole
 * exchange so it never interleaves with another thread's commands. */
#include "config.h"
#include "ccid/slot.h"

#include <string.h>

#include "ccid/atr.h"
#include "ccid/err.h"
#include "ccid/log.h"
#include "ccid/pps.h"
#include "ccid/t1.h"

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

static uint8_t params_ifsc(const struct ccid_atr *atr)
{
	return atr->ifsc == 0 ? 0x20 : atr->ifsc > IFSC_MAX ? IFSC_MAX :
	       atr->ifsc;
}

/* bClockStop from the T=15 TA clock-stop indicator XI (ISO 7816-3 §8.3):
 * the same two-bit encoding as CCID's 0 none, 1 low, 2 high, 3 either. */
static uint8_t params_clock_stop(const struct ccid_atr *atr)
{
	return atr->has_class ? (uint8_t)(atr->clock_stop & 3u) : 0;
}

/* abProtocolDataStructure (CCID 1.1 §6.1.7, tables 6.1-8 and 6.1-9),
 * with fidi the Fi/Di the card works at now. */
static size_t params_build(const struct ccid_atr *atr, int protocol,
			   uint8_t fidi, uint8_t d[7])
{
	uint8_t conv = atr->inverse ? 0x02 : 0x00;

	d[0] = fidi;
	d[2] = atr->n; /* TC1: extra guard time */
	d[4] = params_clock_stop(atr);
	if (protocol == 0) {
		d[1] = conv;            /* bmTCCKST0 */
		d[3] = atr->wi;         /* bWaitingIntegerT0 */
		return 5;
	}
	d[1] = (uint8_t)(0x10 | conv | (atr->crc ? 0x01 : 0x00));
	d[3] = (uint8_t)((atr->bwi & 0x0F) << 4 | (atr->cwi & 0x0F));
	d[5] = params_ifsc(atr);
	d[6] = 0; /* bNadValue: ccidkit never addresses nodes */
	return 7;
}

/* Class request GET_CLOCK_FREQUENCIES / GET_DATA_RATES (CCID 1.1
 * §5.3.2, §5.3.3): the dwords of the list, when the reader announces one
 * (bNumClockSupported / bNumDataRatesSupported > 0); a reader that fails
 * the request is judged by its descriptor alone. */
static size_t params_rates(struct ccid_reader *r, uint8_t req,
			   uint8_t count, uint32_t *out, size_t max,
			   uint64_t deadline)
{
	uint8_t buf[4 * 255];
	size_t got = 0, n;

	if (count == 0)
		return 0;
	if (count > max)
		count = (uint8_t)max;
	if (ccid_reader_control(r, 0xA1, req, 0, buf, (uint16_t)(4u * count),
				&got, deadline) != CCID_OK)
		return 0;
	n = got / 4 < count ? got / 4 : count;
	for (size_t i = 0; i < n; i++)
		out[i] = (uint32_t)buf[4 * i] | (uint32_t)buf[4 * i + 1] << 8 |
			 (uint32_t)buf[4 * i + 2] << 16 |
			 (uint32_t)buf[4 * i + 3] << 24;
	return n;
}

/* The PPS request and its answer, raw in one XfrBlock each way (the
 * reader at TPDU level passes bytes, ccid-spec.md §6.4).  CCID_OK with
 * *fidi the agreed Fi/Di, CCID_E_PROTO when the card refused. */
static int params_pps(struct ccid_reader *r, unsigned slot, int protocol,
		      uint8_t want, uint8_t *fidi, uint64_t deadline)
{
	uint8_t req[CCID_PPS_MAX], resp[CCID_PPS_MAX + 4];
	size_t req_len = 0, resp_len = 0;
	int err;

	err = ccid_pps_encode((uint8_t)protocol, want == FIDI_DEFAULT ? -1 :
			      want, req, sizeof(req), &req_len);
	if (err != CCID_OK)
		return err;
	ccid_log_hex(CCID_LOG_DEBUG, __func__, "PPS request", req, req_len);
	err = ccid_slot_xfr_raw(r, slot, 0, req, req_len, resp, sizeof(resp),
				&resp_len, deadline);
	if (err == CCID_E_OVERFLOW)
		err = CCID_E_PROTO;
	if (err != CCID_OK)
		return err;
	return ccid_pps_check(req, req_len, resp, resp_len, fidi);
}

/* ISO 7816-3 §9: PPS when the host must do it.  Returns the Fi/Di in
 * use in *fidi; a refused PPS re-powers the card and goes on at Fd/Dd
 * (§9.3: the card must be reset; it comes back in its default
 * protocol, which is the one the caller then gets at Fd/Dd). */
static int params_negotiate(struct ccid_reader *r, unsigned slot,
			    const struct ccid_atr *atr, int protocol,
			    uint8_t *fidi, bool *refused, uint64_t deadline)
{
	uint32_t rates[64];
	size_t nrates;
	uint8_t want;
	int err;

	*refused = false;
	if (r->level != CCID_LEVEL_TPDU || atr->specific_mode ||
	    (r->desc.dwFeatures & (CCID_FEAT_AUTO_PPS |
				   CCID_FEAT_AUTO_PARAM_NEG)))
		return CCID_OK;
	/* CCID 1.1 §5.3.2: the clocks the reader can run; the card is
	 * clocked at dwDefaultClock, which the choice below assumes, so the
	 * list only goes to the trace (a reader whose default clock is not
	 * in its own list is worth a look there) */
	nrates = params_rates(r, CCID_REQ_GET_CLOCK_FREQUENCIES,
			      r->desc.bNumClockSupported, rates, 64,
			      deadline);
	for (size_t i = 0; i < nrates; i++)
		ccid_log_dbg("slot %u: clock %u kHz", slot, rates[i]);
	nrates = params_rates(r, CCID_REQ_GET_DATA_RATES,
			      r->desc.bNumDataRatesSupported, rates, 64,
			      deadline);
	want = ccid_pps_choose_fidi(atr, &r->desc, rates, nrates);
	if (!ccid_pps_needed(atr, &r->desc, (uint8_t)protocol, want))
		return CCID_OK;
	err = params_pps(r, slot, protocol, want, fidi, deadline);
	if (err == CCID_OK || err == CCID_E_NO_DEVICE || err == CCID_E_NO_CARD)
		return err;
	ccid_log_info("slot %u: PPS T=%d Fi/Di 0x%02X refused (%s): resetting the card, default speed",
		      slot, protocol, want, ccid_strerror(err));
	*refused = true;
	*fidi = FIDI_DEFAULT;
	return ccid_slot_repower_locked(r, slot, deadline);
}

/* T=1 at TPDU level: the host runs the block protocol (ISO 7816-3
 * §11.4.2: IFSC from the ATR, IFSD ours, sequence numbers 0) and tells
 * the card its IFSD unless the reader does it (dwFeatures AUTO_IFSD). */
static int params_t1_start(struct ccid_reader *r, unsigned slot,
			   const struct ccid_atr *atr,
			   struct ccid_slot_proto *p, uint64_t deadline)
{
	/* a block (3 + INF + 2) must fit one CCID message both ways: a
	 * reader with a small dwMaxCCIDMessageLength gets smaller blocks
	 * (sending less than IFSC is always allowed, §11.4.2) */
	size_t room = r->buf_cap - CCID_HEADER_LEN - 5;
	uint32_t max = r->desc.dwMaxIFSD;
	uint8_t ifsd = max == 0 ? 32 : max > IFSC_MAX ? IFSC_MAX : (uint8_t)max;
	uint8_t ifsc = params_ifsc(atr);
	struct ccid_slot_io io;
	int err;

	if (ifsd > room)
		ifsd = (uint8_t)room;
	if (ifsc > room)
		ifsc = (uint8_t)room;
	ccid_slot_io_init(&io, r, slot, p, deadline);
	ccid_t1_init(&p->t1, ifsc, ifsd, atr->crc, 0);
	if (r->desc.dwFeatures & CCID_FEAT_AUTO_IFSD)
		return CCID_OK;
	err = ccid_t1_negotiate_ifsd(&p->t1, ccid_slot_t1_xfer, &io);
	if (err != CCID_OK)
		ccid_log_info("slot %u: S(IFS request %u): %s", slot, ifsd,
			      ccid_strerror(err));
	return err;
}

static int params_set(struct ccid_reader *r, unsigned slot,
		      const struct ccid_atr *atr, int protocol, uint8_t fidi,
		      uint64_t deadline)
{
	uint8_t data[7], param[3] = { (uint8_t)protocol, 0, 0 };
	struct ccid_reply rep;
	size_t len;
	int err;

	/* the reader negotiates and sets every parameter by itself */
	if (r->desc.dwFeatures & CCID_FEAT_AUTO_PARAM_NEG)
		return CCID_OK;
	len = params_build(atr, protocol, fidi, data);
	ccid_log_hex(CCID_LOG_DEBUG, __func__, protocol ? "T=1 parameters" :
		     "T=0 parameters", data, len);
	err = ccid_reader_command(r, PC_to_RDR_SetParameters, (uint8_t)slot,
				  param, data, len, &rep, deadline);
	if (err == CCID_OK)
		err = ccid_msg_status_err(rep.bStatus, rep.bError);
	if (err != CCID_OK)
		ccid_log_info("slot %u: SetParameters T=%d: %s", slot, protocol,
			      ccid_strerror(err));
	return err;
}

/* Record the outcome for this power-up (after a possible re-power, so
 * the epoch is the current one). */
static void params_record(struct ccid_reader *r, unsigned slot,
			  const struct ccid_atr *atr, int protocol,
			  uint8_t fidi, bool refused)
{
	struct ccid_slot_proto *p = &r->proto[slot];
	struct ccid_slot_state st;

	ccid_slot_proto_clear(r, slot);
	if (ccid_reader_slot_state(r, slot, &st, NULL) != CCID_OK)
		return;
	p->epoch = st.power_epoch;
	p->protocol = protocol;
	p->fidi = fidi;
	p->wi = atr->wi;
	p->bwi = atr->bwi;
	p->pps_refused = refused;
	p->valid = true;
}

static int params_atr(struct ccid_reader *r, unsigned slot,
		      struct ccid_atr *atr)
{
	struct ccid_slot_state st;
	int err = ccid_reader_slot_state(r, slot, &st, NULL);

	if (err != CCID_OK)
		return err;
	if (!st.present)
		return CCID_E_NO_CARD;
	if (!st.powered || st.atr_len == 0)
		return CCID_E_UNPOWERED;
	return ccid_atr_parse(st.atr, st.atr_len, atr);
}

int ccid_slot_set_protocol_locked(struct ccid_reader *r, unsigned slot,
				  int protocol, uint64_t deadline)
{
	struct ccid_atr atr;
	uint8_t fidi;
	bool refused = false;
	int err = params_atr(r, slot, &atr);

	if (err != CCID_OK)
		return err;
	if (protocol < 0)
		protocol = atr.specific_mode ? atr.specific_protocol :
			   atr.first_protocol == 1 ? 1 : 0;
	if (atr.specific_mode && protocol != atr.specific_protocol) {
		/* ISO 7816-3 §8.3: specific mode fixes the protocol */
		ccid_log_err("slot %u: the card is in specific mode T=%u, T=%d refused",
			     slot, atr.specific_protocol, protocol);
		return CCID_E_INVAL;
	}
	fidi = params_fidi(r, &atr);
	if (ccid_slot_proto_current(r, slot) != NULL &&
	    r->proto[slot].pps_refused) {
		refused = true; /* once in this power-up is enough: no PPS */
		fidi = FIDI_DEFAULT;
	} else {
		err = params_negotiate(r, slot, &atr, protocol, &fidi,
				       &refused, deadline);
	}
	if (err == CCID_OK && refused && protocol != atr.first_protocol) {
		/* after the reset the card speaks its default protocol only */
		ccid_log_err("slot %u: the card refused PPS for T=%d", slot,
			     protocol);
		err = CCID_E_PROTO;
	}
	if (err == CCID_OK)
		err = params_set(r, slot, &atr, protocol, fidi, deadline);
	if (err != CCID_OK)
		return err;
	params_record(r, slot, &atr, protocol, fidi, refused);
	if (protocol == 1 && r->level == CCID_LEVEL_TPDU) {
		err = params_t1_start(r, slot, &atr, &r->proto[slot], deadline);
		if (err != CCID_OK)
			ccid_slot_proto_clear(r, slot);
	}
	return err;
}

int ccid_slot_set_protocol(struct ccid_reader *r, unsigned slot, int protocol,
			   uint64_t deadline)
{
	int err;

	if (r == NULL || (protocol != 0 && protocol != 1))
		return CCID_E_INVAL;
	const struct ccid_slot_proto *p;

	err = ccid_slot_begin(r, slot);
	if (err != CCID_OK)
		return err;
	p = ccid_slot_proto_current(r, slot);
	if (p == NULL) {
		err = ccid_slot_set_protocol_locked(r, slot, protocol, deadline);
	} else if (p->protocol != protocol) {
		/* PPS only right after the ATR (ISO 7816-3 §9.1): another
		 * process, or an earlier connection, chose already */
		ccid_log_err("slot %u: the card already uses T=%d in this "
			     "power-up", slot, p->protocol);
		err = CCID_E_INVAL;
	}
	ccid_slot_end(r);
	return err;
}

int ccid_slot_current_protocol(struct ccid_reader *r, unsigned slot)
{
	const struct ccid_slot_proto *p;
	int proto;

	if (ccid_slot_begin(r, slot) != CCID_OK)
		return -1;
	p = ccid_slot_proto_current(r, slot);
	proto = p != NULL ? p->protocol : -1;
	ccid_slot_end(r);
	return proto;
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
