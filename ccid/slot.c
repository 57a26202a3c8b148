/* ccidkit — the slot engine: slot status, power on/off with voltage
 * selection, APDU exchange at TPDU (T=0, T=1), short and extended APDU
 * level (see slot.h).
 * Every operation holds the reader's io_lock from its first command to
 * its last, so chained exchanges are never interleaved. */
#include "config.h"
#include "ccid/slot.h"

#include <string.h>

#include "ccid/apdu.h"
#include "ccid/atr.h"
#include "ccid/clock.h"
#include "ccid/err.h"
#include "ccid/log.h"
#include "ccid/t0.h"
#include "ccid/t1.h"

/* Longest short APDU: CLA INS P1 P2 Lc + 255 data + Le (ISO 7816-4 §5.1) */
#define SHORT_APDU_MAX 261

/* wLevelParameter / bChainParameter values (CCID 1.1 §6.1.4, §6.2.1) */
#define CHAIN_BEGIN_END 0x00
#define CHAIN_BEGIN 0x01
#define CHAIN_END 0x02
#define CHAIN_MORE 0x03
#define CHAIN_NEXT 0x10

static const uint8_t rfu3[3] = { 0, 0, 0 };

/* Validate the slot, take io_lock, refuse a gone reader, take the lease
 * of a reader shared with other processes (waiting while another process
 * exchanges or holds this slot's transaction). */
int ccid_slot_begin(struct ccid_reader *r, unsigned slot)
{
	int err;

	if (r == NULL)
		return CCID_E_INVAL;
	if (slot >= r->nslots)
		return CCID_E_NOT_FOUND;
	pthread_mutex_lock(&r->io_lock);
	err = ccid_reader_is_gone(r) ? CCID_E_NO_DEVICE :
	      ccid_reader_lease(r, (int)slot, true);
	if (err != CCID_OK)
		pthread_mutex_unlock(&r->io_lock);
	return err;
}

int ccid_slot_begin_card(struct ccid_reader *r, unsigned slot)
{
	struct ccid_slot_state st;
	int err = ccid_slot_begin(r, slot);

	if (err != CCID_OK || (r->repowered & (1u << slot)) == 0)
		return err;
	/* another process powered, reset or lost the card since we last
	 * looked: the caller's idea of it is stale (pcsc-abi.md: RESET) */
	ccid_reader_slot_state(r, slot, &st, NULL);
	ccid_slot_end(r);
	return !st.present ? CCID_E_NO_CARD :
	       !st.powered ? CCID_E_UNPOWERED : CCID_E_RESET;
}

void ccid_slot_end(struct ccid_reader *r)
{
	ccid_reader_unlease(r);
	pthread_mutex_unlock(&r->io_lock);
}

/* Record (len > 0) or forget (atr == NULL) the card's power and ATR.
 * reader.c owns the slot state: it bumps power_epoch and the generation
 * and calls the change hook outside its locks. */
static void slot_record_power(struct ccid_reader *r, unsigned slot,
			      const uint8_t *atr, size_t len)
{
	ccid_reader_note_power(r, slot, atr, len);
}

/* One command, its reply's bStatus/bError mapped (CCID 1.1 §6.2.6). */
static int slot_cmd(struct ccid_reader *r, uint8_t type, unsigned slot,
		    const uint8_t param[3], const uint8_t *data, size_t len,
		    struct ccid_reply *rep, uint64_t deadline)
{
	int err = ccid_reader_command(r, type, (uint8_t)slot, param, data,
				      len, rep, deadline);

	if (err != CCID_OK)
		return err;
	return ccid_msg_status_err(rep->bStatus, rep->bError);
}

int ccid_slot_get_status(struct ccid_reader *r, unsigned slot,
			 enum ccid_icc_status *status, uint64_t deadline)
{
	struct ccid_reply rep;
	int err;

	if (status == NULL)
		return CCID_E_INVAL;
	err = ccid_slot_begin(r, slot);
	if (err != CCID_OK)
		return err;
	err = slot_cmd(r, PC_to_RDR_GetSlotStatus, slot, rfu3, NULL, 0, &rep,
		       deadline);
	/* Many readers answer GetSlotStatus for an empty or unpowered slot
	 * with "failed, ICC_MUTE": the bmICCStatus is still the answer. */
	if (err == CCID_E_NO_CARD || err == CCID_E_UNPOWERED ||
	    err == CCID_E_CARD_MUTE)
		err = CCID_OK;
	if (err == CCID_OK) {
		unsigned icc = ccid_icc_status(rep.bStatus);

		if (icc > CCID_ICC_ABSENT)
			err = CCID_E_PROTO; /* bmICCStatus 3 is RFU */
		else
			*status = (enum ccid_icc_status)icc;
	}
	ccid_slot_end(r);
	return err;
}

void ccid_slot_proto_clear(struct ccid_reader *r, unsigned slot)
{
	explicit_bzero(&r->proto[slot], sizeof(r->proto[slot]));
}

struct ccid_slot_proto *ccid_slot_proto_current(struct ccid_reader *r,
						 unsigned slot)
{
	struct ccid_slot_proto *p = &r->proto[slot];
	struct ccid_slot_state st;

	if (!p->valid)
		return NULL;
	/* a removal or a reset behind our back bumped the epoch */
	if (ccid_reader_slot_state(r, slot, &st, NULL) != CCID_OK ||
	    !st.powered || st.power_epoch != p->epoch) {
		ccid_slot_proto_clear(r, slot);
		return NULL;
	}
	return p;
}

int ccid_slot_proto_get(struct ccid_reader *r, unsigned slot,
			uint64_t deadline, struct ccid_slot_proto **out)
{
	struct ccid_slot_proto *p = ccid_slot_proto_current(r, slot);
	int err;

	if (p == NULL) {
		err = ccid_slot_set_protocol_locked(r, slot, -1, deadline);
		if (err != CCID_OK)
			return err;
		p = ccid_slot_proto_current(r, slot);
		if (p == NULL)
			return CCID_E_UNPOWERED;
	}
	*out = p;
	return CCID_OK;
}

static int power_off_locked(struct ccid_reader *r, unsigned slot,
			    uint64_t deadline)
{
	struct ccid_reply rep;
	int err = slot_cmd(r, PC_to_RDR_IccPowerOff, slot, rfu3, NULL, 0,
			   &rep, deadline);

	/* the card forgets the protocol and its parameters (ISO 7816-3 §6.4) */
	ccid_slot_proto_clear(r, slot);
	if (err != CCID_E_NO_DEVICE && err != CCID_E_TIMEOUT)
		slot_record_power(r, slot, NULL, 0);
	return err;
}

int ccid_slot_power_off(struct ccid_reader *r, unsigned slot,
			uint64_t deadline)
{
	int err = ccid_slot_begin(r, slot);

	if (err != CCID_OK)
		return err;
	err = power_off_locked(r, slot, deadline);
	ccid_slot_end(r);
	return err;
}

/* One PC_to_RDR_IccPowerOn with bPowerSelect = sel (CCID 1.1 §6.1.1);
 * the DataBlock carries the ATR (ISO 7816-3 §8: 1..33 bytes, checked
 * for structure by callers that parse it). */
static int power_on_once(struct ccid_reader *r, unsigned slot, uint8_t sel,
			 struct ccid_reply *rep, uint64_t deadline)
{
	const uint8_t param[3] = { sel, 0, 0 };
	int err = slot_cmd(r, PC_to_RDR_IccPowerOn, slot, param, NULL, 0, rep,
			   deadline);

	/* ICC_MUTE with bmICCStatus "inactive" in answer to IccPowerOn means
	 * the card did not answer reset at this class: that is a mute card,
	 * not one someone forgot to power. */
	if (err == CCID_E_UNPOWERED)
		err = CCID_E_CARD_MUTE;
	if (err != CCID_OK)
		return err;
	if (rep->dwLength == 0 || rep->dwLength > CCID_ATR_MAX) {
		ccid_log_err("slot %u: ATR of %u bytes", slot,
			     (unsigned)rep->dwLength);
		return CCID_E_BAD_ATR;
	}
	return CCID_OK;
}

/* bPowerSelect values to try: 0 (automatic) when the reader selects the
 * voltage itself, else 5 V, 3 V, 1.8 V as bVoltageSupport allows —
 * ISO 7816-3 §6.2.4 activates class A first and goes down. */
static size_t voltage_plan(const struct ccid_desc *d, uint8_t sel[3])
{
	size_t n = 0;

	if (d->dwFeatures & CCID_FEAT_AUTO_VOLTAGE) {
		sel[0] = CCID_VOLTAGE_AUTO;
		return 1;
	}
	if (d->bVoltageSupport & 0x01)
		sel[n++] = CCID_VOLTAGE_5V;
	if (d->bVoltageSupport & 0x02)
		sel[n++] = CCID_VOLTAGE_3V;
	if (d->bVoltageSupport & 0x04)
		sel[n++] = CCID_VOLTAGE_1_8V;
	return n;
}

static int power_on_locked(struct ccid_reader *r, unsigned slot,
			   struct ccid_reply *rep, uint64_t deadline)
{
	uint8_t sel[3];
	size_t n = voltage_plan(&r->desc, sel);
	int err = CCID_E_NOT_SUPPORTED;

	/* a cold reset: back to Fd/Dd and the ATR's default protocol */
	ccid_slot_proto_clear(r, slot);
	for (size_t i = 0; i < n; i++) {
		err = power_on_once(r, slot, sel[i], rep, deadline);
		if (err != CCID_E_VOLTAGE && err != CCID_E_CARD_MUTE)
			return err;
		ccid_log_info("slot %u: bPowerSelect %u: %s", slot, sel[i],
			      ccid_strerror(err));
		if (i + 1 < n) {
			/* deactivate before trying the next class */
			int off = power_off_locked(r, slot, deadline);

			if (off == CCID_E_NO_DEVICE || off == CCID_E_TIMEOUT)
				return off;
		}
	}
	return err;
}

/* Under io_lock: copy the ATR of a card that is already powered. */
static bool slot_powered_atr(struct ccid_reader *r, unsigned slot,
			     uint8_t *atr, size_t cap, size_t *atr_len, int *err)
{
	struct ccid_slot_state st;

	if (ccid_reader_slot_state(r, slot, &st, NULL) != CCID_OK ||
	    !st.present || !st.powered || st.atr_len == 0)
		return false;
	*atr_len = st.atr_len;
	*err = st.atr_len > cap ? CCID_E_OVERFLOW : CCID_OK;
	if (*err == CCID_OK)
		memcpy(atr, st.atr, st.atr_len);
	return true;
}

static int slot_power(struct ccid_reader *r, unsigned slot, uint8_t *atr,
		      size_t cap, size_t *atr_len, bool reset,
		      uint64_t deadline)
{
	struct ccid_reply rep;
	int err;

	if (atr == NULL || atr_len == NULL)
		return CCID_E_INVAL;
	*atr_len = 0;
	err = ccid_slot_begin(r, slot);
	if (err != CCID_OK)
		return err;
	if (!reset && slot_powered_atr(r, slot, atr, cap, atr_len, &err)) {
		ccid_slot_end(r);
		return err;
	}
	err = power_on_locked(r, slot, &rep, deadline);
	if (err == CCID_OK) {
		slot_record_power(r, slot, rep.data, rep.dwLength);
		*atr_len = rep.dwLength;
		if (rep.dwLength > cap)
			err = CCID_E_OVERFLOW;
		else
			memcpy(atr, rep.data, rep.dwLength);
	}
	ccid_slot_end(r);
	return err;
}

int ccid_slot_power_on(struct ccid_reader *r, unsigned slot, uint8_t *atr,
		       size_t cap, size_t *atr_len, uint64_t deadline)
{
	return slot_power(r, slot, atr, cap, atr_len, true, deadline);
}

int ccid_slot_power_up(struct ccid_reader *r, unsigned slot, uint8_t *atr,
		       size_t cap, size_t *atr_len, uint64_t deadline)
{
	return slot_power(r, slot, atr, cap, atr_len, false, deadline);
}

int ccid_slot_repower_locked(struct ccid_reader *r, unsigned slot,
			     uint64_t deadline)
{
	struct ccid_reply rep;
	int err = power_off_locked(r, slot, deadline);

	if (err == CCID_E_NO_DEVICE || err == CCID_E_TIMEOUT ||
	    err == CCID_E_NO_CARD)
		return err;
	err = power_on_locked(r, slot, &rep, deadline);
	if (err == CCID_OK)
		slot_record_power(r, slot, rep.data, rep.dwLength);
	return err;
}

/* ------------------------------------------------------------------ */
/* APDU exchange                                                      */

/* The response as it is gathered; past cap only the length counts. */
struct resp_acc {
	uint8_t *buf;
	size_t cap;
	size_t total;
};

static void acc_add(struct resp_acc *a, const struct ccid_reply *rep)
{
	size_t n = rep->dwLength;

	if (n > 0 && a->total < a->cap) {
		size_t room = a->cap - a->total;

		memcpy(a->buf + a->total, rep->data, n < room ? n : room);
	}
	a->total += n;
}

static int xfr_block(struct ccid_reader *r, unsigned slot,
		     uint16_t wLevelParameter, const uint8_t *data, size_t len,
		     struct ccid_reply *rep, uint64_t deadline)
{
	/* bBWI 0: the default block waiting time (CCID 1.1 §6.1.4) */
	const uint8_t param[3] = { 0, (uint8_t)(wLevelParameter & 0xFF),
				   (uint8_t)(wLevelParameter >> 8) };

	return slot_cmd(r, PC_to_RDR_XfrBlock, slot, param, data, len, rep,
			deadline);
}

static int transmit_short(struct ccid_reader *r, unsigned slot,
			  const uint8_t *apdu, size_t len,
			  struct resp_acc *acc, uint64_t deadline)
{
	struct ccid_apdu a;
	struct ccid_reply rep;
	int err;

	if (ccid_apdu_parse(apdu, len, &a) == CCID_OK && a.extended) {
		ccid_log_err("extended APDU, but the reader only handles short APDUs");
		return CCID_E_NOT_SUPPORTED;
	}
	if (len > SHORT_APDU_MAX) {
		ccid_log_err("%zu-byte APDU, but the reader only handles short APDUs",
			     len);
		return CCID_E_NOT_SUPPORTED;
	}
	/* An APDU that does not parse still goes out: the card judges it. */
	err = xfr_block(r, slot, CHAIN_BEGIN_END, apdu, len, &rep, deadline);
	if (err == CCID_OK)
		acc_add(acc, &rep);
	return err;
}

/* Command side of CCID 1.1 §6.1.4 chaining: pieces of at most
 * dwMaxCCIDMessageLength - 10 bytes marked 1, 3 ... 3, 2; the reader
 * asks for each next piece with an empty DataBlock, bChainParameter 0x10.
 * On return *rep is the reply to the last piece. */
static int send_chained(struct ccid_reader *r, unsigned slot,
			const uint8_t *apdu, size_t len,
			struct ccid_reply *rep, uint64_t deadline)
{
	size_t chunk = r->buf_cap - CCID_HEADER_LEN;
	size_t off = 0;

	if (len <= chunk)
		return xfr_block(r, slot, CHAIN_BEGIN_END, apdu, len, rep,
				 deadline);
	while (off < len) {
		size_t n = len - off < chunk ? len - off : chunk;
		uint16_t lvl = off == 0 ? CHAIN_BEGIN :
			       off + n == len ? CHAIN_END : CHAIN_MORE;
		int err = xfr_block(r, slot, lvl, apdu + off, n, rep,
				    deadline);

		if (err != CCID_OK)
			return err;
		off += n;
		if (off < len && (rep->bSpecific != CHAIN_NEXT ||
				  rep->dwLength != 0)) {
			ccid_log_err("chained command: reader answered bChainParameter 0x%02X with %u bytes",
				     rep->bSpecific, (unsigned)rep->dwLength);
			return CCID_E_PROTO;
		}
	}
	return CCID_OK;
}

/* Response side: bChainParameter 0 alone, or 1, 3 ... 3, 2; each next
 * piece is asked for with an empty XfrBlock, wLevelParameter 0x10. */
static int recv_chained(struct ccid_reader *r, unsigned slot,
			struct ccid_reply *rep, struct resp_acc *acc,
			uint64_t deadline)
{
	uint8_t chain = rep->bSpecific;

	if (chain != CHAIN_BEGIN_END && chain != CHAIN_BEGIN)
		goto bad;
	acc_add(acc, rep);
	while (chain != CHAIN_BEGIN_END && chain != CHAIN_END) {
		int err = xfr_block(r, slot, CHAIN_NEXT, NULL, 0, rep,
				    deadline);

		if (err != CCID_OK)
			return err;
		chain = rep->bSpecific;
		if (chain != CHAIN_MORE && chain != CHAIN_END)
			goto bad;
		acc_add(acc, rep);
	}
	return CCID_OK;
bad:
	ccid_log_err("unexpected bChainParameter 0x%02X in a response", chain);
	return CCID_E_PROTO;
}

/* ------------------------------------------------------------------ */
/* TPDU level (CCID 1.1 §6.1.4: the host speaks ISO 7816-3)           */

int ccid_slot_xfr_raw(struct ccid_reader *r, unsigned slot, uint8_t bBWI,
		      const uint8_t *out, size_t out_len, uint8_t *in,
		      size_t in_cap, size_t *in_len, uint64_t deadline)
{
	/* wLevelParameter is RFU (0) at TPDU level */
	const uint8_t param[3] = { bBWI, 0, 0 };
	struct ccid_reply rep;
	int err;

	*in_len = 0;
	if (out_len > r->buf_cap - CCID_HEADER_LEN) {
		ccid_log_err("%zu-byte TPDU does not fit dwMaxCCIDMessageLength %zu",
			     out_len, r->buf_cap);
		return CCID_E_NOT_SUPPORTED;
	}
	err = slot_cmd(r, PC_to_RDR_XfrBlock, slot, param, out, out_len, &rep,
		       deadline);
	if (err != CCID_OK)
		return err;
	*in_len = rep.dwLength;
	if (rep.dwLength > in_cap)
		return CCID_E_OVERFLOW;
	if (rep.dwLength > 0)
		memcpy(in, rep.data, rep.dwLength);
	return CCID_OK;
}

static uint64_t add_sat64(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* The local deadline of one exchange with the card: the caller's, but
 * no later than the card may take by ISO 7816-3 (mult × BWT or WT, the
 * characters, USB latency), so that a lost block is noticed in seconds
 * and recovered from (§11.6.3) instead of eating the caller's budget.
 * mult > 1 (S(WTX)) also extends the caller's deadline: the card asked. */
static uint64_t io_deadline(const struct ccid_slot_io *io, unsigned mult)
{
	uint64_t wait = (uint64_t)(mult > 1 ? mult : 1) * io->wait_ms;
	uint64_t caller = mult > 1 ? add_sat64(io->deadline, wait) :
			  io->deadline;
	uint64_t block = add_sat64(ccid_now_ms(), wait + io->margin_ms);

	return block < caller ? block : caller;
}

/* One TPDU in one XfrBlock; the reader runs the procedure bytes. */
static int t0_xfer(void *arg, const uint8_t *tpdu, size_t len, uint8_t *resp,
		   size_t cap, size_t *resp_len)
{
	struct ccid_slot_io *io = arg;

	if (ccid_now_ms() >= io->deadline)
		return CCID_E_TIMEOUT;
	return ccid_slot_xfr_raw(io->r, io->slot, 0, tpdu, len, resp, cap,
				 resp_len, io_deadline(io, 1));
}

int ccid_slot_t1_xfer(void *arg, const uint8_t *out, size_t out_len,
		      uint8_t *in, size_t in_cap, size_t *in_len, unsigned wtx)
{
	struct ccid_slot_io *io = arg;
	/* bBWI 0: the reader's own BWT (CCID 1.1 §6.1.4); after S(WTX) the
	 * multiplier, so the reader waits as long as the card asked
	 * (ISO 7816-3 §11.4.3; DESIGN.md: extensions are explicit) */
	uint8_t bBWI = wtx > 1 ? (wtx > 255 ? 255 : (uint8_t)wtx) : 0;
	uint64_t deadline = io_deadline(io, bBWI);
	int err;

	if (ccid_now_ms() >= io->deadline && bBWI == 0)
		return CCID_E_TIMEOUT; /* no I/O, no abort: out of time */
	err = ccid_slot_xfr_raw(io->r, io->slot, bBWI, out, out_len, in,
				in_cap, in_len, deadline);
	if (err == CCID_E_CARD_MUTE)
		return CCID_E_TIMEOUT; /* no block within BWT: a lost block */
	if (err == CCID_E_XFR) {
		/* parity error / overrun inside the block: hand the engine an
		 * invalid block, which §11.6.3 answers with an R-block */
		*in_len = 0;
		return CCID_OK;
	}
	return err;
}

/* ISO 7816-3 timings (ccid-spec.md §6.3) with f = dwDefaultClock (kHz):
 * T=1 BWT = 11 etu + 2^BWI × 960 × Fd / f, T=0 WT = WI × 960 × Fi / f,
 * at least one second (USB and the reader's own latency come on top);
 * the margin covers 2 × 259 characters of 12 etu and 2 s of latency. */
void ccid_slot_io_init(struct ccid_slot_io *io, struct ccid_reader *r,
		       unsigned slot, const struct ccid_slot_proto *p,
		       uint64_t deadline)
{
	uint64_t f = r->desc.dwDefaultClock ? r->desc.dwDefaultClock : 4000;
	unsigned fi = ccid_atr_fi((uint8_t)(p->fidi >> 4));
	unsigned di = ccid_atr_di((uint8_t)(p->fidi & 0x0F));
	uint64_t etu_us, wait;

	if (fi == 0 || di == 0) {
		fi = 372;
		di = 1;
	}
	etu_us = (uint64_t)fi * 1000u / (di * f) + 1;
	if (p->protocol == 1)
		wait = ((uint64_t)960u * 372u << (p->bwi & 0x0F)) / f +
		       (11u * etu_us) / 1000u + 1;
	else
		wait = (uint64_t)(p->wi ? p->wi : 10) * 960u * fi / f + 1;
	io->r = r;
	io->slot = slot;
	io->deadline = deadline;
	io->wait_ms = wait < 1000 ? 1000u : wait > 600000 ? 600000u :
		      (unsigned)wait;
	io->margin_ms = 2000u + (unsigned)(2u * 259u * 12u * etu_us / 1000u);
}

static int transmit_tpdu(struct ccid_reader *r, unsigned slot,
			 const uint8_t *apdu, size_t len, uint8_t *resp,
			 size_t cap, size_t *total, uint64_t deadline)
{
	struct ccid_slot_io io;
	struct ccid_slot_proto *p;
	int err = ccid_slot_proto_get(r, slot, deadline, &p);

	if (err != CCID_OK)
		return err;
	ccid_slot_io_init(&io, r, slot, p, deadline);
	if (p->protocol == 0) {
		err = ccid_t0_transceive(t0_xfer, &io, r->desc.bClassGetResponse,
					 r->desc.bClassEnvelope, apdu, len,
					 resp, cap, total);
	} else {
		err = ccid_t1_transceive(&p->t1, ccid_slot_t1_xfer, &io, apdu,
					 len, resp, cap, total);
	}
	if (err == CCID_E_XFR) {
		/* ISO 7816-3 §11.6.3: deactivation is the last resort; the
		 * card's state is unknown, so nobody may go on with it */
		ccid_log_err("slot %u: T=%d exchange failed, deactivating the card",
			     slot, p->protocol);
		(void)power_off_locked(r, slot, ccid_deadline_in(CCID_ABORT_MS));
	}
	return err;
}

static int transmit_locked(struct ccid_reader *r, unsigned slot,
			   const uint8_t *apdu, size_t len,
			   struct resp_acc *acc, uint64_t deadline)
{
	struct ccid_reply rep;
	int err;

	switch (r->level) {
	case CCID_LEVEL_TPDU:
		err = transmit_tpdu(r, slot, apdu, len, acc->buf, acc->cap,
				    &acc->total, deadline);
		/* the engines report a long response as OVERFLOW with the full
		 * length; the caller below tells it from the accumulator */
		return err == CCID_E_OVERFLOW && acc->total > acc->cap ?
		       CCID_OK : err;
	case CCID_LEVEL_SHORT_APDU:
		return transmit_short(r, slot, apdu, len, acc, deadline);
	case CCID_LEVEL_EXT_APDU:
		err = send_chained(r, slot, apdu, len, &rep, deadline);
		if (err == CCID_OK)
			err = recv_chained(r, slot, &rep, acc, deadline);
		return err;
	default:
		/* refused at ccid_reader_new; kept for safety */
		ccid_log_err("%s: the reader works at %s level, which ccidkit does not support",
			     r->base_name, ccid_level_name(r->level));
		return CCID_E_NOT_SUPPORTED;
	}
}

int ccid_slot_transmit(struct ccid_reader *r, unsigned slot,
		       const uint8_t *apdu, size_t apdu_len, uint8_t *resp,
		       size_t cap, size_t *resp_len, uint64_t deadline)
{
	struct resp_acc acc = { .buf = resp, .cap = cap, .total = 0 };
	int err;

	if (apdu == NULL || apdu_len == 0 || resp_len == NULL ||
	    (resp == NULL && cap > 0))
		return CCID_E_INVAL;
	*resp_len = 0;
	err = ccid_slot_begin_card(r, slot);
	if (err != CCID_OK)
		return err;
	err = transmit_locked(r, slot, apdu, apdu_len, &acc, deadline);
	/* the response may hold secrets (keys, decrypted data) */
	explicit_bzero(r->rx, r->buf_cap);
	ccid_slot_end(r);
	if (err != CCID_OK)
		return err;
	if (acc.total < 2) {
		ccid_log_err("response of %zu bytes has no SW1 SW2", acc.total);
		return CCID_E_PROTO;
	}
	*resp_len = acc.total;
	/* the whole chain was read (drained), so the pipe is clean */
	return acc.total > cap ? CCID_E_OVERFLOW : CCID_OK;
}
