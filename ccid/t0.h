/* ccidkit — T=0 at TPDU level (ISO/IEC 7816-3 §10, ISO/IEC 7816-4 §5.3
 * "transport of APDUs by T=0"), sans-I/O.  A CCID reader at TPDU level
 * handles the procedure bytes itself (CCID 1.1 §6.1.4): the host sends a
 * 5-byte header plus the command data in one XfrBlock and gets back the
 * response data plus SW1 SW2.  The host maps APDU cases onto TPDUs and runs
 * the 61xx / 6Cxx dialogues. */
#ifndef CCID_T0_H
#define CCID_T0_H

#include <stddef.h>
#include <stdint.h>

/* One TPDU exchange: (tpdu, len) out; response data + SW into (resp,
 * cap).  CCID errors as usual. */
typedef int (*ccid_t0_xfer_fn)(void *arg, const uint8_t *tpdu, size_t len,
			       uint8_t *resp, size_t cap, size_t *resp_len);

/* Map a command APDU to TPDUs (ISO 7816-4 §5.3.1..§5.3.4):
 *  case 1: header with P3 = 00;  case 2S: P3 = Le; on 6Cxx re-send with
 *  P3 = xx; case 3S: P3 = Lc + data; case 4S: as case 3, then on 61xx
 *  GET RESPONSE (CLA C0 00 00 min(xx, Ne)) — repeated while 61xx,
 *  concatenating, at most Ne bytes; 9000 after case 4 data means no data.
 *  Extended APDUs: ENVELOPE (INS C2, CLA = cla_envelope, or the APDU's CLA
 *  when 0xFF) carrying the APDU in pieces of up to 255 bytes, the response
 *  fetched with GET RESPONSE; a card that answers ENVELOPE with 6D00/6E00
 *  gives CCID_E_NOT_SUPPORTED.  cla_get_response 0xFF = the APDU's CLA.
 * Malformed APDUs (ccid_apdu_parse fails) give CCID_E_INVAL. */
int ccid_t0_transceive(ccid_t0_xfer_fn xfer, void *arg,
		       uint8_t cla_get_response, uint8_t cla_envelope,
		       const uint8_t *apdu, size_t apdu_len, uint8_t *resp,
		       size_t cap, size_t *resp_len);

#endif
