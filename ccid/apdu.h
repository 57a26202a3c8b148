/* ccidkit — command APDU structure (ISO/IEC 7816-4 §5.1).  Pure codec. */
#ifndef CCID_APDU_H
#define CCID_APDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ccid_apdu {
	uint8_t cla, ins, p1, p2;
	int apdu_case;       /* 1, 2, 3 or 4 */
	bool extended;       /* extended length fields */
	size_t nc;           /* command data length (Lc) */
	const uint8_t *data; /* points into the input; NULL when nc == 0 */
	size_t ne;           /* expected response length, 0 when no Le;
				Le 00 → 256, extended 0000 → 65536 */
};

/* Parse per ISO 7816-4 §5.1 (all four cases, short and extended).
 * CCID_E_INVAL when len < 4 or the length fields are inconsistent with len
 * (e.g. Lc=0 in short form, Lc running past the end, stray bytes). */
int ccid_apdu_parse(const uint8_t *buf, size_t len, struct ccid_apdu *out);

#endif
