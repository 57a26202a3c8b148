/* ccidkit — logging (see log.h). */
#include "config.h"
#include "ccid/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int log_level = -1;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;

static void log_init(void)
{
	const char *env = getenv("CCIDKIT_DEBUG");
	int level = CCID_LOG_NONE;

	if (env != NULL && env[0] >= '0' && env[0] <= '9' && env[1] == '\0')
		level = env[0] - '0';
	else if (env != NULL && env[0] != '\0')
		level = CCID_LOG_DEBUG; /* "yes", "all": assume the most */
	if (level > CCID_LOG_DEBUG)
		level = CCID_LOG_DEBUG;
	__atomic_store_n(&log_level, level, __ATOMIC_RELAXED);
}

int ccid_log_get_level(void)
{
	pthread_once(&log_once, log_init);
	return __atomic_load_n(&log_level, __ATOMIC_RELAXED);
}

void ccid_log_set_level(int level)
{
	pthread_once(&log_once, log_init);
	__atomic_store_n(&log_level, level, __ATOMIC_RELAXED);
}

void ccid_log(int level, const char *func, const char *fmt, ...)
{
	static const char *const tag[] = { "", "error", "info", "debug" };
	char line[1024];
	va_list ap;

	if (level > ccid_log_get_level() || level < CCID_LOG_ERROR)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "ccidkit %s: %s: %s\n", tag[level], func, line);
}

void ccid_log_hex(int level, const char *func, const char *label,
		  const uint8_t *buf, size_t len)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t n = len > 65536 ? 65536 : len;
	char *text;

	if (level > ccid_log_get_level() || level < CCID_LOG_ERROR)
		return;
	text = malloc(n * 3 + 1);
	if (text == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		text[i * 3] = digits[buf[i] >> 4];
		text[i * 3 + 1] = digits[buf[i] & 15];
		text[i * 3 + 2] = ' ';
	}
	text[n ? n * 3 - 1 : 0] = '\0';
	fprintf(stderr, "ccidkit %s: %s: %s (%zu): %s%s\n",
		level == CCID_LOG_DEBUG ? "debug" : "info", func, label, len,
		text, n < len ? " ..." : "");
	free(text);
}
