/* ccidkit — T=0 at TPDU level (see t0.h).
 *
 * A TPDU-level reader runs the procedure bytes (CCID 1.1 §6.1.4), so one
 * xfer is one command TPDU (5-byte header CLA INS P1 P2 P3, plus P3 data
 * bytes when data go to the card) answered by the data the card sent plus
 * SW1 SW2.  In T=0 data flow in one direction per TPDU (ISO/IEC 7816-3
 * §10.3.2), which is why a case 4 APDU becomes a case 3 TPDU followed by
 * GET RESPONSE, and why extended lengths need ENVELOPE (ISO/IEC 7816-4
 * §5.3.4 (T=0 transport), ccid-spec.md §6.5).
 *
 * The response data land in the caller's buffer as they come (directly
 * when a whole TPDU answer fits, else through a 258-byte stack buffer); an
 * answer longer than cap is still read to its end so that the card is left
 * in a clean state and the caller learns the length it needs. */
#include "config.h"
#include "ccid/t0.h"

#include "ccid/apdu.h"
#include "ccid/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define T0_HDR 5
#define T0_SHORT_MAX 255			/* P3 as Lc */
#define T0_TPDU_MAX (T0_HDR + T0_SHORT_MAX)	/* 260 */
#define T0_RX_MAX (256 + 2)			/* P3 00 = 256 bytes, + SW */
#define T0_INS_GET_RESPONSE 0xC0
#define T0_INS_ENVELOPE 0xC2
/* GET RESPONSE rounds in a row that bring no data before we call the card
 * broken: a card that keeps saying 61xx without ever sending the bytes
 * would otherwise hold the reader forever.  Rounds that do bring data are
 * bounded by Ne. */
#define T0_MAX_IDLE 3

struct t0_run {
	ccid_t0_xfer_fn xfer;
	void *arg;
	uint8_t *resp;
	size_t cap;
	size_t total;		/* response data so far, even past cap */
	uint8_t sw1, sw2;	/* of the last TPDU */
	uint8_t rx[T0_RX_MAX];	/* landing zone when resp is full */
};

/* Le/Lc value carried by P3 (ISO 7816-3 §10.3.2: 00 means 256 when the
 * card sends data). */
static size_t p3_len(uint8_t p3)
{
	return p3 ? p3 : 256;
}

/* One TPDU out; its answer's data are appended to the response (counted
 * even past cap) and its SW kept.  max_data is what the TPDU allows the
 * card to send: more is a broken reader (CCID_E_PROTO). */
static int t0_exchange(struct t0_run *r, const uint8_t *tpdu, size_t len,
		       size_t max_data, size_t *ndata)
{
	size_t room = r->total < r->cap ? r->cap - r->total : 0;
	bool direct = room >= T0_RX_MAX;
	uint8_t *dst = direct ? r->resp + r->total : r->rx;
	size_t dcap = direct ? room : sizeof(r->rx);
	size_t got = 0, n;
	int err;

	err = r->xfer(r->arg, tpdu, len, dst, dcap, &got);
	if (err != CCID_OK)
		return err;
	if (got < 2 || got > dcap || got - 2 > max_data)
		return CCID_E_PROTO;
	n = got - 2;
	r->sw1 = dst[n];
	r->sw2 = dst[n + 1];
	if (!direct && room > 0 && n > 0)
		memcpy(r->resp + r->total, r->rx, n < room ? n : room);
	r->total += n;
	*ndata = n;
	return CCID_OK;
}

/* Header (hdr[0..3]) + P3 + nc bytes of data, assembled on the stack. */
static int t0_send(struct t0_run *r, const uint8_t hdr[4], uint8_t p3,
		   const uint8_t *data, size_t nc, size_t max_data,
		   size_t *ndata)
{
	uint8_t tpdu[T0_TPDU_MAX];
	int err;

	memcpy(tpdu, hdr, 4);
	tpdu[4] = p3;
	if (nc > 0)
		memcpy(tpdu + T0_HDR, data, nc);
	err = t0_exchange(r, tpdu, T0_HDR + nc, max_data, ndata);
	/* the command data may be a PIN or a key (DESIGN.md: secrets) */
	explicit_bzero(tpdu, sizeof(tpdu));
	return err;
}

/* One GET RESPONSE (CLA C0 00 00 P3) asking for want bytes; a 6Cxx answer
 * (wrong length, xx = what the card has) is re-issued once with P3 = xx
 * (ccid-spec.md §6.5), which may take the total past Ne: those bytes are
 * the card's answer and the caller sees them (or CCID_E_OVERFLOW). */
static int t0_get_response_once(struct t0_run *r, uint8_t cla, size_t want,
				size_t *ndata)
{
	const uint8_t hdr[4] = { cla, T0_INS_GET_RESPONSE, 0x00, 0x00 };
	int err;

	err = t0_send(r, hdr, (uint8_t)want, NULL, 0, want, ndata);
	if (err != CCID_OK || r->sw1 != 0x6C || *ndata != 0)
		return err;
	want = p3_len(r->sw2);
	return t0_send(r, hdr, r->sw2, NULL, 0, want, ndata);
}

/* ISO 7816-4 §5.3.4: SW 61xx says xx (00 = 256) more bytes are waiting;
 * fetch them with GET RESPONSE while 61xx comes back and fewer than Ne
 * bytes arrived, P3 = min(xx, what is left of Ne).  The last SW is the
 * answer's SW (a 61xx left when Ne is reached tells the application that
 * more data is available, as ISO 7816-4 intends). */
static int t0_get_response(struct t0_run *r, uint8_t cla, size_t ne)
{
	unsigned idle = 0;
	size_t n;
	int err;

	while (r->sw1 == 0x61 && r->total < ne) {
		size_t want = p3_len(r->sw2);

		if (want > ne - r->total)
			want = ne - r->total;
		err = t0_get_response_once(r, cla, want, &n);
		if (err != CCID_OK)
			return err;
		if (n > 0) {
			idle = 0;
		} else if (++idle >= T0_MAX_IDLE && r->sw1 == 0x61) {
			return CCID_E_PROTO; /* 61xx forever, nothing sent */
		}
	}
	return CCID_OK;
}

/* Short APDU (Nc <= 255, Ne <= 256), ISO 7816-4 §5.3.4 / ccid-spec.md
 * §6.5: case 1 P3 = 00; case 2 P3 = Le, 6Cxx → once more with P3 = xx;
 * case 3 P3 = Lc + data; case 4 as case 3 then GET RESPONSE on 61xx (a
 * 9000 or a warning 62xx/63xx there means no data, returned as is). */
static int t0_short(struct t0_run *r, const struct ccid_apdu *a,
		    uint8_t gr_cla)
{
	const uint8_t hdr[4] = { a->cla, a->ins, a->p1, a->p2 };
	size_t nc = a->apdu_case >= 3 ? a->nc : 0, ne = a->ne, n;
	/* a header-only TPDU lets the card send P3 bytes (00 = 256) */
	uint8_t p3 = nc > 0 ? (uint8_t)nc : (uint8_t)ne;
	size_t max_data = nc > 0 ? 0 : p3_len(p3);
	int err;

	err = t0_send(r, hdr, p3, a->data, nc, max_data, &n);
	if (err != CCID_OK)
		return err;
	if (a->apdu_case == 2 && r->sw1 == 0x6C && n == 0) {
		/* wrong Le: xx is exactly what the card has, ask for that */
		ne = p3_len(r->sw2);
		err = t0_send(r, hdr, r->sw2, NULL, 0, ne, &n);
		if (err != CCID_OK)
			return err;
	}
	return t0_get_response(r, gr_cla, ne);
}

/* Extended APDU: T=0 has no room for 2-byte Lc/Le, so the whole APDU goes
 * to the card in ENVELOPE commands (CLA C2 00 00 Lc piece, pieces of up
 * to 255 bytes) and the answer comes back through GET RESPONSE (ISO 7816-4
 * §5.3.4, ccid-spec.md §6.5).  A card that does not know ENVELOPE (6D00
 * INS or 6E00 CLA not supported, on the first piece) cannot take this
 * APDU at all: CCID_E_NOT_SUPPORTED.  Any SW but 9000 on an earlier piece
 * ends the transfer and is the answer. */
static int t0_envelope(struct t0_run *r, const uint8_t *apdu, size_t len,
		       uint8_t env_cla, uint8_t gr_cla, size_t ne)
{
	const uint8_t hdr[4] = { env_cla, T0_INS_ENVELOPE, 0x00, 0x00 };
	size_t off = 0, n;
	int err;

	while (off < len) {
		size_t piece = len - off;

		if (piece > T0_SHORT_MAX)
			piece = T0_SHORT_MAX;
		err = t0_send(r, hdr, (uint8_t)piece, apdu + off, piece, 0,
			      &n);
		if (err != CCID_OK)
			return err;
		if (off == 0 && (r->sw1 == 0x6D || r->sw1 == 0x6E) &&
		    r->sw2 == 0x00)
			return CCID_E_NOT_SUPPORTED;
		off += piece;
		if (off < len && (r->sw1 != 0x90 || r->sw2 != 0x00))
			return CCID_OK;
	}
	if (len % T0_SHORT_MAX == 0) {
		/* the last piece was full: an empty ENVELOPE tells the card
		 * the APDU is complete (ISO 7816-4 §7.6, ENVELOPE "an empty
		 * data field indicates the end of the data string") */
		err = t0_send(r, hdr, 0, NULL, 0, 0, &n);
		if (err != CCID_OK)
			return err;
	}
	return t0_get_response(r, gr_cla, ne);
}

int ccid_t0_transceive(ccid_t0_xfer_fn xfer, void *arg,
		       uint8_t cla_get_response, uint8_t cla_envelope,
		       const uint8_t *apdu, size_t apdu_len, uint8_t *resp,
		       size_t cap, size_t *resp_len)
{
	struct ccid_apdu a;
	struct t0_run r;
	uint8_t gr_cla, env_cla;
	int err;

	if (xfer == NULL || apdu == NULL || resp_len == NULL ||
	    (resp == NULL && cap > 0))
		return CCID_E_INVAL;
	*resp_len = 0;
	if (ccid_apdu_parse(apdu, apdu_len, &a) != CCID_OK)
		return CCID_E_INVAL;
	/* bClassGetResponse / bClassEnvelope 0xFF: echo the APDU's CLA
	 * (CCID 1.1 §5.1) */
	gr_cla = cla_get_response == 0xFF ? a.cla : cla_get_response;
	env_cla = cla_envelope == 0xFF ? a.cla : cla_envelope;
	memset(&r, 0, sizeof(r));
	r.xfer = xfer;
	r.arg = arg;
	r.resp = resp;
	r.cap = cap;
	/* an extended encoding whose lengths fit short TPDUs needs no
	 * ENVELOPE */
	if (a.nc > T0_SHORT_MAX || a.ne > 256)
		err = t0_envelope(&r, apdu, apdu_len, env_cla, gr_cla, a.ne);
	else
		err = t0_short(&r, &a, gr_cla);
	explicit_bzero(r.rx, sizeof(r.rx));
	if (err != CCID_OK)
		return err;
	*resp_len = r.total + 2;
	if (*resp_len > cap)
		return CCID_E_OVERFLOW;
	resp[r.total] = r.sw1;
	resp[r.total + 1] = r.sw2;
	return CCID_OK;
}
