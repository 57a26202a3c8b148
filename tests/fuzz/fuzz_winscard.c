/* ccidkit fuzzing — the winscard API (pcsc-api/) driven by a call script
 * from the input, against the virtual reader's own code (src/vr_*.c,
 * libvreader) served in a thread of this process.
 *
 * Why this design: spawning `ccidkit vreader` per input is far too slow,
 * and a reader scripted byte by byte (as fuzz_slot/fuzz_usbredir do) would
 * make the library's own timing (the manager's poller, reconnections)
 * decide which reply answers which request.  The vreader code answers
 * every request whenever it comes, like hardware, so a script gives the
 * same conversation every run; the input chooses the reader model, level,
 * card and fault plan (the `--fault` kinds that do not make the library
 * wait for a timeout), and the sequence of SCard calls with their modes,
 * buffers and APDUs.  The protocol parsers themselves are fuzzed by
 * fuzz_slot, fuzz_usbredir and the parser targets.
 *
 * Input: 3 configuration bytes, fault bytes, then operations (one byte
 * each, some followed by argument bytes; see run_op).  At most MAX_OPS
 * operations; GetStatusChange waits at most 15 ms.  Every context is
 * released at the end, which stops the driver (pcsc-api: the last
 * context ends it), then the virtual reader stops.
 *
 * The virtual reader listens on fuzz_listener.h's socket (the library
 * reaches readers only through CCIDKIT_USBREDIR=unix:PATH). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <winscard.h>
#include <reader.h>

#include "src/vr_card.h"
#include "src/vr_ccid.h"
#include "src/vr_usb.h"
#include "fuzz_listener.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OPS 40
#define MAX_CTX 2
#define MAX_HANDLES 4

static int g_listen = -1;

/* ---- the virtual reader thread ---- */

struct vr {
	struct vr_ccid *ccid;
	struct vr_usb *usb;
	struct vr_usb_config usb_cfg;
	int cmd[2];  /* command pipe: main -> reader thread */
	int ack[2];  /* acknowledgements: reader thread -> main */
	bool stop;
};

/* The listener, and the environment that makes the library use only it. */
static bool listener_init(void)
{
	const struct fuzz_listener *l;

	if (g_listen >= 0)
		return true;
	l = fuzz_listener(SOCK_NONBLOCK);
	if (l == NULL)
		return false;
	g_listen = l->fd;
	/* only our reader: no USB scan, no sharing files */
	setenv("CCIDKIT_USBREDIR", l->endpoint, 1);
	setenv("CCIDKIT_LIBUSB", "0", 1);
	setenv("CCIDKIT_SHARE", "0", 1);
	return true;
}

static void vr_drop(struct vr *v)
{
	vr_usb_free(&v->usb);
	vr_ccid_reset(v->ccid);
}

/* A command from the main thread: 'i'/'r' + slot (insert/remove), 'q'. */
static void vr_command(struct vr *v)
{
	uint8_t c[2];

	if (read(v->cmd[0], c, 2) != 2) {
		v->stop = true;
		return;
	}
	if (c[0] == 'q')
		v->stop = true;
	else if (c[0] == 'i')
		vr_ccid_insert(v->ccid, c[1], NULL);
	else if (c[0] == 'r')
		vr_ccid_remove(v->ccid, c[1]);
	if (v->usb != NULL)
		vr_usb_service(v->usb);
	if (write(v->ack[1], c, 1) != 1)
		v->stop = true;
}

static void vr_accept(struct vr *v)
{
	int fd = accept4(g_listen, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	if (v->usb != NULL) { /* one client at a time, as the vreader */
		close(fd);
		return;
	}
	vr_ccid_reset(v->ccid);
	v->usb = vr_usb_new(&v->usb_cfg, v->ccid, fd);
	if (v->usb == NULL)
		close(fd);
}

/* The loop of src/vreader.c (poll_once), with a command pipe for stdin. */
static void *vr_main(void *arg)
{
	struct vr *v = arg;

	while (!v->stop) {
		struct pollfd pfd[3] = {
			{ .fd = g_listen, .events = POLLIN },
			{ .fd = v->cmd[0], .events = POLLIN },
			{ .fd = -1 },
		};

		if (v->usb != NULL)
			pfd[2] = (struct pollfd){
				.fd = vr_usb_fd(v->usb),
				.events = POLLIN | (vr_usb_want_write(v->usb) ?
						    POLLOUT : 0),
			};
		if (poll(pfd, 3, -1) < 0)
			continue;
		if (pfd[1].revents)
			vr_command(v);
		if (v->usb != NULL &&
		    (pfd[2].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    vr_usb_on_readable(v->usb) < 0)
			vr_drop(v);
		if (pfd[0].revents & POLLIN)
			vr_accept(v);
		if (v->usb != NULL && vr_usb_flush(v->usb) < 0)
			vr_drop(v);
	}
	vr_usb_free(&v->usb);
	return NULL;
}

static void vr_send(struct vr *v, char c, uint8_t slot)
{
	uint8_t m[2] = { (uint8_t)c, slot }, a;

	if (write(v->cmd[1], m, 2) == 2 && c != 'q')
		(void)!read(v->ack[0], &a, 1);
}

/* ---- the input ---- */

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t in_byte(struct in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static const char *const card_names[] = {
	"test", "test-t0", "mifare-classic-1k", "mifare-ultralight",
	"iso14443-4", NULL,
};

/* Faults whose effect the library sees at once.  LOSE_BLOCK, STALL and
 * SHORT make it wait for a timeout: no answer, or the rest of a message
 * whose dwLength promises more (up to the caller's deadline, 10 s in
 * SCardEstablishContext), far too slow to fuzz. */
static const enum vr_fault_kind fast_faults[] = {
	VR_FAULT_BAD_EDC,       VR_FAULT_WTX,         VR_FAULT_MUTE,
	VR_FAULT_BAD_PROCEDURE, VR_FAULT_PPS_REFUSED, VR_FAULT_WRONG_BSEQ,
	VR_FAULT_SPLIT,         VR_FAULT_DISCONNECT_AFTER, VR_FAULT_HANGUP,
};

/* Configuration bytes:
 *  b0: bits 0-1 reader model (3 = contact), bits 2-3 level (TPDU, short,
 *      extended, extended), bit 4 interrupt endpoint, bit 5 auto voltage,
 *      bit 6 no auto PPS, bit 7 escape answered;
 *  b1: bit 0 two slots, bits 1-3 card (card_names, 5..7 none), bit 4 T=1
 *      CRC, bit 5 T=0 card without ENVELOPE, bit 6 one time extension,
 *      bit 7 reader negotiates everything;
 *  b2: number of faults (0..3) in bits 0-1, each then a byte: kind
 *      (fast_faults, modulo) in bits 0-3, count 1..4 in bits 4-5. */
static bool vr_config(struct in *in, struct vr_ccid_config *c,
		      struct vr_usb_config *u)
{
	static const enum vr_level levels[] = {
		VR_LEVEL_TPDU, VR_LEVEL_SHORT, VR_LEVEL_EXTENDED,
		VR_LEVEL_EXTENDED,
	};
	uint8_t b0 = in_byte(in), b1 = in_byte(in), b2 = in_byte(in);
	unsigned card = (b1 >> 1) & 7;

	memset(c, 0, sizeof(*c));
	c->reader = (b0 & 3) == 3 ? VR_READER_CONTACT : (enum vr_reader)(b0 & 3);
	c->level = levels[(b0 >> 2) & 3];
	/* contactless and PIN pad readers exist at APDU levels only */
	if (c->reader != VR_READER_CONTACT && c->level == VR_LEVEL_TPDU)
		c->level = VR_LEVEL_SHORT;
	c->nslots = (b1 & 1) ? 2 : 1;
	c->dwMaxCCIDMessageLength = c->level == VR_LEVEL_EXTENDED ? 65554 : 271;
	c->auto_voltage = b0 & 0x20;
	c->card_class = 1;
	c->time_extension = (b1 >> 6) & 1;
	c->start_card = card < 5 ? vr_card_find(card_names[card]) : NULL;
	c->insert_card = vr_card_find(card_names[card < 5 ? card : 0]);
	c->ifsc = 32;
	c->t1_crc = b1 & 0x10;
	c->no_envelope = b1 & 0x20;
	c->no_auto_pps = b0 & 0x40;
	c->auto_negotiate = b1 & 0x80;
	c->escape = b0 & 0x80;
	for (unsigned i = 0; i < (b2 & 3u); i++) {
		uint8_t f = in_byte(in);
		enum vr_fault_kind k =
			fast_faults[(f & 15) % (sizeof(fast_faults) /
						sizeof(fast_faults[0]))];

		c->faults.n[k] += 1u + ((f >> 4) & 3u);
	}
	memset(u, 0, sizeof(*u));
	u->idVendor = 0x1D50;
	u->idProduct = 0x6170;
	u->bcdDevice = 0x0100;
	u->manufacturer = "ccidkit";
	u->product = "Fuzz Reader";
	u->interrupt_ep = b0 & 0x10;
	return c->start_card != NULL || card >= 5;
}

/* ---- the call script ---- */

struct st {
	SCARDCONTEXT ctx[MAX_CTX];
	SCARDHANDLE h[MAX_HANDLES];
	DWORD proto[MAX_HANDLES]; /* what Connect/Reconnect made active */
	int hctx[MAX_HANDLES];    /* the context a handle belongs to */
	unsigned tx[MAX_HANDLES]; /* transactions begun on it (they nest,
				   * as in pcsc-lite: one End per Begin) */
	char names[2][128]; /* reader names from the last ListReaders */
	DWORD event[3];     /* last dwEventState per reader, PnP */
	struct vr *v;
};

static SCARDCONTEXT pick_ctx(const struct st *s, uint8_t a)
{
	/* bit 7: a stale or made-up handle (API misuse) */
	return (a & 0x80) ? (SCARDCONTEXT)(0x1234u + (a & 3)) : s->ctx[a & 1];
}

static SCARDHANDLE pick_h(const struct st *s, uint8_t a)
{
	return (a & 0x80) ? (SCARDHANDLE)(0x4321u + (a & 3)) : s->h[a & 3];
}

static void op_establish(struct st *s, uint8_t a)
{
	SCARDCONTEXT *c = &s->ctx[a & 1];

	if (*c != 0)
		return;
	/* scopes 0..3 are valid, 4..7 SCARD_E_INVALID_VALUE */
	if (SCardEstablishContext((a >> 1) & 7, NULL, NULL, c) !=
	    SCARD_S_SUCCESS)
		*c = 0;
}

static void op_release(struct st *s, uint8_t a)
{
	if (SCardReleaseContext(pick_ctx(s, a)) != SCARD_S_SUCCESS ||
	    (a & 0x80))
		return;
	s->ctx[a & 1] = 0;
	/* its handles went with it (and their transactions) */
	for (int i = 0; i < MAX_HANDLES; i++)
		if (s->hctx[i] == (a & 1)) {
			s->h[i] = 0;
			s->tx[i] = 0;
		}
}

static bool any_tx(const struct st *s)
{
	for (int i = 0; i < MAX_HANDLES; i++)
		if (s->tx[i] > 0)
			return true;
	return false;
}

static void keep_names(struct st *s, const char *ms, DWORD len)
{
	DWORD off = 0;

	for (int i = 0; i < 2; i++) {
		size_t n = off < len ? strnlen(ms + off, len - off) : 0;

		if (n == 0 || n >= sizeof(s->names[i]))
			return;
		memcpy(s->names[i], ms + off, n);
		s->names[i][n] = '\0';
		off += (DWORD)n + 1;
	}
}

static void op_list(struct st *s, uint8_t a)
{
	char buf[512], *auto_buf = NULL;
	DWORD len = 0;

	switch ((a >> 1) & 3) {
	case 0: /* the length only (the library reads *pcch even then, as
		 * pcsc-lite does: SCARD_AUTOALLOCATE with no buffer is an
		 * error, so it must hold a value) */
		SCardListReaders(pick_ctx(s, a), NULL, NULL, &len);
		break;
	case 1:
		len = SCARD_AUTOALLOCATE;
		if (SCardListReaders(pick_ctx(s, a), NULL, (LPSTR)&auto_buf,
				     &len) == SCARD_S_SUCCESS) {
			keep_names(s, auto_buf, len);
			SCardFreeMemory(pick_ctx(s, a), auto_buf);
		}
		break;
	case 2: /* too short */
		len = 8;
		SCardListReaders(pick_ctx(s, a), NULL, buf, &len);
		break;
	default:
		len = sizeof(buf);
		if (SCardListReaders(pick_ctx(s, a), NULL, buf, &len) ==
		    SCARD_S_SUCCESS)
			keep_names(s, buf, len);
	}
}

static void op_status_change(struct st *s, uint8_t a, uint8_t b)
{
	SCARD_READERSTATE rs[3];
	DWORD n = 0;

	memset(rs, 0, sizeof(rs));
	for (int i = 0; i < 2; i++)
		if (b & (1u << i))
			rs[n++] = (SCARD_READERSTATE){
				.szReader = s->names[i][0] ? s->names[i] :
							     "no such reader",
				.dwCurrentState = (b & 0x10) ? SCARD_STATE_UNAWARE :
							       s->event[i],
			};
	if (b & 4)
		rs[n++] = (SCARD_READERSTATE){
			.szReader = "\\\\?PnP?\\Notification",
			.dwCurrentState = s->event[2],
		};
	/* at most 15 ms of waiting per call */
	SCardGetStatusChange(pick_ctx(s, a), 5u * ((b >> 5) & 3), rs, n);
	for (DWORD i = 0; i < n; i++)
		s->event[i] = rs[i].dwEventState & ~SCARD_STATE_CHANGED;
}

static void op_connect(struct st *s, uint8_t a, uint8_t b)
{
	DWORD proto = 0;
	const char *name = s->names[b & 1][0] ? s->names[b & 1] : "none";
	SCARDHANDLE h = 0;
	unsigned i = (b >> 6) & 3;

	/* SCardConnect waits while a transaction is held on the reader
	 * (pcsc-lite's winscard.c does the same, PCSCLITE_NO_BLOCKING or
	 * not): with one thread we would wait for ourselves */
	if (any_tx(s))
		return;
	/* share 1..3 valid (EXCLUSIVE, SHARED, DIRECT), 0 not; protocols
	 * any subset of T0 | T1 | RAW, 0 only with DIRECT */
	if (SCardConnect(pick_ctx(s, a), name, (b >> 1) & 3, (b >> 3) & 7, &h,
			 &proto) == SCARD_S_SUCCESS) {
		if (s->h[i] != 0)
			SCardDisconnect(s->h[i], SCARD_LEAVE_CARD);
		s->h[i] = h;
		s->proto[i] = proto;
		s->hctx[i] = (a & 0x80) ? -1 : (a & 1);
	}
}

static void op_reconnect(struct st *s, uint8_t a, uint8_t b)
{
	DWORD proto = 0;

	if (SCardReconnect(pick_h(s, a), b & 3, (b >> 2) & 7, (b >> 5) & 3,
			   &proto) == SCARD_S_SUCCESS)
		s->proto[a & 3] = proto;
}

static void op_disconnect(struct st *s, uint8_t a)
{
	if (SCardDisconnect(pick_h(s, a), (a >> 2) & 3) == SCARD_S_SUCCESS &&
	    !(a & 0x80)) {
		s->h[a & 3] = 0;
		s->tx[a & 3] = 0;
	}
}

static void op_begin(struct st *s, uint8_t a)
{
	if (SCardBeginTransaction(pick_h(s, a)) == SCARD_S_SUCCESS &&
	    !(a & 0x80))
		s->tx[a & 3]++;
}

static void op_end(struct st *s, uint8_t a)
{
	if (SCardEndTransaction(pick_h(s, a), (a >> 2) & 3) ==
	    SCARD_S_SUCCESS && !(a & 0x80) && s->tx[a & 3] > 0)
		s->tx[a & 3]--;
}

static void op_transmit(struct st *s, uint8_t a, struct in *in)
{
	static uint8_t resp[65538];
	const SCARD_IO_REQUEST *pcis[] = { SCARD_PCI_T0, SCARD_PCI_T1,
					   SCARD_PCI_RAW, NULL };
	const SCARD_IO_REQUEST *pci = pcis[(a >> 2) & 3];
	SCARD_IO_REQUEST recv_pci;
	uint8_t len = in_byte(in), apdu[255];
	DWORD rlen = (a & 0x40) ? 2 : sizeof(resp);

	for (unsigned i = 0; i < len; i++)
		apdu[i] = in_byte(in);
	/* pci 3: the protocol the handle has (T=0 or T=1), as callers do */
	if (((a >> 2) & 3) == 3)
		pci = s->proto[a & 3] == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 :
							      SCARD_PCI_T1;
	SCardTransmit(pick_h(s, a), pci, apdu, len,
		      (a & 0x20) ? &recv_pci : NULL, resp, &rlen);
}

static void op_control(struct st *s, uint8_t a, struct in *in)
{
	static const DWORD codes[] = {
		CM_IOCTL_GET_FEATURE_REQUEST, SCARD_CTL_CODE(1),
		SCARD_CTL_CODE(3500), SCARD_CTL_CODE(3400 + 1),
		SCARD_CTL_CODE(3400 + 6), SCARD_CTL_CODE(3400 + 10),
		SCARD_CTL_CODE(3400 + 18), 0,
	};
	uint8_t b = in_byte(in), len = in_byte(in), buf[255], out[512];
	DWORD code = codes[b & 7], got = 0;

	if ((b & 7) == 7)
		code = SCARD_CTL_CODE(3400 + (b >> 3));
	for (unsigned i = 0; i < len; i++)
		buf[i] = in_byte(in);
	SCardControl(pick_h(s, a), code, len ? buf : NULL, len, out,
		     (a & 0x40) ? 1 : sizeof(out), &got);
}

static void op_attrib(struct st *s, uint8_t a, uint8_t b)
{
	static const DWORD attrs[] = {
		SCARD_ATTR_VENDOR_NAME, SCARD_ATTR_ATR_STRING,
		SCARD_ATTR_DEVICE_FRIENDLY_NAME, SCARD_ATTR_CURRENT_PROTOCOL_TYPE,
		SCARD_ATTR_VENDOR_IFD_VERSION, SCARD_ATTR_MAXINPUT,
		SCARD_ATTR_CHANNEL_ID, SCARD_ATTR_ICC_PRESENCE,
	};
	uint8_t buf[300], *auto_buf = NULL;
	DWORD len = (b & 8) ? 1 : sizeof(buf);
	DWORD attr = (b & 0x80) ? (DWORD)b << 8 : attrs[b & 7];

	if (b & 0x10) {
		len = SCARD_AUTOALLOCATE;
		if (SCardGetAttrib(pick_h(s, a), attr, (LPBYTE)&auto_buf,
				   &len) == SCARD_S_SUCCESS)
			SCardFreeMemory(s->ctx[0] ? s->ctx[0] : s->ctx[1],
					auto_buf);
		return;
	}
	SCardGetAttrib(pick_h(s, a), attr, (b & 0x20) ? NULL : buf, &len);
}

static void op_status(struct st *s, uint8_t a)
{
	char name[256];
	BYTE atr[MAX_ATR_SIZE];
	DWORD nlen = (a & 0x10) ? 3 : sizeof(name), alen = (a & 0x20) ? 1 :
			sizeof(atr), state = 0, proto = 0;

	SCardStatus(pick_h(s, a), (a & 0x40) ? NULL : name, &nlen, &state,
		    &proto, atr, &alen);
}

/* One operation; false at the end of the input. */
static bool run_op(struct st *s, struct in *in)
{
	uint8_t op, a;

	if (in->n == 0)
		return false;
	op = in_byte(in);
	a = in_byte(in);
	switch (op & 15) {
	case 0: op_establish(s, a); break;
	case 1: op_release(s, a); break;
	case 2: op_list(s, a); break;
	case 3: op_status_change(s, a, in_byte(in)); break;
	case 4: op_connect(s, a, in_byte(in)); break;
	case 5: op_reconnect(s, a, in_byte(in)); break;
	case 6: op_disconnect(s, a); break;
	case 7: op_transmit(s, a, in); break;
	case 8: op_begin(s, a); break;
	case 9: op_end(s, a); break;
	case 10: op_control(s, a, in); break;
	case 11: op_attrib(s, a, in_byte(in)); break;
	case 12: op_status(s, a); break;
	case 13: SCardCancel(pick_ctx(s, a)); break;
	case 14: SCardIsValidContext(pick_ctx(s, a)); break;
	default: vr_send(s->v, (a & 2) ? 'i' : 'r', a & 1); break;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { .p = data, .n = size };
	struct vr_ccid_config cfg;
	struct vr v = { .cmd = { -1, -1 }, .ack = { -1, -1 } };
	struct st s = { .v = &v };
	pthread_t th;
	int err = 0;

	if (!listener_init())
		abort(); /* no temporary directory: nothing can be tested */
	setenv("PCSCLITE_NO_BLOCKING", "1", 1); /* one thread: never wait */
	if (size < 3 || !vr_config(&in, &cfg, &v.usb_cfg))
		return 0;
	v.ccid = vr_ccid_new(&cfg, &err);
	if (v.ccid == NULL)
		return 0;
	if (pipe2(v.cmd, O_CLOEXEC) < 0 || pipe2(v.ack, O_CLOEXEC) < 0 ||
	    pthread_create(&th, NULL, vr_main, &v) != 0)
		abort();
	for (unsigned i = 0; i < MAX_OPS && run_op(&s, &in); i++)
		;
	for (int i = 0; i < MAX_CTX; i++)
		if (s.ctx[i] != 0)
			SCardReleaseContext(s.ctx[i]);
	vr_send(&v, 'q', 0);
	pthread_join(th, NULL);
	/* a connection the library left behind would be accepted next */
	for (int fd; (fd = accept4(g_listen, NULL, NULL, SOCK_CLOEXEC)) >= 0;)
		close(fd);
	close(v.cmd[0]);
	close(v.cmd[1]);
	close(v.ack[0]);
	close(v.ack[1]);
	vr_ccid_free(&v.ccid);
	return 0;
}
