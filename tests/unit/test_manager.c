/* Unit tests: ccid/manager.c — PC/SC reader names (pcsc-abi.md §6.2), and
 * the watching manager (DESIGN.md "Threads") against live `ccidkit vreader`
 * processes: generations, waits, readers leaving and coming back. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ccid/clock.h"
#include "ccid/err.h"
#include "ccid/manager.h"
#include "ccid/reader.h"
#include "ccid/slot.h"
#include "ccid/transport.h"

#define VR_NAME "ccidkit Virtual Reader"

static void test_name_suffix(void **state)
{
	char name[CCID_READERNAME_MAX];

	(void)state;
	ccid_manager_format_name("Gemalto PC Twin Reader", 0, 0, name);
	assert_string_equal(name, "Gemalto PC Twin Reader 00 00");
	ccid_manager_format_name("Foo (123)", 1, 2, name);
	assert_string_equal(name, "Foo (123) 01 02");
	ccid_manager_format_name("X", 0x1A, 0x0F, name);
	assert_string_equal(name, "X 1A 0F");
}

static void test_name_truncated_to_127(void **state)
{
	char base[300];
	char name[CCID_READERNAME_MAX];

	(void)state;
	memset(base, 'a', sizeof(base) - 1);
	base[sizeof(base) - 1] = '\0';
	ccid_manager_format_name(base, 0, 1, name);
	assert_int_equal(strlen(name), 127);
	assert_string_equal(name + 121, " 00 01");
	assert_int_equal(name[120], 'a');
}

static void test_empty_environment(void **state)
{
	struct ccid_manager *m = NULL;

	(void)state;
	setenv("CCIDKIT_LIBUSB", "0", 1);
	unsetenv("CCIDKIT_USBREDIR");
	assert_int_equal(ccid_manager_new(ccid_deadline_in(1000), &m), CCID_OK);
	assert_non_null(m);
	assert_int_equal(ccid_manager_count(m), 0);
	assert_null(ccid_manager_entry(m, 0));
	assert_int_equal(ccid_manager_problem_count(m), 0);
	ccid_manager_free(&m);
	assert_null(m);
	ccid_manager_free(&m); /* NULL is fine */
	assert_int_equal(ccid_manager_new(0, NULL), CCID_E_INVAL);
}

static void test_bad_endpoints_are_problems(void **state)
{
	struct ccid_manager *m = NULL;

	(void)state;
	setenv("CCIDKIT_LIBUSB", "0", 1);
	setenv("CCIDKIT_USBREDIR", "bogus, unix:/nonexistent/ccidkit.sock,", 1);
	assert_int_equal(ccid_manager_new(ccid_deadline_in(2000), &m), CCID_OK);
	assert_int_equal(ccid_manager_count(m), 0);
	assert_int_equal(ccid_manager_problem_count(m), 2);
	assert_string_equal(ccid_manager_problem(m, 0),
			    "bogus: not an endpoint (CCIDKIT_USBREDIR wants unix:PATH or tcp:HOST:PORT)");
	assert_string_equal(ccid_manager_problem(m, 1),
			    "unix:/nonexistent/ccidkit.sock: no virtual reader is listening there");
	assert_null(ccid_manager_problem(m, 2));
	ccid_manager_free(&m);
}

/* ------------------------------------------------------------------ */
/* Live virtual readers                                               */

static char ccidkit_bin[4096];
static char arg_vreader[] = "vreader";
static char arg_listen[] = "--listen";
static char tmpdir[] = "/tmp/ccidkit-mgr.XXXXXX";

struct vr {
	pid_t pid;
	int in;    /* its standard input */
	int out;   /* its standard output */
	char sock[256];
};

/* Every vreader still running, so that a failed test (cmocka jumps out
 * of it) does not leave one behind: vr_teardown ends them. */
static pid_t vr_pids[8];

static void vr_track(pid_t pid, pid_t replace)
{
	for (size_t i = 0; i < sizeof(vr_pids) / sizeof(vr_pids[0]); i++)
		if (vr_pids[i] == replace) {
			vr_pids[i] = pid;
			return;
		}
}

static int vr_teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vr_pids) / sizeof(vr_pids[0]); i++)
		if (vr_pids[i] > 0) {
			kill(vr_pids[i], SIGKILL);
			waitpid(vr_pids[i], NULL, 0);
			vr_pids[i] = 0;
		}
	return 0;
}

/* Read stdout until the `ready` line (10 s at most). */
static bool vr_wait_ready(struct vr *v)
{
	char buf[256];
	size_t len = 0;
	uint64_t deadline = ccid_deadline_in(10000);

	while (len + 1 < sizeof(buf)) {
		struct pollfd p = { .fd = v->out, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, ccid_remaining_ms(deadline)) <= 0)
			return false;
		n = read(v->out, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return false;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "ready\n") != NULL)
			return true;
	}
	return false;
}

/* `ccidkit vreader --listen unix:<tmpdir>/<name>.sock <opt>` with pipes on
 * its standard input and output. */
static void vr_start(struct vr *v, const char *name, const char *opt)
{
	int in[2], out[2];
	char option[64];

	snprintf(option, sizeof(option), "%s", opt);
	snprintf(v->sock, sizeof(v->sock), "unix:%s/%s.sock", tmpdir, name);
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	v->pid = fork();
	assert_true(v->pid >= 0);
	if (v->pid == 0) {
		char *argv[] = { ccidkit_bin, arg_vreader, arg_listen, v->sock,
				 option, NULL };

		/* and if this test program dies, so does the vreader */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		execv(ccidkit_bin, argv);
		_exit(127);
	}
	vr_track(v->pid, 0);
	close(in[0]);
	close(out[1]);
	v->in = in[1];
	v->out = out[0];
	assert_true(vr_wait_ready(v));
}

static void vr_cmd(struct vr *v, const char *line)
{
	size_t len = strlen(line);

	assert_int_equal(write(v->in, line, len), (ssize_t)len);
}

/* `quit`, then reap it (SIGKILL after 5 s). */
static void vr_stop(struct vr *v)
{
	uint64_t deadline = ccid_deadline_in(5000);
	int status = 0;

	if (v->pid <= 0)
		return;
	if (write(v->in, "quit\n", 5) != 5)
		kill(v->pid, SIGTERM);
	while (waitpid(v->pid, &status, WNOHANG) == 0) {
		if (ccid_now_ms() > deadline) {
			kill(v->pid, SIGKILL);
			waitpid(v->pid, &status, 0);
			break;
		}
		usleep(10000);
	}
	vr_track(0, v->pid);
	close(v->in);
	close(v->out);
	v->pid = 0;
}

/* A watching manager on the endpoints given. */
static struct ccid_manager *mgr_watching(const char *endpoints)
{
	struct ccid_manager *m = NULL;

	setenv("CCIDKIT_LIBUSB", "0", 1);
	if (endpoints != NULL)
		setenv("CCIDKIT_USBREDIR", endpoints, 1);
	else
		unsetenv("CCIDKIT_USBREDIR");
	assert_int_equal(ccid_manager_new(ccid_deadline_in(5000), &m), CCID_OK);
	assert_int_equal(ccid_manager_watch(m), CCID_OK);
	assert_int_equal(ccid_manager_watch(m), CCID_OK); /* idempotent */
	return m;
}

static uint64_t mgr_gen(struct ccid_manager *m)
{
	uint64_t g;

	ccid_manager_lock(m);
	g = ccid_manager_generation(m);
	ccid_manager_unlock(m);
	return g;
}

/* Under the manager lock: slot 0 of the first entry. */
static bool first_slot(struct ccid_manager *m, struct ccid_slot_state *s)
{
	const struct ccid_manager_entry *e = ccid_manager_entry(m, 0);

	return e != NULL &&
	       ccid_reader_slot_state(e->reader, e->slot, s, NULL) == CCID_OK;
}

/* Sleep in ccid_manager_wait until the first entry's card is (not)
 * present; CCID_E_TIMEOUT after ms.  Never polls: only a manager
 * broadcast can get it there in time. */
static int wait_present(struct ccid_manager *m, bool present, uint64_t ms,
			struct ccid_slot_state *s)
{
	uint64_t deadline = ccid_deadline_in(ms);
	int err = CCID_OK;

	ccid_manager_lock(m);
	while (!(first_slot(m, s) && s->present == present) && err == CCID_OK)
		err = ccid_manager_wait(m, deadline);
	ccid_manager_unlock(m);
	return err;
}

/* Sleep until the list has n entries and entry n-1 is called name. */
static int wait_count(struct ccid_manager *m, size_t n, const char *name,
		      uint64_t ms)
{
	uint64_t deadline = ccid_deadline_in(ms);
	int err = CCID_OK;

	ccid_manager_lock(m);
	for (;;) {
		const struct ccid_manager_entry *e =
			n > 0 ? ccid_manager_entry(m, n - 1) : NULL;

		if (ccid_manager_count(m) == n &&
		    (n == 0 || name == NULL || strcmp(e->name, name) == 0))
			break;
		err = ccid_manager_wait(m, deadline);
		if (err != CCID_OK)
			break;
	}
	ccid_manager_unlock(m);
	return err;
}

/* remove, insert: each seen within 1 s, with exact slot states. */
static void check_remove_insert(struct vr *v, struct ccid_manager *m)
{
	struct ccid_slot_state s;
	uint64_t g0, g1;

	ccid_manager_lock(m);
	assert_true(first_slot(m, &s));
	ccid_manager_unlock(m);
	assert_true(s.present);
	assert_false(s.powered);
	assert_int_equal(s.changes, 0); /* present at opening: no event yet */
	assert_int_equal(s.power_epoch, 0);

	g0 = mgr_gen(m);
	vr_cmd(v, "remove\n");
	assert_int_equal(wait_present(m, false, 1000, &s), CCID_OK);
	g1 = mgr_gen(m);
	assert_true(g1 > g0);
	assert_int_equal(s.changes, 1);
	assert_int_equal(s.power_epoch, 1); /* removal */

	vr_cmd(v, "insert\n");
	assert_int_equal(wait_present(m, true, 1000, &s), CCID_OK);
	assert_true(mgr_gen(m) > g1);
	assert_false(s.powered);
	assert_int_equal(s.changes, 2);
	assert_int_equal(s.power_epoch, 1); /* insertion: no power change */
}

static void test_watch_interrupt(void **state)
{
	struct vr v;
	struct ccid_manager *m;

	(void)state;
	vr_start(&v, "intr", "--card=test");
	m = mgr_watching(v.sock);
	assert_int_equal(ccid_manager_count(m), 1);
	assert_string_equal(ccid_manager_entry(m, 0)->name, VR_NAME " 00 00");
	assert_true(ccid_manager_entry(m, 0)->reader->intr_started);
	check_remove_insert(&v, m);
	ccid_manager_free(&m);
	vr_stop(&v);
}

static void test_watch_polling(void **state)
{
	struct vr v;
	struct ccid_manager *m;

	(void)state;
	vr_start(&v, "poll", "--no-interrupt");
	m = mgr_watching(v.sock);
	assert_int_equal(ccid_manager_count(m), 1);
	assert_false(ccid_manager_entry(m, 0)->reader->intr_started);
	check_remove_insert(&v, m);
	ccid_manager_free(&m);
	vr_stop(&v);
}

/* The vreader quits: the entry leaves, a reference taken before stays
 * usable and cleanly gone; a new vreader on the same socket comes back
 * under the same name, as a new reader. */
static void check_leave_return(const char *name, const char *opt)
{
	struct vr v;
	struct ccid_manager *m;
	struct ccid_reader *old;
	enum ccid_icc_status st;
	uint64_t g;

	vr_start(&v, name, opt);
	m = mgr_watching(v.sock);
	ccid_manager_lock(m);
	assert_int_equal(ccid_manager_count(m), 1);
	old = ccid_reader_ref(ccid_manager_entry(m, 0)->reader);
	ccid_manager_unlock(m);

	g = mgr_gen(m);
	vr_stop(&v);
	/* EOF on the socket (interrupt pipe) or the next poll */
	assert_int_equal(wait_count(m, 0, NULL, 2000), CCID_OK);
	assert_true(mgr_gen(m) > g);
	assert_true(ccid_reader_is_gone(old));
	assert_int_equal(ccid_slot_get_status(old, 0, &st, ccid_deadline_in(1000)),
			 CCID_E_NO_DEVICE);

	g = mgr_gen(m);
	vr_start(&v, name, opt);
	/* retried every CCID_MANAGER_RETRY_MS */
	assert_int_equal(wait_count(m, 1, VR_NAME " 00 00", 3000), CCID_OK);
	assert_true(mgr_gen(m) > g);
	ccid_manager_lock(m);
	assert_ptr_not_equal(ccid_manager_entry(m, 0)->reader, old);
	assert_false(ccid_reader_is_gone(ccid_manager_entry(m, 0)->reader));
	ccid_manager_unlock(m);
	ccid_reader_unref(&old);
	ccid_manager_free(&m);
	vr_stop(&v);
}

static void test_leave_return_interrupt(void **state)
{
	(void)state;
	check_leave_return("lr-intr", "--card=test");
}

static void test_leave_return_polling(void **state)
{
	(void)state;
	check_leave_return("lr-poll", "--no-interrupt");
}

/* Two readers with one base name are 00 and 01; when 00 leaves and comes
 * back it is 00 again, now listed after 01. */
static void test_name_index_reused(void **state)
{
	struct vr a, b;
	struct ccid_manager *m;
	char eps[600];

	(void)state;
	vr_start(&a, "a", "--card=test");
	vr_start(&b, "b", "--card=test");
	snprintf(eps, sizeof(eps), "%s,%s", a.sock, b.sock);
	m = mgr_watching(eps);
	ccid_manager_lock(m);
	assert_int_equal(ccid_manager_count(m), 2);
	assert_string_equal(ccid_manager_entry(m, 0)->name, VR_NAME " 00 00");
	assert_string_equal(ccid_manager_entry(m, 1)->name, VR_NAME " 01 00");
	ccid_manager_unlock(m);
	vr_stop(&a);
	assert_int_equal(wait_count(m, 1, VR_NAME " 01 00", 2000), CCID_OK);
	vr_start(&a, "a", "--card=test");
	assert_int_equal(wait_count(m, 2, VR_NAME " 00 00", 3000), CCID_OK);
	ccid_manager_lock(m);
	assert_string_equal(ccid_manager_entry(m, 0)->name, VR_NAME " 01 00");
	ccid_manager_unlock(m);
	ccid_manager_free(&m);
	vr_stop(&a);
	vr_stop(&b);
}

struct waiter {
	struct ccid_manager *m;
	uint64_t deadline;
	bool waiting; /* under the manager lock */
	int err;
	uint64_t woke_after;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	struct ccid_manager *m = w->m;
	uint64_t t0 = ccid_now_ms();

	ccid_manager_lock(m);
	w->waiting = true;
	w->err = ccid_manager_wait(m, w->deadline);
	w->woke_after = ccid_now_ms() - t0;
	ccid_manager_unlock(m);
	return NULL;
}

/* Once w->waiting is seen under the lock, the waiter is in the wait (it
 * holds the lock from setting the flag until the wait releases it). */
static void waiter_start(struct waiter *w, pthread_t *t)
{
	bool waiting = false;

	assert_int_equal(pthread_create(t, NULL, waiter_main, w), 0);
	while (!waiting) {
		ccid_manager_lock(w->m);
		waiting = w->waiting;
		ccid_manager_unlock(w->m);
		if (!waiting)
			usleep(1000);
	}
}

static void test_broadcast_wakes(void **state)
{
	struct waiter w = { .deadline = ccid_deadline_in(5000) };
	pthread_t t;
	uint64_t g;

	(void)state;
	w.m = mgr_watching(NULL);
	g = mgr_gen(w.m);
	waiter_start(&w, &t);
	ccid_manager_lock(w.m);
	ccid_manager_broadcast(w.m);
	ccid_manager_unlock(w.m);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.err, CCID_OK);
	assert_true(w.woke_after < 1000);
	assert_int_equal(mgr_gen(w.m), g); /* a broadcast is not a change */
	ccid_manager_free(&w.m);
}

static void test_wait_timeout(void **state)
{
	struct ccid_manager *m = mgr_watching(NULL);
	uint64_t t0, dt, g;
	int err;

	(void)state;
	ccid_manager_lock(m);
	g = ccid_manager_generation(m);
	assert_int_equal(ccid_manager_wait(m, ccid_now_ms() - 1), CCID_E_TIMEOUT);
	t0 = ccid_now_ms();
	do /* nothing broadcasts here, but a spurious wake-up is allowed */
		err = ccid_manager_wait(m, t0 + 300);
	while (err == CCID_OK && ccid_now_ms() < t0 + 300);
	dt = ccid_now_ms() - t0;
	assert_int_equal(err, CCID_E_TIMEOUT);
	assert_true(dt >= 300);
	assert_true(dt < 1000);
	assert_int_equal(ccid_manager_generation(m), g);
	ccid_manager_unlock(m);
	ccid_manager_free(&m);
}

/* Free wakes the waiter (CCID_E_CANCELLED), waits for it to leave, stops
 * the event thread and drops the reader. */
static void test_free_while_waiting(void **state)
{
	struct waiter w = { .deadline = CCID_DEADLINE_NEVER };
	struct vr v;
	pthread_t t;

	(void)state;
	vr_start(&v, "free", "--card=test");
	w.m = mgr_watching(v.sock);
	assert_int_equal(ccid_manager_count(w.m), 1);
	waiter_start(&w, &t);
	ccid_manager_free(&w.m);
	assert_null(w.m);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.err, CCID_E_CANCELLED);
	assert_true(w.woke_after < 1000);
	vr_stop(&v);
}

/* Threads of this process now (/proc/self/task). */
static int thread_count(void)
{
	char cmd[64];
	FILE *f;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls /proc/%d/task | wc -l", (int)getpid());
	f = popen(cmd, "r");
	if (f == NULL)
		return -1;
	if (fscanf(f, "%d", &n) != 1)
		n = -1;
	pclose(f);
	return n;
}

/* tp_libusb's device-level entry points answer exactly, with or without
 * USB on this machine (bus 250 does not exist anywhere). */
static void found_none(void *arg, struct ccid_transport *tp,
		       const struct ccid_usb_info *info, int err)
{
	(void)tp;
	(void)info;
	(void)err;
	(*(int *)arg)++;
}

static void hotplug_none(void *arg, bool arrived, uint8_t bus, uint8_t addr)
{
	(void)arrived;
	(void)bus;
	(void)addr;
	(*(int *)arg)++;
}

static void test_libusb_device_api(void **state)
{
	struct ccid_tp_hotplug *hp = NULL;
	uint16_t ids[4];
	int calls = 0, n;

	(void)state;
	assert_int_equal(ccid_tp_libusb_open_device(1, 1, NULL, NULL),
			 CCID_E_INVAL);
	n = ccid_tp_libusb_open_device(250, 127, found_none, &calls);
	assert_true(n == CCID_E_NOT_FOUND || n == CCID_E_NOT_SUPPORTED);
	assert_int_equal(calls, 0);
	assert_int_equal(ccid_tp_libusb_list(NULL, 4), CCID_E_INVAL);
	n = ccid_tp_libusb_list(ids, 4);
	assert_true(n >= 0 || n == CCID_E_NOT_SUPPORTED);
	assert_int_equal(ccid_tp_libusb_hotplug_start(NULL, NULL, &hp),
			 CCID_E_INVAL);
	n = ccid_tp_libusb_hotplug_start(hotplug_none, &calls, &hp);
	if (n == CCID_OK) {
		assert_non_null(hp);
		ccid_tp_libusb_hotplug_stop(&hp);
	} else {
		assert_int_equal(n, CCID_E_NOT_SUPPORTED);
	}
	assert_null(hp);
	ccid_tp_libusb_hotplug_stop(&hp); /* NULL is fine */
	assert_int_equal(calls, 0);
}

/* With USB watching on (CCIDKIT_LIBUSB unset: hotplug or the polling
 * rescan, whichever this machine has), a usbredir reader is listed,
 * left alone by the USB rescans (same name, no spurious generation
 * bump), leaves and comes back as before; free is prompt and leaves no
 * thread behind (libusb's event thread included). */
static void test_usb_watch_coexists(void **state)
{
	struct vr v;
	struct ccid_manager *m = NULL;
	int before = thread_count();
	size_t base;
	uint64_t g, t0;
	char name[CCID_READERNAME_MAX];

	(void)state;
	assert_true(before > 0);
	vr_start(&v, "u", "--card=test");
	unsetenv("CCIDKIT_LIBUSB");
	setenv("CCIDKIT_USBREDIR", v.sock, 1);
	assert_int_equal(ccid_manager_new(ccid_deadline_in(5000), &m), CCID_OK);
	assert_int_equal(ccid_manager_problem_count(m), 0);
	base = ccid_manager_count(m) - 1; /* real USB readers, if any */
	assert_int_equal(ccid_manager_watch(m), CCID_OK);
	usleep(2500 * 1000); /* two rescans of the polling fallback */
	ccid_manager_lock(m);
	assert_int_equal(ccid_manager_count(m), base + 1);
	g = ccid_manager_generation(m);
	ccid_manager_unlock(m);
	usleep(1200 * 1000);
	assert_int_equal(mgr_gen(m), g);
	vr_stop(&v);
	assert_int_equal(wait_count(m, base, NULL, 2000), CCID_OK);
	vr_start(&v, "u", "--card=test");
	snprintf(name, sizeof(name), "%s 00 00", VR_NAME);
	assert_int_equal(wait_count(m, base + 1, name, 3000), CCID_OK);
	assert_int_equal(ccid_manager_problem_count(m), 0);
	t0 = ccid_now_ms();
	ccid_manager_free(&m);
	assert_true(ccid_now_ms() - t0 < 2500);
	assert_int_equal(thread_count(), before);
	vr_stop(&v);
}

static int group_setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The built `ccidkit` (the virtual reader), from $top_builddir as the
 * test harness exports it, else the current directory. */
static bool find_ccidkit(void)
{
	const char *top = getenv("top_builddir");

	snprintf(ccidkit_bin, sizeof(ccidkit_bin), "%s/ccidkit",
		 top != NULL ? top : ".");
	return access(ccidkit_bin, X_OK) == 0;
}

int main(void)
{
	const struct CMUnitTest names[] = {
		cmocka_unit_test(test_name_suffix),
		cmocka_unit_test(test_name_truncated_to_127),
		cmocka_unit_test(test_empty_environment),
		cmocka_unit_test(test_bad_endpoints_are_problems),
		cmocka_unit_test(test_libusb_device_api),
	};
	const struct CMUnitTest live[] = {
		cmocka_unit_test_teardown(test_watch_interrupt, vr_teardown),
		cmocka_unit_test_teardown(test_watch_polling, vr_teardown),
		cmocka_unit_test_teardown(test_leave_return_interrupt, vr_teardown),
		cmocka_unit_test_teardown(test_leave_return_polling, vr_teardown),
		cmocka_unit_test_teardown(test_name_index_reused, vr_teardown),
		cmocka_unit_test_teardown(test_broadcast_wakes, vr_teardown),
		cmocka_unit_test_teardown(test_wait_timeout, vr_teardown),
		cmocka_unit_test_teardown(test_free_while_waiting, vr_teardown),
		cmocka_unit_test_teardown(test_usb_watch_coexists, vr_teardown),
	};
	int failed;

	signal(SIGPIPE, SIG_IGN); /* a dead vreader's stdin */
	failed = cmocka_run_group_tests_name("manager", names, NULL, NULL);
	if (failed != 0)
		return failed;
	if (!find_ccidkit()) {
		fprintf(stderr,
			"SKIP: %s not found (build `ccidkit` first): the watching-manager tests need its virtual reader\n",
			ccidkit_bin);
		return 77;
	}
	return cmocka_run_group_tests_name("manager-live", live, group_setup,
					   group_teardown);
}
