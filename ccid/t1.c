/* ccidkit — the T=1 block protocol (ISO/IEC 7816-3 §11), see t1.h.
 *
 * Two halves: a pure block codec (prologue, INF, epilogue) and a protocol
 * engine that runs one exchange through the caller's xfer function, one
 * block out and one block in per call.  The engine keeps everything it
 * needs for one exchange in a struct t1_run on the stack: no allocation,
 * no clock (BWT is the xfer function's business, scaled by t->wtx).
 *
 * Error recovery follows ISO 7816-3 §11.6.3: every failed attempt (a bad
 * or lost block, or the card asking for a retransmission) is counted; the
 * third consecutive one gives way to S(RESYNCH request), sent at most 3
 * times in one exchange, after which the exchange fails with CCID_E_XFR
 * and the caller deactivates the card.  "Rule n" below names the
 * protocol rules of ISO 7816-3 §11.6.2 and §11.6.3.
 *
 * Choices the standard leaves open, made here: a lost block is a reply
 * of CCID_E_TIMEOUT or CCID_E_CARD_MUTE (the reader's name for a BWT
 * timeout), a parity error the reader saw (CCID_E_XFR) is answered like
 * a bad EDC; after a successful RESYNCH the APDU is sent again only if
 * no part of the answer had come in (else CCID_E_XFR: never run a
 * command twice); the card's NAD is not checked. */
#include "config.h"
#include "ccid/t1.h"

#include "ccid/err.h"
#include "ccid/log.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define T1_IFS_DEFAULT 32 /* ISO 7816-3 §11.4.2: IFSC without TA3, IFSD */
#define T1_MAX_FAILS 3    /* consecutive failed attempts before RESYNCH */
#define T1_MAX_RESYNCH 3  /* S(RESYNCH request)s in one exchange */

/* Internal results of the engine's steps, next to the negative ccid_err. */
enum {
	T1_NEXT = 1,    /* a block is queued in r->tx: send it */
	T1_BAD = 2,     /* the reply was invalid or lost: r->rerr says why */
	T1_RESYNCH = 3, /* too many failures: resynchronise */
};

/* R-block error bits (ISO 7816-3 §11.3.2.2) */
#define T1_ERR_EDC 1   /* EDC or character parity error */
#define T1_ERR_OTHER 2 /* any other error */

uint8_t ccid_t1_lrc(const uint8_t *buf, size_t len)
{
	uint8_t lrc = 0;

	for (size_t i = 0; i < len; i++)
		lrc ^= buf[i];
	return lrc;
}

/* ISO/IEC 13239 FCS-16 (the HDLC frame check sequence): generator
 * x^16 + x^12 + x^5 + 1, processed least significant bit first (hence the
 * reflected constant 0x8408), register preset to all ones and the result
 * complemented.  Check value: "123456789" -> 0x906E. */
uint16_t ccid_t1_crc(const uint8_t *buf, size_t len)
{
	uint16_t crc = 0xFFFF;

	for (size_t i = 0; i < len; i++) {
		crc ^= buf[i];
		for (int b = 0; b < 8; b++)
			crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0x8408)
					: (uint16_t)(crc >> 1);
	}
	return (uint16_t)~crc;
}

int ccid_t1_block_encode(uint8_t nad, uint8_t pcb, const uint8_t *inf,
			 size_t len, bool crc, uint8_t *out, size_t cap,
			 size_t *out_len)
{
	size_t n = 3 + len + (crc ? 2 : 1);

	if (!out || !out_len || (len && !inf))
		return CCID_E_INVAL;
	if (len > CCID_T1_MAX_INF) /* LEN 255 is RFU (§11.3.2.3) */
		return CCID_E_INVAL;
	if (cap < n)
		return CCID_E_OVERFLOW;
	out[0] = nad;
	out[1] = pcb;
	out[2] = (uint8_t)len;
	if (len)
		memcpy(out + 3, inf, len);
	if (crc) {
		/* §11.4.4: the CRC goes most significant byte first */
		uint16_t c = ccid_t1_crc(out, 3 + len);

		out[3 + len] = (uint8_t)(c >> 8);
		out[4 + len] = (uint8_t)c;
	} else {
		out[3 + len] = ccid_t1_lrc(out, 3 + len);
	}
	*out_len = n;
	return CCID_OK;
}

/* Sorts a PCB into I/R/S and checks that LEN fits the kind (§11.3.2):
 * R-blocks carry no INF, S(IFS) and S(WTX) exactly one byte, the other
 * S-blocks none.  false for RFU bit patterns. */
static bool pcb_decode(struct ccid_t1_block *b)
{
	uint8_t pcb = b->pcb;

	if (!(pcb & 0x80)) { /* I-block: b5..b1 are RFU */
		if (pcb & 0x1F)
			return false;
		b->type = CCID_T1_I;
		b->ns = (pcb & CCID_T1_I_NS) ? 1 : 0;
		b->more = (pcb & CCID_T1_I_MORE) != 0;
		return true;
	}
	if ((pcb & 0xC0) == CCID_T1_R_BLOCK) { /* b6 RFU, b4..b1 0, 1, 2 */
		if ((pcb & 0x20) || (pcb & 0x0F) > T1_ERR_OTHER || b->len)
			return false;
		b->type = CCID_T1_R;
		b->nr = (pcb & CCID_T1_R_NR) ? 1 : 0;
		b->r_error = pcb & 0x0F;
		return true;
	}
	b->type = CCID_T1_S;
	b->s_type = pcb & 0x1F;
	b->s_response = (pcb & CCID_T1_S_RESPONSE) != 0;
	switch (b->s_type) {
	case CCID_T1_S_IFS:
	case CCID_T1_S_WTX:
		return b->len == 1;
	case CCID_T1_S_RESYNCH:
	case CCID_T1_S_ABORT:
		return b->len == 0;
	case 4: /* VPP error: a response only */
		return b->s_response && b->len == 0;
	default:
		return false;
	}
}

/* The decoder proper; *why gets the R-block error code a bad block calls
 * for (§11.6.3.2): EDC for a checksum mismatch, "other" for the rest. */
static int block_parse(const uint8_t *buf, size_t len, bool crc,
		       struct ccid_t1_block *out, uint8_t *why)
{
	size_t edc = crc ? 2 : 1;

	/* Framing first: a block cut short or run long is an "other"
	 * error, a checksum mismatch on a well-framed block an EDC one. */
	*why = T1_ERR_OTHER;
	if (len < 3 + edc)
		return CCID_E_PROTO;
	if (buf[2] == 0xFF || (size_t)buf[2] + 3 + edc != len)
		return CCID_E_PROTO;
	if (crc) {
		uint16_t c = ccid_t1_crc(buf, len - 2);

		if (buf[len - 2] != (uint8_t)(c >> 8) ||
		    buf[len - 1] != (uint8_t)c) {
			*why = T1_ERR_EDC;
			return CCID_E_PROTO;
		}
	} else if (ccid_t1_lrc(buf, len - 1) != buf[len - 1]) {
		*why = T1_ERR_EDC;
		return CCID_E_PROTO;
	}
	*why = T1_ERR_OTHER;
	memset(out, 0, sizeof(*out));
	out->nad = buf[0];
	out->pcb = buf[1];
	out->len = buf[2];
	out->inf = buf + 3;
	if (!pcb_decode(out))
		return CCID_E_PROTO;
	return CCID_OK;
}

int ccid_t1_block_decode(const uint8_t *buf, size_t len, bool crc,
			 struct ccid_t1_block *out)
{
	uint8_t why;

	if (!buf || !out)
		return CCID_E_INVAL;
	return block_parse(buf, len, crc, out, &why);
}

void ccid_t1_init(struct ccid_t1 *t, uint8_t ifsc, uint8_t ifsd, bool crc,
		  uint8_t nad)
{
	/* 0 and 255 are no valid sizes (§11.4.2): use the default */
	t->ifsc = (ifsc && ifsc != 0xFF) ? ifsc : T1_IFS_DEFAULT;
	t->ifsd = (ifsd && ifsd != 0xFF) ? ifsd : T1_IFS_DEFAULT;
	t->nad = nad;
	t->crc = crc;
	t->ns = 0;
	t->nr = 0;
	t->wtx = 1;
}

/* ------------------------------------------------------------------ */
/* The engine */

struct t1_run {
	struct ccid_t1 *t;
	ccid_t1_xfer_fn xfer;
	void *arg;
	/* the command and how far the card has acknowledged it */
	const uint8_t *apdu;
	size_t apdu_len, sent, chunk;
	/* the response */
	uint8_t *resp;
	size_t cap, got;
	bool receiving; /* the card has begun its answer */
	/* the block to send, the block received and its verdict */
	uint8_t tx[CCID_T1_MAX_BLOCK];
	size_t tx_len;
	uint8_t rx[CCID_T1_MAX_BLOCK];
	struct ccid_t1_block blk;
	uint8_t rerr;
	unsigned fails, resynchs;
};

static void run_init(struct t1_run *r, struct ccid_t1 *t,
		     ccid_t1_xfer_fn xfer, void *arg)
{
	memset(r, 0, sizeof(*r));
	r->t = t;
	r->xfer = xfer;
	r->arg = arg;
}

/* Our blocks are at most 3 + 254 + 2 bytes, which tx holds. */
static int queue(struct t1_run *r, uint8_t pcb, const uint8_t *inf,
		 size_t len)
{
	int rc = ccid_t1_block_encode(r->t->nad, pcb, inf, len, r->t->crc,
				      r->tx, sizeof(r->tx), &r->tx_len);

	return rc ? rc : T1_NEXT;
}

/* R(N(R)): asks for the card's I-block with N(S) = t->nr (§11.6.2.3). */
static int queue_r(struct t1_run *r, uint8_t err)
{
	return queue(r, (uint8_t)(CCID_T1_R_BLOCK |
				  (r->t->nr ? CCID_T1_R_NR : 0) | err), NULL, 0);
}

/* Our current I-block, cut at IFSC as it is now: after an S(IFS) from
 * the card a retransmission may be shorter than the first try. */
static int queue_i(struct t1_run *r)
{
	size_t left = r->apdu_len - r->sent;
	uint8_t pcb = r->t->ns ? CCID_T1_I_NS : 0;

	r->chunk = left < r->t->ifsc ? left : r->t->ifsc;
	if (r->sent + r->chunk < r->apdu_len)
		pcb |= CCID_T1_I_MORE;
	return queue(r, pcb, r->apdu + r->sent, r->chunk);
}

static int queue_s(struct t1_run *r, uint8_t pcb, const uint8_t *inf,
		   size_t len)
{
	return queue(r, (uint8_t)(CCID_T1_S_BLOCK | pcb), inf, len);
}

/* One block out, one in.  A lost block (no answer within BWT: TIMEOUT,
 * or the reader's ICC_MUTE), a parity error reported by the reader
 * (XFR) and a reply too long for any block are failed attempts that the
 * protocol recovers from; anything else from xfer (device or card gone,
 * cancelled...) ends the exchange. */
static int xchg(struct t1_run *r)
{
	size_t n = 0;
	unsigned wtx = r->t->wtx ? r->t->wtx : 1;
	int rc;

	r->t->wtx = 1; /* S(WTX) stretches this exchange only (§11.6.2.3) */
	rc = r->xfer(r->arg, r->tx, r->tx_len, r->rx, sizeof(r->rx), &n, wtx);
	switch (rc) {
	case CCID_OK:
		break;
	case CCID_E_TIMEOUT:
	case CCID_E_CARD_MUTE:
	case CCID_E_OVERFLOW:
		r->rerr = T1_ERR_OTHER;
		return T1_BAD;
	case CCID_E_XFR:
		r->rerr = T1_ERR_EDC;
		return T1_BAD;
	default:
		return rc;
	}
	if (n > sizeof(r->rx)) {
		r->rerr = T1_ERR_OTHER;
		return T1_BAD;
	}
	if (block_parse(r->rx, n, r->t->crc, &r->blk, &r->rerr)) {
		ccid_log_dbg("T=1: invalid block (%s)",
			     r->rerr == T1_ERR_EDC ? "EDC" : "format");
		return T1_BAD;
	}
	return CCID_OK;
}

/* Counts one failed attempt; T1_RESYNCH once there were too many in a
 * row (ISO 7816-3 §11.6.3.2: resynchronise after three). */
static int fail(struct t1_run *r)
{
	if (++r->fails >= T1_MAX_FAILS) {
		ccid_log_dbg("T=1: %u failed attempts, resynchronising",
			     r->fails);
		return T1_RESYNCH;
	}
	return CCID_OK;
}

/* An invalid, lost or unexpected block: R-block asking for the block we
 * expect, with the error bits (rules 7.1 and 7.2). */
static int on_bad(struct t1_run *r, uint8_t err)
{
	int rc = fail(r);

	return rc ? rc : queue_r(r, err);
}

/* S(RESYNCH request) until S(RESYNCH response) (rule 6), at most
 * T1_MAX_RESYNCH per exchange; then both sides start again from the
 * activation defaults (§11.4.2). */
static int resynch(struct t1_run *r)
{
	struct ccid_t1 *t = r->t;
	int rc;

	while (r->resynchs < T1_MAX_RESYNCH) {
		r->resynchs++;
		rc = queue_s(r, CCID_T1_S_RESYNCH, NULL, 0);
		if (rc < 0)
			return rc;
		rc = xchg(r);
		if (rc < 0)
			return rc;
		if (rc == CCID_OK && r->blk.type == CCID_T1_S &&
		    r->blk.s_response && r->blk.s_type == CCID_T1_S_RESYNCH) {
			t->ns = 0;
			t->nr = 0;
			/* The header keeps no copy of TA3: the smaller of
			 * the current IFSC and the default never exceeds
			 * what the card takes after TA3 <= 32, and is safe
			 * (only shorter) when TA3 was larger. */
			if (t->ifsc > T1_IFS_DEFAULT)
				t->ifsc = T1_IFS_DEFAULT;
			t->ifsd = T1_IFS_DEFAULT;
			r->fails = 0;
			return CCID_OK;
		}
	}
	ccid_log_err("T=1: no answer to S(RESYNCH request)");
	return CCID_E_XFR;
}

/* ------------------------------------------------------------------ */
/* One APDU */

/* Response bytes beyond cap are counted, not stored, so that the chain
 * still runs to its end and the sequence numbers stay right. */
static void take_inf(struct t1_run *r)
{
	size_t len = r->blk.len;

	if (r->got < r->cap) {
		size_t room = r->cap - r->got;

		memcpy(r->resp + r->got, r->blk.inf, len < room ? len : room);
	}
	r->got += len;
}

/* An I-block from the card: the answer (which also acknowledges our
 * last I-block, §11.6.2) or the next link of its chain. */
static int on_i(struct t1_run *r)
{
	struct ccid_t1 *t = r->t;

	if (!r->receiving && r->sent + r->chunk < r->apdu_len)
		return on_bad(r, T1_ERR_OTHER); /* our chain is not done */
	if (r->blk.ns != t->nr)
		return on_bad(r, T1_ERR_OTHER); /* a repeat or out of order */
	if (!r->receiving) {
		t->ns ^= 1;
		r->sent = r->apdu_len;
		r->receiving = true;
	}
	t->nr ^= 1;
	r->fails = 0;
	take_inf(r);
	if (r->blk.more)
		return queue_r(r, 0); /* rule 5: ask for the next link */
	return CCID_OK;
}

/* An R-block from the card. */
static int on_r(struct t1_run *r)
{
	struct ccid_t1 *t = r->t;
	int rc;

	if (r->receiving) {
		/* our acknowledgement got lost: send it again (rule 7.2) */
		rc = fail(r);
		return rc ? rc : queue_r(r, 0);
	}
	if (r->blk.nr == t->ns) {
		/* the card missed it (§11.6.3.2): our I-block again */
		rc = fail(r);
		return rc ? rc : queue_i(r);
	}
	if (r->sent + r->chunk < r->apdu_len) {
		/* rule 5: this link acknowledged, on to the next */
		t->ns ^= 1;
		r->sent += r->chunk;
		r->fails = 0;
		return queue_i(r);
	}
	/* "next, please" after our last link: there is no next */
	return on_bad(r, T1_ERR_OTHER);
}

/* S(ABORT request) from the card (rule 9): answer it and give up the
 * chain.  Whatever block the card sends next is not ours to read. */
static int on_abort(struct t1_run *r)
{
	int rc = queue_s(r, CCID_T1_S_ABORT | CCID_T1_S_RESPONSE, NULL, 0);

	if (rc < 0)
		return rc;
	rc = xchg(r);
	ccid_log_dbg("T=1: the card aborted the chain");
	return rc < 0 ? rc : CCID_E_ABORTED;
}

/* An S-block from the card: only requests, and no RESYNCH (rule 6). */
static int on_s(struct t1_run *r)
{
	const struct ccid_t1_block *b = &r->blk;
	uint8_t v = b->len ? b->inf[0] : 0;

	if (b->s_response)
		return on_bad(r, T1_ERR_OTHER);
	switch (b->s_type) {
	case CCID_T1_S_WTX:
		/* rule 3: echo it; the next BWT is v times longer.  A
		 * multiplier of 0 makes no sense: count it as 1. */
		r->t->wtx = v ? v : 1;
		return queue_s(r, CCID_T1_S_WTX | CCID_T1_S_RESPONSE, &v, 1);
	case CCID_T1_S_IFS:
		if (v == 0 || v == 0xFF) /* §11.4.2: 1..254 */
			return on_bad(r, T1_ERR_OTHER);
		r->t->ifsc = v; /* rule 4: from the next I-block on */
		return queue_s(r, CCID_T1_S_IFS | CCID_T1_S_RESPONSE, &v, 1);
	case CCID_T1_S_ABORT:
		return on_abort(r);
	default:
		return on_bad(r, T1_ERR_OTHER);
	}
}

/* Runs the command chain and the response chain once; CCID_OK when the
 * last link of the answer came in, T1_RESYNCH, or an error. */
static int run_apdu(struct t1_run *r)
{
	int rc;

	r->sent = r->got = 0;
	r->receiving = false;
	rc = queue_i(r);
	while (rc == T1_NEXT) {
		rc = xchg(r);
		if (rc == T1_BAD)
			rc = on_bad(r, r->rerr);
		else if (rc == CCID_OK && r->blk.type == CCID_T1_I)
			rc = on_i(r);
		else if (rc == CCID_OK && r->blk.type == CCID_T1_R)
			rc = on_r(r);
		else if (rc == CCID_OK)
			rc = on_s(r);
	}
	return rc;
}

int ccid_t1_transceive(struct ccid_t1 *t, ccid_t1_xfer_fn xfer, void *arg,
		       const uint8_t *apdu, size_t apdu_len, uint8_t *resp,
		       size_t cap, size_t *resp_len)
{
	struct t1_run r;
	int rc;

	if (!t || !xfer || !apdu || !resp_len || (cap && !resp))
		return CCID_E_INVAL;
	*resp_len = 0;
	run_init(&r, t, xfer, arg);
	r.apdu = apdu;
	r.apdu_len = apdu_len;
	r.resp = resp;
	r.cap = cap;
	for (;;) {
		rc = run_apdu(&r);
		if (rc != T1_RESYNCH)
			break;
		rc = resynch(&r);
		/* Start the APDU again only while the card cannot have
		 * answered it yet: once part of its answer came in, the
		 * command ran, and running it twice is worse than failing. */
		if (rc == CCID_OK && r.receiving)
			rc = CCID_E_XFR;
		if (rc != CCID_OK)
			break;
	}
	if (rc == CCID_OK || rc == CCID_E_OVERFLOW)
		*resp_len = r.got;
	if (rc == CCID_OK && r.got > cap)
		rc = CCID_E_OVERFLOW;
	/* the blocks may carry PINs (DESIGN.md: secrets stay secret) */
	explicit_bzero(&r, sizeof(r));
	return rc;
}

/* ------------------------------------------------------------------ */
/* IFSD */

/* S(IFS request, want) until the matching S(IFS response); S(WTX) from
 * the card is answered in between.  Bad or unexpected replies make us
 * send the request again (rule 7.3). */
static int run_ifs(struct t1_run *r, uint8_t want)
{
	int rc = queue_s(r, CCID_T1_S_IFS, &want, 1);

	while (rc == T1_NEXT) {
		const struct ccid_t1_block *b = &r->blk;

		rc = xchg(r);
		if (rc < 0)
			return rc;
		if (rc == CCID_OK && b->type == CCID_T1_S && b->s_response &&
		    b->s_type == CCID_T1_S_IFS && b->inf[0] == want)
			return CCID_OK;
		if (rc == CCID_OK && b->type == CCID_T1_S && !b->s_response &&
		    b->s_type == CCID_T1_S_WTX) {
			rc = on_s(r);
			continue;
		}
		rc = fail(r);
		if (rc == CCID_OK)
			rc = queue_s(r, CCID_T1_S_IFS, &want, 1);
	}
	return rc;
}

int ccid_t1_negotiate_ifsd(struct ccid_t1 *t, ccid_t1_xfer_fn xfer, void *arg)
{
	struct t1_run r;
	uint8_t want;
	int rc;

	if (!t || !xfer || t->ifsd == 0 || t->ifsd == 0xFF)
		return CCID_E_INVAL;
	want = t->ifsd;
	run_init(&r, t, xfer, arg);
	for (;;) {
		rc = run_ifs(&r, want);
		if (rc != T1_RESYNCH)
			break;
		rc = resynch(&r);
		if (rc != CCID_OK)
			break;
		t->ifsd = want; /* resynch went back to 32: ask again */
	}
	return rc;
}
