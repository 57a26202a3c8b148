/* ccidkit tests — the scripted transport (see fake_transport.h). */
#include "config.h"
#include "fake/fake_transport.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccid/err.h"

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t fake_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (const char *p = hex; *p != '\0'; p++) {
		int d = hex_digit(*p);

		if (*p == ' ' || *p == '\n' || *p == ':')
			continue;
		if (d < 0)
			fail_msg("fake: bad hex character '%c' in \"%s\"", *p, hex);
		if (hi < 0) {
			hi = d;
			continue;
		}
		if (n >= cap)
			fail_msg("fake: hex string longer than %zu bytes", cap);
		out[n++] = (uint8_t)(hi << 4 | d);
		hi = -1;
	}
	if (hi >= 0)
		fail_msg("fake: odd number of hex digits in \"%s\"", hex);
	return n;
}

/* Heap copy of a step's bytes; caller frees. */
static uint8_t *step_bytes(const struct fake_step *s, size_t *len)
{
	size_t cap = strlen(s->hex) / 2 + 1;
	uint8_t *buf = malloc(cap);

	assert_non_null(buf);
	*len = fake_hex(s->hex, buf, cap);
	return buf;
}

/* "62 00 ..." for failure messages; caller frees. */
static char *hex_str(const uint8_t *buf, size_t len)
{
	char *s = malloc(len * 3 + 1);

	assert_non_null(s);
	s[0] = '\0';
	static const char digits[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++) {
		s[i * 3] = digits[buf[i] >> 4];
		s[i * 3 + 1] = digits[buf[i] & 15];
		s[i * 3 + 2] = i + 1 < len ? ' ' : '\0';
	}
	return s;
}

static const char *kind_name(enum fake_kind k)
{
	switch (k) {
	case FAKE_K_OUT: return "bulk OUT";
	case FAKE_K_IN: return "bulk IN";
	case FAKE_K_CONTROL: return "control";
	case FAKE_K_FAULT: return "fault";
	case FAKE_K_INTR: return "interrupt";
	}
	return "?";
}

void fake_transport_pump(struct fake_transport *f)
{
	while (f->pos < f->nsteps && f->script[f->pos].kind == FAKE_K_INTR) {
		const struct fake_step *s = &f->script[f->pos++];
		uint8_t *buf = NULL;
		size_t len = 0;

		if (!f->intr_running)
			fail_msg("fake: step %zu: interrupt message but intr_start was not called",
				 f->pos - 1);
		if (s->hex != NULL)
			buf = step_bytes(s, &len);
		f->cb(f->cb_arg, buf, len);
		free(buf);
	}
}

/* Common entry of every op: deliver interrupts, apply a fault, and
 * return the step the op must match (never NULL: fails the test). */
static const struct fake_step *next_step(struct fake_transport *f,
					 enum fake_kind want, int *fault)
{
	const struct fake_step *s;

	*fault = CCID_OK;
	f->ops++;
	if (f->claimable && !f->claimed)
		fail_msg("fake: %s op #%u while the interface is not claimed",
			 kind_name(want), f->ops);
	if (f->gone) {
		*fault = CCID_E_NO_DEVICE;
		return NULL;
	}
	fake_transport_pump(f);
	if (f->pos >= f->nsteps)
		fail_msg("fake: %s op #%u after the end of the script (%zu steps)",
			 kind_name(want), f->ops, f->nsteps);
	s = &f->script[f->pos];
	if (s->kind == FAKE_K_FAULT) {
		f->pos++;
		*fault = s->err;
		if (s->err == CCID_E_NO_DEVICE)
			f->gone = true;
		return NULL;
	}
	if (s->kind != want)
		fail_msg("fake: step %zu: script expects %s, got %s",
			 f->pos, kind_name(s->kind), kind_name(want));
	return s;
}

static int fake_bulk_out(struct ccid_transport *tp, const uint8_t *buf,
			 size_t len, uint64_t deadline)
{
	struct fake_transport *f = (struct fake_transport *)tp;
	const struct fake_step *s;
	uint8_t *want;
	size_t wlen;
	int fault;

	(void)deadline;
	s = next_step(f, FAKE_K_OUT, &fault);
	if (s == NULL)
		return fault;
	want = step_bytes(s, &wlen);
	if (wlen != len || memcmp(want, buf, len) != 0) {
		char *a = hex_str(want, wlen), *b = hex_str(buf, len);

		print_error("fake: step %zu: bulk OUT differs\n  expected: %s\n  got:      %s\n",
			    f->pos, a, b);
		free(a);
		free(b);
		free(want);
		fail();
	}
	free(want);
	f->pos++;
	return CCID_OK;
}

static int fake_bulk_in(struct ccid_transport *tp, uint8_t *buf, size_t cap,
			size_t *len, uint64_t deadline)
{
	struct fake_transport *f = (struct fake_transport *)tp;
	const struct fake_step *s;
	uint8_t *msg;
	size_t mlen, n, end;
	int fault;

	f->last_in_deadline = deadline;
	*len = 0;
	s = next_step(f, FAKE_K_IN, &fault);
	if (s == NULL)
		return fault;
	msg = step_bytes(s, &mlen);
	/* first part of a split message, or the rest of it */
	end = (s->split > 0 && f->in_off == 0 && s->split < mlen) ?
	      s->split : mlen;
	n = end - f->in_off;
	if (n > cap)
		n = cap;
	memcpy(buf, msg + f->in_off, n);
	f->in_off += n;
	*len = n;
	if (f->in_off >= mlen) {
		f->pos++;
		f->in_off = 0;
	}
	free(msg);
	return CCID_OK;
}

static int fake_control(struct ccid_transport *tp, uint8_t bmRequestType,
			uint8_t bRequest, uint16_t wValue, uint8_t *data,
			uint16_t wLength, size_t *actual, uint64_t deadline)
{
	struct fake_transport *f = (struct fake_transport *)tp;
	const struct fake_step *s;
	int fault;

	(void)data;
	(void)wLength;
	(void)deadline;
	if (actual != NULL)
		*actual = 0;
	s = next_step(f, FAKE_K_CONTROL, &fault);
	if (s == NULL)
		return fault;
	if (s->bmRequestType != bmRequestType || s->bRequest != bRequest ||
	    s->wValue != wValue)
		fail_msg("fake: step %zu: control differs\n  expected: %02X %02X %04X\n  got:      %02X %02X %04X",
			 f->pos, s->bmRequestType, s->bRequest, s->wValue,
			 bmRequestType, bRequest, wValue);
	f->pos++;
	return CCID_OK;
}

static int fake_intr_start(struct ccid_transport *tp, ccid_intr_cb cb,
			   void *arg)
{
	struct fake_transport *f = (struct fake_transport *)tp;

	if (!tp->info.has_interrupt)
		return CCID_E_NOT_SUPPORTED;
	if (f->claimable && !f->claimed)
		fail_msg("fake: intr_start while the interface is not claimed");
	if (f->intr_running)
		fail_msg("fake: intr_start called twice");
	f->cb = cb;
	f->cb_arg = arg;
	f->intr_running = true;
	return CCID_OK;
}

static void fake_intr_stop(struct ccid_transport *tp)
{
	struct fake_transport *f = (struct fake_transport *)tp;

	f->intr_running = false;
	f->cb = NULL;
	f->cb_arg = NULL;
}

static void fake_close(struct ccid_transport *tp)
{
	struct fake_transport *f = (struct fake_transport *)tp;

	if (f->intr_running)
		fail_msg("fake: closed with the interrupt pipe running");
	f->closed = true;
	f->claimed = false;
}

static int fake_claim(struct ccid_transport *tp)
{
	struct fake_transport *f = (struct fake_transport *)tp;

	if (f->claimed)
		fail_msg("fake: claim of an interface already claimed");
	if (f->claim_err != 0)
		return f->claim_err;
	f->claimed = true;
	f->claims++;
	return CCID_OK;
}

static void fake_release(struct ccid_transport *tp)
{
	struct fake_transport *f = (struct fake_transport *)tp;

	f->claimed = false;
	f->releases++;
}

static const struct ccid_transport_ops fake_ops = {
	.name = "fake",
	.bulk_out = fake_bulk_out,
	.bulk_in = fake_bulk_in,
	.control = fake_control,
	.intr_start = fake_intr_start,
	.intr_stop = fake_intr_stop,
	.close = fake_close,
};

static const struct ccid_transport_ops fake_claim_ops = {
	.name = "fake",
	.bulk_out = fake_bulk_out,
	.bulk_in = fake_bulk_in,
	.control = fake_control,
	.intr_start = fake_intr_start,
	.intr_stop = fake_intr_stop,
	.claim = fake_claim,
	.release = fake_release,
	.close = fake_close,
};

void fake_transport_claimable(struct fake_transport *f)
{
	f->base.ops = &fake_claim_ops;
	f->claimable = true;
}

struct fake_transport *fake_transport_new(const uint8_t *class_desc,
					  size_t len)
{
	struct fake_transport *f = calloc(1, sizeof(*f));
	struct ccid_usb_info *u;

	assert_non_null(f);
	u = &f->base.info;
	f->base.ops = &fake_ops;
	u->idVendor = 0x08e6;
	u->idProduct = 0x3437;
	u->bInterfaceClass = 0x0B;
	strcpy(u->manufacturer, "Fake");
	strcpy(u->product, "Reader");
	strcpy(u->location, "fake:0");
	assert_true(len <= sizeof(u->class_desc));
	if (len > 0)
		memcpy(u->class_desc, class_desc, len);
	u->class_desc_len = len;
	return f;
}

void fake_transport_script(struct fake_transport *f,
			   const struct fake_step *steps, size_t n)
{
	f->script = steps;
	f->nsteps = n;
	f->pos = 0;
	f->in_off = 0;
}

void fake_transport_done(struct fake_transport *f)
{
	if (f->pos < f->nsteps)
		fail_msg("fake: script not finished: stopped at step %zu of %zu (%s%s%s)",
			 f->pos, f->nsteps, kind_name(f->script[f->pos].kind),
			 f->script[f->pos].hex ? " " : "",
			 f->script[f->pos].hex ? f->script[f->pos].hex : "");
	assert_int_equal(f->in_off, 0);
}

void fake_transport_free(struct fake_transport **f)
{
	if (f != NULL && *f != NULL) {
		free(*f);
		*f = NULL;
	}
}

void fake_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void fake_desc_build(uint8_t d[54], const struct fake_desc *o)
{
	memset(d, 0, 54);
	d[0] = 54;
	d[1] = 0x21;
	d[2] = 0x10; /* bcdCCID 1.10 */
	d[3] = 0x01;
	d[4] = o->bMaxSlotIndex;
	d[5] = o->bVoltageSupport;
	fake_put32(d + 6, 3);      /* dwProtocols: T=0, T=1 */
	fake_put32(d + 10, 4000);  /* dwDefaultClock, kHz */
	fake_put32(d + 14, 4000);  /* dwMaximumClock */
	fake_put32(d + 19, 10752); /* dwDataRate */
	fake_put32(d + 23, 10752); /* dwMaxDataRate */
	fake_put32(d + 28, 254);   /* dwMaxIFSD */
	fake_put32(d + 40, o->dwFeatures);
	fake_put32(d + 44, o->dwMaxCCIDMessageLength);
	d[48] = 0xFF;
	d[49] = 0xFF;
	d[50] = (uint8_t)o->wLcdLayout;
	d[51] = (uint8_t)(o->wLcdLayout >> 8);
	d[52] = o->bPINSupport;
	d[53] = 1;
}
