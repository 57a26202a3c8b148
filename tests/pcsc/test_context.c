/* ccidkit — winscard tests: contexts, reader lists, groups, memory, Cancel,
 * invalid handles, pcsc_stringify_error and the exported PCIs.
 * Expected values: research/pcsc-abi.md (§2, §5, §6.1, §6.3, §7). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

/* "ccidkit Virtual Reader 00 00\0\0": 28 characters + 2 NULs */
static const char READERS[] = VR_READER "\0";
#define READERS_LEN ((DWORD)sizeof(READERS)) /* 30 */
static const char GROUPS[] = "SCard$DefaultReaders\0";
#define GROUPS_LEN ((DWORD)sizeof(GROUPS)) /* 22 */

/* §2: scope must be 0..3, else SCARD_E_INVALID_VALUE; NULL phContext →
 * SCARD_E_INVALID_PARAMETER. */
static void test_establish_args(void **state)
{
	SCARDCONTEXT c = 0x5A5A;

	(void)state;
	assert_rv(SCardEstablishContext(4, NULL, NULL, &c), SCARD_E_INVALID_VALUE);
	assert_rv(SCardEstablishContext(0x10, NULL, NULL, &c), SCARD_E_INVALID_VALUE);
	assert_rv(SCardEstablishContext(SCARD_SCOPE_USER, NULL, NULL, NULL),
		  SCARD_E_INVALID_PARAMETER);
	assert_rv(SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, NULL),
		  SCARD_E_INVALID_PARAMETER);
}

/* Every scope works (it has no other effect); contexts are distinct and
 * non-zero (§3: 0 is never valid). */
static void test_establish_scopes(void **state)
{
	static const DWORD scopes[] = { SCARD_SCOPE_USER, SCARD_SCOPE_TERMINAL,
					SCARD_SCOPE_SYSTEM, SCARD_SCOPE_GLOBAL };
	SCARDCONTEXT c[4];

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		int dummy = 0;

		/* reserved pointers are ignored */
		assert_rv(SCardEstablishContext(scopes[i], &dummy, &dummy, &c[i]),
			  SCARD_S_SUCCESS);
		assert_true(c[i] != 0);
		for (size_t j = 0; j < i; j++)
			assert_true(c[i] != c[j]);
		assert_rv(SCardIsValidContext(c[i]), SCARD_S_SUCCESS);
	}
	for (size_t i = 0; i < 4; i++)
		assert_rv(SCardReleaseContext(c[i]), SCARD_S_SUCCESS);
	for (size_t i = 0; i < 4; i++)
		assert_rv(SCardIsValidContext(c[i]), SCARD_E_INVALID_HANDLE);
}

static void test_release_twice(void **state)
{
	SCARDCONTEXT c;

	(void)state;
	assert_rv(SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &c), SCARD_S_SUCCESS);
	assert_rv(SCardIsValidContext(c), SCARD_S_SUCCESS);
	assert_rv(SCardReleaseContext(c), SCARD_S_SUCCESS);
	assert_rv(SCardIsValidContext(c), SCARD_E_INVALID_HANDLE);
	assert_rv(SCardReleaseContext(c), SCARD_E_INVALID_HANDLE);
	assert_rv(SCardIsValidContext(c), SCARD_E_INVALID_HANDLE);
}

/* Context functions on 0, a made-up value and a released context. */
static void check_bad_context(SCARDCONTEXT bad)
{
	DWORD len = 64;
	char buf[64];
	SCARD_READERSTATE rs = { .szReader = VR_READER };
	SCARDHANDLE h = 0x77;
	DWORD proto;

	assert_rv(SCardIsValidContext(bad), SCARD_E_INVALID_HANDLE);
	assert_rv(SCardReleaseContext(bad), SCARD_E_INVALID_HANDLE);
	assert_rv(SCardListReaders(bad, NULL, buf, &len), SCARD_E_INVALID_HANDLE);
	len = 64;
	assert_rv(SCardListReaderGroups(bad, buf, &len), SCARD_E_INVALID_HANDLE);
	assert_rv(SCardFreeMemory(bad, NULL), SCARD_E_INVALID_HANDLE);
	assert_rv(SCardCancel(bad), SCARD_E_INVALID_HANDLE);
	assert_rv(SCardGetStatusChange(bad, 0, &rs, 1), SCARD_E_INVALID_HANDLE);
	assert_rv(SCardConnect(bad, VR_READER, SCARD_SHARE_SHARED, SCARD_PROTOCOL_ANY,
			       &h, &proto), SCARD_E_INVALID_HANDLE);
}

static void test_invalid_contexts(void **state)
{
	SCARDCONTEXT *live = *state, released;

	check_bad_context(0);
	check_bad_context((SCARDCONTEXT)0x1234567);
	/* a live context with one bit flipped is not a context */
	check_bad_context(*live ^ 0x40000000);
	assert_rv(SCardEstablishContext(SCARD_SCOPE_USER, NULL, NULL, &released),
		  SCARD_S_SUCCESS);
	assert_rv(SCardReleaseContext(released), SCARD_S_SUCCESS);
	check_bad_context(released);
	/* the live one is unharmed */
	assert_rv(SCardIsValidContext(*live), SCARD_S_SUCCESS);
}

/* §6.1 ListReaders */
static void test_list_readers_args(void **state)
{
	SCARDCONTEXT ctx = *(SCARDCONTEXT *)*state;
	char buf[64];
	DWORD len;

	assert_rv(SCardListReaders(ctx, NULL, buf, NULL), SCARD_E_INVALID_PARAMETER);
	assert_rv(SCardListReaders(ctx, NULL, NULL, NULL), SCARD_E_INVALID_PARAMETER);
	/* AUTOALLOCATE needs somewhere to store the pointer */
	len = SCARD_AUTOALLOCATE;
	assert_rv(SCardListReaders(ctx, NULL, NULL, &len), SCARD_E_INVALID_PARAMETER);
}

static void test_list_readers_size_query(void **state)
{
	SCARDCONTEXT ctx = *(SCARDCONTEXT *)*state;
	DWORD len = 0;

	assert_rv(SCardListReaders(ctx, NULL, NULL, &len), SCARD_S_SUCCESS);
	assert_int_equal(len, READERS_LEN);
	/* the size query ignores whatever length came in */
	len = 3;
	assert_rv(SCardListReaders(ctx, NULL, NULL, &len), SCARD_S_SUCCESS);
	assert_int_equal(len, READERS_LEN);
}

static void test_list_readers_exact(void **state)
{
	SCARDCONTEXT ctx = *(SCARDCONTEXT *)*state;
	char buf[64];
	DWORD len = sizeof(buf);

	memset(buf, 0xAA, sizeof(buf));
	assert_rv(SCardListReaders(ctx, NULL, buf, &len), SCARD_S_SUCCESS);
	assert_int_equal(len, READERS_LEN);
	assert_memory_equal(buf, READERS, READERS_LEN);
	assert_int_equal((uint8_t)buf[READERS_LEN], 0xAA); /* nothing past it */

	/* exactly the right size is enough */
	len = READERS_LEN;
	memset(buf, 0xAA, sizeof(buf));
	assert_rv(SCardListReaders(ctx, NULL, buf, &len), SCARD_S_SUCCESS);
	assert_int_equal(len, READERS_LEN);
	assert_memory_equal(buf, READERS, READERS_LEN);

	/* mszGroups is ignored */
	len = sizeof(buf);
	assert_rv(SCardListReaders(ctx, "SCard$DefaultReaders\0", buf, &len), SCARD_S_SUCCESS);
	assert_int_equal(len, READERS_LEN);
	len = sizeof(buf);
	assert_rv(SCardListReaders(ctx, "no such group\0", buf, &len), SCARD_S_SUCCESS);
	assert_int_equal(len, READERS_LEN);
	assert_memory_equal(buf, READERS, READERS_LEN);
}

static void test_list_readers_too_small(void **state)
{
	SCARDCONTEXT ctx = *(SCARDCONTEXT *)*state;
	char buf[64];
	DWORD len = READERS_LEN - 1;

	assert_rv(SCardListReaders(ctx, NULL, buf, &len), SCARD_E_INSUFFICIENT_BUFFER);
	assert_int_equal(len, READERS_LEN);
	len = 1;
	assert_rv(SCardListReaders(ctx, NULL, buf, &len), SCARD_E_INSUFFICIENT_BUFFER);
	assert_int_equal(len, READERS_LEN);
	len = 0;
	assert_rv(SCardListReaders(ctx, NULL, buf, &len), SCARD_E_INSUFFICIENT_BUFFER);
	assert_int_equal(len, READERS_LEN);
}

static void test_list_readers_autoallocate(void **state)
{
	SCARDCONTEXT ctx = *(SCARDCONTEXT *)*state;
	char *p = NULL;
	DWORD len = SCARD_AUTOALLOCATE;

	assert_rv(SCardListReaders(ctx, NULL, (LPSTR)&p, &len), SCARD_S_SUCCESS);
	assert_non_null(p);
	assert_int_equal(len, READERS_LEN);
	assert_memory_equal(p, READERS, READERS_LEN);
	assert_rv(SCardFreeMemory(ctx, p), SCARD_S_SUCCESS);
	/* FreeMemory(NULL) on a good context is a no-op (a plain free) */
	assert_rv(SCardFreeMemory(ctx, NULL), SCARD_S_SUCCESS);
}

/* §2: always the single group, 22 bytes with both NULs */
static void test_list_reader_groups(void **state)
{
	SCARDCONTEXT ctx = *(SCARDCONTEXT *)*state;
	char buf[64];
	char *p = NULL;
	DWORD len = 0;

	assert_rv(SCardListReaderGroups(ctx, NULL, &len), SCARD_S_SUCCESS);
	assert_int_equal(len, GROUPS_LEN);
	assert_int_equal(GROUPS_LEN, 22);

	len = sizeof(buf);
	memset(buf, 0xAA, sizeof(buf));
	assert_rv(SCardListReaderGroups(ctx, buf, &len), SCARD_S_SUCCESS);
	assert_int_equal(len, 22);
	assert_memory_equal(buf, GROUPS, 22);
	assert_int_equal((uint8_t)buf[22], 0xAA);

	len = 21;
	assert_rv(SCardListReaderGroups(ctx, buf, &len), SCARD_E_INSUFFICIENT_BUFFER);
	assert_int_equal(len, 22);

	len = SCARD_AUTOALLOCATE;
	assert_rv(SCardListReaderGroups(ctx, (LPSTR)&p, &len), SCARD_S_SUCCESS);
	assert_non_null(p);
	assert_int_equal(len, 22);
	assert_memory_equal(p, GROUPS, 22);
	assert_rv(SCardFreeMemory(ctx, p), SCARD_S_SUCCESS);

	len = SCARD_AUTOALLOCATE;
	assert_rv(SCardListReaderGroups(ctx, NULL, &len), SCARD_E_INVALID_PARAMETER);
}

/* §6.3 Cancel */
struct waiter {
	SCARDCONTEXT ctx;
	SCARD_READERSTATE rs;
	DWORD timeout;
	LONG rv;
	uint64_t done_at;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;

	w->rv = SCardGetStatusChange(w->ctx, w->timeout, &w->rs, 1);
	w->done_at = now_ms();
	return NULL;
}

/* the state the library reports now, CHANGED cleared: waiting on it blocks */
static SCARD_READERSTATE current_state(SCARDCONTEXT ctx, const char *reader)
{
	SCARD_READERSTATE rs = { .szReader = reader, .dwCurrentState = SCARD_STATE_UNAWARE };

	assert_rv(SCardGetStatusChange(ctx, 0, &rs, 1), SCARD_S_SUCCESS);
	rs.dwCurrentState = rs.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
	return rs;
}

static void test_cancel_wakes_waiter(void **state)
{
	SCARDCONTEXT ctx = *(SCARDCONTEXT *)*state;
	struct waiter w = { .ctx = ctx, .timeout = INFINITE };
	pthread_t t;
	uint64_t t0;

	w.rs = current_state(ctx, VR_READER);
	assert_int_equal(pthread_create(&t, NULL, wait_thread, &w), 0);
	sleep_ms(300); /* let it block */
	assert_int_equal(w.done_at, 0);
	t0 = now_ms();
	assert_rv(SCardCancel(ctx), SCARD_S_SUCCESS);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_rv(w.rv, SCARD_E_CANCELLED);
	assert_true(w.done_at - t0 < 1000);

	/* not sticky: the next wait is not cancelled */
	SCARD_READERSTATE rs = current_state(ctx, VR_READER);
	assert_rv(SCardGetStatusChange(ctx, 0, &rs, 1), SCARD_E_TIMEOUT);
}

/* Nothing waiting: SUCCESS, and no lasting effect. */
static void test_cancel_idle(void **state)
{
	SCARDCONTEXT ctx = *(SCARDCONTEXT *)*state;
	SCARD_READERSTATE rs;
	uint64_t t0;

	assert_rv(SCardCancel(ctx), SCARD_S_SUCCESS);
	assert_rv(SCardCancel(ctx), SCARD_S_SUCCESS);
	rs = current_state(ctx, VR_READER);
	t0 = now_ms();
	assert_rv(SCardGetStatusChange(ctx, 200, &rs, 1), SCARD_E_TIMEOUT);
	assert_true(now_ms() - t0 >= 150);
}

/* Cancel on one context leaves a waiter on another context alone. */
static void test_cancel_other_context(void **state)
{
	SCARDCONTEXT ctx = *(SCARDCONTEXT *)*state, other;
	struct waiter w = { .ctx = ctx, .timeout = 600 };
	pthread_t t;

	assert_rv(SCardEstablishContext(SCARD_SCOPE_USER, NULL, NULL, &other), SCARD_S_SUCCESS);
	w.rs = current_state(ctx, VR_READER);
	assert_int_equal(pthread_create(&t, NULL, wait_thread, &w), 0);
	sleep_ms(200);
	assert_rv(SCardCancel(other), SCARD_S_SUCCESS);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_rv(w.rv, SCARD_E_TIMEOUT);
	assert_rv(SCardReleaseContext(other), SCARD_S_SUCCESS);
}

/* Card-handle functions on handles that never existed. */
static void check_bad_handle(SCARDHANDLE h)
{
	uint8_t apdu[] = { 0x80, 0x16, 0x00, 0x00 }, resp[16], attr[16];
	char name[64];
	DWORD rlen = sizeof(resp), nlen = sizeof(name), st, proto, alen = sizeof(attr);

	assert_rv(SCardTransmit(h, SCARD_PCI_T1, apdu, sizeof(apdu), NULL, resp, &rlen),
		  SCARD_E_INVALID_HANDLE);
	assert_rv(SCardStatus(h, name, &nlen, &st, &proto, resp, &rlen),
		  SCARD_E_INVALID_HANDLE);
	assert_rv(SCardReconnect(h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_ANY,
				 SCARD_LEAVE_CARD, &proto), SCARD_E_INVALID_HANDLE);
	assert_rv(SCardBeginTransaction(h), SCARD_E_INVALID_HANDLE);
	assert_rv(SCardEndTransaction(h, SCARD_LEAVE_CARD), SCARD_E_INVALID_HANDLE);
	rlen = sizeof(resp);
	assert_rv(SCardControl(h, CM_IOCTL_GET_FEATURE_REQUEST, NULL, 0, resp,
			       sizeof(resp), &rlen), SCARD_E_INVALID_HANDLE);
	assert_rv(SCardGetAttrib(h, SCARD_ATTR_VENDOR_NAME, attr, &alen),
		  SCARD_E_INVALID_HANDLE);
	assert_rv(SCardSetAttrib(h, SCARD_ATTR_VENDOR_NAME, attr, 1), SCARD_E_INVALID_HANDLE);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_E_INVALID_HANDLE);
}

static void test_invalid_card_handles(void **state)
{
	SCARDCONTEXT ctx = *(SCARDCONTEXT *)*state;

	check_bad_handle(0);
	check_bad_handle((SCARDHANDLE)0x5A5A1234);
	check_bad_handle((SCARDHANDLE)-1);
	/* a context is not a card handle */
	check_bad_handle((SCARDHANDLE)ctx);
}

/* §7: the exact texts, and the fallback format */
static void test_stringify(void **state)
{
	static const struct { LONG code; const char *text; } t[] = {
		{ SCARD_S_SUCCESS, "Command successful." },
		{ SCARD_F_INTERNAL_ERROR, "Internal error." },
		{ SCARD_E_CANCELLED, "Command cancelled." },
		{ SCARD_E_INVALID_HANDLE, "Invalid handle." },
		{ SCARD_E_INVALID_PARAMETER, "Invalid parameter given." },
		{ SCARD_E_INSUFFICIENT_BUFFER, "Insufficient buffer." },
		{ SCARD_E_UNKNOWN_READER, "Unknown reader specified." },
		{ SCARD_E_TIMEOUT, "Command timeout." },
		{ SCARD_E_SHARING_VIOLATION, "Sharing violation." },
		{ SCARD_E_NO_SMARTCARD, "No smart card inserted." },
		{ SCARD_E_PROTO_MISMATCH, "Card protocol mismatch." },
		{ SCARD_E_INVALID_VALUE, "Invalid value given." },
		{ SCARD_F_COMM_ERROR, "RPC transport error." },
		{ SCARD_E_NOT_TRANSACTED, "Transaction failed." },
		{ SCARD_E_READER_UNAVAILABLE, "Reader is unavailable." },
		{ SCARD_E_NO_SERVICE, "Service not available." },
		{ SCARD_E_UNSUPPORTED_FEATURE, "Feature not supported." },
		{ SCARD_E_NO_READERS_AVAILABLE, "Cannot find a smart card reader." },
		{ SCARD_W_UNRESPONSIVE_CARD, "Card is unresponsive." },
		{ SCARD_W_UNPOWERED_CARD, "Card is unpowered." },
		{ SCARD_W_RESET_CARD, "Card was reset." },
		{ SCARD_W_REMOVED_CARD, "Card was removed." },
		{ SCARD_W_SECURITY_VIOLATION, "Access denied." },
		{ (LONG)0x80100099, "Unknown error: 0x80100099" },
		{ (LONG)0x12345678, "Unknown error: 0x12345678" },
	};

	(void)state;
	/* pcsc-lite keeps 0x1F for UNSUPPORTED_FEATURE (§5) */
	assert_int_equal(SCARD_E_UNSUPPORTED_FEATURE, 0x8010001F);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *s = pcsc_stringify_error(t[i].code);

		assert_non_null(s);
		assert_string_equal(s, t[i].text);
	}
}

/* §2: the three exported PCIs */
static void test_pcis(void **state)
{
	(void)state;
	assert_int_equal(sizeof(SCARD_IO_REQUEST), 16);
	assert_int_equal(g_rgSCardT0Pci.dwProtocol, SCARD_PROTOCOL_T0);
	assert_int_equal(g_rgSCardT0Pci.dwProtocol, 1);
	assert_int_equal(g_rgSCardT0Pci.cbPciLength, 16);
	assert_int_equal(g_rgSCardT1Pci.dwProtocol, 2);
	assert_int_equal(g_rgSCardT1Pci.cbPciLength, 16);
	assert_int_equal(g_rgSCardRawPci.dwProtocol, 4);
	assert_int_equal(g_rgSCardRawPci.cbPciLength, 16);
	assert_ptr_equal(SCARD_PCI_T0, &g_rgSCardT0Pci);
	assert_ptr_equal(SCARD_PCI_T1, &g_rgSCardT1Pci);
	assert_ptr_equal(SCARD_PCI_RAW, &g_rgSCardRawPci);
}

/* A context is usable from several threads at once (§6.4 last bullet). */
static void *list_many(void *arg)
{
	SCARDCONTEXT ctx = *(SCARDCONTEXT *)arg;

	for (int i = 0; i < 200; i++) {
		char buf[64];
		DWORD len = sizeof(buf);

		if (SCardListReaders(ctx, NULL, buf, &len) != SCARD_S_SUCCESS ||
		    len != READERS_LEN || memcmp(buf, READERS, READERS_LEN) != 0)
			return (void *)1;
	}
	return NULL;
}

static void test_context_threads(void **state)
{
	SCARDCONTEXT *ctx = *state;
	pthread_t t[4];

	for (size_t i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, list_many, ctx), 0);
	for (size_t i = 0; i < 4; i++) {
		void *r;

		assert_int_equal(pthread_join(t[i], &r), 0);
		assert_null(r);
	}
}

static int group_setup(void **state)
{
	(void)state;
	return vr_group_setup_args(NULL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, ctx_setup, ctx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_establish_args),
		cmocka_unit_test(test_establish_scopes),
		cmocka_unit_test(test_release_twice),
		T(test_invalid_contexts),
		T(test_list_readers_args),
		T(test_list_readers_size_query),
		T(test_list_readers_exact),
		T(test_list_readers_too_small),
		T(test_list_readers_autoallocate),
		T(test_list_reader_groups),
		T(test_cancel_wakes_waiter),
		T(test_cancel_idle),
		T(test_cancel_other_context),
		T(test_invalid_card_handles),
		cmocka_unit_test(test_stringify),
		cmocka_unit_test(test_pcis),
		T(test_context_threads),
	};

	vr_require_binary("test_context");
	return cmocka_run_group_tests_name("pcsc context", tests, group_setup,
					   vr_group_teardown);
}
