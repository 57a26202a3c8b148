/* ccidkit — SCardBeginTransaction, SCardEndTransaction, SCardTransmit
 * (pcsc-abi.md §6.1, §6.4). */
#include "config.h"
#include "pcsc-api/api.h"

#include <string.h>

#include "ccid/err.h"
#include "ccid/pseudo_apdu.h"
#include "ccid/slot.h"

LONG SCardBeginTransaction(SCARDHANDLE hCard)
{
	struct api_card *c;
	struct ccid_slot_state st;
	LONG rv;

	API_TRACE("hCard 0x%lX", (unsigned long)hCard);
	rv = api_card_get(hCard, &c);
	if (rv != SCARD_S_SUCCESS)
		API_RETURN(rv);
	api_lock();
	/* blocks while another handle holds it, as pcsc-lite's client does
	 * by retrying; then the card must still be the one we know */
	rv = api_tx_take(c);
	if (rv == SCARD_S_SUCCESS)
		rv = api_card_check(c, &st);
	if (rv != SCARD_S_SUCCESS && c->slot->tx_owner == 0)
		ccid_reader_share_txn(c->slot->reader, c->slot->slot, false);
	if (rv == SCARD_S_SUCCESS) {
		struct api_slot *s = c->slot;

		if (s->tx_owner != c->id)
			s->tx_changes = st.changes;
		s->tx_owner = c->id;
		s->tx_depth++; /* nested Begin on one handle is counted */
	}
	api_card_put_locked(c);
	api_unlock();
	API_RETURN(rv);
}

/* RESET / UNPOWER at the end of a transaction: like Disconnect's, but
 * this handle stays and keeps knowing the card (only the others get
 * SCARD_W_RESET_CARD). */
static void api_end_dispose(struct api_card *c, DWORD disposition)
{
	struct api_slot *s = c->slot;
	struct ccid_slot_state st;

	pthread_mutex_lock(&s->power_lock);
	if (disposition == SCARD_UNPOWER_CARD)
		ccid_slot_power_off(s->reader, s->slot,
				    ccid_deadline_in(API_IO_MS));
	api_power_on(s, true);
	api_lock();
	s->resets++;
	s->proto_valid = false;
	if (ccid_reader_slot_state(s->reader, s->slot, &st, NULL) == CCID_OK) {
		c->changes = st.changes;
		c->epoch = st.power_epoch;
	}
	c->resets = s->resets;
	api_unlock();
	pthread_mutex_unlock(&s->power_lock);
}

LONG SCardEndTransaction(SCARDHANDLE hCard, DWORD dwDisposition)
{
	struct api_card *c;
	struct ccid_slot_state st;
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
	api_lock();
	rv = api_card_check(c, &st);
	if (rv == SCARD_S_SUCCESS && c->slot->tx_owner != c->id)
		rv = SCARD_E_NOT_TRANSACTED; /* readerfactory.c RFUnlockSharing */
	api_unlock();
	if (rv == SCARD_S_SUCCESS && (dwDisposition == SCARD_RESET_CARD ||
				      dwDisposition == SCARD_UNPOWER_CARD))
		api_end_dispose(c, dwDisposition);
	api_lock();
	if (rv == SCARD_S_SUCCESS && c->slot->tx_owner == c->id &&
	    --c->slot->tx_depth == 0)
		api_tx_drop(c->slot);
	api_card_put_locked(c);
	api_unlock();
	API_RETURN(rv);
}

/* Under api.lock: may c send with this PCI (winscard.c)?  The active
 * protocol, RAW, or the legacy ANY value. */
static LONG api_transmit_ok(const struct api_card *c,
			    const struct ccid_slot_state *st,
			    const SCARD_IO_REQUEST *pci)
{
	if (!st->present)
		return SCARD_E_NO_SMARTCARD;
	if (pci->dwProtocol == API_PROTOCOL_ANY_OLD ||
	    pci->dwProtocol == SCARD_PROTOCOL_RAW)
		return c->protocol != SCARD_PROTOCOL_UNDEFINED ?
		       SCARD_S_SUCCESS : SCARD_E_PROTO_MISMATCH;
	if (pci->dwProtocol != c->protocol)
		return SCARD_E_PROTO_MISMATCH;
	return SCARD_S_SUCCESS;
}

/* Under api.lock: everything checked before the exchange. */
static LONG api_transmit_pre(struct api_card *c,
			     const SCARD_IO_REQUEST *pci, DWORD slen,
			     DWORD rlen)
{
	struct ccid_slot_state st;
	LONG rv = api_wait_tx(c);

	if (rv == SCARD_S_SUCCESS)
		rv = api_card_check(c, &st);
	if (rv != SCARD_S_SUCCESS)
		return rv;
	if (slen < 4)
		return SCARD_E_INVALID_PARAMETER; /* shorter than a header */
	if (rlen < 2)
		return SCARD_E_INSUFFICIENT_BUFFER; /* no room for SW1 SW2 */
	return api_transmit_ok(c, &st, pci);
}

/* The result of a failed exchange: what happened to the card first. */
static LONG api_transmit_err(struct api_card *c, int err)
{
	struct ccid_slot_state st;
	LONG rv;

	api_lock();
	rv = api_card_check(c, &st);
	api_unlock();
	if (rv != SCARD_S_SUCCESS)
		return rv;
	return err == CCID_E_NO_CARD ? SCARD_W_REMOVED_CARD : api_err(err);
}

LONG SCardTransmit(SCARDHANDLE hCard, const SCARD_IO_REQUEST *pioSendPci,
		   LPCBYTE pbSendBuffer, DWORD cbSendLength,
		   SCARD_IO_REQUEST *pioRecvPci, LPBYTE pbRecvBuffer,
		   LPDWORD pcbRecvLength)
{
	struct api_card *c;
	size_t got = 0;
	DWORD cap, proto;
	LONG rv;
	int err;

	API_TRACE("hCard 0x%lX %lu bytes", (unsigned long)hCard,
		  (unsigned long)cbSendLength);
	if (pbSendBuffer == NULL || pbRecvBuffer == NULL ||
	    pcbRecvLength == NULL || pioSendPci == NULL)
		API_RETURN(SCARD_E_INVALID_PARAMETER);
	rv = api_card_get(hCard, &c);
	if (rv != SCARD_S_SUCCESS)
		API_RETURN(rv);
	if (cbSendLength > MAX_BUFFER_SIZE_EXTENDED) {
		api_card_put(c);
		API_RETURN(SCARD_E_INSUFFICIENT_BUFFER);
	}
	/* since pcsc-lite 1.9.8 a larger receive buffer is no error */
	cap = *pcbRecvLength > MAX_BUFFER_SIZE_EXTENDED ?
	      MAX_BUFFER_SIZE_EXTENDED : *pcbRecvLength;
	api_lock();
	rv = api_transmit_pre(c, pioSendPci, cbSendLength, cap);
	proto = c->protocol;
	api_unlock();
	if (rv == SCARD_S_SUCCESS) {
		/* CLA FF pseudo-APDUs are routed (pseudo_apdu.h) */
		err = ccid_pseudo_transmit(c->slot->reader, c->slot->slot,
					   pbSendBuffer, cbSendLength,
					   pbRecvBuffer, cap, &got,
					   ccid_deadline_in(API_IO_MS));
		if (err == CCID_E_OVERFLOW) {
			*pcbRecvLength = got; /* the length it needs */
			rv = SCARD_E_INSUFFICIENT_BUFFER;
		} else if (err != CCID_OK) {
			rv = api_transmit_err(c, err);
		} else {
			*pcbRecvLength = got;
			if (pioRecvPci != NULL) {
				pioRecvPci->dwProtocol = proto;
				pioRecvPci->cbPciLength = sizeof(*pioRecvPci);
			}
		}
	}
	api_card_put(c);
	API_RETURN(rv);
}
