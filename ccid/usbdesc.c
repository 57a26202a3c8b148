/* ccidkit — standard USB descriptors (see usbdesc.h).
 *
 * Pure codec: every length is checked before a byte is read, nothing is
 * allocated, and the class descriptor returned points into the input. */
#include "config.h"
#include "ccid/usbdesc.h"

#include "ccid/desc.h"
#include "ccid/err.h"

#include <string.h>

/* USB 2.0 §9.4, table 9-5: descriptor types */
#define USB_DT_DEVICE 0x01
#define USB_DT_CONFIG 0x02
#define USB_DT_STRING 0x03
#define USB_DT_INTERFACE 0x04
#define USB_DT_ENDPOINT 0x05
#define USB_DT_IAD 0x0B /* Interface Association (USB ECN, 2003) */

#define USB_DT_DEVICE_SIZE 18
#define USB_DT_CONFIG_SIZE 9
#define USB_DT_INTERFACE_SIZE 9
#define USB_DT_ENDPOINT_SIZE 7

#define USB_CLASS_CCID 0x0B
#define USB_CLASS_VENDOR 0xFF

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

/* USB 2.0 §9.6.1 */
int ccid_usbdesc_device(const uint8_t *buf, size_t len,
			struct ccid_usb_device_desc *out)
{
	if (buf == NULL || out == NULL)
		return CCID_E_INVAL;
	if (len < USB_DT_DEVICE_SIZE || buf[0] != USB_DT_DEVICE_SIZE ||
	    buf[1] != USB_DT_DEVICE)
		return CCID_E_PROTO;
	memset(out, 0, sizeof(*out));
	out->bcdUSB = le16(buf + 2);
	out->bDeviceClass = buf[4];
	out->bMaxPacketSize0 = buf[7];
	out->idVendor = le16(buf + 8);
	out->idProduct = le16(buf + 10);
	out->bcdDevice = le16(buf + 12);
	out->iManufacturer = buf[14];
	out->iProduct = buf[15];
	out->iSerialNumber = buf[16];
	out->bNumConfigurations = buf[17];
	return CCID_OK;
}

/* Check the whole descriptor chain once, so that the search below can
 * trust every bLength: a chain that does not end exactly at wTotalLength
 * (USB 2.0 §9.4.3: the configuration is returned as one block), a
 * bLength < 2 (which would loop forever), or a standard descriptor shorter
 * than its fixed part is malformed. */
static int config_validate(const uint8_t *buf, size_t len, size_t *total)
{
	size_t off, t;

	if (len < USB_DT_CONFIG_SIZE || buf[0] < USB_DT_CONFIG_SIZE ||
	    buf[1] != USB_DT_CONFIG)
		return CCID_E_PROTO;
	t = le16(buf + 2);
	if (t > len || t < buf[0])
		return CCID_E_PROTO;
	for (off = 0; off < t; off += buf[off]) {
		if (t - off < 2 || buf[off] < 2 || buf[off] > t - off)
			return CCID_E_PROTO;
		if (buf[off + 1] == USB_DT_INTERFACE &&
		    buf[off] < USB_DT_INTERFACE_SIZE)
			return CCID_E_PROTO;
		if (buf[off + 1] == USB_DT_ENDPOINT &&
		    buf[off] < USB_DT_ENDPOINT_SIZE)
			return CCID_E_PROTO;
	}
	*total = t;
	return CCID_OK;
}

static bool is_class_desc(const uint8_t *d)
{
	/* CCID 1.1 §5.1: bLength 54, type 0x21; pre-1.0 readers used 0xFF */
	return d[0] == CCID_DESC_LEN &&
	       (d[1] == CCID_DESC_TYPE || d[1] == CCID_DESC_TYPE_PROPRIETARY);
}

/* Offset just past the descriptors that belong to the interface at off:
 * up to the next interface (or association) descriptor or the end. */
static size_t if_block_end(const uint8_t *buf, size_t total, size_t off)
{
	for (off += buf[off]; off < total; off += buf[off])
		if (buf[off + 1] == USB_DT_INTERFACE ||
		    buf[off + 1] == USB_DT_IAD)
			break;
	return off;
}

/* The class descriptor sits between the interface descriptor and its
 * first endpoint (CCID 1.1 §5.1); some O2Micro readers put it after the
 * last endpoint instead (libccid handles them the same way). */
static const uint8_t *find_class_desc(const uint8_t *buf, size_t start,
				      size_t end)
{
	size_t off, last_ep = 0;
	bool before = true;

	for (off = start + buf[start]; off < end; off += buf[off]) {
		if (buf[off + 1] == USB_DT_ENDPOINT) {
			before = false;
			last_ep = off;
		} else if (before && is_class_desc(buf + off)) {
			return buf + off;
		}
	}
	if (last_ep == 0)
		return NULL;
	for (off = last_ep + buf[last_ep]; off < end; off += buf[off])
		if (is_class_desc(buf + off))
			return buf + off;
	return NULL;
}

/* USB 2.0 §9.6.6: first bulk IN, first bulk OUT, first interrupt IN. */
static void collect_endpoints(const uint8_t *buf, size_t start, size_t end,
			      struct ccid_usb_ccid_if *out)
{
	size_t off;

	for (off = start + buf[start]; off < end; off += buf[off]) {
		const uint8_t *e = buf + off;
		uint8_t addr, type;
		uint16_t mps;

		if (e[1] != USB_DT_ENDPOINT)
			continue;
		addr = e[2];
		type = e[3] & 0x03;
		mps = le16(e + 4) & 0x07FF; /* bits 11..12: extra transactions */
		if (type == 0x02 && (addr & 0x80) && out->ep_bulk_in == 0) {
			out->ep_bulk_in = addr;
			out->bulk_in_max_packet = mps;
		} else if (type == 0x02 && !(addr & 0x80) &&
			   out->ep_bulk_out == 0) {
			out->ep_bulk_out = addr;
			out->bulk_out_max_packet = mps;
		} else if (type == 0x03 && (addr & 0x80) &&
			   out->ep_intr_in == 0) {
			out->ep_intr_in = addr;
			out->intr_max_packet = mps;
		}
	}
}

int ccid_usbdesc_find_ccid(const uint8_t *buf, size_t len, unsigned index,
			   struct ccid_usb_ccid_if *out)
{
	size_t total, off, end;
	int rc;

	if (buf == NULL || out == NULL)
		return CCID_E_INVAL;
	rc = config_validate(buf, len, &total);
	if (rc < 0)
		return rc;
	for (off = buf[0]; off < total; off += buf[off]) {
		const uint8_t *d = buf + off, *cd;

		if (d[1] != USB_DT_INTERFACE || d[3] != 0)
			continue;
		if (d[5] != USB_CLASS_CCID && d[5] != USB_CLASS_VENDOR)
			continue;
		end = if_block_end(buf, total, off);
		cd = find_class_desc(buf, off, end);
		/* a vendor-class interface is a CCID only if it says so with
		 * a class descriptor; a 0x0B one without it is still counted */
		if (d[5] == USB_CLASS_VENDOR && cd == NULL)
			continue;
		if (index-- > 0)
			continue;
		if (cd == NULL)
			return CCID_E_PROTO;
		memset(out, 0, sizeof(*out));
		out->bConfigurationValue = buf[5];
		out->bInterfaceNumber = d[2];
		out->bAlternateSetting = d[3];
		out->bInterfaceClass = d[5];
		out->bInterfaceProtocol = d[7];
		out->iInterface = d[8];
		collect_endpoints(buf, off, end, out);
		out->class_desc = cd;
		out->class_desc_len = CCID_DESC_LEN;
		return CCID_OK;
	}
	return CCID_E_NOT_FOUND;
}

/* USB 2.0 §9.6.7: bLength, bDescriptorType 3, then UTF-16LE code units
 * (without terminator).  Control characters and everything outside
 * printable ASCII become '.'; a surrogate pair becomes a single '.'. */
int ccid_usbdesc_string(const uint8_t *buf, size_t len, char *out, size_t cap)
{
	size_t i, n = 0;

	if (buf == NULL || out == NULL || cap == 0)
		return CCID_E_INVAL;
	out[0] = '\0';
	if (len < 2 || buf[0] < 2 || buf[0] > len || (buf[0] & 1) ||
	    buf[1] != USB_DT_STRING)
		return CCID_E_PROTO;
	for (i = 2; i < buf[0] && n + 1 < cap; i += 2) {
		uint16_t u = le16(buf + i);

		if (u >= 0xD800 && u <= 0xDBFF && i + 4 <= buf[0]) {
			uint16_t lo = le16(buf + i + 2);

			if (lo >= 0xDC00 && lo <= 0xDFFF)
				i += 2;
		}
		out[n++] = (u >= 0x20 && u < 0x7F) ? (char)u : '.';
	}
	out[n] = '\0';
	return CCID_OK;
}
