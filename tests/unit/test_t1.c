/* ccidkit — unit tests for ccid/t1.c (ISO/IEC 7816-3 §11 T=1 blocks).
 *
 * Every block on the wire is written out in full below (the LRC/CRC of
 * each one was worked out apart from the code under test; the CRC check
 * value 0x906E for "123456789" is the published ISO/IEC 13239 one).  The
 * engine runs against a scripted card: each step names the block we
 * must send, the multiplier the exchange must allow, and what the card
 * answers (a block or an xfer error).  The scenarios follow ISO 7816-3
 * Annex A: plain exchange, chaining both ways, S(IFS), S(WTX), errors
 * and retransmission, resynchronisation, abort. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ccid/err.h"
#include "ccid/t1.h"

/* ------------------------------------------------------------------ */
/* helpers */

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (s && *s) {
		unsigned v;

		if (*s == ' ') {
			s++;
			continue;
		}
		assert_int_equal(sscanf(s, "%2x", &v), 1);
		assert_true(n < cap);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	return n;
}

struct step {
	const char *out; /* the block we must send */
	int rc;          /* what xfer returns */
	const char *in;  /* the card's block (when rc is CCID_OK) */
	unsigned wtx;    /* the multiplier xfer must get (0: 1) */
};

struct script {
	const struct step *s;
	size_t n, pos;
};

static int fake_xfer(void *arg, const uint8_t *out, size_t out_len,
		     uint8_t *in, size_t in_cap, size_t *in_len, unsigned wtx)
{
	struct script *sc = arg;
	const struct step *st;
	uint8_t want[300];
	size_t n;

	if (sc->pos >= sc->n)
		fail_msg("xfer call %zu beyond the script of %zu", sc->pos + 1,
			 sc->n);
	st = &sc->s[sc->pos++];
	n = unhex(st->out, want, sizeof(want));
	if (n != out_len || memcmp(want, out, n) != 0) {
		print_error("step %zu: sent", sc->pos);
		for (size_t i = 0; i < out_len; i++)
			print_error(" %02X", out[i]);
		print_error(", expected %s\n", st->out);
		fail();
	}
	assert_int_equal(wtx, st->wtx ? st->wtx : 1);
	assert_int_equal(in_cap, CCID_T1_MAX_BLOCK);
	*in_len = unhex(st->in, in, in_cap);
	return st->rc;
}

#define SCRIPT(name, ...) \
	static const struct step name##_steps[] = { __VA_ARGS__ }; \
	struct script name = { name##_steps, \
		sizeof(name##_steps) / sizeof(name##_steps[0]), 0 }

/* Runs one APDU through the script, checks the result, the response
 * bytes and that the whole script was used. */
static void run_apdu(struct ccid_t1 *t, struct script *sc, const char *apdu,
		     int want_rc, const char *want_resp, size_t cap)
{
	uint8_t cmd[600], resp[600], want[600];
	size_t clen = unhex(apdu, cmd, sizeof(cmd));
	size_t wlen = unhex(want_resp, want, sizeof(want));
	size_t rlen = 12345;

	assert_true(cap <= sizeof(resp));
	memset(resp, 0xEE, sizeof(resp));
	assert_int_equal(ccid_t1_transceive(t, fake_xfer, sc, cmd, clen, resp,
					    cap, &rlen), want_rc);
	assert_int_equal(sc->pos, sc->n);
	if (want_rc == CCID_OK || want_rc == CCID_E_OVERFLOW) {
		assert_int_equal(rlen, wlen);
		assert_memory_equal(resp, want, wlen < cap ? wlen : cap);
		assert_int_equal(resp[wlen < cap ? wlen : cap], 0xEE);
	} else {
		assert_int_equal(rlen, 0);
	}
	assert_int_equal(t->wtx, 1);
}

static void init_lrc(struct ccid_t1 *t)
{
	ccid_t1_init(t, 32, 32, false, 0);
}

/* ------------------------------------------------------------------ */
/* EDC */

static void test_lrc(void **state)
{
	static const uint8_t ifs[] = { 0x00, 0xC1, 0x01, 0xFE };
	static const uint8_t ff[] = { 0xFF, 0x0F, 0xF0 };

	(void)state;
	assert_int_equal(ccid_t1_lrc(ifs, sizeof(ifs)), 0x3E);
	assert_int_equal(ccid_t1_lrc(ff, sizeof(ff)), 0x00);
	assert_int_equal(ccid_t1_lrc(ff, 1), 0xFF);
	assert_int_equal(ccid_t1_lrc(NULL, 0), 0x00);
}

static void test_crc(void **state)
{
	static const uint8_t check[] = "123456789";
	static const uint8_t ifs[] = { 0x00, 0xC1, 0x01, 0xFE };
	static const uint8_t z[] = { 0x00 };

	(void)state;
	/* ISO/IEC 13239 (X.25) check value */
	assert_int_equal(ccid_t1_crc(check, 9), 0x906E);
	assert_int_equal(ccid_t1_crc(NULL, 0), 0x0000);
	assert_int_equal(ccid_t1_crc(ifs, sizeof(ifs)), 0xABB1);
	assert_int_equal(ccid_t1_crc(z, 1), 0xF078);
}

/* ------------------------------------------------------------------ */
/* codec */

static void expect_encode(uint8_t nad, uint8_t pcb, const char *inf, bool crc,
			  const char *want_hex)
{
	uint8_t in[300], out[CCID_T1_MAX_BLOCK], want[300];
	size_t ilen = unhex(inf, in, sizeof(in));
	size_t wlen = unhex(want_hex, want, sizeof(want));
	size_t olen = 0;

	assert_int_equal(ccid_t1_block_encode(nad, pcb, in, ilen, crc, out,
					      sizeof(out), &olen), CCID_OK);
	assert_int_equal(olen, wlen);
	assert_memory_equal(out, want, wlen);
}

static void test_encode(void **state)
{
	(void)state;
	expect_encode(0x00, 0x00, "80 10 00 00 02 AB CD", false,
		      "00 00 07 80 10 00 00 02 AB CD F3");
	expect_encode(0x00, 0xC1, "FE", false, "00 C1 01 FE 3E");
	expect_encode(0x00, 0xC1, "FE", true, "00 C1 01 FE AB B1");
	expect_encode(0x00, 0x90, "", false, "00 90 00 90");
	expect_encode(0x12, 0x40, "01", false, "12 40 01 01 52");
	expect_encode(0x00, 0xE0, "", true, "00 E0 00 2F 55");
}

static void test_encode_limits(void **state)
{
	uint8_t inf[255], out[CCID_T1_MAX_BLOCK + 1];
	size_t olen = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(inf); i++)
		inf[i] = (uint8_t)i;
	/* LEN 254 fits with either EDC; LEN 255 is RFU */
	assert_int_equal(ccid_t1_block_encode(0, 0, inf, 254, true, out,
					      CCID_T1_MAX_BLOCK, &olen), CCID_OK);
	assert_int_equal(olen, 259);
	assert_int_equal(out[2], 254);
	assert_memory_equal(out + 3, inf, 254);
	assert_int_equal(ccid_t1_block_encode(0, 0, inf, 254, false, out,
					      258, &olen), CCID_OK);
	assert_int_equal(olen, 258);
	assert_int_equal(ccid_t1_block_encode(0, 0, inf, 255, false, out,
					      sizeof(out), &olen),
			 CCID_E_INVAL);
	/* one byte short */
	assert_int_equal(ccid_t1_block_encode(0, 0, inf, 254, true, out,
					      258, &olen), CCID_E_OVERFLOW);
	assert_int_equal(ccid_t1_block_encode(0, 0x80, NULL, 0, false, out,
					      3, &olen), CCID_E_OVERFLOW);
	assert_int_equal(ccid_t1_block_encode(0, 0x80, NULL, 0, true, out,
					      4, &olen), CCID_E_OVERFLOW);
	assert_int_equal(ccid_t1_block_encode(0, 0, NULL, 1, false, out,
					      sizeof(out), &olen), CCID_E_INVAL);
	assert_int_equal(ccid_t1_block_encode(0, 0, inf, 1, false, NULL,
					      sizeof(out), &olen), CCID_E_INVAL);
	assert_int_equal(ccid_t1_block_encode(0, 0, inf, 1, false, out,
					      sizeof(out), NULL), CCID_E_INVAL);
}

static int decode_hex(const char *hex, bool crc, struct ccid_t1_block *b,
		      uint8_t *buf)
{
	size_t n = unhex(hex, buf, 300);

	memset(b, 0xAA, sizeof(*b));
	return ccid_t1_block_decode(buf, n, crc, b);
}

static void test_decode_kinds(void **state)
{
	struct ccid_t1_block b;
	uint8_t buf[300];

	(void)state;
	assert_int_equal(decode_hex("21 60 02 90 00 D3", false, &b, buf),
			 CCID_OK);
	assert_int_equal(b.type, CCID_T1_I);
	assert_int_equal(b.nad, 0x21);
	assert_int_equal(b.pcb, 0x60);
	assert_int_equal(b.ns, 1);
	assert_true(b.more);
	assert_int_equal(b.len, 2);
	assert_ptr_equal(b.inf, buf + 3);

	assert_int_equal(decode_hex("00 00 00 00", false, &b, buf), CCID_OK);
	assert_int_equal(b.type, CCID_T1_I);
	assert_int_equal(b.ns, 0);
	assert_false(b.more);
	assert_int_equal(b.len, 0);

	assert_int_equal(decode_hex("00 91 00 91", false, &b, buf), CCID_OK);
	assert_int_equal(b.type, CCID_T1_R);
	assert_int_equal(b.nr, 1);
	assert_int_equal(b.r_error, 1);
	assert_int_equal(decode_hex("00 82 00 82", false, &b, buf), CCID_OK);
	assert_int_equal(b.nr, 0);
	assert_int_equal(b.r_error, 2);

	assert_int_equal(decode_hex("00 C3 01 05 C7", false, &b, buf), CCID_OK);
	assert_int_equal(b.type, CCID_T1_S);
	assert_int_equal(b.s_type, CCID_T1_S_WTX);
	assert_false(b.s_response);
	assert_int_equal(b.inf[0], 5);
	assert_int_equal(decode_hex("00 E1 01 FE A8 8A", true, &b, buf),
			 CCID_OK);
	assert_int_equal(b.s_type, CCID_T1_S_IFS);
	assert_true(b.s_response);
	assert_int_equal(b.inf[0], 0xFE);

	assert_int_equal(ccid_t1_block_decode(NULL, 4, false, &b), CCID_E_INVAL);
	assert_int_equal(ccid_t1_block_decode(buf, 4, false, NULL), CCID_E_INVAL);
}

/* Every proper prefix of a valid block is rejected, with LRC and CRC. */
static void test_decode_truncated(void **state)
{
	static const char *blocks[2] = {
		"00 00 07 80 10 00 00 02 AB CD F3",
		"00 00 07 80 10 00 00 02 AB CD D8 DD",
	};
	struct ccid_t1_block b;
	uint8_t buf[300];

	(void)state;
	for (int c = 0; c < 2; c++) {
		size_t n = unhex(blocks[c], buf, sizeof(buf));

		assert_int_equal(ccid_t1_block_decode(buf, n, c, &b), CCID_OK);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(ccid_t1_block_decode(buf, i, c, &b),
					 CCID_E_PROTO);
	}
	/* the smallest blocks: 4 bytes with LRC, 5 with CRC */
	assert_int_equal(decode_hex("00 80 00 80", false, &b, buf), CCID_OK);
	assert_int_equal(decode_hex("00 80 00", false, &b, buf), CCID_E_PROTO);
	assert_int_equal(decode_hex("00 80 00 4A 00", true, &b, buf),
			 CCID_OK);
	/* an LRC block read as CRC: too short */
	assert_int_equal(decode_hex("00 80 00 80", true, &b, buf), CCID_E_PROTO);
}

static void test_decode_len(void **state)
{
	uint8_t buf[300];
	struct ccid_t1_block b;
	size_t n;

	(void)state;
	/* LEN 255 with 255 INF bytes and a right LRC */
	buf[0] = 0;
	buf[1] = 0;
	buf[2] = 0xFF;
	memset(buf + 3, 0x11, 255);
	buf[258] = ccid_t1_lrc(buf, 258);
	assert_int_equal(ccid_t1_block_decode(buf, 259, false, &b), CCID_E_PROTO);
	/* LEN 254 is fine */
	buf[2] = 0xFE;
	buf[257] = ccid_t1_lrc(buf, 257);
	assert_int_equal(ccid_t1_block_decode(buf, 258, false, &b), CCID_OK);
	assert_int_equal(b.len, 254);
	/* LEN says 3, two bytes follow (EDC right) */
	n = unhex("00 00 03 90 00 93", buf, sizeof(buf));
	assert_int_equal(ccid_t1_block_decode(buf, n, false, &b), CCID_E_PROTO);
	/* LEN says 1, two bytes follow */
	n = unhex("00 00 01 90 00 91", buf, sizeof(buf));
	assert_int_equal(ccid_t1_block_decode(buf, n, false, &b), CCID_E_PROTO);
	/* bad LRC, bad CRC (each byte of it) */
	assert_int_equal(decode_hex("00 00 02 90 00 93", false, &b, buf),
			 CCID_E_PROTO);
	assert_int_equal(decode_hex("00 00 02 90 00 92", false, &b, buf), CCID_OK);
	assert_int_equal(decode_hex("00 E1 01 FE A9 8A", true, &b, buf),
			 CCID_E_PROTO);
	assert_int_equal(decode_hex("00 E1 01 FE A8 8B", true, &b, buf),
			 CCID_E_PROTO);
	/* an R-block with INF, S(WTX) without, S(ABORT) with */
	assert_int_equal(decode_hex("00 80 01 00 81", false, &b, buf),
			 CCID_E_PROTO);
	assert_int_equal(decode_hex("00 C3 00 C3", false, &b, buf),
			 CCID_E_PROTO);
	assert_int_equal(decode_hex("00 C3 02 01 02 C2", false, &b, buf),
			 CCID_E_PROTO);
	assert_int_equal(decode_hex("00 C2 01 00 C3", false, &b, buf),
			 CCID_E_PROTO);
}

/* All 256 PCB values, with LEN 0 and LEN 1: exactly the ISO 7816-3
 * §11.3.2 values decode. */
static void test_decode_pcb_table(void **state)
{
	static const uint8_t ok0[] = { 0x00, 0x20, 0x40, 0x60, 0x80, 0x81,
				       0x82, 0x90, 0x91, 0x92, 0xC0, 0xC2,
				       0xE0, 0xE2, 0xE4 };
	static const uint8_t ok1[] = { 0x00, 0x20, 0x40, 0x60, 0xC1, 0xC3,
				       0xE1, 0xE3 };
	struct ccid_t1_block b;
	uint8_t buf[5];

	(void)state;
	for (unsigned pcb = 0; pcb < 256; pcb++) {
		bool v0 = memchr(ok0, (int)pcb, sizeof(ok0)) != NULL;
		bool v1 = memchr(ok1, (int)pcb, sizeof(ok1)) != NULL;

		buf[0] = 0, buf[1] = (uint8_t)pcb, buf[2] = 0;
		buf[3] = ccid_t1_lrc(buf, 3);
		assert_int_equal(ccid_t1_block_decode(buf, 4, false, &b),
				 v0 ? CCID_OK : CCID_E_PROTO);
		buf[2] = 1, buf[3] = 0x20;
		buf[4] = ccid_t1_lrc(buf, 4);
		assert_int_equal(ccid_t1_block_decode(buf, 5, false, &b),
				 v1 ? CCID_OK : CCID_E_PROTO);
	}
}

static void test_init(void **state)
{
	struct ccid_t1 t;

	(void)state;
	memset(&t, 0x55, sizeof(t));
	ccid_t1_init(&t, 0xFE, 0x80, true, 0x12);
	assert_int_equal(t.ifsc, 0xFE);
	assert_int_equal(t.ifsd, 0x80);
	assert_true(t.crc);
	assert_int_equal(t.nad, 0x12);
	assert_int_equal(t.ns, 0);
	assert_int_equal(t.nr, 0);
	assert_int_equal(t.wtx, 1);
	ccid_t1_init(&t, 0, 0xFF, false, 0);
	assert_int_equal(t.ifsc, 32);
	assert_int_equal(t.ifsd, 32);
}

/* ------------------------------------------------------------------ */
/* exchanges */

/* Annex A: I(0,0) -> I(0,0), then N(S) toggles on both sides with each
 * APDU: I(1,0) -> I(1,0), I(0,0) -> I(0,0). */
static void test_plain_exchanges(void **state)
{
	struct ccid_t1 t;
	SCRIPT(a, { "00 00 07 80 10 00 00 02 AB CD F3", CCID_OK,
		    "00 00 04 AB CD 90 00 F2", 0 });
	SCRIPT(b, { "00 40 05 00 B0 00 00 01 F4", CCID_OK,
		    "00 40 03 42 90 00 91", 0 });
	SCRIPT(c, { "00 00 04 00 A4 04 00 A4", CCID_OK,
		    "00 00 02 6A 82 EA", 0 });

	(void)state;
	init_lrc(&t);
	run_apdu(&t, &a, "80 10 00 00 02 AB CD", CCID_OK, "AB CD 90 00", 256);
	assert_int_equal(t.ns, 1);
	assert_int_equal(t.nr, 1);
	run_apdu(&t, &b, "00 B0 00 00 01", CCID_OK, "42 90 00", 256);
	assert_int_equal(t.ns, 0);
	assert_int_equal(t.nr, 0);
	run_apdu(&t, &c, "00 A4 04 00", CCID_OK, "6A 82", 256);
	assert_int_equal(t.ns, 1);
	assert_int_equal(t.nr, 1);
}

/* Annex A chaining from the interface: IFSC 4, a 10-byte command goes as
 * I(0,1) R(1) I(1,1) R(0) I(0,0), answered by I(0,0). */
static void test_chain_command(void **state)
{
	struct ccid_t1 t;
	SCRIPT(s,
	       { "00 20 04 80 10 00 00 B4", CCID_OK, "00 90 00 90", 0 },
	       { "00 60 04 05 01 02 03 61", CCID_OK, "00 80 00 80", 0 },
	       { "00 00 02 04 05 03", CCID_OK,
		 "00 00 07 01 02 03 04 05 90 00 96", 0 });

	(void)state;
	ccid_t1_init(&t, 4, 32, false, 0);
	run_apdu(&t, &s, "80 10 00 00 05 01 02 03 04 05", CCID_OK,
		 "01 02 03 04 05 90 00", 256);
	assert_int_equal(t.ns, 1);
	assert_int_equal(t.nr, 1);
}

/* A command of exactly IFSC bytes is one block, one more byte makes two */
static void test_chain_command_boundary(void **state)
{
	struct ccid_t1 t;
	SCRIPT(one, { "00 00 04 01 02 03 04 00", CCID_OK,
		      "00 00 02 90 00 92", 0 });
	SCRIPT(two,
	       { "00 60 04 01 02 03 04 60", CCID_OK, "00 80 00 80", 0 },
	       { "00 00 01 05 04", CCID_OK, "00 40 02 90 00 D2", 0 });

	(void)state;
	ccid_t1_init(&t, 4, 32, false, 0);
	run_apdu(&t, &one, "01 02 03 04", CCID_OK, "90 00", 256);
	run_apdu(&t, &two, "01 02 03 04 05", CCID_OK, "90 00", 256);
	assert_int_equal(t.ns, 1);
	assert_int_equal(t.nr, 0);
}

/* Annex A chaining from the card: I(0,1) R(1) I(1,1) R(0) I(0,0) */
static void test_chain_response(void **state)
{
	struct ccid_t1 t;
	SCRIPT(s,
	       { "00 00 05 00 C0 00 00 07 C2", CCID_OK,
		 "00 20 03 01 02 03 23", 0 },
	       { "00 90 00 90", CCID_OK, "00 60 02 04 05 63", 0 },
	       { "00 80 00 80", CCID_OK, "00 00 02 90 00 92", 0 });

	(void)state;
	init_lrc(&t);
	run_apdu(&t, &s, "00 C0 00 00 07", CCID_OK, "01 02 03 04 05 90 00", 256);
	assert_int_equal(t.ns, 1);
	assert_int_equal(t.nr, 1);
}

/* Both ways in one APDU, starting from N(S) = 1 on both sides. */
static void test_chain_both_ways(void **state)
{
	struct ccid_t1 t;
	SCRIPT(s,
	       { "00 60 04 01 02 03 04 60", CCID_OK, "00 80 00 80", 0 },
	       { "00 00 02 05 06 01", CCID_OK,
		 "00 60 04 AA BB CC DD 64", 0 },
	       { "00 80 00 80", CCID_OK, "00 00 02 90 00 92", 0 });

	(void)state;
	ccid_t1_init(&t, 4, 32, false, 0);
	t.ns = 1;
	t.nr = 1;
	run_apdu(&t, &s, "01 02 03 04 05 06", CCID_OK, "AA BB CC DD 90 00",
		 256);
	assert_int_equal(t.ns, 1);
	assert_int_equal(t.nr, 1);
}

/* The largest blocks: IFSC 254, a 300-byte command (bytes i*7), a
 * 256+2 byte answer in blocks of 254 and 4. */
static void test_chain_254(void **state)
{
	struct ccid_t1 t;
	uint8_t cmd[300], resp[300];
	size_t rlen = 0;
	SCRIPT(s,
	       { "00 20 FE 00 07 0E 15 1C 23 2A 31 38 3F 46 4D 54 5B 62 69 70 77 7E 85 8C 93 9A A1 A8 AF B6 BD C4 CB D2 D9 E0 E7 EE F5 FC 03 0A 11 18 1F 26 2D 34 3B 42 49 50 57 5E 65 6C 73 7A 81 88 8F 96 9D A4 AB B2 B9 C0 C7 CE D5 DC E3 EA F1 F8 FF 06 0D 14 1B 22 29 30 37 3E 45 4C 53 5A 61 68 6F 76 7D 84 8B 92 99 A0 A7 AE B5 BC C3 CA D1 D8 DF E6 ED F4 FB 02 09 10 17 1E 25 2C 33 3A 41 48 4F 56 5D 64 6B 72 79 80 87 8E 95 9C A3 AA B1 B8 BF C6 CD D4 DB E2 E9 F0 F7 FE 05 0C 13 1A 21 28 2F 36 3D 44 4B 52 59 60 67 6E 75 7C 83 8A 91 98 9F A6 AD B4 BB C2 C9 D0 D7 DE E5 EC F3 FA 01 08 0F 16 1D 24 2B 32 39 40 47 4E 55 5C 63 6A 71 78 7F 86 8D 94 9B A2 A9 B0 B7 BE C5 CC D3 DA E1 E8 EF F6 FD 04 0B 12 19 20 27 2E 35 3C 43 4A 51 58 5F 66 6D 74 7B 82 89 90 97 9E A5 AC B3 BA C1 C8 CF D6 DD E4 EB D5", CCID_OK, "00 90 00 90", 0 },
	       { "00 40 2E F2 F9 00 07 0E 15 1C 23 2A 31 38 3F 46 4D 54 5B 62 69 70 77 7E 85 8C 93 9A A1 A8 AF B6 BD C4 CB D2 D9 E0 E7 EE F5 FC 03 0A 11 18 1F 26 2D 71", CCID_OK,
		 "00 20 FE 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A 5A DE", 0 },
	       { "00 90 00 90", CCID_OK, "00 40 04 5A 5A 90 00 D4", 0 });

	(void)state;
	for (size_t i = 0; i < sizeof(cmd); i++)
		cmd[i] = (uint8_t)(i * 7);
	ccid_t1_init(&t, 254, 254, false, 0);
	assert_int_equal(ccid_t1_transceive(&t, fake_xfer, &s, cmd, 300, resp,
					    sizeof(resp), &rlen), CCID_OK);
	assert_int_equal(s.pos, 3);
	assert_int_equal(rlen, 258);
	for (size_t i = 0; i < 256; i++)
		assert_int_equal(resp[i], 0x5A);
	assert_int_equal(resp[256], 0x90);
	assert_int_equal(resp[257], 0x00);
}

/* S(IFS request, 254) after activation, answered right away */
static void test_ifsd(void **state)
{
	struct ccid_t1 t;
	struct script s0;
	SCRIPT(s, { "00 C1 01 FE 3E", CCID_OK, "00 E1 01 FE 1E", 0 });
	SCRIPT(c, { "00 C1 01 FE AB B1", CCID_OK,
		    "00 E1 01 FE A8 8A", 0 });

	(void)state;
	ccid_t1_init(&t, 32, 254, false, 0);
	assert_int_equal(ccid_t1_negotiate_ifsd(&t, fake_xfer, &s), CCID_OK);
	assert_int_equal(s.pos, 1);
	assert_int_equal(t.ifsd, 254);
	assert_int_equal(t.ns, 0);
	assert_int_equal(t.nr, 0);
	ccid_t1_init(&t, 32, 254, true, 0);
	assert_int_equal(ccid_t1_negotiate_ifsd(&t, fake_xfer, &c), CCID_OK);
	assert_int_equal(c.pos, 1);
	/* nothing to ask for */
	s0 = s;
	s0.pos = 0;
	t.ifsd = 0;
	assert_int_equal(ccid_t1_negotiate_ifsd(&t, fake_xfer, &s0),
			 CCID_E_INVAL);
	assert_int_equal(s0.pos, 0);
}

/* Rule 7.3: a bad answer to an S-request makes us send the request
 * again; a wrong value is a bad answer; S(WTX) is answered meanwhile. */
static void test_ifsd_retries(void **state)
{
	struct ccid_t1 t;
	SCRIPT(s,
	       { "00 C1 01 FE 3E", CCID_OK, "00 E1 01 FE 1F", 0 },
	       { "00 C1 01 FE 3E", CCID_OK, "00 C3 01 02 C0", 0 },
	       { "00 E3 01 02 E0", CCID_E_TIMEOUT, NULL, 2 },
	       { "00 C1 01 FE 3E", CCID_OK, "00 E1 01 FE 1E", 0 });
	SCRIPT(v,
	       { "00 C1 01 FE 3E", CCID_OK, "00 E1 01 20 C0", 0 },
	       { "00 C1 01 FE 3E", CCID_OK, "00 E1 01 FE 1E", 0 });

	(void)state;
	ccid_t1_init(&t, 32, 254, false, 0);
	assert_int_equal(ccid_t1_negotiate_ifsd(&t, fake_xfer, &s), CCID_OK);
	assert_int_equal(s.pos, s.n);
	assert_int_equal(t.wtx, 1);
	assert_int_equal(ccid_t1_negotiate_ifsd(&t, fake_xfer, &v), CCID_OK);
	assert_int_equal(v.pos, v.n);
}

/* Rules 7.4: three failed S(IFS) attempts, S(RESYNCH), and the request
 * once more with the IFSD we wanted. */
static void test_ifsd_resynch(void **state)
{
	struct ccid_t1 t;
	SCRIPT(s,
	       { "00 C1 01 FE 3E", CCID_E_TIMEOUT, NULL, 0 },
	       { "00 C1 01 FE 3E", CCID_OK, "00 82 00 82", 0 },
	       { "00 C1 01 FE 3E", CCID_E_TIMEOUT, NULL, 0 },
	       { "00 C0 00 C0", CCID_OK, "00 E0 00 E0", 0 },
	       { "00 C1 01 FE 3E", CCID_OK, "00 E1 01 FE 1E", 0 });
	SCRIPT(f,
	       { "00 C1 01 FE 3E", CCID_E_TIMEOUT, NULL, 0 },
	       { "00 C1 01 FE 3E", CCID_E_TIMEOUT, NULL, 0 },
	       { "00 C1 01 FE 3E", CCID_E_TIMEOUT, NULL, 0 },
	       { "00 C0 00 C0", CCID_E_TIMEOUT, NULL, 0 },
	       { "00 C0 00 C0", CCID_E_TIMEOUT, NULL, 0 },
	       { "00 C0 00 C0", CCID_E_TIMEOUT, NULL, 0 });
	SCRIPT(d, { "00 C1 01 FE 3E", CCID_E_NO_DEVICE, NULL, 0 });

	(void)state;
	ccid_t1_init(&t, 32, 254, false, 0);
	assert_int_equal(ccid_t1_negotiate_ifsd(&t, fake_xfer, &s), CCID_OK);
	assert_int_equal(s.pos, s.n);
	assert_int_equal(t.ifsd, 254);
	ccid_t1_init(&t, 32, 254, false, 0);
	assert_int_equal(ccid_t1_negotiate_ifsd(&t, fake_xfer, &f), CCID_E_XFR);
	assert_int_equal(f.pos, f.n);
	ccid_t1_init(&t, 32, 254, false, 0);
	assert_int_equal(ccid_t1_negotiate_ifsd(&t, fake_xfer, &d),
			 CCID_E_NO_DEVICE);
	assert_int_equal(d.pos, d.n);
}

/* Rule 3: S(WTX request, m) answered with S(WTX response, m); only the
 * exchange carrying the response gets m x BWT. */
static void test_wtx(void **state)
{
	struct ccid_t1 t;
	SCRIPT(s,
	       { "00 00 07 80 10 00 00 02 AB CD F3", CCID_OK,
		 "00 C3 01 05 C7", 0 },
	       { "00 E3 01 05 E7", CCID_OK, "00 C3 01 03 C1", 5 },
	       { "00 E3 01 03 E1", CCID_OK, "00 00 04 AB CD 90 00 F2", 3 });
	SCRIPT(n, { "00 40 04 00 00 00 00 44", CCID_OK,
		    "00 40 02 90 00 D2", 0 });
	SCRIPT(z,
	       { "00 00 04 00 00 00 00 04", CCID_OK, "00 C3 01 00 C2", 0 },
	       { "00 E3 01 00 E2", CCID_OK, "00 00 02 90 00 92", 1 });

	(void)state;
	init_lrc(&t);
	run_apdu(&t, &s, "80 10 00 00 02 AB CD", CCID_OK, "AB CD 90 00", 256);
	run_apdu(&t, &n, "00 00 00 00", CCID_OK, "90 00", 256);
	/* multiplier 0 echoed, but the wait stays 1 x BWT */
	run_apdu(&t, &z, "00 00 00 00", CCID_OK, "90 00", 256);
}

/* WTX in the middle of a response chain, then a lost block after it */
static void test_wtx_in_chain(void **state)
{
	struct ccid_t1 t;
	SCRIPT(s,
	       { "00 00 04 00 CA 00 00 CE", CCID_OK,
		 "00 20 02 01 02 21", 0 },
	       { "00 90 00 90", CCID_OK, "00 C3 01 0A C8", 0 },
	       { "00 E3 01 0A E8", CCID_E_TIMEOUT, NULL, 10 },
	       { "00 92 00 92", CCID_OK, "00 40 02 90 00 D2", 0 });

	(void)state;
	init_lrc(&t);
	run_apdu(&t, &s, "00 CA 00 00", CCID_OK, "01 02 90 00", 256);
}

/* Annex A: an answer with a bad EDC is answered by R(0) with the EDC
 * bit; the card sends its I-block again. */
static void test_bad_edc(void **state)
{
	struct ccid_t1 t;
	SCRIPT(s,
	       { "00 00 05 00 B0 00 00 02 B7", CCID_OK,
		 "00 00 04 12 34 90 00 B3", 0 },
	       { "00 81 00 81", CCID_OK, "00 00 04 12 34 90 00 B2", 0 });
	SCRIPT(c,
	       { "00 40 05 00 B0 00 00 02 12 7C", CCID_OK,
		 "00 40 04 12 34 90 00 A5 F5", 0 },
	       { "00 91 00 C6 49", CCID_OK,
		 "00 40 04 12 34 90 00 A5 F4", 0 });

	(void)state;
	init_lrc(&t);
	run_apdu(&t, &s, "00 B0 00 00 02", CCID_OK, "12 34 90 00", 256);
	ccid_t1_init(&t, 32, 32, true, 0);
	t.ns = 1;
	t.nr = 1;
	run_apdu(&t, &c, "00 B0 00 00 02", CCID_OK, "12 34 90 00", 256);
	assert_int_equal(t.ns, 0);
	assert_int_equal(t.nr, 0);
}

/* Lost and malformed answers: R-block with "other error" (or EDC for a
 * parity error the reader saw), each once. */
static void test_bad_blocks(void **state)
{
	static const struct {
		int rc;
		const char *in;
		const char *r;
	} cases[] = {
		{ CCID_E_TIMEOUT, NULL, "00 82 00 82" },
		{ CCID_E_CARD_MUTE, NULL, "00 82 00 82" },
		{ CCID_E_OVERFLOW, NULL, "00 82 00 82" },
		{ CCID_E_XFR, NULL, "00 81 00 81" },
		{ CCID_OK, "", "00 82 00 82" },
		{ CCID_OK, "00 00 02", "00 82 00 82" },
		{ CCID_OK, "00 00 02 90", "00 82 00 82" },
		{ CCID_OK, "00 00 02 90 00", "00 82 00 82" },
		{ CCID_OK, "00 00 02 90 00 93", "00 81 00 81" },  /* LRC */
		{ CCID_OK, "00 00 03 90 00 93", "00 82 00 82" },  /* LEN */
		{ CCID_OK, "00 01 00 01", "00 82 00 82" },        /* PCB */
		{ CCID_OK, "00 A0 00 A0", "00 82 00 82" },        /* PCB */
		{ CCID_OK, "00 83 00 83", "00 82 00 82" },        /* PCB */
		{ CCID_OK, "00 C4 00 C4", "00 82 00 82" },        /* PCB */
		{ CCID_OK, "00 40 02 90 00 D2", "00 82 00 82" }, /* N(S) */
		{ CCID_OK, "00 90 00 90", "00 82 00 82" },  /* R(next) */
		{ CCID_OK, "00 E3 01 05 E7", "00 82 00 82" }, /* unasked */
		{ CCID_OK, "00 E0 00 E0", "00 82 00 82" },
		{ CCID_OK, "00 C0 00 C0", "00 82 00 82" },  /* card RESYNCH */
		{ CCID_OK, "00 C1 01 00 C0", "00 82 00 82" }, /* IFS 0 */
		{ CCID_OK, "00 C1 01 FF 3F", "00 82 00 82" }, /* IFS 255 */
		/* LEN 255 (RFU) with 255 INF bytes and a right LRC */
		{ CCID_OK, "00 00 FF 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 9E", "00 82 00 82" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ccid_t1 t;
		struct step st[2] = {
			{ "00 00 04 00 00 00 00 04", cases[i].rc,
			  cases[i].in, 0 },
			{ cases[i].r, CCID_OK, "00 00 02 90 00 92", 0 },
		};
		struct script sc = { st, 2, 0 };

		print_message("case %zu\n", i);
		init_lrc(&t);
		run_apdu(&t, &sc, "00 00 00 00", CCID_OK, "90 00", 256);
		assert_int_equal(t.ifsc, 32);
	}
}

/* Rule 7.5: R-block with N(R) = N(S) of our last I-block: send it
 * again, also in the middle of a chain. */
static void test_retransmit(void **state)
{
	struct ccid_t1 t;
	SCRIPT(s,
	       { "00 00 04 00 00 00 00 04", CCID_OK, "00 80 00 80", 0 },
	       { "00 00 04 00 00 00 00 04", CCID_OK, "00 81 00 81", 0 },
	       { "00 00 04 00 00 00 00 04", CCID_OK,
		 "00 00 02 90 00 92", 0 });
	SCRIPT(c,
	       { "00 20 04 01 02 03 04 20", CCID_OK, "00 90 00 90", 0 },
	       { "00 60 04 05 06 07 08 68", CCID_OK, "00 92 00 92", 0 },
	       { "00 60 04 05 06 07 08 68", CCID_OK, "00 80 00 80", 0 },
	       { "00 00 01 09 08", CCID_OK, "00 00 02 90 00 92", 0 });

	(void)state;
	init_lrc(&t);
	run_apdu(&t, &s, "00 00 00 00", CCID_OK, "90 00", 256);
	ccid_t1_init(&t, 4, 32, false, 0);
	run_apdu(&t, &c, "01 02 03 04 05 06 07 08 09", CCID_OK, "90 00", 256);
	assert_int_equal(t.ns, 1);
	assert_int_equal(t.nr, 1);
}

/* During the card's chain: a bad block, a lost one and an R-block from
 * the card are all answered with our R(N(R)) again. */
static void test_errors_in_response_chain(void **state)
{
	struct ccid_t1 t;
	SCRIPT(s,
	       { "00 00 04 00 CA 00 00 CE", CCID_OK,
		 "00 20 01 01 20", 0 },
	       { "00 90 00 90", CCID_OK, "00 60 01 02 62", 0 },
	       { "00 91 00 91", CCID_OK, "00 60 01 02 63", 0 },
	       { "00 80 00 80", CCID_OK, "00 90 00 90", 0 },
	       { "00 80 00 80", CCID_OK, "00 60 01 02 63", 0 },
	       { "00 82 00 82", CCID_OK, "00 00 03 03 90 00 90", 0 });

	(void)state;
	init_lrc(&t);
	/* the fifth reply repeats the block with N(S) 1 already taken */
	run_apdu(&t, &s, "00 CA 00 00", CCID_OK, "01 02 03 90 00", 256);
	assert_int_equal(t.ns, 1);
	assert_int_equal(t.nr, 1);
}

/* Failures are counted in a row: progress in between starts again. */
static void test_fail_count_resets(void **state)
{
	struct ccid_t1 t;
	SCRIPT(s,
	       { "00 20 04 01 02 03 04 20", CCID_E_TIMEOUT, NULL, 0 },
	       { "00 82 00 82", CCID_E_TIMEOUT, NULL, 0 },
	       { "00 82 00 82", CCID_OK, "00 90 00 90", 0 },
	       { "00 40 02 05 06 41", CCID_E_TIMEOUT, NULL, 0 },
	       { "00 82 00 82", CCID_E_TIMEOUT, NULL, 0 },
	       { "00 82 00 82", CCID_OK, "00 00 02 90 00 92", 0 });

	(void)state;
	ccid_t1_init(&t, 4, 32, false, 0);
	run_apdu(&t, &s, "01 02 03 04 05 06", CCID_OK, "90 00", 256);
}

/* Rule 7.4: three failed attempts, S(RESYNCH), and the APDU again from
 * N(S) 0 with the default IFSC/IFSD. */
static void test_resynch(void **state)
{
	struct ccid_t1 t;
	SCRIPT(a, { "00 00 04 00 00 00 00 04", CCID_OK,
		    "00 00 02 90 00 92", 0 });
	SCRIPT(s,
	       { "00 40 04 00 B0 00 00 F4", CCID_E_TIMEOUT, NULL, 0 },
	       { "00 92 00 92", CCID_OK, "00 80 00 81", 0 },
	       { "00 91 00 91", CCID_E_TIMEOUT, NULL, 0 },
	       { "00 C0 00 C0", CCID_OK, "00 E0 00 E0", 0 },
	       { "00 00 04 00 B0 00 00 B4", CCID_OK,
		 "00 00 02 90 00 92", 0 });

	(void)state;
	ccid_t1_init(&t, 254, 254, false, 0);
	run_apdu(&t, &a, "00 00 00 00", CCID_OK, "90 00", 256);
	run_apdu(&t, &s, "00 B0 00 00", CCID_OK, "90 00", 256);
	assert_int_equal(t.ns, 1);
	assert_int_equal(t.nr, 1);
	assert_int_equal(t.ifsc, 32);
	assert_int_equal(t.ifsd, 32);
}

/* No answer to three S(RESYNCH request)s: CCID_E_XFR. */
static void test_resynch_fails(void **state)
{
	struct ccid_t1 t;
	SCRIPT(s,
	       { "00 00 04 00 00 00 00 04", CCID_E_TIMEOUT, NULL, 0 },
	       { "00 82 00 82", CCID_E_TIMEOUT, NULL, 0 },
	       { "00 82 00 82", CCID_E_TIMEOUT, NULL, 0 },
	       { "00 C0 00 C0", CCID_E_TIMEOUT, NULL, 0 },
	       { "00 C0 00 C0", CCID_OK, "00 E0 00 E1", 0 },
	       { "00 C0 00 C0", CCID_OK, "00 E1 01 FE 1E", 0 });
	SCRIPT(d,
	       { "00 00 04 00 00 00 00 04", CCID_E_TIMEOUT, NULL, 0 },
	       { "00 82 00 82", CCID_E_TIMEOUT, NULL, 0 },
	       { "00 82 00 82", CCID_E_TIMEOUT, NULL, 0 },
	       { "00 C0 00 C0", CCID_E_NO_CARD, NULL, 0 });

	(void)state;
	init_lrc(&t);
	run_apdu(&t, &s, "00 00 00 00", CCID_E_XFR, NULL, 256);
	init_lrc(&t);
	run_apdu(&t, &d, "00 00 00 00", CCID_E_NO_CARD, NULL, 256);
}

/* Each resynchronisation works but the card keeps failing: three
 * S(RESYNCH) in all, then CCID_E_XFR. */
static void test_resynch_limit(void **state)
{
#define FAIL3 { "00 00 04 00 00 00 00 04", CCID_E_TIMEOUT, NULL, 0 }, \
	      { "00 82 00 82", CCID_E_TIMEOUT, NULL, 0 }, \
	      { "00 82 00 82", CCID_E_TIMEOUT, NULL, 0 }
#define RESYNCH { "00 C0 00 C0", CCID_OK, "00 E0 00 E0", 0 }
	struct ccid_t1 t;
	SCRIPT(s, FAIL3, RESYNCH, FAIL3, RESYNCH, FAIL3, RESYNCH, FAIL3);
#undef FAIL3
#undef RESYNCH

	(void)state;
	init_lrc(&t);
	run_apdu(&t, &s, "00 00 00 00", CCID_E_XFR, NULL, 256);
	assert_int_equal(s.n, 15);
}

/* Once the card has begun to answer, the command is not sent twice: a
 * resynchronisation then ends the exchange with CCID_E_XFR. */
static void test_resynch_after_answer(void **state)
{
	struct ccid_t1 t;
	SCRIPT(s,
	       { "00 00 04 00 CA 00 00 CE", CCID_OK,
		 "00 20 02 01 02 21", 0 },
	       { "00 90 00 90", CCID_E_TIMEOUT, NULL, 0 },
	       { "00 92 00 92", CCID_E_TIMEOUT, NULL, 0 },
	       { "00 92 00 92", CCID_E_TIMEOUT, NULL, 0 },
	       { "00 C0 00 C0", CCID_OK, "00 E0 00 E0", 0 });
	SCRIPT(n, { "00 00 04 00 00 00 00 04", CCID_OK,
		    "00 00 02 90 00 92", 0 });

	(void)state;
	init_lrc(&t);
	run_apdu(&t, &s, "00 CA 00 00", CCID_E_XFR, NULL, 256);
	assert_int_equal(t.ns, 0);
	assert_int_equal(t.nr, 0);
	/* and the next APDU starts from N(S) 0 */
	run_apdu(&t, &n, "00 00 00 00", CCID_OK, "90 00", 256);
}

/* Rule 9: S(ABORT request) from the card, during our chain or its own */
static void test_abort(void **state)
{
	struct ccid_t1 t;
	SCRIPT(s,
	       { "00 20 04 80 10 00 00 B4", CCID_OK, "00 C2 00 C2", 0 },
	       { "00 E2 00 E2", CCID_E_TIMEOUT, NULL, 0 });
	SCRIPT(r,
	       { "00 00 02 00 CA C8", CCID_OK, "00 20 01 01 20", 0 },
	       { "00 90 00 90", CCID_OK, "00 C2 00 C2", 0 },
	       { "00 E2 00 E2", CCID_OK, "00 80 00 80", 0 });
	SCRIPT(d,
	       { "00 00 02 00 CA C8", CCID_OK, "00 C2 00 C2", 0 },
	       { "00 E2 00 E2", CCID_E_NO_DEVICE, NULL, 0 });

	(void)state;
	ccid_t1_init(&t, 4, 32, false, 0);
	run_apdu(&t, &s, "80 10 00 00 05 01 02 03 04 05", CCID_E_ABORTED, NULL,
		 256);
	init_lrc(&t);
	run_apdu(&t, &r, "00 CA", CCID_E_ABORTED, NULL, 256);
	init_lrc(&t);
	run_apdu(&t, &d, "00 CA", CCID_E_NO_DEVICE, NULL, 256);
}

/* Rule 4: S(IFS request) from the card in the middle of our chain; the
 * rest of the command is cut at the new IFSC, also when the card then
 * asks for the block again. */
static void test_ifs_from_card(void **state)
{
	struct ccid_t1 t;
	SCRIPT(up,
	       { "00 20 04 80 10 00 00 B4", CCID_OK, "00 C1 01 08 C8", 0 },
	       { "00 E1 01 08 E8", CCID_OK, "00 90 00 90", 0 },
	       { "00 40 06 05 01 02 03 04 05 42", CCID_OK,
		 "00 00 02 90 00 92", 0 });
	SCRIPT(down,
	       { "00 20 08 01 02 03 04 05 06 07 08 20", CCID_OK,
		 "00 C1 01 04 C4", 0 },
	       { "00 E1 01 04 E4", CCID_OK, "00 80 00 80", 0 },
	       { "00 20 04 01 02 03 04 20", CCID_OK, "00 90 00 90", 0 },
	       { "00 60 04 05 06 07 08 68", CCID_OK, "00 80 00 80", 0 },
	       { "00 00 02 09 0A 01", CCID_OK, "00 00 02 90 00 92", 0 });

	(void)state;
	ccid_t1_init(&t, 4, 32, false, 0);
	run_apdu(&t, &up, "80 10 00 00 05 01 02 03 04 05", CCID_OK, "90 00", 256);
	assert_int_equal(t.ifsc, 8);
	ccid_t1_init(&t, 8, 32, false, 0);
	run_apdu(&t, &down, "01 02 03 04 05 06 07 08 09 0A", CCID_OK, "90 00",
		 256);
	assert_int_equal(t.ifsc, 4);
}

/* An I-block from the card before our chain is done is an error */
static void test_answer_too_early(void **state)
{
	struct ccid_t1 t;
	SCRIPT(s,
	       { "00 20 04 01 02 03 04 20", CCID_OK,
		 "00 00 02 90 00 92", 0 },
	       { "00 82 00 82", CCID_OK, "00 90 00 90", 0 },
	       { "00 40 01 05 44", CCID_OK, "00 00 02 90 00 92", 0 });

	(void)state;
	ccid_t1_init(&t, 4, 32, false, 0);
	run_apdu(&t, &s, "01 02 03 04 05", CCID_OK, "90 00", 256);
}

/* Any other xfer error ends the exchange at once */
static void test_fatal_errors(void **state)
{
	static const int errs[] = { CCID_E_NO_DEVICE, CCID_E_NO_CARD,
				    CCID_E_IO, CCID_E_CANCELLED, CCID_E_PROTO,
				    CCID_E_UNPOWERED };
	struct ccid_t1 t;

	(void)state;
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		struct step st[3] = {
			{ "00 20 04 01 02 03 04 20", CCID_OK,
			  "00 90 00 90", 0 },
			{ "00 60 04 05 06 07 08 68", CCID_OK,
			  "00 C3 01 02 C0", 0 },
			{ "00 E3 01 02 E0", errs[i], NULL, 2 },
		};
		struct script sc = { st, 3, 0 };

		ccid_t1_init(&t, 4, 32, false, 0);
		run_apdu(&t, &sc, "01 02 03 04 05 06 07 08 09", errs[i], NULL,
			 256);
		assert_int_equal(t.ns, 1);
	}
}

/* NAD as given in every block we send; the card's NAD is its own */
static void test_nad(void **state)
{
	struct ccid_t1 t;
	SCRIPT(s,
	       { "12 20 04 01 02 03 04 32", CCID_OK,
		 "21 90 00 B1", 0 },
	       { "12 40 01 05 56", CCID_OK, "21 C3 01 02 E1", 0 },
	       { "12 E3 01 02 F2", CCID_E_TIMEOUT, NULL, 2 },
	       { "12 82 00 90", CCID_OK, "21 20 01 AA AA", 0 },
	       { "12 90 00 82", CCID_OK,
		 "21 40 02 90 00 F3", 0 });
	SCRIPT(i, { "12 C1 01 FE 2C", CCID_OK,
		    "21 E1 01 FE 3F", 0 });

	(void)state;
	ccid_t1_init(&t, 4, 254, false, 0x12);
	assert_int_equal(ccid_t1_negotiate_ifsd(&t, fake_xfer, &i), CCID_OK);
	assert_int_equal(i.pos, i.n);
	run_apdu(&t, &s, "01 02 03 04 05", CCID_OK, "AA 90 00", 256);
}

/* CRC epilogue throughout a chained exchange */
static void test_crc_exchange(void **state)
{
	struct ccid_t1 t;
	SCRIPT(s,
	       { "00 20 04 01 02 03 04 E1 4F", CCID_OK,
		 "00 90 00 DF 91", 0 },
	       { "00 40 01 05 B4 DD", CCID_OK,
		 "00 20 01 AA ED 6D", 0 },
	       { "00 81 00 53 D8", CCID_OK,
		 "00 20 01 AA EC 6D", 0 },
	       { "00 90 00 DF 91", CCID_OK,
		 "00 40 02 90 00 75 25", 0 });

	(void)state;
	ccid_t1_init(&t, 4, 32, true, 0);
	run_apdu(&t, &s, "01 02 03 04 05", CCID_OK, "AA 90 00", 256);
}

/* A response longer than the buffer: the chain still runs to its end,
 * CCID_E_OVERFLOW with the full length, and the next APDU is in step. */
static void test_overflow(void **state)
{
	struct ccid_t1 t;
	SCRIPT(s,
	       { "00 00 04 00 CA 00 00 CE", CCID_OK,
		 "00 20 03 01 02 03 23", 0 },
	       { "00 90 00 90", CCID_OK, "00 40 02 90 00 D2", 0 });
	SCRIPT(n, { "00 40 04 00 00 00 00 44", CCID_OK,
		    "00 00 02 90 00 92", 0 });
	SCRIPT(z, { "00 00 04 00 00 00 00 04", CCID_OK,
		    "00 40 02 90 00 D2", 0 });
	SCRIPT(x, { "00 40 04 00 00 00 00 44", CCID_OK,
		    "00 00 02 90 00 92", 0 });
	uint8_t cmd[4] = { 0 }, resp[4] = { 0xEE, 0xEE, 0xEE, 0xEE };
	size_t rlen = 0;

	(void)state;
	init_lrc(&t);
	run_apdu(&t, &s, "00 CA 00 00", CCID_E_OVERFLOW, "01 02 03 90 00", 2);
	assert_int_equal(t.ns, 1);
	assert_int_equal(t.nr, 0);
	run_apdu(&t, &n, "00 00 00 00", CCID_OK, "90 00", 2);
	/* no buffer at all */
	assert_int_equal(ccid_t1_transceive(&t, fake_xfer, &z, cmd, 4, NULL, 0,
					    &rlen), CCID_E_OVERFLOW);
	assert_int_equal(rlen, 2);
	/* exactly the size */
	assert_int_equal(ccid_t1_transceive(&t, fake_xfer, &x, cmd, 4, resp, 2,
					    &rlen), CCID_OK);
	assert_int_equal(rlen, 2);
	assert_int_equal(resp[0], 0x90);
	assert_int_equal(resp[2], 0xEE);
}

static void test_bad_args(void **state)
{
	struct ccid_t1 t;
	uint8_t cmd[4] = { 0 }, resp[4];
	size_t rlen = 7;
	struct script none = { NULL, 0, 0 };

	(void)state;
	init_lrc(&t);
	assert_int_equal(ccid_t1_transceive(NULL, fake_xfer, &none, cmd, 4, resp,
					    4, &rlen), CCID_E_INVAL);
	assert_int_equal(ccid_t1_transceive(&t, NULL, &none, cmd, 4, resp, 4,
					    &rlen), CCID_E_INVAL);
	assert_int_equal(ccid_t1_transceive(&t, fake_xfer, &none, NULL, 4, resp,
					    4, &rlen), CCID_E_INVAL);
	assert_int_equal(ccid_t1_transceive(&t, fake_xfer, &none, cmd, 4, NULL,
					    4, &rlen), CCID_E_INVAL);
	assert_int_equal(ccid_t1_transceive(&t, fake_xfer, &none, cmd, 4, resp,
					    4, NULL), CCID_E_INVAL);
	assert_int_equal(ccid_t1_negotiate_ifsd(NULL, fake_xfer, &none),
			 CCID_E_INVAL);
	assert_int_equal(ccid_t1_negotiate_ifsd(&t, NULL, &none), CCID_E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lrc),
		cmocka_unit_test(test_crc),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_encode_limits),
		cmocka_unit_test(test_decode_kinds),
		cmocka_unit_test(test_decode_truncated),
		cmocka_unit_test(test_decode_len),
		cmocka_unit_test(test_decode_pcb_table),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_plain_exchanges),
		cmocka_unit_test(test_chain_command),
		cmocka_unit_test(test_chain_command_boundary),
		cmocka_unit_test(test_chain_response),
		cmocka_unit_test(test_chain_both_ways),
		cmocka_unit_test(test_chain_254),
		cmocka_unit_test(test_ifsd),
		cmocka_unit_test(test_ifsd_retries),
		cmocka_unit_test(test_ifsd_resynch),
		cmocka_unit_test(test_wtx),
		cmocka_unit_test(test_wtx_in_chain),
		cmocka_unit_test(test_bad_edc),
		cmocka_unit_test(test_bad_blocks),
		cmocka_unit_test(test_retransmit),
		cmocka_unit_test(test_errors_in_response_chain),
		cmocka_unit_test(test_fail_count_resets),
		cmocka_unit_test(test_resynch),
		cmocka_unit_test(test_resynch_fails),
		cmocka_unit_test(test_resynch_limit),
		cmocka_unit_test(test_resynch_after_answer),
		cmocka_unit_test(test_abort),
		cmocka_unit_test(test_ifs_from_card),
		cmocka_unit_test(test_answer_too_early),
		cmocka_unit_test(test_fatal_errors),
		cmocka_unit_test(test_nad),
		cmocka_unit_test(test_crc_exchange),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
