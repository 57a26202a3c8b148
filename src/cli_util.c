/* ccidkit — helpers shared by the reader subcommands. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccid/clock.h"
#include "ccid/err.h"
#include "src/cli.h"

uint64_t cli_deadline(void)
{
	const char *env = getenv("CCIDKIT_TIMEOUT");
	unsigned long seconds = 30;

	if (env != NULL && *env != '\0') {
		char *end;
		unsigned long v = strtoul(env, &end, 10);

		if (*end == '\0' && v > 0 && v < 86400)
			seconds = v;
	}
	return ccid_deadline_in((uint64_t)seconds * 1000u);
}

struct ccid_manager *cli_open_readers(int *rc)
{
	struct ccid_manager *m = NULL;
	int err = ccid_manager_new(cli_deadline(), &m);

	if (err != CCID_OK) {
		fprintf(stderr, "ccidkit: cannot list readers: %s\n",
			ccid_strerror(err));
		*rc = EXIT_FAILURE_;
		return NULL;
	}
	*rc = EXIT_NO_READER;
	for (size_t i = 0; i < ccid_manager_problem_count(m); i++) {
		fprintf(stderr, "ccidkit: warning: %s\n",
			ccid_manager_problem(m, i));
		if (ccid_manager_problem_err(m, i) == CCID_E_BUSY)
			*rc = EXIT_BUSY;
	}
	if (ccid_manager_count(m) == 0) {
		if (*rc == EXIT_BUSY)
			fprintf(stderr, "ccidkit: no reader available: busy (in use by another program)\n");
		else
			fprintf(stderr, "ccidkit: no reader found%s\n",
				getenv("CCIDKIT_USBREDIR") ? "" :
				" (no USB CCID reader; for a virtual one set CCIDKIT_USBREDIR, see 'ccidkit vreader --help')");
		ccid_manager_free(&m);
		return NULL;
	}
	*rc = EXIT_OK;
	return m;
}

static int cli_is_index(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

const struct ccid_manager_entry *cli_select(struct ccid_manager *m,
					    const char *sel)
{
	const struct ccid_manager_entry *found = NULL;
	size_t n = ccid_manager_count(m);

	if (sel == NULL)
		return ccid_manager_entry(m, 0);
	if (cli_is_index(sel)) {
		unsigned long i = strtoul(sel, NULL, 10);

		if (i < n)
			return ccid_manager_entry(m, i);
		fprintf(stderr, "ccidkit: no reader number %s (there %s %zu; see 'ccidkit list')\n",
			sel, n == 1 ? "is" : "are", n);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const struct ccid_manager_entry *e = ccid_manager_entry(m, i);

		if (strstr(e->name, sel) == NULL)
			continue;
		if (found != NULL) {
			fprintf(stderr, "ccidkit: '%s' matches several readers: '%s' and '%s'\n",
				sel, found->name, e->name);
			return NULL;
		}
		found = e;
	}
	if (found == NULL)
		fprintf(stderr, "ccidkit: no reader name contains '%s' (see 'ccidkit list')\n",
			sel);
	return found;
}

int cli_fail(const char *what, int err)
{
	fprintf(stderr, "ccidkit: %s: %s\n", what, ccid_strerror(err));
	switch (err) {
	case CCID_E_NO_CARD:
		return EXIT_NO_CARD;
	case CCID_E_BUSY:
		return EXIT_BUSY;
	case CCID_E_NOT_FOUND:
		return EXIT_NO_READER;
	case CCID_E_NO_DEVICE:
	case CCID_E_IO:
	case CCID_E_TIMEOUT:
	case CCID_E_PROTO:
	case CCID_E_STALL:
	case CCID_E_HW:
		return EXIT_TRANSPORT;
	default:
		return EXIT_FAILURE_;
	}
}

int cli_reader_opts(int argc, char **argv, const char *usage,
		    const char **sel, int *argi, int *help)
{
	static const struct option longopts[] = {
		{ "reader", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*sel = NULL;
	*help = 0;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "r:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			*sel = optarg;
			break;
		case 'h':
			*help = 1;
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			fprintf(stderr, "ccidkit %s: bad option '%s'\n%s", argv[0],
				argv[optind - 1], usage);
			return EXIT_USAGE;
		}
	}
	*argi = optind;
	return EXIT_OK;
}
