/* ccidkit — fuzz target: the layered CCID traffic decoder (ccid/decode.h)
 * behind `ccidkit decode` and the live trace, driven like a capture
 * drives it: a sequence of messages in both directions, so that its
 * state (exchange level, per-slot protocol, T=1 and extended-APDU
 * reassembly, bSeq pairing) is exercised.
 * Input: a flags byte (bit 0: a class descriptor follows, 54 bytes;
 * bit 1: show_secrets), then records [dir][len u16 LE][len bytes] with
 * dir % 6: 0 bulk OUT, 1 bulk IN, 2 interrupt, 3 control submission
 * (8-byte setup then data), 4 control completion, 5 a class descriptor
 * learnt late.  Output must be whole lines of NUL-free text. */
#include <string.h>

#include "fuzz/fuzz_util.h"

#include "ccid/decode.h"
#include "ccid/desc.h"
#include "ccid/text.h"

#define MAX_RECORDS 256

static void check_text(struct ccid_text *t)
{
	if (t->len > 0 && !t->oom &&
	    (t->buf == NULL || t->buf[t->len] != '\0' ||
	     strlen(t->buf) != t->len || t->buf[t->len - 1] != '\n'))
		abort();
	if (fuzz_verbose() && t->len > 0)
		fputs(t->buf, stderr);
	ccid_text_clear(t);
}

static void feed(struct ccid_decoder *d, uint8_t dir, const uint8_t *m,
		 size_t len, struct ccid_text *t)
{
	static const uint8_t zero[8];
	const uint8_t *setup = len >= 8 ? m : zero;
	size_t dlen = len >= 8 ? len - 8 : 0;

	switch (dir % 6) {
	case 0:
	case 1:
		ccid_decode_bulk(d, dir % 6 == 0, m, len, t);
		break;
	case 2:
		ccid_decode_intr(d, m, len, t);
		break;
	case 3:
	case 4:
		ccid_decode_control(d, setup, dlen ? m + 8 : NULL, dlen,
				    dir % 6 == 4, t);
		break;
	default:
		ccid_decoder_set_desc(d, m, len);
		break;
	}
	check_text(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ccid_decode_opts opts = { .show_secrets = false };
	struct ccid_decoder *d = NULL;
	struct ccid_text t;
	struct fuzz_in in;
	const uint8_t *desc = NULL, *m;
	uint8_t *copy;
	size_t dlen = 0, len;
	uint8_t flags, dir;

	fuzz_in_init(&in, data, size);
	flags = fuzz_u8(&in);
	opts.show_secrets = flags & 2;
	if (flags & 1)
		desc = fuzz_bytes(&in, CCID_DESC_LEN, &dlen);
	copy = fuzz_dup(desc, dlen);
	if (ccid_decoder_new(copy, dlen, &opts, &d) != 0 || d == NULL)
		abort(); /* CCID_E_NOMEM is the only documented failure */
	free(copy);
	ccid_text_init(&t);
	for (int r = 0; r < MAX_RECORDS && in.left > 0; r++) {
		dir = fuzz_u8(&in);
		m = fuzz_bytes(&in, fuzz_u16(&in), &len);
		copy = fuzz_dup(m, len);
		feed(d, dir, copy, len, &t);
		free(copy);
	}
	ccid_text_free(&t);
	ccid_decoder_free(&d);
	if (d != NULL)
		abort();
	return 0;
}
