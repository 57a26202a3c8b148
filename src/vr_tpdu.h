/* ccidkit — the virtual reader's card side at TPDU level (sans-I/O).
 *
 * What a TPDU-level CCID reader and its card do between one XfrBlock and
 * its DataBlock answer (CCID 1.1 §6.1.4): for T=0 the reader firmware runs
 * the procedure bytes and hands back response data + SW1 SW2 of one TPDU;
 * for T=1 one block goes to the card and one block comes back. The card
 * runs the test-card applet (vr_card.c) behind either protocol.
 *
 * Written from ISO/IEC 7816-3 (§9 PPS, §10 T=0, §11 T=1) and ISO/IEC
 * 7816-4 §5.3 directly; it deliberately shares nothing with ccid/t0.c,
 * ccid/t1.c or ccid/pps.c, so the driver is never tested against itself.
 *
 * T=0 card behaviour (one XfrBlock = one TPDU, CLA INS P1 P2 P3 [data]):
 *  - data in (case 3/4): P3 = Lc must match the data; a response with data
 *    is announced with 61 xx and fetched with GET RESPONSE (CLA C0 00 00 xx);
 *    without data the applet's SW comes at once;
 *  - no data in: the card knows from INS whether data goes out (PATTERN
 *    80 12, GET CHALLENGE 00 84: case 2, P3 = Le, 00 = 256) or nothing
 *    (case 1, P3 must be 00, else 67 00); case 2 with P3 not the available
 *    length gives 6C xx (PATTERN: min(P1P2, 256) available; GET CHALLENGE
 *    any length);
 *  - GET RESPONSE: P3 larger than what is left → 6C xx; smaller → those
 *    bytes and 61 xx for the rest; nothing to get → 69 85; P1 P2 ≠ 00 00 →
 *    6B 00. Any other command drops what was not fetched;
 *  - ENVELOPE (INS C2, any CLA, when enabled): the pieces are collected; a
 *    piece shorter than 255 bytes (an empty ENVELOPE, P3 = 00, included)
 *    ends the enveloped APDU, which then runs; its response comes with
 *    61 xx / GET RESPONSE. Earlier pieces answer 90 00. Disabled: 6D 00.
 * T=1 card behaviour: see vr_tpdu_t1().
 */
#ifndef CCIDKIT_VR_TPDU_H
#define CCIDKIT_VR_TPDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/vr_card.h"

/* ISO 7816-3 §11.3: prologue 3 bytes, INF at most 254, CRC 2 bytes. */
#define VR_T1_BLOCK_MAX (3 + 254 + 2)
#define VR_T1_IFS_DEFAULT 32		/* §11.4.2: IFSD before any S(IFS) */
#define VR_T1_WTX_MULTIPLIER 0x02	/* INF of the card's S(WTX request) */

/* Fault injection (`--fault SPEC`), shared by the CCID model and the USB
 * layer. Counters say how many operations each fault still hits;
 * VR_FAULT_FOREVER never runs out. */
enum vr_fault_kind {
	VR_FAULT_BAD_EDC,		/* corrupt the EDC of the next N T=1 blocks */
	VR_FAULT_LOSE_BLOCK,		/* no answer at all to the next N XfrBlocks */
	VR_FAULT_WTX,			/* N S(WTX request) before the next answer */
	VR_FAULT_MUTE,			/* PowerOn / XfrBlock fail ICC_MUTE */
	VR_FAULT_BAD_PROCEDURE,		/* T=0: bError PROCEDURE_BYTE_CONFLICT */
	VR_FAULT_PPS_REFUSED,		/* answer PPS without PPS1 */
	VR_FAULT_WRONG_BSEQ,		/* a stale reply before the right one */
	VR_FAULT_SPLIT,			/* reply in several bulk-IN transfers */
	VR_FAULT_SHORT,			/* truncate the reply */
	VR_FAULT_STALL,			/* stall the bulk-IN endpoint once */
	VR_FAULT_DISCONNECT_AFTER,	/* XfrBlocks left + 1 before the hang-up */
	VR_FAULT_HANGUP,		/* bulk messages left before the hang-up */
	VR_FAULT_COUNT,
};
#define VR_FAULT_FOREVER 0xFFFFFFFFu

struct vr_faults {
	unsigned n[VR_FAULT_COUNT];
};

/* Add one `--fault` SPEC (see vreader --help): 0, or -EINVAL. */
int vr_fault_parse(struct vr_faults *f, const char *spec);
/* If fault k is armed, count it down and return true. f may be NULL. */
bool vr_fault_take(struct vr_faults *f, enum vr_fault_kind k);

/* ISO 7816-3 §11.4.4: LRC = XOR of the bytes; CRC = ISO/IEC 13239
 * CRC-16 (polynomial x^16 + x^12 + x^5 + 1, reflected, initial FFFF,
 * final complement), sent most significant byte first as ccid/t1.c does:
 * ISO 7816-3 does not settle the byte order for us, and the two sides
 * must agree (change both together). */
uint8_t vr_t1_lrc(const uint8_t *p, size_t len);
uint16_t vr_t1_crc(const uint8_t *p, size_t len);
/* Build NAD PCB LEN INF EDC into out (VR_T1_BLOCK_MAX bytes); len ≤ 254.
 * Returns the block length. */
size_t vr_t1_block(uint8_t nad, uint8_t pcb, const uint8_t *inf, size_t len,
		   bool crc, uint8_t *out);

/* Errors of one exchange, mapped to bError by the CCID model. */
enum {
	VR_TPDU_MUTE = -1,		/* the card does not answer: ICC_MUTE */
	VR_TPDU_PROCEDURE = -2,		/* invalid procedure byte: 0xF4 */
	VR_TPDU_BAD_LENGTH = -3,	/* TPDU shorter than its header says */
	VR_TPDU_NO_MEMORY = -4,		/* HW_ERROR */
};

struct vr_tpdu_config {
	unsigned ifsc;			/* the card's IFSC, 1..254 */
	bool crc;			/* T=1 EDC is CRC (else LRC) */
	bool envelope;			/* T=0 card takes ENVELOPE */
};

struct vr_tpdu;

struct vr_tpdu *vr_tpdu_new(void);
void vr_tpdu_free(struct vr_tpdu **t);

/* Activation (ATR) of card: sequence numbers 0, IFSD 32, no chains. */
void vr_tpdu_activate(struct vr_tpdu *t, const struct vr_card *card,
		      const struct vr_tpdu_config *cfg);
/* PC_to_RDR_SetParameters for T=1: the IFSC and EDC the card uses now. */
void vr_tpdu_set_t1(struct vr_tpdu *t, unsigned ifsc, bool crc);
/* T=1 S(ABORT) / RESYNCH and activation: drop chains and pending
 * responses. */
void vr_tpdu_abort(struct vr_tpdu *t);
/* PC_to_RDR_Abort / ABORT request: the reader stops waiting for the card
 * (its pending answer and time extensions go), but the card's T=1 state,
 * a command chain it acknowledged included, stays: the host goes on from
 * there (ISO 7816-3 §11.6.3 recovery). */
void vr_tpdu_reader_abort(struct vr_tpdu *t);

/* One T=0 TPDU in, response data + SW1 SW2 out (cap ≥ 258). 0 or
 * VR_TPDU_*. Faults used: BAD_PROCEDURE. */
int vr_tpdu_t0(struct vr_tpdu *t, struct vr_faults *f, const uint8_t *in,
	       size_t len, uint8_t *out, size_t cap, size_t *out_len);

/* One T=1 block in, one block out (cap ≥ VR_T1_BLOCK_MAX), ISO 7816-3 §11:
 *  - I-blocks: N(S) must be the expected one; M = 1 is acknowledged with
 *    R(N(R)); the complete command runs and its response goes back in
 *    I-blocks of at most IFSD bytes, chained (M = 1) and continued on each
 *    R-block whose N(R) is the card's next N(S);
 *  - an R-block asking for anything else gets the card's last block again
 *    (retransmission, §11.6.3.2);
 *  - S(RESYNCH) resets both N(S), IFSD and chains; S(IFS request) sets
 *    IFSD; S(ABORT) drops chains; all answered with their S(response);
 *  - an invalid block (EDC wrong: error 1; LEN, PCB, N(S) or size wrong:
 *    error 2) is answered R(N(R) = expected N(S)) with those error bits;
 *  - replies carry the NAD with SAD and DAD swapped (§11.3.2.1).
 * Faults used: BAD_EDC (replies with a corrupted EDC; retransmissions are
 * clean unless the count goes on), WTX (S(WTX request) with INF 02 before
 * the answer to a command, each acknowledged by S(WTX response)). */
int vr_tpdu_t1(struct vr_tpdu *t, struct vr_faults *f, const uint8_t *in,
	       size_t len, uint8_t *out, size_t cap, size_t *out_len);

/* ISO 7816-3 §9: answer a PPS request (PPSS = FF, PPS0, PPS1..3 as PPS0
 * says, PCK) for a card speaking `protocol`. Accepted: the echo, *fidi =
 * PPS1 (0x11 without). refuse: FF, PPS0 without PPS1..3, PCK (default
 * Fd/Dd), *fidi = 0x11. A malformed request or another protocol: the card
 * stays mute (VR_TPDU_MUTE). */
int vr_pps_answer(const uint8_t *req, size_t len, uint8_t protocol,
		  bool refuse, uint8_t out[6], size_t *out_len, uint8_t *fidi);

#endif
