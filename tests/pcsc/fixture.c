/* ccidkit — shared fixture of the winscard tests: the vreader process and
 * a few helpers.  See fixture.h. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

const uint8_t ATR_TEST[15] = {
	0x3B, 0x88, 0x81, 0x31, 0xFE, 0x45, 0x63, 0x63, 0x69, 0x64, 0x6B,
	0x69, 0x74, 0x31, 0xC9,
};
const uint8_t ATR_TEST_T0[10] = {
	0x3B, 0x08, 0x63, 0x63, 0x69, 0x64, 0x6B, 0x69, 0x74, 0x30,
};

struct vr g_vr = { .pid = -1, .in_fd = -1, .out_fd = -1 };

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void assert_rv_at(LONG got, LONG want, const char *expr, const char *file, int line)
{
	if (got == want)
		return;
	/* pcsc_stringify_error is under test too: print raw values only */
	print_error("%s:%d: %s returned 0x%08lX, expected 0x%08lX\n", file, line,
		    expr, (unsigned long)got, (unsigned long)want);
	fail_msg("wrong return code");
}

const char *vr_binary(void)
{
	const char *env = getenv("CCIDKIT");

	if (env && *env)
		return env;
	return CCIDKIT_BUILD_BINARY;
}

void vr_require_binary(const char *test_name)
{
	const char *bin = vr_binary();

	if (access(bin, X_OK) == 0)
		return;
	fprintf(stderr,
		"SKIP %s: the virtual reader binary '%s' is missing or not "
		"executable (%s); build `ccidkit` first or set CCIDKIT=path\n",
		test_name, bin, strerror(errno));
	exit(77);
}

int vr_wait_ready(int fd, unsigned timeout_ms)
{
	char buf[256];
	size_t used = 0;
	uint64_t end = now_ms() + timeout_ms;

	for (;;) {
		uint64_t now = now_ms();
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (now >= end)
			return -1;
		if (poll(&p, 1, (int)(end - now)) <= 0)
			continue;
		ssize_t n = read(fd, buf + used, sizeof(buf) - 1 - used);
		if (n <= 0)
			return -1;
		used += (size_t)n;
		buf[used] = '\0';
		if (strstr(buf, "ready\n"))
			return 0;
		if (used == sizeof(buf) - 1)
			return -1;
	}
}

static void child_exec(const struct vr *v, int in_r, int out_w,
		       const char *const *args)
{
	const char *argv[32];
	char listen[160];
	size_t n = 0;

	snprintf(listen, sizeof(listen), "unix:%s", v->sock);
	argv[n++] = vr_binary();
	argv[n++] = "vreader";
	argv[n++] = "--listen";
	argv[n++] = listen;
	for (size_t i = 0; args && args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (dup2(in_r, 0) < 0 || dup2(out_w, 1) < 0)
		_exit(126);
	execv(argv[0], (char *const *)(uintptr_t)argv);
	_exit(127);
}

int vr_start(struct vr *v, const char *const *args)
{
	int in[2], out[2];

	/* a vreader that died must not kill us when we write "remove" */
	signal(SIGPIPE, SIG_IGN);
	memset(v, 0, sizeof(*v));
	v->pid = -1;
	snprintf(v->dir, sizeof(v->dir), "%s/ccidkit-pcsc.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(v->dir)) {
		fprintf(stderr, "mkdtemp %s: %s\n", v->dir, strerror(errno));
		return -1;
	}
	snprintf(v->sock, sizeof(v->sock), "%s/vr.sock", v->dir);
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		return -1;
	v->pid = fork();
	if (v->pid < 0)
		return -1;
	if (v->pid == 0)
		child_exec(v, in[0], out[1], args);
	close(in[0]);
	close(out[1]);
	v->in_fd = in[1];
	v->out_fd = out[0];
	for (size_t i = 0; i < 8; i++)
		v->card[i] = true;
	for (size_t i = 0; args && args[i]; i++)
		if (strcmp(args[i], "--no-card") == 0)
			memset(v->card, 0, sizeof(v->card));
	if (vr_wait_ready(v->out_fd, 10000) < 0) {
		fprintf(stderr, "vreader (%s) did not print 'ready' within 10 s\n",
			vr_binary());
		vr_stop(v);
		return -1;
	}
	char spec[160];

	snprintf(spec, sizeof(spec), "unix:%s", v->sock);
	setenv("CCIDKIT_USBREDIR", spec, 1);
	setenv("CCIDKIT_LIBUSB", "0", 1);
	return 0;
}

void vr_cmd(struct vr *v, const char *line)
{
	size_t len = strlen(line);

	assert_int_equal(write(v->in_fd, line, len), (ssize_t)len);
	assert_int_equal(write(v->in_fd, "\n", 1), 1);
}

void vr_stop(struct vr *v)
{
	if (v->pid > 0) {
		int status;
		uint64_t end;

		if (v->in_fd >= 0 && write(v->in_fd, "quit\n", 5) < 0)
			kill(v->pid, SIGTERM);
		end = now_ms() + 3000;
		while (waitpid(v->pid, &status, WNOHANG) == 0) {
			if (now_ms() > end) {
				kill(v->pid, SIGKILL);
				waitpid(v->pid, &status, 0);
				break;
			}
			sleep_ms(10);
		}
		v->pid = -1;
	}
	if (v->in_fd >= 0)
		close(v->in_fd);
	if (v->out_fd >= 0)
		close(v->out_fd);
	v->in_fd = v->out_fd = -1;
	if (v->sock[0])
		unlink(v->sock);
	if (v->dir[0])
		rmdir(v->dir);
	v->sock[0] = v->dir[0] = '\0';
}

int vr_group_setup_args(const char *const *args)
{
	return vr_start(&g_vr, args);
}

int vr_group_teardown(void **state)
{
	(void)state;
	vr_stop(&g_vr);
	return 0;
}

int ctx_setup(void **state)
{
	SCARDCONTEXT *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return -1;
	if (SCardEstablishContext(SCARD_SCOPE_USER, NULL, NULL, ctx) != SCARD_S_SUCCESS) {
		free(ctx);
		return -1;
	}
	*state = ctx;
	return 0;
}

static const char *slot_reader(unsigned slot)
{
	return slot == 0 ? VR_READER : VR_READER_SLOT1;
}

int ctx_teardown(void **state)
{
	SCARDCONTEXT *ctx = *state;

	/* put back what a (possibly failed) test removed, so the next test
	 * starts with cards in every slot */
	for (unsigned s = 0; s < 2; s++) {
		if (!g_vr.card[s] && g_vr.pid > 0) {
			char line[16];

			snprintf(line, sizeof(line), "insert %u", s);
			vr_cmd(&g_vr, line);
			g_vr.card[s] = true;
			(void)wait_state(*ctx, slot_reader(s), SCARD_STATE_PRESENT, 3000);
		}
	}
	SCardReleaseContext(*ctx);
	free(ctx);
	*state = NULL;
	return 0;
}

DWORD wait_state(SCARDCONTEXT ctx, const char *reader, DWORD want,
		 unsigned timeout_ms)
{
	SCARD_READERSTATE rs = { .szReader = reader, .dwCurrentState = SCARD_STATE_UNAWARE };
	uint64_t end = now_ms() + timeout_ms;
	LONG rv = SCardGetStatusChange(ctx, 0, &rs, 1);

	assert_rv(rv, SCARD_S_SUCCESS);
	while ((rs.dwEventState & want) != want) {
		uint64_t now = now_ms();

		if (now >= end) {
			print_error("%s: state 0x%lX never got 0x%lX in %u ms\n", reader,
				    (unsigned long)rs.dwEventState, (unsigned long)want,
				    timeout_ms);
			fail();
		}
		rs.dwCurrentState = rs.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
		rv = SCardGetStatusChange(ctx, (DWORD)(end - now), &rs, 1);
		if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
			assert_rv(rv, SCARD_S_SUCCESS);
	}
	return rs.dwEventState;
}

void card_remove(SCARDCONTEXT ctx, unsigned slot)
{
	char line[16];

	snprintf(line, sizeof(line), "remove %u", slot);
	g_vr.card[slot] = false;
	vr_cmd(&g_vr, line);
	(void)wait_state(ctx, slot_reader(slot), SCARD_STATE_EMPTY, 3000);
}

void card_insert(SCARDCONTEXT ctx, unsigned slot)
{
	char line[16];

	snprintf(line, sizeof(line), "insert %u", slot);
	vr_cmd(&g_vr, line);
	g_vr.card[slot] = true;
	(void)wait_state(ctx, slot_reader(slot), SCARD_STATE_PRESENT, 3000);
}

SCARDHANDLE connect_ok(SCARDCONTEXT ctx, const char *reader, DWORD share,
		       DWORD *proto)
{
	SCARDHANDLE h = 0;
	DWORD p = 0;

	assert_rv(SCardConnect(ctx, reader, share, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
			       &h, &p), SCARD_S_SUCCESS);
	assert_true(h != 0);
	if (proto)
		*proto = p;
	return h;
}

LONG xmit(SCARDHANDLE h, const SCARD_IO_REQUEST *pci, const uint8_t *apdu,
	  size_t len, uint8_t *resp, DWORD *rlen)
{
	return SCardTransmit(h, pci, apdu, (DWORD)len, NULL, resp, rlen);
}
