/* ccidkit — fuzz target: RDR_to_PC bulk and interrupt messages (CCID 1.1
 * §6.2, §6.3) as a hostile reader sends them, and the PC_to_RDR encoders
 * (§6.1) fed with the same bytes as parameters.  Round trips:
 *  - a message that decodes re-encodes (ccid_msg_encode) to the very same
 *    bytes;
 *  - every encoder writes exactly the header it documents, or refuses a
 *    too small buffer with CCID_E_OVERFLOW and writes nothing past cap. */
#include <string.h>

#include "fuzz/fuzz_util.h"

#include "ccid/err.h"
#include "ccid/desc.h"
#include "ccid/msg.h"

#define ENC_MAX 600 /* encoders get up to ENC_MAX - 10 bytes of abData */

static void check_reply(const uint8_t *buf, size_t len)
{
	struct ccid_reply r;
	uint8_t again[ENC_MAX];
	size_t n;

	if (ccid_msg_decode(buf, len, &r) != CCID_OK)
		return;
	if (r.dwLength != len - CCID_HEADER_LEN ||
	    ccid_msg_total_len(buf, len) != len ||
	    (r.dwLength > 0 && r.data != buf + CCID_HEADER_LEN) ||
	    (r.dwLength == 0 && r.data != NULL))
		abort();
	(void)ccid_msg_status_err(r.bStatus, r.bError);
	if (ccid_msg_type_name(r.bMessageType) == NULL ||
	    ccid_msg_error_name(r.bError) == NULL)
		abort();
	if (len > sizeof(again))
		return;
	if (ccid_msg_encode(r.bMessageType, r.bSlot, r.bSeq, buf + 7, r.data,
			    r.dwLength, again, sizeof(again), &n) != CCID_OK ||
	    n != len || memcmp(again, buf, len) != 0)
		abort();
}

static void check_notify(const uint8_t *buf, size_t len, unsigned nslots)
{
	uint32_t present = 0, changed = 0;

	if (ccid_msg_decode_notify(buf, len, nslots, &present,
				   &changed) != CCID_OK)
		return;
	if (nslots < 32 && ((present | changed) >> nslots) != 0)
		abort();
}

/* The header an encoder must have written: type, dwLength, slot, seq. */
static void check_header(const uint8_t *out, size_t n, uint8_t type,
			 uint8_t slot, uint8_t seq, size_t dlen)
{
	if (n != CCID_HEADER_LEN + dlen || out[0] != type || out[5] != slot ||
	    out[6] != seq ||
	    ccid_msg_total_len(out, n) != n)
		abort();
}

/* Run one encoder with the input's choices: a 10-byte header with the
 * slot, seq, parameters, then abData; cap from the input too. */
static void check_encoders(struct fuzz_in *in)
{
	uint8_t out[ENC_MAX + 16];
	uint8_t which = fuzz_u8(in), slot = fuzz_u8(in), seq = fuzz_u8(in);
	uint8_t p7 = fuzz_u8(in);
	uint16_t wlevel = fuzz_u16(in);
	size_t cap = fuzz_u16(in) % (ENC_MAX + 1), dlen, n = 0;
	const uint8_t *d = fuzz_bytes(in, ENC_MAX - CCID_HEADER_LEN, &dlen);
	uint8_t type = 0;
	int rc;

	memset(out, 0xA5, sizeof(out));
	switch (which % 10) {
	case 0: rc = ccid_msg_icc_power_on(slot, seq, p7 & 3, out, cap, &n);
		type = PC_to_RDR_IccPowerOn; dlen = 0; break;
	case 1: rc = ccid_msg_icc_power_off(slot, seq, out, cap, &n);
		type = PC_to_RDR_IccPowerOff; dlen = 0; break;
	case 2: rc = ccid_msg_get_slot_status(slot, seq, out, cap, &n);
		type = PC_to_RDR_GetSlotStatus; dlen = 0; break;
	case 3: rc = ccid_msg_xfr_block(slot, seq, p7, wlevel, d, dlen, out,
					 cap, &n);
		type = PC_to_RDR_XfrBlock; break;
	case 4: rc = ccid_msg_get_parameters(slot, seq, out, cap, &n);
		type = PC_to_RDR_GetParameters; dlen = 0; break;
	case 5: rc = ccid_msg_reset_parameters(slot, seq, out, cap, &n);
		type = PC_to_RDR_ResetParameters; dlen = 0; break;
	case 6: dlen = dlen < 7 ? dlen : (p7 & 1) ? 7 : 5;
		rc = ccid_msg_set_parameters(slot, seq, p7 & 1, d, dlen, out,
					     cap, &n);
		type = PC_to_RDR_SetParameters; break;
	case 7: rc = ccid_msg_escape(slot, seq, d, dlen, out, cap, &n);
		type = PC_to_RDR_Escape; break;
	case 8: rc = ccid_msg_icc_clock(slot, seq, p7, out, cap, &n);
		type = PC_to_RDR_IccClock; dlen = 0; break;
	default: rc = ccid_msg_abort(slot, seq, out, cap, &n);
		type = PC_to_RDR_Abort; dlen = 0; break;
	}
	for (size_t i = cap; i < sizeof(out); i++)
		if (out[i] != 0xA5)
			abort(); /* wrote past cap */
	if (rc == CCID_E_OVERFLOW && cap >= CCID_HEADER_LEN + dlen)
		abort();
	if (rc != CCID_OK)
		return;
	check_header(out, n, type, slot, seq, dlen);
	if (dlen > 0 && memcmp(out + CCID_HEADER_LEN, d, dlen) != 0)
		abort();
	if (ccid_msg_reply_type(type) == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = fuzz_dup(data, size);
	struct fuzz_in in;

	check_reply(buf, size);
	check_notify(buf, size, size > 1 ? (buf[size - 1] & 31u) + 1 : 1);
	fuzz_in_init(&in, buf, size);
	check_encoders(&in);
	free(buf);
	return 0;
}
