/* ccidkit atr — power the card on, show the ATR decoded. */
#include "config.h"

#include <stdio.h>

#include "ccid/atr.h"
#include "ccid/ctls.h"
#include "ccid/err.h"
#include "ccid/quirks.h"
#include "ccid/slot.h"
#include "src/cli.h"
#include "src/hex.h"

static const char atr_usage[] =
	"Usage: ccidkit atr [-r READER]\n"
	"\n"
	"Power the card on (a cold reset) and print its Answer To Reset in hex,\n"
	"then decoded per ISO/IEC 7816-3: convention, interface bytes,\n"
	"protocols offered, Fi/Di, guard time, waiting times, IFSC,\n"
	"historical bytes and TCK; then, for the ATR a contactless reader gives\n"
	"a card, its PC/SC Part 3 meaning (storage card standard and name, or\n"
	"the ISO 14443-4 historical bytes).\n"
	"  -r, --reader READER  index from 'ccidkit list' or part of the name\n";

/* PC/SC Part 3 meaning of the ATR (ccid-spec.md §7).  The storage-card
 * form carries the PC/SC RID, so it speaks for itself; the ISO 14443-4
 * form (3B 8n 80 01 ...) is also what some contact cards send, so it is
 * only explained behind a reader known to be contactless. */
static void atr_print_part3(const struct ccid_manager_entry *e,
			    const uint8_t *raw, size_t len)
{
	const struct ccid_usb_info *u = &e->reader->tp->info;
	struct ccid_ctls_info ci;

	if (ccid_ctls_decode(raw, len, &ci) != CCID_OK)
		return;
	if (ci.kind == CCID_CTLS_ISO14443_4 &&
	    !(ccid_quirks_lookup(u->idVendor, u->idProduct, u->bcdDevice) &
	      CCID_QUIRK_PART3_FIRMWARE))
		return;
	ccid_ctls_print(&ci, stdout);
}

int cmd_atr(int argc, char **argv)
{
	struct ccid_manager *m;
	const struct ccid_manager_entry *e;
	uint8_t raw[CCID_ATR_MAX];
	struct ccid_atr atr;
	size_t len = 0;
	const char *sel;
	int argi, help, rc, err;

	rc = cli_reader_opts(argc, argv, atr_usage, &sel, &argi, &help);
	if (rc != EXIT_OK || help)
		return rc;
	if (argi != argc) {
		fprintf(stderr, "ccidkit atr: unexpected argument '%s'\n%s",
			argv[argi], atr_usage);
		return EXIT_USAGE;
	}
	m = cli_open_readers(&rc);
	if (m == NULL)
		return rc;
	e = cli_select(m, sel);
	if (e == NULL) {
		ccid_manager_free(&m);
		return EXIT_NO_READER;
	}
	err = ccid_slot_power_on(e->reader, e->slot, raw, sizeof(raw), &len,
				 cli_deadline());
	if (err != CCID_OK) {
		rc = cli_fail(e->name, err);
		ccid_manager_free(&m);
		return rc;
	}
	printf("Reader: %s\n", e->name);
	err = ccid_atr_parse(raw, len, &atr);
	if (err == CCID_OK) {
		ccid_atr_print(&atr, stdout); /* starts with the "ATR: " line */
		atr_print_part3(e, raw, len);
	} else {
		printf("ATR: ");
		hex_print(stdout, raw, len);
		printf("\n");
		fprintf(stderr, "ccidkit: this ATR cannot be decoded: %s\n",
			ccid_strerror(err));
		rc = EXIT_FAILURE_;
	}
	ccid_manager_free(&m);
	return rc;
}
