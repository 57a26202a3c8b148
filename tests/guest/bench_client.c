/* Benchmark client (not a test) for `make bench-guest`: one PC/SC stack
 * measured from the application's side.  Built against the system's
 * pcsc-lite headers and linked with -lpcsclite, so that it runs unchanged
 * on pcsc-lite's libpcsclite.so.1 (talking to pcscd) and, through
 * LD_LIBRARY_PATH, on ccidkit's.
 *
 *   bench_client [-n SHORT] [-m EXT] [-- DAEMON ARGS...]
 *
 * (SHORT 1000 and EXT 100 by default; both 0: the cold start only.)
 *
 * The launcher takes a monotonic timestamp, starts DAEMON (if given),
 * then starts itself again as the measuring child, which retries
 * SCardEstablishContext/SCardListReaders until a reader is listed: the
 * cold start is that instant minus the launcher's timestamp, so it holds
 * the child's exec and dynamic loading, and the daemon's whole start.
 * Then SHORT 16-byte ECHO APDUs (80 10 00 00 10 data 10) and EXT 4096-byte
 * extended ECHO APDUs (80 10 00 00 00 10 00 data 10 00), each round trip
 * timed alone, each answer checked (the data back, then 90 00), after
 * WARMUP untimed short ones.  CPU per APDU: the child's getrusage
 * (RUSAGE_SELF, all its threads) and, apart, the daemon's run time (the
 * sum of /proc/PID/task/TID/schedstat), before and after each loop.  The
 * launcher ends the daemon (SIGTERM) after the child.
 *
 * Output, one "key value" per line (times in microseconds):
 *   library PATH  reader NAME  cold_us T  short_n N  short_med_us T
 *   short_p99_us T  short_cpu_us T  short_daemon_cpu_us T (with a daemon)
 *   short_threads WHO:COMM=T... (each thread's CPU per APDU; WHO client
 *   or daemon)  short_cpu_ns T  short_daemon_cpu_ns T (totals of the
 *   loop)  short_samples_ns T... (every round trip, sorted)  ext_... likewise
 * Exit status 0 when every answer was right, 1 otherwise, 2 for usage. */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <winscard.h>

#define EXT_LEN 4096
#define WARMUP 10
#define COLD_LIMIT_NS (60LL * 1000000000LL)

static const char *me = "bench_client";

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void nap_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

static int64_t self_cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
	       ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

/* The daemon's run time so far, all its threads: the first field of each
 * /proc/PID/task/TID/schedstat is the time spent on the CPU in ns (finer
 * than the clock ticks of /proc/PID/stat).  -1 when it cannot be read. */
static int64_t daemon_cpu_ns(pid_t pid)
{
	char path[64];
	struct dirent *de;
	int64_t sum = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char file[sizeof(path) + sizeof(de->d_name) + 16];
		long long ns;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s/schedstat", path, de->d_name);
		f = fopen(file, "r");
		if (!f)
			continue;   /* a thread that just ended */
		if (fscanf(f, "%lld", &ns) == 1)
			sum += ns;
		fclose(f);
	}
	closedir(d);
	return sum;
}

/* Per-thread run time, for the breakdown line: where the CPU goes. */
#define MAX_TASKS 64
struct task {
	long tid;
	char comm[20];
	int64_t ns;
};

/* Fills t[] with PID's threads (PID 0: this process); returns the count. */
static int tasks(pid_t pid, struct task *t)
{
	char path[64];
	struct dirent *de;
	int n = 0;
	DIR *d;

	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/task");
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL && n < MAX_TASKS) {
		char file[sizeof(path) + sizeof(de->d_name) + 16];
		long long ns;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		t[n].tid = strtol(de->d_name, NULL, 10);
		snprintf(file, sizeof(file), "%s/%s/schedstat", path, de->d_name);
		f = fopen(file, "r");
		if (!f)
			continue;
		if (fscanf(f, "%lld", &ns) != 1)
			ns = 0;
		fclose(f);
		t[n].ns = ns;
		snprintf(file, sizeof(file), "%s/%s/comm", path, de->d_name);
		strcpy(t[n].comm, "?");
		f = fopen(file, "r");
		if (f) {
			if (fgets(t[n].comm, sizeof(t[n].comm), f))
				t[n].comm[strcspn(t[n].comm, "\n")] = 0;
			fclose(f);
		}
		n++;
	}
	closedir(d);
	return n;
}

/* " WHO:TID(comm)=US" for each thread's run time per APDU between the two
 * snapshots (a thread born in between counts from 0). */
static void print_threads(const char *who, const struct task *a, int na,
			  const struct task *b, int nb, long n)
{
	for (int i = 0; i < nb; i++) {
		int64_t before = 0;

		for (int j = 0; j < na; j++)
			if (a[j].tid == b[i].tid)
				before = a[j].ns;
		printf(" %s:%s=%.1f", who, b[i].comm,
		       (double)(b[i].ns - before) / 1e3 / (double)n);
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Median and 99th percentile (nearest rank) of n > 0 samples, sorted in place. */
static void stats(int64_t *s, long n, double *med, double *p99)
{
	long r = (99 * n + 99) / 100;

	qsort(s, (size_t)n, sizeof(*s), cmp_i64);
	*med = n % 2 ? (double)s[n / 2] : ((double)s[n / 2 - 1] + (double)s[n / 2]) / 2;
	*p99 = (double)s[r - 1];
}

/* Cold start: until a reader is listed.  Returns 0 and fills ctx and
 * readers, or -1 after COLD_LIMIT_NS. */
static int wait_reader(int64_t t0, SCARDCONTEXT *ctx, char *readers, DWORD cap)
{
	bool have_ctx = false;
	LONG rv = SCARD_E_NO_SERVICE;

	while (now_ns() - t0 < COLD_LIMIT_NS) {
		DWORD len = cap;

		if (!have_ctx) {
			rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, ctx);
			if (rv != SCARD_S_SUCCESS) {
				nap_ms(1);
				continue;
			}
			have_ctx = true;
		}
		rv = SCardListReaders(*ctx, NULL, readers, &len);
		if (rv == SCARD_S_SUCCESS && len > 1 && readers[0])
			return 0;
		if (rv != SCARD_E_NO_READERS_AVAILABLE && rv != SCARD_S_SUCCESS) {
			SCardReleaseContext(*ctx);
			have_ctx = false;
		}
		nap_ms(1);
	}
	fprintf(stderr, "%s: no reader listed within %lld s (last: %s)\n", me,
		COLD_LIMIT_NS / 1000000000LL, pcsc_stringify_error(rv));
	return -1;
}

struct loop {
	const char *name;	/* key prefix */
	BYTE *cmd;
	DWORD cmd_len;
	const BYTE *data;	/* what the answer must carry, then 90 00 */
	DWORD data_len;
};

/* n timed round trips of one APDU; prints the key lines; 0 when every
 * answer was right. */
static int run_loop(SCARDHANDLE card, const SCARD_IO_REQUEST *pci,
		    const struct loop *l, long n, pid_t daemon)
{
	int64_t *s = malloc((size_t)(n ? n : 1) * sizeof(*s));
	BYTE *resp = malloc(l->data_len + 2);
	static struct task ct0[MAX_TASKS], ct1[MAX_TASKS], dt0[MAX_TASKS], dt1[MAX_TASKS];
	int nct0, nct1, ndt0 = 0, ndt1 = 0;
	int64_t c0, c1, d0, d1;
	long bad = 0;
	double med, p99;

	if (!s || !resp) {
		fprintf(stderr, "%s: out of memory\n", me);
		free(s);
		free(resp);
		return 1;
	}
	if (daemon > 0)
		ndt0 = tasks(daemon, dt0);
	nct0 = tasks(0, ct0);
	d0 = daemon > 0 ? daemon_cpu_ns(daemon) : 0;
	c0 = self_cpu_ns();
	for (long i = 0; i < n; i++) {
		DWORD rlen = l->data_len + 2;
		int64_t t = now_ns();
		LONG rv = SCardTransmit(card, pci, l->cmd, l->cmd_len, NULL, resp, &rlen);

		s[i] = now_ns() - t;
		if (rv != SCARD_S_SUCCESS) {
			fprintf(stderr, "%s: %s APDU %ld: SCardTransmit: %s\n", me,
				l->name, i, pcsc_stringify_error(rv));
			bad++;
			if (bad > 10)
				break;
		} else if (rlen != l->data_len + 2 || memcmp(resp, l->data, l->data_len) ||
			   resp[l->data_len] != 0x90 || resp[l->data_len + 1] != 0x00) {
			if (!bad)
				fprintf(stderr, "%s: %s APDU %ld: wrong answer (%lu bytes)\n",
					me, l->name, i, (unsigned long)rlen);
			bad++;
		}
	}
	c1 = self_cpu_ns();
	d1 = daemon > 0 ? daemon_cpu_ns(daemon) : 0;
	nct1 = tasks(0, ct1);
	if (daemon > 0)
		ndt1 = tasks(daemon, dt1);
	if (n > 0 && !bad) {
		stats(s, n, &med, &p99);
		printf("%s_n %ld\n", l->name, n);
		printf("%s_med_us %.1f\n", l->name, med / 1e3);
		printf("%s_p99_us %.1f\n", l->name, p99 / 1e3);
		printf("%s_cpu_us %.1f\n", l->name, (double)(c1 - c0) / 1e3 / (double)n);
		if (daemon > 0)
			printf("%s_daemon_cpu_us %.1f\n", l->name,
			       d0 < 0 || d1 < 0 ? -1.0 : (double)(d1 - d0) / 1e3 / (double)n);
		printf("%s_threads", l->name);
		print_threads("client", ct0, nct0, ct1, nct1, n);
		print_threads("daemon", dt0, ndt0, dt1, ndt1, n);
		printf("\n");
		/* the raw figures, for pooling several runs */
		printf("%s_cpu_ns %lld\n", l->name, (long long)(c1 - c0));
		if (daemon > 0)
			printf("%s_daemon_cpu_ns %lld\n", l->name,
			       d0 < 0 || d1 < 0 ? -1LL : (long long)(d1 - d0));
		printf("%s_samples_ns", l->name);
		for (long i = 0; i < n; i++)
			printf(" %lld", (long long)s[i]);
		printf("\n");
	}
	free(s);
	free(resp);
	return bad ? 1 : 0;
}

static void print_library(void)
{
	Dl_info info;

	if (dladdr((void *)(uintptr_t)SCardTransmit, &info) && info.dli_fname)
		printf("library %s\n", info.dli_fname);
	else
		printf("library (unknown)\n");
}

static int child(int64_t t0, long n_short, long n_ext, pid_t daemon)
{
	static BYTE short_cmd[] = { 0x80, 0x10, 0x00, 0x00, 0x10, 0, 1, 2, 3, 4, 5,
				    6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0x10 };
	static BYTE ext_cmd[7 + EXT_LEN + 2];
	SCARDCONTEXT ctx;
	SCARDHANDLE card;
	DWORD proto;
	char readers[4096];
	const SCARD_IO_REQUEST *pci;
	int64_t t1;
	int rc = 0;
	LONG rv;

	/* started as /proc/self/exe: its name would be "exe" in the thread list */
	prctl(PR_SET_NAME, "bench_client", 0, 0, 0);
	if (wait_reader(t0, &ctx, readers, sizeof(readers)) < 0)
		return 1;
	t1 = now_ns();
	print_library();
	printf("reader %s\n", readers);
	printf("cold_us %.1f\n", (double)(t1 - t0) / 1e3);
	if (n_short == 0 && n_ext == 0) {
		SCardReleaseContext(ctx);
		return 0;
	}

	rv = SCardConnect(ctx, readers, SCARD_SHARE_SHARED,
			  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &proto);
	if (rv != SCARD_S_SUCCESS) {
		fprintf(stderr, "%s: SCardConnect: %s\n", me, pcsc_stringify_error(rv));
		SCardReleaseContext(ctx);
		return 1;
	}
	pci = proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;

	/* ISO 7816-4 5.1: extended case 4, Lc 00 10 00 and Le 10 00 */
	memcpy(ext_cmd, (const BYTE[]){ 0x80, 0x10, 0x00, 0x00, 0x00, 0x10, 0x00 }, 7);
	for (int i = 0; i < EXT_LEN; i++)
		ext_cmd[7 + i] = (BYTE)i;
	ext_cmd[7 + EXT_LEN] = 0x10;
	ext_cmd[7 + EXT_LEN + 1] = 0x00;

	const struct loop lshort = { "short", short_cmd, sizeof(short_cmd), short_cmd + 5, 16 };
	const struct loop lext = { "ext", ext_cmd, sizeof(ext_cmd), ext_cmd + 7, EXT_LEN };

	/* not timed: the first exchanges may set the protocol up */
	for (int i = 0; i < WARMUP && rc == 0; i++) {
		BYTE resp[18];
		DWORD rlen = sizeof(resp);

		rv = SCardTransmit(card, pci, short_cmd, sizeof(short_cmd), NULL, resp, &rlen);
		if (rv != SCARD_S_SUCCESS) {
			fprintf(stderr, "%s: warm-up: SCardTransmit: %s\n", me,
				pcsc_stringify_error(rv));
			rc = 1;
		}
	}
	if (rc == 0)
		rc |= run_loop(card, pci, &lshort, n_short, daemon);
	if (rc == 0)
		rc |= run_loop(card, pci, &lext, n_ext, daemon);
	SCardDisconnect(card, SCARD_LEAVE_CARD);
	SCardReleaseContext(ctx);
	return rc;
}

static void usage(void)
{
	fprintf(stderr, "usage: %s [-n SHORT] [-m EXT] [-- DAEMON ARGS...]\n", me);
	exit(2);
}

static long num(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 10000000)
		usage();
	return v;
}

/* Ends the daemon: SIGTERM, 10 s, then SIGKILL.  Its exit status. */
static int stop_daemon(pid_t pid)
{
	int status = 0;

	kill(pid, SIGTERM);
	for (int i = 0; i < 1000; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		nap_ms(10);
	}
	fprintf(stderr, "%s: the daemon ignored SIGTERM for 10 s: killed\n", me);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return status;
}

int main(int argc, char **argv)
{
	long n_short = 1000, n_ext = 100;
	char a_t0[32], a_n[24], a_m[24], a_d[24];
	pid_t daemon = 0, kid;
	int64_t t0;
	int i, status;

	/* the measuring child: --child T0 SHORT EXT DAEMON-PID */
	if (argc == 6 && strcmp(argv[1], "--child") == 0)
		return child(strtoll(argv[2], NULL, 10), num(argv[3]), num(argv[4]),
			     (pid_t)num(argv[5]));

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			n_short = num(argv[++i]);
		else if (strcmp(argv[i], "-m") == 0 && i + 1 < argc)
			n_ext = num(argv[++i]);
		else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else
			usage();
	}

	fflush(stdout);
	t0 = now_ns();
	if (i < argc) {
		daemon = fork();
		if (daemon < 0) {
			perror("fork");
			return 1;
		}
		if (daemon == 0) {
			/* its log (pcscd -f prints errors on stdout) stays out of
			 * the key lines */
			dup2(2, 1);
			execvp(argv[i], argv + i);
			fprintf(stderr, "%s: cannot run %s: %s\n", me, argv[i], strerror(errno));
			_exit(127);
		}
	}
	snprintf(a_t0, sizeof(a_t0), "%lld", (long long)t0);
	snprintf(a_n, sizeof(a_n), "%ld", n_short);
	snprintf(a_m, sizeof(a_m), "%ld", n_ext);
	snprintf(a_d, sizeof(a_d), "%ld", (long)daemon);
	kid = fork();
	if (kid == 0) {
		execl("/proc/self/exe", argv[0], "--child", a_t0, a_n, a_m, a_d, (char *)NULL);
		fprintf(stderr, "%s: cannot run itself: %s\n", me, strerror(errno));
		_exit(127);
	}
	status = 1 << 8;
	if (kid < 0)
		perror("fork");
	else
		waitpid(kid, &status, 0);
	if (daemon > 0) {
		int ds = stop_daemon(daemon);

		if (!WIFEXITED(ds))
			fprintf(stderr, "%s: the daemon ended by signal %d\n", me,
				WIFSIGNALED(ds) ? WTERMSIG(ds) : 0);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
