/* ccidkit — the reader list (see manager.h). */
#include "config.h"
#include "ccid/manager.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ccid/clock.h"
#include "ccid/err.h"
#include "ccid/log.h"

/* One reader in the list.  index is the NN of its names. */
struct mgr_reader {
	struct ccid_reader *r;
	unsigned index;
	long ep; /* its usbredir endpoint in m->eps, or -1 (libusb) */
};

/* One usbredir endpoint of CCIDKIT_USBREDIR: retried while it has no
 * reader (never reached, or its reader went gone).  Event thread only,
 * once watching. */
struct mgr_endpoint {
	char *spec;
	bool connected;
	bool malformed; /* never retried */
};

/* A libusb hotplug event, queued by the libusb event thread for ours. */
struct mgr_usb_event {
	uint8_t bus, addr;
	bool arrived;
};

/* A USB device (bus, address) with a CCID interface we could not open
 * (permissions, another program holding it): tried again every
 * CCID_MANAGER_RETRY_MS until it opens or leaves.  Event thread only,
 * once watching. */
struct mgr_usb_failed {
	uint8_t bus, addr;
};

#define MGR_USB_QUEUE 64 /* events between two passes; more: rescan */
#define MGR_USB_MAX 128  /* CCID devices looked at by one rescan */

struct ccid_manager {
	pthread_mutex_t mu;
	pthread_cond_t cond; /* CLOCK_MONOTONIC */

	/* under mu */
	uint64_t generation;
	unsigned waiters;  /* threads inside ccid_manager_wait */
	bool stopping;     /* ccid_manager_free has begun */
	struct mgr_usb_event usbq[MGR_USB_QUEUE]; /* hotplug events */
	size_t nusbq;
	bool usbq_overflow; /* events were lost: rescan everything */

	/* Written under mu, by ccid_manager_new before anyone shares m and
	 * then by the event thread only: so that thread reads them without
	 * the lock, every other thread reads them under it. */
	struct mgr_reader *readers;
	size_t nreaders;
	struct ccid_manager_entry *entries;
	size_t nentries;

	struct mgr_endpoint *eps;
	size_t neps;
	bool watching;     /* the event thread was started (API threads) */
	pthread_t thread;

	/* USB, event thread only once watching */
	bool usb;          /* CCIDKIT_LIBUSB allows it and libusb works */
	bool live;         /* the event thread runs: no new problem lines */
	struct ccid_tp_hotplug *hotplug; /* NULL: polling fallback */
	struct mgr_usb_failed *failed;
	size_t nfailed;

	/* fixed at creation */
	char **problems;
	int *problem_errs;
	size_t nproblems;
	int oom; /* an allocation failed while building the list */
	uint64_t deadline;
};

static void mgr_problem(struct ccid_manager *m, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void mgr_problem(struct ccid_manager *m, int err, const char *fmt, ...)
{
	char line[512];
	char **grown;
	int *errs;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ccid_log_err("%s", line);
	grown = realloc(m->problems, (m->nproblems + 1) * sizeof(*grown));
	if (grown != NULL)
		m->problems = grown;
	errs = realloc(m->problem_errs, (m->nproblems + 1) * sizeof(*errs));
	if (errs != NULL)
		m->problem_errs = errs;
	if (grown == NULL || errs == NULL) {
		m->oom = 1;
		return;
	}
	m->problem_errs[m->nproblems] = err;
	m->problems[m->nproblems] = strdup(line);
	if (m->problems[m->nproblems] == NULL)
		m->oom = 1;
	else
		m->nproblems++;
}

void ccid_manager_format_name(const char *base, unsigned index, unsigned slot,
			      char *out)
{
	/* pcscd keeps names below MAX_READERNAME; the " NN MM" suffix always
	 * survives, the base is cut to make room (pcsc-abi.md §6.2). */
	int room = CCID_READERNAME_MAX - 1 - 6;

	snprintf(out, CCID_READERNAME_MAX, "%.*s %02X %02X", room, base,
		 index & 0xFFu, slot & 0xFFu);
}

/* NN: the smallest number that no listed reader with the same base name
 * uses — at creation that is 00, 01, ... in order; later it lets a reader
 * that comes back alone get its old name again (pcsc-abi.md §6.2). */
static unsigned mgr_name_index(const struct ccid_manager *m, const char *base)
{
	unsigned index = 0;

	for (size_t i = 0; i < m->nreaders; i++) {
		const struct mgr_reader *o = &m->readers[i];

		if (o->index == index && strcmp(o->r->base_name, base) == 0) {
			index++;
			i = (size_t)-1; /* look again for the next number */
		}
	}
	return index;
}

/* Caller holds mu (or m is not shared yet).  The entry list follows the
 * reader list, slot by slot; m->entries has room for all of them. */
static void mgr_fill_entries(struct ccid_manager *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->nreaders; i++) {
		struct ccid_reader *r = m->readers[i].r;

		for (unsigned s = 0; s < r->nslots; s++) {
			struct ccid_manager_entry *e = &m->entries[n++];

			e->reader = r;
			e->slot = s;
			ccid_manager_format_name(r->base_name,
						 m->readers[i].index, s,
						 e->name);
		}
	}
	m->nentries = n;
}

/* The reader hook (reader.h): runs on transport threads and API threads
 * with no reader lock held; takes mu only for the bump. */
static void mgr_on_change(void *arg)
{
	struct ccid_manager *m = arg;

	pthread_mutex_lock(&m->mu);
	m->generation++;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->mu);
}

/* Append r (taking its reference).  New arrays are built first and
 * swapped in under mu, so API threads reading the old ones under mu never
 * see them half-grown. */
static int mgr_add_reader(struct ccid_manager *m, struct ccid_reader *r,
			  long ep)
{
	size_t nent = m->nentries + r->nslots;
	struct mgr_reader *readers, *old_readers;
	struct ccid_manager_entry *entries, *old_entries;

	readers = malloc((m->nreaders + 1) * sizeof(*readers));
	entries = malloc(nent * sizeof(*entries));
	if (readers == NULL || entries == NULL) {
		free(readers);
		free(entries);
		return CCID_E_NOMEM;
	}
	if (m->nreaders > 0)
		memcpy(readers, m->readers, m->nreaders * sizeof(*readers));
	readers[m->nreaders] = (struct mgr_reader){
		.r = r, .index = mgr_name_index(m, r->base_name), .ep = ep,
	};
	ccid_reader_set_on_change(r, mgr_on_change, m);
	pthread_mutex_lock(&m->mu);
	old_readers = m->readers;
	old_entries = m->entries;
	m->readers = readers;
	m->nreaders++;
	m->entries = entries;
	mgr_fill_entries(m);
	m->generation++;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->mu);
	free(old_readers);
	free(old_entries);
	return CCID_OK;
}

/* Take reader i off the list and drop the list's reference.  The hook is
 * removed first and the reference dropped last, both without mu: the
 * hook takes mu, and the last unref waits for the transport's threads. */
static void mgr_remove_reader(struct ccid_manager *m, size_t i)
{
	struct ccid_reader *r = m->readers[i].r;

	pthread_mutex_lock(&m->mu);
	memmove(&m->readers[i], &m->readers[i + 1],
		(m->nreaders - i - 1) * sizeof(m->readers[0]));
	m->nreaders--;
	mgr_fill_entries(m); /* fewer entries: they fit where they were */
	m->generation++;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->mu);
	ccid_reader_set_on_change(r, NULL, NULL);
	ccid_reader_unref(&r);
}

/* ccid_reader_new on tp, then list it.  At creation (report) failures
 * become problem lines; on retries they are only debug noise. */
static int mgr_take_transport(struct ccid_manager *m,
			      struct ccid_transport *tp, long ep,
			      uint64_t deadline, bool report)
{
	struct ccid_reader *r = NULL;
	char where[CCID_USB_STRLEN];
	int err;

	snprintf(where, sizeof(where), "%s", tp->info.location);
	err = ccid_reader_new(tp, deadline, &r);
	if (err != CCID_OK) {
		if (report)
			mgr_problem(m, err, "%s: cannot use this reader: %s (%s)%s%s",
				    where, ccid_strerror(err), ccid_errname(err),
				    ccid_err_hint(err)[0] ? "; " : "",
				    ccid_err_hint(err));
		else
			ccid_log_dbg("%s: cannot use this reader: %s", where,
				     ccid_strerror(err));
		return err;
	}
	err = mgr_add_reader(m, r, ep);
	if (err != CCID_OK) {
		m->oom = 1;
		ccid_reader_unref(&r);
	}
	return err;
}

/* ---- USB devices (libusb) ---- */

/* The listed reader on USB interface bus:addr:ifnum (ifnum < 0: any
 * interface of that device), or -1. */
static long mgr_usb_find(const struct ccid_manager *m, uint8_t bus,
			 uint8_t addr, int ifnum)
{
	for (size_t i = 0; i < m->nreaders; i++) {
		const struct ccid_usb_info *u = &m->readers[i].r->tp->info;

		if (u->usb_bus == bus && u->usb_addr == addr && bus != 0 &&
		    (ifnum < 0 || u->bInterfaceNumber == ifnum))
			return (long)i;
	}
	return -1;
}

static long mgr_failed_find(const struct ccid_manager *m, uint8_t bus,
			    uint8_t addr)
{
	for (size_t i = 0; i < m->nfailed; i++)
		if (m->failed[i].bus == bus && m->failed[i].addr == addr)
			return (long)i;
	return -1;
}

static void mgr_failed_drop(struct ccid_manager *m, uint8_t bus, uint8_t addr)
{
	long i = mgr_failed_find(m, bus, addr);

	if (i >= 0)
		m->failed[i] = m->failed[--m->nfailed];
}

/* Remember bus:addr for another try (an allocation failure only loses
 * the retry). */
static void mgr_failed_add(struct ccid_manager *m, uint8_t bus, uint8_t addr)
{
	struct mgr_usb_failed *grown;

	if (bus == 0 || mgr_failed_find(m, bus, addr) >= 0)
		return;
	grown = realloc(m->failed, (m->nfailed + 1) * sizeof(*grown));
	if (grown == NULL)
		return;
	m->failed = grown;
	m->failed[m->nfailed++] = (struct mgr_usb_failed){ bus, addr };
}

/* ccid_tp_libusb_scan/open_device's callback.  At creation a failure is a
 * problem line; once live it is retried quietly (tp_libusb.c has logged
 * what to do about it).  The other interfaces of a device retried because
 * one failed are already ours: their BUSY is no news. */
static void mgr_libusb_found(void *arg, struct ccid_transport *tp,
			     const struct ccid_usb_info *info, int err)
{
	struct ccid_manager *m = arg;

	if (err == CCID_OK &&
	    mgr_usb_find(m, info->usb_bus, info->usb_addr,
			 info->bInterfaceNumber) >= 0) {
		ccid_transport_free(&tp);
		return;
	}
	if (err != CCID_OK) {
		if (mgr_usb_find(m, info->usb_bus, info->usb_addr,
				 info->bInterfaceNumber) >= 0)
			return;
		if (err != CCID_E_NO_DEVICE)
			mgr_failed_add(m, info->usb_bus, info->usb_addr);
		if (!m->live)
			mgr_problem(m, err, "%s (%04X:%04X %s %s): cannot open: %s (%s)%s%s",
				    info->location, info->idVendor,
				    info->idProduct, info->manufacturer,
				    info->product, ccid_strerror(err),
				    ccid_errname(err),
				    ccid_err_hint(err)[0] ? "; " : "",
				    ccid_err_hint(err));
		return;
	}
	{
		uint8_t bus = info->usb_bus, addr = info->usb_addr;

		/* (tp and info are gone after a failure) */
		if (mgr_take_transport(m, tp, -1, m->deadline, !m->live) !=
		    CCID_OK)
			mgr_failed_add(m, bus, addr);
	}
}

/* Connect usbredir endpoint i and list its reader. */
static void mgr_connect_endpoint(struct ccid_manager *m, size_t i,
				 uint64_t deadline, bool report)
{
	struct mgr_endpoint *ep = &m->eps[i];
	const char *spec = ep->spec;
	struct ccid_transport *tp = NULL;
	int err = ccid_tp_usbredir_open(spec, deadline, &tp);

	if (err == CCID_OK) {
		err = mgr_take_transport(m, tp, (long)i, deadline, report);
		ep->connected = err == CCID_OK;
		return;
	}
	if (err == CCID_E_INVAL)
		ep->malformed = true;
	if (!report)
		ccid_log_dbg("%s: still unreachable: %s", spec,
			     ccid_strerror(err));
	else if (err == CCID_E_NOT_FOUND)
		mgr_problem(m, err, "%s: no virtual reader is listening there", spec);
	else if (err == CCID_E_INVAL)
		mgr_problem(m, err, "%s: not an endpoint (CCIDKIT_USBREDIR wants unix:PATH or tcp:HOST:PORT)", spec);
	else if (err == CCID_E_BUSY)
		mgr_problem(m, err, "%s: the reader is busy: another program is connected to it", spec);
	else
		mgr_problem(m, err, "%s: cannot connect: %s (%s)", spec,
			    ccid_strerror(err), ccid_errname(err));
}

/* Remember every endpoint of the comma-separated list, then connect each. */
static void mgr_open_usbredir(struct ccid_manager *m, const char *list)
{
	char *copy = strdup(list);
	char *save = NULL;

	if (copy == NULL) {
		m->oom = 1;
		return;
	}
	for (char *ep = strtok_r(copy, ",", &save); ep != NULL;
	     ep = strtok_r(NULL, ",", &save)) {
		struct mgr_endpoint *eps;

		while (*ep == ' ')
			ep++;
		if (*ep == '\0')
			continue;
		eps = realloc(m->eps, (m->neps + 1) * sizeof(*eps));
		if (eps == NULL) {
			m->oom = 1;
			break;
		}
		m->eps = eps;
		eps[m->neps] = (struct mgr_endpoint){ .spec = strdup(ep) };
		if (eps[m->neps].spec == NULL) {
			m->oom = 1;
			break;
		}
		m->neps++;
	}
	free(copy);
	for (size_t i = 0; i < m->neps; i++)
		mgr_connect_endpoint(m, i, m->deadline, true);
}

static int mgr_libusb_enabled(void)
{
	const char *env = getenv("CCIDKIT_LIBUSB");

	return env == NULL || strcmp(env, "0") != 0;
}

static int mgr_init_sync(struct ccid_manager *m)
{
	pthread_condattr_t ca;
	int err;

	if (pthread_mutex_init(&m->mu, NULL) != 0)
		return CCID_E_NOMEM;
	/* deadlines are CLOCK_MONOTONIC milliseconds (clock.h) */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	err = pthread_cond_init(&m->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (err != 0) {
		pthread_mutex_destroy(&m->mu);
		return CCID_E_NOMEM;
	}
	return CCID_OK;
}

int ccid_manager_new(uint64_t deadline, struct ccid_manager **out)
{
	struct ccid_manager *m;
	const char *redir = getenv("CCIDKIT_USBREDIR");

	if (out == NULL)
		return CCID_E_INVAL;
	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return CCID_E_NOMEM;
	if (mgr_init_sync(m) != CCID_OK) {
		free(m);
		return CCID_E_NOMEM;
	}
	m->deadline = deadline;
	if (mgr_libusb_enabled()) {
		int n = ccid_tp_libusb_scan(mgr_libusb_found, m);

		/* no libusb context (no USB at all here): never look again */
		m->usb = n != CCID_E_NOT_SUPPORTED;
		if (n < 0 && n != CCID_E_NOT_SUPPORTED)
			mgr_problem(m, n, "usb: cannot list USB devices: %s",
				    ccid_strerror(n));
	}
	if (redir != NULL)
		mgr_open_usbredir(m, redir);
	if (m->oom) {
		ccid_manager_free(&m);
		return CCID_E_NOMEM;
	}
	*out = m;
	return CCID_OK;
}

/* ------------------------------------------------------------------ */
/* The event thread                                                   */

/* How long one poll or one reconnection may take (the event thread does
 * nothing else meanwhile, and ccid_manager_free waits for it). */
#define MGR_POLL_IO_MS 1000u
#define MGR_CONNECT_MS 2000u

/* Caller holds mu.  CCID_OK when woken, CCID_E_TIMEOUT at the deadline. */
static int mgr_cond_wait(struct ccid_manager *m, uint64_t deadline)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline / 1000u),
		.tv_nsec = (long)(deadline % 1000u) * 1000000L,
	};

	if (deadline == CCID_DEADLINE_NEVER) {
		pthread_cond_wait(&m->cond, &m->mu);
		return CCID_OK;
	}
	if (pthread_cond_timedwait(&m->cond, &m->mu, &ts) == ETIMEDOUT)
		return CCID_E_TIMEOUT;
	return CCID_OK;
}

/* Gone readers leave the list; their usbredir endpoint becomes one to
 * retry. */
static void mgr_drop_gone(struct ccid_manager *m)
{
	for (size_t i = 0; i < m->nreaders;) {
		long ep = m->readers[i].ep;

		if (!ccid_reader_is_gone(m->readers[i].r)) {
			i++;
			continue;
		}
		mgr_remove_reader(m, i);
		if (ep >= 0)
			m->eps[ep].connected = false;
	}
}

/* Readers without an interrupt pipe tell about cards only in replies:
 * ask them.  A reader in the middle of an exchange is skipped this time
 * (its replies update the state anyway); one that fails with
 * CCID_E_NO_DEVICE was marked gone by reader.c. */
static void mgr_poll(struct ccid_manager *m)
{
	for (size_t i = 0; i < m->nreaders; i++) {
		struct ccid_reader *r = m->readers[i].r;
		int err;

		if (r->intr_started || ccid_reader_is_gone(r))
			continue;
		err = ccid_reader_poll_status(r, ccid_deadline_in(MGR_POLL_IO_MS));
		if (err != CCID_OK && err != CCID_E_BUSY &&
		    err != CCID_E_NO_DEVICE)
			ccid_log_dbg("%s: status poll: %s", r->base_name,
				     ccid_strerror(err));
	}
}

static void mgr_retry(struct ccid_manager *m)
{
	for (size_t i = 0; i < m->neps; i++)
		if (!m->eps[i].connected && !m->eps[i].malformed)
			mgr_connect_endpoint(m, i,
					     ccid_deadline_in(MGR_CONNECT_MS),
					     false);
}

/* Open every CCID interface of bus:addr we have not got yet. */
static void mgr_usb_open(struct ccid_manager *m, uint8_t bus, uint8_t addr)
{
	int n;

	mgr_failed_drop(m, bus, addr); /* a failure adds it back */
	m->deadline = ccid_deadline_in(MGR_CONNECT_MS);
	n = ccid_tp_libusb_open_device(bus, addr, mgr_libusb_found, m);
	if (n < 0 && n != CCID_E_NOT_FOUND)
		ccid_log_dbg("usb %03u:%03u: %s", bus, addr, ccid_strerror(n));
}

/* A USB device left: its readers are gone (CCID_E_NO_DEVICE for whoever
 * still holds one; mgr_drop_gone takes them off the list).  A reader with
 * an interrupt pipe usually knows already (LIBUSB_TRANSFER_NO_DEVICE);
 * one without learns it here instead of at its next transfer. */
static void mgr_usb_left(struct ccid_manager *m, uint8_t bus, uint8_t addr)
{
	for (size_t i = 0; i < m->nreaders; i++) {
		const struct ccid_usb_info *u = &m->readers[i].r->tp->info;

		if (u->usb_bus == bus && u->usb_addr == addr)
			ccid_reader_set_gone(m->readers[i].r);
	}
	mgr_failed_drop(m, bus, addr);
}

static bool mgr_id_in(const uint16_t *ids, size_t n, uint8_t bus,
		      uint8_t addr)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == (uint16_t)(bus << 8 | addr))
			return true;
	return false;
}

/* The polling fallback (and the catch-up after registering for hotplug):
 * compare the CCID devices present with the list. */
static void mgr_usb_rescan(struct ccid_manager *m)
{
	uint16_t ids[MGR_USB_MAX];
	int got = ccid_tp_libusb_list(ids, MGR_USB_MAX);
	size_t n;

	if (got < 0)
		return;
	n = (size_t)got < MGR_USB_MAX ? (size_t)got : MGR_USB_MAX;
	/* a truncated list proves no departure */
	for (size_t i = 0; i < m->nreaders && (size_t)got <= n; i++) {
		const struct ccid_usb_info *u = &m->readers[i].r->tp->info;

		if (u->usb_bus != 0 && !mgr_id_in(ids, n, u->usb_bus, u->usb_addr))
			ccid_reader_set_gone(m->readers[i].r);
	}
	for (size_t i = 0; i < m->nfailed;) {
		if (mgr_id_in(ids, n, m->failed[i].bus, m->failed[i].addr))
			i++;
		else
			m->failed[i] = m->failed[--m->nfailed];
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t bus = (uint8_t)(ids[i] >> 8), addr = (uint8_t)ids[i];

		if (mgr_usb_find(m, bus, addr, -1) < 0)
			mgr_usb_open(m, bus, addr);
	}
}

/* Runs on the libusb event thread: queue the event and wake our thread,
 * nothing else (libusb forbids synchronous I/O in hotplug callbacks). */
static void mgr_usb_hotplug(void *arg, bool arrived, uint8_t bus,
			    uint8_t addr)
{
	struct ccid_manager *m = arg;

	pthread_mutex_lock(&m->mu);
	if (m->nusbq < MGR_USB_QUEUE)
		m->usbq[m->nusbq++] = (struct mgr_usb_event){ bus, addr,
							       arrived };
	else
		m->usbq_overflow = true;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->mu);
}

/* Handle the queued hotplug events (outside mu). */
static void mgr_usb_events(struct ccid_manager *m)
{
	struct mgr_usb_event q[MGR_USB_QUEUE];
	size_t n;
	bool overflow;

	pthread_mutex_lock(&m->mu);
	n = m->nusbq;
	memcpy(q, m->usbq, n * sizeof(q[0]));
	overflow = m->usbq_overflow;
	m->nusbq = 0;
	m->usbq_overflow = false;
	pthread_mutex_unlock(&m->mu);
	for (size_t i = 0; i < n; i++) {
		ccid_log_dbg("usb %03u:%03u: hotplug event: %s", q[i].bus,
			     q[i].addr, q[i].arrived ? "arrived" : "left");
		if (!q[i].arrived)
			mgr_usb_left(m, q[i].bus, q[i].addr);
		else if (mgr_usb_find(m, q[i].bus, q[i].addr, -1) < 0)
			mgr_usb_open(m, q[i].bus, q[i].addr);
		/* else: the catch-up rescan found it first */
	}
	if (overflow)
		mgr_usb_rescan(m);
}

/* Event thread start: hotplug when libusb has it, else polling; then one
 * rescan for what arrived or left since ccid_manager_new. */
static void mgr_usb_start(struct ccid_manager *m)
{
	int err;

	m->live = true;
	if (!m->usb)
		return;
	err = ccid_tp_libusb_hotplug_start(mgr_usb_hotplug, m, &m->hotplug);
	if (err != CCID_OK)
		ccid_log_info("usb: no hotplug events here (%s): looking for "
			      "readers every %u ms", ccid_errname(err),
			      CCID_MANAGER_RETRY_MS);
	else
		ccid_log_info("usb: following libusb's hotplug events");
	mgr_usb_rescan(m);
}

/* Every CCID_MANAGER_RETRY_MS: the polling fallback rescans; with hotplug
 * only the devices that failed to open are tried again. */
static void mgr_usb_retry(struct ccid_manager *m)
{
	if (!m->usb)
		return;
	if (m->hotplug == NULL) {
		mgr_usb_rescan(m);
		return;
	}
	for (size_t i = m->nfailed; i-- > 0;)
		if (i < m->nfailed)
			mgr_usb_open(m, m->failed[i].bus, m->failed[i].addr);
}

static bool mgr_stopping(struct ccid_manager *m)
{
	bool stop;

	pthread_mutex_lock(&m->mu);
	stop = m->stopping;
	pthread_mutex_unlock(&m->mu);
	return stop;
}

/* One pass of work outside mu: drop gone readers, poll and retry when
 * their time has come. */
static void mgr_work(struct ccid_manager *m, uint64_t *next_poll,
		     uint64_t *next_retry)
{
	mgr_usb_events(m);
	mgr_drop_gone(m);
	if (ccid_now_ms() >= *next_poll && !mgr_stopping(m)) {
		mgr_poll(m);
		*next_poll = ccid_deadline_in(CCID_MANAGER_POLL_MS);
	}
	if (ccid_now_ms() >= *next_retry && !mgr_stopping(m)) {
		mgr_retry(m);
		mgr_usb_retry(m);
		*next_retry = ccid_deadline_in(CCID_MANAGER_RETRY_MS);
	}
	mgr_drop_gone(m);
}

/* Wakes on every generation bump (a reader hook, ccid_manager_broadcast)
 * and at the next poll/retry time.  mu is never held across the work:
 * the hooks that wake us take it from transport threads. */
static void *mgr_main(void *arg)
{
	struct ccid_manager *m = arg;
	uint64_t next_poll = ccid_deadline_in(CCID_MANAGER_POLL_MS);
	uint64_t next_retry = ccid_deadline_in(CCID_MANAGER_RETRY_MS);

	mgr_usb_start(m);
	pthread_mutex_lock(&m->mu);
	while (!m->stopping) {
		uint64_t seen = m->generation;

		pthread_mutex_unlock(&m->mu);
		mgr_work(m, &next_poll, &next_retry);
		pthread_mutex_lock(&m->mu);
		/* a bump or a hotplug event during the work means: look again */
		if (m->generation == seen && m->nusbq == 0 &&
		    !m->usbq_overflow && !m->stopping)
			mgr_cond_wait(m, next_poll < next_retry ? next_poll :
							    next_retry);
	}
	pthread_mutex_unlock(&m->mu);
	/* after this no hotplug callback touches m */
	ccid_tp_libusb_hotplug_stop(&m->hotplug);
	return NULL;
}

int ccid_manager_watch(struct ccid_manager *m)
{
	sigset_t all, old;
	int err = CCID_OK;

	if (m == NULL)
		return CCID_E_INVAL;
	pthread_mutex_lock(&m->mu);
	if (!m->watching && !m->stopping) {
		/* a library thread must not take the application's signals */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		if (pthread_create(&m->thread, NULL, mgr_main, m) == 0)
			m->watching = true;
		else
			err = CCID_E_NOMEM;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	pthread_mutex_unlock(&m->mu);
	return err;
}

/* ------------------------------------------------------------------ */
/* The lock, the generation, waits                                    */

void ccid_manager_lock(struct ccid_manager *m)
{
	pthread_mutex_lock(&m->mu);
}

void ccid_manager_unlock(struct ccid_manager *m)
{
	pthread_mutex_unlock(&m->mu);
}

uint64_t ccid_manager_generation(const struct ccid_manager *m)
{
	return m->generation;
}

int ccid_manager_wait(struct ccid_manager *m, uint64_t deadline)
{
	int err;

	if (m->stopping)
		return CCID_E_CANCELLED;
	m->waiters++;
	err = mgr_cond_wait(m, deadline);
	m->waiters--;
	if (m->stopping) {
		/* ccid_manager_free waits for the last waiter to leave */
		if (m->waiters == 0)
			pthread_cond_broadcast(&m->cond);
		return CCID_E_CANCELLED;
	}
	return err;
}

void ccid_manager_broadcast(struct ccid_manager *m)
{
	pthread_cond_broadcast(&m->cond);
}

/* ------------------------------------------------------------------ */
/* Freeing and the fixed-list accessors                               */

void ccid_manager_free(struct ccid_manager **mp)
{
	struct ccid_manager *m;
	bool watching;

	if (mp == NULL || *mp == NULL)
		return;
	m = *mp;
	*mp = NULL;
	pthread_mutex_lock(&m->mu);
	m->stopping = true;
	pthread_cond_broadcast(&m->cond);
	watching = m->watching;
	pthread_mutex_unlock(&m->mu);
	if (watching)
		pthread_join(m->thread, NULL);
	/* API threads woken in ccid_manager_wait leave it with
	 * CCID_E_CANCELLED; the last one out tells us */
	pthread_mutex_lock(&m->mu);
	while (m->waiters > 0)
		pthread_cond_wait(&m->cond, &m->mu);
	pthread_mutex_unlock(&m->mu);
	for (size_t i = 0; i < m->nreaders; i++) {
		ccid_reader_set_on_change(m->readers[i].r, NULL, NULL);
		ccid_reader_unref(&m->readers[i].r);
	}
	for (size_t i = 0; i < m->neps; i++)
		free(m->eps[i].spec);
	for (size_t i = 0; i < m->nproblems; i++)
		free(m->problems[i]);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->mu);
	free(m->eps);
	free(m->failed);
	free(m->readers);
	free(m->entries);
	free(m->problems);
	free(m->problem_errs);
	free(m);
}

size_t ccid_manager_count(const struct ccid_manager *m)
{
	return m ? m->nentries : 0;
}

const struct ccid_manager_entry *ccid_manager_entry(const struct ccid_manager *m,
						    size_t index)
{
	return m && index < m->nentries ? &m->entries[index] : NULL;
}

size_t ccid_manager_problem_count(const struct ccid_manager *m)
{
	return m ? m->nproblems : 0;
}

const char *ccid_manager_problem(const struct ccid_manager *m, size_t index)
{
	return m && index < m->nproblems ? m->problems[index] : NULL;
}

int ccid_manager_problem_err(const struct ccid_manager *m, size_t index)
{
	return m && index < m->nproblems ? m->problem_errs[index] : CCID_OK;
}
