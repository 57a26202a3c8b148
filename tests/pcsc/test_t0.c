/* ccidkit — winscard tests against a vreader with the T=0-only card
 * (`--card test-t0`, ATR 3B 08 'ccidkit0'): protocol choice and T=0 PCI
 * checks (research/pcsc-abi.md §6.4). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "fixture.h"

static SCARDCONTEXT C(void **state)
{
	return *(SCARDCONTEXT *)*state;
}

static void test_t0_connect(void **state)
{
	SCARDCONTEXT ctx = C(state);
	SCARDHANDLE h, h2 = 0x77;
	DWORD p = 0;

	assert_rv(SCardConnect(ctx, VR_READER, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, &h2, &p),
		  SCARD_E_PROTO_MISMATCH);
	assert_int_equal(h2, 0);
	h = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, &p);
	assert_int_equal(p, SCARD_PROTOCOL_T0);
	p = 0;
	assert_rv(SCardConnect(ctx, VR_READER, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0, &h2, &p),
		  SCARD_S_SUCCESS);
	assert_int_equal(p, SCARD_PROTOCOL_T0);
	assert_rv(SCardDisconnect(h2, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

static void test_t0_transmit(void **state)
{
	SCARDHANDLE h = connect_ok(C(state), VR_READER, SCARD_SHARE_SHARED, NULL);
	/* PATTERN 4 bytes (case 2), SINK 2 bytes (case 3), NOP (case 1) */
	static const uint8_t pattern[] = { 0x80, 0x12, 0x00, 0x04, 0x04 };
	static const uint8_t pattern_resp[] = { 0x00, 0x01, 0x02, 0x03, 0x90, 0x00 };
	static const uint8_t sink[] = { 0x80, 0x14, 0x00, 0x00, 0x02, 0xAA, 0xBB };
	static const uint8_t nop[] = { 0x80, 0x16, 0x00, 0x00 };
	uint8_t r[64];
	DWORD n = sizeof(r);

	assert_rv(SCardTransmit(h, SCARD_PCI_T0, pattern, sizeof(pattern), NULL, r, &n),
		  SCARD_S_SUCCESS);
	assert_int_equal(n, sizeof(pattern_resp));
	assert_memory_equal(r, pattern_resp, sizeof(pattern_resp));
	n = sizeof(r);
	assert_rv(SCardTransmit(h, SCARD_PCI_T0, sink, sizeof(sink), NULL, r, &n), SCARD_S_SUCCESS);
	assert_int_equal(n, 2);
	assert_int_equal(r[0], 0x90);
	assert_int_equal(r[1], 0x00);
	n = sizeof(r);
	assert_rv(SCardTransmit(h, SCARD_PCI_T0, nop, sizeof(nop), NULL, r, &n), SCARD_S_SUCCESS);
	assert_int_equal(n, 2);
	assert_int_equal(r[0], 0x90);
	/* the T=1 PCI on a T=0 connection */
	n = sizeof(r);
	assert_rv(SCardTransmit(h, SCARD_PCI_T1, nop, sizeof(nop), NULL, r, &n),
		  SCARD_E_PROTO_MISMATCH);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

static void test_t0_status_atr(void **state)
{
	SCARDHANDLE h = connect_ok(C(state), VR_READER, SCARD_SHARE_SHARED, NULL);
	uint8_t atr[MAX_ATR_SIZE];
	DWORD alen = sizeof(atr), st = 0, p = 0;
	SCARD_READERSTATE rs = { .szReader = VR_READER, .dwCurrentState = SCARD_STATE_UNAWARE };

	assert_rv(SCardStatus(h, NULL, NULL, &st, &p, atr, &alen), SCARD_S_SUCCESS);
	assert_int_equal(st & 0xFFFF, SCARD_PRESENT | SCARD_POWERED | SCARD_NEGOTIABLE);
	assert_int_equal(p, SCARD_PROTOCOL_T0);
	assert_int_equal(alen, sizeof(ATR_TEST_T0));
	assert_memory_equal(atr, ATR_TEST_T0, sizeof(ATR_TEST_T0));
	assert_rv(SCardGetStatusChange(C(state), 0, &rs, 1), SCARD_S_SUCCESS);
	assert_int_equal(rs.cbAtr, sizeof(ATR_TEST_T0));
	assert_memory_equal(rs.rgbAtr, ATR_TEST_T0, sizeof(ATR_TEST_T0));
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

static int group_setup(void **state)
{
	static const char *const args[] = { "--card", "test-t0", NULL };

	(void)state;
	return vr_group_setup_args(args);
}

#define T(f) cmocka_unit_test_setup_teardown(f, ctx_setup, ctx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_t0_connect),
		T(test_t0_transmit),
		T(test_t0_status_atr),
	};

	vr_require_binary("test_t0");
	return cmocka_run_group_tests_name("pcsc T=0 card", tests, group_setup,
					   vr_group_teardown);
}
