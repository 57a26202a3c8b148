/* ccidkit fuzzing — the T=0 mapping of APDUs onto TPDUs (ccid/t0.c,
 * ISO 7816-4 §5.3) against a reader whose every TPDU response comes from
 * the input: 61xx / 6Cxx dialogues, ENVELOPE, short and lying answers.
 *
 * Input: CLA of GET RESPONSE, CLA of ENVELOPE, flags (bit 0: a 4-byte
 * response buffer), APDU length (2 bytes, LE), the APDU, then one
 * response per TPDU: a length byte and that many bytes (0xFD: the length
 * follows in 2 bytes LE; 0xFE: CCID_E_IO; 0xFF: CCID_E_TIMEOUT).  When the
 * input ends every TPDU times out. */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ccid/err.h"
#include "ccid/t0.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct rdr {
	const uint8_t *p;
	size_t n;
	unsigned calls;
};

/* A 65536-byte response in 61xx pieces of 1 byte is the longest honest
 * dialogue; more calls than that is a loop. */
#define MAX_CALLS 70000u

static bool take(struct rdr *r, size_t *v, size_t width)
{
	if (r->n < width)
		return false;
	*v = width == 1 ? r->p[0] : (size_t)(r->p[0] | r->p[1] << 8);
	r->p += width;
	r->n -= width;
	return true;
}

static int rdr_xfer(void *arg, const uint8_t *tpdu, size_t len,
		    uint8_t *resp, size_t cap, size_t *resp_len)
{
	struct rdr *r = arg;
	size_t n;

	(void)tpdu;
	*resp_len = 0;
	/* a TPDU is a 5-byte header plus at most 255 bytes (§5.3) */
	if (len < 5 || len > 5 + 255)
		__builtin_trap();
	if (++r->calls > MAX_CALLS)
		__builtin_trap();
	if (!take(r, &n, 1))
		return CCID_E_TIMEOUT;
	if (n == 0xFF)
		return CCID_E_TIMEOUT;
	if (n == 0xFE)
		return CCID_E_IO;
	if (n == 0xFD && !take(r, &n, 2))
		return CCID_E_TIMEOUT;
	if (n > r->n)
		n = r->n;
	if (n > cap)
		return CCID_E_OVERFLOW;
	memcpy(resp, r->p, n);
	*resp_len = n;
	r->p += n;
	r->n -= n;
	return CCID_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t resp[65536 + 2];
	struct rdr r = { 0 };
	size_t alen, rlen = 0, cap;
	int rc;

	if (size < 5)
		return 0;
	alen = (size_t)(data[3] | data[4] << 8);
	if (size < 5 + alen)
		return 0;
	r.p = data + 5 + alen;
	r.n = size - 5 - alen;
	cap = (data[2] & 1) ? 4 : sizeof(resp);
	rc = ccid_t0_transceive(rdr_xfer, &r, data[0], data[1], data + 5,
				alen, resp, cap, &rlen);
	if (rc == CCID_OK && (rlen > cap || rlen < 2))
		__builtin_trap(); /* a response always ends with SW1 SW2 */
	if (rc > 0 || rc < CCID_E_LAST)
		__builtin_trap();
	return 0;
}
