/* ccidkit monitor — readers and cards coming and going, live.
 *
 * The watching manager (ccid/manager.h) keeps the reader list current and
 * bumps its generation at every change; this command waits on that
 * generation, takes a snapshot of every slot (ccid_reader_slot_state,
 * manager mu -> state_lock is allowed, ccid/THREADING.md), compares it
 * with the last one and prints one line per difference.  SIGINT/SIGTERM
 * are taken by a sigwait thread that wakes the waiting main thread. */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ccid/atr.h"
#include "ccid/clock.h"
#include "ccid/err.h"
#include "ccid/text.h"
#include "ccid/trace.h"
#include "src/cli.h"

static const char monitor_usage[] =
	"Usage: ccidkit monitor [OPTIONS]\n"
	"\n"
	"Show readers arriving and leaving and cards inserted, removed, powered\n"
	"and unpowered, one line each, until interrupted (Ctrl-C):\n"
	"  +0.000000 ccidkit Virtual Reader 00 00: reader found, card present\n"
	"  +2.401327 ccidkit Virtual Reader 00 00: card removed\n"
	"Time counts from the start of the command.\n"
	"\n"
	"Options:\n"
	"  -x, --exchanges       also show every exchange this process makes,\n"
	"                        decoded (other programs' exchanges: their own\n"
	"                        CCIDKIT_TRACE, or usbmon and 'ccidkit decode')\n"
	"      --show-secrets    show PIN data in those exchanges\n"
	"  -n, --count N         stop after N events\n"
	"  -t, --timeout SEC     stop after SEC seconds\n"
	"  -h, --help            this text\n"
	"\n"
	"Exit status: 0 interrupted, N events seen or timed out; 1 failure;\n"
	"2 usage.\n";

/* One slot as last seen. */
struct mon_slot {
	char name[CCID_READERNAME_MAX];
	struct ccid_slot_state st;
	bool seen;    /* matched in the newest snapshot */
};

struct mon {
	struct ccid_manager *m;
	struct timespec t0;
	unsigned long count, printed;
	bool stop;    /* under the manager lock: a signal came */
	bool quit;    /* the signal thread should end */
	sigset_t sigs;
	struct mon_slot *old, *cur;
	size_t nold, ncur;
};

static void mon_line(struct mon *mo, const char *name, const char *what,
		     const struct ccid_slot_state *st)
{
	struct timespec now;
	long long s, us;

	clock_gettime(CLOCK_MONOTONIC, &now);
	s = (long long)(now.tv_sec - mo->t0.tv_sec);
	us = (now.tv_nsec - mo->t0.tv_nsec) / 1000;
	if (us < 0) {
		s--;
		us += 1000000;
	}
	printf("+%lld.%06lld %s: %s", s, us, name, what);
	if (st != NULL) {
		struct ccid_text t;

		ccid_text_init(&t);
		ccid_text_hex(&t, st->atr, st->atr_len, 0);
		printf(", ATR %s", t.len ? t.buf : "");
		ccid_text_free(&t);
	}
	putchar('\n');
	fflush(stdout);
	mo->printed++;
}

/* What changed in one slot between two snapshots. */
static void mon_slot_diff(struct mon *mo, const struct mon_slot *o,
			  const struct mon_slot *n)
{
	const struct ccid_slot_state *a = &o->st, *b = &n->st;

	/* removed and inserted again between two looks */
	if (a->present && b->present && a->changes != b->changes)
		mon_line(mo, n->name, "card removed", NULL);
	if (a->present && !b->present) {
		mon_line(mo, n->name, "card removed", NULL);
		return;
	}
	if (b->present && (!a->present || a->changes != b->changes))
		mon_line(mo, n->name, "card inserted", NULL);
	if (a->power_epoch == b->power_epoch && a->powered == b->powered)
		return;
	if (b->powered)
		mon_line(mo, n->name, "card powered", b);
	else if (a->powered && a->changes == b->changes)
		mon_line(mo, n->name, "card unpowered", NULL);
}

/* Compare cur with old and print; first: the readers there at the start. */
static void mon_compare(struct mon *mo, bool first)
{
	for (size_t i = 0; i < mo->ncur; i++) {
		struct mon_slot *n = &mo->cur[i], *o = NULL;

		for (size_t k = 0; k < mo->nold && o == NULL; k++)
			if (!mo->old[k].seen && strcmp(mo->old[k].name, n->name) == 0)
				o = &mo->old[k];
		if (o != NULL) {
			o->seen = true;
			mon_slot_diff(mo, o, n);
			continue;
		}
		mon_line(mo, n->name, first ?
			 (n->st.present ? "reader found, card present" : "reader found, no card") :
			 (n->st.present ? "reader arrived, card present" : "reader arrived, no card"),
			 NULL);
		if (n->st.powered)
			mon_line(mo, n->name, "card powered", &n->st);
	}
	for (size_t k = 0; k < mo->nold; k++)
		if (!mo->old[k].seen)
			mon_line(mo, mo->old[k].name, "reader left", NULL);
}

/* Under the manager lock: every slot's state into cur (old keeps the
 * previous snapshot).  CCID_E_NOMEM. */
static int mon_snapshot(struct mon *mo)
{
	size_t n = ccid_manager_count(mo->m);
	struct mon_slot *s = calloc(n ? n : 1, sizeof(*s));

	if (s == NULL)
		return CCID_E_NOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct ccid_manager_entry *e = ccid_manager_entry(mo->m, i);

		snprintf(s[i].name, sizeof(s[i].name), "%s", e->name);
		if (ccid_reader_slot_state(e->reader, e->slot, &s[i].st, NULL) != CCID_OK)
			memset(&s[i].st, 0, sizeof(s[i].st));
	}
	free(mo->old);
	mo->old = mo->cur;
	mo->nold = mo->ncur;
	mo->cur = s;
	mo->ncur = n;
	return CCID_OK;
}

static void *mon_signals(void *arg)
{
	struct mon *mo = arg;
	int sig;

	for (;;) {
		if (sigwait(&mo->sigs, &sig) != 0)
			continue;
		ccid_manager_lock(mo->m);
		mo->stop = true;
		ccid_manager_broadcast(mo->m);
		if (mo->quit) {
			ccid_manager_unlock(mo->m);
			return NULL;
		}
		ccid_manager_unlock(mo->m);
	}
}

/* The watch loop: snapshot, print, wait for the next generation.  Ends at
 * a signal, after count events, or at the deadline. */
static int mon_loop(struct mon *mo, uint64_t deadline)
{
	uint64_t gen;
	bool first = true;
	int err = CCID_OK;

	ccid_manager_lock(mo->m);
	while (!mo->stop) {
		gen = ccid_manager_generation(mo->m);
		err = mon_snapshot(mo);
		if (err != CCID_OK)
			break;
		ccid_manager_unlock(mo->m);
		mon_compare(mo, first);
		first = false;
		ccid_manager_lock(mo->m);
		if (mo->count > 0 && mo->printed >= mo->count)
			break;
		while (!mo->stop && ccid_manager_generation(mo->m) == gen) {
			err = ccid_manager_wait(mo->m, deadline);
			if (err != CCID_OK)
				break;
		}
		if (err != CCID_OK)
			break;
	}
	ccid_manager_unlock(mo->m);
	return err == CCID_E_TIMEOUT || err == CCID_E_CANCELLED ? CCID_OK : err;
}

static int mon_opts(int argc, char **argv, bool *exch, bool *secrets,
		    unsigned long *count, unsigned long *timeout)
{
	static const struct option longopts[] = {
		{ "exchanges", no_argument, NULL, 'x' },
		{ "show-secrets", no_argument, NULL, 'S' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "xn:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'x':
			*exch = true;
			break;
		case 'S':
			*secrets = true;
			break;
		case 'n':
		case 't': {
			unsigned long v = strtoul(optarg, &end, 10);

			if (*optarg < '0' || *optarg > '9' || *end != '\0' || v == 0 ||
			    v > 1000000000ul) {
				fprintf(stderr, "ccidkit monitor: --%s wants a positive number, not '%s'\n",
					c == 'n' ? "count" : "timeout", optarg);
				return EXIT_USAGE;
			}
			*(c == 'n' ? count : timeout) = v;
			break;
		}
		case 'h':
			fputs(monitor_usage, stdout);
			return -1;
		default:
			fprintf(stderr, "ccidkit monitor: bad option '%s'\n%s",
				argv[optind - 1], monitor_usage);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ccidkit monitor: takes no arguments\n%s", monitor_usage);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* --exchanges: this process's own traffic as the text trace (trace.h).
 * The trace opens /dev/stdout afresh, in append mode; our own standard
 * output is put in append mode too, or, redirected to a file, each would
 * write at its own offset over the other's lines. */
static int mon_trace(bool secrets)
{
	int fl = fcntl(STDOUT_FILENO, F_GETFL), err;

	if (fl >= 0)
		(void)fcntl(STDOUT_FILENO, F_SETFL, fl | O_APPEND);
	err = ccid_trace_setup(secrets ? "text:/dev/stdout,show-secrets" :
			       "text:/dev/stdout");

	return err == CCID_OK ? EXIT_OK : EXIT_USAGE;
}

int cmd_monitor(int argc, char **argv)
{
	struct mon mo = { 0 };
	bool exch = false, secrets = cli_show_secrets;
	unsigned long timeout = 0;
	pthread_t th;
	int rc = mon_opts(argc, argv, &exch, &secrets, &mo.count, &timeout), err;

	if (rc != EXIT_OK)
		return rc < 0 ? EXIT_OK : rc;
	if (exch && (rc = mon_trace(secrets)) != EXIT_OK)
		return rc;
	/* blocked before any thread starts, so that every thread inherits
	 * the mask and only the sigwait thread takes them */
	sigemptyset(&mo.sigs);
	sigaddset(&mo.sigs, SIGINT);
	sigaddset(&mo.sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &mo.sigs, NULL);
	clock_gettime(CLOCK_MONOTONIC, &mo.t0);
	err = ccid_manager_new(cli_deadline(), &mo.m);
	if (err == CCID_OK)
		err = ccid_manager_watch(mo.m);
	if (err != CCID_OK) {
		ccid_manager_free(&mo.m);
		return cli_fail("cannot watch readers", err);
	}
	for (size_t i = 0; i < ccid_manager_problem_count(mo.m); i++)
		fprintf(stderr, "ccidkit: warning: %s\n", ccid_manager_problem(mo.m, i));
	if (pthread_create(&th, NULL, mon_signals, &mo) != 0) {
		ccid_manager_free(&mo.m);
		return cli_fail("cannot start", CCID_E_NOMEM);
	}
	err = mon_loop(&mo, timeout ? ccid_deadline_in((uint64_t)timeout * 1000u) :
		       CCID_DEADLINE_NEVER);
	ccid_manager_lock(mo.m);
	mo.quit = true;
	ccid_manager_unlock(mo.m);
	pthread_kill(th, SIGTERM);   /* blocked: sigwait in the thread takes it */
	pthread_join(th, NULL);
	ccid_manager_free(&mo.m);
	free(mo.old);
	free(mo.cur);
	if (exch)
		ccid_trace_shutdown();
	if (err != CCID_OK)
		return cli_fail("monitor", err);
	return EXIT_OK;
}
