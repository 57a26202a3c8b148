/* Unit tests: ccid/manager.c — PC/SC reader names (pcsc-abi.md §6.2). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "ccid/clock.h"
#include "ccid/err.h"
#include "ccid/manager.h"

static void test_name_suffix(void **state)
{
	char name[CCID_READERNAME_MAX];

	(void)state;
	ccid_manager_format_name("Gemalto PC Twin Reader", 0, 0, name);
	assert_string_equal(name, "Gemalto PC Twin Reader 00 00");
	ccid_manager_format_name("Foo (123)", 1, 2, name);
	assert_string_equal(name, "Foo (123) 01 02");
	ccid_manager_format_name("X", 0x1A, 0x0F, name);
	assert_string_equal(name, "X 1A 0F");
}

static void test_name_truncated_to_127(void **state)
{
	char base[300];
	char name[CCID_READERNAME_MAX];

	(void)state;
	memset(base, 'a', sizeof(base) - 1);
	base[sizeof(base) - 1] = '\0';
	ccid_manager_format_name(base, 0, 1, name);
	assert_int_equal(strlen(name), 127);
	assert_string_equal(name + 121, " 00 01");
	assert_int_equal(name[120], 'a');
}

static void test_empty_environment(void **state)
{
	struct ccid_manager *m = NULL;

	(void)state;
	setenv("CCIDKIT_LIBUSB", "0", 1);
	unsetenv("CCIDKIT_USBREDIR");
	assert_int_equal(ccid_manager_new(ccid_deadline_in(1000), &m), CCID_OK);
	assert_non_null(m);
	assert_int_equal(ccid_manager_count(m), 0);
	assert_null(ccid_manager_entry(m, 0));
	assert_int_equal(ccid_manager_problem_count(m), 0);
	ccid_manager_free(&m);
	assert_null(m);
	ccid_manager_free(&m); /* NULL is fine */
	assert_int_equal(ccid_manager_new(0, NULL), CCID_E_INVAL);
}

static void test_bad_endpoints_are_problems(void **state)
{
	struct ccid_manager *m = NULL;

	(void)state;
	setenv("CCIDKIT_LIBUSB", "0", 1);
	setenv("CCIDKIT_USBREDIR", "bogus, unix:/nonexistent/ccidkit.sock,", 1);
	assert_int_equal(ccid_manager_new(ccid_deadline_in(2000), &m), CCID_OK);
	assert_int_equal(ccid_manager_count(m), 0);
	assert_int_equal(ccid_manager_problem_count(m), 2);
	assert_string_equal(ccid_manager_problem(m, 0),
			    "bogus: not an endpoint (CCIDKIT_USBREDIR wants unix:PATH or tcp:HOST:PORT)");
	assert_string_equal(ccid_manager_problem(m, 1),
			    "unix:/nonexistent/ccidkit.sock: no virtual reader is listening there");
	assert_null(ccid_manager_problem(m, 2));
	ccid_manager_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_suffix),
		cmocka_unit_test(test_name_truncated_to_127),
		cmocka_unit_test(test_empty_environment),
		cmocka_unit_test(test_bad_endpoints_are_problems),
	};
	return cmocka_run_group_tests_name("manager", tests, NULL, NULL);
}
