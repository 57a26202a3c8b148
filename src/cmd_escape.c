/* ccidkit escape — send a vendor command to the reader itself
 * (PC_to_RDR_Escape, CCID 1.1 §6.1.8) and show its answer. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "ccid/err.h"
#include "ccid/slot.h"
#include "src/cli.h"
#include "src/hex.h"

/* abData of an Escape is bounded by dwMaxCCIDMessageLength - 10, itself
 * a 32-bit field; 64 KiB covers every reader's vendor commands. */
#define ESCAPE_MAX 65536

static const char escape_usage[] =
	"Usage: ccidkit escape [-r READER] HEX\n"
	"\n"
	"Send HEX (the vendor command, hex digits; spaces allowed inside\n"
	"quotes) to the reader in a PC_to_RDR_Escape message and print the\n"
	"RDR_to_PC_Escape answer in hex on one line (an empty line when it\n"
	"carries no data).  No card is needed.  Escape commands are\n"
	"vendor-specific: readers that have none refuse them (exit 1).\n"
	"Example, against 'ccidkit vreader --escape': ccidkit escape 01\n"
	"  -r, --reader READER  index from 'ccidkit list' or part of the name\n";

static int escape_send(const struct ccid_manager_entry *e, const uint8_t *cmd,
		       size_t cmd_len)
{
	uint8_t *out = malloc(ESCAPE_MAX);
	size_t len = 0;
	int err;

	if (out == NULL)
		return cli_fail(e->name, CCID_E_NOMEM);
	err = ccid_slot_escape(e->reader, e->slot, cmd, cmd_len, out,
			       ESCAPE_MAX, &len, cli_deadline());
	if (err == CCID_OK) {
		hex_print(stdout, out, len);
		printf("\n");
	}
	free(out);
	if (err == CCID_E_NOT_SUPPORTED || err == CCID_E_CMD_FAILED) {
		/* CCID 1.1 §6.2.6: a reader without escape commands answers
		 * bError CMD_NOT_SUPPORTED (or refuses this one) */
		fprintf(stderr, "ccidkit: %s: the reader refused the escape command (%s)\n",
			e->name, ccid_strerror(err));
		return EXIT_FAILURE_;
	}
	return err == CCID_OK ? EXIT_OK : cli_fail(e->name, err);
}

int cmd_escape(int argc, char **argv)
{
	struct ccid_manager *m;
	const struct ccid_manager_entry *e;
	uint8_t *cmd;
	size_t cmd_len = 0;
	const char *sel, *why = NULL;
	int argi, help, rc;

	rc = cli_reader_opts(argc, argv, escape_usage, &sel, &argi, &help);
	if (rc != EXIT_OK || help)
		return rc;
	if (argc - argi != 1) {
		fprintf(stderr, "ccidkit escape: give exactly one HEX command\n%s",
			escape_usage);
		return EXIT_USAGE;
	}
	cmd = malloc(ESCAPE_MAX);
	if (cmd == NULL)
		return cli_fail("escape", CCID_E_NOMEM);
	if (hex_parse(argv[argi], cmd, ESCAPE_MAX, &cmd_len, &why) != 0) {
		fprintf(stderr, "ccidkit escape: malformed command '%s': %s\n",
			argv[argi], why);
		free(cmd);
		return EXIT_USAGE;
	}
	m = cli_open_readers(&rc);
	if (m != NULL) {
		e = cli_select(m, sel);
		rc = e == NULL ? EXIT_NO_READER : escape_send(e, cmd, cmd_len);
		ccid_manager_free(&m);
	}
	free(cmd);
	return rc;
}
