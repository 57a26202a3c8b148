/* ccidkit apdu — send APDUs, show responses with their status words. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "ccid/atr.h"
#include "ccid/err.h"
#include "ccid/pseudo_apdu.h"
#include "ccid/slot.h"
#include "ccid/sw.h"
#include "src/cli.h"
#include "src/hex.h"

/* The largest APDU: extended case 4, 4 + 3 + 65535 + 2 bytes. */
#define APDU_MAX (4 + 3 + 65535 + 2)
/* The largest response: 65536 data bytes + SW1 SW2. */
#define RESP_MAX (65536 + 2)
#define BYTES_PER_LINE 32

static const char apdu_usage[] =
	"Usage: ccidkit apdu [-r READER] HEX...\n"
	"\n"
	"Power the card on, then send each argument as one command APDU (hex\n"
	"digits; spaces allowed inside quotes) and print\n"
	"  > the command\n"
	"  < the response data, 32 bytes a line\n"
	"  SW: 90 00 (its ISO 7816-4 meaning)\n"
	"Example: ccidkit apdu '00 A4 04 00 08 F0 63 63 69 64 6B 69 74' '80 10 00 00 02 CA FE'\n"
	"  -r, --reader READER  index from 'ccidkit list' or part of the name\n";

struct apdu_list {
	uint8_t **buf;
	size_t *len;
	size_t n;
};

static void apdu_list_free(struct apdu_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->buf[i]);
	free(l->buf);
	free(l->len);
}

/* Parse every argument before touching the reader: a typo sends nothing. */
static int apdu_parse_all(int argc, char **argv, int argi, struct apdu_list *l)
{
	size_t n = (size_t)(argc - argi);

	l->n = 0;
	l->buf = calloc(n, sizeof(*l->buf));
	l->len = calloc(n, sizeof(*l->len));
	if (l->buf == NULL || l->len == NULL)
		return EXIT_FAILURE_;
	for (size_t i = 0; i < n; i++) {
		const char *why = NULL;

		l->buf[i] = malloc(APDU_MAX);
		if (l->buf[i] == NULL)
			return EXIT_FAILURE_;
		l->n++;
		if (hex_parse(argv[argi + (int)i], l->buf[i], APDU_MAX,
			      &l->len[i], &why) != 0) {
			fprintf(stderr, "ccidkit apdu: malformed APDU '%s': %s\n",
				argv[argi + (int)i], why);
			return EXIT_USAGE;
		}
		if (l->len[i] < 4) {
			fprintf(stderr, "ccidkit apdu: malformed APDU '%s': shorter than 4 bytes (CLA INS P1 P2)\n",
				argv[argi + (int)i]);
			return EXIT_USAGE;
		}
	}
	return EXIT_OK;
}

static void apdu_print_response(const uint8_t *resp, size_t len)
{
	char meaning[128];
	size_t data = len - 2;

	for (size_t off = 0; off < data; off += BYTES_PER_LINE) {
		size_t n = data - off < BYTES_PER_LINE ? data - off : BYTES_PER_LINE;

		printf("< ");
		hex_print(stdout, resp + off, n);
		printf("\n");
	}
	printf("SW: %02X %02X (%s)\n", resp[data], resp[data + 1],
	       ccid_sw_describe(resp[data], resp[data + 1], meaning,
				sizeof(meaning)));
}

/* The driver logs why only under CCIDKIT_DEBUG; the user deserves it now. */
static void apdu_explain_unsupported(const struct ccid_reader *r)
{
	if (r->level == CCID_LEVEL_SHORT_APDU)
		fprintf(stderr, "ccidkit: this reader exchanges only short APDUs (at most 255 bytes of data in, 256 out)\n");
	else if (r->level == CCID_LEVEL_TPDU)
		fprintf(stderr, "ccidkit: over T=0 an extended APDU needs ENVELOPE, which this card refuses\n");
}

static int apdu_exchange(const struct ccid_manager_entry *e,
			 const struct apdu_list *l)
{
	uint8_t atr[CCID_ATR_MAX];
	size_t atr_len, len;
	uint8_t *resp;
	int err;

	err = ccid_slot_power_on(e->reader, e->slot, atr, sizeof(atr), &atr_len,
				 cli_deadline());
	if (err != CCID_OK)
		return cli_fail(e->name, err);
	resp = malloc(RESP_MAX);
	if (resp == NULL)
		return cli_fail(e->name, CCID_E_NOMEM);
	for (size_t i = 0; i < l->n; i++) {
		printf("> ");
		hex_print(stdout, l->buf[i], l->len[i]);
		printf("\n");
		fflush(stdout);
		err = ccid_pseudo_transmit(e->reader, e->slot, l->buf[i],
					   l->len[i], resp, RESP_MAX, &len,
					   cli_deadline());
		if (err != CCID_OK) {
			free(resp);
			if (err == CCID_E_NOT_SUPPORTED)
				apdu_explain_unsupported(e->reader);
			return cli_fail(e->name, err);
		}
		if (len < 2) { /* slot.c promises SW1 SW2; never trust it blindly */
			free(resp);
			return cli_fail(e->name, CCID_E_PROTO);
		}
		apdu_print_response(resp, len);
	}
	free(resp);
	return EXIT_OK;
}

int cmd_apdu(int argc, char **argv)
{
	struct apdu_list list = { 0 };
	struct ccid_manager *m;
	const struct ccid_manager_entry *e;
	const char *sel;
	int argi, help, rc;

	rc = cli_reader_opts(argc, argv, apdu_usage, &sel, &argi, &help);
	if (rc != EXIT_OK || help)
		return rc;
	if (argi == argc) {
		fprintf(stderr, "ccidkit apdu: give at least one APDU\n%s", apdu_usage);
		return EXIT_USAGE;
	}
	rc = apdu_parse_all(argc, argv, argi, &list);
	if (rc != EXIT_OK) {
		apdu_list_free(&list);
		return rc;
	}
	m = cli_open_readers(&rc);
	if (m == NULL) {
		apdu_list_free(&list);
		return rc;
	}
	e = cli_select(m, sel);
	rc = e == NULL ? EXIT_NO_READER : apdu_exchange(e, &list);
	ccid_manager_free(&m);
	apdu_list_free(&list);
	return rc;
}
