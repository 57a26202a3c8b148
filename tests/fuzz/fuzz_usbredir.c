/* ccidkit fuzzing — the usbredir transport (ccid/tp_usbredir.c) against a
 * hostile usb-host: ccid_tp_usbredir_open connects to a unix socket whose
 * peer (a thread here) answers with bytes from the input, then the reader
 * on top powers the card and exchanges an APDU.  Everything must end in a
 * clean error once the peer hangs up, with nothing leaked.
 *
 * The peer is reactive, so the conversation does not depend on thread
 * timing: it waits for one whole packet from the client (usbredir header:
 * type, length, id; the id is 32 bits until both hellos announced
 * usb_redir_cap_64bits_ids), then writes the next chunk of the input.  A
 * chunk is a flags byte, a length (2 bytes LE) and that many bytes:
 *   flags bit 0  rewrite the id of every packet in the chunk to the id of
 *                the client packet just read (so answers can match
 *                requests without the fuzzer guessing ids);
 *   flags bit 1  do not wait for a client packet before this chunk.
 * When the input ends, or the client sends nothing for PEER_IDLE_MS, the
 * peer closes the connection.
 *
 * The peer listens on fuzz_listener.h's socket. */
#include "config.h"

#include <errno.h>
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

#include "ccid/clock.h"
#include "ccid/err.h"
#include "ccid/reader.h"
#include "ccid/slot.h"
#include "ccid/transport.h"
#include "fuzz_listener.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PEER_IDLE_MS 10
#define OPEN_BUDGET_MS 1000u
#define REDIR_HELLO 0u
#define CAP_64BITS_IDS 5u

static const struct fuzz_listener *g_lis;

struct peer {
	const uint8_t *p;
	size_t n;
	int fd;
	bool client_64, our_64, hellos; /* id width negotiation */
	uint64_t last_id;
};

static size_t hdr_len(const struct peer *pe)
{
	return pe->hellos && pe->client_64 && pe->our_64 ? 16 : 12;
}

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static bool hello_has_64(const uint8_t *payload, uint32_t len)
{
	/* usb_redir_hello_header: char version[64], uint32_t caps[] */
	return len >= 68 && (le32(payload + 64) >> CAP_64BITS_IDS & 1);
}

/* Read exactly n bytes, waiting at most PEER_IDLE_MS for each part. */
static bool read_full(int fd, uint8_t *buf, size_t n)
{
	while (n > 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t got;

		if (poll(&p, 1, PEER_IDLE_MS) <= 0)
			return false;
		got = recv(fd, buf, n, 0);
		if (got <= 0)
			return false;
		buf += got;
		n -= (size_t)got;
	}
	return true;
}

/* One whole client packet; remembers its id and its hello's caps. */
static bool read_client_packet(struct peer *pe)
{
	uint8_t h[16], skip[512];
	size_t hl = hdr_len(pe);
	uint32_t type, len;
	bool hello;

	if (!read_full(pe->fd, h, hl))
		return false;
	type = le32(h);
	len = le32(h + 4);
	pe->last_id = hl == 16 ? (uint64_t)le32(h + 8) | (uint64_t)le32(h + 12) << 32
			       : le32(h + 8);
	hello = type == REDIR_HELLO;
	while (len > 0) {
		size_t part = len < sizeof(skip) ? len : sizeof(skip);

		if (!read_full(pe->fd, skip, part))
			return false;
		if (hello && part == len && len < sizeof(skip))
			pe->client_64 = hello_has_64(skip, len);
		len -= (uint32_t)part;
	}
	return true;
}

/* Walk our own packets in chunk (c, n): patch ids, note our hello. */
static void chunk_fixup(struct peer *pe, uint8_t *c, size_t n, bool patch)
{
	size_t off = 0;

	while (off + hdr_len(pe) <= n) {
		size_t hl = hdr_len(pe);
		uint32_t type = le32(c + off), len = le32(c + off + 4);

		if (patch)
			for (size_t i = 0; i < hl - 8; i++)
				c[off + 8 + i] = (uint8_t)(pe->last_id >> (8 * i));
		if (type == REDIR_HELLO && len <= n - off - hl) {
			pe->our_64 = hello_has_64(c + off + hl, len);
			pe->hellos = true;
		}
		if (len > n - off - hl)
			break;
		off += hl + len;
	}
}

static void peer_converse(struct peer *pe)
{
	static uint8_t buf[65536];

	while (pe->n >= 3) {
		uint8_t flags = pe->p[0];
		size_t len = (size_t)(pe->p[1] | pe->p[2] << 8);

		pe->p += 3;
		pe->n -= 3;
		if (len > pe->n)
			len = pe->n;
		if (!(flags & 2) && !read_client_packet(pe))
			break;
		memcpy(buf, pe->p, len);
		pe->p += len;
		pe->n -= len;
		chunk_fixup(pe, buf, len, flags & 1);
		if (send(pe->fd, buf, len, MSG_NOSIGNAL) != (ssize_t)len)
			break;
	}
}

static void *peer_main(void *arg)
{
	struct peer *pe = arg;
	struct pollfd lp = { .fd = g_lis->fd, .events = POLLIN };

	/* the client connects at once; a second is a generous bound */
	if (poll(&lp, 1, 1000) <= 0)
		return NULL;
	pe->fd = accept(g_lis->fd, NULL, NULL);
	if (pe->fd < 0)
		return NULL;
	peer_converse(pe);
	/* hang up: the client sees EOF and every wait of it ends; then
	 * wait for its close so no connection outlives this input */
	shutdown(pe->fd, SHUT_WR);
	for (uint8_t sink[256];;) {
		struct pollfd p = { .fd = pe->fd, .events = POLLIN };

		if (poll(&p, 1, 1000) <= 0 ||
		    recv(pe->fd, sink, sizeof(sink), 0) <= 0)
			break;
	}
	close(pe->fd);
	return NULL;
}

/* What a client does with a reader behind the transport. */
static void use_reader(struct ccid_transport *tp, uint64_t dl)
{
	static const uint8_t apdu[] = { 0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F,
					0x00, 0x00 };
	struct ccid_reader *r = NULL;
	uint8_t atr[CCID_ATR_MAX], resp[258];
	size_t atr_len, rlen;

	if (ccid_reader_new(tp, dl, &r) != CCID_OK)
		return;
	if (ccid_slot_power_on(r, 0, atr, sizeof(atr), &atr_len, dl) ==
	    CCID_OK) {
		ccid_slot_transmit(r, 0, apdu, sizeof(apdu), resp,
				   sizeof(resp), &rlen, dl);
		ccid_slot_power_off(r, 0, dl);
	}
	ccid_reader_unref(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ccid_transport *tp = NULL;
	struct peer pe = { .p = data, .n = size, .fd = -1 };
	pthread_t th;
	uint64_t dl;

	g_lis = fuzz_listener(0);
	if (g_lis == NULL)
		abort(); /* no temporary directory: nothing can be tested */
	if (pthread_create(&th, NULL, peer_main, &pe) != 0)
		abort();
	dl = ccid_deadline_in(OPEN_BUDGET_MS);
	if (ccid_tp_usbredir_open(g_lis->endpoint, dl, &tp) == CCID_OK)
		use_reader(tp, dl); /* takes tp */
	pthread_join(th, NULL);
	return 0;
}
