/* ccidkit — the virtual reader's built-in test cards.
 *
 * A card is an ATR plus an APDU processor. The command set is an external
 * interface (tests and users script against it), documented in `ccidkit
 * vreader --help`:
 *   80 10 00 00 Lc data [Le]  ECHO        data back, 90 00
 *   80 12 P1 P2 [Le]          PATTERN     N = P1P2 bytes, byte i = i mod 256
 *   80 14 00 00 Lc data       SINK        90 00
 *   80 16 00 00               NOP         90 00
 *   00 84 00 00 Le            GET CHALLENGE  Ne random bytes
 *   00 A4 04 00 Lc AID [Le]   SELECT by name: 90 00 for F0 63 63 69 64 6B 69 74
 * Status words: 6E 00 wrong CLA, 6D 00 wrong INS, 6B 00 wrong fixed P1/P2,
 * 67 00 malformed or wrong lengths, 6A 82 unknown AID.
 */
#ifndef CCIDKIT_VR_CARD_H
#define CCIDKIT_VR_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest card response: 65536 data bytes (extended Le 0000) + SW1 SW2. */
#define VR_CARD_RESP_MAX (65536 + 2)
/* The longest command APDU: extended case 4, 4 + 3 + 65535 + 2 bytes. */
#define VR_CARD_CMD_MAX (4 + 3 + 65535 + 2)
#define VR_CARD_ATR_MAX 33

struct vr_card;

/* Answer one command APDU. Returns 0 with the response (data + SW) in
 * resp[0..*resp_len), or -ENOSPC when cap is too small (*resp_len = 0). */
typedef int (*vr_card_process_fn)(const struct vr_card *card,
				  const uint8_t *apdu, size_t len,
				  uint8_t *resp, size_t cap, size_t *resp_len);

struct vr_card {
	const char *name;		/* "test", "test-t0" */
	const uint8_t *atr;
	size_t atr_len;
	uint8_t protocol;		/* the only protocol offered: 0 (T=0) or 1 (T=1) */
	/* Default protocol data structure (CCID 1.1 §6.1.7): 5 bytes for T=0,
	 * 7 for T=1, derived from the ATR. */
	const uint8_t *params;
	size_t params_len;
	vr_card_process_fn process;
};

/* Our own application identifier, answered by SELECT with 90 00. */
extern const uint8_t vr_card_aid[8];

/* The built-in cards: "test" (T=1) and "test-t0" (T=0); NULL if unknown. */
const struct vr_card *vr_card_find(const char *name);

/* The T=1 test card's ATR for a chosen IFSC (1..254, TA3) and EDC (crc:
 * TC3 = 01, ISO 7816-3 §11.4.4), with its TCK; ifsc 254 and LRC give the
 * card's own ATR. Returns the length (at most VR_CARD_ATR_MAX). */
size_t vr_card_t1_atr(unsigned ifsc, bool crc, uint8_t out[VR_CARD_ATR_MAX]);

/* card->process(card, ...) with a NULL check. */
int vr_card_process(const struct vr_card *card, const uint8_t *apdu, size_t len,
		    uint8_t *resp, size_t cap, size_t *resp_len);

#endif
