/* ccidkit info — a reader's USB identity and decoded CCID descriptor. */
#include "config.h"

#include <stdio.h>

#include "ccid/desc.h"
#include "src/cli.h"

static const char info_usage[] =
	"Usage: ccidkit info [-r READER]\n"
	"\n"
	"Show the USB identity of the reader (all readers without -r) and its\n"
	"CCID class descriptor, decoded: exchange level, protocols, voltages,\n"
	"clock and data rates, maximum message length, features.\n"
	"  -r, --reader READER  index from 'ccidkit list' or part of the name\n";

static const char *or_none(const char *s)
{
	return s[0] ? s : "(none)";
}

static void info_print(const struct ccid_manager_entry *e)
{
	const struct ccid_reader *r = e->reader;
	const struct ccid_usb_info *u = &r->tp->info;

	printf("Reader: %s\n", e->name);
	printf("  transport: %s\n", r->tp->ops->name);
	printf("  location: %s\n", u->location);
	printf("  idVendor: 0x%04X\n", u->idVendor);
	printf("  idProduct: 0x%04X\n", u->idProduct);
	printf("  bcdDevice: 0x%04X\n", u->bcdDevice);
	printf("  manufacturer: %s\n", or_none(u->manufacturer));
	printf("  product: %s\n", or_none(u->product));
	printf("  serial: %s\n", or_none(u->serial));
	printf("  interface: %s\n", or_none(u->interface));
	printf("  bInterfaceNumber: %u\n", u->bInterfaceNumber);
	printf("  interrupt endpoint: %s\n", u->has_interrupt ? "yes" : "no");
	printf("  slots: %u\n", r->nslots);
	printf("CCID class descriptor:\n");
	ccid_desc_print(&r->desc, stdout);
}

int cmd_info(int argc, char **argv)
{
	struct ccid_manager *m;
	const struct ccid_manager_entry *e;
	const char *sel;
	int argi, help, rc;

	rc = cli_reader_opts(argc, argv, info_usage, &sel, &argi, &help);
	if (rc != EXIT_OK || help)
		return rc;
	if (argi != argc) {
		fprintf(stderr, "ccidkit info: unexpected argument '%s'\n%s",
			argv[argi], info_usage);
		return EXIT_USAGE;
	}
	m = cli_open_readers(&rc);
	if (m == NULL)
		return rc;
	if (sel != NULL) {
		e = cli_select(m, sel);
		if (e == NULL)
			rc = EXIT_NO_READER;
		else
			info_print(e);
	} else {
		/* one block per CCID reader, not per slot */
		for (size_t i = 0; i < ccid_manager_count(m); i++) {
			e = ccid_manager_entry(m, i);
			if (e->slot == 0)
				info_print(e);
		}
	}
	ccid_manager_free(&m);
	return rc;
}
