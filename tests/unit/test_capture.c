/* ccidkit tests — USB captures (capture.h): the files that
 * tests/data/mkcaptures.py built from the format descriptions read back
 * to the exact events it lists in NAME.expect, every truncation of them,
 * hand-made malformed inputs with their exact errors, and the writer's
 * records read back field by field.
 *
 * CCIDKIT_CAPTURE_OUT=PATH: test_conversation also leaves its CCID
 * conversation (descriptors, bulk, interrupt) in PATH, for
 * tests/integ/test_tshark_capture.sh. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ccid/capture.h"
#include "ccid/err.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                            */

/* Events as text, one line each, in the format of NAME.expect. */
struct sink {
	char *text;
	size_t len, cap;
	size_t n;
	size_t stop_after; /* return 42 after this many events (0: never) */
};

static void sink_add(struct sink *s, const char *str)
{
	size_t l = strlen(str);

	if (s->len + l + 1 > s->cap) {
		s->cap = (s->len + l + 1) * 2;
		s->text = realloc(s->text, s->cap);
		assert_non_null(s->text);
	}
	memcpy(s->text + s->len, str, l + 1);
	s->len += l;
}

static void sink_free(struct sink *s)
{
	free(s->text);
	memset(s, 0, sizeof(*s));
}

static void hex(char *out, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int on_event(void *arg, const struct ccid_usb_event *ev)
{
	struct sink *s = arg;
	char line[256], setup[17], *data;

	data = malloc(2 * ev->len + 2);
	assert_non_null(data);
	if (ev->len == 0)
		strcpy(data, "-");
	else
		hex(data, ev->data, ev->len);
	if (ev->has_setup)
		hex(setup, ev->setup, 8);
	else
		strcpy(setup, "-");
	snprintf(line, sizeof(line),
		 "%" PRIu64 " %u %u 0x%02x %d %s %d 0x%016" PRIx64
		 " %s %" PRIu32 " %zu %d ",
		 ev->ts_ns, ev->bus, ev->dev, ev->endpoint, (int)ev->xfer,
		 ev->submit ? "S" : "C", (int)ev->status, ev->id, setup,
		 ev->urb_len, ev->len, ev->truncated ? 1 : 0);
	sink_add(s, line);
	sink_add(s, data);
	sink_add(s, "\n");
	free(data);
	s->n++;
	return s->stop_after != 0 && s->n == s->stop_after ? 42 : 0;
}

/* tests/data/NAME: from $top_srcdir (make check), else next to this
 * source file (running the binary by hand in the build tree). */
static uint8_t *load(const char *name, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	FILE *f;
	uint8_t *buf;
	long n;

	if (top != NULL) {
		snprintf(path, sizeof(path), "%s/tests/data/%s", top, name);
	} else {
		const char *me = __FILE__;
		const char *tail = strstr(me, "tests/unit/test_capture.c");

		assert_non_null(tail);
		snprintf(path, sizeof(path), "%.*stests/data/%s",
			 (int)(tail - me), me, name);
	}
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int read_all(const uint8_t *buf, size_t len, struct sink *s,
		    char *why, size_t whycap)
{
	return ccid_capture_read(buf, len, on_event, s, why, whycap);
}

/* ------------------------------------------------------------------ */
/* Generated files: exact events, and every truncation                */

static const char *const files[] = {
	"usbmon189_le_us", "usbmon189_be_ns", "usbmon220_le_ns",
	"usbmon220_be_us", "usbpcap_ccid",    "two_sections",
};

static uint8_t *load_capture(size_t i, size_t *len, char **expect)
{
	char name[64];
	size_t elen;

	snprintf(name, sizeof(name), "%s.expect", files[i]);
	*expect = (char *)load(name, &elen);
	snprintf(name, sizeof(name), "%s.%s", files[i],
		 strcmp(files[i], "two_sections") == 0 ? "pcapng" : "pcap");
	return load(name, len);
}

static void test_files(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct sink s = { 0 };
		char why[200], *expect;
		size_t len;
		uint8_t *buf = load_capture(i, &len, &expect);

		assert_int_equal(read_all(buf, len, &s, why, sizeof(why)),
				 CCID_OK);
		assert_string_equal(why, "");
		assert_non_null(s.text);
		assert_string_equal(s.text, expect);
		sink_free(&s);
		free(expect);
		free(buf);
	}
}

/* Every prefix of every file: no crash, and either an error with a
 * reason or fewer events, always the first events of the whole file. */
static void test_truncations(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *expect;
		size_t len, oks = 0;
		uint8_t *buf = load_capture(i, &len, &expect);

		for (size_t cut = 0; cut < len; cut++) {
			struct sink s = { 0 };
			char why[200];
			uint8_t *copy = malloc(cut + 1); /* exact size for ASan */
			int rc;

			assert_non_null(copy);
			memcpy(copy, buf, cut);
			rc = read_all(copy, cut, &s, why, sizeof(why));
			if (rc == CCID_OK) {
				oks++;
				assert_string_equal(why, "");
			} else {
				assert_int_equal(rc, CCID_E_PROTO);
				assert_true(strncmp(why, "offset ", 7) == 0);
			}
			if (s.text != NULL) {
				assert_true(s.len < strlen(expect));
				assert_memory_equal(s.text, expect, s.len);
			}
			sink_free(&s);
			free(copy);
		}
		/* cuts between records or blocks read fine (not cut 0) */
		assert_true(oks >= 2);
		free(expect);
		free(buf);
	}
}

static void test_stop(void **state)
{
	struct sink s = { .stop_after = 2 };
	char *expect;
	size_t len;
	uint8_t *buf = load_capture(4, &len, &expect);

	(void)state;
	assert_int_equal(read_all(buf, len, &s, NULL, 0), 42);
	assert_int_equal(s.n, 2);
	assert_int_equal(ccid_capture_read(buf, len, NULL, NULL, NULL, 0),
			 CCID_E_INVAL);
	assert_int_equal(ccid_capture_read(NULL, 5, on_event, &s, NULL, 0),
			 CCID_E_INVAL);
	sink_free(&s);
	free(expect);
	free(buf);
}

/* ------------------------------------------------------------------ */
/* Hand-made inputs (little-endian builders)                          */

struct bld {
	uint8_t b[6000];
	size_t n;
};

static void b8(struct bld *b, uint8_t v)
{
	assert_true(b->n < sizeof(b->b));
	b->b[b->n++] = v;
}

static void b16(struct bld *b, uint16_t v)
{
	b8(b, (uint8_t)v);
	b8(b, (uint8_t)(v >> 8));
}

static void b32(struct bld *b, uint32_t v)
{
	b16(b, (uint16_t)v);
	b16(b, (uint16_t)(v >> 16));
}

static void bbytes(struct bld *b, const void *p, size_t n)
{
	assert_true(n <= sizeof(b->b) - b->n);
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void pcap_hdr(struct bld *b, uint32_t snaplen, uint32_t link)
{
	b32(b, 0xa1b2c3d4);
	b16(b, 2);
	b16(b, 4);
	b32(b, 0);
	b32(b, 0);
	b32(b, snaplen);
	b32(b, link);
}

static void pcap_rec(struct bld *b, uint32_t incl)
{
	b32(b, 1);
	b32(b, 2);
	b32(b, incl);
	b32(b, incl);
}

/* A 48-byte usbmon header: bulk IN completion, bus 1 dev 2. */
static void usbmon48(struct bld *b, uint8_t type, uint32_t length,
		     uint32_t len_cap)
{
	size_t start = b->n;

	b32(b, 0x11);
	b32(b, 0);
	b8(b, type);
	b8(b, 3);
	b8(b, 0x81);
	b8(b, 2);
	b16(b, 1);
	b8(b, '-');
	b8(b, 0);
	while (b->n < start + 32)
		b8(b, 0);
	b32(b, length);
	b32(b, len_cap);
	while (b->n < start + 48)
		b8(b, 0);
}

static void expect_err(const struct bld *b, int err, const char *why_expected)
{
	struct sink s = { 0 };
	char why[200];

	assert_int_equal(read_all(b->b, b->n, &s, why, sizeof(why)), err);
	assert_string_equal(why, why_expected);
	sink_free(&s);
}

static void test_not_capture(void **state)
{
	struct bld b = { .n = 0 };

	(void)state;
	bbytes(&b, "hello, world", 12);
	expect_err(&b, CCID_E_PROTO,
		   "offset 0: not a pcap or pcapng file (magic 0x68656c6c)");
	b.n = 3;
	expect_err(&b, CCID_E_PROTO,
		   "offset 0: not a pcap or pcapng file (3 bytes)");
	b.n = 0;
	expect_err(&b, CCID_E_PROTO,
		   "offset 0: not a pcap or pcapng file (0 bytes)");
	b.n = 0;
	pcap_hdr(&b, 65535, 189);
	b.n = 20;
	expect_err(&b, CCID_E_PROTO,
		   "offset 0: pcap file header truncated (20 of 24 bytes)");
}

static void test_pcap_records(void **state)
{
	struct bld b = { .n = 0 };
	struct sink s = { 0 };
	char why[200];

	(void)state;
	/* a record claiming 4 GiB: no overflow, no read */
	pcap_hdr(&b, 65535, 220);
	pcap_rec(&b, 0xFFFFFFFF);
	expect_err(&b, CCID_E_PROTO,
		   "offset 24: record of 4294967295 bytes is longer than the 0 bytes left");
	b.n = 24;
	pcap_rec(&b, 48);
	expect_err(&b, CCID_E_PROTO,
		   "offset 24: record of 48 bytes is longer than the 0 bytes left");
	b.n = 24;
	b32(&b, 1);
	expect_err(&b, CCID_E_PROTO,
		   "offset 24: record header truncated (4 of 16 bytes)");
	/* usbmon header too short for its link type */
	b.n = 0;
	pcap_hdr(&b, 65535, 220);
	pcap_rec(&b, 48);
	usbmon48(&b, 'C', 0, 0);
	expect_err(&b, CCID_E_PROTO,
		   "offset 24: usbmon header needs 64 bytes, the packet has 48");
	/* 189: fine; a bad event type in the next record */
	b.b[20] = 189;
	pcap_rec(&b, 48);
	usbmon48(&b, 'X', 0, 0);
	assert_int_equal(read_all(b.b, b.n, &s, why, sizeof(why)),
			 CCID_E_PROTO);
	assert_string_equal(why,
			    "offset 88: usbmon event type 0x58 is not S, C or E");
	assert_int_equal(s.n, 1);
	sink_free(&s);
}

/* The file's snaplen is advisory; lengths inside the record are not. */
static void test_snaplen(void **state)
{
	struct bld b = { .n = 0 };
	struct sink s = { 0 };
	char why[200];

	(void)state;
	/* a record longer than the snaplen (16, then 0): read */
	pcap_hdr(&b, 16, 189);
	pcap_rec(&b, 52);
	usbmon48(&b, 'E', 100, 100); /* says 100 bytes, has 4 */
	bbytes(&b, "\x01\x02\x03\x04", 4);
	assert_int_equal(read_all(b.b, b.n, &s, why, sizeof(why)), CCID_OK);
	assert_string_equal(s.text,
			    "1000002000 1 2 0x81 3 C 0 0x0000000000000011 - 100 4 1 01020304\n");
	sink_free(&s);
	b.b[16] = 0;
	assert_int_equal(read_all(b.b, b.n, &s, why, sizeof(why)), CCID_OK);
	assert_int_equal(s.n, 1);
	sink_free(&s);
	/* len_cap 2 of a 4-byte record tail: only 2, not truncated */
	b.b[24 + 16 + 36] = 2;
	b.b[24 + 16 + 32] = 2;
	assert_int_equal(read_all(b.b, b.n, &s, why, sizeof(why)), CCID_OK);
	assert_string_equal(s.text,
			    "1000002000 1 2 0x81 3 C 0 0x0000000000000011 - 2 2 0 0102\n");
	sink_free(&s);
}

static void test_link_not_usb(void **state)
{
	struct bld b = { .n = 0 };

	(void)state;
	pcap_hdr(&b, 65535, 1);
	pcap_rec(&b, 14);
	bbytes(&b, "0123456789abcd", 14);
	expect_err(&b, CCID_E_NOT_SUPPORTED,
		   "offset 20: link type 1 is not USB (usbmon 189/220, USBPcap 249)");
}

/* USBPcap header lengths */
static void test_usbpcap_bad(void **state)
{
	struct bld b = { .n = 0 };
	size_t rec;

	(void)state;
	pcap_hdr(&b, 65535, 249);
	rec = b.n;
	pcap_rec(&b, 20);
	bbytes(&b, "01234567890123456789", 20);
	expect_err(&b, CCID_E_PROTO,
		   "offset 24: USBPcap header needs 27 bytes, the packet has 20");
	b.n = rec;
	pcap_rec(&b, 27);
	b16(&b, 27);  /* headerLen: control needs 28 */
	for (int i = 0; i < 20; i++)
		b8(&b, 0);
	b8(&b, 2);    /* transfer: control */
	b32(&b, 0);
	expect_err(&b, CCID_E_PROTO,
		   "offset 24: USBPcap headerLen 27 does not fit the packet (27 bytes)");
	b.b[rec + 16] = 200; /* headerLen past the packet */
	b.b[rec + 16 + 22] = 3;
	expect_err(&b, CCID_E_PROTO,
		   "offset 24: USBPcap headerLen 200 does not fit the packet (27 bytes)");
	b.b[rec + 16 + 22] = 7;
	expect_err(&b, CCID_E_PROTO,
		   "offset 24: USBPcap transfer type 7 is not 0-3");
}

/* pcapng */

static void ng_block(struct bld *b, uint32_t type, const void *body,
		     size_t len)
{
	uint32_t tot = (uint32_t)(12 + ((len + 3) & ~(size_t)3));

	b32(b, type);
	b32(b, tot);
	bbytes(b, body, len);
	while (b->n % 4)
		b8(b, 0);
	b32(b, tot);
}

static void ng_shb(struct bld *b)
{
	static const uint8_t body[16] = { 0x4D, 0x3C, 0x2B, 0x1A, 1, 0, 0, 0,
					  0xFF, 0xFF, 0xFF, 0xFF,
					  0xFF, 0xFF, 0xFF, 0xFF };

	ng_block(b, 0x0A0D0D0A, body, sizeof(body));
}

/* An IDB, with an if_tsresol option when tsresol >= 0. */
static void ng_idb(struct bld *b, uint16_t link, int tsresol)
{
	uint8_t body[20] = { (uint8_t)link, (uint8_t)(link >> 8), 0, 0,
			     0, 0, 4, 0, 9, 0, 1, 0, (uint8_t)tsresol };

	ng_block(b, 1, body, tsresol >= 0 ? sizeof(body) : 8);
}

/* EPB on if_id with ts, carrying a 48-byte usbmon completion. */
static void ng_epb(struct bld *b, uint32_t if_id, uint64_t ts)
{
	struct bld body = { .n = 0 };

	b32(&body, if_id);
	b32(&body, (uint32_t)(ts >> 32));
	b32(&body, (uint32_t)ts);
	b32(&body, 48);
	b32(&body, 48);
	usbmon48(&body, 'C', 0, 0);
	ng_block(b, 6, body.b, body.n);
}

static void test_pcapng_blocks(void **state)
{
	struct bld b = { .n = 0 };
	size_t idb;

	(void)state;
	ng_shb(&b);
	idb = b.n;
	ng_idb(&b, 189, -1);
	b.b[idb + 4] = 30; /* not a multiple of 4 */
	expect_err(&b, CCID_E_PROTO,
		   "offset 28: block length 30 is not a multiple of 4 or too small");
	b.b[idb + 4] = 8; /* smaller than 12 */
	expect_err(&b, CCID_E_PROTO,
		   "offset 28: block length 8 is not a multiple of 4 or too small");
	b.b[idb + 4] = 24; /* longer than the file */
	expect_err(&b, CCID_E_PROTO,
		   "offset 28: block of 24 bytes is longer than the 20 bytes left");
	b.b[idb + 4] = 20;
	b.b[idb + 16] = 16; /* trailing length differs */
	expect_err(&b, CCID_E_PROTO,
		   "offset 28: block's trailing length differs from 20");
	b.b[idb + 16] = 20;
	b32(&b, 6);
	expect_err(&b, CCID_E_PROTO,
		   "offset 48: block header truncated (4 bytes left)");
	/* a section header of less than 28 bytes */
	b.n = 0;
	ng_shb(&b);
	b.b[4] = 24;
	b.b[24] = 24;
	expect_err(&b, CCID_E_PROTO,
		   "offset 0: block length 24 is not a multiple of 4 or too small");
	b.n = 20;
	expect_err(&b, CCID_E_PROTO,
		   "offset 0: section header truncated (20 of 28 bytes)");
	/* byte-order magic and version */
	b.n = 0;
	ng_shb(&b);
	b.b[8] = 0x4E;
	expect_err(&b, CCID_E_PROTO, "offset 0: bad byte-order magic 0x4e3c2b1a");
	b.b[8] = 0x4D;
	b.b[12] = 2;
	expect_err(&b, CCID_E_NOT_SUPPORTED, "offset 0: pcapng major version 2");
}

static void test_pcapng_interfaces(void **state)
{
	struct bld b = { .n = 0 };
	struct sink s = { 0 };
	char why[200];
	uint8_t spb[8] = { 4, 0, 0, 0, 1, 2, 3, 4 };

	(void)state;
	/* EPB with no IDB before it */
	ng_shb(&b);
	ng_epb(&b, 0, 0);
	expect_err(&b, CCID_E_PROTO,
		   "offset 28: packet of interface 0, but the section describes 0");
	/* SPB with no IDB */
	b.n = 28;
	ng_block(&b, 3, spb, sizeof(spb));
	expect_err(&b, CCID_E_PROTO,
		   "offset 28: packet of interface 0, but the section describes 0");
	/* interfaces do not carry over to the next section */
	b.n = 0;
	ng_shb(&b);
	ng_idb(&b, 189, -1);
	ng_epb(&b, 0, 1000000);
	ng_shb(&b);
	ng_epb(&b, 0, 0);
	assert_int_equal(read_all(b.b, b.n, &s, why, sizeof(why)),
			 CCID_E_PROTO);
	assert_string_equal(why,
			    "offset 156: packet of interface 0, but the section describes 0");
	assert_int_equal(s.n, 1);
	assert_string_equal(s.text,
			    "1000000000 1 2 0x81 3 C 0 0x0000000000000011 - 0 0 0 -\n");
	sink_free(&s);
	/* captured length beyond the block */
	b.n = 0;
	ng_shb(&b);
	ng_idb(&b, 189, -1);
	ng_epb(&b, 0, 0);
	b.b[48 + 8 + 12] = 52;
	expect_err(&b, CCID_E_PROTO,
		   "offset 48: captured length 52 exceeds the block's 48 data bytes");
	/* options that overrun the IDB */
	b.n = 0;
	ng_shb(&b);
	ng_idb(&b, 189, 9);
	b.b[28 + 8 + 10] = 13; /* if_tsresol length 13 */
	expect_err(&b, CCID_E_PROTO,
		   "offset 28: IDB option 9 of 13 bytes overruns the block");
	/* only Ethernet */
	b.n = 0;
	ng_shb(&b);
	ng_idb(&b, 1, -1);
	expect_err(&b, CCID_E_NOT_SUPPORTED,
		   "offset 0: link type 1 is not USB (usbmon 189/220, USBPcap 249)");
	/* too many interfaces */
	b.n = 0;
	ng_shb(&b);
	for (int i = 0; i <= 256; i++)
		ng_idb(&b, 189, -1);
	expect_err(&b, CCID_E_NOT_SUPPORTED,
		   "offset 5148: more than 256 interfaces in a section");
}

/* SPB lengths, and options after opt_endofopt */
static void test_pcapng_spb(void **state)
{
	struct bld b = { .n = 0 };
	struct sink s = { 0 };
	char why[200];

	(void)state;
	/* an SPB holds min(Original Packet Length, SnapLen) bytes, even if
	 * its block is longer (pcapng SPB; Wireshark refuses such a file) */
	{
		struct bld body = { .n = 0 };

		b.n = 0;
		ng_shb(&b);
		ng_idb(&b, 189, -1);
		b.b[28 + 8 + 4] = 50; /* SnapLen 50 */
		b.b[28 + 8 + 6] = 0;
		b32(&body, 52);
		usbmon48(&body, 'C', 4, 4);
		bbytes(&body, "\x01\x02\x03\x04", 4);
		ng_block(&b, 3, body.b, body.n);
		assert_int_equal(read_all(b.b, b.n, &s, why, sizeof(why)),
				 CCID_OK);
		assert_string_equal(s.text,
				    "0 1 2 0x81 3 C 0 0x0000000000000011 - 4 2 1 0102\n");
		sink_free(&s);
		/* Original Packet Length smaller than the data: cut to it */
		b.b[48 + 8] = 49;
		assert_int_equal(read_all(b.b, b.n, &s, why, sizeof(why)),
				 CCID_OK);
		assert_string_equal(s.text,
				    "0 1 2 0x81 3 C 0 0x0000000000000011 - 4 1 1 01\n");
		sink_free(&s);
		/* no snaplen, Original Packet Length past the block: the
		 * block's bytes only */
		b.b[28 + 8 + 4] = 0;
		b.b[48 + 8] = 200;
		b.b[48 + 12 + 36] = 100; /* len_cap */
		assert_int_equal(read_all(b.b, b.n, &s, why, sizeof(why)),
				 CCID_OK);
		assert_string_equal(s.text,
				    "0 1 2 0x81 3 C 0 0x0000000000000011 - 4 4 1 01020304\n");
		sink_free(&s);
	}
	/* nothing after opt_endofopt is read */
	{
		static const uint8_t body[16] = { 189, 0, 0, 0, 0, 0, 4, 0,
						  0, 0, 0, 0, 9, 0, 0xFF, 0 };

		b.n = 0;
		ng_shb(&b);
		ng_block(&b, 1, body, sizeof(body));
		ng_epb(&b, 0, 5);
		assert_int_equal(read_all(b.b, b.n, &s, why, sizeof(why)),
				 CCID_OK);
		assert_string_equal(s.text,
				    "5000 1 2 0x81 3 C 0 0x0000000000000011 - 0 0 0 -\n");
		sink_free(&s);
	}
}

/* if_tsresol: 10^-n and 2^-n, tiny and huge */
static void test_pcapng_tsresol(void **state)
{
	static const struct {
		uint8_t res;
		uint64_t ts;
		uint64_t ns;
	} cases[] = {
		{ 0, 3, 3000000000u },         /* seconds */
		{ 3, 1500, 1500000000u },       /* ms */
		{ 12, 7000999, 7000 },          /* ps: cut */
		{ 127, UINT64_MAX, 0 },         /* 10^-127 */
		{ 0, UINT64_MAX, UINT64_MAX },  /* saturates */
		{ 0x80, 5, 5000000000u },       /* 2^0 */
		{ 0x81, 3, 1500000000u },       /* 2^-1 */
		{ 0xA8, (UINT64_C(3) << 40) | (UINT64_C(1) << 39),
		  3500000000u },                /* 2^-40 */
		{ 0xFF, UINT64_MAX, 0 },        /* 2^-127 */
		{ 0x80, UINT64_MAX, UINT64_MAX },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bld b = { .n = 0 };
		struct sink s = { 0 };
		char expect[128];

		ng_shb(&b);
		ng_idb(&b, 189, cases[i].res);
		ng_epb(&b, 0, cases[i].ts);
		assert_int_equal(read_all(b.b, b.n, &s, NULL, 0), CCID_OK);
		snprintf(expect, sizeof(expect),
			 "%" PRIu64 " 1 2 0x81 3 C 0 0x0000000000000011 - 0 0 0 -\n",
			 cases[i].ns);
		assert_string_equal(s.text, expect);
		sink_free(&s);
	}
}

static void test_why_small(void **state)
{
	struct bld b = { .n = 0 };
	struct sink s = { 0 };
	char why[10];

	(void)state;
	bbytes(&b, "nonsense!", 9);
	assert_int_equal(read_all(b.b, b.n, &s, why, sizeof(why)),
			 CCID_E_PROTO);
	assert_string_equal(why, "offset 0:");
	assert_int_equal(read_all(b.b, b.n, &s, why, 1), CCID_E_PROTO);
	assert_string_equal(why, "");
}

/* ------------------------------------------------------------------ */
/* Writer                                                             */

static char *tmp_path(void)
{
	char *p = strdup("/tmp/test_capture_XXXXXX");
	int fd;

	assert_non_null(p);
	fd = mkstemp(p);
	assert_true(fd >= 0);
	close(fd);
	return p;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static struct ccid_usb_event mkev(uint64_t ts, uint8_t ep,
				  enum ccid_usb_xfer x, bool submit,
				  int32_t status, uint64_t id, uint32_t urb_len,
				  const void *data, size_t len)
{
	struct ccid_usb_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = ts;
	e.bus = 2;
	e.dev = 11;
	e.endpoint = ep;
	e.xfer = x;
	e.submit = submit;
	e.status = status;
	e.id = id;
	e.urb_len = urb_len;
	e.data = data;
	e.len = len;
	return e;
}

static void test_write_read(void **state)
{
	static const uint8_t desc[4] = { 0x12, 0x01, 0x10, 0x01 };
	static const uint8_t msg[10] = { 0x62, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct ccid_capture_writer *w = NULL;
	struct ccid_usb_event e[5];
	struct sink s = { 0 };
	char *path = tmp_path(), why[200];
	uint8_t *buf, *big;
	size_t len;

	(void)state;
	big = malloc(300000);
	assert_non_null(big);
	memset(big, 0x5A, 300000);
	e[0] = mkev(1700000000123456000u, 0x80, CCID_XFER_CONTROL, true, -115,
		    0xAABBCCDD11223344u, 18, NULL, 0);
	e[0].has_setup = true;
	memcpy(e[0].setup, "\x80\x06\x00\x01\x00\x00\x12\x00", 8);
	e[1] = mkev(1700000000200000000u, 0x80, CCID_XFER_CONTROL, false, 0,
		    0xAABBCCDD11223344u, 4, desc, 4);
	e[2] = mkev(5000, 0x02, CCID_XFER_BULK, true, -115, 7, 10, msg, 10);
	e[3] = mkev(6000, 0x02, CCID_XFER_BULK, false, -71, 7, 10, NULL, 0);
	e[4] = mkev(7000, 0x82, CCID_XFER_BULK, false, 0, 8, 300000, big,
		    300000);
	assert_int_equal(ccid_capture_create(path, &w), CCID_OK);
	for (int i = 0; i < 5; i++)
		assert_int_equal(ccid_capture_write(w, &e[i]), CCID_OK);
	/* flushed: the file is complete before close */
	buf = slurp(path, &len);
	assert_int_equal(len, 24 + 5 * 80 + 4 + 10 + 262080);
	free(buf);
	ccid_capture_close(&w);
	assert_null(w);
	ccid_capture_close(&w);
	ccid_capture_close(NULL);
	buf = slurp(path, &len);
	assert_int_equal(read_all(buf, len, &s, why, sizeof(why)), CCID_OK);
	assert_int_equal(s.n, 5);
	assert_memory_equal(s.text,
		"1700000000123456000 2 11 0x80 2 S -115 0xaabbccdd11223344 8006000100001200 18 0 0 -\n"
		"1700000000200000000 2 11 0x80 2 C 0 0xaabbccdd11223344 - 4 4 0 12011001\n"
		"5000 2 11 0x02 3 S -115 0x0000000000000007 - 10 10 0 62000000000000000000\n"
		"6000 2 11 0x02 3 C -71 0x0000000000000007 - 10 0 0 -\n"
		"7000 2 11 0x82 3 C 0 0x0000000000000008 - 300000 262080 1 5a5a",
		strlen("1700000000123456000 2 11 0x80 2 S -115 0xaabbccdd11223344 8006000100001200 18 0 0 -\n"
		       "1700000000200000000 2 11 0x80 2 C 0 0xaabbccdd11223344 - 4 4 0 12011001\n"
		       "5000 2 11 0x02 3 S -115 0x0000000000000007 - 10 10 0 62000000000000000000\n"
		       "6000 2 11 0x02 3 C -71 0x0000000000000007 - 10 0 0 -\n"
		       "7000 2 11 0x82 3 C 0 0x0000000000000008 - 300000 262080 1 5a5a"));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	{
		/* the bytes themselves, on a little-endian host: file header,
		 * then the first record (usbmon.rst field order) */
		static const uint8_t head[24 + 16 + 64] = {
			0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
			0, 0, 0, 0, 0, 0, 4, 0, 220, 0, 0, 0,
			/* ts 1700000000.123456, incl 64, orig 64 */
			0x00, 0xf1, 0x53, 0x65, 0x40, 0xe2, 0x01, 0x00,
			64, 0, 0, 0, 64, 0, 0, 0,
			/* id, 'S', control, 0x80, dev 11, bus 2 */
			0x44, 0x33, 0x22, 0x11, 0xdd, 0xcc, 0xbb, 0xaa,
			'S', 2, 0x80, 11, 2, 0,
			0, '<', /* setup present, IN submission */
			0x00, 0xf1, 0x53, 0x65, 0, 0, 0, 0, /* ts_sec */
			0x40, 0xe2, 0x01, 0x00,             /* ts_usec */
			0x8d, 0xff, 0xff, 0xff,             /* -115 */
			18, 0, 0, 0, 0, 0, 0, 0,            /* length, len_cap */
			0x80, 0x06, 0x00, 0x01, 0x00, 0x00, 0x12, 0x00,
			0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		};

		assert_memory_equal(buf, head, sizeof(head));
		/* the OUT completion: no setup ('-'), no data ('>') */
		assert_int_equal(buf[24 + 80 + (80 + 4) + (80 + 10) + 16 + 14], '-');
		assert_int_equal(buf[24 + 80 + (80 + 4) + (80 + 10) + 16 + 15], '>');
	}
#endif
	sink_free(&s);
	free(buf);
	free(big);
	unlink(path);
	free(path);
}

static void test_write_errors(void **state)
{
	struct ccid_capture_writer *w = (struct ccid_capture_writer *)1;
	struct ccid_usb_event e;

	(void)state;
	memset(&e, 0, sizeof(e));
	assert_int_equal(ccid_capture_create("/nonexistent-dir/x.pcap", &w),
			 CCID_E_IO);
	assert_null(w);
	assert_int_equal(ccid_capture_create(NULL, &w), CCID_E_INVAL);
	assert_int_equal(ccid_capture_create("/tmp/x", NULL), CCID_E_INVAL);
	assert_int_equal(ccid_capture_write(NULL, &e), CCID_E_INVAL);
	if (access("/dev/full", W_OK) == 0) {
		assert_int_equal(ccid_capture_create("/dev/full", &w),
				 CCID_E_IO);
	}
}

/* Several threads write at once: every record comes back whole. */
#define THREADS 4
#define PER_THREAD 200

struct wargs {
	struct ccid_capture_writer *w;
	int t;
};

static void *writer_thread(void *arg)
{
	struct wargs *a = arg;
	uint8_t data[37];

	for (int i = 0; i < PER_THREAD; i++) {
		struct ccid_usb_event e;

		memset(data, a->t * 16 + i % 16, sizeof(data));
		e = mkev((uint64_t)i * 1000, 0x82, CCID_XFER_BULK, false, 0,
			 (uint64_t)a->t << 32 | (uint64_t)i, sizeof(data), data,
			 (size_t)(i % 38));
		if (ccid_capture_write(a->w, &e) != CCID_OK)
			return (void *)1;
	}
	return NULL;
}

static int check_threaded(void *arg, const struct ccid_usb_event *ev)
{
	int *seen = arg;
	int t = (int)(ev->id >> 32), i = (int)(uint32_t)ev->id;

	if (t < 0 || t >= THREADS || i < 0 || i >= PER_THREAD ||
	    ev->len != (size_t)(i % 38) || seen[t * PER_THREAD + i])
		return 1;
	for (size_t k = 0; k < ev->len; k++)
		if (ev->data[k] != (uint8_t)(t * 16 + i % 16))
			return 2;
	seen[t * PER_THREAD + i] = 1;
	return 0;
}

static void test_write_threads(void **state)
{
	struct ccid_capture_writer *w = NULL;
	pthread_t th[THREADS];
	struct wargs a[THREADS];
	static int seen[THREADS * PER_THREAD];
	char *path = tmp_path();
	uint8_t *buf;
	size_t len;

	(void)state;
	assert_int_equal(ccid_capture_create(path, &w), CCID_OK);
	for (int t = 0; t < THREADS; t++) {
		a[t].w = w;
		a[t].t = t;
		assert_int_equal(pthread_create(&th[t], NULL, writer_thread,
						&a[t]), 0);
	}
	for (int t = 0; t < THREADS; t++) {
		void *ret;

		assert_int_equal(pthread_join(th[t], &ret), 0);
		assert_null(ret);
	}
	ccid_capture_close(&w);
	buf = slurp(path, &len);
	assert_int_equal(ccid_capture_read(buf, len, check_threaded, seen,
					   NULL, 0),
			 CCID_OK);
	for (int k = 0; k < THREADS * PER_THREAD; k++)
		assert_int_equal(seen[k], 1);
	free(buf);
	unlink(path);
	free(path);
}

/* ------------------------------------------------------------------ */
/* A CCID conversation as trace.c writes it (for tshark)               */

/* USB 2.0 §9.6.1: a device whose class is given per interface */
static const uint8_t dev_desc[18] = {
	0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0x6B, 0x1D,
	0x04, 0x01, 0x00, 0x01, 0x01, 0x02, 0x00, 0x01,
};

/* USB 2.0 §9.6.3-9.6.6 + CCID 1.1 §5.1: one configuration, interface 0
 * class 0x0B with the 54-byte class descriptor, bulk OUT 0x01, bulk IN
 * 0x82, interrupt IN 0x83. */
static const uint8_t cfg_desc[93] = {
	0x09, 0x02, 0x5D, 0x00, 0x01, 0x01, 0x00, 0x80, 0x32,
	0x09, 0x04, 0x00, 0x00, 0x03, 0x0B, 0x00, 0x00, 0x00,
	0x36, 0x21, 0x10, 0x01, 0x00, 0x07, 0x03, 0x00, 0x00, 0x00,
	0xA0, 0x0F, 0x00, 0x00, 0xA0, 0x0F, 0x00, 0x00, 0x00,
	0x80, 0x25, 0x00, 0x00, 0x80, 0x25, 0x00, 0x00, 0x00,
	0xFE, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0xBA, 0x04, 0x04, 0x00,
	0x0F, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01,
	0x07, 0x05, 0x01, 0x02, 0x40, 0x00, 0x00,
	0x07, 0x05, 0x82, 0x02, 0x40, 0x00, 0x00,
	0x07, 0x05, 0x83, 0x03, 0x08, 0x00, 0x10,
};

static void control_in(struct ccid_capture_writer *w, uint64_t *ts,
		       uint64_t id, uint8_t type, const uint8_t *d,
		       uint16_t len)
{
	struct ccid_usb_event e;
	const uint8_t setup[8] = { 0x80, 0x06, 0x00, type, 0x00, 0x00,
				   (uint8_t)len, (uint8_t)(len >> 8) };

	e = mkev(*ts += 1000, 0x80, CCID_XFER_CONTROL, true, -115, id, len,
		 NULL, 0);
	e.has_setup = true;
	memcpy(e.setup, setup, 8);
	assert_int_equal(ccid_capture_write(w, &e), CCID_OK);
	e = mkev(*ts += 1000, 0x80, CCID_XFER_CONTROL, false, 0, id, len, d,
		 len);
	assert_int_equal(ccid_capture_write(w, &e), CCID_OK);
}

static void bulk(struct ccid_capture_writer *w, uint64_t *ts, uint64_t id,
		 bool out, const uint8_t *msg, size_t len)
{
	struct ccid_usb_event e;
	uint8_t ep = out ? 0x01 : 0x82;

	e = mkev(*ts += 1000, ep, CCID_XFER_BULK, true, -115, id,
		 out ? (uint32_t)len : 271, out ? msg : NULL, out ? len : 0);
	assert_int_equal(ccid_capture_write(w, &e), CCID_OK);
	e = mkev(*ts += 1000, ep, CCID_XFER_BULK, false, 0, id,
		 (uint32_t)len, out ? NULL : msg, out ? 0 : len);
	assert_int_equal(ccid_capture_write(w, &e), CCID_OK);
}

static void write_conversation(const char *path)
{
	static const uint8_t power_on[10] = { 0x62, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t atr[20] = { 0x80, 0x0A, 0, 0, 0, 0, 0, 0, 0, 0,
					 0x3B, 0x88, 0x80, 0x01, 0x00, 0x00,
					 0x00, 0x00, 0x71, 0x71 };
	static const uint8_t xfr[17] = { 0x6F, 0x07, 0, 0, 0, 0, 1, 0, 0, 0,
					 0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F,
					 0x00 };
	static const uint8_t resp[12] = { 0x80, 0x02, 0, 0, 0, 0, 1, 0, 0, 0,
					  0x90, 0x00 };
	static const uint8_t status[10] = { 0x65, 0, 0, 0, 0, 1, 2, 0, 0, 0 };
	static const uint8_t slot[10] = { 0x81, 0, 0, 0, 0, 1, 2, 0x01, 0, 0 };
	static const uint8_t notify[2] = { 0x50, 0x03 };
	struct ccid_capture_writer *w = NULL;
	struct ccid_usb_event e;
	uint64_t ts = 1700000000000000000u;

	assert_int_equal(ccid_capture_create(path, &w), CCID_OK);
	control_in(w, &ts, 1, 0x01, dev_desc, sizeof(dev_desc));
	control_in(w, &ts, 2, 0x02, cfg_desc, sizeof(cfg_desc));
	bulk(w, &ts, 3, true, power_on, sizeof(power_on));
	bulk(w, &ts, 4, false, atr, sizeof(atr));
	bulk(w, &ts, 5, true, xfr, sizeof(xfr));
	bulk(w, &ts, 6, false, resp, sizeof(resp));
	bulk(w, &ts, 7, true, status, sizeof(status));
	bulk(w, &ts, 8, false, slot, sizeof(slot));
	e = mkev(ts += 1000, 0x83, CCID_XFER_INTR, false, 0, 9, 2, notify, 2);
	assert_int_equal(ccid_capture_write(w, &e), CCID_OK);
	ccid_capture_close(&w);
}

static void test_conversation(void **state)
{
	const char *out = getenv("CCIDKIT_CAPTURE_OUT");
	char *path = tmp_path();
	struct sink s = { 0 };
	uint8_t *buf;
	size_t len;

	(void)state;
	write_conversation(path);
	buf = slurp(path, &len);
	assert_int_equal(read_all(buf, len, &s, NULL, 0), CCID_OK);
	assert_int_equal(s.n, 17);
	/* the configuration descriptor comes back whole */
	assert_non_null(strstr(s.text, " 93 93 0 09025d00010100803209040000030b"));
	if (out != NULL && *out != '\0')
		write_conversation(out);
	sink_free(&s);
	free(buf);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_not_capture),
		cmocka_unit_test(test_pcap_records),
		cmocka_unit_test(test_snaplen),
		cmocka_unit_test(test_link_not_usb),
		cmocka_unit_test(test_usbpcap_bad),
		cmocka_unit_test(test_pcapng_blocks),
		cmocka_unit_test(test_pcapng_interfaces),
		cmocka_unit_test(test_pcapng_spb),
		cmocka_unit_test(test_pcapng_tsresol),
		cmocka_unit_test(test_why_small),
		cmocka_unit_test(test_write_read),
		cmocka_unit_test(test_write_errors),
		cmocka_unit_test(test_write_threads),
		cmocka_unit_test(test_conversation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
