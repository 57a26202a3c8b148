/* ccidkit — where PINs sit in a PC_to_RDR message, and masking them so
 * that traces stay decodable (ccid/secret.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ccid/secret.h"
#include "ccid/t1.h"
#include "tests/fake/fake_transport.h"

static size_t msg_of(const char *hex, uint8_t *buf, size_t cap)
{
	return fake_hex(hex, buf, cap);
}

/* Short APDU level: VERIFY's data after Lc, not its header or Lc. */
static void test_short_verify(void **state)
{
	uint8_t m[64], want[64];
	size_t n = msg_of("6F 0D000000 00 01 00 0000 00 20 00 81 08 31 32 33 34 FF FF FF FF", m, sizeof(m));
	size_t w = msg_of("6F 0D000000 00 01 00 0000 00 20 00 81 08 2A 2A 2A 2A 2A 2A 2A 2A", want, sizeof(want));

	(void)state;
	assert_int_equal(ccid_secret_start(CCID_LEVEL_SHORT_APDU, -1, m, n), 15);
	assert_true(ccid_secret_mask(CCID_LEVEL_SHORT_APDU, -1, m, n));
	assert_int_equal(n, w);
	assert_memory_equal(m, want, n);
}

/* Extended Lc (00 Lc1 Lc2), and the other PIN instructions. */
static void test_extended_and_others(void **state)
{
	uint8_t m[64];
	size_t n = msg_of("6F 0F000000 00 01 00 0000 00 24 00 81 00 00 08 31 32 33 34 35 36 37 38", m, sizeof(m));

	(void)state;
	assert_int_equal(ccid_secret_start(CCID_LEVEL_EXT_APDU, -1, m, n), 17);
	n = msg_of("6F 09000000 00 01 00 0000 00 2C 00 81 04 31 32 33 34", m, sizeof(m));
	assert_int_equal(ccid_secret_start(CCID_LEVEL_SHORT_APDU, -1, m, n), 15);
	n = msg_of("6F 09000000 00 01 00 0000 00 21 00 81 04 31 32 33 34", m, sizeof(m));
	assert_int_equal(ccid_secret_start(CCID_LEVEL_SHORT_APDU, -1, m, n), 15);
}

/* Nothing to hide: other commands, no data, later chunks, other types. */
static void test_nothing(void **state)
{
	uint8_t m[64], copy[64];
	size_t n;

	(void)state;
	n = msg_of("6F 07000000 00 01 00 0000 00 A4 04 00 02 3F 00", m, sizeof(m));
	assert_int_equal(ccid_secret_start(CCID_LEVEL_SHORT_APDU, -1, m, n), 0);
	memcpy(copy, m, n);
	assert_false(ccid_secret_mask(CCID_LEVEL_SHORT_APDU, -1, m, n));
	assert_memory_equal(m, copy, n);
	/* VERIFY without data (ask for the retry counter) */
	n = msg_of("6F 04000000 00 01 00 0000 00 20 00 81", m, sizeof(m));
	assert_int_equal(ccid_secret_start(CCID_LEVEL_SHORT_APDU, -1, m, n), 0);
	/* a continuation chunk (wLevelParameter 3) whose bytes look like one */
	n = msg_of("6F 09000000 00 01 00 0300 00 20 00 81 04 31 32 33 34", m, sizeof(m));
	assert_int_equal(ccid_secret_start(CCID_LEVEL_EXT_APDU, -1, m, n), 0);
	/* Escape with the same bytes */
	n = msg_of("6B 09000000 00 01 000000 00 20 00 81 04 31 32 33 34", m, sizeof(m));
	assert_int_equal(ccid_secret_start(CCID_LEVEL_SHORT_APDU, -1, m, n), 0);
	assert_int_equal(ccid_secret_start(CCID_LEVEL_SHORT_APDU, -1, NULL, 0), 0);
}

/* T=1 I-block: the APDU's data masked, the LRC computed again. */
static void test_t1_lrc(void **state)
{
	uint8_t m[64];
	size_t n = msg_of("6F 0D000000 00 04 00 0000 00 00 09 00 20 00 81 04 31 32 33 34 A8", m, sizeof(m));

	(void)state;
	assert_int_equal(ccid_secret_start(CCID_LEVEL_TPDU, 1, m, n), 18);
	assert_true(ccid_secret_mask(CCID_LEVEL_TPDU, 1, m, n));
	assert_memory_equal(m + 13, "\x00\x20\x00\x81\x04****", 9);
	assert_int_equal(m[22], ccid_t1_lrc(m + 10, 12));
	assert_int_not_equal(m[22], 0xA8);
}

/* With CRC (two EDC bytes), the CRC is computed again. */
static void test_t1_crc(void **state)
{
	uint8_t m[64];
	size_t n = msg_of("6F 0E000000 00 04 00 0000 00 40 09 00 20 00 81 04 31 32 33 34 00 00", m, sizeof(m));
	uint16_t c;

	(void)state;
	assert_true(ccid_secret_mask(CCID_LEVEL_TPDU, -1, m, n));
	c = ccid_t1_crc(m + 10, 12);
	assert_int_equal(m[22], (uint8_t)(c >> 8));
	assert_int_equal(m[23], (uint8_t)c);
}

/* T=0 at TPDU level: CLA INS P1 P2 P3 then the data. */
static void test_t0(void **state)
{
	uint8_t m[64];
	size_t n = msg_of("6F 09000000 00 04 00 0000 00 20 00 81 04 31 32 33 34", m, sizeof(m));

	(void)state;
	assert_int_equal(ccid_secret_start(CCID_LEVEL_TPDU, 0, m, n), 15);
	assert_true(ccid_secret_mask(CCID_LEVEL_TPDU, 0, m, n));
	assert_memory_equal(m + 15, "****", 4);
}

/* A chained T=1 I-block with NAD 00 and PCB 20 (I(0), M) is no VERIFY,
 * whatever its first bytes look like as a T=0 header; an unknown
 * protocol reads it as T=1 first. */
static void test_t1_chain_not_pin(void **state)
{
	uint8_t m[64], copy[64];
	size_t n = msg_of("6F 14000000 00 04 00 0000 00 20 10 80 10 00 00 28 00 01 02 03 04 05 06 07 08 09 0A 83", m, sizeof(m));

	(void)state;
	memcpy(copy, m, n);
	assert_int_equal(ccid_secret_start(CCID_LEVEL_TPDU, 1, m, n), 0);
	assert_false(ccid_secret_mask(CCID_LEVEL_TPDU, 1, m, n));
	assert_memory_equal(m, copy, n);
	/* as T=0 the same bytes are a VERIFY TPDU header: masked */
	assert_int_equal(ccid_secret_start(CCID_LEVEL_TPDU, 0, m, n), 15);
}

/* PC_to_RDR_Secure: bPINOperation and three format bytes stay. */
static void test_secure(void **state)
{
	uint8_t m[64];
	size_t n = msg_of("69 08000000 00 05 00 0000 00 1E 82 08 00 20 00 81", m, sizeof(m));

	(void)state;
	assert_int_equal(ccid_secret_start(CCID_LEVEL_SHORT_APDU, -1, m, n), 14);
	assert_true(ccid_secret_mask(CCID_LEVEL_SHORT_APDU, -1, m, n));
	assert_memory_equal(m + 10, "\x00\x1E\x82\x08****", 8);
}

/* Every truncation of the messages above: no read past the end, and
 * the mask never writes past it either (ASan/valgrind watch). */
static void test_truncations(void **state)
{
	static const char *const msgs[] = {
		"6F 0D000000 00 01 00 0000 00 20 00 81 08 31 32 33 34 FF FF FF FF",
		"6F 0D000000 00 04 00 0000 00 00 09 00 20 00 81 04 31 32 33 34 A8",
		"6F 0F000000 00 01 00 0000 00 24 00 81 00 00 08 31 32 33 34 35 36 37 38",
		"69 08000000 00 05 00 0000 00 1E 82 08 00 20 00 81",
	};
	uint8_t full[64];

	(void)state;
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		size_t n = msg_of(msgs[i], full, sizeof(full));

		for (size_t cut = 0; cut <= n; cut++) {
			uint8_t *m = malloc(cut ? cut : 1);

			assert_non_null(m);
			memcpy(m, full, cut);
			for (int lv = CCID_LEVEL_CHARACTER; lv <= CCID_LEVEL_EXT_APDU; lv++) {
				for (int pr = -1; pr <= 1; pr++) {
					size_t off = ccid_secret_start(
						(enum ccid_level)lv, pr, m, cut);

					assert_true(off <= cut);
					ccid_secret_mask((enum ccid_level)lv, pr,
							 m, cut);
				}
			}
			free(m);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_verify),
		cmocka_unit_test(test_extended_and_others),
		cmocka_unit_test(test_nothing),
		cmocka_unit_test(test_t1_lrc),
		cmocka_unit_test(test_t1_crc),
		cmocka_unit_test(test_t0),
		cmocka_unit_test(test_t1_chain_not_pin),
		cmocka_unit_test(test_secure),
		cmocka_unit_test(test_truncations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
