/* Unit tests: src/hex.c — the CLI's hex parser and printer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/hex.h"

static void test_parse_spaces_and_case(void **state)
{
	static const uint8_t want[] = { 0x80, 0x10, 0x00, 0x00, 0x03, 0xab, 0xCD, 0xef };
	uint8_t out[16];
	size_t len = 99;
	const char *why = NULL;

	(void)state;
	assert_int_equal(hex_parse(" 80 10 0000\t03 ab:Cd EF ", out, sizeof(out), &len, &why), 0);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	assert_null(why);
}

static void test_parse_empty(void **state)
{
	uint8_t out[1];
	size_t len = 99;
	const char *why = NULL;

	(void)state;
	assert_int_equal(hex_parse("", out, sizeof(out), &len, &why), 0);
	assert_int_equal(len, 0);
	assert_int_equal(hex_parse("   ", out, sizeof(out), &len, &why), 0);
	assert_int_equal(len, 0);
}

static void test_parse_errors(void **state)
{
	uint8_t out[4];
	size_t len = 99;
	const char *why = NULL;

	(void)state;
	assert_int_equal(hex_parse("801", out, sizeof(out), &len, &why), -1);
	assert_string_equal(why, "odd number of hex digits");
	assert_int_equal(hex_parse("8 0", out, sizeof(out), &len, &why), -1);
	assert_string_equal(why, "odd number of hex digits");
	assert_int_equal(hex_parse("80 zz", out, sizeof(out), &len, &why), -1);
	assert_string_equal(why, "not a hex digit: 'z' at position 4");
	assert_int_equal(hex_parse("8g", out, sizeof(out), &len, &why), -1);
	assert_string_equal(why, "not a hex digit: 'g' at position 2");
	assert_int_equal(hex_parse("0102030405", out, sizeof(out), &len, &why), -1);
	assert_string_equal(why, "too long");
	assert_int_equal(len, 99); /* untouched on failure */
}

static void test_print(void **state)
{
	static const uint8_t in[] = { 0x00, 0x0a, 0xff };
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	(void)state;
	assert_non_null(f);
	hex_print(f, in, sizeof(in));
	hex_print(f, in, 0);
	fclose(f);
	assert_string_equal(text, "00 0A FF");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_spaces_and_case),
		cmocka_unit_test(test_parse_empty),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_print),
	};
	return cmocka_run_group_tests_name("hex", tests, NULL, NULL);
}
