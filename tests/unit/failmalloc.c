/* ccidkit tests — allocation-failure injection (failmalloc.h).
 *
 * The linker's --wrap=SYM sends every undefined reference to SYM in the
 * program's own objects to __wrap_SYM and makes __real_SYM the C
 * library's.  Each wrapper counts the call, fails it when it is the armed
 * one, and records the block it returned in a pointer set so that
 * failmalloc_live() counts exactly the blocks the code under test still
 * holds (blocks the C library allocates internally, such as a FILE, are
 * neither counted nor confused with ours). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failmalloc.h"

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
char *__real_strdup(const char *s);
FILE *__real_fopen(const char *path, const char *mode);
void __real_free(void *p);

void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
char *__wrap_strdup(const char *s);
FILE *__wrap_fopen(const char *path, const char *mode);
void __wrap_free(void *p);

static unsigned long g_count; /* calls since arming */
static unsigned long g_fail_at; /* 0: never */
static int g_fired;

/* ------------------------------------------------------------------ */
/* The set of live blocks: open addressing, linear probing, tombstones */

#define SET_SIZE 65536u /* power of two; far more than any scenario holds */
#define TOMB ((uintptr_t)1)

static uintptr_t g_set[SET_SIZE];
static long g_live;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;

static size_t slot_of(uintptr_t p)
{
	return (size_t)((p >> 4) * 2654435761u) & (SET_SIZE - 1);
}

static void set_add(const void *ptr)
{
	uintptr_t p = (uintptr_t)ptr;
	size_t i = slot_of(p);

	if (ptr == NULL)
		return;
	pthread_mutex_lock(&g_mu);
	for (size_t k = 0; k < SET_SIZE; k++, i = (i + 1) & (SET_SIZE - 1)) {
		if (g_set[i] == 0 || g_set[i] == TOMB) {
			g_set[i] = p;
			g_live++;
			break;
		}
	}
	pthread_mutex_unlock(&g_mu);
}

static void set_del(const void *ptr)
{
	uintptr_t p = (uintptr_t)ptr;
	size_t i = slot_of(p);

	if (ptr == NULL)
		return;
	pthread_mutex_lock(&g_mu);
	for (size_t k = 0; k < SET_SIZE && g_set[i] != 0;
	     k++, i = (i + 1) & (SET_SIZE - 1)) {
		if (g_set[i] == p) {
			g_set[i] = TOMB;
			g_live--;
			break;
		}
	}
	pthread_mutex_unlock(&g_mu);
}

/* ------------------------------------------------------------------ */
/* Control                                                            */

void failmalloc_arm(unsigned long n)
{
	__atomic_store_n(&g_fired, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&g_count, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&g_fail_at, n, __ATOMIC_SEQ_CST);
}

void failmalloc_disarm(void)
{
	__atomic_store_n(&g_fail_at, 0, __ATOMIC_SEQ_CST);
}

unsigned long failmalloc_count(void)
{
	return __atomic_load_n(&g_count, __ATOMIC_SEQ_CST);
}

int failmalloc_fired(void)
{
	return __atomic_load_n(&g_fired, __ATOMIC_SEQ_CST);
}

long failmalloc_live(void)
{
	long n;

	pthread_mutex_lock(&g_mu);
	n = g_live;
	pthread_mutex_unlock(&g_mu);
	return n;
}

/* Count one call; true when it is the one to fail. */
static int should_fail(void)
{
	unsigned long n = __atomic_add_fetch(&g_count, 1, __ATOMIC_SEQ_CST);

	if (n != __atomic_load_n(&g_fail_at, __ATOMIC_SEQ_CST))
		return 0;
	__atomic_store_n(&g_fired, 1, __ATOMIC_SEQ_CST);
	errno = ENOMEM;
	return 1;
}

/* ------------------------------------------------------------------ */
/* The wrappers                                                       */

void *__wrap_malloc(size_t size)
{
	void *p = should_fail() ? NULL : __real_malloc(size);

	set_add(p);
	return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
	void *p = should_fail() ? NULL : __real_calloc(n, size);

	set_add(p);
	return p;
}

/* On failure the old block stays valid and owned (C11 7.22.3.5). */
void *__wrap_realloc(void *old, size_t size)
{
	void *p;

	if (should_fail())
		return NULL;
	p = __real_realloc(old, size);
	if (p != NULL || size == 0) {
		set_del(old);
		set_add(p);
	}
	return p;
}

char *__wrap_strdup(const char *s)
{
	char *p = should_fail() ? NULL : __real_strdup(s);

	set_add(p);
	return p;
}

/* fopen allocates its FILE: it fails like malloc (ENOMEM), but the FILE
 * is the C library's business (fclose frees it), not counted as live. */
FILE *__wrap_fopen(const char *path, const char *mode)
{
	if (should_fail())
		return NULL;
	return __real_fopen(path, mode);
}

void __wrap_free(void *p)
{
	set_del(p);
	__real_free(p);
}
