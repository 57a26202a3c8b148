/* ccidkit — `ccidkit vreader`: options, the listening socket and the poll
 * loop over the socket, standard input and signals (see vreader.h). */
#include "config.h"
#include "src/vreader.h"
#include "src/vr_card.h"
#include "src/vr_ccid.h"
#include "src/vr_ctls.h"
#include "src/vr_usb.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int vr_verbose;

void vr_logf(int verbose, const char *fmt, ...)
{
	va_list ap;

	if (verbose && !vr_verbose)
		return;
	va_start(ap, fmt);
	fputs("vreader: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

struct vr_opts {
	const char *listen;
	struct vr_ccid_config ccid;
	struct vr_usb_config usb;
	bool no_card;
	bool card_set, pid_set, product_set;	/* the model's defaults yield */
};

static const char usage_text[] =
"Usage: ccidkit vreader --listen unix:PATH|tcp:HOST:PORT [options]\n"
"\n"
"A virtual USB CCID smart-card reader: the device side of usbredir (the\n"
"usb-host role), for `ccidkit` (CCIDKIT_USBREDIR) or QEMU's\n"
"`-device usb-redir,chardev=...`. Prints `ready` on stdout once listening.\n"
"Serves one client at a time (a second one is hung up on at once); when it\n"
"disconnects the slots are powered down (cards stay) and the next client is\n"
"accepted.\n"
"\n"
"options:\n"
"  --listen unix:PATH | tcp:HOST:PORT  where to listen (required); a stale\n"
"                         socket file at PATH is replaced, and removed on exit\n"
"  --level character|tpdu|short|extended   exchange level in dwFeatures\n"
"                         (default extended). tpdu: XfrBlock carries one T=0\n"
"                         TPDU or one T=1 block (below); character: XfrBlock\n"
"                         fails with bError 0 (not implemented)\n"
"  --reader contact|contactless|pinpad   the reader model (default contact):\n"
"                         contactless: PC/SC Part 3 firmware (CLA FF\n"
"                         pseudo-APDUs, synthesised ATRs, below), default\n"
"                         1209:0002 \"Virtual Contactless Reader\", card\n"
"                         mifare-classic-1k; pinpad: bPINSupport 03 (verify,\n"
"                         modify), PC_to_RDR_Secure (below), default\n"
"                         1209:0003 \"Virtual PIN-pad Reader\". Both need\n"
"                         --level short or extended\n"
"  --vid HEX --pid HEX    idVendor/idProduct (default 1209:0001)\n"
"  --bcd HEX              bcdDevice (default 0100)\n"
"  --manufacturer STR     iManufacturer (default \"ccidkit\")\n"
"  --product STR          iProduct (default \"Virtual Reader\")\n"
"  --serial STR           iSerialNumber (default none)\n"
"  --interface-name STR   iInterface (default none)\n"
"  --max-msg N            dwMaxCCIDMessageLength, 64..65554 (default 271;\n"
"                         at least 271 for the short and extended levels)\n"
"  --slots N              number of slots, 1..8 (default 1)\n"
"  --card NAME            card in every slot at start: test (T=1, default)\n"
"                         or test-t0 (T=0 only); with --reader contactless:\n"
"                         mifare-classic-1k (default), mifare-classic-4k,\n"
"                         mifare-ultralight or iso14443-4\n"
"  --uid HEX              the contactless card's UID: 4 or 7 bytes (7 for\n"
"                         Ultralight); default 12345678 for MIFARE Classic,\n"
"                         04A1B2C3D4E5F6 for Ultralight and iso14443-4\n"
"  --card-pin DIGITS      the test card's PIN, 4..12 digits (default 1234)\n"
"  --pin DIGITS           pinpad: the PIN the simulated user types at every\n"
"                         PIN entry (default: the user presses Cancel, the\n"
"                         Secure command fails with bError EF PIN_CANCELLED)\n"
"  --new-pin DIGITS       pinpad: the new PIN typed (twice) for a modify\n"
"                         (default: the --pin digits)\n"
"  --pin-timeout          pinpad: the user types nothing: bError F0\n"
"                         (PIN_TIMEOUT)\n"
"  --lcd-layout HEX       pinpad: wLcdLayout, lines << 8 | columns\n"
"                         (default 0210)\n"
"  --escape               answer PC_to_RDR_Escape: `01` -> the ASCII text\n"
"                         \"ccidkit-vreader 1\"; any other data D (also\n"
"                         none) -> EC || D. Without it Escape fails with\n"
"                         bError 00 (command not supported)\n"
"  --no-card              start with empty slots\n"
"  --no-auto-voltage      clear dwFeatures 0x08 (automatic voltage selection)\n"
"  --card-voltage 5|3|1.8 highest voltage the card accepts (default 5): a\n"
"                         PowerOn at a higher voltage fails with bError F5\n"
"  --time-extension N     N time-extension replies before each XfrBlock answer\n"
"  --ifsc N               the T=1 card's IFSC, 1..254 (default 254), in its\n"
"                         ATR's TA3 (the TCK follows)\n"
"  --t1-crc               the T=1 card uses CRC, not LRC (ATR gets TC3 = 01)\n"
"  --envelope on|off      the T=0 card takes ENVELOPE (INS C2; default on)\n"
"  --no-auto-pps          clear dwFeatures 0x80: at TPDU level the host sends\n"
"                         PPS as the first XfrBlock after PowerOn (FF PPS0 ..)\n"
"  --no-auto-param        clear dwFeatures 0x02 (parameters from the ATR)\n"
"  --auto-negotiate       set dwFeatures 0x40 (the reader negotiates alone;\n"
"                         no PPS is taken from the host then)\n"
"  --auto-ifsd            set dwFeatures 0x400 (the reader sends S(IFS))\n"
"  --fault SPEC           inject a fault; repeatable; counts add up and are\n"
"                         used up by the next operations (faults survive a\n"
"                         reconnection):\n"
"      bad-edc[:N]        the T=1 card's next N blocks have a wrong EDC\n"
"      lose-block[:N]     the next N XfrBlocks get no answer at all (a card\n"
"                         the reader waits for forever); the host must abort:\n"
"                         PC_to_RDR_Abort answers the lost XfrBlock with\n"
"                         bError FF (CMD_ABORTED), then its own SlotStatus\n"
"      wtx:N              the T=1 card sends N S(WTX request) (INF 02), each\n"
"                         to be answered S(WTX response), before its answer\n"
"                         to the next command\n"
"      mute[:N]           the card does not answer: PowerOn and XfrBlock fail\n"
"                         with bError FE (ICC_MUTE); for ever without N\n"
"      bad-procedure[:N]  T=0: the next N TPDUs fail with bError F4\n"
"                         (PROCEDURE_BYTE_CONFLICT)\n"
"      pps-refused        the next PPS is answered FF PPS0 PCK without PPS1\n"
"                         (default speed kept)\n"
"      wrong-bseq[:N]     the next N replies are preceded by a stale one (the\n"
"                         same header with bSeq - 1, no data)\n"
"      split[:N]          the next N replies come in several bulk-IN\n"
"                         transfers (64 bytes each; halves when shorter)\n"
"      short[:N]          the next N replies are cut: half their data (half\n"
"                         the header when they have none)\n"
"      stall[:N]          the next N bulk-IN transfers that would start a\n"
"                         reply end in STALL; the reply waits for the next\n"
"      disconnect-after:N after N answered XfrBlocks, the next one makes the\n"
"                         reader hang up (the client connection is closed)\n"
"      hangup:N           the N-th bulk-OUT message from now (any command),\n"
"                         N >= 1, is not answered: the reader hangs up\n"
"                         instead, as if unplugged\n"
"  --no-interrupt         no interrupt-IN endpoint\n"
"  -v, --verbose          log protocol details to stderr\n"
"  -h, --help             this text\n"
"\n"
"standard input, one command per line (SLOT defaults to 0):\n"
"  insert [SLOT]          insert (tap) the --card card (test, or\n"
"                         mifare-classic-1k for contactless, with --no-card);\n"
"                         a re-tapped card keeps its memory\n"
"  remove [SLOT]          remove the card (it loses power)\n"
"  fault SPEC             arm one more fault now (as --fault)\n"
"  quit                   exit\n"
"End of input leaves the reader running; SIGTERM/SIGINT exit cleanly.\n"
"\n"
"The test cards (ATR test:    3B 88 81 31 FE 45 'ccidkit1' C9 by default,\n"
"                   test-t0: 3B 08 'ccidkit0') answer:\n"
"  80 10 00 00 Lc data [Le]  ECHO: the data (at most Ne bytes), 90 00\n"
"  80 12 P1 P2 [Le]          PATTERN: N = P1*256+P2 bytes i mod 256 (at most Ne)\n"
"  80 14 00 00 Lc data       SINK: 90 00\n"
"  80 16 00 00               NOP: 90 00\n"
"  00 84 00 00 Le            GET CHALLENGE: Ne random bytes, 90 00\n"
"  00 A4 04 00 Lc AID [Le]   SELECT: 90 00 for F0 63 63 69 64 6B 69 74, else 6A 82\n"
"Short and extended forms (ISO 7816-4 5.1) are accepted. Errors: 6E 00 CLA\n"
"not 00/80, 6D 00 unknown INS, 6B 00 P1/P2 not as shown where fixed, 67 00\n"
"malformed lengths or a length form the instruction does not take.\n"
"\n"
"At TPDU level the card speaks its protocol (ISO 7816-3):\n"
"  T=0 (test-t0): XfrBlock = CLA INS P1 P2 P3 [data]; answer = data + SW1 SW2.\n"
"    Data in with response data: 61 xx, fetch with GET RESPONSE CLA C0 00 00 xx\n"
"    (6C xx when xx is more than is left). Case 2 (80 12, 00 84) with P3 not\n"
"    the available length: 6C xx. Case 1 needs P3 = 00 (else 67 00).\n"
"    ENVELOPE (INS C2): pieces are collected; a piece under 255 bytes (or an\n"
"    empty one) ends the APDU, whose answer comes as 61 xx / GET RESPONSE.\n"
"  T=1 (test): XfrBlock = one block, answer = one block: I-block chaining\n"
"    both ways (IFSC from --ifsc, IFSD 32 until S(IFS request)), R-block acks\n"
"    and retransmission, S(IFS), S(RESYNCH), S(ABORT), NAD swapped, LRC or\n"
"    CRC, a bad block answered R-block with error bits (1 EDC, 2 other).\n"
"  PPS (--no-auto-pps): the first XfrBlock after PowerOn starting with FF;\n"
"    accepted = echoed; a malformed PPS or another protocol: ICC_MUTE.\n"
"\n"
"The test card also checks a PIN (--card-pin; 3 tries, kept over resets):\n"
"  00 20 00 81 Lc block      VERIFY: 90 00; wrong: 63 Cx (x tries left);\n"
"                            none left: 69 83. No data: 63 Cx, no try used\n"
"  00 24 00 81 Lc old||new   CHANGE REFERENCE DATA: two blocks of Lc/2 bytes;\n"
"                            old checked as VERIFY; a bad new block: 6A 80\n"
"  A block holds the PIN as: ISO 9564 format 2 (8 bytes: 2N, N BCD digits,\n"
"  F nibbles); else one digit per byte, ASCII 30..39 or binary 00..09, then\n"
"  FF padding to the end. P1 not 00: 6B 00; P2 not 81: 6A 88.\n"
"\n"
"Contactless reader (PC/SC Part 3). PowerOn returns the synthesised ATR:\n"
"  storage cards 3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 NN 00 00 00 00 TCK,\n"
"  NN 01 (TCK 6A) mifare-classic-1k, 02 (69) 4k, 03 (68) mifare-ultralight;\n"
"  iso14443-4: 3B 88 80 01 + ATS historical bytes 'ccidkit4' + 46.\n"
"Memory: Classic 1K 16 sectors x 4 blocks, 4K 32 x 4 + 8 x 16 blocks of 16\n"
"bytes; block 0 = UID, BCC, SAK, ATQA (read-only); trailers key A FF*6,\n"
"access bits FF 07 80 69, key B FF*6 (access bits stored, not enforced;\n"
"key A reads as zeros). Ultralight: 16 pages of 4 bytes, pages 0-2 UID and\n"
"lock bytes (0-1 read-only, lock/OTP bits OR-ed in). The firmware answers:\n"
"  FF CA 00 00 Le            GET DATA: UID (Le 00 = all; shorter: 6C xx;\n"
"                            longer: UID + 62 82)\n"
"  FF CA 01 00 Le            ATS historical bytes (storage cards: 6A 81)\n"
"  FF 82 00 P2 06 key        LOAD KEYS into volatile slot P2 (0..1; else\n"
"                            69 88; key length not 6: 69 89; P1 bits\n"
"                            reader key 69 83, secured 69 85, non-volatile\n"
"                            69 87)\n"
"  FF 86 00 00 05 01 00 BB KT KN  GENERAL AUTHENTICATE block BB's sector\n"
"                            with key slot KN as key A (KT 60) or B (61)\n"
"  FF 88 00 BB KT KN         legacy AUTHENTICATE, the same\n"
"                            auth: 63 00 wrong key (authentication lost), 69 84\n"
"                            empty key slot, 69 86 bad KT, 69 88 bad KN,\n"
"                            6A 81 not a MIFARE Classic\n"
"  FF B0 00 BB 10            READ BINARY: block BB (Classic: needs its sector\n"
"                            authenticated, else 69 82), Ultralight: 4 pages\n"
"                            from page BB (rolling over); Le 10 or 00, else\n"
"                            6C 10\n"
"  FF D6 00 BB Lc data       UPDATE BINARY: 16 bytes (Classic, authenticated;\n"
"                            block 0: 69 86) or 4 (Ultralight; pages 0-1:\n"
"                            69 86); other Lc: 67 00\n"
"  Block/page out of range or P1 not 00: 6B 00; unknown INS: 6D 00;\n"
"  malformed: 67 00; READ/UPDATE on iso14443-4: 6A 81. Other CLAs go to the\n"
"  card: iso14443-4 runs the test card applet, storage cards answer 6E 00.\n"
"\n"
"PIN-pad reader: PC_to_RDR_Secure bPINOperation 00 (verify) / 01 (modify)\n"
"with the CCID abPINDataStructure. The user's PIN goes into the APDU\n"
"template: digits per bmFormatString bits 1-0 (0 binary: a byte 00..09\n"
"each, 1 BCD: a nibble each, 2 ASCII), at bits 6-3 (in bytes if bit 7 else\n"
"bits, from the MSB of the data field; modify: from bInsertionOffsetOld/New\n"
"bytes), bit 2 right-justified in the bmPINBlockString bits 3-0 bytes; the\n"
"digit count, if bmPINBlockString bits 7-4 (bits) is not 0, at\n"
"bmPINLengthFormat bits 3-0 (bytes if bit 4). A PIN outside\n"
"wPINMaxExtraDigit times out (F0). The APDU then goes to the card.\n"
"Modify asks the current PIN only if bConfirmPIN bit 1 is set.\n"
"Exit status: 0 clean exit, 1 runtime error, 2 usage error.\n";

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("vreader: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(try `ccidkit vreader --help`)\n", stderr);
	return 2;
}

static bool parse_ulong(const char *s, int base, unsigned long max,
			unsigned long *out)
{
	char *end;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
		return false;
	errno = 0;
	*out = strtoul(s, &end, base);
	return errno == 0 && *end == '\0' && *out <= max;
}

static bool parse_hex16(const char *s, uint16_t *out)
{
	unsigned long v;

	if (s && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!parse_ulong(s, 16, 0xFFFF, &v))
		return false;
	*out = (uint16_t)v;
	return true;
}

enum {
	OPT_LISTEN = 256, OPT_LEVEL, OPT_VID, OPT_PID, OPT_BCD, OPT_MANUFACTURER,
	OPT_PRODUCT, OPT_SERIAL, OPT_INTERFACE_NAME, OPT_MAX_MSG, OPT_SLOTS,
	OPT_CARD, OPT_NO_CARD, OPT_NO_AUTO_VOLTAGE, OPT_CARD_VOLTAGE,
	OPT_TIME_EXTENSION, OPT_NO_INTERRUPT, OPT_IFSC, OPT_T1_CRC, OPT_ENVELOPE,
	OPT_NO_AUTO_PPS, OPT_NO_AUTO_PARAM, OPT_AUTO_NEGOTIATE, OPT_AUTO_IFSD,
	OPT_FAULT, OPT_READER, OPT_UID, OPT_PIN, OPT_NEW_PIN, OPT_PIN_TIMEOUT,
	OPT_CARD_PIN, OPT_LCD_LAYOUT, OPT_ESCAPE,
};

static const struct option long_opts[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "level", required_argument, NULL, OPT_LEVEL },
	{ "vid", required_argument, NULL, OPT_VID },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "bcd", required_argument, NULL, OPT_BCD },
	{ "manufacturer", required_argument, NULL, OPT_MANUFACTURER },
	{ "product", required_argument, NULL, OPT_PRODUCT },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "interface-name", required_argument, NULL, OPT_INTERFACE_NAME },
	{ "max-msg", required_argument, NULL, OPT_MAX_MSG },
	{ "slots", required_argument, NULL, OPT_SLOTS },
	{ "card", required_argument, NULL, OPT_CARD },
	{ "no-card", no_argument, NULL, OPT_NO_CARD },
	{ "no-auto-voltage", no_argument, NULL, OPT_NO_AUTO_VOLTAGE },
	{ "card-voltage", required_argument, NULL, OPT_CARD_VOLTAGE },
	{ "time-extension", required_argument, NULL, OPT_TIME_EXTENSION },
	{ "no-interrupt", no_argument, NULL, OPT_NO_INTERRUPT },
	{ "ifsc", required_argument, NULL, OPT_IFSC },
	{ "t1-crc", no_argument, NULL, OPT_T1_CRC },
	{ "envelope", required_argument, NULL, OPT_ENVELOPE },
	{ "no-auto-pps", no_argument, NULL, OPT_NO_AUTO_PPS },
	{ "no-auto-param", no_argument, NULL, OPT_NO_AUTO_PARAM },
	{ "auto-negotiate", no_argument, NULL, OPT_AUTO_NEGOTIATE },
	{ "auto-ifsd", no_argument, NULL, OPT_AUTO_IFSD },
	{ "fault", required_argument, NULL, OPT_FAULT },
	{ "reader", required_argument, NULL, OPT_READER },
	{ "uid", required_argument, NULL, OPT_UID },
	{ "pin", required_argument, NULL, OPT_PIN },
	{ "new-pin", required_argument, NULL, OPT_NEW_PIN },
	{ "pin-timeout", no_argument, NULL, OPT_PIN_TIMEOUT },
	{ "card-pin", required_argument, NULL, OPT_CARD_PIN },
	{ "lcd-layout", required_argument, NULL, OPT_LCD_LAYOUT },
	{ "escape", no_argument, NULL, OPT_ESCAPE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void opts_default(struct vr_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->ccid.nslots = 1;
	o->ccid.level = VR_LEVEL_EXTENDED;
	o->ccid.dwMaxCCIDMessageLength = 271;
	o->ccid.auto_voltage = true;
	o->ccid.card_class = 1;
	o->ccid.start_card = vr_card_find("test");
	o->usb.idVendor = 0x1209;
	o->usb.idProduct = 0x0001;
	o->usb.bcdDevice = 0x0100;
	o->usb.manufacturer = "ccidkit";
	o->usb.product = "Virtual Reader";
	o->usb.interrupt_ep = true;
}

static bool all_digits(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	return n >= min && n <= max && strspn(s, "0123456789") == n;
}

/* --uid HEX: 4 or 7 bytes. */
static bool parse_uid(const char *arg, struct vr_ccid_config *cfg)
{
	size_t n = strlen(arg);

	if ((n != 8 && n != 14) || strspn(arg, "0123456789abcdefABCDEF") != n)
		return false;
	for (size_t i = 0; i < n / 2; i++) {
		char h[3] = { arg[2 * i], arg[2 * i + 1], '\0' };

		cfg->uid[i] = (uint8_t)strtoul(h, NULL, 16);
	}
	cfg->uid_len = n / 2;
	return true;
}

/* The reader models' options (issue 6). */
static int opt_model(struct vr_opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_READER:
		if (strcmp(arg, "contact") == 0)
			o->ccid.reader = VR_READER_CONTACT;
		else if (strcmp(arg, "contactless") == 0)
			o->ccid.reader = VR_READER_CONTACTLESS;
		else if (strcmp(arg, "pinpad") == 0)
			o->ccid.reader = VR_READER_PINPAD;
		else
			return usage_error("--reader: '%s' is not contact, contactless or pinpad", arg);
		return 0;
	case OPT_UID:
		return parse_uid(arg, &o->ccid) ? 0 :
		       usage_error("--uid: '%s' is not 4 or 7 bytes of hex", arg);
	case OPT_PIN:
	case OPT_NEW_PIN:
		if (!all_digits(arg, 1, 16))
			return usage_error("--%spin: '%s' is not 1..16 digits",
					   c == OPT_PIN ? "" : "new-", arg);
		*(c == OPT_PIN ? &o->ccid.user.pin : &o->ccid.user.new_pin) = arg;
		return 0;
	case OPT_CARD_PIN:
		return vr_card_set_pin(arg) == 0 ? 0 :
		       usage_error("--card-pin: '%s' is not 4..12 digits", arg);
	case OPT_LCD_LAYOUT:
		return parse_hex16(arg, &o->ccid.wLcdLayout) && o->ccid.wLcdLayout ? 0 :
		       usage_error("--lcd-layout: '%s' is not a non-zero 16-bit hex number", arg);
	default:
		return usage_error("internal: unhandled option %d", c);
	}
}

/* Options that take a value; returns 0 or the exit code 2. */
static int opt_value(struct vr_opts *o, int c, const char *arg)
{
	unsigned long v;

	switch (c) {
	case OPT_LEVEL:
		if (strcmp(arg, "character") == 0)
			o->ccid.level = VR_LEVEL_CHARACTER;
		else if (strcmp(arg, "tpdu") == 0)
			o->ccid.level = VR_LEVEL_TPDU;
		else if (strcmp(arg, "short") == 0)
			o->ccid.level = VR_LEVEL_SHORT;
		else if (strcmp(arg, "extended") == 0)
			o->ccid.level = VR_LEVEL_EXTENDED;
		else
			return usage_error("--level: '%s' is not character, tpdu, short or extended", arg);
		return 0;
	case OPT_VID:
		return parse_hex16(arg, &o->usb.idVendor) ? 0 :
		       usage_error("--vid: '%s' is not a 16-bit hex number", arg);
	case OPT_PID:
		return parse_hex16(arg, &o->usb.idProduct) ? 0 :
		       usage_error("--pid: '%s' is not a 16-bit hex number", arg);
	case OPT_BCD:
		return parse_hex16(arg, &o->usb.bcdDevice) ? 0 :
		       usage_error("--bcd: '%s' is not a 16-bit hex number", arg);
	case OPT_MAX_MSG:
		if (!parse_ulong(arg, 10, 65554, &v) || v < 64)
			return usage_error("--max-msg: '%s' is not in 64..65554", arg);
		o->ccid.dwMaxCCIDMessageLength = (uint32_t)v;
		return 0;
	case OPT_SLOTS:
		if (!parse_ulong(arg, 10, VR_CCID_MAX_SLOTS, &v) || v < 1)
			return usage_error("--slots: '%s' is not in 1..8", arg);
		o->ccid.nslots = (unsigned)v;
		return 0;
	case OPT_TIME_EXTENSION:
		if (!parse_ulong(arg, 10, 1000, &v))
			return usage_error("--time-extension: '%s' is not in 0..1000", arg);
		o->ccid.time_extension = (unsigned)v;
		return 0;
	case OPT_IFSC:
		if (!parse_ulong(arg, 10, 254, &v) || v < 1)
			return usage_error("--ifsc: '%s' is not in 1..254", arg);
		o->ccid.ifsc = (unsigned)v;
		return 0;
	case OPT_ENVELOPE:
		if (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0)
			return usage_error("--envelope: '%s' is not on or off", arg);
		o->ccid.no_envelope = strcmp(arg, "off") == 0;
		return 0;
	case OPT_FAULT:
		return vr_fault_parse(&o->ccid.faults, arg) == 0 ? 0 :
		       usage_error("--fault: unknown or malformed '%s' (see --help)", arg);
	default:
		return opt_model(o, c, arg);
	}
}

static int opt_string(struct vr_opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_LISTEN:
		o->listen = arg;
		return 0;
	case OPT_MANUFACTURER:
		o->usb.manufacturer = arg;
		return 0;
	case OPT_PRODUCT:
		o->usb.product = arg;
		return 0;
	case OPT_SERIAL:
		o->usb.serial = arg;
		return 0;
	case OPT_INTERFACE_NAME:
		o->usb.interface_name = arg;
		return 0;
	case OPT_CARD:
		o->ccid.start_card = vr_card_find(arg);
		return o->ccid.start_card ? 0 :
		       usage_error("--card: unknown card '%s' (test, test-t0, mifare-classic-1k, mifare-classic-4k, mifare-ultralight, iso14443-4)", arg);
	case OPT_CARD_VOLTAGE:
		/* ISO 7816-3 classes A (5 V), B (3 V), C (1.8 V) */
		if (strcmp(arg, "5") == 0 || strcmp(arg, "5.0") == 0)
			o->ccid.card_class = 1;
		else if (strcmp(arg, "3") == 0 || strcmp(arg, "3.0") == 0)
			o->ccid.card_class = 2;
		else if (strcmp(arg, "1.8") == 0)
			o->ccid.card_class = 3;
		else
			return usage_error("--card-voltage: '%s' is not 5, 3 or 1.8", arg);
		return 0;
	default:
		return opt_value(o, c, arg);
	}
}

/* The reader model's defaults and consistency: -1 to go on, or 2. */
static int apply_model(struct vr_opts *o)
{
	static const char *const product[] = {
		"Virtual Reader", "Virtual Contactless Reader",
		"Virtual PIN-pad Reader",
	};
	const struct vr_card *card = o->ccid.start_card;
	bool ctls = o->ccid.reader == VR_READER_CONTACTLESS;

	if (!o->pid_set)
		o->usb.idProduct = (uint16_t)(0x0001 + o->ccid.reader);
	if (!o->product_set)
		o->usb.product = product[o->ccid.reader];
	if (ctls && !o->card_set)
		card = o->ccid.start_card = vr_card_find("mifare-classic-1k");
	if (o->ccid.reader != VR_READER_CONTACT &&
	    o->ccid.level != VR_LEVEL_SHORT && o->ccid.level != VR_LEVEL_EXTENDED)
		return usage_error("--reader %s needs --level short or extended",
				   ctls ? "contactless" : "pinpad");
	if (ctls != (card->ctls != VR_CTLS_NONE))
		return usage_error("--card %s: %s", card->name, ctls ?
				   "not a contactless card" :
				   "a contactless card needs --reader contactless");
	if (o->ccid.reader != VR_READER_PINPAD &&
	    (o->ccid.user.pin || o->ccid.user.new_pin || o->ccid.user.timeout ||
	     o->ccid.wLcdLayout))
		return usage_error("%s", "--pin, --new-pin, --pin-timeout and --lcd-layout need --reader pinpad");
	if (o->ccid.uid_len && !(ctls && vr_ctls_uid_ok(card->ctls, o->ccid.uid_len)))
		return usage_error("--uid: %zu bytes do not fit %s", o->ccid.uid_len,
				   ctls ? card->name : "a contact reader");
	return -1;
}

/* Returns -1 to go on, else the exit code (0 after --help). */
static int parse_opts(struct vr_opts *o, int argc, char **argv)
{
	int c;

	opts_default(o);
	optind = 0;		/* glibc: full re-initialisation */
	opterr = 1;
	while ((c = getopt_long(argc, argv, "vh", long_opts, NULL)) != -1) {
		int r;

		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'v':
			vr_verbose = 1;
			break;
		case OPT_NO_CARD:
			o->no_card = true;
			break;
		case OPT_NO_AUTO_VOLTAGE:
			o->ccid.auto_voltage = false;
			break;
		case OPT_NO_INTERRUPT:
			o->usb.interrupt_ep = false;
			break;
		case OPT_T1_CRC:
			o->ccid.t1_crc = true;
			break;
		case OPT_NO_AUTO_PPS:
			o->ccid.no_auto_pps = true;
			break;
		case OPT_NO_AUTO_PARAM:
			o->ccid.no_auto_param = true;
			break;
		case OPT_AUTO_NEGOTIATE:
			o->ccid.auto_negotiate = true;
			break;
		case OPT_AUTO_IFSD:
			o->ccid.auto_ifsd = true;
			break;
		case OPT_PIN_TIMEOUT:
			o->ccid.user.timeout = true;
			break;
		case OPT_ESCAPE:
			o->ccid.escape = true;
			break;
		case '?':
			fputs("(try `ccidkit vreader --help`)\n", stderr);
			return 2;
		default:
			o->card_set |= c == OPT_CARD;
			o->pid_set |= c == OPT_PID;
			o->product_set |= c == OPT_PRODUCT;
			r = opt_string(o, c, optarg);
			if (r)
				return r;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (o->listen == NULL)
		return usage_error("%s", "--listen unix:PATH or tcp:HOST:PORT is required");
	if ((o->ccid.level == VR_LEVEL_SHORT || o->ccid.level == VR_LEVEL_EXTENDED) &&
	    o->ccid.dwMaxCCIDMessageLength < 271)
		return usage_error("--max-msg: the short and extended APDU levels need at least 271 (%s)",
				   "a 261-byte short APDU + the 10-byte header");
	c = apply_model(o);
	if (c >= 0)
		return c;
	o->ccid.insert_card = o->no_card ? vr_card_find(o->ccid.reader ==
		VR_READER_CONTACTLESS ? "mifare-classic-1k" : "test") :
		o->ccid.start_card;
	if (o->no_card)
		o->ccid.start_card = NULL;
	return -1;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* unix:PATH — a stale socket file is replaced, any other file refused. */
static int listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		vr_logf(0, "socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			vr_logf(0, "%s exists and is not a socket", path);
			return -1;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 4) < 0) {
		vr_logf(0, "listen on unix:%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int listen_addr(const struct addrinfo *ai)
{
	int one = 1;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			ai->ai_protocol);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 4) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* tcp:HOST:PORT, HOST may be [v6-address]. */
static int listen_tcp(const char *spec)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL;
	char host[256];
	const char *colon = strrchr(spec, ':');
	size_t hlen;
	int fd = -1, r;

	if (colon == NULL || colon[1] == '\0' || (size_t)(colon - spec) >= sizeof(host)) {
		vr_logf(0, "--listen tcp:%s: expected tcp:HOST:PORT", spec);
		return -2;
	}
	hlen = (size_t)(colon - spec);
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
		memmove(host, host + 1, hlen - 2);
		host[hlen - 2] = '\0';
	}
	r = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res);
	if (r != 0) {
		vr_logf(0, "--listen tcp:%s: %s", spec, gai_strerror(r));
		return -2;
	}
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next)
		fd = listen_addr(ai);
	if (fd < 0)
		vr_logf(0, "listen on tcp:%s: %s", spec, strerror(errno));
	freeaddrinfo(res);
	return fd;
}

/* -1 runtime failure, -2 bad --listen syntax */
static int open_listener(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0 && spec[5] != '\0')
		return listen_unix(spec + 5);
	if (strncmp(spec, "tcp:", 4) == 0)
		return listen_tcp(spec + 4);
	vr_logf(0, "--listen '%s': expected unix:PATH or tcp:HOST:PORT", spec);
	return -2;
}

struct vr_state {
	struct vr_opts opts;
	struct vr_ccid *ccid;
	struct vr_usb *usb;
	int lfd;
	bool stdin_open;
	bool quit;
	char line[256];
	size_t line_len;
	bool line_overflow;
};

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

/* Send (or, without a listening client, drop) what the model queued. */
static void after_change(struct vr_state *st)
{
	uint8_t buf[8];

	if (st->usb) {
		vr_usb_service(st->usb);
		return;
	}
	while (vr_ccid_interrupt(st->ccid, buf, sizeof(buf)) > 0)
		;
}

static void run_command(struct vr_state *st, char *line)
{
	char *save = NULL;
	char *cmd = strtok_r(line, " \t\r", &save);
	char *arg = cmd ? strtok_r(NULL, " \t\r", &save) : NULL;
	char *extra = arg ? strtok_r(NULL, " \t\r", &save) : NULL;
	unsigned long slot = 0;
	int r;

	if (cmd == NULL)
		return;
	if (strcmp(cmd, "quit") == 0 && arg == NULL) {
		st->quit = true;
		return;
	}
	if (strcmp(cmd, "fault") == 0 && arg && extra == NULL) {
		if (vr_ccid_add_fault(st->ccid, arg) < 0)
			vr_logf(0, "fault: unknown or malformed '%s' (see --help)", arg);
		else
			vr_logf(1, "fault %s", arg);
		return;
	}
	if ((strcmp(cmd, "insert") != 0 && strcmp(cmd, "remove") != 0) ||
	    extra != NULL) {
		vr_logf(0, "unknown command '%s' (insert [SLOT], remove [SLOT], fault SPEC, quit)", cmd);
		return;
	}
	if (arg && (!parse_ulong(arg, 10, VR_CCID_MAX_SLOTS, &slot) ||
		    slot >= st->opts.ccid.nslots)) {
		vr_logf(0, "%s: no slot '%s' (0..%u)", cmd, arg,
			st->opts.ccid.nslots - 1);
		return;
	}
	if (cmd[0] == 'i')
		r = vr_ccid_insert(st->ccid, (unsigned)slot, NULL);
	else
		r = vr_ccid_remove(st->ccid, (unsigned)slot);
	if (r == -EALREADY)
		vr_logf(0, "%s %lu: slot already %s", cmd, slot,
			cmd[0] == 'i' ? "holds a card" : "empty");
	else
		vr_logf(1, "%s %lu", cmd, slot);
	after_change(st);
}

static void read_stdin(struct vr_state *st)
{
	char buf[512];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {		/* EOF: keep serving without commands */
		st->stdin_open = false;
		return;
	}
	for (ssize_t i = 0; i < n && !st->quit; i++) {
		if (buf[i] != '\n') {
			if (st->line_len + 1 < sizeof(st->line))
				st->line[st->line_len++] = buf[i];
			else
				st->line_overflow = true;
			continue;
		}
		st->line[st->line_len] = '\0';
		if (st->line_overflow)
			vr_logf(0, "command line too long, ignored");
		else
			run_command(st, st->line);
		st->line_len = 0;
		st->line_overflow = false;
	}
}

/* The client went away: forget the connection and power the slots down. */
static void drop_client(struct vr_state *st)
{
	vr_logf(1, "client disconnected");
	vr_usb_free(&st->usb);
	vr_ccid_reset(st->ccid);
}

static void accept_client(struct vr_state *st)
{
	int fd = accept4(st->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	vr_ccid_reset(st->ccid);
	st->usb = vr_usb_new(&st->opts.usb, st->ccid, fd);
	if (st->usb == NULL) {
		vr_logf(0, "out of memory for a client");
		close(fd);
		return;
	}
	vr_logf(1, "client connected");
}

/* Another program while one is served: hang up at once, before any hello,
 * which tp_usbredir reports as "busy" (one client at a time). */
static void refuse_client(struct vr_state *st)
{
	int fd = accept4(st->lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	vr_logf(1, "busy: refusing a second client");
	close(fd);
}

static void poll_once(struct vr_state *st, const sigset_t *mask)
{
	struct pollfd pfd[3] = {
		{ .fd = st->lfd, .events = POLLIN },
		{ .fd = -1 },
		{ .fd = -1 },
	};

	if (st->usb)
		pfd[1] = (struct pollfd){
			.fd = vr_usb_fd(st->usb),
			.events = POLLIN | (vr_usb_want_write(st->usb) ? POLLOUT : 0),
		};
	if (st->stdin_open)
		pfd[2] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
	if (ppoll(pfd, 3, NULL, mask) < 0)
		return;		/* EINTR: a signal, checked by the caller */
	if (pfd[2].revents)
		read_stdin(st);
	if (st->usb && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
	    vr_usb_on_readable(st->usb) < 0)
		drop_client(st);
	if (pfd[0].revents & POLLIN) {
		if (st->usb)
			refuse_client(st);
		else
			accept_client(st);
	}
	if (st->usb && vr_usb_flush(st->usb) < 0)
		drop_client(st);
}

static int serve(struct vr_state *st)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, orig;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* signals arrive only inside ppoll: no lost wakeup */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigdelset(&orig, SIGTERM);
	sigdelset(&orig, SIGINT);
	fputs("ready\n", stdout);
	fflush(stdout);
	while (!st->quit && !got_signal)
		poll_once(st, &orig);
	if (got_signal)
		vr_logf(1, "signal %d: exiting", (int)got_signal);
	return 0;
}

int vreader_main(int argc, char **argv)
{
	struct vr_state st = { .lfd = -1, .stdin_open = true };
	int r = parse_opts(&st.opts, argc, argv), err = 0;

	if (r >= 0)
		return r;
	st.ccid = vr_ccid_new(&st.opts.ccid, &err);
	if (st.ccid == NULL) {
		vr_logf(0, "cannot create the reader: %s", strerror(-err));
		return 1;
	}
	st.lfd = open_listener(st.opts.listen);
	if (st.lfd < 0) {
		vr_ccid_free(&st.ccid);
		return st.lfd == -2 ? 2 : 1;
	}
	set_nonblock(st.lfd);
	r = serve(&st);
	vr_usb_free(&st.usb);
	vr_ccid_free(&st.ccid);
	close(st.lfd);
	if (strncmp(st.opts.listen, "unix:", 5) == 0)
		unlink(st.opts.listen + 5);
	return r;
}
