/* ccidkit tests — fault survival through the winscard API (issue 9,
 * "Hardening"): every fault plan of the virtual reader, and the reader
 * unplugged at every step of a Connect + chained T=1 Transmit.
 *
 * Two vreaders in one context: A ("Fault Reader", TPDU level, the T=1
 * test card) takes the faults; B ("Spare Reader", extended APDU level)
 * holds a connection through the whole test and must answer after every
 * fault of A.  After each fault the caller has the documented SCARD code
 * (pcsc-abi.md; pcsc-api/errmap.c: CCID_E_NO_DEVICE is
 * SCARD_E_READER_UNAVAILABLE, a mute card SCARD_W_UNRESPONSIVE_CARD, a
 * failed exchange SCARD_E_NOT_TRANSACTED) or success where the T=1 and
 * CCID layers recover, and the next Connect / Transmit on A works.
 * Every call is bounded by alarm(): a hang kills the test. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"

#define CALL_LIMIT_S 50 /* no winscard call may take longer (valgrind) */

static struct vr g_a, g_b;
static char g_a_sock[128], g_a_dir[64]; /* the endpoint the library knows */
static char g_name_a[MAX_READERNAME], g_name_b[MAX_READERNAME];

/* ------------------------------------------------------------------ */
/* Readers                                                            */

static const char *const ARGS_A[] = { "--level", "tpdu", "--product",
				      "Fault Reader", NULL };
static const char *const ARGS_B[] = { "--product", "Spare Reader", NULL };

/* The reader whose name contains `what`, from SCardListReaders. */
static bool find_reader(SCARDCONTEXT ctx, const char *what, char *out)
{
	char list[1024];
	DWORD len = sizeof(list);

	if (SCardListReaders(ctx, NULL, list, &len) != SCARD_S_SUCCESS)
		return false;
	for (const char *p = list; *p; p += strlen(p) + 1)
		if (strstr(p, what) != NULL && strlen(p) < MAX_READERNAME) {
			memcpy(out, p, strlen(p) + 1);
			return true;
		}
	return false;
}

static int group_setup(void **state)
{
	char spec[300];

	(void)state;
	if (vr_start(&g_a, ARGS_A) < 0 || vr_start(&g_b, ARGS_B) < 0)
		return -1;
	snprintf(g_a_sock, sizeof(g_a_sock), "%s", g_a.sock);
	snprintf(g_a_dir, sizeof(g_a_dir), "%s", g_a.dir);
	/* the library reads the list once per process: both, A first */
	snprintf(spec, sizeof(spec), "unix:%s,unix:%s", g_a.sock, g_b.sock);
	setenv("CCIDKIT_USBREDIR", spec, 1);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	vr_stop(&g_a);
	vr_stop(&g_b);
	unlink(g_a_sock);
	rmdir(g_a_dir);
	return 0;
}

/* Arm a fault in A now, and give its input loop time to take it before
 * the next USB message arrives. */
static void arm(const char *spec)
{
	char line[64];

	snprintf(line, sizeof(line), "fault %s", spec);
	vr_cmd(&g_a, line);
	sleep_ms(100);
}

/* ------------------------------------------------------------------ */
/* Exchanges                                                          */

/* ECHO of 250 bytes: a 256-byte APDU, more than the card's IFSC (254),
 * so the command goes as two chained I-blocks. */
static size_t echo_apdu(uint8_t *apdu, uint8_t fill)
{
	apdu[0] = 0x80;
	apdu[1] = 0x10;
	apdu[2] = 0x00;
	apdu[3] = 0x00;
	apdu[4] = 250;
	memset(apdu + 5, fill, 250);
	apdu[255] = 0x00; /* Le: 256, the card gives back 250 */
	return 256;
}

/* A Transmit, bounded; returns its code (response checked when 0). */
static LONG transmit(SCARDHANDLE h, DWORD proto, uint8_t fill)
{
	uint8_t apdu[300], resp[300];
	DWORD rlen = sizeof(resp);
	size_t n = echo_apdu(apdu, fill);
	LONG rv;

	alarm(CALL_LIMIT_S);
	rv = SCardTransmit(h, proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 :
			   SCARD_PCI_T1, apdu, (DWORD)n, NULL, resp, &rlen);
	alarm(0);
	if (rv == SCARD_S_SUCCESS) {
		if (rlen != 252)
			fail_msg("ECHO: %lu bytes back: %02X %02X ...",
				 (unsigned long)rlen, resp[0], resp[1]);
		for (size_t i = 0; i < 250; i++)
			assert_int_equal(resp[i], fill);
		assert_int_equal(resp[250], 0x90);
		assert_int_equal(resp[251], 0x00);
	}
	return rv;
}

static LONG connect_t1(SCARDCONTEXT ctx, const char *name, SCARDHANDLE *h)
{
	DWORD proto = 0;
	LONG rv;

	alarm(CALL_LIMIT_S);
	rv = SCardConnect(ctx, name, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, h,
			  &proto);
	alarm(0);
	if (rv == SCARD_S_SUCCESS)
		assert_int_equal(proto, SCARD_PROTOCOL_T1);
	return rv;
}

static void disconnect(SCARDHANDLE h, DWORD how)
{
	LONG rv;

	alarm(CALL_LIMIT_S);
	rv = SCardDisconnect(h, how);
	alarm(0);
	/* a handle whose reader went away is still released */
	if (rv != SCARD_S_SUCCESS && rv != SCARD_E_READER_UNAVAILABLE)
		assert_rv(rv, SCARD_S_SUCCESS);
}

/* B, connected for the whole test, still answers. */
static void check_b(SCARDHANDLE hb, uint8_t fill)
{
	assert_rv(transmit(hb, SCARD_PROTOCOL_T1, fill), SCARD_S_SUCCESS);
}

/* A works again: Connect, a chained exchange, Disconnect (unpowering,
 * so that the next plan starts with a PowerOn).  Waits until A is back
 * (the manager retries a usbredir endpoint every second). */
static void check_a_works(SCARDCONTEXT ctx, uint8_t fill)
{
	SCARDHANDLE h = 0;
	uint64_t end = now_ms() + 15000;
	LONG rv;

	while ((rv = connect_t1(ctx, g_name_a, &h)) != SCARD_S_SUCCESS) {
		if (now_ms() > end)
			assert_rv(rv, SCARD_S_SUCCESS);
		sleep_ms(100);
	}
	assert_rv(transmit(h, SCARD_PROTOCOL_T1, fill), SCARD_S_SUCCESS);
	disconnect(h, SCARD_UNPOWER_CARD);
}

static int ctx_up(void **state)
{
	int rc = ctx_setup(state);

	if (rc == 0) {
		SCARDCONTEXT ctx = *(SCARDCONTEXT *)*state;

		if (!find_reader(ctx, "Fault Reader", g_name_a) ||
		    !find_reader(ctx, "Spare Reader", g_name_b))
			return -1;
	}
	return rc;
}

static int ctx_down(void **state)
{
	SCARDCONTEXT *ctx = *state;

	SCardReleaseContext(*ctx);
	free(ctx);
	*state = NULL;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Fault plans                                                        */

enum when { AT_CONNECT, AT_TRANSMIT };

struct plan {
	const char *spec;
	enum when when;  /* armed before Connect, or between it and Transmit */
	LONG rv;         /* what that call returns */
};

/* The TPDU-level T=1 plans (bad-procedure is T=0's, pps-refused needs
 * --no-auto-pps: both are covered by test_matrix).  The stack recovers
 * from a wrong EDC (R-block, ISO 7816-3 §11.6.3), waiting time
 * extensions, stale and split replies; a STALLed bulk-IN is CCID_E_STALL
 * (errmap.c: SCARD_E_NOT_TRANSACTED); a mute card fails PowerOn, a mute
 * block is sent again; a lost block is given
 * up after BWT, the slot aborted and the block asked for again (R-block);
 * a reply cut short is given up CCID_CONTINUATION_MS after its first
 * bytes (not at the caller's deadline): PowerOn fails with
 * SCARD_E_NOT_TRANSACTED and the next Connect works, a T=1 block is asked
 * for again (also when the abort's own reply is cut, short:2);
 * a hang-up is an unplug. */
static const struct plan PLANS[] = {
	{ "bad-edc", AT_TRANSMIT, SCARD_S_SUCCESS },
	{ "bad-edc:2", AT_TRANSMIT, SCARD_S_SUCCESS },
	{ "bad-edc", AT_CONNECT, SCARD_S_SUCCESS },
	{ "wtx:1", AT_TRANSMIT, SCARD_S_SUCCESS },
	{ "wtx:3", AT_TRANSMIT, SCARD_S_SUCCESS },
	{ "wrong-bseq", AT_CONNECT, SCARD_S_SUCCESS },
	{ "wrong-bseq:3", AT_TRANSMIT, SCARD_S_SUCCESS },
	{ "split", AT_CONNECT, SCARD_S_SUCCESS },
	{ "split:3", AT_TRANSMIT, SCARD_S_SUCCESS },
	{ "stall", AT_TRANSMIT, SCARD_E_NOT_TRANSACTED },
	{ "short", AT_CONNECT, SCARD_E_NOT_TRANSACTED },
	{ "short", AT_TRANSMIT, SCARD_S_SUCCESS },
	{ "short:2", AT_TRANSMIT, SCARD_S_SUCCESS },
	{ "mute:1", AT_CONNECT, SCARD_W_UNRESPONSIVE_CARD },
	{ "mute:1", AT_TRANSMIT, SCARD_S_SUCCESS }, /* block re-sent */
	{ "lose-block", AT_TRANSMIT, SCARD_S_SUCCESS }, /* abort, R-block */
	{ "disconnect-after:1", AT_TRANSMIT, SCARD_E_READER_UNAVAILABLE },
	{ "disconnect-after:0", AT_CONNECT, SCARD_E_READER_UNAVAILABLE },
	{ "hangup:1", AT_CONNECT, SCARD_E_READER_UNAVAILABLE },
};

static void run_plan(SCARDCONTEXT ctx, SCARDHANDLE hb, const struct plan *p,
		     uint8_t fill)
{
	SCARDHANDLE h = 0;
	LONG rv;

	print_message("fault %s before %s\n", p->spec,
		      p->when == AT_CONNECT ? "Connect" : "Transmit");
	if (p->when == AT_CONNECT)
		arm(p->spec);
	rv = connect_t1(ctx, g_name_a, &h);
	if (p->when == AT_CONNECT && p->rv != SCARD_S_SUCCESS) {
		assert_rv(rv, p->rv);
	} else {
		assert_rv(rv, SCARD_S_SUCCESS);
		if (p->when == AT_TRANSMIT)
			arm(p->spec);
		assert_rv(transmit(h, SCARD_PROTOCOL_T1, fill), p->rv);
		if (p->rv == SCARD_S_SUCCESS)  /* and the next one too */
			assert_rv(transmit(h, SCARD_PROTOCOL_T1, fill + 1),
				  SCARD_S_SUCCESS);
		disconnect(h, SCARD_UNPOWER_CARD);
	}
	check_b(hb, fill);
	check_a_works(ctx, fill + 2);
	check_b(hb, fill + 3);
}

static void test_fault_plans(void **state)
{
	SCARDCONTEXT ctx = *(SCARDCONTEXT *)*state;
	SCARDHANDLE hb;
	DWORD proto;

	hb = connect_ok(ctx, g_name_b, SCARD_SHARE_SHARED, &proto);
	for (size_t i = 0; i < sizeof(PLANS) / sizeof(PLANS[0]); i++)
		run_plan(ctx, hb, &PLANS[i], (uint8_t)(i * 4));
	disconnect(hb, SCARD_LEAVE_CARD);
}

/* ------------------------------------------------------------------ */
/* Unplug at every step                                               */

/* The first call of Connect + 2 chained Transmits that fails, when A
 * hangs up at its k-th bulk message; returns the number of calls that
 * succeeded (3: none failed). */
static unsigned exchange_until_fail(SCARDCONTEXT ctx, LONG *rv_out)
{
	SCARDHANDLE h = 0;
	unsigned ok = 0;
	LONG rv;

	rv = connect_t1(ctx, g_name_a, &h);
	if (rv == SCARD_S_SUCCESS) {
		ok++;
		for (unsigned i = 0; i < 2 && rv == SCARD_S_SUCCESS; i++) {
			rv = transmit(h, SCARD_PROTOCOL_T1, (uint8_t)(0x40 + i));
			ok += rv == SCARD_S_SUCCESS;
		}
		disconnect(h, SCARD_UNPOWER_CARD);
	}
	*rv_out = rv;
	return ok;
}

static void test_unplug_every_step(void **state)
{
	SCARDCONTEXT ctx = *(SCARDCONTEXT *)*state;
	SCARDHANDLE hb;
	DWORD proto;
	unsigned k, ok;
	LONG rv;

	hb = connect_ok(ctx, g_name_b, SCARD_SHARE_SHARED, &proto);
	for (k = 1; k < 64; k++) {
		char spec[32];

		snprintf(spec, sizeof(spec), "hangup:%u", k);
		arm(spec);
		ok = exchange_until_fail(ctx, &rv);
		print_message("hangup at bulk message %u: %u call(s) done, then 0x%08lX\n",
			      k, ok, (unsigned long)rv);
		if (ok == 3) {
			/* the whole exchange fit before message k: pull the
			 * plug with the unpowering Disconnect's successors */
			SCARDHANDLE h = 0;

			for (unsigned i = 0; i < 20 && connect_t1(ctx, g_name_a,
								  &h) == SCARD_S_SUCCESS; i++)
				disconnect(h, SCARD_UNPOWER_CARD);
			check_b(hb, (uint8_t)k);
			check_a_works(ctx, (uint8_t)k);
			break;
		}
		/* an unplug is the reader gone; never anything else */
		assert_rv(rv, SCARD_E_READER_UNAVAILABLE);
		check_b(hb, (uint8_t)k);
		check_a_works(ctx, (uint8_t)(k + 1));
		check_b(hb, (uint8_t)(k + 2));
	}
	/* Connect: PowerOn, SetParameters, S(IFS request); each Transmit:
	 * two chained I-blocks; Disconnect: PowerOff = 8 messages, the 8th
	 * hang-up only seen after the exchange */
	assert_int_equal(k, 8);
	disconnect(hb, SCARD_LEAVE_CARD);
}

/* k = 0: the reader's process dies before the exchange (kill -9, the
 * socket file left behind), then a new one is started at the same
 * endpoint: calls fail while it is away, the reader comes back and works,
 * B never notices. */
static void test_kill_and_restart(void **state)
{
	SCARDCONTEXT ctx = *(SCARDCONTEXT *)*state;
	SCARDHANDLE hb, h = 0;
	DWORD proto;
	LONG rv;
	int status;

	hb = connect_ok(ctx, g_name_b, SCARD_SHARE_SHARED, &proto);
	kill(g_a.pid, SIGKILL);
	waitpid(g_a.pid, &status, 0);
	g_a.pid = -1;
	close(g_a.in_fd);
	close(g_a.out_fd);
	g_a.in_fd = g_a.out_fd = -1;
	rv = connect_t1(ctx, g_name_a, &h);
	assert_true(rv == SCARD_E_READER_UNAVAILABLE ||
		    rv == SCARD_E_UNKNOWN_READER);
	check_b(hb, 0x11);
	/* a new vreader, moved to the endpoint the library knows */
	assert_int_equal(vr_start(&g_a, ARGS_A), 0);
	assert_int_equal(rename(g_a.sock, g_a_sock), 0);
	check_a_works(ctx, 0x22);
	check_b(hb, 0x33);
	disconnect(hb, SCARD_LEAVE_CARD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fault_plans, ctx_up, ctx_down),
		cmocka_unit_test_setup_teardown(test_unplug_every_step, ctx_up,
						ctx_down),
		cmocka_unit_test_setup_teardown(test_kill_and_restart, ctx_up,
						ctx_down),
	};

	vr_require_binary("test_faults");
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
