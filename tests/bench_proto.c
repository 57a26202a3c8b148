/* Benchmark (not a test): APDU round-trip time and throughput for each
 * protocol × exchange level against `ccidkit vreader`, next to the raw
 * floor of the same transport, and their ratio.  Run by `make bench`.
 *
 * APDU: ECHO case 4 (80 10 00 00 Lc data Le) through ccid_slot_transmit,
 * i.e. everything the driver does for one APDU at that level: one
 * XfrBlock at APDU level, XfrBlock chaining when the message exceeds
 * dwMaxCCIDMessageLength (271 here), T=0 TPDUs with GET RESPONSE /
 * ENVELOPE, T=1 blocks with chaining at TPDU level.
 * Floor: the same APDU bytes in ONE bare PC_to_RDR_XfrBlock round trip
 * (ccid_reader_command: one bulk OUT of the command, one bulk IN of the
 * answer), whose card answers at once: the cheapest way the same bytes
 * can cross the same transport (usbredir over a unix socket).  On the
 * reader under test when it is at APDU level and one message carries
 * them; else (TPDU level, where a bare XfrBlock would bypass the T=0/T=1
 * engines, or longer than dwMaxCCIDMessageLength) on a companion vreader
 * at extended level with dwMaxCCIDMessageLength 65554.
 * Ratio = APDU time / floor time.
 *
 * usage: bench_proto [PATH-TO-ccidkit [ITERATIONS]] */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ccid/clock.h"
#include "ccid/err.h"
#include "ccid/reader.h"
#include "ccid/slot.h"
#include "ccid/transport.h"

#define RESP_MAX (65536 + 2)

static const size_t sizes[] = { 16, 255, 4096 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

struct row {
	const char *proto, *level;
	const char *args[6];
	bool short_only;
};

static const struct row rows[] = {
	{ "T=0", "TPDU", { "--card", "test-t0", "--level", "tpdu" }, false },
	{ "T=0", "short APDU", { "--card", "test-t0", "--level", "short" }, true },
	{ "T=0", "ext. APDU", { "--card", "test-t0", "--level", "extended" }, false },
	{ "T=1", "TPDU", { "--card", "test", "--level", "tpdu" }, false },
	{ "T=1", "short APDU", { "--card", "test", "--level", "short" }, true },
	{ "T=1", "ext. APDU", { "--card", "test", "--level", "extended" }, false },
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

static const char *const floor_args[] = {
	"--card", "test", "--level", "extended", "--max-msg", "65554", NULL
};

struct vr {
	pid_t pid;
	int in_fd, out_fd;
	char dir[64], sock[128];
	struct ccid_reader *r;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of n samples: the machine is shared (parallel builds), and
 * a mean would report the neighbours' load, not ours. */
static double median(double *t, long n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Start the vreader, wait for "ready" on its stdout. */
static int vr_spawn(struct vr *v, const char *bin, const char *const *args)
{
	const char *argv[16];
	char listen[160], buf[64];
	int in[2], out[2];
	size_t n = 0, used = 0;
	struct pollfd p;

	memset(v, 0, sizeof(*v));
	snprintf(v->dir, sizeof(v->dir), "/tmp/ccidkit-bench.XXXXXX");
	if (!mkdtemp(v->dir) || pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		return -1;
	snprintf(v->sock, sizeof(v->sock), "%s/vr.sock", v->dir);
	snprintf(listen, sizeof(listen), "unix:%s", v->sock);
	argv[n++] = bin;
	argv[n++] = "vreader";
	argv[n++] = "--listen";
	argv[n++] = listen;
	for (size_t i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	v->pid = fork();
	if (v->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execv(bin, (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	v->in_fd = in[1];
	v->out_fd = out[0];
	p.fd = v->out_fd;
	p.events = POLLIN;
	while (used < sizeof(buf) - 1 && poll(&p, 1, 10000) > 0) {
		ssize_t got = read(v->out_fd, buf + used, sizeof(buf) - 1 - used);

		if (got <= 0)
			break;
		used += (size_t)got;
		buf[used] = '\0';
		if (strstr(buf, "ready\n"))
			return 0;
	}
	fprintf(stderr, "bench_proto: %s vreader did not start\n", bin);
	return -1;
}

static void vr_end(struct vr *v)
{
	int status;

	ccid_reader_unref(&v->r);
	if (v->pid > 0) {
		if (write(v->in_fd, "quit\n", 5) < 0)
			kill(v->pid, SIGTERM);
		waitpid(v->pid, &status, 0);
	}
	close(v->in_fd);
	close(v->out_fd);
	unlink(v->sock);
	rmdir(v->dir);
}

/* Open the reader through the driver, power the card, set its protocol. */
static int vr_open(struct vr *v, int protocol)
{
	struct ccid_transport *tp = NULL;
	char spec[160];
	uint8_t atr[64];
	size_t alen = 0;
	int err;

	snprintf(spec, sizeof(spec), "unix:%s", v->sock);
	err = ccid_tp_usbredir_open(spec, ccid_deadline_in(5000), &tp);
	if (err == CCID_OK)
		err = ccid_reader_new(tp, ccid_deadline_in(5000), &v->r);
	if (err == CCID_OK)
		err = ccid_slot_power_on(v->r, 0, atr, sizeof(atr), &alen,
					 ccid_deadline_in(5000));
	/* what SCardConnect does: PPS, SetParameters, T=1 S(IFS) */
	if (err == CCID_OK && protocol >= 0)
		err = ccid_slot_set_protocol(v->r, 0, protocol,
					     ccid_deadline_in(5000));
	if (err != CCID_OK)
		fprintf(stderr, "bench_proto: reader: %s\n", ccid_strerror(err));
	return err;
}

/* ECHO case 4 with L data bytes and Le = L (extended form past 255). */
static size_t echo_apdu(size_t len, uint8_t *c)
{
	size_t n = 0;

	c[n++] = 0x80;
	c[n++] = 0x10;
	c[n++] = 0x00;
	c[n++] = 0x00;
	if (len > 255) {
		c[n++] = 0x00;
		c[n++] = (uint8_t)(len >> 8);
	}
	c[n++] = (uint8_t)len;
	for (size_t i = 0; i < len; i++)
		c[n++] = (uint8_t)(i * 13 + 1);
	if (len > 255)
		c[n++] = (uint8_t)(len >> 8);
	c[n++] = (uint8_t)len;
	return n;
}

/* One APDU through ccid_slot_transmit; µs, or < 0 on failure. */
static double one_apdu(struct ccid_reader *r, const uint8_t *cmd, size_t clen,
		       size_t want, uint8_t *resp)
{
	double t0 = now_us();
	size_t got = 0;
	int err = ccid_slot_transmit(r, 0, cmd, clen, resp, RESP_MAX, &got,
				     ccid_deadline_in(10000));

	if (err != CCID_OK || got != want + 2 || resp[want] != 0x90) {
		fprintf(stderr, "bench_proto: APDU: %s (%zu bytes)\n",
			ccid_strerror(err), got);
		return -1;
	}
	return now_us() - t0;
}

/* The same bytes in one bare XfrBlock round trip; µs, or < 0. */
static double one_floor(struct ccid_reader *r, const uint8_t *cmd,
			size_t clen, size_t want)
{
	static const uint8_t param[3] = { 0, 0, 0 };
	double t0 = now_us();
	struct ccid_reply rep;
	int err;

	pthread_mutex_lock(&r->io_lock);
	err = ccid_reader_command(r, PC_to_RDR_XfrBlock, 0, param, cmd, clen,
				  &rep, ccid_deadline_in(10000));
	pthread_mutex_unlock(&r->io_lock);
	if (err != CCID_OK || rep.dwLength != want + 2) {
		fprintf(stderr, "bench_proto: floor: %s\n", ccid_strerror(err));
		return -1;
	}
	return now_us() - t0;
}

static double *apdu_t, *floor_t;

/* Median APDU and floor times of one cell, measured in alternating
 * batches of BATCH so that both see the same load (other processes,
 * the other vreader still finishing its reply); one batch of each first
 * as warm-up. */
#define BATCH 10
static int measure_cell(struct ccid_reader *r, struct ccid_reader *fl,
			const uint8_t *cmd, size_t clen, size_t want,
			uint8_t *resp, long n, double *apdu, double *flo)
{
	for (long i = -BATCH; i < n; i += BATCH) {
		for (long k = i; k < i + BATCH && k < n; k++) {
			double a = one_apdu(r, cmd, clen, want, resp);

			if (a < 0)
				return -1;
			if (k >= 0)
				apdu_t[k] = a;
		}
		for (long k = i; k < i + BATCH && k < n; k++) {
			double f = one_floor(fl, cmd, clen, want);

			if (f < 0)
				return -1;
			if (k >= 0)
				floor_t[k] = f;
		}
	}
	*apdu = median(apdu_t, n);
	*flo = median(floor_t, n);
	return 0;
}

static int measure_row(const struct row *row, struct ccid_reader *fl,
		       const char *bin, long n, uint8_t *cmd, uint8_t *resp)
{
	const char *args[7] = { NULL };
	struct vr v;
	int rc = 0;

	memcpy(args, row->args, sizeof(row->args));
	if (vr_spawn(&v, bin, args) != 0 ||
	    vr_open(&v, row->proto[2] == '1') != CCID_OK) {
		vr_end(&v);
		return -1;
	}
	for (size_t s = 0; s < NSIZES; s++) {
		size_t clen = echo_apdu(sizes[s], cmd);
		double us, flo;
		bool own;

		if (row->short_only && clen > 261) {
			printf("%-4s %-11s %6zu  %10s  %9s  %10s  %-5s %6s\n",
			       row->proto, row->level, sizes[s],
			       "(extended)", "-", "-", "-", "-");
			continue;
		}
		/* the floor on the reader under test itself when one bare
		 * XfrBlock can carry the APDU there (APDU level, message
		 * fits); else on the companion reader with big messages (at
		 * TPDU level a bare XfrBlock would speak T=0/T=1 behind the
		 * engines' backs) */
		own = row->level[0] != 'T' &&
		      clen + 10 <= v.r->buf_cap && sizes[s] + 12 <= v.r->buf_cap;
		rc = measure_cell(v.r, own ? v.r : fl, cmd, clen, sizes[s],
				  resp, n, &us, &flo);
		if (rc != 0)
			break;
		/* command + response bytes moved per second (B/µs = MB/s) */
		printf("%-4s %-11s %6zu  %10.1f  %9.2f  %10.1f  %-5s %6.2f\n",
		       row->proto, row->level, sizes[s], us,
		       (double)(clen + sizes[s] + 2) / us, flo,
		       own ? "same" : "big", us / flo);
	}
	vr_end(&v);
	return rc;
}

int main(int argc, char **argv)
{
	const char *bin = argc > 1 ? argv[1] : getenv("CCIDKIT");
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : 300;
	uint8_t *cmd = malloc(RESP_MAX + 16), *resp = malloc(RESP_MAX);
	struct vr fl;
	int rc = 1;

	if (bin == NULL)
		bin = "./ccidkit";
	apdu_t = calloc((size_t)(n > 0 ? n : 1), sizeof(double));
	floor_t = calloc((size_t)(n > 0 ? n : 1), sizeof(double));
	if (n < 1 || !cmd || !resp || !apdu_t || !floor_t)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	setenv("CCIDKIT_LIBUSB", "0", 1);
	if (vr_spawn(&fl, bin, floor_args) == 0 && vr_open(&fl, -1) == CCID_OK) {
		printf("bench_proto: ECHO case 4 APDUs (L data bytes, Le = L), median of %ld per cell,\n"
		       "vreader over usbredir (unix socket), dwMaxCCIDMessageLength 271.\n"
		       "floor = the same bytes in one bare XfrBlock round trip (one bulk OUT + one bulk\n"
		       "IN), measured in alternating batches, on the same reader (\"same\") when one\n"
		       "message carries them there, else on a vreader with 65554-byte messages (\"big\").\n\n",
		       n);
		printf("%-4s %-11s %6s  %10s  %9s  %10s  %-5s %6s\n", "prot",
		       "level", "L", "APDU us", "MB/s", "floor us", "on",
		       "ratio");
		rc = 0;
		for (size_t i = 0; i < NROWS && rc == 0; i++)
			rc = measure_row(&rows[i], fl.r, bin, n, cmd, resp);
	}
	vr_end(&fl);
	free(cmd);
	free(resp);
	free(apdu_t);
	free(floor_t);
	return rc ? 1 : 0;
}
