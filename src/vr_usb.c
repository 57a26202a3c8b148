/* ccidkit — the virtual reader's USB device over usbredir (see vr_usb.h). */
#include "config.h"
#include "src/vr_usb.h"
#include "src/vreader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <usbredirparser.h>

/* A bulk-IN request waiting for an answer from the CCID model. */
struct vr_in_req {
	struct vr_in_req *next;
	uint64_t id;
	size_t len;
};

struct vr_usb {
	struct vr_usb_config cfg;
	struct vr_ccid *ccid;
	struct usbredirparser *parser;
	int fd;
	bool closed;			/* EOF or I/O error on the socket */
	size_t msg_sent;		/* bytes of the current bulk-IN message sent */
	bool zlp_pending;		/* a zero-length packet ends the last message */
	size_t split_piece;		/* split fault: bytes per transfer, 0 = off */
	uint8_t configuration;		/* bConfigurationValue, 0 = unconfigured */
	bool intr_receiving;
	uint64_t intr_id;
	struct vr_in_req *in_head, *in_tail;
};

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xFF;
	p[1] = v >> 8;
}

static size_t copy_out(const uint8_t *d, size_t len, uint8_t *buf, size_t cap)
{
	memcpy(buf, d, len < cap ? len : cap);
	return len;
}

static uint8_t str_index(const struct vr_usb_config *cfg, int which)
{
	switch (which) {
	case VR_USB_STR_MANUFACTURER:
		return cfg->manufacturer ? VR_USB_STR_MANUFACTURER : 0;
	case VR_USB_STR_PRODUCT:
		return cfg->product ? VR_USB_STR_PRODUCT : 0;
	case VR_USB_STR_SERIAL:
		return cfg->serial ? VR_USB_STR_SERIAL : 0;
	default:
		return cfg->interface_name ? VR_USB_STR_INTERFACE : 0;
	}
}

/* USB 2.0 §9.6.1. bcdUSB 1.10: a full-speed-only device, so no device
 * qualifier is asked for. bDeviceClass 0: the class is per interface. */
size_t vr_usb_device_descriptor(const struct vr_usb_config *cfg, uint8_t *buf,
				size_t cap)
{
	uint8_t d[18] = { 18, 0x01 };

	put_le16(d + 2, 0x0110);
	d[4] = d[5] = d[6] = 0;
	d[7] = 64;				/* bMaxPacketSize0 */
	put_le16(d + 8, cfg->idVendor);
	put_le16(d + 10, cfg->idProduct);
	put_le16(d + 12, cfg->bcdDevice);
	d[14] = str_index(cfg, VR_USB_STR_MANUFACTURER);
	d[15] = str_index(cfg, VR_USB_STR_PRODUCT);
	d[16] = str_index(cfg, VR_USB_STR_SERIAL);
	d[17] = 1;				/* bNumConfigurations */
	return copy_out(d, sizeof(d), buf, cap);
}

static uint8_t *put_endpoint(uint8_t *p, uint8_t addr, uint8_t attr,
			     uint8_t interval)
{
	p[0] = 7;
	p[1] = 0x05;
	p[2] = addr;
	p[3] = attr;
	put_le16(p + 4, 64);
	p[6] = interval;
	return p + 7;
}

/* USB 2.0 §9.6.3-§9.6.6 and CCID 1.1 §5: configuration, interface, the
 * CCID class descriptor right after the interface, then the endpoints. */
size_t vr_usb_config_descriptor(const struct vr_usb_config *cfg,
				const struct vr_ccid *ccid, uint8_t *buf,
				size_t cap)
{
	uint8_t d[9 + 9 + VR_CCID_CLASS_DESC_LEN + 3 * 7];
	uint8_t neps = cfg->interrupt_ep ? 3 : 2;
	size_t total = 9 + 9 + VR_CCID_CLASS_DESC_LEN + 7u * neps;
	uint8_t *p;

	memset(d, 0, sizeof(d));
	d[0] = 9;
	d[1] = 0x02;
	put_le16(d + 2, (uint16_t)total);
	d[4] = 1;				/* bNumInterfaces */
	d[5] = 1;				/* bConfigurationValue */
	d[6] = 0;				/* iConfiguration */
	d[7] = 0x80;				/* bus powered */
	d[8] = 50;				/* 100 mA */
	p = d + 9;
	p[0] = 9;
	p[1] = 0x04;
	p[2] = 0;				/* bInterfaceNumber */
	p[3] = 0;				/* bAlternateSetting */
	p[4] = neps;
	p[5] = 0x0B;				/* Smart Card */
	p[6] = 0;
	p[7] = 0;				/* CCID bulk protocol */
	p[8] = str_index(cfg, VR_USB_STR_INTERFACE);
	vr_ccid_class_descriptor(ccid, p + 9);
	p += 9 + VR_CCID_CLASS_DESC_LEN;
	p = put_endpoint(p, VR_USB_EP_BULK_OUT, 0x02, 0);
	p = put_endpoint(p, VR_USB_EP_BULK_IN, 0x02, 0);
	if (cfg->interrupt_ep)
		put_endpoint(p, VR_USB_EP_INTR_IN, 0x03, VR_USB_INTR_INTERVAL);
	return copy_out(d, total, buf, cap);
}

/* Decode one UTF-8 sequence to a BMP code point; '?' for anything else. */
static uint16_t utf8_next(const unsigned char **s)
{
	const unsigned char *p = *s;
	uint16_t cp = '?';

	if (p[0] < 0x80) {
		cp = p[0];
		*s = p + 1;
	} else if ((p[0] & 0xE0) == 0xC0 && (p[1] & 0xC0) == 0x80) {
		cp = (uint16_t)((p[0] & 0x1F) << 6 | (p[1] & 0x3F));
		*s = p + 2;
	} else if ((p[0] & 0xF0) == 0xE0 && (p[1] & 0xC0) == 0x80 &&
		   (p[2] & 0xC0) == 0x80) {
		cp = (uint16_t)((p[0] & 0x0F) << 12 | (p[1] & 0x3F) << 6 |
				(p[2] & 0x3F));
		*s = p + 3;
	} else {
		*s = p + 1;
	}
	return cp;
}

/* USB 2.0 §9.6.7: UNICODE (UTF-16LE) strings, at most 126 characters. */
size_t vr_usb_string_descriptor(const struct vr_usb_config *cfg, uint8_t index,
				uint8_t *buf, size_t cap)
{
	static const uint8_t langids[4] = { 4, 0x03, 0x09, 0x04 };
	uint8_t d[2 + 2 * 126];
	const char *str = NULL;
	const unsigned char *s;
	size_t n = 2;

	if (index == 0)
		return copy_out(langids, sizeof(langids), buf, cap);
	if (index == str_index(cfg, VR_USB_STR_MANUFACTURER))
		str = cfg->manufacturer;
	else if (index == str_index(cfg, VR_USB_STR_PRODUCT))
		str = cfg->product;
	else if (index == str_index(cfg, VR_USB_STR_SERIAL))
		str = cfg->serial;
	else if (index == str_index(cfg, VR_USB_STR_INTERFACE))
		str = cfg->interface_name;
	if (str == NULL)
		return 0;
	s = (const unsigned char *)str;
	while (*s && n < sizeof(d)) {
		put_le16(d + n, utf8_next(&s));
		n += 2;
	}
	d[0] = (uint8_t)n;
	d[1] = 0x03;
	return copy_out(d, n, buf, cap);
}

/* ---- usbredir I/O callbacks ---- */

static void cb_log(void *priv, int level, const char *msg)
{
	(void)priv;
	if (level <= usbredirparser_warning)
		vr_logf(0, "usbredir: %s", msg);
	else if (level <= usbredirparser_debug)
		vr_logf(1, "usbredir: %s", msg);
}

static int cb_read(void *priv, uint8_t *data, int count)
{
	struct vr_usb *u = priv;
	ssize_t r;

	do
		r = recv(u->fd, data, (size_t)count, 0);
	while (r < 0 && errno == EINTR);
	if (r > 0)
		return (int)r;
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	u->closed = true;		/* EOF: the client went away */
	return -1;
}

static int cb_write(void *priv, uint8_t *data, int count)
{
	struct vr_usb *u = priv;
	ssize_t r;

	do
		r = send(u->fd, data, (size_t)count, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r >= 0)
		return (int)r;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return 0;
	u->closed = true;
	return -1;
}

/* ---- announcing the device ---- */

/* usbredir endpoint index: bit 4 = direction IN, bits 3..0 = number. */
static int ep_index(uint8_t ep)
{
	return ((ep & 0x80) >> 3) | (ep & 0x0F);
}

static void send_ep_info(struct vr_usb *u)
{
	struct usb_redir_ep_info_header ep;

	memset(&ep, 0, sizeof(ep));
	for (int i = 0; i < 32; i++)
		ep.type[i] = usb_redir_type_invalid;
	ep.type[0] = ep.type[16] = usb_redir_type_control;
	ep.max_packet_size[0] = ep.max_packet_size[16] = 64;
	ep.type[ep_index(VR_USB_EP_BULK_OUT)] = usb_redir_type_bulk;
	ep.max_packet_size[ep_index(VR_USB_EP_BULK_OUT)] = 64;
	ep.type[ep_index(VR_USB_EP_BULK_IN)] = usb_redir_type_bulk;
	ep.max_packet_size[ep_index(VR_USB_EP_BULK_IN)] = 64;
	if (u->cfg.interrupt_ep) {
		int i = ep_index(VR_USB_EP_INTR_IN);

		ep.type[i] = usb_redir_type_interrupt;
		ep.interval[i] = VR_USB_INTR_INTERVAL;
		ep.max_packet_size[i] = 64;
	}
	usbredirparser_send_ep_info(u->parser, &ep);
}

/* The usbredir protocol: device_connect only after the peer's hello;
 * interface and endpoint info describe the device before it appears. */
static void cb_hello(void *priv, struct usb_redir_hello_header *hello)
{
	struct vr_usb *u = priv;
	struct usb_redir_interface_info_header ii;
	struct usb_redir_device_connect_header dc = {
		.speed = usb_redir_speed_full,
		.device_class = 0,
		.vendor_id = u->cfg.idVendor,
		.product_id = u->cfg.idProduct,
		.device_version_bcd = u->cfg.bcdDevice,
	};

	vr_logf(1, "client hello: %.64s", hello->version);
	memset(&ii, 0, sizeof(ii));
	ii.interface_count = 1;
	ii.interface_class[0] = 0x0B;
	usbredirparser_send_interface_info(u->parser, &ii);
	send_ep_info(u);
	usbredirparser_send_device_connect(u->parser, &dc);
}

/* ---- bulk and interrupt data ---- */

static void send_bulk_in(struct vr_usb *u, uint64_t id, uint8_t status,
			 uint8_t *data, size_t len)
{
	struct usb_redir_bulk_packet_header h = {
		.endpoint = VR_USB_EP_BULK_IN,
		.status = status,
		.length = (uint16_t)(len & 0xFFFF),
		.length_high = (uint16_t)(len >> 16),
	};

	usbredirparser_send_bulk_packet(u->parser, id, &h, data, (int)len);
}

static void pop_in_req(struct vr_usb *u)
{
	struct vr_in_req *r = u->in_head;

	u->in_head = r->next;
	if (u->in_head == NULL)
		u->in_tail = NULL;
	free(r);
}

/* Faults at the start of a bulk-IN message. stall: this transfer ends
 * with a STALL and the message stays for the next one (after the host's
 * CLEAR_FEATURE(ENDPOINT_HALT)); true when the request is used up. split:
 * the message goes in 64-byte pieces, or in two halves when shorter. */
static bool start_faults(struct vr_usb *u, const struct vr_in_req *r,
			 size_t len)
{
	if (vr_ccid_fault_take(u->ccid, VR_FAULT_STALL)) {
		vr_logf(1, "fault: stall bulk-IN");
		send_bulk_in(u, r->id, usb_redir_stall, NULL, 0);
		pop_in_req(u);
		return true;
	}
	if (vr_ccid_fault_take(u->ccid, VR_FAULT_SPLIT))
		u->split_piece = len > VR_CCID_PACKET ? VR_CCID_PACKET :
				 (len > 1 ? len / 2 : 1);
	return false;
}

/* Answer queued bulk-IN requests while the model has messages; a request
 * shorter than the message gets what fits, the rest waits for the next.
 * Like a real full-speed device (USB 2.0 §5.8.3), a message that ends on a
 * 64-byte boundary while filling the request is followed by a zero-length
 * packet, which hosts reading packet by packet need to end the transfer. */
static void service_bulk_in(struct vr_usb *u)
{
	while (u->in_head && (u->zlp_pending || vr_ccid_bulk_in_pending(u->ccid))) {
		struct vr_in_req *r = u->in_head;
		size_t left = vr_ccid_bulk_in_pending(u->ccid);
		size_t want = left < r->len ? left : r->len;
		uint8_t *buf;

		if (u->zlp_pending) {
			u->zlp_pending = false;
			send_bulk_in(u, r->id, usb_redir_success, NULL, 0);
			pop_in_req(u);
			continue;
		}
		if (u->msg_sent == 0 && start_faults(u, r, left))
			continue;
		if (u->split_piece && want > u->split_piece)
			want = u->split_piece;
		buf = malloc(want ? want : 1);
		if (buf == NULL)
			return;
		want = vr_ccid_bulk_in(u->ccid, buf, want);
		send_bulk_in(u, r->id, usb_redir_success, buf, want);
		free(buf);
		u->msg_sent += want;
		if (want == left) {		/* the message is complete */
			u->split_piece = 0;
			u->zlp_pending = want == r->len && want > 0 &&
					 u->msg_sent % VR_CCID_PACKET == 0;
			u->msg_sent = 0;
		}
		pop_in_req(u);
	}
}

static void service_interrupt(struct vr_usb *u)
{
	uint8_t buf[1 + VR_CCID_MAX_SLOTS / 4];
	size_t n;

	while ((n = vr_ccid_interrupt(u->ccid, buf, sizeof(buf))) > 0) {
		struct usb_redir_interrupt_packet_header h = {
			.endpoint = VR_USB_EP_INTR_IN,
			.status = usb_redir_success,
			.length = (uint16_t)n,
		};

		/* nobody listens: the next start reports the state anyway */
		if (!u->intr_receiving || !u->cfg.interrupt_ep)
			continue;
		usbredirparser_send_interrupt_packet(u->parser, u->intr_id++, &h,
						     buf, (int)n);
	}
}

void vr_usb_service(struct vr_usb *usb)
{
	service_bulk_in(usb);
	service_interrupt(usb);
}

static void cb_bulk_packet(void *priv, uint64_t id,
			   struct usb_redir_bulk_packet_header *h,
			   uint8_t *data, int data_len)
{
	struct vr_usb *u = priv;
	size_t len = h->length | (size_t)h->length_high << 16;
	struct vr_in_req *r;

	if (h->endpoint == VR_USB_EP_BULK_OUT) {
		vr_ccid_bulk_out(u->ccid, data, data_len > 0 ? (size_t)data_len : 0);
		h->status = usb_redir_success;
		usbredirparser_send_bulk_packet(u->parser, id, h, NULL, 0);
		if (vr_ccid_take_disconnect(u->ccid)) {
			/* disconnect-after: hang up mid-exchange */
			vr_logf(1, "fault: disconnect");
			u->closed = true;
		} else {
			service_bulk_in(u);
		}
	} else if (h->endpoint == VR_USB_EP_BULK_IN &&
		   (r = calloc(1, sizeof(*r))) != NULL) {
		r->id = id;
		r->len = len;
		if (u->in_tail)
			u->in_tail->next = r;
		else
			u->in_head = r;
		u->in_tail = r;
		service_bulk_in(u);
	} else {
		h->status = h->endpoint == VR_USB_EP_BULK_IN ?
			    usb_redir_ioerror : usb_redir_inval;
		h->length = h->length_high = 0;
		usbredirparser_send_bulk_packet(u->parser, id, h, NULL, 0);
	}
	if (data)
		usbredirparser_free_packet_data(u->parser, data);
}

/* The host cancelled a transfer: answer a waiting bulk-IN with status
 * cancelled; anything already answered is ignored. */
static void cb_cancel(void *priv, uint64_t id)
{
	struct vr_usb *u = priv;
	struct vr_in_req **pp = &u->in_head, *prev = NULL, *r;

	while (*pp && (*pp)->id != id) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (*pp == NULL)
		return;
	r = *pp;
	*pp = r->next;
	if (u->in_tail == r)
		u->in_tail = prev;
	send_bulk_in(u, id, usb_redir_cancelled, NULL, 0);
	free(r);
}

static void cb_start_interrupt(void *priv, uint64_t id,
			       struct usb_redir_start_interrupt_receiving_header *h)
{
	struct vr_usb *u = priv;
	struct usb_redir_interrupt_receiving_status_header st = {
		.status = usb_redir_success, .endpoint = h->endpoint,
	};
	uint8_t buf[1 + VR_CCID_MAX_SLOTS / 4];
	size_t n;

	if (h->endpoint != VR_USB_EP_INTR_IN || !u->cfg.interrupt_ep) {
		st.status = usb_redir_inval;
		usbredirparser_send_interrupt_receiving_status(u->parser, id, &st);
		return;
	}
	usbredirparser_send_interrupt_receiving_status(u->parser, id, &st);
	u->intr_receiving = true;
	/* CCID 1.1 §6.3.1: tell the new listener which slots hold a card */
	n = vr_ccid_interrupt_initial(u->ccid, buf, sizeof(buf));
	if (n) {
		struct usb_redir_interrupt_packet_header ih = {
			.endpoint = VR_USB_EP_INTR_IN,
			.status = usb_redir_success,
			.length = (uint16_t)n,
		};

		usbredirparser_send_interrupt_packet(u->parser, u->intr_id++,
						     &ih, buf, (int)n);
	}
}

static void cb_stop_interrupt(void *priv, uint64_t id,
			      struct usb_redir_stop_interrupt_receiving_header *h)
{
	struct vr_usb *u = priv;
	struct usb_redir_interrupt_receiving_status_header st = {
		.status = usb_redir_success, .endpoint = h->endpoint,
	};

	if (h->endpoint == VR_USB_EP_INTR_IN)
		u->intr_receiving = false;
	usbredirparser_send_interrupt_receiving_status(u->parser, id, &st);
}

/* Interrupt-OUT does not exist here. */
static void cb_interrupt_packet(void *priv, uint64_t id,
				struct usb_redir_interrupt_packet_header *h,
				uint8_t *data, int data_len)
{
	struct vr_usb *u = priv;

	(void)data_len;
	h->status = usb_redir_inval;
	h->length = 0;
	usbredirparser_send_interrupt_packet(u->parser, id, h, NULL, 0);
	if (data)
		usbredirparser_free_packet_data(u->parser, data);
}

/* ---- control transfers (USB 2.0 §9.4, CCID 1.1 §5.3) ---- */

/* GET_DESCRIPTOR: wValue = type << 8 | index. */
static int get_descriptor(struct vr_usb *u, uint16_t wValue, uint8_t *buf,
			  size_t cap, size_t *len)
{
	switch (wValue >> 8) {
	case 0x01:
		*len = vr_usb_device_descriptor(&u->cfg, buf, cap);
		return 0;
	case 0x02:
		if ((wValue & 0xFF) != 0)
			return -EINVAL;
		*len = vr_usb_config_descriptor(&u->cfg, u->ccid, buf, cap);
		return 0;
	case 0x03:
		*len = vr_usb_string_descriptor(&u->cfg, wValue & 0xFF, buf, cap);
		return *len ? 0 : -EINVAL;
	default:		/* qualifier, BOS, ...: stall */
		return -EINVAL;
	}
}

/* Standard requests; -EINVAL means "stall". *len may exceed cap. */
static int std_request(struct vr_usb *u, const struct usb_redir_control_packet_header *h,
		       uint8_t *buf, size_t cap, size_t *len)
{
	switch (h->requesttype << 8 | h->request) {
	case 0x8006: case 0x8106:	/* GET_DESCRIPTOR (device, interface) */
		return get_descriptor(u, h->value, buf, cap, len);
	case 0x8000: case 0x8100: case 0x8200:	/* GET_STATUS */
		memset(buf, 0, cap < 2 ? cap : 2);
		*len = 2;
		return 0;
	case 0x0001: case 0x0101: case 0x0201:	/* CLEAR_FEATURE */
	case 0x0003: case 0x0103: case 0x0203:	/* SET_FEATURE */
	case 0x0005:				/* SET_ADDRESS */
		return 0;
	case 0x8008:				/* GET_CONFIGURATION */
		if (cap)
			buf[0] = u->configuration;
		*len = 1;
		return 0;
	case 0x0009:				/* SET_CONFIGURATION */
		if (h->value > 1)
			return -EINVAL;
		u->configuration = (uint8_t)h->value;
		return 0;
	case 0x810A:				/* GET_INTERFACE */
		if (h->index != 0)
			return -EINVAL;
		if (cap)
			buf[0] = 0;
		*len = 1;
		return 0;
	case 0x010B:				/* SET_INTERFACE */
		return h->index == 0 && h->value == 0 ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

static void cb_control_packet(void *priv, uint64_t id,
			      struct usb_redir_control_packet_header *h,
			      uint8_t *data, int data_len)
{
	struct vr_usb *u = priv;
	bool in = h->requesttype & 0x80;
	size_t cap = in ? h->length : 0, len = 0;
	uint8_t *buf = calloc(1, cap ? cap : 1);
	int r = -EINVAL;

	if (buf == NULL)
		r = -ENOMEM;
	else if ((h->requesttype & 0x60) == 0x00)
		r = std_request(u, h, buf, cap, &len);
	else if ((h->requesttype & 0x7F) == 0x21 && (h->index & 0xFF) == 0)
		r = vr_ccid_control(u->ccid, h->request, h->value, buf, cap, &len);
	if (len > cap)
		len = cap;
	if (r < 0) {
		vr_logf(1, "control %02X %02X %04X %04X: stall", h->requesttype,
			h->request, h->value, h->index);
		h->status = usb_redir_stall;
		len = 0;
	} else {
		h->status = usb_redir_success;
		if (!in)
			len = data_len > 0 ? (size_t)data_len : 0;
	}
	h->length = (uint16_t)len;
	usbredirparser_send_control_packet(u->parser, id, h, in ? buf : NULL,
					   in ? (int)len : 0);
	free(buf);
	if (data)
		usbredirparser_free_packet_data(u->parser, data);
}

static void cb_set_configuration(void *priv, uint64_t id,
				 struct usb_redir_set_configuration_header *h)
{
	struct vr_usb *u = priv;
	struct usb_redir_configuration_status_header st = {
		.status = usb_redir_success, .configuration = u->configuration,
	};

	if (h->configuration <= 1)
		st.configuration = u->configuration = h->configuration;
	else
		st.status = usb_redir_stall;
	usbredirparser_send_configuration_status(u->parser, id, &st);
}

static void cb_get_configuration(void *priv, uint64_t id)
{
	struct vr_usb *u = priv;
	struct usb_redir_configuration_status_header st = {
		.status = usb_redir_success, .configuration = u->configuration,
	};

	usbredirparser_send_configuration_status(u->parser, id, &st);
}

static void cb_set_alt(void *priv, uint64_t id,
		       struct usb_redir_set_alt_setting_header *h)
{
	struct vr_usb *u = priv;
	struct usb_redir_alt_setting_status_header st = {
		.status = h->interface == 0 && h->alt == 0 ?
			  usb_redir_success : usb_redir_stall,
		.interface = h->interface, .alt = 0,
	};

	usbredirparser_send_alt_setting_status(u->parser, id, &st);
}

static void cb_get_alt(void *priv, uint64_t id,
		       struct usb_redir_get_alt_setting_header *h)
{
	struct vr_usb *u = priv;
	struct usb_redir_alt_setting_status_header st = {
		.status = h->interface == 0 ? usb_redir_success : usb_redir_inval,
		.interface = h->interface, .alt = 0,
	};

	usbredirparser_send_alt_setting_status(u->parser, id, &st);
}

/* A bus reset: the reader restarts, cards lose power (CCID model reset),
 * the configuration is kept as usbredir hosts restore it anyway. */
static void cb_reset(void *priv)
{
	struct vr_usb *u = priv;

	vr_logf(1, "usb reset");
	vr_ccid_reset(u->ccid);
	u->msg_sent = 0;
	u->zlp_pending = false;
	u->split_piece = 0;
}

static void cb_filter_reject(void *priv)
{
	(void)priv;
}

static void cb_filter_filter(void *priv, struct usbredirfilter_rule *rules,
			     int rules_count)
{
	(void)priv;
	(void)rules_count;
	free(rules);	/* ownership passes to us (usbredirparser.h) */
}

/* ---- requests a CCID device cannot honour ----
 * usbredirparser calls every callback without a NULL check: a usb-guest
 * asking for isochronous streams, bulk streams or buffered bulk receiving
 * (none of which a CCID reader has) gets a usb_redir_inval status; iso
 * data is dropped. */

static void cb_start_iso(void *priv, uint64_t id,
			 struct usb_redir_start_iso_stream_header *h)
{
	struct vr_usb *u = priv;
	struct usb_redir_iso_stream_status_header st = {
		.status = usb_redir_inval, .endpoint = h->endpoint,
	};

	vr_logf(1, "usb-guest asked for an iso stream on 0x%02x: refused",
		h->endpoint);
	usbredirparser_send_iso_stream_status(u->parser, id, &st);
}

static void cb_stop_iso(void *priv, uint64_t id,
			struct usb_redir_stop_iso_stream_header *h)
{
	struct vr_usb *u = priv;
	struct usb_redir_iso_stream_status_header st = {
		.status = usb_redir_inval, .endpoint = h->endpoint,
	};

	usbredirparser_send_iso_stream_status(u->parser, id, &st);
}

/* iso OUT data has no answer in usbredir: dropped */
static void cb_iso_packet(void *priv, uint64_t id,
			  struct usb_redir_iso_packet_header *h,
			  uint8_t *data, int data_len)
{
	struct vr_usb *u = priv;

	(void)id;
	vr_logf(1, "usb-guest sent %d iso bytes to 0x%02x: dropped", data_len,
		h->endpoint);
	usbredirparser_free_packet_data(u->parser, data);
}

static void streams_refused(struct vr_usb *u, uint64_t id, uint32_t eps)
{
	struct usb_redir_bulk_streams_status_header st = {
		.endpoints = eps, .no_streams = 0, .status = usb_redir_inval,
	};

	vr_logf(1, "usb-guest asked for bulk streams: refused");
	usbredirparser_send_bulk_streams_status(u->parser, id, &st);
}

static void cb_alloc_streams(void *priv, uint64_t id,
			     struct usb_redir_alloc_bulk_streams_header *h)
{
	streams_refused(priv, id, h->endpoints);
}

static void cb_free_streams(void *priv, uint64_t id,
			    struct usb_redir_free_bulk_streams_header *h)
{
	streams_refused(priv, id, h->endpoints);
}

static void bulk_receiving_refused(struct vr_usb *u, uint64_t id,
				   uint32_t stream_id, uint8_t ep)
{
	struct usb_redir_bulk_receiving_status_header st = {
		.stream_id = stream_id, .endpoint = ep,
		.status = usb_redir_inval,
	};

	usbredirparser_send_bulk_receiving_status(u->parser, id, &st);
}

static void cb_start_bulk_receiving(void *priv, uint64_t id,
				    struct usb_redir_start_bulk_receiving_header *h)
{
	vr_logf(1, "usb-guest asked for buffered bulk receiving: refused");
	bulk_receiving_refused(priv, id, h->stream_id, h->endpoint);
}

static void cb_stop_bulk_receiving(void *priv, uint64_t id,
				   struct usb_redir_stop_bulk_receiving_header *h)
{
	bulk_receiving_refused(priv, id, h->stream_id, h->endpoint);
}

/* ---- lifecycle ---- */

static void set_callbacks(struct usbredirparser *p)
{
	p->log_func = cb_log;
	p->read_func = cb_read;
	p->write_func = cb_write;
	p->hello_func = cb_hello;
	p->reset_func = cb_reset;
	p->set_configuration_func = cb_set_configuration;
	p->get_configuration_func = cb_get_configuration;
	p->set_alt_setting_func = cb_set_alt;
	p->get_alt_setting_func = cb_get_alt;
	p->start_interrupt_receiving_func = cb_start_interrupt;
	p->stop_interrupt_receiving_func = cb_stop_interrupt;
	p->cancel_data_packet_func = cb_cancel;
	p->control_packet_func = cb_control_packet;
	p->bulk_packet_func = cb_bulk_packet;
	p->interrupt_packet_func = cb_interrupt_packet;
	p->filter_reject_func = cb_filter_reject;
	p->filter_filter_func = cb_filter_filter;
	p->start_iso_stream_func = cb_start_iso;
	p->stop_iso_stream_func = cb_stop_iso;
	p->iso_packet_func = cb_iso_packet;
	p->alloc_bulk_streams_func = cb_alloc_streams;
	p->free_bulk_streams_func = cb_free_streams;
	p->start_bulk_receiving_func = cb_start_bulk_receiving;
	p->stop_bulk_receiving_func = cb_stop_bulk_receiving;
}

struct vr_usb *vr_usb_new(const struct vr_usb_config *cfg,
			  struct vr_ccid *ccid, int fd)
{
	uint32_t caps[USB_REDIR_CAPS_SIZE] = { 0 };
	struct vr_usb *u = calloc(1, sizeof(*u));

	if (u == NULL)
		return NULL;
	u->cfg = *cfg;
	u->ccid = ccid;
	u->fd = fd;
	u->parser = usbredirparser_create();
	if (u->parser == NULL) {
		free(u);
		return NULL;
	}
	u->parser->priv = u;
	set_callbacks(u->parser);
	usbredirparser_caps_set_cap(caps, usb_redir_cap_connect_device_version);
	usbredirparser_caps_set_cap(caps, usb_redir_cap_ep_info_max_packet_size);
	usbredirparser_caps_set_cap(caps, usb_redir_cap_64bits_ids);
	/* extended APDU messages exceed 65535 bytes */
	usbredirparser_caps_set_cap(caps, usb_redir_cap_32bits_bulk_length);
	usbredirparser_init(u->parser, "ccidkit vreader " PACKAGE_VERSION, caps,
			    USB_REDIR_CAPS_SIZE, usbredirparser_fl_usb_host);
	return u;
}

void vr_usb_free(struct vr_usb **usb)
{
	struct vr_usb *u;

	if (usb == NULL || *usb == NULL)
		return;
	u = *usb;
	while (u->in_head) {
		struct vr_in_req *r = u->in_head;

		u->in_head = r->next;
		free(r);
	}
	usbredirparser_destroy(u->parser);
	if (u->fd >= 0)
		close(u->fd);
	free(u);
	*usb = NULL;
}

int vr_usb_on_readable(struct vr_usb *usb)
{
	int r = usbredirparser_do_read(usb->parser);

	if (r == usbredirparser_read_parse_error)
		vr_logf(0, "usbredir: malformed packet from the client");
	if (usb->closed || r == usbredirparser_read_io_error)
		return -1;
	return 0;
}

int vr_usb_flush(struct vr_usb *usb)
{
	if (!usbredirparser_has_data_to_write(usb->parser))
		return 0;
	if (usbredirparser_do_write(usb->parser) < 0 || usb->closed)
		return -1;
	return 0;
}

bool vr_usb_want_write(struct vr_usb *usb)
{
	return usbredirparser_has_data_to_write(usb->parser) > 0;
}

int vr_usb_fd(const struct vr_usb *usb)
{
	return usb->fd;
}
