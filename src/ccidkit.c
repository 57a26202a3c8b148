/* ccidkit — command-line entry point: dispatch to subcommands. */
#include "config.h"

#include <stdio.h>
#include <string.h>

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
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: ccidkit COMMAND [OPTIONS] [ARGS]\n"
		"       ccidkit --help | --version\n"
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
		"Readers: every USB CCID reader this user may open, plus one virtual\n"
		"reader per endpoint in CCIDKIT_USBREDIR.\n"
		"\n"
		"Environment:\n"
		"  CCIDKIT_USBREDIR=unix:PATH,tcp:HOST:PORT  usbredir readers to use\n"
		"  CCIDKIT_LIBUSB=0     do not look for USB readers\n"
		"  CCIDKIT_DEBUG=1|2|3  log errors / info / debug and wire dumps to stderr\n"
		"  CCIDKIT_TIMEOUT=SEC  time limit of one reader operation (default 30)\n"
		"\n"
		"Exit status: 0 ok, 1 other failure, 2 usage or malformed hex,\n"
		"3 no reader, 4 no card, 5 reader busy, 6 reader failed or vanished.\n");
}

int main(int argc, char **argv)
{
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
