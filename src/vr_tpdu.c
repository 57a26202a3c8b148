/* ccidkit — the virtual reader's card side at TPDU level (see vr_tpdu.h).
 * ISO/IEC 7816-3 §9 (PPS), §10 (T=0), §11 (T=1); ISO/IEC 7816-4 §5.3. */
#include "config.h"
#include "src/vr_tpdu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- faults ---- */

static const char *const fault_names[VR_FAULT_COUNT] = {
	[VR_FAULT_BAD_EDC] = "bad-edc",
	[VR_FAULT_LOSE_BLOCK] = "lose-block",
	[VR_FAULT_WTX] = "wtx",
	[VR_FAULT_MUTE] = "mute",
	[VR_FAULT_BAD_PROCEDURE] = "bad-procedure",
	[VR_FAULT_PPS_REFUSED] = "pps-refused",
	[VR_FAULT_WRONG_BSEQ] = "wrong-bseq",
	[VR_FAULT_SPLIT] = "split",
	[VR_FAULT_SHORT] = "short",
	[VR_FAULT_STALL] = "stall",
	[VR_FAULT_DISCONNECT_AFTER] = "disconnect-after",
	[VR_FAULT_HANGUP] = "hangup",
};

static bool parse_count(const char *s, unsigned *out)
{
	unsigned long v = 0;

	if (*s == '\0')
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 1000000)
			return false;
	}
	*out = (unsigned)v;
	return true;
}

/* NAME or NAME:N. wtx, disconnect-after and hangup need N; mute without N
 * is for ever; the others default to 1. Repeating a fault adds its counts
 * (hangup's replaces). */
int vr_fault_parse(struct vr_faults *f, const char *spec)
{
	const char *colon = spec ? strchr(spec, ':') : NULL;
	size_t nlen = colon ? (size_t)(colon - spec) : (spec ? strlen(spec) : 0);
	unsigned n = 1;

	if (spec == NULL)
		return -EINVAL;
	for (int k = 0; k < VR_FAULT_COUNT; k++) {
		if (strlen(fault_names[k]) != nlen ||
		    strncmp(fault_names[k], spec, nlen) != 0)
			continue;
		if (colon && !parse_count(colon + 1, &n))
			return -EINVAL;
		if (!colon && (k == VR_FAULT_WTX || k == VR_FAULT_DISCONNECT_AFTER ||
			       k == VR_FAULT_HANGUP))
			return -EINVAL;
		if (k == VR_FAULT_HANGUP) {
			/* the N-th bulk message from now (N >= 1); a later
			 * hangup replaces the count */
			if (n == 0)
				return -EINVAL;
			f->n[k] = n;
			return 0;
		}
		if (k == VR_FAULT_PPS_REFUSED && colon)
			return -EINVAL;
		if (k == VR_FAULT_MUTE && !colon)
			n = VR_FAULT_FOREVER;
		if (k == VR_FAULT_DISCONNECT_AFTER) {
			/* counts down the XfrBlocks that still get answers */
			f->n[k] = n + 1;
			return 0;
		}
		if (n == VR_FAULT_FOREVER || f->n[k] == VR_FAULT_FOREVER)
			f->n[k] = VR_FAULT_FOREVER;
		else
			f->n[k] += n;
		return 0;
	}
	return -EINVAL;
}

bool vr_fault_take(struct vr_faults *f, enum vr_fault_kind k)
{
	if (f == NULL || f->n[k] == 0)
		return false;
	if (f->n[k] != VR_FAULT_FOREVER)
		f->n[k]--;
	return true;
}

/* ---- T=1 block codec ---- */

uint8_t vr_t1_lrc(const uint8_t *p, size_t len)
{
	uint8_t x = 0;

	while (len--)
		x ^= *p++;
	return x;
}

/* Bitwise, reflected form of x^16 + x^12 + x^5 + 1 (0x8408). */
uint16_t vr_t1_crc(const uint8_t *p, size_t len)
{
	uint16_t crc = 0xFFFF;

	while (len--) {
		crc ^= *p++;
		for (int i = 0; i < 8; i++)
			crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0x8408) :
					  (uint16_t)(crc >> 1);
	}
	return (uint16_t)~crc;
}

size_t vr_t1_block(uint8_t nad, uint8_t pcb, const uint8_t *inf, size_t len,
		   bool crc, uint8_t *out)
{
	out[0] = nad;
	out[1] = pcb;
	out[2] = (uint8_t)len;
	if (len)
		memcpy(out + 3, inf, len);
	if (crc) {
		uint16_t c = vr_t1_crc(out, 3 + len);

		out[3 + len] = c >> 8;
		out[4 + len] = c & 0xFF;
		return 5 + len;
	}
	out[3 + len] = vr_t1_lrc(out, 3 + len);
	return 4 + len;
}

/* ---- state ---- */

struct vr_tpdu {
	const struct vr_card *card;
	struct vr_tpdu_config cfg;
	uint8_t *work;			/* applet response scratch */
	/* command being collected: T=1 chain, T=0 ENVELOPE pieces */
	uint8_t *cmd;
	size_t cmd_len;
	/* response being handed out: T=1 chain, T=0 GET RESPONSE data */
	uint8_t *resp;
	size_t resp_len, resp_off;
	uint8_t sw[2];			/* T=0: SW after the last data */
	/* T=1 (§11.2) */
	uint8_t ns;			/* the card's next N(S) */
	uint8_t nr;			/* N(S) the card expects from the host */
	unsigned ifsd;
	uint8_t nad;			/* NAD of the card's blocks */
	bool answering;			/* resp holds an answer being sent */
	unsigned wtx_left;		/* S(WTX) still to send before it */
	uint8_t last[VR_T1_BLOCK_MAX];	/* last block sent, clean EDC */
	size_t last_len;
};

struct vr_tpdu *vr_tpdu_new(void)
{
	struct vr_tpdu *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->work = malloc(VR_CARD_RESP_MAX);
	t->cmd = malloc(VR_CARD_CMD_MAX);
	t->resp = malloc(VR_CARD_RESP_MAX);
	if (t->work == NULL || t->cmd == NULL || t->resp == NULL)
		vr_tpdu_free(&t);
	return t;
}

void vr_tpdu_free(struct vr_tpdu **t)
{
	if (t == NULL || *t == NULL)
		return;
	free((*t)->work);
	free((*t)->cmd);
	free((*t)->resp);
	free(*t);
	*t = NULL;
}

void vr_tpdu_abort(struct vr_tpdu *t)
{
	t->cmd_len = 0;
	t->resp_len = t->resp_off = 0;
	t->answering = false;
	t->wtx_left = 0;
}

void vr_tpdu_reader_abort(struct vr_tpdu *t)
{
	t->resp_len = t->resp_off = 0;
	t->answering = false;
	t->wtx_left = 0;
}

void vr_tpdu_activate(struct vr_tpdu *t, const struct vr_card *card,
		      const struct vr_tpdu_config *cfg)
{
	t->card = card;
	t->cfg = *cfg;
	vr_tpdu_abort(t);
	t->ns = t->nr = 0;
	t->ifsd = VR_T1_IFS_DEFAULT;
	t->nad = 0;
	t->last_len = 0;
}

void vr_tpdu_set_t1(struct vr_tpdu *t, unsigned ifsc, bool crc)
{
	t->cfg.ifsc = ifsc;
	t->cfg.crc = crc;
}

/* Run one command APDU through the applet into t->resp. */
static int run_applet(struct vr_tpdu *t, const uint8_t *apdu, size_t len)
{
	size_t rlen = 0;

	if (vr_card_process(t->card, apdu, len, t->resp, VR_CARD_RESP_MAX,
			    &rlen) < 0 || rlen < 2)
		return VR_TPDU_NO_MEMORY;
	t->resp_len = rlen;
	t->resp_off = 0;
	return 0;
}

/* ---- T=0 ---- */

static int sw_out(uint8_t *out, size_t *out_len, uint8_t sw1, uint8_t sw2)
{
	out[0] = sw1;
	out[1] = sw2;
	*out_len = 2;
	return 0;
}

/* After a data-in command: announce response data with 61 xx, else pass
 * the applet's SW straight on (ISO 7816-4 §5.3.4). */
static int t0_announce(struct vr_tpdu *t, uint8_t *out, size_t *out_len)
{
	size_t data = t->resp_len - 2;

	if (data == 0) {
		sw_out(out, out_len, t->resp[0], t->resp[1]);
		t->resp_len = 0;
		return 0;
	}
	t->sw[0] = t->resp[data];
	t->sw[1] = t->resp[data + 1];
	t->resp_len = data;
	return sw_out(out, out_len, 0x61, data >= 256 ? 0x00 : (uint8_t)data);
}

/* GET RESPONSE: CLA C0 00 00 P3. */
static int t0_get_response(struct vr_tpdu *t, const uint8_t *h, uint8_t *out,
			   size_t *out_len)
{
	size_t left = t->resp_len - t->resp_off;
	size_t avail = left < 256 ? left : 256;
	size_t ne = h[4] ? h[4] : 256;

	if (h[2] || h[3])
		return sw_out(out, out_len, 0x6B, 0x00);
	if (left == 0)
		return sw_out(out, out_len, 0x69, 0x85);
	if (ne > avail)		/* wrong length: here is the right one */
		return sw_out(out, out_len, 0x6C, (uint8_t)avail);
	memcpy(out, t->resp + t->resp_off, ne);
	t->resp_off += ne;
	left -= ne;
	if (left == 0) {
		out[ne] = t->sw[0];
		out[ne + 1] = t->sw[1];
		t->resp_len = t->resp_off = 0;
	} else {
		out[ne] = 0x61;
		out[ne + 1] = left >= 256 ? 0x00 : (uint8_t)left;
	}
	*out_len = ne + 2;
	return 0;
}

/* ENVELOPE (INS C2): collect; a piece shorter than 255 ends the APDU. */
static int t0_envelope(struct vr_tpdu *t, const uint8_t *in, size_t len,
		       uint8_t *out, size_t *out_len)
{
	size_t n = len - 5;
	int r;

	if (n > VR_CARD_CMD_MAX - t->cmd_len) {
		t->cmd_len = 0;
		return sw_out(out, out_len, 0x67, 0x00);
	}
	memcpy(t->cmd + t->cmd_len, in + 5, n);
	t->cmd_len += n;
	if (n == 255)
		return sw_out(out, out_len, 0x90, 0x00);
	r = run_applet(t, t->cmd, t->cmd_len);
	t->cmd_len = 0;
	return r < 0 ? r : t0_announce(t, out, out_len);
}

/* Case-2 instructions of the applet and how many bytes they have:
 * PATTERN min(P1P2, 256), GET CHALLENGE any number (SIZE_MAX). */
static bool t0_outgoing(const uint8_t *h, size_t *avail)
{
	size_t n;

	if (h[0] == 0x00 && h[1] == 0x84) {
		*avail = SIZE_MAX;
		return true;
	}
	if (h[0] == 0x80 && h[1] == 0x12) {
		n = (size_t)h[2] << 8 | h[3];
		*avail = n < 256 ? n : 256;
		return true;
	}
	return false;
}

/* A header alone: case 1 (P3 = 00) or case 2 (P3 = Le). */
static int t0_no_data(struct vr_tpdu *t, const uint8_t *h, uint8_t *out,
		      size_t *out_len)
{
	size_t avail = 0, ne = h[4] ? h[4] : 256;
	int r;

	if (!t0_outgoing(h, &avail)) {
		if (h[4] != 0)	/* the card would wait for data */
			return sw_out(out, out_len, 0x67, 0x00);
		r = run_applet(t, h, 4);
	} else if (avail == 0) {	/* nothing to send: SW at once */
		r = run_applet(t, h, 4);
	} else if (avail != SIZE_MAX && avail != ne) {
		/* ISO 7816-4 §5.3.2: wrong Le, 6C gives the right one */
		return sw_out(out, out_len, 0x6C, (uint8_t)avail);
	} else {
		r = run_applet(t, h, 5);
	}
	if (r < 0)
		return r;
	memcpy(out, t->resp, t->resp_len);
	*out_len = t->resp_len;
	t->resp_len = 0;
	return 0;
}

int vr_tpdu_t0(struct vr_tpdu *t, struct vr_faults *f, const uint8_t *in,
	       size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	uint8_t apdu[5 + 255];
	int r;

	*out_len = 0;
	if (cap < 258)
		return VR_TPDU_NO_MEMORY;
	if (vr_fault_take(f, VR_FAULT_BAD_PROCEDURE))
		return VR_TPDU_PROCEDURE;
	if (len < 5 || (len > 5 && len != 5u + in[4]))
		return VR_TPDU_BAD_LENGTH;
	/* §10.3.2: INS 6X and 9X are not instructions */
	if ((in[1] & 0xF0) == 0x60 || (in[1] & 0xF0) == 0x90)
		return sw_out(out, out_len, 0x6D, 0x00);
	if (in[1] == 0xC0 && len == 5)
		return t0_get_response(t, in, out, out_len);
	t->resp_len = t->resp_off = 0;	/* unfetched data is gone */
	if (in[1] == 0xC2 && t->cfg.envelope)
		return t0_envelope(t, in, len, out, out_len);
	t->cmd_len = 0;
	if (len == 5)
		return t0_no_data(t, in, out, out_len);
	/* case 3 or 4: the APDU is the TPDU with P3 as Lc */
	memcpy(apdu, in, len);
	r = run_applet(t, apdu, len);
	return r < 0 ? r : t0_announce(t, out, out_len);
}

/* ---- T=1 ---- */

/* §11.3.2.1: the answer goes back to where the block came from. */
static uint8_t nad_swap(uint8_t nad)
{
	return (uint8_t)((nad & 0x07) << 4 | (nad >> 4 & 0x07));
}

/* Send a block; it is kept for retransmission with a clean EDC. */
static size_t t1_emit(struct vr_tpdu *t, struct vr_faults *f, uint8_t pcb,
		      const uint8_t *inf, size_t n, uint8_t *out)
{
	size_t len = vr_t1_block(t->nad, pcb, inf, n, t->cfg.crc, out);

	memcpy(t->last, out, len);
	t->last_len = len;
	if (vr_fault_take(f, VR_FAULT_BAD_EDC))
		out[len - 1] ^= 0x5A;
	return len;
}

static size_t t1_resend(struct vr_tpdu *t, struct vr_faults *f, uint8_t *out)
{
	size_t len = t->last_len;

	memcpy(out, t->last, len);
	if (vr_fault_take(f, VR_FAULT_BAD_EDC))
		out[len - 1] ^= 0x5A;
	return len;
}

static size_t t1_rblock(struct vr_tpdu *t, struct vr_faults *f, uint8_t err,
			uint8_t *out)
{
	return t1_emit(t, f, (uint8_t)(0x80 | t->nr << 4 | err), NULL, 0, out);
}

/* The next I-block of the answer, at most IFSD bytes, M while more. */
static size_t t1_next_chunk(struct vr_tpdu *t, struct vr_faults *f,
			    uint8_t *out)
{
	size_t left = t->resp_len - t->resp_off;
	size_t n = left < t->ifsd ? left : t->ifsd;
	bool more = n < left;
	uint8_t pcb = (uint8_t)(t->ns << 6 | (more ? 0x20 : 0));
	size_t len = t1_emit(t, f, pcb, t->resp + t->resp_off, n, out);

	t->resp_off += n;
	t->ns ^= 1;
	if (!more)
		t->answering = false;
	return len;
}

static size_t t1_wtx_request(struct vr_tpdu *t, struct vr_faults *f,
			     uint8_t *out)
{
	static const uint8_t mult = VR_T1_WTX_MULTIPLIER;

	t->wtx_left--;
	return t1_emit(t, f, 0xC3, &mult, 1, out);
}

/* An I-block from the host (§11.6.2). */
static int t1_iblock(struct vr_tpdu *t, struct vr_faults *f, const uint8_t *b,
		     uint8_t *out, size_t *out_len)
{
	uint8_t pcb = b[1];
	size_t n = b[2];

	if ((pcb >> 6 & 1) != t->nr || n > t->cfg.ifsc) {
		*out_len = t1_rblock(t, f, 0x02, out);
		return 0;
	}
	if (t->answering)		/* a new command ends the old answer */
		vr_tpdu_abort(t);
	if (n > VR_CARD_CMD_MAX - t->cmd_len) {
		t->cmd_len = 0;
		*out_len = t1_rblock(t, f, 0x02, out);
		return 0;
	}
	memcpy(t->cmd + t->cmd_len, b + 3, n);
	t->cmd_len += n;
	t->nr ^= 1;
	if (pcb & 0x20) {		/* chained: acknowledge, ask for more */
		*out_len = t1_rblock(t, f, 0x00, out);
		return 0;
	}
	if (run_applet(t, t->cmd, t->cmd_len) < 0)
		return VR_TPDU_NO_MEMORY;
	t->cmd_len = 0;
	t->answering = true;
	t->wtx_left = f ? f->n[VR_FAULT_WTX] : 0;
	if (f)
		f->n[VR_FAULT_WTX] = 0;
	if (t->wtx_left)
		*out_len = t1_wtx_request(t, f, out);
	else
		*out_len = t1_next_chunk(t, f, out);
	return 0;
}

/* An R-block: go on with a chained answer, or send the last block again. */
static size_t t1_rblock_in(struct vr_tpdu *t, struct vr_faults *f, uint8_t pcb,
			   uint8_t *out)
{
	uint8_t nr = pcb >> 4 & 1;

	if (t->answering && t->wtx_left == 0 && t->resp_off > 0 && nr == t->ns)
		return t1_next_chunk(t, f, out);
	if (t->last_len == 0)
		return t1_rblock(t, f, 0x00, out);
	return t1_resend(t, f, out);
}

/* S-blocks from the host (§11.6.2.3 and §11.4.3). */
static size_t t1_sblock(struct vr_tpdu *t, struct vr_faults *f,
			const uint8_t *b, uint8_t *out)
{
	uint8_t pcb = b[1], n = b[2];

	switch (pcb) {
	case 0xC0:	/* RESYNCH: back to the state after the ATR */
		if (n != 0)
			break;
		vr_tpdu_abort(t);
		t->ns = t->nr = 0;
		t->ifsd = VR_T1_IFS_DEFAULT;
		return t1_emit(t, f, 0xE0, NULL, 0, out);
	case 0xC1:	/* IFS request: the host's new IFSD */
		if (n != 1 || b[3] == 0 || b[3] == 0xFF)
			break;
		t->ifsd = b[3];
		return t1_emit(t, f, 0xE1, b + 3, 1, out);
	case 0xC2:	/* ABORT the chain */
		if (n != 0)
			break;
		vr_tpdu_abort(t);
		return t1_emit(t, f, 0xE2, NULL, 0, out);
	case 0xE3:	/* WTX response to our request */
		if (n != 1 || !t->answering || t->last_len < 4 ||
		    t->last[1] != 0xC3 || b[3] != VR_T1_WTX_MULTIPLIER)
			break;
		if (t->wtx_left)
			return t1_wtx_request(t, f, out);
		return t1_next_chunk(t, f, out);
	default:
		break;
	}
	return t1_rblock(t, f, 0x02, out);
}

/* Prologue and epilogue checks: 0, 1 (EDC error) or 2 (other error). */
static uint8_t t1_check(const struct vr_tpdu *t, const uint8_t *b, size_t len)
{
	size_t edc = t->cfg.crc ? 2 : 1;

	if (len < 3 + edc || len > VR_T1_BLOCK_MAX)
		return 0x02;
	if (t->cfg.crc) {
		uint16_t c = vr_t1_crc(b, len - 2);

		if (b[len - 2] != c >> 8 || b[len - 1] != (c & 0xFF))
			return 0x01;
	} else if (vr_t1_lrc(b, len) != 0) {
		return 0x01;
	}
	if (b[2] == 0xFF || (size_t)b[2] != len - 3 - edc)
		return 0x02;
	/* VPP bits of the NAD are not used (§11.3.2.1) */
	if (b[0] & 0x88)
		return 0x02;
	return 0;
}

int vr_tpdu_t1(struct vr_tpdu *t, struct vr_faults *f, const uint8_t *in,
	       size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
	uint8_t err;

	*out_len = 0;
	if (cap < VR_T1_BLOCK_MAX)
		return VR_TPDU_NO_MEMORY;
	err = t1_check(t, in, len);
	if (err) {
		*out_len = t1_rblock(t, f, err, out);
		return 0;
	}
	t->nad = nad_swap(in[0]);
	if ((in[1] & 0x80) == 0)
		return t1_iblock(t, f, in, out, out_len);
	if ((in[1] & 0xC0) == 0x80 && (in[1] & 0x2C) == 0 && in[2] == 0)
		*out_len = t1_rblock_in(t, f, in[1], out);
	else if ((in[1] & 0xC0) == 0xC0)
		*out_len = t1_sblock(t, f, in, out);
	else
		*out_len = t1_rblock(t, f, 0x02, out);
	return 0;
}

/* ---- PPS ---- */

int vr_pps_answer(const uint8_t *req, size_t len, uint8_t protocol,
		  bool refuse, uint8_t out[6], size_t *out_len, uint8_t *fidi)
{
	size_t want = 3;

	*out_len = 0;
	if (len < 3 || req[0] != 0xFF)
		return VR_TPDU_MUTE;
	for (int bit = 4; bit <= 6; bit++)
		if (req[1] & (1u << bit))
			want++;
	if (len != want || (req[1] & 0x80) || vr_t1_lrc(req, len) != 0 ||
	    (req[1] & 0x0F) != protocol)
		return VR_TPDU_MUTE;
	*fidi = 0x11;
	if (refuse) {
		/* §9.3: PPS0 without PPS1 — the default Fd, Dd stay */
		out[0] = 0xFF;
		out[1] = req[1] & 0x0F;
		out[2] = out[0] ^ out[1];
		*out_len = 3;
		return 0;
	}
	if (req[1] & 0x10)
		*fidi = req[2];
	memcpy(out, req, len);
	*out_len = len;
	return 0;
}
