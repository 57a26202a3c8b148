/* ccidkit — the reader list.
 *
 * Opens every CCID reader this process can reach: the USB readers libusb
 * finds (unless CCIDKIT_LIBUSB=0) and one usbredir peer per endpoint in
 * CCIDKIT_USBREDIR (comma-separated "unix:PATH" / "tcp:HOST:PORT").
 * Each slot of each reader is one entry, named the way pcscd names PC/SC
 * readers (research/pcsc-abi.md §6.2): "<base name> NN MM", NN telling
 * identical base names apart, MM the slot number.
 * Readers that could not be opened are kept as "problems": one line each
 * saying which device and why, for the CLI to show.
 * (Hotplug arrives with the Real USB issue; the list is fixed at creation.) */
#ifndef CCID_MANAGER_H
#define CCID_MANAGER_H

#include <stddef.h>
#include <stdint.h>

#include "ccid/reader.h"

#define CCID_READERNAME_MAX 128 /* MAX_READERNAME, NUL included */

struct ccid_manager_entry {
	struct ccid_reader *reader; /* owned by the manager; ref it to keep */
	unsigned slot;
	char name[CCID_READERNAME_MAX];
};

struct ccid_manager;

/* Never fails for lack of readers (an empty list is fine); CCID_E_NOMEM
 * only.  deadline bounds connecting to usbredir peers. */
int ccid_manager_new(uint64_t deadline, struct ccid_manager **out);
void ccid_manager_free(struct ccid_manager **m);

size_t ccid_manager_count(const struct ccid_manager *m);
const struct ccid_manager_entry *ccid_manager_entry(const struct ccid_manager *m,
						    size_t index);
size_t ccid_manager_problem_count(const struct ccid_manager *m);
/* "unix:/tmp/x.sock: nobody is listening there (CCID_E_NOT_FOUND)" */
const char *ccid_manager_problem(const struct ccid_manager *m, size_t index);
/* Why that reader could not be used (enum ccid_err); CCID_OK past the end. */
int ccid_manager_problem_err(const struct ccid_manager *m, size_t index);

/* Compose "<base> NN MM" into out[CCID_READERNAME_MAX], truncating the
 * base so the whole name fits in 127 characters. */
void ccid_manager_format_name(const char *base, unsigned index, unsigned slot,
			      char *out);

#endif
