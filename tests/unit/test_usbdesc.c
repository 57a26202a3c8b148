/* ccidkit — tests for ccid/usbdesc.c: device, configuration and string
 * descriptors as real readers return them, and every way they break. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ccid/err.h"
#include "ccid/usbdesc.h"

/* ---- building configuration descriptors ---- */

struct cfg {
	uint8_t b[1024];
	size_t len;
};

static void put(struct cfg *c, const uint8_t *d, size_t n)
{
	assert_true(c->len + n <= sizeof(c->b));
	memcpy(c->b + c->len, d, n);
	c->len += n;
}

/* USB 2.0 §9.6.3; wTotalLength patched by cfg_done() */
static void cfg_begin(struct cfg *c, uint8_t nif, uint8_t value)
{
	const uint8_t d[9] = { 9, 0x02, 0, 0, nif, value, 0, 0x80, 50 };

	c->len = 0;
	put(c, d, sizeof(d));
}

static void cfg_done(struct cfg *c)
{
	c->b[2] = (uint8_t)(c->len & 0xFF);
	c->b[3] = (uint8_t)(c->len >> 8);
}

static void add_if(struct cfg *c, uint8_t num, uint8_t alt, uint8_t neps,
		   uint8_t cls, uint8_t proto, uint8_t istr)
{
	const uint8_t d[9] = { 9, 0x04, num, alt, neps, cls, 0, proto, istr };

	put(c, d, sizeof(d));
}

static void add_ep(struct cfg *c, uint8_t addr, uint8_t attr, uint16_t mps)
{
	const uint8_t d[7] = { 7, 0x05, addr, attr, (uint8_t)(mps & 0xFF),
			       (uint8_t)(mps >> 8), attr == 3 ? 24 : 0 };

	put(c, d, sizeof(d));
}

/* A CCID 1.1 §5.1 class descriptor; `tag` lands in bMaxCCIDBusySlots
 * (the last byte) so a test can tell which one was returned. */
static size_t add_ccid(struct cfg *c, uint8_t type, uint8_t tag)
{
	uint8_t d[54] = {
		54, type, 0x10, 0x01, 0x00, 0x07, 0x03, 0x00, 0x00, 0x00,
		0xC0, 0x12, 0x00, 0x00, 0xC0, 0x12, 0x00, 0x00, 0x00, 0x67,
		0x32, 0x00, 0x00, 0xCE, 0x99, 0x0C, 0x00, 0x35, 0xFE, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0xBA, 0x04, 0x04, 0x00, 0x0F, 0x01, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x01
	};
	size_t at = c->len;

	d[53] = tag;
	put(c, d, sizeof(d));
	return at;
}

static void add_raw(struct cfg *c, uint8_t len, uint8_t type)
{
	uint8_t d[255];

	memset(d, 0xA5, sizeof(d));
	d[0] = len;
	d[1] = type;
	put(c, d, len);
}

/* A plain single-slot reader: one interface, bulk OUT 0x01, bulk IN 0x82,
 * interrupt IN 0x83, class descriptor before the endpoints.  Offsets:
 * config 0, interface 9, class 18, endpoints 72, 79, 86; total 93. */
static size_t plain_reader(struct cfg *c)
{
	size_t at;

	cfg_begin(c, 1, 1);
	add_if(c, 0, 0, 3, 0x0B, 0, 4);
	at = add_ccid(c, 0x21, 0x11);
	add_ep(c, 0x01, 0x02, 64);
	add_ep(c, 0x82, 0x02, 64);
	add_ep(c, 0x83, 0x03, 8);
	cfg_done(c);
	return at;
}

/* ---- device descriptor ---- */

static const uint8_t dev_desc[18] = {
	18, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0x50, 0x10,
	0x07, 0x04, 0x26, 0x05, 0x01, 0x02, 0x03, 0x01
};

static void test_device_ok(void **state)
{
	struct ccid_usb_device_desc d;
	uint8_t longer[20];

	(void)state;
	assert_int_equal(ccid_usbdesc_device(dev_desc, sizeof(dev_desc), &d),
			 CCID_OK);
	assert_int_equal(d.bcdUSB, 0x0200);
	assert_int_equal(d.bDeviceClass, 0);
	assert_int_equal(d.bMaxPacketSize0, 64);
	assert_int_equal(d.idVendor, 0x1050);
	assert_int_equal(d.idProduct, 0x0407);
	assert_int_equal(d.bcdDevice, 0x0526);
	assert_int_equal(d.iManufacturer, 1);
	assert_int_equal(d.iProduct, 2);
	assert_int_equal(d.iSerialNumber, 3);
	assert_int_equal(d.bNumConfigurations, 1);
	/* trailing bytes beyond the descriptor are ignored */
	memcpy(longer, dev_desc, 18);
	longer[18] = longer[19] = 0xEE;
	assert_int_equal(ccid_usbdesc_device(longer, sizeof(longer), &d),
			 CCID_OK);
	assert_int_equal(d.idProduct, 0x0407);
}

static void test_device_bad(void **state)
{
	struct ccid_usb_device_desc d;
	uint8_t b[18];

	(void)state;
	for (size_t n = 0; n < 18; n++)
		assert_int_equal(ccid_usbdesc_device(dev_desc, n, &d),
				 CCID_E_PROTO);
	memcpy(b, dev_desc, 18);
	b[0] = 17;
	assert_int_equal(ccid_usbdesc_device(b, 18, &d), CCID_E_PROTO);
	b[0] = 19;
	assert_int_equal(ccid_usbdesc_device(b, 18, &d), CCID_E_PROTO);
	b[0] = 18;
	b[1] = 0x02;
	assert_int_equal(ccid_usbdesc_device(b, 18, &d), CCID_E_PROTO);
	assert_int_equal(ccid_usbdesc_device(NULL, 18, &d), CCID_E_INVAL);
	assert_int_equal(ccid_usbdesc_device(dev_desc, 18, NULL), CCID_E_INVAL);
}

/* ---- configuration descriptor ---- */

static void test_plain_reader(void **state)
{
	struct cfg c;
	struct ccid_usb_ccid_if f;
	size_t at;

	(void)state;
	at = plain_reader(&c);
	assert_int_equal(c.len, 93);
	assert_int_equal(c.b[2], 93);
	memset(&f, 0xCC, sizeof(f));
	assert_int_equal(ccid_usbdesc_find_ccid(c.b, c.len, 0, &f), CCID_OK);
	assert_int_equal(f.bConfigurationValue, 1);
	assert_int_equal(f.bInterfaceNumber, 0);
	assert_int_equal(f.bAlternateSetting, 0);
	assert_int_equal(f.bInterfaceClass, 0x0B);
	assert_int_equal(f.bInterfaceProtocol, 0);
	assert_int_equal(f.iInterface, 4);
	assert_int_equal(f.ep_bulk_out, 0x01);
	assert_int_equal(f.ep_bulk_in, 0x82);
	assert_int_equal(f.ep_intr_in, 0x83);
	assert_int_equal(f.bulk_out_max_packet, 64);
	assert_int_equal(f.bulk_in_max_packet, 64);
	assert_int_equal(f.intr_max_packet, 8);
	assert_ptr_equal(f.class_desc, c.b + at);
	assert_int_equal(at, 18);
	assert_int_equal(f.class_desc_len, 54);
	assert_int_equal(f.class_desc[0], 54);
	assert_int_equal(f.class_desc[1], 0x21);
	assert_int_equal(f.class_desc[53], 0x11);
	assert_int_equal(ccid_usbdesc_find_ccid(c.b, c.len, 1, &f),
			 CCID_E_NOT_FOUND);
	assert_int_equal(ccid_usbdesc_find_ccid(c.b, c.len, 1000, &f),
			 CCID_E_NOT_FOUND);
}

/* A YubiKey-like composite: HID keyboard (interface 0, with a 9-byte HID
 * descriptor of the same type 0x21), HID FIDO (interface 1), CCID
 * (interface 2, bulk only, wMaxPacketSize with high-bandwidth bits). */
static void test_composite(void **state)
{
	static const uint8_t hid[9] = { 9, 0x21, 0x11, 0x01, 0, 1, 0x22, 71, 0 };
	struct cfg c;
	struct ccid_usb_ccid_if f;
	size_t at;

	(void)state;
	cfg_begin(&c, 3, 1);
	add_if(&c, 0, 0, 1, 0x03, 1, 0);
	put(&c, hid, sizeof(hid));
	add_ep(&c, 0x81, 0x03, 8);
	add_if(&c, 1, 0, 2, 0x03, 0, 0);
	put(&c, hid, sizeof(hid));
	add_ep(&c, 0x04, 0x03, 64);
	add_ep(&c, 0x84, 0x03, 64);
	add_if(&c, 2, 0, 2, 0x0B, 0, 0);
	at = add_ccid(&c, 0x21, 0x22);
	add_ep(&c, 0x02, 0x02, 0x0840);
	add_ep(&c, 0x82, 0x02, 64);
	cfg_done(&c);

	assert_int_equal(ccid_usbdesc_find_ccid(c.b, c.len, 0, &f), CCID_OK);
	assert_int_equal(f.bInterfaceNumber, 2);
	assert_int_equal(f.bInterfaceClass, 0x0B);
	assert_int_equal(f.iInterface, 0);
	assert_int_equal(f.ep_bulk_out, 0x02);
	assert_int_equal(f.bulk_out_max_packet, 64);
	assert_int_equal(f.ep_bulk_in, 0x82);
	assert_int_equal(f.ep_intr_in, 0);
	assert_int_equal(f.intr_max_packet, 0);
	assert_ptr_equal(f.class_desc, c.b + at);
	assert_int_equal(f.class_desc[53], 0x22);
	assert_int_equal(ccid_usbdesc_find_ccid(c.b, c.len, 1, &f),
			 CCID_E_NOT_FOUND);
}

/* Two CCID functions (a dual-interface reader), an alternate setting of the
 * first one in between (skipped), an IAD and an unknown descriptor. */
static void test_two_ccid(void **state)
{
	struct cfg c;
	struct ccid_usb_ccid_if f;
	size_t at0, at1;

	(void)state;
	cfg_begin(&c, 2, 3);
	add_if(&c, 0, 0, 3, 0x0B, 0, 5);
	at0 = add_ccid(&c, 0x21, 0xA0);
	add_ep(&c, 0x01, 0x02, 64);
	add_ep(&c, 0x81, 0x02, 64);
	add_ep(&c, 0x82, 0x03, 16);
	add_if(&c, 0, 1, 2, 0x0B, 0, 0);
	add_ccid(&c, 0x21, 0xAA);
	add_ep(&c, 0x01, 0x02, 512);
	add_ep(&c, 0x81, 0x02, 512);
	add_raw(&c, 8, 0x0B); /* interface association */
	add_if(&c, 1, 0, 3, 0x0B, 0, 6);
	add_raw(&c, 5, 0x24); /* some class-specific extra */
	at1 = add_ccid(&c, 0x21, 0xA1);
	add_ep(&c, 0x03, 0x02, 32);
	add_ep(&c, 0x84, 0x02, 32);
	add_ep(&c, 0x85, 0x03, 8);
	cfg_done(&c);

	assert_int_equal(ccid_usbdesc_find_ccid(c.b, c.len, 0, &f), CCID_OK);
	assert_int_equal(f.bConfigurationValue, 3);
	assert_int_equal(f.bInterfaceNumber, 0);
	assert_int_equal(f.iInterface, 5);
	assert_int_equal(f.ep_bulk_out, 0x01);
	assert_int_equal(f.ep_bulk_in, 0x81);
	assert_int_equal(f.ep_intr_in, 0x82);
	assert_int_equal(f.intr_max_packet, 16);
	assert_int_equal(f.bulk_in_max_packet, 64);
	assert_ptr_equal(f.class_desc, c.b + at0);

	assert_int_equal(ccid_usbdesc_find_ccid(c.b, c.len, 1, &f), CCID_OK);
	assert_int_equal(f.bInterfaceNumber, 1);
	assert_int_equal(f.bAlternateSetting, 0);
	assert_int_equal(f.iInterface, 6);
	assert_int_equal(f.ep_bulk_out, 0x03);
	assert_int_equal(f.ep_bulk_in, 0x84);
	assert_int_equal(f.ep_intr_in, 0x85);
	assert_int_equal(f.bulk_out_max_packet, 32);
	assert_int_equal(f.intr_max_packet, 8);
	assert_ptr_equal(f.class_desc, c.b + at1);
	assert_int_equal(f.class_desc[53], 0xA1);

	assert_int_equal(ccid_usbdesc_find_ccid(c.b, c.len, 2, &f),
			 CCID_E_NOT_FOUND);
}

/* Vendor class 0xFF: a CCID only with a 54-byte class descriptor (of type
 * 0x21 or 0xFF); other vendor interfaces do not count towards index. */
static void test_vendor_class(void **state)
{
	struct cfg c;
	struct ccid_usb_ccid_if f;
	size_t at;

	(void)state;
	cfg_begin(&c, 3, 1);
	add_if(&c, 0, 0, 2, 0xFF, 0xFF, 0); /* vendor, no class desc */
	add_raw(&c, 53, 0x21);              /* one byte short */
	add_ep(&c, 0x01, 0x02, 64);
	add_ep(&c, 0x81, 0x02, 64);
	add_if(&c, 1, 0, 2, 0xFF, 0, 0);
	at = add_ccid(&c, 0xFF, 0x33);
	add_ep(&c, 0x02, 0x02, 64);
	add_ep(&c, 0x82, 0x02, 64);
	add_if(&c, 2, 0, 0, 0x08, 0x50, 0); /* mass storage */
	cfg_done(&c);

	assert_int_equal(ccid_usbdesc_find_ccid(c.b, c.len, 0, &f), CCID_OK);
	assert_int_equal(f.bInterfaceNumber, 1);
	assert_int_equal(f.bInterfaceClass, 0xFF);
	assert_int_equal(f.ep_bulk_out, 0x02);
	assert_int_equal(f.ep_bulk_in, 0x82);
	assert_int_equal(f.ep_intr_in, 0);
	assert_ptr_equal(f.class_desc, c.b + at);
	assert_int_equal(f.class_desc[1], 0xFF);
	assert_int_equal(f.class_desc_len, 54);
	assert_int_equal(ccid_usbdesc_find_ccid(c.b, c.len, 1, &f),
			 CCID_E_NOT_FOUND);
}

/* Class descriptor after the last endpoint (O2Micro). */
static void test_desc_after_endpoints(void **state)
{
	struct cfg c;
	struct ccid_usb_ccid_if f;
	size_t at;

	(void)state;
	cfg_begin(&c, 1, 1);
	add_if(&c, 0, 0, 3, 0x0B, 0, 0);
	add_ep(&c, 0x81, 0x03, 8);
	add_ep(&c, 0x02, 0x02, 64);
	add_ep(&c, 0x83, 0x02, 64);
	at = add_ccid(&c, 0x21, 0x44);
	cfg_done(&c);

	assert_int_equal(at, 9 + 9 + 21);
	assert_int_equal(ccid_usbdesc_find_ccid(c.b, c.len, 0, &f), CCID_OK);
	assert_ptr_equal(f.class_desc, c.b + at);
	assert_int_equal(f.class_desc[53], 0x44);
	assert_int_equal(f.ep_intr_in, 0x81);
	assert_int_equal(f.ep_bulk_out, 0x02);
	assert_int_equal(f.ep_bulk_in, 0x83);

	/* the same for a vendor-class interface with a 0xFF descriptor */
	c.b[9 + 5] = 0xFF;
	c.b[at + 1] = 0xFF;
	assert_int_equal(ccid_usbdesc_find_ccid(c.b, c.len, 0, &f), CCID_OK);
	assert_int_equal(f.bInterfaceClass, 0xFF);
	assert_ptr_equal(f.class_desc, c.b + at);
}

/* A class-0x0B interface without a usable class descriptor counts as a
 * CCID interface but is malformed; one between two endpoints is neither
 * in the standard place nor after the last endpoint. */
static void test_ccid_without_class_desc(void **state)
{
	struct cfg c;
	struct ccid_usb_ccid_if f;

	(void)state;
	cfg_begin(&c, 2, 1);
	add_if(&c, 0, 0, 2, 0x0B, 0, 0);
	add_ep(&c, 0x01, 0x02, 64);
	add_ccid(&c, 0x21, 0);
	add_ep(&c, 0x82, 0x02, 64);
	add_if(&c, 1, 0, 2, 0x0B, 0, 0);
	add_raw(&c, 36, 0x21); /* CCID 1.0 draft length: not accepted */
	add_ep(&c, 0x03, 0x02, 64);
	add_ep(&c, 0x84, 0x02, 64);
	cfg_done(&c);

	assert_int_equal(ccid_usbdesc_find_ccid(c.b, c.len, 0, &f),
			 CCID_E_PROTO);
	assert_int_equal(ccid_usbdesc_find_ccid(c.b, c.len, 1, &f),
			 CCID_E_PROTO);
	assert_int_equal(ccid_usbdesc_find_ccid(c.b, c.len, 2, &f),
			 CCID_E_NOT_FOUND);
}

static void test_no_ccid(void **state)
{
	struct cfg c;
	struct ccid_usb_ccid_if f;

	(void)state;
	cfg_begin(&c, 0, 1);
	cfg_done(&c);
	assert_int_equal(ccid_usbdesc_find_ccid(c.b, c.len, 0, &f),
			 CCID_E_NOT_FOUND);
	cfg_begin(&c, 1, 1);
	add_if(&c, 0, 0, 1, 0x03, 0, 0);
	add_ccid(&c, 0x21, 0); /* a 54-byte 0x21 under HID means nothing */
	add_ep(&c, 0x81, 0x03, 8);
	cfg_done(&c);
	assert_int_equal(ccid_usbdesc_find_ccid(c.b, c.len, 0, &f),
			 CCID_E_NOT_FOUND);
}

/* Cut the buffer anywhere, keeping wTotalLength: always CCID_E_PROTO. */
static void test_truncated_buffer(void **state)
{
	struct cfg c;
	struct ccid_usb_ccid_if f;

	(void)state;
	plain_reader(&c);
	for (size_t n = 0; n < c.len; n++)
		assert_int_equal(ccid_usbdesc_find_ccid(c.b, n, 0, &f),
				 CCID_E_PROTO);
	assert_int_equal(ccid_usbdesc_find_ccid(c.b, c.len, 0, &f), CCID_OK);
}

/* Shrink wTotalLength too: a descriptor cut in the middle is malformed; a
 * cut on a descriptor boundary is a (smaller) valid configuration. */
static void test_truncated_total(void **state)
{
	struct cfg c;
	struct ccid_usb_ccid_if f;

	(void)state;
	for (size_t t = 0; t < 93; t++) {
		int rc, want;

		plain_reader(&c);
		c.b[2] = (uint8_t)t;
		rc = ccid_usbdesc_find_ccid(c.b, t, 0, &f);
		switch (t) {
		case 9:
			want = CCID_E_NOT_FOUND;
			break;
		case 18: /* interface without class descriptor */
			want = CCID_E_PROTO;
			break;
		case 72: case 79: case 86:
			want = CCID_OK;
			break;
		default:
			want = CCID_E_PROTO;
		}
		assert_int_equal(rc, want);
		if (rc != CCID_OK)
			continue;
		assert_int_equal(f.ep_bulk_out, t >= 79 ? 0x01 : 0);
		assert_int_equal(f.ep_bulk_in, t >= 86 ? 0x82 : 0);
		assert_int_equal(f.ep_intr_in, 0);
		assert_ptr_equal(f.class_desc, c.b + 18);
	}
}

static void test_bad_lengths(void **state)
{
	struct cfg c;
	struct ccid_usb_ccid_if f;

	(void)state;
	/* bLength 0 and 1 in the middle: must not loop */
	for (uint8_t bl = 0; bl < 2; bl++) {
		plain_reader(&c);
		c.b[72] = bl;
		assert_int_equal(ccid_usbdesc_find_ccid(c.b, c.len, 0, &f),
				 CCID_E_PROTO);
		plain_reader(&c);
		c.b[0] = bl;
		assert_int_equal(ccid_usbdesc_find_ccid(c.b, c.len, 0, &f),
				 CCID_E_PROTO);
	}
	/* a descriptor running past wTotalLength */
	plain_reader(&c);
	c.b[86] = 8;
	assert_int_equal(ccid_usbdesc_find_ccid(c.b, c.len, 0, &f),
			 CCID_E_PROTO);
	/* interface / endpoint / config shorter than their fixed part */
	for (uint8_t bl = 6; bl <= 7; bl++) {
		cfg_begin(&c, 1, 1);
		add_if(&c, 0, 0, 1, 0x0B, 0, 0);
		add_ccid(&c, 0x21, 0);
		add_raw(&c, bl, 0x05);
		cfg_done(&c);
		assert_int_equal(ccid_usbdesc_find_ccid(c.b, c.len, 0, &f),
				 bl == 6 ? CCID_E_PROTO : CCID_OK);
	}
	cfg_begin(&c, 1, 1);
	add_raw(&c, 8, 0x04);
	add_raw(&c, 2, 0x00);
	cfg_done(&c);
	assert_int_equal(ccid_usbdesc_find_ccid(c.b, c.len, 0, &f),
			 CCID_E_PROTO);
	plain_reader(&c);
	c.b[0] = 8;
	assert_int_equal(ccid_usbdesc_find_ccid(c.b, c.len, 0, &f),
			 CCID_E_PROTO);
	/* not a configuration descriptor */
	plain_reader(&c);
	c.b[1] = 0x01;
	assert_int_equal(ccid_usbdesc_find_ccid(c.b, c.len, 0, &f),
			 CCID_E_PROTO);
}

static void test_total_length(void **state)
{
	struct cfg c;
	struct ccid_usb_ccid_if f;

	(void)state;
	/* wTotalLength larger than the buffer */
	plain_reader(&c);
	c.b[2] = 94;
	assert_int_equal(ccid_usbdesc_find_ccid(c.b, 93, 0, &f), CCID_E_PROTO);
	c.b[2] = 93;
	c.b[3] = 1;
	assert_int_equal(ccid_usbdesc_find_ccid(c.b, 93, 0, &f), CCID_E_PROTO);
	/* wTotalLength smaller than the configuration descriptor itself */
	plain_reader(&c);
	c.b[2] = 8;
	assert_int_equal(ccid_usbdesc_find_ccid(c.b, 93, 0, &f), CCID_E_PROTO);
	/* bytes beyond wTotalLength are not looked at */
	plain_reader(&c);
	memset(c.b + 93, 0, 20);
	assert_int_equal(ccid_usbdesc_find_ccid(c.b, 113, 0, &f), CCID_OK);
	assert_int_equal(f.ep_intr_in, 0x83);
	/* NULL arguments */
	assert_int_equal(ccid_usbdesc_find_ccid(NULL, 93, 0, &f), CCID_E_INVAL);
	assert_int_equal(ccid_usbdesc_find_ccid(c.b, 93, 0, NULL),
			 CCID_E_INVAL);
}

/* ---- string descriptors ---- */

static void test_string_ok(void **state)
{
	static const uint8_t yubico[] = { 14, 0x03, 'Y', 0, 'u', 0, 'b', 0,
					  'i', 0, 'c', 0, 'o', 0, 0xEE };
	static const uint8_t empty[] = { 2, 0x03 };
	char s[32];

	(void)state;
	memset(s, 'x', sizeof(s));
	assert_int_equal(ccid_usbdesc_string(yubico, sizeof(yubico), s,
					     sizeof(s)), CCID_OK);
	assert_string_equal(s, "Yubico");
	assert_int_equal(ccid_usbdesc_string(empty, 2, s, sizeof(s)), CCID_OK);
	assert_string_equal(s, "");
	/* truncated to the caller's buffer */
	assert_int_equal(ccid_usbdesc_string(yubico, 14, s, 4), CCID_OK);
	assert_string_equal(s, "Yub");
	assert_int_equal(ccid_usbdesc_string(yubico, 14, s, 1), CCID_OK);
	assert_string_equal(s, "");
}

static void test_string_non_ascii(void **state)
{
	/* "Ré" U+00E9, U+20AC, a surrogate pair (U+1F600), TAB, DEL, then a
	 * lone high surrogate at the end */
	static const uint8_t d[] = { 20, 0x03, 'R', 0, 0xE9, 0, 0xAC, 0x20,
				     0x3D, 0xD8, 0x00, 0xDE, 0x09, 0,
				     0x7F, 0, 'z', 0, 0x3D, 0xD8 };
	char s[32];

	(void)state;
	assert_int_equal(ccid_usbdesc_string(d, sizeof(d), s, sizeof(s)),
			 CCID_OK);
	assert_string_equal(s, "R.....z.");
}

static void test_string_bad(void **state)
{
	static const uint8_t ok[] = { 6, 0x03, 'a', 0, 'b', 0 };
	uint8_t b[6];
	char s[16];

	(void)state;
	for (size_t n = 0; n < sizeof(ok); n++) {
		strcpy(s, "junk");
		assert_int_equal(ccid_usbdesc_string(ok, n, s, sizeof(s)),
				 CCID_E_PROTO);
		assert_string_equal(s, "");
	}
	memcpy(b, ok, sizeof(b));
	b[0] = 5; /* odd: half a code unit */
	assert_int_equal(ccid_usbdesc_string(b, 6, s, sizeof(s)), CCID_E_PROTO);
	b[0] = 0;
	assert_int_equal(ccid_usbdesc_string(b, 6, s, sizeof(s)), CCID_E_PROTO);
	b[0] = 1;
	assert_int_equal(ccid_usbdesc_string(b, 6, s, sizeof(s)), CCID_E_PROTO);
	b[0] = 8; /* longer than the buffer */
	assert_int_equal(ccid_usbdesc_string(b, 6, s, sizeof(s)), CCID_E_PROTO);
	b[0] = 6;
	b[1] = 0x02;
	assert_int_equal(ccid_usbdesc_string(b, 6, s, sizeof(s)), CCID_E_PROTO);
	assert_int_equal(ccid_usbdesc_string(ok, 6, s, 0), CCID_E_INVAL);
	assert_int_equal(ccid_usbdesc_string(ok, 6, NULL, 4), CCID_E_INVAL);
	assert_int_equal(ccid_usbdesc_string(NULL, 6, s, 4), CCID_E_INVAL);
	assert_int_equal(ccid_usbdesc_string(ok, 6, s, sizeof(s)), CCID_OK);
	assert_string_equal(s, "ab");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_device_ok),
		cmocka_unit_test(test_device_bad),
		cmocka_unit_test(test_plain_reader),
		cmocka_unit_test(test_composite),
		cmocka_unit_test(test_two_ccid),
		cmocka_unit_test(test_vendor_class),
		cmocka_unit_test(test_desc_after_endpoints),
		cmocka_unit_test(test_ccid_without_class_desc),
		cmocka_unit_test(test_no_ccid),
		cmocka_unit_test(test_truncated_buffer),
		cmocka_unit_test(test_truncated_total),
		cmocka_unit_test(test_bad_lengths),
		cmocka_unit_test(test_total_length),
		cmocka_unit_test(test_string_ok),
		cmocka_unit_test(test_string_non_ascii),
		cmocka_unit_test(test_string_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
