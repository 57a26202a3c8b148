/* ccidkit — SCardGetStatusChange (pcsc-abi.md §6.3).
 *
 * Each pass reads every reader's state, compares it bit by bit with what
 * the caller believes (dwCurrentState), fills dwEventState, and returns
 * as soon as one entry is CHANGED; otherwise it sleeps on the manager's
 * condition (woken by any reader change, sharing change or SCardCancel)
 * until the deadline.  Like pcscd, a card found present but unpowered is
 * powered once per insertion so its ATR can be reported. */
#include "config.h"
#include "pcsc-api/api.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ccid/err.h"

/* One entry of the caller's array, resolved. */
struct gsc_entry {
	bool pnp;
	bool ignore;
	struct api_slot *s; /* the reader as last seen; NULL when absent */
};

struct gsc {
	SCARD_READERSTATE *rs;
	struct gsc_entry *e;
	size_t n;
	size_t readers_at_start; /* for the PnP entry */
};

/* Under the manager lock: readers currently listed. */
static size_t gsc_reader_count(struct ccid_manager *m)
{
	size_t n = 0;

	for (size_t i = 0; i < ccid_manager_count(m); i++)
		if (!ccid_reader_is_gone(ccid_manager_entry(m, i)->reader))
			n++;
	return n;
}

/* Under the manager lock: the listed entry of that name, or NULL. */
static const struct ccid_manager_entry *gsc_lookup(struct ccid_manager *m,
						   const char *name)
{
	for (size_t i = 0; i < ccid_manager_count(m); i++) {
		const struct ccid_manager_entry *e = ccid_manager_entry(m, i);

		if (strcasecmp(e->name, name) == 0 &&
		    !ccid_reader_is_gone(e->reader))
			return e;
	}
	return NULL;
}

/* Under the manager lock: point e->s at the reader listed under the name
 * now (a replugged reader is a new object); NULL when there is none. */
static void gsc_resolve(struct ccid_manager *m, struct gsc_entry *e,
			const char *name)
{
	const struct ccid_manager_entry *me = gsc_lookup(m, name);

	if (e->s != NULL && me != NULL && e->s->reader == me->reader &&
	    e->s->slot == me->slot)
		return;
	api_lock();
	api_slot_put_locked(e->s);
	e->s = me != NULL ? api_slot_get(me->reader, me->slot, me->name) :
	       NULL;
	api_unlock();
}

/* Learn the ATR of the current insertion, powering the card if nobody
 * has (no lock held; takes power_lock for the I/O). */
static void gsc_read_atr(struct api_slot *s)
{
	struct ccid_slot_state st;
	bool known;

	if (ccid_reader_slot_state(s->reader, s->slot, &st, NULL) != CCID_OK ||
	    !st.present)
		return;
	pthread_mutex_lock(&s->power_lock);
	ccid_reader_slot_state(s->reader, s->slot, &st, NULL);
	api_lock();
	known = s->atr_known && s->atr_changes == st.changes;
	if (!known && st.present && st.powered && st.atr_len > 0) {
		s->atr_known = true;
		s->atr_changes = st.changes;
		s->mute = false;
		s->atr_len = st.atr_len;
		memcpy(s->atr, st.atr, st.atr_len);
		known = true;
	}
	api_unlock();
	if (!known && st.present && !st.powered) {
		API_TRACE("%s: powering the card to read its ATR", s->name);
		api_power_on(s, false);
	}
	pthread_mutex_unlock(&s->power_lock);
}

/* The pseudo-reader: CHANGED when the number of readers changed during
 * the call, or differs from the count the caller passes in bits 16..31. */
static bool gsc_eval_pnp(struct gsc *g, size_t i, size_t count)
{
	DWORD cur = g->rs[i].dwCurrentState;
	DWORD had = (cur >> 16) & 0xFFFFu;
	DWORD ev = (DWORD)(count & 0xFFFFu) << 16;

	if (count != g->readers_at_start || (had != 0 && had != (count & 0xFFFFu)))
		ev |= SCARD_STATE_CHANGED;
	g->rs[i].dwEventState = ev;
	return ev & SCARD_STATE_CHANGED;
}

/* Card presence bits (winscard_clnt.c order): EMPTY/PRESENT/MUTE. */
static DWORD gsc_card_bits(DWORD cur, bool present, bool mute, DWORD *ev)
{
	DWORD changed = 0;

	if (!present) {
		*ev |= SCARD_STATE_EMPTY;
		if (cur & SCARD_STATE_PRESENT)
			changed = SCARD_STATE_CHANGED;
		return changed;
	}
	*ev |= SCARD_STATE_PRESENT;
	if (cur & SCARD_STATE_EMPTY)
		changed = SCARD_STATE_CHANGED;
	if (mute) {
		*ev |= SCARD_STATE_MUTE;
		if (!(cur & SCARD_STATE_MUTE))
			changed = SCARD_STATE_CHANGED;
	} else if (cur & SCARD_STATE_MUTE) {
		changed = SCARD_STATE_CHANGED;
	}
	return changed;
}

/* Sharing bits: note that pcsc-lite does not report "nobody" → INUSE as a
 * change, only INUSE ↔ EXCLUSIVE and in-use → free. */
static DWORD gsc_share_bits(DWORD cur, const struct api_slot *s, DWORD *ev)
{
	/* and what other processes hold (ccid/SHARING.md) */
	enum ccid_share_mode peers = ccid_reader_share_peers(s->reader, s->slot);

	if (s->exclusive || peers == CCID_SHARE_EXCL) {
		*ev |= SCARD_STATE_EXCLUSIVE;
		return (cur & SCARD_STATE_INUSE) ? SCARD_STATE_CHANGED : 0;
	}
	if (s->handles > 0 || peers == CCID_SHARE_SHARED) {
		if (!(*ev & SCARD_STATE_PRESENT))
			return 0;
		*ev |= SCARD_STATE_INUSE;
		return (cur & SCARD_STATE_EXCLUSIVE) ? SCARD_STATE_CHANGED : 0;
	}
	return (cur & (SCARD_STATE_INUSE | SCARD_STATE_EXCLUSIVE)) ?
	       SCARD_STATE_CHANGED : 0;
}

/* Under the manager lock: one real reader. */
static bool gsc_eval_reader(SCARD_READERSTATE *rs, struct api_slot *s)
{
	DWORD cur = rs->dwCurrentState, ev = 0, counter;
	struct ccid_slot_state st;
	bool mute = false;

	rs->cbAtr = 0;
	if (s == NULL ||
	    ccid_reader_slot_state(s->reader, s->slot, &st, NULL) != CCID_OK) {
		/* the reader went away during the call */
		ev = SCARD_STATE_UNKNOWN | SCARD_STATE_UNAVAILABLE;
		if (!(cur & SCARD_STATE_UNKNOWN))
			ev |= SCARD_STATE_CHANGED;
		rs->dwEventState = ev;
		return ev & SCARD_STATE_CHANGED;
	}
	if (cur & (SCARD_STATE_UNKNOWN | SCARD_STATE_UNAVAILABLE))
		ev |= SCARD_STATE_CHANGED; /* it is back / available */
	counter = st.changes & 0xFFFFu;
	ev |= counter << 16;
	if (((cur >> 16) & 0xFFFFu) != 0 && ((cur >> 16) & 0xFFFFu) != counter)
		ev |= SCARD_STATE_CHANGED;
	api_lock();
	if (st.present && s->atr_known && s->atr_changes == st.changes) {
		mute = s->mute;
		rs->cbAtr = s->atr_len;
		memcpy(rs->rgbAtr, s->atr, s->atr_len);
	} else if (st.present && st.powered) {
		/* powered by another process */
		rs->cbAtr = st.atr_len;
		memcpy(rs->rgbAtr, st.atr, st.atr_len);
	}
	ev |= gsc_card_bits(cur, st.present, mute, &ev);
	ev |= gsc_share_bits(cur, s, &ev);
	api_unlock();
	if (cur == SCARD_STATE_UNAWARE)
		ev |= SCARD_STATE_CHANGED;
	rs->dwEventState = ev;
	return ev & SCARD_STATE_CHANGED;
}

/* Under the manager lock: one pass over every entry. */
static bool gsc_eval(struct gsc *g, struct ccid_manager *m)
{
	size_t count = gsc_reader_count(m);
	bool changed = false;

	for (size_t i = 0; i < g->n; i++) {
		struct gsc_entry *e = &g->e[i];

		if (e->ignore)
			continue;
		if (e->pnp) {
			changed |= gsc_eval_pnp(g, i, count);
			continue;
		}
		gsc_resolve(m, e, g->rs[i].szReader);
		changed |= gsc_eval_reader(&g->rs[i], e->s);
	}
	return changed;
}

/* Under the manager lock: resolve every name; an unknown one is
 * SCARD_E_UNKNOWN_READER at once (the PnP name is always known). */
static LONG gsc_prepare(struct gsc *g, struct ccid_manager *m)
{
	g->readers_at_start = gsc_reader_count(m);
	for (size_t i = 0; i < g->n; i++) {
		struct gsc_entry *e = &g->e[i];

		g->rs[i].dwEventState = 0;
		e->ignore = (g->rs[i].dwCurrentState & SCARD_STATE_IGNORE) != 0;
		e->pnp = strcasecmp(g->rs[i].szReader, API_PNP_NAME) == 0;
		if (e->ignore || e->pnp)
			continue;
		gsc_resolve(m, e, g->rs[i].szReader);
		if (e->s == NULL)
			return SCARD_E_UNKNOWN_READER;
	}
	return SCARD_S_SUCCESS;
}

static void gsc_release(struct gsc *g)
{
	api_lock();
	for (size_t i = 0; i < g->n; i++)
		api_slot_put_locked(g->e[i].s);
	api_unlock();
	free(g->e);
}

/* Power the present cards nobody powered yet (no lock held). */
static void gsc_read_atrs(struct gsc *g)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->e[i].s != NULL)
			gsc_read_atr(g->e[i].s);
}

static LONG gsc_run(struct gsc *g, struct api_ctx *ctx, DWORD timeout)
{
	struct ccid_manager *m = api.mgr;
	uint64_t deadline, cancel0;
	LONG rv;

	/* INFINITE, and (DWORD)-1 from callers that sign-extended it */
	deadline = (timeout == INFINITE || timeout == (DWORD)-1) ?
		   CCID_DEADLINE_NEVER : ccid_deadline_in(timeout);
	ccid_manager_lock(m);
	cancel0 = ctx->cancel;
	rv = gsc_prepare(g, m);
	while (rv == SCARD_S_SUCCESS) {
		ccid_manager_unlock(m);
		gsc_read_atrs(g);
		ccid_manager_lock(m);
		if (gsc_eval(g, m))
			break;
		if (ctx->cancel != cancel0)
			rv = SCARD_E_CANCELLED;
		else if (ccid_remaining_ms(deadline) == 0)
			rv = SCARD_E_TIMEOUT;
		else if (ccid_manager_wait(m, deadline) == CCID_E_CANCELLED ||
			 ctx->cancel != cancel0)
			/* pcsc-lite answers a Cancel at once, without looking
			 * at the readers again; CCID_E_CANCELLED: the driver is
			 * shutting down */
			rv = SCARD_E_CANCELLED;
	}
	ccid_manager_unlock(m);
	return rv;
}

LONG SCardGetStatusChange(SCARDCONTEXT hContext, DWORD dwTimeout,
			  SCARD_READERSTATE *rgReaderStates, DWORD cReaders)
{
	struct gsc g = { .rs = rgReaderStates, .n = cReaders };
	struct api_ctx *ctx;
	DWORD ignored = 0;
	LONG rv;

	API_TRACE("hContext 0x%lX timeout %lu readers %lu",
		  (unsigned long)hContext, (unsigned long)dwTimeout,
		  (unsigned long)cReaders);
	if (rgReaderStates == NULL && cReaders > 0)
		API_RETURN(SCARD_E_INVALID_PARAMETER);
	for (DWORD i = 0; i < cReaders; i++) {
		if (rgReaderStates[i].szReader == NULL)
			API_RETURN(SCARD_E_INVALID_VALUE);
		if (rgReaderStates[i].dwCurrentState & SCARD_STATE_IGNORE)
			ignored++;
	}
	/* nothing to watch: no waiting at all (winscard_clnt.c) */
	if (ignored == cReaders)
		API_RETURN(SCARD_S_SUCCESS);
	rv = api_ctx_get(hContext, &ctx);
	if (rv != SCARD_S_SUCCESS)
		API_RETURN(rv);
	g.e = calloc(cReaders, sizeof(*g.e));
	if (g.e == NULL) {
		api_ctx_put(ctx);
		API_RETURN(SCARD_E_NO_MEMORY);
	}
	rv = gsc_run(&g, ctx, dwTimeout);
	gsc_release(&g);
	api_ctx_put(ctx);
	for (DWORD i = 0; i < cReaders; i++)
		API_TRACE("  \"%s\" 0x%lX -> 0x%lX", rgReaderStates[i].szReader,
			  (unsigned long)rgReaderStates[i].dwCurrentState,
			  (unsigned long)rgReaderStates[i].dwEventState);
	API_RETURN(rv);
}
