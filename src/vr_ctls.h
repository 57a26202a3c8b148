/* ccidkit — the virtual contactless reader's PC/SC Part 3 firmware and its
 * memory cards (sans-I/O).
 *
 * One struct vr_ctls per slot holds what a real reader and the card in its
 * field hold: the volatile key slots of the reader (LOAD KEYS, 2 slots, kept
 * across taps), the card's memory image (kept while the same card is
 * re-tapped) and the authenticated sector (lost at every power-on/tap).
 * APDUs with CLA FF are answered here (PC/SC Part 3 §3.2.2, ccid-spec.md
 * §7); other APDUs go to the card's own process function (the test-card
 * applet for iso14443-4, 6E 00 for storage cards).
 *
 * Memory images (MIFARE Classic EV1 / Ultralight data sheets):
 *   Classic 1K: 16 sectors x 4 blocks x 16 bytes; 4K: 32 x 4 + 8 x 16
 *   blocks. Block 0 (manufacturer, read-only): UID, BCC (4-byte UID), SAK
 *   (08 / 18), ATQA (04 00 / 02 00, 44 00 with a 7-byte UID), then
 *   "ccidkit" padding. Every sector trailer: key A FF FF FF FF FF FF, access
 *   bits FF 07 80 69 (transport configuration), key B FF..FF. Access bits
 *   are stored, not enforced: after authentication with key A or key B,
 *   every block of the sector reads and writes (but block 0); key A reads
 *   back as zeros, as on the real card.
 *   Ultralight: 16 pages of 4 bytes: page 0 UID0-2 BCC0, page 1 UID3-6,
 *   page 2 BCC1 48 00 00 (internal, lock bytes), page 3 OTP 00 00 00 00,
 *   pages 4-15 zeros. Pages 0-1 are read-only; writing page 2 ORs the lock
 *   bytes in, page 3 ORs the OTP bits (lock bits are not enforced).
 * Default UIDs: Classic 1K/4K 12 34 56 78; Ultralight and iso14443-4
 * 04 A1 B2 C3 D4 E5 F6 (7 bytes, NXP manufacturer 04).
 */
#ifndef CCIDKIT_VR_CTLS_H
#define CCIDKIT_VR_CTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/vr_card.h"

#define VR_CTLS_UID_MAX 10

struct vr_ctls;

struct vr_ctls *vr_ctls_new(void);
void vr_ctls_free(struct vr_ctls **ctls);

/* A UID fits a card: 4 or 7 bytes for MIFARE Classic and iso14443-4, 7 for
 * Ultralight. */
bool vr_ctls_uid_ok(enum vr_ctls_type type, size_t uid_len);

/* A card entered the field: a different card (or a new UID) gets a fresh
 * memory image; the same card keeps its memory. uid_len 0 = the default
 * UID. Authentication is dropped either way. */
void vr_ctls_tap(struct vr_ctls *ctls, const struct vr_card *card,
		 const uint8_t *uid, size_t uid_len);

/* PowerOn (the reader re-activates the card): authentication is lost. */
void vr_ctls_activate(struct vr_ctls *ctls);

/* Answer one APDU to the card in the field (response data + SW). 0, or
 * -ENOSPC when cap is too small, -EINVAL without a card. */
int vr_ctls_process(struct vr_ctls *ctls, const uint8_t *apdu, size_t len,
		    uint8_t *resp, size_t cap, size_t *resp_len);

#endif
