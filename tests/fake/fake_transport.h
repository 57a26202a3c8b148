/* ccidkit tests — a scripted transport (the "chat" idea from libusb's
 * tests): the test writes the whole conversation as an array of steps,
 * bytes as hex strings ("62 00 00 00 00 00 01 01 00 00"; spaces ignored).
 *
 *  FAKE_OUT(hex)            the next op must be bulk_out of exactly these bytes
 *  FAKE_IN(hex)             the next op must be bulk_in; it receives these bytes
 *  FAKE_IN_SPLIT(hex, n)    as FAKE_IN, delivered as two transfers: the first
 *                           n bytes, then the rest (a short read)
 *  FAKE_CONTROL(t, r, v)    the next op must be control(bmRequestType t,
 *                           bRequest r, wValue v); it succeeds
 *  FAKE_FAULT(err)          the next op, whatever it is, fails with err at
 *                           once (CCID_E_TIMEOUT returns without sleeping;
 *                           CCID_E_NO_DEVICE sticks: every later op gets it)
 *  FAKE_INTR(hex)           deliver this interrupt-IN message to the
 *                           registered callback (hex NULL: the (NULL, 0)
 *                           "device gone" call); delivered when the script
 *                           reaches it, i.e. before the next op or at
 *                           fake_transport_pump()
 *
 * Any op that differs from the script, or an op after its end, fails the
 * running cmocka test with both byte strings shown.  fake_transport_done()
 * asserts that the whole script was consumed.
 *
 * Unlike real transports, close() does not free: the test owns the fake
 * (fake_transport_free) so it can check the script after the reader let
 * go of it, and whether the reader closed it. */
#ifndef CCID_TESTS_FAKE_TRANSPORT_H
#define CCID_TESTS_FAKE_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccid/transport.h"

enum fake_kind {
	FAKE_K_OUT = 1,
	FAKE_K_IN,
	FAKE_K_CONTROL,
	FAKE_K_FAULT,
	FAKE_K_INTR,
};

struct fake_step {
	enum fake_kind kind;
	const char *hex;       /* OUT / IN / INTR */
	size_t split;          /* IN: first transfer size, 0 = whole */
	uint8_t bmRequestType; /* CONTROL */
	uint8_t bRequest;
	uint16_t wValue;
	int err;               /* FAULT */
};

#define FAKE_OUT(h) { .kind = FAKE_K_OUT, .hex = (h) }
#define FAKE_IN(h) { .kind = FAKE_K_IN, .hex = (h) }
#define FAKE_IN_SPLIT(h, n) { .kind = FAKE_K_IN, .hex = (h), .split = (n) }
#define FAKE_CONTROL(t, r, v) \
	{ .kind = FAKE_K_CONTROL, .bmRequestType = (t), .bRequest = (r), \
	  .wValue = (v) }
#define FAKE_FAULT(e) { .kind = FAKE_K_FAULT, .err = (e) }
#define FAKE_INTR(h) { .kind = FAKE_K_INTR, .hex = (h) }

struct fake_transport {
	struct ccid_transport base; /* first: the reader sees only this */
	const struct fake_step *script;
	size_t nsteps;
	size_t pos;        /* next step */
	size_t in_off;     /* bytes of script[pos] (IN) already delivered */
	bool gone;         /* a NO_DEVICE fault happened */
	bool closed;       /* the owner called close() */
	bool intr_running;
	ccid_intr_cb cb;
	void *cb_arg;
	unsigned ops;      /* bulk/control ops seen */
	uint64_t last_in_deadline; /* deadline of the latest bulk_in */
	/* fake_transport_claimable(): */
	bool claimable;    /* ops has claim/release */
	bool claimed;      /* between a successful claim and a release */
	unsigned claims;   /* successful claim calls */
	unsigned releases; /* release calls (also of an unclaimed interface) */
	int claim_err;     /* != 0: claim fails with it (and stays unclaimed) */
};

/* A fake with default USB info (VID:PID 08e6:3437, strings "Fake" /
 * "Reader", no interrupt pipe) and the given class descriptor. */
struct fake_transport *fake_transport_new(const uint8_t *class_desc,
					  size_t len);
/* Opt in to claim/release (transport.h): the fake's ops gain both,
 * counted in claims/releases; a second claim while claimed, and any
 * bulk, control or intr_start while NOT claimed, fail the running test.
 * close() lets go of a claimed interface like a real transport. */
void fake_transport_claimable(struct fake_transport *f);
/* Replace the script (resets the position). */
void fake_transport_script(struct fake_transport *f,
			   const struct fake_step *steps, size_t n);
#define FAKE_SCRIPT(f, steps) \
	fake_transport_script((f), (steps), sizeof(steps) / sizeof((steps)[0]))
/* Deliver the FAKE_INTR steps at the current script position. */
void fake_transport_pump(struct fake_transport *f);
/* Assert that every step was consumed. */
void fake_transport_done(struct fake_transport *f);
void fake_transport_free(struct fake_transport **f);

/* A plausible CCID class descriptor (CCID 1.1 §5.1, 54 bytes) for tests:
 * bcdCCID 1.10, T=0 and T=1, 4 MHz, 10752 bps, dwMaxIFSD 254,
 * bClassGetResponse/bClassEnvelope FF, bMaxCCIDBusySlots 1; the rest as
 * given.  Tests that need other values patch the bytes afterwards. */
struct fake_desc {
	uint8_t bMaxSlotIndex;
	uint8_t bVoltageSupport;
	uint32_t dwFeatures;
	uint32_t dwMaxCCIDMessageLength;
	uint8_t bPINSupport;
	uint16_t wLcdLayout;
};
void fake_desc_build(uint8_t d[54], const struct fake_desc *o);
/* Little-endian store, for patching descriptors and messages. */
void fake_put32(uint8_t *p, uint32_t v);

/* Hex string → bytes (cmocka-fails on a bad string); returns the length. */
size_t fake_hex(const char *hex, uint8_t *out, size_t cap);

#endif
