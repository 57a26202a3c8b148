/* ccidkit — fuzz target: the CLI's hex parser (src/hex.c), which reads
 * APDUs, ATRs and escape data typed by users or piped in from scripts.
 * The input, NUL-terminated, is the text.  Checks: hex_print of what was
 * parsed parses back to the same bytes; a smaller buffer gives the same
 * answer or "too long", never a write past cap; errors have a message. */
#include <string.h>

#include "fuzz/fuzz_util.h"

#include "src/hex.h"

#define MAX_TEXT 8192 /* a command line is not longer */

static void check_roundtrip(const uint8_t *b, size_t n)
{
	static char text[3 * MAX_TEXT + 1];
	static uint8_t again[MAX_TEXT];
	const char *why = NULL;
	size_t n2 = 0;
	long end;
	FILE *f = fmemopen(text, sizeof(text), "w");

	if (f == NULL)
		abort();
	hex_print(f, b, n);
	end = ftell(f);
	if (fclose(f) != 0 || end < 0 || (size_t)end >= sizeof(text))
		abort();
	text[end] = '\0'; /* glibc leaves an empty stream's buffer as it was */
	if (hex_parse(text, again, sizeof(again), &n2, &why) != 0 || n2 != n ||
	    memcmp(again, b, n) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[MAX_TEXT], small[8 + 1];
	const char *why = NULL;
	size_t len = 0, slen = 0, cap;
	char *text;
	int rc, rc2;

	if (size > MAX_TEXT)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		abort();
	if (size > 0)
		memcpy(text, data, size);
	text[size] = '\0';
	rc = hex_parse(text, out, sizeof(out), &len, &why);
	if (rc != 0 && (why == NULL || why[0] == '\0'))
		abort();
	if (rc == 0) {
		if (len > size / 2)
			abort();
		check_roundtrip(out, len);
	}
	cap = size > 0 ? data[0] % 9u : 0;
	small[cap] = 0xA5;
	rc2 = hex_parse(text, small, cap, &slen, &why);
	if (small[cap] != 0xA5)
		abort(); /* wrote past cap */
	if (rc == 0 && len <= cap &&
	    (rc2 != 0 || slen != len || memcmp(small, out, len) != 0))
		abort();
	if (rc == 0 && len > cap && (rc2 == 0 || strcmp(why, "too long") != 0))
		abort();
	free(text);
	return 0;
}
