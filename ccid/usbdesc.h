/* ccidkit — standard USB descriptors (USB 2.0 §9.6), as much as the
 * transports need to find a CCID interface.  Pure codec, no allocation. */
#ifndef CCID_USBDESC_H
#define CCID_USBDESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ccid_usb_device_desc {
	uint16_t bcdUSB;
	uint8_t bDeviceClass;
	uint8_t bMaxPacketSize0;
	uint16_t idVendor, idProduct, bcdDevice;
	uint8_t iManufacturer, iProduct, iSerialNumber;
	uint8_t bNumConfigurations;
};

/* The CCID interface found in a configuration descriptor. */
struct ccid_usb_ccid_if {
	uint8_t bConfigurationValue;
	uint8_t bInterfaceNumber;
	uint8_t bAlternateSetting;
	uint8_t bInterfaceClass;
	uint8_t bInterfaceProtocol;
	uint8_t iInterface;
	uint8_t ep_bulk_in, ep_bulk_out, ep_intr_in; /* addresses, 0 if absent */
	uint16_t bulk_in_max_packet, bulk_out_max_packet, intr_max_packet;
	const uint8_t *class_desc; /* points into the input, CCID_DESC_LEN bytes */
	size_t class_desc_len;
};

/* CCID_E_PROTO unless buf holds a valid 18-byte device descriptor. */
int ccid_usbdesc_device(const uint8_t *buf, size_t len,
			struct ccid_usb_device_desc *out);

/* Walk a whole configuration descriptor (wTotalLength bytes) and return the
 * index-th interface (alternate setting 0) of class 0x0B, or of class 0xFF
 * when it carries a 54-byte class descriptor.  The class descriptor is
 * looked for after the interface descriptor and, failing that, after its
 * last endpoint (libccid's O2Micro quirk).  CCID_E_NOT_FOUND when there is
 * no such interface; CCID_E_PROTO on any malformed descriptor (bLength <
 * 2, running past the end, wTotalLength > len). */
int ccid_usbdesc_find_ccid(const uint8_t *buf, size_t len, unsigned index,
			   struct ccid_usb_ccid_if *out);

/* Convert a string descriptor (bLength, 0x03, UTF-16LE) to ASCII, '.' for
 * non-ASCII, trailing NUL; CCID_E_PROTO when malformed. */
int ccid_usbdesc_string(const uint8_t *buf, size_t len, char *out, size_t cap);

#endif
