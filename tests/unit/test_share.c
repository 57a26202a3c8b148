/* ccidkit tests — one reader shared by several processes without a
 * daemon: the state file's record codec, its open file description locks,
 * and the reader-level hand-over (lease.c) against two scripted fakes
 * standing for the same USB interface.
 *
 * Two ccid_share (or two readers) opened on the same file in one process
 * behave like two processes: OFD locks of different open file
 * descriptions conflict.  Every test runs in a fresh CCIDKIT_LOCK_DIR. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ccid/clock.h"
#include "ccid/err.h"
#include "ccid/reader.h"
#include "ccid/share.h"
#include "ccid/slot.h"
#include "fake/fake_transport.h"

#define D5S ccid_deadline_in(5000)
#define KEY "usb-001-002-0" /* usb_bus 1, usb_addr 2, interface 0 */

/* ------------------------------------------------------------------ */
/* A fresh lock directory per test                                    */

struct env {
	char dir[64];
	char path[256]; /* scratch */
};

static int rm_tree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char sub[512];

	if (lstat(path, &st) != 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	d = opendir(path);
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		rm_tree(sub);
	}
	closedir(d);
	return rmdir(path);
}

static int env_setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return -1;
	strcpy(e->dir, "/tmp/ccidkit-sharetest.XXXXXX");
	if (mkdtemp(e->dir) == NULL) {
		free(e);
		return -1;
	}
	setenv("CCIDKIT_LOCK_DIR", e->dir, 1);
	unsetenv("CCIDKIT_SHARE");
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *e = *state;
	int rc = rm_tree(e->dir);

	unsetenv("CCIDKIT_LOCK_DIR");
	unsetenv("CCIDKIT_SHARE");
	free(e);
	return rc;
}

/* Entries in the lock directory, "." and ".." aside. */
static unsigned dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	unsigned n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void fresh_rec(struct ccid_share_rec *rec, unsigned nslots)
{
	memset(rec, 0, sizeof(*rec));
	rec->nslots = (uint8_t)nslots;
}

/* ------------------------------------------------------------------ */
/* Record codec                                                       */

static const uint8_t ATR10[] = { 0x3B, 0x88, 0x80, 0x01, 0x00, 0x00,
				 0x00, 0x00, 0x77, 0x81 };
#define ATR10_HEX "3B 88 80 01 00 00 00 00 77 81"

/* Slot block layout (share.c): epoch(4) changes(4) flags(1) atr_len(1)
 * atr(33) protocol fidi wi bwi ifsc ifsd nad ns nr. */
#define SLOT0 12u
#define SLOT1 (12u + CCID_SHARE_SLOT_BYTES)
#define O_FLAGS 8u
#define O_ATRLEN 9u
#define O_PROTO 43u

/* Slot 0: a T=1 card, powered, with CRC and sequence numbers 1/0;
 * slot 1: a card present, not powered. */
static void sample_rec(struct ccid_share_rec *rec)
{
	struct ccid_share_slot *s = &rec->slot[0];

	fresh_rec(rec, 2);
	s->epoch = 0x01020304u;
	s->changes = 7;
	s->present = true;
	s->powered = true;
	s->atr_len = sizeof(ATR10);
	memcpy(s->atr, ATR10, sizeof(ATR10));
	s->proto_valid = true;
	s->protocol = 1;
	s->fidi = 0x13;
	s->wi = 10;
	s->bwi = 4;
	s->pps_refused = true;
	s->ifsc = 32;
	s->ifsd = 254;
	s->nad = 0;
	s->crc = true;
	s->ns = 1;
	s->nr = 0;
	rec->slot[1].epoch = 3;
	rec->slot[1].changes = 1;
	rec->slot[1].present = true;
}

static void test_codec_round_trip(void **state)
{
	struct ccid_share_rec rec, back;
	uint8_t buf[CCID_SHARE_REC_BYTES];

	(void)state;
	assert_int_equal(CCID_SHARE_REC_BYTES, 12 + 64 * 16);
	sample_rec(&rec);
	ccid_share_encode(&rec, buf);
	/* header: "CKS1", size, nslots (all big-endian) */
	assert_memory_equal(buf, "CKS1", 4);
	assert_int_equal(buf[4], 0x00);
	assert_int_equal(buf[5], 0x00);
	assert_int_equal(buf[6], (CCID_SHARE_REC_BYTES >> 8) & 0xFF);
	assert_int_equal(buf[7], CCID_SHARE_REC_BYTES & 0xFF);
	assert_int_equal(buf[8], 2);
	assert_int_equal(buf[9], 0);
	/* slot 0 */
	assert_memory_equal(buf + SLOT0, "\x01\x02\x03\x04\x00\x00\x00\x07", 8);
	assert_int_equal(buf[SLOT0 + O_FLAGS], 1 | 2 | 4 | 8 | 16);
	assert_int_equal(buf[SLOT0 + O_ATRLEN], 10);
	assert_memory_equal(buf + SLOT0 + 10, ATR10, sizeof(ATR10));
	assert_int_equal(buf[SLOT0 + 10 + 10], 0); /* rest of the ATR */
	assert_memory_equal(buf + SLOT0 + O_PROTO,
			    "\x01\x13\x0A\x04\x20\xFE\x00\x01\x00", 9);
	/* slot 1: present only */
	assert_memory_equal(buf + SLOT1, "\x00\x00\x00\x03\x00\x00\x00\x01\x01\x00",
			    10);
	/* nothing beyond the two slots */
	for (size_t i = 12 + 2 * CCID_SHARE_SLOT_BYTES; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);

	memset(&back, 0xAA, sizeof(back));
	assert_int_equal(ccid_share_decode(buf, sizeof(buf), 2, &back), CCID_OK);
	assert_int_equal(back.nslots, 2);
	assert_int_equal(back.slot[0].epoch, 0x01020304u);
	assert_int_equal(back.slot[0].changes, 7);
	assert_true(back.slot[0].present);
	assert_true(back.slot[0].powered);
	assert_int_equal(back.slot[0].atr_len, 10);
	assert_memory_equal(back.slot[0].atr, ATR10, 10);
	assert_true(back.slot[0].proto_valid);
	assert_int_equal(back.slot[0].protocol, 1);
	assert_int_equal(back.slot[0].fidi, 0x13);
	assert_int_equal(back.slot[0].wi, 10);
	assert_int_equal(back.slot[0].bwi, 4);
	assert_true(back.slot[0].pps_refused);
	assert_int_equal(back.slot[0].ifsc, 32);
	assert_int_equal(back.slot[0].ifsd, 254);
	assert_true(back.slot[0].crc);
	assert_int_equal(back.slot[0].ns, 1);
	assert_int_equal(back.slot[0].nr, 0);
	assert_int_equal(back.slot[1].epoch, 3);
	assert_int_equal(back.slot[1].changes, 1);
	assert_true(back.slot[1].present);
	assert_false(back.slot[1].powered);
	assert_false(back.slot[1].proto_valid);
	/* encoding the decoded record gives the same bytes */
	{
		uint8_t again[CCID_SHARE_REC_BYTES];

		ccid_share_encode(&back, again);
		assert_memory_equal(again, buf, sizeof(buf));
	}
}

static void test_codec_empty_is_fresh(void **state)
{
	struct ccid_share_rec rec, want;

	(void)state;
	memset(&rec, 0xAA, sizeof(rec));
	fresh_rec(&want, 3);
	assert_int_equal(ccid_share_decode(NULL, 0, 3, &rec), CCID_OK);
	assert_memory_equal(&rec, &want, sizeof(rec));
}

/* Decode must fail with CCID_E_PROTO and leave a fresh record. */
static void expect_rejected(const uint8_t *buf, size_t len, unsigned nslots,
			    const char *what)
{
	struct ccid_share_rec rec, want;
	int err;

	memset(&rec, 0xAA, sizeof(rec));
	fresh_rec(&want, nslots);
	err = ccid_share_decode(buf, len, nslots, &rec);
	if (err != CCID_E_PROTO)
		fail_msg("%s: decode returned %d, want CCID_E_PROTO", what, err);
	if (memcmp(&rec, &want, sizeof(rec)) != 0)
		fail_msg("%s: the record is not fresh after the rejection", what);
}

/* Encode rec after the mutation, expect the decode to refuse it. */
#define REJECT_REC(stmt, what) do {                                       \
		static struct ccid_share_rec r_; /* static: no big frame */ \
		static uint8_t b_[CCID_SHARE_REC_BYTES];                   \
		sample_rec(&r_);                                           \
		stmt;                                                      \
		ccid_share_encode(&r_, b_);                                \
		expect_rejected(b_, sizeof(b_), 2, what);                  \
	} while (0)

static void test_codec_rejections(void **state)
{
	uint8_t good[CCID_SHARE_REC_BYTES + 1], bad[CCID_SHARE_REC_BYTES + 1];
	struct ccid_share_rec rec;

	(void)state;
	sample_rec(&rec);
	ccid_share_encode(&rec, good);
	good[CCID_SHARE_REC_BYTES] = 0;

	memcpy(bad, good, sizeof(bad));
	bad[3] = '2'; /* "CKS2" */
	expect_rejected(bad, CCID_SHARE_REC_BYTES, 2, "magic");
	expect_rejected(good, CCID_SHARE_REC_BYTES - 1, 2, "len - 1");
	expect_rejected(good, CCID_SHARE_REC_BYTES + 1, 2, "len + 1");
	memcpy(bad, good, sizeof(bad));
	bad[7]++; /* size field */
	expect_rejected(bad, CCID_SHARE_REC_BYTES, 2, "size field");
	expect_rejected(good, CCID_SHARE_REC_BYTES, 1, "nslots 2 read as 1");
	expect_rejected(good, CCID_SHARE_REC_BYTES, 3, "nslots 2 read as 3");
	memcpy(bad, good, sizeof(bad));
	bad[SLOT0 + O_FLAGS] |= 0x20;
	expect_rejected(bad, CCID_SHARE_REC_BYTES, 2, "flag 0x20");
	memcpy(bad, good, sizeof(bad));
	bad[SLOT1 + O_FLAGS] |= 0x80;
	expect_rejected(bad, CCID_SHARE_REC_BYTES, 2, "flag 0x80 in slot 1");
	memcpy(bad, good, sizeof(bad));
	bad[SLOT0 + O_ATRLEN] = 34;
	expect_rejected(bad, CCID_SHARE_REC_BYTES, 2, "atr_len 34");
	memcpy(bad, good, sizeof(bad));
	bad[SLOT1 + O_ATRLEN] = 255;
	expect_rejected(bad, CCID_SHARE_REC_BYTES, 2, "atr_len 255 in slot 1");

	REJECT_REC(r_.slot[0].present = false, "powered without present");
	REJECT_REC(r_.slot[0].atr_len = 0, "powered with atr_len 0");
	REJECT_REC(r_.slot[0].protocol = 2, "protocol 2");
	REJECT_REC(r_.slot[0].ns = 2, "ns 2");
	REJECT_REC(r_.slot[0].nr = 2, "nr 2");
	REJECT_REC(r_.slot[0].ifsc = 255, "ifsc 255");
	REJECT_REC(r_.slot[0].ifsd = 255, "ifsd 255");
	REJECT_REC(r_.slot[0].ifsc = 0, "ifsc 0 with ifsd 254");
	REJECT_REC(r_.slot[0].ifsd = 0, "ifsd 0 with ifsc 32");
	REJECT_REC(r_.slot[0].bwi = 10, "bwi 10");
	REJECT_REC((r_.slot[1].proto_valid = true, r_.slot[1].ifsc = 32,
		    r_.slot[1].ifsd = 32), "proto_valid without powered");
	/* for a slot past nslots the decoder has no opinion, but for one
	 * within it must check every slot, not only the first */
	REJECT_REC((r_.slot[1].powered = true, r_.slot[1].atr_len = 0),
		   "slot 1 powered with atr_len 0");
}

/* The limits themselves are accepted. */
static void test_codec_accepts_limits(void **state)
{
	static const struct {
		uint8_t ifsc, ifsd, bwi, proto;
	} ok[] = {
		{ 0, 0, 0, 0 },     /* APDU-level reader: no T=1 engine */
		{ 1, 1, 9, 1 },
		{ 254, 254, 9, 1 },
		{ 32, 254, 4, 1 },
	};
	/* static: ASan's redzones would make a large frame */
	static struct ccid_share_rec rec, back;
	static uint8_t buf[CCID_SHARE_REC_BYTES];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		sample_rec(&rec);
		rec.slot[0].ifsc = ok[i].ifsc;
		rec.slot[0].ifsd = ok[i].ifsd;
		rec.slot[0].bwi = ok[i].bwi;
		rec.slot[0].protocol = ok[i].proto;
		rec.slot[0].atr_len = CCID_ATR_MAX;
		memset(rec.slot[0].atr, 0x3B, CCID_ATR_MAX);
		ccid_share_encode(&rec, buf);
		assert_int_equal(ccid_share_decode(buf, sizeof(buf), 2, &back),
				 CCID_OK);
		assert_int_equal(back.slot[0].ifsc, ok[i].ifsc);
		assert_int_equal(back.slot[0].ifsd, ok[i].ifsd);
		assert_int_equal(back.slot[0].bwi, ok[i].bwi);
		assert_int_equal(back.slot[0].atr_len, CCID_ATR_MAX);
	}
	/* 16 slots: the most a reader has */
	fresh_rec(&rec, CCID_MAX_SLOTS);
	rec.slot[15].epoch = 99;
	ccid_share_encode(&rec, buf);
	assert_int_equal(buf[8], 16);
	assert_int_equal(ccid_share_decode(buf, sizeof(buf), CCID_MAX_SLOTS,
					   &back), CCID_OK);
	assert_int_equal(back.slot[15].epoch, 99);
	/* nslots 0 or above 16 never decodes */
	buf[8] = 0;
	expect_rejected(buf, sizeof(buf), 0, "nslots 0");
	buf[8] = 17;
	expect_rejected(buf, sizeof(buf), 17, "nslots 17");
}

static void test_codec_truncated(void **state)
{
	struct ccid_share_rec rec;
	uint8_t good[CCID_SHARE_REC_BYTES];

	(void)state;
	sample_rec(&rec);
	ccid_share_encode(&rec, good);
	for (size_t len = 1; len < CCID_SHARE_REC_BYTES; len++) {
		/* a heap copy of exactly len bytes: valgrind sees any read
		 * past the end */
		uint8_t *p = malloc(len);

		assert_non_null(p);
		memcpy(p, good, len);
		expect_rejected(p, len, 2, "truncated");
		free(p);
	}
}

/* ------------------------------------------------------------------ */
/* The state file and its locks                                       */

static struct ccid_share *share_open(const char *key, unsigned nslots)
{
	struct ccid_share *s = (struct ccid_share *)&s;

	assert_int_equal(ccid_share_open(key, nslots, &s), CCID_OK);
	assert_non_null(s);
	return s;
}

static void test_lock_lease(void **state)
{
	struct ccid_share *s1 = share_open(KEY, 2), *s2 = share_open(KEY, 2);
	bool stop = true;

	(void)state;
	assert_int_equal(ccid_share_lock(s1, false, NULL), CCID_OK);
	/* again by the same one: no conflict with itself */
	assert_int_equal(ccid_share_lock(s1, false, NULL), CCID_OK);
	assert_int_equal(ccid_share_lock(s2, false, NULL), CCID_E_BUSY);
	/* waiting, but told to stop: cancelled */
	assert_int_equal(ccid_share_lock(s2, true, &stop), CCID_E_CANCELLED);
	ccid_share_unlock(s1);
	assert_int_equal(ccid_share_lock(s2, false, NULL), CCID_OK);
	assert_int_equal(ccid_share_lock(s1, false, NULL), CCID_E_BUSY);
	ccid_share_unlock(s2);
	assert_int_equal(ccid_share_lock(s1, true, NULL), CCID_OK);
	ccid_share_unlock(s1);
	ccid_share_free(&s1);
	ccid_share_free(&s2);
	assert_null(s1);
	assert_null(s2);
	ccid_share_free(NULL);
	ccid_share_free(&s1);
}

struct waiter {
	struct ccid_share *s;
	int err;
	bool done; /* atomic */
};

static void *lock_waiter(void *arg)
{
	struct waiter *w = arg;
	bool stop = false;

	w->err = ccid_share_lock(w->s, true, &stop);
	__atomic_store_n(&w->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* wait: the lease comes once the other lets it go */
static void test_lock_lease_wait(void **state)
{
	struct ccid_share *s1 = share_open(KEY, 1), *s2 = share_open(KEY, 1);
	struct waiter w = { .s = s2, .err = 1 };
	pthread_t th;
	uint64_t t0;

	(void)state;
	assert_int_equal(ccid_share_lock(s1, false, NULL), CCID_OK);
	assert_int_equal(pthread_create(&th, NULL, lock_waiter, &w), 0);
	usleep(100 * 1000);
	assert_false(__atomic_load_n(&w.done, __ATOMIC_ACQUIRE));
	t0 = ccid_now_ms();
	ccid_share_unlock(s1);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(w.err, CCID_OK);
	/* it polls every 5 ms at most */
	assert_true(ccid_now_ms() - t0 < 1000);
	assert_int_equal(ccid_share_lock(s1, false, NULL), CCID_E_BUSY);
	ccid_share_free(&s1);
	ccid_share_free(&s2);
}

static void test_lock_conn(void **state)
{
	struct ccid_share *s1 = share_open(KEY, 2), *s2 = share_open(KEY, 2);

	(void)state;
	assert_int_equal(ccid_share_peers(s1, 0), CCID_SHARE_NONE);
	assert_int_equal(ccid_share_peers(s2, 0), CCID_SHARE_NONE);
	/* SHARED + SHARED */
	assert_int_equal(ccid_share_conn(s1, 0, CCID_SHARE_SHARED), CCID_OK);
	assert_int_equal(ccid_share_peers(s1, 0), CCID_SHARE_NONE);
	assert_int_equal(ccid_share_peers(s2, 0), CCID_SHARE_SHARED);
	assert_int_equal(ccid_share_conn(s2, 0, CCID_SHARE_SHARED), CCID_OK);
	assert_int_equal(ccid_share_peers(s1, 0), CCID_SHARE_SHARED);
	assert_int_equal(ccid_share_peers(s2, 0), CCID_SHARE_SHARED);
	/* EXCL while the other is SHARED: busy, both ways */
	assert_int_equal(ccid_share_conn(s1, 0, CCID_SHARE_EXCL), CCID_E_BUSY);
	assert_int_equal(ccid_share_conn(s2, 0, CCID_SHARE_EXCL), CCID_E_BUSY);
	/* the failed upgrade left s2 SHARED */
	assert_int_equal(ccid_share_peers(s1, 0), CCID_SHARE_SHARED);
	/* NONE releases */
	assert_int_equal(ccid_share_conn(s2, 0, CCID_SHARE_NONE), CCID_OK);
	assert_int_equal(ccid_share_peers(s1, 0), CCID_SHARE_NONE);
	assert_int_equal(ccid_share_conn(s1, 0, CCID_SHARE_EXCL), CCID_OK);
	assert_int_equal(ccid_share_peers(s1, 0), CCID_SHARE_NONE); /* own */
	assert_int_equal(ccid_share_peers(s2, 0), CCID_SHARE_EXCL);
	assert_int_equal(ccid_share_conn(s2, 0, CCID_SHARE_SHARED), CCID_E_BUSY);
	assert_int_equal(ccid_share_conn(s2, 0, CCID_SHARE_EXCL), CCID_E_BUSY);
	/* the other slot is another byte */
	assert_int_equal(ccid_share_peers(s2, 1), CCID_SHARE_NONE);
	assert_int_equal(ccid_share_conn(s2, 1, CCID_SHARE_EXCL), CCID_OK);
	assert_int_equal(ccid_share_peers(s1, 1), CCID_SHARE_EXCL);
	/* EXCL back to SHARED: the other may join */
	assert_int_equal(ccid_share_conn(s1, 0, CCID_SHARE_SHARED), CCID_OK);
	assert_int_equal(ccid_share_peers(s2, 0), CCID_SHARE_SHARED);
	assert_int_equal(ccid_share_conn(s2, 0, CCID_SHARE_SHARED), CCID_OK);
	/* bad arguments */
	assert_int_equal(ccid_share_conn(s1, 2, CCID_SHARE_SHARED), CCID_E_INVAL);
	assert_int_equal(ccid_share_conn(s1, 0, (enum ccid_share_mode)3),
			 CCID_E_INVAL);
	assert_int_equal(ccid_share_peers(s1, 2), CCID_SHARE_NONE);
	ccid_share_free(&s1);
	ccid_share_free(&s2);
}

static void test_lock_txn(void **state)
{
	struct ccid_share *s1 = share_open(KEY, 2), *s2 = share_open(KEY, 2);

	(void)state;
	assert_false(ccid_share_txn_other(s1, 0));
	assert_false(ccid_share_txn_other(s2, 0));
	assert_int_equal(ccid_share_txn(s1, 0, true), CCID_OK);
	assert_int_equal(ccid_share_txn(s1, 0, true), CCID_OK); /* own */
	assert_false(ccid_share_txn_other(s1, 0));
	assert_true(ccid_share_txn_other(s2, 0));
	assert_false(ccid_share_txn_other(s2, 1));
	assert_int_equal(ccid_share_txn(s2, 0, true), CCID_E_BUSY);
	assert_int_equal(ccid_share_txn(s2, 1, true), CCID_OK);
	assert_true(ccid_share_txn_other(s1, 1));
	/* the lease and the transactions are separate bytes */
	assert_int_equal(ccid_share_lock(s2, false, NULL), CCID_OK);
	ccid_share_unlock(s2);
	assert_int_equal(ccid_share_txn(s2, 0, false), CCID_OK); /* not its own */
	assert_true(ccid_share_txn_other(s2, 0));
	assert_int_equal(ccid_share_txn(s1, 0, false), CCID_OK);
	assert_false(ccid_share_txn_other(s2, 0));
	assert_int_equal(ccid_share_txn(s2, 0, true), CCID_OK);
	assert_true(ccid_share_txn_other(s1, 0));
	assert_int_equal(ccid_share_txn(s1, 2, true), CCID_E_INVAL);
	assert_false(ccid_share_txn_other(s1, 2));
	ccid_share_free(&s1);
	ccid_share_free(&s2);
}

/* Free lets go of everything, as a killed process does. */
static void test_lock_free_releases(void **state)
{
	struct ccid_share *s1 = share_open(KEY, 1), *s2 = share_open(KEY, 1);

	(void)state;
	assert_int_equal(ccid_share_lock(s1, false, NULL), CCID_OK);
	assert_int_equal(ccid_share_conn(s1, 0, CCID_SHARE_EXCL), CCID_OK);
	assert_int_equal(ccid_share_txn(s1, 0, true), CCID_OK);
	assert_int_equal(ccid_share_lock(s2, false, NULL), CCID_E_BUSY);
	assert_int_equal(ccid_share_peers(s2, 0), CCID_SHARE_EXCL);
	assert_true(ccid_share_txn_other(s2, 0));
	ccid_share_free(&s1);
	assert_int_equal(ccid_share_peers(s2, 0), CCID_SHARE_NONE);
	assert_false(ccid_share_txn_other(s2, 0));
	assert_int_equal(ccid_share_lock(s2, false, NULL), CCID_OK);
	assert_int_equal(ccid_share_conn(s2, 0, CCID_SHARE_EXCL), CCID_OK);
	assert_int_equal(ccid_share_txn(s2, 0, true), CCID_OK);
	ccid_share_unlock(s2);
	ccid_share_free(&s2);
}

static void test_record_first_opener_resets(void **state)
{
	struct ccid_share *s1, *s2;
	struct ccid_share_rec rec, got, fresh;

	(void)state;
	sample_rec(&rec);
	fresh_rec(&fresh, 2);
	s1 = share_open(KEY, 2);
	memset(&got, 0xAA, sizeof(got));
	assert_int_equal(ccid_share_read(s1, false, &got), CCID_OK);
	assert_memory_equal(&got, &fresh, sizeof(got));
	assert_int_equal(ccid_share_write(s1, &rec), CCID_OK);
	/* a second opener while s1 is open keeps the record */
	s2 = share_open(KEY, 2);
	memset(&got, 0xAA, sizeof(got));
	assert_int_equal(ccid_share_read(s2, false, &got), CCID_OK);
	assert_int_equal(got.slot[0].epoch, 0x01020304u);
	assert_int_equal(got.slot[0].ns, 1);
	assert_int_equal(got.slot[1].epoch, 3);
	{
		uint8_t a[CCID_SHARE_REC_BYTES], b[CCID_SHARE_REC_BYTES];

		ccid_share_encode(&rec, a);
		ccid_share_encode(&got, b);
		assert_memory_equal(a, b, sizeof(a));
	}
	ccid_share_free(&s2);
	ccid_share_free(&s1);
	/* nobody has it open any more: the next opener starts afresh */
	s1 = share_open(KEY, 2);
	memset(&got, 0xAA, sizeof(got));
	assert_int_equal(ccid_share_read(s1, false, &got), CCID_OK);
	assert_memory_equal(&got, &fresh, sizeof(got));
	ccid_share_free(&s1);
}

/* Garbage in the file (any local user can write it) reads as fresh. */
static void test_record_garbage(void **state)
{
	struct env *e = *state;
	struct ccid_share *s1 = share_open(KEY, 1), *s2;
	struct ccid_share_rec rec, got, fresh;
	uint8_t junk[CCID_SHARE_REC_BYTES];
	int fd;

	fresh_rec(&fresh, 1);
	fresh_rec(&rec, 1);
	rec.slot[0].epoch = 5;
	assert_int_equal(ccid_share_write(s1, &rec), CCID_OK);
	snprintf(e->path, sizeof(e->path), "%s/%s.lock", e->dir, KEY);
	fd = open(e->path, O_RDWR);
	assert_true(fd >= 0);
	ccid_share_encode(&rec, junk);
	junk[SLOT0 + O_ATRLEN] = 200;
	assert_int_equal(pwrite(fd, junk, sizeof(junk), 64), (ssize_t)sizeof(junk));
	s2 = share_open(KEY, 1);
	memset(&got, 0xAA, sizeof(got));
	assert_int_equal(ccid_share_read(s2, false, &got), CCID_OK);
	assert_memory_equal(&got, &fresh, sizeof(got));
	/* a short file too */
	assert_int_equal(ftruncate(fd, 64 + 10), 0);
	memset(&got, 0xAA, sizeof(got));
	assert_int_equal(ccid_share_read(s1, false, &got), CCID_OK);
	assert_memory_equal(&got, &fresh, sizeof(got));
	close(fd);
	ccid_share_free(&s1);
	ccid_share_free(&s2);
}

static void test_open_bad_keys(void **state)
{
	struct env *e = *state;
	char k64[65], k63[64];
	static const char *const bad[] = { "", "../x", ".x", "a/b", "..",
					   "a b", "a\\b", "x:y" };
	struct ccid_share *s;

	memset(k64, 'k', 64);
	k64[64] = '\0';
	memset(k63, 'k', 63);
	k63[63] = '\0';
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = (struct ccid_share *)&s;
		if (ccid_share_open(bad[i], 1, &s) != CCID_E_INVAL)
			fail_msg("key \"%s\" accepted", bad[i]);
		assert_null(s);
	}
	s = (struct ccid_share *)&s;
	assert_int_equal(ccid_share_open(k64, 1, &s), CCID_E_INVAL);
	assert_null(s);
	assert_int_equal(ccid_share_open(NULL, 1, &s), CCID_E_INVAL);
	assert_int_equal(ccid_share_open(KEY, 0, &s), CCID_E_INVAL);
	assert_int_equal(ccid_share_open(KEY, CCID_MAX_SLOTS + 1, &s),
			 CCID_E_INVAL);
	assert_null(s);
	/* nothing was created for them */
	assert_int_equal(dir_entries(e->dir), 0);
	/* 63 characters, dots and dashes inside: fine */
	s = share_open(k63, 1);
	ccid_share_free(&s);
	s = share_open("a.b-c_D9", CCID_MAX_SLOTS);
	ccid_share_free(&s);
	assert_int_equal(dir_entries(e->dir), 2);
}

static void test_open_modes(void **state)
{
	struct env *e = *state;
	char sub[128];
	struct ccid_share *s;
	struct stat st;
	mode_t old = umask(022);

	/* a directory it creates: 01777 whatever the umask */
	snprintf(sub, sizeof(sub), "%s/sub", e->dir);
	setenv("CCIDKIT_LOCK_DIR", sub, 1);
	assert_string_equal(ccid_share_dir(), sub);
	s = share_open(KEY, 1);
	assert_int_equal(lstat(sub, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 01777);
	snprintf(e->path, sizeof(e->path), "%s/%s.lock", sub, KEY);
	assert_int_equal(lstat(e->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0666);
	/* the record follows the 64 lock bytes */
	assert_int_equal(st.st_size, 64 + CCID_SHARE_REC_BYTES);
	ccid_share_free(&s);
	/* an existing file of ours with a narrower mode is widened */
	assert_int_equal(chmod(e->path, 0600), 0);
	s = share_open(KEY, 1);
	assert_int_equal(stat(e->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0666);
	ccid_share_free(&s);
	umask(old);
}

static void test_open_bad_dirs(void **state)
{
	struct env *e = *state;
	char file[128], link[128], below[160];
	struct ccid_share *s;
	int fd;

	/* the lock dir is a regular file */
	snprintf(file, sizeof(file), "%s/file", e->dir);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	setenv("CCIDKIT_LOCK_DIR", file, 1);
	s = (struct ccid_share *)&s;
	assert_int_equal(ccid_share_open(KEY, 1, &s), CCID_E_IO);
	assert_null(s);
	/* below a regular file */
	snprintf(below, sizeof(below), "%s/sub", file);
	setenv("CCIDKIT_LOCK_DIR", below, 1);
	assert_int_equal(ccid_share_open(KEY, 1, &s), CCID_E_IO);
	assert_null(s);
	/* a symlink to a directory is refused too */
	snprintf(link, sizeof(link), "%s/link", e->dir);
	assert_int_equal(symlink(e->dir, link), 0);
	setenv("CCIDKIT_LOCK_DIR", link, 1);
	assert_int_equal(ccid_share_open(KEY, 1, &s), CCID_E_IO);
	assert_null(s);
	/* the lock file a symlink: O_NOFOLLOW */
	setenv("CCIDKIT_LOCK_DIR", e->dir, 1);
	snprintf(e->path, sizeof(e->path), "%s/%s.lock", e->dir, KEY);
	assert_int_equal(symlink(file, e->path), 0);
	assert_int_equal(ccid_share_open(KEY, 1, &s), CCID_E_IO);
	assert_null(s);
	/* nothing got written through the links */
	{
		struct stat st;

		assert_int_equal(stat(file, &st), 0);
		assert_int_equal(st.st_size, 0);
	}
	/* an empty CCIDKIT_LOCK_DIR is the default */
	setenv("CCIDKIT_LOCK_DIR", "", 1);
	assert_true(strcmp(ccid_share_dir(), "/run/lock/ccidkit") == 0 ||
		    strcmp(ccid_share_dir(), "/tmp/ccidkit-lock") == 0);
	setenv("CCIDKIT_LOCK_DIR", e->dir, 1);
}

/* ------------------------------------------------------------------ */
/* Readers sharing one interface (lease.c)                            */

enum rd { RD_SHORT, RD_TPDU, RD_TWO /* short APDU, 2 slots */ };

static struct fake_transport *make_fake(enum rd kind, bool claimable)
{
	uint8_t d[54];
	const struct fake_desc o = {
		.bMaxSlotIndex = kind == RD_TWO ? 1 : 0,
		.bVoltageSupport = 0x07,
		.dwFeatures = (kind == RD_TPDU ? CCID_FEAT_LEVEL_TPDU :
			       CCID_FEAT_LEVEL_SHORT_APDU) |
			      CCID_FEAT_AUTO_VOLTAGE,
		.dwMaxCCIDMessageLength = 271,
	};
	struct fake_transport *f;

	fake_desc_build(d, &o);
	f = fake_transport_new(d, sizeof(d));
	f->base.info.usb_bus = 1;
	f->base.info.usb_addr = 2;
	if (claimable)
		fake_transport_claimable(f);
	return f;
}

/* ccid_reader_new's GetSlotStatus: a card, not powered (bSeq 0). */
static const struct fake_step probe[] = {
	FAKE_OUT("65 00000000 00 00 000000"),
	FAKE_IN("81 00000000 00 00 01 00 00"),
};

struct rdr {
	struct fake_transport *f;
	struct ccid_reader *r;
};

static void rdr_open(struct rdr *x, enum rd kind, bool claimable)
{
	x->f = make_fake(kind, claimable);
	FAKE_SCRIPT(x->f, probe);
	x->r = NULL;
	assert_int_equal(ccid_reader_new(&x->f->base, D5S, &x->r), CCID_OK);
	assert_non_null(x->r);
	fake_transport_done(x->f);
	x->f->ops = 0;
}

static void rdr_close(struct rdr *x)
{
	fake_transport_done(x->f);
	ccid_reader_unref(&x->r);
	assert_true(x->f->closed);
	assert_false(x->f->claimed);
	fake_transport_free(&x->f);
}

static struct ccid_slot_state rdr_state(struct rdr *x)
{
	struct ccid_slot_state s;

	assert_int_equal(ccid_reader_slot_state(x->r, 0, &s, NULL), CCID_OK);
	return s;
}

/* IccPowerOn (automatic voltage) with bSeq seq, answered with atr_hex. */
static void rdr_power_on(struct rdr *x, unsigned seq, const char *atr_hex)
{
	char out[64], in[160];
	uint8_t atr[CCID_ATR_MAX], got[CCID_ATR_MAX];
	size_t n = fake_hex(atr_hex, atr, sizeof(atr)), len = 0;
	struct fake_step script[] = { FAKE_OUT(out), FAKE_IN(in) };

	snprintf(out, sizeof(out), "62 00000000 00 %02X 00 00 00", seq);
	snprintf(in, sizeof(in), "80 %02X000000 00 %02X 00 00 00 %s",
		 (unsigned)n, seq, atr_hex);
	FAKE_SCRIPT(x->f, script);
	assert_int_equal(ccid_slot_power_on(x->r, 0, got, sizeof(got), &len,
					    D5S), CCID_OK);
	assert_int_equal(len, n);
	assert_memory_equal(got, atr, n);
	fake_transport_done(x->f);
	fake_transport_script(x->f, NULL, 0);
}

static const uint8_t SELECT[] = { 0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F, 0x00 };

/* SELECT at short APDU level with bSeq seq, answered 90 00. */
static int rdr_select(struct rdr *x, unsigned seq)
{
	char out[80], in[64];
	struct fake_step script[] = { FAKE_OUT(out), FAKE_IN(in) };
	uint8_t resp[8];
	size_t len = 0;
	int err;

	snprintf(out, sizeof(out),
		 "6F 07000000 00 %02X 00 00 00 00 A4 04 00 02 3F 00", seq);
	snprintf(in, sizeof(in), "80 02000000 00 %02X 00 00 00 90 00", seq);
	FAKE_SCRIPT(x->f, script);
	err = ccid_slot_transmit(x->r, 0, SELECT, sizeof(SELECT), resp,
				 sizeof(resp), &len, D5S);
	if (err == CCID_OK) {
		assert_int_equal(len, 2);
		assert_memory_equal(resp, "\x90\x00", 2);
		fake_transport_done(x->f);
	}
	fake_transport_script(x->f, NULL, 0);
	return err;
}

/* Each reader joins the file named after its USB interface; every
 * operation claims the interface and gives it back, nothing is claimed
 * in between. */
static void test_reader_claims(void **state)
{
	struct env *e = *state;
	struct rdr a, b;
	struct stat st;
	uint8_t atr[CCID_ATR_MAX];
	size_t len;

	rdr_open(&a, RD_SHORT, true);
	snprintf(e->path, sizeof(e->path), "%s/%s.lock", e->dir, KEY);
	assert_int_equal(stat(e->path, &st), 0);
	assert_int_equal(dir_entries(e->dir), 1);
	assert_non_null(a.r->share);
	/* the probe ran under one claim */
	assert_int_equal(a.f->claims, 1);
	assert_int_equal(a.f->releases, 1);
	assert_false(a.f->claimed);
	rdr_open(&b, RD_SHORT, true);
	assert_int_equal(dir_entries(e->dir), 1); /* the same file */
	assert_int_equal(b.f->claims, 1);
	assert_int_equal(b.f->releases, 1);
	assert_int_equal(a.f->claims, 1);

	rdr_power_on(&a, 1, ATR10_HEX);
	assert_int_equal(a.f->claims, 2);
	assert_int_equal(a.f->releases, 2);
	assert_false(a.f->claimed);
	assert_int_equal(rdr_select(&a, 2), CCID_OK);
	assert_int_equal(a.f->claims, 3);
	assert_int_equal(a.f->releases, 3);
	assert_false(a.f->claimed);
	/* an operation with no I/O still takes (and returns) the lease */
	assert_int_equal(ccid_slot_power_up(a.r, 0, atr, sizeof(atr), &len,
					    D5S), CCID_OK);
	assert_int_equal(a.f->ops, 4);
	assert_int_equal(a.f->claims, 4);
	assert_int_equal(a.f->releases, 4);
	assert_int_equal(b.f->claims, 1);
	rdr_close(&a);
	/* closing does not release more (nothing is claimed) */
	rdr_close(&b);
}

/* (a) A powers the card on; B, at its next lease, sees it powered with
 * the same ATR without sending anything; B's power_epoch moves.  (b) A
 * resets it: B's next transmit is CCID_E_RESET without I/O, the one
 * after goes out. */
static void test_reader_handover_power(void **state)
{
	struct rdr a, b;
	struct ccid_slot_state sa, sb0, sb;
	uint8_t atr[CCID_ATR_MAX];
	size_t len = 0;
	uint64_t g0 = 0, g1 = 0;

	(void)state;
	rdr_open(&a, RD_SHORT, true);
	rdr_open(&b, RD_SHORT, true);
	sb0 = rdr_state(&b);
	assert_true(sb0.present);
	assert_false(sb0.powered);
	assert_int_equal(ccid_reader_slot_state(b.r, 0, &sb, &g0), CCID_OK);

	rdr_power_on(&a, 1, ATR10_HEX);
	sa = rdr_state(&a);
	assert_true(sa.powered);
	/* B knows nothing until its next lease */
	sb = rdr_state(&b);
	assert_false(sb.powered);
	assert_int_equal(sb.power_epoch, sb0.power_epoch);

	/* (a) */
	assert_int_equal(ccid_slot_power_up(b.r, 0, atr, sizeof(atr), &len,
					    D5S), CCID_OK);
	assert_int_equal(b.f->ops, 0);
	assert_int_equal(len, sizeof(ATR10));
	assert_memory_equal(atr, ATR10, sizeof(ATR10));
	assert_int_equal(ccid_reader_slot_state(b.r, 0, &sb, &g1), CCID_OK);
	assert_true(sb.present);
	assert_true(sb.powered);
	assert_int_equal(sb.atr_len, sizeof(ATR10));
	assert_memory_equal(sb.atr, ATR10, sizeof(ATR10));
	assert_int_equal(sb.power_epoch, sb0.power_epoch + 1);
	assert_int_equal(sb.changes, 0); /* no insertion or removal */
	assert_true(g1 > g0);
	assert_int_equal(b.f->claims, 2);
	assert_int_equal(b.f->releases, 2);
	/* B's transmit now: the card is what B saw, it goes out (bSeq 1) */
	assert_int_equal(rdr_select(&b, 1), CCID_OK);
	assert_int_equal(b.f->ops, 2);

	/* (b) A powers on again: a cold reset */
	rdr_power_on(&a, 2, ATR10_HEX);
	b.f->ops = 0;
	assert_int_equal(rdr_select(&b, 2), CCID_E_RESET);
	assert_int_equal(b.f->ops, 0);
	assert_false(b.f->claimed);
	assert_int_equal(b.f->claims, 4);
	assert_int_equal(b.f->releases, 4);
	sb = rdr_state(&b);
	assert_true(sb.powered);
	assert_int_equal(sb.power_epoch, sb0.power_epoch + 2);
	/* told once: the next one goes out */
	assert_int_equal(rdr_select(&b, 2), CCID_OK);
	assert_int_equal(b.f->ops, 2);
	/* A's own reset is no news to A */
	a.f->ops = 0;
	assert_int_equal(rdr_select(&a, 3), CCID_OK);
	assert_int_equal(a.f->ops, 2);
	sa = rdr_state(&a);
	assert_int_equal(sa.power_epoch, 2);
	rdr_close(&a);
	rdr_close(&b);
}

/* B powers the card off: A's next transmit is CCID_E_UNPOWERED, without
 * I/O; A's power_up then powers it on again. */
static void test_reader_handover_power_off(void **state)
{
	static const struct fake_step off[] = {
		FAKE_OUT("63 00000000 00 02 00 00 00"),
		FAKE_IN("81 00000000 00 02 01 00 00"),
	};
	struct rdr a, b;
	struct ccid_slot_state sa;
	uint8_t atr[CCID_ATR_MAX];
	size_t len = 0;
	unsigned e0;

	(void)state;
	rdr_open(&a, RD_SHORT, true);
	rdr_open(&b, RD_SHORT, true);
	rdr_power_on(&a, 1, ATR10_HEX);
	e0 = rdr_state(&a).power_epoch;
	assert_int_equal(ccid_slot_power_up(b.r, 0, atr, sizeof(atr), &len,
					    D5S), CCID_OK);
	assert_int_equal(b.f->ops, 0);
	/* B's power-off (its bSeq 1 went nowhere: power_up sent nothing) */
	{
		static const struct fake_step off1[] = {
			FAKE_OUT("63 00000000 00 01 00 00 00"),
			FAKE_IN("81 00000000 00 01 01 00 00"),
		};

		FAKE_SCRIPT(b.f, off1);
		assert_int_equal(ccid_slot_power_off(b.r, 0, D5S), CCID_OK);
		fake_transport_done(b.f);
	}
	a.f->ops = 0;
	assert_int_equal(rdr_select(&a, 2), CCID_E_UNPOWERED);
	assert_int_equal(a.f->ops, 0);
	sa = rdr_state(&a);
	assert_true(sa.present);
	assert_false(sa.powered);
	assert_int_equal(sa.atr_len, 0);
	assert_int_equal(sa.power_epoch, e0 + 1);
	/* A powers it up again (bSeq 2) */
	rdr_power_on(&a, 2, ATR10_HEX);
	/* and B powers it off again (bSeq 2) */
	FAKE_SCRIPT(b.f, off);
	assert_int_equal(ccid_slot_power_off(b.r, 0, D5S), CCID_OK);
	fake_transport_done(b.f);
	fake_transport_script(b.f, NULL, 0);
	assert_false(rdr_state(&b).powered);
	rdr_close(&a);
	rdr_close(&b);
}

/* A reader opened while another process has the card powered starts
 * from that state: powered, the ATR, no power-on of its own. */
static void test_reader_join_powered(void **state)
{
	static const struct fake_step probe_active[] = {
		FAKE_OUT("65 00000000 00 00 000000"),
		FAKE_IN("81 00000000 00 00 00 00 00"),
	};
	struct rdr a, b;
	struct ccid_slot_state sb;
	uint8_t atr[CCID_ATR_MAX];
	size_t len = 0;

	(void)state;
	rdr_open(&a, RD_SHORT, true);
	rdr_power_on(&a, 1, ATR10_HEX);
	b.f = make_fake(RD_SHORT, true);
	FAKE_SCRIPT(b.f, probe_active);
	assert_int_equal(ccid_reader_new(&b.f->base, D5S, &b.r), CCID_OK);
	fake_transport_done(b.f);
	b.f->ops = 0;
	sb = rdr_state(&b);
	assert_true(sb.present);
	assert_true(sb.powered);
	assert_int_equal(sb.atr_len, sizeof(ATR10));
	assert_memory_equal(sb.atr, ATR10, sizeof(ATR10));
	assert_int_equal(sb.changes, 0);
	assert_int_equal(ccid_slot_power_up(b.r, 0, atr, sizeof(atr), &len,
					    D5S), CCID_OK);
	assert_int_equal(b.f->ops, 0);
	assert_int_equal(len, sizeof(ATR10));
	/* the card B found is the card B knows: its transmit goes out */
	assert_int_equal(rdr_select(&b, 1), CCID_OK);
	rdr_close(&a);
	rdr_close(&b);
}

/* B's status poll sees the card leave and come back: A learns the
 * removal at its next lease (NO_CARD without I/O), the insertion from
 * the record without the lease, and its event count follows. */
static void test_reader_handover_removal(void **state)
{
	static const struct fake_step gone[] = {
		FAKE_OUT("65 00000000 00 01 000000"),
		FAKE_IN("81 00000000 00 01 02 00 00"),
	};
	static const struct fake_step back[] = {
		FAKE_OUT("65 00000000 00 02 000000"),
		FAKE_IN("81 00000000 00 02 01 00 00"),
	};
	struct rdr a, b;
	struct ccid_slot_state sa, sb;
	unsigned e0;

	(void)state;
	rdr_open(&a, RD_SHORT, true);
	rdr_open(&b, RD_SHORT, true);
	rdr_power_on(&a, 1, ATR10_HEX);
	e0 = rdr_state(&a).power_epoch;
	FAKE_SCRIPT(b.f, gone);
	assert_int_equal(ccid_reader_poll_status(b.r, D5S), CCID_OK);
	fake_transport_done(b.f);
	sb = rdr_state(&b);
	assert_false(sb.present);
	assert_int_equal(sb.changes, 1);
	a.f->ops = 0;
	assert_int_equal(rdr_select(&a, 2), CCID_E_NO_CARD);
	assert_int_equal(a.f->ops, 0);
	sa = rdr_state(&a);
	assert_false(sa.present);
	assert_false(sa.powered);
	assert_int_equal(sa.changes, 1);
	assert_int_equal(sa.power_epoch, e0 + 1);
	FAKE_SCRIPT(b.f, back);
	assert_int_equal(ccid_reader_poll_status(b.r, D5S), CCID_OK);
	fake_transport_done(b.f);
	fake_transport_script(b.f, NULL, 0);
	/* the poller's view, without the lease */
	ccid_reader_share_refresh(a.r);
	assert_int_equal(a.f->ops, 0);
	assert_int_equal(a.f->claims, 3); /* open, power-on, NO_CARD */
	sa = rdr_state(&a);
	assert_true(sa.present);
	assert_false(sa.powered);
	assert_int_equal(sa.changes, 2);
	/* a new card: A powers it (bSeq 2) */
	rdr_power_on(&a, 2, ATR10_HEX);
	e0 = rdr_state(&a).power_epoch;
	/* out and in again between two looks of A's: A sees no difference
	 * in presence, only the counters tell */
	{
		static const struct fake_step out_in[] = {
			FAKE_OUT("65 00000000 00 03 000000"),
			FAKE_IN("81 00000000 00 03 02 00 00"),
			FAKE_OUT("65 00000000 00 04 000000"),
			FAKE_IN("81 00000000 00 04 01 00 00"),
		};

		FAKE_SCRIPT(b.f, out_in);
		assert_int_equal(ccid_reader_poll_status(b.r, D5S), CCID_OK);
		assert_int_equal(ccid_reader_poll_status(b.r, D5S), CCID_OK);
		fake_transport_done(b.f);
		fake_transport_script(b.f, NULL, 0);
	}
	sb = rdr_state(&b);
	assert_int_equal(sb.changes, 4);
	ccid_reader_share_refresh(a.r);
	sa = rdr_state(&a);
	assert_true(sa.present);
	assert_false(sa.powered);
	assert_int_equal(sa.changes, 4);
	assert_true(sa.power_epoch > e0);
	rdr_close(&a);
	rdr_close(&b);
}

/* A record that went back (found corrupt, so read as fresh) costs the
 * card (it is taken as gone) but never sends the counters backwards or
 * around: one change, one power epoch. */
static void test_reader_record_goes_back(void **state)
{
	struct env *e = *state;
	struct rdr a, b;
	struct ccid_slot_state s0, s1;
	uint8_t junk[CCID_SHARE_REC_BYTES];
	int fd;

	rdr_open(&a, RD_SHORT, true);
	rdr_open(&b, RD_SHORT, true);
	rdr_power_on(&a, 1, ATR10_HEX);
	ccid_reader_share_refresh(b.r);
	s0 = rdr_state(&b);
	assert_true(s0.powered);
	snprintf(e->path, sizeof(e->path), "%s/%s.lock", e->dir, KEY);
	fd = open(e->path, O_RDWR);
	assert_true(fd >= 0);
	memset(junk, 0xEE, sizeof(junk));
	assert_int_equal(pwrite(fd, junk, sizeof(junk), 64), (ssize_t)sizeof(junk));
	close(fd);
	ccid_reader_share_refresh(b.r);
	s1 = rdr_state(&b);
	assert_false(s1.present);
	assert_false(s1.powered);
	assert_int_equal(s1.changes, s0.changes + 1);
	assert_int_equal(s1.power_epoch, s0.power_epoch + 1);
	rdr_close(&a);
	rdr_close(&b);
}

/* Two slots: the state of each goes over on its own, and a transaction
 * on one slot leaves the other free. */
static void test_reader_two_slots(void **state)
{
	static const struct fake_step probe2[] = {
		FAKE_OUT("65 00000000 00 00 000000"),
		FAKE_IN("81 00000000 00 00 01 00 00"),
		FAKE_OUT("65 00000000 01 01 000000"),
		FAKE_IN("81 00000000 01 01 01 00 00"),
	};
	static const struct fake_step on1[] = {
		FAKE_OUT("62 00000000 01 02 00 00 00"),
		FAKE_IN("80 0A000000 01 02 00 00 00" ATR10_HEX),
	};
	struct rdr a, b;
	struct ccid_slot_state s0, s1;
	uint8_t atr[CCID_ATR_MAX];
	size_t len = 0;

	(void)state;
	a.f = make_fake(RD_TWO, true);
	FAKE_SCRIPT(a.f, probe2);
	assert_int_equal(ccid_reader_new(&a.f->base, D5S, &a.r), CCID_OK);
	fake_transport_done(a.f);
	b.f = make_fake(RD_TWO, true);
	FAKE_SCRIPT(b.f, probe2);
	assert_int_equal(ccid_reader_new(&b.f->base, D5S, &b.r), CCID_OK);
	fake_transport_done(b.f);
	b.f->ops = 0;
	FAKE_SCRIPT(a.f, on1);
	assert_int_equal(ccid_slot_power_on(a.r, 1, atr, sizeof(atr), &len,
					    D5S), CCID_OK);
	fake_transport_done(a.f);
	fake_transport_script(a.f, NULL, 0);
	assert_int_equal(ccid_slot_power_up(b.r, 1, atr, sizeof(atr), &len,
					    D5S), CCID_OK);
	assert_int_equal(len, sizeof(ATR10));
	assert_int_equal(b.f->ops, 0);
	assert_int_equal(ccid_reader_slot_state(b.r, 0, &s0, NULL), CCID_OK);
	assert_int_equal(ccid_reader_slot_state(b.r, 1, &s1, NULL), CCID_OK);
	assert_true(s0.present);
	assert_false(s0.powered);
	assert_int_equal(s0.power_epoch, 0);
	assert_true(s1.powered);
	assert_int_equal(s1.power_epoch, 1);
	/* A's transaction on slot 1 */
	assert_int_equal(ccid_reader_share_txn(a.r, 1, true), CCID_OK);
	pthread_mutex_lock(&b.r->io_lock);
	assert_int_equal(ccid_reader_lease(b.r, 1, false), CCID_E_BUSY);
	assert_int_equal(ccid_reader_lease(b.r, 0, false), CCID_OK);
	ccid_reader_unlease(b.r);
	pthread_mutex_unlock(&b.r->io_lock);
	assert_int_equal(ccid_reader_share_conn(b.r, 1, CCID_SHARE_EXCL),
			 CCID_OK);
	assert_int_equal(ccid_reader_share_conn(a.r, 1, CCID_SHARE_SHARED),
			 CCID_E_BUSY);
	assert_int_equal(ccid_reader_share_conn(a.r, 0, CCID_SHARE_EXCL),
			 CCID_OK);
	rdr_close(&a);
	rdr_close(&b);
}

/* While one holds the lease the other's status poll takes its word for
 * it (no I/O, no claim); a lease attempt without waiting is BUSY. */
static void test_reader_lease_busy(void **state)
{
	struct rdr a, b;

	(void)state;
	rdr_open(&a, RD_SHORT, true);
	rdr_open(&b, RD_SHORT, true);
	pthread_mutex_lock(&a.r->io_lock);
	assert_int_equal(ccid_reader_lease(a.r, -1, false), CCID_OK);
	assert_true(a.f->claimed);
	assert_int_equal(a.f->claims, 2);

	assert_int_equal(ccid_reader_poll_status(b.r, D5S), CCID_OK);
	assert_int_equal(b.f->ops, 0);
	assert_int_equal(b.f->claims, 1);
	pthread_mutex_lock(&b.r->io_lock);
	assert_int_equal(ccid_reader_lease(b.r, -1, false), CCID_E_BUSY);
	assert_int_equal(ccid_reader_lease(b.r, 0, false), CCID_E_BUSY);
	assert_false(b.r->leased);
	pthread_mutex_unlock(&b.r->io_lock);
	assert_int_equal(b.f->claims, 1);
	assert_false(b.f->claimed);

	ccid_reader_unlease(a.r);
	pthread_mutex_unlock(&a.r->io_lock);
	assert_false(a.f->claimed);
	assert_int_equal(a.f->releases, 2);
	/* now B's poll goes out (bSeq 1) */
	{
		static const struct fake_step poll[] = {
			FAKE_OUT("65 00000000 00 01 000000"),
			FAKE_IN("81 00000000 00 01 01 00 00"),
		};

		FAKE_SCRIPT(b.f, poll);
		assert_int_equal(ccid_reader_poll_status(b.r, D5S), CCID_OK);
		fake_transport_done(b.f);
		fake_transport_script(b.f, NULL, 0);
	}
	assert_int_equal(b.f->claims, 2);
	assert_int_equal(b.f->releases, 2);
	rdr_close(&a);
	rdr_close(&b);
}

/* The claim fails (another program holds the interface): the operation
 * fails with it and leaves the lease to others. */
static void test_reader_claim_fails(void **state)
{
	struct rdr a, b;
	uint8_t atr[CCID_ATR_MAX];
	size_t len = 0;

	(void)state;
	rdr_open(&a, RD_SHORT, true);
	rdr_open(&b, RD_SHORT, true);
	b.f->claim_err = CCID_E_BUSY;
	assert_int_equal(ccid_slot_power_up(b.r, 0, atr, sizeof(atr), &len,
					    D5S), CCID_E_BUSY);
	assert_int_equal(b.f->ops, 0);
	assert_false(b.r->leased);
	assert_false(b.f->claimed);
	/* A is not locked out */
	rdr_power_on(&a, 1, ATR10_HEX);
	b.f->claim_err = 0;
	assert_int_equal(ccid_slot_power_up(b.r, 0, atr, sizeof(atr), &len,
					    D5S), CCID_OK);
	assert_int_equal(len, sizeof(ATR10));
	assert_int_equal(b.f->ops, 0);
	rdr_close(&a);
	rdr_close(&b);
}

/* (d) A's transaction on the slot: B's lease for that slot is BUSY, a
 * status poll's (slot -1) is not. */
static void test_reader_txn(void **state)
{
	struct rdr a, b;

	(void)state;
	rdr_open(&a, RD_SHORT, true);
	rdr_open(&b, RD_SHORT, true);
	assert_int_equal(ccid_reader_share_txn(a.r, 0, true), CCID_OK);
	assert_true(ccid_share_txn_other(b.r->share, 0));
	assert_false(ccid_share_txn_other(a.r->share, 0));
	assert_int_equal(ccid_reader_share_txn(b.r, 0, true), CCID_E_BUSY);
	assert_int_equal(ccid_reader_share_txn(b.r, 1, true), CCID_E_INVAL);

	pthread_mutex_lock(&b.r->io_lock);
	assert_int_equal(ccid_reader_lease(b.r, 0, false), CCID_E_BUSY);
	assert_false(b.r->leased);
	assert_false(b.f->claimed);
	assert_int_equal(b.f->claims, 1);
	assert_int_equal(ccid_reader_lease(b.r, -1, false), CCID_OK);
	assert_true(b.r->leased);
	assert_true(b.f->claimed);
	ccid_reader_unlease(b.r);
	pthread_mutex_unlock(&b.r->io_lock);
	assert_false(b.f->claimed);

	/* A itself is not held up by its own transaction (bSeq 1) */
	rdr_power_on(&a, 1, ATR10_HEX);
	assert_int_equal(ccid_reader_share_txn(a.r, 0, false), CCID_OK);
	assert_false(ccid_share_txn_other(b.r->share, 0));
	pthread_mutex_lock(&b.r->io_lock);
	assert_int_equal(ccid_reader_lease(b.r, 0, false), CCID_OK);
	ccid_reader_unlease(b.r);
	pthread_mutex_unlock(&b.r->io_lock);
	/* and now B holds it */
	assert_int_equal(ccid_reader_share_txn(b.r, 0, true), CCID_OK);
	assert_true(ccid_share_txn_other(a.r->share, 0));
	rdr_close(&b); /* closing ends it */
	assert_false(ccid_share_txn_other(a.r->share, 0));
	rdr_close(&a);
}

/* Connections through the readers; the poller's refresh wakes waiters
 * (a generation bump) when the others' connections change, and only
 * then. */
static void test_reader_conn_peers(void **state)
{
	struct rdr a, b, c;
	struct ccid_slot_state st;
	uint64_t g0 = 0, g1 = 0;

	(void)state;
	rdr_open(&a, RD_SHORT, true);
	rdr_open(&b, RD_SHORT, true);
	assert_int_equal(ccid_reader_share_peers(b.r, 0), CCID_SHARE_NONE);
	assert_int_equal(ccid_reader_slot_state(b.r, 0, &st, &g0), CCID_OK);
	assert_int_equal(ccid_reader_share_conn(a.r, 0, CCID_SHARE_EXCL),
			 CCID_OK);
	assert_int_equal(ccid_reader_share_peers(b.r, 0), CCID_SHARE_EXCL);
	assert_int_equal(ccid_reader_share_peers(a.r, 0), CCID_SHARE_NONE);
	assert_int_equal(ccid_reader_share_conn(b.r, 0, CCID_SHARE_SHARED),
			 CCID_E_BUSY);
	assert_int_equal(ccid_reader_share_conn(b.r, 1, CCID_SHARE_SHARED),
			 CCID_E_INVAL);
	assert_int_equal(ccid_reader_share_peers(b.r, 1), CCID_SHARE_NONE);
	ccid_reader_share_refresh(b.r);
	assert_int_equal(ccid_reader_slot_state(b.r, 0, &st, &g1), CCID_OK);
	assert_true(g1 > g0);
	assert_int_equal(b.r->peers[0], CCID_SHARE_EXCL);
	g0 = g1;
	ccid_reader_share_refresh(b.r);
	assert_int_equal(ccid_reader_slot_state(b.r, 0, &st, &g1), CCID_OK);
	assert_int_equal(g1, g0);
	assert_int_equal(ccid_reader_share_conn(a.r, 0, CCID_SHARE_SHARED),
			 CCID_OK);
	ccid_reader_share_refresh(b.r);
	assert_int_equal(b.r->peers[0], CCID_SHARE_SHARED);
	assert_int_equal(ccid_reader_share_conn(b.r, 0, CCID_SHARE_SHARED),
			 CCID_OK);
	assert_int_equal(b.f->ops, 0);
	/* a reader that is not shared: always fine, nobody else */
	c.f = make_fake(RD_SHORT, false);
	FAKE_SCRIPT(c.f, probe);
	assert_int_equal(ccid_reader_new(&c.f->base, D5S, &c.r), CCID_OK);
	assert_int_equal(ccid_reader_share_conn(c.r, 0, CCID_SHARE_EXCL),
			 CCID_OK);
	assert_int_equal(ccid_reader_share_txn(c.r, 0, true), CCID_OK);
	assert_int_equal(ccid_reader_share_peers(c.r, 0), CCID_SHARE_NONE);
	ccid_reader_share_refresh(c.r);
	rdr_close(&c);
	rdr_close(&a);
	/* A gone: its connection with it */
	assert_int_equal(ccid_reader_share_peers(b.r, 0), CCID_SHARE_NONE);
	rdr_close(&b);
}

struct tx_thread {
	struct rdr *x;
	int err;
};

static void *select_thread(void *arg)
{
	struct tx_thread *t = arg;
	uint8_t resp[8];
	size_t len = 0;

	__atomic_store_n(&t->err, ccid_slot_transmit(t->x->r, 0, SELECT,
						     sizeof(SELECT), resp,
						     sizeof(resp), &len, D5S),
			 __ATOMIC_RELEASE);
	return NULL;
}

/* An operation on B waits while A holds the slot's transaction, and goes
 * out once A ends it. */
static void test_reader_txn_waits(void **state)
{
	static const struct fake_step sel[] = {
		FAKE_OUT("6F 07000000 00 01 00 00 00 00 A4 04 00 02 3F 00"),
		FAKE_IN("80 02000000 00 01 00 00 00 90 00"),
	};
	struct rdr a, b;
	struct tx_thread t = { .err = 1 };
	uint8_t atr[CCID_ATR_MAX];
	size_t len = 0;
	pthread_t th;

	(void)state;
	rdr_open(&a, RD_SHORT, true);
	rdr_open(&b, RD_SHORT, true);
	rdr_power_on(&a, 1, ATR10_HEX);
	assert_int_equal(ccid_slot_power_up(b.r, 0, atr, sizeof(atr), &len,
					    D5S), CCID_OK);
	assert_int_equal(ccid_reader_share_txn(a.r, 0, true), CCID_OK);
	t.x = &b;
	FAKE_SCRIPT(b.f, sel);
	assert_int_equal(pthread_create(&th, NULL, select_thread, &t), 0);
	usleep(150 * 1000);
	assert_int_equal(__atomic_load_n(&t.err, __ATOMIC_ACQUIRE), 1); /* waiting */
	/* nothing went out: B's lease is still waiting, io_lock held */
	pthread_mutex_lock(&b.r->share_mu);
	assert_false(b.r->leased);
	pthread_mutex_unlock(&b.r->share_mu);
	assert_int_equal(ccid_reader_share_txn(a.r, 0, false), CCID_OK);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(t.err, CCID_OK);
	fake_transport_done(b.f);
	fake_transport_script(b.f, NULL, 0);
	rdr_close(&a);
	rdr_close(&b);
}

/* (e) CCIDKIT_SHARE=0: claimed once at ccid_reader_new, released at the
 * end, no lock file. */
static void test_reader_share_off(void **state)
{
	struct env *e = *state;
	struct rdr a;

	setenv("CCIDKIT_SHARE", "0", 1);
	rdr_open(&a, RD_SHORT, true);
	assert_null(a.r->share);
	assert_true(a.f->claimed);
	assert_int_equal(a.f->claims, 1);
	assert_int_equal(a.f->releases, 0);
	rdr_power_on(&a, 1, ATR10_HEX);
	assert_int_equal(rdr_select(&a, 2), CCID_OK);
	assert_int_equal(a.f->claims, 1);
	assert_int_equal(a.f->releases, 0);
	assert_true(a.f->claimed);
	assert_int_equal(dir_entries(e->dir), 0);
	fake_transport_done(a.f);
	ccid_reader_unref(&a.r);
	assert_int_equal(a.f->releases, 1);
	assert_false(a.f->claimed);
	assert_true(a.f->closed);
	fake_transport_free(&a.f);
	/* CCIDKIT_SHARE=1 (anything but 0) shares */
	setenv("CCIDKIT_SHARE", "1", 1);
	rdr_open(&a, RD_SHORT, true);
	assert_non_null(a.r->share);
	assert_false(a.f->claimed);
	assert_int_equal(dir_entries(e->dir), 1);
	rdr_close(&a);
}

/* The interrupt pipe needs the interface claimed all the time: a shared
 * reader goes without it (polled), a reader kept for itself uses it. */
static void test_reader_interrupt_pipe(void **state)
{
	struct rdr a;

	(void)state;
	a.f = make_fake(RD_SHORT, true);
	a.f->base.info.has_interrupt = true;
	FAKE_SCRIPT(a.f, probe);
	assert_int_equal(ccid_reader_new(&a.f->base, D5S, &a.r), CCID_OK);
	assert_non_null(a.r->share);
	assert_false(a.f->intr_running);
	rdr_close(&a);

	setenv("CCIDKIT_SHARE", "0", 1);
	a.f = make_fake(RD_SHORT, true);
	a.f->base.info.has_interrupt = true;
	FAKE_SCRIPT(a.f, probe);
	assert_int_equal(ccid_reader_new(&a.f->base, D5S, &a.r), CCID_OK);
	assert_null(a.r->share);
	assert_true(a.f->intr_running);
	assert_true(a.f->claimed);
	fake_transport_done(a.f);
	ccid_reader_unref(&a.r);
	assert_false(a.f->intr_running);
	assert_int_equal(a.f->releases, 1);
	fake_transport_free(&a.f);
}

/* Not shared and somebody else has the interface: ccid_reader_new fails
 * with the claim's error, sending nothing. */
static void test_reader_share_off_busy(void **state)
{
	struct fake_transport *f = make_fake(RD_SHORT, true);
	struct ccid_reader *r = (struct ccid_reader *)&r;

	(void)state;
	setenv("CCIDKIT_SHARE", "0", 1);
	f->claim_err = CCID_E_BUSY;
	assert_int_equal(ccid_reader_new(&f->base, D5S, &r), CCID_E_BUSY);
	assert_null(r);
	assert_int_equal(f->ops, 0);
	assert_true(f->closed);
	assert_false(f->claimed);
	fake_transport_free(&f);
}

/* No usable lock directory: the reader keeps the interface for itself. */
static void test_reader_no_lock_dir(void **state)
{
	struct env *e = *state;
	char file[128];
	struct rdr a;
	int fd;

	snprintf(file, sizeof(file), "%s/file", e->dir);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	setenv("CCIDKIT_LOCK_DIR", file, 1);
	rdr_open(&a, RD_SHORT, true);
	assert_null(a.r->share);
	assert_true(a.f->claimed);
	assert_int_equal(a.f->claims, 1);
	fake_transport_done(a.f);
	ccid_reader_unref(&a.r);
	assert_int_equal(a.f->releases, 1);
	fake_transport_free(&a.f);
	setenv("CCIDKIT_LOCK_DIR", e->dir, 1);
}

/* A transport without claim/release (usbredir, the plain fake): nothing
 * is shared, no file is made. */
static void test_reader_unclaimable(void **state)
{
	struct env *e = *state;
	struct rdr a;

	rdr_open(&a, RD_SHORT, false);
	assert_null(a.r->share);
	rdr_power_on(&a, 1, ATR10_HEX);
	assert_int_equal(dir_entries(e->dir), 0);
	rdr_close(&a);
}

/* T=1 at TPDU level: A negotiates T=1 and sends an I-block with N(S) 0;
 * B takes over the protocol without any exchange and its first I-block
 * carries N(S) 1; A's next one N(S) 0 again. */
#define ATR_T1_HEX "3B 80 01 81"

static void test_reader_handover_t1(void **state)
{
	static const struct fake_step a_script[] = {
		/* SetParameters T=1 (bSeq 2), S(IFS request 254) (bSeq 3) */
		FAKE_OUT("61 07000000 00 02 01 00 00 11 10 00 4D 00 20 00"),
		FAKE_IN("82 07000000 00 02 00 00 01 11 10 00 4D 00 20 00"),
		FAKE_OUT("6F 05000000 00 03 00 00 00 00 C1 01 FE 3E"),
		FAKE_IN("80 05000000 00 03 00 00 00 00 E1 01 FE 1E"),
		/* I(0) */
		FAKE_OUT("6F 08000000 00 04 00 00 00 00 00 04 80 16 00 00 92"),
		FAKE_IN("80 06000000 00 04 00 00 00 00 00 02 90 00 92"),
	};
	static const struct fake_step b_script[] = {
		/* I(1), B's bSeq 1 */
		FAKE_OUT("6F 08000000 00 01 00 00 00 00 40 04 80 16 00 00 D2"),
		FAKE_IN("80 06000000 00 01 00 00 00 00 40 02 90 00 D2"),
	};
	static const struct fake_step a_script2[] = {
		/* I(0) again */
		FAKE_OUT("6F 08000000 00 05 00 00 00 00 00 04 80 16 00 00 92"),
		FAKE_IN("80 06000000 00 05 00 00 00 00 00 02 90 00 92"),
	};
	static const uint8_t nop[] = { 0x80, 0x16, 0x00, 0x00 };
	struct rdr a, b;
	struct ccid_share *s;
	struct ccid_share_rec rec;
	uint8_t resp[8];
	size_t len = 0;

	(void)state;
	rdr_open(&a, RD_TPDU, true);
	rdr_open(&b, RD_TPDU, true);
	rdr_power_on(&a, 1, ATR_T1_HEX);
	FAKE_SCRIPT(a.f, a_script);
	assert_int_equal(ccid_slot_set_protocol(a.r, 0, 1, D5S), CCID_OK);
	assert_int_equal(ccid_slot_transmit(a.r, 0, nop, sizeof(nop), resp,
					    sizeof(resp), &len, D5S), CCID_OK);
	assert_int_equal(len, 2);
	assert_memory_equal(resp, "\x90\x00", 2);
	fake_transport_done(a.f);

	/* what the record says now (a third user of the file) */
	s = share_open(KEY, 1);
	assert_int_equal(ccid_share_read(s, false, &rec), CCID_OK);
	assert_true(rec.slot[0].present);
	assert_true(rec.slot[0].powered);
	assert_int_equal(rec.slot[0].atr_len, 4);
	assert_memory_equal(rec.slot[0].atr, "\x3B\x80\x01\x81", 4);
	assert_true(rec.slot[0].proto_valid);
	assert_int_equal(rec.slot[0].protocol, 1);
	assert_int_equal(rec.slot[0].fidi, 0x11);
	assert_int_equal(rec.slot[0].ifsc, 32);
	assert_int_equal(rec.slot[0].ifsd, 254);
	assert_false(rec.slot[0].crc);
	assert_int_equal(rec.slot[0].ns, 1);
	assert_int_equal(rec.slot[0].nr, 1);
	ccid_share_free(&s);

	/* B: T=1 already, nothing sent */
	assert_int_equal(ccid_slot_current_protocol(b.r, 0), 1);
	assert_int_equal(ccid_slot_set_protocol(b.r, 0, 1, D5S), CCID_OK);
	assert_int_equal(ccid_slot_set_protocol(b.r, 0, 0, D5S), CCID_E_INVAL);
	assert_int_equal(b.f->ops, 0);
	FAKE_SCRIPT(b.f, b_script);
	assert_int_equal(ccid_slot_transmit(b.r, 0, nop, sizeof(nop), resp,
					    sizeof(resp), &len, D5S), CCID_OK);
	assert_int_equal(len, 2);
	assert_memory_equal(resp, "\x90\x00", 2);
	fake_transport_done(b.f);
	fake_transport_script(b.f, NULL, 0);

	FAKE_SCRIPT(a.f, a_script2);
	assert_int_equal(ccid_slot_transmit(a.r, 0, nop, sizeof(nop), resp,
					    sizeof(resp), &len, D5S), CCID_OK);
	fake_transport_done(a.f);
	fake_transport_script(a.f, NULL, 0);
	assert_int_equal(ccid_slot_current_protocol(a.r, 0), 1);
	rdr_close(&a);
	rdr_close(&b);
}

/* At APDU level there is no T=1 engine: the record carries the protocol
 * with IFSC = IFSD = 0, and it stays decodable through the hand-overs. */
static void test_reader_handover_apdu_level_t1(void **state)
{
	static const struct fake_step setp[] = {
		FAKE_OUT("61 07000000 00 02 01 00 00 11 10 00 4D 00 20 00"),
		FAKE_IN("82 07000000 00 02 00 00 01 11 10 00 4D 00 20 00"),
	};
	struct rdr a, b;
	struct ccid_share *s;
	struct ccid_share_rec rec;

	(void)state;
	rdr_open(&a, RD_SHORT, true);
	rdr_open(&b, RD_SHORT, true);
	rdr_power_on(&a, 1, ATR_T1_HEX);
	FAKE_SCRIPT(a.f, setp);
	assert_int_equal(ccid_slot_set_protocol(a.r, 0, 1, D5S), CCID_OK);
	fake_transport_done(a.f);
	fake_transport_script(a.f, NULL, 0);
	s = share_open(KEY, 1);
	assert_int_equal(ccid_share_read(s, false, &rec), CCID_OK);
	assert_true(rec.slot[0].powered);
	assert_true(rec.slot[0].proto_valid);
	assert_int_equal(rec.slot[0].protocol, 1);
	assert_int_equal(rec.slot[0].ifsc, 0);
	assert_int_equal(rec.slot[0].ifsd, 0);
	/* B takes it over, exchanges (bSeq 1), hands it back */
	assert_int_equal(ccid_slot_current_protocol(b.r, 0), 1);
	assert_int_equal(b.f->ops, 0);
	assert_int_equal(rdr_select(&b, 1), CCID_OK);
	assert_int_equal(ccid_share_read(s, false, &rec), CCID_OK);
	assert_true(rec.slot[0].powered);
	assert_true(rec.slot[0].proto_valid);
	assert_int_equal(rec.slot[0].protocol, 1);
	ccid_share_free(&s);
	a.f->ops = 0;
	assert_int_equal(ccid_slot_current_protocol(a.r, 0), 1);
	assert_int_equal(a.f->ops, 0);
	rdr_close(&a);
	rdr_close(&b);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, env_setup, env_teardown)
	const struct CMUnitTest tests[] = {
		T(test_codec_round_trip),
		T(test_codec_empty_is_fresh),
		T(test_codec_rejections),
		T(test_codec_accepts_limits),
		T(test_codec_truncated),
		T(test_lock_lease),
		T(test_lock_lease_wait),
		T(test_lock_conn),
		T(test_lock_txn),
		T(test_lock_free_releases),
		T(test_record_first_opener_resets),
		T(test_record_garbage),
		T(test_open_bad_keys),
		T(test_open_modes),
		T(test_open_bad_dirs),
		T(test_reader_claims),
		T(test_reader_handover_power),
		T(test_reader_handover_power_off),
		T(test_reader_join_powered),
		T(test_reader_two_slots),
		T(test_reader_handover_removal),
	T(test_reader_record_goes_back),
		T(test_reader_lease_busy),
		T(test_reader_claim_fails),
		T(test_reader_txn),
		T(test_reader_conn_peers),
		T(test_reader_txn_waits),
		T(test_reader_share_off),
		T(test_reader_share_off_busy),
		T(test_reader_interrupt_pipe),
		T(test_reader_no_lock_dir),
		T(test_reader_unclaimable),
		T(test_reader_handover_t1),
		T(test_reader_handover_apdu_level_t1),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
