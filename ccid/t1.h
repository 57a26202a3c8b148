/* ccidkit — the T=1 block protocol (ISO/IEC 7816-3 §11), sans-I/O.
 *
 * The block codec is pure.  The protocol engine does no I/O either: it
 * drives one APDU exchange through a caller-supplied block exchange
 * function (at TPDU level, one PC_to_RDR_XfrBlock carrying one block and
 * its RDR_to_PC_DataBlock carrying the card's answer block), so tests feed
 * it scripted blocks without any transport. */
#ifndef CCID_T1_H
#define CCID_T1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CCID_T1_MAX_INF 254
#define CCID_T1_MAX_BLOCK (3 + CCID_T1_MAX_INF + 2)

/* PCB (ISO 7816-3 §11.3.2) */
#define CCID_T1_I_NS 0x40        /* I-block N(S) */
#define CCID_T1_I_MORE 0x20      /* I-block M (chaining) */
#define CCID_T1_R_BLOCK 0x80
#define CCID_T1_R_NR 0x10        /* R-block N(R) */
#define CCID_T1_S_BLOCK 0xC0
#define CCID_T1_S_RESPONSE 0x20
enum ccid_t1_s_type {
	CCID_T1_S_RESYNCH = 0x00,
	CCID_T1_S_IFS = 0x01,
	CCID_T1_S_ABORT = 0x02,
	CCID_T1_S_WTX = 0x03,
};
enum ccid_t1_block_type { CCID_T1_I, CCID_T1_R, CCID_T1_S };

struct ccid_t1_block {
	enum ccid_t1_block_type type;
	uint8_t nad, pcb;
	const uint8_t *inf; /* points into the decoded buffer */
	size_t len;
	/* decoded PCB */
	uint8_t ns;           /* I: N(S) */
	bool more;            /* I: M */
	uint8_t nr;           /* R: N(R) */
	uint8_t r_error;      /* R: 0 none, 1 EDC/parity, 2 other */
	uint8_t s_type;       /* S: enum ccid_t1_s_type */
	bool s_response;      /* S: response (true) or request */
};

/* Encode NAD PCB LEN INF EDC.  CCID_E_INVAL when len > 254,
 * CCID_E_OVERFLOW when cap is short. */
int ccid_t1_block_encode(uint8_t nad, uint8_t pcb, const uint8_t *inf,
			 size_t len, bool crc, uint8_t *out, size_t cap,
			 size_t *out_len);
/* Decode and check a block: CCID_E_PROTO when shorter than 4 (5 with
 * CRC), LEN 255, LEN not matching the size, bad EDC, or a PCB that is
 * no valid I/R/S value.  CCID_E_INVAL on NULL. */
int ccid_t1_block_decode(const uint8_t *buf, size_t len, bool crc,
			 struct ccid_t1_block *out);
/* EDCs: LRC (XOR) and the ISO/IEC 13239 CRC-16 as ISO 7816-3 §11.4.4. */
uint8_t ccid_t1_lrc(const uint8_t *buf, size_t len);
uint16_t ccid_t1_crc(const uint8_t *buf, size_t len);

/* One block out, one block in.  wtx is the waiting-time multiplier the
 * card asked for with S(WTX) (1 = none): the exchange carrying the
 * S(WTX response) must allow wtx × BWT (CCID: bBWI and the deadline).
 * Returns CCID_OK or a negative ccid_err; CCID_E_TIMEOUT means no block
 * came back in time (the engine treats it as a lost block). */
typedef int (*ccid_t1_xfer_fn)(void *arg, const uint8_t *out, size_t out_len,
			       uint8_t *in, size_t in_cap, size_t *in_len,
			       unsigned wtx);

struct ccid_t1 {
	uint8_t ifsc;   /* card's max INF size (TA3, 32 by default) */
	uint8_t ifsd;   /* ours, announced with S(IFS) */
	uint8_t nad;
	bool crc;
	uint8_t ns;     /* N(S) of our next I-block */
	uint8_t nr;     /* N(S) we expect from the card next */
	unsigned wtx;   /* multiplier for the next exchange; 1 normally */
};

/* Defaults after activation (ISO 7816-3 §11.4.2): sequence numbers 0. */
void ccid_t1_init(struct ccid_t1 *t, uint8_t ifsc, uint8_t ifsd, bool crc,
		  uint8_t nad);

/* Send S(IFS request, t->ifsd) and expect S(IFS response) with the same
 * value (ISO 7816-3 §11.4.2), with retries per §11.6.3. */
int ccid_t1_negotiate_ifsd(struct ccid_t1 *t, ccid_t1_xfer_fn xfer, void *arg);

/* One APDU exchange (ISO 7816-3 §11.6): I-block chaining both ways
 * (command split at ifsc, response gathered with R-blocks), S(WTX)
 * answered (t->wtx set for that exchange), S(IFS) from the card answered
 * and applied, S(ABORT) from the card ends the chain (CCID_E_ABORTED),
 * error recovery of §11.6.3: a bad or lost block is answered with an
 * R-block (retransmission of the last I-block when the card asks), after
 * 3 failed attempts S(RESYNCH) (up to 3 times), then CCID_E_XFR (the
 * caller deactivates the card).  The response (data + SW1 SW2) goes to
 * (resp, cap); CCID_E_OVERFLOW when longer (*resp_len = full length). */
int ccid_t1_transceive(struct ccid_t1 *t, ccid_t1_xfer_fn xfer, void *arg,
		       const uint8_t *apdu, size_t apdu_len, uint8_t *resp,
		       size_t cap, size_t *resp_len);

#endif
