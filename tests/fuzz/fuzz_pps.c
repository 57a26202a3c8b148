/* ccidkit — fuzz target: protocol and parameters selection (ISO/IEC 7816-3
 * §9).  The card's PPS answer is hostile; so are the ATR and the reader's
 * class descriptor that decide whether and how fast to negotiate.
 * Input: [req_len][resp_len][req][resp] for ccid_pps_check, then the
 * encoder's arguments, then an ATR, descriptor fields and data rates for
 * ccid_pps_needed / ccid_pps_choose_fidi.  Round trip: what the encoder
 * writes, answered identically, is accepted with the Fi/Di asked for. */
#include <string.h>

#include "fuzz/fuzz_util.h"

#include "ccid/err.h"
#include "ccid/pps.h"

#define MAX_RATES 16

static void check_answer(struct fuzz_in *in)
{
	size_t rql = fuzz_u8(in) % (CCID_PPS_MAX + 2);
	size_t rsl = fuzz_u8(in) % (CCID_PPS_MAX + 2), got;
	uint8_t *req, *resp, fidi = 0;
	const uint8_t *p;

	p = fuzz_bytes(in, rql, &got);
	req = fuzz_dup(p, got);
	rql = got;
	p = fuzz_bytes(in, rsl, &got);
	resp = fuzz_dup(p, got);
	rsl = got;
	(void)ccid_pps_check(req, rql, resp, rsl, &fidi);
	free(req);
	free(resp);
}

static void check_encode(struct fuzz_in *in)
{
	uint8_t protocol = fuzz_u8(in), f = fuzz_u8(in), flags = fuzz_u8(in);
	int fidi = (flags & 1) ? f : -1;
	size_t cap = (flags >> 1) % (CCID_PPS_MAX + 1), len = 0;
	uint8_t out[CCID_PPS_MAX + 4], got = 0;

	memset(out, 0xA5, sizeof(out));
	if (ccid_pps_encode(protocol, fidi, out, cap, &len) != CCID_OK)
		return;
	if (len < 3 || len > cap || out[0] != 0xFF)
		abort();
	for (size_t i = cap; i < sizeof(out); i++)
		if (out[i] != 0xA5)
			abort();
	if (ccid_pps_check(out, len, out, len, &got) != CCID_OK)
		abort(); /* an echo is always a yes (§9.3) */
	if (fidi >= 0 && got != (uint8_t)fidi)
		abort();
}

static void check_choice(struct fuzz_in *in)
{
	size_t atr_len = fuzz_u8(in) % (CCID_ATR_MAX + 2), got, nrates;
	const uint8_t *p = fuzz_bytes(in, atr_len, &got);
	uint8_t *raw = fuzz_dup(p, got), protocol, fidi;
	struct ccid_desc d;
	struct ccid_atr atr;
	uint32_t rates[MAX_RATES];

	memset(&d, 0, sizeof(d));
	d.dwDefaultClock = fuzz_u32(in);
	d.dwMaximumClock = fuzz_u32(in);
	d.dwDataRate = fuzz_u32(in);
	d.dwMaxDataRate = fuzz_u32(in);
	d.dwFeatures = fuzz_u32(in);
	d.dwProtocols = fuzz_u8(in);
	protocol = fuzz_u8(in);
	fidi = fuzz_u8(in);
	nrates = fuzz_u8(in) % (MAX_RATES + 1);
	for (size_t i = 0; i < nrates; i++)
		rates[i] = fuzz_u32(in);
	if (ccid_atr_parse(raw, got, &atr) == CCID_OK) {
		(void)ccid_pps_needed(&atr, &d, protocol, fidi);
		(void)ccid_pps_choose_fidi(&atr, &d, rates, nrates);
	}
	free(raw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = fuzz_dup(data, size);
	struct fuzz_in in;

	fuzz_in_init(&in, buf, size);
	check_answer(&in);
	check_encode(&in);
	check_choice(&in);
	free(buf);
	return 0;
}
