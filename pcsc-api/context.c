/* ccidkit — contexts and reader lists: SCardEstablishContext,
 * SCardReleaseContext, SCardIsValidContext, SCardCancel, SCardFreeMemory,
 * SCardListReaders, SCardListReaderGroups (pcsc-abi.md §2, §6.1). */
#include "config.h"
#include "pcsc-api/api.h"

#include <stdlib.h>
#include <string.h>

#include "ccid/err.h"

/* Budget for reaching the usbredir peers when the driver starts. */
#define API_START_MS 10000u

/* The one reader group pcsc-lite knows, as a multi-string. */
static const char api_groups[] = "SCard$DefaultReaders\0";

LONG api_out(void *buf, DWORD *pcb, const void *src, size_t len)
{
	if (*pcb == SCARD_AUTOALLOCATE) {
		void *p;

		if (buf == NULL)
			return SCARD_E_INVALID_PARAMETER;
		p = malloc(len > 0 ? len : 1);
		if (p == NULL)
			return SCARD_E_NO_MEMORY;
		if (len > 0)
			memcpy(p, src, len);
		*(void **)buf = p;
	} else if (buf != NULL) {
		if (*pcb < len) {
			*pcb = len;
			return SCARD_E_INSUFFICIENT_BUFFER;
		}
		if (len > 0)
			memcpy(buf, src, len);
	}
	*pcb = len;
	return SCARD_S_SUCCESS;
}

/* Under api.lock (released while the driver starts): start the
 * process-wide driver and its event thread. */
static LONG api_start(void)
{
	struct ccid_manager *m = NULL;
	int err;

	api_wait_driver_idle();
	if (api.mgr != NULL)
		return SCARD_S_SUCCESS;
	api.driver_busy = true;
	pthread_mutex_unlock(&api.lock);
	err = ccid_manager_new(ccid_deadline_in(API_START_MS), &m);
	if (err == CCID_OK)
		err = ccid_manager_watch(m);
	if (err != CCID_OK) {
		ccid_log_err("cannot start the driver: %s", ccid_strerror(err));
		ccid_manager_free(&m);
	}
	pthread_mutex_lock(&api.lock);
	api.mgr = m;
	api.driver_busy = false;
	api_broadcast();
	if (err != CCID_OK)
		return err == CCID_E_NOMEM ? SCARD_E_NO_MEMORY :
		       SCARD_E_NO_SERVICE;
	return SCARD_S_SUCCESS;
}

LONG SCardEstablishContext(DWORD dwScope, LPCVOID pvReserved1,
			   LPCVOID pvReserved2, LPSCARDCONTEXT phContext)
{
	struct api_ctx *c = NULL;
	LONG rv;

	(void)pvReserved1;
	(void)pvReserved2;
	API_TRACE("dwScope %lu", (unsigned long)dwScope);
	if (phContext == NULL)
		API_RETURN(SCARD_E_INVALID_PARAMETER);
	*phContext = 0;
	/* winscard.c: the scope is range-checked and otherwise unused */
	if (dwScope > SCARD_SCOPE_GLOBAL)
		API_RETURN(SCARD_E_INVALID_VALUE);
	api_lock();
	rv = api_start();
	if (rv == SCARD_S_SUCCESS)
		rv = api_ctx_new(&c);
	if (rv == SCARD_S_SUCCESS)
		*phContext = c->id;
	else
		api_drop_driver();
	api_unlock();
	if (rv == SCARD_S_SUCCESS)
		API_TRACE("hContext 0x%lX", (unsigned long)*phContext);
	API_RETURN(rv);
}

/* Wake every SCardGetStatusChange blocked on this context. */
static void api_cancel(struct api_ctx *c)
{
	ccid_manager_lock(api.mgr);
	c->cancel++;
	ccid_manager_broadcast(api.mgr);
	ccid_manager_unlock(api.mgr);
}

LONG SCardReleaseContext(SCARDCONTEXT hContext)
{
	struct api_ctx *c;
	struct api_card **cards;
	size_t n;
	LONG rv;

	API_TRACE("hContext 0x%lX", (unsigned long)hContext);
	rv = api_ctx_get(hContext, &c);
	if (rv != SCARD_S_SUCCESS)
		API_RETURN(rv);
	api_cancel(c);
	api_lock();
	api_ctx_unlist(c);
	n = api_cards_of(c, &cards);
	/* The handles go as with SCARD_LEAVE_CARD (winscard_clnt.c). */
	for (size_t i = 0; i < n; i++) {
		api_card_detach(cards[i]);
		api_card_put_locked(cards[i]);
	}
	free(cards);
	api_unlock();
	if (n > 0)
		api_notify_sharing();
	api_ctx_put(c);
	API_RETURN(SCARD_S_SUCCESS);
}

LONG SCardIsValidContext(SCARDCONTEXT hContext)
{
	struct api_ctx *c;
	LONG rv;

	API_TRACE("hContext 0x%lX", (unsigned long)hContext);
	rv = api_ctx_get(hContext, &c);
	if (rv == SCARD_S_SUCCESS)
		api_ctx_put(c);
	API_RETURN(rv);
}

/* Not sticky: only a GetStatusChange in progress sees the bump (it
 * compares with the count it started with), as with pcsc-lite ≥ 2.0.1. */
LONG SCardCancel(SCARDCONTEXT hContext)
{
	struct api_ctx *c;
	LONG rv;

	API_TRACE("hContext 0x%lX", (unsigned long)hContext);
	rv = api_ctx_get(hContext, &c);
	if (rv != SCARD_S_SUCCESS)
		API_RETURN(rv);
	api_cancel(c);
	api_ctx_put(c);
	API_RETURN(SCARD_S_SUCCESS);
}

LONG SCardFreeMemory(SCARDCONTEXT hContext, LPCVOID pvMem)
{
	struct api_ctx *c;
	LONG rv;

	API_TRACE("hContext 0x%lX", (unsigned long)hContext);
	rv = api_ctx_get(hContext, &c);
	if (rv != SCARD_S_SUCCESS)
		API_RETURN(rv);
	/* SCARD_AUTOALLOCATE blocks are plain malloc() blocks */
	free((void *)(uintptr_t)pvMem);
	api_ctx_put(c);
	API_RETURN(SCARD_S_SUCCESS);
}

/* The readers as a multi-string "a\0b\0\0" into *out (malloc'd). */
static LONG api_reader_list(char **out, size_t *len)
{
	struct ccid_manager *m = api.mgr;
	size_t n = 1, off = 0;
	char *buf;

	ccid_manager_lock(m);
	for (size_t i = 0; i < ccid_manager_count(m); i++) {
		const struct ccid_manager_entry *e = ccid_manager_entry(m, i);

		if (!ccid_reader_is_gone(e->reader))
			n += strlen(e->name) + 1;
	}
	buf = malloc(n);
	if (buf == NULL) {
		ccid_manager_unlock(m);
		return SCARD_E_NO_MEMORY;
	}
	for (size_t i = 0; i < ccid_manager_count(m); i++) {
		const struct ccid_manager_entry *e = ccid_manager_entry(m, i);
		size_t l = strlen(e->name) + 1;

		if (ccid_reader_is_gone(e->reader) || off + l >= n)
			continue;
		memcpy(buf + off, e->name, l);
		off += l;
	}
	ccid_manager_unlock(m);
	buf[off++] = '\0';
	*out = buf;
	*len = off;
	return SCARD_S_SUCCESS;
}

LONG SCardListReaders(SCARDCONTEXT hContext, LPCSTR mszGroups,
		      LPSTR mszReaders, LPDWORD pcchReaders)
{
	struct api_ctx *c;
	char *list = NULL;
	size_t len = 0;
	LONG rv;

	(void)mszGroups; /* pcsc-lite ignores the groups */
	API_TRACE("hContext 0x%lX", (unsigned long)hContext);
	if (pcchReaders == NULL)
		API_RETURN(SCARD_E_INVALID_PARAMETER);
	rv = api_ctx_get(hContext, &c);
	if (rv != SCARD_S_SUCCESS)
		API_RETURN(rv);
	rv = api_reader_list(&list, &len);
	if (rv == SCARD_S_SUCCESS && len == 1) {
		/* no reader: an error with the length of an empty list */
		*pcchReaders = 1;
		rv = SCARD_E_NO_READERS_AVAILABLE;
	} else if (rv == SCARD_S_SUCCESS) {
		rv = api_out(mszReaders, pcchReaders, list, len);
	}
	free(list);
	api_ctx_put(c);
	API_RETURN(rv);
}

LONG SCardListReaderGroups(SCARDCONTEXT hContext, LPSTR mszGroups,
			   LPDWORD pcchGroups)
{
	struct api_ctx *c;
	LONG rv;

	API_TRACE("hContext 0x%lX", (unsigned long)hContext);
	if (pcchGroups == NULL)
		API_RETURN(SCARD_E_INVALID_PARAMETER);
	rv = api_ctx_get(hContext, &c);
	if (rv != SCARD_S_SUCCESS)
		API_RETURN(rv);
	rv = api_out(mszGroups, pcchGroups, api_groups, sizeof(api_groups));
	api_ctx_put(c);
	API_RETURN(rv);
}
