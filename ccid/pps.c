/* ccidkit — protocol and parameters selection (see pps.h).
 *
 * ISO/IEC 7816-3 §9: right after the ATR, a card in negotiable mode may be
 * sent PPSS PPS0 [PPS1] [PPS2] [PPS3] PCK; it answers with the same shape,
 * echoing what it accepts (§9.3).  PPS0 bits 5..7 (0x10, 0x20, 0x40) say
 * which of PPS1..PPS3 follow, its low nibble is the protocol T; PCK makes
 * the XOR of all bytes zero (ccid-spec.md §6.4).  The Fi/Di choice follows
 * what the reader can clock (ccid-spec.md §6.2: baud = f × Di / Fi). */
#include "config.h"
#include "ccid/pps.h"

#include "ccid/atr.h"
#include "ccid/desc.h"
#include "ccid/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PPSS 0xFF
#define PPS0_PPS1 0x10
#define PPS0_RFU 0x80      /* ISO 7816-3 §9: reserved, sent as 0 */
#define FIDI_DEFAULT 0x11  /* Fd = 372, Dd = 1 */

/* A PPS request or answer, split up. */
struct pps {
	uint8_t pps0;
	int opt[3]; /* PPS1..PPS3, -1 when absent */
};

static uint8_t xor_all(const uint8_t *b, size_t len)
{
	uint8_t x = 0;

	for (size_t i = 0; i < len; i++)
		x ^= b[i];
	return x;
}

/* Fi and Di indexes that ISO 7816-3 Tables 7 and 8 define (not RFU). */
static bool fidi_defined(uint8_t fidi)
{
	return ccid_atr_fi(fidi >> 4) != 0 && ccid_atr_di(fidi & 0x0F) != 0;
}

int ccid_pps_encode(uint8_t protocol, int fidi, uint8_t *out, size_t cap,
		    size_t *len)
{
	uint8_t b[CCID_PPS_MAX];
	size_t n = 0;

	/* T=15 only carries global bytes in the ATR, it is no protocol
	 * (ccid-spec.md §6.1); an RFU Fi or Di no card can accept */
	if (out == NULL || len == NULL || protocol > 14 || fidi > 0xFF ||
	    (fidi >= 0 && !fidi_defined((uint8_t)fidi)))
		return CCID_E_INVAL;
	b[n++] = PPSS;
	b[n++] = protocol | (fidi >= 0 ? PPS0_PPS1 : 0);
	if (fidi >= 0)
		b[n++] = (uint8_t)fidi;
	b[n] = xor_all(b, n);
	n++;
	*len = n;
	if (cap < n)
		return CCID_E_OVERFLOW;
	memcpy(out, b, n);
	return CCID_OK;
}

/* Split b into its fields; false when PPSS, the length announced by PPS0,
 * PCK or the reserved bit 8 of PPS0 is wrong. */
static bool pps_parse(const uint8_t *b, size_t len, struct pps *p)
{
	size_t need = 3, pos = 2;

	if (b == NULL || len < 3 || b[0] != PPSS || (b[1] & PPS0_RFU))
		return false;
	p->pps0 = b[1];
	for (int i = 0; i < 3; i++)
		if (p->pps0 & (PPS0_PPS1 << i))
			need++;
	if (len != need || xor_all(b, len) != 0)
		return false;
	for (int i = 0; i < 3; i++)
		p->opt[i] = (p->pps0 & (PPS0_PPS1 << i)) ? b[pos++] : -1;
	return true;
}

/* ISO 7816-3 §9.3: a successful answer has the same PPSS and protocol;
 * each of PPS1..PPS3 is either echoed or left out (left-out PPS1 = Fd/Dd);
 * the card may not add a byte we did not send. */
int ccid_pps_check(const uint8_t *req, size_t req_len, const uint8_t *resp,
		   size_t resp_len, uint8_t *fidi)
{
	struct pps q, a;

	if (!pps_parse(req, req_len, &q))
		return CCID_E_INVAL; /* ours: a caller bug */
	if (!pps_parse(resp, resp_len, &a))
		return CCID_E_PROTO;
	if ((a.pps0 & 0x0F) != (q.pps0 & 0x0F))
		return CCID_E_PROTO;
	/* a byte we did not send is -1 in q, so never "echoed" */
	for (int i = 0; i < 3; i++)
		if (a.opt[i] >= 0 && a.opt[i] != q.opt[i])
			return CCID_E_PROTO;
	if (fidi != NULL)
		*fidi = a.opt[0] >= 0 ? (uint8_t)a.opt[0] : FIDI_DEFAULT;
	return CCID_OK;
}

/* Fi/Di that give the default etu: 0x11, and also 0x01 (Fi index 0 is
 * 372 too), for which a PPS changes nothing. */
static bool fidi_is_default(uint8_t fidi)
{
	return ccid_atr_fi(fidi >> 4) == 372 && ccid_atr_di(fidi & 0x0F) == 1;
}

bool ccid_pps_needed(const struct ccid_atr *atr, const struct ccid_desc *d,
		     uint8_t protocol, uint8_t fidi)
{
	if (atr == NULL)
		return false;
	/* specific mode: the card runs what TA2 says, PPS is not allowed
	 * (ccid-spec.md §6.1, §6.4) */
	if (atr->specific_mode)
		return false;
	/* the reader negotiates by itself (CCID 1.1 §5.1 dwFeatures) */
	if (d != NULL && (d->dwFeatures & (CCID_FEAT_AUTO_PPS |
					   CCID_FEAT_AUTO_PARAM_NEG)))
		return false;
	/* without PPS the card uses its first protocol at Fd/Dd
	 * (ccid-spec.md §6.4: PPS when the protocol or TA1 differ) */
	return protocol != atr->first_protocol || !fidi_is_default(fidi);
}

/* The bit rate of Fi/Di at f kHz: 1 etu = Fi/Di × 1/f (ccid-spec.md §6.2). */
static uint64_t fidi_baud(uint32_t f_khz, unsigned fi, unsigned di)
{
	return (uint64_t)f_khz * 1000u * di / fi;
}

/* Can the reader run this bit rate?  The rates list from GET_DATA_RATES,
 * when there is one, is the truth (±1% for the rounding of its values);
 * else the descriptor's range dwDataRate..dwMaxDataRate (CCID 1.1 §5.1). */
static bool baud_ok(const struct ccid_desc *d, uint64_t baud,
		    const uint32_t *rates, size_t nrates)
{
	if (nrates == 0)
		return baud >= d->dwDataRate && baud <= d->dwMaxDataRate;
	for (size_t i = 0; i < nrates; i++) {
		uint64_t r = rates[i];
		uint64_t diff = baud > r ? baud - r : r - baud;

		if (diff * 100 <= r)
			return true;
	}
	return false;
}

/* The fastest Di index with value <= max_di that the reader can run with
 * this Fi; 0 when none.  Di values are not monotonic in the index (8 is
 * 12, 9 is 20), so pick by value. */
static uint8_t best_di(const struct ccid_desc *d, uint32_t f_khz,
		       unsigned fi, unsigned max_di, const uint32_t *rates,
		       size_t nrates)
{
	uint8_t best = 0;
	unsigned best_di = 0;

	for (uint8_t i = 1; i < 16; i++) {
		unsigned di = ccid_atr_di(i);

		if (di == 0 || di > max_di || di <= best_di)
			continue;
		if (baud_ok(d, fidi_baud(f_khz, fi, di), rates, nrates)) {
			best = i;
			best_di = di;
		}
	}
	return best;
}

uint8_t ccid_pps_choose_fidi(const struct ccid_atr *atr,
			     const struct ccid_desc *d, const uint32_t *rates,
			     size_t nrates)
{
	uint32_t f;
	uint8_t di;

	if (atr == NULL || d == NULL || (rates == NULL && nrates > 0))
		return FIDI_DEFAULT;
	/* specific mode (TA2, ccid-spec.md §6.1): nothing to choose, the card
	 * already runs TA1's values, or implicit ones (TA2 bit 5) that only
	 * its maker knows and that we take as the defaults */
	if (atr->specific_mode)
		return atr->specific_implicit ? FIDI_DEFAULT :
		       (uint8_t)(atr->fi_index << 4 | atr->di_index);
	f = d->dwDefaultClock;
	/* the card's Fi comes with a maximum clock (Table 7) */
	if (f == 0 || atr->fi == 0 || atr->di == 0 || atr->fmax_khz < f)
		return FIDI_DEFAULT;
	di = best_di(d, f, atr->fi, atr->di, rates, nrates);
	if (di == 0)
		return FIDI_DEFAULT;
	return (uint8_t)(atr->fi_index << 4 | di);
}
