/* ccidkit tests — allocation-failure injection without LD_PRELOAD.
 *
 * A test program linked with
 *   -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=fopen
 * gets every call to those functions made by the objects linked into it
 * (its own, and those of the static convenience library ccid/libccid.la)
 * routed through tests/unit/failmalloc.c, which counts them and can make
 * the n-th one fail the way the C library does (NULL, errno = ENOMEM).
 * Calls made inside shared libraries (libc itself, libusb, usbredir) are
 * not seen: only the code under test is.
 *
 * Counting is atomic, so allocations from the library's own threads are
 * counted too (their order is then not deterministic, which the OOM
 * tests tolerate: any outcome must be a clean one). */
#ifndef CCID_TESTS_FAILMALLOC_H
#define CCID_TESTS_FAILMALLOC_H

#include <stddef.h>

/* Start counting afresh; the n-th allocation from now fails (only that
 * one).  n = 0: count, fail nothing. */
void failmalloc_arm(unsigned long n);
/* Stop failing (counting goes on). */
void failmalloc_disarm(void);
/* Allocation calls since failmalloc_arm (failed one included). */
unsigned long failmalloc_count(void);
/* Did the armed failure happen? */
int failmalloc_fired(void);
/* Blocks allocated through the wrappers and not yet freed through
 * free() of this program, since the program started.  Compare before and
 * after a scenario: a difference is a leak (or a block still owned). */
long failmalloc_live(void);

#endif
