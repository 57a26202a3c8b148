/* ccidkit — command APDU structure (see apdu.h).
 *
 * ISO/IEC 7816-4 §5.1: after the 4-byte header the body is one of
 *   case 1   (empty)
 *   case 2S  Le                     case 2E  00 Le1 Le2
 *   case 3S  Lc data                case 3E  00 Lc1 Lc2 data
 *   case 4S  Lc data Le             case 4E  00 Lc1 Lc2 data Le1 Le2
 * with Lc in 1..255 (short) or 1..65535 (extended), and Le 00 meaning 256
 * (short) or 0000 meaning 65536 (extended).  The total length decides
 * between the cases, so a body that fits none of them is refused. */
#include "config.h"
#include "ccid/apdu.h"

#include "ccid/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static size_t short_le(uint8_t le)
{
	return le ? le : 256;
}

static size_t ext_len(const uint8_t *p)
{
	return (size_t)p[0] << 8 | p[1];
}

static int apdu_short(const uint8_t *buf, size_t len, struct ccid_apdu *a)
{
	size_t body = len - 4, lc = buf[4];

	if (body == 1) { /* case 2S */
		a->apdu_case = 2;
		a->ne = short_le(buf[4]);
		return CCID_OK;
	}
	/* a short Lc of 00 is not valid (the 00 would start an extended
	 * field, handled by the caller) */
	if (lc == 0)
		return CCID_E_INVAL;
	if (body == 1 + lc) { /* case 3S */
		a->apdu_case = 3;
	} else if (body == 2 + lc) { /* case 4S */
		a->apdu_case = 4;
		a->ne = short_le(buf[len - 1]);
	} else {
		return CCID_E_INVAL;
	}
	a->nc = lc;
	a->data = buf + 5;
	return CCID_OK;
}

static int apdu_extended(const uint8_t *buf, size_t len, struct ccid_apdu *a)
{
	size_t body = len - 4, n = ext_len(buf + 5);

	a->extended = true;
	if (body == 3) { /* case 2E */
		a->apdu_case = 2;
		a->ne = n ? n : 65536;
		return CCID_OK;
	}
	if (n == 0) /* extended Lc 0000 is not valid */
		return CCID_E_INVAL;
	if (body == 3 + n) { /* case 3E */
		a->apdu_case = 3;
	} else if (body == 5 + n) { /* case 4E */
		size_t le = ext_len(buf + len - 2);

		a->apdu_case = 4;
		a->ne = le ? le : 65536;
	} else {
		return CCID_E_INVAL;
	}
	a->nc = n;
	a->data = buf + 7;
	return CCID_OK;
}

int ccid_apdu_parse(const uint8_t *buf, size_t len, struct ccid_apdu *out)
{
	struct ccid_apdu a;
	int rc;

	if (buf == NULL || out == NULL || len < 4)
		return CCID_E_INVAL;
	memset(&a, 0, sizeof(a));
	a.cla = buf[0];
	a.ins = buf[1];
	a.p1 = buf[2];
	a.p2 = buf[3];
	if (len == 4) {
		a.apdu_case = 1;
		rc = CCID_OK;
	} else if (buf[4] == 0 && len >= 7) {
		rc = apdu_extended(buf, len, &a);
	} else {
		rc = apdu_short(buf, len, &a);
	}
	if (rc != CCID_OK)
		return rc;
	*out = a;
	return CCID_OK;
}
