/* ccidkit tests — allocation-failure injection in the winscard library
 * (issue 9, "Hardening", item 3).
 *
 * tests/unit/test_oom.c fails the allocations of the CCID driver; this
 * program does the same for the SCard* layer on top of it.  It links
 * the library's sources (the .c files of pcsc-api/, and ccid/libccid.la)
 * into the test itself, not the shared libpcsclite.so.1, because
 * -Wl,--wrap only reaches the objects of the program it links
 * (tests/unit/failmalloc.h).
 *
 * A scenario is a whole application session against `ccidkit vreader`:
 * EstablishContext, ListReaders (AUTOALLOCATE), GetStatusChange,
 * Connect, Transmit, Status and GetAttrib (AUTOALLOCATE), a transaction,
 * Control (GET_FEATURE_REQUEST), Reconnect, Disconnect, ReleaseContext.
 * It runs once counting its allocations N, then N times with the n-th
 * failing.  Each run must end cleanly: every call returns success or one
 * of the errors allowed below, nothing crashes, no block allocated by the
 * library is left once the last context is released, and the next run
 * (the next application session) works again from scratch: after every
 * failing run the scenario is repeated with nothing failing and must
 * succeed with the exact bytes.
 *
 * The library's event thread allocates too, concurrently with the calls,
 * so which allocation the n-th one is may vary from run to run; that is
 * why every outcome is judged, not one expected per n. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "unit/failmalloc.h"

static const uint8_t ECHO4[] = { 0x80, 0x10, 0x00, 0x00, 0x04,
				 0xDE, 0xAD, 0xBE, 0xEF, 0x00 };
static const uint8_t ECHO4_R[] = { 0xDE, 0xAD, 0xBE, 0xEF, 0x90, 0x00 };

/* What a call may return when an allocation under it (or under the event
 * thread that set the reader up) failed:
 *  - SCARD_E_NO_MEMORY: the call itself could not get memory;
 *  - SCARD_E_NO_SERVICE: EstablishContext could not start the driver;
 *  - SCARD_E_UNKNOWN_READER, SCARD_E_NO_READERS_AVAILABLE: the reader
 *    could not be set up (the driver logs why) and is not listed;
 *  - SCARD_E_READER_UNAVAILABLE: it was listed and then dropped for it. */
#define N_ALLOWED 5
static const LONG allowed[N_ALLOWED] = {
	SCARD_E_NO_MEMORY, SCARD_E_NO_SERVICE, SCARD_E_UNKNOWN_READER,
	SCARD_E_NO_READERS_AVAILABLE, SCARD_E_READER_UNAVAILABLE,
};

static bool rv_allowed(LONG rv)
{
	if (rv == SCARD_S_SUCCESS)
		return true;
	for (size_t i = 0; i < N_ALLOWED; i++)
		if (rv == allowed[i])
			return true;
	return false;
}

/* One scenario's result: the first call that did not succeed. */
struct outcome {
	LONG rv;
	const char *call;
	bool bad_bytes; /* a call succeeded with the wrong answer */
};

#define CALL(o, expr)                                                    \
	do {                                                             \
		LONG rv_ = (expr);                                       \
		if (rv_ != SCARD_S_SUCCESS) {                            \
			(o)->rv = rv_;                                   \
			(o)->call = #expr;                               \
			goto out;                                        \
		}                                                        \
	} while (0)

static bool has_name(const char *msz, DWORD len, const char *name)
{
	for (DWORD i = 0; i < len && msz[i] != '\0';) {
		if (strcmp(msz + i, name) == 0)
			return true;
		i += (DWORD)strlen(msz + i) + 1;
	}
	return false;
}

static void scenario(struct outcome *o)
{
	SCARDCONTEXT ctx = 0;
	SCARDHANDLE h = 0;
	SCARD_READERSTATE rs[2];
	LPSTR list = NULL, name = NULL;
	LPBYTE atr = NULL;
	DWORD n, proto = 0, state = 0, nlen, alen;
	uint8_t resp[64], feat[64];

	memset(o, 0, sizeof(*o));
	CALL(o, SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx));
	n = SCARD_AUTOALLOCATE;
	CALL(o, SCardListReaders(ctx, NULL, (LPSTR)&list, &n));
	if (!has_name(list, n, VR_READER))
		o->bad_bytes = true;
	CALL(o, SCardFreeMemory(ctx, list));
	memset(rs, 0, sizeof(rs));
	rs[0].szReader = VR_READER;
	rs[1].szReader = PNP_READER;
	CALL(o, SCardGetStatusChange(ctx, 0, rs, 2));
	if (!(rs[0].dwEventState & SCARD_STATE_PRESENT))
		o->bad_bytes = true;
	CALL(o, SCardConnect(ctx, VR_READER, SCARD_SHARE_SHARED,
			     SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h, &proto));
	n = sizeof(resp);
	CALL(o, SCardTransmit(h, SCARD_PCI_T1, ECHO4, sizeof(ECHO4), NULL,
			      resp, &n));
	if (n != sizeof(ECHO4_R) || memcmp(resp, ECHO4_R, n) != 0)
		o->bad_bytes = true;
	nlen = SCARD_AUTOALLOCATE;
	alen = SCARD_AUTOALLOCATE;
	CALL(o, SCardStatus(h, (LPSTR)&name, &nlen, &state, &proto,
			    (LPBYTE)&atr, &alen));
	if (alen != sizeof(ATR_TEST) || memcmp(atr, ATR_TEST, alen) != 0 ||
	    strcmp(name, VR_READER) != 0)
		o->bad_bytes = true;
	CALL(o, SCardFreeMemory(ctx, name));
	name = NULL;
	CALL(o, SCardFreeMemory(ctx, atr));
	atr = NULL;
	alen = SCARD_AUTOALLOCATE;
	CALL(o, SCardGetAttrib(h, SCARD_ATTR_ATR_STRING, (LPBYTE)&atr, &alen));
	if (alen != sizeof(ATR_TEST) || memcmp(atr, ATR_TEST, alen) != 0)
		o->bad_bytes = true;
	CALL(o, SCardFreeMemory(ctx, atr));
	atr = NULL;
	CALL(o, SCardBeginTransaction(h));
	n = sizeof(resp);
	CALL(o, SCardTransmit(h, SCARD_PCI_T1, ECHO4, sizeof(ECHO4), NULL,
			      resp, &n));
	CALL(o, SCardEndTransaction(h, SCARD_LEAVE_CARD));
	n = 0;
	CALL(o, SCardControl(h, CM_IOCTL_GET_FEATURE_REQUEST, NULL, 0, feat,
			     sizeof(feat), &n));
	if (n == 0 || n % 6 != 0)
		o->bad_bytes = true;
	CALL(o, SCardReconnect(h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1,
			       SCARD_RESET_CARD, &proto));
	n = sizeof(resp);
	CALL(o, SCardTransmit(h, SCARD_PCI_T1, ECHO4, sizeof(ECHO4), NULL,
			      resp, &n));
	if (n != sizeof(ECHO4_R) || memcmp(resp, ECHO4_R, n) != 0)
		o->bad_bytes = true;
	CALL(o, SCardDisconnect(h, SCARD_LEAVE_CARD));
	h = 0;
out:
	/* whatever happened, the application lets go of everything */
	if (ctx != 0) {
		if (name != NULL)
			SCardFreeMemory(ctx, name);
		if (atr != NULL)
			SCardFreeMemory(ctx, atr);
		if (h != 0)
			SCardDisconnect(h, SCARD_LEAVE_CARD);
		LONG rv = SCardReleaseContext(ctx);
		if (rv != SCARD_S_SUCCESS && o->rv == SCARD_S_SUCCESS) {
			o->rv = rv;
			o->call = "SCardReleaseContext";
		}
	}
}

static void scenario_clean(const char *when)
{
	struct outcome o;

	scenario(&o);
	if (o.rv != SCARD_S_SUCCESS)
		fail_msg("%s: %s returned 0x%08lX (%s) with nothing failing",
			 when, o.call, (unsigned long)o.rv,
			 pcsc_stringify_error(o.rv));
	if (o.bad_bytes)
		fail_msg("%s: a call answered wrong bytes", when);
}

static void test_session_every_allocation(void **state)
{
	long live0;
	unsigned long total, fired = 0, ok = 0, hist[N_ALLOWED] = { 0 };

	(void)state;
	/* a first session outside the count: one-time initialisations */
	scenario_clean("warm-up");
	live0 = failmalloc_live();
	failmalloc_arm(0);
	scenario_clean("counting run");
	total = failmalloc_count();
	if (failmalloc_live() != live0)
		fail_msg("%ld block(s) left after a clean session",
			 failmalloc_live() - live0);
	assert_true(total > 10);
	/* the event thread may allocate a little more in some runs: go on
	 * past the count while failures still happen (8 more at least) */
	for (unsigned long k = 1; k <= total + 8 ||
	     (failmalloc_fired() && k <= 2 * total); k++) {
		struct outcome o;

		failmalloc_arm(k);
		scenario(&o);
		failmalloc_disarm();
		if (failmalloc_fired())
			fired++;
		if (!rv_allowed(o.rv))
			fail_msg("allocation %lu of %lu failed: %s returned 0x%08lX (%s)",
				 k, total, o.call, (unsigned long)o.rv,
				 pcsc_stringify_error(o.rv));
		if (!failmalloc_fired() && o.rv != SCARD_S_SUCCESS)
			fail_msg("n=%lu: nothing failed, yet %s returned 0x%08lX",
				 k, o.call, (unsigned long)o.rv);
		if (o.rv == SCARD_S_SUCCESS && o.bad_bytes)
			fail_msg("allocation %lu failed: a call succeeded with wrong bytes",
				 k);
		if (failmalloc_live() != live0)
			fail_msg("allocation %lu of %lu failed (%s): %ld block(s) leaked",
				 k, total, o.call ? o.call : "no call failed",
				 failmalloc_live() - live0);
		if (o.rv == SCARD_S_SUCCESS) {
			ok += failmalloc_fired();
		} else {
			for (size_t i = 0; i < N_ALLOWED; i++)
				if (o.rv == allowed[i])
					hist[i]++;
		}
		/* the next application session is not affected */
		scenario_clean("the session after a failed allocation");
		if (failmalloc_live() != live0)
			fail_msg("after allocation %lu failed: the next session leaked %ld block(s)",
				 k, failmalloc_live() - live0);
	}
	/* the counts may differ a little between runs (threads), but the
	 * failures must have happened in (almost) every run up to the count */
	if (fired + 2 < total)
		fail_msg("only %lu of %lu runs had an allocation fail", fired,
			 total);
	print_message("winscard session: %lu allocations, each failed once "
		      "(%lu runs failed one): %lu of those succeeded anyway, %lu "
		      "SCARD_E_NO_MEMORY, %lu NO_SERVICE, %lu UNKNOWN_READER, "
		      "%lu NO_READERS_AVAILABLE, %lu READER_UNAVAILABLE\n",
		      total, fired, ok, hist[0], hist[1], hist[2], hist[3],
		      hist[4]);
}

static int group_setup(void **state)
{
	(void)state;
	return vr_group_setup_args(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_every_allocation),
	};

	vr_require_binary("test_oom_pcsc");
	return cmocka_run_group_tests(tests, group_setup, vr_group_teardown);
}
