/* ccidkit uid — the UID of a contactless card: PC/SC Part 3 GET DATA
 * (FF CA 00 00 00) through the driver's pseudo-APDU router. */
#include "config.h"

#include <stdio.h>

#include "ccid/atr.h"
#include "ccid/err.h"
#include "ccid/pseudo_apdu.h"
#include "ccid/slot.h"
#include "ccid/sw.h"
#include "src/cli.h"
#include "src/hex.h"

/* A 10-byte type A UID is the longest identifier Part 3 GET DATA gives;
 * the room is generous so that a chatty reader does not overflow. */
#define UID_RESP_MAX 258

static const char uid_usage[] =
	"Usage: ccidkit uid [-r READER]\n"
	"\n"
	"Power the card on and send the PC/SC Part 3 pseudo-APDU GET DATA\n"
	"(FF CA 00 00 00) that contactless readers answer with the card's UID\n"
	"(type A: 4, 7 or 10 bytes; type B: PUPI), then print it:\n"
	"  UID: 04 A2 2B 1C\n"
	"Contact cards have no UID: the driver answers SW 6A 81 for them\n"
	"(function not supported) rather than send FF CA to the card.\n"
	"Exit status 1 when the reader or card answers with an error status.\n"
	"  -r, --reader READER  index from 'ccidkit list' or part of the name\n";

/* GET DATA was answered with an error status word: say what it means for
 * someone who wanted a UID, not only what ISO 7816-4 calls it. */
static int uid_explain(const char *reader, uint8_t sw1, uint8_t sw2)
{
	char meaning[128];
	const char *why;

	ccid_sw_describe(sw1, sw2, meaning, sizeof(meaning));
	if (sw1 == 0x6A && sw2 == 0x81)
		why = "this card has no UID (contact card?)";
	else if (sw1 == 0x63 && sw2 == 0x00)
		why = "the reader could not read the UID";
	else
		why = "GET DATA (UID) failed";
	fprintf(stderr, "ccidkit: %s: %s: SW %02X %02X (%s)\n", reader, why,
		sw1, sw2, meaning);
	return EXIT_FAILURE_;
}

static int uid_read(const struct ccid_manager_entry *e)
{
	static const uint8_t get_uid[] = { 0xFF, 0xCA, 0x00, 0x00, 0x00 };
	uint8_t atr[CCID_ATR_MAX], resp[UID_RESP_MAX];
	size_t atr_len, len = 0;
	int err;

	err = ccid_slot_power_on(e->reader, e->slot, atr, sizeof(atr), &atr_len,
				 cli_deadline());
	if (err != CCID_OK)
		return cli_fail(e->name, err);
	err = ccid_pseudo_transmit(e->reader, e->slot, get_uid, sizeof(get_uid),
				   resp, sizeof(resp), &len, cli_deadline());
	if (err != CCID_OK)
		return cli_fail(e->name, err);
	if (len < 2) /* the router promises SW1 SW2; never trust it blindly */
		return cli_fail(e->name, CCID_E_PROTO);
	if (resp[len - 2] != 0x90 || resp[len - 1] != 0x00)
		return uid_explain(e->name, resp[len - 2], resp[len - 1]);
	if (len == 2) {
		fprintf(stderr, "ccidkit: %s: GET DATA (UID) returned no bytes\n",
			e->name);
		return EXIT_FAILURE_;
	}
	printf("UID: ");
	hex_print(stdout, resp, len - 2);
	printf("\n");
	return EXIT_OK;
}

int cmd_uid(int argc, char **argv)
{
	struct ccid_manager *m;
	const struct ccid_manager_entry *e;
	const char *sel;
	int argi, help, rc;

	rc = cli_reader_opts(argc, argv, uid_usage, &sel, &argi, &help);
	if (rc != EXIT_OK || help)
		return rc;
	if (argi != argc) {
		fprintf(stderr, "ccidkit uid: unexpected argument '%s'\n%s",
			argv[argi], uid_usage);
		return EXIT_USAGE;
	}
	m = cli_open_readers(&rc);
	if (m == NULL)
		return rc;
	e = cli_select(m, sel);
	rc = e == NULL ? EXIT_NO_READER : uid_read(e);
	ccid_manager_free(&m);
	return rc;
}
