/* ccidkit fuzzing — a transport scripted by the fuzzer's input, shared by
 * fuzz_slot and fuzz_pseudo (header-only: every symbol is static, so each
 * target still defines nothing but LLVMFuzzerTestOneInput).
 *
 * Input layout (fz_tp_new): one flags byte (bit 0: the reader has an
 * interrupt pipe), one length byte n, n bytes of CCID class descriptor
 * (CCID 1.1 §5.1, at most 64), then the script, consumed op by op:
 *
 *  bulk_out   always accepted; remembers bMessageType, bSlot and bSeq of
 *             the command (CCID 1.1 §6.1: offsets 0, 5, 6).
 *  bulk_in    one control byte c:
 *               c >= 0xE0  the op fails with fz_faults[c & 7] (NO_DEVICE
 *                          sticks, as transport.h requires)
 *               c >= 0xC0  the next chunk (same format as below) is
 *                          delivered to the interrupt callback first, then
 *                          another control byte is read
 *               otherwise  a chunk: length in one byte (two, LE, when
 *                          c & 0x10), then that many bytes.  Unless c says
 *                          otherwise the reply is made plausible so the
 *                          fuzzer reaches the deep states: bSeq (c & 1
 *                          keeps the input's), bSlot (c & 2), dwLength
 *                          (c & 4) and bMessageType (c & 8) are patched
 *                          to match the last command.
 *  control    one control byte: bit 7 set: fails with fz_faults[c & 7];
 *             otherwise IN transfers receive min(c & 0x7F, wLength) bytes
 *             of input, OUT transfers succeed.
 *
 * When the script is exhausted every bulk_in and control returns
 * CCID_E_TIMEOUT at once (no op ever sleeps), so every exchange ends. */
#ifndef CCID_TESTS_FUZZ_STATEFUL_TP_H
#define CCID_TESTS_FUZZ_STATEFUL_TP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccid/err.h"
#include "ccid/transport.h"

struct fz_tp {
	struct ccid_transport base; /* first: cast back from the reader's */
	const uint8_t *p;           /* script left */
	size_t n;
	bool gone;
	uint8_t last_type, last_slot, last_seq;
	ccid_intr_cb cb;
	void *cb_arg;
};

static const int fz_faults[8] = {
	CCID_E_TIMEOUT, CCID_E_NO_DEVICE, CCID_E_IO,    CCID_E_PROTO,
	CCID_E_OVERFLOW, CCID_E_BUSY,     CCID_E_NOMEM, CCID_E_TIMEOUT,
};

/* CCIDKIT_FUZZ_VERBOSE set: say what each step returned (seed checks). */
static void fz_say(const char *what, int rc)
{
	static int verbose = -1;

	if (verbose < 0)
		verbose = getenv("CCIDKIT_FUZZ_VERBOSE") != NULL;
	if (verbose)
		fprintf(stderr, "fuzz: %s -> %s\n", what, ccid_errname(rc));
}

static struct fz_tp *fz_of(struct ccid_transport *tp)
{
	return (struct fz_tp *)(void *)tp;
}

static bool fz_byte(struct fz_tp *f, uint8_t *b)
{
	if (f->n == 0)
		return false;
	*b = *f->p++;
	f->n--;
	return true;
}

/* A chunk: its length (1 or 2 bytes), then up to that many bytes (fewer
 * when the input ends). */
static size_t fz_chunk(struct fz_tp *f, bool wide, const uint8_t **data)
{
	uint8_t lo = 0, hi = 0;
	size_t len;

	if (!fz_byte(f, &lo) || (wide && !fz_byte(f, &hi)))
		return 0;
	len = (size_t)lo | (size_t)hi << 8;
	if (len > f->n)
		len = f->n;
	*data = f->p;
	f->p += len;
	f->n -= len;
	return len;
}

/* The RDR_to_PC message type answering a PC_to_RDR one (CCID 1.1 §6.2). */
static uint8_t fz_reply_type(uint8_t cmd)
{
	switch (cmd) {
	case 0x62: case 0x6F: case 0x69:
		return 0x80; /* RDR_to_PC_DataBlock */
	case 0x61: case 0x6C: case 0x6D:
		return 0x82; /* RDR_to_PC_Parameters */
	case 0x6B:
		return 0x83; /* RDR_to_PC_Escape */
	case 0x73:
		return 0x84; /* RDR_to_PC_DataRateAndClockFrequency */
	default:
		return 0x81; /* RDR_to_PC_SlotStatus */
	}
}

static void fz_patch(struct fz_tp *f, uint8_t c, uint8_t *buf, size_t len)
{
	if (len < 10)
		return;
	if (!(c & 1))
		buf[6] = f->last_seq;
	if (!(c & 2))
		buf[5] = f->last_slot;
	if (!(c & 4)) {
		uint32_t dl = (uint32_t)(len - 10);

		buf[1] = (uint8_t)dl;
		buf[2] = (uint8_t)(dl >> 8);
		buf[3] = (uint8_t)(dl >> 16);
		buf[4] = (uint8_t)(dl >> 24);
	}
	if (!(c & 8))
		buf[0] = fz_reply_type(f->last_type);
}

static int fz_bulk_out(struct ccid_transport *tp, const uint8_t *buf,
		       size_t len, uint64_t deadline)
{
	struct fz_tp *f = fz_of(tp);

	(void)deadline;
	if (f->gone)
		return CCID_E_NO_DEVICE;
	if (len >= 10) {
		f->last_type = buf[0];
		f->last_slot = buf[5];
		f->last_seq = buf[6];
	}
	return CCID_OK;
}

static int fz_fault(struct fz_tp *f, uint8_t c)
{
	int err = fz_faults[c & 7];

	if (err == CCID_E_NO_DEVICE)
		f->gone = true;
	return err;
}

static int fz_bulk_in(struct ccid_transport *tp, uint8_t *buf, size_t cap,
		      size_t *len, uint64_t deadline)
{
	struct fz_tp *f = fz_of(tp);
	const uint8_t *data = NULL;
	size_t n;
	uint8_t c;

	(void)deadline;
	*len = 0;
	if (f->gone)
		return CCID_E_NO_DEVICE;
	for (;;) {
		if (!fz_byte(f, &c))
			return CCID_E_TIMEOUT;
		if (c >= 0xE0)
			return fz_fault(f, c);
		if (c < 0xC0)
			break;
		/* an interrupt-IN message first (it would arrive on the
		 * transport's thread; the reader holds only io_lock now) */
		n = fz_chunk(f, false, &data);
		if (f->cb != NULL)
			f->cb(f->cb_arg, data, n);
	}
	n = fz_chunk(f, c & 0x10, &data);
	if (n > cap)
		n = cap;
	if (n > 0)
		memcpy(buf, data, n);
	fz_patch(f, c, buf, n);
	*len = n;
	return CCID_OK;
}

static int fz_control(struct ccid_transport *tp, uint8_t bmRequestType,
		      uint8_t bRequest, uint16_t wValue, uint8_t *data,
		      uint16_t wLength, size_t *actual, uint64_t deadline)
{
	struct fz_tp *f = fz_of(tp);
	size_t n;
	uint8_t c;

	(void)bRequest;
	(void)wValue;
	(void)deadline;
	if (actual != NULL)
		*actual = 0;
	if (f->gone)
		return CCID_E_NO_DEVICE;
	if (!fz_byte(f, &c))
		return CCID_E_TIMEOUT;
	if (c & 0x80)
		return fz_fault(f, c);
	if (!(bmRequestType & 0x80) || data == NULL)
		return CCID_OK;
	n = c & 0x7F;
	if (n > wLength)
		n = wLength;
	if (n > f->n)
		n = f->n;
	memcpy(data, f->p, n);
	f->p += n;
	f->n -= n;
	if (actual != NULL)
		*actual = n;
	return CCID_OK;
}

static int fz_intr_start(struct ccid_transport *tp, ccid_intr_cb cb, void *arg)
{
	struct fz_tp *f = fz_of(tp);

	if (!f->base.info.has_interrupt)
		return CCID_E_NOT_SUPPORTED;
	f->cb = cb;
	f->cb_arg = arg;
	return CCID_OK;
}

static void fz_intr_stop(struct ccid_transport *tp)
{
	fz_of(tp)->cb = NULL;
}

static void fz_close(struct ccid_transport *tp)
{
	free(fz_of(tp));
}

static const struct ccid_transport_ops fz_ops = {
	.name = "fuzz",
	.bulk_out = fz_bulk_out,
	.bulk_in = fz_bulk_in,
	.control = fz_control,
	.intr_start = fz_intr_start,
	.intr_stop = fz_intr_stop,
	.close = fz_close,
};

/* A transport over (data, size) as described above; NULL when the input
 * is too short for its header or memory ran out.  The caller hands it to
 * ccid_reader_new (which closes it) or closes it itself. */
static struct fz_tp *fz_tp_new(const uint8_t *data, size_t size)
{
	struct fz_tp *f;
	size_t dlen;

	if (size < 2)
		return NULL;
	dlen = data[1];
	if (dlen > sizeof(f->base.info.class_desc) || size < 2 + dlen)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->base.ops = &fz_ops;
	f->base.info.idVendor = 0x08e6;
	f->base.info.idProduct = 0x3437;
	f->base.info.bInterfaceClass = 0x0B;
	f->base.info.has_interrupt = data[0] & 1;
	strcpy(f->base.info.manufacturer, "Fuzz");
	strcpy(f->base.info.product, "Reader");
	strcpy(f->base.info.location, "fuzz:0");
	memcpy(f->base.info.class_desc, data + 2, dlen);
	f->base.info.class_desc_len = dlen;
	f->p = data + 2 + dlen;
	f->n = size - 2 - dlen;
	return f;
}

#endif
