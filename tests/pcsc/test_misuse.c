/* ccidkit — winscard API misuse: NULL pointers where pcsc-lite checks
 * them, wrong sizes, released contexts and disconnected handles, handles
 * and contexts swapped, calls from a fork()ed child, many threads on one
 * handle, SCardCancel of a blocked SCardGetStatusChange, double release,
 * SCardFreeMemory of every kind of auto-allocated buffer.
 * Expected codes: research/pcsc-abi.md (§2, §5, §6) and pcsc-lite's
 * client (winscard_clnt.c) and server (winscard.c) checks it describes. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"

static const uint8_t ECHO4[] = { 0x80, 0x10, 0x00, 0x00, 0x04, 0xDE, 0xAD, 0xBE, 0xEF, 0x00 };
static const uint8_t ECHO4_R[] = { 0xDE, 0xAD, 0xBE, 0xEF, 0x90, 0x00 };
/* "ccidkit Virtual Reader 00 00" + NUL + NUL */
#define READERS_LEN (sizeof(VR_READER) + 1)

static SCARDCONTEXT C(void **state)
{
	return *(SCARDCONTEXT *)*state;
}

static void echo_ok(SCARDHANDLE h)
{
	uint8_t r[16];
	DWORD n = sizeof(r);

	assert_rv(SCardTransmit(h, SCARD_PCI_T1, ECHO4, sizeof(ECHO4), NULL, r, &n),
		  SCARD_S_SUCCESS);
	assert_int_equal(n, sizeof(ECHO4_R));
	assert_memory_equal(r, ECHO4_R, sizeof(ECHO4_R));
}

/* Every handle function on a handle that is not (or no longer) valid. */
static void handle_calls_invalid(SCARDHANDLE h)
{
	uint8_t r[64];
	DWORD n = sizeof(r), proto = 0, st;

	assert_rv(SCardTransmit(h, SCARD_PCI_T1, ECHO4, sizeof(ECHO4), NULL, r, &n),
		  SCARD_E_INVALID_HANDLE);
	n = sizeof(r);
	assert_rv(SCardStatus(h, NULL, NULL, &st, &proto, r, &n), SCARD_E_INVALID_HANDLE);
	assert_rv(SCardReconnect(h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1,
				 SCARD_LEAVE_CARD, &proto), SCARD_E_INVALID_HANDLE);
	assert_rv(SCardBeginTransaction(h), SCARD_E_INVALID_HANDLE);
	assert_rv(SCardEndTransaction(h, SCARD_LEAVE_CARD), SCARD_E_INVALID_HANDLE);
	n = sizeof(r);
	assert_rv(SCardControl(h, CM_IOCTL_GET_FEATURE_REQUEST, NULL, 0, r, sizeof(r), &n),
		  SCARD_E_INVALID_HANDLE);
	n = sizeof(r);
	assert_rv(SCardGetAttrib(h, SCARD_ATTR_ATR_STRING, r, &n), SCARD_E_INVALID_HANDLE);
	assert_rv(SCardSetAttrib(h, SCARD_ATTR_ATR_STRING, r, 1), SCARD_E_INVALID_HANDLE);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_E_INVALID_HANDLE);
}

/* Every context function on a context that is not (or no longer) valid. */
static void context_calls_invalid(SCARDCONTEXT ctx)
{
	SCARD_READERSTATE rs = { .szReader = VR_READER };
	SCARDHANDLE h = 0x1234;
	char buf[128];
	DWORD n = sizeof(buf), proto = 0;

	assert_rv(SCardIsValidContext(ctx), SCARD_E_INVALID_HANDLE);
	assert_rv(SCardListReaders(ctx, NULL, buf, &n), SCARD_E_INVALID_HANDLE);
	n = sizeof(buf);
	assert_rv(SCardListReaderGroups(ctx, buf, &n), SCARD_E_INVALID_HANDLE);
	assert_rv(SCardGetStatusChange(ctx, 0, &rs, 1), SCARD_E_INVALID_HANDLE);
	assert_rv(SCardCancel(ctx), SCARD_E_INVALID_HANDLE);
	assert_rv(SCardConnect(ctx, VR_READER, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1,
			       &h, &proto), SCARD_E_INVALID_HANDLE);
	assert_int_equal(h, 0); /* pcsc-lite zeroes *phCard first */
	assert_rv(SCardFreeMemory(ctx, NULL), SCARD_E_INVALID_HANDLE);
	assert_rv(SCardReleaseContext(ctx), SCARD_E_INVALID_HANDLE);
}

/* ---- NULL pointers ---- */

static void test_null_pointers(void **state)
{
	SCARDCONTEXT ctx = C(state);
	SCARD_READERSTATE rs = { .szReader = NULL };
	SCARDHANDLE h;
	uint8_t r[16];
	DWORD n, proto, st;

	assert_rv(SCardEstablishContext(SCARD_SCOPE_USER, NULL, NULL, NULL),
		  SCARD_E_INVALID_PARAMETER);
	assert_rv(SCardListReaders(ctx, NULL, (char *)r, NULL), SCARD_E_INVALID_PARAMETER);
	n = SCARD_AUTOALLOCATE; /* the pointer must go somewhere */
	assert_rv(SCardListReaders(ctx, NULL, NULL, &n), SCARD_E_INVALID_PARAMETER);
	assert_rv(SCardListReaderGroups(ctx, (char *)r, NULL), SCARD_E_INVALID_PARAMETER);
	assert_rv(SCardGetStatusChange(ctx, 0, NULL, 1), SCARD_E_INVALID_PARAMETER);
	assert_rv(SCardGetStatusChange(ctx, 0, &rs, 1), SCARD_E_INVALID_VALUE);
	assert_rv(SCardGetStatusChange(ctx, 0, NULL, 0), SCARD_S_SUCCESS);
	assert_rv(SCardConnect(ctx, VR_READER, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1,
			       NULL, &proto), SCARD_E_INVALID_PARAMETER);
	assert_rv(SCardConnect(ctx, VR_READER, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1,
			       &h, NULL), SCARD_E_INVALID_PARAMETER);
	assert_rv(SCardConnect(ctx, NULL, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1,
			       &h, &proto), SCARD_E_UNKNOWN_READER);

	h = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL);
	n = sizeof(r);
	assert_rv(SCardTransmit(h, NULL, ECHO4, sizeof(ECHO4), NULL, r, &n),
		  SCARD_E_INVALID_PARAMETER);
	assert_rv(SCardTransmit(h, SCARD_PCI_T1, NULL, sizeof(ECHO4), NULL, r, &n),
		  SCARD_E_INVALID_PARAMETER);
	assert_rv(SCardTransmit(h, SCARD_PCI_T1, ECHO4, sizeof(ECHO4), NULL, NULL, &n),
		  SCARD_E_INVALID_PARAMETER);
	assert_rv(SCardTransmit(h, SCARD_PCI_T1, ECHO4, sizeof(ECHO4), NULL, r, NULL),
		  SCARD_E_INVALID_PARAMETER);
	assert_rv(SCardReconnect(h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1,
				 SCARD_LEAVE_CARD, NULL), SCARD_E_INVALID_PARAMETER);
	/* SCardStatus: every out pointer may be NULL */
	assert_rv(SCardStatus(h, NULL, NULL, NULL, NULL, NULL, NULL), SCARD_S_SUCCESS);
	assert_rv(SCardStatus(h, NULL, NULL, &st, NULL, NULL, NULL), SCARD_S_SUCCESS);
	assert_int_equal(st & 0xFFFF, SCARD_PRESENT | SCARD_POWERED | SCARD_NEGOTIABLE);
	echo_ok(h); /* still fine after all that */
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* A reader name longer than MAX_READERNAME: SCARD_E_INVALID_VALUE. */
static void test_long_reader_name(void **state)
{
	char name[MAX_READERNAME + 40];
	SCARDHANDLE h = 7;
	DWORD proto;

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_rv(SCardConnect(C(state), name, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1,
			       &h, &proto), SCARD_E_INVALID_VALUE);
	assert_int_equal(h, 0);
}

/* ---- sizes ---- */

static void test_transmit_sizes(void **state)
{
	SCARDHANDLE h = connect_ok(C(state), VR_READER, SCARD_SHARE_SHARED, NULL);
	SCARD_IO_REQUEST rpci = { .dwProtocol = 0xAA, .cbPciLength = 0xBB };
	uint8_t r[16];
	uint8_t *big = malloc(MAX_BUFFER_SIZE_EXTENDED);
	DWORD n;

	assert_non_null(big);
	static const DWORD short_len[] = { 0, 1, 3 }; /* no APDU header */
	for (size_t i = 0; i < 3; i++) {
		n = sizeof(r);
		assert_rv(SCardTransmit(h, SCARD_PCI_T1, ECHO4, short_len[i], NULL, r, &n),
			  SCARD_E_INVALID_PARAMETER);
	}
	static const DWORD huge[] = { MAX_BUFFER_SIZE_EXTENDED + 1, 0xFFFFFFFFu,
		(DWORD)-1 };
	for (size_t i = 0; i < 3; i++) {
		n = sizeof(r);
		assert_rv(SCardTransmit(h, SCARD_PCI_T1, ECHO4, huge[i], NULL, r, &n),
			  SCARD_E_INSUFFICIENT_BUFFER);
	}
	/* room for less than SW1 SW2 */
	for (DWORD cap = 0; cap < 2; cap++) {
		n = cap;
		assert_rv(SCardTransmit(h, SCARD_PCI_T1, ECHO4, sizeof(ECHO4), NULL, r, &n),
			  SCARD_E_INSUFFICIENT_BUFFER);
	}
	/* too small for the answer: the length it needs */
	n = sizeof(ECHO4_R) - 1;
	assert_rv(SCardTransmit(h, SCARD_PCI_T1, ECHO4, sizeof(ECHO4), NULL, r, &n),
		  SCARD_E_INSUFFICIENT_BUFFER);
	assert_int_equal(n, sizeof(ECHO4_R));
	/* a "too large" receive length is no error (1.9.8); pioRecvPci filled */
	n = 1u << 30;
	assert_rv(SCardTransmit(h, SCARD_PCI_T1, ECHO4, sizeof(ECHO4), &rpci, big, &n),
		  SCARD_S_SUCCESS);
	assert_int_equal(n, sizeof(ECHO4_R));
	assert_memory_equal(big, ECHO4_R, sizeof(ECHO4_R));
	assert_int_equal(rpci.dwProtocol, SCARD_PROTOCOL_T1);
	assert_int_equal(rpci.cbPciLength, sizeof(SCARD_IO_REQUEST));
	free(big);
	echo_ok(h);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

static void test_status_sizes(void **state)
{
	SCARDHANDLE h = connect_ok(C(state), VR_READER, SCARD_SHARE_SHARED, NULL);
	char name[64];
	uint8_t atr[64];
	DWORD nlen, alen;

	memset(atr, 0xEE, sizeof(atr));
	nlen = sizeof(name);
	alen = 3;
	assert_rv(SCardStatus(h, name, &nlen, NULL, NULL, atr, &alen),
		  SCARD_E_INSUFFICIENT_BUFFER);
	assert_int_equal(alen, sizeof(ATR_TEST));
	assert_int_equal(nlen, sizeof(VR_READER));
	nlen = 5;
	alen = sizeof(atr);
	assert_rv(SCardStatus(h, name, &nlen, NULL, NULL, atr, &alen),
		  SCARD_E_INSUFFICIENT_BUFFER);
	assert_int_equal(nlen, sizeof(VR_READER));
	/* NULL buffers with lengths: length queries, success */
	nlen = 1;
	alen = 1;
	assert_rv(SCardStatus(h, NULL, &nlen, NULL, NULL, NULL, &alen), SCARD_S_SUCCESS);
	assert_int_equal(nlen, sizeof(VR_READER));
	assert_int_equal(alen, sizeof(ATR_TEST));
	nlen = sizeof(VR_READER);
	alen = sizeof(ATR_TEST);
	assert_rv(SCardStatus(h, name, &nlen, NULL, NULL, atr, &alen), SCARD_S_SUCCESS);
	assert_string_equal(name, VR_READER);
	assert_memory_equal(atr, ATR_TEST, sizeof(ATR_TEST));
	assert_int_equal(atr[sizeof(ATR_TEST)], 0xEE); /* nothing past it */
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

static void test_list_sizes(void **state)
{
	char buf[READERS_LEN + 8];
	DWORD n;

	n = 0;
	assert_rv(SCardListReaders(C(state), NULL, NULL, &n), SCARD_S_SUCCESS);
	assert_int_equal(n, READERS_LEN);
	memset(buf, 0x55, sizeof(buf));
	n = READERS_LEN - 1;
	assert_rv(SCardListReaders(C(state), NULL, buf, &n), SCARD_E_INSUFFICIENT_BUFFER);
	assert_int_equal(n, READERS_LEN);
	n = 1;
	assert_rv(SCardListReaders(C(state), NULL, buf, &n), SCARD_E_INSUFFICIENT_BUFFER);
	assert_int_equal(n, READERS_LEN);
	n = sizeof(buf);
	assert_rv(SCardListReaders(C(state), NULL, buf, &n), SCARD_S_SUCCESS);
	assert_int_equal(n, READERS_LEN);
	assert_memory_equal(buf, VR_READER "\0", READERS_LEN);
	assert_int_equal((uint8_t)buf[READERS_LEN], 0x55);
}

/* ---- released, disconnected, swapped ---- */

static void test_released_context(void **state)
{
	SCARDCONTEXT ctx2;
	SCARDHANDLE h, keep;

	(void)state;
	assert_rv(SCardEstablishContext(SCARD_SCOPE_USER, NULL, NULL, &ctx2), SCARD_S_SUCCESS);
	h = connect_ok(ctx2, VR_READER, SCARD_SHARE_SHARED, NULL);
	keep = connect_ok(C(state), VR_READER, SCARD_SHARE_SHARED, NULL);
	echo_ok(h);
	assert_rv(SCardReleaseContext(ctx2), SCARD_S_SUCCESS);
	context_calls_invalid(ctx2);   /* also the double release */
	handle_calls_invalid(h);       /* its handles went with it */
	echo_ok(keep);                 /* the other context is untouched */
	assert_rv(SCardDisconnect(keep, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

static void test_disconnected_handle(void **state)
{
	SCARDHANDLE h = connect_ok(C(state), VR_READER, SCARD_SHARE_SHARED, NULL);

	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	handle_calls_invalid(h);  /* includes the second Disconnect */
	assert_rv(SCardIsValidContext(C(state)), SCARD_S_SUCCESS);
}

/* Values that were never handed out, and a handle used as a context and
 * the other way round: tags are looked up, never dereferenced. */
static void test_swapped_and_garbage(void **state)
{
	SCARDCONTEXT ctx = C(state);
	SCARDHANDLE h = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL);
	static const LONG garbage[] = { 0, 1, -1, 0x7FFFFFFF, (LONG)0xDEADBEEF,
		(LONG)0x8000000000000000ull };

	assert_true(h != ctx);
	context_calls_invalid((SCARDCONTEXT)h);
	handle_calls_invalid((SCARDHANDLE)ctx);
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		if (garbage[i] == ctx || garbage[i] == h)
			continue;
		context_calls_invalid(garbage[i]);
		handle_calls_invalid(garbage[i]);
	}
	/* h survived every wrong call above */
	echo_ok(h);
	assert_rv(SCardIsValidContext(ctx), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* ---- SCardFreeMemory ---- */

static void test_free_memory(void **state)
{
	SCARDCONTEXT ctx = C(state), ctx2;
	SCARDHANDLE h = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL);
	char *readers = NULL, *groups = NULL, *name = NULL;
	uint8_t *atr = NULL, *attr = NULL;
	DWORD n1 = SCARD_AUTOALLOCATE, n2 = SCARD_AUTOALLOCATE, n3 = SCARD_AUTOALLOCATE;
	DWORD n4 = SCARD_AUTOALLOCATE, n5 = SCARD_AUTOALLOCATE;

	assert_rv(SCardListReaders(ctx, NULL, (char *)&readers, &n1), SCARD_S_SUCCESS);
	assert_int_equal(n1, READERS_LEN);
	assert_memory_equal(readers, VR_READER "\0", READERS_LEN);
	assert_rv(SCardListReaderGroups(ctx, (char *)&groups, &n2), SCARD_S_SUCCESS);
	assert_int_equal(n2, 22);
	assert_memory_equal(groups, "SCard$DefaultReaders\0", 22);
	assert_rv(SCardStatus(h, (char *)&name, &n3, NULL, NULL, (uint8_t *)&atr, &n4),
		  SCARD_S_SUCCESS);
	assert_string_equal(name, VR_READER);
	assert_int_equal(n4, sizeof(ATR_TEST));
	assert_memory_equal(atr, ATR_TEST, sizeof(ATR_TEST));
	/* binary, garbage-looking contents: still just a malloc block */
	assert_rv(SCardGetAttrib(h, SCARD_ATTR_ATR_STRING, (uint8_t *)&attr, &n5),
		  SCARD_S_SUCCESS);
	assert_int_equal(n5, sizeof(ATR_TEST));
	assert_memory_equal(attr, ATR_TEST, sizeof(ATR_TEST));
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);

	assert_rv(SCardFreeMemory(ctx, readers), SCARD_S_SUCCESS);
	assert_rv(SCardFreeMemory(ctx, NULL), SCARD_S_SUCCESS);
	/* pcsc-lite does not tie a block to the context that made it */
	assert_rv(SCardEstablishContext(SCARD_SCOPE_USER, NULL, NULL, &ctx2), SCARD_S_SUCCESS);
	assert_rv(SCardFreeMemory(ctx2, groups), SCARD_S_SUCCESS);
	assert_rv(SCardFreeMemory(ctx2, name), SCARD_S_SUCCESS);
	assert_rv(SCardReleaseContext(ctx2), SCARD_S_SUCCESS);
	/* a released context frees nothing: the block is still ours */
	assert_rv(SCardFreeMemory(ctx2, atr), SCARD_E_INVALID_HANDLE);
	assert_memory_equal(atr, ATR_TEST, sizeof(ATR_TEST));
	free(atr);
	assert_rv(SCardFreeMemory(ctx, attr), SCARD_S_SUCCESS);
}

/* ---- threads ---- */

#define ONE_HANDLE_THREADS 8
#define ONE_HANDLE_CALLS 150

struct one_arg {
	SCARDHANDLE h;
	unsigned id;
	atomic_int *bad;
};

/* Each thread its own data (id in every byte): an answer with another
 * thread's bytes would show two exchanges mixed on the wire. */
static void *one_handle_thread(void *p)
{
	struct one_arg *a = p;

	for (unsigned i = 0; i < ONE_HANDLE_CALLS; i++) {
		uint8_t apdu[5 + 40 + 1], r[64];
		size_t lc = 1 + (a->id * 5 + i) % 40;
		DWORD n = sizeof(r);
		LONG rv;

		memcpy(apdu, (const uint8_t[]){ 0x80, 0x10, 0x00, 0x00 }, 4);
		apdu[4] = (uint8_t)lc;
		memset(apdu + 5, (int)(0xA0 + a->id), lc);
		apdu[5 + lc] = 0;
		rv = SCardTransmit(a->h, SCARD_PCI_T1, apdu, (DWORD)(lc + 6), NULL, r, &n);
		if (rv != SCARD_S_SUCCESS || n != lc + 2 ||
		    memcmp(r, apdu + 5, lc) != 0 || r[lc] != 0x90 || r[lc + 1] != 0) {
			fprintf(stderr, "thread %u call %u: rv 0x%08lX, %lu bytes\n",
				a->id, i, (unsigned long)rv, (unsigned long)n);
			atomic_fetch_add(a->bad, 1);
		}
	}
	return NULL;
}

static void test_one_handle_many_threads(void **state)
{
	SCARDHANDLE h = connect_ok(C(state), VR_READER, SCARD_SHARE_SHARED, NULL);
	pthread_t t[ONE_HANDLE_THREADS];
	struct one_arg a[ONE_HANDLE_THREADS];
	atomic_int bad = 0;

	for (unsigned i = 0; i < ONE_HANDLE_THREADS; i++) {
		a[i] = (struct one_arg){ .h = h, .id = i, .bad = &bad };
		assert_int_equal(pthread_create(&t[i], NULL, one_handle_thread, &a[i]), 0);
	}
	for (unsigned i = 0; i < ONE_HANDLE_THREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(atomic_load(&bad), 0);
	echo_ok(h);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

struct gsc_arg {
	SCARDCONTEXT ctx;
	DWORD current;
	LONG rv;
	uint64_t ms;
};

static void *gsc_block_thread(void *p)
{
	struct gsc_arg *a = p;
	SCARD_READERSTATE rs = { .szReader = VR_READER, .dwCurrentState = a->current };
	uint64_t t0 = now_ms();

	a->rv = SCardGetStatusChange(a->ctx, INFINITE, &rs, 1);
	a->ms = now_ms() - t0;
	return NULL;
}

/* A thread blocked for ever in GetStatusChange; `wake` ends it. */
static void gsc_woken_by(SCARDCONTEXT ctx, LONG (*wake)(SCARDCONTEXT))
{
	SCARD_READERSTATE rs = { .szReader = VR_READER };
	struct gsc_arg a = { .ctx = ctx, .rv = 12345 };
	pthread_t t;

	assert_rv(SCardGetStatusChange(ctx, 0, &rs, 1), SCARD_S_SUCCESS);
	a.current = rs.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
	assert_int_equal(pthread_create(&t, NULL, gsc_block_thread, &a), 0);
	sleep_ms(300);
	assert_rv(wake(ctx), SCARD_S_SUCCESS);
	pthread_join(t, NULL);
	assert_rv(a.rv, SCARD_E_CANCELLED);
	assert_in_range(a.ms, 250, 2000);
}

static void test_cancel_blocked_gsc(void **state)
{
	SCARDCONTEXT ctx = C(state), ctx2;
	SCARD_READERSTATE rs = { .szReader = VR_READER };
	uint64_t t0;

	gsc_woken_by(ctx, SCardCancel);
	/* not sticky: a Cancel with nobody waiting changes nothing later */
	assert_rv(SCardCancel(ctx), SCARD_S_SUCCESS);
	assert_rv(SCardGetStatusChange(ctx, 0, &rs, 1), SCARD_S_SUCCESS);
	rs.dwCurrentState = rs.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
	t0 = now_ms();
	assert_rv(SCardGetStatusChange(ctx, 200, &rs, 1), SCARD_E_TIMEOUT);
	assert_true(now_ms() - t0 >= 190);
	/* releasing the context wakes its waiter the same way (THREADING.md) */
	assert_rv(SCardEstablishContext(SCARD_SCOPE_USER, NULL, NULL, &ctx2), SCARD_S_SUCCESS);
	gsc_woken_by(ctx2, SCardReleaseContext);
	assert_rv(SCardIsValidContext(ctx2), SCARD_E_INVALID_HANDLE);
}

struct connect_arg {
	SCARDCONTEXT ctx;
	SCARDHANDLE h;
	LONG rv;
	uint64_t ms;
};

static void *connect_thread(void *p)
{
	struct connect_arg *a = p;
	DWORD proto;
	uint64_t t0 = now_ms();

	a->rv = SCardConnect(a->ctx, VR_READER, SCARD_SHARE_SHARED,
			     SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &a->h,
			     &proto);
	a->ms = now_ms() - t0;
	return NULL;
}

/* A Connect waits while another handle holds a transaction on the reader
 * (pcscd's winscard.c does), without a time limit; releasing its context
 * from another thread ends the wait with SCARD_E_INVALID_HANDLE, and a
 * Connect waiting the same way succeeds once the transaction ends. */
static void test_release_during_connect_wait(void **state)
{
	SCARDCONTEXT ctx = C(state), ctx2;
	SCARDHANDLE h = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL);
	struct connect_arg a = { .rv = 12345 };
	pthread_t t;

	assert_rv(SCardBeginTransaction(h), SCARD_S_SUCCESS);
	assert_rv(SCardEstablishContext(SCARD_SCOPE_USER, NULL, NULL, &ctx2),
		  SCARD_S_SUCCESS);
	a.ctx = ctx2;
	assert_int_equal(pthread_create(&t, NULL, connect_thread, &a), 0);
	sleep_ms(300);
	assert_int_equal(a.rv, 12345); /* still waiting */
	assert_rv(SCardReleaseContext(ctx2), SCARD_S_SUCCESS);
	pthread_join(t, NULL);
	assert_rv(a.rv, SCARD_E_INVALID_HANDLE);
	assert_int_equal(a.h, 0);
	assert_in_range(a.ms, 250, 2000);
	/* the transaction is untouched */
	echo_ok(h);
	/* the same wait ends with a handle when the transaction does */
	a.ctx = ctx;
	a.rv = 12345;
	assert_int_equal(pthread_create(&t, NULL, connect_thread, &a), 0);
	sleep_ms(300);
	assert_int_equal(a.rv, 12345);
	assert_rv(SCardEndTransaction(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	pthread_join(t, NULL);
	assert_rv(a.rv, SCARD_S_SUCCESS);
	assert_in_range(a.ms, 250, 2000);
	echo_ok(a.h);
	assert_rv(SCardDisconnect(a.h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* ---- fork ---- */

/* The child of a process with an open context: pcsc-abi.md §6.4 says
 * contexts are not meant to cross fork() and ccidkit documents nothing
 * more, so the child may only see SUCCESS or INVALID_HANDLE — and must
 * neither crash nor hang, nor disturb the parent's reader. */
static int child_calls(SCARDCONTEXT ctx)
{
	LONG rv;

	alarm(10); /* a hang is a failure (SIGALRM) */
	rv = SCardIsValidContext(ctx);
	if (rv != SCARD_S_SUCCESS && rv != SCARD_E_INVALID_HANDLE)
		return 2;
	rv = SCardReleaseContext(ctx);
	if (rv != SCARD_S_SUCCESS && rv != SCARD_E_INVALID_HANDLE)
		return 3;
	return 0;
}

static void test_fork_child(void **state)
{
	SCARDCONTEXT ctx = C(state);
	SCARDHANDLE h = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL);
	int status = 0;
	pid_t pid;

	echo_ok(h);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_calls(ctx));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		print_error("child killed by signal %d\n", WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* the parent's context and handle work as before */
	assert_rv(SCardIsValidContext(ctx), SCARD_S_SUCCESS);
	echo_ok(h);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

static int group_setup(void **state)
{
	(void)state;
	return vr_group_setup_args(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_null_pointers, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_long_reader_name, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_transmit_sizes, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_status_sizes, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_list_sizes, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_released_context, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_release_during_connect_wait, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_disconnected_handle, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_swapped_and_garbage, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_free_memory, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_one_handle_many_threads, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_cancel_blocked_gsc, ctx_setup, ctx_teardown),
		cmocka_unit_test_setup_teardown(test_fork_child, ctx_setup, ctx_teardown),
	};

	vr_require_binary("test_misuse");
	return cmocka_run_group_tests(tests, group_setup, vr_group_teardown);
}
