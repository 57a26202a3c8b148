/* ccidkit — one reader shared by several processes (ccid/SHARING.md):
 * the lease around each operation, the hand-over of the slots' state
 * through the shared record, connections and transactions. */
#include "config.h"
#include "ccid/reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ccid/err.h"
#include "ccid/log.h"

/* ------------------------------------------------------------------ */
/* Set-up                                                             */

static bool share_wanted(void)
{
	const char *env = getenv("CCIDKIT_SHARE");

	return env == NULL || strcmp(env, "0") != 0;
}

/* "usb:BUS:ADDR:IF" → "usb-BUS-ADDR-IF": one file per interface. */
static void share_key(const struct ccid_usb_info *u, char *key, size_t cap)
{
	snprintf(key, cap, "usb-%03u-%03u-%u", u->usb_bus, u->usb_addr,
		 u->bInterfaceNumber);
}

int ccid_reader_share_setup(struct ccid_reader *r)
{
	const struct ccid_transport_ops *ops = r->tp->ops;
	char key[64];
	int err;

	if (ops->claim == NULL)
		return CCID_OK; /* nothing to share: usbredir, tests */
	if (share_wanted()) {
		share_key(&r->tp->info, key, sizeof(key));
		if (ccid_share_open(key, r->nslots, &r->share) == CCID_OK) {
			ccid_log_dbg("%s: shared through %s/%s.lock",
				     r->base_name, ccid_share_dir(), key);
			return CCID_OK;
		}
		ccid_log_info("%s: not shared with other processes", r->base_name);
	}
	err = ops->claim(r->tp);
	if (err == CCID_OK)
		r->claimed_for_life = true;
	return err;
}

void ccid_reader_share_close(struct ccid_reader *r)
{
	if (r->claimed_for_life && r->tp != NULL)
		r->tp->ops->release(r->tp);
	r->claimed_for_life = false;
	ccid_share_free(&r->share);
}

/* ------------------------------------------------------------------ */
/* Hand-over of the slots' state (share_mu held)                      */

/* Take over what other processes recorded.  with_proto: also the
 * protocol state, which only the lease holder may use. */
static void sync_in(struct ccid_reader *r, const struct ccid_share_rec *rec,
		    bool with_proto)
{
	for (unsigned n = 0; n < r->nslots; n++) {
		const struct ccid_share_slot *x = &rec->slot[n];
		struct ccid_share_seen *seen = &r->seen[n];
		struct ccid_slot_state st;
		uint32_t dchanges = 0;
		bool repowered = false;

		ccid_reader_slot_state(r, n, &st, NULL);
		if (r->synced && x->changes >= seen->rec_changes) {
			dchanges = x->changes - seen->rec_changes;
			if (dchanges == 0 && x->present != st.present)
				dchanges = 1;
			repowered = x->epoch != seen->rec_epoch;
		} else if (r->synced) {
			/* the record went back: it was reset (found corrupt,
			 * or the reader reopened elsewhere): trust nothing */
			dchanges = x->present != st.present;
			repowered = true;
		} else {
			/* the state the reader is in when we arrive */
			repowered = x->powered != st.powered || x->powered;
			dchanges = x->present != st.present;
		}
		if (repowered && r->leased)
			r->repowered |= 1u << n;
		ccid_reader_adopt(r, n, x, dchanges, repowered);
		ccid_reader_slot_state(r, n, &st, NULL);
		seen->rec_epoch = x->epoch;
		seen->rec_changes = x->changes;
		seen->loc_epoch = st.power_epoch;
		seen->loc_changes = st.changes;
		if (with_proto) {
			struct ccid_slot_proto *p = &r->proto[n];

			memset(p, 0, sizeof(*p));
			/* a T=1 engine needs its IFSC (share.c allows 0 for
			 * APDU-level readers, which have none) */
			if (x->proto_valid && st.powered &&
			    !(r->level == CCID_LEVEL_TPDU && x->protocol == 1 &&
			      x->ifsc == 0)) {
				p->valid = true;
				p->epoch = st.power_epoch;
				p->protocol = x->protocol;
				p->fidi = x->fidi;
				p->wi = x->wi;
				p->bwi = x->bwi;
				p->pps_refused = x->pps_refused;
				ccid_t1_init(&p->t1, x->ifsc, x->ifsd, x->crc,
					     x->nad);
				p->t1.ns = x->ns;
				p->t1.nr = x->nr;
			}
		}
	}
	r->synced = true;
}

/* Our slots' state into the record, for the next process. */
static void sync_out(struct ccid_reader *r, struct ccid_share_rec *rec)
{
	for (unsigned n = 0; n < r->nslots; n++) {
		struct ccid_share_slot *x = &rec->slot[n];
		struct ccid_share_seen *seen = &r->seen[n];
		const struct ccid_slot_proto *p = &r->proto[n];
		struct ccid_slot_state st;

		ccid_reader_slot_state(r, n, &st, NULL);
		if (st.power_epoch != seen->loc_epoch)
			x->epoch++;
		x->changes += st.changes - seen->loc_changes;
		x->present = st.present;
		x->powered = st.present && st.powered && st.atr_len > 0;
		x->atr_len = x->powered ? (uint8_t)st.atr_len : 0;
		memcpy(x->atr, st.atr, x->atr_len);
		x->proto_valid = x->powered && p->valid &&
				 p->epoch == st.power_epoch;
		x->protocol = (uint8_t)p->protocol;
		x->fidi = p->fidi;
		x->wi = p->wi;
		x->bwi = p->bwi;
		x->pps_refused = p->pps_refused;
		x->ifsc = p->t1.ifsc;
		x->ifsd = p->t1.ifsd;
		x->nad = p->t1.nad;
		x->crc = p->t1.crc;
		x->ns = p->t1.ns;
		x->nr = p->t1.nr;
		if (!x->proto_valid) /* keep the record decodable */
			x->protocol = x->ns = x->nr = x->bwi = 0;
		seen->rec_epoch = x->epoch;
		seen->rec_changes = x->changes;
		seen->loc_epoch = st.power_epoch;
		seen->loc_changes = st.changes;
	}
}

/* ------------------------------------------------------------------ */
/* The lease                                                          */

/* The lease, and no other process in the slot's transaction. */
static int lease_lock(struct ccid_reader *r, int slot, bool wait)
{
	long ns = 200000;

	for (;;) {
		int err = ccid_share_lock(r->share, false, NULL);

		if (err == CCID_OK && slot >= 0 &&
		    ccid_share_txn_other(r->share, (unsigned)slot)) {
			ccid_share_unlock(r->share);
			err = CCID_E_BUSY;
		}
		if (err != CCID_E_BUSY || !wait)
			return err;
		if (ccid_reader_is_gone(r))
			return CCID_E_NO_DEVICE;
		nanosleep(&(struct timespec){ .tv_nsec = ns }, NULL);
		if (ns < 5000000)
			ns *= 2;
	}
}

int ccid_reader_lease(struct ccid_reader *r, int slot, bool wait)
{
	struct ccid_share_rec rec;
	int err;

	r->repowered = 0;
	if (r->share == NULL)
		return CCID_OK;
	err = lease_lock(r, slot, wait);
	if (err != CCID_OK)
		return err;
	err = r->tp->ops->claim(r->tp);
	if (err == CCID_OK)
		err = ccid_share_read(r->share, true, &rec);
	if (err != CCID_OK) {
		r->tp->ops->release(r->tp);
		ccid_share_unlock(r->share);
		return err;
	}
	pthread_mutex_lock(&r->share_mu);
	r->leased = true;
	sync_in(r, &rec, true);
	r->rec = rec;
	pthread_mutex_unlock(&r->share_mu);
	return CCID_OK;
}

void ccid_reader_unlease(struct ccid_reader *r)
{
	if (r->share == NULL || !r->leased)
		return;
	pthread_mutex_lock(&r->share_mu);
	sync_out(r, &r->rec);
	if (ccid_share_write(r->share, &r->rec) != CCID_OK)
		ccid_log_err("%s: cannot record the reader's state for other "
			     "processes", r->base_name);
	r->leased = false;
	pthread_mutex_unlock(&r->share_mu);
	r->tp->ops->release(r->tp);
	ccid_share_unlock(r->share);
}

/* ------------------------------------------------------------------ */
/* Looking at the others                                              */

static void peers_refresh(struct ccid_reader *r)
{
	bool changed = false;

	for (unsigned n = 0; n < r->nslots; n++) {
		uint8_t m = (uint8_t)ccid_share_peers(r->share, n);

		pthread_mutex_lock(&r->state_lock);
		if (r->peers[n] != m) {
			r->peers[n] = m;
			changed = true;
		}
		pthread_mutex_unlock(&r->state_lock);
	}
	if (changed)
		ccid_reader_bump(r);
}

void ccid_reader_share_refresh(struct ccid_reader *r)
{
	struct ccid_share_rec rec;

	if (r == NULL || r->share == NULL)
		return;
	pthread_mutex_lock(&r->share_mu);
	if (!r->leased && ccid_share_read(r->share, false, &rec) == CCID_OK) {
		sync_in(r, &rec, false);
		r->rec = rec;
	}
	pthread_mutex_unlock(&r->share_mu);
	peers_refresh(r);
}

int ccid_reader_share_conn(struct ccid_reader *r, unsigned slot,
			   enum ccid_share_mode mode)
{
	if (r == NULL || slot >= r->nslots)
		return CCID_E_INVAL;
	return r->share == NULL ? CCID_OK :
	       ccid_share_conn(r->share, slot, mode);
}

int ccid_reader_share_txn(struct ccid_reader *r, unsigned slot, bool on)
{
	if (r == NULL || slot >= r->nslots)
		return CCID_E_INVAL;
	return r->share == NULL ? CCID_OK : ccid_share_txn(r->share, slot, on);
}

enum ccid_share_mode ccid_reader_share_peers(struct ccid_reader *r,
					     unsigned slot)
{
	if (r == NULL || slot >= r->nslots || r->share == NULL)
		return CCID_SHARE_NONE;
	/* live (one F_OFD_GETLK); r->peers is the poller's, for wake-ups */
	return ccid_share_peers(r->share, slot);
}
