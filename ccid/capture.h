/* ccidkit — USB captures: reading pcap/pcapng files taken by usbmon
 * (tcpdump, Wireshark on Linux) or USBPcap (Windows), and writing pcap
 * files in the Linux usbmon format that Wireshark's and tshark's USB CCID
 * dissector decodes without "Decode As".  Sans-I/O for reading (a
 * buffer in, events out through a callback); the writer owns a FILE.
 *
 * Formats (facts, from the pcap / pcapng specifications and the Linux
 * kernel's Documentation/usb/usbmon.rst, USBPcap's documentation):
 *  - pcap: 24-byte file header, magic a1b2c3d4 (µs) or a1b23c4d (ns), in
 *    either byte order; 16-byte record headers.
 *  - pcapng: blocks SHB (0x0A0D0D0A, byte-order magic 1A2B3C4D), IDB (1:
 *    link type, snaplen, if_tsresol option 9), EPB (6), SPB (3), obsolete
 *    PB (2); other blocks skipped.  Several interfaces, several sections.
 *  - link type 189 LINKTYPE_USB_LINUX (48-byte usbmon header), 220
 *    LINKTYPE_USB_LINUX_MMAPPED (64-byte header), both in the capturing
 *    host's byte order (the file's); 249 LINKTYPE_USBPCAP (little-endian
 *    pseudo-header: headerLen u16, irpId u64, usbd_status u32, function
 *    u16, info u8 (bit 0: PDO→FDO, i.e. a completion), bus u16, device
 *    u16, endpoint u8, transfer u8, dataLength u32; + a stage byte for
 *    control transfers; the setup packet is the data of a control SETUP
 *    stage).  Other link types: CCID_E_NOT_SUPPORTED. */
#ifndef CCID_CAPTURE_H
#define CCID_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ccid_usb_xfer {
	CCID_XFER_ISO = 0,
	CCID_XFER_INTR = 1,
	CCID_XFER_CONTROL = 2,
	CCID_XFER_BULK = 3,
};

/* One URB event: a submission or a completion. */
struct ccid_usb_event {
	uint64_t ts_ns;       /* capture time, ns since the epoch */
	uint16_t bus;         /* usbmon bus / USBPcap root hub number */
	uint16_t dev;         /* device address */
	uint8_t endpoint;     /* number | 0x80 for IN */
	enum ccid_usb_xfer xfer;
	bool submit;          /* 'S' (usbmon) / FDO→PDO (USBPcap); else 'C' */
	int32_t status;       /* 0 = success; usbmon -errno; USBPcap: 0 or -1 */
	uint64_t id;          /* pairs a submission with its completion */
	bool has_setup;       /* control submission: setup holds the packet */
	uint8_t setup[8];
	uint32_t urb_len;     /* length asked (submit) or done (completion) */
	const uint8_t *data;  /* the bytes captured (points into the input, */
	size_t len;           /* valid during the callback only)            */
	bool truncated;       /* fewer bytes captured than the URB carried */
};

/* Return 0 to go on, anything else stops the reading (returned as is). */
typedef int (*ccid_usb_event_cb)(void *arg, const struct ccid_usb_event *ev);

/* Every USB event of a capture held in memory, in file order.
 * CCID_OK; CCID_E_PROTO for a file that is not pcap/pcapng or is
 * malformed (a truncated last record is reported, the events before it
 * were delivered); CCID_E_NOT_SUPPORTED for a link type that is not USB.
 * why (cap bytes, may be NULL) says what was wrong, with the offset. */
int ccid_capture_read(const uint8_t *buf, size_t len, ccid_usb_event_cb cb,
		      void *arg, char *why, size_t whycap);

/* ---- writing: pcap, LINKTYPE_USB_LINUX_MMAPPED, host byte order ---- */

struct ccid_capture_writer;

/* Create (truncate) path and write the file header.  CCID_E_IO /
 * CCID_E_ACCESS. */
int ccid_capture_create(const char *path, struct ccid_capture_writer **out);
/* One usbmon record for ev (the 64-byte header: id, 'S'/'C', transfer
 * type, endpoint, device, bus, setup flag ('\0' with setup, '-' without),
 * data flag ('\0' with data, '<' for IN submissions, '>' for OUT
 * completions), ts, status, urb length, captured length, setup packet,
 * interval, start_frame, xfer_flags, ndesc), then the data.  Flushed
 * after each record, so a crash loses nothing written.  Thread-safe. */
int ccid_capture_write(struct ccid_capture_writer *w,
		       const struct ccid_usb_event *ev);
/* NULL allowed; clears the pointer. */
void ccid_capture_close(struct ccid_capture_writer **w);

#endif
