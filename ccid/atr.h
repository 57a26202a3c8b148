/* ccidkit — Answer To Reset (ISO/IEC 7816-3 §8).  Pure codec. */
#ifndef CCID_ATR_H
#define CCID_ATR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CCID_ATR_MAX 33
#define CCID_ATR_MAX_GROUPS 8 /* interface byte groups i = 1..8 */

/* One group of interface bytes TAi TBi TCi TDi. */
struct ccid_atr_group {
	uint8_t present; /* bit0 TA, bit1 TB, bit2 TC, bit3 TD */
	uint8_t ta, tb, tc, td;
	uint8_t protocol; /* T announced by the TD that introduced this group
			     (for i = 1: 0, the default); i >= 2: low nibble of TD(i-1) */
};

struct ccid_atr {
	uint8_t raw[CCID_ATR_MAX];
	size_t len;
	uint8_t ts;               /* 0x3B direct, 0x3F inverse */
	bool inverse;
	uint8_t t0;
	size_t ngroups;           /* groups actually present (>= 1) */
	struct ccid_atr_group group[CCID_ATR_MAX_GROUPS];
	uint8_t hist[15];
	size_t nhist;
	bool has_tck;
	uint8_t tck;
	bool tck_ok;              /* true when absent (T=0 only) or correct */
	uint16_t protocols;       /* bit T set for each T offered (T=0..14; 15 excluded) */
	int first_protocol;       /* default protocol: first TD's T, or 0 */
	/* Global parameters, defaults filled in when absent */
	uint8_t fi_index, di_index; /* from TA1, default 1/1 */
	unsigned fi, di;          /* 372/1 by default; 0 when RFU */
	unsigned fmax_khz;        /* from the Fi index; 0 when RFU */
	uint8_t n;                /* TC1 extra guard time, default 0 */
	bool specific_mode;       /* TA2 present */
	uint8_t specific_protocol;/* TA2 low nibble */
	bool specific_implicit;   /* TA2 bit5 (0x10): use implicit parameters */
	bool specific_can_change; /* TA2 bit8 (0x80) clear */
	uint8_t wi;               /* TC2 for T=0, default 10 */
	uint8_t ifsc;             /* first TAi (i>=3) after T=1, default 32 */
	uint8_t bwi, cwi;         /* first TBi (i>=3) after T=1, default 4, 13 */
	bool crc;                 /* first TCi (i>=3) after T=1 bit0: CRC */
	bool has_class;           /* TAi after T=15 present */
	uint8_t class_bits;       /* its bits 6..1: 1 = A (5 V), 2 = B (3 V), 4 = C (1.8 V) */
	uint8_t clock_stop;       /* its bits 8..7 (XI) */
};

/* Parse an ATR.  CCID_E_BAD_ATR when: len < 2, len > 33, TS not 3B/3F,
 * the interface/historical bytes announced run past len, bytes remain
 * after TCK, TCK is required but missing.  A wrong TCK is NOT an error:
 * tck_ok is false (callers decide; ccidkit atr reports it).
 * CCID_E_INVAL on NULL. */
int ccid_atr_parse(const uint8_t *buf, size_t len, struct ccid_atr *out);

/* Table lookups (ISO 7816-3 Tables 7 and 8); 0 for RFU indexes. */
unsigned ccid_atr_fi(uint8_t index);
unsigned ccid_atr_di(uint8_t index);
unsigned ccid_atr_fmax_khz(uint8_t index);

/* Human-readable decoding: TS, T0, each interface byte with its meaning,
 * protocols offered, Fi/Di/fmax, N, WI, IFSC, BWI/CWI, checksum,
 * historical bytes (hex and printable ASCII), TCK (correct or not). */
void ccid_atr_print(const struct ccid_atr *atr, FILE *out);

#endif
