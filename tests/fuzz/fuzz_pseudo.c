/* ccidkit fuzzing — CLA FF pseudo-APDU routing (ccid/pseudo_apdu.c, PC/SC
 * Part 3) over a reader scripted by the input (stateful_tp.h), with the
 * APDUs from the input too: driver answers, refusals, pass-through to a
 * Part 3 firmware, ordinary APDUs to the card.
 *
 * Input: APDU list length L (2 bytes, LE), L bytes of APDUs (a length byte
 * and that many bytes each, at most 16 used), then the transport's input
 * (stateful_tp.h).  Flags bits 1-2 pick the slot, bit 3 the protocol, bit
 * 5 makes the reader an ACR122U (quirk PART3_FIRMWARE: CLA FF goes to the
 * reader), bit 6 skips the power-on (refusals of an unpowered card). */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccid/clock.h"
#include "ccid/pseudo_apdu.h"
#include "ccid/reader.h"
#include "ccid/slot.h"
#include "stateful_tp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_BUDGET_MS 2000u
#define MAX_APDUS 16

static void run_apdus(struct ccid_reader *r, unsigned slot,
		      const uint8_t *list, size_t len, uint64_t dl)
{
	static uint8_t resp[65536 + 2];
	unsigned count = 0;
	size_t rlen, n;

	while (len > 0 && count++ < MAX_APDUS) {
		n = list[0];
		list++;
		len--;
		if (n > len)
			n = len;
		/* every other APDU gets a 2-byte buffer: overflow paths */
		fz_say("pseudo_transmit",
		       ccid_pseudo_transmit(r, slot, list, n, resp,
					    (count & 1) ? sizeof(resp) : 2,
					    &rlen, dl));
		list += n;
		len -= n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ccid_reader *r = NULL;
	struct fz_tp *f;
	const uint8_t *list;
	uint8_t atr[CCID_ATR_MAX], flags;
	size_t llen, atr_len;
	unsigned slot;
	uint64_t dl;
	int rc;

	if (size < 2)
		return 0;
	llen = (size_t)(data[0] | data[1] << 8);
	if (size < 2 + llen)
		return 0;
	list = data + 2;
	f = fz_tp_new(data + 2 + llen, size - 2 - llen);
	if (f == NULL)
		return 0;
	flags = data[2 + llen];
	if (flags & 0x20) {
		f->base.info.idVendor = 0x072F; /* ACS ACR122U PICC */
		f->base.info.idProduct = 0x2200;
	}
	slot = (flags >> 1) & 3;
	dl = ccid_deadline_in(FZ_BUDGET_MS);
	rc = ccid_reader_new(&f->base, dl, &r);
	fz_say("reader_new", rc);
	if (rc != CCID_OK)
		return 0;
	if (!(flags & 0x40)) {
		fz_say("power_on", ccid_slot_power_on(r, slot, atr, sizeof(atr),
						      &atr_len, dl));
		fz_say("set_protocol",
		       ccid_slot_set_protocol(r, slot, (flags >> 3) & 1, dl));
	}
	run_apdus(r, slot, list, llen, dl);
	ccid_reader_unref(&r);
	return 0;
}
