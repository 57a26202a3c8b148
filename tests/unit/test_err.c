/* Unit tests: ccid/err.c — every error value has a distinct name and text. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "ccid/err.h"

static void test_every_value_named(void **state)
{
	(void)state;
	for (int e = CCID_E_LAST; e <= CCID_OK; e++) {
		assert_string_not_equal(ccid_errname(e), "CCID_E_UNKNOWN");
		assert_string_not_equal(ccid_strerror(e), "unknown error");
		for (int f = CCID_E_LAST; f < e; f++) {
			assert_string_not_equal(ccid_errname(e), ccid_errname(f));
			assert_string_not_equal(ccid_strerror(e), ccid_strerror(f));
		}
	}
}

static void test_known_names(void **state)
{
	(void)state;
	assert_string_equal(ccid_errname(CCID_OK), "CCID_OK");
	assert_string_equal(ccid_errname(CCID_E_TIMEOUT), "CCID_E_TIMEOUT");
	assert_string_equal(ccid_errname(CCID_E_NO_CARD), "CCID_E_NO_CARD");
	assert_string_equal(ccid_strerror(CCID_E_NO_CARD), "no card in the reader");
}

static void test_unknown_values(void **state)
{
	(void)state;
	assert_string_equal(ccid_strerror(CCID_E_LAST - 1), "unknown error");
	assert_string_equal(ccid_strerror(1), "unknown error");
	assert_string_equal(ccid_errname(-1000), "CCID_E_UNKNOWN");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_value_named),
		cmocka_unit_test(test_known_names),
		cmocka_unit_test(test_unknown_values),
	};
	return cmocka_run_group_tests_name("err", tests, NULL, NULL);
}
