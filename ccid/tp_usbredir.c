/* ccidkit — transport over usbredir: we are the usb-guest, the peer (e.g.
 * `ccidkit vreader`, or usbredirserver with a real reader) is the usb-host
 * that owns the device.  See transport.h for the contract of every op.
 *
 * Threads: one I/O thread per connection polls the socket and an eventfd,
 * runs usbredirparser_do_read (so every parser callback runs on it) and
 * usbredirparser_do_write.  API threads queue packets with
 * usbredirparser_send_* (the parser's own lock, given through the lock
 * callbacks, protects its write queue) and wake the I/O thread; they then
 * wait on t->cond for the answer carrying their packet id.
 *
 * Lock order: parser lock -> t->mu.  Parser callbacks take t->mu; API
 * threads therefore never call into the parser while holding t->mu. */
#include "config.h"

#include "ccid/clock.h"
#include "ccid/desc.h"
#include "ccid/err.h"
#include "ccid/log.h"
#include "ccid/transport.h"
#include "ccid/usbdesc.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <usbredirparser.h>

#define REDIR_VERSION "ccidkit " PACKAGE_VERSION
/* how long to wait for the answer to a cancel_data_packet */
#define REDIR_CANCEL_WAIT_MS 200
/* USB 2.0 §9.4: standard requests and descriptor types */
#define USB_REQ_GET_DESCRIPTOR 0x06
#define USB_DT_DEVICE 0x01
#define USB_DT_CONFIG 0x02
#define USB_DT_STRING 0x03
#define USB_LANGID_EN_US 0x0409

/* One request waiting for its answer; lives on the API thread's stack. */
struct pending {
	uint64_t id;
	bool done;
	int err;        /* mapped status of the answer */
	uint8_t *in;    /* where IN data goes (NULL for OUT) */
	size_t cap, len;
	struct pending *next;
};

struct tp_redir {
	struct ccid_transport base; /* first: transport.h */
	int fd, wake_fd;
	struct usbredirparser *parser;
	void *parser_lock;
	pthread_t thread;
	bool thread_started;

	pthread_mutex_t mu; /* everything below */
	pthread_cond_t cond;
	bool stop, gone;
	bool have_hello, have_connect, have_ifinfo, have_epinfo;
	bool peer_32bit_bulk;
	struct usb_redir_device_connect_header dev;
	struct usb_redir_interface_info_header ifinfo;
	uint64_t next_id;
	struct pending *pending;
	ccid_intr_cb cb;
	void *cb_arg;
	bool in_cb;

	/* set while opening, read-only afterwards */
	uint8_t ep_bulk_in, ep_bulk_out, ep_intr_in;
};

static struct tp_redir *tp_of(struct ccid_transport *tp)
{
	return (struct tp_redir *)tp;
}

/* The one translation of usbredir statuses (usbredirproto.h). */
static int redir_status_err(uint8_t status)
{
	switch (status) {
	case usb_redir_success:
		return CCID_OK;
	case usb_redir_stall:
		return CCID_E_STALL;
	case usb_redir_cancelled:
		return CCID_E_CANCELLED;
	case usb_redir_timeout:
		return CCID_E_TIMEOUT;
	case usb_redir_ioerror:
	case usb_redir_inval:
	case usb_redir_babble:
	default:
		return CCID_E_IO;
	}
}

/* ---- waiting on the monotonic clock ---- */

/* Wait on t->cond (t->mu held) until woken or deadline.  false = passed. */
static bool cond_wait_until(struct tp_redir *t, uint64_t deadline)
{
	struct timespec ts;

	if (deadline == CCID_DEADLINE_NEVER) {
		pthread_cond_wait(&t->cond, &t->mu);
		return true;
	}
	if (ccid_remaining_ms(deadline) == 0)
		return false;
	ts.tv_sec = (time_t)(deadline / 1000u);
	ts.tv_nsec = (long)(deadline % 1000u) * 1000000L;
	return pthread_cond_timedwait(&t->cond, &t->mu, &ts) != ETIMEDOUT ||
	       ccid_remaining_ms(deadline) > 0;
}

static void wake_io(struct tp_redir *t)
{
	uint64_t one = 1;
	ssize_t r = write(t->wake_fd, &one, sizeof(one));

	(void)r; /* a full eventfd is already a wake-up */
}

/* ---- parser lock callbacks ---- */

/* The parser allocates its lock inside usbredirparser_init, without
 * telling us which: remember it per thread so redir_start can keep it. */
static __thread void *last_lock;

static void *lock_alloc(void)
{
	pthread_mutex_t *m = malloc(sizeof(*m));
	pthread_mutexattr_t a;

	if (m == NULL)
		return NULL;
	/* recursive: we take it around parser calls that may take it too */
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
	last_lock = m;
	return m;
}

static void lock_lock(void *m)
{
	pthread_mutex_lock(m);
}

static void lock_unlock(void *m)
{
	pthread_mutex_unlock(m);
}

static void lock_free(void *m)
{
	if (m != NULL) {
		pthread_mutex_destroy(m);
		free(m);
	}
}

/* ---- parser I/O callbacks (I/O thread) ---- */

static void redir_log(void *priv, int level, const char *msg)
{
	(void)priv;
	if (level <= usbredirparser_error)
		ccid_log_err("usbredir: %s", msg);
	else if (level <= usbredirparser_info)
		ccid_log_info("usbredir: %s", msg);
	else
		ccid_log_dbg("usbredir: %s", msg);
}

static int redir_read(void *priv, uint8_t *data, int count)
{
	struct tp_redir *t = priv;
	ssize_t n = recv(t->fd, data, (size_t)count, 0);

	if (n > 0)
		return (int)n;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (n == 0)
		ccid_log_info("usbredir peer closed the connection");
	else
		ccid_log_err("usbredir socket read: %s", strerror(errno));
	return -1;
}

static int redir_write(void *priv, uint8_t *data, int count)
{
	struct tp_redir *t = priv;
	/* MSG_NOSIGNAL: a vanished peer is an error code, not a SIGPIPE */
	ssize_t n = send(t->fd, data, (size_t)count, MSG_NOSIGNAL);

	if (n >= 0)
		return (int)n;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return 0;
	ccid_log_err("usbredir socket write: %s", strerror(errno));
	return -1;
}

/* ---- the device going away ---- */

/* Runs cb(arg, buf, len) outside t->mu, so that intr_stop can wait for it
 * (transport.h: when intr_stop returns, cb runs nowhere).  With last, the
 * callback is also unregistered: (NULL, 0) is delivered only once. */
static void intr_deliver(struct tp_redir *t, const uint8_t *buf, size_t len,
			 bool last)
{
	ccid_intr_cb cb;
	void *arg;

	pthread_mutex_lock(&t->mu);
	cb = t->cb;
	arg = t->cb_arg;
	if (last)
		t->cb = NULL;
	if (cb == NULL) {
		pthread_mutex_unlock(&t->mu);
		return;
	}
	t->in_cb = true;
	pthread_mutex_unlock(&t->mu);
	cb(arg, buf, len);
	pthread_mutex_lock(&t->mu);
	t->in_cb = false;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->mu);
}

/* Socket EOF/error or device_disconnect: every waiter and every later call
 * gets CCID_E_NO_DEVICE (transport.h). */
static void mark_gone(struct tp_redir *t)
{
	bool was;

	pthread_mutex_lock(&t->mu);
	was = t->gone;
	t->gone = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->mu);
	if (!was) {
		ccid_log_info("usbredir device is gone");
		intr_deliver(t, NULL, 0, true);
	}
}

/* ---- control-packet callbacks (I/O thread) ---- */

static void on_hello(void *priv, struct usb_redir_hello_header *h)
{
	struct tp_redir *t = priv;
	bool big = usbredirparser_peer_has_cap(t->parser,
				usb_redir_cap_32bits_bulk_length);

	ccid_log_dbg("usbredir peer: \"%.64s\"", h->version);
	pthread_mutex_lock(&t->mu);
	t->have_hello = true;
	t->peer_32bit_bulk = big;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->mu);
}

static void on_device_connect(void *priv,
			      struct usb_redir_device_connect_header *d)
{
	struct tp_redir *t = priv;

	ccid_log_dbg("usbredir device %04x:%04x connected", d->vendor_id,
		     d->product_id);
	pthread_mutex_lock(&t->mu);
	t->dev = *d;
	t->have_connect = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->mu);
}

static void on_device_disconnect(void *priv)
{
	mark_gone(priv);
}

static void on_interface_info(void *priv,
			      struct usb_redir_interface_info_header *i)
{
	struct tp_redir *t = priv;

	pthread_mutex_lock(&t->mu);
	t->ifinfo = *i;
	t->have_ifinfo = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->mu);
}

static void on_ep_info(void *priv, struct usb_redir_ep_info_header *e)
{
	struct tp_redir *t = priv;

	(void)e; /* endpoints come from the configuration descriptor */
	pthread_mutex_lock(&t->mu);
	t->have_epinfo = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->mu);
}

static void on_intr_status(void *priv, uint64_t id,
			   struct usb_redir_interrupt_receiving_status_header *s)
{
	(void)priv;
	(void)id;
	if (s->status != usb_redir_success)
		ccid_log_err("usbredir: interrupt endpoint 0x%02x: status %u",
			     s->endpoint, s->status);
}

/* ---- answers to our requests (I/O thread) ---- */

/* Complete the pending request `id`; answers nobody waits for any more
 * (cancelled after a timeout) are dropped. */
static void complete(struct tp_redir *t, uint64_t id, uint8_t status,
		     const uint8_t *data, int data_len)
{
	struct pending *p;

	pthread_mutex_lock(&t->mu);
	for (p = t->pending; p != NULL && p->id != id; p = p->next)
		;
	if (p == NULL) {
		pthread_mutex_unlock(&t->mu);
		ccid_log_dbg("usbredir: answer to unknown id %llu dropped",
			     (unsigned long long)id);
		return;
	}
	p->err = redir_status_err(status);
	p->len = 0;
	if (p->in != NULL && data != NULL && data_len > 0) {
		p->len = (size_t)data_len;
		if (p->len > p->cap) {
			p->len = p->cap;
			if (p->err == CCID_OK)
				p->err = CCID_E_OVERFLOW;
		}
		memcpy(p->in, data, p->len);
	}
	p->done = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->mu);
}

static void on_config_status(void *priv, uint64_t id,
			     struct usb_redir_configuration_status_header *s)
{
	complete(priv, id, s->status, NULL, 0);
}

static void on_control(void *priv, uint64_t id,
		       struct usb_redir_control_packet_header *h,
		       uint8_t *data, int data_len)
{
	struct tp_redir *t = priv;

	complete(t, id, h->status, data, data_len);
	if (data != NULL)
		usbredirparser_free_packet_data(t->parser, data);
}

static void on_bulk(void *priv, uint64_t id,
		    struct usb_redir_bulk_packet_header *h,
		    uint8_t *data, int data_len)
{
	struct tp_redir *t = priv;

	complete(t, id, h->status, data, data_len);
	if (data != NULL)
		usbredirparser_free_packet_data(t->parser, data);
}

static void on_interrupt(void *priv, uint64_t id,
			 struct usb_redir_interrupt_packet_header *h,
			 uint8_t *data, int data_len)
{
	struct tp_redir *t = priv;

	(void)id;
	if (h->status == usb_redir_success && data != NULL && data_len > 0)
		intr_deliver(t, data, (size_t)data_len, false);
	else if (h->status != usb_redir_success)
		ccid_log_dbg("usbredir: interrupt packet status %u", h->status);
	if (data != NULL)
		usbredirparser_free_packet_data(t->parser, data);
}

/* ---- packets a usb-host may send that a CCID guest never asks for ----
 * usbredirparser calls every callback without checking it for NULL, so a
 * hostile or confused peer sending one of these would make it jump to
 * address 0: each has a handler that logs it and drops it (freeing what
 * the parser hands over). */

static void unasked(const char *what)
{
	ccid_log_dbg("usbredir: unrequested %s packet ignored", what);
}

static void on_alt_status(void *priv, uint64_t id,
			  struct usb_redir_alt_setting_status_header *h)
{
	(void)priv;
	(void)id;
	(void)h;
	unasked("alt_setting_status");
}

static void on_iso_status(void *priv, uint64_t id,
			  struct usb_redir_iso_stream_status_header *h)
{
	(void)priv;
	(void)id;
	(void)h;
	unasked("iso_stream_status");
}

static void on_streams_status(void *priv, uint64_t id,
			      struct usb_redir_bulk_streams_status_header *h)
{
	(void)priv;
	(void)id;
	(void)h;
	unasked("bulk_streams_status");
}

static void on_bulk_recv_status(void *priv, uint64_t id,
				struct usb_redir_bulk_receiving_status_header *h)
{
	(void)priv;
	(void)id;
	(void)h;
	unasked("bulk_receiving_status");
}

static void on_filter_reject(void *priv)
{
	(void)priv;
	unasked("filter_reject");
}

static void on_filter(void *priv, struct usbredirfilter_rule *rules,
		      int count)
{
	(void)priv;
	(void)count;
	free(rules); /* ours (usbredirparser.h) */
	unasked("filter_filter");
}

static void on_disconnect_ack(void *priv)
{
	(void)priv;
	unasked("device_disconnect_ack");
}

/* A data packet nobody asked for: its data is ours to free. */
static void unasked_data(void *priv, uint8_t *data, const char *what)
{
	struct tp_redir *t = priv;

	if (data != NULL)
		usbredirparser_free_packet_data(t->parser, data);
	unasked(what);
}

static void on_iso(void *priv, uint64_t id,
		   struct usb_redir_iso_packet_header *h, uint8_t *data,
		   int data_len)
{
	(void)id;
	(void)h;
	(void)data_len;
	unasked_data(priv, data, "iso");
}

static void on_buffered_bulk(void *priv, uint64_t id,
			     struct usb_redir_buffered_bulk_packet_header *h,
			     uint8_t *data, int data_len)
{
	(void)id;
	(void)h;
	(void)data_len;
	unasked_data(priv, data, "buffered_bulk");
}

/* ---- the I/O thread ---- */

static bool io_should_stop(struct tp_redir *t)
{
	bool stop;

	pthread_mutex_lock(&t->mu);
	stop = t->stop || t->gone;
	pthread_mutex_unlock(&t->mu);
	return stop;
}

/* usbredirparser_has_data_to_write reads the queue without the parser's
 * lock while API threads append to it: take the lock ourselves. */
static bool redir_has_output(struct tp_redir *t)
{
	bool has;

	if (t->parser_lock != NULL)
		lock_lock(t->parser_lock);
	has = usbredirparser_has_data_to_write(t->parser) > 0;
	if (t->parser_lock != NULL)
		lock_unlock(t->parser_lock);
	return has;
}

static void *io_main(void *arg)
{
	struct tp_redir *t = arg;

	while (!io_should_stop(t)) {
		struct pollfd pfd[2] = {
			{ .fd = t->fd, .events = POLLIN },
			{ .fd = t->wake_fd, .events = POLLIN },
		};
		uint64_t v;
		int rc;

		if (redir_has_output(t))
			pfd[0].events |= POLLOUT;
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			ccid_log_err("usbredir poll: %s", strerror(errno));
			mark_gone(t);
			break;
		}
		if (pfd[1].revents & POLLIN && read(t->wake_fd, &v, sizeof(v)) < 0)
			ccid_log_dbg("eventfd read: %s", strerror(errno));
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			rc = usbredirparser_do_read(t->parser);
			if (rc == usbredirparser_read_io_error) {
				mark_gone(t);
				break;
			}
			if (rc == usbredirparser_read_parse_error)
				ccid_log_err("usbredir: malformed packet skipped");
		}
		if (pfd[0].revents & POLLOUT &&
		    usbredirparser_do_write(t->parser) ==
			    usbredirparser_write_io_error) {
			mark_gone(t);
			break;
		}
	}
	return NULL;
}

/* ---- requests ---- */

/* Register p under a new id; CCID_E_NO_DEVICE when already gone. */
static int pending_add(struct tp_redir *t, struct pending *p, uint8_t *in,
		       size_t cap)
{
	memset(p, 0, sizeof(*p));
	p->in = in;
	p->cap = cap;
	pthread_mutex_lock(&t->mu);
	if (t->gone) {
		pthread_mutex_unlock(&t->mu);
		return CCID_E_NO_DEVICE;
	}
	p->id = ++t->next_id;
	p->next = t->pending;
	t->pending = p;
	pthread_mutex_unlock(&t->mu);
	return CCID_OK;
}

static void pending_unlink(struct tp_redir *t, struct pending *p)
{
	struct pending **pp;

	for (pp = &t->pending; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
}

/* Wait (t->mu held) for p, the device going away, or deadline. */
static int pending_wait_locked(struct tp_redir *t, struct pending *p,
			       uint64_t deadline)
{
	for (;;) {
		if (p->done)
			return p->err;
		if (t->gone)
			return CCID_E_NO_DEVICE;
		if (!cond_wait_until(t, deadline))
			return CCID_E_TIMEOUT;
	}
}

/* Wait for the answer to p.  On timeout, ask the peer to cancel it and
 * wait a little for the cancelled answer, so that a reply which was
 * already on its way is not lost.  p is unlinked on return. */
static int pending_wait(struct tp_redir *t, struct pending *p,
			uint64_t deadline)
{
	int rc;

	pthread_mutex_lock(&t->mu);
	rc = pending_wait_locked(t, p, deadline);
	pthread_mutex_unlock(&t->mu);
	if (rc == CCID_E_TIMEOUT) {
		ccid_log_dbg("usbredir: request %llu timed out, cancelling",
			     (unsigned long long)p->id);
		usbredirparser_send_cancel_data_packet(t->parser, p->id);
		wake_io(t);
		pthread_mutex_lock(&t->mu);
		rc = pending_wait_locked(t, p,
					 ccid_deadline_in(REDIR_CANCEL_WAIT_MS));
		if (rc == CCID_E_CANCELLED || rc == CCID_E_NO_DEVICE)
			rc = CCID_E_TIMEOUT;
		pthread_mutex_unlock(&t->mu);
	}
	pthread_mutex_lock(&t->mu);
	pending_unlink(t, p);
	if (t->gone && rc != CCID_OK)
		rc = CCID_E_NO_DEVICE;
	pthread_mutex_unlock(&t->mu);
	return rc;
}

/* A control transfer on endpoint 0 (USB 2.0 §9.3). */
static int redir_control_xfer(struct tp_redir *t, uint8_t bmRequestType,
			      uint8_t bRequest, uint16_t wValue, uint16_t wIndex,
			      uint8_t *data, uint16_t wLength, size_t *actual,
			      uint64_t deadline)
{
	struct usb_redir_control_packet_header h = {
		.endpoint = bmRequestType & 0x80,
		.request = bRequest,
		.requesttype = bmRequestType,
		.value = wValue,
		.index = wIndex,
		.length = wLength,
	};
	bool in = bmRequestType & 0x80;
	struct pending p;
	int rc;

	if (actual != NULL)
		*actual = 0;
	if (wLength > 0 && data == NULL)
		return CCID_E_INVAL;
	rc = pending_add(t, &p, in ? data : NULL, in ? wLength : 0);
	if (rc < 0)
		return rc;
	usbredirparser_send_control_packet(t->parser, p.id, &h,
					   in ? NULL : data,
					   in ? 0 : (int)wLength);
	wake_io(t);
	rc = pending_wait(t, &p, deadline);
	if (rc == CCID_OK && actual != NULL)
		*actual = in ? p.len : wLength;
	return rc;
}

/* ---- transport ops ---- */

static int redir_gone(struct tp_redir *t)
{
	bool gone;

	pthread_mutex_lock(&t->mu);
	gone = t->gone;
	pthread_mutex_unlock(&t->mu);
	return gone ? CCID_E_NO_DEVICE : CCID_OK;
}

static size_t redir_max_bulk(struct tp_redir *t)
{
	bool big;

	pthread_mutex_lock(&t->mu);
	big = t->peer_32bit_bulk;
	pthread_mutex_unlock(&t->mu);
	/* without usb_redir_cap_32bits_bulk_length on both sides a bulk
	 * packet carries at most 16 bits of length */
	return big ? UINT32_MAX : UINT16_MAX;
}

static int redir_bulk_out(struct ccid_transport *tp, const uint8_t *buf,
			  size_t len, uint64_t deadline)
{
	struct tp_redir *t = tp_of(tp);
	struct usb_redir_bulk_packet_header h = { .endpoint = t->ep_bulk_out };
	/* the parser copies the data into its queue and never writes to it */
	union { const uint8_t *c; uint8_t *m; } data = { .c = buf };
	struct pending p;
	int rc;

	if (buf == NULL && len > 0)
		return CCID_E_INVAL;
	rc = redir_gone(t);
	if (rc < 0)
		return rc;
	if (len > redir_max_bulk(t) || len > INT32_MAX)
		return CCID_E_NOT_SUPPORTED;
	h.length = (uint16_t)(len & 0xFFFF);
	h.length_high = (uint16_t)(len >> 16);
	rc = pending_add(t, &p, NULL, 0);
	if (rc < 0)
		return rc;
	usbredirparser_send_bulk_packet(t->parser, p.id, &h, data.m, (int)len);
	wake_io(t);
	return pending_wait(t, &p, deadline);
}

static int redir_bulk_in(struct ccid_transport *tp, uint8_t *buf, size_t cap,
			 size_t *len, uint64_t deadline)
{
	struct tp_redir *t = tp_of(tp);
	struct usb_redir_bulk_packet_header h = { .endpoint = t->ep_bulk_in };
	struct pending p;
	size_t max;
	int rc;

	if (len != NULL)
		*len = 0;
	if (buf == NULL || len == NULL || cap == 0)
		return CCID_E_INVAL;
	rc = redir_gone(t);
	if (rc < 0)
		return rc;
	max = redir_max_bulk(t);
	if (cap > max)
		cap = max;
	if (cap > INT32_MAX)
		cap = INT32_MAX;
	h.length = (uint16_t)(cap & 0xFFFF);
	h.length_high = (uint16_t)(cap >> 16);
	rc = pending_add(t, &p, buf, cap);
	if (rc < 0)
		return rc;
	usbredirparser_send_bulk_packet(t->parser, p.id, &h, NULL, 0);
	wake_io(t);
	rc = pending_wait(t, &p, deadline);
	if (rc == CCID_OK)
		*len = p.len;
	return rc;
}

static int redir_control(struct ccid_transport *tp, uint8_t bmRequestType,
			 uint8_t bRequest, uint16_t wValue, uint8_t *data,
			 uint16_t wLength, size_t *actual, uint64_t deadline)
{
	struct tp_redir *t = tp_of(tp);
	int rc = redir_gone(t);

	if (rc < 0)
		return rc;
	/* CCID 1.1 §5.3: wIndex is the interface number */
	return redir_control_xfer(t, bmRequestType, bRequest, wValue,
				  tp->info.bInterfaceNumber, data, wLength,
				  actual, deadline);
}

static int redir_intr_start(struct ccid_transport *tp, ccid_intr_cb cb,
			    void *arg)
{
	struct tp_redir *t = tp_of(tp);
	struct usb_redir_start_interrupt_receiving_header h = {
		.endpoint = t->ep_intr_in,
	};
	uint64_t id;

	if (cb == NULL)
		return CCID_E_INVAL;
	if (t->ep_intr_in == 0)
		return CCID_E_NOT_SUPPORTED;
	pthread_mutex_lock(&t->mu);
	if (t->gone) {
		pthread_mutex_unlock(&t->mu);
		return CCID_E_NO_DEVICE;
	}
	if (t->cb != NULL) {
		pthread_mutex_unlock(&t->mu);
		return CCID_E_BUSY;
	}
	t->cb = cb;
	t->cb_arg = arg;
	id = ++t->next_id;
	pthread_mutex_unlock(&t->mu);
	usbredirparser_send_start_interrupt_receiving(t->parser, id, &h);
	wake_io(t);
	return CCID_OK;
}

static void redir_intr_stop(struct ccid_transport *tp)
{
	struct tp_redir *t = tp_of(tp);
	struct usb_redir_stop_interrupt_receiving_header h = {
		.endpoint = t->ep_intr_in,
	};
	bool was_on, gone;
	uint64_t id;

	pthread_mutex_lock(&t->mu);
	was_on = t->cb != NULL;
	t->cb = NULL;
	/* a delivery in progress finishes before we return (transport.h) */
	while (t->in_cb && !pthread_equal(pthread_self(), t->thread))
		pthread_cond_wait(&t->cond, &t->mu);
	gone = t->gone;
	id = ++t->next_id;
	pthread_mutex_unlock(&t->mu);
	if (was_on && !gone) {
		usbredirparser_send_stop_interrupt_receiving(t->parser, id, &h);
		wake_io(t);
	}
}

static void redir_free(struct tp_redir *t)
{
	if (t->thread_started) {
		pthread_mutex_lock(&t->mu);
		t->stop = true;
		pthread_mutex_unlock(&t->mu);
		wake_io(t);
		pthread_join(t->thread, NULL);
	}
	if (t->parser != NULL)
		usbredirparser_destroy(t->parser);
	if (t->fd >= 0)
		close(t->fd);
	if (t->wake_fd >= 0)
		close(t->wake_fd);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

static void redir_close(struct ccid_transport *tp)
{
	struct tp_redir *t = tp_of(tp);

	redir_intr_stop(tp);
	redir_free(t);
}

static const struct ccid_transport_ops redir_ops = {
	.name = "usbredir",
	.bulk_out = redir_bulk_out,
	.bulk_in = redir_bulk_in,
	.control = redir_control,
	.intr_start = redir_intr_start,
	.intr_stop = redir_intr_stop,
	.close = redir_close,
};

/* ---- connecting ---- */

/* "unix:PATH" or "tcp:HOST:PORT" (HOST may be [v6-address]). */
static int endpoint_parse(const char *ep, bool *is_unix, char *host,
			  size_t hcap, char *port, size_t pcap)
{
	const char *h, *colon;
	size_t hl;
	char *end;
	unsigned long pn;

	if (ep == NULL)
		return CCID_E_INVAL;
	if (strncmp(ep, "unix:", 5) == 0) {
		*is_unix = true;
		if (ep[5] == '\0' ||
		    strlen(ep + 5) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return CCID_E_INVAL;
		snprintf(host, hcap, "%s", ep + 5);
		return CCID_OK;
	}
	if (strncmp(ep, "tcp:", 4) != 0)
		return CCID_E_INVAL;
	*is_unix = false;
	h = ep + 4;
	colon = strrchr(h, ':');
	if (colon == NULL || colon == h || colon[1] == '\0')
		return CCID_E_INVAL;
	errno = 0;
	pn = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || errno != 0 || pn == 0 || pn > 65535 ||
	    colon[1] < '0' || colon[1] > '9')
		return CCID_E_INVAL;
	hl = (size_t)(colon - h);
	if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl == 0 || hl >= hcap)
		return CCID_E_INVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, pcap, "%lu", pn);
	return CCID_OK;
}

static int connect_errno_err(int e, const char *ep)
{
	switch (e) {
	case ECONNREFUSED:
	case ENOENT:
		ccid_log_err("nobody listens at %s (is `ccidkit vreader` "
			     "running there?)", ep);
		return CCID_E_NOT_FOUND;
	case EACCES:
	case EPERM:
		ccid_log_err("permission denied connecting to %s", ep);
		return CCID_E_ACCESS;
	case ETIMEDOUT:
		ccid_log_err("connecting to %s timed out", ep);
		return CCID_E_TIMEOUT;
	default:
		ccid_log_err("cannot connect to %s: %s", ep, strerror(e));
		return CCID_E_IO;
	}
}

/* Non-blocking connect finished with poll() so the deadline holds. */
static int sock_connect(int fd, const struct sockaddr *sa, socklen_t salen,
			const char *ep, uint64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int e = 0;
	socklen_t el = sizeof(e);

	if (connect(fd, sa, salen) == 0)
		return CCID_OK;
	if (errno != EINPROGRESS && errno != EAGAIN && errno != EINTR)
		return connect_errno_err(errno, ep);
	for (;;) {
		int rc = poll(&pfd, 1, ccid_remaining_ms(deadline));

		if (rc > 0)
			break;
		if (rc == 0) {
			ccid_log_err("connecting to %s timed out", ep);
			return CCID_E_TIMEOUT;
		}
		if (errno != EINTR)
			return connect_errno_err(errno, ep);
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
		e = errno;
	return e == 0 ? CCID_OK : connect_errno_err(e, ep);
}

static int connect_unix(const char *path, const char *ep, uint64_t deadline,
			int *fdp)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(path);
	int fd, rc;

	if (n >= sizeof(sa.sun_path))
		return CCID_E_INVAL;
	memcpy(sa.sun_path, path, n + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return connect_errno_err(errno, ep);
	rc = sock_connect(fd, (struct sockaddr *)&sa, sizeof(sa), ep, deadline);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	*fdp = fd;
	return CCID_OK;
}

static int connect_tcp(const char *host, const char *port, const char *ep,
		       uint64_t deadline, int *fdp)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
	};
	struct addrinfo *res = NULL, *ai;
	int rc, fd, one = 1;

	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		ccid_log_err("cannot resolve %s: %s", host, gai_strerror(rc));
		return CCID_E_NOT_FOUND;
	}
	rc = CCID_E_NOT_FOUND;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
			    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0)
			continue;
		rc = sock_connect(fd, ai->ai_addr, ai->ai_addrlen, ep,
				  deadline);
		if (rc == CCID_OK) {
			/* CCID is request/response of small packets */
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				   sizeof(one));
			*fdp = fd;
			break;
		}
		close(fd);
		if (rc == CCID_E_TIMEOUT)
			break;
	}
	freeaddrinfo(res);
	return rc;
}

static int endpoint_connect(const char *ep, uint64_t deadline, int *fdp)
{
	char host[256], port[8];
	bool is_unix = false;
	int rc;

	rc = endpoint_parse(ep, &is_unix, host, sizeof(host), port,
			    sizeof(port));
	if (rc < 0) {
		ccid_log_err("bad usbredir endpoint \"%s\": want unix:PATH or "
			     "tcp:HOST:PORT", ep ? ep : "(null)");
		return rc;
	}
	if (is_unix)
		return connect_unix(host, ep, deadline, fdp);
	return connect_tcp(host, port, ep, deadline, fdp);
}

/* ---- opening ---- */

static struct tp_redir *redir_alloc(void)
{
	struct tp_redir *t = calloc(1, sizeof(*t));
	pthread_condattr_t ca;

	if (t == NULL)
		return NULL;
	t->fd = -1;
	t->wake_fd = -1;
	pthread_mutex_init(&t->mu, NULL);
	pthread_condattr_init(&ca);
	/* deadlines are CLOCK_MONOTONIC (clock.h) */
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cond, &ca);
	pthread_condattr_destroy(&ca);
	t->base.ops = &redir_ops;
	return t;
}

static void parser_set_callbacks(struct usbredirparser *p, void *priv)
{
	p->priv = priv;
	p->log_func = redir_log;
	p->read_func = redir_read;
	p->write_func = redir_write;
	p->alloc_lock_func = lock_alloc;
	p->lock_func = lock_lock;
	p->unlock_func = lock_unlock;
	p->free_lock_func = lock_free;
	p->hello_func = on_hello;
	p->device_connect_func = on_device_connect;
	p->device_disconnect_func = on_device_disconnect;
	p->interface_info_func = on_interface_info;
	p->ep_info_func = on_ep_info;
	p->configuration_status_func = on_config_status;
	p->interrupt_receiving_status_func = on_intr_status;
	p->control_packet_func = on_control;
	p->bulk_packet_func = on_bulk;
	p->interrupt_packet_func = on_interrupt;
	p->alt_setting_status_func = on_alt_status;
	p->iso_stream_status_func = on_iso_status;
	p->bulk_streams_status_func = on_streams_status;
	p->bulk_receiving_status_func = on_bulk_recv_status;
	p->filter_reject_func = on_filter_reject;
	p->filter_filter_func = on_filter;
	p->device_disconnect_ack_func = on_disconnect_ack;
	p->iso_packet_func = on_iso;
	p->buffered_bulk_packet_func = on_buffered_bulk;
}

/* Parser (which queues our hello) and the I/O thread. */
static int redir_start(struct tp_redir *t)
{
	uint32_t caps[USB_REDIR_CAPS_SIZE] = { 0 };

	t->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (t->wake_fd < 0)
		return CCID_E_NOMEM;
	t->parser = usbredirparser_create();
	if (t->parser == NULL)
		return CCID_E_NOMEM;
	parser_set_callbacks(t->parser, t);
	usbredirparser_caps_set_cap(caps, usb_redir_cap_connect_device_version);
	usbredirparser_caps_set_cap(caps, usb_redir_cap_ep_info_max_packet_size);
	usbredirparser_caps_set_cap(caps, usb_redir_cap_64bits_ids);
	/* extended CCID messages exceed 65535 bytes */
	usbredirparser_caps_set_cap(caps, usb_redir_cap_32bits_bulk_length);
	last_lock = NULL;
	usbredirparser_init(t->parser, REDIR_VERSION, caps, USB_REDIR_CAPS_SIZE,
			    0);
	t->parser_lock = last_lock;
	/* without its lock (lock_alloc ran out of memory) the parser would
	 * go on unlocked between our threads: not an option */
	if (t->parser_lock == NULL)
		return CCID_E_NOMEM;
	if (pthread_create(&t->thread, NULL, io_main, t) != 0)
		return CCID_E_NOMEM;
	t->thread_started = true;
	return CCID_OK;
}

/* The usb-host announces its device with interface_info, ep_info and
 * device_connect (usbredir protocol, "device_connect"). */
static int wait_device(struct tp_redir *t, const char *ep, uint64_t deadline)
{
	int rc = CCID_OK;

	pthread_mutex_lock(&t->mu);
	while (!(t->have_connect && t->have_ifinfo && t->have_epinfo)) {
		if (t->gone) {
			/* a peer that hangs up before its hello is serving
			 * someone else (ccidkit vreader takes one client) */
			rc = t->have_hello ? CCID_E_NO_DEVICE : CCID_E_BUSY;
			break;
		}
		if (!cond_wait_until(t, deadline)) {
			rc = CCID_E_TIMEOUT;
			break;
		}
	}
	pthread_mutex_unlock(&t->mu);
	if (rc == CCID_E_TIMEOUT)
		ccid_log_err("%s: the usbredir peer announced no device in time",
			     ep);
	else if (rc == CCID_E_BUSY)
		ccid_log_err("%s: the usbredir peer hung up at once: busy with "
			     "another client?", ep);
	else if (rc < 0)
		ccid_log_err("%s: the usbredir peer went away before announcing "
			     "a device", ep);
	return rc;
}

static int get_descriptor(struct tp_redir *t, uint8_t type, uint8_t index,
			  uint16_t lang, uint8_t *buf, uint16_t len,
			  size_t *got, uint64_t deadline)
{
	/* USB 2.0 §9.4.3 GET_DESCRIPTOR */
	return redir_control_xfer(t, 0x80, USB_REQ_GET_DESCRIPTOR,
				  (uint16_t)(type << 8 | index), lang, buf,
				  len, got, deadline);
}

static void read_string(struct tp_redir *t, uint8_t index, char *out,
			uint64_t deadline)
{
	uint8_t buf[255];
	size_t got = 0;

	out[0] = '\0';
	if (index == 0)
		return;
	if (get_descriptor(t, USB_DT_STRING, index, USB_LANGID_EN_US, buf,
			   sizeof(buf), &got, deadline) < 0 ||
	    ccid_usbdesc_string(buf, got, out, CCID_USB_STRLEN) < 0)
		ccid_log_dbg("string descriptor %u unreadable", index);
}

/* Fetch the whole configuration descriptor: 9 bytes for wTotalLength,
 * then all of it (USB 2.0 §9.4.3). *cfg is malloc'ed. */
static int read_config(struct tp_redir *t, uint8_t **cfg, size_t *len,
		       uint64_t deadline)
{
	uint8_t head[9];
	size_t got = 0;
	uint16_t total;
	int rc;

	rc = get_descriptor(t, USB_DT_CONFIG, 0, 0, head, sizeof(head), &got,
			    deadline);
	if (rc < 0)
		return rc;
	if (got < 4 || head[1] != USB_DT_CONFIG)
		return CCID_E_PROTO;
	total = (uint16_t)(head[2] | head[3] << 8);
	if (total < sizeof(head))
		return CCID_E_PROTO;
	*cfg = malloc(total);
	if (*cfg == NULL)
		return CCID_E_NOMEM;
	rc = get_descriptor(t, USB_DT_CONFIG, 0, 0, *cfg, total, len,
			    deadline);
	if (rc < 0) {
		free(*cfg);
		*cfg = NULL;
	}
	return rc;
}

/* usbredir reports the interfaces of the active configuration; if ours is
 * not among them, select the configuration that holds it. */
static int ensure_configuration(struct tp_redir *t, uint8_t ifnum,
				uint8_t value, uint64_t deadline)
{
	struct usb_redir_set_configuration_header h = { .configuration = value };
	struct pending p;
	bool found = false;
	int rc;

	pthread_mutex_lock(&t->mu);
	for (uint32_t i = 0; i < t->ifinfo.interface_count && i < 32; i++)
		if (t->ifinfo.interface[i] == ifnum)
			found = true;
	pthread_mutex_unlock(&t->mu);
	if (found)
		return CCID_OK;
	ccid_log_dbg("usbredir: selecting configuration %u", value);
	rc = pending_add(t, &p, NULL, 0);
	if (rc < 0)
		return rc;
	usbredirparser_send_set_configuration(t->parser, p.id, &h);
	wake_io(t);
	return pending_wait(t, &p, deadline);
}

static int fill_info(struct tp_redir *t, const struct ccid_usb_ccid_if *f,
		     const struct ccid_usb_device_desc *d, const char *ep,
		     uint64_t deadline)
{
	struct ccid_usb_info *info = &t->base.info;

	info->idVendor = d->idVendor;
	info->idProduct = d->idProduct;
	info->bcdDevice = d->bcdDevice;
	info->bInterfaceNumber = f->bInterfaceNumber;
	info->bInterfaceClass = f->bInterfaceClass;
	info->bInterfaceProtocol = f->bInterfaceProtocol;
	info->has_interrupt = f->ep_intr_in != 0;
	info->ep_bulk_in = f->ep_bulk_in;
	info->ep_bulk_out = f->ep_bulk_out;
	info->ep_intr_in = f->ep_intr_in;
	memcpy(info->class_desc, f->class_desc, f->class_desc_len);
	info->class_desc_len = f->class_desc_len;
	snprintf(info->location, sizeof(info->location), "%s", ep);
	t->ep_bulk_in = f->ep_bulk_in;
	t->ep_bulk_out = f->ep_bulk_out;
	t->ep_intr_in = f->ep_intr_in;
	read_string(t, d->iManufacturer, info->manufacturer, deadline);
	read_string(t, d->iProduct, info->product, deadline);
	read_string(t, d->iSerialNumber, info->serial, deadline);
	read_string(t, f->iInterface, info->interface, deadline);
	return redir_gone(t);
}

/* Descriptors -> the CCID interface -> struct ccid_usb_info. */
static int redir_probe(struct tp_redir *t, const char *ep, uint64_t deadline)
{
	uint8_t dd[18], *cfg = NULL;
	size_t got = 0, cfg_len = 0;
	struct ccid_usb_device_desc d;
	struct ccid_usb_ccid_if f;
	int rc;

	rc = get_descriptor(t, USB_DT_DEVICE, 0, 0, dd, sizeof(dd), &got,
			    deadline);
	if (rc == CCID_OK)
		rc = ccid_usbdesc_device(dd, got, &d);
	if (rc == CCID_OK)
		rc = read_config(t, &cfg, &cfg_len, deadline);
	if (rc < 0) {
		ccid_log_err("%s: cannot read the device's descriptors: %s",
			     ep, ccid_strerror(rc));
		return rc;
	}
	rc = ccid_usbdesc_find_ccid(cfg, cfg_len, 0, &f);
	if (rc == CCID_OK && (f.ep_bulk_in == 0 || f.ep_bulk_out == 0))
		rc = CCID_E_PROTO;
	if (rc < 0) {
		ccid_log_err("%s: device %04x:%04x has no usable CCID interface",
			     ep, d.idVendor, d.idProduct);
		free(cfg);
		return rc == CCID_E_NOT_FOUND ? CCID_E_NOT_SUPPORTED : rc;
	}
	rc = ensure_configuration(t, f.bInterfaceNumber, f.bConfigurationValue,
				  deadline);
	if (rc == CCID_OK)
		rc = fill_info(t, &f, &d, ep, deadline);
	free(cfg);
	return rc;
}

int ccid_tp_usbredir_open(const char *endpoint, uint64_t deadline,
			  struct ccid_transport **out)
{
	struct tp_redir *t;
	int rc;

	if (out == NULL)
		return CCID_E_INVAL;
	*out = NULL;
	t = redir_alloc();
	if (t == NULL)
		return CCID_E_NOMEM;
	rc = endpoint_connect(endpoint, deadline, &t->fd);
	if (rc == CCID_OK)
		rc = redir_start(t);
	if (rc == CCID_OK)
		rc = wait_device(t, endpoint, deadline);
	if (rc == CCID_OK)
		rc = redir_probe(t, endpoint, deadline);
	if (rc < 0) {
		redir_free(t);
		return rc;
	}
	ccid_log_info("%s: %04x:%04x interface %u \"%s\"", endpoint,
		      t->base.info.idVendor, t->base.info.idProduct,
		      t->base.info.bInterfaceNumber, t->base.info.product);
	*out = &t->base;
	return CCID_OK;
}
