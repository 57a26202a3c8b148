/* ccidkit — card handles: SCardConnect, SCardReconnect, SCardDisconnect,
 * SCardStatus, and what every handle function shares: the card state a
 * handle knows (RESET / REMOVED marks), transaction waits, power-up and
 * protocol negotiation (pcsc-abi.md §6.4). */
#include "config.h"
#include "pcsc-api/api.h"

#include <stdlib.h>
#include <string.h>

#include "ccid/atr.h"
#include "ccid/err.h"
#include "ccid/slot.h"

/* ------------------------------------------------------------------ */
/* Shared by every handle function                                    */

void api_tx_drop(struct api_slot *s)
{
	s->tx_owner = 0;
	s->tx_depth = 0;
	ccid_reader_share_txn(s->reader, s->slot, false);
	api_broadcast();
}

void api_tx_expire(struct api_slot *s, const struct ccid_slot_state *st)
{
	/* readerfactory.c drops the reader lock when the card goes */
	if (s->tx_owner != 0 && (!st->present || st->changes != s->tx_changes))
		api_tx_drop(s);
}

LONG api_share_publish(struct api_slot *s, unsigned handles, bool exclusive)
{
	enum ccid_share_mode m = exclusive ? CCID_SHARE_EXCL :
				 handles > 0 ? CCID_SHARE_SHARED :
					       CCID_SHARE_NONE;
	int err = ccid_reader_share_conn(s->reader, s->slot, m);

	if (err == CCID_E_BUSY) {
		if (m == CCID_SHARE_EXCL)
			ccid_log_info("%s: cannot have the card exclusively: "
				      "another process is connected to it",
				      s->name);
		else
			ccid_log_info("%s: another process has the card "
				      "exclusively", s->name);
		return SCARD_E_SHARING_VIOLATION;
	}
	return err == CCID_OK ? SCARD_S_SUCCESS : api_err(err);
}

LONG api_card_check(struct api_card *c, struct ccid_slot_state *st)
{
	struct api_slot *s = c->slot;

	if (ccid_reader_slot_state(s->reader, s->slot, st, NULL) != CCID_OK)
		return SCARD_E_READER_UNAVAILABLE;
	api_tx_expire(s, st);
	if (c->mark == SCARD_S_SUCCESS && c->had_card) {
		if (!st->present || st->changes != c->changes)
			c->mark = SCARD_W_REMOVED_CARD;
		else if (st->power_epoch != c->epoch || s->resets != c->resets)
			c->mark = SCARD_W_RESET_CARD;
	}
	return c->mark;
}

static bool api_no_blocking(void)
{
	static int cached = -1;

	if (cached < 0)
		cached = getenv("PCSCLITE_NO_BLOCKING") != NULL;
	return cached;
}

LONG api_tx_take(struct api_card *c)
{
	struct api_slot *s = c->slot;

	for (;;) {
		LONG rv = api_wait_tx(c);
		int err;

		if (rv != SCARD_S_SUCCESS || s->tx_owner == c->id)
			return rv;
		/* free in this process: now the other processes */
		err = ccid_reader_share_txn(s->reader, s->slot, true);
		if (err == CCID_OK)
			return SCARD_S_SUCCESS;
		if (err != CCID_E_BUSY)
			return api_err(err);
		if (api_no_blocking())
			return SCARD_E_SHARING_VIOLATION;
		api_wait_ms(API_TX_SHARE_POLL_MS);
	}
}

LONG api_wait_tx(struct api_card *c)
{
	struct api_slot *s = c->slot;
	struct ccid_slot_state st;

	for (;;) {
		if (c->disconnected || c->ctx->released)
			return SCARD_E_INVALID_HANDLE;
		if (s->tx_owner == 0 || s->tx_owner == c->id)
			return SCARD_S_SUCCESS;
		if (ccid_reader_slot_state(s->reader, s->slot, &st, NULL) !=
		    CCID_OK)
			return SCARD_S_SUCCESS; /* the caller reports it */
		api_tx_expire(s, &st);
		if (s->tx_owner == 0)
			return SCARD_S_SUCCESS;
		if (api_no_blocking())
			return SCARD_E_SHARING_VIOLATION;
		api_wait_ms(API_TX_POLL_MS);
	}
}

/* Under api.lock: let go of the reader (Disconnect, ReleaseContext). */
void api_card_detach(struct api_card *c)
{
	struct api_slot *s = c->slot;

	if (c->disconnected)
		return;
	if (s->tx_owner == c->id)
		api_tx_drop(s);
	s->handles--;
	if (c->share == SCARD_SHARE_EXCLUSIVE)
		s->exclusive = false;
	api_share_publish(s, s->handles, s->exclusive); /* never refused */
	api_card_unlist(c);
	api_broadcast();
}

/* Under api.lock: remember the card as it is now, for the marks. */
static void api_card_learn(struct api_card *c, const struct ccid_slot_state *st)
{
	c->had_card = st->present;
	c->changes = st->changes;
	c->epoch = st->power_epoch;
	c->resets = c->slot->resets;
	c->mark = SCARD_S_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* Power and protocol (power_lock held, no other lock)                */

LONG api_power_on(struct api_slot *s, bool reset)
{
	uint8_t atr[CCID_ATR_MAX];
	size_t len = 0;
	struct ccid_slot_state st, before;
	int err;

	ccid_reader_slot_state(s->reader, s->slot, &before, NULL);
	err = (reset ? ccid_slot_power_on : ccid_slot_power_up)(
		s->reader, s->slot, atr, sizeof(atr), &len,
		ccid_deadline_in(API_IO_MS));
	ccid_reader_slot_state(s->reader, s->slot, &st, NULL);
	if ((err == CCID_E_CARD_MUTE || err == CCID_E_BAD_ATR) &&
	    (!st.present || st.changes != before.changes)) {
		/* the card went (or was swapped) during the power-up: its
		 * silence says nothing about the card there now */
		api_lock();
		s->proto_valid = false;
		api_unlock();
		return SCARD_E_NO_SMARTCARD;
	}
	api_lock();
	s->proto_valid = false;
	if (err == CCID_OK || err == CCID_E_CARD_MUTE || err == CCID_E_BAD_ATR) {
		s->atr_known = true;
		s->atr_changes = st.changes;
		s->mute = err != CCID_OK;
		s->atr_len = err == CCID_OK ? len : 0;
		memcpy(s->atr, atr, s->atr_len);
	}
	api_unlock();
	return err == CCID_E_NO_CARD ? SCARD_E_NO_SMARTCARD : api_err(err);
}

static LONG api_power_off(struct api_slot *s)
{
	int err = ccid_slot_power_off(s->reader, s->slot,
				      ccid_deadline_in(API_IO_MS));

	api_lock();
	s->proto_valid = false;
	api_unlock();
	/* an empty slot is as unpowered as it gets */
	return err == CCID_E_NO_CARD ? SCARD_S_SUCCESS : api_err(err);
}

/* Which protocols the ATR offers and which one it starts in
 * (ISO 7816-3 §8.2.3: T=0 when no TD1; TA2 fixes a specific mode). */
static void api_atr_protocols(const struct ccid_slot_state *st,
			      DWORD *avail, DWORD *dflt)
{
	struct ccid_atr atr;

	*avail = SCARD_PROTOCOL_T0;
	*dflt = SCARD_PROTOCOL_T0;
	if (ccid_atr_parse(st->atr, st->atr_len, &atr) != CCID_OK)
		return;
	if (atr.specific_mode) {
		*avail = *dflt = atr.specific_protocol == 1 ?
				 SCARD_PROTOCOL_T1 : SCARD_PROTOCOL_T0;
		return;
	}
	/* bit T of atr.protocols is T=T: bits 0 and 1 are SCARD's T0/T1 */
	if (atr.protocols & 3u)
		*avail = atr.protocols & 3u;
	if (atr.first_protocol == 1)
		*dflt = SCARD_PROTOCOL_T1;
}

/* Negotiate once per power-up (winscard.c): the ATR's default protocol
 * when the caller allows it, else the other offered one the caller
 * wants, set by ccid_slot_set_protocol (PPS and T=1 start-up at TPDU
 * level, PC_to_RDR_SetParameters). */
static LONG api_negotiate(struct api_slot *s, DWORD preferred, DWORD *out)
{
	struct ccid_slot_state st;
	DWORD avail, dflt, want, proto;
	int err;

	if (ccid_reader_slot_state(s->reader, s->slot, &st, NULL) != CCID_OK)
		return SCARD_E_READER_UNAVAILABLE;
	api_lock();
	if (s->proto_valid && s->proto_changes == st.changes &&
	    s->proto_epoch == st.power_epoch && s->proto_resets == s->resets) {
		proto = s->protocol;
		api_unlock();
		if (preferred & proto)
			*out = proto;
		else if (preferred & SCARD_PROTOCOL_RAW)
			*out = SCARD_PROTOCOL_RAW;
		else
			return SCARD_E_PROTO_MISMATCH;
		return SCARD_S_SUCCESS;
	}
	api_unlock();
	if ((preferred & (SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1)) == 0 &&
	    (preferred & SCARD_PROTOCOL_RAW)) {
		*out = SCARD_PROTOCOL_RAW;
		return SCARD_S_SUCCESS;
	}
	api_atr_protocols(&st, &avail, &dflt);
	want = preferred & avail;
	if (want == 0)
		return SCARD_E_PROTO_MISMATCH;
	proto = (want & dflt) ? dflt :
		(want & SCARD_PROTOCOL_T1) ? SCARD_PROTOCOL_T1 : SCARD_PROTOCOL_T0;
	/* another process may have chosen for this power-up already */
	switch (ccid_slot_current_protocol(s->reader, s->slot)) {
	case 0: proto = SCARD_PROTOCOL_T0; break;
	case 1: proto = SCARD_PROTOCOL_T1; break;
	default: break;
	}
	if ((proto & preferred) == 0)
		return SCARD_E_PROTO_MISMATCH;
	err = ccid_slot_set_protocol(s->reader, s->slot,
				     proto == SCARD_PROTOCOL_T1 ? 1 : 0,
				     ccid_deadline_in(API_IO_MS));
	if (err == CCID_E_NOT_SUPPORTED)
		err = CCID_OK; /* the reader sets parameters its own way */
	if (err != CCID_OK)
		return err == CCID_E_NO_DEVICE ? SCARD_E_READER_UNAVAILABLE :
		       err == CCID_E_NO_CARD ? SCARD_E_NO_SMARTCARD :
		       err == CCID_E_INVAL ? SCARD_E_PROTO_MISMATCH :
		       err == CCID_E_RESET ? SCARD_W_RESET_CARD :
		       SCARD_W_UNRESPONSIVE_CARD; /* PPS failed, winscard.c */
	/* a PPS the card refused re-powers it (ISO 7816-3 §9.3): the
	 * protocol belongs to the power-up that exists now */
	if (ccid_reader_slot_state(s->reader, s->slot, &st, NULL) != CCID_OK)
		return SCARD_E_READER_UNAVAILABLE;
	api_lock();
	s->proto_valid = true;
	s->protocol = proto;
	s->proto_changes = st.changes;
	s->proto_epoch = st.power_epoch;
	s->proto_resets = s->resets;
	api_unlock();
	*out = proto;
	return SCARD_S_SUCCESS;
}

/* Under api.lock: the protocol a DIRECT handle reports (current one). */
static DWORD api_direct_protocol(const struct api_slot *s,
				 const struct ccid_slot_state *st)
{
	if (s->proto_valid && s->proto_changes == st->changes &&
	    s->proto_epoch == st->power_epoch && s->proto_resets == s->resets)
		return s->protocol;
	return SCARD_PROTOCOL_UNDEFINED;
}

/* Powered card with a negotiated protocol, for a non-DIRECT handle. */
static LONG api_card_ready(struct api_slot *s, DWORD preferred, DWORD *proto)
{
	struct ccid_slot_state st;
	LONG rv;

	if (ccid_reader_slot_state(s->reader, s->slot, &st, NULL) != CCID_OK)
		return SCARD_E_READER_UNAVAILABLE;
	if (!st.present)
		return SCARD_E_NO_SMARTCARD;
	if (!st.powered) {
		rv = api_power_on(s, false);
		if (rv != SCARD_S_SUCCESS)
			return rv;
	}
	return api_negotiate(s, preferred, proto);
}

/* ------------------------------------------------------------------ */
/* Argument checks shared by Connect and Reconnect (winscard.c order) */

static LONG api_check_modes(DWORD share, DWORD *preferred)
{
	if (*preferred & API_PROTOCOL_ANY_OLD)
		*preferred |= SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1;
	if (share != SCARD_SHARE_DIRECT &&
	    !(*preferred & (SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1 |
			    SCARD_PROTOCOL_RAW)))
		return SCARD_E_PROTO_MISMATCH;
	if (share != SCARD_SHARE_EXCLUSIVE && share != SCARD_SHARE_SHARED &&
	    share != SCARD_SHARE_DIRECT)
		return SCARD_E_INVALID_VALUE;
	return SCARD_S_SUCCESS;
}

/* Under api.lock: may a new handle with this share mode join? */
static LONG api_sharing_ok(const struct api_slot *s, DWORD share)
{
	if (s->exclusive)
		return SCARD_E_SHARING_VIOLATION;
	if (share == SCARD_SHARE_EXCLUSIVE && s->handles > 0)
		return SCARD_E_SHARING_VIOLATION;
	return SCARD_S_SUCCESS;
}

/* Under api.lock: wait until no transaction is held on the reader
 * (winscard.c: Connect polls while the reader is locked, with no time
 * limit and whatever PCSCLITE_NO_BLOCKING says).  The wait ends when the
 * context is released from another thread: SCARD_E_INVALID_HANDLE. */
static LONG api_wait_no_tx(struct api_ctx *ctx, struct api_slot *s)
{
	struct ccid_slot_state st;

	while (s->tx_owner != 0) {
		if (ctx->released)
			return SCARD_E_INVALID_HANDLE;
		if (ccid_reader_slot_state(s->reader, s->slot, &st, NULL) !=
		    CCID_OK)
			break; /* api_connect_slot reports it */
		api_tx_expire(s, &st);
		if (s->tx_owner != 0)
			api_wait_ms(API_TX_POLL_MS);
	}
	return SCARD_S_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* SCardConnect                                                       */

/* power_lock held: bring the card up and register the handle. */
static LONG api_connect_slot(struct api_ctx *ctx, struct api_slot *s,
			     DWORD share, DWORD preferred,
			     struct api_card **out)
{
	struct ccid_slot_state st;
	DWORD proto = SCARD_PROTOCOL_UNDEFINED;
	LONG rv;

	api_lock();
	rv = api_sharing_ok(s, share);
	/* reserve our place among the processes before touching the card */
	if (rv == SCARD_S_SUCCESS)
		rv = api_share_publish(s, s->handles + 1, s->exclusive ||
				       share == SCARD_SHARE_EXCLUSIVE);
	api_unlock();
	if (rv != SCARD_S_SUCCESS)
		return rv;
	if (share != SCARD_SHARE_DIRECT)
		rv = api_card_ready(s, preferred, &proto);
	if (rv == SCARD_S_SUCCESS &&
	    ccid_reader_slot_state(s->reader, s->slot, &st, NULL) != CCID_OK)
		rv = SCARD_E_READER_UNAVAILABLE;
	api_lock();
	if (rv == SCARD_S_SUCCESS)
		rv = api_sharing_ok(s, share);
	if (rv == SCARD_S_SUCCESS && !ctx->released)
		rv = api_card_new(ctx, s, out);
	else if (rv == SCARD_S_SUCCESS)
		rv = SCARD_E_INVALID_HANDLE;
	if (rv == SCARD_S_SUCCESS) {
		struct api_card *c = *out;

		c->share = share;
		c->protocol = share == SCARD_SHARE_DIRECT ?
			      api_direct_protocol(s, &st) : proto;
		api_card_learn(c, &st);
		s->handles++;
		if (share == SCARD_SHARE_EXCLUSIVE)
			s->exclusive = true;
	}
	/* what this process holds now (an undo when it failed) */
	api_share_publish(s, s->handles, s->exclusive);
	api_unlock();
	return rv;
}

LONG SCardConnect(SCARDCONTEXT hContext, LPCSTR szReader, DWORD dwShareMode,
		  DWORD dwPreferredProtocols, LPSCARDHANDLE phCard,
		  LPDWORD pdwActiveProtocol)
{
	struct api_ctx *ctx;
	struct api_slot *s = NULL;
	struct api_card *c = NULL;
	LONG rv;

	API_TRACE("hContext 0x%lX reader \"%s\" share %lu protocols 0x%lX",
		  (unsigned long)hContext, szReader ? szReader : "(null)",
		  (unsigned long)dwShareMode,
		  (unsigned long)dwPreferredProtocols);
	if (phCard == NULL || pdwActiveProtocol == NULL)
		API_RETURN(SCARD_E_INVALID_PARAMETER);
	*phCard = 0;
	if (szReader == NULL)
		API_RETURN(SCARD_E_UNKNOWN_READER);
	if (strlen(szReader) > MAX_READERNAME)
		API_RETURN(SCARD_E_INVALID_VALUE);
	rv = api_ctx_get(hContext, &ctx);
	if (rv != SCARD_S_SUCCESS)
		API_RETURN(rv);
	rv = api_check_modes(dwShareMode, &dwPreferredProtocols);
	if (rv == SCARD_S_SUCCESS)
		rv = api_find_reader(szReader, &s);
	if (rv == SCARD_S_SUCCESS) {
		api_lock();
		rv = api_wait_no_tx(ctx, s);
		api_unlock();
	}
	if (rv == SCARD_S_SUCCESS) {
		pthread_mutex_lock(&s->power_lock);
		rv = api_connect_slot(ctx, s, dwShareMode,
				      dwPreferredProtocols, &c);
		pthread_mutex_unlock(&s->power_lock);
	}
	if (rv == SCARD_S_SUCCESS) {
		*phCard = c->id;
		*pdwActiveProtocol = c->protocol;
		API_TRACE("hCard 0x%lX protocol %lu", (unsigned long)c->id,
			  (unsigned long)c->protocol);
	}
	api_lock();
	api_slot_put_locked(s);
	api_ctx_put_locked(ctx);
	api_unlock();
	if (rv == SCARD_S_SUCCESS)
		api_notify_sharing();
	API_RETURN(rv);
}

/* ------------------------------------------------------------------ */
/* SCardReconnect                                                     */

/* power_lock held: the card side of Reconnect. */
static LONG api_reconnect_card(struct api_card *c, DWORD share,
			       DWORD preferred, DWORD init, DWORD *proto)
{
	struct api_slot *s = c->slot;
	struct ccid_slot_state st;
	LONG rv = SCARD_S_SUCCESS;

	if (ccid_reader_slot_state(s->reader, s->slot, &st, NULL) != CCID_OK)
		return SCARD_E_READER_UNAVAILABLE;
	if (!st.present && share != SCARD_SHARE_DIRECT)
		return SCARD_E_NO_SMARTCARD;
	if (st.present && init != SCARD_LEAVE_CARD) {
		if (init == SCARD_UNPOWER_CARD)
			rv = api_power_off(s);
		if (rv == SCARD_S_SUCCESS)
			rv = api_power_on(s, true); /* cold reset */
		api_lock();
		s->resets++; /* every other handle: SCARD_W_RESET_CARD */
		api_unlock();
		if (rv != SCARD_S_SUCCESS)
			return rv;
	}
	if (share == SCARD_SHARE_DIRECT) {
		ccid_reader_slot_state(s->reader, s->slot, &st, NULL);
		api_lock();
		*proto = api_direct_protocol(s, &st);
		api_unlock();
		return SCARD_S_SUCCESS;
	}
	return api_card_ready(s, preferred, proto);
}

/* Under api.lock: may c change to this share mode (winscard.c)? */
static LONG api_reshare_ok(const struct api_card *c, DWORD share)
{
	const struct api_slot *s = c->slot;

	if (s->exclusive && c->share != SCARD_SHARE_EXCLUSIVE)
		return SCARD_E_SHARING_VIOLATION;
	if (share == SCARD_SHARE_EXCLUSIVE && s->handles > 1)
		return SCARD_E_SHARING_VIOLATION;
	return SCARD_S_SUCCESS;
}

static void api_reshare(struct api_card *c, DWORD share)
{
	if (c->share == SCARD_SHARE_EXCLUSIVE)
		c->slot->exclusive = false;
	c->share = share;
	if (share == SCARD_SHARE_EXCLUSIVE)
		c->slot->exclusive = true;
}

LONG SCardReconnect(SCARDHANDLE hCard, DWORD dwShareMode,
		    DWORD dwPreferredProtocols, DWORD dwInitialization,
		    LPDWORD pdwActiveProtocol)
{
	struct api_card *c;
	struct ccid_slot_state st;
	DWORD proto = SCARD_PROTOCOL_UNDEFINED;
	LONG rv;

	API_TRACE("hCard 0x%lX share %lu protocols 0x%lX init %lu",
		  (unsigned long)hCard, (unsigned long)dwShareMode,
		  (unsigned long)dwPreferredProtocols,
		  (unsigned long)dwInitialization);
	if (pdwActiveProtocol == NULL)
		API_RETURN(SCARD_E_INVALID_PARAMETER);
	rv = api_card_get(hCard, &c);
	if (rv != SCARD_S_SUCCESS)
		API_RETURN(rv);
	if (dwInitialization != SCARD_LEAVE_CARD &&
	    dwInitialization != SCARD_RESET_CARD &&
	    dwInitialization != SCARD_UNPOWER_CARD)
		rv = SCARD_E_INVALID_VALUE;
	else
		rv = api_check_modes(dwShareMode, &dwPreferredProtocols);
	if (rv == SCARD_S_SUCCESS) {
		api_lock();
		rv = api_wait_tx(c);
		if (rv == SCARD_S_SUCCESS)
			rv = api_reshare_ok(c, dwShareMode);
		if (rv == SCARD_S_SUCCESS)
			rv = api_share_publish(c->slot, c->slot->handles,
					       dwShareMode == SCARD_SHARE_EXCLUSIVE);
		api_unlock();
	}
	if (rv == SCARD_S_SUCCESS) {
		pthread_mutex_lock(&c->slot->power_lock);
		rv = api_reconnect_card(c, dwShareMode, dwPreferredProtocols,
					dwInitialization, &proto);
		pthread_mutex_unlock(&c->slot->power_lock);
	}
	if (rv == SCARD_S_SUCCESS &&
	    ccid_reader_slot_state(c->slot->reader, c->slot->slot, &st,
				   NULL) != CCID_OK)
		rv = SCARD_E_READER_UNAVAILABLE;
	api_lock();
	if (rv == SCARD_S_SUCCESS && c->disconnected)
		rv = SCARD_E_INVALID_HANDLE;
	if (rv == SCARD_S_SUCCESS) {
		api_reshare(c, dwShareMode);
		c->protocol = proto;
		api_card_learn(c, &st); /* clears the RESET/REMOVED mark */
		*pdwActiveProtocol = proto;
	}
	if (!c->disconnected)
		api_share_publish(c->slot, c->slot->handles,
				  c->slot->exclusive);
	api_card_put_locked(c);
	api_unlock();
	api_notify_sharing();
	API_RETURN(rv);
}

/* ------------------------------------------------------------------ */
/* SCardDisconnect                                                    */

/* power_lock held: apply RESET / UNPOWER to a present card. */
static void api_dispose(struct api_slot *s, DWORD disposition)
{
	struct ccid_slot_state st;

	if (ccid_reader_slot_state(s->reader, s->slot, &st, NULL) != CCID_OK ||
	    !st.present)
		return;
	if (disposition == SCARD_RESET_CARD)
		api_power_on(s, true); /* the reset; its result is nobody's error */
	else
		api_power_off(s);
	api_lock();
	s->resets++;
	api_unlock();
}

LONG SCardDisconnect(SCARDHANDLE hCard, DWORD dwDisposition)
{
	struct api_card *c;
	LONG rv;

	API_TRACE("hCard 0x%lX disposition %lu", (unsigned long)hCard,
		  (unsigned long)dwDisposition);
	rv = api_card_get(hCard, &c);
	if (rv != SCARD_S_SUCCESS)
		API_RETURN(rv);
	if (dwDisposition > SCARD_EJECT_CARD) {
		api_card_put(c);
		API_RETURN(SCARD_E_INVALID_VALUE);
	}
	/* ccidkit cannot eject (no PC_to_RDR_Mechanical): LEAVE, as pcscd
	 * does when the driver refuses */
	if (dwDisposition == SCARD_RESET_CARD ||
	    dwDisposition == SCARD_UNPOWER_CARD) {
		api_lock();
		api_wait_tx(c);
		api_unlock();
		pthread_mutex_lock(&c->slot->power_lock);
		api_dispose(c->slot, dwDisposition);
		pthread_mutex_unlock(&c->slot->power_lock);
	}
	api_lock();
	api_card_detach(c);
	api_card_put_locked(c);
	api_unlock();
	api_notify_sharing();
	API_RETURN(SCARD_S_SUCCESS);
}

/* ------------------------------------------------------------------ */
/* SCardStatus                                                        */

/* Under api.lock: SCardStatus's state word: the event counter in bits
 * 16..31 plus the SCARD_ABSENT.. bits pcscd produces (pcsc-abi.md §5). */
static DWORD api_status_word(const struct api_slot *s,
			     const struct ccid_slot_state *st)
{
	DWORD state;

	if (!st->present)
		state = SCARD_ABSENT;
	else if (st->powered)
		state = SCARD_PRESENT | SCARD_POWERED | SCARD_NEGOTIABLE;
	else if (s->atr_known && s->atr_changes == st->changes && s->mute)
		state = SCARD_PRESENT | SCARD_SWALLOWED;
	else
		state = SCARD_PRESENT;
	return ((DWORD)(st->changes & 0xFFFFu) << 16) | state;
}

LONG SCardStatus(SCARDHANDLE hCard, LPSTR mszReaderName,
		 LPDWORD pcchReaderLen, LPDWORD pdwState, LPDWORD pdwProtocol,
		 LPBYTE pbAtr, LPDWORD pcbAtrLen)
{
	struct api_card *c;
	struct ccid_slot_state st;
	DWORD name_cap = 0, atr_cap = 0;
	uint8_t atr[CCID_ATR_MAX];
	size_t atr_len = 0;
	char name[CCID_READERNAME_MAX];
	LONG rv, rv2;

	API_TRACE("hCard 0x%lX", (unsigned long)hCard);
	rv = api_card_get(hCard, &c);
	if (rv != SCARD_S_SUCCESS)
		API_RETURN(rv);
	/* what other processes did to the card (reset, removal) */
	ccid_reader_share_refresh(c->slot->reader);
	api_lock();
	rv = api_wait_tx(c);
	if (rv == SCARD_S_SUCCESS)
		rv = api_card_check(c, &st);
	if (rv == SCARD_S_SUCCESS) {
		struct api_slot *s = c->slot;

		if (pdwState != NULL)
			*pdwState = api_status_word(s, &st);
		if (pdwProtocol != NULL)
			*pdwProtocol = c->protocol;
		if (st.present && s->atr_known && s->atr_changes == st.changes) {
			atr_len = s->atr_len;
			memcpy(atr, s->atr, atr_len);
		} else if (st.present && st.powered) {
			atr_len = st.atr_len; /* powered by another process */
			memcpy(atr, st.atr, atr_len);
		}
		snprintf(name, sizeof(name), "%s", s->name);
	}
	api_card_put_locked(c);
	api_unlock();
	if (rv != SCARD_S_SUCCESS)
		API_RETURN(rv);
	/* NULL length pointers: no room (winscard_clnt.c) */
	if (pcchReaderLen == NULL)
		pcchReaderLen = &name_cap;
	if (pcbAtrLen == NULL)
		pcbAtrLen = &atr_cap;
	rv = api_out(mszReaderName, pcchReaderLen, name, strlen(name) + 1);
	rv2 = api_out(pbAtr, pcbAtrLen, atr, atr_len);
	API_RETURN(rv != SCARD_S_SUCCESS ? rv : rv2);
}
