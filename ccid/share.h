/* ccidkit — sharing one reader between processes without a daemon: the
 * per-reader state file and its locks (design: ccid/SHARING.md).
 *
 * One file per USB CCID interface, in a directory every user can write
 * (CCIDKIT_LOCK_DIR, else /run/lock/ccidkit, else /tmp/ccidkit-lock).
 * Open file description locks (F_OFD_SETLK, Linux >= 3.15) on single
 * bytes of it, released by the kernel when a process dies:
 *   byte 0        the lease: whoever holds it (F_WRLCK) may claim the USB
 *                 interface and exchange; held for one operation at a time
 *   byte 1        the record below, while it is read (F_RDLCK) or written
 *   byte 2        "open": every process that has the reader open holds
 *                 F_RDLCK; the first one finds nobody and resets the record
 *   byte 16+slot  connections to the slot: F_RDLCK while a process has
 *                 SHARED or DIRECT handles, F_WRLCK for an EXCLUSIVE one
 *   byte 48+slot  a PC/SC transaction on the slot (F_WRLCK)
 * Locks of one ccid_share never conflict with each other (same open file
 * description), so two ccid_share on the same file behave like two
 * processes: that is how the unit tests exercise it.
 *
 * The record is the state that must survive the hand-over from one
 * process to the next: card presence, power, ATR, the protocol negotiated
 * for this power-up with the T=1 sequence numbers, and two counters.  It
 * is untrusted input (any local user can write the file): decoding
 * validates every field. */
#ifndef CCID_SHARE_H
#define CCID_SHARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccid/atr.h"
#include "ccid/desc.h"

#define CCID_SHARE_MAGIC 0x434b5331u /* "CKS1" */
/* Encoded record: 12-byte header + one 64-byte block per slot. */
#define CCID_SHARE_SLOT_BYTES 64u
#define CCID_SHARE_REC_BYTES (12u + CCID_SHARE_SLOT_BYTES * CCID_MAX_SLOTS)

enum ccid_share_mode {
	CCID_SHARE_NONE = 0,   /* no connection */
	CCID_SHARE_SHARED = 1, /* SHARED or DIRECT handles */
	CCID_SHARE_EXCL = 2,   /* an EXCLUSIVE handle */
};

struct ccid_share_slot {
	uint32_t epoch;   /* bumped by every power-on, power-off, removal */
	uint32_t changes; /* insertions + removals */
	bool present;
	bool powered;
	uint8_t atr_len;
	uint8_t atr[CCID_ATR_MAX];
	/* the protocol of this power-up (meaningful when proto_valid) */
	bool proto_valid;
	uint8_t protocol; /* 0: T=0, 1: T=1 */
	uint8_t fidi, wi, bwi;
	bool pps_refused;
	uint8_t ifsc, ifsd, nad; /* T=1 (ISO 7816-3 §11.4) */
	bool crc;
	uint8_t ns, nr;          /* T=1 send / receive sequence numbers */
};

struct ccid_share_rec {
	uint8_t nslots;
	struct ccid_share_slot slot[CCID_MAX_SLOTS];
};

/* Codec (sans-I/O).  Encode always writes CCID_SHARE_REC_BYTES.  Decode:
 * CCID_E_PROTO for a wrong magic or size, a slot count other than
 * nslots, or any field out of range (then *rec is all zero: a fresh
 * record); an empty buffer (a new file) decodes as a fresh record. */
void ccid_share_encode(const struct ccid_share_rec *rec,
		       uint8_t out[CCID_SHARE_REC_BYTES]);
int ccid_share_decode(const uint8_t *buf, size_t len, unsigned nslots,
		      struct ccid_share_rec *rec);

struct ccid_share;

/* The directory for the state files (environment, see above). */
const char *ccid_share_dir(void);

/* Open (creating it and the directory as needed, mode 0666 / 01777) the
 * state file "DIR/KEY.lock" for a reader with nslots slots, and register
 * as a user of it (byte 2).  When no other process has it open, the
 * record is reset: whatever it says belongs to a reader that was
 * unplugged or a system that rebooted.  KEY: [A-Za-z0-9._-], < 64 chars.
 * CCID_E_ACCESS / CCID_E_IO / CCID_E_NOT_SUPPORTED (no OFD locks) when
 * sharing cannot work here: the caller then keeps the reader for itself. */
int ccid_share_open(const char *key, unsigned nslots, struct ccid_share **out);
/* NULL allowed; clears the pointer; every lock goes with the file. */
void ccid_share_free(struct ccid_share **s);

/* The lease (byte 0).  wait: retry (sleeping 0.2..5 ms) until it is ours
 * or *stop becomes true (then CCID_E_CANCELLED); !wait: CCID_E_BUSY at
 * once when another process holds it. */
int ccid_share_lock(struct ccid_share *s, bool wait, const bool *stop);
void ccid_share_unlock(struct ccid_share *s);

/* The record, under its own short lock (read: not needed when the
 * caller holds the lease, as every writer does).  read: a record that
 * does not decode is logged and read as fresh (CCID_OK).  write: skipped
 * when the file already holds exactly this record (as last read or
 * written through s); only the lease holder writes. */
int ccid_share_read(struct ccid_share *s, bool leased,
		    struct ccid_share_rec *rec);
int ccid_share_write(struct ccid_share *s, const struct ccid_share_rec *rec);

/* Set this process's connection mode on a slot; never waits.
 * CCID_E_BUSY when another process's mode conflicts (an EXCLUSIVE handle
 * elsewhere, or others connected when asking for EXCL). */
int ccid_share_conn(struct ccid_share *s, unsigned slot,
		    enum ccid_share_mode mode);
/* What the other processes hold on a slot: NONE, SHARED or EXCL. */
enum ccid_share_mode ccid_share_peers(struct ccid_share *s, unsigned slot);

/* The transaction lock of a slot; never waits.  on: CCID_E_BUSY when
 * another process holds it.  off: always succeeds. */
int ccid_share_txn(struct ccid_share *s, unsigned slot, bool on);
/* Does another process hold the slot's transaction? */
bool ccid_share_txn_other(struct ccid_share *s, unsigned slot);

#endif
