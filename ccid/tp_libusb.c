/* ccidkit — transport over real USB with libusb-1.0.  See transport.h for
 * the contract of every op.
 *
 * One process-wide libusb context, reference counted: the scan holds a
 * reference while it runs, every open transport holds one; the last
 * release stops the event thread and exits the context.
 *
 * Threads: bulk and control transfers are libusb's synchronous calls on
 * the API thread (the reader lock serialises them).  The interrupt-IN
 * endpoint uses one asynchronous transfer per transport, resubmitted from
 * its callback; callbacks run on the single event thread of the context,
 * started on the first intr_start.  Lock order: g_mu -> t->mu; the event
 * thread never takes g_mu. */
#include "config.h"

#include "ccid/clock.h"
#include "ccid/desc.h"
#include "ccid/err.h"
#include "ccid/log.h"
#include "ccid/transport.h"
#include "ccid/usbdesc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <libusb.h>

#define USB_CLASS_CCID 0x0B
#define USB_CLASS_VENDOR 0xFF
#define USB_LANGID_EN_US 0x0409
/* consecutive failed interrupt transfers before we stop resubmitting */
#define INTR_MAX_ERRORS 10

struct tp_usb {
	struct ccid_transport base; /* first: transport.h */
	libusb_device_handle *h;
	int sys_fd; /* our usbfs file under a wrapped handle, or -1 */
	uint8_t ep_bulk_in, ep_bulk_out, ep_intr_in;
	uint16_t intr_mps;
	bool claimed; /* by the thread holding the reader's io_lock */

	pthread_mutex_t mu; /* everything below */
	pthread_cond_t cond;
	bool gone;
	struct libusb_transfer *intr_xfer;
	uint8_t *intr_buf;
	bool intr_active; /* intr_xfer is submitted */
	int intr_errors;
	ccid_intr_cb cb;
	void *cb_arg;
	bool in_cb;
};

/* ---- the process-wide context ---- */

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static libusb_context *g_ctx;
static unsigned g_refs;
static pthread_t g_evt;
static bool g_evt_running;
static atomic_bool g_evt_stop;

/* The one translation of libusb errors. */
static int usb_err(int rc)
{
	switch (rc) {
	case LIBUSB_SUCCESS:
		return CCID_OK;
	case LIBUSB_ERROR_ACCESS:
		return CCID_E_ACCESS;
	case LIBUSB_ERROR_BUSY:
		return CCID_E_BUSY;
	case LIBUSB_ERROR_NO_DEVICE:
		return CCID_E_NO_DEVICE;
	case LIBUSB_ERROR_TIMEOUT:
		return CCID_E_TIMEOUT;
	case LIBUSB_ERROR_PIPE:
		return CCID_E_STALL;
	case LIBUSB_ERROR_NO_MEM:
		return CCID_E_NOMEM;
	case LIBUSB_ERROR_NOT_SUPPORTED:
		return CCID_E_NOT_SUPPORTED;
	case LIBUSB_ERROR_OVERFLOW:
		return CCID_E_OVERFLOW;
	case LIBUSB_ERROR_INVALID_PARAM:
		return CCID_E_INVAL;
	default:
		return CCID_E_IO;
	}
}

/* fork(): the child forgets the parent's context (its event thread
 * stayed in the parent; libusb's own state is not fork-safe) and makes
 * its own when it opens a reader.  The old one is left, never used. */
static void ctx_fork_prepare(void)
{
	pthread_mutex_lock(&g_mu);
}

static void ctx_fork_parent(void)
{
	pthread_mutex_unlock(&g_mu);
}

static void ctx_fork_child(void)
{
	pthread_mutex_init(&g_mu, NULL);
	g_ctx = NULL;
	g_refs = 0;
	g_evt_running = false;
	atomic_store(&g_evt_stop, false);
}

static void ctx_atfork(void)
{
	pthread_atfork(ctx_fork_prepare, ctx_fork_parent, ctx_fork_child);
}

/* Take a reference on the context, creating it if needed. */
static int ctx_ref(libusb_context **ctx)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	int rc = CCID_OK;

	pthread_once(&once, ctx_atfork);
	pthread_mutex_lock(&g_mu);
	if (g_ctx == NULL) {
		int r = libusb_init(&g_ctx);

		if (r < 0) {
			g_ctx = NULL;
			ccid_log_err("USB is not usable here (libusb_init: %s)",
				     libusb_strerror(r));
			rc = CCID_E_NOT_SUPPORTED;
		}
	}
	if (rc == CCID_OK)
		g_refs++;
	if (ctx != NULL)
		*ctx = g_ctx;
	pthread_mutex_unlock(&g_mu);
	return rc;
}

static void *evt_main(void *arg)
{
	libusb_context *ctx = arg;

	while (!atomic_load(&g_evt_stop)) {
		/* the timeout only bounds a missed wake-up */
		struct timeval tv = { .tv_sec = 1, .tv_usec = 0 };

		libusb_handle_events_timeout_completed(ctx, &tv, NULL);
	}
	return NULL;
}

static int evt_ensure(void)
{
	int rc = CCID_OK;

	pthread_mutex_lock(&g_mu);
	if (!g_evt_running) {
		atomic_store(&g_evt_stop, false);
		if (pthread_create(&g_evt, NULL, evt_main, g_ctx) == 0)
			g_evt_running = true;
		else
			rc = CCID_E_NOMEM;
	}
	pthread_mutex_unlock(&g_mu);
	return rc;
}

static void ctx_unref(void)
{
	pthread_mutex_lock(&g_mu);
	if (g_refs > 0 && --g_refs == 0) {
		if (g_evt_running) {
			atomic_store(&g_evt_stop, true);
			libusb_interrupt_event_handler(g_ctx);
			pthread_join(g_evt, NULL);
			g_evt_running = false;
		}
		libusb_exit(g_ctx);
		g_ctx = NULL;
	}
	pthread_mutex_unlock(&g_mu);
}

/* ---- transport ops ---- */

static struct tp_usb *tp_of(struct ccid_transport *tp)
{
	return (struct tp_usb *)tp;
}

/* Map, and remember that the device is gone (transport.h: every later
 * call returns CCID_E_NO_DEVICE). */
static int usb_result(struct tp_usb *t, int rc)
{
	int err = usb_err(rc);

	if (err == CCID_E_NO_DEVICE) {
		pthread_mutex_lock(&t->mu);
		t->gone = true;
		pthread_mutex_unlock(&t->mu);
	}
	return err;
}

/* libusb timeout for a deadline: 0 means "forever" to libusb, so a passed
 * deadline is reported before calling it. */
static int usb_timeout(struct tp_usb *t, uint64_t deadline, unsigned *ms)
{
	bool gone;

	pthread_mutex_lock(&t->mu);
	gone = t->gone;
	pthread_mutex_unlock(&t->mu);
	if (gone)
		return CCID_E_NO_DEVICE;
	if (deadline == CCID_DEADLINE_NEVER) {
		*ms = 0;
		return CCID_OK;
	}
	*ms = (unsigned)ccid_remaining_ms(deadline);
	return *ms == 0 ? CCID_E_TIMEOUT : CCID_OK;
}

static int usb_bulk_out(struct ccid_transport *tp, const uint8_t *buf,
			size_t len, uint64_t deadline)
{
	struct tp_usb *t = tp_of(tp);
	/* libusb takes a non-const buffer but does not write an OUT one */
	union { const uint8_t *c; unsigned char *m; } data = { .c = buf };
	unsigned ms;
	int done = 0, rc;

	if ((buf == NULL && len > 0) || len > INT_MAX)
		return CCID_E_INVAL;
	rc = usb_timeout(t, deadline, &ms);
	if (rc < 0)
		return rc;
	rc = libusb_bulk_transfer(t->h, t->ep_bulk_out, data.m, (int)len,
				  &done, ms);
	if (rc < 0)
		return usb_result(t, rc);
	if ((size_t)done != len) {
		ccid_log_err("bulk-OUT: %d of %zu bytes sent", done, len);
		return CCID_E_IO;
	}
	return CCID_OK;
}

static int usb_bulk_in(struct ccid_transport *tp, uint8_t *buf, size_t cap,
		       size_t *len, uint64_t deadline)
{
	struct tp_usb *t = tp_of(tp);
	unsigned ms;
	int done = 0, rc;

	if (len != NULL)
		*len = 0;
	if (buf == NULL || len == NULL || cap == 0)
		return CCID_E_INVAL;
	if (cap > INT_MAX)
		cap = INT_MAX;
	rc = usb_timeout(t, deadline, &ms);
	if (rc < 0)
		return rc;
	rc = libusb_bulk_transfer(t->h, t->ep_bulk_in, buf, (int)cap, &done,
				  ms);
	if (rc < 0)
		return usb_result(t, rc);
	*len = (size_t)done;
	return CCID_OK;
}

static int usb_control(struct ccid_transport *tp, uint8_t bmRequestType,
		       uint8_t bRequest, uint16_t wValue, uint8_t *data,
		       uint16_t wLength, size_t *actual, uint64_t deadline)
{
	struct tp_usb *t = tp_of(tp);
	unsigned ms;
	int rc;

	if (actual != NULL)
		*actual = 0;
	if (wLength > 0 && data == NULL)
		return CCID_E_INVAL;
	rc = usb_timeout(t, deadline, &ms);
	if (rc < 0)
		return rc;
	/* CCID 1.1 §5.3: wIndex is the interface number */
	rc = libusb_control_transfer(t->h, bmRequestType, bRequest, wValue,
				     tp->info.bInterfaceNumber, data, wLength,
				     ms);
	if (rc < 0)
		return usb_result(t, rc);
	if (actual != NULL)
		*actual = (size_t)rc;
	return CCID_OK;
}

/* Call the interrupt callback outside t->mu (held on entry and exit), so
 * that intr_stop can wait for it to finish. */
static void intr_call(struct tp_usb *t, const uint8_t *buf, size_t len)
{
	ccid_intr_cb cb = t->cb;
	void *arg = t->cb_arg;

	if (cb == NULL)
		return;
	t->in_cb = true;
	pthread_mutex_unlock(&t->mu);
	cb(arg, buf, len);
	pthread_mutex_lock(&t->mu);
	t->in_cb = false;
}

/* Whether to resubmit after this status (t->mu held). */
static bool intr_handle(struct tp_usb *t, struct libusb_transfer *x)
{
	switch (x->status) {
	case LIBUSB_TRANSFER_COMPLETED:
		t->intr_errors = 0;
		if (x->actual_length > 0)
			intr_call(t, x->buffer, (size_t)x->actual_length);
		return true;
	case LIBUSB_TRANSFER_CANCELLED:
		return false;
	case LIBUSB_TRANSFER_NO_DEVICE:
		t->gone = true;
		intr_call(t, NULL, 0); /* transport.h: (NULL, 0) once */
		t->cb = NULL;
		return false;
	default:
		ccid_log_dbg("interrupt-IN transfer status %d", x->status);
		return ++t->intr_errors < INTR_MAX_ERRORS;
	}
}

/* Runs on the event thread. */
static void LIBUSB_CALL intr_done(struct libusb_transfer *x)
{
	struct tp_usb *t = x->user_data;
	int rc;

	pthread_mutex_lock(&t->mu);
	if (intr_handle(t, x) && t->cb != NULL) {
		rc = libusb_submit_transfer(x);
		if (rc == LIBUSB_SUCCESS) {
			pthread_mutex_unlock(&t->mu);
			return;
		}
		ccid_log_err("interrupt-IN resubmit: %s", libusb_strerror(rc));
		if (rc == LIBUSB_ERROR_NO_DEVICE && !t->gone) {
			t->gone = true;
			intr_call(t, NULL, 0);
			t->cb = NULL;
		}
	}
	t->intr_active = false;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->mu);
}

static int intr_alloc(struct tp_usb *t)
{
	if (t->intr_xfer != NULL)
		return CCID_OK;
	t->intr_buf = malloc(t->intr_mps);
	t->intr_xfer = libusb_alloc_transfer(0);
	if (t->intr_buf == NULL || t->intr_xfer == NULL)
		return CCID_E_NOMEM;
	libusb_fill_interrupt_transfer(t->intr_xfer, t->h, t->ep_intr_in,
				       t->intr_buf, t->intr_mps, intr_done, t,
				       0);
	return CCID_OK;
}

static int usb_intr_start(struct ccid_transport *tp, ccid_intr_cb cb,
			  void *arg)
{
	struct tp_usb *t = tp_of(tp);
	int rc;

	if (cb == NULL)
		return CCID_E_INVAL;
	if (t->ep_intr_in == 0)
		return CCID_E_NOT_SUPPORTED;
	rc = evt_ensure();
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&t->mu);
	if (t->gone)
		rc = CCID_E_NO_DEVICE;
	else if (t->cb != NULL || t->intr_active)
		rc = CCID_E_BUSY;
	else
		rc = intr_alloc(t);
	if (rc == CCID_OK) {
		t->cb = cb;
		t->cb_arg = arg;
		t->intr_errors = 0;
		rc = libusb_submit_transfer(t->intr_xfer);
		if (rc == LIBUSB_SUCCESS)
			t->intr_active = true;
		else
			t->cb = NULL;
		rc = usb_err(rc);
		if (rc == CCID_E_NO_DEVICE)
			t->gone = true;
	}
	pthread_mutex_unlock(&t->mu);
	return rc;
}

static void usb_intr_stop(struct ccid_transport *tp)
{
	struct tp_usb *t = tp_of(tp);
	bool active;

	pthread_mutex_lock(&t->mu);
	t->cb = NULL; /* intr_done no longer resubmits */
	active = t->intr_active;
	pthread_mutex_unlock(&t->mu);
	if (active)
		libusb_cancel_transfer(t->intr_xfer);
	pthread_mutex_lock(&t->mu);
	/* transport.h: when we return, the callback runs nowhere */
	while (t->intr_active || t->in_cb)
		pthread_cond_wait(&t->cond, &t->mu);
	pthread_mutex_unlock(&t->mu);
}

static void open_hint(const struct ccid_usb_info *info, int err);

static int usb_claim(struct ccid_transport *tp)
{
	struct tp_usb *t = tp_of(tp);
	int rc, err;

	if (t->claimed)
		return CCID_OK;
	rc = libusb_claim_interface(t->h, tp->info.bInterfaceNumber);
	if (rc == 0) {
		t->claimed = true;
		return CCID_OK;
	}
	err = usb_result(t, rc);
	open_hint(&tp->info, err);
	return err;
}

static void usb_release(struct ccid_transport *tp)
{
	struct tp_usb *t = tp_of(tp);

	if (t->claimed)
		libusb_release_interface(t->h, tp->info.bInterfaceNumber);
	t->claimed = false;
}

static void usb_close(struct ccid_transport *tp)
{
	struct tp_usb *t = tp_of(tp);

	usb_intr_stop(tp);
	if (t->intr_xfer != NULL)
		libusb_free_transfer(t->intr_xfer);
	free(t->intr_buf);
	usb_release(tp);
	libusb_close(t->h);
	if (t->sys_fd >= 0)
		close(t->sys_fd); /* libusb_close leaves a wrapped fd open */
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->mu);
	free(t);
	ctx_unref();
}

static const struct ccid_transport_ops usb_ops = {
	.name = "libusb",
	.bulk_out = usb_bulk_out,
	.bulk_in = usb_bulk_in,
	.control = usb_control,
	.intr_start = usb_intr_start,
	.intr_stop = usb_intr_stop,
	.claim = usb_claim,
	.release = usb_release,
	.close = usb_close,
};

/* ---- finding CCID interfaces ---- */

/* A 54-byte class descriptor (CCID 1.1 §5.1) among the descriptors in a
 * libusb `extra` block. */
static const uint8_t *find_class_desc(const unsigned char *x, int len)
{
	int off = 0;

	while (len - off >= 2 && x[off] >= 2 && x[off] <= len - off) {
		if (x[off] == CCID_DESC_LEN &&
		    (x[off + 1] == CCID_DESC_TYPE ||
		     x[off + 1] == CCID_DESC_TYPE_PROPRIETARY))
			return x + off;
		off += x[off];
	}
	return NULL;
}

/* The class descriptor follows the interface descriptor; O2Micro readers
 * put it after the last endpoint (libusb attaches it to that endpoint's
 * `extra`). */
static const uint8_t *if_class_desc(const struct libusb_interface_descriptor *d)
{
	const uint8_t *cd = find_class_desc(d->extra, d->extra_length);

	if (cd == NULL && d->bNumEndpoints > 0) {
		const struct libusb_endpoint_descriptor *e =
			&d->endpoint[d->bNumEndpoints - 1];

		cd = find_class_desc(e->extra, e->extra_length);
	}
	return cd;
}

static void if_endpoints(const struct libusb_interface_descriptor *d,
			 uint8_t *in, uint8_t *out, uint8_t *intr,
			 uint16_t *intr_mps)
{
	*in = *out = *intr = 0;
	*intr_mps = 0;
	for (int i = 0; i < d->bNumEndpoints; i++) {
		const struct libusb_endpoint_descriptor *e = &d->endpoint[i];
		uint8_t type = e->bmAttributes & LIBUSB_TRANSFER_TYPE_MASK;
		bool is_in = e->bEndpointAddress & LIBUSB_ENDPOINT_IN;

		if (type == LIBUSB_TRANSFER_TYPE_BULK && is_in && *in == 0)
			*in = e->bEndpointAddress;
		else if (type == LIBUSB_TRANSFER_TYPE_BULK && !is_in &&
			 *out == 0)
			*out = e->bEndpointAddress;
		else if (type == LIBUSB_TRANSFER_TYPE_INTERRUPT && is_in &&
			 *intr == 0) {
			*intr = e->bEndpointAddress;
			*intr_mps = e->wMaxPacketSize & 0x07FF;
		}
	}
}

/* Strings in the device's first language (USB 2.0 §9.6.7), converted by
 * the same code as the usbredir transport. */
static void read_string(libusb_device_handle *h, uint16_t lang, uint8_t idx,
			char *out)
{
	unsigned char buf[255];
	int n;

	out[0] = '\0';
	if (idx == 0)
		return;
	n = libusb_get_string_descriptor(h, idx, lang, buf, sizeof(buf));
	if (n < 0 || ccid_usbdesc_string(buf, (size_t)n, out,
					 CCID_USB_STRLEN) < 0)
		ccid_log_dbg("string descriptor %u unreadable", idx);
}

static void read_strings(libusb_device_handle *h,
			 const struct libusb_device_descriptor *dd,
			 uint8_t iInterface, struct ccid_usb_info *info)
{
	unsigned char langs[4];
	uint16_t lang = USB_LANGID_EN_US;
	int n;

	n = libusb_get_string_descriptor(h, 0, 0, langs, sizeof(langs));
	if (n >= 4 && langs[1] == LIBUSB_DT_STRING)
		lang = (uint16_t)(langs[2] | langs[3] << 8);
	read_string(h, lang, dd->iManufacturer, info->manufacturer);
	read_string(h, lang, dd->iProduct, info->product);
	read_string(h, lang, dd->iSerialNumber, info->serial);
	read_string(h, lang, iInterface, info->interface);
}

/* What the user can do about a reader we cannot open. */
static void open_hint(const struct ccid_usb_info *info, int err)
{
	const char *hint = err == CCID_E_NO_DEVICE ?
			   "it was unplugged while being opened" :
			   ccid_err_hint(err);

	ccid_log_err("cannot use the reader at %s (%04x:%04x): %s%s%s",
		     info->location, info->idVendor, info->idProduct,
		     ccid_strerror(err), hint[0] ? ": " : "", hint);
}

/* Where a device is, and how to open it: through libusb's device list,
 * or (wrap) by opening its usbfs node ourselves.  The second is for a
 * device the context has not heard of: without udevd (containers, the
 * test guest) libusb's udev backend never updates the list of a context
 * that stays alive. */
struct usb_where {
	uint8_t bus, addr;
	bool wrap;
};

/* Open /dev/bus/usb/BBB/DDD and hand it to libusb (libusb >= 1.0.23). */
static int usb_wrap(libusb_context *ctx, uint8_t bus, uint8_t addr, int *fd,
		    libusb_device_handle **h)
{
	char path[64];
	int rc;

	snprintf(path, sizeof(path), "/dev/bus/usb/%03u/%03u", bus, addr);
	*fd = open(path, O_RDWR | O_CLOEXEC);
	if (*fd < 0)
		return errno == EACCES || errno == EPERM ? CCID_E_ACCESS :
		       errno == ENOENT || errno == ENODEV ? CCID_E_NO_DEVICE :
							    CCID_E_IO;
#if defined(LIBUSB_API_VERSION) && LIBUSB_API_VERSION >= 0x01000107
	rc = libusb_wrap_sys_device(ctx, (intptr_t)*fd, h);
#else
	(void)ctx;
	(void)h;
	rc = LIBUSB_ERROR_NOT_SUPPORTED;
#endif
	if (rc < 0) {
		close(*fd);
		*fd = -1;
	}
	return usb_err(rc);
}

/* Open (detaching a kernel driver happens at each claim): a new
 * transport in *out.  Claiming is the reader's business (usb_claim). */
static int usb_open_if(libusb_context *ctx, libusb_device *dev,
		       const struct usb_where *w,
		       const struct libusb_device_descriptor *dd,
		       const struct libusb_interface_descriptor *d,
		       struct ccid_usb_info *info, struct tp_usb **out)
{
	libusb_device_handle *h = NULL;
	struct tp_usb *t;
	pthread_condattr_t ca;
	int rc, fd = -1;

	if (w->wrap)
		rc = usb_wrap(ctx, w->bus, w->addr, &fd, &h);
	else
		rc = usb_err(libusb_open(dev, &h));
	if (rc < 0)
		return rc;
	read_strings(h, dd, d->iInterface, info);
	libusb_set_auto_detach_kernel_driver(h, 1); /* fails harmlessly off Linux */
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		libusb_close(h);
		if (fd >= 0)
			close(fd);
		return CCID_E_NOMEM;
	}
	t->base.ops = &usb_ops;
	t->base.info = *info;
	t->h = h;
	t->sys_fd = fd;
	if_endpoints(d, &t->ep_bulk_in, &t->ep_bulk_out, &t->ep_intr_in,
		     &t->intr_mps);
	if (t->intr_mps == 0)
		t->intr_mps = 64;
	pthread_mutex_init(&t->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cond, &ca);
	pthread_condattr_destroy(&ca);
	*out = t;
	return CCID_OK;
}

/* Vendor-class (0xFF) readers that carry a CCID class descriptor anyway
 * (research/readers.md §1, the same IDs as udev/readers.list; the udev
 * check compares the two).  Only these are claimed: a 0xFF interface is
 * anybody's, and claiming detaches its kernel driver.  Sorted. */
static const uint32_t vendor_ccid_ids[] = {
	0x046a003e, 0x04e65111, 0x04e6511a, 0x04e65120, 0x04e65121,
	0x04e6512b, 0x04e6512c, 0x04e65291, 0x04e65292, 0x04e6e003,
	0x076b532a, 0x076b5340, 0x08e61359, 0x08e62202, 0x08e6ace0,
	0x09730003, 0x09be0002, 0x0c4b0300, 0x0d464081, 0x1a746354,
	0x1a746356, 0x1db20600, 0x413c2100,
};

static bool vendor_ccid_known(uint16_t vid, uint16_t pid)
{
	uint32_t id = (uint32_t)vid << 16 | pid;

	for (size_t i = 0; i < sizeof(vendor_ccid_ids) / sizeof(vendor_ccid_ids[0]); i++)
		if (vendor_ccid_ids[i] == id)
			return true;
	return false;
}

/* The CCID class descriptor of interface d when d is a CCID interface we
 * drive: class 0x0B, or a listed vendor-class reader; NULL otherwise. */
static const uint8_t *if_ccid(const struct libusb_device_descriptor *dd,
			      const struct libusb_interface_descriptor *d)
{
	const uint8_t *cd;

	if (d->bInterfaceClass == USB_CLASS_VENDOR &&
	    !vendor_ccid_known(dd->idVendor, dd->idProduct))
		return NULL;
	if (d->bInterfaceClass != USB_CLASS_CCID &&
	    d->bInterfaceClass != USB_CLASS_VENDOR)
		return NULL;
	cd = if_class_desc(d);
	if (cd == NULL)
		ccid_log_err("%04x:%04x interface %u: CCID without class "
			     "descriptor", dd->idVendor, dd->idProduct,
			     d->bInterfaceNumber);
	return cd;
}

/* One CCID interface: describe it, open it, hand it to found(). */
static void usb_found_if(libusb_device *dev, const struct usb_where *w,
			 const struct libusb_device_descriptor *dd,
			 const struct libusb_interface_descriptor *d,
			 const uint8_t *cd, ccid_tp_found_cb found, void *arg)
{
	struct ccid_usb_info info;
	struct tp_usb *t = NULL;
	libusb_context *ctx = NULL;
	uint8_t in, out, intr;
	uint16_t mps;
	int rc;

	memset(&info, 0, sizeof(info));
	info.idVendor = dd->idVendor;
	info.idProduct = dd->idProduct;
	info.bcdDevice = dd->bcdDevice;
	info.bInterfaceNumber = d->bInterfaceNumber;
	info.bInterfaceClass = d->bInterfaceClass;
	info.bInterfaceProtocol = d->bInterfaceProtocol;
	if_endpoints(d, &in, &out, &intr, &mps);
	info.has_interrupt = intr != 0;
	info.ep_bulk_in = in;
	info.ep_bulk_out = out;
	info.ep_intr_in = intr;
	info.bcdUSB = dd->bcdUSB;
	memcpy(info.class_desc, cd, CCID_DESC_LEN);
	info.class_desc_len = CCID_DESC_LEN;
	info.usb_bus = w->bus;
	info.usb_addr = w->addr;
	snprintf(info.location, sizeof(info.location), "usb:%03u:%03u:%u",
		 info.usb_bus, info.usb_addr, d->bInterfaceNumber);
	if (in == 0 || out == 0) {
		ccid_log_err("%s: CCID interface without bulk endpoints",
			     info.location);
		found(arg, NULL, &info, CCID_E_PROTO);
		return;
	}
	rc = ctx_ref(&ctx); /* the transport's own reference */
	if (rc == CCID_OK) {
		rc = usb_open_if(ctx, dev, w, dd, d, &info, &t);
		if (rc < 0)
			ctx_unref();
	}
	if (rc < 0) {
		open_hint(&info, rc);
		found(arg, NULL, &info, rc);
		return;
	}
	ccid_log_info("%s: %04x:%04x \"%s\"", info.location, info.idVendor,
		      info.idProduct, info.product);
	found(arg, &t->base, &t->base.info, CCID_OK);
}

/* Every CCID interface (alternate setting 0) of one device; with found
 * NULL, only count them (no I/O: cached descriptors). */
static int usb_scan_device(libusb_device *dev, const struct usb_where *w,
			   ccid_tp_found_cb found, void *arg)
{
	struct libusb_device_descriptor dd;
	struct libusb_config_descriptor *cfg = NULL;
	int n = 0;

	if (libusb_get_device_descriptor(dev, &dd) < 0)
		return 0;
	if (dd.bDeviceClass == LIBUSB_CLASS_HUB)
		return 0;
	if (libusb_get_active_config_descriptor(dev, &cfg) < 0)
		return 0; /* unconfigured, or not readable: not ours */
	for (int i = 0; i < cfg->bNumInterfaces; i++) {
		const struct libusb_interface *itf = &cfg->interface[i];
		const uint8_t *cd;

		if (itf->num_altsetting < 1)
			continue;
		cd = if_ccid(&dd, &itf->altsetting[0]);
		if (cd == NULL)
			continue;
		if (found != NULL)
			usb_found_if(dev, w, &dd, &itf->altsetting[0], cd,
				     found, arg);
		n++;
	}
	libusb_free_config_descriptor(cfg);
	return n;
}

/* The device list under a context reference (released by list_end). */
static ssize_t list_begin(libusb_device ***list)
{
	libusb_context *ctx = NULL;
	ssize_t count;
	int rc = ctx_ref(&ctx);

	if (rc < 0)
		return rc;
	count = libusb_get_device_list(ctx, list);
	if (count < 0) {
		ccid_log_err("cannot list USB devices: %s",
			     libusb_strerror((int)count));
		ctx_unref();
		return usb_err((int)count);
	}
	return count;
}

static void list_end(libusb_device **list)
{
	libusb_free_device_list(list, 1);
	ctx_unref();
}

int ccid_tp_libusb_scan(ccid_tp_found_cb found, void *arg)
{
	libusb_device **list = NULL;
	ssize_t count;
	int n = 0;

	if (found == NULL)
		return CCID_E_INVAL;
	count = list_begin(&list);
	if (count < 0)
		return (int)count;
	for (ssize_t i = 0; i < count; i++) {
		struct usb_where w = {
			.bus = libusb_get_bus_number(list[i]),
			.addr = libusb_get_device_address(list[i]),
		};

		n += usb_scan_device(list[i], &w, found, arg);
	}
	list_end(list);
	return n;
}

/* A device the context's list does not have (see struct usb_where). */
static int usb_open_wrapped(uint8_t bus, uint8_t addr, ccid_tp_found_cb found,
			    void *arg)
{
	struct usb_where w = { .bus = bus, .addr = addr, .wrap = true };
	libusb_device_handle *h = NULL;
	libusb_context *ctx = NULL;
	int fd = -1, n = ctx_ref(&ctx);

	if (n < 0)
		return n;
	n = usb_wrap(ctx, bus, addr, &fd, &h);
	if (n == CCID_E_NO_DEVICE)
		n = CCID_E_NOT_FOUND;
	if (n == CCID_OK) {
		/* the descriptors came with the wrap: no I/O to scan them */
		n = usb_scan_device(libusb_get_device(h), &w, found, arg);
		libusb_close(h);
		close(fd);
	}
	ctx_unref();
	return n;
}

int ccid_tp_libusb_open_device(uint8_t bus, uint8_t addr,
			       ccid_tp_found_cb found, void *arg)
{
	struct usb_where w = { .bus = bus, .addr = addr };
	libusb_device **list = NULL;
	ssize_t count;
	int n = CCID_E_NOT_FOUND;

	if (found == NULL)
		return CCID_E_INVAL;
	count = list_begin(&list);
	if (count < 0)
		return (int)count;
	for (ssize_t i = 0; i < count; i++)
		if (libusb_get_bus_number(list[i]) == bus &&
		    libusb_get_device_address(list[i]) == addr) {
			n = usb_scan_device(list[i], &w, found, arg);
			break;
		}
	list_end(list);
	if (n == CCID_E_NOT_FOUND)
		n = usb_open_wrapped(bus, addr, found, arg);
	return n;
}

/* A private context each time: a fresh enumeration of sysfs, right even
 * where the shared context's list is stale (no udevd). */
int ccid_tp_libusb_list(uint16_t *ids, size_t cap)
{
	libusb_context *ctx = NULL;
	libusb_device **list = NULL;
	ssize_t count;
	size_t n = 0;

	if (ids == NULL && cap > 0)
		return CCID_E_INVAL;
	if (libusb_init(&ctx) < 0)
		return CCID_E_NOT_SUPPORTED;
	count = libusb_get_device_list(ctx, &list);
	if (count < 0) {
		libusb_exit(ctx);
		return usb_err((int)count);
	}
	for (ssize_t i = 0; i < count; i++) {
		struct usb_where w = {
			.bus = libusb_get_bus_number(list[i]),
			.addr = libusb_get_device_address(list[i]),
		};

		if (usb_scan_device(list[i], &w, NULL, NULL) == 0)
			continue;
		if (n < cap)
			ids[n] = (uint16_t)(w.bus << 8 | w.addr);
		n++;
	}
	libusb_free_device_list(list, 1);
	libusb_exit(ctx);
	return n > INT_MAX ? INT_MAX : (int)n;
}

/* ---- hotplug ---- */

struct ccid_tp_hotplug {
	libusb_context *ctx;
	libusb_hotplug_callback_handle handle;
	pthread_mutex_t mu; /* held while cb runs, so stop can wait for it */
	bool stopped;
	ccid_tp_hotplug_cb cb;
	void *arg;
};

/* Runs on the libusb event thread: libusb forbids synchronous I/O here,
 * so only the IDs travel on (libusb 1.0 API docs, "Device hotplug event
 * notification"). */
static int LIBUSB_CALL hotplug_event(libusb_context *ctx, libusb_device *dev,
				     libusb_hotplug_event ev, void *user)
{
	struct ccid_tp_hotplug *hp = user;

	(void)ctx;
	pthread_mutex_lock(&hp->mu);
	if (!hp->stopped)
		hp->cb(hp->arg, ev == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED,
		       libusb_get_bus_number(dev),
		       libusb_get_device_address(dev));
	pthread_mutex_unlock(&hp->mu);
	return 0; /* stay registered */
}

int ccid_tp_libusb_hotplug_start(ccid_tp_hotplug_cb cb, void *arg,
				 struct ccid_tp_hotplug **out)
{
	struct ccid_tp_hotplug *hp;
	int rc;

	if (cb == NULL || out == NULL)
		return CCID_E_INVAL;
	*out = NULL;
	if (!libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG))
		return CCID_E_NOT_SUPPORTED;
	/* libusb's Linux backend hears of devices from udevd (its monitor
	 * listens to udev's events, not the kernel's): without udevd the
	 * callbacks would never come */
#ifdef __linux__
	if (access("/run/udev/control", F_OK) != 0) {
		ccid_log_info("udevd is not running: no USB hotplug events");
		return CCID_E_NOT_SUPPORTED;
	}
#endif
	hp = calloc(1, sizeof(*hp));
	if (hp == NULL)
		return CCID_E_NOMEM;
	hp->cb = cb;
	hp->arg = arg;
	pthread_mutex_init(&hp->mu, NULL);
	rc = ctx_ref(&hp->ctx);
	if (rc == CCID_OK) {
		rc = usb_err(libusb_hotplug_register_callback(
			hp->ctx,
			LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
				LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT,
			0, LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
			LIBUSB_HOTPLUG_MATCH_ANY, hotplug_event, hp,
			&hp->handle));
		if (rc < 0)
			ctx_unref();
	}
	if (rc == CCID_OK) {
		rc = evt_ensure(); /* callbacks run on the event thread */
		if (rc < 0) {
			libusb_hotplug_deregister_callback(hp->ctx, hp->handle);
			ctx_unref();
		}
	}
	if (rc < 0) {
		pthread_mutex_destroy(&hp->mu);
		free(hp);
		return rc;
	}
	*out = hp;
	return CCID_OK;
}

void ccid_tp_libusb_hotplug_stop(struct ccid_tp_hotplug **hpp)
{
	struct ccid_tp_hotplug *hp;

	if (hpp == NULL || *hpp == NULL)
		return;
	hp = *hpp;
	*hpp = NULL;
	/* waits for a callback in progress; later ones return at once */
	pthread_mutex_lock(&hp->mu);
	hp->stopped = true;
	pthread_mutex_unlock(&hp->mu);
	/* libusb calls hotplug callbacks holding its callback-list lock,
	 * which deregistering takes too: once this returns, none runs */
	libusb_hotplug_deregister_callback(hp->ctx, hp->handle);
	ctx_unref();
	pthread_mutex_destroy(&hp->mu);
	free(hp);
}
