/* ccidkit — the per-reader state file shared between processes (share.h,
 * ccid/SHARING.md): open file description locks on single bytes, and the
 * record codec. */
#include "config.h"
#include "ccid/share.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ccid/err.h"
#include "ccid/log.h"

#define BYTE_LEASE 0
#define BYTE_REC 1
#define BYTE_OPEN 2
#define BYTE_CONN 16
#define BYTE_TXN 48
/* the record lives after the lock bytes (locks do not need data there) */
#define REC_OFFSET 64

struct ccid_share {
	int fd;
	unsigned nslots;
	char path[256];
	/* the file's record as last read or written: a write that would
	 * not change it is skipped (most exchanges change nothing) */
	uint8_t last[CCID_SHARE_REC_BYTES];
	bool last_valid;
};

/* ------------------------------------------------------------------ */
/* Record codec                                                       */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Slot block: epoch(4) changes(4) flags(1) atr_len(1) atr(33)
 * protocol fidi wi bwi ifsc ifsd nad ns nr (9), zero padding. */
enum {
	F_PRESENT = 1, F_POWERED = 2, F_PROTO = 4, F_PPS_REFUSED = 8,
	F_CRC = 16, F_ALL = 31,
};

static void encode_slot(const struct ccid_share_slot *s, uint8_t *p)
{
	uint8_t *q = p + 10 + CCID_ATR_MAX;

	memset(p, 0, CCID_SHARE_SLOT_BYTES);
	put32(p, s->epoch);
	put32(p + 4, s->changes);
	p[8] = (uint8_t)((s->present ? F_PRESENT : 0) |
			 (s->powered ? F_POWERED : 0) |
			 (s->proto_valid ? F_PROTO : 0) |
			 (s->pps_refused ? F_PPS_REFUSED : 0) |
			 (s->crc ? F_CRC : 0));
	p[9] = s->atr_len <= CCID_ATR_MAX ? s->atr_len : 0;
	memcpy(p + 10, s->atr, p[9]);
	q[0] = s->protocol;
	q[1] = s->fidi;
	q[2] = s->wi;
	q[3] = s->bwi;
	q[4] = s->ifsc;
	q[5] = s->ifsd;
	q[6] = s->nad;
	q[7] = s->ns;
	q[8] = s->nr;
}

void ccid_share_encode(const struct ccid_share_rec *rec,
		       uint8_t out[CCID_SHARE_REC_BYTES])
{
	memset(out, 0, CCID_SHARE_REC_BYTES);
	put32(out, CCID_SHARE_MAGIC);
	put32(out + 4, CCID_SHARE_REC_BYTES);
	out[8] = rec->nslots;
	for (unsigned n = 0; n < CCID_MAX_SLOTS; n++)
		encode_slot(&rec->slot[n], out + 12 + n * CCID_SHARE_SLOT_BYTES);
}

/* Every value the driver could have written, nothing else: a T=1 IFSC
 * and IFSD of 1..254 (ISO 7816-3 §11.4.2) or both 0, sequence numbers
 * 0/1. */
static int decode_slot(const uint8_t *p, struct ccid_share_slot *s)
{
	const uint8_t *q = p + 10 + CCID_ATR_MAX;

	if ((p[8] & ~F_ALL) != 0 || p[9] > CCID_ATR_MAX)
		return CCID_E_PROTO;
	s->epoch = get32(p);
	s->changes = get32(p + 4);
	s->present = p[8] & F_PRESENT;
	s->powered = p[8] & F_POWERED;
	s->proto_valid = p[8] & F_PROTO;
	s->pps_refused = p[8] & F_PPS_REFUSED;
	s->crc = p[8] & F_CRC;
	s->atr_len = p[9];
	memcpy(s->atr, p + 10, s->atr_len);
	s->protocol = q[0];
	s->fidi = q[1];
	s->wi = q[2];
	s->bwi = q[3];
	s->ifsc = q[4];
	s->ifsd = q[5];
	s->nad = q[6];
	s->ns = q[7];
	s->nr = q[8];
	if (s->powered && (!s->present || s->atr_len == 0))
		return CCID_E_PROTO;
	/* IFSC = IFSD = 0: no T=1 engine (APDU-level readers) */
	if (s->proto_valid &&
	    (!s->powered || s->protocol > 1 || s->ns > 1 || s->nr > 1 ||
	     s->ifsc == 255 || s->ifsd == 255 || s->bwi > 9 ||
	     (s->ifsc == 0) != (s->ifsd == 0)))
		return CCID_E_PROTO;
	return CCID_OK;
}

int ccid_share_decode(const uint8_t *buf, size_t len, unsigned nslots,
		      struct ccid_share_rec *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->nslots = (uint8_t)nslots;
	if (len == 0)
		return CCID_OK;
	if (buf == NULL || len != CCID_SHARE_REC_BYTES ||
	    get32(buf) != CCID_SHARE_MAGIC ||
	    get32(buf + 4) != CCID_SHARE_REC_BYTES || buf[8] != nslots ||
	    nslots == 0 || nslots > CCID_MAX_SLOTS)
		return CCID_E_PROTO;
	for (unsigned n = 0; n < nslots; n++) {
		if (decode_slot(buf + 12 + n * CCID_SHARE_SLOT_BYTES,
				&rec->slot[n]) != CCID_OK) {
			memset(rec, 0, sizeof(*rec));
			rec->nslots = (uint8_t)nslots;
			return CCID_E_PROTO;
		}
	}
	return CCID_OK;
}

/* ------------------------------------------------------------------ */
/* Locks                                                              */

/* One byte, F_OFD_SETLK(W) or F_OFD_GETLK.  Returns the fcntl result. */
static int ofd(int fd, int cmd, short type, off_t byte, short *found)
{
	struct flock fl;
	int rc;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = byte;
	fl.l_len = 1;
	do
		rc = fcntl(fd, cmd, &fl);
	while (rc < 0 && errno == EINTR);
	if (found != NULL)
		*found = fl.l_type;
	return rc;
}

static int try_lock(struct ccid_share *s, short type, off_t byte)
{
	if (ofd(s->fd, F_OFD_SETLK, type, byte, NULL) == 0)
		return CCID_OK;
	return errno == EAGAIN || errno == EACCES ? CCID_E_BUSY : CCID_E_IO;
}

/* What other open file descriptions hold on a byte. */
static short held_by_others(struct ccid_share *s, off_t byte)
{
	short found = F_UNLCK;

	if (ofd(s->fd, F_OFD_GETLK, F_WRLCK, byte, &found) != 0)
		return F_UNLCK;
	return found;
}

int ccid_share_lock(struct ccid_share *s, bool wait, const bool *stop)
{
	long ns = 200000;

	for (;;) {
		int err = try_lock(s, F_WRLCK, BYTE_LEASE);

		if (err != CCID_E_BUSY || !wait)
			return err;
		if (stop != NULL && __atomic_load_n(stop, __ATOMIC_ACQUIRE))
			return CCID_E_CANCELLED;
		nanosleep(&(struct timespec){ .tv_nsec = ns }, NULL);
		if (ns < 5000000)
			ns *= 2;
	}
}

void ccid_share_unlock(struct ccid_share *s)
{
	ofd(s->fd, F_OFD_SETLK, F_UNLCK, BYTE_LEASE, NULL);
}

int ccid_share_conn(struct ccid_share *s, unsigned slot,
		    enum ccid_share_mode mode)
{
	static const short type[] = { F_UNLCK, F_RDLCK, F_WRLCK };

	if (slot >= s->nslots || (unsigned)mode > CCID_SHARE_EXCL)
		return CCID_E_INVAL;
	return try_lock(s, type[mode], BYTE_CONN + (off_t)slot);
}

enum ccid_share_mode ccid_share_peers(struct ccid_share *s, unsigned slot)
{
	short t;

	if (slot >= s->nslots)
		return CCID_SHARE_NONE;
	t = held_by_others(s, BYTE_CONN + (off_t)slot);
	return t == F_WRLCK ? CCID_SHARE_EXCL :
	       t == F_RDLCK ? CCID_SHARE_SHARED : CCID_SHARE_NONE;
}

int ccid_share_txn(struct ccid_share *s, unsigned slot, bool on)
{
	if (slot >= s->nslots)
		return CCID_E_INVAL;
	return try_lock(s, on ? F_WRLCK : F_UNLCK, BYTE_TXN + (off_t)slot);
}

bool ccid_share_txn_other(struct ccid_share *s, unsigned slot)
{
	return slot < s->nslots &&
	       held_by_others(s, BYTE_TXN + (off_t)slot) != F_UNLCK;
}

/* ------------------------------------------------------------------ */
/* Record I/O                                                         */

static int rec_lock(struct ccid_share *s, short type)
{
	return ofd(s->fd, F_OFD_SETLKW, type, BYTE_REC, NULL) == 0 ?
	       CCID_OK : CCID_E_IO;
}

int ccid_share_read(struct ccid_share *s, bool leased,
		    struct ccid_share_rec *rec)
{
	uint8_t buf[CCID_SHARE_REC_BYTES];
	ssize_t n;

	/* writers hold the lease: its holder reads without the byte lock */
	if (!leased && rec_lock(s, F_RDLCK) != CCID_OK)
		return CCID_E_IO;
	n = pread(s->fd, buf, sizeof(buf), REC_OFFSET);
	if (!leased)
		rec_lock(s, F_UNLCK);
	if (n < 0)
		return CCID_E_IO;
	s->last_valid = n == (ssize_t)sizeof(buf);
	if (s->last_valid)
		memcpy(s->last, buf, sizeof(buf));
	if (ccid_share_decode(buf, (size_t)n, s->nslots, rec) != CCID_OK)
		ccid_log_err("%s: reader state is not ccidkit's (%zd bytes): "
			     "starting afresh", s->path, n);
	return CCID_OK;
}

int ccid_share_write(struct ccid_share *s, const struct ccid_share_rec *rec)
{
	uint8_t buf[CCID_SHARE_REC_BYTES];
	ssize_t n;

	ccid_share_encode(rec, buf);
	if (s->last_valid && memcmp(buf, s->last, sizeof(buf)) == 0)
		return CCID_OK;
	if (rec_lock(s, F_WRLCK) != CCID_OK)
		return CCID_E_IO;
	n = pwrite(s->fd, buf, sizeof(buf), REC_OFFSET);
	rec_lock(s, F_UNLCK);
	s->last_valid = n == (ssize_t)sizeof(buf);
	if (s->last_valid)
		memcpy(s->last, buf, sizeof(buf));
	return s->last_valid ? CCID_OK : CCID_E_IO;
}

/* ------------------------------------------------------------------ */
/* Opening                                                            */

const char *ccid_share_dir(void)
{
	const char *env = getenv("CCIDKIT_LOCK_DIR");
	struct stat st;

	if (env != NULL && env[0] != '\0')
		return env;
	if (stat("/run/lock", &st) == 0 && S_ISDIR(st.st_mode) &&
	    access("/run/lock", W_OK) == 0)
		return "/run/lock/ccidkit";
	return "/tmp/ccidkit-lock";
}

/* The directory, world-writable and sticky like /tmp when we make it;
 * never a symlink. */
static int share_mkdir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 01777) == 0)
		chmod(dir, 01777); /* the umask trimmed it */
	else if (errno != EEXIST)
		return errno == EACCES || errno == EROFS ? CCID_E_ACCESS :
							   CCID_E_IO;
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return CCID_E_IO;
	return CCID_OK;
}

static bool key_ok(const char *key)
{
	size_t n = strlen(key);

	if (n == 0 || n >= 64 || key[0] == '.')
		return false;
	return strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			   "0123456789._-") == n;
}

static int share_file(struct ccid_share *s, const char *key)
{
	const char *dir = ccid_share_dir();
	struct stat st;
	int err = share_mkdir(dir);

	if (err != CCID_OK)
		return err;
	if ((size_t)snprintf(s->path, sizeof(s->path), "%s/%s.lock", dir,
			     key) >= sizeof(s->path))
		return CCID_E_INVAL;
	s->fd = open(s->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (s->fd < 0)
		return errno == EACCES || errno == EPERM ? CCID_E_ACCESS :
							   CCID_E_IO;
	/* other users must be able to lock it too */
	if (fstat(s->fd, &st) == 0 && st.st_uid == geteuid() &&
	    (st.st_mode & 0666) != 0666)
		fchmod(s->fd, 0666);
	return CCID_OK;
}

/* Under the lease: reset the record when nobody else has the reader. */
static int share_join(struct ccid_share *s)
{
	struct ccid_share_rec rec;
	int err;

	if (held_by_others(s, BYTE_OPEN) == F_UNLCK) {
		memset(&rec, 0, sizeof(rec));
		rec.nslots = (uint8_t)s->nslots;
		err = ccid_share_write(s, &rec);
		if (err != CCID_OK)
			return err;
		if (ftruncate(s->fd, REC_OFFSET + CCID_SHARE_REC_BYTES) != 0)
			return CCID_E_IO;
	}
	return try_lock(s, F_RDLCK, BYTE_OPEN) == CCID_OK ? CCID_OK :
								   CCID_E_IO;
}

int ccid_share_open(const char *key, unsigned nslots, struct ccid_share **out)
{
	struct ccid_share *s;
	int err;

	*out = NULL;
	if (key == NULL || !key_ok(key) || nslots == 0 ||
	    nslots > CCID_MAX_SLOTS)
		return CCID_E_INVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return CCID_E_NOMEM;
	s->fd = -1;
	s->nslots = nslots;
	err = share_file(s, key);
	if (err == CCID_OK && ofd(s->fd, F_OFD_GETLK, F_WRLCK, BYTE_LEASE,
				  NULL) != 0)
		err = errno == EINVAL ? CCID_E_NOT_SUPPORTED : CCID_E_IO;
	if (err == CCID_OK)
		err = ccid_share_lock(s, true, NULL);
	if (err == CCID_OK) {
		err = share_join(s);
		ccid_share_unlock(s);
	}
	if (err != CCID_OK) {
		ccid_log_info("cannot share the reader through %s: %s",
			      s->path[0] ? s->path : ccid_share_dir(),
			      ccid_strerror(err));
		ccid_share_free(&s);
		return err;
	}
	*out = s;
	return CCID_OK;
}

void ccid_share_free(struct ccid_share **sp)
{
	if (sp == NULL || *sp == NULL)
		return;
	if ((*sp)->fd >= 0)
		close((*sp)->fd);
	free(*sp);
	*sp = NULL;
}
