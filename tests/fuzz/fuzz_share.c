/* ccidkit — fuzz target: the shared state record (ccid/SHARING.md), which
 * any local user can write into the lock directory.  Input: one byte
 * whose value modulo 18 is nslots (0..17: out of range included), then
 * the record (1036 bytes when well formed).  A record that decodes
 * re-encodes to bytes that decode to the same record. */
#include <string.h>

#include "fuzz/fuzz_util.h"

#include "ccid/err.h"
#include "ccid/share.h"

static void check_rec(const struct ccid_share_rec *rec, unsigned nslots)
{
	static uint8_t enc[CCID_SHARE_REC_BYTES], enc2[CCID_SHARE_REC_BYTES];
	struct ccid_share_rec again;

	if (rec->nslots != nslots)
		abort();
	for (unsigned n = 0; n < CCID_MAX_SLOTS; n++) {
		const struct ccid_share_slot *s = &rec->slot[n];

		if (s->atr_len > CCID_ATR_MAX || (s->powered && !s->present))
			abort();
		if (s->proto_valid && (s->protocol > 1 || s->ns > 1 || s->nr > 1))
			abort();
	}
	ccid_share_encode(rec, enc);
	if (ccid_share_decode(enc, sizeof(enc), nslots, &again) != CCID_OK)
		abort();
	ccid_share_encode(&again, enc2);
	if (memcmp(enc, enc2, sizeof(enc)) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ccid_share_rec rec;
	unsigned nslots;
	uint8_t *buf;

	if (size < 1)
		return 0;
	nslots = data[0] % 18u;
	buf = fuzz_dup(data + 1, size - 1);
	if (ccid_share_decode(buf, size - 1, nslots, &rec) == CCID_OK &&
	    size > 1)
		check_rec(&rec, nslots);
	free(buf);
	return 0;
}
