/* ccidkit — unit tests for ccid/decode.c, the layered decoder of CCID
 * traffic.  Every case compares the full text with assert_string_equal:
 * the format is the one decode.h promises (golden files depend on it).
 * Messages are written out from CCID 1.1 §6; T=1 blocks are built with
 * the T=1 codec (its own tests check its bytes) and their LRC/CRC values
 * in the expected text were checked by hand.
 *
 * DECODE_DUMP=1 prints each decoded text as a C literal, to review a
 * deliberate format change. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccid/decode.h"
#include "ccid/desc.h"
#include "ccid/err.h"
#include "ccid/msg.h"
#include "ccid/t1.h"
#include "ccid/text.h"

#define MCAP (CCID_HEADER_LEN + 70000)

static struct ccid_text T;
static uint8_t M[MCAP];

/* ------------------------------------------------------------------ */
/* Harness                                                            */

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "3B 80" → bytes; spaces ignored. */
static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (s != NULL && *s != '\0') {
		int hi, lo;

		if (*s == ' ') {
			s++;
			continue;
		}
		hi = hexval(s[0]);
		lo = hexval(s[1]);
		assert_true(hi >= 0 && lo >= 0);
		assert_true(n < cap);
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return n;
}

static void dump_literal(const char *s)
{
	fprintf(stderr, "\t\"");
	for (; *s != '\0'; s++) {
		if (*s == '\n')
			fprintf(stderr, "\\n\"\n\t\"");
		else if (*s == '"' || *s == '\\')
			fprintf(stderr, "\\%c", *s);
		else
			fputc(*s, stderr);
	}
	fprintf(stderr, "\"\n");
}

#define EXPECT(got, want) expect_text((got), (want), __LINE__)
static void expect_text(const char *got, const char *want, int line)
{
	if (getenv("DECODE_DUMP") != NULL) {
		fprintf(stderr, "@@ line %d\n", line);
		dump_literal(got);
		if (strcmp(want, "@@") == 0)
			return; /* a case being written */
	}
	assert_string_equal(got, want);
}

static const char *text(void)
{
	assert_false(T.oom);
	return T.buf != NULL ? T.buf : "";
}

static const char *feed(struct ccid_decoder *d, bool out, const uint8_t *m,
			size_t len)
{
	ccid_text_clear(&T);
	ccid_decode_bulk(d, out, m, len, &T);
	return text();
}

static void header(uint8_t type, uint8_t slot, uint8_t seq, uint8_t b7,
		   uint8_t b8, uint8_t b9, size_t n)
{
	M[0] = type;
	put_le32(M + 1, (uint32_t)n);
	M[5] = slot;
	M[6] = seq;
	M[7] = b7;
	M[8] = b8;
	M[9] = b9;
}

/* One bulk message, abData in hex; out: PC_to_RDR. */
static const char *bulk(struct ccid_decoder *d, bool out, uint8_t type,
			uint8_t slot, uint8_t seq, uint8_t b7, uint8_t b8,
			uint8_t b9, const char *hex)
{
	size_t n = unhex(hex, M + CCID_HEADER_LEN, MCAP - CCID_HEADER_LEN);

	header(type, slot, seq, b7, b8, b9, n);
	return feed(d, out, M, CCID_HEADER_LEN + n);
}

#define OUT(d, type, slot, seq, b7, b8, b9, hex) \
	bulk((d), true, (type), (slot), (seq), (b7), (b8), (b9), (hex))
#define IN(d, type, slot, seq, b7, b8, b9, hex) \
	bulk((d), false, (type), (slot), (seq), (b7), (b8), (b9), (hex))

/* A T=1 block (NAD 0) in an XfrBlock (out) or an ok DataBlock, slot 0;
 * corrupt flips a bit of the EDC. */
static const char *t1(struct ccid_decoder *d, bool out, uint8_t seq,
		      uint8_t pcb, const char *inf, bool crc, bool corrupt)
{
	uint8_t b[CCID_T1_MAX_INF];
	size_t n = unhex(inf, b, sizeof(b)), blen = 0;

	assert_int_equal(ccid_t1_block_encode(0, pcb, b, n, crc,
					      M + CCID_HEADER_LEN,
					      MCAP - CCID_HEADER_LEN, &blen),
			 CCID_OK);
	if (corrupt)
		M[CCID_HEADER_LEN + blen - 1] ^= 0x01;
	header(out ? PC_to_RDR_XfrBlock : RDR_to_PC_DataBlock, 0, seq, 0, 0, 0,
	       blen);
	return feed(d, out, M, CCID_HEADER_LEN + blen);
}

static const char *intr(struct ccid_decoder *d, const char *hex)
{
	uint8_t b[64];
	size_t n = unhex(hex, b, sizeof(b));

	ccid_text_clear(&T);
	ccid_decode_intr(d, b, n, &T);
	return text();
}

static const char *control(struct ccid_decoder *d, const char *setup_hex,
			   const char *data_hex, bool complete)
{
	uint8_t setup[8], b[64];
	size_t n;

	assert_int_equal(unhex(setup_hex, setup, sizeof(setup)), 8);
	n = unhex(data_hex, b, sizeof(b));
	ccid_text_clear(&T);
	ccid_decode_control(d, setup, n ? b : NULL, n, complete, &T);
	return text();
}

/* A valid CCID 1.1 class descriptor (ccid-spec.md §2): level from
 * dwFeatures, bMaxSlotIndex, dwMaxCCIDMessageLength 271. */
static void make_desc(uint8_t *b, uint32_t features, uint8_t max_slot)
{
	memset(b, 0, CCID_DESC_LEN);
	b[0] = CCID_DESC_LEN;
	b[1] = CCID_DESC_TYPE;
	b[2] = 0x10; /* bcdCCID 1.10 */
	b[3] = 0x01;
	b[4] = max_slot;
	b[5] = 0x07;        /* 5, 3, 1.8 V */
	put_le32(b + 6, 3); /* T=0, T=1 */
	put_le32(b + 10, 4000);
	put_le32(b + 14, 4000);
	b[18] = 1;
	put_le32(b + 19, 10752);
	put_le32(b + 23, 10752);
	b[27] = 1;
	put_le32(b + 28, 254);
	put_le32(b + 40, features);
	put_le32(b + 44, 271);
	b[48] = 0xFF;
	b[49] = 0xFF;
	b[53] = 1;
}

static struct ccid_decoder *new_dec(uint32_t features, uint8_t max_slot,
				    bool secrets)
{
	struct ccid_decode_opts o = { .show_secrets = secrets };
	struct ccid_decoder *d = NULL;
	uint8_t desc[CCID_DESC_LEN];

	make_desc(desc, features, max_slot);
	assert_int_equal(ccid_decoder_new(desc, sizeof(desc), &o, &d), CCID_OK);
	assert_non_null(d);
	return d;
}

#define F_TPDU (CCID_FEAT_LEVEL_TPDU | CCID_FEAT_AUTO_PPS)
#define F_SHORT (CCID_FEAT_LEVEL_SHORT_APDU | CCID_FEAT_AUTO_PPS)
#define F_EXT (CCID_FEAT_LEVEL_EXT_APDU | CCID_FEAT_AUTO_PPS)

static int setup(void **state)
{
	(void)state;
	ccid_text_init(&T);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ccid_text_free(&T);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Names                                                              */

static void test_names(void **state)
{
	uint8_t types[4] = { 0 };

	(void)state;
	assert_string_equal(ccid_decode_msg_name(0x6F), "PC_to_RDR_XfrBlock");
	assert_string_equal(ccid_decode_msg_name(0x50),
			    "RDR_to_PC_NotifySlotChange");
	assert_null(ccid_decode_msg_name(0x00));
	assert_null(ccid_decode_msg_name(0x85));
	assert_int_equal(ccid_decode_msg_lookup("XfrBlock", types), 1);
	assert_int_equal(types[0], 0x6F);
	assert_int_equal(ccid_decode_msg_lookup("escape", types), 2);
	assert_int_equal(types[0], 0x6B);
	assert_int_equal(types[1], 0x83);
	assert_int_equal(ccid_decode_msg_lookup("rdr_to_pc_datablock", types),
			 1);
	assert_int_equal(types[0], 0x80);
	assert_int_equal(ccid_decode_msg_lookup("PC_to_RDR_DataBlock", types),
			 0);
	assert_int_equal(ccid_decode_msg_lookup("Xfr", types), 0);
	assert_int_equal(ccid_decode_msg_lookup("", types), 0);
	assert_int_equal(ccid_decode_msg_lookup(NULL, types), 0);
}

static void test_life_cycle(void **state)
{
	struct ccid_decoder *d = NULL;
	uint8_t bad[CCID_DESC_LEN];

	(void)state;
	assert_int_equal(ccid_decoder_new(NULL, 0, NULL, NULL), CCID_E_INVAL);
	/* a descriptor that does not parse counts as unknown */
	make_desc(bad, F_TPDU, 0);
	bad[0] = 10;
	assert_int_equal(ccid_decoder_new(bad, sizeof(bad), NULL, &d), CCID_OK);
	ccid_decoder_free(&d);
	assert_null(d);
	ccid_decoder_free(&d);
	ccid_decoder_free(NULL);
	/* NULL decoder or text: nothing happens */
	ccid_text_clear(&T);
	ccid_decode_bulk(NULL, true, M, 10, &T);
	ccid_decode_intr(NULL, M, 2, &T);
	ccid_decode_control(NULL, M, NULL, 0, false, &T);
	ccid_decoder_set_desc(NULL, NULL, 0);
	assert_int_equal(T.len, 0);
}

/* ------------------------------------------------------------------ */
/* Every message type, both directions                                */

static void test_out_messages(void **state)
{
	struct ccid_decoder *d = new_dec(F_SHORT, 0, false);

	(void)state;
	EXPECT(OUT(d, 0x62, 0, 0, 0, 0, 0, NULL),
	       "> PC_to_RDR_IccPowerOn slot 0 seq 0 bPowerSelect 0 (auto) len 0\n");
	EXPECT(OUT(d, 0x62, 0, 1, 1, 0, 0, NULL),
	       "> PC_to_RDR_IccPowerOn slot 0 seq 1 bPowerSelect 1 (5.0 V) len 0\n");
	EXPECT(OUT(d, 0x62, 0, 2, 2, 0, 0, NULL),
	       "> PC_to_RDR_IccPowerOn slot 0 seq 2 bPowerSelect 2 (3.0 V) len 0\n");
	EXPECT(OUT(d, 0x62, 0, 3, 3, 0, 0, NULL),
	       "> PC_to_RDR_IccPowerOn slot 0 seq 3 bPowerSelect 3 (1.8 V) len 0\n");
	EXPECT(OUT(d, 0x62, 0, 4, 7, 0, 0, NULL),
	       "> PC_to_RDR_IccPowerOn slot 0 seq 4 bPowerSelect 7 (RFU) len 0\n");
	EXPECT(OUT(d, 0x63, 0, 5, 0, 0, 0, NULL),
	       "> PC_to_RDR_IccPowerOff slot 0 seq 5 len 0\n");
	EXPECT(OUT(d, 0x65, 1, 6, 0, 0, 0, NULL),
	       "> PC_to_RDR_GetSlotStatus slot 1 seq 6 len 0\n");
	EXPECT(OUT(d, 0x6F, 0, 7, 4, 0, 0, "00 A4 04 00 02 3F 00 00"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 7 bBWI 4 wLevelParameter 0x0000 len 8\n"
	       "    APDU > CLA 00 INS A4 P1 04 P2 00 Lc 2 Le 256 (SELECT)\n"
	       "    APDU data 3F 00\n");
	EXPECT(OUT(d, 0x6C, 0, 8, 0, 0, 0, NULL),
	       "> PC_to_RDR_GetParameters slot 0 seq 8 len 0\n");
	EXPECT(OUT(d, 0x6D, 0, 9, 0, 0, 0, NULL),
	       "> PC_to_RDR_ResetParameters slot 0 seq 9 len 0\n");
	EXPECT(OUT(d, 0x61, 0, 10, 0, 0, 0, "11 00 00 0A 00"),
	       "> PC_to_RDR_SetParameters slot 0 seq 10 bProtocolNum 0 len 5\n"
	       "    T=0 parameters bmFindexDindex 0x11 bmTCCKST0 0x00 bGuardTimeT0 0x00 bWaitingIntegerT0 0x0A bClockStop 0x00\n");
	EXPECT(OUT(d, 0x61, 0, 11, 1, 0, 0, "96 11 02 4D 03 FE 00"),
	       "> PC_to_RDR_SetParameters slot 0 seq 11 bProtocolNum 1 len 7\n"
	       "    T=1 parameters bmFindexDindex 0x96 bmTCCKST1 0x11 (CRC) bGuardTimeT1 0x02 bWaitingIntegerT1 0x4D bClockStop 0x03 bIFSC 254 bNadValue 0x00\n");
	EXPECT(OUT(d, 0x6B, 0, 12, 0, 0, 0, "01 02 03"),
	       "> PC_to_RDR_Escape slot 0 seq 12 len 3\n"
	       "    data 01 02 03\n");
	EXPECT(OUT(d, 0x6E, 0, 13, 0, 0, 0, NULL),
	       "> PC_to_RDR_IccClock slot 0 seq 13 bClockCommand 0 (restart) len 0\n");
	EXPECT(OUT(d, 0x6E, 0, 14, 1, 0, 0, NULL),
	       "> PC_to_RDR_IccClock slot 0 seq 14 bClockCommand 1 (stop) len 0\n");
	EXPECT(OUT(d, 0x6A, 0, 15, 3, 0xFF, 0x00, NULL),
	       "> PC_to_RDR_T0APDU slot 0 seq 15 bmChanges 0x03 bClassGetResponse 0xFF bClassEnvelope 0x00 len 0\n");
	EXPECT(OUT(d, 0x71, 0, 16, 2, 0, 0, NULL),
	       "> PC_to_RDR_Mechanical slot 0 seq 16 bFunction 2 (eject) len 0\n");
	EXPECT(OUT(d, 0x72, 0, 17, 0, 0, 0, NULL),
	       "> PC_to_RDR_Abort slot 0 seq 17 len 0\n");
	EXPECT(OUT(d, 0x73, 0, 18, 0, 0, 0, "A0 0F 00 00 80 25 00 00"),
	       "> PC_to_RDR_SetDataRateAndClockFrequency slot 0 seq 18 len 8\n"
	       "    dwClockFrequency 4000 kHz dwDataRate 9600 bps\n");
	EXPECT(OUT(d, 0x73, 0, 19, 0, 0, 0, "A0 0F 00"),
	       "> PC_to_RDR_SetDataRateAndClockFrequency slot 0 seq 19 len 3\n"
	       "    clock and rate malformed (3 bytes): A0 0F 00\n");
	/* unknown, and a reply type on the bulk OUT pipe */
	EXPECT(OUT(d, 0x99, 0, 20, 1, 2, 3, "AA"),
	       "> PC_to_RDR_0x99 slot 0 seq 20 len 1\n"
	       "    data AA\n");
	EXPECT(OUT(d, 0x80, 0, 21, 0, 0, 0, NULL),
	       "> PC_to_RDR_0x80 slot 0 seq 21 len 0\n");
	ccid_decoder_free(&d);
}

static void test_in_messages(void **state)
{
	struct ccid_decoder *d = new_dec(F_SHORT, 1, false);

	(void)state;
	/* the ATR of a DataBlock answering IccPowerOn */
	OUT(d, 0x62, 0, 0, 0, 0, 0, NULL);
	EXPECT(IN(d, 0x80, 0, 0, 0x00, 0, 0, "3B 80 81 41 01 41"),
	       "< RDR_to_PC_DataBlock slot 0 seq 0 status 0x00 (active, ok) chain 0x00 len 6\n"
	       "    ATR 3B 80 81 41 01 41 (T=1)\n");
	/* T=0 only, and a wrong TCK */
	OUT(d, 0x62, 0, 1, 1, 0, 0, NULL);
	EXPECT(IN(d, 0x80, 0, 1, 0x00, 0, 0, "3B 00"),
	       "< RDR_to_PC_DataBlock slot 0 seq 1 status 0x00 (active, ok) chain 0x00 len 2\n"
	       "    ATR 3B 00 (T=0)\n");
	OUT(d, 0x62, 0, 2, 1, 0, 0, NULL);
	EXPECT(IN(d, 0x80, 0, 2, 0x00, 0, 0, "3B 80 81 11 01 00"),
	       "< RDR_to_PC_DataBlock slot 0 seq 2 status 0x00 (active, ok) chain 0x00 len 6\n"
	       "    ATR 3B 80 81 11 01 00 (T=1, bad TCK)\n");
	OUT(d, 0x62, 0, 3, 1, 0, 0, NULL);
	EXPECT(IN(d, 0x80, 0, 3, 0x00, 0, 0, "3C 00"),
	       "< RDR_to_PC_DataBlock slot 0 seq 3 status 0x00 (active, ok) chain 0x00 len 2\n"
	       "    ATR 3C 00 (malformed)\n");
	/* failed power on: no card */
	OUT(d, 0x62, 1, 4, 0, 0, 0, NULL);
	EXPECT(IN(d, 0x80, 1, 4, 0x42, 0xFE, 0, NULL),
	       "< RDR_to_PC_DataBlock slot 1 seq 4 status 0x42 (absent, failed) error 0xFE (ICC_MUTE) chain 0x00 len 0\n");
	/* a DataBlock nobody asked for */
	EXPECT(IN(d, 0x80, 0, 5, 0x00, 0, 0, "90 00"),
	       "< RDR_to_PC_DataBlock slot 0 seq 5 status 0x00 (active, ok) chain 0x00 len 2\n"
	       "    data 90 00\n");
	/* SlotStatus: inactive, clock stopped; ok; RFU bits */
	EXPECT(IN(d, 0x81, 0, 6, 0x01, 0, 1, NULL),
	       "< RDR_to_PC_SlotStatus slot 0 seq 6 status 0x01 (inactive, ok) bClockStatus 1 (stopped in L) len 0\n");
	EXPECT(IN(d, 0x81, 0, 7, 0x00, 0, 0, NULL),
	       "< RDR_to_PC_SlotStatus slot 0 seq 7 status 0x00 (active, ok) bClockStatus 0 (running) len 0\n");
	EXPECT(IN(d, 0x81, 0, 8, 0xC3, 0, 9, NULL),
	       "< RDR_to_PC_SlotStatus slot 0 seq 8 status 0xC3 (RFU, RFU) bClockStatus 9 (RFU) len 0\n");
	/* every bError name */
	EXPECT(IN(d, 0x81, 0, 9, 0x41, 0xFF, 0, NULL),
	       "< RDR_to_PC_SlotStatus slot 0 seq 9 status 0x41 (inactive, failed) error 0xFF (CMD_ABORTED) bClockStatus 0 (running) len 0\n");
	EXPECT(IN(d, 0x81, 0, 9, 0x41, 0xFD, 0, NULL),
	       "< RDR_to_PC_SlotStatus slot 0 seq 9 status 0x41 (inactive, failed) error 0xFD (XFR_PARITY_ERROR) bClockStatus 0 (running) len 0\n");
	EXPECT(IN(d, 0x81, 0, 9, 0x41, 0xFC, 0, NULL),
	       "< RDR_to_PC_SlotStatus slot 0 seq 9 status 0x41 (inactive, failed) error 0xFC (XFR_OVERRUN) bClockStatus 0 (running) len 0\n");
	EXPECT(IN(d, 0x81, 0, 9, 0x41, 0xFB, 0, NULL),
	       "< RDR_to_PC_SlotStatus slot 0 seq 9 status 0x41 (inactive, failed) error 0xFB (HW_ERROR) bClockStatus 0 (running) len 0\n");
	EXPECT(IN(d, 0x81, 0, 9, 0x41, 0xF8, 0, NULL),
	       "< RDR_to_PC_SlotStatus slot 0 seq 9 status 0x41 (inactive, failed) error 0xF8 (BAD_ATR_TS) bClockStatus 0 (running) len 0\n");
	EXPECT(IN(d, 0x81, 0, 9, 0x41, 0xF7, 0, NULL),
	       "< RDR_to_PC_SlotStatus slot 0 seq 9 status 0x41 (inactive, failed) error 0xF7 (BAD_ATR_TCK) bClockStatus 0 (running) len 0\n");
	EXPECT(IN(d, 0x81, 0, 9, 0x41, 0xF6, 0, NULL),
	       "< RDR_to_PC_SlotStatus slot 0 seq 9 status 0x41 (inactive, failed) error 0xF6 (ICC_PROTOCOL_NOT_SUPPORTED) bClockStatus 0 (running) len 0\n");
	EXPECT(IN(d, 0x81, 0, 9, 0x41, 0xF5, 0, NULL),
	       "< RDR_to_PC_SlotStatus slot 0 seq 9 status 0x41 (inactive, failed) error 0xF5 (ICC_CLASS_NOT_SUPPORTED) bClockStatus 0 (running) len 0\n");
	EXPECT(IN(d, 0x81, 0, 9, 0x41, 0xF4, 0, NULL),
	       "< RDR_to_PC_SlotStatus slot 0 seq 9 status 0x41 (inactive, failed) error 0xF4 (PROCEDURE_BYTE_CONFLICT) bClockStatus 0 (running) len 0\n");
	EXPECT(IN(d, 0x81, 0, 9, 0x41, 0xF3, 0, NULL),
	       "< RDR_to_PC_SlotStatus slot 0 seq 9 status 0x41 (inactive, failed) error 0xF3 (DEACTIVATED_PROTOCOL) bClockStatus 0 (running) len 0\n");
	EXPECT(IN(d, 0x81, 0, 9, 0x41, 0xF2, 0, NULL),
	       "< RDR_to_PC_SlotStatus slot 0 seq 9 status 0x41 (inactive, failed) error 0xF2 (BUSY_WITH_AUTO_SEQUENCE) bClockStatus 0 (running) len 0\n");
	EXPECT(IN(d, 0x81, 0, 9, 0x41, 0xF0, 0, NULL),
	       "< RDR_to_PC_SlotStatus slot 0 seq 9 status 0x41 (inactive, failed) error 0xF0 (PIN_TIMEOUT) bClockStatus 0 (running) len 0\n");
	EXPECT(IN(d, 0x81, 0, 9, 0x41, 0xEF, 0, NULL),
	       "< RDR_to_PC_SlotStatus slot 0 seq 9 status 0x41 (inactive, failed) error 0xEF (PIN_CANCELLED) bClockStatus 0 (running) len 0\n");
	EXPECT(IN(d, 0x81, 0, 9, 0x41, 0xE0, 0, NULL),
	       "< RDR_to_PC_SlotStatus slot 0 seq 9 status 0x41 (inactive, failed) error 0xE0 (CMD_SLOT_BUSY) bClockStatus 0 (running) len 0\n");
	EXPECT(IN(d, 0x81, 0, 9, 0x41, 0x00, 0, NULL),
	       "< RDR_to_PC_SlotStatus slot 0 seq 9 status 0x41 (inactive, failed) error 0x00 (CMD_NOT_SUPPORTED) bClockStatus 0 (running) len 0\n");
	EXPECT(IN(d, 0x81, 0, 9, 0x41, 0x05, 0, NULL),
	       "< RDR_to_PC_SlotStatus slot 0 seq 9 status 0x41 (inactive, failed) error 0x05 (BAD_PARAMETER_INDEX) bClockStatus 0 (running) len 0\n");
	EXPECT(IN(d, 0x81, 0, 9, 0x41, 0xA2, 0, NULL),
	       "< RDR_to_PC_SlotStatus slot 0 seq 9 status 0x41 (inactive, failed) error 0xA2 (VENDOR_ERROR) bClockStatus 0 (running) len 0\n");
	/* Parameters (GetParameters), Escape, clock and rate */
	OUT(d, 0x6C, 0, 10, 0, 0, 0, NULL);
	EXPECT(IN(d, 0x82, 0, 10, 0x00, 0, 1, "11 10 00 4D 00 20 00"),
	       "< RDR_to_PC_Parameters slot 0 seq 10 status 0x00 (active, ok) bProtocolNum 1 len 7\n"
	       "    T=1 parameters bmFindexDindex 0x11 bmTCCKST1 0x10 (LRC) bGuardTimeT1 0x00 bWaitingIntegerT1 0x4D bClockStop 0x00 bIFSC 32 bNadValue 0x00\n");
	OUT(d, 0x6B, 0, 11, 0, 0, 0, "01");
	EXPECT(IN(d, 0x83, 0, 11, 0x00, 0, 0, "DE AD"),
	       "< RDR_to_PC_Escape slot 0 seq 11 status 0x00 (active, ok) len 2\n"
	       "    data DE AD\n");
	OUT(d, 0x73, 0, 12, 0, 0, 0, "A0 0F 00 00 80 25 00 00");
	EXPECT(IN(d, 0x84, 0, 12, 0x00, 0, 0, "A0 0F 00 00 80 25 00 00"),
	       "< RDR_to_PC_DataRateAndClockFrequency slot 0 seq 12 status 0x00 (active, ok) len 8\n"
	       "    dwClockFrequency 4000 kHz dwDataRate 9600 bps\n");
	/* time extension: the command stays pending for the real answer */
	OUT(d, 0x6F, 0, 13, 0, 0, 0, "00 84 00 00 08");
	EXPECT(IN(d, 0x80, 0, 13, 0x80, 0x02, 0, NULL),
	       "< RDR_to_PC_DataBlock slot 0 seq 13 status 0x80 (active, time extension) multiplier 2 chain 0x00 len 0\n");
	EXPECT(IN(d, 0x80, 0, 13, 0x00, 0, 0, "01 02 03 04 05 06 07 08 90 00"),
	       "< RDR_to_PC_DataBlock slot 0 seq 13 status 0x00 (active, ok) chain 0x00 len 10\n"
	       "    APDU < SW 90 00 (success)\n"
	       "    APDU data 01 02 03 04 05 06 07 08\n");
	/* unknown RDR_to_PC type, and a command type on the IN pipe */
	EXPECT(IN(d, 0x8F, 0, 14, 0x00, 0, 0, "01 02"),
	       "< RDR_to_PC_0x8F slot 0 seq 14 len 2\n"
	       "    data 01 02\n");
	EXPECT(IN(d, 0x6F, 0, 15, 0x00, 0, 0, NULL),
	       "< RDR_to_PC_0x6F slot 0 seq 15 len 0\n");
	ccid_decoder_free(&d);
}

/* ------------------------------------------------------------------ */
/* TPDU level                                                         */

/* ISO 7816-3 §11: a command chained in two I-blocks, an R-block asking
 * for a retransmission, S(WTX), a response chained in two I-blocks, one
 * of them with a bad LRC and sent again. */
static void test_t1_exchange(void **state)
{
	struct ccid_decoder *d = new_dec(F_TPDU, 0, false);

	(void)state;
	OUT(d, 0x62, 0, 0, 0, 0, 0, NULL);
	EXPECT(IN(d, 0x80, 0, 0, 0x00, 0, 0, "3B 80 01 81"),
	       "< RDR_to_PC_DataBlock slot 0 seq 0 status 0x00 (active, ok) chain 0x00 len 4\n"
	       "    ATR 3B 80 01 81 (T=1)\n");
	/* S(IFS request 254) and its response */
	EXPECT(t1(d, true, 1, 0xC1, "FE", false, false),
	       "> PC_to_RDR_XfrBlock slot 0 seq 1 bBWI 0 wLevelParameter 0x0000 len 5\n"
	       "    T=1 S(IFS request) FE LEN 1 LRC 0x3E ok\n");
	EXPECT(t1(d, false, 1, 0xE1, "FE", false, false),
	       "< RDR_to_PC_DataBlock slot 0 seq 1 status 0x00 (active, ok) chain 0x00 len 5\n"
	       "    T=1 S(IFS response) FE LEN 1 LRC 0x1E ok\n");
	/* SELECT, 13 bytes, as 8 + 5 */
	EXPECT(t1(d, true, 2, 0x20, "00 A4 04 00 07 A0 00 00", false, false),
	       "> PC_to_RDR_XfrBlock slot 0 seq 2 bBWI 0 wLevelParameter 0x0000 len 12\n"
	       "    T=1 I(0) M=1 LEN 8 LRC 0x2F ok\n"
	       "    (chained: part 1, 8 bytes so far)\n");
	EXPECT(t1(d, false, 2, 0x90, NULL, false, false),
	       "< RDR_to_PC_DataBlock slot 0 seq 2 status 0x00 (active, ok) chain 0x00 len 4\n"
	       "    T=1 R(1) LEN 0 LRC 0x90 ok\n");
	EXPECT(t1(d, true, 3, 0x40, "00 03 08 10 00", false, false),
	       "> PC_to_RDR_XfrBlock slot 0 seq 3 bBWI 0 wLevelParameter 0x0000 len 9\n"
	       "    T=1 I(1) M=0 LEN 5 LRC 0x5E ok\n"
	       "    APDU > CLA 00 INS A4 P1 04 P2 00 Lc 7 Le 256 (SELECT)\n"
	       "    APDU data A0 00 00 00 03 08 10\n");
	/* the card did not get it: R(1) with an EDC error; sent again */
	EXPECT(t1(d, false, 3, 0x91, NULL, false, false),
	       "< RDR_to_PC_DataBlock slot 0 seq 3 status 0x00 (active, ok) chain 0x00 len 4\n"
	       "    T=1 R(1) EDC error LEN 0 LRC 0x91 ok\n");
	EXPECT(t1(d, true, 4, 0x40, "00 03 08 10 00", false, false),
	       "> PC_to_RDR_XfrBlock slot 0 seq 4 bBWI 0 wLevelParameter 0x0000 len 9\n"
	       "    T=1 I(1) M=0 LEN 5 LRC 0x5E ok\n"
	       "    APDU > CLA 00 INS A4 P1 04 P2 00 Lc 7 Le 256 (SELECT)\n"
	       "    APDU data A0 00 00 00 03 08 10\n");
	/* the card needs time */
	EXPECT(t1(d, false, 4, 0xC3, "02", false, false),
	       "< RDR_to_PC_DataBlock slot 0 seq 4 status 0x00 (active, ok) chain 0x00 len 5\n"
	       "    T=1 S(WTX request) 02 LEN 1 LRC 0xC0 ok\n");
	EXPECT(t1(d, true, 5, 0xE3, "02", false, false),
	       "> PC_to_RDR_XfrBlock slot 0 seq 5 bBWI 0 wLevelParameter 0x0000 len 5\n"
	       "    T=1 S(WTX response) 02 LEN 1 LRC 0xE0 ok\n");
	/* response: 4 bytes + "01 02 90 00" */
	EXPECT(t1(d, false, 5, 0x20, "6F 10 84 08", false, false),
	       "< RDR_to_PC_DataBlock slot 0 seq 5 status 0x00 (active, ok) chain 0x00 len 8\n"
	       "    T=1 I(0) M=1 LEN 4 LRC 0xD7 ok\n"
	       "    (chained: part 1, 4 bytes so far)\n");
	EXPECT(t1(d, true, 6, 0x90, NULL, false, false),
	       "> PC_to_RDR_XfrBlock slot 0 seq 6 bBWI 0 wLevelParameter 0x0000 len 4\n"
	       "    T=1 R(1) LEN 0 LRC 0x90 ok\n");
	EXPECT(t1(d, false, 6, 0x40, "01 02 90 00", false, true),
	       "< RDR_to_PC_DataBlock slot 0 seq 6 status 0x00 (active, ok) chain 0x00 len 8\n"
	       "    T=1 I(1) M=0 LEN 4 LRC 0xD6 bad LRC (0xD7 expected)\n");
	EXPECT(t1(d, true, 7, 0x91, NULL, false, false),
	       "> PC_to_RDR_XfrBlock slot 0 seq 7 bBWI 0 wLevelParameter 0x0000 len 4\n"
	       "    T=1 R(1) EDC error LEN 0 LRC 0x91 ok\n");
	EXPECT(t1(d, false, 7, 0x40, "01 02 90 00", false, false),
	       "< RDR_to_PC_DataBlock slot 0 seq 7 status 0x00 (active, ok) chain 0x00 len 8\n"
	       "    T=1 I(1) M=0 LEN 4 LRC 0xD7 ok\n"
	       "    APDU < SW 90 00 (success)\n"
	       "    APDU data 6F 10 84 08 01 02\n");
	/* next APDU: I(0) again from the host, not a retransmission */
	EXPECT(t1(d, true, 8, 0x00, "00 B0 00 00 02", false, false),
	       "> PC_to_RDR_XfrBlock slot 0 seq 8 bBWI 0 wLevelParameter 0x0000 len 9\n"
	       "    T=1 I(0) M=0 LEN 5 LRC 0xB7 ok\n"
	       "    APDU > CLA 00 INS B0 P1 00 P2 00 Le 2 (READ BINARY)\n");
	EXPECT(t1(d, false, 8, 0x00, "AA BB 90 00", false, false),
	       "< RDR_to_PC_DataBlock slot 0 seq 8 status 0x00 (active, ok) chain 0x00 len 8\n"
	       "    T=1 I(0) M=0 LEN 4 LRC 0x85 ok\n"
	       "    APDU < SW 90 00 (success)\n"
	       "    APDU data AA BB\n");
	/* a block with LEN beyond its end, and one too short */
	EXPECT(OUT(d, 0x6F, 0, 9, 0, 0, 0, "00 40 05 00 B0 22"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 9 bBWI 0 wLevelParameter 0x0000 len 6\n"
	       "    T=1 block malformed (6 bytes, LEN 5): 00 40 05 00 B0 22\n");
	EXPECT(OUT(d, 0x6F, 0, 10, 0, 0, 0, "00 40"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 10 bBWI 0 wLevelParameter 0x0000 len 2\n"
	       "    T=1 block malformed (2 bytes): 00 40\n");
	/* RESYNCH, ABORT, an invalid S type */
	EXPECT(t1(d, true, 11, 0xC0, NULL, false, false),
	       "> PC_to_RDR_XfrBlock slot 0 seq 11 bBWI 0 wLevelParameter 0x0000 len 4\n"
	       "    T=1 S(RESYNCH request) LEN 0 LRC 0xC0 ok\n");
	EXPECT(t1(d, false, 11, 0xE0, NULL, false, false),
	       "< RDR_to_PC_DataBlock slot 0 seq 11 status 0x00 (active, ok) chain 0x00 len 4\n"
	       "    T=1 S(RESYNCH response) LEN 0 LRC 0xE0 ok\n");
	EXPECT(t1(d, true, 12, 0xC2, NULL, false, false),
	       "> PC_to_RDR_XfrBlock slot 0 seq 12 bBWI 0 wLevelParameter 0x0000 len 4\n"
	       "    T=1 S(ABORT request) LEN 0 LRC 0xC2 ok\n");
	EXPECT(t1(d, true, 13, 0xC9, NULL, false, false),
	       "> PC_to_RDR_XfrBlock slot 0 seq 13 bBWI 0 wLevelParameter 0x0000 len 4\n"
	       "    T=1 S(0x09 request) LEN 0 LRC 0xC9 ok\n");
	EXPECT(t1(d, true, 14, 0x85, NULL, false, false),
	       "> PC_to_RDR_XfrBlock slot 0 seq 14 bBWI 0 wLevelParameter 0x0000 len 4\n"
	       "    T=1 R(0) error 0x5 LEN 0 LRC 0x85 ok\n");
	ccid_decoder_free(&d);
}

/* CRC (ATR TC3 bit 0, then bmTCCKST1 bit 0 of SetParameters). */
static void test_t1_crc(void **state)
{
	struct ccid_decoder *d = new_dec(F_TPDU, 0, false);

	(void)state;
	OUT(d, 0x62, 0, 0, 0, 0, 0, NULL);
	EXPECT(IN(d, 0x80, 0, 0, 0x00, 0, 0, "3B 80 81 41 01 41"),
	       "< RDR_to_PC_DataBlock slot 0 seq 0 status 0x00 (active, ok) chain 0x00 len 6\n"
	       "    ATR 3B 80 81 41 01 41 (T=1)\n");
	EXPECT(t1(d, true, 1, 0x00, "00 84 00 00 08", true, false),
	       "> PC_to_RDR_XfrBlock slot 0 seq 1 bBWI 0 wLevelParameter 0x0000 len 10\n"
	       "    T=1 I(0) M=0 LEN 5 CRC 0x443E ok\n"
	       "    APDU > CLA 00 INS 84 P1 00 P2 00 Le 8 (GET CHALLENGE)\n");
	EXPECT(t1(d, false, 1, 0x00, "11 22 33 44 55 66 77 88 90 00", true,
		  true), "< RDR_to_PC_DataBlock slot 0 seq 1 status 0x00 (active, ok) chain 0x00 len 15\n"
	       "    T=1 I(0) M=0 LEN 10 CRC 0x9526 bad CRC (0x9527 expected)\n");
	/* SetParameters back to LRC */
	EXPECT(OUT(d, 0x61, 0, 2, 1, 0, 0, "11 10 00 4D 00 FE 00"),
	       "> PC_to_RDR_SetParameters slot 0 seq 2 bProtocolNum 1 len 7\n"
	       "    T=1 parameters bmFindexDindex 0x11 bmTCCKST1 0x10 (LRC) bGuardTimeT1 0x00 bWaitingIntegerT1 0x4D bClockStop 0x00 bIFSC 254 bNadValue 0x00\n");
	EXPECT(t1(d, true, 3, 0x40, "00 84 00 00 08", false, false),
	       "> PC_to_RDR_XfrBlock slot 0 seq 3 bBWI 0 wLevelParameter 0x0000 len 9\n"
	       "    T=1 I(1) M=0 LEN 5 LRC 0xC9 ok\n"
	       "    APDU > CLA 00 INS 84 P1 00 P2 00 Le 8 (GET CHALLENGE)\n");
	ccid_decoder_free(&d);
}

/* ISO 7816-3 §10.3: case 4 with 61xx and GET RESPONSE, case 2 with NULL
 * and ACK, case 3 with ACK and NULL. */
static void test_t0_exchange(void **state)
{
	struct ccid_decoder *d = new_dec(F_TPDU, 0, false);

	(void)state;
	OUT(d, 0x62, 0, 0, 0, 0, 0, NULL);
	EXPECT(IN(d, 0x80, 0, 0, 0x00, 0, 0, "3B 00"),
	       "< RDR_to_PC_DataBlock slot 0 seq 0 status 0x00 (active, ok) chain 0x00 len 2\n"
	       "    ATR 3B 00 (T=0)\n");
	EXPECT(OUT(d, 0x6F, 0, 1, 0, 0, 0, "00 A4 00 00 02 3F 00"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 1 bBWI 0 wLevelParameter 0x0000 len 7\n"
	       "    T=0 header CLA 00 INS A4 P1 00 P2 00 P3 02\n"
	       "    APDU > CLA 00 INS A4 P1 00 P2 00 Lc 2 (SELECT)\n"
	       "    APDU data 3F 00\n");
	EXPECT(IN(d, 0x80, 0, 1, 0x00, 0, 0, "61 04"),
	       "< RDR_to_PC_DataBlock slot 0 seq 1 status 0x00 (active, ok) chain 0x00 len 2\n"
	       "    T=0 procedure 0x61 (SW1)\n"
	       "    APDU < SW 61 04 (4 more bytes available (GET RESPONSE))\n");
	EXPECT(OUT(d, 0x6F, 0, 2, 0, 0, 0, "00 C0 00 00 04"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 2 bBWI 0 wLevelParameter 0x0000 len 5\n"
	       "    T=0 header CLA 00 INS C0 P1 00 P2 00 P3 04\n"
	       "    APDU > CLA 00 INS C0 P1 00 P2 00 Le 4 (GET RESPONSE)\n");
	EXPECT(IN(d, 0x80, 0, 2, 0x00, 0, 0, "62 02 83 00 90 00"),
	       "< RDR_to_PC_DataBlock slot 0 seq 2 status 0x00 (active, ok) chain 0x00 len 6\n"
	       "    T=0 procedure 0x90 (SW1)\n"
	       "    APDU < SW 90 00 (success)\n"
	       "    APDU data 62 02 83 00\n");
	EXPECT(OUT(d, 0x6F, 0, 3, 0, 0, 0, "00 B0 00 00 02"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 3 bBWI 0 wLevelParameter 0x0000 len 5\n"
	       "    T=0 header CLA 00 INS B0 P1 00 P2 00 P3 02\n"
	       "    APDU > CLA 00 INS B0 P1 00 P2 00 Le 2 (READ BINARY)\n");
	EXPECT(IN(d, 0x80, 0, 3, 0x00, 0, 0, "60 B0 B0 01 90 00"),
	       "< RDR_to_PC_DataBlock slot 0 seq 3 status 0x00 (active, ok) chain 0x00 len 6\n"
	       "    T=0 procedure 0x60 (NULL)\n"
	       "    T=0 procedure 0xB0 (ACK)\n"
	       "    T=0 procedure 0x90 (SW1)\n"
	       "    APDU < SW 90 00 (success)\n"
	       "    APDU data B0 01\n");
	EXPECT(OUT(d, 0x6F, 0, 4, 0, 0, 0, "00 D6 00 00 02 AA BB"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 4 bBWI 0 wLevelParameter 0x0000 len 7\n"
	       "    T=0 header CLA 00 INS D6 P1 00 P2 00 P3 02\n"
	       "    APDU > CLA 00 INS D6 P1 00 P2 00 Lc 2 (UPDATE BINARY)\n"
	       "    APDU data AA BB\n");
	EXPECT(IN(d, 0x80, 0, 4, 0x00, 0, 0, "D6 60 90 00"),
	       "< RDR_to_PC_DataBlock slot 0 seq 4 status 0x00 (active, ok) chain 0x00 len 4\n"
	       "    T=0 procedure 0xD6 (ACK)\n"
	       "    T=0 procedure 0x60 (NULL)\n"
	       "    T=0 procedure 0x90 (SW1)\n"
	       "    APDU < SW 90 00 (success)\n");
	/* case 2 answered with 61xx, then GET RESPONSE */
	EXPECT(OUT(d, 0x6F, 0, 8, 0, 0, 0, "00 CA 00 6E 00"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 8 bBWI 0 wLevelParameter 0x0000 len 5\n"
	       "    T=0 header CLA 00 INS CA P1 00 P2 6E P3 00\n"
	       "    APDU > CLA 00 INS CA P1 00 P2 6E Le 256 (GET DATA)\n");
	EXPECT(IN(d, 0x80, 0, 8, 0x00, 0, 0, "61 03"),
	       "< RDR_to_PC_DataBlock slot 0 seq 8 status 0x00 (active, ok) chain 0x00 len 2\n"
	       "    T=0 procedure 0x61 (SW1)\n"
	       "    APDU < SW 61 03 (3 more bytes available (GET RESPONSE))\n");
	EXPECT(OUT(d, 0x6F, 0, 9, 0, 0, 0, "00 C0 00 00 03"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 9 bBWI 0 wLevelParameter 0x0000 len 5\n"
	       "    T=0 header CLA 00 INS C0 P1 00 P2 00 P3 03\n"
	       "    APDU > CLA 00 INS C0 P1 00 P2 00 Le 3 (GET RESPONSE)\n");
	EXPECT(IN(d, 0x80, 0, 9, 0x00, 0, 0, "C0 6E 01 05 90 00"),
	       "< RDR_to_PC_DataBlock slot 0 seq 9 status 0x00 (active, ok) chain 0x00 len 6\n"
	       "    T=0 procedure 0xC0 (ACK)\n"
	       "    T=0 procedure 0x90 (SW1)\n"
	       "    APDU < SW 90 00 (success)\n"
	       "    APDU data 6E 01 05\n");
	/* 6Cxx: wrong Le; the header is sent again */
	EXPECT(OUT(d, 0x6F, 0, 5, 0, 0, 0, "00 CA 9F 7F 00"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 5 bBWI 0 wLevelParameter 0x0000 len 5\n"
	       "    T=0 header CLA 00 INS CA P1 9F P2 7F P3 00\n"
	       "    APDU > CLA 00 INS CA P1 9F P2 7F Le 256 (GET DATA)\n");
	EXPECT(IN(d, 0x80, 0, 5, 0x00, 0, 0, "6C 2D"),
	       "< RDR_to_PC_DataBlock slot 0 seq 5 status 0x00 (active, ok) chain 0x00 len 2\n"
	       "    T=0 procedure 0x6C (SW1)\n"
	       "    APDU < SW 6C 2D (wrong Le: exact length is 45)\n");
	/* short TPDU, and a reply of one byte */
	EXPECT(OUT(d, 0x6F, 0, 6, 0, 0, 0, "00 A4 00"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 6 bBWI 0 wLevelParameter 0x0000 len 3\n"
	       "    T=0 TPDU malformed (3 bytes): 00 A4 00\n");
	EXPECT(OUT(d, 0x6F, 0, 7, 0, 0, 0, "00 84 00 00 08"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 7 bBWI 0 wLevelParameter 0x0000 len 5\n"
	       "    T=0 header CLA 00 INS 84 P1 00 P2 00 P3 08\n"
	       "    APDU > CLA 00 INS 84 P1 00 P2 00 Le 8 (GET CHALLENGE)\n");
	EXPECT(IN(d, 0x80, 0, 7, 0x00, 0, 0, "60"),
	       "< RDR_to_PC_DataBlock slot 0 seq 7 status 0x00 (active, ok) chain 0x00 len 1\n"
	       "    APDU < malformed (1 bytes): 60\n");
	ccid_decoder_free(&d);
}

/* ------------------------------------------------------------------ */
/* APDU levels                                                        */

static void test_short_apdu(void **state)
{
	struct ccid_decoder *d = new_dec(F_SHORT, 0, false);

	(void)state;
	EXPECT(OUT(d, 0x6F, 0, 1, 0, 0, 0,
		   "00 A4 04 00 07 A0 00 00 00 03 10 10 00"), "> PC_to_RDR_XfrBlock slot 0 seq 1 bBWI 0 wLevelParameter 0x0000 len 13\n"
	       "    APDU > CLA 00 INS A4 P1 04 P2 00 Lc 7 Le 256 (SELECT)\n"
	       "    APDU data A0 00 00 00 03 10 10\n");
	EXPECT(IN(d, 0x80, 0, 1, 0x00, 0, 0, "6A 82"),
	       "< RDR_to_PC_DataBlock slot 0 seq 1 status 0x00 (active, ok) chain 0x00 len 2\n"
	       "    APDU < SW 6A 82 (file or application not found)\n");
	EXPECT(OUT(d, 0x6F, 0, 2, 0, 0, 0, "00 84 00 00 00"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 2 bBWI 0 wLevelParameter 0x0000 len 5\n"
	       "    APDU > CLA 00 INS 84 P1 00 P2 00 Le 256 (GET CHALLENGE)\n");
	EXPECT(IN(d, 0x80, 0, 2, 0x00, 0, 0, "90 00"),
	       "< RDR_to_PC_DataBlock slot 0 seq 2 status 0x00 (active, ok) chain 0x00 len 2\n"
	       "    APDU < SW 90 00 (success)\n");
	/* PC/SC Part 3 pseudo-APDUs */
	EXPECT(OUT(d, 0x6F, 0, 3, 0, 0, 0, "FF CA 00 00 00"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 3 bBWI 0 wLevelParameter 0x0000 len 5\n"
	       "    APDU > CLA FF INS CA P1 00 P2 00 Le 256 (GET DATA UID)\n");
	EXPECT(IN(d, 0x80, 0, 3, 0x00, 0, 0, "04 A1 B2 C3 90 00"),
	       "< RDR_to_PC_DataBlock slot 0 seq 3 status 0x00 (active, ok) chain 0x00 len 6\n"
	       "    APDU < SW 90 00 (success)\n"
	       "    APDU data 04 A1 B2 C3\n");
	EXPECT(OUT(d, 0x6F, 0, 4, 0, 0, 0, "FF CA 01 00 00"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 4 bBWI 0 wLevelParameter 0x0000 len 5\n"
	       "    APDU > CLA FF INS CA P1 01 P2 00 Le 256 (GET DATA ATS)\n");
	EXPECT(OUT(d, 0x6F, 0, 5, 0, 0, 0, "FF 86 00 00 05 01 00 04 60 00"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 5 bBWI 0 wLevelParameter 0x0000 len 10\n"
	       "    APDU > CLA FF INS 86 P1 00 P2 00 Lc 5 (GENERAL AUTHENTICATE)\n"
	       "    APDU data 01 00 04 60 00\n");
	EXPECT(OUT(d, 0x6F, 0, 6, 0, 0, 0, "FF B0 00 04 10"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 6 bBWI 0 wLevelParameter 0x0000 len 5\n"
	       "    APDU > CLA FF INS B0 P1 00 P2 04 Le 16 (READ BINARY)\n");
	EXPECT(OUT(d, 0x6F, 0, 7, 0, 0, 0, "FF D6 00 04 04 01 02 03 04"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 7 bBWI 0 wLevelParameter 0x0000 len 9\n"
	       "    APDU > CLA FF INS D6 P1 00 P2 04 Lc 4 (UPDATE BINARY)\n"
	       "    APDU data 01 02 03 04\n");
	EXPECT(OUT(d, 0x6F, 0, 8, 0, 0, 0, "FF C2 00 01 02 5F 46"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 8 bBWI 0 wLevelParameter 0x0000 len 7\n"
	       "    APDU > CLA FF INS C2 P1 00 P2 01 Lc 2 (TRANSPARENT EXCHANGE)\n"
	       "    APDU data 5F 46\n");
	/* unnamed instruction; malformed APDUs; a response of one byte */
	EXPECT(OUT(d, 0x6F, 0, 9, 0, 0, 0, "80 50 00 00 08 01 02 03 04 05 06 07 08 00"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 9 bBWI 0 wLevelParameter 0x0000 len 14\n"
	       "    APDU > CLA 80 INS 50 P1 00 P2 00 Lc 8 Le 256\n"
	       "    APDU data 01 02 03 04 05 06 07 08\n");
	EXPECT(OUT(d, 0x6F, 0, 10, 0, 0, 0, "00 A4 04"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 10 bBWI 0 wLevelParameter 0x0000 len 3\n"
	       "    APDU > malformed (3 bytes): 00 A4 04\n");
	EXPECT(OUT(d, 0x6F, 0, 11, 0, 0, 0, "00 A4 04 00 05 01"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 11 bBWI 0 wLevelParameter 0x0000 len 6\n"
	       "    APDU > malformed (6 bytes): 00 A4 04 00 05 01\n");
	EXPECT(IN(d, 0x80, 0, 11, 0x00, 0, 0, "90"),
	       "< RDR_to_PC_DataBlock slot 0 seq 11 status 0x00 (active, ok) chain 0x00 len 1\n"
	       "    APDU < malformed (1 bytes): 90\n");
	/* long data is cut at 64 bytes */
	EXPECT(OUT(d, 0x6F, 0, 12, 0, 0, 0,
		   "00 D6 00 00 46"
		   " 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F"
		   " 10 11 12 13 14 15 16 17 18 19 1A 1B 1C 1D 1E 1F"
		   " 20 21 22 23 24 25 26 27 28 29 2A 2B 2C 2D 2E 2F"
		   " 30 31 32 33 34 35 36 37 38 39 3A 3B 3C 3D 3E 3F"
		   " 40 41 42 43 44 45"), "> PC_to_RDR_XfrBlock slot 0 seq 12 bBWI 0 wLevelParameter 0x0000 len 75\n"
	       "    APDU > CLA 00 INS D6 P1 00 P2 00 Lc 70 (UPDATE BINARY)\n"
	       "    APDU data 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 11 12 13 14 15 16 17 18 19 1A 1B 1C 1D 1E 1F 20 21 22 23 24 25 26 27 28 29 2A 2B 2C 2D 2E 2F 30 31 32 33 34 35 36 37 38 39 3A 3B 3C 3D 3E 3F ... (70 bytes)\n");
	ccid_decoder_free(&d);
}

/* CCID 1.1 §6.1.4 / §6.2.1: a command in three parts (1, 3, 2), the
 * reader asking for each next part (bChainParameter 0x10), then a
 * response in three parts fetched with wLevelParameter 0x10. */
static void test_ext_apdu(void **state)
{
	struct ccid_decoder *d = new_dec(F_EXT, 0, false);

	(void)state;
	EXPECT(OUT(d, 0x6F, 0, 1, 0, 0x01, 0x00, "00 DA 01 02 00 00 0A 01 02"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 1 bBWI 0 wLevelParameter 0x0001 len 9\n"
	       "    (chained: part 1, 9 bytes so far)\n");
	EXPECT(IN(d, 0x80, 0, 1, 0x00, 0, 0x10, NULL),
	       "< RDR_to_PC_DataBlock slot 0 seq 1 status 0x00 (active, ok) chain 0x10 len 0\n");
	EXPECT(OUT(d, 0x6F, 0, 2, 0, 0x03, 0x00, "03 04 05 06"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 2 bBWI 0 wLevelParameter 0x0003 len 4\n"
	       "    (chained: part 2, 13 bytes so far)\n");
	EXPECT(IN(d, 0x80, 0, 2, 0x00, 0, 0x10, NULL),
	       "< RDR_to_PC_DataBlock slot 0 seq 2 status 0x00 (active, ok) chain 0x10 len 0\n");
	EXPECT(OUT(d, 0x6F, 0, 3, 0, 0x02, 0x00, "07 08 09 0A 01 00"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 3 bBWI 0 wLevelParameter 0x0002 len 6\n"
	       "    APDU > CLA 00 INS DA P1 01 P2 02 Lc 10 Le 256 (PUT DATA)\n"
	       "    APDU data 01 02 03 04 05 06 07 08 09 0A\n");
	EXPECT(IN(d, 0x80, 0, 3, 0x00, 0, 0x01, "A1 A2 A3"),
	       "< RDR_to_PC_DataBlock slot 0 seq 3 status 0x00 (active, ok) chain 0x01 len 3\n"
	       "    (chained: part 1, 3 bytes so far)\n");
	EXPECT(OUT(d, 0x6F, 0, 4, 0, 0x10, 0x00, NULL),
	       "> PC_to_RDR_XfrBlock slot 0 seq 4 bBWI 0 wLevelParameter 0x0010 len 0\n");
	EXPECT(IN(d, 0x80, 0, 4, 0x00, 0, 0x03, "A4 A5"),
	       "< RDR_to_PC_DataBlock slot 0 seq 4 status 0x00 (active, ok) chain 0x03 len 2\n"
	       "    (chained: part 2, 5 bytes so far)\n");
	EXPECT(OUT(d, 0x6F, 0, 5, 0, 0x10, 0x00, NULL),
	       "> PC_to_RDR_XfrBlock slot 0 seq 5 bBWI 0 wLevelParameter 0x0010 len 0\n");
	EXPECT(IN(d, 0x80, 0, 5, 0x00, 0, 0x02, "A6 90 00"),
	       "< RDR_to_PC_DataBlock slot 0 seq 5 status 0x00 (active, ok) chain 0x02 len 3\n"
	       "    APDU < SW 90 00 (success)\n"
	       "    APDU data A1 A2 A3 A4 A5 A6\n");
	/* an unknown wLevelParameter, and an end with no beginning */
	EXPECT(OUT(d, 0x6F, 0, 6, 0, 0x05, 0x00, "00 B0 00 00 00"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 6 bBWI 0 wLevelParameter 0x0005 len 5\n"
	       "    (unknown wLevelParameter 0x0005)\n"
	       "    data 00 B0 00 00 00\n");
	EXPECT(OUT(d, 0x6F, 0, 7, 0, 0x02, 0x00, "00 B0 00 00 00"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 7 bBWI 0 wLevelParameter 0x0002 len 5\n"
	       "    APDU > CLA 00 INS B0 P1 00 P2 00 Le 256 (READ BINARY)\n");
	/* a failed answer drops a chain in progress */
	EXPECT(OUT(d, 0x6F, 0, 8, 0, 0x01, 0x00, "00 DA 01 02 00 00 04 01"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 8 bBWI 0 wLevelParameter 0x0001 len 8\n"
	       "    (chained: part 1, 8 bytes so far)\n");
	EXPECT(IN(d, 0x80, 0, 8, 0x40, 0xFE, 0x00, NULL),
	       "< RDR_to_PC_DataBlock slot 0 seq 8 status 0x40 (active, failed) error 0xFE (ICC_MUTE) chain 0x00 len 0\n");
	EXPECT(OUT(d, 0x6F, 0, 9, 0, 0x02, 0x00, "02 03 04"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 9 bBWI 0 wLevelParameter 0x0002 len 3\n"
	       "    APDU > malformed (3 bytes): 02 03 04\n");
	ccid_decoder_free(&d);
}

static void test_escape(void **state)
{
	struct ccid_decoder *d = new_dec(F_SHORT, 0, false);

	(void)state;
	EXPECT(OUT(d, 0x6B, 0, 1, 0, 0, 0, "29 00 01"),
	       "> PC_to_RDR_Escape slot 0 seq 1 len 3\n"
	       "    data 29 00 01\n");
	EXPECT(IN(d, 0x83, 0, 1, 0x00, 0, 0, "56 31 2E 30"),
	       "< RDR_to_PC_Escape slot 0 seq 1 status 0x00 (active, ok) len 4\n"
	       "    data 56 31 2E 30\n");
	EXPECT(OUT(d, 0x6B, 0, 2, 0, 0, 0, NULL),
	       "> PC_to_RDR_Escape slot 0 seq 2 len 0\n");
	EXPECT(IN(d, 0x83, 0, 2, 0x40, 0x00, 0, NULL),
	       "< RDR_to_PC_Escape slot 0 seq 2 status 0x40 (active, failed) error 0x00 (CMD_NOT_SUPPORTED) len 0\n");
	ccid_decoder_free(&d);
}

static void test_set_parameters(void **state)
{
	struct ccid_decoder *d = new_dec(F_TPDU, 0, false);

	(void)state;
	EXPECT(OUT(d, 0x61, 0, 1, 0, 0, 0, "96 02 00 0A 03"),
	       "> PC_to_RDR_SetParameters slot 0 seq 1 bProtocolNum 0 len 5\n"
	       "    T=0 parameters bmFindexDindex 0x96 bmTCCKST0 0x02 bGuardTimeT0 0x00 bWaitingIntegerT0 0x0A bClockStop 0x03\n");
	EXPECT(IN(d, 0x82, 0, 1, 0x00, 0, 0, "96 02 00 0A 03"),
	       "< RDR_to_PC_Parameters slot 0 seq 1 status 0x00 (active, ok) bProtocolNum 0 len 5\n"
	       "    T=0 parameters bmFindexDindex 0x96 bmTCCKST0 0x02 bGuardTimeT0 0x00 bWaitingIntegerT0 0x0A bClockStop 0x03\n");
	/* now T=0 at TPDU level */
	EXPECT(OUT(d, 0x6F, 0, 2, 0, 0, 0, "00 B0 00 00 00"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 2 bBWI 0 wLevelParameter 0x0000 len 5\n"
	       "    T=0 header CLA 00 INS B0 P1 00 P2 00 P3 00\n"
	       "    APDU > CLA 00 INS B0 P1 00 P2 00 Le 256 (READ BINARY)\n");
	EXPECT(OUT(d, 0x61, 0, 3, 1, 0, 0, "13 11 02 75 00 FE 00"),
	       "> PC_to_RDR_SetParameters slot 0 seq 3 bProtocolNum 1 len 7\n"
	       "    T=1 parameters bmFindexDindex 0x13 bmTCCKST1 0x11 (CRC) bGuardTimeT1 0x02 bWaitingIntegerT1 0x75 bClockStop 0x00 bIFSC 254 bNadValue 0x00\n");
	EXPECT(IN(d, 0x82, 0, 3, 0x00, 0, 1, "13 11 02 75 00 FE 00"),
	       "< RDR_to_PC_Parameters slot 0 seq 3 status 0x00 (active, ok) bProtocolNum 1 len 7\n"
	       "    T=1 parameters bmFindexDindex 0x13 bmTCCKST1 0x11 (CRC) bGuardTimeT1 0x02 bWaitingIntegerT1 0x75 bClockStop 0x00 bIFSC 254 bNadValue 0x00\n");
	/* now T=1 with CRC */
	EXPECT(t1(d, true, 4, 0x00, "00 B0 00 00 00", true, false),
	       "> PC_to_RDR_XfrBlock slot 0 seq 4 bBWI 0 wLevelParameter 0x0000 len 10\n"
	       "    T=1 I(0) M=0 LEN 5 CRC 0xF668 ok\n"
	       "    APDU > CLA 00 INS B0 P1 00 P2 00 Le 256 (READ BINARY)\n");
	/* wrong sizes; an unknown protocol; a refused SetParameters */
	EXPECT(OUT(d, 0x61, 0, 5, 0, 0, 0, "96 02 00 0A"),
	       "> PC_to_RDR_SetParameters slot 0 seq 5 bProtocolNum 0 len 4\n"
	       "    T=0 parameters malformed (4 bytes): 96 02 00 0A\n");
	EXPECT(OUT(d, 0x61, 0, 6, 1, 0, 0, "96 02 00 0A 03"),
	       "> PC_to_RDR_SetParameters slot 0 seq 6 bProtocolNum 1 len 5\n"
	       "    T=1 parameters malformed (5 bytes): 96 02 00 0A 03\n");
	EXPECT(OUT(d, 0x61, 0, 7, 2, 0, 0, "01"),
	       "> PC_to_RDR_SetParameters slot 0 seq 7 bProtocolNum 2 len 1\n"
	       "    data 01\n");
	EXPECT(IN(d, 0x82, 0, 7, 0x40, 0x07, 2, NULL),
	       "< RDR_to_PC_Parameters slot 0 seq 7 status 0x40 (active, failed) error 0x07 (BAD_PARAMETER_INDEX) bProtocolNum 2 len 0\n");
	ccid_decoder_free(&d);
}

/* ------------------------------------------------------------------ */
/* Interrupt pipe and class requests                                  */

static void test_notify(void **state)
{
	struct ccid_decoder *d = new_dec(F_SHORT, 2, false);
	struct ccid_decoder *u = NULL;

	(void)state;
	/* slot 0 present changed, slot 1 absent, slot 2 present */
	EXPECT(intr(d, "50 13"),
	       "! RDR_to_PC_NotifySlotChange slot 0 present changed, slot 1 absent, slot 2 present\n");
	EXPECT(intr(d, "50 02"),
	       "! RDR_to_PC_NotifySlotChange slot 0 absent changed, slot 1 absent, slot 2 absent\n");
	/* 3 slots need 1 byte; extra bytes are ignored */
	EXPECT(intr(d, "50 00 FF"),
	       "! RDR_to_PC_NotifySlotChange slot 0 absent, slot 1 absent, slot 2 absent\n");
	EXPECT(intr(d, "50"), "! malformed interrupt message (1 bytes): 50\n");
	/* no descriptor: up to the last slot with news */
	assert_int_equal(ccid_decoder_new(NULL, 0, NULL, &u), CCID_OK);
	EXPECT(intr(u, "50 03"),
	       "! RDR_to_PC_NotifySlotChange slot 0 present changed\n");
	EXPECT(intr(u, "50 00"), "! RDR_to_PC_NotifySlotChange slot 0 absent\n");
	EXPECT(intr(u, "50 00 0C"),
	       "! RDR_to_PC_NotifySlotChange slot 0 absent, slot 1 absent, slot 2 absent, slot 3 absent, slot 4 absent, slot 5 present changed\n");
	ccid_decoder_free(&u);
	ccid_decoder_free(&d);
}

static void test_hardware_error(void **state)
{
	struct ccid_decoder *d = new_dec(F_SHORT, 0, false);

	(void)state;
	EXPECT(intr(d, "51 00 03 01"),
	       "! RDR_to_PC_HardwareError slot 0 seq 3 code 0x01 (overcurrent)\n");
	EXPECT(intr(d, "51 01 07 02"),
	       "! RDR_to_PC_HardwareError slot 1 seq 7 code 0x02 (unknown)\n");
	EXPECT(intr(d, "51 00 03"),
	       "! malformed interrupt message (3 bytes): 51 00 03\n");
	EXPECT(intr(d, "51 00 03 01 00"),
	       "! malformed interrupt message (5 bytes): 51 00 03 01 00\n");
	EXPECT(intr(d, "52 01 02"), "! RDR_to_PC_0x52 len 3\n"
	       "    data 01 02\n");
	EXPECT(intr(d, ""), "! malformed interrupt message (0 bytes)\n");
	ccid_decoder_free(&d);
}

static void test_control(void **state)
{
	struct ccid_decoder *d = new_dec(F_SHORT, 0, false);

	(void)state;
	EXPECT(control(d, "21 01 00 04 00 00 00 00", NULL, false),
	       "> control ABORT slot 0 seq 4\n");
	EXPECT(control(d, "21 01 00 04 00 00 00 00", NULL, true),
	       "< control ABORT slot 0 seq 4\n");
	EXPECT(control(d, "A1 02 00 00 00 00 08 00", NULL, false),
	       "> control GET_CLOCK_FREQUENCIES\n");
	EXPECT(control(d, "A1 02 00 00 00 00 08 00", "A0 0F 00 00 40 1F 00 00",
		       true), "< control GET_CLOCK_FREQUENCIES 2 frequencies: 4000 8000\n");
	EXPECT(control(d, "A1 03 00 00 00 00 10 00", NULL, false),
	       "> control GET_DATA_RATES\n");
	EXPECT(control(d, "A1 03 00 00 00 00 10 00",
		       "80 25 00 00 00 4B 00 00 00 96 00 00 00 C2 01 00", true),
	       "< control GET_DATA_RATES 4 rates: 9600 19200 38400 115200\n");
	EXPECT(control(d, "A1 03 00 00 00 00 10 00", "80 25 00", true),
	       "< control GET_DATA_RATES malformed (3 bytes): 80 25 00\n");
	EXPECT(control(d, "A1 03 00 00 00 00 10 00", NULL, true),
	       "< control GET_DATA_RATES 0 rates\n");
	/* anything else, e.g. GET_DESCRIPTOR */
	EXPECT(control(d, "80 06 00 02 00 00 09 00", NULL, false),
	       "> control bmRequestType 0x80 bRequest 0x06 wValue 0x0200 wIndex 0 len 9\n");
	EXPECT(control(d, "80 06 00 02 00 00 09 00",
		       "09 02 5D 00 01 01 00 80 32", true), "< control bmRequestType 0x80 bRequest 0x06 wValue 0x0200 wIndex 0 len 9\n"
	       "    data 09 02 5D 00 01 01 00 80 32\n");
	ccid_decoder_free(&d);
}

/* ------------------------------------------------------------------ */
/* Secrets                                                            */

/* A PC_to_RDR_Secure verification: bPINOperation 0, bTimerOut,
 * bmFormatString .. bTeoPrologue, then the APDU template. */
#define SECURE_VERIFY "00 00 82 04 00 08 04 02 01 09 04 00 00 00 00" \
		      " 00 20 00 81 08 20 FF FF FF FF FF FF FF"

static void test_masking(void **state)
{
	struct ccid_decoder *d = new_dec(F_SHORT, 0, false);
	struct ccid_decoder *s = new_dec(F_SHORT, 0, true);
	struct ccid_decoder *tp = new_dec(F_TPDU, 0, false);

	(void)state;
	EXPECT(OUT(d, 0x6F, 0, 1, 0, 0, 0,
		   "00 20 00 81 08 31 32 33 34 FF FF FF FF"), "> PC_to_RDR_XfrBlock slot 0 seq 1 bBWI 0 wLevelParameter 0x0000 len 13\n"
	       "    APDU > CLA 00 INS 20 P1 00 P2 81 Lc 8 (VERIFY)\n"
	       "    masked: 8 bytes (PIN)\n");
	EXPECT(OUT(d, 0x6F, 0, 2, 0, 0, 0,
		   "00 24 00 81 10 31 32 33 34 FF FF FF FF 35 36 37 38 FF FF FF FF"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 2 bBWI 0 wLevelParameter 0x0000 len 21\n"
	       "    APDU > CLA 00 INS 24 P1 00 P2 81 Lc 16 (CHANGE REFERENCE DATA)\n"
	       "    masked: 16 bytes (PIN)\n");
	EXPECT(OUT(d, 0x6F, 0, 3, 0, 0, 0, "00 2C 00 81 04 31 32 33 34"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 3 bBWI 0 wLevelParameter 0x0000 len 9\n"
	       "    APDU > CLA 00 INS 2C P1 00 P2 81 Lc 4 (RESET RETRY COUNTER)\n"
	       "    masked: 4 bytes (PIN)\n");
	EXPECT(OUT(d, 0x6F, 0, 4, 0, 0, 0, "00 21 00 81 04 31 32 33 34"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 4 bBWI 0 wLevelParameter 0x0000 len 9\n"
	       "    APDU > CLA 00 INS 21 P1 00 P2 81 Lc 4 (VERIFY)\n"
	       "    masked: 4 bytes (PIN)\n");
	EXPECT(OUT(d, 0x6F, 0, 5, 0, 0, 0, "FF 82 00 00 06 FF FF FF FF FF FF"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 5 bBWI 0 wLevelParameter 0x0000 len 11\n"
	       "    APDU > CLA FF INS 82 P1 00 P2 00 Lc 6 (LOAD KEYS)\n"
	       "    masked: 6 bytes (PIN)\n");
	/* VERIFY without data (retry counter) has nothing to hide */
	EXPECT(OUT(d, 0x6F, 0, 6, 0, 0, 0, "00 20 00 81"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 6 bBWI 0 wLevelParameter 0x0000 len 4\n"
	       "    APDU > CLA 00 INS 20 P1 00 P2 81 (VERIFY)\n");
	/* malformed VERIFY: still hidden */
	EXPECT(OUT(d, 0x6F, 0, 7, 0, 0, 0, "00 20 00 81 08 31 32"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 7 bBWI 0 wLevelParameter 0x0000 len 7\n"
	       "    APDU > malformed (7 bytes)\n"
	       "    masked: 7 bytes (PIN)\n");
	EXPECT(OUT(d, 0x69, 0, 8, 0, 0, 0, SECURE_VERIFY),
	       "> PC_to_RDR_Secure slot 0 seq 8 bBWI 0 wLevelParameter 0x0000 len 28\n"
	       "    bPINOperation 0 (PIN verification)\n"
	       "    masked: 27 bytes (PIN)\n");
	EXPECT(IN(d, 0x80, 0, 8, 0x00, 0, 0, "63 C2"),
	       "< RDR_to_PC_DataBlock slot 0 seq 8 status 0x00 (active, ok) chain 0x00 len 2\n"
	       "    APDU < SW 63 C2 (verification failed, 2 tries left)\n");
	/* show_secrets */
	EXPECT(OUT(s, 0x6F, 0, 1, 0, 0, 0,
		   "00 20 00 81 08 31 32 33 34 FF FF FF FF"), "> PC_to_RDR_XfrBlock slot 0 seq 1 bBWI 0 wLevelParameter 0x0000 len 13\n"
	       "    APDU > CLA 00 INS 20 P1 00 P2 81 Lc 8 (VERIFY)\n"
	       "    APDU data 31 32 33 34 FF FF FF FF\n");
	EXPECT(OUT(s, 0x69, 0, 2, 0, 0, 0, SECURE_VERIFY),
	       "> PC_to_RDR_Secure slot 0 seq 2 bBWI 0 wLevelParameter 0x0000 len 28\n"
	       "    bPINOperation 0 (PIN verification)\n"
	       "    data 00 82 04 00 08 04 02 01 09 04 00 00 00 00 00 20 00 81 08 20 FF FF FF FF FF FF FF\n");
	EXPECT(OUT(s, 0x69, 0, 3, 0, 0, 0, "04"),
	       "> PC_to_RDR_Secure slot 0 seq 3 bBWI 0 wLevelParameter 0x0000 len 1\n"
	       "    bPINOperation 4 (cancel PIN function)\n");
	/* chained (extended) and T=1 chained VERIFY: hidden once whole */
	EXPECT(OUT(d, 0x6F, 0, 9, 0, 0x01, 0, "00 20 00 81 08 31 32"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 9 bBWI 0 wLevelParameter 0x0001 len 7\n"
	       "    (chained: part 1, 7 bytes so far)\n");
	EXPECT(OUT(d, 0x6F, 0, 10, 0, 0x02, 0, "33 34 FF FF FF FF"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 10 bBWI 0 wLevelParameter 0x0002 len 6\n"
	       "    APDU > CLA 00 INS 20 P1 00 P2 81 Lc 8 (VERIFY)\n"
	       "    masked: 8 bytes (PIN)\n");
	OUT(tp, 0x62, 0, 0, 0, 0, 0, NULL);
	IN(tp, 0x80, 0, 0, 0x00, 0, 0, "3B 80 01 81");
	EXPECT(t1(tp, true, 1, 0x20, "00 20 00 81 08 31 32", false, false),
	       "> PC_to_RDR_XfrBlock slot 0 seq 1 bBWI 0 wLevelParameter 0x0000 len 11\n"
	       "    T=1 I(0) M=1 LEN 7 LRC 0x8D ok\n"
	       "    (chained: part 1, 7 bytes so far)\n");
	EXPECT(t1(tp, false, 1, 0x90, NULL, false, false),
	       "< RDR_to_PC_DataBlock slot 0 seq 1 status 0x00 (active, ok) chain 0x00 len 4\n"
	       "    T=1 R(1) LEN 0 LRC 0x90 ok\n");
	EXPECT(t1(tp, true, 2, 0x40, "33 34 FF FF FF FF", false, false),
	       "> PC_to_RDR_XfrBlock slot 0 seq 2 bBWI 0 wLevelParameter 0x0000 len 10\n"
	       "    T=1 I(1) M=0 LEN 6 LRC 0x41 ok\n"
	       "    APDU > CLA 00 INS 20 P1 00 P2 81 Lc 8 (VERIFY)\n"
	       "    masked: 8 bytes (PIN)\n");
	/* T=0 header of VERIFY: header only, data hidden */
	OUT(tp, 0x62, 0, 3, 0, 0, 0, NULL);
	IN(tp, 0x80, 0, 3, 0x00, 0, 0, "3B 00");
	EXPECT(OUT(tp, 0x6F, 0, 4, 0, 0, 0, "00 20 00 81 04 31 32 33 34"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 4 bBWI 0 wLevelParameter 0x0000 len 9\n"
	       "    T=0 header CLA 00 INS 20 P1 00 P2 81 P3 04\n"
	       "    APDU > CLA 00 INS 20 P1 00 P2 81 Lc 4 (VERIFY)\n"
	       "    masked: 4 bytes (PIN)\n");
	ccid_decoder_free(&tp);
	ccid_decoder_free(&s);
	ccid_decoder_free(&d);
}

/* ------------------------------------------------------------------ */
/* Malformed input                                                    */

/* "> malformed CCID message (N bytes): HEX\n", HEX written out here. */
static const char *malformed_text(char dir, const uint8_t *m, size_t n)
{
	static char s[256];
	int k = snprintf(s, sizeof(s), "%c malformed CCID message (%zu bytes)",
			 dir, n);

	for (size_t i = 0; i < n; i++)
		k += snprintf(s + k, sizeof(s) - (size_t)k, "%s%02X",
			      i ? " " : ": ", m[i]);
	snprintf(s + k, sizeof(s) - (size_t)k, "\n");
	return s;
}

static void test_malformed(void **state)
{
	static const uint8_t xfr[] = { 0x6F, 0x05, 0, 0, 0, 0x00, 0x01, 0, 0,
				       0, 0x00, 0x84, 0x00, 0x00, 0x08 };
	static const uint8_t blk[] = { 0x80, 0x02, 0, 0, 0, 0x00, 0x01, 0x00,
				       0, 0, 0x90, 0x00 };
	struct ccid_decoder *d = new_dec(F_SHORT, 0, false);

	(void)state;
	/* every truncation of an XfrBlock and of a DataBlock */
	for (size_t n = 0; n < sizeof(xfr); n++)
		EXPECT(feed(d, true, xfr, n), malformed_text('>', xfr, n));
	for (size_t n = 0; n < sizeof(blk); n++)
		EXPECT(feed(d, false, blk, n), malformed_text('<', blk, n));
	EXPECT(feed(d, true, xfr, 3),
	       "> malformed CCID message (3 bytes): 6F 05 00\n");
	EXPECT(feed(d, true, xfr, 14),
	       "> malformed CCID message (14 bytes): 6F 05 00 00 00 00 01 00 00 00 00 84 00 00\n");
	EXPECT(feed(d, false, blk, 11),
	       "< malformed CCID message (11 bytes): 80 02 00 00 00 00 01 00 00 00 90\n");
	/* the whole ones decode */
	EXPECT(feed(d, true, xfr, sizeof(xfr)),
	       "> PC_to_RDR_XfrBlock slot 0 seq 1 bBWI 0 wLevelParameter 0x0000 len 5\n"
	       "    APDU > CLA 00 INS 84 P1 00 P2 00 Le 8 (GET CHALLENGE)\n");
	EXPECT(feed(d, false, blk, sizeof(blk)),
	       "< RDR_to_PC_DataBlock slot 0 seq 1 status 0x00 (active, ok) chain 0x00 len 2\n"
	       "    APDU < SW 90 00 (success)\n");
	/* dwLength too small, too big, huge */
	header(0x6F, 0, 2, 0, 0, 0, 3);
	memcpy(M + CCID_HEADER_LEN, "\x00\xB0\x00\x00", 4);
	EXPECT(feed(d, true, M, 14),
	       "> malformed CCID message (14 bytes): 6F 03 00 00 00 00 02 00 00 00 00 B0 00 00\n");
	header(0x6F, 0, 2, 0, 0, 0, 5);
	EXPECT(feed(d, true, M, 14),
	       "> malformed CCID message (14 bytes): 6F 05 00 00 00 00 02 00 00 00 00 B0 00 00\n");
	header(0x80, 0, 2, 0, 0, 0, 0xFFFFFFFFu);
	EXPECT(feed(d, false, M, 14),
	       "< malformed CCID message (14 bytes): 80 FF FF FF FF 00 02 00 00 00 00 B0 00 00\n");
	/* a message longer than 64 bytes is cut in the text */
	memset(M, 0xEE, 80);
	EXPECT(feed(d, false, M, 80),
	       "< malformed CCID message (80 bytes): EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE EE ... (80 bytes)\n");
	/* a bSlot beyond the 16 the decoder keeps state for */
	EXPECT(OUT(d, 0x6F, 200, 3, 0, 0, 0, "00 B0 00 00 00"),
	       "> PC_to_RDR_XfrBlock slot 200 seq 3 bBWI 0 wLevelParameter 0x0000 len 5\n"
	       "    data 00 B0 00 00 00\n");
	EXPECT(IN(d, 0x80, 200, 3, 0x00, 0, 0, "90 00"),
	       "< RDR_to_PC_DataBlock slot 200 seq 3 status 0x00 (active, ok) chain 0x00 len 2\n"
	       "    data 90 00\n");
	/* a reply from another slot than the command's: no layers */
	EXPECT(OUT(d, 0x6F, 0, 4, 0, 0, 0, "00 B0 00 00 00"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 4 bBWI 0 wLevelParameter 0x0000 len 5\n"
	       "    APDU > CLA 00 INS B0 P1 00 P2 00 Le 256 (READ BINARY)\n");
	EXPECT(IN(d, 0x80, 1, 4, 0x00, 0, 0, "90 00"),
	       "< RDR_to_PC_DataBlock slot 1 seq 4 status 0x00 (active, ok) chain 0x00 len 2\n"
	       "    data 90 00\n");
	/* NULL message */
	ccid_text_clear(&T);
	ccid_decode_bulk(d, false, NULL, 12, &T);
	EXPECT(text(), "< malformed CCID message (0 bytes)\n");
	ccid_decoder_free(&d);
}

/* Every truncation of a T=1 block inside a well-formed XfrBlock, and of
 * the interrupt messages. */
static void test_malformed_inner(void **state)
{
	static const uint8_t blk[] = { 0x00, 0x40, 0x05, 0x00, 0xB0, 0x00,
				       0x00, 0x02, 0xF7 };
	static const uint8_t hwe[] = { 0x51, 0x00, 0x03, 0x01 };
	struct ccid_decoder *d = new_dec(F_TPDU, 0, false);
	char want[512];
	size_t k;

	(void)state;
	OUT(d, 0x62, 0, 0, 0, 0, 0, NULL);
	IN(d, 0x80, 0, 0, 0x00, 0, 0, "3B 80 01 81");
	for (size_t n = 1; n <= sizeof(blk); n++) {
		header(0x6F, 0, 1, 0, 0, 0, n);
		memcpy(M + CCID_HEADER_LEN, blk, n);
		k = (size_t)snprintf(want, sizeof(want),
				     "> PC_to_RDR_XfrBlock slot 0 seq 1 bBWI 0"
				     " wLevelParameter 0x0000 len %zu\n", n);
		if (n == sizeof(blk)) {
			snprintf(want + k, sizeof(want) - k,
				 "    T=1 I(1) M=0 LEN 5 LRC 0xF7 ok\n"
				 "    APDU > CLA 00 INS B0 P1 00 P2 00 Le 2"
				 " (READ BINARY)\n");
		} else {
			k += (size_t)snprintf(want + k, sizeof(want) - k,
					      "    T=1 block malformed (%zu bytes",
					      n);
			if (n >= 3)
				k += (size_t)snprintf(want + k,
						      sizeof(want) - k,
						      ", LEN 5");
			k += (size_t)snprintf(want + k, sizeof(want) - k, "):");
			for (size_t i = 0; i < n; i++)
				k += (size_t)snprintf(want + k,
						      sizeof(want) - k, " %02X",
						      blk[i]);
			snprintf(want + k, sizeof(want) - k, "\n");
		}
		EXPECT(feed(d, true, M, CCID_HEADER_LEN + n), want);
	}
	for (size_t n = 0; n < sizeof(hwe); n++) {
		ccid_text_clear(&T);
		ccid_decode_intr(d, hwe, n, &T);
		assert_int_equal(strncmp(text(), "! malformed interrupt message (",
					 31), 0);
	}
	ccid_decoder_free(&d);
}

/* A malformed message in the middle of a chain resets the slot. */
static void test_malformed_resets(void **state)
{
	struct ccid_decoder *d = new_dec(F_EXT, 0, false);

	(void)state;
	EXPECT(OUT(d, 0x6F, 0, 1, 0, 0x01, 0, "00 DA 01 02 00 00 04 01"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 1 bBWI 0 wLevelParameter 0x0001 len 8\n"
	       "    (chained: part 1, 8 bytes so far)\n");
	EXPECT(OUT(d, 0x6F, 0, 2, 0, 0x03, 0, "02"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 2 bBWI 0 wLevelParameter 0x0003 len 1\n"
	       "    (chained: part 2, 9 bytes so far)\n");
	header(0x6F, 0, 3, 0, 0x02, 0, 9);
	EXPECT(feed(d, true, M, 12),
	       "> malformed CCID message (12 bytes): 6F 09 00 00 00 00 03 00 02 00 02 DA\n");
	EXPECT(OUT(d, 0x6F, 0, 4, 0, 0x02, 0, "03 04"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 4 bBWI 0 wLevelParameter 0x0002 len 2\n"
	       "    APDU > malformed (2 bytes): 03 04\n");
	ccid_decoder_free(&d);
}

/* A chain longer than any extended APDU (65544 bytes) is dropped. */
static void test_chain_limits(void **state)
{
	struct ccid_decoder *d = new_dec(F_EXT, 4, false);

	(void)state;
	header(0x6F, 0, 1, 0, 0x01, 0, 40000);
	memset(M + CCID_HEADER_LEN, 0x11, 40000);
	EXPECT(feed(d, true, M, CCID_HEADER_LEN + 40000),
	       "> PC_to_RDR_XfrBlock slot 0 seq 1 bBWI 0 wLevelParameter 0x0001 len 40000\n"
	       "    (chained: part 1, 40000 bytes so far)\n");
	header(0x6F, 0, 2, 0, 0x03, 0, 25544);
	EXPECT(feed(d, true, M, CCID_HEADER_LEN + 25544),
	       "> PC_to_RDR_XfrBlock slot 0 seq 2 bBWI 0 wLevelParameter 0x0003 len 25544\n"
	       "    (chained: part 2, 65544 bytes so far)\n");
	header(0x6F, 0, 3, 0, 0x02, 0, 1);
	EXPECT(feed(d, true, M, CCID_HEADER_LEN + 1),
	       "> PC_to_RDR_XfrBlock slot 0 seq 3 bBWI 0 wLevelParameter 0x0002 len 1\n"
	       "    (chain too long: 65545 bytes, dropped)\n");
	/* the chain is gone: a lone end is taken alone */
	EXPECT(OUT(d, 0x6F, 0, 4, 0, 0x02, 0, "00 84 00 00 08"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 4 bBWI 0 wLevelParameter 0x0002 len 5\n"
	       "    APDU > CLA 00 INS 84 P1 00 P2 00 Le 8 (GET CHALLENGE)\n");
	/* bChainParameter 0x10 with data (should be empty): shown */
	EXPECT(IN(d, 0x80, 0, 4, 0x00, 0, 0x10, "01 02"),
	       "< RDR_to_PC_DataBlock slot 0 seq 4 status 0x00 (active, ok) chain 0x10 len 2\n"
	       "    data 01 02\n");
	/* 5 slots need 2 bytes of bmSlotICCState */
	EXPECT(intr(d, "50 FF"),
	       "! malformed interrupt message (2 bytes): 50 FF\n");
	EXPECT(intr(d, "50 01 02"),
	       "! RDR_to_PC_NotifySlotChange slot 0 present, slot 1 absent,"
	       " slot 2 absent, slot 3 absent, slot 4 absent changed\n");
	ccid_decoder_free(&d);
}

/* ------------------------------------------------------------------ */
/* No class descriptor: the level is learnt                           */

static void test_level_learning(void **state)
{
	struct ccid_decoder *a = NULL, *b = NULL, *c = NULL;
	uint8_t desc[CCID_DESC_LEN];

	(void)state;
	/* T=1 blocks: TPDU level, and it stays so (a bad LRC is still a
	 * block) */
	assert_int_equal(ccid_decoder_new(NULL, 0, NULL, &a), CCID_OK);
	EXPECT(OUT(a, 0x61, 0, 1, 1, 0, 0, "11 10 00 4D 00 20 00"),
	       "> PC_to_RDR_SetParameters slot 0 seq 1 bProtocolNum 1 len 7\n"
	       "    T=1 parameters bmFindexDindex 0x11 bmTCCKST1 0x10 (LRC) bGuardTimeT1 0x00 bWaitingIntegerT1 0x4D bClockStop 0x00 bIFSC 32 bNadValue 0x00\n");
	EXPECT(t1(a, true, 2, 0x00, "00 B0 00 00 00", false, false),
	       "> PC_to_RDR_XfrBlock slot 0 seq 2 bBWI 0 wLevelParameter 0x0000 len 9\n"
	       "    T=1 I(0) M=0 LEN 5 LRC 0xB5 ok\n"
	       "    APDU > CLA 00 INS B0 P1 00 P2 00 Le 256 (READ BINARY)\n");
	EXPECT(t1(a, false, 2, 0x00, "90 00", false, false),
	       "< RDR_to_PC_DataBlock slot 0 seq 2 status 0x00 (active, ok) chain 0x00 len 6\n"
	       "    T=1 I(0) M=0 LEN 2 LRC 0x92 ok\n"
	       "    APDU < SW 90 00 (success)\n");
	EXPECT(t1(a, true, 3, 0x40, "00 B0 00 00 00", false, true),
	       "> PC_to_RDR_XfrBlock slot 0 seq 3 bBWI 0 wLevelParameter 0x0000 len 9\n"
	       "    T=1 I(1) M=0 LEN 5 LRC 0xF4 bad LRC (0xF5 expected)\n");
	/* no ATR, no SetParameters: the block's shape says T=1 */
	assert_int_equal(ccid_decoder_new(NULL, 0, NULL, &b), CCID_OK);
	EXPECT(t1(b, true, 1, 0x00, "00 B0 00 00 00", false, false),
	       "> PC_to_RDR_XfrBlock slot 0 seq 1 bBWI 0 wLevelParameter 0x0000 len 9\n"
	       "    T=1 I(0) M=0 LEN 5 LRC 0xB5 ok\n"
	       "    APDU > CLA 00 INS B0 P1 00 P2 00 Le 256 (READ BINARY)\n");
	ccid_decoder_free(&b);
	/* ... also with CRC */
	assert_int_equal(ccid_decoder_new(NULL, 0, NULL, &b), CCID_OK);
	EXPECT(t1(b, true, 1, 0x00, "00 B0 00 00 00", true, false),
	       "> PC_to_RDR_XfrBlock slot 0 seq 1 bBWI 0 wLevelParameter 0x0000 len 10\n"
	       "    T=1 I(0) M=0 LEN 5 CRC 0xF668 ok\n"
	       "    APDU > CLA 00 INS B0 P1 00 P2 00 Le 256 (READ BINARY)\n");
	ccid_decoder_free(&b);
	/* APDUs: APDU level; wLevelParameter chaining understood */
	assert_int_equal(ccid_decoder_new(NULL, 0, NULL, &b), CCID_OK);
	EXPECT(OUT(b, 0x6F, 0, 1, 0, 0, 0, "00 A4 04 00 02 3F 00"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 1 bBWI 0 wLevelParameter 0x0000 len 7\n"
	       "    APDU > CLA 00 INS A4 P1 04 P2 00 Lc 2 (SELECT)\n"
	       "    APDU data 3F 00\n");
	EXPECT(IN(b, 0x80, 0, 1, 0x00, 0, 0, "90 00"),
	       "< RDR_to_PC_DataBlock slot 0 seq 1 status 0x00 (active, ok) chain 0x00 len 2\n"
	       "    APDU < SW 90 00 (success)\n");
	EXPECT(OUT(b, 0x6F, 0, 2, 0, 0x01, 0, "00 B0 00"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 2 bBWI 0 wLevelParameter 0x0001 len 3\n"
	       "    (chained: part 1, 3 bytes so far)\n");
	EXPECT(OUT(b, 0x6F, 0, 3, 0, 0x02, 0, "00 00 00 00"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 3 bBWI 0 wLevelParameter 0x0002 len 4\n"
	       "    APDU > CLA 00 INS B0 P1 00 P2 00 Le 65536 (READ BINARY)\n");
	/* T=0 card: never T=1 blocks, even when the bytes would fit */
	assert_int_equal(ccid_decoder_new(NULL, 0, NULL, &c), CCID_OK);
	OUT(c, 0x62, 0, 1, 0, 0, 0, NULL);
	IN(c, 0x80, 0, 1, 0x00, 0, 0, "3B 00");
	EXPECT(OUT(c, 0x6F, 0, 2, 0, 0, 0, "00 00 01 AA AB"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 2 bBWI 0 wLevelParameter 0x0000 len 5\n"
	       "    APDU > CLA 00 INS 00 P1 01 P2 AA Le 171\n");
	/* the descriptor learnt later (GET_DESCRIPTOR in a capture) */
	make_desc(desc, F_TPDU, 0);
	ccid_decoder_set_desc(c, desc, sizeof(desc));
	EXPECT(OUT(c, 0x6F, 0, 3, 0, 0, 0, "00 B0 00 00 00"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 3 bBWI 0 wLevelParameter 0x0000 len 5\n"
	       "    T=0 header CLA 00 INS B0 P1 00 P2 00 P3 00\n"
	       "    APDU > CLA 00 INS B0 P1 00 P2 00 Le 256 (READ BINARY)\n");
	IN(c, 0x80, 0, 3, 0x00, 0, 0, "90 00");
	/* character level: raw data */
	make_desc(desc, CCID_FEAT_AUTO_PPS, 0);
	ccid_decoder_set_desc(c, desc, sizeof(desc));
	EXPECT(OUT(c, 0x6F, 0, 4, 0, 0x05, 0, "00 B0 00 00 00"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 4 bBWI 0 wLevelParameter 0x0005 len 5\n"
	       "    data 00 B0 00 00 00\n");
	EXPECT(IN(c, 0x80, 0, 4, 0x00, 0, 0, "90 00"),
	       "< RDR_to_PC_DataBlock slot 0 seq 4 status 0x00 (active, ok) chain 0x00 len 2\n"
	       "    data 90 00\n");
	/* an invalid descriptor forgets it: learning again */
	ccid_decoder_set_desc(c, desc, 10);
	EXPECT(OUT(c, 0x6F, 0, 5, 0, 0, 0, "00 B0 00 00 00"),
	       "> PC_to_RDR_XfrBlock slot 0 seq 5 bBWI 0 wLevelParameter 0x0000 len 5\n"
	       "    APDU > CLA 00 INS B0 P1 00 P2 00 Le 256 (READ BINARY)\n");
	ccid_decoder_free(&c);
	ccid_decoder_free(&b);
	ccid_decoder_free(&a);
}

/* ------------------------------------------------------------------ */
/* Random input must never crash (run under valgrind and ASan)        */

static uint32_t rng_state = 0x12345678u;

static uint32_t rnd(void)
{
	/* xorshift32 (Marsaglia): fixed seed, same run every time */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static const uint8_t fuzz_types[] = { 0x61, 0x62, 0x63, 0x65, 0x6A, 0x6B,
				      0x6C, 0x6D, 0x6E, 0x6F, 0x69, 0x71,
				      0x72, 0x73, 0x80, 0x81, 0x82, 0x83,
				      0x84, 0x50, 0x51, 0x00 };

/* Mostly well-framed messages (so the inner layers see random bytes),
 * some random framing; slots 0..2 and a few seq values so that state
 * builds up; T=1-looking payloads with a correct LRC. */
static size_t fuzz_msg(uint8_t *m, size_t cap)
{
	size_t n = rnd() % (rnd() % 8 == 0 ? 600 : 40);
	uint32_t r = rnd();

	if (n + CCID_HEADER_LEN > cap)
		n = cap - CCID_HEADER_LEN;
	for (size_t i = 0; i < n + CCID_HEADER_LEN; i++)
		m[i] = (uint8_t)rnd();
	if (r % 16 == 0)
		return n + CCID_HEADER_LEN;
	m[0] = fuzz_types[rnd() % sizeof(fuzz_types)];
	put_le32(m + 1, (uint32_t)n);
	m[5] = (uint8_t)(rnd() % 3);
	m[6] = (uint8_t)(rnd() % 4);
	if (r % 3 == 0)
		m[7] &= 0xC3;
	if (r % 5 == 0)
		m[8] = (uint8_t)(rnd() % 4);
	if (r % 7 == 0)
		m[9] = (uint8_t)(r % 2 ? 0x10 : rnd() % 4);
	if (n >= 4 && r % 4 == 1 && n - 4 < 255) {
		m[CCID_HEADER_LEN + 2] = (uint8_t)(n - 4);
		m[CCID_HEADER_LEN + n - 1] = ccid_t1_lrc(m + CCID_HEADER_LEN,
							 n - 1);
	}
	return n + CCID_HEADER_LEN;
}

static void test_fuzz(void **state)
{
	struct ccid_decoder *d[4] = { 0 };
	uint8_t setup[8];
	size_t total = 0;

	(void)state;
	d[0] = new_dec(F_TPDU, 2, false);
	d[1] = new_dec(F_EXT, 2, false);
	d[2] = new_dec(F_SHORT, 0, true);
	assert_int_equal(ccid_decoder_new(NULL, 0, NULL, &d[3]), CCID_OK);
	for (unsigned i = 0; i < 100000; i++) {
		struct ccid_decoder *x = d[rnd() % 4];
		size_t n = fuzz_msg(M, 1024);
		uint32_t r = rnd();

		ccid_text_clear(&T);
		if (r % 10 < 8) {
			ccid_decode_bulk(x, r % 2 == 0, M, n, &T);
		} else if (r % 10 == 8) {
			ccid_decode_intr(x, M, n % 12, &T);
		} else {
			memcpy(setup, M, 8);
			ccid_decode_control(x, setup, M + 8, n - 8,
					    (r >> 8) % 2 == 0, &T);
		}
		assert_false(T.oom);
		assert_true(T.len > 0);
		assert_int_equal(T.buf[T.len - 1], '\n');
		total += T.len;
	}
	assert_true(total > 100000);
	for (size_t i = 0; i < 4; i++)
		ccid_decoder_free(&d[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_life_cycle),
		cmocka_unit_test(test_out_messages),
		cmocka_unit_test(test_in_messages),
		cmocka_unit_test(test_t1_exchange),
		cmocka_unit_test(test_t1_crc),
		cmocka_unit_test(test_t0_exchange),
		cmocka_unit_test(test_short_apdu),
		cmocka_unit_test(test_ext_apdu),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_set_parameters),
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_hardware_error),
		cmocka_unit_test(test_control),
		cmocka_unit_test(test_masking),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_malformed_inner),
		cmocka_unit_test(test_malformed_resets),
		cmocka_unit_test(test_chain_limits),
		cmocka_unit_test(test_level_learning),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
