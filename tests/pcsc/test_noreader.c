/* ccidkit — winscard tests with no reader at all (CCIDKIT_USBREDIR unset,
 * CCIDKIT_LIBUSB=0): research/pcsc-abi.md §6.1 "No readers". */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "fixture.h"

static SCARDCONTEXT C(void **state)
{
	return *(SCARDCONTEXT *)*state;
}

static void test_no_readers_list(void **state)
{
	char buf[64], *p = NULL;
	DWORD len = 0;

	assert_rv(SCardListReaders(C(state), NULL, NULL, &len), SCARD_E_NO_READERS_AVAILABLE);
	assert_int_equal(len, 1);
	len = sizeof(buf);
	assert_rv(SCardListReaders(C(state), NULL, buf, &len), SCARD_E_NO_READERS_AVAILABLE);
	assert_int_equal(len, 1);
	len = SCARD_AUTOALLOCATE;
	assert_rv(SCardListReaders(C(state), NULL, (LPSTR)&p, &len), SCARD_E_NO_READERS_AVAILABLE);
	assert_int_equal(len, 1);
	/* groups do not depend on readers */
	len = sizeof(buf);
	assert_rv(SCardListReaderGroups(C(state), buf, &len), SCARD_S_SUCCESS);
	assert_int_equal(len, 22);
}

static void test_no_readers_names(void **state)
{
	SCARD_READERSTATE rs = { .szReader = VR_READER, .dwCurrentState = SCARD_STATE_UNAWARE };
	SCARDHANDLE h = 0x77;
	DWORD p;

	assert_rv(SCardGetStatusChange(C(state), 0, &rs, 1), SCARD_E_UNKNOWN_READER);
	assert_rv(SCardConnect(C(state), VR_READER, SCARD_SHARE_SHARED, SCARD_PROTOCOL_ANY, &h, &p),
		  SCARD_E_UNKNOWN_READER);
	assert_int_equal(h, 0);
	/* the PnP name is always accepted: nothing happens → timeout */
	rs.szReader = PNP_READER;
	assert_rv(SCardGetStatusChange(C(state), 100, &rs, 1), SCARD_E_TIMEOUT);
	assert_int_equal(rs.dwEventState & 0xFFFF, 0);
}

static int setup_env(void **state)
{
	(void)state;
	unsetenv("CCIDKIT_USBREDIR");
	setenv("CCIDKIT_LIBUSB", "0", 1);
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, ctx_setup, ctx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_no_readers_list),
		T(test_no_readers_names),
	};

	return cmocka_run_group_tests_name("pcsc no reader", tests, setup_env, NULL);
}
