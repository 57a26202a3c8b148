/* ccidkit features — the PC/SC Part 10 reader features that SCardControl
 * (CM_IOCTL_GET_FEATURE_REQUEST) offers for a reader, decoded, from the
 * same code as the library (ccid/features.h). */
#include "config.h"

#include <stdio.h>

#include "ccid/err.h"
#include "ccid/features.h"
#include "src/cli.h"

/* Part 10 knows about 20 feature tags; room for all of them. */
#define FEATURES_MAX 32
/* The TLV properties are a dozen small values and a firmware string. */
#define PROPS_MAX 512

static const char features_usage[] =
	"Usage: ccidkit features [-r READER]\n"
	"\n"
	"Show the PC/SC Part 10 features the library offers for the reader\n"
	"through SCardControl(CM_IOCTL_GET_FEATURE_REQUEST): each feature's\n"
	"name, tag and the control code to pass to SCardControl; then the\n"
	"FEATURE_GET_TLV_PROPERTIES values decoded (vendor and product ids,\n"
	"PIN sizes, largest APDU...), and the PIN_PROPERTIES_STRUCTURE of\n"
	"FEATURE_IFD_PIN_PROPERTIES when the reader has a PIN pad.\n"
	"No card is needed.\n"
	"  -r, --reader READER  index from 'ccidkit list' or part of the name\n";

enum prop_fmt { PROP_HEX, PROP_DEC, PROP_STR };

/* GET_TLV_PROPERTIES tags (Part 10 §2.6.14; ccid-spec.md §9). */
static const struct {
	uint8_t tag;
	const char *name;
	enum prop_fmt fmt;
} prop_names[] = {
	{ 0x01, "wLcdLayout", PROP_HEX },
	{ 0x02, "bEntryValidationCondition", PROP_HEX },
	{ 0x03, "bTimeOut2", PROP_DEC },
	{ 0x04, "wLcdMaxCharacters", PROP_DEC },
	{ 0x05, "wLcdMaxLines", PROP_DEC },
	{ 0x06, "bMinPINSize", PROP_DEC },
	{ 0x07, "bMaxPINSize", PROP_DEC },
	{ 0x08, "sFirmwareID", PROP_STR },
	{ 0x09, "bPPDUSupport", PROP_HEX },
	{ 0x0A, "dwMaxAPDUDataSize", PROP_DEC },
	{ 0x0B, "wIdVendor", PROP_HEX },
	{ 0x0C, "wIdProduct", PROP_HEX },
};

static void print_prop_value(enum prop_fmt fmt, const uint8_t *v, size_t len)
{
	uint32_t x = 0;

	if (fmt == PROP_STR || len > 4) {
		putchar('"');
		for (size_t i = 0; i < len; i++)
			if (v[i] >= 0x20 && v[i] < 0x7F && v[i] != '"' && v[i] != '\\')
				putchar(v[i]);
			else
				printf("\\x%02X", v[i]);
		putchar('"');
		return;
	}
	for (size_t i = len; i-- > 0;) /* little-endian (Part 10 §2.6.14) */
		x = x << 8 | v[i];
	if (fmt == PROP_DEC)
		printf("%u", (unsigned)x);
	else
		printf("0x%0*X", (int)(len * 2), (unsigned)x);
}

/* Walk the tag/length/value list, refusing a length that overruns it. */
static int print_props(const uint8_t *p, size_t len)
{
	size_t off = 0;

	printf("TLV properties (FEATURE_GET_TLV_PROPERTIES):\n");
	while (off < len) {
		const char *name = "unknown property";
		enum prop_fmt fmt = PROP_HEX;

		if (len - off < 2 || p[off + 1] > len - off - 2) {
			fprintf(stderr, "ccidkit: malformed TLV properties at byte %zu\n",
				off);
			return EXIT_FAILURE_;
		}
		for (size_t i = 0; i < sizeof(prop_names) / sizeof(prop_names[0]); i++)
			if (prop_names[i].tag == p[off]) {
				name = prop_names[i].name;
				fmt = prop_names[i].fmt;
			}
		printf("  %s (tag 0x%02X): ", name, p[off]);
		print_prop_value(fmt, p + off + 2, p[off + 1]);
		printf("\n");
		off += 2u + p[off + 1];
	}
	return EXIT_OK;
}

/* bEntryValidationCondition bits (Part 10 §2.5.2): what ends PIN entry. */
static void print_validation(uint8_t v)
{
	static const char *const bits[] = {
		"maximum size reached", "validation key pressed", "timeout",
	};
	const char *sep = " (";

	for (unsigned i = 0; i < 3; i++)
		if (v & (1u << i)) {
			printf("%s%s", sep, bits[i]);
			sep = ", ";
		}
	if (*sep == ',')
		printf(")");
}

/* PIN_PROPERTIES_STRUCTURE (Part 10 §2.6.8): wLcdLayout (LE),
 * bEntryValidationCondition, bTimeOut2. */
static int print_pin_props(const struct ccid_reader *r, const char *name)
{
	uint8_t p[16];
	size_t len = 0;
	int err = ccid_features_pin_properties(r, p, sizeof(p), &len);
	unsigned layout;

	if (err != CCID_OK)
		return cli_fail(name, err);
	if (len < 4) {
		fprintf(stderr, "ccidkit: PIN properties too short (%zu bytes)\n", len);
		return EXIT_FAILURE_;
	}
	layout = (unsigned)p[0] | (unsigned)p[1] << 8;
	printf("PIN properties (FEATURE_IFD_PIN_PROPERTIES):\n");
	if (layout == 0)
		printf("  wLcdLayout: 0x0000 (no display)\n");
	else
		printf("  wLcdLayout: 0x%04X (%u lines of %u characters)\n",
		       layout, layout >> 8, layout & 0xFF);
	printf("  bEntryValidationCondition: 0x%02X", p[2]);
	print_validation(p[2]);
	printf("\n");
	printf("  bTimeOut2: %u\n", p[3]);
	return EXIT_OK;
}

static int features_show(const struct ccid_manager_entry *e)
{
	struct ccid_feature f[FEATURES_MAX];
	uint8_t props[PROPS_MAX];
	size_t n = 0, plen = 0;
	int err, rc, pin = 0;

	err = ccid_features_list(e->reader, f, FEATURES_MAX, &n);
	if (err != CCID_OK)
		return cli_fail(e->name, err);
	printf("Reader: %s\n", e->name);
	printf("Features (CM_IOCTL_GET_FEATURE_REQUEST):\n");
	for (size_t i = 0; i < n && i < FEATURES_MAX; i++) {
		printf("  %s: tag 0x%02X, control code 0x%08X\n",
		       ccid_feature_name(f[i].tag), f[i].tag,
		       (unsigned)f[i].control_code);
		pin |= f[i].tag == CCID_FEATURE_IFD_PIN_PROPERTIES;
	}
	err = ccid_features_tlv_properties(e->reader, props, sizeof(props), &plen);
	if (err != CCID_OK)
		return cli_fail(e->name, err);
	rc = print_props(props, plen);
	if (rc == EXIT_OK && pin)
		rc = print_pin_props(e->reader, e->name);
	return rc;
}

int cmd_features(int argc, char **argv)
{
	struct ccid_manager *m;
	const struct ccid_manager_entry *e;
	const char *sel;
	int argi, help, rc;

	rc = cli_reader_opts(argc, argv, features_usage, &sel, &argi, &help);
	if (rc != EXIT_OK || help)
		return rc;
	if (argi != argc) {
		fprintf(stderr, "ccidkit features: unexpected argument '%s'\n%s",
			argv[argi], features_usage);
		return EXIT_USAGE;
	}
	m = cli_open_readers(&rc);
	if (m == NULL)
		return rc;
	e = cli_select(m, sel);
	rc = e == NULL ? EXIT_NO_READER : features_show(e);
	ccid_manager_free(&m);
	return rc;
}
