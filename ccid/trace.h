/* ccidkit — tracing what crosses the wire, for any program using the
 * library (CCIDKIT_TRACE) and the CLI (`ccidkit --trace SPEC`).
 *
 * SPEC: comma-separated items
 *   text            decoded text (decode.h) on standard error
 *   text:PATH       decoded text appended to PATH
 *   pcap:PATH       a pcap file in the Linux usbmon format (capture.h),
 *                   created afresh, that Wireshark/tshark decode as USB CCID
 *   show-secrets    PIN data in clear in both (masked by default)
 * "%p" in a PATH becomes the process id.  A bad SPEC is reported on
 * standard error once and tracing stays off; the library goes on.
 *
 * Text lines: "+SECONDS.MICROS NAME " then the decoder's first line, its
 * detail lines as they are; NAME is the reader's location
 * ("usb:001:002:0", or the usbredir endpoint).  PC/SC calls and their
 * results appear as "+SECONDS.MICROS SCardTransmit: hCard 0x4FEE04C2 7
 * bytes" and "+SECONDS.MICROS SCardTransmit -> 0x00000000 Command
 * successful.".  Seconds count from the first traced event.
 *
 * pcap: every device gets the GET_DESCRIPTOR (device, configuration)
 * exchanges a dissector needs to know the CCID interface (synthesised
 * from what the transport learnt, as usbmon would have seen them at
 * enumeration), then one submission + one completion record per bulk
 * message, interrupt message and class request, with the device's real
 * bus/address (usbredir readers: bus 0 is avoided, bus 1 address 100+).
 *
 * Thread-safe; each event is written whole. */
#ifndef CCID_TRACE_H
#define CCID_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccid/transport.h"

/* Set the process's tracing from SPEC (NULL: from CCIDKIT_TRACE), once;
 * later calls replace it.  CCID_E_INVAL for a bad SPEC, CCID_E_IO when a
 * file cannot be created (the message says which). */
int ccid_trace_setup(const char *spec);
/* Stop tracing and close the files (at exit, for tests). */
void ccid_trace_shutdown(void);
/* Is any sink on (reads CCIDKIT_TRACE on first call)? */
bool ccid_trace_enabled(void);

struct ccid_trace_dev;

/* A traced device (one per reader); NULL when tracing is off. */
struct ccid_trace_dev *ccid_trace_dev_new(const struct ccid_usb_info *info);
void ccid_trace_dev_free(struct ccid_trace_dev **d);

/* protocol: the slot's (0 T=0, 1 T=1, -1 unknown), to find the secrets of
 * a TPDU-level message (secret.h). */
void ccid_trace_bulk(struct ccid_trace_dev *d, bool out, int protocol,
		     const uint8_t *msg, size_t len);
void ccid_trace_intr(struct ccid_trace_dev *d, const uint8_t *msg,
		     size_t len);
/* A class request and how it ended (err: enum ccid_err). */
void ccid_trace_control(struct ccid_trace_dev *d, uint8_t bmRequestType,
			uint8_t bRequest, uint16_t wValue, uint16_t wIndex,
			const uint8_t *data, size_t len, int err);
/* A free-form line in the text trace (PC/SC calls): printf-like. */
void ccid_trace_note(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

#endif
