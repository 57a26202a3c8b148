/* ccidkit — meaning of status words SW1 SW2 (ISO/IEC 7816-4 §5.6). */
#ifndef CCID_SW_H
#define CCID_SW_H

#include <stddef.h>
#include <stdint.h>

/* Writes a short English meaning into buf (always NUL-terminated when
 * cap > 0), e.g. 9000 "success", 61xx "xx more bytes available (GET
 * RESPONSE)", 6Cxx "wrong Le: exact length is xx", 6A82 "file or
 * application not found", 6D00 "instruction not supported", 6E00 "class
 * not supported", 6700 "wrong length"; unknown → "unknown status".
 * Returns buf. */
const char *ccid_sw_describe(uint8_t sw1, uint8_t sw2, char *buf, size_t cap);

#endif
