/* ccidkit — PC/SC Part 3 contactless ATRs (ctls.h).  Layouts from
 * ccid-spec.md §7; ATR framing per ISO 7816-3 §8.2. */
#include "config.h"

#include <string.h>

#include "ccid/ctls.h"
#include "ccid/err.h"

/* PC/SC registered application provider identifier (RID). */
static const uint8_t pcsc_rid[5] = { 0xA0, 0x00, 0x00, 0x03, 0x06 };

/* The fixed head of every Part 3 ATR: TS direct, T0 = TD1 present + n
 * historical bytes, TD1 = TD2 present + T=0, TD2 = T=1 and nothing more.
 * Offering T=1 makes TCK mandatory (ISO 7816-3 §8.2.5). */
#define HEAD_LEN 4

static uint8_t xor_tck(const uint8_t *atr, size_t len)
{
	uint8_t x = 0;

	for (size_t i = 1; i < len; i++) /* T0 .. the byte before TCK */
		x ^= atr[i];
	return x;
}

static int check_out(uint8_t *out, size_t *len, size_t need, size_t cap)
{
	if (len == NULL)
		return CCID_E_INVAL;
	*len = need;
	if (out == NULL && cap > 0)
		return CCID_E_INVAL;
	return cap < need ? CCID_E_OVERFLOW : CCID_OK;
}

int ccid_ctls_iso4_atr(const uint8_t *hist, size_t n, uint8_t *out,
		       size_t cap, size_t *len)
{
	int err;

	if ((hist == NULL && n > 0) || n > CCID_CTLS_HIST_MAX || len == NULL)
		return CCID_E_INVAL;
	err = check_out(out, len, HEAD_LEN + n + 1, cap);
	if (err != CCID_OK)
		return err;
	out[0] = 0x3B;
	out[1] = (uint8_t)(0x80 | n);
	out[2] = 0x80;
	out[3] = 0x01;
	if (n > 0)
		memcpy(out + HEAD_LEN, hist, n);
	out[HEAD_LEN + n] = xor_tck(out, HEAD_LEN + n);
	return CCID_OK;
}

int ccid_ctls_storage_atr(uint8_t ss, uint16_t nn, uint8_t *out, size_t cap,
			  size_t *len)
{
	uint8_t h[CCID_CTLS_HIST_MAX];

	/* category indicator 80, then tag 4F (application identifier)
	 * of length 0C: RID, standard, card name, 4 RFU bytes — the
	 * layout Part 3 readers give (ccid-spec.md §7) */
	h[0] = 0x80;
	h[1] = 0x4F;
	h[2] = 0x0C;
	memcpy(h + 3, pcsc_rid, sizeof(pcsc_rid));
	h[8] = ss;
	h[9] = (uint8_t)(nn >> 8);
	h[10] = (uint8_t)nn;
	memset(h + 11, 0, 4); /* RFU */
	return ccid_ctls_iso4_atr(h, sizeof(h), out, cap, len);
}

int ccid_ctls_ats_hist(const uint8_t *ats, size_t len, const uint8_t **hist,
		       size_t *nhist)
{
	size_t pos = 2;

	if (ats == NULL || hist == NULL || nhist == NULL || len < 1)
		return CCID_E_INVAL;
	/* TL counts itself and every following byte (CRC excluded) */
	if (ats[0] != len)
		return CCID_E_INVAL;
	if (len == 1) { /* TL alone: no T0, no historical bytes */
		*hist = NULL;
		*nhist = 0;
		return CCID_OK;
	}
	for (unsigned bit = 0x10; bit <= 0x40; bit <<= 1)
		if (ats[1] & bit)
			pos++; /* TA(1), TB(1), TC(1) */
	if (pos > len)
		return CCID_E_INVAL;
	*hist = pos < len ? ats + pos : NULL;
	*nhist = len - pos;
	return CCID_OK;
}

int ccid_ctls_typea_atr(const uint8_t *ats, size_t len, uint8_t *out,
			size_t cap, size_t *atr_len)
{
	const uint8_t *h;
	size_t n;
	int err;

	err = ccid_ctls_ats_hist(ats, len, &h, &n);
	if (err != CCID_OK)
		return err;
	if (n > CCID_CTLS_HIST_MAX)
		n = CCID_CTLS_HIST_MAX;
	return ccid_ctls_iso4_atr(h, n, out, cap, atr_len);
}

int ccid_ctls_typeb_atr(const uint8_t *atqb, size_t len, uint8_t mbli_cid,
			uint8_t *out, size_t cap, size_t *atr_len)
{
	uint8_t h[8];

	if (atqb == NULL || (len != 12 && len != 13) || atqb[0] != 0x50)
		return CCID_E_INVAL;
	memcpy(h, atqb + 5, 4);     /* application data */
	memcpy(h + 4, atqb + 9, 3); /* protocol info (first 3 bytes) */
	h[7] = mbli_cid;
	return ccid_ctls_iso4_atr(h, sizeof(h), out, cap, atr_len);
}

int ccid_ctls_decode(const uint8_t *atr, size_t len,
		     struct ccid_ctls_info *info)
{
	size_t n;

	if (atr == NULL || info == NULL)
		return CCID_E_INVAL;
	memset(info, 0, sizeof(*info));
	if (len < HEAD_LEN + 1 || atr[0] != 0x3B || (atr[1] & 0xF0) != 0x80 ||
	    atr[2] != 0x80 || atr[3] != 0x01)
		return CCID_OK;
	n = atr[1] & 0x0F;
	if (len != HEAD_LEN + n + 1)
		return CCID_OK;
	info->kind = CCID_CTLS_ISO14443_4;
	info->tck_ok = xor_tck(atr, len - 1) == atr[len - 1];
	memcpy(info->hist, atr + HEAD_LEN, n);
	info->nhist = n;
	if (n == CCID_CTLS_HIST_MAX && atr[4] == 0x80 && atr[5] == 0x4F &&
	    atr[6] == 0x0C && memcmp(atr + 7, pcsc_rid, sizeof(pcsc_rid)) == 0) {
		/* the RID makes it a storage card; NN NN are hints only
		 * (some vendors number cards their own way, ccid-spec.md §7) */
		info->kind = CCID_CTLS_STORAGE;
		info->standard = atr[12];
		info->card_name = (uint16_t)(atr[13] << 8 | atr[14]);
		memcpy(info->rfu, atr + 15, 4);
	}
	return CCID_OK;
}

const char *ccid_ctls_card_name(uint16_t nn)
{
	switch (nn) {
	case CCID_CTLS_MIFARE_1K:
		return "MIFARE Classic 1K";
	case CCID_CTLS_MIFARE_4K:
		return "MIFARE Classic 4K";
	case CCID_CTLS_MIFARE_ULTRALIGHT:
		return "MIFARE Ultralight";
	case CCID_CTLS_MIFARE_MINI:
		return "MIFARE Mini";
	default:
		return NULL;
	}
}

const char *ccid_ctls_standard_name(uint8_t ss)
{
	/* 03 is verified; the others are the Part 3 supplement's values as
	 * ccid-spec.md §7 lists them (marked unverified there). */
	switch (ss) {
	case 0x01: return "ISO 14443 A part 1";
	case 0x02: return "ISO 14443 A part 2";
	case 0x03: return "ISO 14443 A part 3";
	case 0x05: return "ISO 14443 B part 1";
	case 0x06: return "ISO 14443 B part 2";
	case 0x07: return "ISO 14443 B part 3";
	case 0x09: return "ISO 15693 part 1";
	case 0x0A: return "ISO 15693 part 2";
	case 0x0B: return "ISO 15693 part 3";
	case 0x0C: return "ISO 15693 part 4";
	case 0x11: return "FeliCa";
	default: return NULL;
	}
}

static void print_hex(FILE *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(out, i ? " %02X" : "%02X", p[i]);
}

void ccid_ctls_print(const struct ccid_ctls_info *info, FILE *out)
{
	const char *s;

	if (info == NULL || info->kind == CCID_CTLS_NONE)
		return;
	if (info->kind == CCID_CTLS_STORAGE) {
		fprintf(out, "PC/SC Part 3: contactless storage card (RID A0 00 00 03 06)\n");
		s = ccid_ctls_standard_name(info->standard);
		fprintf(out, "  standard: %02X (%s)\n", info->standard,
			s != NULL ? s : "unknown");
		s = ccid_ctls_card_name(info->card_name);
		fprintf(out, "  card name: %02X %02X (%s)\n",
			info->card_name >> 8, info->card_name & 0xFF,
			s != NULL ? s : "unknown");
		if (memcmp(info->rfu, "\0\0\0\0", 4) != 0) {
			fprintf(out, "  RFU bytes not zero: ");
			print_hex(out, info->rfu, 4);
			fprintf(out, "\n");
		}
	} else {
		fprintf(out, "PC/SC Part 3: contactless ISO 14443-4 card (T=CL)\n");
		fprintf(out, "  historical bytes (ATS for type A; ATQB application data, protocol info, MBLI/CID for type B): ");
		print_hex(out, info->hist, info->nhist);
		fprintf(out, "\n");
	}
	if (!info->tck_ok)
		fprintf(out, "  TCK is wrong\n");
}
