/* ccidkit — winscard tests against a 2-slot vreader (`--slots 2`): each
 * slot is its own PC/SC reader, "... 00 00" and "... 00 01"
 * (research/pcsc-abi.md §6.2). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "fixture.h"

static const char READERS[] = VR_READER "\0" VR_READER_SLOT1 "\0";

static SCARDCONTEXT C(void **state)
{
	return *(SCARDCONTEXT *)*state;
}

static void test_two_names(void **state)
{
	char buf[128];
	DWORD len = sizeof(buf);

	assert_rv(SCardListReaders(C(state), NULL, buf, &len), SCARD_S_SUCCESS);
	assert_int_equal(len, sizeof(READERS)); /* 59 */
	assert_memory_equal(buf, READERS, sizeof(READERS));
	len = sizeof(READERS) - 1;
	assert_rv(SCardListReaders(C(state), NULL, buf, &len), SCARD_E_INSUFFICIENT_BUFFER);
	assert_int_equal(len, sizeof(READERS));
}

/* The slots are independent: exclusive on one, removal in the other. */
static void test_slots_independent(void **state)
{
	SCARDCONTEXT ctx = C(state);
	DWORD p0 = 0, p1 = 0;
	SCARDHANDLE a = connect_ok(ctx, VR_READER, SCARD_SHARE_EXCLUSIVE, &p0);
	SCARDHANDLE b = connect_ok(ctx, VR_READER_SLOT1, SCARD_SHARE_EXCLUSIVE, &p1);
	SCARD_READERSTATE rs[2] = {
		{ .szReader = VR_READER, .dwCurrentState = SCARD_STATE_UNAWARE },
		{ .szReader = VR_READER_SLOT1, .dwCurrentState = SCARD_STATE_UNAWARE },
	};
	static const uint8_t echo[] = { 0x80, 0x10, 0x00, 0x00, 0x02, 0x0A, 0x0B, 0x00 };
	uint8_t r[16];
	DWORD n = sizeof(r), st;

	assert_int_equal(p0, SCARD_PROTOCOL_T1);
	assert_int_equal(p1, SCARD_PROTOCOL_T1);
	assert_rv(SCardTransmit(b, SCARD_PCI_T1, echo, sizeof(echo), NULL, r, &n), SCARD_S_SUCCESS);
	assert_int_equal(n, 4);
	assert_memory_equal(r, ((const uint8_t[]){ 0x0A, 0x0B, 0x90, 0x00 }), 4);

	card_remove(ctx, 1);
	assert_rv(SCardGetStatusChange(ctx, 0, rs, 2), SCARD_S_SUCCESS);
	assert_int_equal(rs[0].dwEventState & 0xFFFF,
			 SCARD_STATE_PRESENT | SCARD_STATE_EXCLUSIVE | SCARD_STATE_CHANGED);
	/* b still holds slot 1 exclusively (marked removed until Disconnect):
	 * pcsc-lite keeps EXCLUSIVE on an empty reader, only INUSE needs a card */
	assert_int_equal(rs[1].dwEventState & 0xFFFF,
			 SCARD_STATE_EMPTY | SCARD_STATE_EXCLUSIVE | SCARD_STATE_CHANGED);
	assert_int_equal(rs[1].cbAtr, 0);
	assert_rv(SCardStatus(b, NULL, NULL, &st, NULL, NULL, NULL), SCARD_W_REMOVED_CARD);
	n = sizeof(r);
	assert_rv(SCardTransmit(a, SCARD_PCI_T1, echo, sizeof(echo), NULL, r, &n), SCARD_S_SUCCESS);
	assert_int_equal(n, 4);
	card_insert(ctx, 1);
	assert_rv(SCardDisconnect(a, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(b, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

static int group_setup(void **state)
{
	static const char *const args[] = { "--slots", "2", NULL };

	(void)state;
	return vr_group_setup_args(args);
}

#define T(f) cmocka_unit_test_setup_teardown(f, ctx_setup, ctx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_two_names),
		T(test_slots_independent),
	};

	vr_require_binary("test_twoslot");
	return cmocka_run_group_tests_name("pcsc two slots", tests, group_setup,
					   vr_group_teardown);
}
