/* ccidkit — PC/SC Part 3 ATRs of contactless cards (ccid-spec.md §7
 * "Synthesised ATR"): building them and recognising them.  Pure codec:
 * bytes in, bytes or structs out, nothing allocated.
 *
 * Storage cards (ISO 14443-3 only, no ATS), 20 bytes:
 *   3B 8F 80 01 80 4F 0C A0 00 00 03 06 SS NN NN 00 00 00 00 TCK
 *   (TS, T0 = TD1 + 15 historical bytes, TD1 T=0 + TD2, TD2 T=1; then
 *   category 80, tag 4F "AID presence" length 0C: the PC/SC RID, the
 *   standard SS, the card name NN NN, 4 RFU bytes; TCK = XOR of T0..RFU)
 * ISO 14443-4 cards (T=CL):
 *   3B 8n 80 01 H1..Hn TCK, where the historical bytes are those of the
 *   ATS (type A) or ATQB application data (4) + protocol info (3) +
 *   MBLI/CID (1) (type B, n = 8). */
#ifndef CCID_CTLS_H
#define CCID_CTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CCID_CTLS_STORAGE_ATR_LEN 20
#define CCID_CTLS_HIST_MAX 15

/* Standard byte SS (ISO 14443-3 A is the one verified value). */
#define CCID_CTLS_SS_14443A_3 0x03
/* Card names NN NN (Gemalto manual, verified). */
#define CCID_CTLS_MIFARE_1K         0x0001
#define CCID_CTLS_MIFARE_4K         0x0002
#define CCID_CTLS_MIFARE_ULTRALIGHT 0x0003
#define CCID_CTLS_MIFARE_MINI       0x0026

enum ccid_ctls_kind {
	CCID_CTLS_NONE = 0,   /* not a Part 3 form */
	CCID_CTLS_STORAGE,    /* storage card: RID A0 00 00 03 06 */
	CCID_CTLS_ISO14443_4, /* 3B 8n 80 01 hist TCK */
};

struct ccid_ctls_info {
	enum ccid_ctls_kind kind;
	bool tck_ok;          /* the TCK is right */
	/* CCID_CTLS_STORAGE */
	uint8_t standard;     /* SS */
	uint16_t card_name;   /* NN NN */
	uint8_t rfu[4];       /* should be 0 */
	/* both: the historical bytes */
	uint8_t hist[CCID_CTLS_HIST_MAX];
	size_t nhist;
};

/* The storage-card ATR for standard ss and card name nn: 20 bytes into
 * (out, cap).  CCID_E_OVERFLOW when cap < 20 (*len = 20), CCID_E_INVAL on
 * NULL. */
int ccid_ctls_storage_atr(uint8_t ss, uint16_t nn, uint8_t *out, size_t cap,
			  size_t *len);

/* The ISO 14443-4 ATR around n historical bytes: 5 + n bytes.  More than
 * 15 bytes cannot be said in T0 (ISO 7816-3 §8.2.2): CCID_E_INVAL, as for
 * NULL; CCID_E_OVERFLOW (with *len = 5 + n) when cap is short. */
int ccid_ctls_iso4_atr(const uint8_t *hist, size_t n, uint8_t *out,
		       size_t cap, size_t *len);

/* Type A: the historical bytes of an ATS (ISO 14443-4 §5.2: TL, T0, TA1
 * TB1 TC1 as T0 bits 5..7 announce, then the historical bytes up to TL;
 * without CRC).  *hist points into ats.  CCID_E_INVAL when TL disagrees
 * with len, or the interface bytes run past TL. */
int ccid_ctls_ats_hist(const uint8_t *ats, size_t len, const uint8_t **hist,
		       size_t *nhist);
/* Type A: ATS → ATR (historical bytes beyond 15 are dropped: the ATR cannot
 * carry them). */
int ccid_ctls_typea_atr(const uint8_t *ats, size_t len, uint8_t *out,
			size_t cap, size_t *atr_len);
/* Type B: ATQB (ISO 14443-3 §7.9: 50, PUPI 4, application data 4, protocol
 * info 3 [+ 1 in the extended form], without CRC) and the MBLI/CID byte
 * → the 13-byte ATR with historical bytes app data + protocol info (3) +
 * mbli_cid.  CCID_E_INVAL when atqb[0] != 50 or len is not 12 or 13. */
int ccid_ctls_typeb_atr(const uint8_t *atqb, size_t len, uint8_t mbli_cid,
			uint8_t *out, size_t cap, size_t *atr_len);

/* Recognise a Part 3 ATR.  CCID_OK with info filled (kind NONE when the
 * ATR has neither form); CCID_E_INVAL on NULL.  A wrong TCK still
 * recognises the form, with tck_ok false. */
int ccid_ctls_decode(const uint8_t *atr, size_t len,
		     struct ccid_ctls_info *info);

/* "MIFARE Classic 1K"..., NULL when unknown. */
const char *ccid_ctls_card_name(uint16_t nn);
/* "ISO 14443 A part 3"..., NULL when unknown. */
const char *ccid_ctls_standard_name(uint8_t ss);

/* Print the meaning ("PC/SC Part 3 ..." lines) for kind != NONE. */
void ccid_ctls_print(const struct ccid_ctls_info *info, FILE *out);

#endif
