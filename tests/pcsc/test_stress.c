/* ccidkit — thread stress of the winscard library against two vreaders.
 *
 * Eight threads SCardTransmit an ECHO (exact bytes checked) on two readers
 * while other threads churn SCardGetStatusChange / SCardCancel on a shared
 * context and SCardConnect / SCardStatus / SCardDisconnect, and the main
 * thread removes and inserts cards and unplugs a reader (SIGKILL of its
 * vreader, restarted on the same socket: the manager retries usbredir
 * endpoints every second).  Every result must be a code pcsc-abi.md
 * documents for the situation; a watchdog fails the test when the threads
 * do not finish in time (a deadlock).  Meant to run under ThreadSanitizer
 * too (the CI's TSan step).
 *
 * Allowed codes, per call (pcsc-abi.md §6.3, §6.4):
 *  - SCardTransmit: SUCCESS, W_REMOVED_CARD / W_RESET_CARD (handle marked),
 *    E_NO_SMARTCARD (card out, handle not marked yet),
 *    E_READER_UNAVAILABLE (the reader went).
 *  - SCardConnect: SUCCESS, E_NO_SMARTCARD, E_SHARING_VIOLATION (an
 *    EXCLUSIVE holder or request), E_UNKNOWN_READER (reader unplugged: it
 *    is not in the list), E_READER_UNAVAILABLE (it went during the call).
 *  - SCardReconnect (LEAVE): SUCCESS, E_NO_SMARTCARD,
 *    E_READER_UNAVAILABLE, W_REMOVED_CARD (removed again meanwhile).
 *  - SCardStatus: as SCardTransmit.
 *  - SCardDisconnect: SUCCESS (also for a reader that vanished).
 *  - SCardGetStatusChange: SUCCESS, E_TIMEOUT, E_CANCELLED,
 *    E_UNKNOWN_READER (a reader named is unplugged at the call).
 *  - SCardCancel: SUCCESS. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"

/* Stress sizes: ~10-20 s in a normal build (time-capped under TSan). */
#define N_XMIT 8         /* SCardTransmit threads, 4 per reader */
#define XMIT_CALLS 3000  /* transmits per thread */
#define N_EVENTS 40      /* card removals (each followed by an insert) */
#define N_HOTPLUG 4      /* reader unplug + replug */
#define RUN_CAP_MS 40000 /* threads stop by then whatever their count */
#define WATCHDOG_MS 60000 /* no deadlock: everything done by then */

static const char *const READER[2] = {
	"ccidkit Virtual Reader 00 00",
	"ccidkit Virtual Reader 01 00",
};

struct vrd {
	pid_t pid;
	int in_fd, out_fd;
	char sock[128];
};

static struct vrd g_rd[2];
static char g_dir[64];
static atomic_int g_failures;
static atomic_bool g_stop;
static atomic_bool g_done;
static atomic_long g_ok_xmit, g_cancelled, g_reconnects, g_removed, g_reset;
static uint64_t g_deadline;

/* ---- results ---- */

enum fn { F_XMIT, F_CONNECT, F_RECONNECT, F_STATUS, F_DISC, F_GSC, F_CANCEL };

static const char *fn_name(int f)
{
	static const char *const n[] = { "SCardTransmit", "SCardConnect",
		"SCardReconnect", "SCardStatus", "SCardDisconnect",
		"SCardGetStatusChange", "SCardCancel" };

	return n[f];
}

static bool rv_allowed(int f, LONG rv)
{
	static const LONG xmit[] = { SCARD_S_SUCCESS, SCARD_W_REMOVED_CARD,
		SCARD_W_RESET_CARD, SCARD_E_NO_SMARTCARD, SCARD_E_READER_UNAVAILABLE, 0 };
	static const LONG conn[] = { SCARD_S_SUCCESS, SCARD_E_NO_SMARTCARD,
		SCARD_E_SHARING_VIOLATION, SCARD_E_UNKNOWN_READER,
		SCARD_E_READER_UNAVAILABLE, 0 };
	static const LONG reconn[] = { SCARD_S_SUCCESS, SCARD_E_NO_SMARTCARD,
		SCARD_E_READER_UNAVAILABLE, SCARD_W_REMOVED_CARD, 0 };
	static const LONG gsc[] = { SCARD_S_SUCCESS, SCARD_E_TIMEOUT,
		SCARD_E_CANCELLED, SCARD_E_UNKNOWN_READER, 0 };
	static const LONG ok[] = { SCARD_S_SUCCESS, 0 };
	const LONG *set = f == F_XMIT || f == F_STATUS ? xmit :
			  f == F_CONNECT ? conn : f == F_RECONNECT ? reconn :
			  f == F_GSC ? gsc : ok;

	if (rv == SCARD_S_SUCCESS)
		return true;
	for (size_t i = 1; set[i] != 0; i++)
		if (set[i] == rv)
			return true;
	return false;
}

/* How often each function answered each allowed code (printed). */
static const LONG TALLY_RV[] = { SCARD_S_SUCCESS, SCARD_W_REMOVED_CARD,
	SCARD_W_RESET_CARD, SCARD_E_NO_SMARTCARD, SCARD_E_READER_UNAVAILABLE,
	SCARD_E_SHARING_VIOLATION, SCARD_E_UNKNOWN_READER, SCARD_E_TIMEOUT,
	SCARD_E_CANCELLED };
#define N_TALLY (sizeof(TALLY_RV) / sizeof(TALLY_RV[0]))
static atomic_long g_tally[F_CANCEL + 1][N_TALLY];

static void tally_print(void)
{
	for (int f = 0; f <= F_CANCEL; f++) {
		printf("stress: %-20s", fn_name(f));
		for (size_t i = 0; i < N_TALLY; i++)
			if (atomic_load(&g_tally[f][i]) > 0)
				printf(" 0x%08lX:%ld", (unsigned long)TALLY_RV[i],
				       atomic_load(&g_tally[f][i]));
		printf("\n");
	}
}

/* Record rv of function f from thread `who`; false (and a failure) when
 * it is not one of the codes allowed for f. */
static bool check_rv(int f, LONG rv, const char *who)
{
	for (size_t i = 0; i < N_TALLY; i++)
		if (TALLY_RV[i] == rv)
			atomic_fetch_add(&g_tally[f][i], 1);
	if (rv_allowed(f, rv))
		return true;
	atomic_fetch_add(&g_failures, 1);
	fprintf(stderr, "FAIL %s: %s returned 0x%08lX\n", who, fn_name(f),
		(unsigned long)rv);
	return false;
}

static void failf(const char *who, const char *what)
{
	atomic_fetch_add(&g_failures, 1);
	fprintf(stderr, "FAIL %s: %s\n", who, what);
}

static bool running(void)
{
	return !atomic_load(&g_stop) && now_ms() < g_deadline;
}

/* ---- the vreaders (restarted on the same socket, so not fixture.c's
 * vr_start, which makes a new directory each time) ---- */

/* posix_spawn, not fork: other threads run while a reader is replugged. */
static int rd_start(struct vrd *r)
{
	char listen[160];
	int in[2], out[2];
	posix_spawn_file_actions_t fa;
	char a_vreader[] = "vreader", a_listen[] = "--listen";
	char *argv[] = { (char *)(uintptr_t)vr_binary(), a_vreader, a_listen,
			 listen, NULL };
	int err;

	snprintf(listen, sizeof(listen), "unix:%s", r->sock);
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	err = posix_spawn(&r->pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	r->in_fd = in[1];
	r->out_fd = out[0];
	if (err != 0) {
		r->pid = -1;
		return -1;
	}
	return vr_wait_ready(r->out_fd, 10000);
}

/* Unplug: SIGKILL (no goodbye on the socket), reap, close the pipes. */
static void rd_kill(struct vrd *r)
{
	int status;

	if (r->pid > 0) {
		kill(r->pid, SIGKILL);
		waitpid(r->pid, &status, 0);
	}
	r->pid = -1;
	if (r->in_fd >= 0)
		close(r->in_fd);
	if (r->out_fd >= 0)
		close(r->out_fd);
	r->in_fd = r->out_fd = -1;
}

static void rd_cmd(struct vrd *r, const char *line)
{
	size_t len = strlen(line);

	if (write(r->in_fd, line, len) != (ssize_t)len)
		failf("main", "write to the vreader's stdin");
}

/* ---- transmit threads ---- */

struct xmit_arg {
	unsigned id;
	unsigned reader;
	long ok;
};

/* ECHO 80 10 00 00 Lc data 00 and its exact answer data || 90 00. */
static bool echo_once(SCARDHANDLE h, unsigned id, unsigned n, LONG *rv,
		      const char *who)
{
	uint8_t apdu[5 + 64 + 1], resp[64 + 2];
	size_t lc = 1 + (n * 7 + id) % 64;
	DWORD rlen = sizeof(resp);

	memcpy(apdu, (const uint8_t[]){ 0x80, 0x10, 0x00, 0x00 }, 4);
	apdu[4] = (uint8_t)lc;
	for (size_t i = 0; i < lc; i++)
		apdu[5 + i] = (uint8_t)(id * 31 + n + i * 13);
	apdu[5 + lc] = 0x00;
	*rv = SCardTransmit(h, SCARD_PCI_T1, apdu, (DWORD)(lc + 6), NULL, resp, &rlen);
	if (!check_rv(F_XMIT, *rv, who) || *rv != SCARD_S_SUCCESS)
		return false;
	if (rlen != lc + 2 || memcmp(resp, apdu + 5, lc) != 0 ||
	    resp[lc] != 0x90 || resp[lc + 1] != 0x00) {
		failf(who, "ECHO answer differs from the data sent");
		return false;
	}
	return true;
}

/* A handle's warning (W_*): Reconnect LEAVE, as applications do. */
static void xmit_recover(SCARDHANDLE *h, LONG rv, const char *who)
{
	DWORD proto = 0;

	if (rv == SCARD_W_REMOVED_CARD || rv == SCARD_W_RESET_CARD) {
		atomic_fetch_add(rv == SCARD_W_REMOVED_CARD ? &g_removed : &g_reset, 1);
		rv = SCardReconnect(*h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1,
				    SCARD_LEAVE_CARD, &proto);
		check_rv(F_RECONNECT, rv, who);
		atomic_fetch_add(&g_reconnects, 1);
		if (rv == SCARD_S_SUCCESS && proto != SCARD_PROTOCOL_T1)
			failf(who, "SCardReconnect: protocol is not T=1");
		if (rv == SCARD_S_SUCCESS)
			return;
	}
	if (rv == SCARD_E_READER_UNAVAILABLE) {
		check_rv(F_DISC, SCardDisconnect(*h, SCARD_LEAVE_CARD), who);
		*h = 0;
		return;
	}
	sleep_ms(2); /* no card (or removed again): wait for the insert */
}

static void *xmit_thread(void *p)
{
	struct xmit_arg *a = p;
	SCARDCONTEXT ctx;
	SCARDHANDLE h = 0;
	char who[32];
	LONG rv;

	snprintf(who, sizeof(who), "xmit%u(reader %u)", a->id, a->reader);
	if (SCardEstablishContext(SCARD_SCOPE_USER, NULL, NULL, &ctx) != SCARD_S_SUCCESS) {
		failf(who, "SCardEstablishContext");
		return NULL;
	}
	for (unsigned n = 0; n < XMIT_CALLS && running(); n++) {
		if (h == 0) {
			DWORD proto = 0;

			rv = SCardConnect(ctx, READER[a->reader], SCARD_SHARE_SHARED,
					  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h, &proto);
			if (!check_rv(F_CONNECT, rv, who) || rv != SCARD_S_SUCCESS) {
				h = 0;
				sleep_ms(5);
				continue;
			}
			if (proto != SCARD_PROTOCOL_T1)
				failf(who, "SCardConnect: protocol is not T=1");
		}
		if (echo_once(h, a->id, n, &rv, who))
			a->ok++;
		else if (rv != SCARD_S_SUCCESS)
			xmit_recover(&h, rv, who);
	}
	if (h != 0)
		check_rv(F_DISC, SCardDisconnect(h, SCARD_LEAVE_CARD), who);
	if (SCardReleaseContext(ctx) != SCARD_S_SUCCESS)
		failf(who, "SCardReleaseContext");
	atomic_fetch_add(&g_ok_xmit, a->ok);
	return NULL;
}

/* ---- GetStatusChange waiters and their canceller (one context) ---- */

static void *gsc_thread(void *p)
{
	SCARDCONTEXT ctx = *(SCARDCONTEXT *)p;
	SCARD_READERSTATE rs[3] = {
		{ .szReader = READER[0] }, { .szReader = READER[1] },
		{ .szReader = PNP_READER },
	};

	while (running()) {
		LONG rv = SCardGetStatusChange(ctx, 300, rs, 3);

		check_rv(F_GSC, rv, "gsc");
		if (rv == SCARD_E_CANCELLED)
			atomic_fetch_add(&g_cancelled, 1);
		for (size_t i = 0; i < 3; i++) {
			if (rv == SCARD_E_UNKNOWN_READER)
				rs[i].dwCurrentState = SCARD_STATE_UNAWARE;
			else if (rv == SCARD_S_SUCCESS || rv == SCARD_E_TIMEOUT)
				rs[i].dwCurrentState = rs[i].dwEventState &
						       ~(DWORD)SCARD_STATE_CHANGED;
		}
		if (rv == SCARD_E_UNKNOWN_READER)
			sleep_ms(20);
	}
	return NULL;
}

static void *cancel_thread(void *p)
{
	SCARDCONTEXT ctx = *(SCARDCONTEXT *)p;
	unsigned n = 0;

	while (running()) {
		check_rv(F_CANCEL, SCardCancel(ctx), "cancel");
		sleep_ms(3 + n++ % 17);
	}
	return NULL;
}

/* ---- connect / disconnect churn ---- */

/* One round: connect in some mode, look at the handle, disconnect with
 * some disposition (RESET marks the transmit threads' handles). */
static void churn_once(SCARDCONTEXT ctx, unsigned n, const char *who)
{
	static const DWORD mode[] = { SCARD_SHARE_SHARED, SCARD_SHARE_DIRECT,
		SCARD_SHARE_SHARED, SCARD_SHARE_EXCLUSIVE };
	DWORD share = mode[n % 4], proto = 0, state, len = 64;
	DWORD disp = n % 9 == 0 ? SCARD_RESET_CARD : SCARD_LEAVE_CARD;
	SCARDHANDLE h = 0;
	char name[64];
	LONG rv;

	rv = SCardConnect(ctx, READER[n % 2], share,
			  share == SCARD_SHARE_DIRECT ? 0 : SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
			  &h, &proto);
	if (!check_rv(F_CONNECT, rv, who) || rv != SCARD_S_SUCCESS)
		return;
	rv = SCardStatus(h, name, &len, &state, &proto, NULL, NULL);
	check_rv(F_STATUS, rv, who);
	if (rv == SCARD_S_SUCCESS && strcmp(name, READER[n % 2]) != 0)
		failf(who, "SCardStatus: wrong reader name");
	check_rv(F_DISC, SCardDisconnect(h, disp), who);
}

static void *churn_thread(void *p)
{
	unsigned id = *(unsigned *)p;
	SCARDCONTEXT ctx;
	char who[16];

	snprintf(who, sizeof(who), "churn%u", id);
	if (SCardEstablishContext(SCARD_SCOPE_USER, NULL, NULL, &ctx) != SCARD_S_SUCCESS) {
		failf(who, "SCardEstablishContext");
		return NULL;
	}
	for (unsigned n = id; running(); n++) {
		churn_once(ctx, n, who);
		sleep_ms(1 + n % 7);
	}
	if (SCardReleaseContext(ctx) != SCARD_S_SUCCESS)
		failf(who, "SCardReleaseContext");
	return NULL;
}

/* ---- watchdog ---- */

static void *watchdog_thread(void *p)
{
	uint64_t end = now_ms() + WATCHDOG_MS;

	(void)p;
	while (!atomic_load(&g_done)) {
		if (now_ms() > end) {
			fprintf(stderr, "FAIL watchdog: threads still running after %u ms "
				"(deadlock?)\n", WATCHDOG_MS);
			for (size_t i = 0; i < 2; i++)
				if (g_rd[i].pid > 0)
					kill(g_rd[i].pid, SIGKILL);
			_exit(1);
		}
		sleep_ms(100);
	}
	return NULL;
}

/* ---- the main thread: card events and hotplug ---- */

static void card_events(unsigned ev)
{
	struct vrd *r = &g_rd[ev % 2];

	rd_cmd(r, "remove\n");
	sleep_ms(40 + ev % 5 * 20);
	rd_cmd(r, "insert\n");
}

static void hotplug(unsigned n)
{
	struct vrd *r = &g_rd[n % 2];

	rd_kill(r);
	sleep_ms(300);
	if (rd_start(r) != 0)
		failf("main", "restarting a vreader on the same socket");
}

/* Spread the removals and hotplugs over the transmit threads' run. */
static void drive_events(void)
{
	unsigned ev = 0, hp = 0;

	while (ev < N_EVENTS || hp < N_HOTPLUG) {
		if (ev < N_EVENTS)
			card_events(ev++);
		if (hp < N_HOTPLUG && ev >= (hp + 1) * N_EVENTS / (N_HOTPLUG + 1))
			hotplug(hp++);
		sleep_ms(150);
	}
}

static void start_threads(pthread_t *t, size_t *nt, struct xmit_arg *xa,
			  SCARDCONTEXT *gctx, unsigned *cid)
{
	for (unsigned i = 0; i < N_XMIT; i++) {
		xa[i] = (struct xmit_arg){ .id = i, .reader = i % 2 };
		assert_int_equal(pthread_create(&t[(*nt)++], NULL, xmit_thread, &xa[i]), 0);
	}
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[(*nt)++], NULL, gsc_thread, gctx), 0);
	assert_int_equal(pthread_create(&t[(*nt)++], NULL, cancel_thread, gctx), 0);
	for (unsigned i = 0; i < 2; i++) {
		cid[i] = i;
		assert_int_equal(pthread_create(&t[(*nt)++], NULL, churn_thread, &cid[i]), 0);
	}
}

static void test_stress(void **state)
{
	pthread_t t[N_XMIT + 8], wd;
	struct xmit_arg xa[N_XMIT];
	SCARDCONTEXT gctx;
	unsigned cid[2];
	size_t nt = 0;
	uint64_t t0 = now_ms();

	(void)state;
	printf("stress: %u transmit threads x %u calls, 2 GetStatusChange + 1 "
	       "SCardCancel + 2 Connect/Disconnect threads, %u card removals, "
	       "%u reader hotplugs\n", N_XMIT, XMIT_CALLS, N_EVENTS, N_HOTPLUG);
	g_deadline = now_ms() + RUN_CAP_MS;
	assert_int_equal(pthread_create(&wd, NULL, watchdog_thread, NULL), 0);
	assert_rv(SCardEstablishContext(SCARD_SCOPE_USER, NULL, NULL, &gctx),
		  SCARD_S_SUCCESS);
	start_threads(t, &nt, xa, &gctx, cid);
	drive_events();
	for (size_t i = 0; i < N_XMIT; i++)
		pthread_join(t[i], NULL);
	atomic_store(&g_stop, true);
	for (size_t i = N_XMIT; i < nt; i++)
		pthread_join(t[i], NULL);
	assert_rv(SCardReleaseContext(gctx), SCARD_S_SUCCESS);
	atomic_store(&g_done, true);
	pthread_join(wd, NULL);
	printf("stress: %ld ECHOs exact, %ld W_REMOVED_CARD + %ld W_RESET_CARD answers, %ld "
	       "reconnects, %ld GetStatusChange cancelled, %zu threads, %llu ms\n",
	       atomic_load(&g_ok_xmit), atomic_load(&g_removed), atomic_load(&g_reset),
	       atomic_load(&g_reconnects), atomic_load(&g_cancelled), nt,
	       (unsigned long long)(now_ms() - t0));
	tally_print();
	assert_int_equal(atomic_load(&g_failures), 0);
	/* the run did something: most ECHOs went through, cancels landed */
	assert_true(atomic_load(&g_ok_xmit) > N_XMIT * XMIT_CALLS / 4);
	assert_true(atomic_load(&g_cancelled) > 0);
}

static int group_setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	snprintf(g_dir, sizeof(g_dir), "%s/ccidkit-stress.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(g_dir))
		return -1;
	for (size_t i = 0; i < 2; i++) {
		g_rd[i] = (struct vrd){ .pid = -1, .in_fd = -1, .out_fd = -1 };
		snprintf(g_rd[i].sock, sizeof(g_rd[i].sock), "%s/vr%zu.sock", g_dir, i);
		if (rd_start(&g_rd[i]) != 0)
			return -1;
	}
	char spec[300];

	snprintf(spec, sizeof(spec), "unix:%s,unix:%s", g_rd[0].sock, g_rd[1].sock);
	setenv("CCIDKIT_USBREDIR", spec, 1);
	setenv("CCIDKIT_LIBUSB", "0", 1);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		rd_kill(&g_rd[i]);
		unlink(g_rd[i].sock);
	}
	rmdir(g_dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress),
	};

	vr_require_binary("test_stress");
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
