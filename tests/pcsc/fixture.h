/* ccidkit — shared fixture of the winscard tests (tests/pcsc/).
 *
 * Every test program runs against one `ccidkit vreader` started for the
 * whole group: the library reads CCIDKIT_USBREDIR when it builds its reader
 * list, so one process sees one reader configuration (pcsc-abi.md is the
 * specification the tests check; the vreader is the hardware).
 * The vreader listens on a unix socket in a mkdtemp directory; its standard
 * input is a pipe we keep, for `insert` / `remove`. */
#ifndef TESTS_PCSC_FIXTURE_H
#define TESTS_PCSC_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <winscard.h>
#include <reader.h>

/* Names the vreader's readers get (pcsc-abi.md §6.2: "<base> NN MM"). */
#define VR_READER "ccidkit Virtual Reader 00 00"
#define VR_READER_SLOT1 "ccidkit Virtual Reader 00 01"
#define PNP_READER "\\\\?PnP?\\Notification"

/* ATRs of the vreader's cards (`ccidkit vreader --help`). */
extern const uint8_t ATR_TEST[15];   /* 3B 88 81 31 FE 45 'ccidkit1' C9 */
extern const uint8_t ATR_TEST_T0[10]; /* 3B 08 'ccidkit0' */

struct vr {
	pid_t pid;
	int in_fd;   /* the vreader's standard input */
	int out_fd;  /* its standard output (kept open: no SIGPIPE there) */
	char dir[64];
	char sock[128];
	bool card[8]; /* what the test believes is in each slot */
};

/* The vreader binary: $CCIDKIT (set by `make check`), else the build tree's. */
const char *vr_binary(void);

/* main() helper: exit 77 loudly when the binary is missing. */
void vr_require_binary(const char *test_name);

/* Start `ccidkit vreader --listen unix:DIR/vr.sock ARGS...` (args NULL
 * terminated), wait for `ready`, set CCIDKIT_USBREDIR and CCIDKIT_LIBUSB=0.
 * Returns 0, -1 on failure (printed). */
int vr_start(struct vr *v, const char *const *args);
/* Read a vreader's standard output (fd) until the line "ready" (it prints
 * nothing else there), at most timeout_ms: 0, or -1. */
int vr_wait_ready(int fd, unsigned timeout_ms);
/* Quit it, reap it, remove the directory. */
void vr_stop(struct vr *v);
/* One line on its standard input ("remove", "insert 1", ...). */
void vr_cmd(struct vr *v, const char *line);

/* cmocka group setup/teardown for a default vreader (and their state). */
extern struct vr g_vr;
int vr_group_setup_args(const char *const *args);
int vr_group_teardown(void **state);

/* Per-test fixture: a fresh context in *state (a SCARDCONTEXT *).
 * Teardown releases it and puts every card the test removed back. */
int ctx_setup(void **state);
int ctx_teardown(void **state);

/* Wait (through SCardGetStatusChange itself) until the reader's event
 * state has every bit of `want`; fails the test after timeout_ms.
 * Returns the final dwEventState. */
DWORD wait_state(SCARDCONTEXT ctx, const char *reader, DWORD want,
		 unsigned timeout_ms);
/* Remove / insert the card in `slot` and wait until the library sees it. */
void card_remove(SCARDCONTEXT ctx, unsigned slot);
void card_insert(SCARDCONTEXT ctx, unsigned slot);

/* Monotonic milliseconds. */
uint64_t now_ms(void);
void sleep_ms(unsigned ms);

/* assert a LONG return code with both values in the message. */
#define assert_rv(expr, want) assert_rv_at((expr), (want), #expr, __FILE__, __LINE__)
void assert_rv_at(LONG got, LONG want, const char *expr, const char *file, int line);

/* Connect SHARED/ANY to `reader`, asserting success; returns the handle. */
SCARDHANDLE connect_ok(SCARDCONTEXT ctx, const char *reader, DWORD share,
		       DWORD *proto);

/* Transmit, asserting `want_rv`; the response length in *rlen. */
LONG xmit(SCARDHANDLE h, const SCARD_IO_REQUEST *pci, const uint8_t *apdu,
	  size_t len, uint8_t *resp, DWORD *rlen);

#endif
