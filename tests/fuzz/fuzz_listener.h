/* ccidkit fuzzing — the listening socket of the targets that talk usbredir
 * (fuzz_usbredir, fuzz_winscard).  The transport connects only to
 * "unix:PATH" or "tcp:HOST:PORT", so each process makes one unix socket in
 * a private mkdtemp directory, the first time it is asked for, and removes
 * both at exit: the only file such a target creates.  Static inline, with
 * its state in a function, like fuzz_util.h. */
#ifndef CCIDKIT_FUZZ_LISTENER_H
#define CCIDKIT_FUZZ_LISTENER_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct fuzz_listener {
	int fd;
	char dir[64];
	char path[96];
	char endpoint[112]; /* "unix:PATH", for CCIDKIT_USBREDIR or the open */
};

static inline struct fuzz_listener *fuzz_listener_state(void)
{
	static struct fuzz_listener l = { .fd = -1 };

	return &l;
}

static inline void fuzz_listener_remove(void)
{
	struct fuzz_listener *l = fuzz_listener_state();

	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	unlink(l->path);
	rmdir(l->dir);
}

/* The listener (made on the first call, its socket type ORed with
 * sock_flags, e.g. SOCK_NONBLOCK), NULL when it cannot be made. */
static inline const struct fuzz_listener *fuzz_listener(int sock_flags)
{
	struct fuzz_listener *l = fuzz_listener_state();
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *tmp = getenv("TMPDIR");
	size_t n;

	if (l->fd >= 0)
		return l;
	snprintf(l->dir, sizeof(l->dir), "%s/ccidkit-fuzz-XXXXXX",
		 tmp != NULL && strlen(tmp) < 32 ? tmp : "/tmp");
	if (mkdtemp(l->dir) == NULL)
		return NULL;
	/* dir is at most 63 bytes: path and endpoint fit (no snprintf of a
	 * member through a pointer: GCC cannot bound it) */
	n = strlen(l->dir);
	memcpy(l->path, l->dir, n);
	memcpy(l->path + n, "/s", 3);
	memcpy(l->endpoint, "unix:", 5);
	memcpy(l->endpoint + 5, l->path, n + 3);
	memcpy(sa.sun_path, l->path, n + 3);
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | sock_flags, 0);
	if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(l->fd, 4) < 0) {
		fuzz_listener_remove();
		return NULL;
	}
	atexit(fuzz_listener_remove);
	return l;
}

#endif
