/* ccidkit — one USB CCID function: its transport, descriptor, bSeq, slots.
 *
 * Ownership: ccid_reader_new() takes the transport (also on failure).
 * Readers are reference counted: the manager holds one reference, every
 * user that may outlive a hotplug removal takes its own (ref/unref).
 * A reader whose device went away is marked gone; its calls then fail
 * with CCID_E_NO_DEVICE, and it is freed at the last unref.
 *
 * Locks (ccid/THREADING.md):
 *  - io_lock serialises whole exchanges on the bulk pipes and owns bSeq;
 *    slot.c takes it for each operation (callers never hold it).
 *  - state_lock guards slot presence/power state, generation and gone; it
 *    is held only briefly, never across I/O, so the interrupt callback may
 *    take it.  Every change bumps generation and broadcasts state_cond. */
#ifndef CCID_READER_H
#define CCID_READER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccid/atr.h"
#include "ccid/desc.h"
#include "ccid/msg.h"
#include "ccid/share.h"
#include "ccid/t1.h"
#include "ccid/trace.h"
#include "ccid/transport.h"

/* Each time extension (bmCommandStatus = 2) grants this much more time,
 * times the multiplier in bError (at least 1) ... */
#define CCID_TIME_EXTENSION_MS 1000u
/* ... but never more than this beyond the caller's original deadline, so a
 * reader that extends forever still ends. */
#define CCID_TIME_EXTENSION_MAX_MS (10u * 60u * 1000u)
/* Stale replies (wrong bSeq) skipped before giving up with CCID_E_PROTO. */
#define CCID_MAX_STALE_REPLIES 8
/* Budget for the abort sequence after a timeout (CCID 1.1 §5.3.1). */
#define CCID_ABORT_MS 2000u
/* Once part of a reply has arrived, each further part must follow within
 * this (a reader sends a message as one transfer; a longer gap is a reply
 * cut short, not a slow card), or the command times out. */
#define CCID_CONTINUATION_MS 1000u
/* Empty bulk-IN transfers in a row tolerated while reading one reply. */
#define CCID_MAX_EMPTY_READS 16

struct ccid_slot_state {
	bool present;  /* a card is in the slot */
	bool powered;  /* we powered it and it has not been removed since */
	uint8_t atr[CCID_ATR_MAX];
	size_t atr_len;
	unsigned changes; /* insertions + removals seen, for event counters */
	/* Bumped by every power-on, power-off and removal of this slot: a
	 * PC/SC handle that connected at another value must report
	 * SCARD_W_RESET_CARD / SCARD_W_REMOVED_CARD (pcsc-abi.md). */
	unsigned power_epoch;
};

/* What ccid_slot_set_protocol negotiated for one slot (ISO 7816-3 §9,
 * CCID 1.1 §6.1.7), used by the TPDU-level exchange.  Under io_lock.  It
 * belongs to one power-up of the card: valid only while epoch equals the
 * slot's power_epoch, which every power-on, power-off and removal bumps
 * (a removal seen by the interrupt callback cannot take io_lock, so stale
 * state is recognised by its epoch rather than cleared there); slot.c
 * also clears it at each power-on and power-off. */
struct ccid_slot_proto {
	bool valid;
	unsigned epoch;     /* power_epoch it was negotiated in */
	int protocol;       /* 0: T=0, 1: T=1 */
	uint8_t fidi;       /* bmFindexDindex in use (TA1 form) */
	uint8_t wi;         /* T=0 waiting integer (TC2) */
	uint8_t bwi;        /* T=1 block waiting integer */
	bool pps_refused;   /* the card refused PPS in this power-up */
	struct ccid_t1 t1;  /* T=1 engine state (sequence numbers, IFSC/IFSD) */
};

/* What a slot looked like at the last hand-over with the shared record
 * (lease.c): the record's counters and ours, to tell who changed what. */
struct ccid_share_seen {
	uint32_t rec_epoch, rec_changes;
	unsigned loc_epoch, loc_changes;
};

struct ccid_reader {
	pthread_mutex_t io_lock;
	pthread_mutex_t state_lock;
	pthread_cond_t state_cond; /* CLOCK_MONOTONIC */
	unsigned refs;             /* atomic */

	struct ccid_transport *tp;
	struct ccid_desc desc;
	enum ccid_level level;
	unsigned nslots;           /* bMaxSlotIndex + 1 */
	uint8_t seq;               /* next bSeq; under io_lock */
	uint8_t *tx, *rx;          /* message buffers, dwMaxCCIDMessageLength */
	size_t buf_cap;
	bool intr_started;         /* intr_start succeeded: intr_stop at the end */
	struct ccid_slot_proto proto[CCID_MAX_SLOTS]; /* under io_lock */

	/* under state_lock */
	bool gone;
	uint64_t generation;
	bool notified;             /* a NotifySlotChange came since intr_start */
	struct ccid_slot_state slot[CCID_MAX_SLOTS];

	/* Sharing with other processes (lease.c, ccid/SHARING.md).  share
	 * NULL: the interface is claimed for the reader's whole life (a
	 * transport without claim/release, CCIDKIT_SHARE=0, no lock dir). */
	struct ccid_share *share;
	pthread_mutex_t share_mu;  /* leased, synced, rec, seen */
	bool leased;               /* we hold the lease and the claim */
	bool synced;               /* seen[] is meaningful */
	bool claimed_for_life;
	struct ccid_share_rec rec; /* as last read or written */
	struct ccid_share_seen seen[CCID_MAX_SLOTS];
	uint32_t repowered;        /* under io_lock: slots another process
				    * re-powered, found by this lease */
	uint8_t peers[CCID_MAX_SLOTS]; /* under state_lock: enum ccid_share_mode */

	struct ccid_trace_dev *trace; /* NULL unless tracing (trace.h) */

	/* friendly name: "iManufacturer iProduct [iInterface] (iSerial)" */
	char base_name[128];

	/* Called after every generation bump, on whatever thread made it
	 * (including the transport's event thread), without state_lock; a
	 * thread that made the change during an exchange still holds its
	 * io_lock.  It must not block, do I/O or take a reader lock (the
	 * manager uses it to wake its waiters).  Under state_lock; set and
	 * cleared only through ccid_reader_set_on_change(). */
	void (*on_change)(void *arg);
	void *on_change_arg;
	unsigned hook_calls;       /* under state_lock: calls still running */
};

/* Parse tp->info.class_desc, allocate buffers, start the interrupt pipe
 * when there is one, learn initial card presence (GetSlotStatus per slot).
 * Takes ownership of tp.  CCID_E_PROTO for a bad class descriptor,
 * CCID_E_NOT_SUPPORTED for bInterfaceProtocol != 0 (ICCD) and for
 * character-level readers (no exchange-level bit in dwFeatures: the host
 * would have to time every character itself over USB, which ccidkit does
 * not do; TPDU, short and extended APDU levels are supported). */
int ccid_reader_new(struct ccid_transport *tp, uint64_t deadline,
		    struct ccid_reader **out);
struct ccid_reader *ccid_reader_ref(struct ccid_reader *r);
/* Drops a reference (NULL allowed), clears *r. */
void ccid_reader_unref(struct ccid_reader **r);

/* One command/response round trip (CCID 1.1 §5.2).  Caller holds io_lock.
 * Assigns bSeq, encodes, sends, then reads until the matching reply:
 * replies with another bSeq are stale and skipped; a time-extension reply
 * (bmCommandStatus 2) pushes the local deadline; a reply of the wrong type
 * or slot is CCID_E_PROTO; a reply split over several bulk transfers is
 * reassembled.  On timeout runs the abort sequence (class ABORT request,
 * then PC_to_RDR_Abort with the same bSlot/bSeq) and returns
 * CCID_E_TIMEOUT.  On success *rep describes the reply; rep->data points
 * into r->rx and is valid until the next command.  The reply's own
 * bStatus/bError is NOT turned into an error here (see
 * ccid_msg_status_err); presence state is updated from bmICCStatus. */
int ccid_reader_command(struct ccid_reader *r, uint8_t type, uint8_t slot,
			const uint8_t param[3], const uint8_t *data,
			size_t data_len, struct ccid_reply *rep,
			uint64_t deadline);

/* A class-specific request to the interface (transport.h control), seen
 * by the trace.  Caller holds io_lock. */
int ccid_reader_control(struct ccid_reader *r, uint8_t bmRequestType,
			uint8_t bRequest, uint16_t wValue, uint8_t *data,
			uint16_t wLength, size_t *actual, uint64_t deadline);

/* Mark the reader gone (device unplugged) and wake all waiters. */
void ccid_reader_set_gone(struct ccid_reader *r);
bool ccid_reader_is_gone(struct ccid_reader *r);

/* Install (fn != NULL) or remove (NULL) the change hook.  Returns only
 * when no call of the previous hook is still running, so after
 * ccid_reader_set_on_change(r, NULL, NULL) the old arg may be freed.
 * Never call it from inside the hook, nor holding a lock the hook takes. */
void ccid_reader_set_on_change(struct ccid_reader *r, void (*fn)(void *),
			       void *arg);

/* Record a power-on (atr != NULL: the card's ATR, len <= CCID_ATR_MAX) or
 * a power-off (atr == NULL) of a slot: sets powered/ATR, bumps the slot's
 * power_epoch and the generation, wakes waiters, then calls the hook.
 * A power-off of a slot not powered changes nothing (no bump, no call).
 * slot.c calls it after IccPowerOn / IccPowerOff. */
void ccid_reader_note_power(struct ccid_reader *r, unsigned slot,
			    const uint8_t *atr, size_t len);

/* One PC_to_RDR_GetSlotStatus per slot, for the manager's poller (readers
 * without an interrupt pipe); presence changes come out of the replies as
 * for every command.  Takes io_lock only if it is free: CCID_E_BUSY at
 * once while an exchange runs.  Otherwise as ccid_reader_command. */
int ccid_reader_poll_status(struct ccid_reader *r, uint64_t deadline);

/* Snapshot of one slot's state (under state_lock). */
int ccid_reader_slot_state(struct ccid_reader *r, unsigned slot,
			   struct ccid_slot_state *out, uint64_t *generation);

/* Block until r->generation != since, the reader is gone, or deadline.
 * Returns CCID_OK (changed), CCID_E_NO_DEVICE, or CCID_E_TIMEOUT. */
int ccid_reader_wait_change(struct ccid_reader *r, uint64_t since,
			    uint64_t deadline);

/* ---- sharing with other processes (lease.c, ccid/SHARING.md) ---- */

/* ccid_reader_new: join the reader's shared state file, or (transport
 * without claim, CCIDKIT_SHARE=0, no usable lock directory) claim the
 * interface for the reader's life.  CCID_E_BUSY/ACCESS from that claim. */
int ccid_reader_share_setup(struct ccid_reader *r);
void ccid_reader_share_close(struct ccid_reader *r);
/* Caller holds io_lock.  Take the lease (waiting for other processes when
 * wait, else CCID_E_BUSY at once), claim the interface, and take over the
 * slots' state from the record.  slot >= 0: also wait while another
 * process holds that slot's transaction.  A no-op without sharing. */
int ccid_reader_lease(struct ccid_reader *r, int slot, bool wait);
/* Caller holds io_lock.  Write our state back, release the interface and
 * the lease. */
void ccid_reader_unlease(struct ccid_reader *r);
/* Take over what other processes recorded (presence, power, ATR, event
 * counts) without the lease, and what they hold (peers): for pollers and
 * state queries.  Nothing while this process holds the lease. */
void ccid_reader_share_refresh(struct ccid_reader *r);
/* This process's connections / transaction on a slot (share.h); CCID_OK
 * without sharing.  CCID_E_BUSY: another process's conflicts. */
int ccid_reader_share_conn(struct ccid_reader *r, unsigned slot,
			   enum ccid_share_mode mode);
int ccid_reader_share_txn(struct ccid_reader *r, unsigned slot, bool on);
/* Other processes' connections on a slot, now.  (The manager's poller
 * wakes GetStatusChange waiters when they change, within its period.) */
enum ccid_share_mode ccid_reader_share_peers(struct ccid_reader *r,
					     unsigned slot);

/* For lease.c: replace slot n's presence and power with the record's
 * (x): dchanges insertions/removals happened elsewhere, repowered: the
 * card was powered on, off or reset elsewhere (power_epoch moves). */
void ccid_reader_adopt(struct ccid_reader *r, unsigned n,
		       const struct ccid_share_slot *x, unsigned dchanges,
		       bool repowered);
/* For lease.c: something only other processes see changed (peers). */
void ccid_reader_bump(struct ccid_reader *r);

#endif
