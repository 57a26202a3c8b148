/* ccidkit fuzzing — the slot engine (ccid/slot.c, reader.c) against a
 * reader whose every reply comes from the input (stateful_tp.h): open the
 * reader, power the card, select T=0 or T=1, exchange short and extended
 * APDUs, an escape, power off (twice).  Every path must end in a clean
 * ccid_err, with nothing leaked.
 *
 * Input: as stateful_tp.h; its flags byte also picks the slot (bits 1-2;
 * 2 and 3 are out of range for one-slot readers) and the protocol of the
 * first and second power-up (bits 3 and 4: T=1 when set). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "ccid/clock.h"
#include "ccid/desc.h"
#include "ccid/reader.h"
#include "ccid/slot.h"
#include "stateful_tp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* No op of the fuzzed transport waits, so the deadline only bounds time
 * extensions (bmCommandStatus 2) the input asks for. */
#define FZ_BUDGET_MS 2000u

static const uint8_t apdu_case1[] = { 0x00, 0x70, 0x00, 0x00 };
static const uint8_t apdu_case2[] = { 0x00, 0xB0, 0x00, 0x00, 0x10 };
static const uint8_t apdu_case3[] = { 0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F, 0x00 };
static const uint8_t apdu_case4[] = { 0x00, 0xA4, 0x04, 0x0C, 0x02, 0x3F, 0x00,
				      0x00 };
static const uint8_t apdu_le256[] = { 0x00, 0xCA, 0x01, 0x02, 0x00 };

/* Extended case 4: Lc = 300, Le = 65536 (ISO 7816-4 §5.1). */
static size_t apdu_ext(uint8_t *a)
{
	size_t n = 0;

	a[n++] = 0x00;
	a[n++] = 0xD6;
	a[n++] = 0x00;
	a[n++] = 0x00;
	a[n++] = 0x00;
	a[n++] = 0x01;
	a[n++] = 0x2C;
	for (unsigned i = 0; i < 300; i++)
		a[n++] = (uint8_t)i;
	a[n++] = 0x00;
	a[n++] = 0x00;
	return n;
}

static void exchange(struct ccid_reader *r, unsigned slot, uint64_t dl)
{
	static uint8_t resp[65538 + 2];
	uint8_t ext[320], esc[4] = { 0x01, 0x02, 0x03, 0x04 }, out[64];
	size_t rlen;

	fz_say("transmit case 1",
	       ccid_slot_transmit(r, slot, apdu_case1, sizeof(apdu_case1),
				  resp, sizeof(resp), &rlen, dl));
	fz_say("transmit case 2",
	       ccid_slot_transmit(r, slot, apdu_case2, sizeof(apdu_case2),
				  resp, sizeof(resp), &rlen, dl));
	fz_say("transmit case 3",
	       ccid_slot_transmit(r, slot, apdu_case3, sizeof(apdu_case3),
				  resp, sizeof(resp), &rlen, dl));
	/* a small buffer: the overflow path drains the rest */
	fz_say("transmit case 4, cap 4",
	       ccid_slot_transmit(r, slot, apdu_case4, sizeof(apdu_case4),
				  resp, 4, &rlen, dl));
	fz_say("transmit Le 256",
	       ccid_slot_transmit(r, slot, apdu_le256, sizeof(apdu_le256),
				  resp, sizeof(resp), &rlen, dl));
	fz_say("transmit extended",
	       ccid_slot_transmit(r, slot, ext, apdu_ext(ext), resp,
				  sizeof(resp), &rlen, dl));
	fz_say("escape", ccid_slot_escape(r, slot, esc, sizeof(esc), out,
					  sizeof(out), &rlen, dl));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ccid_reader *r = NULL;
	struct ccid_desc d;
	struct fz_tp *f;
	enum ccid_icc_status st;
	uint8_t atr[CCID_ATR_MAX];
	size_t atr_len;
	unsigned slot;
	uint64_t dl;
	int rc;

	f = fz_tp_new(data, size);
	if (f == NULL)
		return 0;
	/* the header's descriptor must at least parse; ccid_reader_new
	 * checks the rest itself */
	if (ccid_desc_parse(f->base.info.class_desc,
			    f->base.info.class_desc_len, &d) != CCID_OK) {
		fz_close(&f->base);
		return 0;
	}
	slot = (data[0] >> 1) & 3; /* 2, 3: out of range for most readers */
	dl = ccid_deadline_in(FZ_BUDGET_MS);
	rc = ccid_reader_new(&f->base, dl, &r);
	fz_say("reader_new", rc);
	if (rc != CCID_OK)
		return 0;
	fz_say("get_status", ccid_slot_get_status(r, slot, &st, dl));
	for (int pass = 0; pass < 2; pass++) {
		rc = ccid_slot_power_on(r, slot, atr, sizeof(atr), &atr_len,
					dl);
		fz_say("power_on", rc);
		if (rc != CCID_OK)
			continue;
		fz_say("set_protocol",
		       ccid_slot_set_protocol(r, slot,
					      (data[0] >> (3 + pass)) & 1, dl));
		exchange(r, slot, dl);
		fz_say("power_off", ccid_slot_power_off(r, slot, dl));
	}
	ccid_reader_unref(&r);
	return 0;
}
