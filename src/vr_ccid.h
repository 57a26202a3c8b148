/* ccidkit — the virtual reader's CCID model (sans-I/O).
 *
 * Fed bulk-OUT data (one PC_to_RDR message, possibly split over several
 * 64-byte packets), it queues the RDR_to_PC bulk-IN answers; card insertion
 * and removal queue RDR_to_PC_NotifySlotChange interrupt messages. No
 * sockets, no clocks: the USB layer (vr_usb.c) moves the bytes.
 *
 * The encoding here is written from CCID 1.1 directly and deliberately shares
 * nothing with ccid/msg.c, so tests of the driver against this reader never
 * check code against itself.
 */
#ifndef CCIDKIT_VR_CCID_H
#define CCIDKIT_VR_CCID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/vr_card.h"
#include "src/vr_ctls.h"
#include "src/vr_pinpad.h"
#include "src/vr_tpdu.h"

#define VR_CCID_MAX_SLOTS 8
#define VR_CCID_HDR 10
#define VR_CCID_CLASS_DESC_LEN 54
/* Longest extended APDU: 4 + 3 + 65535 + 2 bytes (ISO 7816-4 §5.1). */
#define VR_CCID_APDU_MAX (4 + 3 + 65535 + 2)
/* Bulk packet size of the endpoints: full speed. */
#define VR_CCID_PACKET 64

/* dwFeatures exchange level bits (CCID 1.1 §5.1). */
enum vr_level {
	VR_LEVEL_CHARACTER = 0x00000000,	/* XfrBlock fails, bError 0 */
	VR_LEVEL_TPDU = 0x00010000,
	VR_LEVEL_SHORT = 0x00020000,
	VR_LEVEL_EXTENDED = 0x00040000,
};

/* CCID 1.1 §6.2.6 bError values used by the model. */
enum {
	VR_ERR_CMD_NOT_SUPPORTED = 0x00,
	VR_ERR_BAD_LENGTH = 0x01,
	VR_ERR_BAD_SLOT = 0x05,
	/* bError 1..0x7F is the offset of the offending header byte */
	VR_ERR_BAD_POWERSELECT = 0x07,
	VR_ERR_BAD_PROTOCOLNUM = 0x07,
	VR_ERR_BAD_CLOCKCOMMAND = 0x07,
	VR_ERR_BAD_LEVEL_PARAMETER = 0x08,
	VR_ERR_ICC_CLASS_NOT_SUPPORTED = 0xF5,
	VR_ERR_PROCEDURE_BYTE_CONFLICT = 0xF4,
	VR_ERR_HW_ERROR = 0xFB,
	VR_ERR_XFR_OVERRUN = 0xFC,
	VR_ERR_ICC_MUTE = 0xFE,
	VR_ERR_CMD_ABORTED = 0xFF,
};

/* Reader models. */
enum vr_reader {
	VR_READER_CONTACT = 0,	/* the test cards, no PIN pad */
	/* PC/SC Part 3 firmware (vr_ctls.h): CLA FF pseudo-APDUs, the
	 * synthesised ATRs of the contactless cards; APDU levels only */
	VR_READER_CONTACTLESS,
	/* bPINSupport 03, wLcdLayout: PC_to_RDR_Secure (vr_pinpad.h); APDU
	 * levels only */
	VR_READER_PINPAD,
};

struct vr_ccid_config {
	enum vr_reader reader;
	unsigned nslots;			/* 1..8 */
	enum vr_level level;
	uint32_t dwMaxCCIDMessageLength;	/* 64..65554; >= 271 for APDU levels */
	bool auto_voltage;			/* dwFeatures 0x08 */
	/* Lowest bPowerSelect class the card accepts: 1 (5 V, any), 2 (3 V),
	 * 3 (1.8 V). A PowerOn asking for a lower class number (a higher
	 * voltage) fails with ICC_CLASS_NOT_SUPPORTED. */
	unsigned card_class;
	unsigned time_extension;		/* interim replies before each XfrBlock answer */
	const struct vr_card *start_card;	/* in every slot at start, or NULL */
	const struct vr_card *insert_card;	/* what `insert` puts in */
	/* TPDU level (vr_tpdu.h) */
	unsigned ifsc;			/* T=1 card's IFSC in TA3, 1..254; 0 = 254 */
	bool t1_crc;			/* T=1 card's EDC is CRC: TC3 = 01 */
	bool no_envelope;		/* T=0 card answers ENVELOPE with 6D 00 */
	/* dwFeatures switches (CCID 1.1 §5.1) */
	bool no_auto_pps;		/* clear 0x80: the host sends PPS itself */
	bool no_auto_param;		/* clear 0x02: no parameters from the ATR */
	bool auto_negotiate;		/* set 0x40: reader negotiates everything */
	bool auto_ifsd;			/* set 0x400: reader sends S(IFS) itself */
	struct vr_faults faults;	/* initial fault plan, counted down */
	/* contactless: the card's UID, 0 bytes = its default (vr_ctls.h) */
	uint8_t uid[VR_CTLS_UID_MAX];
	size_t uid_len;
	/* PIN pad */
	uint16_t wLcdLayout;		/* 0 = 0x0210 (2 lines of 16) */
	struct vr_pinpad_user user;
	/* PC_to_RDR_Escape answered (else bError 0): `01` -> the ASCII
	 * firmware version VR_CCID_FIRMWARE; anything else -> EC + the data */
	bool escape;
};

#define VR_CCID_FIRMWARE "ccidkit-vreader 1"
#define VR_CCID_ESCAPE_ECHO 0xEC

struct vr_ccid;

/* Checks the configuration; NULL with *err (negative errno) on failure. */
struct vr_ccid *vr_ccid_new(const struct vr_ccid_config *cfg, int *err);
void vr_ccid_free(struct vr_ccid **ccid);
const struct vr_ccid_config *vr_ccid_config(const struct vr_ccid *ccid);

/* The 54-byte CCID class descriptor (CCID 1.1 §5.1) for this configuration. */
void vr_ccid_class_descriptor(const struct vr_ccid *ccid,
			      uint8_t out[VR_CCID_CLASS_DESC_LEN]);

/* A new host: power every slot down, drop partial messages, queued answers,
 * chaining state and queued interrupts; card presence is kept. */
void vr_ccid_reset(struct vr_ccid *ccid);

/* One bulk-OUT transfer (or one packet of it). Answers are queued. A chunk
 * that leaves the message incomplete is kept only if its length is a
 * multiple of the 64-byte packet size (USB: a short packet ends the
 * transfer); otherwise the message is answered with bError 1. */
void vr_ccid_bulk_out(struct vr_ccid *ccid, const uint8_t *data, size_t len);

/* Bytes of the first queued bulk-IN message not yet read (0 = none). */
size_t vr_ccid_bulk_in_pending(const struct vr_ccid *ccid);
/* Copy up to cap bytes of the first queued bulk-IN message; the rest of a
 * longer message stays for the next read. Returns the number copied. */
size_t vr_ccid_bulk_in(struct vr_ccid *ccid, uint8_t *buf, size_t cap);

/* Insert a card (NULL = the configured insert card) / remove it. Queue a
 * NotifySlotChange. -EINVAL for a bad slot, -EALREADY when nothing changes
 * (no notification then). Removing a card powers it down. */
int vr_ccid_insert(struct vr_ccid *ccid, unsigned slot, const struct vr_card *card);
int vr_ccid_remove(struct vr_ccid *ccid, unsigned slot);
bool vr_ccid_present(const struct vr_ccid *ccid, unsigned slot);
bool vr_ccid_powered(const struct vr_ccid *ccid, unsigned slot);

/* Length of a NotifySlotChange: 1 + ceil(2 * nslots / 8) (CCID 1.1 §6.3.1). */
size_t vr_ccid_notify_len(const struct vr_ccid *ccid);
/* Pop the first queued interrupt message; returns its length, 0 if none. */
size_t vr_ccid_interrupt(struct vr_ccid *ccid, uint8_t *buf, size_t cap);
/* The message for a host that just started listening: drops the queue and
 * returns current presence with the changed bit of every occupied slot. */
size_t vr_ccid_interrupt_initial(struct vr_ccid *ccid, uint8_t *buf, size_t cap);

/* Arm one more fault (a `--fault` SPEC) now: 0 or -EINVAL. */
int vr_ccid_add_fault(struct vr_ccid *ccid, const char *spec);
/* Count fault k down if armed (the USB layer's faults: split, stall). */
bool vr_ccid_fault_take(struct vr_ccid *ccid, enum vr_fault_kind k);
/* True once when the disconnect-after fault fired: drop the connection. */
bool vr_ccid_take_disconnect(struct vr_ccid *ccid);

/* Class-specific control request (CCID 1.1 §5.3): bRequest 1 ABORT (no data),
 * 2 GET_CLOCK_FREQUENCIES, 3 GET_DATA_RATES (data into out, at most cap bytes).
 * Returns 0, or -EINVAL for anything else (the USB layer stalls). */
int vr_ccid_control(struct vr_ccid *ccid, uint8_t bRequest, uint16_t wValue,
		    uint8_t *out, size_t cap, size_t *out_len);

#endif
