/* ccidkit — the one table from the driver's enum ccid_err to SCARD_*
 * codes (DESIGN.md: translate at boundaries only).  The choices follow
 * what pcscd answers for the matching IFD handler result (pcsc-abi.md
 * §6.4): a reader that went away is "unavailable", a card that does not
 * answer is "unresponsive", a failed exchange is "not transacted".
 * Call sites that must answer otherwise (a removed card on a handle is
 * SCARD_W_REMOVED_CARD) say so where they do it. */
#include "config.h"
#include "pcsc-api/api.h"

#include "ccid/err.h"

static const struct {
	int err;
	LONG rv;
} api_errmap[] = {
	{ CCID_OK, SCARD_S_SUCCESS },
	{ CCID_E_INVAL, SCARD_E_INVALID_PARAMETER },
	{ CCID_E_NOMEM, SCARD_E_NO_MEMORY },
	{ CCID_E_IO, SCARD_E_NOT_TRANSACTED },
	{ CCID_E_TIMEOUT, SCARD_E_NOT_TRANSACTED },
	{ CCID_E_NO_DEVICE, SCARD_E_READER_UNAVAILABLE },
	{ CCID_E_NO_CARD, SCARD_E_NO_SMARTCARD },
	{ CCID_E_CARD_MUTE, SCARD_W_UNRESPONSIVE_CARD },
	{ CCID_E_UNPOWERED, SCARD_W_UNPOWERED_CARD },
	{ CCID_E_PROTO, SCARD_E_NOT_TRANSACTED },
	{ CCID_E_BUSY, SCARD_E_SHARING_VIOLATION },
	{ CCID_E_ACCESS, SCARD_W_SECURITY_VIOLATION },
	{ CCID_E_NOT_SUPPORTED, SCARD_E_UNSUPPORTED_FEATURE },
	{ CCID_E_OVERFLOW, SCARD_E_INSUFFICIENT_BUFFER },
	{ CCID_E_STALL, SCARD_E_NOT_TRANSACTED },
	{ CCID_E_ABORTED, SCARD_E_NOT_TRANSACTED },
	{ CCID_E_HW, SCARD_E_NOT_TRANSACTED },
	{ CCID_E_XFR, SCARD_E_NOT_TRANSACTED },
	{ CCID_E_BAD_ATR, SCARD_W_UNRESPONSIVE_CARD },
	{ CCID_E_VOLTAGE, SCARD_W_UNSUPPORTED_CARD },
	{ CCID_E_CMD_FAILED, SCARD_E_NOT_TRANSACTED },
	{ CCID_E_NOT_FOUND, SCARD_E_UNKNOWN_READER },
	{ CCID_E_CANCELLED, SCARD_E_CANCELLED },
	{ CCID_E_RESET, SCARD_W_RESET_CARD },
};

LONG api_err(int err)
{
	for (size_t i = 0; i < sizeof(api_errmap) / sizeof(api_errmap[0]); i++)
		if (api_errmap[i].err == err)
			return api_errmap[i].rv;
	return SCARD_F_INTERNAL_ERROR;
}
