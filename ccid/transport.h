/* ccidkit — the transport seam: how the driver reaches one CCID interface.
 *
 * Chosen per device at run time: tp_libusb (a real USB device) or
 * tp_usbredir (a usbredir usb-host peer on a socket, e.g. `ccidkit vreader`);
 * tests/fake provides a scripted one.  Implementations embed
 * struct ccid_transport as their FIRST member and cast back.
 *
 * Contracts common to every op:
 *  - return CCID_OK (0) or a negative enum ccid_err; never a foreign code;
 *  - block at most until `deadline` (ms of CLOCK_MONOTONIC, clock.h), then
 *    return CCID_E_TIMEOUT having cancelled the transfer;
 *  - CCID_E_NO_DEVICE once the device is gone (unplugged, socket closed);
 *    every later call returns it too;
 *  - buffers belong to the caller and are not kept after the call returns;
 *  - bulk_out/bulk_in/control are called by one thread at a time (the
 *    reader lock serialises them); intr callbacks arrive on another thread.
 */
#ifndef CCID_TRANSPORT_H
#define CCID_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CCID_USB_STRLEN 128

/* What the transport learnt while opening the device. */
struct ccid_usb_info {
	uint16_t idVendor;
	uint16_t idProduct;
	uint16_t bcdDevice;
	uint8_t bInterfaceNumber;
	uint8_t bInterfaceClass;    /* 0x0B, or 0xFF for vendor-class readers */
	uint8_t bInterfaceProtocol; /* 0 = CCID bulk */
	bool has_interrupt;         /* an interrupt-IN endpoint exists */
	/* USB string descriptors, ASCII (non-ASCII replaced by '.'), "" if absent */
	char manufacturer[CCID_USB_STRLEN];
	char product[CCID_USB_STRLEN];
	char serial[CCID_USB_STRLEN];
	char interface[CCID_USB_STRLEN];
	/* Where it is: "usb:BUS:ADDR:IF" or the usbredir endpoint string. */
	char location[CCID_USB_STRLEN];
	/* The raw CCID class descriptor (CCID 1.1 §5.1), as found. */
	uint8_t class_desc[64];
	size_t class_desc_len;
	/* tp_libusb: libusb's bus number and device address (both >= 1);
	 * 0, 0 for other transports.  Hotplug departures name these. */
	uint8_t usb_bus;
	uint8_t usb_addr;
	/* Endpoint addresses (0x80 bit for IN); 0 when unknown / absent.
	 * Traces (trace.h) show them. */
	uint8_t ep_bulk_in, ep_bulk_out, ep_intr_in;
	uint16_t bcdUSB;
};

struct ccid_transport;

/* Interrupt-IN delivery.  Runs on the transport's I/O thread: it must only
 * record state and wake waiters (never block, never call transport ops).
 * buf is valid only during the call.  (NULL, 0) means the device is gone. */
typedef void (*ccid_intr_cb)(void *arg, const uint8_t *buf, size_t len);

struct ccid_transport_ops {
	const char *name; /* "libusb", "usbredir", "fake" */
	/* Send one whole bulk-OUT message. */
	int (*bulk_out)(struct ccid_transport *tp, const uint8_t *buf,
			size_t len, uint64_t deadline);
	/* Receive one bulk-IN transfer of at most cap bytes; *len = received. */
	int (*bulk_in)(struct ccid_transport *tp, uint8_t *buf, size_t cap,
		       size_t *len, uint64_t deadline);
	/* Class-specific request to the interface (CCID 1.1 §5.3); wIndex is
	 * the interface number.  Direction from bit 7 of bmRequestType; for
	 * IN, *actual = bytes received into data (may be NULL for OUT). */
	int (*control)(struct ccid_transport *tp, uint8_t bmRequestType,
		       uint8_t bRequest, uint16_t wValue, uint8_t *data,
		       uint16_t wLength, size_t *actual, uint64_t deadline);
	/* Start delivering interrupt-IN transfers to cb.  CCID_E_NOT_SUPPORTED
	 * without an interrupt endpoint.  At most one cb at a time. */
	int (*intr_start)(struct ccid_transport *tp, ccid_intr_cb cb, void *arg);
	/* Stop deliveries; when it returns, cb runs nowhere and never again. */
	void (*intr_stop)(struct ccid_transport *tp);
	/* Optional (NULL: the transport has nothing to claim).  Claim the
	 * USB interface for this process / give it back (usbfs lets one
	 * process at a time claim it; ccid/SHARING.md).  Only while claimed
	 * may bulk, control and interrupt ops run.  claim: CCID_E_BUSY when
	 * another program holds it (logged with what to do), CCID_E_NO_DEVICE.
	 * release of an unclaimed interface does nothing. */
	int (*claim)(struct ccid_transport *tp);
	void (*release)(struct ccid_transport *tp);
	/* Release the interface and everything else; frees tp. */
	void (*close)(struct ccid_transport *tp);
};

struct ccid_transport {
	const struct ccid_transport_ops *ops;
	struct ccid_usb_info info;
};

/* Closes *tp (NULL allowed) and clears the pointer. */
static inline void ccid_transport_free(struct ccid_transport **tp)
{
	if (tp != NULL && *tp != NULL) {
		(*tp)->ops->close(*tp);
		*tp = NULL;
	}
}

/* tp_usbredir.c — connect to a usbredir usb-host peer at "unix:PATH" or
 * "tcp:HOST:PORT", wait (until deadline) for its device, find the CCID
 * interface in its configuration descriptor, read its strings.
 * CCID_E_INVAL for a malformed endpoint string, CCID_E_NOT_FOUND when
 * nobody listens there, CCID_E_NOT_SUPPORTED when the device has no CCID
 * interface. */
int ccid_tp_usbredir_open(const char *endpoint, uint64_t deadline,
			  struct ccid_transport **out);

/* tp_libusb.c — find every USB interface of class 0x0B (CCID) on the
 * system and open each (unclaimed: the reader claims it, see claim).  For each one found, calls found(arg, tp,
 * info, err): on success err == 0 and the callee takes ownership of tp; on
 * failure tp is NULL, err says why (CCID_E_ACCESS, CCID_E_BUSY, ...), and
 * info describes the device as far as it was read.  Returns the number of
 * interfaces found (>= 0) or a negative ccid_err when USB itself cannot be
 * used (no libusb context: returns CCID_E_NOT_SUPPORTED, logs why). */
typedef void (*ccid_tp_found_cb)(void *arg, struct ccid_transport *tp,
				 const struct ccid_usb_info *info, int err);
int ccid_tp_libusb_scan(ccid_tp_found_cb found, void *arg);

/* The same for one device, named by libusb bus number and device address
 * (from a hotplug event or ccid_tp_libusb_list): found() is called for
 * each of its CCID interfaces.  Returns how many (0: no CCID interface),
 * CCID_E_NOT_FOUND when no such device is present, or another negative
 * ccid_err when USB cannot be used.  Synchronous I/O: never call it from
 * a hotplug callback. */
int ccid_tp_libusb_open_device(uint8_t bus, uint8_t addr,
			       ccid_tp_found_cb found, void *arg);

/* Which devices with a CCID interface are present now, without opening
 * any: ids[i] = bus << 8 | address, up to cap of them.  A fresh libusb
 * enumeration each call (a long-lived context's list goes stale where
 * udevd does not run).  Returns the total count (may exceed cap) or a
 * negative ccid_err (CCID_E_NOT_SUPPORTED: no USB here).  The polling
 * fallback. */
int ccid_tp_libusb_list(uint16_t *ids, size_t cap);

/* Hotplug.  cb(arg, arrived, bus, addr) for every USB device that arrives
 * (arrived = true) or leaves; it runs on the libusb event thread, where
 * libusb forbids synchronous I/O: it must only record the event and wake
 * someone (then ccid_tp_libusb_open_device from that thread).
 * CCID_E_NOT_SUPPORTED when libusb has no hotplug on this system
 * (LIBUSB_CAP_HAS_HOTPLUG) or udevd is not running (libusb's Linux
 * backend learns of devices from udevd): poll with ccid_tp_libusb_list.
 * ccid_tp_libusb_open_device also opens devices the shared context has
 * not enumerated (by their usbfs node), for that case.
 * The registration holds the libusb context and runs its event thread
 * until ccid_tp_libusb_hotplug_stop, after which cb runs nowhere. */
struct ccid_tp_hotplug;
typedef void (*ccid_tp_hotplug_cb)(void *arg, bool arrived, uint8_t bus,
				   uint8_t addr);
int ccid_tp_libusb_hotplug_start(ccid_tp_hotplug_cb cb, void *arg,
				 struct ccid_tp_hotplug **out);
/* NULL allowed; clears the pointer.  Not from inside cb. */
void ccid_tp_libusb_hotplug_stop(struct ccid_tp_hotplug **hp);

#endif
