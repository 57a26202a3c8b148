/* ccidkit — the reader list.
 *
 * Opens every CCID reader this process can reach: the USB readers libusb
 * finds (unless CCIDKIT_LIBUSB=0) and one usbredir peer per endpoint in
 * CCIDKIT_USBREDIR (comma-separated "unix:PATH" / "tcp:HOST:PORT").
 * Each slot of each reader is one entry, named the way pcscd names PC/SC
 * readers (research/pcsc-abi.md §6.2): "<base name> NN MM", NN telling
 * identical base names apart, MM the slot number.
 * Readers that could not be opened are kept as "problems": one line each
 * saying which device and why, for the CLI to show (problems are fixed at
 * creation; retries while watching add none).
 * Without ccid_manager_watch() the list is fixed at creation.
 * Concurrency rules of every function: ccid/THREADING.md. */
#ifndef CCID_MANAGER_H
#define CCID_MANAGER_H

#include <stddef.h>
#include <stdint.h>

#include "ccid/reader.h"

#define CCID_READERNAME_MAX 128 /* MAX_READERNAME, NUL included */

/* Once watching, an entry (and the pointer to it) is valid only until
 * ccid_manager_unlock(): copy the name, ref the reader. */
struct ccid_manager_entry {
	struct ccid_reader *reader; /* owned by the manager; ref it to keep */
	unsigned slot;
	char name[CCID_READERNAME_MAX];
};

struct ccid_manager;

/* Never fails for lack of readers (an empty list is fine); CCID_E_NOMEM
 * only.  deadline bounds connecting to usbredir peers. */
int ccid_manager_new(uint64_t deadline, struct ccid_manager **out);
/* Stops the event thread (joined: no thread is left behind), wakes every
 * ccid_manager_wait (they return CCID_E_CANCELLED) and waits until they
 * have left, then drops the manager's reader references.  Threads must
 * not call anything else on m once free has begun, except finishing a
 * ccid_manager_wait and the ccid_manager_unlock after it. */
void ccid_manager_free(struct ccid_manager **m);

size_t ccid_manager_count(const struct ccid_manager *m);
const struct ccid_manager_entry *ccid_manager_entry(const struct ccid_manager *m,
						    size_t index);
size_t ccid_manager_problem_count(const struct ccid_manager *m);
/* "unix:/tmp/x.sock: nobody is listening there (CCID_E_NOT_FOUND)" */
const char *ccid_manager_problem(const struct ccid_manager *m, size_t index);
/* Why that reader could not be used (enum ccid_err); CCID_OK past the end. */
int ccid_manager_problem_err(const struct ccid_manager *m, size_t index);

/* ---- Watching (the PC/SC library's event machinery, DESIGN.md) ----
 *
 * ccid_manager_watch() turns a manager into a live one: one event thread
 * for the process keeps the list current and wakes waiters:
 *  - a reader's interrupt pipe (NotifySlotChange) already updates its slot
 *    state; every reader's on_change hook bumps the manager's generation;
 *  - readers without an interrupt endpoint are polled (GetSlotStatus,
 *    CCID_MANAGER_POLL_MS apart, skipped while an exchange holds io_lock);
 *  - a reader marked gone leaves the list (its entries disappear; the
 *    reader itself lives on while references remain);
 *  - a usbredir endpoint whose reader is gone, or that could not be
 *    reached, is retried every CCID_MANAGER_RETRY_MS, so a restarted
 *    virtual reader comes back under the same name;
 *  - USB readers (unless CCIDKIT_LIBUSB=0, or libusb is unusable here)
 *    follow the devices: libusb hotplug events when libusb has them and
 *    udevd runs (the callback only queues bus:address; this thread opens
 *    the device, so a reader is listed within ~100 ms of its arrival),
 *    else a rescan every CCID_MANAGER_RETRY_MS (the polling fallback).
 *    A device that leaves marks its readers gone (CCID_E_NO_DEVICE to
 *    whoever holds one) and they leave the list.  A device that cannot
 *    be opened (permissions, another program holding it) is tried again
 *    every CCID_MANAGER_RETRY_MS while present.  Identical readers get
 *    NN = the smallest free index for their base name, as pcscd does;
 *  - the event thread also holds the libusb hotplug registration; both
 *    end in ccid_manager_free (no thread is left behind).
 * Once watching, the entry list may change at any time: read it only
 * under ccid_manager_lock(), and take a reader reference to keep one.
 * Not watching (the CLI), the list is fixed at creation and needs no lock. */
#define CCID_MANAGER_POLL_MS 400u
#define CCID_MANAGER_RETRY_MS 1000u

/* Start the event thread (idempotent; all signals blocked in it).
 * CCID_E_NOMEM on failure.  Not under the manager lock. */
int ccid_manager_watch(struct ccid_manager *m);

/* The manager's mutex; guards the entry list, the generation and whatever
 * the caller keeps "under the manager lock" (pcsc-api: cancel counters). */
void ccid_manager_lock(struct ccid_manager *m);
void ccid_manager_unlock(struct ccid_manager *m);
/* Under the lock: bumped by every reader arrival/departure and every
 * slot change of any reader (card in/out, power, gone). */
uint64_t ccid_manager_generation(const struct ccid_manager *m);
/* Under the lock: wait (releasing it) for a broadcast — any generation
 * bump or ccid_manager_broadcast() — or the deadline (CCID_DEADLINE_NEVER
 * for none).  Returns CCID_OK when woken, CCID_E_TIMEOUT at the deadline,
 * CCID_E_CANCELLED (at once, too) once ccid_manager_free has begun: then
 * unlock and leave.
 * Spurious wake-ups are possible: callers re-check their condition. */
int ccid_manager_wait(struct ccid_manager *m, uint64_t deadline);
/* Under the lock: wake every ccid_manager_wait (e.g. SCardCancel). */
void ccid_manager_broadcast(struct ccid_manager *m);

/* Compose "<base> NN MM" into out[CCID_READERNAME_MAX], truncating the
 * base so the whole name fits in 127 characters. */
void ccid_manager_format_name(const char *base, unsigned index, unsigned slot,
			      char *out);

#endif
