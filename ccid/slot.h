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
/* The same for an operation on the card the caller knows (transmit,
 * secure): when the lease finds that another process powered, reset or
 * lost the card meanwhile, nothing is held and CCID_E_RESET (or
 * CCID_E_NO_CARD / CCID_E_UNPOWERED) is returned. */
int ccid_slot_begin_card(struct ccid_reader *r, unsigned slot);
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

/* The same, unless the card is powered already (by this process or,
 * for a shared reader, another one: checked under the lease): then its
 * ATR, without touching it. */
int ccid_slot_power_up(struct ccid_reader *r, unsigned slot, uint8_t *atr,
		       size_t cap, size_t *atr_len, uint64_t deadline);

/* The protocol set up for the card's current power-up (0: T=0, 1: T=1),
 * by this process or another; -1 when none yet.  Takes the lease. */
int ccid_slot_current_protocol(struct ccid_reader *r, unsigned slot);

/* PC_to_RDR_IccPowerOff. */
int ccid_slot_power_off(struct ccid_reader *r, unsigned slot,
			uint64_t deadline);

/* Send one command APDU, receive the response APDU (data + SW1 SW2) into
 * (resp, cap).  Short-APDU level: one XfrBlock; an extended APDU gives
 * CCID_E_NOT_SUPPORTED.  Short+extended level: XfrBlock chained with
 * wLevelParameter 1/3/2 when the message exceeds dwMaxCCIDMessageLength,
 * and the response gathered with wLevelParameter 0x10 while
 * bChainParameter says more follows (CCID 1.1 §6.1.4).  TPDU level: the
 * protocol negotiated by ccid_slot_set_protocol (or, when nobody did for
 * this power-up, the ATR's default protocol, negotiated first): T=0 maps
 * the APDU onto TPDUs (t0.h, one XfrBlock each), T=1 runs the block
 * protocol (t1.h, one XfrBlock per block, bBWI = the card's WTX).  When
 * the T=1 engine gives up (CCID_E_XFR) the card is deactivated
 * (IccPowerOff, ISO 7816-3 §11.6.3) and CCID_E_XFR returned.
 * A response longer than cap: the rest is drained, CCID_E_OVERFLOW. */
int ccid_slot_transmit(struct ccid_reader *r, unsigned slot,
		       const uint8_t *apdu, size_t apdu_len, uint8_t *resp,
		       size_t cap, size_t *resp_len, uint64_t deadline);

/* Select the protocol for the card (what SCardConnect needs, CCID 1.1
 * §6.1.7, ISO 7816-3 §9):
 *  1. TPDU readers without dwFeatures AUTO_PPS / AUTO_PARAM_NEG, card in
 *     negotiable mode: PPS when ccid_pps_needed (Fi/Di from
 *     ccid_pps_choose_fidi, with GET_DATA_RATES when
 *     bNumDataRatesSupported > 0), the PPS bytes sent raw in an
 *     XfrBlock; a refusal re-powers the card (ISO 7816-3 §9.3: reset
 *     after a failed PPS) and goes on at Fd/Dd without PPS.
 *  2. PC_to_RDR_SetParameters: the T=0 (5 bytes) or T=1 (7 bytes)
 *     abProtocolDataStructure from the ATR (ccid-spec.md §5) with the
 *     Fi/Di in use — not sent when the reader negotiates everything
 *     itself (CCID_FEAT_AUTO_PARAM_NEG).
 *  3. T=1 at TPDU level: the block protocol starts (IFSC from the ATR,
 *     IFSD = dwMaxIFSD ≤ 254) and, unless CCID_FEAT_AUTO_IFSD, announces
 *     IFSD with S(IFS request).
 * Specific mode (TA2): no PPS; another protocol than TA2's is
 * CCID_E_INVAL.  protocol is 0 (T=0) or 1 (T=1); CCID_E_UNPOWERED without
 * an ATR.  A re-power bumps the slot's power_epoch. */
int ccid_slot_set_protocol(struct ccid_reader *r, unsigned slot, int protocol,
			   uint64_t deadline);

/* PC_to_RDR_Escape (CCID 1.1 §6.1.8) → the RDR_to_PC_Escape data in
 * (out, cap); CCID_E_OVERFLOW (with *out_len = full length) when short. */
int ccid_slot_escape(struct ccid_reader *r, unsigned slot, const uint8_t *in,
		     size_t in_len, uint8_t *out, size_t cap, size_t *out_len,
		     uint64_t deadline);

/* ---- between slot.c and params.c only (caller holds io_lock) ---- */

/* ccid_slot_set_protocol's work; protocol -1 = the ATR's default one
 * (TA2's in specific mode, else the first offered). */
int ccid_slot_set_protocol_locked(struct ccid_reader *r, unsigned slot,
				  int protocol, uint64_t deadline);
/* The protocol state for this power-up, or NULL when none was set. */
struct ccid_slot_proto *ccid_slot_proto_current(struct ccid_reader *r,
						 unsigned slot);
/* The protocol state for this power-up; when nobody selected one since
 * power-on (ccidkit apdu), the ATR's default one is set up first, as a card
 * starts in it (ISO 7816-3 §8.2).  CCID_E_UNPOWERED without a card. */
int ccid_slot_proto_get(struct ccid_reader *r, unsigned slot,
			uint64_t deadline, struct ccid_slot_proto **out);
/* Forget the protocol state (power-on, power-off). */
void ccid_slot_proto_clear(struct ccid_reader *r, unsigned slot);
/* IccPowerOff then IccPowerOn (a cold reset); the ATR is recorded. */
int ccid_slot_repower_locked(struct ccid_reader *r, unsigned slot,
			     uint64_t deadline);
/* One XfrBlock at TPDU level, raw bytes both ways; bBWI as given. */
int ccid_slot_xfr_raw(struct ccid_reader *r, unsigned slot, uint8_t bBWI,
		      const uint8_t *out, size_t out_len, uint8_t *in,
		      size_t in_cap, size_t *in_len, uint64_t deadline);
/* The T=1 block exchange (t1.h ccid_t1_xfer_fn); arg is a
 * struct ccid_slot_io. */
struct ccid_slot_io {
	struct ccid_reader *r;
	unsigned slot;
	uint64_t deadline; /* the caller's */
	unsigned wait_ms;  /* T=1 BWT / T=0 WT, at least 1 s */
	unsigned margin_ms; /* + the characters of two blocks + USB latency */
};
/* Fill io for the protocol state p (ccid-spec.md §6.3 timings). */
void ccid_slot_io_init(struct ccid_slot_io *io, struct ccid_reader *r,
		       unsigned slot, const struct ccid_slot_proto *p,
		       uint64_t deadline);
int ccid_slot_t1_xfer(void *arg, const uint8_t *out, size_t out_len,
		      uint8_t *in, size_t in_cap, size_t *in_len, unsigned wtx);

#endif
