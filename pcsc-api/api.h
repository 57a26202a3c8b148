/* ccidkit — internals of the winscard library (libpcsclite.so.1).
 *
 * Objects (all under api.lock unless said otherwise; see THREADING.md):
 *  - one process-wide driver: the watching ccid_manager, created by the
 *    first SCardEstablishContext and freed when the last context is gone;
 *  - contexts and card handles: table entries found by a random tag (the
 *    SCARDCONTEXT / SCARDHANDLE value), never pointer casts; reference
 *    counted so a call in flight keeps its object while another thread
 *    releases it;
 *  - one api_slot per PC/SC reader (reader + slot) that this process has
 *    looked at: the sharing state pcscd would keep (handles, exclusive,
 *    transaction owner), the protocol negotiated for the current power-up,
 *    the ATR of the current insertion (kept across power-off, as pcscd
 *    does) and whether the card was mute. */
#ifndef PCSC_API_API_H
#define PCSC_API_API_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <winscard.h>
#include <reader.h>

#include "ccid/clock.h"
#include "ccid/log.h"
#include "ccid/manager.h"
#include "ccid/reader.h"

/* Budget of one card or reader operation (time extension can push it). */
#define API_IO_MS 60000u
/* How often a thread blocked behind another handle's transaction looks
 * whether the card went away (pcsc-lite's client retries every 100 ms). */
#define API_TX_POLL_MS 100u
/* How often BeginTransaction retries while another process holds the
 * transaction (ccid/SHARING.md). */
#define API_TX_SHARE_POLL_MS 5u
/* The legacy "any protocol" value pcscd still accepts (winscard.c). */
#define API_PROTOCOL_ANY_OLD 0x1000u
/* The hotplug pseudo-reader of SCardGetStatusChange (pcsc-abi.md §6.3). */
#define API_PNP_NAME "\\\\?PnP?\\Notification"

struct api_ctx {
	SCARDCONTEXT id;
	unsigned refs;     /* the table's + calls in flight */
	bool released;     /* out of the table; freed at refs == 0 */
	uint64_t cancel;   /* under the MANAGER lock: SCardCancel count */
};

struct api_slot {
	struct api_slot *next;
	struct ccid_reader *reader; /* our reference */
	unsigned slot;
	char name[CCID_READERNAME_MAX];
	unsigned users;    /* handles + calls in flight; freed at 0 when gone */
	/* Serialises decisions to power the card (Connect, Reconnect,
	 * Disconnect, the ATR read of GetStatusChange): taken before any
	 * other lock, held across the power I/O. */
	pthread_mutex_t power_lock;

	unsigned handles;  /* connected handles, DIRECT included */
	bool exclusive;    /* one of them is EXCLUSIVE */
	SCARDHANDLE tx_owner; /* holder of the transaction, 0 for none */
	unsigned tx_depth;    /* nested BeginTransaction count */
	unsigned tx_changes;  /* slot `changes` when it was taken */
	unsigned resets;      /* resets / power-offs done through a handle */

	/* Protocol negotiated at the power-up identified by the key. */
	bool proto_valid;
	DWORD protocol;
	unsigned proto_changes, proto_epoch, proto_resets;

	/* ATR of the insertion numbered atr_changes; mute when power-up
	 * failed for it (SCARD_SWALLOWED / SCARD_STATE_MUTE). */
	bool atr_known;
	bool mute;
	unsigned atr_changes;
	uint8_t atr[CCID_ATR_MAX];
	size_t atr_len;
};

struct api_card {
	SCARDHANDLE id;
	struct api_ctx *ctx;   /* reference */
	struct api_slot *slot; /* a user of it */
	unsigned refs;
	bool disconnected;
	DWORD share;
	DWORD protocol;
	/* The card as this handle knows it: a different `changes` means it was
	 * removed, a different power_epoch/resets that it was reset. */
	bool had_card;
	unsigned changes, epoch, resets;
	LONG mark; /* sticky SCARD_W_REMOVED_CARD / SCARD_W_RESET_CARD */
};

struct api {
	pthread_mutex_t lock;
	pthread_cond_t cond;   /* CLOCK_MONOTONIC; sharing/transaction changes */
	struct ccid_manager *mgr;
	unsigned live_ctx;     /* context objects not yet freed */
	struct api_ctx **ctx;
	size_t nctx, ctx_cap;
	struct api_card **card;
	size_t ncard, card_cap;
	struct api_slot *slots;
	/* Starting or stopping the driver happens outside api.lock; while
	 * driver_busy, EstablishContext waits (the virtual reader serves one
	 * client at a time, so two managers must never overlap). */
	bool driver_busy;
	struct ccid_manager *dying_mgr;   /* freed by api_unlock() */
	struct api_slot *dying_slots;
};

extern struct api api;
/* A fork()ed child's inherited tables (table.c), kept, never used. */
extern struct api api_forked;

/* ---- table.c ---- */
void api_init_once(void);
void api_lock(void);
/* Also runs a driver teardown scheduled while the lock was held. */
void api_unlock(void);
/* Under api.lock: wait while the driver is starting or stopping. */
void api_wait_driver_idle(void);
/* Under api.lock: schedule the driver's teardown if no context is left. */
void api_drop_driver(void);
/* Under api.lock: wait on api.cond for at most ms. */
void api_wait_ms(unsigned ms);
void api_broadcast(void);
/* Wake GetStatusChange waiters after a sharing change (takes the manager
 * lock: call with api.lock NOT held). */
void api_notify_sharing(void);

LONG api_ctx_new(struct api_ctx **out);          /* under api.lock */
/* Find a live context and take a reference (SCARD_E_INVALID_HANDLE). */
LONG api_ctx_get(SCARDCONTEXT h, struct api_ctx **out);
void api_ctx_put(struct api_ctx *c);             /* api.lock NOT held */
void api_ctx_put_locked(struct api_ctx *c);
/* Under api.lock: remove from the table (a later get fails). */
void api_ctx_unlist(struct api_ctx *c);

LONG api_card_new(struct api_ctx *ctx, struct api_slot *s,
		  struct api_card **out);          /* under api.lock */
LONG api_card_get(SCARDHANDLE h, struct api_card **out);
void api_card_put(struct api_card *c);
void api_card_put_locked(struct api_card *c);
void api_card_unlist(struct api_card *c);       /* under api.lock */
/* Under api.lock: the cards of a context, referenced; caller frees arr. */
size_t api_cards_of(struct api_ctx *ctx, struct api_card ***arr);

/* The api_slot of (reader, slot), created on demand, with a user taken.
 * Under api.lock; NULL only when out of memory. */
struct api_slot *api_slot_get(struct ccid_reader *r, unsigned slot,
			      const char *name);
void api_slot_put_locked(struct api_slot *s);

/* Look a reader up by its PC/SC name in the manager's list (manager lock
 * taken inside; api.lock NOT held).  SCARD_E_UNKNOWN_READER. */
LONG api_find_reader(const char *name, struct api_slot **out);

/* ---- errmap.c ---- */
LONG api_err(int ccid_err);

/* ---- card.c (shared by the handle functions) ---- */
/* Under api.lock: the handle's mark, computing it from the slot state
 * snapshot st (filled); SCARD_E_READER_UNAVAILABLE when the reader went. */
LONG api_card_check(struct api_card *c, struct ccid_slot_state *st);
/* Under api.lock: block while another handle holds the transaction.
 * SCARD_E_INVALID_HANDLE if c got disconnected meanwhile,
 * SCARD_E_SHARING_VIOLATION under PCSCLITE_NO_BLOCKING. */
LONG api_wait_tx(struct api_card *c);
/* Under api.lock: api_wait_tx, then the transaction lock other processes
 * see (waiting for theirs, SCARD_E_SHARING_VIOLATION under
 * PCSCLITE_NO_BLOCKING).  On success the caller makes c the owner. */
LONG api_tx_take(struct api_card *c);
/* Under api.lock: end the slot's transaction (here and for the others). */
void api_tx_drop(struct api_slot *s);
/* Under api.lock: tell other processes what this one holds on the slot
 * (handles, exclusive).  SCARD_E_SHARING_VIOLATION when it conflicts with
 * theirs (logged); lowering never fails. */
LONG api_share_publish(struct api_slot *s, unsigned handles, bool exclusive);
/* power_lock held, no other lock: PC_to_RDR_IccPowerOn (reset: always;
 * else only when nobody powered the card yet), recording the ATR (or
 * muteness) of the current insertion in s. */
LONG api_power_on(struct api_slot *s, bool reset);
/* Under api.lock: let go of the reader (Disconnect, ReleaseContext). */
void api_card_detach(struct api_card *c);
/* Under api.lock: drop a transaction whose card was removed. */
void api_tx_expire(struct api_slot *s, const struct ccid_slot_state *st);

/* ---- buffers (context.c) ---- */
/* Copy (src, len) to the caller's buffer with pcsc-lite's rules:
 * *pcb == SCARD_AUTOALLOCATE → malloc, store pointer in *(void **)buf;
 * buf NULL → length query; too small → SCARD_E_INSUFFICIENT_BUFFER.
 * *pcb is always set to len. */
LONG api_out(void *buf, DWORD *pcb, const void *src, size_t len);

/* ---- tracing (CCIDKIT_DEBUG=2) ---- */
/* Each SCard* call and its result go to the debug log (CCIDKIT_DEBUG=2)
 * and to the traffic trace (CCIDKIT_TRACE=text..., ccid/trace.h). */
#define API_TRACE(...) api_trace_call(__func__, __VA_ARGS__)
void api_trace_call(const char *func, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
LONG api_trace_rv(const char *func, LONG rv);
#define API_RETURN(rv) return api_trace_rv(__func__, (rv))

#endif
