/* ccidkit — the command-line tool: shared helpers and subcommands. */
#ifndef CCIDKIT_CLI_H
#define CCIDKIT_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "ccid/manager.h"

/* Exit codes, documented in `ccidkit --help`. */
enum cli_exit {
	EXIT_OK = 0,
	EXIT_FAILURE_ = 1,   /* anything else */
	EXIT_USAGE = 2,      /* bad command line or malformed hex */
	EXIT_NO_READER = 3,  /* no reader found, or -r matches none */
	EXIT_NO_CARD = 4,    /* no card in the reader */
	EXIT_BUSY = 5,       /* reader busy / in use by another program */
	EXIT_TRANSPORT = 6,  /* the reader stopped answering, vanished, or answered garbage */
};

/* --show-secrets given before the command (ccidkit.c): PIN data in clear
 * in traces, `decode` and `monitor`. */
extern bool cli_show_secrets;

/* Seconds a CLI command may take for one operation (CCIDKIT_TIMEOUT). */
uint64_t cli_deadline(void);

/* Open the reader list; when there is no reader, prints why, sets *rc
 * (EXIT_NO_READER, or EXIT_BUSY when a reader exists but is busy) and
 * returns NULL. */
struct ccid_manager *cli_open_readers(int *rc);
/* Pick the entry named by sel (index, or substring of the name; NULL means
 * the first one).  Prints why and returns NULL when none or ambiguous. */
const struct ccid_manager_entry *cli_select(struct ccid_manager *m,
					    const char *sel);
/* Print "ccidkit: WHAT: reason" for a driver error, return the exit code. */
int cli_fail(const char *what, int err);
/* Parse "-r READER" / "--reader READER" / "-h" style options shared by the
 * reader commands.  Returns 0, or an exit code after printing usage;
 * *argi is the index of the first operand. */
int cli_reader_opts(int argc, char **argv, const char *usage,
		    const char **sel, int *argi, int *help);

int cmd_list(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_atr(int argc, char **argv);
int cmd_apdu(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_uid(int argc, char **argv);
int cmd_features(int argc, char **argv);
int cmd_escape(int argc, char **argv);
int cmd_decode(int argc, char **argv);
int cmd_monitor(int argc, char **argv);

#endif
