/* ccidkit — the reader list (see manager.h). */
#include "config.h"
#include "ccid/manager.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccid/clock.h"
#include "ccid/err.h"
#include "ccid/log.h"

struct ccid_manager {
	struct ccid_reader **readers;
	size_t nreaders;
	struct ccid_manager_entry *entries;
	size_t nentries;
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

/* NN: the first number not used by a reader with the same base name. */
static unsigned mgr_name_index(const struct ccid_manager *m, const char *base)
{
	unsigned index = 0;

	for (size_t i = 0; i < m->nreaders; i++)
		if (strcmp(m->readers[i]->base_name, base) == 0)
			index++;
	return index;
}

static int mgr_add_reader(struct ccid_manager *m, struct ccid_reader *r)
{
	struct ccid_reader **readers;
	struct ccid_manager_entry *entries;
	unsigned index = mgr_name_index(m, r->base_name);

	readers = realloc(m->readers, (m->nreaders + 1) * sizeof(*readers));
	if (readers == NULL)
		return CCID_E_NOMEM;
	m->readers = readers;
	entries = realloc(m->entries,
			  (m->nentries + r->nslots) * sizeof(*entries));
	if (entries == NULL)
		return CCID_E_NOMEM;
	m->entries = entries;
	for (unsigned s = 0; s < r->nslots; s++) {
		struct ccid_manager_entry *e = &m->entries[m->nentries++];

		e->reader = r;
		e->slot = s;
		ccid_manager_format_name(r->base_name, index, s, e->name);
	}
	m->readers[m->nreaders++] = r;
	return CCID_OK;
}

static void mgr_take_transport(struct ccid_manager *m,
			       struct ccid_transport *tp)
{
	struct ccid_reader *r = NULL;
	char where[CCID_USB_STRLEN];
	int err;

	snprintf(where, sizeof(where), "%s", tp->info.location);
	err = ccid_reader_new(tp, m->deadline, &r);
	if (err != CCID_OK) {
		mgr_problem(m, err, "%s: cannot use this reader: %s (%s)", where,
			    ccid_strerror(err), ccid_errname(err));
		return;
	}
	if (mgr_add_reader(m, r) != CCID_OK) {
		m->oom = 1;
		ccid_reader_unref(&r);
	}
}

static void mgr_libusb_found(void *arg, struct ccid_transport *tp,
			     const struct ccid_usb_info *info, int err)
{
	struct ccid_manager *m = arg;

	if (err != CCID_OK) {
		mgr_problem(m, err, "%s (%04X:%04X %s %s): cannot open: %s (%s)",
			    info->location, info->idVendor, info->idProduct,
			    info->manufacturer, info->product,
			    ccid_strerror(err), ccid_errname(err));
		return;
	}
	mgr_take_transport(m, tp);
}

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
		struct ccid_transport *tp = NULL;
		int err;

		while (*ep == ' ')
			ep++;
		if (*ep == '\0')
			continue;
		err = ccid_tp_usbredir_open(ep, m->deadline, &tp);
		if (err == CCID_E_NOT_FOUND)
			mgr_problem(m, err, "%s: no virtual reader is listening there", ep);
		else if (err == CCID_E_INVAL)
			mgr_problem(m, err, "%s: not an endpoint (CCIDKIT_USBREDIR wants unix:PATH or tcp:HOST:PORT)", ep);
		else if (err == CCID_E_BUSY)
			mgr_problem(m, err, "%s: the reader is busy: another program is connected to it", ep);
		else if (err != CCID_OK)
			mgr_problem(m, err, "%s: cannot connect: %s (%s)", ep,
				    ccid_strerror(err), ccid_errname(err));
		else
			mgr_take_transport(m, tp);
	}
	free(copy);
}

static int mgr_libusb_enabled(void)
{
	const char *env = getenv("CCIDKIT_LIBUSB");

	return env == NULL || strcmp(env, "0") != 0;
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
	m->deadline = deadline;
	if (mgr_libusb_enabled()) {
		int n = ccid_tp_libusb_scan(mgr_libusb_found, m);

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

void ccid_manager_free(struct ccid_manager **mp)
{
	struct ccid_manager *m;

	if (mp == NULL || *mp == NULL)
		return;
	m = *mp;
	for (size_t i = 0; i < m->nreaders; i++)
		ccid_reader_unref(&m->readers[i]);
	for (size_t i = 0; i < m->nproblems; i++)
		free(m->problems[i]);
	free(m->readers);
	free(m->entries);
	free(m->problems);
	free(m->problem_errs);
	free(m);
	*mp = NULL;
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
