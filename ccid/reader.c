/* ccidkit — one USB CCID function: descriptor, bSeq, the bulk exchange
 * loop, the interrupt pipe and the slot state it feeds (see reader.h and
 * ccid/THREADING.md for the locking rules). */
#include "config.h"
#include "ccid/reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ccid/clock.h"
#include "ccid/err.h"
#include "ccid/log.h"
#include "ccid/secret.h"
#include "ccid/trace.h"

/* ------------------------------------------------------------------ */
/* Slot state (always under state_lock)                               */

/* Caller holds state_lock.  Forget the card's power and ATR. */
static void slot_unpower(struct ccid_slot_state *s)
{
	s->powered = false;
	memset(s->atr, 0, sizeof(s->atr));
	s->atr_len = 0;
}

/* Caller holds state_lock.  Every change is one generation step, and
 * wakes ccid_reader_wait_change; the hook runs later, in state_unlock. */
static void state_changed(struct ccid_reader *r)
{
	r->generation++;
	pthread_cond_broadcast(&r->state_cond);
}

/* Release state_lock and, when the state changed, call the on_change hook
 * with no reader lock held (reader.h): the hook takes the manager's mutex,
 * and API threads take that mutex before reader locks.  hook_calls lets
 * ccid_reader_set_on_change() wait until no call is still running. */
static void state_unlock(struct ccid_reader *r, bool changed)
{
	void (*fn)(void *) = changed ? r->on_change : NULL;
	void *arg = r->on_change_arg;

	if (fn != NULL)
		r->hook_calls++;
	pthread_mutex_unlock(&r->state_lock);
	if (fn == NULL)
		return;
	fn(arg);
	pthread_mutex_lock(&r->state_lock);
	if (--r->hook_calls == 0)
		pthread_cond_broadcast(&r->state_cond);
	pthread_mutex_unlock(&r->state_lock);
}

/* bmICCStatus of a bulk reply (CCID 1.1 §6.2.6) is the freshest presence
 * information a reader without an interrupt pipe gives us, so every
 * validated reply updates the slot.  A card found inactive while we
 * think it is powered was reset or swapped behind our back. */
static void reader_note_status(struct ccid_reader *r, unsigned n,
			       uint8_t bStatus)
{
	struct ccid_slot_state *s = &r->slot[n];
	unsigned icc = ccid_icc_status(bStatus);
	bool changed = false;

	pthread_mutex_lock(&r->state_lock);
	if (icc == CCID_ICC_ABSENT) {
		if (s->present) {
			s->present = false;
			slot_unpower(s);
			s->changes++;
			s->power_epoch++; /* removal */
			changed = true;
		}
	} else if (icc == CCID_ICC_ACTIVE || icc == CCID_ICC_INACTIVE) {
		if (!s->present) {
			s->present = true;
			s->changes++;
			changed = true;
		}
		if (icc == CCID_ICC_INACTIVE && s->powered) {
			slot_unpower(s);
			s->power_epoch++; /* lost power behind our back */
			changed = true;
		}
	}
	if (changed)
		state_changed(r);
	state_unlock(r, changed);
}

/* ------------------------------------------------------------------ */
/* Interrupt pipe (CCID 1.1 §6.3): runs on the transport's I/O thread,
 * takes only state_lock, never does I/O. */

/* Caller holds state_lock.  Returns true when slot n changed. */
static bool notify_slot(struct ccid_reader *r, unsigned n, bool present,
			bool changed_bit)
{
	struct ccid_slot_state *s = &r->slot[n];

	if (present != s->present) {
		s->present = present;
		if (!present) {
			slot_unpower(s);
			s->power_epoch++; /* removal */
		}
		s->changes++;
		return true;
	}
	/* Same presence but the "changed" bit set: the card was pulled and
	 * another (or the same) put back between two notifications.  It only
	 * matters when we had powered the old one. */
	if (changed_bit && present && s->powered) {
		slot_unpower(s);
		s->changes += 2;
		s->power_epoch++; /* a swap: whoever used the old card lost it */
		return true;
	}
	return false;
}

static void intr_notify(struct ccid_reader *r, const uint8_t *buf,
			size_t len)
{
	uint32_t present = 0, changed = 0;
	bool any = false;
	int err;

	err = ccid_msg_decode_notify(buf, len, r->nslots, &present, &changed);
	if (err != CCID_OK) {
		ccid_log_err("bad RDR_to_PC_NotifySlotChange (%zu bytes): %s",
			     len, ccid_strerror(err));
		return;
	}
	pthread_mutex_lock(&r->state_lock);
	/* CCID 1.1 §6.3.1: the "changed" bits tell what changed since the
	 * previous notification.  The first one after we start listening
	 * reports the card present since the reader powered up, which our
	 * GetSlotStatus at open already saw: not a swap of a card a quick
	 * application may have powered since. */
	if (!r->notified)
		changed = 0;
	r->notified = true;
	for (unsigned n = 0; n < r->nslots; n++)
		any |= notify_slot(r, n, (present >> n) & 1u,
				   (changed >> n) & 1u);
	if (any)
		state_changed(r);
	state_unlock(r, any);
}

static void reader_intr_cb(void *arg, const uint8_t *buf, size_t len)
{
	struct ccid_reader *r = arg;

	if (buf == NULL) {
		ccid_reader_set_gone(r);
		return;
	}
	if (len == 0)
		return;
	ccid_trace_intr(r->trace, buf, len);
	switch (buf[0]) {
	case RDR_to_PC_NotifySlotChange:
		intr_notify(r, buf, len);
		break;
	case RDR_to_PC_HardwareError:
		/* CCID 1.1 §6.3.2: bSlot, bSeq, bHardwareErrorCode */
		if (len >= 4)
			ccid_log_err("RDR_to_PC_HardwareError: slot %u, bSeq %u, code 0x%02X%s",
				     buf[1], buf[2], buf[3],
				     buf[3] == 0x01 ? " (overcurrent)" : "");
		else
			ccid_log_err("RDR_to_PC_HardwareError, truncated (%zu bytes)",
				     len);
		break;
	default:
		ccid_log_dbg("unknown interrupt message 0x%02X (%zu bytes)",
			     buf[0], len);
		break;
	}
}

/* ------------------------------------------------------------------ */
/* The exchange loop (CCID 1.1 §5.2)                                  */

static int tp_error(struct ccid_reader *r, int err, const char *what)
{
	if (err == CCID_E_NO_DEVICE)
		ccid_reader_set_gone(r);
	else if (err != CCID_E_TIMEOUT)
		ccid_log_err("%s: %s", what, ccid_strerror(err));
	return err;
}

/* Read one whole RDR_to_PC message into r->rx.  A reply may arrive in
 * several bulk transfers (short packets from some readers and usbredir
 * peers); it is complete at 10 + dwLength bytes.  A message announcing
 * more than dwMaxCCIDMessageLength is a protocol error (CCID 1.1 §5.1).
 * After its first bytes each further part has CCID_CONTINUATION_MS (a
 * reply cut short is CCID_E_TIMEOUT then, not a wait for the caller's
 * whole deadline); a reader that keeps sending empty transfers is
 * CCID_E_PROTO. */
static int read_message(struct ccid_reader *r, uint64_t deadline,
			size_t *len)
{
	size_t got = 0, need = 0;
	unsigned empty = 0;

	for (;;) {
		size_t n = 0;
		uint64_t until = deadline;
		int err;

		if (got > 0) {
			uint64_t rest = ccid_deadline_in(CCID_CONTINUATION_MS);

			if (rest < until)
				until = rest;
		}
		err = r->tp->ops->bulk_in(r->tp, r->rx + got, r->buf_cap - got,
					  &n, until);
		if (err == CCID_E_TIMEOUT && got > 0)
			ccid_log_err("reply cut short: %zu of %zu bytes came", got,
				     need > got ? need : (size_t)CCID_HEADER_LEN);
		if (err != CCID_OK)
			return err;
		if (n > r->buf_cap - got)
			return CCID_E_PROTO;
		if (n == 0 && ++empty > CCID_MAX_EMPTY_READS) {
			ccid_log_err("the reader keeps sending empty transfers");
			return CCID_E_PROTO;
		}
		if (n > 0)
			empty = 0;
		got += n;
		if (got < CCID_HEADER_LEN)
			continue;
		need = ccid_msg_total_len(r->rx, got);
		if (need > r->buf_cap) {
			ccid_log_err("reply announces %zu bytes, more than dwMaxCCIDMessageLength %zu",
				     need, r->buf_cap);
			return CCID_E_PROTO;
		}
		if (got >= need)
			break;
	}
	*len = got;
	return CCID_OK;
}

/* Caller holds io_lock.  The protocol of the slot a message is for (0,
 * 1), -1 when none is set up for its power-up. */
static int slot_protocol(struct ccid_reader *r, const uint8_t *msg,
			 size_t len)
{
	const struct ccid_slot_proto *p;
	struct ccid_slot_state st;

	if (len < CCID_HEADER_LEN || msg[5] >= r->nslots)
		return -1;
	p = &r->proto[msg[5]];
	if (!p->valid)
		return -1;
	/* power_epoch is state_lock's (the interrupt thread moves it) */
	ccid_reader_slot_state(r, msg[5], &st, NULL);
	return p->epoch == st.power_epoch ? p->protocol : -1;
}

/* The wire dump at CCIDKIT_DEBUG=3 and the trace (trace.h), with the
 * secrets of a PC_to_RDR message masked (secret.h). */
static void log_message(struct ccid_reader *r, bool out, const uint8_t *msg,
			size_t len)
{
	const char *dir = out ? "PC_to_RDR" : "RDR_to_PC";
	bool dump = ccid_log_get_level() >= CCID_LOG_DEBUG;
	int protocol;
	size_t shown;

	if (r->trace == NULL && !dump)
		return;
	protocol = slot_protocol(r, msg, len);
	shown = out ? ccid_secret_start(r->level, protocol, msg, len) : 0;
	ccid_trace_bulk(r->trace, out, protocol, msg, len);
	if (!dump)
		return;
	if (shown > 0) {
		ccid_log_hex(CCID_LOG_DEBUG, __func__, dir, msg, shown);
		ccid_log_dbg("%s: %zu more bytes redacted (PIN)", dir, len - shown);
		return;
	}
	ccid_log_hex(CCID_LOG_DEBUG, __func__, dir, msg, len);
}

/* CCID 1.1 §5.3.1: class request ABORT, then PC_to_RDR_Abort with the
 * same bSlot/bSeq; the reader answers the aborted command (bError
 * CMD_ABORTED) and then the Abort with a SlotStatus.  Everything up to
 * that SlotStatus is read and thrown away so the next command starts on
 * a clean pipe. */
static int reader_abort(struct ccid_reader *r, uint8_t slot, uint8_t seq)
{
	uint64_t deadline = ccid_deadline_in(CCID_ABORT_MS);
	struct ccid_transport *tp = r->tp;
	size_t len = 0;
	int err;

	ccid_log_info("aborting bSlot %u bSeq %u", slot, seq);
	err = tp->ops->control(tp, 0x21, CCID_REQ_ABORT,
			       (uint16_t)(seq << 8 | slot), NULL, 0, NULL,
			       deadline);
	ccid_trace_control(r->trace, 0x21, CCID_REQ_ABORT,
			   (uint16_t)(seq << 8 | slot),
			   tp->info.bInterfaceNumber, NULL, 0, err);
	if (err == CCID_E_NO_DEVICE)
		return tp_error(r, err, "ABORT request");
	err = ccid_msg_abort(slot, seq, r->tx, r->buf_cap, &len);
	if (err == CCID_OK) {
		log_message(r, true, r->tx, len);
		err = tp->ops->bulk_out(tp, r->tx, len, deadline);
	}
	if (err != CCID_OK)
		return tp_error(r, err, "PC_to_RDR_Abort");
	for (;;) {
		struct ccid_reply rep;

		err = read_message(r, deadline, &len);
		if (err != CCID_OK)
			return tp_error(r, err, "abort drain");
		log_message(r, false, r->rx, len);
		if (ccid_msg_decode(r->rx, len, &rep) == CCID_OK &&
		    rep.bMessageType == RDR_to_PC_SlotStatus &&
		    rep.bSeq == seq && rep.bSlot == slot)
			return CCID_OK;
	}
}

/* Deadline arithmetic that cannot wrap. */
static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

struct xchg {
	uint8_t type, slot, seq;
	uint64_t deadline;     /* moved by time extensions */
	uint64_t deadline_max; /* original + CCID_TIME_EXTENSION_MAX_MS */
	unsigned stale;
};

/* Judge one decoded reply: 1 = keep reading, 0 = the answer, < 0 error. */
static int judge_reply(struct ccid_reader *r, struct xchg *x,
		       const struct ccid_reply *rep)
{
	if (rep->bSeq != x->seq) {
		/* an answer to an earlier, abandoned command */
		ccid_log_dbg("skipping stale reply bSeq %u (want %u)",
			     rep->bSeq, x->seq);
		if (++x->stale > CCID_MAX_STALE_REPLIES) {
			ccid_log_err("more than %d stale replies",
				     CCID_MAX_STALE_REPLIES);
			return CCID_E_PROTO;
		}
		return 1;
	}
	if (rep->bSlot != x->slot ||
	    rep->bMessageType != ccid_msg_reply_type(x->type)) {
		ccid_log_err("%s answered by %s for bSlot %u (sent bSlot %u)",
			     ccid_msg_type_name(x->type),
			     ccid_msg_type_name(rep->bMessageType),
			     rep->bSlot, x->slot);
		return CCID_E_PROTO;
	}
	reader_note_status(r, x->slot, rep->bStatus);
	if (ccid_cmd_status(rep->bStatus) == CCID_CMD_TIME_EXTENSION) {
		/* CCID 1.1 §6.2.6: bError is the multiplier of BWT/WWT the
		 * reader asks for; bounded so a reader cannot stall us forever */
		uint64_t more = (uint64_t)(rep->bError ? rep->bError : 1) *
				CCID_TIME_EXTENSION_MS;

		x->deadline = add_sat(x->deadline, more);
		if (x->deadline > x->deadline_max)
			x->deadline = x->deadline_max;
		ccid_log_dbg("time extension x%u", rep->bError);
		return 1;
	}
	return 0;
}

static int await_reply(struct ccid_reader *r, struct xchg *x,
		       struct ccid_reply *rep)
{
	for (;;) {
		size_t len = 0;
		int err = read_message(r, x->deadline, &len);

		if (err == CCID_E_TIMEOUT) {
			ccid_log_err("%s: no reply in time",
				     ccid_msg_type_name(x->type));
			err = reader_abort(r, x->slot, x->seq);
			return err == CCID_E_NO_DEVICE ? err : CCID_E_TIMEOUT;
		}
		if (err != CCID_OK)
			return tp_error(r, err, "bulk-IN");
		log_message(r, false, r->rx, len);
		err = ccid_msg_decode(r->rx, len, rep);
		if (err != CCID_OK) {
			ccid_log_err("undecodable reply (%zu bytes)", len);
			return CCID_E_PROTO;
		}
		err = judge_reply(r, x, rep);
		if (err <= 0)
			return err;
	}
}

int ccid_reader_command(struct ccid_reader *r, uint8_t type, uint8_t slot,
			const uint8_t param[3], const uint8_t *data,
			size_t data_len, struct ccid_reply *rep,
			uint64_t deadline)
{
	struct xchg x = { .type = type, .slot = slot, .deadline = deadline };
	size_t len = 0;
	int err;

	if (r == NULL || rep == NULL)
		return CCID_E_INVAL;
	if (slot >= r->nslots)
		return CCID_E_NOT_FOUND;
	if (ccid_reader_is_gone(r))
		return CCID_E_NO_DEVICE;
	x.seq = r->seq;
	x.deadline_max = add_sat(deadline, CCID_TIME_EXTENSION_MAX_MS);
	err = ccid_msg_encode(type, slot, x.seq, param, data, data_len, r->tx,
			      r->buf_cap, &len);
	if (err != CCID_OK)
		return err; /* CCID_E_OVERFLOW: beyond dwMaxCCIDMessageLength */
	r->seq++; /* wraps at 255 (CCID 1.1 §6.1) */
	log_message(r, true, r->tx, len);
	err = r->tp->ops->bulk_out(r->tp, r->tx, len, deadline);
	/* the command may carry a PIN or key: do not leave it lying around */
	explicit_bzero(r->tx, len);
	if (err != CCID_OK)
		return tp_error(r, err, "bulk-OUT");
	return await_reply(r, &x, rep);
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                         */

static void name_append(char *dst, size_t cap, const char *src)
{
	size_t used = strlen(dst), n = strlen(src);

	if (used + 1 >= cap)
		return;
	if (n > cap - used - 1)
		n = cap - used - 1;
	memcpy(dst + used, src, n);
	dst[used + n] = '\0';
}

/* "iManufacturer iProduct [iInterface] (iSerial)", skipping what is
 * empty or would only repeat itself. */
static void build_base_name(struct ccid_reader *r)
{
	const struct ccid_usb_info *u = &r->tp->info;
	char *name = r->base_name;
	size_t cap = sizeof(r->base_name);
	size_t mlen = strlen(u->manufacturer);

	name[0] = '\0';
	if (u->manufacturer[0] == '\0' && u->product[0] == '\0') {
		snprintf(name, cap, "CCID reader %04x:%04x", u->idVendor,
			 u->idProduct);
	} else if (u->product[0] == '\0') {
		name_append(name, cap, u->manufacturer);
	} else {
		if (mlen > 0 && strncmp(u->product, u->manufacturer, mlen) != 0) {
			name_append(name, cap, u->manufacturer);
			name_append(name, cap, " ");
		}
		name_append(name, cap, u->product);
	}
	if (u->interface[0] != '\0') {
		name_append(name, cap, " [");
		name_append(name, cap, u->interface);
		name_append(name, cap, "]");
	}
	if (u->serial[0] != '\0' && strstr(u->interface, u->serial) == NULL) {
		name_append(name, cap, " (");
		name_append(name, cap, u->serial);
		name_append(name, cap, ")");
	}
}

static int reader_init_sync(struct ccid_reader *r)
{
	pthread_condattr_t ca;
	int err;

	if (pthread_mutex_init(&r->io_lock, NULL) != 0)
		return CCID_E_NOMEM;
	if (pthread_mutex_init(&r->state_lock, NULL) != 0) {
		pthread_mutex_destroy(&r->io_lock);
		return CCID_E_NOMEM;
	}
	/* waits use monotonic deadlines (clock.h) */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	err = pthread_cond_init(&r->state_cond, &ca);
	pthread_condattr_destroy(&ca);
	if (err != 0 || pthread_mutex_init(&r->share_mu, NULL) != 0) {
		if (err == 0)
			pthread_cond_destroy(&r->state_cond);
		pthread_mutex_destroy(&r->state_lock);
		pthread_mutex_destroy(&r->io_lock);
		return CCID_E_NOMEM;
	}
	return CCID_OK;
}

static void reader_destroy(struct ccid_reader *r, bool sync)
{
	if (r->tp != NULL && r->intr_started)
		r->tp->ops->intr_stop(r->tp);
	if (sync)
		ccid_reader_share_close(r);
	ccid_transport_free(&r->tp);
	ccid_trace_dev_free(&r->trace);
	free(r->tx);
	free(r->rx);
	if (sync) {
		pthread_mutex_destroy(&r->share_mu);
		pthread_cond_destroy(&r->state_cond);
		pthread_mutex_destroy(&r->state_lock);
		pthread_mutex_destroy(&r->io_lock);
	}
	free(r);
}

/* Parse the class descriptor and size the buffers from it. */
static int reader_setup(struct ccid_reader *r)
{
	const struct ccid_usb_info *u = &r->tp->info;
	int err;

	err = ccid_desc_parse(u->class_desc, u->class_desc_len, &r->desc);
	if (err != CCID_OK) {
		ccid_log_err("%04x:%04x: bad CCID class descriptor",
			     u->idVendor, u->idProduct);
		return CCID_E_PROTO;
	}
	if (u->bInterfaceProtocol != 0) {
		/* ICCD (CCID 1.1 §3.3 / ICCD spec) uses control transfers */
		ccid_log_err("%04x:%04x: bInterfaceProtocol %u (ICCD) not supported",
			     u->idVendor, u->idProduct, u->bInterfaceProtocol);
		return CCID_E_NOT_SUPPORTED;
	}
	r->level = ccid_desc_level(&r->desc);
	if (r->level == CCID_LEVEL_CHARACTER) {
		/* CCID 1.1 §6.1.4: at character level the host drives ISO 7816-3
		 * byte by byte (wLevelParameter = bytes expected); refused at
		 * open so that nobody gets a reader that cannot exchange */
		ccid_log_err("%04x:%04x: character-level readers are not supported",
			     u->idVendor, u->idProduct);
		return CCID_E_NOT_SUPPORTED;
	}
	r->nslots = (unsigned)r->desc.bMaxSlotIndex + 1;
	r->buf_cap = r->desc.dwMaxCCIDMessageLength;
	r->tx = malloc(r->buf_cap);
	r->rx = malloc(r->buf_cap);
	if (r->tx == NULL || r->rx == NULL)
		return CCID_E_NOMEM;
	build_base_name(r);
	return CCID_OK;
}

/* Learn whether cards are present (CCID 1.1 §6.1.2); the reply updates
 * the slot state in ccid_reader_command. */
static int reader_probe_slots(struct ccid_reader *r, uint64_t deadline)
{
	static const uint8_t rfu[3] = { 0, 0, 0 };
	int err;

	pthread_mutex_lock(&r->io_lock);
	err = ccid_reader_lease(r, -1, true);
	for (unsigned n = 0; n < r->nslots && err == CCID_OK; n++) {
		struct ccid_reply rep;

		err = ccid_reader_command(r, PC_to_RDR_GetSlotStatus,
					  (uint8_t)n, rfu, NULL, 0, &rep,
					  deadline);
		if (err != CCID_OK && err != CCID_E_NO_DEVICE) {
			ccid_log_err("%s: slot %u: GetSlotStatus failed: %s",
				     r->base_name, n, ccid_strerror(err));
			err = CCID_OK;
		}
	}
	if (r->leased)
		ccid_reader_unlease(r);
	pthread_mutex_unlock(&r->io_lock);
	return err;
}

/* The manager's poller (readers without an interrupt pipe): the same
 * GetSlotStatus as the probe, but only when nobody is exchanging — an
 * application's command must never wait behind a status poll. */
int ccid_reader_poll_status(struct ccid_reader *r, uint64_t deadline)
{
	int err;

	if (r == NULL)
		return CCID_E_INVAL;
	if (pthread_mutex_trylock(&r->io_lock) != 0)
		return CCID_E_BUSY;
	err = ccid_reader_is_gone(r) ? CCID_E_NO_DEVICE : CCID_OK;
	if (err == CCID_OK)
		err = ccid_reader_lease(r, -1, false);
	if (err == CCID_E_BUSY) {
		/* another process is exchanging: take its word for it */
		pthread_mutex_unlock(&r->io_lock);
		ccid_reader_share_refresh(r);
		return CCID_OK;
	}
	for (unsigned n = 0; n < r->nslots && err == CCID_OK; n++) {
		static const uint8_t rfu[3] = { 0, 0, 0 };
		struct ccid_reply rep;

		err = ccid_reader_command(r, PC_to_RDR_GetSlotStatus,
					  (uint8_t)n, rfu, NULL, 0, &rep,
					  deadline);
	}
	if (r->leased)
		ccid_reader_unlease(r);
	pthread_mutex_unlock(&r->io_lock);
	if (err == CCID_OK)
		ccid_reader_share_refresh(r); /* the others' connections */
	return err;
}

/* A card found at opening is the starting state, not an event: PC/SC's
 * event counter (pcsc-abi.md §6.3) starts at 0 and counts later
 * insertions and removals only, as pcscd's does. */
static void reader_reset_counters(struct ccid_reader *r)
{
	pthread_mutex_lock(&r->share_mu);
	pthread_mutex_lock(&r->state_lock);
	for (unsigned n = 0; n < r->nslots; n++) {
		r->slot[n].changes = 0;
		r->seen[n].loc_changes = 0;
	}
	pthread_mutex_unlock(&r->state_lock);
	pthread_mutex_unlock(&r->share_mu);
}

int ccid_reader_new(struct ccid_transport *tp, uint64_t deadline,
		    struct ccid_reader **out)
{
	struct ccid_reader *r;
	int err;

	if (out != NULL)
		*out = NULL;
	if (tp == NULL || out == NULL) {
		ccid_transport_free(&tp);
		return CCID_E_INVAL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		ccid_transport_free(&tp);
		return CCID_E_NOMEM;
	}
	r->tp = tp;
	r->refs = 1;
	err = reader_init_sync(r);
	if (err != CCID_OK) {
		reader_destroy(r, false);
		return err;
	}
	err = reader_setup(r);
	if (err == CCID_OK) {
		r->trace = ccid_trace_dev_new(&tp->info);
		err = ccid_reader_share_setup(r);
	}
	/* the interrupt pipe needs the interface claimed all the time: a
	 * shared reader is polled instead (ccid/SHARING.md) */
	if (err == CCID_OK && tp->info.has_interrupt && r->share == NULL) {
		r->intr_started = tp->ops->intr_start(tp, reader_intr_cb, r) == CCID_OK;
		/* without it, bulk replies still tell us about cards */
		if (!r->intr_started)
			ccid_log_info("%s: interrupt pipe unusable", r->base_name);
	}
	if (err == CCID_OK)
		err = reader_probe_slots(r, deadline);
	if (err != CCID_OK) {
		reader_destroy(r, true);
		return err;
	}
	reader_reset_counters(r);
	ccid_log_info("%s: %u slot(s), %s level", r->base_name, r->nslots,
		      ccid_level_name(r->level));
	*out = r;
	return CCID_OK;
}

struct ccid_reader *ccid_reader_ref(struct ccid_reader *r)
{
	if (r != NULL)
		__atomic_add_fetch(&r->refs, 1, __ATOMIC_RELAXED);
	return r;
}

void ccid_reader_unref(struct ccid_reader **rp)
{
	struct ccid_reader *r;

	if (rp == NULL || *rp == NULL)
		return;
	r = *rp;
	*rp = NULL;
	if (__atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) == 0)
		reader_destroy(r, true);
}

/* ------------------------------------------------------------------ */
/* State queries and waits                                            */

void ccid_reader_set_gone(struct ccid_reader *r)
{
	bool changed = false;

	if (r == NULL)
		return;
	pthread_mutex_lock(&r->state_lock);
	if (!r->gone) {
		ccid_log_info("%s: gone", r->base_name);
		r->gone = true;
		state_changed(r);
		changed = true;
	}
	state_unlock(r, changed);
}

void ccid_reader_note_power(struct ccid_reader *r, unsigned slot,
			    const uint8_t *atr, size_t len)
{
	struct ccid_slot_state *s;

	if (r == NULL || slot >= r->nslots || len > CCID_ATR_MAX)
		return;
	s = &r->slot[slot];
	pthread_mutex_lock(&r->state_lock);
	if (atr == NULL && !s->powered) {
		/* already off: the IccPowerOff reply's bmICCStatus (inactive)
		 * recorded it, or it was never on (voltage fallback) */
		state_unlock(r, false);
		return;
	}
	slot_unpower(s);
	if (atr != NULL) {
		s->powered = true;
		memcpy(s->atr, atr, len);
		s->atr_len = len;
	}
	/* every power-on is a cold reset and every power-off loses the card's
	 * state: handles that knew the card before must notice (pcsc-abi.md:
	 * SCARD_W_RESET_CARD) */
	s->power_epoch++;
	state_changed(r);
	state_unlock(r, true);
}

void ccid_reader_adopt(struct ccid_reader *r, unsigned n,
		       const struct ccid_share_slot *x, unsigned dchanges,
		       bool repowered)
{
	struct ccid_slot_state *s = &r->slot[n];

	if (dchanges == 0 && !repowered)
		return;
	pthread_mutex_lock(&r->state_lock);
	s->present = x->present;
	s->changes += dchanges;
	if (repowered || !x->present) {
		slot_unpower(s);
		if (x->powered && x->atr_len <= CCID_ATR_MAX) {
			s->powered = true;
			memcpy(s->atr, x->atr, x->atr_len);
			s->atr_len = x->atr_len;
		}
		s->power_epoch++;
	}
	state_changed(r);
	state_unlock(r, true);
}

int ccid_reader_control(struct ccid_reader *r, uint8_t bmRequestType,
			uint8_t bRequest, uint16_t wValue, uint8_t *data,
			uint16_t wLength, size_t *actual, uint64_t deadline)
{
	size_t got = 0;
	int err = r->tp->ops->control(r->tp, bmRequestType, bRequest, wValue,
				      data, wLength, &got, deadline);

	ccid_trace_control(r->trace, bmRequestType, bRequest, wValue,
			   r->tp->info.bInterfaceNumber, data,
			   (bmRequestType & 0x80) ? got : wLength, err);
	if (actual != NULL)
		*actual = got;
	return err;
}

void ccid_reader_bump(struct ccid_reader *r)
{
	pthread_mutex_lock(&r->state_lock);
	state_changed(r);
	state_unlock(r, true);
}

void ccid_reader_set_on_change(struct ccid_reader *r, void (*fn)(void *),
			       void *arg)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->state_lock);
	r->on_change = fn;
	r->on_change_arg = arg;
	/* a call that copied the old hook may still be running: whoever
	 * detaches (the manager going away) must not be called afterwards */
	while (r->hook_calls > 0)
		pthread_cond_wait(&r->state_cond, &r->state_lock);
	pthread_mutex_unlock(&r->state_lock);
}

bool ccid_reader_is_gone(struct ccid_reader *r)
{
	bool gone;

	if (r == NULL)
		return true;
	pthread_mutex_lock(&r->state_lock);
	gone = r->gone;
	pthread_mutex_unlock(&r->state_lock);
	return gone;
}

int ccid_reader_slot_state(struct ccid_reader *r, unsigned slot,
			   struct ccid_slot_state *out, uint64_t *generation)
{
	bool gone;

	if (r == NULL || out == NULL)
		return CCID_E_INVAL;
	if (slot >= r->nslots)
		return CCID_E_NOT_FOUND;
	pthread_mutex_lock(&r->state_lock);
	*out = r->slot[slot];
	if (generation != NULL)
		*generation = r->generation;
	gone = r->gone;
	pthread_mutex_unlock(&r->state_lock);
	return gone ? CCID_E_NO_DEVICE : CCID_OK;
}

int ccid_reader_wait_change(struct ccid_reader *r, uint64_t since,
			    uint64_t deadline)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline / 1000u),
		.tv_nsec = (long)(deadline % 1000u) * 1000000L,
	};
	int err = CCID_OK;

	if (r == NULL)
		return CCID_E_INVAL;
	pthread_mutex_lock(&r->state_lock);
	while (!r->gone && r->generation == since) {
		int rc;

		if (deadline == CCID_DEADLINE_NEVER)
			rc = pthread_cond_wait(&r->state_cond, &r->state_lock);
		else
			rc = pthread_cond_timedwait(&r->state_cond,
						    &r->state_lock, &ts);
		if (rc == ETIMEDOUT) {
			err = CCID_E_TIMEOUT;
			break;
		}
	}
	if (r->gone)
		err = CCID_E_NO_DEVICE;
	else if (r->generation != since)
		err = CCID_OK;
	pthread_mutex_unlock(&r->state_lock);
	return err;
}
