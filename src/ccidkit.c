/* ccidkit — command-line entry point: dispatch to subcommands. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccid/trace.h"
#include "src/cli.h"
#include "src/vreader.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "list", cmd_list, "list readers, their slots and whether a card is present" },
	{ "info", cmd_info, "show a reader's USB identity and decoded CCID descriptor" },
	{ "atr", cmd_atr, "power the card on and show its ATR, decoded" },
	{ "apdu", cmd_apdu, "send APDUs to the card and show the responses" },
	{ "uid", cmd_uid, "show a contactless card's UID (PC/SC Part 3 GET DATA)" },
	{ "features", cmd_features, "show the reader's PC/SC Part 10 features, decoded" },
	{ "escape", cmd_escape, "send a vendor escape command to the reader" },
	{ "run", cmd_run, "run a program with ccidkit's libpcsclite.so.1 in front" },
	{ "vreader", vreader_main, "run a virtual USB CCID reader (usbredir) for tests" },
	{ "decode", cmd_decode, "decode the CCID traffic in a usbmon/USBPcap capture file" },
	{ "monitor", cmd_monitor, "show readers and cards coming and going, live" },
};

bool cli_show_secrets;

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: ccidkit COMMAND [OPTIONS] [ARGS]\n"
		"       ccidkit --help | --version\n"
		"       ccidkit [--trace SPEC] [--show-secrets] COMMAND [OPTIONS] [ARGS]\n"
		"\n"
		"A userspace smart-card stack for USB CCID readers.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
		"\n"
		"'ccidkit COMMAND --help' describes each command.\n"
		"\n"
		"Global options (before the command):\n"
		"  --trace SPEC      trace the traffic: text, text:PATH, pcap:PATH\n"
		"                    (comma-separated; as CCIDKIT_TRACE)\n"
		"  --show-secrets    show PIN data in traces and decodes (masked by default)\n"
		"\n"
		"Readers: every USB CCID reader this user may open, plus one virtual\n"
		"reader per endpoint in CCIDKIT_USBREDIR.\n"
		"\n"
		"Environment:\n"
		"  CCIDKIT_USBREDIR=unix:PATH,tcp:HOST:PORT  usbredir readers to use\n"
		"  CCIDKIT_LIBUSB=0     do not look for USB readers\n"
		"  CCIDKIT_DEBUG=1|2|3  log errors / info / debug and wire dumps to stderr\n"
		"  CCIDKIT_TIMEOUT=SEC  time limit of one reader operation (default 30)\n"
		"  CCIDKIT_TRACE=SPEC   trace the traffic (as --trace)\n"
		"\n"
		"Exit status: 0 ok, 1 other failure, 2 usage or malformed hex,\n"
		"3 no reader, 4 no card, 5 reader busy, 6 reader failed or vanished.\n");
}

/* --trace SPEC / --show-secrets: the trace is set up before the command
 * runs, so that every exchange of the command is in it (trace.h).  With
 * --show-secrets alone, CCIDKIT_TRACE (if any) is set up again with
 * show-secrets added.  For `run`, whose exchanges happen in the program
 * it starts, the SPEC is checked here (the files created) and handed to
 * that program as CCIDKIT_TRACE. */
static int setup_trace(const char *spec, const char *cmd)
{
	char *full = NULL;
	int err;

	if (spec == NULL)
		spec = getenv("CCIDKIT_TRACE");
	if (spec == NULL || *spec == '\0')
		return EXIT_OK;
	if (cli_show_secrets && asprintf(&full, "%s,show-secrets", spec) < 0) {
		fprintf(stderr, "ccidkit: out of memory\n");
		return EXIT_FAILURE_;
	}
	if (full != NULL)
		spec = full;
	/* ccid_trace_setup says on stderr what was wrong */
	err = ccid_trace_setup(spec);
	if (err == 0 && strcmp(cmd, "run") == 0) {
		ccid_trace_shutdown();
		if (setenv("CCIDKIT_TRACE", spec, 1) != 0)
			err = -1;
	}
	free(full);
	return err == 0 ? EXIT_OK : EXIT_USAGE;
}

/* Global options before the command; returns the index of the command, or
 * -1 after printing why (usage). */
static int global_opts(int argc, char **argv, const char **trace)
{
	int i = 1;

	while (i < argc && strncmp(argv[i], "--", 2) == 0) {
		if (strcmp(argv[i], "--show-secrets") == 0) {
			cli_show_secrets = true;
		} else if (strncmp(argv[i], "--trace=", 8) == 0) {
			*trace = argv[i] + 8;
		} else if (strcmp(argv[i], "--trace") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "ccidkit: --trace needs a SPEC (text, text:PATH, pcap:PATH)\n");
				return -1;
			}
			*trace = argv[++i];
		} else {
			break;
		}
		i++;
	}
	return i;
}

int main(int argc, char **argv)
{
	const char *trace = NULL;
	int first = global_opts(argc, argv, &trace), rc;

	if (first < 0)
		return EXIT_USAGE;
	if (first > 1) {
		if (first >= argc) {
			usage(stderr);
			return EXIT_USAGE;
		}
		rc = setup_trace(trace, argv[first]);
		if (rc != EXIT_OK)
			return rc;
		argc -= first - 1;
		argv += first - 1;
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("ccidkit %s\n", PACKAGE_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "ccidkit: unknown command '%s' (try 'ccidkit --help')\n",
		argv[1]);
	return EXIT_USAGE;
}
