/* ccidkit — fuzz target: pcap and pcapng files (usbmon 48/64-byte headers,
 * USBPcap), as `ccidkit decode` reads them from anyone.  Every event must
 * point inside the input; the error text must be a terminated string
 * within its buffer.  Odd-sized inputs are read without an error buffer
 * and stop at the 1000th event (the callback's "stop" path). */
#include <string.h>

#include "fuzz/fuzz_util.h"

#include "ccid/capture.h"
#include "ccid/err.h"

#define STOP 12345

struct seen {
	const uint8_t *buf;
	size_t len;
	size_t events;
	size_t limit;
	unsigned sum; /* touches every byte, so bad pointers are caught */
};

static int on_event(void *arg, const struct ccid_usb_event *ev)
{
	struct seen *s = arg;

	if (ev->len > 0 &&
	    (ev->data == NULL || ev->data < s->buf ||
	     (size_t)(ev->data - s->buf) > s->len ||
	     ev->len > s->len - (size_t)(ev->data - s->buf)))
		abort();
	if (ev->xfer > CCID_XFER_BULK)
		abort();
	for (size_t i = 0; i < ev->len; i++)
		s->sum += ev->data[i];
	for (size_t i = 0; ev->has_setup && i < 8; i++)
		s->sum += ev->setup[i];
	return ++s->events >= s->limit ? STOP : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = fuzz_dup(data, size);
	struct seen s = { buf, size, 0, (size & 1) ? 1000 : (size_t)-1, 0 };
	char why[96];
	int rc;

	memset(why, 'x', sizeof(why));
	if (size & 1) {
		rc = ccid_capture_read(buf, size, on_event, &s, NULL, 0);
	} else {
		rc = ccid_capture_read(buf, size, on_event, &s, why, sizeof(why));
		if (rc != CCID_OK && memchr(why, '\0', sizeof(why)) == NULL)
			abort();
	}
	if (rc == STOP && s.events != s.limit)
		abort();
	if (fuzz_verbose())
		fprintf(stderr, "capture: rc %d, %zu events, sum %u\n", rc,
			s.events, s.sum);
	free(buf);
	return 0;
}
