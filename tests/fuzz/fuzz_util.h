/* ccidkit — small helpers shared by the fuzz targets (static inline only:
 * a target defines nothing else with external linkage). */
#ifndef CCIDKIT_FUZZ_UTIL_H
#define CCIDKIT_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A cursor over the fuzzer's input: reads past the end give zeros and
 * set `end`, so a target can split one input into fields without
 * checking every length itself. */
struct fuzz_in {
	const uint8_t *p;
	size_t left;
	bool end;
};

static inline void fuzz_in_init(struct fuzz_in *in, const uint8_t *data,
				size_t size)
{
	in->p = data;
	in->left = size;
	in->end = false;
}

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	if (in->left == 0) {
		in->end = true;
		return 0;
	}
	in->left--;
	return *in->p++;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t lo = fuzz_u8(in);

	return (uint16_t)(lo | (unsigned)fuzz_u8(in) << 8);
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t lo = fuzz_u16(in);

	return lo | (uint32_t)fuzz_u16(in) << 16;
}

/* Up to n bytes (fewer at the end of the input); *got says how many. */
static inline const uint8_t *fuzz_bytes(struct fuzz_in *in, size_t n,
					size_t *got)
{
	const uint8_t *p = in->p;

	if (n > in->left) {
		n = in->left;
		in->end = true;
	}
	if (n > 0) { /* p may be NULL for an empty input */
		in->p += n;
		in->left -= n;
	}
	*got = n;
	return p;
}

/* A heap copy of exactly len bytes, so that ASan and valgrind see any
 * read past the end (the fuzzer's own buffer may be larger).  NULL for
 * len 0 (malloc(0) would be a valid pointer to nothing). */
static inline uint8_t *fuzz_dup(const uint8_t *p, size_t len)
{
	uint8_t *c;

	if (len == 0)
		return NULL;
	c = malloc(len);
	if (c == NULL)
		abort();
	for (size_t i = 0; i < len; i++)
		c[i] = p[i];
	return c;
}

/* Where the targets send the human-readable printers' output: /dev/null
 * (opened once, never closed: reachable, not a leak), or stderr when
 * CCIDKIT_FUZZ_VERBOSE is set. */
static inline FILE *fuzz_sink(void)
{
	static FILE *sink;

	if (sink == NULL)
		sink = getenv("CCIDKIT_FUZZ_VERBOSE") ? stderr
						       : fopen("/dev/null", "w");
	if (sink == NULL)
		abort();
	return sink;
}

/* Set CCIDKIT_FUZZ_VERBOSE to see what a target does with an input. */
static inline bool fuzz_verbose(void)
{
	static int v = -1;

	if (v < 0)
		v = getenv("CCIDKIT_FUZZ_VERBOSE") != NULL;
	return v == 1;
}

#endif
