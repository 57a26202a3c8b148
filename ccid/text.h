/* ccidkit — a growable text buffer for decoded traces (decode.h, trace.h).
 * Explicit ownership: the caller owns the struct and frees it. */
#ifndef CCID_TEXT_H
#define CCID_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ccid_text {
	char *buf;  /* NUL-terminated when len > 0; NULL until the first append */
	size_t len;
	size_t cap;
	bool oom;   /* an append failed: the text is incomplete */
};

void ccid_text_init(struct ccid_text *t);
/* Frees the buffer; the struct may be reused after ccid_text_init. */
void ccid_text_free(struct ccid_text *t);
/* Forget the contents, keep the buffer. */
void ccid_text_clear(struct ccid_text *t);
void ccid_text_printf(struct ccid_text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* len bytes as upper-case hex pairs separated by single spaces ("3B 8A"),
 * no trailing space; at most max bytes, then " ... (N bytes)" with the
 * total (max 0: no limit). */
void ccid_text_hex(struct ccid_text *t, const uint8_t *buf, size_t len,
		   size_t max);

#endif
