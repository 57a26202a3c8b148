/* ccidkit — logging.  Silent by default; CCIDKIT_DEBUG=1 (errors),
 * 2 (+ info), 3 (+ debug and hex dumps of the wire) prints to stderr.
 * The environment is read once, on first use; tests may override with
 * ccid_log_set_level().  Thread-safe: each line is one fprintf. */
#ifndef CCID_LOG_H
#define CCID_LOG_H

#include <stddef.h>
#include <stdint.h>

enum ccid_log_level {
	CCID_LOG_NONE = 0,
	CCID_LOG_ERROR = 1,
	CCID_LOG_INFO = 2,
	CCID_LOG_DEBUG = 3,
};

int ccid_log_get_level(void);
void ccid_log_set_level(int level);
void ccid_log(int level, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Hex dump of buf (at most the first 64 KiB), one line. */
void ccid_log_hex(int level, const char *func, const char *label,
		  const uint8_t *buf, size_t len);

#define ccid_log_err(...) ccid_log(CCID_LOG_ERROR, __func__, __VA_ARGS__)
#define ccid_log_info(...) ccid_log(CCID_LOG_INFO, __func__, __VA_ARGS__)
#define ccid_log_dbg(...) ccid_log(CCID_LOG_DEBUG, __func__, __VA_ARGS__)

#endif
