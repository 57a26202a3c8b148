/* ccidkit — where the secrets are in a PC_to_RDR message (secret.h). */
#include "config.h"
#include "ccid/secret.h"

#include <stdbool.h>
#include <string.h>

#include "ccid/msg.h"
#include "ccid/t1.h"

/* ISO 7816-4 §7.5: the commands that carry PINs. */
static bool pin_ins(uint8_t ins)
{
	return ins == 0x20 || ins == 0x21 || ins == 0x24 || ins == 0x2C;
}

/* An APDU header at a (n bytes available): the offset of its command
 * data (ISO 7816-4 §5.1: Lc is one byte, or 00 + two bytes), or 0 when it
 * is no PIN command or carries no data. */
static size_t apdu_data(const uint8_t *a, size_t n)
{
	if (n <= 5 || !pin_ins(a[1]))
		return 0;
	if (a[4] != 0)
		return 5;
	return n > 7 ? 7 : 0;
}

/* A T=1 I-block (PCB bit 8 clear) in d: NAD PCB LEN INF EDC. */
static size_t t1_data(const uint8_t *d, size_t n)
{
	size_t off;

	if (n < 4 || (d[1] & 0x80) != 0 || (size_t)d[2] + 3 >= n)
		return 0;
	off = apdu_data(d + 3, d[2]);
	return off ? 3 + off : 0;
}

size_t ccid_secret_start(enum ccid_level level, int protocol,
			 const uint8_t *msg, size_t len)
{
	const uint8_t *d = msg + CCID_HEADER_LEN;
	size_t n = len - CCID_HEADER_LEN, off;
	unsigned wLevelParameter;

	if (msg == NULL || len <= CCID_HEADER_LEN)
		return 0;
	if (msg[0] == PC_to_RDR_Secure) /* bPINOperation and 3 format bytes */
		return n > 4 ? CCID_HEADER_LEN + 4 : CCID_HEADER_LEN;
	if (msg[0] != PC_to_RDR_XfrBlock)
		return 0;
	if (level == CCID_LEVEL_TPDU) {
		off = protocol == 0 ? 0 : t1_data(d, n);
		if (off == 0 && protocol != 1)
			off = apdu_data(d, n); /* T=0: CLA INS P1 P2 P3 data */
		return off ? CCID_HEADER_LEN + off : 0;
	}
	wLevelParameter = msg[8] | (unsigned)msg[9] << 8;
	if (wLevelParameter > 1)
		return 0;
	off = apdu_data(d, n);
	return off ? CCID_HEADER_LEN + off : 0;
}

/* Recompute the EDC of the T=1 block at d (n bytes): LRC or CRC, the one
 * whose length the block has (ISO 7816-3 §11.4.4). */
static void t1_reseal(uint8_t *d, size_t n)
{
	size_t body = 3u + d[2];

	if (n == body + 1) {
		d[body] = ccid_t1_lrc(d, body);
	} else if (n == body + 2) {
		uint16_t c = ccid_t1_crc(d, body);

		d[body] = (uint8_t)(c >> 8);
		d[body + 1] = (uint8_t)c;
	}
}

bool ccid_secret_mask(enum ccid_level level, int protocol, uint8_t *msg,
		      size_t len)
{
	size_t off = ccid_secret_start(level, protocol, msg, len), end = len;
	uint8_t *d = msg + CCID_HEADER_LEN;
	bool t1;

	if (off == 0)
		return false;
	t1 = level == CCID_LEVEL_TPDU && protocol != 0 &&
	     msg[0] == PC_to_RDR_XfrBlock &&
	     t1_data(d, len - CCID_HEADER_LEN) != 0;
	if (t1)
		end = CCID_HEADER_LEN + 3u + d[2]; /* the EDC stays */
	memset(msg + off, '*', end - off);
	if (t1)
		t1_reseal(d, len - CCID_HEADER_LEN);
	return true;
}
