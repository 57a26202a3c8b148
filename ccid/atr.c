/* ccidkit — Answer To Reset parser (see atr.h).
 *
 * ISO/IEC 7816-3 §8.2: TS, T0, up to 8 groups of interface bytes chained
 * by TDi, K historical bytes, then TCK unless only T=0 is indicated.  The
 * reader has already undone the inverse convention, so the bytes are
 * parsed as they come; TS only tells which convention the card used. */
#include "config.h"
#include "ccid/atr.h"

#include "ccid/err.h"
#include "ccid/log.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define ATR_TA 0x01
#define ATR_TB 0x02
#define ATR_TC 0x04
#define ATR_TD 0x08

/* ISO 7816-3 Table 7: Fi and f(max) by the high nibble of TA1 */
static const unsigned fi_table[16] = {
	372, 372, 558, 744, 1116, 1488, 1860, 0,
	0, 512, 768, 1024, 1536, 2048, 0, 0,
};
static const unsigned fmax_table[16] = {
	4000, 5000, 6000, 8000, 12000, 16000, 20000, 0,
	0, 5000, 7500, 10000, 15000, 20000, 0, 0,
};
/* ISO 7816-3 Table 8: Di by the low nibble of TA1 */
static const unsigned di_table[16] = {
	0, 1, 2, 4, 8, 16, 32, 64, 12, 20, 0, 0, 0, 0, 0, 0,
};

unsigned ccid_atr_fi(uint8_t index)
{
	return index < 16 ? fi_table[index] : 0;
}

unsigned ccid_atr_di(uint8_t index)
{
	return index < 16 ? di_table[index] : 0;
}

unsigned ccid_atr_fmax_khz(uint8_t index)
{
	return index < 16 ? fmax_table[index] : 0;
}

/* Reads the interface byte groups from buf[*pos]; sets *need_tck when a
 * TD announces a protocol other than T=0 (ISO 7816-3 §8.2.5). */
static int atr_groups(const uint8_t *buf, size_t len, size_t *pos,
		      struct ccid_atr *a, bool *need_tck)
{
	uint8_t y = a->t0 >> 4;
	uint8_t proto = 0;

	for (size_t i = 0; y != 0; i++) {
		struct ccid_atr_group *g;
		uint8_t *slot[4];

		if (i >= CCID_ATR_MAX_GROUPS) {
			ccid_log_err("ATR: more than %d interface groups",
				     CCID_ATR_MAX_GROUPS);
			return CCID_E_BAD_ATR;
		}
		g = &a->group[i];
		g->protocol = proto;
		slot[0] = &g->ta, slot[1] = &g->tb;
		slot[2] = &g->tc, slot[3] = &g->td;
		for (unsigned b = 0; b < 4; b++) {
			if (!(y & (1u << b)))
				continue;
			if (*pos >= len) {
				ccid_log_err("ATR: interface bytes run past %zu",
					     len);
				return CCID_E_BAD_ATR;
			}
			*slot[b] = buf[(*pos)++];
			g->present |= (uint8_t)(1u << b);
		}
		a->ngroups = i + 1;
		y = (g->present & ATR_TD) ? g->td >> 4 : 0;
		if (g->present & ATR_TD) {
			proto = g->td & 0x0F;
			if (proto != 0)
				*need_tck = true;
		}
	}
	if (a->ngroups == 0)
		a->ngroups = 1; /* group 1 always exists, perhaps empty */
	return CCID_OK;
}

/* Protocols offered: every T in a TD except 15; none means T=0. */
static void atr_protocols(struct ccid_atr *a)
{
	a->first_protocol = -1;
	for (size_t i = 0; i < a->ngroups; i++) {
		const struct ccid_atr_group *g = &a->group[i];
		uint8_t t = g->td & 0x0F;

		if (!(g->present & ATR_TD) || t == 15)
			continue;
		a->protocols |= (uint16_t)(1u << t);
		if (a->first_protocol < 0)
			a->first_protocol = t;
	}
	if (a->protocols == 0)
		a->protocols = 1;
	if (a->first_protocol < 0)
		a->first_protocol = 0;
}

/* Global bytes: TA1, TC1, TA2, TC2 (ISO 7816-3 §8.3, §10.2). */
static void atr_globals(struct ccid_atr *a)
{
	const struct ccid_atr_group *g1 = &a->group[0], *g2 = &a->group[1];
	uint8_t ta1 = (g1->present & ATR_TA) ? g1->ta : 0x11;

	a->fi_index = ta1 >> 4;
	a->di_index = ta1 & 0x0F;
	a->fi = ccid_atr_fi(a->fi_index);
	a->di = ccid_atr_di(a->di_index);
	a->fmax_khz = ccid_atr_fmax_khz(a->fi_index);
	a->n = (g1->present & ATR_TC) ? g1->tc : 0;
	a->wi = 10;
	if (a->ngroups < 2)
		return;
	if (g2->present & ATR_TA) {
		a->specific_mode = true;
		a->specific_protocol = g2->ta & 0x0F;
		a->specific_implicit = (g2->ta & 0x10) != 0;
		a->specific_can_change = (g2->ta & 0x80) == 0;
	}
	/* TC2 is the T=0 waiting integer only when TD1 introduced T=0 */
	if ((g2->present & ATR_TC) && g2->protocol == 0)
		a->wi = g2->tc;
}

/* Protocol-specific bytes from group 3 on: the first of each kind after a
 * TD indicating T=1 (ISO 7816-3 §11.4) or T=15 (§8.3). */
static void atr_specific(struct ccid_atr *a)
{
	bool ta1 = false, tb1 = false, tc1 = false;

	a->ifsc = 32;
	a->bwi = 4;
	a->cwi = 13;
	for (size_t i = 2; i < a->ngroups; i++) {
		const struct ccid_atr_group *g = &a->group[i];

		if (g->protocol == 1) {
			if ((g->present & ATR_TA) && !ta1)
				a->ifsc = g->ta, ta1 = true;
			if ((g->present & ATR_TB) && !tb1) {
				a->bwi = g->tb >> 4;
				a->cwi = g->tb & 0x0F;
				tb1 = true;
			}
			if ((g->present & ATR_TC) && !tc1)
				a->crc = (g->tc & 1) != 0, tc1 = true;
		} else if (g->protocol == 15 && (g->present & ATR_TA) &&
			   !a->has_class) {
			a->has_class = true;
			a->class_bits = g->ta & 0x3F;
			a->clock_stop = g->ta >> 6;
		}
	}
}

static int atr_tail(const uint8_t *buf, size_t len, size_t pos,
		    bool need_tck, struct ccid_atr *a)
{
	a->nhist = a->t0 & 0x0F;
	if (len - pos < a->nhist) {
		ccid_log_err("ATR: %zu historical bytes run past %zu", a->nhist,
			     len);
		return CCID_E_BAD_ATR;
	}
	memcpy(a->hist, buf + pos, a->nhist);
	pos += a->nhist;
	a->tck_ok = true;
	if (need_tck) {
		uint8_t x = 0;

		if (pos >= len) {
			ccid_log_err("ATR: TCK missing");
			return CCID_E_BAD_ATR;
		}
		a->has_tck = true;
		a->tck = buf[pos++];
		/* ISO 7816-3 §8.2.5: XOR of T0..TCK is zero */
		for (size_t i = 1; i < pos; i++)
			x ^= buf[i];
		a->tck_ok = x == 0;
	}
	if (pos != len) {
		ccid_log_err("ATR: %zu stray bytes after the end", len - pos);
		return CCID_E_BAD_ATR;
	}
	return CCID_OK;
}

int ccid_atr_parse(const uint8_t *buf, size_t len, struct ccid_atr *out)
{
	struct ccid_atr a;
	bool need_tck = false;
	size_t pos = 2;
	int rc;

	if (buf == NULL || out == NULL)
		return CCID_E_INVAL;
	if (len < 2 || len > CCID_ATR_MAX) {
		ccid_log_err("ATR length %zu not in 2..%d", len, CCID_ATR_MAX);
		return CCID_E_BAD_ATR;
	}
	if (buf[0] != 0x3B && buf[0] != 0x3F) {
		ccid_log_err("ATR: bad TS 0x%02X", buf[0]);
		return CCID_E_BAD_ATR;
	}
	memset(&a, 0, sizeof(a));
	memcpy(a.raw, buf, len);
	a.len = len;
	a.ts = buf[0];
	a.inverse = buf[0] == 0x3F;
	a.t0 = buf[1];
	rc = atr_groups(buf, len, &pos, &a, &need_tck);
	if (rc == CCID_OK)
		rc = atr_tail(buf, len, pos, need_tck, &a);
	if (rc != CCID_OK)
		return rc;
	atr_protocols(&a);
	atr_globals(&a);
	atr_specific(&a);
	*out = a;
	return CCID_OK;
}

/* ---- printing ---------------------------------------------------------- */

/* kHz as "5 MHz" or "7.5 MHz" */
static void print_mhz(FILE *out, unsigned khz)
{
	if (khz == 0)
		fprintf(out, "RFU");
	else if (khz % 1000 == 0)
		fprintf(out, "%u MHz", khz / 1000);
	else
		fprintf(out, "%u.%u MHz", khz / 1000, (khz % 1000) / 100);
}

static void print_ta1(FILE *out, uint8_t v)
{
	unsigned fi = ccid_atr_fi(v >> 4), di = ccid_atr_di(v & 0x0F);

	if (fi)
		fprintf(out, "Fi=%u ", fi);
	else
		fprintf(out, "Fi=RFU ");
	if (di)
		fprintf(out, "Di=%u ", di);
	else
		fprintf(out, "Di=RFU ");
	if (fi) {
		fprintf(out, "(fmax ");
		print_mhz(out, ccid_atr_fmax_khz(v >> 4));
		fprintf(out, ")");
	}
}

static void print_ta2(FILE *out, uint8_t v)
{
	fprintf(out, "specific mode, T=%u, %s parameters, %s", v & 0x0F,
		v & 0x10 ? "implicit" : "TA1",
		v & 0x80 ? "cannot change mode" : "can change mode");
}

static void print_t15_ta(FILE *out, uint8_t v)
{
	static const char *const stop[] = { "not supported", "state L",
					    "state H", "no preference" };

	fprintf(out, "clock stop %s; classes%s%s%s", stop[v >> 6],
		v & 1 ? " A (5 V)" : "", v & 2 ? " B (3 V)" : "",
		v & 4 ? " C (1.8 V)" : "");
}

/* Meaning of one interface byte: kind 0..3 = TA..TD of group i (1-based). */
static void print_meaning(FILE *out, size_t i, unsigned kind, uint8_t v,
			  uint8_t proto)
{
	if (kind == 3) {
		fprintf(out, "T=%u, next:%s%s%s%s%s", v & 0x0F,
			v & 0x10 ? " TA" : "", v & 0x20 ? " TB" : "",
			v & 0x40 ? " TC" : "", v & 0x80 ? " TD" : "",
			v >> 4 ? "" : " none");
	} else if (i == 1 && kind == 0) {
		print_ta1(out, v);
	} else if (i <= 2 && kind == 1) {
		fprintf(out, "VPP programming (deprecated, ignored)");
	} else if (i == 1 && kind == 2) {
		fprintf(out, "N=%u extra guard time%s", v,
			v == 255 ? " (minimum)" : "");
	} else if (i == 2 && kind == 0) {
		print_ta2(out, v);
	} else if (i == 2 && kind == 2 && proto == 0) {
		fprintf(out, "WI=%u (T=0 waiting integer)", v);
	} else if (i >= 3 && proto == 1 && kind == 0) {
		fprintf(out, "IFSC=%u", v);
	} else if (i >= 3 && proto == 1 && kind == 1) {
		fprintf(out, "BWI=%u CWI=%u", v >> 4, v & 0x0F);
	} else if (i >= 3 && proto == 1 && kind == 2) {
		fprintf(out, "checksum %s", v & 1 ? "CRC" : "LRC");
	} else if (i >= 3 && proto == 15 && kind == 0) {
		print_t15_ta(out, v);
	} else if (proto == 15 && kind == 1) {
		fprintf(out, "SPU (secondary contacts use)");
	} else {
		fprintf(out, "specific to T=%u", proto);
	}
}

static void print_interface(const struct ccid_atr *a, FILE *out)
{
	static const char kind_name[4] = { 'A', 'B', 'C', 'D' };

	for (size_t i = 0; i < a->ngroups; i++) {
		const struct ccid_atr_group *g = &a->group[i];
		const uint8_t val[4] = { g->ta, g->tb, g->tc, g->td };

		for (unsigned k = 0; k < 4; k++) {
			if (!(g->present & (1u << k)))
				continue;
			fprintf(out, "T%c%zu = 0x%02X: ", kind_name[k], i + 1,
				val[k]);
			print_meaning(out, i + 1, k, val[k], g->protocol);
			fputc('\n', out);
		}
	}
}

static void print_summary(const struct ccid_atr *a, FILE *out)
{
	fprintf(out, "protocols offered:");
	for (unsigned t = 0; t < 15; t++)
		if (a->protocols & (1u << t))
			fprintf(out, " T=%u", t);
	fprintf(out, "\ndefault protocol: T=%d\n", a->first_protocol);
	if (a->specific_mode)
		fprintf(out, "mode: specific, T=%u\n", a->specific_protocol);
	else
		fprintf(out, "mode: negotiable\n");
	fprintf(out, "Fi=%u Di=%u fmax=", a->fi, a->di);
	print_mhz(out, a->fmax_khz);
	fprintf(out, " N=%u\n", a->n);
	if (a->protocols & 1)
		fprintf(out, "T=0: WI=%u\n", a->wi);
	if (a->protocols & 2)
		fprintf(out, "T=1: IFSC=%u BWI=%u CWI=%u checksum=%s\n",
			a->ifsc, a->bwi, a->cwi, a->crc ? "CRC" : "LRC");
}

static void print_hist(const struct ccid_atr *a, FILE *out)
{
	fprintf(out, "historical bytes:");
	for (size_t i = 0; i < a->nhist; i++)
		fprintf(out, " %02X", a->hist[i]);
	fprintf(out, " \"");
	for (size_t i = 0; i < a->nhist; i++)
		fputc(a->hist[i] >= 0x20 && a->hist[i] < 0x7F ? a->hist[i] : '.',
		      out);
	fprintf(out, "\"\n");
}

static void print_tck(const struct ccid_atr *a, FILE *out)
{
	uint8_t x = 0;

	if (!a->has_tck) {
		fprintf(out, "TCK absent (only T=0 indicated)\n");
		return;
	}
	for (size_t i = 1; i + 1 < a->len; i++)
		x ^= a->raw[i];
	if (a->tck_ok)
		fprintf(out, "TCK = 0x%02X (correct)\n", a->tck);
	else
		fprintf(out, "TCK = 0x%02X (WRONG, should be 0x%02X)\n", a->tck,
			x);
}

void ccid_atr_print(const struct ccid_atr *atr, FILE *out)
{
	if (atr == NULL || out == NULL)
		return;
	fprintf(out, "ATR:");
	for (size_t i = 0; i < atr->len; i++)
		fprintf(out, " %02X", atr->raw[i]);
	fprintf(out, "\nTS = 0x%02X: %s convention\n", atr->ts,
		atr->inverse ? "inverse" : "direct");
	fprintf(out, "T0 = 0x%02X: next:%s%s%s%s%s; K=%zu historical bytes\n",
		atr->t0, atr->t0 & 0x10 ? " TA" : "", atr->t0 & 0x20 ? " TB" : "",
		atr->t0 & 0x40 ? " TC" : "", atr->t0 & 0x80 ? " TD" : "",
		atr->t0 >> 4 ? "" : " none", atr->nhist);
	print_interface(atr, out);
	print_summary(atr, out);
	print_hist(atr, out);
	print_tck(atr, out);
}
