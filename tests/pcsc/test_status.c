/* ccidkit — winscard tests: SCardGetStatusChange, SCardStatus,
 * SCardGetAttrib/SetAttrib and SCardControl.
 * Expected values: research/pcsc-abi.md §5 (state bits), §6.1, §6.3, §6.4,
 * and ccid-spec.md §9 (GET_FEATURE_REQUEST / GET_TLV_PROPERTIES). */
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

#define LOW(s) ((s) & 0xFFFFu)
#define COUNTER(s) (((s) >> 16) & 0xFFFFu)

static SCARDCONTEXT C(void **state)
{
	return *(SCARDCONTEXT *)*state;
}

/* The reader's state now (UNAWARE: returns at once, with CHANGED). */
static SCARD_READERSTATE read_state(SCARDCONTEXT ctx, const char *reader)
{
	SCARD_READERSTATE rs = { .szReader = reader, .dwCurrentState = SCARD_STATE_UNAWARE };

	assert_rv(SCardGetStatusChange(ctx, 0, &rs, 1), SCARD_S_SUCCESS);
	assert_true(rs.dwEventState & SCARD_STATE_CHANGED);
	return rs;
}

/* ---- GetStatusChange argument checks (§6.3, in pcsc-lite's order) ---- */

static void test_gsc_no_readers(void **state)
{
	uint64_t t0 = now_ms();

	/* cReaders 0: SUCCESS at once, even with INFINITE */
	assert_rv(SCardGetStatusChange(C(state), INFINITE, NULL, 0), SCARD_S_SUCCESS);
	assert_rv(SCardGetStatusChange(C(state), 0, NULL, 0), SCARD_S_SUCCESS);
	assert_true(now_ms() - t0 < 500);
}

static void test_gsc_bad_args(void **state)
{
	SCARD_READERSTATE rs[2] = {
		{ .szReader = VR_READER }, { .szReader = NULL },
	};

	assert_rv(SCardGetStatusChange(C(state), 0, NULL, 1), SCARD_E_INVALID_PARAMETER);
	assert_rv(SCardGetStatusChange(C(state), 0, rs, 2), SCARD_E_INVALID_VALUE);
	rs[0].szReader = NULL;
	assert_rv(SCardGetStatusChange(C(state), INFINITE, rs, 1), SCARD_E_INVALID_VALUE);
}

static void test_gsc_unknown_reader(void **state)
{
	SCARD_READERSTATE rs[2] = {
		{ .szReader = VR_READER }, { .szReader = "no such reader 00 00" },
	};
	uint64_t t0 = now_ms();

	assert_rv(SCardGetStatusChange(C(state), INFINITE, &rs[1], 1), SCARD_E_UNKNOWN_READER);
	assert_rv(SCardGetStatusChange(C(state), INFINITE, rs, 2), SCARD_E_UNKNOWN_READER);
	/* names are exact: a prefix is not the reader */
	rs[1].szReader = "ccidkit Virtual Reader";
	assert_rv(SCardGetStatusChange(C(state), 0, &rs[1], 1), SCARD_E_UNKNOWN_READER);
	assert_true(now_ms() - t0 < 1000);
}

/* All entries IGNORE: SUCCESS at once. */
static void test_gsc_all_ignored(void **state)
{
	SCARD_READERSTATE rs = { .szReader = VR_READER, .dwCurrentState = SCARD_STATE_IGNORE };
	uint64_t t0 = now_ms();

	assert_rv(SCardGetStatusChange(C(state), INFINITE, &rs, 1), SCARD_S_SUCCESS);
	assert_true(now_ms() - t0 < 500);
}

/* Ignored entries get dwEventState 0; the others are filled. */
static void test_gsc_ignore_mixed(void **state)
{
	SCARD_READERSTATE rs[2] = {
		{ .szReader = VR_READER, .dwCurrentState = SCARD_STATE_IGNORE,
		  .dwEventState = 0x1234 },
		{ .szReader = VR_READER, .dwCurrentState = SCARD_STATE_UNAWARE },
	};

	assert_rv(SCardGetStatusChange(C(state), 0, rs, 2), SCARD_S_SUCCESS);
	assert_int_equal(rs[0].dwEventState, 0);
	assert_int_equal(LOW(rs[1].dwEventState), SCARD_STATE_PRESENT | SCARD_STATE_CHANGED);
}

/* ---- states ---- */

/* UNAWARE on a present card nobody holds: PRESENT|CHANGED and the ATR
 * (after a Connect powered it; LEAVE keeps it powered). */
static void test_gsc_unaware_present(void **state)
{
	SCARDHANDLE h = connect_ok(C(state), VR_READER, SCARD_SHARE_SHARED, NULL);
	SCARD_READERSTATE rs;

	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	memset(&rs, 0, sizeof(rs));
	rs.szReader = VR_READER;
	memset(rs.rgbAtr, 0xEE, sizeof(rs.rgbAtr));
	assert_rv(SCardGetStatusChange(C(state), INFINITE, &rs, 1), SCARD_S_SUCCESS);
	assert_int_equal(LOW(rs.dwEventState), SCARD_STATE_PRESENT | SCARD_STATE_CHANGED);
	assert_int_equal(rs.cbAtr, sizeof(ATR_TEST));
	assert_memory_equal(rs.rgbAtr, ATR_TEST, sizeof(ATR_TEST));
	/* input fields untouched */
	assert_string_equal(rs.szReader, VR_READER);
	assert_int_equal(rs.dwCurrentState, SCARD_STATE_UNAWARE);
}

/* Sharing bits: INUSE with a shared handle, EXCLUSIVE with an exclusive
 * one, CHANGED when they go away. */
static void test_gsc_sharing_bits(void **state)
{
	SCARDCONTEXT ctx = C(state);
	SCARDHANDLE h = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL);
	SCARD_READERSTATE rs = read_state(ctx, VR_READER);

	assert_int_equal(LOW(rs.dwEventState),
			 SCARD_STATE_PRESENT | SCARD_STATE_INUSE | SCARD_STATE_CHANGED);
	assert_int_equal(rs.cbAtr, sizeof(ATR_TEST));
	assert_memory_equal(rs.rgbAtr, ATR_TEST, sizeof(ATR_TEST));
	/* nothing changed: timeout 0 → SCARD_E_TIMEOUT, same state, no CHANGED */
	rs.dwCurrentState = rs.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
	assert_rv(SCardGetStatusChange(ctx, 0, &rs, 1), SCARD_E_TIMEOUT);
	assert_int_equal(rs.dwEventState, rs.dwCurrentState);
	/* the handle goes: INUSE clears, CHANGED */
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	assert_rv(SCardGetStatusChange(ctx, 0, &rs, 1), SCARD_S_SUCCESS);
	assert_int_equal(LOW(rs.dwEventState), SCARD_STATE_PRESENT | SCARD_STATE_CHANGED);

	h = connect_ok(ctx, VR_READER, SCARD_SHARE_EXCLUSIVE, NULL);
	rs = read_state(ctx, VR_READER);
	assert_int_equal(LOW(rs.dwEventState),
			 SCARD_STATE_PRESENT | SCARD_STATE_EXCLUSIVE | SCARD_STATE_CHANGED);
	rs.dwCurrentState = rs.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	assert_rv(SCardGetStatusChange(ctx, 0, &rs, 1), SCARD_S_SUCCESS);
	assert_int_equal(LOW(rs.dwEventState), SCARD_STATE_PRESENT | SCARD_STATE_CHANGED);
}

/* Timeout 0 and a finite timeout with nothing changing. */
static void test_gsc_timeouts(void **state)
{
	SCARDCONTEXT ctx = C(state);
	SCARD_READERSTATE rs = read_state(ctx, VR_READER);
	DWORD now_state = rs.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
	uint64_t t0;

	rs.dwCurrentState = now_state;
	t0 = now_ms();
	assert_rv(SCardGetStatusChange(ctx, 0, &rs, 1), SCARD_E_TIMEOUT);
	assert_true(now_ms() - t0 < 500);
	assert_int_equal(rs.dwEventState, now_state);
	assert_int_equal(rs.cbAtr, sizeof(ATR_TEST));

	t0 = now_ms();
	assert_rv(SCardGetStatusChange(ctx, 400, &rs, 1), SCARD_E_TIMEOUT);
	assert_true(now_ms() - t0 >= 350);
	assert_true(now_ms() - t0 < 2000);
	assert_int_equal(rs.dwEventState, now_state);

	/* a counter of 0 in dwCurrentState means "unknown": no CHANGED */
	rs.dwCurrentState = LOW(now_state);
	assert_rv(SCardGetStatusChange(ctx, 0, &rs, 1), SCARD_E_TIMEOUT);
	assert_int_equal(rs.dwEventState, now_state);
}

/* The event counter (bits 16..31) counts every removal and insertion; an
 * app holding an old counter sees CHANGED even when the card is back. */
static void test_gsc_event_counter(void **state)
{
	SCARDCONTEXT ctx = C(state);
	SCARD_READERSTATE rs = read_state(ctx, VR_READER);
	DWORD before = rs.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
	DWORD c0 = COUNTER(before), s;

	card_remove(ctx, 0);
	rs = read_state(ctx, VR_READER);
	assert_int_equal(LOW(rs.dwEventState), SCARD_STATE_EMPTY | SCARD_STATE_CHANGED);
	assert_int_equal(COUNTER(rs.dwEventState), (c0 + 1) & 0xFFFF);
	assert_int_equal(rs.cbAtr, 0);

	card_insert(ctx, 0);
	rs = read_state(ctx, VR_READER);
	assert_int_equal(COUNTER(rs.dwEventState), (c0 + 2) & 0xFFFF);
	assert_int_equal(LOW(rs.dwEventState), SCARD_STATE_PRESENT | SCARD_STATE_CHANGED);
	/* pcsc-lite reports the ATR of a present card without any Connect */
	assert_int_equal(rs.cbAtr, sizeof(ATR_TEST));
	assert_memory_equal(rs.rgbAtr, ATR_TEST, sizeof(ATR_TEST));

	/* same state bits, stale non-zero counter → CHANGED at once */
	if (c0 == 0) {
		/* a zero counter would mean "no counter"; use one that is stale */
		before = LOW(before) | ((DWORD)0x7777 << 16);
	}
	rs.dwCurrentState = before;
	assert_rv(SCardGetStatusChange(ctx, 0, &rs, 1), SCARD_S_SUCCESS);
	s = rs.dwEventState;
	assert_int_equal(LOW(s), SCARD_STATE_PRESENT | SCARD_STATE_CHANGED);
	assert_int_equal(COUNTER(s), (c0 + 2) & 0xFFFF);
	/* with the fresh counter: nothing to report */
	rs.dwCurrentState = s & ~(DWORD)SCARD_STATE_CHANGED;
	assert_rv(SCardGetStatusChange(ctx, 0, &rs, 1), SCARD_E_TIMEOUT);
}

/* A remove typed into the vreader wakes a waiting call within a second;
 * an insert too. */
struct waiter {
	SCARDCONTEXT ctx;
	SCARD_READERSTATE rs[2];
	DWORD n, timeout;
	LONG rv;
	uint64_t done_at;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;

	w->rv = SCardGetStatusChange(w->ctx, w->timeout, w->rs, w->n);
	__atomic_store_n(&w->done_at, now_ms(), __ATOMIC_RELEASE);
	return NULL;
}

static void wake_on(void **state, const char *cmd, DWORD want)
{
	SCARDCONTEXT ctx = C(state);
	struct waiter w = { .ctx = ctx, .n = 1, .timeout = 10000 };
	pthread_t t;
	uint64_t t0;

	w.rs[0] = read_state(ctx, VR_READER);
	w.rs[0].dwCurrentState = w.rs[0].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
	assert_int_equal(pthread_create(&t, NULL, wait_thread, &w), 0);
	sleep_ms(300);
	assert_int_equal(__atomic_load_n(&w.done_at, __ATOMIC_ACQUIRE), 0); /* it waits */
	t0 = now_ms();
	vr_cmd(&g_vr, cmd);
	g_vr.card[0] = strcmp(cmd, "remove") != 0;
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_rv(w.rv, SCARD_S_SUCCESS);
	if (w.done_at - t0 >= 1000)
		print_error("'%s' woke the waiter after %lu ms\n", cmd,
			    (unsigned long)(w.done_at - t0));
	assert_true(w.done_at - t0 < 1000);
	assert_int_equal(LOW(w.rs[0].dwEventState), want | SCARD_STATE_CHANGED);
}

static void test_gsc_wakes_on_remove_insert(void **state)
{
	wake_on(state, "remove", SCARD_STATE_EMPTY);
	wake_on(state, "insert", SCARD_STATE_PRESENT);
}

/* INFINITE waits past the first insert for the state it is told about. */
static void test_gsc_infinite(void **state)
{
	SCARDCONTEXT ctx = C(state);
	struct waiter w = { .ctx = ctx, .n = 1, .timeout = INFINITE };
	pthread_t t;

	w.rs[0] = read_state(ctx, VR_READER);
	w.rs[0].dwCurrentState = w.rs[0].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
	assert_int_equal(pthread_create(&t, NULL, wait_thread, &w), 0);
	sleep_ms(1200);
	assert_int_equal(w.done_at, 0);
	assert_rv(SCardCancel(ctx), SCARD_S_SUCCESS);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_rv(w.rv, SCARD_E_CANCELLED);
}

/* ---- the PnP pseudo-reader ---- */

static void test_gsc_pnp(void **state)
{
	SCARDCONTEXT ctx = C(state);
	SCARD_READERSTATE rs[2] = {
		{ .szReader = PNP_READER, .dwCurrentState = SCARD_STATE_UNAWARE },
		{ .szReader = VR_READER, .dwCurrentState = SCARD_STATE_UNAWARE },
	};
	DWORD pnp, other;

	/* accepted (apps probe for it with timeout 0); UNAWARE on it does not
	 * force a return, and it never gets reader bits */
	assert_rv(SCardGetStatusChange(ctx, 0, rs, 1), SCARD_E_TIMEOUT);
	pnp = rs[0].dwEventState;
	assert_int_equal(LOW(pnp), 0);
	/* case-insensitive name */
	rs[0].szReader = "\\\\?pnp?\\NOTIFICATION";
	assert_rv(SCardGetStatusChange(ctx, 0, rs, 1), SCARD_E_TIMEOUT);
	assert_int_equal(rs[0].dwEventState, pnp);
	/* with a real reader: that one reports, the PnP entry has no CHANGED */
	rs[0].szReader = PNP_READER;
	assert_rv(SCardGetStatusChange(ctx, 0, rs, 2), SCARD_S_SUCCESS);
	assert_int_equal(rs[0].dwEventState, pnp);
	assert_int_equal(LOW(rs[1].dwEventState), SCARD_STATE_PRESENT | SCARD_STATE_CHANGED);
	/* its counter (pcsc-lite 2.3.0+): the current value → nothing to say */
	rs[0].dwCurrentState = pnp;
	assert_rv(SCardGetStatusChange(ctx, 0, rs, 1), SCARD_E_TIMEOUT);
	assert_int_equal(rs[0].dwEventState, pnp);
	/* a different non-zero counter → CHANGED at once */
	other = (COUNTER(pnp) + 1) & 0xFFFF;
	rs[0].dwCurrentState = (other ? other : 1) << 16;
	assert_rv(SCardGetStatusChange(ctx, 0, rs, 1), SCARD_S_SUCCESS);
	assert_int_equal(rs[0].dwEventState, pnp | SCARD_STATE_CHANGED);
	/* card events are not reader events */
	card_remove(ctx, 0);
	card_insert(ctx, 0);
	rs[0].dwCurrentState = pnp;
	assert_rv(SCardGetStatusChange(ctx, 0, rs, 1), SCARD_E_TIMEOUT);
	assert_int_equal(rs[0].dwEventState, pnp);
}

/* ---- SCardStatus (§2, §5, §6.1) ---- */

static void test_status_full(void **state)
{
	DWORD proto = 0, nlen, st = 0, p2 = 0, alen;
	SCARDHANDLE h = connect_ok(C(state), VR_READER, SCARD_SHARE_SHARED, &proto);
	char name[128];
	uint8_t atr[MAX_ATR_SIZE];

	assert_int_equal(proto, SCARD_PROTOCOL_T1);
	nlen = sizeof(name);
	alen = sizeof(atr);
	memset(name, 0xAA, sizeof(name));
	assert_rv(SCardStatus(h, name, &nlen, &st, &p2, atr, &alen), SCARD_S_SUCCESS);
	assert_string_equal(name, VR_READER);
	assert_int_equal(nlen, sizeof(VR_READER)); /* NUL included */
	assert_int_equal(LOW(st), SCARD_PRESENT | SCARD_POWERED | SCARD_NEGOTIABLE);
	assert_int_equal(LOW(st), 0x34);
	assert_int_equal(p2, SCARD_PROTOCOL_T1);
	assert_int_equal(alen, sizeof(ATR_TEST));
	assert_memory_equal(atr, ATR_TEST, sizeof(ATR_TEST));
	/* the high word is the reader's event counter, as GetStatusChange's */
	SCARD_READERSTATE rs = read_state(C(state), VR_READER);
	assert_int_equal(COUNTER(st), COUNTER(rs.dwEventState));
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

static void test_status_nulls(void **state)
{
	SCARDHANDLE h = connect_ok(C(state), VR_READER, SCARD_SHARE_SHARED, NULL);
	DWORD nlen = 5, alen = 0;

	assert_rv(SCardStatus(h, NULL, NULL, NULL, NULL, NULL, NULL), SCARD_S_SUCCESS);
	/* NULL buffers with lengths: the lengths are reported */
	assert_rv(SCardStatus(h, NULL, &nlen, NULL, NULL, NULL, &alen), SCARD_S_SUCCESS);
	assert_int_equal(nlen, sizeof(VR_READER));
	assert_int_equal(alen, sizeof(ATR_TEST));
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

static void test_status_small_buffers(void **state)
{
	SCARDHANDLE h = connect_ok(C(state), VR_READER, SCARD_SHARE_SHARED, NULL);
	char name[128];
	uint8_t atr[MAX_ATR_SIZE];
	DWORD nlen = 10, alen = sizeof(atr);

	assert_rv(SCardStatus(h, name, &nlen, NULL, NULL, atr, &alen),
		  SCARD_E_INSUFFICIENT_BUFFER);
	assert_int_equal(nlen, sizeof(VR_READER));
	nlen = sizeof(name);
	alen = 4;
	assert_rv(SCardStatus(h, name, &nlen, NULL, NULL, atr, &alen),
		  SCARD_E_INSUFFICIENT_BUFFER);
	assert_int_equal(alen, sizeof(ATR_TEST));
	/* exact sizes are enough */
	nlen = sizeof(VR_READER);
	alen = sizeof(ATR_TEST);
	assert_rv(SCardStatus(h, name, &nlen, NULL, NULL, atr, &alen), SCARD_S_SUCCESS);
	assert_string_equal(name, VR_READER);
	assert_memory_equal(atr, ATR_TEST, sizeof(ATR_TEST));
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

static void test_status_autoallocate(void **state)
{
	SCARDCONTEXT ctx = C(state);
	SCARDHANDLE h = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL);
	char *name = NULL;
	uint8_t *atr = NULL;
	DWORD nlen = SCARD_AUTOALLOCATE, alen = SCARD_AUTOALLOCATE;

	assert_rv(SCardStatus(h, (LPSTR)&name, &nlen, NULL, NULL, (LPBYTE)&atr, &alen),
		  SCARD_S_SUCCESS);
	assert_non_null(name);
	assert_non_null(atr);
	assert_string_equal(name, VR_READER);
	assert_int_equal(nlen, sizeof(VR_READER));
	assert_int_equal(alen, sizeof(ATR_TEST));
	assert_memory_equal(atr, ATR_TEST, sizeof(ATR_TEST));
	assert_rv(SCardFreeMemory(ctx, name), SCARD_S_SUCCESS);
	assert_rv(SCardFreeMemory(ctx, atr), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* ---- GetAttrib / SetAttrib (§5 SCARD_ATTR_*, §6.1, §6.4) ---- */

static void test_attrib_atr(void **state)
{
	SCARDCONTEXT ctx = C(state);
	SCARDHANDLE h = connect_ok(ctx, VR_READER, SCARD_SHARE_SHARED, NULL);
	uint8_t buf[64], *p = NULL;
	DWORD len = sizeof(buf);

	assert_rv(SCardGetAttrib(h, SCARD_ATTR_ATR_STRING, buf, &len), SCARD_S_SUCCESS);
	assert_int_equal(len, sizeof(ATR_TEST));
	assert_memory_equal(buf, ATR_TEST, sizeof(ATR_TEST));
	/* length query */
	len = 0;
	assert_rv(SCardGetAttrib(h, SCARD_ATTR_ATR_STRING, NULL, &len), SCARD_S_SUCCESS);
	assert_int_equal(len, sizeof(ATR_TEST));
	/* too small: the needed length comes back */
	len = 4;
	assert_rv(SCardGetAttrib(h, SCARD_ATTR_ATR_STRING, buf, &len),
		  SCARD_E_INSUFFICIENT_BUFFER);
	assert_int_equal(len, sizeof(ATR_TEST));
	/* AUTOALLOCATE */
	len = SCARD_AUTOALLOCATE;
	assert_rv(SCardGetAttrib(h, SCARD_ATTR_ATR_STRING, (LPBYTE)&p, &len), SCARD_S_SUCCESS);
	assert_non_null(p);
	assert_int_equal(len, sizeof(ATR_TEST));
	assert_memory_equal(p, ATR_TEST, sizeof(ATR_TEST));
	assert_rv(SCardFreeMemory(ctx, p), SCARD_S_SUCCESS);
	len = SCARD_AUTOALLOCATE;
	assert_rv(SCardGetAttrib(h, SCARD_ATTR_ATR_STRING, NULL, &len), SCARD_E_INVALID_PARAMETER);
	assert_rv(SCardGetAttrib(h, SCARD_ATTR_ATR_STRING, buf, NULL), SCARD_E_INVALID_PARAMETER);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* Strings come with their NUL, as libccid's (vendor) and pcsc-lite's
 * (friendly name) do: strlen + 1. */
static void check_string_attr(SCARDHANDLE h, DWORD id, const char *want)
{
	char buf[256];
	DWORD len = sizeof(buf);

	memset(buf, 0xAA, sizeof(buf));
	assert_rv(SCardGetAttrib(h, id, (LPBYTE)buf, &len), SCARD_S_SUCCESS);
	assert_int_equal(len, strlen(want) + 1);
	assert_memory_equal(buf, want, strlen(want) + 1);
}

static void test_attrib_identity(void **state)
{
	SCARDHANDLE h = connect_ok(C(state), VR_READER, SCARD_SHARE_SHARED, NULL);
	uint8_t b[16];
	DWORD len;

	check_string_attr(h, SCARD_ATTR_VENDOR_NAME, "ccidkit");
	check_string_attr(h, SCARD_ATTR_DEVICE_FRIENDLY_NAME, VR_READER);
	assert_int_equal(SCARD_ATTR_DEVICE_FRIENDLY_NAME, 0x7FFF0003);
	/* bcdDevice 0100 (vreader default) as a DWORD 0xMMmmbbbb; libccid
	 * writes sizeof(DWORD), so its width is not pinned here */
	len = sizeof(b);
	assert_rv(SCardGetAttrib(h, SCARD_ATTR_VENDOR_IFD_VERSION, b, &len), SCARD_S_SUCCESS);
	assert_true(len == 4 || len == 8);
	/* ICC presence: 2 = present (libccid); interface status: powered */
	len = sizeof(b);
	assert_rv(SCardGetAttrib(h, SCARD_ATTR_ICC_PRESENCE, b, &len), SCARD_S_SUCCESS);
	assert_int_equal(len, 1);
	assert_int_equal(b[0], 2);
	len = sizeof(b);
	assert_rv(SCardGetAttrib(h, SCARD_ATTR_ICC_INTERFACE_STATUS, b, &len), SCARD_S_SUCCESS);
	assert_int_equal(len, 1);
	assert_int_not_equal(b[0], 0);
	/* something no one implements */
	len = sizeof(b);
	assert_rv(SCardGetAttrib(h, SCARD_ATTR_ESC_AUTHREQUEST, b, &len),
		  SCARD_E_UNSUPPORTED_FEATURE);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* libccid implements no SetAttrib: every tag → UNSUPPORTED_FEATURE;
 * NULL or empty value → INVALID_PARAMETER. */
static void test_set_attrib(void **state)
{
	SCARDHANDLE h = connect_ok(C(state), VR_READER, SCARD_SHARE_SHARED, NULL);
	const uint8_t v[] = { 'x' };

	assert_rv(SCardSetAttrib(h, SCARD_ATTR_VENDOR_NAME, v, sizeof(v)),
		  SCARD_E_UNSUPPORTED_FEATURE);
	assert_rv(SCardSetAttrib(h, SCARD_ATTR_ATR_STRING, v, sizeof(v)),
		  SCARD_E_UNSUPPORTED_FEATURE);
	assert_rv(SCardSetAttrib(h, SCARD_ATTR_VENDOR_NAME, NULL, 1), SCARD_E_INVALID_PARAMETER);
	assert_rv(SCardSetAttrib(h, SCARD_ATTR_VENDOR_NAME, v, 0), SCARD_E_INVALID_PARAMETER);
	/* the vendor name is unchanged */
	check_string_attr(h, SCARD_ATTR_VENDOR_NAME, "ccidkit");
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* ---- SCardControl: feature discovery (ccid-spec.md §9) ---- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Returns the control code of `tag` in a GET_FEATURE_REQUEST answer, 0 if absent. */
static uint32_t feature_code(SCARDHANDLE h, uint8_t tag)
{
	uint8_t buf[256];
	DWORD n = 0;
	uint32_t code = 0;

	assert_int_equal(CM_IOCTL_GET_FEATURE_REQUEST, 0x42000D48);
	assert_rv(SCardControl(h, CM_IOCTL_GET_FEATURE_REQUEST, NULL, 0, buf, sizeof(buf), &n),
		  SCARD_S_SUCCESS);
	assert_true(n > 0);
	assert_int_equal(n % 6, 0);
	for (DWORD i = 0; i < n; i += 6) {
		assert_int_equal(buf[i + 1], 4);
		/* big-endian SCARD_CTL_CODE values */
		assert_int_equal(be32(buf + i + 2) & 0xFF000000u, 0x42000000u);
		if (buf[i] == tag)
			code = be32(buf + i + 2);
	}
	return code;
}

/* GET_TLV_PROPERTIES answer: tag, len, little-endian value. */
static uint32_t tlv_prop(const uint8_t *p, DWORD n, uint8_t tag, uint8_t *len_out)
{
	DWORD i = 0;

	while (i + 2 <= n) {
		uint8_t t = p[i], l = p[i + 1];
		uint32_t v = 0;

		assert_true(i + 2 + l <= n);
		for (unsigned k = 0; k < l && k < 4; k++)
			v |= (uint32_t)p[i + 2 + k] << (8 * k);
		if (t == tag) {
			*len_out = l;
			return v;
		}
		i += 2u + l;
	}
	assert_int_equal(i, n); /* well-formed to the last byte */
	*len_out = 0;
	return 0;
}

static void test_control_features(void **state)
{
	SCARDHANDLE h = connect_ok(C(state), VR_READER, SCARD_SHARE_SHARED, NULL);
	uint32_t code = feature_code(h, FEATURE_GET_TLV_PROPERTIES);
	uint8_t buf[256], l;
	DWORD n = 0;

	assert_int_equal(FEATURE_GET_TLV_PROPERTIES, 0x12);
	assert_true(code != 0);
	assert_rv(SCardControl(h, code, NULL, 0, buf, sizeof(buf), &n), SCARD_S_SUCCESS);
	assert_true(n > 0);
	/* libccid always gives wIdVendor, wIdProduct, dwMaxAPDUDataSize */
	assert_int_equal(tlv_prop(buf, n, 11, &l), 0x1209);
	assert_int_equal(l, 2);
	assert_int_equal(tlv_prop(buf, n, 12, &l), 0x0001);
	assert_int_equal(l, 2);
	assert_int_equal(tlv_prop(buf, n, 10, &l), 0x10000); /* extended level */
	assert_int_equal(l, 4);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

static void test_control_errors(void **state)
{
	SCARDHANDLE h = connect_ok(C(state), VR_READER, SCARD_SHARE_SHARED, NULL);
	uint8_t buf[256];
	DWORD n = 77;

	/* too small for the answer */
	assert_rv(SCardControl(h, CM_IOCTL_GET_FEATURE_REQUEST, NULL, 0, buf, 3, &n),
		  SCARD_E_INSUFFICIENT_BUFFER);
	/* a code nobody answers */
	n = 77;
	assert_rv(SCardControl(h, SCARD_CTL_CODE(3999), NULL, 0, buf, sizeof(buf), &n),
		  SCARD_E_UNSUPPORTED_FEATURE);
	assert_int_equal(n, 0);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
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
		T(test_gsc_no_readers),
		T(test_gsc_bad_args),
		T(test_gsc_unknown_reader),
		T(test_gsc_all_ignored),
		T(test_gsc_ignore_mixed),
		T(test_gsc_unaware_present),
		T(test_gsc_sharing_bits),
		T(test_gsc_timeouts),
		T(test_gsc_event_counter),
		T(test_gsc_wakes_on_remove_insert),
		T(test_gsc_infinite),
		T(test_gsc_pnp),
		T(test_status_full),
		T(test_status_nulls),
		T(test_status_small_buffers),
		T(test_status_autoallocate),
		T(test_attrib_atr),
		T(test_attrib_identity),
		T(test_set_attrib),
		T(test_control_features),
		T(test_control_errors),
	};

	vr_require_binary("test_status");
	return cmocka_run_group_tests_name("pcsc status", tests, group_setup,
					   vr_group_teardown);
}
