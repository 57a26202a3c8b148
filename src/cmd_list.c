/* ccidkit list — readers, slots, card presence. */
#include "config.h"

#include <stdio.h>

#include "ccid/err.h"
#include "ccid/slot.h"
#include "src/cli.h"

static const char list_usage[] =
	"Usage: ccidkit list\n"
	"\n"
	"List every reader slot as a PC/SC reader name with its index, and\n"
	"whether a card is in it:\n"
	"  0: ccidkit Virtual Reader 00 00: card present\n"
	"The index or any part of the name selects a reader with -r in the\n"
	"other commands.\n";

int cmd_list(int argc, char **argv)
{
	struct ccid_manager *m;
	const char *sel;
	int argi, help, rc;

	rc = cli_reader_opts(argc, argv, list_usage, &sel, &argi, &help);
	if (rc != EXIT_OK || help)
		return rc;
	if (argi != argc || sel != NULL) {
		fprintf(stderr, "ccidkit list: takes no arguments\n%s", list_usage);
		return EXIT_USAGE;
	}
	m = cli_open_readers(&rc);
	if (m == NULL)
		return rc;
	for (size_t i = 0; i < ccid_manager_count(m); i++) {
		const struct ccid_manager_entry *e = ccid_manager_entry(m, i);
		enum ccid_icc_status st;
		int err = ccid_slot_get_status(e->reader, e->slot, &st,
					       cli_deadline());

		if (err != CCID_OK) {
			printf("%zu: %s: error: %s\n", i, e->name, ccid_strerror(err));
			rc = EXIT_TRANSPORT;
			continue;
		}
		printf("%zu: %s: %s\n", i, e->name,
		       st == CCID_ICC_ACTIVE ? "card present, powered" :
		       st == CCID_ICC_INACTIVE ? "card present" : "no card");
	}
	ccid_manager_free(&m);
	return rc;
}
