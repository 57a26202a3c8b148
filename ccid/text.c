/* ccidkit — a growable text buffer (text.h). */
#include "config.h"
#include "ccid/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ccid_text_init(struct ccid_text *t)
{
	memset(t, 0, sizeof(*t));
}

void ccid_text_free(struct ccid_text *t)
{
	free(t->buf);
	ccid_text_init(t);
}

void ccid_text_clear(struct ccid_text *t)
{
	t->len = 0;
	if (t->buf != NULL)
		t->buf[0] = '\0';
}

/* Room for n more characters and the NUL. */
static bool text_room(struct ccid_text *t, size_t n)
{
	size_t cap = t->cap ? t->cap : 256;
	char *p;

	if (t->oom)
		return false;
	if (t->len + n + 1 <= t->cap)
		return true;
	while (cap < t->len + n + 1) {
		if (cap > SIZE_MAX / 2) {
			t->oom = true;
			return false;
		}
		cap *= 2;
	}
	p = realloc(t->buf, cap);
	if (p == NULL) {
		t->oom = true;
		return false;
	}
	t->buf = p;
	t->cap = cap;
	return true;
}

void ccid_text_printf(struct ccid_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !text_room(t, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

void ccid_text_hex(struct ccid_text *t, const uint8_t *buf, size_t len,
		   size_t max)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t shown = max != 0 && len > max ? max : len;
	char *p;

	if (shown == 0 || !text_room(t, shown * 3))
		return;
	p = t->buf + t->len;
	for (size_t i = 0; i < shown; i++) {
		if (i > 0)
			*p++ = ' ';
		*p++ = digits[buf[i] >> 4];
		*p++ = digits[buf[i] & 15];
	}
	*p = '\0';
	t->len = (size_t)(p - t->buf);
	if (shown < len)
		ccid_text_printf(t, " ... (%zu bytes)", len);
}
