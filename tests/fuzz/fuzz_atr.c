/* ccidkit — fuzz target: the Answer To Reset (ISO/IEC 7816-3 §8), the
 * first bytes a hostile card controls.  An ATR that parses must keep the
 * promises of ccid/atr.h (sizes, groups, history), parse again to the
 * same result from its raw copy, and be printable; the table lookups
 * take any index. */
#include <string.h>

#include "fuzz/fuzz_util.h"

#include "ccid/atr.h"
#include "ccid/err.h"

static void check_same(const struct ccid_atr *a, const struct ccid_atr *b)
{
	if (a->len != b->len || memcmp(a->raw, b->raw, a->len) != 0 ||
	    a->ngroups != b->ngroups || a->nhist != b->nhist ||
	    memcmp(a->hist, b->hist, a->nhist) != 0 ||
	    a->protocols != b->protocols ||
	    a->first_protocol != b->first_protocol || a->fi != b->fi ||
	    a->di != b->di || a->tck_ok != b->tck_ok || a->ifsc != b->ifsc)
		abort();
}

static void check_atr(const uint8_t *buf, size_t len, const struct ccid_atr *a)
{
	struct ccid_atr again;

	if (a->len != len || len < 2 || len > CCID_ATR_MAX ||
	    memcmp(a->raw, buf, len) != 0)
		abort();
	if (a->ngroups < 1 || a->ngroups > CCID_ATR_MAX_GROUPS ||
	    a->nhist > sizeof(a->hist) || a->nhist != (a->t0 & 0x0Fu))
		abort();
	if (a->inverse != (a->ts == 0x3F) || (a->ts != 0x3B && a->ts != 0x3F))
		abort();
	if (a->fi != ccid_atr_fi(a->fi_index) || a->di != ccid_atr_di(a->di_index))
		abort();
	if (a->protocols & 0x8000u)
		abort(); /* T=15 is not a protocol */
	if (ccid_atr_parse(a->raw, a->len, &again) != CCID_OK)
		abort();
	check_same(a, &again);
	ccid_atr_print(a, fuzz_sink());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = fuzz_dup(data, size);
	struct ccid_atr atr;

	if (ccid_atr_parse(buf, size, &atr) == CCID_OK)
		check_atr(buf, size, &atr);
	if (size > 0)
		(void)(ccid_atr_fi(buf[0]) + ccid_atr_di(buf[0]) +
		       ccid_atr_fmax_khz(buf[0]));
	free(buf);
	return 0;
}
