/* ccidkit decode — the CCID traffic in a usbmon / USBPcap capture file,
 * decoded with the same decoder as the live trace (ccid/decode.h).
 *
 * Two passes over the capture (held in memory, capture.h):
 *  1. learn which devices are CCID readers: their configuration
 *     descriptor when the capture shows it (CCID 1.1 §5.1, through
 *     ccid_usbdesc_find_ccid), else the shape of their bulk traffic
 *     (PC_to_RDR messages whose dwLength matches the transfer);
 *  2. follow those devices: reassemble bulk messages (one CCID message may
 *     span several URBs: 10 + dwLength bytes, CCID 1.1 §6.1), pair control
 *     submissions with their completions, feed the decoder and print.
 * Filters only choose what is printed: the decoder sees everything, so
 * that the layers (T=1 chaining, the command each bSeq answers) hold. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccid/capture.h"
#include "ccid/decode.h"
#include "ccid/desc.h"
#include "ccid/err.h"
#include "ccid/text.h"
#include "ccid/usbdesc.h"
#include "src/cli.h"

static const char decode_usage[] =
	"Usage: ccidkit decode [OPTIONS] FILE\n"
	"\n"
	"Decode the CCID traffic in a USB capture: pcap or pcapng, taken with\n"
	"usbmon on Linux (tcpdump -i usbmonN, Wireshark), with USBPcap on\n"
	"Windows, or written by ccidkit itself (--trace pcap:FILE).  FILE '-' is\n"
	"standard input.  One event a line, then what is inside it:\n"
	"  +0.001234 001:005 > PC_to_RDR_XfrBlock slot 0 seq 4 ... len 8\n"
	"      APDU > CLA 00 INS A4 P1 04 P2 00 Lc 2 (SELECT)\n"
	"Time counts from the first packet of the file; BUS:DEV is the device.\n"
	"\n"
	"Options (they choose what is shown; everything is decoded):\n"
	"  -d, --device BUS:DEV  only this device (e.g. 1:5)\n"
	"  -s, --slot N          only messages for slot N (bSlot)\n"
	"  -t, --type NAME       only this message type (XfrBlock,\n"
	"                        RDR_to_PC_DataBlock, ...); may be repeated\n"
	"      --show-secrets    show PIN data (masked by default)\n"
	"      --raw             also show every message's bytes in full\n"
	"  -h, --help            this text\n"
	"\n"
	"Exit status: 0 decoded, 1 no CCID traffic in the capture or a\n"
	"truncated capture, 2 usage, unreadable file, not a capture, or not a\n"
	"USB capture.\n";

#define DEC_MAX_IF 4        /* CCID interfaces followed per device */
#define DEC_MAX_PENDING 32  /* control transfers in flight per device */
#define DEC_MAX_DEVS 1024   /* devices followed (hostile captures) */
#define DEC_MAX_TYPES 32
/* The largest message reassembled: dwMaxCCIDMessageLength cannot exceed
 * 10 + 65544 (CCID 1.1 §5.1: abData up to 65544 bytes); more is hostile. */
#define DEC_MSG_MAX (10u + 65544u)
#define DEC_CTRL_DATA 64    /* class request data kept for the completion */

struct dec_pipe {
	uint8_t *buf;
	size_t len, cap;
};

struct dec_if {
	uint8_t ifnum;          /* bInterfaceNumber; 0xFF: guessed, any */
	uint8_t ep_in, ep_out, ep_intr;
	struct ccid_decoder *dec;
	struct dec_pipe in, out;
};

struct dec_pending {
	bool used;
	uint64_t id;
	uint8_t setup[8];
	uint8_t data[DEC_CTRL_DATA];
	size_t len;
};

struct dec_dev {
	uint16_t bus, dev;
	unsigned nif;
	struct dec_if ifs[DEC_MAX_IF];
	struct dec_pending pend[DEC_MAX_PENDING];
	unsigned pend_next;
	/* pass 1, per bulk endpoint (number + 16 for IN): transfers that
	 * look like CCID messages and ones that do not */
	uint32_t good[32], bad[32];
};

struct dec_opts {
	bool have_dev;
	unsigned bus, dev;
	int slot;               /* -1: all */
	uint8_t types[DEC_MAX_TYPES];
	size_t ntypes;
	bool raw;
	struct ccid_decode_opts dopts;
};

struct dec_state {
	const struct dec_opts *o;
	struct dec_dev *devs;
	size_t ndevs, devcap;
	bool pass2;
	bool have_t0;
	uint64_t t0;
	unsigned long events;
	bool oom;
	struct ccid_text t;
};

static struct dec_dev *dec_find(struct dec_state *s, uint16_t bus,
				uint16_t dev, bool create)
{
	struct dec_dev *d;

	for (size_t i = 0; i < s->ndevs; i++)
		if (s->devs[i].bus == bus && s->devs[i].dev == dev)
			return &s->devs[i];
	if (!create || s->ndevs >= DEC_MAX_DEVS)
		return NULL;
	if (s->ndevs == s->devcap) {
		size_t cap = s->devcap ? s->devcap * 2 : 4;

		d = realloc(s->devs, cap * sizeof(*d));
		if (d == NULL) {
			s->oom = true;
			return NULL;
		}
		s->devs = d;
		s->devcap = cap;
	}
	d = &s->devs[s->ndevs++];
	memset(d, 0, sizeof(*d));
	d->bus = bus;
	d->dev = dev;
	return d;
}

static unsigned ep_index(uint8_t ep)
{
	return (ep & 0x0Fu) + ((ep & 0x80u) ? 16u : 0u);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Does buf (have bytes captured of a transfer of len bytes) look like
 * one CCID message of the right direction?  bMessageType known, dwLength
 * matching (CCID 1.1 §6.1). */
static bool looks_ccid(const uint8_t *buf, size_t have, size_t len, bool out)
{
	const char *name;

	if (have < 10 || len < have)
		return false;
	name = ccid_decode_msg_name(buf[0]);
	if (name == NULL || strncmp(name, out ? "PC_to_RDR_" : "RDR_to_PC_", 10) != 0)
		return false;
	return (uint64_t)le32(buf + 1) + 10u == len;
}

/* Pass 1 and 2: a configuration descriptor coming back from GET_DESCRIPTOR
 * (USB 2.0 §9.4.3): every CCID interface in it. */
static void learn_config(struct dec_state *s, struct dec_dev *d,
			 const uint8_t *buf, size_t len)
{
	struct ccid_usb_ccid_if cif;

	for (unsigned i = 0; i < DEC_MAX_IF; i++) {
		struct dec_if *f = NULL;

		if (ccid_usbdesc_find_ccid(buf, len, i, &cif) != CCID_OK)
			return;
		for (unsigned k = 0; k < d->nif; k++)
			if (d->ifs[k].ifnum == cif.bInterfaceNumber)
				f = &d->ifs[k];
		if (f == NULL && !s->pass2 && d->nif < DEC_MAX_IF) {
			f = &d->ifs[d->nif++];
			f->ifnum = cif.bInterfaceNumber;
		}
		if (f == NULL)
			continue;
		f->ep_in = cif.ep_bulk_in;
		f->ep_out = cif.ep_bulk_out;
		f->ep_intr = cif.ep_intr_in;
		if (s->pass2 && f->dec != NULL && cif.class_desc != NULL)
			ccid_decoder_set_desc(f->dec, cif.class_desc,
					      cif.class_desc_len);
	}
}

static void pass1_event(struct dec_state *s, struct dec_dev *d,
			const struct ccid_usb_event *ev)
{
	unsigned k = ep_index(ev->endpoint);

	if (ev->len == 0)
		return;
	/* failed completions (stalls, cancellations) say nothing of the
	 * shape; submissions carry -EINPROGRESS (usbmon.rst) */
	if (ev->xfer == CCID_XFER_BULK && (ev->submit || ev->status == 0) &&
	    ev->submit == !(ev->endpoint & 0x80u)) {
		if (looks_ccid(ev->data, ev->len,
			       ev->truncated ? ev->urb_len : ev->len,
			       !(ev->endpoint & 0x80u)))
			d->good[k]++;
		else
			d->bad[k]++;
	} else if (ev->xfer == CCID_XFER_CONTROL && !ev->submit &&
		   ev->len >= 9 && ev->data[1] == 0x02) {
		learn_config(s, d, ev->data, ev->len);
	}
}

/* The bulk endpoint of one direction with the most CCID-like transfers,
 * 0 when none is mostly CCID (OUT: more good than bad, for a device to be
 * taken for a reader; IN, once it is: at least as many, since replies
 * split over URBs make pieces that look like nothing). */
static uint8_t best_ep(const struct dec_dev *d, bool in)
{
	uint8_t best = 0;
	uint32_t most = 0;

	for (unsigned n = 1; n < 16; n++) {
		unsigned k = n + (in ? 16u : 0u);
		bool mostly = in ? d->good[k] >= d->bad[k] : d->good[k] > d->bad[k];

		if (mostly && d->good[k] > most) {
			most = d->good[k];
			best = (uint8_t)(n | (in ? 0x80u : 0u));
		}
	}
	return best;
}

/* After pass 1: devices without descriptors but with CCID-shaped bulk OUT
 * traffic get one guessed interface; every interface gets a decoder. */
static int setup_devices(struct dec_state *s, size_t *nccid)
{
	*nccid = 0;
	for (size_t i = 0; i < s->ndevs; i++) {
		struct dec_dev *d = &s->devs[i];

		if (d->nif == 0) {
			uint8_t out = best_ep(d, false);

			if (out == 0)
				continue;
			d->nif = 1;
			d->ifs[0].ifnum = 0xFF;
			d->ifs[0].ep_out = out;
			/* the interrupt pipe: any interrupt IN (if_by_ep) */
			d->ifs[0].ep_in = best_ep(d, true);
		}
		for (unsigned k = 0; k < d->nif; k++) {
			int err = ccid_decoder_new(NULL, 0, &s->o->dopts,
						   &d->ifs[k].dec);
			if (err != CCID_OK)
				return err;
		}
		(*nccid)++;
	}
	return CCID_OK;
}

static struct dec_if *if_by_ep(struct dec_dev *d, uint8_t ep,
			       enum ccid_usb_xfer xfer)
{
	for (unsigned k = 0; k < d->nif; k++) {
		struct dec_if *f = &d->ifs[k];

		if (xfer == CCID_XFER_BULK && (ep == f->ep_in || ep == f->ep_out))
			return f;
		/* guessed interfaces take any interrupt IN endpoint */
		if (xfer == CCID_XFER_INTR && (ep == f->ep_intr ||
					       (f->ifnum == 0xFF && (ep & 0x80u))))
			return f;
	}
	return NULL;
}

static struct dec_if *if_by_num(struct dec_dev *d, uint8_t ifnum)
{
	for (unsigned k = 0; k < d->nif; k++)
		if (d->ifs[k].ifnum == ifnum || d->ifs[k].ifnum == 0xFF)
			return &d->ifs[k];
	return NULL;
}

/* ---- printing ---- */

static bool type_wanted(const struct dec_opts *o, uint8_t type)
{
	if (o->ntypes == 0)
		return true;
	for (size_t i = 0; i < o->ntypes; i++)
		if (o->types[i] == type)
			return true;
	return false;
}

/* Print what the decoder appended to s->t, if the filters let it through:
 * kind 'b' bulk / 'i' interrupt / 'c' control; msg the bytes (raw). */
static void emit(struct dec_state *s, const struct dec_dev *d,
		 const struct ccid_usb_event *ev, char kind, int slot,
		 const uint8_t *msg, size_t len)
{
	const struct dec_opts *o = s->o;
	uint64_t dt = ev->ts_ns >= s->t0 ? ev->ts_ns - s->t0 : 0;

	if (s->t.len == 0)
		return;
	if (o->have_dev && (o->bus != d->bus || o->dev != d->dev))
		goto out;
	if (o->slot >= 0 && slot >= 0 && slot != o->slot)
		goto out;
	if (o->ntypes > 0 && (kind == 'c' || len == 0 || !type_wanted(o, msg[0])))
		goto out;
	printf("+%llu.%06llu %03u:%03u %s",
	       (unsigned long long)(dt / 1000000000u),
	       (unsigned long long)(dt % 1000000000u / 1000u),
	       d->bus, d->dev, s->t.buf);
	if (o->raw && len > 0) {
		ccid_text_clear(&s->t);
		ccid_text_hex(&s->t, msg, len, 0);
		if (s->t.len > 0)
			printf("    raw %s\n", s->t.buf);
	}
out:
	ccid_text_clear(&s->t);
}

static void emit_bulk(struct dec_state *s, struct dec_dev *d,
		      struct dec_if *f, const struct ccid_usb_event *ev,
		      bool out, const uint8_t *msg, size_t len)
{
	ccid_decode_bulk(f->dec, out, msg, len, &s->t);
	emit(s, d, ev, 'b', len >= 6 ? msg[5] : -1, msg, len);
}

static bool pipe_add(struct dec_pipe *p, const uint8_t *buf, size_t len)
{
	if (p->len + len > p->cap) {
		size_t cap = p->len + len;
		uint8_t *n = realloc(p->buf, cap);

		if (n == NULL)
			return false;
		p->buf = n;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, buf, len);
	p->len += len;
	return true;
}

/* Bulk data towards one message: collect until 10 + dwLength bytes (the
 * header's own length), then hand the message over.  A transfer that
 * makes more than that, a dwLength beyond any reader's, or a capture that
 * cut the data short ends the message as it is (the decoder calls it
 * malformed). */
static void bulk_data(struct dec_state *s, struct dec_dev *d,
		      struct dec_if *f, const struct ccid_usb_event *ev,
		      bool out)
{
	struct dec_pipe *p = out ? &f->out : &f->in;
	uint64_t need;

	if (ev->len == 0)
		return;
	if (!pipe_add(p, ev->data, ev->len)) {
		s->oom = true;
		p->len = 0;
		return;
	}
	if (p->len < 10 && !ev->truncated)
		return;
	need = p->len >= 10 ? (uint64_t)le32(p->buf + 1) + 10u : 0;
	if (need > p->len && need <= DEC_MSG_MAX && !ev->truncated)
		return;
	emit_bulk(s, d, f, ev, out, p->buf, p->len);
	p->len = 0;
}

static struct dec_pending *pending_find(struct dec_dev *d, uint64_t id)
{
	for (unsigned i = 0; i < DEC_MAX_PENDING; i++)
		if (d->pend[i].used && d->pend[i].id == id)
			return &d->pend[i];
	return NULL;
}

/* Class requests (bmRequestType 0x21 / 0xA1, CCID 1.1 §5.3): the
 * submission, then its completion, paired by the URB id. */
static void control(struct dec_state *s, struct dec_dev *d,
		    const struct ccid_usb_event *ev)
{
	struct dec_pending *pe;
	struct dec_if *f;

	if (ev->submit) {
		if (!ev->has_setup || (ev->setup[0] != 0x21 && ev->setup[0] != 0xA1))
			return;
		f = if_by_num(d, ev->setup[4]);
		if (f == NULL)
			return;
		pe = &d->pend[d->pend_next++ % DEC_MAX_PENDING];
		pe->used = true;
		pe->id = ev->id;
		memcpy(pe->setup, ev->setup, 8);
		pe->len = ev->len < DEC_CTRL_DATA ? ev->len : DEC_CTRL_DATA;
		if (pe->len > 0)
			memcpy(pe->data, ev->data, pe->len);
		ccid_decode_control(f->dec, ev->setup, ev->data, ev->len,
				    false, &s->t);
		emit(s, d, ev, 'c', ev->setup[1] == 0x01 ? ev->setup[2] : -1,
		     NULL, 0);
		return;
	}
	if (ev->endpoint & 0x80u && ev->len >= 9 && ev->data[1] == 0x02)
		learn_config(s, d, ev->data, ev->len);
	pe = pending_find(d, ev->id);
	if (pe == NULL)
		return;
	pe->used = false;
	f = if_by_num(d, pe->setup[4]);
	if (f == NULL)
		return;
	if (pe->setup[0] & 0x80u)
		ccid_decode_control(f->dec, pe->setup, ev->data, ev->len, true, &s->t);
	else
		ccid_decode_control(f->dec, pe->setup, pe->data, pe->len, true, &s->t);
	emit(s, d, ev, 'c', pe->setup[1] == 0x01 ? pe->setup[2] : -1, NULL, 0);
}

static void pass2_event(struct dec_state *s, struct dec_dev *d,
			const struct ccid_usb_event *ev)
{
	struct dec_if *f;

	switch (ev->xfer) {
	case CCID_XFER_CONTROL:
		control(s, d, ev);
		break;
	case CCID_XFER_BULK:
		f = if_by_ep(d, ev->endpoint, ev->xfer);
		/* OUT data rides on the submission, IN data on the completion */
		if (f != NULL && ev->submit == !(ev->endpoint & 0x80u))
			bulk_data(s, d, f, ev, !(ev->endpoint & 0x80u));
		break;
	case CCID_XFER_INTR:
		f = if_by_ep(d, ev->endpoint, ev->xfer);
		if (f != NULL && !ev->submit && ev->len > 0) {
			ccid_decode_intr(f->dec, ev->data, ev->len, &s->t);
			emit(s, d, ev, 'i', ev->data[0] == 0x51 && ev->len > 1 ?
			     ev->data[1] : -1, ev->data, ev->len);
		}
		break;
	default:
		break;
	}
}

static int on_event(void *arg, const struct ccid_usb_event *ev)
{
	struct dec_state *s = arg;
	struct dec_dev *d;

	if (!s->have_t0) {
		s->have_t0 = true;
		s->t0 = ev->ts_ns;
	}
	s->events++;
	d = dec_find(s, ev->bus, ev->dev, !s->pass2);
	if (d == NULL)
		return s->oom ? CCID_E_NOMEM : 0;
	if (!s->pass2)
		pass1_event(s, d, ev);
	else if (d->nif > 0)
		pass2_event(s, d, ev);
	return s->oom ? CCID_E_NOMEM : 0;
}

/* ---- the command ---- */

static int read_all(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t cap = 0, n;
	uint8_t *b = NULL, *nb;

	*len = 0;
	if (f == NULL)
		return errno;
	for (;;) {
		if (*len == cap) {
			cap = cap ? cap * 2 : 65536;
			nb = realloc(b, cap);
			if (nb == NULL) {
				free(b);
				if (f != stdin)
					fclose(f);
				return ENOMEM;
			}
			b = nb;
		}
		n = fread(b + *len, 1, cap - *len, f);
		*len += n;
		if (n == 0)
			break;
	}
	n = (size_t)ferror(f);
	if (f != stdin)
		fclose(f);
	if (n != 0) {
		free(b);
		return EIO;
	}
	*buf = b;
	return 0;
}

/* "BUS:DEV", decimal, as lsusb and usbmon number them ("1:5", "001:005"). */
static bool parse_busdev(const char *arg, unsigned *bus, unsigned *dev)
{
	char *end;
	unsigned long b, d;

	if (*arg < '0' || *arg > '9')
		return false;
	b = strtoul(arg, &end, 10);
	if (*end != ':' || end[1] < '0' || end[1] > '9')
		return false;
	d = strtoul(end + 1, &end, 10);
	if (*end != '\0' || b > 0xFFFF || d > 0xFFFF)
		return false;
	*bus = (unsigned)b;
	*dev = (unsigned)d;
	return true;
}

static int parse_opts(int argc, char **argv, struct dec_opts *o, int *argi)
{
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "slot", required_argument, NULL, 's' },
		{ "type", required_argument, NULL, 't' },
		{ "show-secrets", no_argument, NULL, 'S' },
		{ "raw", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	unsigned long v;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "d:s:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (!parse_busdev(optarg, &o->bus, &o->dev)) {
				fprintf(stderr, "ccidkit decode: --device wants BUS:DEV, e.g. 1:5, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			o->have_dev = true;
			break;
		case 's':
			v = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' || v > 255) {
				fprintf(stderr, "ccidkit decode: --slot wants a number 0-255, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			o->slot = (int)v;
			break;
		case 't': {
			uint8_t types[4];
			size_t n = ccid_decode_msg_lookup(optarg, types);

			if (n == 0) {
				fprintf(stderr, "ccidkit decode: unknown message type '%s' (e.g. XfrBlock, DataBlock, IccPowerOn, NotifySlotChange)\n", optarg);
				return EXIT_USAGE;
			}
			for (size_t i = 0; i < n && o->ntypes < DEC_MAX_TYPES; i++)
				o->types[o->ntypes++] = types[i];
			break;
		}
		case 'S':
			o->dopts.show_secrets = true;
			break;
		case 'R':
			o->raw = true;
			break;
		case 'h':
			fputs(decode_usage, stdout);
			return -1;
		default:
			fprintf(stderr, "ccidkit decode: bad option '%s'\n%s",
				argv[optind - 1], decode_usage);
			return EXIT_USAGE;
		}
	}
	*argi = optind;
	return EXIT_OK;
}

static void free_state(struct dec_state *s)
{
	for (size_t i = 0; i < s->ndevs; i++)
		for (unsigned k = 0; k < s->devs[i].nif; k++) {
			ccid_decoder_free(&s->devs[i].ifs[k].dec);
			free(s->devs[i].ifs[k].in.buf);
			free(s->devs[i].ifs[k].out.buf);
		}
	free(s->devs);
	ccid_text_free(&s->t);
}

/* Say why a capture could not be read (ccid_capture_read's err, why). */
static void read_failed(const char *path, int err, const char *why,
			unsigned long events)
{
	if (*why == '\0')
		why = ccid_strerror(err);
	if (err == CCID_E_NOMEM)
		fprintf(stderr, "ccidkit decode: out of memory\n");
	else if (err == CCID_E_NOT_SUPPORTED)
		fprintf(stderr, "ccidkit decode: %s: not a USB capture: %s\n", path, why);
	else if (events > 0)
		fprintf(stderr, "ccidkit decode: %s: capture cut short after %lu USB events: %s\n",
			path, events, why);
	else
		fprintf(stderr, "ccidkit decode: %s: not a pcap or pcapng capture: %s\n",
			path, why);
}

/* Pass 1 learns the devices, pass 2 prints.  A capture that ends in a
 * malformed or truncated record is decoded up to there, then reported
 * (exit 1). */
static int decode_buf(struct dec_state *s, const char *path,
		      const uint8_t *buf, size_t len)
{
	char why[256] = "";
	size_t nccid;
	int err;

	err = ccid_capture_read(buf, len, on_event, s, why, sizeof(why));
	if (s->oom)
		err = CCID_E_NOMEM;
	if (err != CCID_OK && (err != CCID_E_PROTO || s->events == 0)) {
		read_failed(path, err, why, s->events);
		return err == CCID_E_NOMEM ? EXIT_FAILURE_ : EXIT_USAGE;
	}
	if (setup_devices(s, &nccid) != CCID_OK) {
		read_failed(path, CCID_E_NOMEM, "", 0);
		return EXIT_FAILURE_;
	}
	if (nccid == 0) {
		if (err != CCID_OK)
			read_failed(path, err, why, s->events);
		fprintf(stderr, "ccidkit decode: %s: no CCID traffic in this capture (%lu USB events)\n",
			path, s->events);
		return EXIT_FAILURE_;
	}
	s->pass2 = true;
	s->have_t0 = false;
	s->events = 0;
	err = ccid_capture_read(buf, len, on_event, s, why, sizeof(why));
	if (fflush(stdout) != 0)
		return EXIT_FAILURE_;
	if (s->oom || s->t.oom)
		err = CCID_E_NOMEM;
	if (err != CCID_OK) {
		read_failed(path, err, why, s->events);
		return EXIT_FAILURE_;
	}
	return EXIT_OK;
}

static int decode_file(const char *path, const struct dec_opts *o)
{
	struct dec_state s = { .o = o };
	uint8_t *buf = NULL;
	size_t len;
	int rc, e = read_all(path, &buf, &len);

	if (e != 0) {
		fprintf(stderr, "ccidkit decode: cannot read %s: %s\n", path, strerror(e));
		return EXIT_USAGE;
	}
	ccid_text_init(&s.t);
	rc = decode_buf(&s, path, buf, len);
	free_state(&s);
	free(buf);
	return rc;
}

int cmd_decode(int argc, char **argv)
{
	struct dec_opts o = { .slot = -1 };
	int argi, rc = parse_opts(argc, argv, &o, &argi);

	if (rc < 0)
		return EXIT_OK;
	if (rc != EXIT_OK)
		return rc;
	if (argi != argc - 1) {
		fprintf(stderr, "ccidkit decode: %s\n%s",
			argi == argc ? "which capture file?" : "one capture file at a time",
			decode_usage);
		return EXIT_USAGE;
	}
	if (cli_show_secrets)
		o.dopts.show_secrets = true;
	return decode_file(argv[argi], &o);
}
