/* ccidkit — PIN entry on the reader's keypad: PC_to_RDR_Secure (CCID 1.1
 * §6.1.11) built from the PC/SC Part 10 PIN_VERIFY_STRUCTURE /
 * PIN_MODIFY_STRUCTURE an application hands to SCardControl
 * (ccid-spec.md §9, pcsc-abi.md §4; see features.h).
 *
 * The PIN itself never passes through the host: the reader collects it
 * and inserts it into the APDU template.  The structure still describes
 * where the PIN goes and the template may carry other secrets, so every
 * copy is wiped after use and the wire dump redacts the message
 * (reader.c carries_secret). */
#include "config.h"
#include "ccid/features.h"

#include <stdlib.h>
#include <string.h>

#include "ccid/clock.h"
#include "ccid/err.h"
#include "ccid/log.h"
#include "ccid/msg.h"
#include "ccid/slot.h"
#include "ccid/t1.h"

/* The keypad wait: at least the structure's bTimerOut plus this much
 * (the reader's own time extensions push it further). */
#define SECURE_MARGIN_MS 30000u
/* Smallest APDU template: CLA INS P1 P2 (libccid refuses shorter). */
#define APDU_HEADER_LEN 4
/* Offsets in the Part 10 structures (pcsc-abi.md §4). */
#define V_ENTRY_VALIDATION 7
#define V_TEO_PROLOGUE 12
#define V_DATA_LENGTH 15
#define M_ENTRY_VALIDATION 10
#define M_NUMBER_MESSAGE 11
#define M_MSG_INDEX2 15
#define M_MSG_INDEX3 16
#define M_TEO_PROLOGUE 17
#define M_DATA_LENGTH 20
/* status words libccid reports for a cancelled / timed-out entry */
static const uint8_t sw_cancelled[2] = { 0x64, 0x01 };
static const uint8_t sw_timeout[2] = { 0x64, 0x00 };

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[0] << 24;
}

static void swap16(uint8_t *p)
{
	uint8_t t = p[0];

	p[0] = p[1];
	p[1] = t;
}

/* ulDataLength must describe exactly the template that follows the fixed
 * part (libccid).  A structure filled in big-endian host order (its
 * ulDataLength matches only read big-endian) is accepted too, as libccid
 * does: *swapped tells the caller to swap wPINMaxExtraDigit and wLangId. */
static int check_data_length(const uint8_t *s, size_t len, size_t hdr,
			     size_t off, bool *swapped)
{
	size_t want;

	if (len < hdr + APDU_HEADER_LEN) {
		ccid_log_err("PIN structure of %zu bytes, need at least %zu",
			     len, hdr + APDU_HEADER_LEN);
		return CCID_E_INVAL;
	}
	want = len - hdr;
	*swapped = false;
	if (le32(s + off) == want)
		return CCID_OK;
	if (be32(s + off) == want) {
		*swapped = true;
		return CCID_OK;
	}
	ccid_log_err("PIN structure: ulDataLength %u, but %zu bytes follow",
		     (unsigned)le32(s + off), want);
	return CCID_E_INVAL;
}

/* bEntryValidationCondition 0 or above 7 is forced to 0x02 (validation
 * key): some keypads crash on other values (libccid, Cherry XX44). */
static void fix_entry_validation(uint8_t *b)
{
	if (*b == 0 || *b > 0x07)
		*b = 0x02;
}

/* PIN_VERIFY_STRUCTURE → bPINOperation 0 + CCID PIN verification data
 * (CCID 1.1 §6.1.11.7): bTimerOut2 and ulDataLength dropped, the rest
 * kept in order.  out has room for len bytes; *teo = offset of
 * bTeoPrologue in out. */
static int convert_verify(const uint8_t *s, size_t len, uint8_t *out,
			  size_t *out_len, size_t *teo)
{
	bool swapped;
	size_t n = 0;
	int err = check_data_length(s, len, CCID_PIN_VERIFY_HDR,
				    V_DATA_LENGTH, &swapped);

	if (err != CCID_OK)
		return err;
	out[n++] = CCID_PIN_OP_VERIFY;
	out[n++] = s[0]; /* bTimerOut */
	memcpy(out + n, s + 2, V_DATA_LENGTH - 2); /* bmFormatString..bTeoPrologue */
	if (swapped) {
		swap16(out + n + 3); /* wPINMaxExtraDigit */
		swap16(out + n + 7); /* wLangId */
	}
	fix_entry_validation(out + n + (V_ENTRY_VALIDATION - 2));
	*teo = n + (V_TEO_PROLOGUE - 2);
	n += V_DATA_LENGTH - 2;
	memcpy(out + n, s + CCID_PIN_VERIFY_HDR, len - CCID_PIN_VERIFY_HDR);
	*out_len = n + len - CCID_PIN_VERIFY_HDR;
	return CCID_OK;
}

/* PIN_MODIFY_STRUCTURE → bPINOperation 1 + CCID PIN modification data
 * (CCID 1.1 §6.1.11.8): bTimerOut2 and ulDataLength dropped; bMsgIndex2
 * only when bNumberMessage is not 0 and bMsgIndex3 only when it is 3 or
 * more (0xFF, "default", included), as libccid builds it.  bNumberMessage
 * other than 0..3 and 0xFF is refused. */
static int convert_modify(const uint8_t *s, size_t len, uint8_t *out,
			  size_t *out_len, size_t *teo)
{
	bool swapped;
	size_t n = 0;
	uint8_t msgs = s[M_NUMBER_MESSAGE];
	int err = check_data_length(s, len, CCID_PIN_MODIFY_HDR,
				    M_DATA_LENGTH, &swapped);

	if (err != CCID_OK)
		return err;
	if (msgs > 3 && msgs != 0xFF) {
		ccid_log_err("PIN_MODIFY_STRUCTURE: bNumberMessage %u", msgs);
		return CCID_E_INVAL;
	}
	out[n++] = CCID_PIN_OP_MODIFY;
	out[n++] = s[0]; /* bTimerOut */
	memcpy(out + n, s + 2, M_MSG_INDEX2 - 2); /* bmFormatString..bMsgIndex1 */
	if (swapped) {
		swap16(out + n + 5);  /* wPINMaxExtraDigit */
		swap16(out + n + 10); /* wLangId */
	}
	fix_entry_validation(out + n + (M_ENTRY_VALIDATION - 2));
	n += M_MSG_INDEX2 - 2;
	if (msgs != 0)
		out[n++] = s[M_MSG_INDEX2];
	if (msgs >= 3)
		out[n++] = s[M_MSG_INDEX3];
	*teo = n;
	memcpy(out + n, s + M_TEO_PROLOGUE, 3);
	n += 3;
	memcpy(out + n, s + CCID_PIN_MODIFY_HDR, len - CCID_PIN_MODIFY_HDR);
	*out_len = n + len - CCID_PIN_MODIFY_HDR;
	return CCID_OK;
}

/* TPDU level with T=1 (ccid-spec.md §9): the reader sends the template
 * as one I-block whose prologue we must supply — NAD, PCB with our
 * current N(S), LEN — because we own the block sequence.  NULL when the
 * slot does not run T=1 at TPDU level.  A template longer than IFSC
 * would need chaining, which a keypad exchange cannot do. */
static int t1_prologue(struct ccid_reader *r, unsigned slot, uint8_t *teo,
		       size_t apdu_len, struct ccid_t1 **t1, uint64_t deadline)
{
	struct ccid_slot_proto *p;
	int err;

	*t1 = NULL;
	if (r->level != CCID_LEVEL_TPDU)
		return CCID_OK;
	err = ccid_slot_proto_get(r, slot, deadline, &p);
	if (err != CCID_OK)
		return err;
	if (p->protocol != 1)
		return CCID_OK;
	if (apdu_len > p->t1.ifsc) {
		ccid_log_err("PIN template of %zu bytes exceeds IFSC %u",
			     apdu_len, p->t1.ifsc);
		return CCID_E_NOT_SUPPORTED;
	}
	teo[0] = p->t1.nad;
	teo[1] = p->t1.ns ? CCID_T1_I_NS : 0;
	teo[2] = (uint8_t)apdu_len;
	*t1 = &p->t1;
	return CCID_OK;
}

/* The card's answer came back as a T=1 I-block: our block and the
 * card's were exchanged, so both sequence numbers advance (ISO 7816-3
 * §11.6.2); INF is the response APDU. */
static int t1_unwrap(struct ccid_t1 *t1, const struct ccid_reply *rep,
		     const uint8_t **data, size_t *len)
{
	struct ccid_t1_block b;

	if (ccid_t1_block_decode(rep->data, rep->dwLength, t1->crc, &b) !=
	    CCID_OK || b.type != CCID_T1_I || b.more) {
		ccid_log_err("PIN entry: the reader's answer is no single T=1 I-block");
		return CCID_E_PROTO;
	}
	t1->ns ^= 1;
	t1->nr ^= 1;
	*data = b.inf;
	*len = b.len;
	return CCID_OK;
}

static int copy_out(const uint8_t *data, size_t len, uint8_t *resp,
		    size_t cap, size_t *resp_len)
{
	*resp_len = len;
	if (len < 2) {
		ccid_log_err("PIN entry: response of %zu bytes has no SW1 SW2",
			     len);
		return CCID_E_PROTO;
	}
	if (len > cap)
		return CCID_E_OVERFLOW;
	memcpy(resp, data, len);
	return CCID_OK;
}

struct secure_req {
	uint8_t *msg;   /* bPINOperation + abPINDataStructure */
	size_t len;
	size_t teo;     /* offset of bTeoPrologue in msg */
	size_t apdu_len;
};

/* One PC_to_RDR_Secure under io_lock (bBWI 0, wLevelParameter 0: the
 * whole structure in one message, CCID 1.1 §6.1.11). */
static int secure_locked(struct ccid_reader *r, unsigned slot,
			 struct secure_req *q, uint8_t *resp, size_t cap,
			 size_t *resp_len, uint64_t deadline)
{
	static const uint8_t param[3] = { 0, 0, 0 };
	struct ccid_t1 *t1 = NULL;
	struct ccid_reply rep;
	const uint8_t *data;
	size_t len;
	int err = t1_prologue(r, slot, q->msg + q->teo, q->apdu_len, &t1,
			      deadline);

	if (err != CCID_OK)
		return err;
	err = ccid_reader_command(r, PC_to_RDR_Secure, (uint8_t)slot, param,
				  q->msg, q->len, &rep, deadline);
	if (err != CCID_OK)
		return err;
	if (ccid_cmd_status(rep.bStatus) == CCID_CMD_FAILED &&
	    (rep.bError == CCID_ERR_PIN_CANCELLED ||
	     rep.bError == CCID_ERR_PIN_TIMEOUT)) {
		/* no block reached the card: the T=1 sequence stays */
		ccid_log_dbg("PIN entry %s", rep.bError == CCID_ERR_PIN_CANCELLED ?
			     "cancelled" : "timed out");
		return copy_out(rep.bError == CCID_ERR_PIN_CANCELLED ?
				sw_cancelled : sw_timeout, 2, resp, cap,
				resp_len);
	}
	err = ccid_msg_status_err(rep.bStatus, rep.bError);
	if (err != CCID_OK)
		return err;
	data = rep.data;
	len = rep.dwLength;
	if (t1 != NULL && (err = t1_unwrap(t1, &rep, &data, &len)) != CCID_OK)
		return err;
	return copy_out(data, len, resp, cap, resp_len);
}

static int convert(int op, const uint8_t *s, size_t len,
		   struct secure_req *q)
{
	size_t hdr = op == CCID_PIN_OP_VERIFY ? CCID_PIN_VERIFY_HDR :
		     CCID_PIN_MODIFY_HDR;
	int err;

	/* the converted form is never longer: 1 byte added, 5 dropped */
	q->msg = malloc(len + 1);
	if (q->msg == NULL)
		return CCID_E_NOMEM;
	if (op == CCID_PIN_OP_VERIFY)
		err = convert_verify(s, len, q->msg, &q->len, &q->teo);
	else
		err = convert_modify(s, len, q->msg, &q->len, &q->teo);
	q->apdu_len = len >= hdr ? len - hdr : 0;
	return err;
}

static uint64_t secure_deadline(uint8_t bTimerOut, uint64_t deadline)
{
	uint64_t floor = ccid_deadline_in((uint64_t)bTimerOut * 1000u +
					  SECURE_MARGIN_MS);

	return deadline > floor ? deadline : floor;
}

int ccid_slot_secure(struct ccid_reader *r, unsigned slot, int op,
		     const uint8_t *pin_struct, size_t len, uint8_t *resp,
		     size_t cap, size_t *resp_len, uint64_t deadline)
{
	struct secure_req q = { 0 };
	uint8_t need;
	int err;

	if (r == NULL || pin_struct == NULL || resp_len == NULL ||
	    (resp == NULL && cap > 0) ||
	    (op != CCID_PIN_OP_VERIFY && op != CCID_PIN_OP_MODIFY))
		return CCID_E_INVAL;
	*resp_len = 0;
	need = op == CCID_PIN_OP_VERIFY ? CCID_PIN_SUPPORT_VERIFY :
	       CCID_PIN_SUPPORT_MODIFY;
	if (!(ccid_features_pin_support(r) & need))
		return CCID_E_NOT_SUPPORTED;
	err = convert(op, pin_struct, len, &q);
	if (err == CCID_OK && q.len > r->buf_cap - CCID_HEADER_LEN) {
		ccid_log_err("PIN structure does not fit dwMaxCCIDMessageLength %zu",
			     r->buf_cap);
		err = CCID_E_NOT_SUPPORTED;
	}
	if (err == CCID_OK)
		err = ccid_slot_begin_card(r, slot);
	if (err == CCID_OK) {
		err = secure_locked(r, slot, &q, resp, cap, resp_len,
				    secure_deadline(pin_struct[0], deadline));
		/* reader.c wiped what it sent; the reply goes too */
		explicit_bzero(r->rx, r->buf_cap);
		ccid_slot_end(r);
	}
	if (q.msg != NULL) {
		explicit_bzero(q.msg, len + 1);
		free(q.msg);
	}
	return err;
}
