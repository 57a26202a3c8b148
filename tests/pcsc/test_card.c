/* ccidkit — winscard tests: Connect, Transmit, Reconnect, Disconnect,
 * transactions and card state across handles (reset, removal).
 * Expected values: research/pcsc-abi.md §6.1 (Transmit sizes), §6.4. */
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

static SCARDCONTEXT C(void **state)
{
	return *(SCARDCONTEXT *)*state;
}

/* NOP: 80 16 00 00 → 90 00 */
static const uint8_t NOP[] = { 0x80, 0x16, 0x00, 0x00 };

static LONG nop(SCARDHANDLE h)
{
	uint8_t r[8];
	DWORD n = sizeof(r);
	LONG rv = SCardTransmit(h, SCARD_PCI_T1, NOP, sizeof(NOP), NULL, r, &n);

	if (rv == SCARD_S_SUCCESS) {
		assert_int_equal(n, 2);
		assert_int_equal(r[0], 0x90);
		assert_int_equal(r[1], 0x00);
	}
	return rv;
}

/* ---- Connect ---- */

static void test_connect_shared_twice(void **state)
{
	SCARDCONTEXT ctx = C(state);
	DWORD p1 = 0, p2 = 0;
	SCARDHANDLE a = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, &p1);
	SCARDHANDLE b = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, &p2);

	assert_true(a != b);
	assert_int_equal(p1, SCARD_PROTOCOL_T1);
	assert_int_equal(p2, SCARD_PROTOCOL_T1);
	assert_rv(nop(a), SCARD_S_SUCCESS);
	assert_rv(nop(b), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(a, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	assert_rv(nop(b), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(b, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

static void test_connect_exclusive(void **state)
{
	SCARDCONTEXT ctx = C(state), other;
	SCARDHANDLE s = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL), x, h = 0x77;
	DWORD p;

	/* shared handle held → no exclusive, from this context or another */
	assert_rv(SCardConnect(ctx, VR_READER, SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_ANY,
			       &h, &p), SCARD_E_SHARING_VIOLATION);
	assert_int_equal(h, 0);
	assert_rv(SCardEstablishContext(SCARD_SCOPE_USER, NULL, NULL, &other), SCARD_S_SUCCESS);
	assert_rv(SCardConnect(other, VR_READER, SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_ANY,
			       &h, &p), SCARD_E_SHARING_VIOLATION);
	assert_rv(SCardDisconnect(s, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);

	/* exclusive held → every other connect is refused, DIRECT too */
	x = connect_ok(ctx, VR_READER, SCARD_SHARE_EXCLUSIVE, &p);
	assert_int_equal(p, SCARD_PROTOCOL_T1);
	assert_rv(SCardConnect(ctx, VR_READER, SCARD_SHARE_SHARED, SCARD_PROTOCOL_ANY,
			       &h, &p), SCARD_E_SHARING_VIOLATION);
	assert_rv(SCardConnect(other, VR_READER, SCARD_SHARE_SHARED, SCARD_PROTOCOL_ANY,
			       &h, &p), SCARD_E_SHARING_VIOLATION);
	assert_rv(SCardConnect(ctx, VR_READER, SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_ANY,
			       &h, &p), SCARD_E_SHARING_VIOLATION);
	assert_rv(SCardConnect(ctx, VR_READER, SCARD_SHARE_DIRECT, 0, &h, &p),
		  SCARD_E_SHARING_VIOLATION);
	assert_rv(nop(x), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(x, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);

	/* and free again */
	s = connect_ok(other, VR_READER, SCARD_SHARE_SHARED, NULL);
	assert_rv(SCardDisconnect(s, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	assert_rv(SCardReleaseContext(other), SCARD_S_SUCCESS);
}

/* Argument checks, in pcsc-lite's order (§6.4): share mode 1..3 else
 * INVALID_VALUE; unless DIRECT, the protocol mask must hold T0, T1, RAW
 * or 0x1000, else PROTO_MISMATCH; *phCard is 0 after a failure. */
static void test_connect_args(void **state)
{
	SCARDCONTEXT ctx = C(state);
	SCARDHANDLE h;
	DWORD p;

	assert_rv(SCardConnect(ctx, VR_READER, SCARD_SHARE_SHARED, SCARD_PROTOCOL_ANY,
			       NULL, &p), SCARD_E_INVALID_PARAMETER);
	assert_rv(SCardConnect(ctx, VR_READER, SCARD_SHARE_SHARED, SCARD_PROTOCOL_ANY,
			       &h, NULL), SCARD_E_INVALID_PARAMETER);
	h = 0x77;
	assert_rv(SCardConnect(ctx, VR_READER, 0, SCARD_PROTOCOL_ANY, &h, &p),
		  SCARD_E_INVALID_VALUE);
	assert_int_equal(h, 0);
	h = 0x77;
	assert_rv(SCardConnect(ctx, VR_READER, 4, SCARD_PROTOCOL_ANY, &h, &p),
		  SCARD_E_INVALID_VALUE);
	assert_int_equal(h, 0);
	h = 0x77;
	assert_rv(SCardConnect(ctx, VR_READER, SCARD_SHARE_SHARED, 0, &h, &p),
		  SCARD_E_PROTO_MISMATCH);
	assert_int_equal(h, 0);
	assert_rv(SCardConnect(ctx, VR_READER, SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_T15,
			       &h, &p), SCARD_E_PROTO_MISMATCH);
	assert_rv(SCardConnect(ctx, "no such reader 00 00", SCARD_SHARE_SHARED,
			       SCARD_PROTOCOL_ANY, &h, &p), SCARD_E_UNKNOWN_READER);
	assert_int_equal(h, 0);
	/* the test card offers T=1 only: no common protocol */
	assert_rv(SCardConnect(ctx, VR_READER, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0,
			       &h, &p), SCARD_E_PROTO_MISMATCH);
	/* nothing was left connected by the failures: EXCLUSIVE works */
	h = connect_ok(ctx, VR_READER, SCARD_SHARE_EXCLUSIVE, NULL);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

static void test_connect_protocols(void **state)
{
	SCARDCONTEXT ctx = C(state);
	SCARDHANDLE h, h2;
	DWORD p = 0;

	assert_rv(SCardConnect(ctx, VR_READER, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, &h, &p),
		  SCARD_S_SUCCESS);
	assert_int_equal(p, SCARD_PROTOCOL_T1);
	/* negotiated once: a later connect that excludes T=1 → mismatch */
	assert_rv(SCardConnect(ctx, VR_READER, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0, &h2, &p),
		  SCARD_E_PROTO_MISMATCH);
	assert_rv(SCardConnect(ctx, VR_READER, SCARD_SHARE_SHARED, SCARD_PROTOCOL_ANY, &h2, &p),
		  SCARD_S_SUCCESS);
	assert_int_equal(p, SCARD_PROTOCOL_T1);
	assert_rv(SCardDisconnect(h2, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* No card: SHARED/EXCLUSIVE → NO_SMARTCARD; DIRECT works (protocol 0),
 * and Control works on it (§6.4). */
static void test_connect_no_card(void **state)
{
	SCARDCONTEXT ctx = C(state);
	SCARDHANDLE h = 0x77;
	DWORD p = 0x77, n = 0;
	uint8_t buf[256];

	card_remove(ctx, 0);
	assert_rv(SCardConnect(ctx, VR_READER, SCARD_SHARE_SHARED, SCARD_PROTOCOL_ANY, &h, &p),
		  SCARD_E_NO_SMARTCARD);
	assert_int_equal(h, 0);
	assert_rv(SCardConnect(ctx, VR_READER, SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_ANY, &h, &p),
		  SCARD_E_NO_SMARTCARD);
	assert_rv(SCardConnect(ctx, VR_READER, SCARD_SHARE_DIRECT, 0, &h, &p), SCARD_S_SUCCESS);
	assert_true(h != 0);
	assert_int_equal(p, SCARD_PROTOCOL_UNDEFINED);
	assert_rv(SCardControl(h, CM_IOCTL_GET_FEATURE_REQUEST, NULL, 0, buf, sizeof(buf), &n),
		  SCARD_S_SUCCESS);
	assert_true(n > 0 && n % 6 == 0);
	/* the reader's own attributes need no card */
	n = sizeof(buf);
	assert_rv(SCardGetAttrib(h, SCARD_ATTR_VENDOR_NAME, buf, &n), SCARD_S_SUCCESS);
	assert_int_equal(n, 8);
	assert_string_equal((char *)buf, "ccidkit");
	n = sizeof(buf);
	assert_rv(SCardGetAttrib(h, SCARD_ATTR_ICC_PRESENCE, buf, &n), SCARD_S_SUCCESS);
	assert_int_equal(n, 1);
	assert_int_equal(buf[0], 0);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	card_insert(ctx, 0);
	h = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, &p);
	assert_int_equal(p, SCARD_PROTOCOL_T1);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* ---- Transmit ---- */

/* ECHO 80 10 00 00 03 01 02 03 00 → 01 02 03 90 00 */
static const uint8_t ECHO3[] = { 0x80, 0x10, 0x00, 0x00, 0x03, 0x01, 0x02, 0x03, 0x00 };
static const uint8_t ECHO3_RESP[] = { 0x01, 0x02, 0x03, 0x90, 0x00 };

static void test_transmit_echo(void **state)
{
	SCARDHANDLE h = connect_ok(C(state), VR_READER, SCARD_SHARE_SHARED, NULL);
	SCARD_IO_REQUEST rpci = { .dwProtocol = SCARD_PROTOCOL_T1,
				  .cbPciLength = sizeof(SCARD_IO_REQUEST) };
	uint8_t r[64];
	DWORD n = sizeof(r);
	static const uint8_t bad_ins[] = { 0x80, 0xFF, 0x00, 0x00 };
	static const uint8_t select[] = { 0x00, 0xA4, 0x04, 0x00, 0x08, 0xF0, 0x63, 0x63,
					  0x69, 0x64, 0x6B, 0x69, 0x74 };

	memset(r, 0xAA, sizeof(r));
	assert_rv(SCardTransmit(h, SCARD_PCI_T1, ECHO3, sizeof(ECHO3), &rpci, r, &n),
		  SCARD_S_SUCCESS);
	assert_int_equal(n, sizeof(ECHO3_RESP));
	assert_memory_equal(r, ECHO3_RESP, sizeof(ECHO3_RESP));
	assert_int_equal(r[n], 0xAA);
	/* pioRecvPci may be NULL */
	n = sizeof(r);
	assert_rv(SCardTransmit(h, SCARD_PCI_T1, ECHO3, sizeof(ECHO3), NULL, r, &n),
		  SCARD_S_SUCCESS);
	assert_int_equal(n, sizeof(ECHO3_RESP));
	assert_memory_equal(r, ECHO3_RESP, sizeof(ECHO3_RESP));
	/* status words are data, not errors */
	n = sizeof(r);
	assert_rv(SCardTransmit(h, SCARD_PCI_T1, bad_ins, sizeof(bad_ins), NULL, r, &n),
		  SCARD_S_SUCCESS);
	assert_int_equal(n, 2);
	assert_int_equal(r[0], 0x6D);
	assert_int_equal(r[1], 0x00);
	n = sizeof(r);
	assert_rv(SCardTransmit(h, SCARD_PCI_T1, select, sizeof(select), NULL, r, &n),
		  SCARD_S_SUCCESS);
	assert_int_equal(n, 2);
	assert_int_equal(r[0], 0x90);
	/* an exact-size buffer is enough */
	n = sizeof(ECHO3_RESP);
	assert_rv(SCardTransmit(h, SCARD_PCI_T1, ECHO3, sizeof(ECHO3), NULL, r, &n),
		  SCARD_S_SUCCESS);
	assert_int_equal(n, sizeof(ECHO3_RESP));
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

static void test_transmit_errors(void **state)
{
	SCARDHANDLE h = connect_ok(C(state), VR_READER, SCARD_SHARE_SHARED, NULL);
	uint8_t r[64];
	DWORD n = 4;

	/* too small: the needed length comes back */
	assert_rv(SCardTransmit(h, SCARD_PCI_T1, ECHO3, sizeof(ECHO3), NULL, r, &n),
		  SCARD_E_INSUFFICIENT_BUFFER);
	assert_int_equal(n, sizeof(ECHO3_RESP));
	/* fewer than 2 bytes: refused up front */
	n = 1;
	assert_rv(SCardTransmit(h, SCARD_PCI_T1, NOP, sizeof(NOP), NULL, r, &n),
		  SCARD_E_INSUFFICIENT_BUFFER);
	/* pci protocol must be the active one */
	n = sizeof(r);
	assert_rv(SCardTransmit(h, SCARD_PCI_T0, ECHO3, sizeof(ECHO3), NULL, r, &n),
		  SCARD_E_PROTO_MISMATCH);
	/* NULL pointers */
	n = sizeof(r);
	assert_rv(SCardTransmit(h, NULL, ECHO3, sizeof(ECHO3), NULL, r, &n),
		  SCARD_E_INVALID_PARAMETER);
	assert_rv(SCardTransmit(h, SCARD_PCI_T1, NULL, sizeof(ECHO3), NULL, r, &n),
		  SCARD_E_INVALID_PARAMETER);
	assert_rv(SCardTransmit(h, SCARD_PCI_T1, ECHO3, sizeof(ECHO3), NULL, NULL, &n),
		  SCARD_E_INVALID_PARAMETER);
	assert_rv(SCardTransmit(h, SCARD_PCI_T1, ECHO3, sizeof(ECHO3), NULL, r, NULL),
		  SCARD_E_INVALID_PARAMETER);
	/* the handle still works after all that */
	assert_rv(nop(h), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* 4000-byte extended ECHO (the default vreader is extended-APDU level). */
static void test_transmit_extended(void **state)
{
	SCARDHANDLE h = connect_ok(C(state), VR_READER, SCARD_SHARE_SHARED, NULL);
	enum { N = 4000 };
	uint8_t *apdu = malloc(7 + N + 2), *r = malloc(N + 64);
	DWORD n = N + 64;

	assert_non_null(apdu);
	assert_non_null(r);
	memcpy(apdu, (const uint8_t[]){ 0x80, 0x10, 0x00, 0x00, 0x00, N >> 8, N & 0xFF }, 7);
	for (size_t i = 0; i < N; i++)
		apdu[7 + i] = (uint8_t)i;
	apdu[7 + N] = 0x00; /* Le = 00 00: up to 65536 */
	apdu[8 + N] = 0x00;
	assert_rv(SCardTransmit(h, SCARD_PCI_T1, apdu, 7 + N + 2, NULL, r, &n), SCARD_S_SUCCESS);
	assert_int_equal(n, N + 2);
	assert_memory_equal(r, apdu + 7, N);
	assert_int_equal(r[N], 0x90);
	assert_int_equal(r[N + 1], 0x00);
	/* one byte short of the answer */
	n = N + 1;
	assert_rv(SCardTransmit(h, SCARD_PCI_T1, apdu, 7 + N + 2, NULL, r, &n),
		  SCARD_E_INSUFFICIENT_BUFFER);
	assert_int_equal(n, N + 2);
	free(apdu);
	free(r);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* ---- Reconnect / Disconnect dispositions ---- */

static void test_reset_marks_other_handles(void **state)
{
	SCARDCONTEXT ctx = C(state);
	SCARDHANDLE a = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL);
	SCARDHANDLE b = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL);
	DWORD p = 0, st = 0;

	assert_rv(SCardReconnect(a, SCARD_SHARE_SHARED, SCARD_PROTOCOL_ANY, SCARD_RESET_CARD, &p),
		  SCARD_S_SUCCESS);
	assert_int_equal(p, SCARD_PROTOCOL_T1);
	assert_rv(nop(a), SCARD_S_SUCCESS); /* the resetter is not marked */
	assert_rv(nop(b), SCARD_W_RESET_CARD);
	assert_rv(nop(b), SCARD_W_RESET_CARD); /* sticky until Reconnect */
	assert_rv(SCardStatus(b, NULL, NULL, &st, NULL, NULL, NULL), SCARD_W_RESET_CARD);
	assert_rv(SCardBeginTransaction(b), SCARD_W_RESET_CARD);
	p = 0;
	assert_rv(SCardReconnect(b, SCARD_SHARE_SHARED, SCARD_PROTOCOL_ANY, SCARD_LEAVE_CARD, &p),
		  SCARD_S_SUCCESS);
	assert_int_equal(p, SCARD_PROTOCOL_T1);
	assert_rv(nop(b), SCARD_S_SUCCESS);
	assert_rv(nop(a), SCARD_S_SUCCESS); /* a LEAVE reconnect marks no one */
	assert_rv(SCardDisconnect(a, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(b, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

static void disposition_marks(void **state, DWORD disposition)
{
	SCARDCONTEXT ctx = C(state);
	SCARDHANDLE a = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL);
	SCARDHANDLE b = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL);
	DWORD p = 0;

	assert_rv(SCardDisconnect(a, disposition), SCARD_S_SUCCESS);
	assert_rv(nop(b), SCARD_W_RESET_CARD);
	assert_rv(SCardReconnect(b, SCARD_SHARE_SHARED, SCARD_PROTOCOL_ANY, SCARD_LEAVE_CARD, &p),
		  SCARD_S_SUCCESS);
	assert_int_equal(p, SCARD_PROTOCOL_T1);
	assert_rv(nop(b), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(b, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

static void test_disconnect_reset(void **state)
{
	disposition_marks(state, SCARD_RESET_CARD);
}

static void test_disconnect_unpower(void **state)
{
	disposition_marks(state, SCARD_UNPOWER_CARD);
}

/* Reconnect UNPOWER through a: cold reset, b marked, a works. */
static void test_reconnect_unpower(void **state)
{
	SCARDCONTEXT ctx = C(state);
	SCARDHANDLE a = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL);
	SCARDHANDLE b = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL);
	DWORD p = 0, st = 0;

	assert_rv(SCardReconnect(a, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, SCARD_UNPOWER_CARD, &p),
		  SCARD_S_SUCCESS);
	assert_int_equal(p, SCARD_PROTOCOL_T1);
	assert_rv(SCardStatus(a, NULL, NULL, &st, &p, NULL, NULL), SCARD_S_SUCCESS);
	assert_int_equal(st & 0xFFFF, SCARD_PRESENT | SCARD_POWERED | SCARD_NEGOTIABLE);
	assert_rv(nop(a), SCARD_S_SUCCESS);
	assert_rv(nop(b), SCARD_W_RESET_CARD);
	assert_rv(SCardDisconnect(b, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(a, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

static void test_disposition_args(void **state)
{
	SCARDCONTEXT ctx = C(state);
	SCARDHANDLE a = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL);
	DWORD p;

	assert_rv(SCardDisconnect(a, 4), SCARD_E_INVALID_VALUE);
	assert_rv(SCardReconnect(a, SCARD_SHARE_SHARED, SCARD_PROTOCOL_ANY, SCARD_EJECT_CARD, &p),
		  SCARD_E_INVALID_VALUE);
	assert_rv(SCardReconnect(a, SCARD_SHARE_SHARED, SCARD_PROTOCOL_ANY, 7, &p),
		  SCARD_E_INVALID_VALUE);
	assert_rv(SCardReconnect(a, 9, SCARD_PROTOCOL_ANY, SCARD_LEAVE_CARD, &p),
		  SCARD_E_INVALID_VALUE);
	/* the handle survived the refusals */
	assert_rv(nop(a), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(a, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	/* twice: the handle is gone */
	assert_rv(SCardDisconnect(a, SCARD_LEAVE_CARD), SCARD_E_INVALID_HANDLE);
	assert_rv(nop(a), SCARD_E_INVALID_HANDLE);
}

/* Upgrading to EXCLUSIVE needs to be the only handle; downgrading is fine. */
static void test_reconnect_share_modes(void **state)
{
	SCARDCONTEXT ctx = C(state);
	SCARDHANDLE a = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL);
	SCARDHANDLE b = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL), c;
	DWORD p;

	assert_rv(SCardReconnect(a, SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_ANY, SCARD_LEAVE_CARD, &p),
		  SCARD_E_SHARING_VIOLATION);
	assert_rv(SCardDisconnect(b, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	assert_rv(SCardReconnect(a, SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_ANY, SCARD_LEAVE_CARD, &p),
		  SCARD_S_SUCCESS);
	assert_int_equal(p, SCARD_PROTOCOL_T1);
	assert_rv(SCardConnect(ctx, VR_READER, SCARD_SHARE_SHARED, SCARD_PROTOCOL_ANY, &c, &p),
		  SCARD_E_SHARING_VIOLATION);
	assert_rv(SCardReconnect(a, SCARD_SHARE_SHARED, SCARD_PROTOCOL_ANY, SCARD_LEAVE_CARD, &p),
		  SCARD_S_SUCCESS);
	c = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL);
	assert_rv(SCardDisconnect(c, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(a, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* ---- transactions ---- */

static void test_transaction_basic(void **state)
{
	SCARDHANDLE a = connect_ok(C(state), VR_READER, SCARD_SHARE_SHARED, NULL);

	assert_rv(SCardEndTransaction(a, SCARD_LEAVE_CARD), SCARD_E_NOT_TRANSACTED);
	assert_rv(SCardBeginTransaction(a), SCARD_S_SUCCESS);
	assert_rv(nop(a), SCARD_S_SUCCESS);
	assert_rv(SCardEndTransaction(a, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	assert_rv(SCardEndTransaction(a, SCARD_LEAVE_CARD), SCARD_E_NOT_TRANSACTED);
	assert_rv(SCardDisconnect(a, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

struct begin_arg {
	SCARDHANDLE h;
	LONG rv;
	uint64_t done_at;
};

static void *begin_thread(void *arg)
{
	struct begin_arg *b = arg;

	b->rv = SCardBeginTransaction(b->h);
	b->done_at = now_ms();
	return NULL;
}

/* B's BeginTransaction (another thread) blocks until A's EndTransaction. */
static void test_transaction_blocks(void **state)
{
	SCARDCONTEXT ctx = C(state);
	SCARDHANDLE a = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL);
	struct begin_arg b = { .h = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL) };
	pthread_t t;
	uint64_t ended;

	assert_rv(SCardBeginTransaction(a), SCARD_S_SUCCESS);
	assert_int_equal(pthread_create(&t, NULL, begin_thread, &b), 0);
	sleep_ms(500);
	assert_int_equal(b.done_at, 0); /* still blocked */
	assert_rv(nop(a), SCARD_S_SUCCESS); /* A keeps working meanwhile */
	ended = now_ms();
	assert_rv(SCardEndTransaction(a, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_rv(b.rv, SCARD_S_SUCCESS);
	assert_true(b.done_at >= ended);
	assert_true(b.done_at - ended < 1000);
	assert_rv(nop(b.h), SCARD_S_SUCCESS);
	assert_rv(SCardEndTransaction(b.h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(a, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(b.h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* Disconnecting the holder releases the transaction. */
static void test_transaction_released_by_disconnect(void **state)
{
	SCARDCONTEXT ctx = C(state);
	SCARDHANDLE a = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL);
	SCARDHANDLE b = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL);
	uint64_t t0;

	assert_rv(SCardBeginTransaction(a), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(a, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	t0 = now_ms();
	assert_rv(SCardBeginTransaction(b), SCARD_S_SUCCESS);
	assert_true(now_ms() - t0 < 500);
	assert_rv(SCardEndTransaction(b, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(b, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* EndTransaction(RESET) marks the other handles. */
static void test_transaction_end_reset(void **state)
{
	SCARDCONTEXT ctx = C(state);
	SCARDHANDLE a = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL);
	SCARDHANDLE b = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL);
	DWORD p;

	assert_rv(SCardBeginTransaction(a), SCARD_S_SUCCESS);
	assert_rv(SCardEndTransaction(a, SCARD_RESET_CARD), SCARD_S_SUCCESS);
	assert_rv(nop(a), SCARD_S_SUCCESS);
	assert_rv(nop(b), SCARD_W_RESET_CARD);
	assert_rv(SCardReconnect(b, SCARD_SHARE_SHARED, SCARD_PROTOCOL_ANY, SCARD_LEAVE_CARD, &p),
		  SCARD_S_SUCCESS);
	assert_rv(nop(b), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(a, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(b, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* ---- removal ---- */

static void test_removed_card(void **state)
{
	SCARDCONTEXT ctx = C(state);
	SCARDHANDLE h = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL), h2;
	DWORD p, st, n;
	uint8_t buf[256];

	card_remove(ctx, 0);
	assert_rv(nop(h), SCARD_W_REMOVED_CARD);
	assert_rv(SCardStatus(h, NULL, NULL, &st, NULL, NULL, NULL), SCARD_W_REMOVED_CARD);
	assert_rv(SCardBeginTransaction(h), SCARD_W_REMOVED_CARD);
	/* Control checks no mark */
	n = 0;
	assert_rv(SCardControl(h, CM_IOCTL_GET_FEATURE_REQUEST, NULL, 0, buf, sizeof(buf), &n),
		  SCARD_S_SUCCESS);
	assert_rv(SCardReconnect(h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_ANY, SCARD_LEAVE_CARD, &p),
		  SCARD_E_NO_SMARTCARD);
	assert_rv(SCardConnect(ctx, VR_READER, SCARD_SHARE_SHARED, SCARD_PROTOCOL_ANY, &h2, &p),
		  SCARD_E_NO_SMARTCARD);

	card_insert(ctx, 0);
	/* the old handle keeps its mark until Reconnect */
	assert_rv(nop(h), SCARD_W_REMOVED_CARD);
	p = 0;
	assert_rv(SCardReconnect(h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_ANY, SCARD_LEAVE_CARD, &p),
		  SCARD_S_SUCCESS);
	assert_int_equal(p, SCARD_PROTOCOL_T1);
	assert_rv(nop(h), SCARD_S_SUCCESS);
	assert_rv(SCardStatus(h, NULL, NULL, &st, NULL, NULL, NULL), SCARD_S_SUCCESS);
	assert_int_equal(st & 0xFFFF, SCARD_PRESENT | SCARD_POWERED | SCARD_NEGOTIABLE);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* A removal drops a transaction held by the removed handle. */
static void test_removed_drops_transaction(void **state)
{
	SCARDCONTEXT ctx = C(state);
	SCARDHANDLE a = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL), b;
	DWORD p;

	assert_rv(SCardBeginTransaction(a), SCARD_S_SUCCESS);
	card_remove(ctx, 0);
	card_insert(ctx, 0);
	b = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, &p);
	uint64_t t0 = now_ms();
	assert_rv(SCardBeginTransaction(b), SCARD_S_SUCCESS);
	assert_true(now_ms() - t0 < 500);
	assert_rv(SCardEndTransaction(b, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(b, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(a, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* ---- handles and their context ---- */

static void test_handles_of_released_context(void **state)
{
	SCARDCONTEXT ctx = C(state), other;
	SCARDHANDLE h, x;
	DWORD st;

	assert_rv(SCardEstablishContext(SCARD_SCOPE_USER, NULL, NULL, &other), SCARD_S_SUCCESS);
	h = connect_ok(other, VR_READER, SCARD_SHARE_SHARED, NULL);
	assert_rv(SCardBeginTransaction(h), SCARD_S_SUCCESS);
	assert_rv(SCardReleaseContext(other), SCARD_S_SUCCESS);
	assert_rv(nop(h), SCARD_E_INVALID_HANDLE);
	assert_rv(SCardStatus(h, NULL, NULL, &st, NULL, NULL, NULL), SCARD_E_INVALID_HANDLE);
	assert_rv(SCardEndTransaction(h, SCARD_LEAVE_CARD), SCARD_E_INVALID_HANDLE);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_E_INVALID_HANDLE);
	/* the release freed the handle and its transaction: exclusive works */
	x = connect_ok(ctx, VR_READER, SCARD_SHARE_EXCLUSIVE, NULL);
	assert_rv(SCardBeginTransaction(x), SCARD_S_SUCCESS);
	assert_rv(SCardEndTransaction(x, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(x, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* Releasing a context frees its handles, not those of another context. */
static void test_release_keeps_other_contexts(void **state)
{
	SCARDCONTEXT ctx = C(state), other;
	SCARDHANDLE mine = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL);

	assert_rv(SCardEstablishContext(SCARD_SCOPE_USER, NULL, NULL, &other), SCARD_S_SUCCESS);
	(void)connect_ok(other, VR_READER, SCARD_SHARE_SHARED, NULL);
	assert_rv(SCardReleaseContext(other), SCARD_S_SUCCESS);
	assert_rv(nop(mine), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(mine, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
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
		T(test_connect_shared_twice),
		T(test_connect_exclusive),
		T(test_connect_args),
		T(test_connect_protocols),
		T(test_connect_no_card),
		T(test_transmit_echo),
		T(test_transmit_errors),
		T(test_transmit_extended),
		T(test_reset_marks_other_handles),
		T(test_disconnect_reset),
		T(test_disconnect_unpower),
		T(test_reconnect_unpower),
		T(test_disposition_args),
		T(test_reconnect_share_modes),
		T(test_transaction_basic),
		T(test_transaction_blocks),
		T(test_transaction_released_by_disconnect),
		T(test_transaction_end_reset),
		T(test_removed_card),
		T(test_removed_drops_transaction),
		T(test_handles_of_released_context),
		T(test_release_keeps_other_contexts),
	};

	vr_require_binary("test_card");
	return cmocka_run_group_tests_name("pcsc card", tests, group_setup,
					   vr_group_teardown);
}
