/* ccidkit — the virtual reader's built-in test cards (see vr_card.h). */
#include "config.h"
#include "src/vr_card.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

/* ISO 7816-3 §8.2: T0 = 0x88 (TD1 present, 8 historical bytes), TD1 = 0x81
 * (TD2 present, T=1), TD2 = 0x31 (TA3, TB3 present, T=1), TA3 = 0xFE
 * (IFSC 254), TB3 = 0x45 (BWI 4, CWI 5), "ccidkit1", TCK. TCK is present
 * because a protocol other than T=0 is offered; it makes the XOR of T0..TCK
 * zero, so TCK = XOR(88 81 31 FE 45 'c' 'c' 'i' 'd' 'k' 'i' 't' '1') = C9. */
static const uint8_t atr_t1[] = {
	0x3B, 0x88, 0x81, 0x31, 0xFE, 0x45,
	0x63, 0x63, 0x69, 0x64, 0x6B, 0x69, 0x74, 0x31, 0xC9,
};

/* T0 = 0x08: no interface bytes (so T=0 only), 8 historical bytes
 * "ccidkit0"; ISO 7816-3 §8.2.5: no TCK when only T=0 is indicated. */
static const uint8_t atr_t0[] = {
	0x3B, 0x08, 0x63, 0x63, 0x69, 0x64, 0x6B, 0x69, 0x74, 0x30,
};

/* CCID 1.1 §6.1.7 abProtocolDataStructure. T=1: Fi/Di default (no TA1),
 * LRC + direct convention, no extra guard time, TB3 = 0x45, no clock stop,
 * IFSC from TA3, NAD 0. T=0: defaults, WI 10. */
static const uint8_t params_t1[7] = { 0x11, 0x10, 0x00, 0x45, 0x00, 0xFE, 0x00 };
static const uint8_t params_t0[5] = { 0x11, 0x00, 0x00, 0x0A, 0x00 };

const uint8_t vr_card_aid[8] = { 0xF0, 0x63, 0x63, 0x69, 0x64, 0x6B, 0x69, 0x74 };

/* One command APDU split per ISO 7816-4 §5.1. */
struct apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;
	size_t nc;		/* Nc, 0 when absent */
	size_t ne;		/* Ne, 0 when Le is absent */
	bool has_le;
	bool extended;
};

/* Cases 2E/3E/4E: byte 4 is 00 and at least two more bytes follow. */
static bool apdu_parse_extended(const uint8_t *b, size_t len, struct apdu *a)
{
	size_t n = (size_t)b[5] << 8 | b[6];

	a->extended = true;
	if (len == 7) {			/* case 2E */
		a->has_le = true;
		a->ne = n ? n : 65536;
		return true;
	}
	if (n == 0)			/* Lc 0000 does not exist */
		return false;
	a->nc = n;
	a->data = b + 7;
	if (len == 7 + n)		/* case 3E */
		return true;
	if (len == 9 + n) {		/* case 4E */
		n = (size_t)b[len - 2] << 8 | b[len - 1];
		a->has_le = true;
		a->ne = n ? n : 65536;
		return true;
	}
	return false;
}

/* ISO 7816-4 §5.1: decode the body; false when the lengths are malformed. */
static bool apdu_parse(const uint8_t *b, size_t len, struct apdu *a)
{
	memset(a, 0, sizeof(*a));
	if (len < 4)
		return false;
	a->cla = b[0];
	a->ins = b[1];
	a->p1 = b[2];
	a->p2 = b[3];
	if (len == 4)			/* case 1 */
		return true;
	if (len == 5) {			/* case 2S */
		a->has_le = true;
		a->ne = b[4] ? b[4] : 256;
		return true;
	}
	if (b[4] == 0)
		return len >= 7 && apdu_parse_extended(b, len, a);
	a->nc = b[4];
	a->data = b + 5;
	if (len == 5 + a->nc)		/* case 3S */
		return true;
	if (len == 6 + a->nc) {		/* case 4S */
		a->has_le = true;
		a->ne = b[len - 1] ? b[len - 1] : 256;
		return true;
	}
	return false;
}

static int no_space(size_t *resp_len)
{
	*resp_len = 0;
	return -ENOSPC;
}

static int put_sw(uint8_t *resp, size_t cap, size_t n, uint16_t sw,
		  size_t *resp_len)
{
	if (cap < n + 2)
		return no_space(resp_len);
	resp[n] = sw >> 8;
	resp[n + 1] = sw & 0xFF;
	*resp_len = n + 2;
	return 0;
}

/* Fill with random bytes: getrandom, falling back to /dev/urandom. */
static int fill_random(uint8_t *buf, size_t n)
{
	size_t off = 0;

	while (off < n) {
		ssize_t r = getrandom(buf + off, n - off, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	if (off < n) {
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			return -EIO;
		while (off < n) {
			ssize_t r = read(fd, buf + off, n - off);

			if (r <= 0) {
				close(fd);
				return -EIO;
			}
			off += (size_t)r;
		}
		close(fd);
	}
	return 0;
}

static size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* The proprietary class 80 instructions. */
static int card_cla80(const struct apdu *a, uint8_t *resp, size_t cap,
		      size_t *resp_len)
{
	size_t n;

	switch (a->ins) {
	case 0x10:	/* ECHO */
		if (a->p1 || a->p2)
			return put_sw(resp, cap, 0, 0x6B00, resp_len);
		if (a->nc == 0)
			return put_sw(resp, cap, 0, 0x6700, resp_len);
		n = a->has_le ? min_sz(a->nc, a->ne) : a->nc;
		if (cap < n + 2)
			return no_space(resp_len);
		memmove(resp, a->data, n);
		return put_sw(resp, cap, n, 0x9000, resp_len);
	case 0x12:	/* PATTERN */
		if (a->nc)
			return put_sw(resp, cap, 0, 0x6700, resp_len);
		n = (size_t)a->p1 << 8 | a->p2;
		if (a->has_le)
			n = min_sz(n, a->ne);
		if (cap < n + 2)
			return no_space(resp_len);
		for (size_t i = 0; i < n; i++)
			resp[i] = (uint8_t)i;
		return put_sw(resp, cap, n, 0x9000, resp_len);
	case 0x14:	/* SINK */
		if (a->p1 || a->p2)
			return put_sw(resp, cap, 0, 0x6B00, resp_len);
		if (a->nc == 0 || a->has_le)
			return put_sw(resp, cap, 0, 0x6700, resp_len);
		return put_sw(resp, cap, 0, 0x9000, resp_len);
	case 0x16:	/* NOP */
		if (a->p1 || a->p2)
			return put_sw(resp, cap, 0, 0x6B00, resp_len);
		if (a->nc || a->has_le)
			return put_sw(resp, cap, 0, 0x6700, resp_len);
		return put_sw(resp, cap, 0, 0x9000, resp_len);
	default:
		return put_sw(resp, cap, 0, 0x6D00, resp_len);
	}
}

/* The interindustry class 00 instructions (ISO 7816-4 §11). */
static int card_cla00(const struct apdu *a, uint8_t *resp, size_t cap,
		      size_t *resp_len)
{
	switch (a->ins) {
	case 0x84:	/* GET CHALLENGE: case 2 only */
		if (a->p1 || a->p2)
			return put_sw(resp, cap, 0, 0x6B00, resp_len);
		if (a->nc || !a->has_le)
			return put_sw(resp, cap, 0, 0x6700, resp_len);
		if (cap < a->ne + 2)
			return no_space(resp_len);
		if (fill_random(resp, a->ne) < 0)
			return put_sw(resp, cap, 0, 0x6F00, resp_len);
		return put_sw(resp, cap, a->ne, 0x9000, resp_len);
	case 0xA4:	/* SELECT by DF name; an Le (FCI wanted) is tolerated */
		if (a->p1 != 0x04 || a->p2 != 0x00)
			return put_sw(resp, cap, 0, 0x6B00, resp_len);
		if (a->nc == 0)
			return put_sw(resp, cap, 0, 0x6700, resp_len);
		if (a->nc == sizeof(vr_card_aid) &&
		    memcmp(a->data, vr_card_aid, sizeof(vr_card_aid)) == 0)
			return put_sw(resp, cap, 0, 0x9000, resp_len);
		return put_sw(resp, cap, 0, 0x6A82, resp_len);
	default:
		return put_sw(resp, cap, 0, 0x6D00, resp_len);
	}
}

/* Checks go CLA, INS, length structure, then per instruction P1/P2 before
 * the instruction's own length rules. */
static int test_card_process(const struct vr_card *card, const uint8_t *apdu,
			     size_t len, uint8_t *resp, size_t cap,
			     size_t *resp_len)
{
	struct apdu a;

	(void)card;
	if (len >= 1 && apdu[0] != 0x00 && apdu[0] != 0x80)
		return put_sw(resp, cap, 0, 0x6E00, resp_len);
	if (len >= 2 && apdu[0] == 0x80 &&
	    (apdu[1] < 0x10 || apdu[1] > 0x16 || (apdu[1] & 1)))
		return put_sw(resp, cap, 0, 0x6D00, resp_len);
	if (len >= 2 && apdu[0] == 0x00 && apdu[1] != 0x84 && apdu[1] != 0xA4)
		return put_sw(resp, cap, 0, 0x6D00, resp_len);
	if (!apdu_parse(apdu, len, &a))
		return put_sw(resp, cap, 0, 0x6700, resp_len);
	if (a.cla == 0x80)
		return card_cla80(&a, resp, cap, resp_len);
	return card_cla00(&a, resp, cap, resp_len);
}

static const struct vr_card cards[] = {
	{
		.name = "test", .atr = atr_t1, .atr_len = sizeof(atr_t1),
		.protocol = 1, .params = params_t1,
		.params_len = sizeof(params_t1), .process = test_card_process,
	},
	{
		.name = "test-t0", .atr = atr_t0, .atr_len = sizeof(atr_t0),
		.protocol = 0, .params = params_t0,
		.params_len = sizeof(params_t0), .process = test_card_process,
	},
};

const struct vr_card *vr_card_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(cards) / sizeof(cards[0]); i++)
		if (strcmp(cards[i].name, name) == 0)
			return &cards[i];
	return NULL;
}

/* Same layout as atr_t1, TD2 = 0x71 (TA3 TB3 TC3) when TC3 is needed. */
size_t vr_card_t1_atr(unsigned ifsc, bool crc, uint8_t out[VR_CARD_ATR_MAX])
{
	size_t n = 0;
	uint8_t tck = 0;

	out[n++] = 0x3B;
	out[n++] = 0x88;				/* T0 */
	out[n++] = 0x81;				/* TD1: T=1 */
	out[n++] = crc ? 0x71 : 0x31;			/* TD2: T=1 */
	out[n++] = (uint8_t)ifsc;			/* TA3: IFSC */
	out[n++] = 0x45;				/* TB3: BWI 4, CWI 5 */
	if (crc)
		out[n++] = 0x01;			/* TC3: CRC */
	memcpy(out + n, atr_t1 + 6, 8);			/* "ccidkit1" */
	n += 8;
	for (size_t i = 1; i < n; i++)
		tck ^= out[i];
	out[n++] = tck;
	return n;
}

int vr_card_process(const struct vr_card *card, const uint8_t *apdu, size_t len,
		    uint8_t *resp, size_t cap, size_t *resp_len)
{
	if (card == NULL || apdu == NULL || resp == NULL || resp_len == NULL)
		return -EINVAL;
	return card->process(card, apdu, len, resp, cap, resp_len);
}
