/* ccidkit — the virtual reader's USB device over usbredir (usb-host role).
 *
 * One struct vr_usb per client connection. It owns a usbredirparser on the
 * connected socket, announces a full-speed CCID device (hello, interface and
 * endpoint info, device_connect), answers control transfers from its
 * descriptors and moves bulk and interrupt data to and from the CCID model
 * (vr_ccid.c), which outlives connections.
 */
#ifndef CCIDKIT_VR_USB_H
#define CCIDKIT_VR_USB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/vr_ccid.h"

#define VR_USB_EP_BULK_OUT 0x01
#define VR_USB_EP_BULK_IN 0x82
#define VR_USB_EP_INTR_IN 0x83
#define VR_USB_INTR_INTERVAL 16		/* bInterval, ms at full speed */

struct vr_usb_config {
	uint16_t idVendor, idProduct, bcdDevice;
	const char *manufacturer;	/* NULL: no string */
	const char *product;
	const char *serial;
	const char *interface_name;
	bool interrupt_ep;		/* interrupt-IN endpoint 0x83 present */
};

/* String descriptor indices: fixed, 0 when the string is absent. */
enum { VR_USB_STR_MANUFACTURER = 1, VR_USB_STR_PRODUCT, VR_USB_STR_SERIAL,
	VR_USB_STR_INTERFACE };

struct vr_usb;

/* Descriptor builders (USB 2.0 §9.6), exposed for tests. Each returns the
 * full length of the descriptor and copies at most cap bytes. */
size_t vr_usb_device_descriptor(const struct vr_usb_config *cfg, uint8_t *buf,
				size_t cap);
size_t vr_usb_config_descriptor(const struct vr_usb_config *cfg,
				const struct vr_ccid *ccid, uint8_t *buf,
				size_t cap);
/* index 0: language IDs (0x0409); others UTF-16LE; 0 if there is none. */
size_t vr_usb_string_descriptor(const struct vr_usb_config *cfg, uint8_t index,
				uint8_t *buf, size_t cap);

/* Take a connected, non-blocking socket (closed by vr_usb_free). The hello
 * is queued at once. NULL on allocation failure. */
struct vr_usb *vr_usb_new(const struct vr_usb_config *cfg,
			  struct vr_ccid *ccid, int fd);
void vr_usb_free(struct vr_usb **usb);

/* The socket is readable: parse what arrived. -1 when the peer closed the
 * connection or an I/O error ended it, else 0. */
int vr_usb_on_readable(struct vr_usb *usb);
/* Write queued data; -1 on a write error. */
int vr_usb_flush(struct vr_usb *usb);
bool vr_usb_want_write(struct vr_usb *usb);
int vr_usb_fd(const struct vr_usb *usb);
/* After a card insertion or removal: send or drop interrupt messages. */
void vr_usb_service(struct vr_usb *usb);

#endif
