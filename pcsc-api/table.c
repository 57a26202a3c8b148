/* ccidkit — the library's tables: contexts, card handles, reader slots,
 * the locks that guard them, and the process-wide driver they share. */
#include "config.h"
#include "pcsc-api/api.h"

#include <stdarg.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "ccid/err.h"
#include "ccid/trace.h"

struct api api = { .lock = PTHREAD_MUTEX_INITIALIZER };
static pthread_once_t api_once = PTHREAD_ONCE_INIT;

/* What a fork()ed child inherited: kept (reachable, never freed or
 * joined: its threads do not exist in the child).  Not static: a store
 * to a static nobody reads would be optimised away, and the child's
 * copies would look leaked to valgrind. */
struct api api_forked;

/* The condition variable must wait on CLOCK_MONOTONIC (DESIGN.md:
 * deadlines, not wall-clock time), which a static initialiser cannot
 * say. */
static void api_cond_init(void)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&api.cond, &attr);
	pthread_condattr_destroy(&attr);
}

/* fork(): the tables must not change while the child's copy is made... */
static void api_fork_prepare(void)
{
	pthread_mutex_lock(&api.lock);
}

static void api_fork_parent(void)
{
	pthread_mutex_unlock(&api.lock);
}

/* ...and the child starts empty, as pcsc-lite's client does: its
 * inherited contexts and handles are SCARD_E_INVALID_HANDLE there (the
 * driver's threads stayed in the parent), and a new
 * SCardEstablishContext starts its own driver. */
static void api_fork_child(void)
{
	api_forked = api;
	memset(&api, 0, sizeof(api));
	pthread_mutex_init(&api.lock, NULL);
	api_cond_init();
}

static void api_init(void)
{
	api_cond_init();
	pthread_atfork(api_fork_prepare, api_fork_parent, api_fork_child);
}

void api_init_once(void)
{
	pthread_once(&api_once, api_init);
}

void api_lock(void)
{
	api_init_once();
	pthread_mutex_lock(&api.lock);
}

/* A teardown scheduled under the lock runs after it is released: freeing
 * the manager joins its event thread and takes its mutex, which must not
 * nest inside api.lock (THREADING.md order: manager before api). */
void api_unlock(void)
{
	struct ccid_manager *m = api.dying_mgr;
	struct api_slot *slots = api.dying_slots;

	if (m == NULL && slots == NULL) {
		pthread_mutex_unlock(&api.lock);
		return;
	}
	api.dying_mgr = NULL;
	api.dying_slots = NULL;
	pthread_mutex_unlock(&api.lock);
	while (slots != NULL) {
		struct api_slot *s = slots;

		slots = s->next;
		ccid_reader_unref(&s->reader);
		pthread_mutex_destroy(&s->power_lock);
		free(s);
	}
	ccid_manager_free(&m);
	pthread_mutex_lock(&api.lock);
	api.driver_busy = false;
	pthread_cond_broadcast(&api.cond);
	pthread_mutex_unlock(&api.lock);
}

void api_wait_driver_idle(void)
{
	while (api.driver_busy)
		pthread_cond_wait(&api.cond, &api.lock);
}

void api_wait_ms(unsigned ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000u;
	ts.tv_nsec += (long)(ms % 1000u) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&api.cond, &api.lock, &ts);
}

void api_broadcast(void)
{
	pthread_cond_broadcast(&api.cond);
}

void api_notify_sharing(void)
{
	struct ccid_manager *m = api.mgr;

	if (m == NULL)
		return;
	ccid_manager_lock(m);
	ccid_manager_broadcast(m);
	ccid_manager_unlock(m);
}

/* ------------------------------------------------------------------ */
/* Random tags                                                        */

/* A non-zero 31-bit value: pcsc-lite hands out random 32-bit values, and
 * some bindings keep them in a signed 32-bit integer. */
static LONG api_random_tag(void)
{
	uint32_t v = 0;

	while (v == 0) {
		if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
			v = (uint32_t)rand() ^ (uint32_t)time(NULL);
		v &= 0x7FFFFFFFu;
	}
	return (LONG)v;
}

/* Under api.lock: is the tag used by any context or card? */
static bool api_tag_used(LONG tag)
{
	for (size_t i = 0; i < api.nctx; i++)
		if (api.ctx[i]->id == tag)
			return true;
	for (size_t i = 0; i < api.ncard; i++)
		if (api.card[i]->id == tag)
			return true;
	return false;
}

static LONG api_fresh_tag(void)
{
	LONG tag;

	do
		tag = api_random_tag();
	while (api_tag_used(tag));
	return tag;
}

/* Append p to a pointer array (arr, n, cap). */
static bool api_push(void ***arr, size_t *n, size_t *cap, void *p)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		void **grown = realloc(*arr, ncap * sizeof(**arr));

		if (grown == NULL)
			return false;
		*arr = grown;
		*cap = ncap;
	}
	(*arr)[(*n)++] = p;
	return true;
}

static void api_remove(void **arr, size_t *n, const void *p)
{
	for (size_t i = 0; i < *n; i++) {
		if (arr[i] == p) {
			arr[i] = arr[--*n];
			return;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Contexts                                                           */

LONG api_ctx_new(struct api_ctx **out)
{
	struct api_ctx *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return SCARD_E_NO_MEMORY;
	c->id = api_fresh_tag();
	c->refs = 1; /* the table's */
	if (!api_push((void ***)&api.ctx, &api.nctx, &api.ctx_cap, c)) {
		free(c);
		return SCARD_E_NO_MEMORY;
	}
	api.live_ctx++;
	*out = c;
	return SCARD_S_SUCCESS;
}

LONG api_ctx_get(SCARDCONTEXT h, struct api_ctx **out)
{
	LONG rv = SCARD_E_INVALID_HANDLE;

	if (h == 0)
		return rv;
	api_lock();
	for (size_t i = 0; i < api.nctx; i++) {
		if (api.ctx[i]->id == h) {
			api.ctx[i]->refs++;
			*out = api.ctx[i];
			rv = SCARD_S_SUCCESS;
			break;
		}
	}
	api_unlock();
	return rv;
}

void api_ctx_unlist(struct api_ctx *c)
{
	if (c->released)
		return;
	c->released = true;
	api_remove((void **)api.ctx, &api.nctx, c);
	api_ctx_put_locked(c); /* the table's reference */
}

/* The last context object is gone: nobody can reach the driver any
 * more, so let it go (its event thread stops, the readers close) once
 * api.lock is released (api_unlock). */
static void api_teardown(void)
{
	api.dying_slots = api.slots;
	api.slots = NULL;
	api.dying_mgr = api.mgr;
	api.mgr = NULL;
	api.driver_busy = true;
	free(api.ctx);
	free(api.card);
	api.ctx = NULL;
	api.card = NULL;
	api.nctx = api.ctx_cap = api.ncard = api.card_cap = 0;
}

void api_drop_driver(void)
{
	if (api.live_ctx == 0 && (api.mgr != NULL || api.slots != NULL))
		api_teardown();
}

void api_ctx_put_locked(struct api_ctx *c)
{
	if (c == NULL || --c->refs > 0)
		return;
	free(c);
	api.live_ctx--;
	api_drop_driver();
}

void api_ctx_put(struct api_ctx *c)
{
	api_lock();
	api_ctx_put_locked(c);
	api_unlock();
}

/* ------------------------------------------------------------------ */
/* Card handles                                                       */

LONG api_card_new(struct api_ctx *ctx, struct api_slot *s,
		  struct api_card **out)
{
	struct api_card *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return SCARD_E_NO_MEMORY;
	c->id = api_fresh_tag();
	c->refs = 1;
	if (!api_push((void ***)&api.card, &api.ncard, &api.card_cap, c)) {
		free(c);
		return SCARD_E_NO_MEMORY;
	}
	c->ctx = ctx;
	ctx->refs++;
	c->slot = s;
	s->users++;
	*out = c;
	return SCARD_S_SUCCESS;
}

LONG api_card_get(SCARDHANDLE h, struct api_card **out)
{
	LONG rv = SCARD_E_INVALID_HANDLE;

	if (h == 0)
		return rv;
	api_lock();
	for (size_t i = 0; i < api.ncard; i++) {
		struct api_card *c = api.card[i];

		if (c->id == h && !c->disconnected && !c->ctx->released) {
			c->refs++;
			*out = c;
			rv = SCARD_S_SUCCESS;
			break;
		}
	}
	api_unlock();
	return rv;
}

void api_card_unlist(struct api_card *c)
{
	if (c->disconnected)
		return;
	c->disconnected = true;
	api_remove((void **)api.card, &api.ncard, c);
	api_card_put_locked(c);
}

void api_card_put_locked(struct api_card *c)
{
	if (c == NULL || --c->refs > 0)
		return;
	api_slot_put_locked(c->slot);
	api_ctx_put_locked(c->ctx);
	free(c);
}

void api_card_put(struct api_card *c)
{
	api_lock();
	api_card_put_locked(c);
	api_unlock();
}

size_t api_cards_of(struct api_ctx *ctx, struct api_card ***arr)
{
	size_t n = 0;

	*arr = calloc(api.ncard + 1, sizeof(**arr));
	if (*arr == NULL)
		return 0;
	for (size_t i = 0; i < api.ncard; i++) {
		if (api.card[i]->ctx == ctx) {
			api.card[i]->refs++;
			(*arr)[n++] = api.card[i];
		}
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* Reader slots                                                       */

struct api_slot *api_slot_get(struct ccid_reader *r, unsigned slot,
			      const char *name)
{
	struct api_slot *s;

	for (s = api.slots; s != NULL; s = s->next) {
		if (s->reader == r && s->slot == slot) {
			s->users++;
			return s;
		}
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->reader = ccid_reader_ref(r);
	s->slot = slot;
	snprintf(s->name, sizeof(s->name), "%s", name);
	pthread_mutex_init(&s->power_lock, NULL);
	s->users = 1;
	s->next = api.slots;
	api.slots = s;
	return s;
}

/* A record is kept while its reader lives (it carries the ATR and the
 * negotiated protocol between connections); once the reader is gone and
 * nobody uses it, it goes. */
void api_slot_put_locked(struct api_slot *s)
{
	struct api_slot **pp;

	if (s == NULL || --s->users > 0 || !ccid_reader_is_gone(s->reader))
		return;
	for (pp = &api.slots; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	ccid_reader_unref(&s->reader);
	pthread_mutex_destroy(&s->power_lock);
	free(s);
}

LONG api_find_reader(const char *name, struct api_slot **out)
{
	struct ccid_manager *m = api.mgr;
	LONG rv = SCARD_E_UNKNOWN_READER;

	ccid_manager_lock(m);
	for (size_t i = 0; i < ccid_manager_count(m); i++) {
		const struct ccid_manager_entry *e = ccid_manager_entry(m, i);

		if (strcmp(e->name, name) != 0 ||
		    ccid_reader_is_gone(e->reader))
			continue;
		api_lock();
		*out = api_slot_get(e->reader, e->slot, e->name);
		api_unlock();
		rv = *out != NULL ? SCARD_S_SUCCESS : SCARD_E_NO_MEMORY;
		break;
	}
	ccid_manager_unlock(m);
	return rv;
}

/* ------------------------------------------------------------------ */
/* Tracing                                                            */

void api_trace_call(const char *func, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	bool log = ccid_log_get_level() >= CCID_LOG_INFO;

	if (!log && !ccid_trace_enabled())
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log)
		ccid_log(CCID_LOG_INFO, func, "%s", line);
	ccid_trace_note("%s: %s", func, line);
}

LONG api_trace_rv(const char *func, LONG rv)
{
	if (ccid_log_get_level() >= CCID_LOG_INFO)
		ccid_log(CCID_LOG_INFO, func, "-> 0x%08lX %s",
			 (unsigned long)rv, pcsc_stringify_error(rv));
	ccid_trace_note("%s -> 0x%08lX %s", func, (unsigned long)rv,
			pcsc_stringify_error(rv));
	return rv;
}
