/* ccidkit — protocol and parameters selection (ISO/IEC 7816-3 §9), pure. */
#ifndef CCID_PPS_H
#define CCID_PPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccid/atr.h"
#include "ccid/desc.h"

#define CCID_PPS_MAX 6 /* PPSS PPS0 PPS1 PPS2 PPS3 PCK */

/* PPSS FF, PPS0 (T | 0x10 when fidi given), [PPS1 = fidi], PCK.
 * fidi < 0: no PPS1. */
int ccid_pps_encode(uint8_t protocol, int fidi, uint8_t *out, size_t cap,
		    size_t *len);

/* Judge the card's answer to request req (§9.3): identical → accepted
 * with the requested Fi/Di; PPS1 absent in the answer → accepted at
 * Fd/Dd (*fidi = 0x11); same protocol required; bad PCK, bad PPSS,
 * other protocol, PPS1 different, or bits set that were not requested →
 * CCID_E_PROTO (the card must be reset).  *fidi gets the Fi/Di in use. */
int ccid_pps_check(const uint8_t *req, size_t req_len, const uint8_t *resp,
		   size_t resp_len, uint8_t *fidi);

/* Is a PPS exchange needed?  Not in specific mode (TA2), not when the
 * reader does it (dwFeatures AUTO_PPS or AUTO_PARAM_NEG), not when the
 * protocol is the ATR's first one and Fi/Di would stay 0x11. */
bool ccid_pps_needed(const struct ccid_atr *atr, const struct ccid_desc *d,
		     uint8_t protocol, uint8_t fidi);

/* The fastest Fi/Di (as TA1 byte) not above the card's TA1 that the reader
 * can run: baud = f × Di / Fi with f = dwDefaultClock (kHz), within
 * dwDataRate..dwMaxDataRate, or in rates[] (GET_DATA_RATES) when nrates
 * > 0, and the card's fmax ≥ f.  Falls back to lower Di with the same Fi,
 * then to 0x11. */
uint8_t ccid_pps_choose_fidi(const struct ccid_atr *atr,
			     const struct ccid_desc *d, const uint32_t *rates,
			     size_t nrates);

#endif
