/* ccidkit — the slot engine: power, ATR, slot status, APDU exchange.
 * Every function takes the reader's io_lock for its whole operation and
 * carries the caller's deadline down (clock.h). */
#ifndef CCID_SLOT_H
#define CCID_SLOT_H

#include <stddef.h>
#include <stdint.h>

#include "ccid/msg.h"
#include "ccid/reader.h"

/* For slot operations written in other files (params.c): check the slot
 * number, take io_lock, refuse a gone reader (CCID_E_NOT_FOUND,
 * CCID_E_NO_DEVICE); on CCID_OK the caller ends with ccid_slot_end(). */
int ccid_slot_begin(struct ccid_reader *r, unsigned slot);
void ccid_slot_end(struct ccid_reader *r);

/* PC_to_RDR_GetSlotStatus → *status (enum ccid_icc_status). */
int ccid_slot_get_status(struct ccid_reader *r, unsigned slot,
			 enum ccid_icc_status *status, uint64_t deadline);

/* PC_to_RDR_IccPowerOn (CCID 1.1 §6.1.1).  With CCID_FEAT_AUTO_VOLTAGE one
 * attempt with bPowerSelect = 0; otherwise the voltages bVoltageSupport
 * allows, in the order 5 V, 3 V, 1.8 V (ISO 7816-3 §6.2.4: start with the
 * highest class... as CCID §6.1.1 orders), moving to the next one when the
 * card refuses the class (ICC_CLASS_NOT_SUPPORTED) or stays mute, with a
 * PC_to_RDR_IccPowerOff in between.  CCID_E_NO_CARD stops at once.
 * The ATR is copied to (atr, cap) and recorded in the slot state. */
int ccid_slot_power_on(struct ccid_reader *r, unsigned slot, uint8_t *atr,
		       size_t cap, size_t *atr_len, uint64_t deadline);

/* PC_to_RDR_IccPowerOff. */
int ccid_slot_power_off(struct ccid_reader *r, unsigned slot,
			uint64_t deadline);

/* Send one command APDU, receive the response APDU (data + SW1 SW2) into
 * (resp, cap).  Short-APDU level: one XfrBlock; an extended APDU gives
 * CCID_E_NOT_SUPPORTED.  Short+extended level: XfrBlock chained with
 * wLevelParameter 1/3/2 when the message exceeds dwMaxCCIDMessageLength,
 * and the response gathered with wLevelParameter 0x10 while
 * bChainParameter says more follows (CCID 1.1 §6.1.4).  TPDU and
 * character level: CCID_E_NOT_SUPPORTED (logged: not implemented yet).
 * A response longer than cap: the rest is drained, CCID_E_OVERFLOW. */
int ccid_slot_transmit(struct ccid_reader *r, unsigned slot,
		       const uint8_t *apdu, size_t apdu_len, uint8_t *resp,
		       size_t cap, size_t *resp_len, uint64_t deadline);

/* Select the protocol for the card (what SCardConnect needs, CCID 1.1
 * §6.1.7): build the T=0 (5 bytes) or T=1 (7 bytes) abProtocolDataStructure
 * from the slot's recorded ATR (ccid-spec.md §5: Fi/Di from TA1, TC1
 * guard time, WI / BWI-CWI, IFSC, checksum, convention) and send
 * PC_to_RDR_SetParameters — unless the reader negotiates everything
 * itself (dwFeatures CCID_FEAT_AUTO_PARAM_NEG), where nothing is sent.
 * protocol is 0 (T=0) or 1 (T=1); CCID_E_UNPOWERED without an ATR. */
int ccid_slot_set_protocol(struct ccid_reader *r, unsigned slot, int protocol,
			   uint64_t deadline);

/* PC_to_RDR_Escape (CCID 1.1 §6.1.8) → the RDR_to_PC_Escape data in
 * (out, cap); CCID_E_OVERFLOW (with *out_len = full length) when short. */
int ccid_slot_escape(struct ccid_reader *r, unsigned slot, const uint8_t *in,
		     size_t in_len, uint8_t *out, size_t cap, size_t *out_len,
		     uint64_t deadline);

#endif
