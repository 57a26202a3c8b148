/* ccidkit — hexadecimal text <-> bytes for the CLI. */
#ifndef CCIDKIT_HEX_H
#define CCIDKIT_HEX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Parse hex digit pairs; spaces, tabs and ':' between bytes are allowed,
 * not inside a byte.  Returns 0 and fills (out, cap, *len), or -1 with
 * *why set to a static message ("odd number of hex digits", "not a hex
 * digit: 'x' at position 3", "too long").  An empty string is 0 bytes. */
int hex_parse(const char *text, uint8_t *out, size_t cap, size_t *len,
	      const char **why);

/* Upper-case hex bytes separated by single spaces, no newline. */
void hex_print(FILE *out, const uint8_t *buf, size_t len);

#endif
