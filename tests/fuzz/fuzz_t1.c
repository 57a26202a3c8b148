/* ccidkit fuzzing — the T=1 engine (ccid/t1.c, ISO 7816-3 §11) against a
 * card whose every block comes from the input, and the block decoder on
 * the raw input.
 *
 * Input: flags (bit 0 CRC, bit 1 negotiate IFSD first, bit 2 a 4-byte
 * response buffer, bit 3 a second APDU on the same state), IFSC, IFSD,
 * APDU length n, n bytes of command APDU, then the card's blocks: a length
 * byte and that many bytes each; length 0xFF means the block was lost
 * (CCID_E_TIMEOUT), 0xFE a transport error (CCID_E_IO).  When the input
 * ends every exchange times out, so the engine's retry budget ends it. */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ccid/err.h"
#include "ccid/t1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct card {
	const uint8_t *p;
	size_t n;
	unsigned calls;
};

/* Far more than the engine's own limits (3 tries × 3 resynchs per
 * block, 65536-byte responses of 1-byte blocks would be the worst). */
#define MAX_CALLS 100000u

static int card_xfer(void *arg, const uint8_t *out, size_t out_len,
		     uint8_t *in, size_t in_cap, size_t *in_len, unsigned wtx)
{
	struct card *c = arg;
	size_t len;

	(void)out;
	(void)wtx;
	*in_len = 0;
	/* the engine must never send more than a whole block */
	if (out_len > CCID_T1_MAX_BLOCK)
		__builtin_trap();
	if (c->n == 0 || ++c->calls > MAX_CALLS)
		return CCID_E_TIMEOUT;
	len = *c->p++;
	c->n--;
	if (len == 0xFF)
		return CCID_E_TIMEOUT;
	if (len == 0xFE)
		return CCID_E_IO;
	if (len > c->n)
		len = c->n;
	if (len > in_cap)
		return CCID_E_OVERFLOW;
	memcpy(in, c->p, len);
	*in_len = len;
	c->p += len;
	c->n -= len;
	return CCID_OK;
}

static void decode_raw(const uint8_t *data, size_t size)
{
	struct ccid_t1_block b;

	for (int crc = 0; crc < 2; crc++)
		if (ccid_t1_block_decode(data, size, crc, &b) == CCID_OK &&
		    b.len > 0 && (b.inf < data || b.inf + b.len > data + size))
			__builtin_trap(); /* INF must lie inside the input */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t resp[65536 + 2];
	struct ccid_t1 t;
	struct card c;
	size_t alen, rlen, cap;
	const uint8_t *apdu;
	uint8_t flags;
	int rc;

	decode_raw(data, size);
	if (size < 4)
		return 0;
	flags = data[0];
	alen = data[3];
	if (size < 4 + alen)
		return 0;
	apdu = data + 4;
	c.p = data + 4 + alen;
	c.n = size - 4 - alen;
	c.calls = 0;
	cap = (flags & 4) ? 4 : sizeof(resp);
	ccid_t1_init(&t, data[1], data[2], flags & 1, 0);
	if (flags & 2)
		ccid_t1_negotiate_ifsd(&t, card_xfer, &c);
	for (int i = 0; i < ((flags & 8) ? 2 : 1); i++) {
		rc = ccid_t1_transceive(&t, card_xfer, &c, apdu, alen, resp,
					cap, &rlen);
		if (rc == CCID_OK && rlen > cap)
			__builtin_trap();
		if (rc > 0 || rc < CCID_E_LAST)
			__builtin_trap();
	}
	return 0;
}
