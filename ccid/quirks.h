/* ccidkit — reader quirks as data (DESIGN.md "Quirks are data"): one table
 * keyed by VID:PID and a bcdDevice range, giving flags.  Code asks for a
 * flag; it never tests a readerID itself.  Facts from
 * research/readers.md (libccid's observed quirks) and the reader lists
 * of libccid's readers/ folder (IDs only). */
#ifndef CCID_QUIRKS_H
#define CCID_QUIRKS_H

#include <stdint.h>

/* The reader's firmware implements PC/SC Part 3: it answers CLA = FF
 * pseudo-APDUs (GET DATA, LOAD KEYS, GENERAL AUTHENTICATE, READ/UPDATE
 * BINARY...) itself, so pseudo_apdu.c passes them through.  Contactless
 * readers (ccid-spec.md §7, §8). */
#define CCID_QUIRK_PART3_FIRMWARE   (1u << 0)
/* Answers slowly while it opens: GetSlotStatus may take up to 1 s with no
 * tag on the field (ACR122U, Elatec TWN4), ~350 ms for SCL011 and uTrust
 * 3700F/3701F/4701F; libccid multiplies its read timeout during open. */
#define CCID_QUIRK_SLOW_OPEN        (1u << 1)
/* bPINSupport must be taken as 0: the reader announces a PIN pad it has
 * not got, or one that leaks the PIN to the host (HP keyboards). */
#define CCID_QUIRK_NO_PINPAD        (1u << 2)
/* The firmware chains responses although it announces short APDU level:
 * drive it at the extended APDU level. */
#define CCID_QUIRK_FORCE_EXTENDED   (1u << 3)
/* The firmware announces extended APDUs but does not really do them:
 * drive it at the short APDU level (Kobil TriBank). */
#define CCID_QUIRK_FORCE_SHORT      (1u << 4)
/* The card/reader dislikes the S(IFS request): behave as if dwFeatures
 * had CCID_FEAT_AUTO_IFSD (SafeNet eToken 5100 firmware 0.12/0.13). */
#define CCID_QUIRK_NO_IFSD_REQUEST  (1u << 5)
/* PC_to_RDR_Escape is always allowed (needed to talk to the reader with
 * no card: HID OMNIKEY 5427 CK). */
#define CCID_QUIRK_ESCAPE_ALLOWED   (1u << 6)
/* Firmware known to be broken (libccid's bogus-firmware list, ccid_usb.c):
 * libccid refuses these versions unless told otherwise. */
#define CCID_QUIRK_BOGUS_FIRMWARE   (1u << 7)
/* Must not be autosuspended: fails after USB autosuspend (udev rule). */
#define CCID_QUIRK_NO_AUTOSUSPEND   (1u << 8)
/* Firmware 2.00 sends zero-length packets on USB 3 ports. */
#define CCID_QUIRK_ZLP              (1u << 9)

/* VID:PID of the virtual reader's contactless model (pid.codes test
 * PID 0002; the contact model is 1209:0001). */
#define CCID_VREADER_CTLS_VID 0x1209u
#define CCID_VREADER_CTLS_PID 0x0002u

/* The flags of every table row that matches vid:pid with bcd in its
 * bcdDevice range, OR-ed together; 0 for an unknown reader. */
uint32_t ccid_quirks_lookup(uint16_t vid, uint16_t pid, uint16_t bcd);

/* "PART3_FIRMWARE", ... for one flag bit; NULL for an unknown bit. */
const char *ccid_quirk_name(uint32_t flag);

#endif
