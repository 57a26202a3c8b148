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

/* PC/SC Part 3 §3.1.3.2.3 ATRs a contactless reader synthesises
 * (ccid-spec.md §7): storage cards 3B 8F 80 01, then the historical bytes
 * 80 4F 0C RID(A0 00 00 03 06) SS=03 (ISO 14443-A part 3) NN NN (card
 * name: 00 01 Classic 1K, 00 02 Classic 4K, 00 03 Ultralight) 00 00 00 00,
 * TCK = XOR of T0..last historical byte. */
#define PART3_STORAGE_ATR(nn, tck) { 0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, \
	0x0C, 0xA0, 0x00, 0x00, 0x03, 0x06, 0x03, 0x00, nn, 0x00, 0x00, \
	0x00, 0x00, tck }
static const uint8_t atr_classic_1k[] = PART3_STORAGE_ATR(0x01, 0x6A);
static const uint8_t atr_classic_4k[] = PART3_STORAGE_ATR(0x02, 0x69);
static const uint8_t atr_ultralight[] = PART3_STORAGE_ATR(0x03, 0x68);
/* ISO 14443-4 type A: 3B 8n 80 01 + the ATS historical bytes ("ccidkit4",
 * vr_card_ats_hist) + TCK = XOR(88 80 01 'ccidkit4') = 46. */
static const uint8_t atr_iso14443_4[] = {
	0x3B, 0x88, 0x80, 0x01,
	0x63, 0x63, 0x69, 0x64, 0x6B, 0x69, 0x74, 0x34, 0x46,
};
const uint8_t vr_card_ats_hist[8] = { 'c', 'c', 'i', 'd', 'k', 'i', 't', '4' };

const uint8_t vr_card_aid[8] = { 0xF0, 0x63, 0x63, 0x69, 0x64, 0x6B, 0x69, 0x74 };

/* Cases 2E/3E/4E: byte 4 is 00 and at least two more bytes follow. */
static bool apdu_parse_extended(const uint8_t *b, size_t len, struct vr_apdu *a)
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
bool vr_apdu_parse(const uint8_t *b, size_t len, struct vr_apdu *a)
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
static int card_cla80(const struct vr_apdu *a, uint8_t *resp, size_t cap,
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

/* The card PIN and its retry counter (see vr_card_set_pin). */
#define PIN_TRIES 3
static char card_pin[13] = "1234";
static unsigned pin_tries = PIN_TRIES;

int vr_card_set_pin(const char *digits)
{
	size_t n;

	if (digits == NULL)
		digits = "1234";
	n = strlen(digits);
	if (n < 4 || n > 12 || strspn(digits, "0123456789") != n)
		return -EINVAL;
	memcpy(card_pin, digits, n + 1);
	pin_tries = PIN_TRIES;
	return 0;
}

/* ISO 9564-1 format 2: 2N, N BCD digits, F nibbles; 8 bytes. */
static bool pin_from_format2(const uint8_t *b, size_t n, char out[13])
{
	size_t len = b[0] & 0x0F;

	if (n != 8 || (b[0] >> 4) != 2 || len < 4 || len > 12)
		return false;
	for (size_t i = 0; i < 14; i++) {
		uint8_t nib = (uint8_t)(i & 1 ? b[1 + i / 2] & 0x0F : b[1 + i / 2] >> 4);

		if (i < len && nib > 9)
			return false;
		if (i >= len && nib != 0x0F)
			return false;
		if (i < len)
			out[i] = (char)('0' + nib);
	}
	out[len] = '\0';
	return true;
}

/* The PIN out of a VERIFY block (rule in vr_card.h); false if unreadable. */
static bool pin_from_block(const uint8_t *b, size_t n, char out[13])
{
	size_t i;

	if (n == 8 && (b[0] >> 4) == 2 && pin_from_format2(b, n, out))
		return true;
	for (i = 0; i < n && b[i] != 0xFF; i++) {
		if (i >= 12)
			return false;
		if (b[i] >= '0' && b[i] <= '9')
			out[i] = (char)b[i];
		else if (b[i] <= 9)
			out[i] = (char)('0' + b[i]);
		else
			return false;
	}
	out[i] = '\0';
	for (; i < n; i++)
		if (b[i] != 0xFF)
			return false;
	return true;
}

/* Check one block against the PIN, counting tries: 0x9000, 0x63Cx, 0x6983. */
static uint16_t pin_check(const uint8_t *b, size_t n)
{
	char got[13];
	bool ok;

	if (pin_tries == 0)
		return 0x6983;
	ok = pin_from_block(b, n, got) && strcmp(got, card_pin) == 0;
	memset(got, 0, sizeof(got));
	if (ok) {
		pin_tries = PIN_TRIES;
		return 0x9000;
	}
	pin_tries--;
	return (uint16_t)(0x63C0 | pin_tries);
}

/* ISO 7816-4 §11.5.6 VERIFY and §11.5.7 CHANGE REFERENCE DATA (P1 00:
 * old and new PIN, blocks of Lc/2 bytes each). */
static uint16_t card_pin_cmd(const struct vr_apdu *a)
{
	char fresh[13];
	uint16_t sw;

	if (a->p1 != 0x00)
		return 0x6B00;
	if (a->p2 != 0x81)
		return 0x6A88;
	if (a->has_le)
		return 0x6700;
	if (a->ins == 0x20) {
		if (a->nc == 0)		/* the retry counter, no try used */
			return pin_tries ? (uint16_t)(0x63C0 | pin_tries) : 0x6983;
		return pin_check(a->data, a->nc);
	}
	if (a->nc == 0 || a->nc % 2)
		return 0x6700;
	sw = pin_check(a->data, a->nc / 2);
	if (sw != 0x9000)
		return sw;
	if (!pin_from_block(a->data + a->nc / 2, a->nc / 2, fresh) ||
	    strlen(fresh) < 4) {
		memset(fresh, 0, sizeof(fresh));
		return 0x6A80;	/* incorrect data: the new PIN */
	}
	memcpy(card_pin, fresh, sizeof(card_pin));
	memset(fresh, 0, sizeof(fresh));
	return 0x9000;
}

/* The interindustry class 00 instructions (ISO 7816-4 §11). */
static int card_cla00(const struct vr_apdu *a, uint8_t *resp, size_t cap,
		      size_t *resp_len)
{
	switch (a->ins) {
	case 0x20:	/* VERIFY */
	case 0x24:	/* CHANGE REFERENCE DATA */
		return put_sw(resp, cap, 0, card_pin_cmd(a), resp_len);
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
	struct vr_apdu a;

	(void)card;
	if (len >= 1 && apdu[0] != 0x00 && apdu[0] != 0x80)
		return put_sw(resp, cap, 0, 0x6E00, resp_len);
	if (len >= 2 && apdu[0] == 0x80 &&
	    (apdu[1] < 0x10 || apdu[1] > 0x16 || (apdu[1] & 1)))
		return put_sw(resp, cap, 0, 0x6D00, resp_len);
	if (len >= 2 && apdu[0] == 0x00 && apdu[1] != 0x84 && apdu[1] != 0xA4 &&
	    apdu[1] != 0x20 && apdu[1] != 0x24)
		return put_sw(resp, cap, 0, 0x6D00, resp_len);
	if (!vr_apdu_parse(apdu, len, &a))
		return put_sw(resp, cap, 0, 0x6700, resp_len);
	if (a.cla == 0x80)
		return card_cla80(&a, resp, cap, resp_len);
	return card_cla00(&a, resp, cap, resp_len);
}

/* Non-FF APDUs to a storage card: it has no APDU interface, so the
 * firmware refuses the class (ISO 7816-4 §5.1.1: 6E 00). */
static int storage_card_process(const struct vr_card *card,
				const uint8_t *apdu, size_t len, uint8_t *resp,
				size_t cap, size_t *resp_len)
{
	(void)card;
	(void)apdu;
	(void)len;
	return put_sw(resp, cap, 0, 0x6E00, resp_len);
}

#define CTLS_CARD(nm, a, kind, fn) { .name = nm, .atr = a, \
	.atr_len = sizeof(a), .protocol = 1, .params = params_t1, \
	.params_len = sizeof(params_t1), .process = fn, .ctls = kind }

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
	CTLS_CARD("mifare-classic-1k", atr_classic_1k, VR_CTLS_CLASSIC_1K,
		  storage_card_process),
	CTLS_CARD("mifare-classic-4k", atr_classic_4k, VR_CTLS_CLASSIC_4K,
		  storage_card_process),
	CTLS_CARD("mifare-ultralight", atr_ultralight, VR_CTLS_ULTRALIGHT,
		  storage_card_process),
	CTLS_CARD("iso14443-4", atr_iso14443_4, VR_CTLS_ISO14443_4,
		  test_card_process),
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
