/* ccidkit — the virtual PIN-pad's PIN entry (see vr_pinpad.h for the exact
 * insertion rule). CCID 1.1 §6.1.11, PC/SC Part 10 §2.5.2. */
#include "config.h"
#include "src/vr_pinpad.h"

#include <string.h>

#define HDR 10			/* offsets in bError count the CCID header */

/* The fields both operations share, decoded. */
struct pin_fmt {
	uint8_t format, block, lenfmt;
	unsigned min, max;
};

/* Write nbits of v at bit position pos (from the MSB of data[0]). */
static void put_bits(uint8_t *data, size_t bitpos, unsigned nbits, unsigned v)
{
	for (unsigned i = 0; i < nbits; i++) {
		size_t p = bitpos + i;
		unsigned bit = (v >> (nbits - 1 - i)) & 1;
		uint8_t m = (uint8_t)(0x80 >> (p % 8));

		data[p / 8] = (uint8_t)(bit ? data[p / 8] | m : data[p / 8] & ~m);
	}
}

/* Insert one PIN into the data field at byte offset base; false when it
 * does not fit in the nc data bytes. */
static bool insert_pin(const struct pin_fmt *f, const char *pin, uint8_t *data,
		       size_t nc, size_t base)
{
	unsigned kind = f->format & 0x03;
	unsigned width = kind == 1 ? 4 : 8;
	size_t n = strlen(pin), pos = (f->format >> 3) & 0x0F;
	size_t start = base * 8 + (f->format & 0x80 ? pos * 8 : pos);
	unsigned lbits = f->block >> 4;
	size_t lpos = f->lenfmt & 0x0F;

	if (f->format & 0x04)	/* right-justified in the PIN block */
		start = (base + (f->block & 0x0F)) * 8 - n * width;
	if (start + n * width > nc * 8 || start < base * 8)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned dg = (unsigned)(pin[i] - '0');

		put_bits(data, start + i * width, width, kind == 2 ? dg + '0' : dg);
	}
	if (lbits) {
		size_t at = base * 8 + (f->lenfmt & 0x10 ? lpos * 8 : lpos);

		if (at + lbits > nc * 8)
			return false;
		put_bits(data, at, lbits, (unsigned)n);
	}
	return true;
}

/* The user's answer: 0 (a PIN), or the bError of a cancel or time-out. */
static int user_entry(const struct vr_pinpad_user *u, const struct pin_fmt *f,
		      const char *pin)
{
	size_t n;

	if (u->timeout)
		return VR_PIN_TIMEOUT;
	if (pin == NULL)
		return VR_PIN_CANCELLED;
	n = strlen(pin);
	if (n < f->min || n > f->max)
		return VR_PIN_TIMEOUT;	/* never validated */
	return 0;
}

/* abData must be CLA INS P1 P2 Lc + Lc bytes (case 3 short). */
static bool template_ok(const uint8_t *t, size_t n)
{
	return n >= 5 && t[4] != 0 && n == 5 + (size_t)t[4];
}

static int finish(const uint8_t *t, size_t tlen, uint8_t *apdu, size_t cap,
		  size_t *apdu_len)
{
	if (tlen > cap)
		return 1;	/* bad dwLength */
	memcpy(apdu, t, tlen);
	*apdu_len = tlen;
	return 0;
}

static int build_verify(const struct vr_pinpad_user *u, const uint8_t *d,
			size_t dlen, uint8_t *apdu, size_t cap, size_t *apdu_len)
{
	/* d[0] bPINOperation, d[1] bTimerOut, d[2..] as in vr_pinpad.h */
	struct pin_fmt f = { d[2], d[3], d[4], d[6], d[5] };
	int r;

	if (dlen < 15 + 5 || !template_ok(d + 15, dlen - 15))
		return HDR + 15;
	if ((f.format & 0x03) == 3)
		return HDR + 2;
	r = user_entry(u, &f, u->pin);
	if (r)
		return r;
	r = finish(d + 15, dlen - 15, apdu, cap, apdu_len);
	if (r)
		return r;
	if (!insert_pin(&f, u->pin, apdu + 5, apdu[4], 0))
		return HDR + 3;
	return 0;
}

static int build_modify(const struct vr_pinpad_user *u, const uint8_t *d,
			size_t dlen, uint8_t *apdu, size_t cap, size_t *apdu_len)
{
	struct pin_fmt f = { d[2], d[3], d[4], d[8], d[7] };
	const char *fresh = u->new_pin ? u->new_pin : u->pin;
	bool old = d[9] & 0x02;		/* bConfirmPIN bit 1: current PIN */
	size_t t = 0;
	int r;

	/* bMsgIndex1..3: the count after which abData is a whole APDU */
	for (size_t k = 3; k >= 1 && t == 0; k--)
		if (dlen >= 14 + k + 3 && template_ok(d + 14 + k + 3, dlen - (14 + k + 3)))
			t = 14 + k + 3;
	if (t == 0)
		return HDR + 14;
	if ((f.format & 0x03) == 3)
		return HDR + 2;
	r = user_entry(u, &f, old ? u->pin : "0000");
	if (r == 0)
		r = user_entry(u, &f, fresh);
	if (r)
		return r;
	r = finish(d + t, dlen - t, apdu, cap, apdu_len);
	if (r)
		return r;
	if ((old && !insert_pin(&f, u->pin, apdu + 5, apdu[4], d[5])) ||
	    !insert_pin(&f, fresh, apdu + 5, apdu[4], d[6]))
		return HDR + 3;
	return 0;
}

int vr_pinpad_build(const struct vr_pinpad_user *user, const uint8_t *d,
		    size_t dlen, uint8_t *apdu, size_t cap, size_t *apdu_len)
{
	*apdu_len = 0;
	if (dlen < 1)
		return 1;
	if (d[0] == 0x00)
		return build_verify(user, d, dlen, apdu, cap, apdu_len);
	if (d[0] == 0x01)
		return build_modify(user, d, dlen, apdu, cap, apdu_len);
	return HDR;
}
