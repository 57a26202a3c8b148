/* ccidkit — hexadecimal text for the CLI (see hex.h). */
#include "config.h"
#include "src/hex.h"

#include <stdio.h>

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int hex_separator(char c)
{
	return c == ' ' || c == '\t' || c == ':' || c == '\n';
}

int hex_parse(const char *text, uint8_t *out, size_t cap, size_t *len,
	      const char **why)
{
	static char bad[64];
	size_t n = 0;
	size_t i = 0;

	while (text[i] != '\0') {
		int hi, lo;

		if (hex_separator(text[i])) {
			i++;
			continue;
		}
		hi = hex_digit(text[i]);
		lo = hi < 0 ? -1 : hex_digit(text[i + 1]);
		if (hi < 0 || lo < 0) {
			size_t at = hi < 0 ? i : i + 1;

			if (hi >= 0 && (text[at] == '\0' || hex_separator(text[at]))) {
				*why = "odd number of hex digits";
				return -1;
			}
			snprintf(bad, sizeof(bad),
				 "not a hex digit: '%c' at position %zu",
				 text[at], at + 1);
			*why = bad;
			return -1;
		}
		if (n == cap) {
			*why = "too long";
			return -1;
		}
		out[n++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	*len = n;
	return 0;
}

void hex_print(FILE *out, const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		fprintf(out, i ? " %02X" : "%02X", buf[i]);
}
