/* ccidkit — PC/SC Part 3 firmware of the virtual contactless reader and its
 * MIFARE memory cards (see vr_ctls.h). Commands: PC/SC Part 3 §3.2.2
 * (ccid-spec.md §7); status words from the same table. */
#include "config.h"
#include "src/vr_ctls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MEM_MAX 4096		/* MIFARE Classic 4K: 256 blocks of 16 */
#define NKEYS 2			/* volatile key slots of the reader */

struct vr_ctls {
	const struct vr_card *card;	/* card in the field, NULL = none */
	uint8_t uid[VR_CTLS_UID_MAX];
	size_t uid_len;
	uint8_t mem[MEM_MAX];
	uint8_t key[NKEYS][6];
	bool key_loaded[NKEYS];
	int auth_sector;		/* -1: none */
};

static const uint8_t uid_classic[4] = { 0x12, 0x34, 0x56, 0x78 };
static const uint8_t uid_7[7] = { 0x04, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6 };
/* MIFARE Classic transport configuration of a sector trailer. */
static const uint8_t trailer_default[16] = {
	0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x80, 0x69,
	0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
};

struct vr_ctls *vr_ctls_new(void)
{
	struct vr_ctls *c = calloc(1, sizeof(*c));

	if (c)
		c->auth_sector = -1;
	return c;
}

void vr_ctls_free(struct vr_ctls **ctls)
{
	if (ctls == NULL || *ctls == NULL)
		return;
	memset(*ctls, 0, sizeof(**ctls));	/* keys */
	free(*ctls);
	*ctls = NULL;
}

bool vr_ctls_uid_ok(enum vr_ctls_type type, size_t uid_len)
{
	if (type == VR_CTLS_ULTRALIGHT)
		return uid_len == 7;
	return type != VR_CTLS_NONE && (uid_len == 4 || uid_len == 7);
}

static bool is_classic(const struct vr_ctls *c)
{
	return c->card->ctls == VR_CTLS_CLASSIC_1K ||
	       c->card->ctls == VR_CTLS_CLASSIC_4K;
}

/* Blocks of a Classic card: 64 (1K) or 256 (4K); Ultralight pages: 16. */
static unsigned nblocks(const struct vr_ctls *c)
{
	switch (c->card->ctls) {
	case VR_CTLS_CLASSIC_1K:
		return 64;
	case VR_CTLS_CLASSIC_4K:
		return 256;
	case VR_CTLS_ULTRALIGHT:
		return 16;
	default:
		return 0;
	}
}

/* Sectors 0..31 have 4 blocks, 32..39 (4K) 16 blocks. */
static unsigned block_sector(unsigned b)
{
	return b < 128 ? b / 4 : 32 + (b - 128) / 16;
}

static unsigned sector_trailer(unsigned s)
{
	return s < 32 ? s * 4 + 3 : 128 + (s - 32) * 16 + 15;
}

static void image_classic(struct vr_ctls *c)
{
	bool k4 = c->card->ctls == VR_CTLS_CLASSIC_4K;
	unsigned nsec = k4 ? 40 : 16;
	uint8_t *b0 = c->mem;
	size_t n = c->uid_len;

	memcpy(b0, c->uid, n);
	if (n == 4) {
		b0[4] = c->uid[0] ^ c->uid[1] ^ c->uid[2] ^ c->uid[3];	/* BCC */
		n = 5;
	}
	b0[n++] = k4 ? 0x18 : 0x08;				/* SAK */
	b0[n++] = c->uid_len == 7 ? 0x44 : (k4 ? 0x02 : 0x04);	/* ATQA */
	b0[n++] = 0x00;
	memcpy(b0 + n, "ccidkit", 16 - n < 7 ? 16 - n : 7);
	for (unsigned s = 0; s < nsec; s++)
		memcpy(c->mem + 16 * sector_trailer(s), trailer_default, 16);
}

static void image_ultralight(struct vr_ctls *c)
{
	const uint8_t *u = c->uid;

	memcpy(c->mem, u, 3);
	c->mem[3] = 0x88 ^ u[0] ^ u[1] ^ u[2];		/* BCC0, CT = 88 */
	memcpy(c->mem + 4, u + 3, 4);
	c->mem[8] = u[3] ^ u[4] ^ u[5] ^ u[6];		/* BCC1 */
	c->mem[9] = 0x48;				/* internal */
}

void vr_ctls_tap(struct vr_ctls *c, const struct vr_card *card,
		 const uint8_t *uid, size_t uid_len)
{
	bool same = c->card == card &&
		    (uid_len == 0 || (uid_len == c->uid_len &&
				      memcmp(uid, c->uid, uid_len) == 0));

	c->auth_sector = -1;
	if (same || card == NULL || card->ctls == VR_CTLS_NONE) {
		c->card = card && card->ctls ? card : c->card;
		return;
	}
	c->card = card;
	if (uid_len == 0 || uid_len > VR_CTLS_UID_MAX) {
		uid = card->ctls == VR_CTLS_CLASSIC_1K ||
		      card->ctls == VR_CTLS_CLASSIC_4K ? uid_classic : uid_7;
		uid_len = uid == uid_classic ? 4 : 7;
	}
	memcpy(c->uid, uid, uid_len);
	c->uid_len = uid_len;
	memset(c->mem, 0, sizeof(c->mem));
	if (is_classic(c))
		image_classic(c);
	else if (card->ctls == VR_CTLS_ULTRALIGHT)
		image_ultralight(c);
}

void vr_ctls_activate(struct vr_ctls *c)
{
	c->auth_sector = -1;
}

static int put_sw(uint8_t *resp, size_t cap, size_t n, uint16_t sw,
		  size_t *resp_len)
{
	if (cap < n + 2) {
		*resp_len = 0;
		return -ENOSPC;
	}
	resp[n] = sw >> 8;
	resp[n + 1] = sw & 0xFF;
	*resp_len = n + 2;
	return 0;
}

/* GET DATA FF CA P1 00 Le: P1 00 UID, 01 ATS historical bytes. Le 00 =
 * everything; a shorter Le: 6C xx; a longer one: the data + 62 82. */
static int get_data(struct vr_ctls *c, const struct vr_apdu *a, uint8_t *resp,
		    size_t cap, size_t *resp_len)
{
	const uint8_t *d;
	size_t n;

	if (a->p2 != 0x00)
		return put_sw(resp, cap, 0, 0x6B00, resp_len);
	if (a->p1 == 0x00) {
		d = c->uid;
		n = c->uid_len;
	} else if (a->p1 == 0x01 && c->card->ctls == VR_CTLS_ISO14443_4) {
		d = vr_card_ats_hist;
		n = sizeof(vr_card_ats_hist);
	} else {
		return put_sw(resp, cap, 0, 0x6A81, resp_len);
	}
	if (a->nc || !a->has_le)
		return put_sw(resp, cap, 0, 0x6700, resp_len);
	if (a->ne < n)
		return put_sw(resp, cap, 0, (uint16_t)(0x6C00 | n), resp_len);
	if (cap < n + 2)
		return put_sw(resp, cap, n, 0, resp_len);
	memcpy(resp, d, n);
	/* Le 00 (Ne 256 / 65536) asks for all there is */
	return put_sw(resp, cap, n,
		      a->ne == n || a->ne == 256 || a->ne == 65536 ? 0x9000 : 0x6282,
		      resp_len);
}

/* LOAD KEYS FF 82 P1 P2 06 key: only plain card keys into volatile slots
 * 0..1 (P1 00). */
static uint16_t load_keys(struct vr_ctls *c, const struct vr_apdu *a)
{
	if (a->p1 & 0x80)
		return 0x6983;		/* reader key not supported */
	if (a->p1 & 0x40)
		return 0x6985;		/* secured transmission not supported */
	if (a->p1 & 0x20)
		return 0x6987;		/* non-volatile memory not available */
	if (a->p1 != 0x00)
		return 0x6B00;
	if (a->p2 >= NKEYS)
		return 0x6988;		/* key number not valid */
	if (a->has_le)
		return 0x6700;
	if (a->nc != 6)
		return 0x6989;		/* key length not correct */
	memcpy(c->key[a->p2], a->data, 6);
	c->key_loaded[a->p2] = true;
	return 0x9000;
}

/* MIFARE authentication of the sector of block bb with key slot kn as key A
 * (60) or key B (61) against the sector trailer. */
static uint16_t authenticate(struct vr_ctls *c, unsigned bb, uint8_t kt,
			     uint8_t kn)
{
	const uint8_t *tr;
	unsigned s;

	if (!is_classic(c))
		return 0x6A81;
	if (kt != 0x60 && kt != 0x61)
		return 0x6986;		/* key type not known */
	if (kn >= NKEYS)
		return 0x6988;
	if (!c->key_loaded[kn])
		return 0x6984;		/* reference data not usable */
	if (bb >= nblocks(c))
		return 0x6B00;
	s = block_sector(bb);
	tr = c->mem + 16 * sector_trailer(s);
	if (memcmp(c->key[kn], kt == 0x60 ? tr : tr + 10, 6) != 0) {
		c->auth_sector = -1;	/* a failed auth halts the card */
		return 0x6300;
	}
	c->auth_sector = (int)s;
	return 0x9000;
}

/* GENERAL AUTHENTICATE FF 86 00 00 05 01 00 BB KT KN. */
static uint16_t general_auth(struct vr_ctls *c, const struct vr_apdu *a)
{
	if (a->p1 || a->p2)
		return 0x6B00;
	if (a->nc != 5 || a->has_le)
		return 0x6700;
	if (a->data[0] != 0x01)
		return 0x6A81;		/* unknown version */
	if (a->data[1] != 0x00)
		return 0x6B00;		/* blocks above 255 */
	return authenticate(c, a->data[2], a->data[3], a->data[4]);
}

/* READ BINARY FF B0 00 BB Le: Classic one 16-byte block of the
 * authenticated sector; Ultralight 4 pages from BB (rolling over, as the
 * READ command of the card does). Le 10 or 00. */
static int read_binary(struct vr_ctls *c, const struct vr_apdu *a,
		       uint8_t *resp, size_t cap, size_t *resp_len)
{
	unsigned bb = a->p2;

	if (c->card->ctls == VR_CTLS_ISO14443_4)
		return put_sw(resp, cap, 0, 0x6A81, resp_len);
	if (a->nc || !a->has_le)
		return put_sw(resp, cap, 0, 0x6700, resp_len);
	if (a->p1 != 0x00 || bb >= nblocks(c))
		return put_sw(resp, cap, 0, 0x6B00, resp_len);
	if (a->ne != 16 && a->ne != 256 && a->ne != 65536)
		return put_sw(resp, cap, 0, 0x6C10, resp_len);
	if (cap < 18)
		return put_sw(resp, cap, 16, 0, resp_len);
	if (c->card->ctls == VR_CTLS_ULTRALIGHT) {
		for (unsigned i = 0; i < 4; i++)
			memcpy(resp + 4 * i, c->mem + 4 * ((bb + i) % 16), 4);
		return put_sw(resp, cap, 16, 0x9000, resp_len);
	}
	if (c->auth_sector != (int)block_sector(bb))
		return put_sw(resp, cap, 0, 0x6982, resp_len);
	memcpy(resp, c->mem + 16 * bb, 16);
	if (bb == sector_trailer(block_sector(bb)))
		memset(resp, 0, 6);		/* key A is never readable */
	return put_sw(resp, cap, 16, 0x9000, resp_len);
}

static uint16_t update_ultralight(struct vr_ctls *c, unsigned pg,
				  const uint8_t *d)
{
	uint8_t *p = c->mem + 4 * pg;

	if (pg < 2)
		return 0x6986;		/* UID pages: command not allowed */
	if (pg == 2) {
		p[2] |= d[2];		/* lock bytes are OR-ed in */
		p[3] |= d[3];
		return 0x9000;
	}
	for (unsigned i = 0; i < 4; i++)
		p[i] = pg == 3 ? p[i] | d[i] : d[i];	/* OTP bits only set */
	return 0x9000;
}

/* UPDATE BINARY FF D6 00 BB Lc data: 16 bytes (Classic), 4 (Ultralight). */
static uint16_t update_binary(struct vr_ctls *c, const struct vr_apdu *a)
{
	unsigned bb = a->p2;
	bool ul = c->card->ctls == VR_CTLS_ULTRALIGHT;

	if (c->card->ctls == VR_CTLS_ISO14443_4)
		return 0x6A81;
	if (a->has_le || a->nc != (ul ? 4u : 16u))
		return 0x6700;
	if (a->p1 != 0x00 || bb >= nblocks(c))
		return 0x6B00;
	if (ul)
		return update_ultralight(c, bb, a->data);
	if (c->auth_sector != (int)block_sector(bb))
		return 0x6982;
	if (bb == 0)
		return 0x6986;		/* manufacturer block */
	memcpy(c->mem + 16 * bb, a->data, 16);
	return 0x9000;
}

/* The CLA FF pseudo-APDUs. The legacy AUTHENTICATE FF 88 00 BB KT KN is no
 * ISO APDU (KT sits where Lc would), so it is matched before parsing. */
static int pseudo_apdu(struct vr_ctls *c, const uint8_t *apdu, size_t len,
		       uint8_t *resp, size_t cap, size_t *resp_len)
{
	struct vr_apdu a;

	if (len >= 2 && apdu[1] == 0x88) {
		if (len != 6)
			return put_sw(resp, cap, 0, 0x6700, resp_len);
		if (apdu[2] != 0x00)
			return put_sw(resp, cap, 0, 0x6B00, resp_len);
		return put_sw(resp, cap, 0,
			      authenticate(c, apdu[3], apdu[4], apdu[5]), resp_len);
	}
	if (!vr_apdu_parse(apdu, len, &a))
		return put_sw(resp, cap, 0, 0x6700, resp_len);
	switch (a.ins) {
	case 0xCA:
		return get_data(c, &a, resp, cap, resp_len);
	case 0x82:
		return put_sw(resp, cap, 0, load_keys(c, &a), resp_len);
	case 0x86:
		return put_sw(resp, cap, 0, general_auth(c, &a), resp_len);
	case 0xB0:
		return read_binary(c, &a, resp, cap, resp_len);
	case 0xD6:
		return put_sw(resp, cap, 0, update_binary(c, &a), resp_len);
	default:
		return put_sw(resp, cap, 0, 0x6D00, resp_len);
	}
}

int vr_ctls_process(struct vr_ctls *c, const uint8_t *apdu, size_t len,
		    uint8_t *resp, size_t cap, size_t *resp_len)
{
	if (c == NULL || c->card == NULL || apdu == NULL || resp == NULL ||
	    resp_len == NULL)
		return -EINVAL;
	if (len >= 1 && apdu[0] == 0xFF)
		return pseudo_apdu(c, apdu, len, resp, cap, resp_len);
	return vr_card_process(c->card, apdu, len, resp, cap, resp_len);
}
