/* ccidkit tests — allocation-failure injection (issue 9, "Hardening").
 *
 * For each scenario: one run with nothing failing counts its allocations
 * N (and must succeed and free everything); then for n = 1..N the run is
 * repeated with the n-th allocation failing (tests/unit/failmalloc.c,
 * linked with -Wl,--wrap=...).  Every run must end cleanly: the
 * scenario's calls return CCID_OK (the library did without that memory)
 * or the error their header documents for it (CCID_E_NOMEM; CCID_E_IO
 * where a file could not be opened), nothing crashes, and every block
 * the library allocated is freed again (failmalloc_live; valgrind and
 * ASan check the same from outside in check-valgrind and CI).
 *
 * The reader scenarios use their own scripted transport (below), not
 * tests/fake: that one allocates while it runs, and its allocations
 * would be counted — and failed — with the library's. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ccid/capture.h"
#include "ccid/clock.h"
#include "ccid/decode.h"
#include "ccid/err.h"
#include "ccid/manager.h"
#include "ccid/reader.h"
#include "ccid/slot.h"
#include "ccid/text.h"
#include "ccid/trace.h"
#include "ccid/transport.h"
#include "fake/fake_transport.h"
#include "unit/failmalloc.h"

#define D5S ccid_deadline_in(5000)

/* ------------------------------------------------------------------ */
/* The harness                                                        */

/* A scenario does everything (set-up, the calls, clean-up) and returns
 * CCID_OK or the first error a call returned. */
typedef int (*scenario_fn)(void *arg);

/* Errors a scenario may end with when an allocation failed. */
static bool err_allowed(int rc, const int *allowed)
{
	if (rc == CCID_OK || rc == CCID_E_NOMEM)
		return true;
	for (; allowed != NULL && *allowed != 0; allowed++)
		if (rc == *allowed)
			return true;
	return false;
}

/* Run fn once counting, then once per allocation with that one failing.
 * Returns how many failing runs were made. */
static unsigned long run_oom(const char *name, scenario_fn fn, void *arg,
			     const int *allowed)
{
	long live0 = failmalloc_live();
	unsigned long total, failed_ok = 0;
	int rc;

	failmalloc_arm(0);
	rc = fn(arg);
	total = failmalloc_count();
	if (rc != CCID_OK)
		fail_msg("%s: the run without failures returned %s", name,
			 ccid_strerror(rc));
	if (failmalloc_live() != live0)
		fail_msg("%s: %ld block(s) not freed without failures", name,
			 failmalloc_live() - live0);
	assert_true(total > 0);
	for (unsigned long n = 1; n <= total; n++) {
		failmalloc_arm(n);
		rc = fn(arg);
		failmalloc_disarm();
		if (!failmalloc_fired() && rc != CCID_OK)
			fail_msg("%s: n=%lu: nothing failed, yet %s", name, n,
				 ccid_strerror(rc));
		if (!err_allowed(rc, allowed))
			fail_msg("%s: allocation %lu of %lu failed: %s (%d)",
				 name, n, total, ccid_strerror(rc), rc);
		if (failmalloc_live() != live0)
			fail_msg("%s: allocation %lu of %lu failed: %ld block(s) leaked",
				 name, n, total, failmalloc_live() - live0);
		failed_ok++;
	}
	print_message("%s: %lu allocation(s), each failed once: all clean\n",
		      name, total);
	return failed_ok;
}

/* The mechanism itself: exactly the n-th call fails, with ENOMEM, and
 * the live count follows malloc/realloc/free. */
static void test_failmalloc_self(void **state)
{
	long live0 = failmalloc_live();
	/* through a pointer: GCC's -Wuse-after-free cannot know the first
	 * realloc fails and leaves a valid */
	void *(*volatile re)(void *, size_t) = realloc;
	void *a, *b, *c;
	char *s;

	(void)state;
	failmalloc_arm(2);
	a = malloc(8);
	errno = 0;
	b = calloc(1, 8);
	assert_int_equal(errno, ENOMEM);
	c = realloc(NULL, 8);
	assert_non_null(a);
	assert_null(b);
	assert_non_null(c);
	assert_true(failmalloc_fired());
	assert_int_equal(failmalloc_count(), 3);
	assert_int_equal(failmalloc_live(), live0 + 2);
	failmalloc_arm(1);
	assert_null(re(a, 64)); /* a stays valid and counted */
	assert_int_equal(failmalloc_live(), live0 + 2);
	a = re(a, 64);
	assert_non_null(a);
	s = strdup("x");
	assert_non_null(s);
	assert_int_equal(failmalloc_live(), live0 + 3);
	free(a);
	free(c);
	free(s);
	assert_int_equal(failmalloc_live(), live0);
	failmalloc_arm(1);
	assert_null(fopen("/dev/null", "r"));
	s = strdup("y"); /* only the armed call fails */
	assert_non_null(s);
	free(s);
	assert_int_equal(failmalloc_count(), 2);
	assert_int_equal(failmalloc_live(), live0);
	failmalloc_arm(0);
}

/* ------------------------------------------------------------------ */
/* A scripted transport that never allocates and never fails the test: */
/* a step that does not match makes the op fail with CCID_E_IO.        */

struct oom_step {
	bool out;
	const char *hex;
};

struct oom_tp {
	struct ccid_transport base;
	const struct oom_step *script;
	size_t n, pos;
	unsigned mismatches;
	bool claimed, closed;
};

static int oom_bulk_out(struct ccid_transport *tp, const uint8_t *buf,
			size_t len, uint64_t deadline)
{
	struct oom_tp *t = (struct oom_tp *)tp;
	uint8_t want[512];
	size_t n;

	(void)deadline;
	if (t->pos >= t->n || !t->script[t->pos].out || !t->claimed) {
		t->mismatches++;
		return CCID_E_IO;
	}
	n = fake_hex(t->script[t->pos].hex, want, sizeof(want));
	if (n != len || memcmp(want, buf, len) != 0) {
		t->mismatches++;
		return CCID_E_IO;
	}
	t->pos++;
	return CCID_OK;
}

static int oom_bulk_in(struct ccid_transport *tp, uint8_t *buf, size_t cap,
		       size_t *len, uint64_t deadline)
{
	struct oom_tp *t = (struct oom_tp *)tp;
	uint8_t msg[512];
	size_t n;

	(void)deadline;
	*len = 0;
	if (t->pos >= t->n || t->script[t->pos].out || !t->claimed) {
		t->mismatches++;
		return CCID_E_IO;
	}
	n = fake_hex(t->script[t->pos].hex, msg, sizeof(msg));
	if (n > cap)
		return CCID_E_OVERFLOW;
	memcpy(buf, msg, n);
	*len = n;
	t->pos++;
	return CCID_OK;
}

static int oom_control(struct ccid_transport *tp, uint8_t bmRequestType,
		       uint8_t bRequest, uint16_t wValue, uint8_t *data,
		       uint16_t wLength, size_t *actual, uint64_t deadline)
{
	(void)bmRequestType; (void)bRequest; (void)wValue; (void)data;
	(void)wLength; (void)deadline;
	((struct oom_tp *)tp)->mismatches++;
	if (actual != NULL)
		*actual = 0;
	return CCID_E_IO;
}

static int oom_intr_start(struct ccid_transport *tp, ccid_intr_cb cb,
			  void *arg)
{
	(void)tp; (void)cb; (void)arg;
	return CCID_E_NOT_SUPPORTED;
}

static void oom_intr_stop(struct ccid_transport *tp)
{
	(void)tp;
}

static int oom_claim(struct ccid_transport *tp)
{
	struct oom_tp *t = (struct oom_tp *)tp;

	if (t->claimed)
		t->mismatches++;
	t->claimed = true;
	return CCID_OK;
}

static void oom_release(struct ccid_transport *tp)
{
	((struct oom_tp *)tp)->claimed = false;
}

/* The test owns the struct: close only records it. */
static void oom_close(struct ccid_transport *tp)
{
	struct oom_tp *t = (struct oom_tp *)tp;

	t->claimed = false;
	t->closed = true;
}

static const struct ccid_transport_ops oom_ops = {
	.name = "oom",
	.bulk_out = oom_bulk_out,
	.bulk_in = oom_bulk_in,
	.control = oom_control,
	.intr_start = oom_intr_start,
	.intr_stop = oom_intr_stop,
	.claim = oom_claim,
	.release = oom_release,
	.close = oom_close,
};

static void oom_tp_init(struct oom_tp *t, uint32_t features, uint32_t maxmsg,
			const struct oom_step *script, size_t n)
{
	const struct fake_desc o = {
		.bVoltageSupport = 0x07,
		.dwFeatures = features | CCID_FEAT_AUTO_VOLTAGE,
		.dwMaxCCIDMessageLength = maxmsg,
	};
	struct ccid_usb_info *u = &t->base.info;

	memset(t, 0, sizeof(*t));
	t->base.ops = &oom_ops;
	t->script = script;
	t->n = n;
	u->idVendor = 0x08e6;
	u->idProduct = 0x3437;
	u->bInterfaceClass = 0x0B;
	u->usb_bus = 1;
	u->usb_addr = 2;
	strcpy(u->manufacturer, "Fake");
	strcpy(u->product, "Reader");
	strcpy(u->location, "oom:0");
	fake_desc_build(u->class_desc, &o);
	u->class_desc_len = 54;
}

/* ------------------------------------------------------------------ */
/* A fresh lock directory per run (the reader is shared, lease.c)     */

static void rm_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char sub[512];

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		unlink(sub);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

/* ------------------------------------------------------------------ */
/* Scenario: reader + power on + T=1 + transmit, TPDU level           */

#define OUT(h) { true, (h) }
#define IN(h) { false, (h) }

/* As in test_slot.c: GetSlotStatus probe; IccPowerOn (ATR 3B 80 01 81,
 * T=1); SetParameters T=1 + S(IFS request 254); one I-block exchange. */
static const struct oom_step tpdu_script[] = {
	OUT("65 00000000 00 00 000000"),
	IN("81 00000000 00 00 01 00 00"),
	OUT("62 00000000 00 01 00 00 00"),
	IN("80 04000000 00 01 00 00 00 3B 80 01 81"),
	OUT("61 07000000 00 02 01 00 00 11 10 00 4D 00 20 00"),
	IN("82 07000000 00 02 00 00 01 11 10 00 4D 00 20 00"),
	OUT("6F 05000000 00 03 00 00 00 00 C1 01 FE 3E"),
	IN("80 05000000 00 03 00 00 00 00 E1 01 FE 1E"),
	OUT("6F 08000000 00 04 00 00 00 00 00 04 80 16 00 00 92"),
	IN("80 06000000 00 04 00 00 00 00 00 02 90 00 92"),
};

/* Open a reader on t; CCID_OK or its error (t closed then). */
static int sc_open(struct oom_tp *t, struct ccid_reader **r)
{
	int rc = ccid_reader_new(&t->base, D5S, r);

	if (rc == CCID_OK && *r == NULL)
		fail_msg("ccid_reader_new: CCID_OK without a reader");
	if (rc != CCID_OK && !t->closed)
		fail_msg("ccid_reader_new failed (%s) without closing the transport",
			 ccid_strerror(rc));
	return rc;
}

/* arg != NULL: traced to text and pcap files in the lock directory too
 * (the reader's trace device, decoder, masked copies). */
static int sc_reader_tpdu(void *arg)
{
	static const uint8_t nop[] = { 0x80, 0x16, 0x00, 0x00 };
	char dir[] = "/tmp/ccidkit-oom.XXXXXX", spec[128];
	struct oom_tp t;
	struct ccid_reader *r = NULL;
	uint8_t atr[33], resp[8];
	size_t len = 0;
	int rc;

	assert_non_null(mkdtemp(dir));
	setenv("CCIDKIT_LOCK_DIR", dir, 1);
	snprintf(spec, sizeof(spec), "text:%s/r.txt,pcap:%s/r.pcap", dir, dir);
	rc = arg != NULL ? ccid_trace_setup(spec) : CCID_OK;
	if (rc != CCID_OK)
		goto out; /* no memory for tracing: nothing else to check */
	oom_tp_init(&t, CCID_FEAT_LEVEL_TPDU, 271, tpdu_script,
		    sizeof(tpdu_script) / sizeof(tpdu_script[0]));
	rc = sc_open(&t, &r);
	if (rc == CCID_OK)
		rc = ccid_slot_power_on(r, 0, atr, sizeof(atr), &len, D5S);
	if (rc == CCID_OK)
		rc = ccid_slot_set_protocol(r, 0, 1, D5S);
	if (rc == CCID_OK)
		rc = ccid_slot_transmit(r, 0, nop, sizeof(nop), resp,
					sizeof(resp), &len, D5S);
	if (rc == CCID_OK && (len != 2 || resp[0] != 0x90 || resp[1] != 0))
		fail_msg("T=1 transmit: wrong response");
	if (rc == CCID_OK && (t.pos != t.n || t.mismatches != 0))
		fail_msg("script: %zu of %zu steps, %u mismatch(es)", t.pos,
			 t.n, t.mismatches);
	ccid_reader_unref(&r);
	assert_true(t.closed);
	assert_false(t.claimed);
out:
	ccid_trace_shutdown();
	rm_dir(dir);
	unsetenv("CCIDKIT_LOCK_DIR");
	return rc;
}

/* ------------------------------------------------------------------ */
/* Scenario: short and chained APDUs, extended APDU level             */

/* 26-byte messages: 16-byte chunks (test_slot.c's chain_script). */
static const struct oom_step ext_script[] = {
	OUT("65 00000000 00 00 000000"),
	IN("81 00000000 00 00 01 00 00"),
	OUT("62 00000000 00 01 00 00 00"),
	IN("80 04000000 00 01 00 00 00 3B 80 01 81"),
	OUT("6F 05000000 00 02 00 00 00 00 CA 00 6E 00"),
	IN("80 03000000 00 02 00 00 00 AA 90 00"),
	OUT("6F 10000000 00 03 00 01 00 00010203 04050607 08090A0B 0C0D0E0F"),
	IN("80 00000000 00 03 00 00 10"),
	OUT("6F 10000000 00 04 00 03 00 10111213 14151617 18191A1B 1C1D1E1F"),
	IN("80 00000000 00 04 00 00 10"),
	OUT("6F 08000000 00 05 00 02 00 20212223 24252627"),
	IN("80 10000000 00 05 00 00 01 A0A1A2A3 A4A5A6A7 A8A9AAAB ACADAEAF"),
	OUT("6F 00000000 00 06 00 10 00"),
	IN("80 10000000 00 06 00 00 03 B0B1B2B3 B4B5B6B7 B8B9BABB BCBDBEBF"),
	OUT("6F 00000000 00 07 00 10 00"),
	IN("80 04000000 00 07 00 00 02 C0C1 9000"),
};

static int sc_reader_ext(void *arg)
{
	static const uint8_t get[] = { 0x00, 0xCA, 0x00, 0x6E, 0x00 };
	char dir[] = "/tmp/ccidkit-oom.XXXXXX";
	struct oom_tp t;
	struct ccid_reader *r = NULL;
	uint8_t atr[33], apdu[40], resp[64];
	size_t len = 0;
	int rc;

	(void)arg;
	for (unsigned i = 0; i < sizeof(apdu); i++)
		apdu[i] = (uint8_t)i;
	assert_non_null(mkdtemp(dir));
	setenv("CCIDKIT_LOCK_DIR", dir, 1);
	oom_tp_init(&t, CCID_FEAT_LEVEL_EXT_APDU, 26, ext_script,
		    sizeof(ext_script) / sizeof(ext_script[0]));
	rc = sc_open(&t, &r);
	if (rc == CCID_OK)
		rc = ccid_slot_power_on(r, 0, atr, sizeof(atr), &len, D5S);
	if (rc == CCID_OK)
		rc = ccid_slot_transmit(r, 0, get, sizeof(get), resp,
					sizeof(resp), &len, D5S);
	if (rc == CCID_OK && (len != 3 || resp[0] != 0xAA))
		fail_msg("short transmit: wrong response");
	if (rc == CCID_OK)
		rc = ccid_slot_transmit(r, 0, apdu, sizeof(apdu), resp,
					sizeof(resp), &len, D5S);
	if (rc == CCID_OK && (len != 36 || resp[0] != 0xA0 ||
			      memcmp(resp + 32, "\xC0\xC1\x90\x00", 4) != 0))
		fail_msg("chained transmit: wrong response");
	if (rc == CCID_OK && (t.pos != t.n || t.mismatches != 0))
		fail_msg("script: %zu of %zu steps, %u mismatch(es)", t.pos,
			 t.n, t.mismatches);
	ccid_reader_unref(&r);
	assert_true(t.closed);
	rm_dir(dir);
	unsetenv("CCIDKIT_LOCK_DIR");
	return rc;
}

static void test_reader_tpdu_t1(void **state)
{
	static int traced = 1;
	/* ccid_trace_setup: a file that cannot be opened is CCID_E_IO */
	static const int io[] = { CCID_E_IO, 0 };

	(void)state;
	assert_true(run_oom("reader TPDU T=1", sc_reader_tpdu, NULL, NULL) > 0);
	assert_true(run_oom("reader TPDU T=1, traced", sc_reader_tpdu, &traced,
			    io) > 0);
}

static void test_reader_ext_chain(void **state)
{
	(void)state;
	assert_true(run_oom("reader extended APDU chain", sc_reader_ext, NULL,
			    NULL) > 0);
}

/* ------------------------------------------------------------------ */
/* Scenario: the decoder over a golden-like exchange                  */

struct msg {
	bool out;
	const char *hex;
};

/* Power on, T=1 parameters, S(IFS), an I-block, a chained I-block pair,
 * a malformed message, an interrupt-style status. */
static const struct msg dec_msgs[] = {
	{ true, "65 00000000 00 00 000000" },
	{ false, "81 00000000 00 00 01 00 00" },
	{ true, "62 00000000 00 01 00 00 00" },
	{ false, "80 04000000 00 01 00 00 00 3B 80 01 81" },
	{ true, "61 07000000 00 02 01 00 00 11 10 00 4D 00 20 00" },
	{ false, "82 07000000 00 02 00 00 01 11 10 00 4D 00 20 00" },
	{ true, "6F 05000000 00 03 00 00 00 00 C1 01 FE 3E" },
	{ false, "80 05000000 00 03 00 00 00 00 E1 01 FE 1E" },
	{ true, "6F 0C000000 00 04 00 00 00 00 20 08 00 20 00 81 04 31 32 33 34 00" },
	{ false, "80 06000000 00 04 00 00 00 00 00 02 90 00 92" },
	{ true, "6F 08000000 00 05 00 00 00 00 40 04 80 16 00 00 D2" },
	{ false, "80 05000000 00 05 00 00 00 00 C3 01 03 C1" },
	{ true, "6F 05000000 00 06 03 00 00 00 E3 01 03 E1" },
	{ false, "80 06000000 00 06 00 00 00 00 40 02 90 00 D2" },
	{ false, "80 FF000000 00 07" },
	{ true, "63 00000000 00 08 00 00 00" },
	{ false, "81 00000000 00 08 01 00 00" },
};

static int decode_all(struct ccid_decoder *d, struct ccid_text *t)
{
	uint8_t m[300];

	for (size_t i = 0; i < sizeof(dec_msgs) / sizeof(dec_msgs[0]); i++) {
		size_t n = fake_hex(dec_msgs[i].hex, m, sizeof(m));

		ccid_decode_bulk(d, dec_msgs[i].out, m, n, t);
	}
	ccid_decode_intr(d, (const uint8_t *)"\x50\x03", 2, t);
	return CCID_OK;
}

static int sc_decoder(void *arg)
{
	const bool with_desc = arg != NULL;
	const struct fake_desc o = {
		.bVoltageSupport = 0x07,
		.dwFeatures = CCID_FEAT_LEVEL_TPDU | CCID_FEAT_AUTO_VOLTAGE,
		.dwMaxCCIDMessageLength = 271,
	};
	uint8_t desc[54];
	struct ccid_decoder *d = NULL;
	struct ccid_text t;
	int rc;

	fake_desc_build(desc, &o);
	ccid_text_init(&t);
	rc = ccid_decoder_new(with_desc ? desc : NULL, with_desc ? 54 : 0,
			      NULL, &d);
	if (rc == CCID_OK && d == NULL)
		fail_msg("decoder: CCID_OK without a decoder");
	if (rc == CCID_OK)
		rc = decode_all(d, &t);
	ccid_decoder_free(&d);
	ccid_text_free(&t);
	return rc;
}

static void test_decoder(void **state)
{
	static int with_desc = 1;

	(void)state;
	assert_true(run_oom("decoder, descriptor known", sc_decoder, &with_desc,
			    NULL) > 0);
	assert_true(run_oom("decoder, level learnt", sc_decoder, NULL, NULL) > 0);
}

/* ------------------------------------------------------------------ */
/* Scenario: read a capture, write its events to a new pcap           */

struct cap {
	uint8_t *buf;
	size_t len;
	char out[64];
	struct ccid_capture_writer *w;
	unsigned events;
};

static int cap_cb(void *arg, const struct ccid_usb_event *ev)
{
	struct cap *c = arg;

	c->events++;
	return ccid_capture_write(c->w, ev);
}

static int sc_capture(void *arg)
{
	struct cap *c = arg;
	char why[128];
	int rc;

	c->events = 0;
	rc = ccid_capture_create(c->out, &c->w);
	if (rc == CCID_OK)
		rc = ccid_capture_read(c->buf, c->len, cap_cb, c, why,
				       sizeof(why));
	ccid_capture_close(&c->w);
	if (rc == CCID_OK && c->events == 0)
		fail_msg("capture: no event read");
	unlink(c->out);
	return rc;
}

static void read_file(const char *name, uint8_t **buf, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[512];
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/tests/data/%s", top ? top : ".", name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	*buf = malloc((size_t)n);
	assert_non_null(*buf);
	assert_int_equal(fread(*buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
}

static void test_capture(void **state)
{
	static const int io[] = { CCID_E_IO, 0 };
	static const char *const files[] = { "usbmon189_le_us.pcap",
					     "two_sections.pcapng" };
	struct cap c;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		memset(&c, 0, sizeof(c));
		read_file(files[i], &c.buf, &c.len);
		snprintf(c.out, sizeof(c.out), "/tmp/ccidkit-oom-%ld.pcap",
			 (long)getpid());
		/* fopen failing (ENOMEM) is "cannot create": CCID_E_IO */
		assert_true(run_oom(files[i], sc_capture, &c, io) > 0);
		free(c.buf);
	}
}

/* ------------------------------------------------------------------ */
/* Scenario: tracing to text and pcap files                           */

static int sc_trace(void *arg)
{
	const char *dir = arg;
	char spec[256];
	struct ccid_usb_info info;
	struct ccid_trace_dev *d;
	uint8_t m[300];
	int rc;

	snprintf(spec, sizeof(spec), "text:%s/t.txt,pcap:%s/t.pcap", dir, dir);
	rc = ccid_trace_setup(spec);
	if (rc == CCID_OK) {
		memset(&info, 0, sizeof(info));
		strcpy(info.location, "oom:0");
		d = ccid_trace_dev_new(&info); /* NULL: no memory, not traced */
		for (size_t i = 0; i < sizeof(dec_msgs) / sizeof(dec_msgs[0]); i++) {
			size_t n = fake_hex(dec_msgs[i].hex, m, sizeof(m));

			ccid_trace_bulk(d, dec_msgs[i].out, -1, m, n);
		}
		ccid_trace_intr(d, (const uint8_t *)"\x50\x03", 2);
		ccid_trace_note("SCardTransmit -> 0x%08X", 0u);
		ccid_trace_dev_free(&d);
	}
	ccid_trace_shutdown();
	rm_dir(dir);
	mkdir(dir, 0700);
	return rc;
}

static void test_trace(void **state)
{
	static const int io[] = { CCID_E_IO, 0 };
	char dir[] = "/tmp/ccidkit-oomtrace.XXXXXX";

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_true(run_oom("trace text+pcap", sc_trace, dir, io) > 0);
	rm_dir(dir);
}

/* ------------------------------------------------------------------ */
/* Scenario: a manager whose usbredir endpoints lead nowhere          */

static int sc_manager(void *arg)
{
	struct ccid_manager *m = NULL;
	int rc;

	(void)arg;
	rc = ccid_manager_new(ccid_deadline_in(2000), &m);
	if (rc == CCID_OK && m == NULL)
		fail_msg("manager: CCID_OK without a manager");
	if (rc != CCID_OK && m != NULL)
		fail_msg("manager: %s with a manager", ccid_strerror(rc));
	/* every problem line that could be kept is a real one */
	for (size_t i = 0; m != NULL && i < ccid_manager_problem_count(m); i++)
		if (ccid_manager_problem(m, i) == NULL ||
		    ccid_manager_problem_err(m, i) >= 0)
			fail_msg("manager: problem %zu incomplete", i);
	ccid_manager_free(&m);
	return rc;
}

static void test_manager(void **state)
{
	struct ccid_manager *m = NULL;

	(void)state;
	setenv("CCIDKIT_LIBUSB", "0", 1);
	setenv("CCIDKIT_USBREDIR",
	       "unix:/nonexistent/ccidkit-oom.sock,unix:/nonexistent/b.sock", 1);
	assert_int_equal(ccid_manager_new(ccid_deadline_in(2000), &m), CCID_OK);
	assert_int_equal(ccid_manager_count(m), 0);
	assert_int_equal(ccid_manager_problem_count(m), 2);
	ccid_manager_free(&m);
	assert_true(run_oom("manager, two dead endpoints", sc_manager, NULL,
			    NULL) > 0);
	unsetenv("CCIDKIT_USBREDIR");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failmalloc_self),
		cmocka_unit_test(test_reader_tpdu_t1),
		cmocka_unit_test(test_reader_ext_chain),
		cmocka_unit_test(test_decoder),
		cmocka_unit_test(test_capture),
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_manager),
	};

	unsetenv("CCIDKIT_TRACE");
	unsetenv("CCIDKIT_SHARE");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
