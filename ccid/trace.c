/* ccidkit — the traffic trace (trace.h): decoded text and usbmon pcap
 * sinks, chosen by CCIDKIT_TRACE or `ccidkit --trace`. */
#include "config.h"
#include "ccid/trace.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ccid/capture.h"
#include "ccid/clock.h"
#include "ccid/decode.h"
#include "ccid/desc.h"
#include "ccid/err.h"
#include "ccid/secret.h"

/* Everything below under g_mu: the sinks, the devices' decoders, the
 * time base.  One mutex keeps each event whole in every sink. */
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static bool g_on;
static FILE *g_text;        /* text sink, or NULL */
static bool g_text_close;   /* we opened it */
static struct ccid_capture_writer *g_pcap;
static bool g_secrets;
static uint64_t g_t0_us;     /* monotonic time of the first event */
static bool g_t0_set;
static uint8_t g_next_addr = 100; /* devices without a USB address */
static uint64_t g_next_id = 1;    /* URB ids */

struct ccid_trace_dev {
	char name[CCID_USB_STRLEN];
	struct ccid_decoder *dec;
	enum ccid_level level; /* where secrets sit (secret.h) */
	uint16_t bus, addr;
	uint8_t ep_in, ep_out, ep_intr;
};

/* ------------------------------------------------------------------ */
/* Set-up                                                             */

static void sinks_close(void)
{
	if (g_text != NULL && g_text_close)
		fclose(g_text);
	g_text = NULL;
	g_text_close = false;
	ccid_capture_close(&g_pcap);
	g_secrets = false;
	g_on = false;
}

/* PATH with "%p" replaced by the process id. */
static int expand_path(const char *in, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int w;

		if (in[i] == '%' && i + 1 < n && in[i + 1] == 'p') {
			w = snprintf(out + o, cap - o, "%ld", (long)getpid());
			i++;
		} else {
			w = snprintf(out + o, cap - o, "%c", in[i]);
		}
		if (w < 0 || (size_t)w >= cap - o)
			return CCID_E_INVAL;
		o += (size_t)w;
	}
	return o > 0 ? CCID_OK : CCID_E_INVAL;
}

static int sink_text(const char *path, size_t n)
{
	char p[512];

	if (g_text != NULL)
		return CCID_E_INVAL; /* one text sink */
	if (n == 0) {
		g_text = stderr;
		return CCID_OK;
	}
	if (expand_path(path, n, p, sizeof(p)) != CCID_OK)
		return CCID_E_INVAL;
	g_text = fopen(p, "a");
	if (g_text == NULL) {
		fprintf(stderr, "ccidkit: trace: cannot open %s: %m\n", p);
		return CCID_E_IO;
	}
	g_text_close = true;
	setvbuf(g_text, NULL, _IOLBF, 0);
	return CCID_OK;
}

static int sink_pcap(const char *path, size_t n)
{
	char p[512];
	int err;

	if (g_pcap != NULL || expand_path(path, n, p, sizeof(p)) != CCID_OK)
		return CCID_E_INVAL;
	errno = 0;
	err = ccid_capture_create(p, &g_pcap);
	if (err != CCID_OK)
		fprintf(stderr, "ccidkit: trace: cannot create %s: %s\n", p,
			errno ? strerror(errno) : ccid_strerror(err));
	return err;
}

/* One comma-separated item of SPEC. */
static int spec_item(const char *s, size_t n)
{
	if (n == 4 && memcmp(s, "text", 4) == 0)
		return sink_text(NULL, 0);
	if (n > 5 && memcmp(s, "text:", 5) == 0)
		return sink_text(s + 5, n - 5);
	if (n > 5 && memcmp(s, "pcap:", 5) == 0)
		return sink_pcap(s + 5, n - 5);
	if (n == 12 && memcmp(s, "show-secrets", 12) == 0) {
		g_secrets = true;
		return CCID_OK;
	}
	return CCID_E_INVAL;
}

static int setup_locked(const char *spec)
{
	int err = CCID_OK;

	sinks_close();
	for (const char *s = spec; *s != '\0' && err == CCID_OK;) {
		size_t n = strcspn(s, ",");

		err = spec_item(s, n);
		if (err == CCID_E_INVAL)
			fprintf(stderr, "ccidkit: trace: bad item '%.*s' in '%s' "
				"(want text, text:PATH, pcap:PATH, show-secrets)\n",
				(int)n, s, spec);
		s += n + (s[n] == ',');
	}
	if (err == CCID_OK && (g_text != NULL || g_pcap != NULL))
		g_on = true;
	else
		sinks_close();
	return err;
}

int ccid_trace_setup(const char *spec)
{
	int err;

	if (spec == NULL)
		spec = getenv("CCIDKIT_TRACE");
	pthread_mutex_lock(&g_mu);
	err = spec != NULL && *spec != '\0' ? setup_locked(spec) : CCID_OK;
	if (spec == NULL || *spec == '\0')
		sinks_close();
	pthread_mutex_unlock(&g_mu);
	return err;
}

/* fork(): one event must not be cut in half by the child's copy of a
 * lock held elsewhere; the child goes on writing to the same sinks. */
static void trace_fork_prepare(void)
{
	pthread_mutex_lock(&g_mu);
}

static void trace_fork_parent(void)
{
	pthread_mutex_unlock(&g_mu);
}

static void trace_fork_child(void)
{
	pthread_mutex_init(&g_mu, NULL);
}

static void setup_from_env(void)
{
	const char *spec = getenv("CCIDKIT_TRACE");

	pthread_atfork(trace_fork_prepare, trace_fork_parent, trace_fork_child);
	if (spec != NULL && *spec != '\0') {
		pthread_mutex_lock(&g_mu);
		if (!g_on)
			setup_locked(spec);
		pthread_mutex_unlock(&g_mu);
	}
}

bool ccid_trace_enabled(void)
{
	bool on;

	pthread_once(&g_once, setup_from_env);
	pthread_mutex_lock(&g_mu);
	on = g_on;
	pthread_mutex_unlock(&g_mu);
	return on;
}

void ccid_trace_shutdown(void)
{
	pthread_mutex_lock(&g_mu);
	sinks_close();
	pthread_mutex_unlock(&g_mu);
}

/* ------------------------------------------------------------------ */
/* Writing (g_mu held)                                                */

static void text_event(const char *name, const struct ccid_text *t)
{
	uint64_t now = ccid_now_ms() * 1000u;
	struct timespec ts;

	if (g_text == NULL || t->len == 0)
		return;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0)
		now = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	if (!g_t0_set) {
		g_t0_us = now;
		g_t0_set = true;
	}
	now -= g_t0_us;
	fprintf(g_text, "+%llu.%06llu %s%s%s", (unsigned long long)(now / 1000000u),
		(unsigned long long)(now % 1000000u), name, name[0] ? " " : "",
		t->buf);
	if (t->oom)
		fprintf(g_text, "    (out of memory: event cut)\n");
	fflush(g_text);
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A submission and its completion.  out_data goes with the submission
 * (OUT), in_data with the completion (IN). */
static void pcap_urb(struct ccid_trace_dev *d, uint8_t ep,
		     enum ccid_usb_xfer xfer, const uint8_t *setup,
		     const uint8_t *data, size_t len, int32_t status)
{
	bool in = ep & 0x80;
	struct ccid_usb_event ev = {
		.ts_ns = realtime_ns(), .bus = d->bus, .dev = d->addr,
		.endpoint = ep, .xfer = xfer, .submit = true,
		.id = g_next_id++, .urb_len = (uint32_t)len,
	};

	if (g_pcap == NULL)
		return;
	if (setup != NULL) {
		ev.has_setup = true;
		memcpy(ev.setup, setup, 8);
	}
	ev.data = in ? NULL : data;
	ev.len = in ? 0 : len;
	ev.status = -115; /* -EINPROGRESS, as usbmon records submissions */
	ccid_capture_write(g_pcap, &ev);
	ev.submit = false;
	ev.has_setup = false;
	ev.status = status;
	ev.data = in ? data : NULL;
	ev.len = in ? len : 0;
	ccid_capture_write(g_pcap, &ev);
}

/* ------------------------------------------------------------------ */
/* Devices                                                            */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static size_t put_ep(uint8_t *p, uint8_t addr, uint8_t attr, uint16_t mps,
		     uint8_t interval)
{
	p[0] = 7;
	p[1] = 0x05; /* ENDPOINT */
	p[2] = addr;
	p[3] = attr;
	put16(p + 4, mps);
	p[6] = interval;
	return 7;
}

/* The configuration descriptor as the device would have answered it
 * (USB 2.0 §9.6.3, CCID 1.1 §5.1): one interface with the CCID class
 * descriptor and its endpoints.  Returns its length. */
static size_t config_desc(const struct ccid_usb_info *u,
			  const struct ccid_trace_dev *d, uint8_t *p)
{
	size_t n = 18, cd = u->class_desc_len <= 64 ? u->class_desc_len : 0;
	uint8_t neps = (uint8_t)(2 + (d->ep_intr != 0));

	memset(p, 0, 9 + 9);
	p[0] = 9;
	p[1] = 0x02; /* CONFIGURATION */
	p[4] = 1;    /* bNumInterfaces */
	p[5] = 1;    /* bConfigurationValue */
	p[7] = 0x80;
	p[8] = 50;
	p[9] = 9;
	p[10] = 0x04; /* INTERFACE */
	p[11] = u->bInterfaceNumber;
	p[13] = neps;
	p[14] = u->bInterfaceClass ? u->bInterfaceClass : 0x0B;
	p[16] = u->bInterfaceProtocol;
	memcpy(p + n, u->class_desc, cd);
	n += cd;
	n += put_ep(p + n, d->ep_out, 0x02, 64, 0);
	n += put_ep(p + n, d->ep_in, 0x02, 64, 0);
	if (d->ep_intr != 0)
		n += put_ep(p + n, d->ep_intr, 0x03, 8, 16);
	put16(p + 2, (uint16_t)n); /* wTotalLength */
	return n;
}

/* What usbmon shows of an enumeration: GET_DESCRIPTOR device, then
 * configuration (a dissector learns the interface class from it). */
static void announce(struct ccid_trace_dev *d, const struct ccid_usb_info *u)
{
	uint8_t dev[18] = { 18, 0x01 }, cfg[9 + 9 + 64 + 3 * 7];
	uint8_t setup[8] = { 0x80, 0x06, 0x00, 0x01, 0, 0, 18, 0 };
	size_t n;

	put16(dev + 2, u->bcdUSB ? u->bcdUSB : 0x0200);
	dev[7] = 64; /* bMaxPacketSize0 */
	put16(dev + 8, u->idVendor);
	put16(dev + 10, u->idProduct);
	put16(dev + 12, u->bcdDevice);
	dev[17] = 1; /* bNumConfigurations */
	pcap_urb(d, 0x80, CCID_XFER_CONTROL, setup, dev, sizeof(dev), 0);
	n = config_desc(u, d, cfg);
	setup[3] = 0x02;
	put16(setup + 6, (uint16_t)n);
	pcap_urb(d, 0x80, CCID_XFER_CONTROL, setup, cfg, n, 0);
}

struct ccid_trace_dev *ccid_trace_dev_new(const struct ccid_usb_info *info)
{
	struct ccid_decode_opts opts;
	struct ccid_trace_dev *d;
	struct ccid_desc desc;

	if (info == NULL || !ccid_trace_enabled())
		return NULL;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	snprintf(d->name, sizeof(d->name), "%s", info->location);
	d->level = ccid_desc_parse(info->class_desc, info->class_desc_len,
				   &desc) == CCID_OK ? ccid_desc_level(&desc) :
						       CCID_LEVEL_SHORT_APDU;
	d->ep_in = info->ep_bulk_in ? info->ep_bulk_in : 0x81;
	d->ep_out = info->ep_bulk_out ? info->ep_bulk_out : 0x02;
	d->ep_intr = info->ep_intr_in;
	pthread_mutex_lock(&g_mu);
	opts.show_secrets = g_secrets;
	d->bus = info->usb_bus ? info->usb_bus : 1;
	d->addr = info->usb_addr ? info->usb_addr : g_next_addr++;
	if (ccid_decoder_new(info->class_desc, info->class_desc_len, &opts,
			     &d->dec) != CCID_OK) {
		pthread_mutex_unlock(&g_mu);
		free(d);
		return NULL;
	}
	announce(d, info);
	pthread_mutex_unlock(&g_mu);
	return d;
}

void ccid_trace_dev_free(struct ccid_trace_dev **dp)
{
	if (dp == NULL || *dp == NULL)
		return;
	pthread_mutex_lock(&g_mu);
	ccid_decoder_free(&(*dp)->dec);
	pthread_mutex_unlock(&g_mu);
	free(*dp);
	*dp = NULL;
}

/* ------------------------------------------------------------------ */
/* Events                                                             */

/* A bulk message into the pcap, its secrets masked with '*' unless
 * show-secrets (the pcap is as shareable as the text). */
static void pcap_bulk(struct ccid_trace_dev *d, bool out, int protocol,
		      const uint8_t *msg, size_t len)
{
	size_t off = out && !g_secrets ?
		     ccid_secret_start(d->level, protocol, msg, len) : 0;
	uint8_t *copy = off > 0 ? malloc(len) : NULL;

	if (copy != NULL) {
		memcpy(copy, msg, len);
		ccid_secret_mask(d->level, protocol, copy, len);
		msg = copy;
	} else if (off > 0) {
		return; /* no memory: better nothing than the PIN */
	}
	pcap_urb(d, out ? d->ep_out : d->ep_in, CCID_XFER_BULK, NULL, msg,
		 len, 0);
	free(copy);
}

void ccid_trace_bulk(struct ccid_trace_dev *d, bool out, int protocol,
		     const uint8_t *msg, size_t len)
{
	struct ccid_text t;

	if (d == NULL)
		return;
	ccid_text_init(&t);
	pthread_mutex_lock(&g_mu);
	if (g_text != NULL) {
		ccid_decode_bulk(d->dec, out, msg, len, &t);
		text_event(d->name, &t);
	}
	if (g_pcap != NULL)
		pcap_bulk(d, out, protocol, msg, len);
	pthread_mutex_unlock(&g_mu);
	ccid_text_free(&t);
}

void ccid_trace_intr(struct ccid_trace_dev *d, const uint8_t *msg,
		     size_t len)
{
	struct ccid_text t;

	if (d == NULL)
		return;
	ccid_text_init(&t);
	pthread_mutex_lock(&g_mu);
	if (g_text != NULL) {
		ccid_decode_intr(d->dec, msg, len, &t);
		text_event(d->name, &t);
	}
	if (d->ep_intr != 0)
		pcap_urb(d, d->ep_intr, CCID_XFER_INTR, NULL, msg, len, 0);
	pthread_mutex_unlock(&g_mu);
	ccid_text_free(&t);
}

void ccid_trace_control(struct ccid_trace_dev *d, uint8_t bmRequestType,
			uint8_t bRequest, uint16_t wValue, uint16_t wIndex,
			const uint8_t *data, size_t len, int err)
{
	uint8_t setup[8] = { bmRequestType, bRequest };
	struct ccid_text t;

	if (d == NULL)
		return;
	put16(setup + 2, wValue);
	put16(setup + 4, wIndex);
	put16(setup + 6, (uint16_t)len);
	ccid_text_init(&t);
	pthread_mutex_lock(&g_mu);
	if (g_text != NULL) {
		/* two events, as on the wire: the request, then its end */
		ccid_decode_control(d->dec, setup, NULL, 0, false, &t);
		text_event(d->name, &t);
		ccid_text_clear(&t);
		ccid_decode_control(d->dec, setup, data, len, true, &t);
		text_event(d->name, &t);
	}
	/* usbmon's status: 0, or -EPIPE for a stall, -EPROTO otherwise */
	pcap_urb(d, (bmRequestType & 0x80) | 0x00, CCID_XFER_CONTROL, setup,
		 data, len, err == CCID_OK ? 0 : err == CCID_E_STALL ? -32 : -71);
	pthread_mutex_unlock(&g_mu);
	ccid_text_free(&t);
}

void ccid_trace_note(const char *fmt, ...)
{
	struct ccid_text t;
	va_list ap;
	char line[1024];

	if (!ccid_trace_enabled())
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ccid_text_init(&t);
	ccid_text_printf(&t, "%s\n", line);
	pthread_mutex_lock(&g_mu);
	text_event("", &t);
	pthread_mutex_unlock(&g_mu);
	ccid_text_free(&t);
}
