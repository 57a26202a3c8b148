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
 *   00 20 00 81 [Lc block]    VERIFY the card PIN (vr_card_set_pin); no data:
 *                             63 Cx, the tries left
 *   00 24 00 81 Lc old||new   CHANGE REFERENCE DATA: two blocks of Lc/2 bytes
 * PIN blocks (ISO 7816-4 §11.5.6 VERIFY data): the card reads the PIN out
 * of a block as, in this order: ISO 9564 format 2 (8 bytes, first byte 2N,
 * N = 4..12 digits as BCD, F nibbles after); else one digit per byte,
 * ASCII '0'..'9' or binary 00..09, up to the first FF (padding; all bytes
 * after it must be FF). Anything else is a wrong PIN. Wrong: 63 Cx (x tries
 * left, 3 in all); none left: 69 83; right: 90 00 and 3 tries again.
 * Status words: 6E 00 wrong CLA, 6D 00 wrong INS, 6B 00 wrong fixed P1/P2,
 * 67 00 malformed or wrong lengths, 6A 82 unknown AID, 6A 88 P2 is not 81
 * (the one PIN reference).
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

/* Contactless card types behind a PC/SC Part 3 reader (vr_ctls.h);
 * VR_CTLS_NONE for contact cards. */
enum vr_ctls_type {
	VR_CTLS_NONE = 0,
	VR_CTLS_CLASSIC_1K,
	VR_CTLS_CLASSIC_4K,
	VR_CTLS_ULTRALIGHT,
	VR_CTLS_ISO14443_4,
};

/* One command APDU split per ISO 7816-4 §5.1. */
struct vr_apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;
	size_t nc;		/* Nc, 0 when absent */
	size_t ne;		/* Ne, 0 when Le is absent */
	bool has_le;
	bool extended;
};

/* Decode an APDU (cases 1, 2S/E, 3S/E, 4S/E); false when malformed. */
bool vr_apdu_parse(const uint8_t *b, size_t len, struct vr_apdu *a);

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
	enum vr_ctls_type ctls;		/* contactless: answered by vr_ctls.c */
};

/* The iso14443-4 card's ATS historical bytes "ccidkit4" (GET DATA P1 01,
 * and its ATR 3B 88 80 01 'ccidkit4' 46). */
extern const uint8_t vr_card_ats_hist[8];

/* Our own application identifier, answered by SELECT with 90 00. */
extern const uint8_t vr_card_aid[8];

/* The built-in cards: "test" (T=1) and "test-t0" (T=0); the contactless
 * "mifare-classic-1k", "mifare-classic-4k", "mifare-ultralight" and
 * "iso14443-4" (whose non-FF APDUs go to the test card's applet, its
 * process function); NULL if unknown. */
const struct vr_card *vr_card_find(const char *name);

/* The T=1 test card's ATR for a chosen IFSC (1..254, TA3) and EDC (crc:
 * TC3 = 01, ISO 7816-3 §11.4.4), with its TCK; ifsc 254 and LRC give the
 * card's own ATR. Returns the length (at most VR_CARD_ATR_MAX). */
size_t vr_card_t1_atr(unsigned ifsc, bool crc, uint8_t out[VR_CARD_ATR_MAX]);

/* The test card's PIN (VERIFY / CHANGE REFERENCE DATA): one for the whole
 * virtual reader (a retry counter lives in the card's non-volatile memory,
 * so power cycles and re-insertion keep it). Sets the PIN (4..12 digits,
 * NULL = "1234") and restores 3 tries; -EINVAL for a bad PIN. */
int vr_card_set_pin(const char *digits);

/* card->process(card, ...) with a NULL check. */
int vr_card_process(const struct vr_card *card, const uint8_t *apdu, size_t len,
		    uint8_t *resp, size_t cap, size_t *resp_len);

#endif
