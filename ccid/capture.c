/* ccidkit — USB captures: pcap/pcapng reading, usbmon pcap writing (see
 * capture.h).
 *
 * The reader walks a buffer: every length read from the file is checked
 * against what is left before anything behind it is touched, and every
 * step moves forward by at least one record header (16 bytes) or block
 * (12 bytes), so a hostile file ends in an error, never in a crash or a
 * loop.  Nothing is allocated while reading. */
#include "config.h"
#include "ccid/capture.h"

#include "ccid/err.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* tcpdump.org link-layer header types */
#define LINKTYPE_USB_LINUX 189
#define LINKTYPE_USB_LINUX_MMAPPED 220
#define LINKTYPE_USBPCAP 249

/* usbmon.rst: the binary header is 48 bytes (mon_bin_hdr), 64 with the
 * mmap API's interval/start_frame/xfer_flags/ndesc */
#define USBMON_HDR_LEN 48
#define USBMON_MMAP_HDR_LEN 64
#define USBMON_ISODESC_LEN 16
/* USBPcap.h: USBPCAP_BUFFER_PACKET_HEADER (packed) and the stage byte of
 * USBPCAP_BUFFER_CONTROL_HEADER */
#define USBPCAP_HDR_LEN 27
#define USBPCAP_CONTROL_HDR_LEN 28
#define USBPCAP_INFO_PDO_TO_FDO 0x01
#define USBPCAP_TRANSFER_IRP_INFO 0xFE
#define USBPCAP_TRANSFER_UNKNOWN 0xFF
#define USBPCAP_CONTROL_STAGE_SETUP 0

/* pcap: file header and record header sizes, the two magics */
#define PCAP_HDR_LEN 24
#define PCAP_REC_LEN 16
#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
/* pcapng block types and the byte-order magic */
#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_IDB 1u
#define PCAPNG_PB 2u
#define PCAPNG_SPB 3u
#define PCAPNG_EPB 6u
#define PCAPNG_BOM 0x1A2B3C4Du
#define PCAPNG_OPT_IF_TSRESOL 9
/* more interfaces per section than any real capture has; beyond it the
 * file is refused rather than the table allocated */
#define MAX_IFACES 256

/* ---- reading ---- */

static uint16_t rd16(const uint8_t *p, bool be)
{
	return be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static uint32_t rd32(const uint8_t *p, bool be)
{
	if (be)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		       (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[1] << 8 | p[0];
}

static uint64_t rd64(const uint8_t *p, bool be)
{
	uint64_t a = rd32(p, be), b = rd32(p + 4, be);

	return be ? a << 32 | b : b << 32 | a;
}

struct reader {
	ccid_usb_event_cb cb;
	void *arg;
	char *why;
	size_t whycap;
	bool saw_usb;        /* some interface had a USB link type */
	uint32_t other_link; /* the first link type that is not USB */
};

/* One packet as the container gives it. */
struct rec {
	const uint8_t *p;
	size_t len;     /* bytes captured */
	size_t off;     /* offset of its record/block in the file */
	bool be;        /* the file's (section's) byte order */
	uint32_t link;
	uint64_t ts_ns;
};

__attribute__((format(printf, 4, 5)))
static int fail(struct reader *r, int err, size_t off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->why == NULL || r->whycap == 0)
		return err;
	n = snprintf(r->why, r->whycap, "offset %zu: ", off);
	if (n >= 0 && (size_t)n < r->whycap) {
		va_start(ap, fmt);
		vsnprintf(r->why + n, r->whycap - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return err;
}

static bool link_is_usb(uint32_t link)
{
	return link == LINKTYPE_USB_LINUX ||
	       link == LINKTYPE_USB_LINUX_MMAPPED || link == LINKTYPE_USBPCAP;
}

/* usbmon.rst "Raw binary format and API": id, type, xfer_type, epnum,
 * devnum, busnum, flag_setup, flag_data, ts_sec, ts_usec, status, length,
 * len_cap, setup[8] (iso: error_count, numdesc), and for the mmapped form
 * interval, start_frame, xfer_flags, ndesc, then ndesc iso descriptors
 * and the data.  All in the capturing host's byte order. */
static int usbmon_record(struct reader *r, const struct rec *c)
{
	bool mm = c->link == LINKTYPE_USB_LINUX_MMAPPED;
	size_t hlen = mm ? USBMON_MMAP_HDR_LEN : USBMON_HDR_LEN;
	const uint8_t *p = c->p;
	struct ccid_usb_event ev;
	uint32_t len_cap;
	size_t avail;

	if (c->len < hlen)
		return fail(r, CCID_E_PROTO, c->off,
			    "usbmon header needs %zu bytes, the packet has %zu",
			    hlen, c->len);
	/* 'E' is a submission error: an ending, like 'C' */
	if (p[8] != 'S' && p[8] != 'C' && p[8] != 'E')
		return fail(r, CCID_E_PROTO, c->off,
			    "usbmon event type 0x%02x is not S, C or E", p[8]);
	if (p[9] > CCID_XFER_BULK)
		return fail(r, CCID_E_PROTO, c->off,
			    "usbmon transfer type %u is not 0-3", p[9]);
	memset(&ev, 0, sizeof(ev));
	ev.ts_ns = c->ts_ns;
	ev.id = rd64(p, c->be);
	ev.submit = p[8] == 'S';
	ev.xfer = (enum ccid_usb_xfer)p[9];
	ev.endpoint = p[10];
	ev.dev = p[11];
	ev.bus = rd16(p + 12, c->be);
	ev.status = (int32_t)rd32(p + 28, c->be);
	ev.urb_len = rd32(p + 32, c->be);
	len_cap = rd32(p + 36, c->be);
	/* flag_setup 0 means the setup packet is there ('-' otherwise) */
	ev.has_setup = p[14] == 0;
	if (ev.has_setup)
		memcpy(ev.setup, p + 40, 8);
	avail = c->len - hlen;
	ev.data = p + hlen;
	if (mm && ev.xfer == CCID_XFER_ISO) {
		uint32_t ndesc = rd32(p + 60, c->be);

		/* the iso descriptors come before the data */
		if (ndesc > avail / USBMON_ISODESC_LEN) {
			ev.data += avail;
			avail = 0;
			ev.truncated = true;
		} else {
			ev.data += (size_t)ndesc * USBMON_ISODESC_LEN;
			avail -= (size_t)ndesc * USBMON_ISODESC_LEN;
		}
	}
	ev.len = len_cap < avail ? len_cap : avail;
	/* flag_data 0: the URB's data was taken, len_cap of length bytes */
	if (ev.len < len_cap || (p[15] == 0 && len_cap < ev.urb_len))
		ev.truncated = true;
	return r->cb(r->arg, &ev);
}

/* USBPcap.h: USBPCAP_BUFFER_PACKET_HEADER, little-endian whatever the
 * file's byte order; a control transfer's header adds the stage, and
 * since USBPcap 1.5 the SETUP stage's data is the 8-byte setup packet
 * followed by any OUT data, the COMPLETE stage's the IN data. */
static int usbpcap_record(struct reader *r, const struct rec *c)
{
	const uint8_t *p = c->p;
	struct ccid_usb_event ev;
	uint16_t hlen, min_hlen;
	uint32_t dlen;
	size_t avail;

	if (c->len < USBPCAP_HDR_LEN)
		return fail(r, CCID_E_PROTO, c->off,
			    "USBPcap header needs %d bytes, the packet has %zu",
			    USBPCAP_HDR_LEN, c->len);
	hlen = rd16(p, false);
	/* IRP information and unknown transfers carry no USB data */
	if (p[22] == USBPCAP_TRANSFER_IRP_INFO ||
	    p[22] == USBPCAP_TRANSFER_UNKNOWN)
		return 0;
	if (p[22] > CCID_XFER_BULK)
		return fail(r, CCID_E_PROTO, c->off,
			    "USBPcap transfer type %u is not 0-3", p[22]);
	/* a control transfer's header must hold its stage byte */
	min_hlen = p[22] == CCID_XFER_CONTROL ? USBPCAP_CONTROL_HDR_LEN :
						USBPCAP_HDR_LEN;
	if (hlen < min_hlen || hlen > c->len)
		return fail(r, CCID_E_PROTO, c->off,
			    "USBPcap headerLen %u does not fit the packet (%zu bytes)",
			    hlen, c->len);
	memset(&ev, 0, sizeof(ev));
	ev.ts_ns = c->ts_ns;
	ev.id = rd64(p + 2, false);
	/* USBD_STATUS: negative (bits 31..30 = 11) is an error */
	ev.status = (int32_t)rd32(p + 10, false) < 0 ? -1 : 0;
	ev.submit = !(p[16] & USBPCAP_INFO_PDO_TO_FDO);
	ev.bus = rd16(p + 17, false);
	ev.dev = rd16(p + 19, false);
	ev.endpoint = p[21];
	ev.xfer = (enum ccid_usb_xfer)p[22];
	dlen = rd32(p + 23, false);
	avail = c->len - hlen;
	ev.data = p + hlen;
	ev.urb_len = dlen;
	ev.len = dlen < avail ? dlen : avail;
	ev.truncated = ev.len < dlen;
	if (ev.xfer == CCID_XFER_CONTROL &&
	    p[27] == USBPCAP_CONTROL_STAGE_SETUP && ev.len >= 8) {
		memcpy(ev.setup, ev.data, 8);
		ev.has_setup = true;
		ev.data += 8;
		ev.len -= 8;
		/* length asked: wLength, as usbmon gives it */
		ev.urb_len = (uint32_t)ev.setup[6] | (uint32_t)ev.setup[7] << 8;
	}
	return r->cb(r->arg, &ev);
}

/* One packet of any link type; packets of other link types are skipped
 * (the caller reports a capture with no USB interface at all). */
static int link_record(struct reader *r, const struct rec *c)
{
	if (c->link == LINKTYPE_USBPCAP)
		return usbpcap_record(r, c);
	if (link_is_usb(c->link))
		return usbmon_record(r, c);
	return 0;
}

static void note_link(struct reader *r, uint32_t link)
{
	if (link_is_usb(link))
		r->saw_usb = true;
	else if (r->other_link == UINT32_MAX)
		r->other_link = link;
}

static int not_usb(struct reader *r, size_t off)
{
	return fail(r, CCID_E_NOT_SUPPORTED, off,
		    "link type %u is not USB (usbmon 189/220, USBPcap 249)",
		    r->other_link);
}

/* ---- pcap ---- */

/* The file's snaplen is not enforced: writers that put 65535 there and
 * then write longer records exist; what counts is that a record fits in
 * the file. */
static int read_pcap(struct reader *r, const uint8_t *buf, size_t len,
		     bool be, bool ns)
{
	struct rec c = { .be = be };
	size_t off = PCAP_HDR_LEN;

	if (len < PCAP_HDR_LEN)
		return fail(r, CCID_E_PROTO, 0,
			    "pcap file header truncated (%zu of 24 bytes)", len);
	/* pcap: the low 16 bits of the last field are the LinkType */
	c.link = rd32(buf + 20, be) & 0xFFFF;
	note_link(r, c.link);
	if (!r->saw_usb)
		return not_usb(r, 20);
	while (off < len) {
		uint32_t sec, frac, incl;
		int rc;

		if (len - off < PCAP_REC_LEN)
			return fail(r, CCID_E_PROTO, off,
				    "record header truncated (%zu of 16 bytes)",
				    len - off);
		sec = rd32(buf + off, be);
		frac = rd32(buf + off + 4, be);
		incl = rd32(buf + off + 8, be);
		if (incl > len - off - PCAP_REC_LEN)
			return fail(r, CCID_E_PROTO, off,
				    "record of %u bytes is longer than the %zu bytes left",
				    incl, len - off - PCAP_REC_LEN);
		c.p = buf + off + PCAP_REC_LEN;
		c.len = incl;
		c.off = off;
		c.ts_ns = (uint64_t)sec * 1000000000u +
			  (ns ? frac : (uint64_t)frac * 1000u);
		rc = link_record(r, &c);
		if (rc != 0)
			return rc;
		off += PCAP_REC_LEN + (size_t)incl;
	}
	return CCID_OK;
}

/* ---- pcapng ---- */

struct iface {
	uint32_t link;
	uint32_t snaplen;
	uint8_t tsresol; /* if_tsresol: bit 7 set = 2^-n, else 10^-n */
};

struct section {
	bool be;
	size_t n;
	struct iface ifs[MAX_IFACES];
};

/* A timestamp in units of if_tsresol, to ns (saturating on overflow). */
static uint64_t ts_to_ns(uint64_t t, uint8_t res)
{
	unsigned n = res & 0x7F;
	uint64_t sec, frac;

	if (res & 0x80) {
		if (n > 63)
			return 0;
		sec = n == 0 ? t : t >> n;
		frac = n == 0 ? 0 : t & ((UINT64_C(1) << n) - 1);
		if (n > 32) { /* keep frac * 10^9 within 64 bits */
			frac >>= n - 32;
			n = 32;
		}
		if (sec > UINT64_MAX / 1000000000u)
			return UINT64_MAX;
		return sec * 1000000000u + ((frac * 1000000000u) >> n);
	}
	for (; n < 9; n++) {
		if (t > UINT64_MAX / 10)
			return UINT64_MAX;
		t *= 10;
	}
	for (; n > 9 && t > 0; n--)
		t /= 10;
	return t;
}

/* IDB body: LinkType u16, reserved u16, SnapLen u32, options (code u16,
 * length u16, value padded to 4 bytes; opt_endofopt = 0). */
static int read_idb(struct reader *r, struct section *s, const uint8_t *b,
		    size_t blen, size_t off)
{
	struct iface *f;
	size_t o = 8;

	if (blen < 8)
		return fail(r, CCID_E_PROTO, off, "IDB body of %zu bytes", blen);
	if (s->n == MAX_IFACES)
		return fail(r, CCID_E_NOT_SUPPORTED, off,
			    "more than %d interfaces in a section", MAX_IFACES);
	f = &s->ifs[s->n++];
	f->link = rd16(b, s->be);
	f->snaplen = rd32(b + 4, s->be);
	f->tsresol = 6; /* default: microseconds */
	note_link(r, f->link);
	while (blen - o >= 4) {
		uint16_t code = rd16(b + o, s->be), olen = rd16(b + o + 2, s->be);
		size_t padded = ((size_t)olen + 3) & ~(size_t)3;

		if (code == 0)
			break;
		if (padded > blen - o - 4)
			return fail(r, CCID_E_PROTO, off,
				    "IDB option %u of %u bytes overruns the block",
				    code, olen);
		if (code == PCAPNG_OPT_IF_TSRESOL && olen >= 1)
			f->tsresol = b[o + 4];
		o += 4 + padded;
	}
	return CCID_OK;
}

static int iface_of(struct reader *r, const struct section *s, uint32_t id,
		    size_t off, const struct iface **f)
{
	if (id >= s->n)
		return fail(r, CCID_E_PROTO, off,
			    "packet of interface %u, but the section describes %zu",
			    id, s->n);
	*f = &s->ifs[id];
	return CCID_OK;
}

/* EPB: Interface ID u32, Timestamp (High, Low), Captured Packet Length,
 * Original Packet Length, data.  The obsolete PB is the same with a u16
 * Interface ID and a u16 Drops Count. */
static int read_epb(struct reader *r, const struct section *s, uint32_t type,
		    const uint8_t *b, size_t blen, size_t off)
{
	const struct iface *f = NULL;
	struct rec c = { .be = s->be, .off = off };
	uint32_t id, caplen;
	int rc;

	if (blen < 20)
		return fail(r, CCID_E_PROTO, off, "packet block body of %zu bytes",
			    blen);
	id = type == PCAPNG_PB ? rd16(b, s->be) : rd32(b, s->be);
	rc = iface_of(r, s, id, off, &f);
	if (rc != CCID_OK)
		return rc;
	caplen = rd32(b + 12, s->be);
	if (caplen > blen - 20)
		return fail(r, CCID_E_PROTO, off,
			    "captured length %u exceeds the block's %zu data bytes",
			    caplen, blen - 20);
	c.link = f->link;
	c.ts_ns = ts_to_ns((uint64_t)rd32(b + 4, s->be) << 32 |
				   rd32(b + 8, s->be),
			   f->tsresol);
	c.p = b + 20;
	c.len = caplen;
	return link_record(r, &c);
}

/* SPB: Original Packet Length, then min(that, interface 0's SnapLen)
 * bytes; no timestamp. */
static int read_spb(struct reader *r, const struct section *s,
		    const uint8_t *b, size_t blen, size_t off)
{
	const struct iface *f = NULL;
	struct rec c = { .be = s->be, .off = off };
	size_t n;
	int rc;

	if (blen < 4)
		return fail(r, CCID_E_PROTO, off, "SPB body of %zu bytes", blen);
	rc = iface_of(r, s, 0, off, &f);
	if (rc != CCID_OK || f == NULL) /* f == NULL: for -Wnull-dereference */
		return rc;
	n = rd32(b, s->be);
	if (f->snaplen != 0 && n > f->snaplen)
		n = f->snaplen;
	if (n > blen - 4)
		n = blen - 4;
	c.link = f->link;
	c.p = b + 4;
	c.len = n;
	return link_record(r, &c);
}

/* SHB: Byte-Order Magic decides the section's byte order; only major
 * version 1 exists. */
static int read_shb(struct reader *r, struct section *s, const uint8_t *p,
		    size_t left, size_t off)
{
	uint32_t bom;

	if (left < 28)
		return fail(r, CCID_E_PROTO, off,
			    "section header truncated (%zu of 28 bytes)", left);
	bom = rd32(p + 8, true);
	if (bom != PCAPNG_BOM && bom != 0x4D3C2B1Au)
		return fail(r, CCID_E_PROTO, off, "bad byte-order magic 0x%08x",
			    bom);
	s->be = bom == PCAPNG_BOM;
	s->n = 0;
	if (rd16(p + 12, s->be) != 1)
		return fail(r, CCID_E_NOT_SUPPORTED, off,
			    "pcapng major version %u", rd16(p + 12, s->be));
	return CCID_OK;
}

static int read_block(struct reader *r, struct section *s, uint32_t type,
		      const uint8_t *b, size_t blen, size_t off)
{
	switch (type) {
	case PCAPNG_IDB:
		return read_idb(r, s, b, blen, off);
	case PCAPNG_EPB:
	case PCAPNG_PB:
		return read_epb(r, s, type, b, blen, off);
	case PCAPNG_SPB:
		return read_spb(r, s, b, blen, off);
	default: /* name resolution, statistics, custom...: not USB data */
		return CCID_OK;
	}
}

/* Block: Block Type, Block Total Length, body, Block Total Length again;
 * the length is a multiple of 4 and at least 12. */
static int read_pcapng(struct reader *r, const uint8_t *buf, size_t len)
{
	struct section s;
	size_t off = 0;

	s.be = false;
	s.n = 0;
	while (off < len) {
		uint32_t type, tot;
		int rc;

		if (len - off < 12)
			return fail(r, CCID_E_PROTO, off,
				    "block header truncated (%zu bytes left)",
				    len - off);
		type = rd32(buf + off, s.be);
		if (type == PCAPNG_SHB) {
			rc = read_shb(r, &s, buf + off, len - off, off);
			if (rc != CCID_OK)
				return rc;
		}
		tot = rd32(buf + off + 4, s.be);
		if (tot < (type == PCAPNG_SHB ? 28u : 12u) || tot % 4 != 0)
			return fail(r, CCID_E_PROTO, off,
				    "block length %u is not a multiple of 4 or too small",
				    tot);
		if (tot > len - off)
			return fail(r, CCID_E_PROTO, off,
				    "block of %u bytes is longer than the %zu bytes left",
				    tot, len - off);
		if (rd32(buf + off + tot - 4, s.be) != tot)
			return fail(r, CCID_E_PROTO, off,
				    "block's trailing length differs from %u", tot);
		if (type != PCAPNG_SHB) {
			rc = read_block(r, &s, type, buf + off + 8, tot - 12, off);
			if (rc != CCID_OK)
				return rc;
		}
		off += tot;
	}
	return CCID_OK;
}

int ccid_capture_read(const uint8_t *buf, size_t len, ccid_usb_event_cb cb,
		      void *arg, char *why, size_t whycap)
{
	struct reader r = { .cb = cb, .arg = arg, .why = why, .whycap = whycap,
			    .other_link = UINT32_MAX };
	uint32_t magic;
	int rc;

	if (why != NULL && whycap > 0)
		why[0] = '\0';
	if ((buf == NULL && len > 0) || cb == NULL)
		return CCID_E_INVAL;
	if (len < 4)
		return fail(&r, CCID_E_PROTO, 0, "not a pcap or pcapng file (%zu bytes)",
			    len);
	magic = rd32(buf, false);
	if (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS)
		return read_pcap(&r, buf, len, false, magic == PCAP_MAGIC_NS);
	magic = rd32(buf, true);
	if (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS)
		return read_pcap(&r, buf, len, true, magic == PCAP_MAGIC_NS);
	if (magic != PCAPNG_SHB)
		return fail(&r, CCID_E_PROTO, 0,
			    "not a pcap or pcapng file (magic 0x%08x)", magic);
	rc = read_pcapng(&r, buf, len);
	if (rc == CCID_OK && !r.saw_usb && r.other_link != UINT32_MAX)
		return not_usb(&r, 0);
	return rc;
}

/* ---- writing ---- */

struct ccid_capture_writer {
	pthread_mutex_t mu;
	FILE *f;
};

/* libpcap's snapshot length for USB; longer data is cut (the record
 * keeps the URB length, so readers see the cut) */
#define WRITE_SNAPLEN 262144u

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2); /* host byte order: usbmon's own */
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

int ccid_capture_create(const char *path, struct ccid_capture_writer **out)
{
	struct ccid_capture_writer *w;
	uint8_t h[PCAP_HDR_LEN];

	if (path == NULL || out == NULL)
		return CCID_E_INVAL;
	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return CCID_E_NOMEM;
	w->f = fopen(path, "wbe");
	if (w->f == NULL) {
		int e = errno;

		free(w);
		return e == EACCES || e == EPERM || e == EROFS ? CCID_E_ACCESS :
								 CCID_E_IO;
	}
	/* pcap file header: magic (µs), version 2.4, thiszone, sigfigs,
	 * snaplen, LinkType */
	put32(h, PCAP_MAGIC_US);
	put16(h + 4, 2);
	put16(h + 6, 4);
	put32(h + 8, 0);
	put32(h + 12, 0);
	put32(h + 16, WRITE_SNAPLEN);
	put32(h + 20, LINKTYPE_USB_LINUX_MMAPPED);
	if (fwrite(h, sizeof(h), 1, w->f) != 1 || fflush(w->f) != 0) {
		fclose(w->f);
		free(w);
		return CCID_E_IO;
	}
	pthread_mutex_init(&w->mu, NULL);
	*out = w;
	return CCID_OK;
}

/* The pcap record header and the 64-byte usbmon header (usbmon.rst) of
 * ev, whose data is cut to caplen bytes. */
static void usbmon_header(uint8_t *h, const struct ccid_usb_event *ev,
			  uint32_t caplen)
{
	bool in = ev->endpoint & 0x80;
	uint8_t *u = h + PCAP_REC_LEN;

	put32(h, (uint32_t)(ev->ts_ns / 1000000000u));
	put32(h + 4, (uint32_t)(ev->ts_ns % 1000000000u / 1000u));
	put32(h + 8, USBMON_MMAP_HDR_LEN + caplen);
	/* orig_len: what the record would hold uncut */
	put32(h + 12, (uint32_t)(USBMON_MMAP_HDR_LEN +
				 (ev->len > caplen ? ev->len : caplen)));
	memset(u, 0, USBMON_MMAP_HDR_LEN);
	put64(u, ev->id);
	u[8] = ev->submit ? 'S' : 'C';
	u[9] = (uint8_t)ev->xfer;
	u[10] = ev->endpoint;
	u[11] = (uint8_t)ev->dev;
	put16(u + 12, ev->bus);
	u[14] = ev->has_setup ? 0 : '-';
	/* usbmon: '<' no data on an IN submission, '>' none on an OUT
	 * completion, 0 when the data is there */
	if (ev->len == 0 && ev->submit && in)
		u[15] = '<';
	else if (ev->len == 0 && !ev->submit && !in)
		u[15] = '>';
	put64(u + 16, ev->ts_ns / 1000000000u);
	put32(u + 24, (uint32_t)(ev->ts_ns % 1000000000u / 1000u));
	put32(u + 28, (uint32_t)ev->status);
	put32(u + 32, ev->urb_len);
	put32(u + 36, caplen);
	if (ev->has_setup)
		memcpy(u + 40, ev->setup, 8);
	/* interval, start_frame, xfer_flags, ndesc: 0 */
}

int ccid_capture_write(struct ccid_capture_writer *w,
		       const struct ccid_usb_event *ev)
{
	uint8_t h[PCAP_REC_LEN + USBMON_MMAP_HDR_LEN];
	uint32_t caplen;
	int rc = CCID_OK;

	if (w == NULL || ev == NULL || (ev->data == NULL && ev->len > 0))
		return CCID_E_INVAL;
	caplen = ev->len > WRITE_SNAPLEN - USBMON_MMAP_HDR_LEN ?
			 WRITE_SNAPLEN - USBMON_MMAP_HDR_LEN :
			 (uint32_t)ev->len;
	usbmon_header(h, ev, caplen);
	pthread_mutex_lock(&w->mu);
	if (fwrite(h, sizeof(h), 1, w->f) != 1 ||
	    (caplen > 0 && fwrite(ev->data, caplen, 1, w->f) != 1) ||
	    fflush(w->f) != 0)
		rc = CCID_E_IO;
	pthread_mutex_unlock(&w->mu);
	return rc;
}

void ccid_capture_close(struct ccid_capture_writer **w)
{
	if (w == NULL || *w == NULL)
		return;
	fclose((*w)->f);
	pthread_mutex_destroy(&(*w)->mu);
	free(*w);
	*w = NULL;
}
