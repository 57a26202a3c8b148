/* ccidkit tests — PIN entry on the reader's keypad (ccid/secure.c):
 * PC/SC Part 10 PIN_VERIFY / PIN_MODIFY structures turned into
 * PC_to_RDR_Secure, checked byte for byte against the scripted fake
 * transport (ccid-spec.md §9, pcsc-abi.md §4): refusals of malformed
 * structures, keypad cancel/timeout as SW 64 01 / 64 00, the T=1
 * prologue at TPDU level, the deadline, wiping and log redaction. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ccid/clock.h"
#include "ccid/err.h"
#include "ccid/features.h"
#include "ccid/log.h"
#include "ccid/reader.h"
#include "ccid/slot.h"
#include "fake/fake_transport.h"

#define D5S ccid_deadline_in(5000)

/* ------------------------------------------------------------------ */
/* Readers                                                            */

/* CCID 1.1 §5.1 class descriptor with a keypad (bPINSupport) and an LCD
 * (wLcdLayout). */
static struct fake_transport *make_reader(uint32_t level, uint8_t pin,
					  uint16_t lcd)
{
	const struct fake_desc o = {
		.bVoltageSupport = 0x07,
		.dwFeatures = level | CCID_FEAT_AUTO_VOLTAGE,
		.dwMaxCCIDMessageLength = 271,
		.bPINSupport = pin,
		.wLcdLayout = lcd,
	};
	uint8_t d[54];

	fake_desc_build(d, &o);
	return fake_transport_new(d, sizeof(d));
}

static const struct fake_step probe[] = {
	FAKE_OUT("65 00000000 00 00 000000"),
	FAKE_IN("81 00000000 00 00 01 00 00"),
};

struct fx {
	struct fake_transport *f;
	struct ccid_reader *r;
};

/* Open a reader (bSeq 0 used by the probe: the next command has 1). */
static void fx_open(struct fx *x, uint32_t level, uint8_t pin)
{
	x->f = make_reader(level, pin, 0);
	FAKE_SCRIPT(x->f, probe);
	assert_int_equal(ccid_reader_new(&x->f->base, D5S, &x->r), CCID_OK);
	fake_transport_done(x->f);
	x->f->ops = 0;
}

static void fx_close(struct fx *x)
{
	fake_transport_done(x->f);
	ccid_reader_unref(&x->r);
	fake_transport_free(&x->f);
}

/* Nothing of the structure is left in the reader's message buffers:
 * the first `sent` bytes of the command buffer (the longest message sent;
 * beyond it the buffer was never written) and the whole reply buffer. */
static void assert_wiped(const struct fx *x, size_t sent)
{
	for (size_t i = 0; i < sent; i++)
		assert_int_equal(x->r->tx[i], 0);
	for (size_t i = 0; i < x->r->buf_cap; i++)
		assert_int_equal(x->r->rx[i], 0);
}

static size_t hex(const char *h, uint8_t *out, size_t cap)
{
	return fake_hex(h, out, cap);
}

/* ------------------------------------------------------------------ */
/* Structures                                                         */

/* PIN_VERIFY_STRUCTURE (pcsc-abi.md §4): bTimerOut 1E, bTimerOut2 05,
 * bmFormatString 82, bmPINBlockString 08, bmPINLengthFormat 00,
 * wPINMaxExtraDigit 0408, bEntryValidationCondition 02, bNumberMessage
 * 01, wLangId 0409, bMsgIndex 00, bTeoPrologue 000000, ulDataLength 13,
 * then a VERIFY template with 8 FF filler bytes. */
#define VERIFY_HEX "1E 05 82 08 00 08 04 02 01 09 04 00 00 00 00 0D 00 00 00" \
		   " 00 20 00 81 08 FF FF FF FF FF FF FF FF"
/* its PC_to_RDR_Secure: 28 bytes = bPINOperation 00, bTimerOut, bytes
 * 2..14 of the structure, the template */
#define VERIFY_SECURE(seq) "69 1C000000 00 " seq " 00 00 00" \
	" 00 1E 82 08 00 08 04 02 01 09 04 00 00 00 00" \
	" 00 20 00 81 08 FF FF FF FF FF FF FF FF"
#define OK_9000(seq) "80 02000000 00 " seq " 00 00 00 90 00"

static int verify(struct fx *x, const char *s_hex, uint8_t *resp, size_t cap,
		  size_t *len)
{
	uint8_t s[300];
	size_t n = hex(s_hex, s, sizeof(s));

	return ccid_slot_secure(x->r, 0, CCID_PIN_OP_VERIFY, s, n, resp, cap,
				len, D5S);
}

static void test_verify_bytes(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT(VERIFY_SECURE("01")),
		FAKE_IN(OK_9000("01")),
	};
	struct fx x;
	uint8_t resp[16];
	size_t len = 0;

	(void)state;
	fx_open(&x, CCID_FEAT_LEVEL_SHORT_APDU, 0x03);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(verify(&x, VERIFY_HEX, resp, sizeof(resp), &len),
			 CCID_OK);
	assert_int_equal(len, 2);
	assert_int_equal(resp[0], 0x90);
	assert_int_equal(resp[1], 0x00);
	assert_wiped(&x, 10 + 28);
	fx_close(&x);
}

/* A structure filled in big-endian order (ulDataLength 00 00 00 0D) is
 * recognised and its 16-bit fields swapped: the same bytes go out. */
static void test_verify_big_endian(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT(VERIFY_SECURE("01")),
		FAKE_IN(OK_9000("01")),
	};
	struct fx x;
	uint8_t resp[16];
	size_t len = 0;

	(void)state;
	fx_open(&x, CCID_FEAT_LEVEL_SHORT_APDU, 0x01);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(verify(&x, "1E 05 82 08 00 04 08 02 01 04 09 00 00 00 00"
				" 00 00 00 0D 00 20 00 81 08 FF FF FF FF FF FF FF FF",
				resp, sizeof(resp), &len), CCID_OK);
	assert_int_equal(len, 2);
	fx_close(&x);
}

/* bEntryValidationCondition 0 or > 7 becomes 02; 1..7 pass unchanged. */
static void test_verify_entry_validation(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("69 13000000 00 01 00 00 00 00 00 82 08 00 08 04 02 FF 09 04 00 00 00 00 00 20 00 81"),
		FAKE_IN(OK_9000("01")),
		FAKE_OUT("69 13000000 00 02 00 00 00 00 00 82 08 00 08 04 02 FF 09 04 00 00 00 00 00 20 00 81"),
		FAKE_IN(OK_9000("02")),
		FAKE_OUT("69 13000000 00 03 00 00 00 00 00 82 08 00 08 04 07 FF 09 04 00 00 00 00 00 20 00 81"),
		FAKE_IN(OK_9000("03")),
		FAKE_OUT("69 13000000 00 04 00 00 00 00 00 82 08 00 08 04 01 FF 09 04 00 00 00 00 00 20 00 81"),
		FAKE_IN(OK_9000("04")),
	};
	static const char *const evc[] = { "00", "08", "07", "01" };
	struct fx x;
	uint8_t resp[16];
	size_t len = 0;
	char s[256];

	(void)state;
	fx_open(&x, CCID_FEAT_LEVEL_SHORT_APDU, 0x03);
	FAKE_SCRIPT(x.f, script);
	for (int i = 0; i < 4; i++) {
		snprintf(s, sizeof(s), "00 00 82 08 00 08 04 %s FF 09 04 00 00 00 00"
			 " 04 00 00 00 00 20 00 81", evc[i]);
		assert_int_equal(verify(&x, s, resp, sizeof(resp), &len), CCID_OK);
	}
	fx_close(&x);
}

/* Refused before anything is sent: too short for the fixed part plus a
 * 4-byte APDU header, ulDataLength not matching. */
static void test_verify_malformed(void **state)
{
	struct fx x;
	uint8_t resp[16], s[64];
	size_t len = 99, n;

	(void)state;
	fx_open(&x, CCID_FEAT_LEVEL_SHORT_APDU, 0x03);
	/* 19 + 3 bytes, ulDataLength 3 */
	assert_int_equal(verify(&x, "1E 05 82 08 00 08 04 02 01 09 04 00 00 00 00"
				" 03 00 00 00 00 20 00", resp, sizeof(resp),
				&len), CCID_E_INVAL);
	assert_int_equal(len, 0);
	/* ulDataLength 14, 13 bytes follow */
	assert_int_equal(verify(&x, "1E 05 82 08 00 08 04 02 01 09 04 00 00 00 00"
				" 0E 00 00 00 00 20 00 81 08 FF FF FF FF FF FF FF FF",
				resp, sizeof(resp), &len), CCID_E_INVAL);
	/* ulDataLength 12 */
	assert_int_equal(verify(&x, "1E 05 82 08 00 08 04 02 01 09 04 00 00 00 00"
				" 0C 00 00 00 00 20 00 81 08 FF FF FF FF FF FF FF FF",
				resp, sizeof(resp), &len), CCID_E_INVAL);
	/* empty, NULL, a wrong operation */
	n = hex(VERIFY_HEX, s, sizeof(s));
	assert_int_equal(ccid_slot_secure(x.r, 0, CCID_PIN_OP_VERIFY, s, 0, resp,
					  sizeof(resp), &len, D5S), CCID_E_INVAL);
	assert_int_equal(ccid_slot_secure(x.r, 0, CCID_PIN_OP_VERIFY, NULL, n,
					  resp, sizeof(resp), &len, D5S),
			 CCID_E_INVAL);
	assert_int_equal(ccid_slot_secure(x.r, 0, 2, s, n, resp, sizeof(resp),
					  &len, D5S), CCID_E_INVAL);
	/* a slot that does not exist */
	assert_int_equal(ccid_slot_secure(x.r, 1, CCID_PIN_OP_VERIFY, s, n,
					  resp, sizeof(resp), &len, D5S),
			 CCID_E_NOT_FOUND);
	assert_int_equal(x.f->ops, 0);
	fx_close(&x);
}

/* bPINSupport decides: no keypad, or verify only. */
static void test_not_supported(void **state)
{
	struct fx x;
	uint8_t resp[16], s[64];
	size_t len = 0, n = hex(VERIFY_HEX, s, sizeof(s));

	(void)state;
	fx_open(&x, CCID_FEAT_LEVEL_SHORT_APDU, 0x00);
	assert_int_equal(ccid_slot_secure(x.r, 0, CCID_PIN_OP_VERIFY, s, n,
					  resp, sizeof(resp), &len, D5S),
			 CCID_E_NOT_SUPPORTED);
	fx_close(&x);
	fx_open(&x, CCID_FEAT_LEVEL_SHORT_APDU, 0x01);
	assert_int_equal(ccid_slot_secure(x.r, 0, CCID_PIN_OP_MODIFY, s, n,
					  resp, sizeof(resp), &len, D5S),
			 CCID_E_NOT_SUPPORTED);
	assert_int_equal(x.f->ops, 0);
	fx_close(&x);
	/* a keypad the quirk table vetoes (HP keyboard, NO_PINPAD) */
	x.f = make_reader(CCID_FEAT_LEVEL_SHORT_APDU, 0x03, 0);
	x.f->base.info.idVendor = 0x03F0;
	x.f->base.info.idProduct = 0x1024;
	FAKE_SCRIPT(x.f, probe);
	assert_int_equal(ccid_reader_new(&x.f->base, D5S, &x.r), CCID_OK);
	x.f->ops = 0;
	assert_int_equal(ccid_slot_secure(x.r, 0, CCID_PIN_OP_VERIFY, s, n,
					  resp, sizeof(resp), &len, D5S),
			 CCID_E_NOT_SUPPORTED);
	assert_int_equal(x.f->ops, 0);
	fx_close(&x);
}

/* PIN_MODIFY_STRUCTURE: bTimerOut 00, bTimerOut2 00, bmFormatString 82,
 * bmPINBlockString 08, bmPINLengthFormat 00, bInsertionOffsetOld 00,
 * bInsertionOffsetNew 08, wPINMaxExtraDigit 0408, bConfirmPIN 03,
 * bEntryValidationCondition 02, bNumberMessage NN, wLangId 0409,
 * bMsgIndex1..3 = 00 01 02, bTeoPrologue, ulDataLength 21, a CHANGE
 * REFERENCE DATA template with 16 filler bytes. */
#define MODIFY_HEAD "00 00 82 08 00 00 08 08 04 03 02 "
#define MODIFY_TAIL " 09 04 00 01 02 00 00 00 15 00 00 00" \
		    " 00 24 00 81 10 FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF"
#define SECURE_HEAD(len, seq) "69 " len "000000 00 " seq " 00 00 00" \
	" 01 00 82 08 00 00 08 08 04 03 02 "
#define SECURE_TAIL " 00 00 00 00 24 00 81 10 FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF"

/* bMsgIndex2 present when bNumberMessage != 0, bMsgIndex3 when it is 3
 * or FF; bTimerOut2 and ulDataLength dropped. */
static void test_modify_messages(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT(SECURE_HEAD("27", "01") "00 09 04 00" SECURE_TAIL),
		FAKE_IN(OK_9000("01")),
		FAKE_OUT(SECURE_HEAD("28", "02") "01 09 04 00 01" SECURE_TAIL),
		FAKE_IN(OK_9000("02")),
		FAKE_OUT(SECURE_HEAD("28", "03") "02 09 04 00 01" SECURE_TAIL),
		FAKE_IN(OK_9000("03")),
		FAKE_OUT(SECURE_HEAD("29", "04") "03 09 04 00 01 02" SECURE_TAIL),
		FAKE_IN(OK_9000("04")),
		FAKE_OUT(SECURE_HEAD("29", "05") "FF 09 04 00 01 02" SECURE_TAIL),
		FAKE_IN(OK_9000("05")),
	};
	static const char *const nm[] = { "00", "01", "02", "03", "FF" };
	struct fx x;
	uint8_t resp[16], s[128];
	size_t len = 0, n;
	char h[512];

	(void)state;
	fx_open(&x, CCID_FEAT_LEVEL_SHORT_APDU, 0x03);
	FAKE_SCRIPT(x.f, script);
	for (int i = 0; i < 5; i++) {
		snprintf(h, sizeof(h), MODIFY_HEAD "%s" MODIFY_TAIL, nm[i]);
		n = hex(h, s, sizeof(s));
		assert_int_equal(n, 45);
		assert_int_equal(ccid_slot_secure(x.r, 0, CCID_PIN_OP_MODIFY, s,
						  n, resp, sizeof(resp), &len,
						  D5S), CCID_OK);
		assert_int_equal(len, 2);
		assert_int_equal(resp[0], 0x90);
	}
	assert_wiped(&x, 10 + 41);
	fx_close(&x);
}

static void test_modify_malformed(void **state)
{
	struct fx x;
	uint8_t resp[16], s[128];
	size_t len = 0, n;

	(void)state;
	fx_open(&x, CCID_FEAT_LEVEL_SHORT_APDU, 0x03);
	/* bNumberMessage 04 and 80 */
	n = hex(MODIFY_HEAD "04" MODIFY_TAIL, s, sizeof(s));
	assert_int_equal(ccid_slot_secure(x.r, 0, CCID_PIN_OP_MODIFY, s, n,
					  resp, sizeof(resp), &len, D5S),
			 CCID_E_INVAL);
	n = hex(MODIFY_HEAD "80" MODIFY_TAIL, s, sizeof(s));
	assert_int_equal(ccid_slot_secure(x.r, 0, CCID_PIN_OP_MODIFY, s, n,
					  resp, sizeof(resp), &len, D5S),
			 CCID_E_INVAL);
	/* ulDataLength 21 but one byte less follows */
	n = hex(MODIFY_HEAD "03" MODIFY_TAIL, s, sizeof(s));
	assert_int_equal(ccid_slot_secure(x.r, 0, CCID_PIN_OP_MODIFY, s, n - 1,
					  resp, sizeof(resp), &len, D5S),
			 CCID_E_INVAL);
	/* 24 + 3: too short (a verify-sized structure is not a modify one) */
	n = hex(MODIFY_HEAD "03 09 04 00 01 02 00 00 00 03 00 00 00 00 24 00",
		s, sizeof(s));
	assert_int_equal(n, 27);
	assert_int_equal(ccid_slot_secure(x.r, 0, CCID_PIN_OP_MODIFY, s, n,
					  resp, sizeof(resp), &len, D5S),
			 CCID_E_INVAL);
	n = hex(VERIFY_HEX, s, sizeof(s));
	assert_int_equal(ccid_slot_secure(x.r, 0, CCID_PIN_OP_MODIFY, s, n,
					  resp, sizeof(resp), &len, D5S),
			 CCID_E_INVAL);
	assert_int_equal(x.f->ops, 0);
	fx_close(&x);
}

/* ------------------------------------------------------------------ */
/* Answers                                                            */

/* bError PIN_CANCELLED (EF) / PIN_TIMEOUT (F0) become SW 64 01 / 64 00
 * (libccid); another failure stays an error; a long answer overflows. */
static void test_cancel_timeout(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT(VERIFY_SECURE("01")),
		FAKE_IN("80 00000000 00 01 40 EF 00"),
		FAKE_OUT(VERIFY_SECURE("02")),
		FAKE_IN("80 00000000 00 02 40 F0 00"),
		FAKE_OUT(VERIFY_SECURE("03")),
		FAKE_IN("80 00000000 00 03 42 FE 00"),
		FAKE_OUT(VERIFY_SECURE("04")),
		FAKE_IN("80 00000000 00 04 40 00 00"),
		FAKE_OUT(VERIFY_SECURE("05")),
		FAKE_IN("80 03000000 00 05 00 00 00 01 63 C2"),
		FAKE_OUT(VERIFY_SECURE("06")),
		FAKE_IN("80 01000000 00 06 00 00 00 90"),
	};
	struct fx x;
	uint8_t resp[16];
	size_t len = 0;

	(void)state;
	fx_open(&x, CCID_FEAT_LEVEL_SHORT_APDU, 0x03);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(verify(&x, VERIFY_HEX, resp, sizeof(resp), &len),
			 CCID_OK);
	assert_int_equal(len, 2);
	assert_int_equal(resp[0], 0x64);
	assert_int_equal(resp[1], 0x01);
	assert_int_equal(verify(&x, VERIFY_HEX, resp, sizeof(resp), &len),
			 CCID_OK);
	assert_int_equal(len, 2);
	assert_int_equal(resp[0], 0x64);
	assert_int_equal(resp[1], 0x00);
	/* ICC_MUTE with no card */
	assert_int_equal(verify(&x, VERIFY_HEX, resp, sizeof(resp), &len),
			 CCID_E_NO_CARD);
	/* bError 0: the reader does not know PC_to_RDR_Secure */
	assert_int_equal(verify(&x, VERIFY_HEX, resp, sizeof(resp), &len),
			 CCID_E_NOT_SUPPORTED);
	/* 3 bytes into a 2-byte buffer */
	assert_int_equal(verify(&x, VERIFY_HEX, resp, 2, &len),
			 CCID_E_OVERFLOW);
	assert_int_equal(len, 3);
	/* no SW */
	assert_int_equal(verify(&x, VERIFY_HEX, resp, sizeof(resp), &len),
			 CCID_E_PROTO);
	assert_wiped(&x, 10 + 28);
	fx_close(&x);
}

/* The keypad wait: the caller's deadline, but at least bTimerOut + 30 s. */
static void test_deadline(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT(VERIFY_SECURE("01")),
		FAKE_IN(OK_9000("01")),
		FAKE_OUT(VERIFY_SECURE("02")),
		FAKE_IN(OK_9000("02")),
	};
	struct fx x;
	uint8_t resp[16], s[64];
	size_t len = 0, n = hex(VERIFY_HEX, s, sizeof(s));
	uint64_t t, far;

	(void)state;
	fx_open(&x, CCID_FEAT_LEVEL_SHORT_APDU, 0x03);
	FAKE_SCRIPT(x.f, script);
	t = ccid_now_ms();
	assert_int_equal(ccid_slot_secure(x.r, 0, CCID_PIN_OP_VERIFY, s, n,
					  resp, sizeof(resp), &len,
					  ccid_deadline_in(10)), CCID_OK);
	/* bTimerOut 0x1E = 30 s, + 30 s */
	assert_true(x.f->last_in_deadline >= t + 60000);
	assert_true(x.f->last_in_deadline <= ccid_now_ms() + 60000);
	far = ccid_deadline_in(3600000);
	assert_int_equal(ccid_slot_secure(x.r, 0, CCID_PIN_OP_VERIFY, s, n,
					  resp, sizeof(resp), &len, far),
			 CCID_OK);
	assert_int_equal(x.f->last_in_deadline, far);
	fx_close(&x);
}

/* ------------------------------------------------------------------ */
/* TPDU level, T=1: we supply bTeoPrologue                            */

static void tpdu_t1_start(struct fx *x)
{
	static const struct fake_step script[] = {
		FAKE_OUT("62 00000000 00 01 00 00 00"),
		FAKE_IN("80 04000000 00 01 00 00 00 3B 80 01 81"),
		FAKE_OUT("61 07000000 00 02 01 00 00 11 10 00 4D 00 20 00"),
		FAKE_IN("82 07000000 00 02 00 00 01 11 10 00 4D 00 20 00"),
		FAKE_OUT("6F 05000000 00 03 00 00 00 00 C1 01 FE 3E"),
		FAKE_IN("80 05000000 00 03 00 00 00 00 E1 01 FE 1E"),
	};
	uint8_t atr[33];
	size_t len = 0;

	FAKE_SCRIPT(x->f, script);
	assert_int_equal(ccid_slot_power_on(x->r, 0, atr, sizeof(atr), &len,
					    D5S), CCID_OK);
	assert_int_equal(ccid_slot_set_protocol(x->r, 0, 1, D5S), CCID_OK);
	fake_transport_done(x->f);
}

/* Prologue NAD 00, PCB with our N(S), LEN 0D; the answer is the card's
 * I-block, unwrapped; both sequence numbers advance after an exchange,
 * not after a cancel; the next APDU continues the sequence. */
static void test_tpdu_t1_prologue(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("69 1C000000 00 04 00 00 00 00 1E 82 08 00 08 04 02 01 09 04 00"
			 " 00 00 0D 00 20 00 81 08 FF FF FF FF FF FF FF FF"),
		FAKE_IN("80 06000000 00 04 00 00 00 00 00 02 63 C2 A3"),
		FAKE_OUT("69 1C000000 00 05 00 00 00 00 1E 82 08 00 08 04 02 01 09 04 00"
			 " 00 40 0D 00 20 00 81 08 FF FF FF FF FF FF FF FF"),
		FAKE_IN("80 00000000 00 05 40 EF 00"),
		FAKE_OUT("69 1C000000 00 06 00 00 00 00 1E 82 08 00 08 04 02 01 09 04 00"
			 " 00 40 0D 00 20 00 81 08 FF FF FF FF FF FF FF FF"),
		FAKE_IN("80 06000000 00 06 00 00 00 00 40 02 90 00 D2"),
		/* an ordinary APDU: N(S) 0 again */
		FAKE_OUT("6F 08000000 00 07 00 00 00 00 00 04 80 16 00 00 92"),
		FAKE_IN("80 06000000 00 07 00 00 00 00 00 02 90 00 92"),
	};
	static const uint8_t nop[] = { 0x80, 0x16, 0x00, 0x00 };
	struct fx x;
	uint8_t resp[16];
	size_t len = 0;

	(void)state;
	fx_open(&x, CCID_FEAT_LEVEL_TPDU, 0x03);
	tpdu_t1_start(&x);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(verify(&x, VERIFY_HEX, resp, sizeof(resp), &len),
			 CCID_OK);
	assert_int_equal(len, 2);
	assert_int_equal(resp[0], 0x63);
	assert_int_equal(resp[1], 0xC2);
	assert_int_equal(verify(&x, VERIFY_HEX, resp, sizeof(resp), &len),
			 CCID_OK);
	assert_int_equal(resp[0], 0x64);
	assert_int_equal(resp[1], 0x01);
	assert_int_equal(verify(&x, VERIFY_HEX, resp, sizeof(resp), &len),
			 CCID_OK);
	assert_int_equal(resp[0], 0x90);
	assert_int_equal(ccid_slot_transmit(x.r, 0, nop, sizeof(nop), resp,
					    sizeof(resp), &len, D5S), CCID_OK);
	assert_int_equal(len, 2);
	assert_int_equal(resp[0], 0x90);
	fx_close(&x);
}

/* An answer that is no T=1 I-block (here an R-block) is a protocol
 * error, and the sequence does not advance. */
static void test_tpdu_t1_bad_answer(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("69 1C000000 00 04 00 00 00 00 1E 82 08 00 08 04 02 01 09 04 00"
			 " 00 00 0D 00 20 00 81 08 FF FF FF FF FF FF FF FF"),
		FAKE_IN("80 04000000 00 04 00 00 00 00 81 00 81"),
		FAKE_OUT("69 1C000000 00 05 00 00 00 00 1E 82 08 00 08 04 02 01 09 04 00"
			 " 00 00 0D 00 20 00 81 08 FF FF FF FF FF FF FF FF"),
		FAKE_IN("80 06000000 00 05 00 00 00 00 00 02 90 00 92"),
	};
	struct fx x;
	uint8_t resp[16];
	size_t len = 0;

	(void)state;
	fx_open(&x, CCID_FEAT_LEVEL_TPDU, 0x03);
	tpdu_t1_start(&x);
	FAKE_SCRIPT(x.f, script);
	assert_int_equal(verify(&x, VERIFY_HEX, resp, sizeof(resp), &len),
			 CCID_E_PROTO);
	assert_int_equal(verify(&x, VERIFY_HEX, resp, sizeof(resp), &len),
			 CCID_OK);
	fx_close(&x);
}

/* ------------------------------------------------------------------ */
/* Redaction: DESIGN.md "secrets stay secret"                         */

/* With debug logging the Secure message shows its header and 4 bytes,
 * never the template (here with digits in it). */
static void test_debug_dump_redacts(void **state)
{
	static const struct fake_step script[] = {
		FAKE_OUT("69 1C000000 00 01 00 00 00 00 1E 82 08 00 08 04 02 01 09 04 00"
			 " 00 00 00 00 20 00 81 08 31 32 33 34 FF FF FF FF"),
		FAKE_IN(OK_9000("01")),
	};
	char path[] = "/tmp/ccidkit-secureXXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	static char text[8192];
	struct fx x;
	uint8_t resp[16];
	size_t len = 0, got;
	FILE *f;

	(void)state;
	assert_true(fd >= 0 && saved >= 0);
	fx_open(&x, CCID_FEAT_LEVEL_SHORT_APDU, 0x03);
	FAKE_SCRIPT(x.f, script);
	ccid_log_set_level(CCID_LOG_DEBUG);
	fflush(stderr);
	dup2(fd, 2);
	assert_int_equal(verify(&x, "1E 05 82 08 00 08 04 02 01 09 04 00 00 00 00"
				" 0D 00 00 00 00 20 00 81 08 31 32 33 34 FF FF FF FF",
				resp, sizeof(resp), &len), CCID_OK);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	ccid_log_set_level(CCID_LOG_NONE);
	fx_close(&x);
	f = fdopen(fd, "r");
	assert_non_null(f);
	rewind(f);
	got = fread(text, 1, sizeof(text) - 1, f);
	text[got] = '\0';
	fclose(f);
	unlink(path);
	assert_non_null(strstr(text, "69 1C 00 00 00 00 01 00 00 00 00 1E 82 08"));
	assert_non_null(strstr(text, "24 more bytes redacted (PIN)"));
	assert_null(strstr(text, "31 32 33 34"));
	assert_null(strstr(text, "00 20 00 81"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_bytes),
		cmocka_unit_test(test_verify_big_endian),
		cmocka_unit_test(test_verify_entry_validation),
		cmocka_unit_test(test_verify_malformed),
		cmocka_unit_test(test_not_supported),
		cmocka_unit_test(test_modify_messages),
		cmocka_unit_test(test_modify_malformed),
		cmocka_unit_test(test_cancel_timeout),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_tpdu_t1_prologue),
		cmocka_unit_test(test_tpdu_t1_bad_answer),
		cmocka_unit_test(test_debug_dump_redacts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
