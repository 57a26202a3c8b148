/* ccidkit — pcsc_stringify_error(): the text of a PC/SC return code.
 *
 * Behaviour of pcsc-lite 1.9.9 (research/pcsc-abi.md §7), which programs
 * such as pyscard's SCardGetErrorMessage and pcsc-tools print verbatim:
 *  - the codes pcsc-lite names get pcsc-lite's short sentence, so that
 *    output compared with a pcscd setup is the same;
 *  - the result is copied into a per-thread buffer that the next call in
 *    the same thread overwrites (pcsc-lite does this too; a caller that
 *    keeps two results of one thread sees the second twice);
 *  - a value that is no SCARD_* code gives "Unknown error: 0x%08lX" with
 *    the LONG printed as an unsigned long, e.g. "Unknown error:
 *    0xFFFFFFFFFFFFFFFF" for -1.
 * Deliberate difference: pcsc-lite leaves some SCARD_* codes it never
 * returns itself (the card file-system and PIN codes of Windows, e.g.
 * SCARD_E_NO_FILE, SCARD_W_WRONG_CHV) as "Unknown error: 0x…"; we give
 * every code of pcsclite.h a sentence of our own.  tests/abi/ compares
 * this function with the system's pcsc-lite and accepts only these. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <pcsclite.h>

struct scard_text {
	LONG code;
	const char *text;
};

/* One row per distinct value: SCARD_E_UNEXPECTED and
 * SCARD_E_UNSUPPORTED_FEATURE share 0x8010001F and pcsc-lite reports it as
 * the latter, since that is what its readers' drivers mean by it. */
static const struct scard_text scard_texts[] = {
	{ SCARD_S_SUCCESS, "Command successful." },
	{ SCARD_F_INTERNAL_ERROR, "Internal error." },
	{ SCARD_E_CANCELLED, "Command cancelled." },
	{ SCARD_E_INVALID_HANDLE, "Invalid handle." },
	{ SCARD_E_INVALID_PARAMETER, "Invalid parameter given." },
	{ SCARD_E_INVALID_TARGET, "Invalid target given." },
	{ SCARD_E_NO_MEMORY, "Not enough memory." },
	{ SCARD_F_WAITED_TOO_LONG, "Waited too long." },
	{ SCARD_E_INSUFFICIENT_BUFFER, "Insufficient buffer." },
	{ SCARD_E_UNKNOWN_READER, "Unknown reader specified." },
	{ SCARD_E_TIMEOUT, "Command timeout." },
	{ SCARD_E_SHARING_VIOLATION, "Sharing violation." },
	{ SCARD_E_NO_SMARTCARD, "No smart card inserted." },
	{ SCARD_E_UNKNOWN_CARD, "Unknown card." },
	{ SCARD_E_CANT_DISPOSE, "Cannot dispose handle." },
	{ SCARD_E_PROTO_MISMATCH, "Card protocol mismatch." },
	{ SCARD_E_NOT_READY, "Subsystem not ready." },
	{ SCARD_E_INVALID_VALUE, "Invalid value given." },
	{ SCARD_E_SYSTEM_CANCELLED, "System cancelled." },
	{ SCARD_F_COMM_ERROR, "RPC transport error." },
	{ SCARD_F_UNKNOWN_ERROR, "Unknown error." },
	{ SCARD_E_INVALID_ATR, "Invalid ATR." },
	{ SCARD_E_NOT_TRANSACTED, "Transaction failed." },
	{ SCARD_E_READER_UNAVAILABLE, "Reader is unavailable." },
	{ SCARD_P_SHUTDOWN, "Operation aborted for shutdown." },
	{ SCARD_E_PCI_TOO_SMALL, "PCI struct too small." },
	{ SCARD_E_READER_UNSUPPORTED, "Reader is unsupported." },
	{ SCARD_E_DUPLICATE_READER, "Reader already exists." },
	{ SCARD_E_CARD_UNSUPPORTED, "Card is unsupported." },
	{ SCARD_E_NO_SERVICE, "Service not available." },
	{ SCARD_E_SERVICE_STOPPED, "Service was stopped." },
	{ SCARD_E_UNSUPPORTED_FEATURE, "Feature not supported." },
	{ SCARD_E_ICC_INSTALLATION, "No primary provider for the card." },
	{ SCARD_E_ICC_CREATEORDER, "Object creation order not supported." },
	{ SCARD_E_DIR_NOT_FOUND, "Directory not found on the card." },
	{ SCARD_E_FILE_NOT_FOUND, "File not found on the card." },
	{ SCARD_E_NO_DIR, "Path is not a directory on the card." },
	{ SCARD_E_NO_FILE, "Path is not a file on the card." },
	{ SCARD_E_NO_ACCESS, "Access to the card file denied." },
	{ SCARD_E_WRITE_TOO_MANY, "Not enough memory on the card." },
	{ SCARD_E_BAD_SEEK, "Cannot move the card file pointer." },
	{ SCARD_E_INVALID_CHV, "Incorrect PIN." },
	{ SCARD_E_UNKNOWN_RES_MNG, "Unrecognised error from a lower layer." },
	{ SCARD_E_NO_SUCH_CERTIFICATE, "Certificate does not exist." },
	{ SCARD_E_CERTIFICATE_UNAVAILABLE, "Certificate cannot be read." },
	{ SCARD_E_NO_READERS_AVAILABLE, "Cannot find a smart card reader." },
	{ SCARD_E_COMM_DATA_LOST, "Data lost talking to the card; try again." },
	{ SCARD_E_NO_KEY_CONTAINER, "Key container does not exist." },
	{ SCARD_E_SERVER_TOO_BUSY, "Resource manager is too busy." },
	{ SCARD_W_UNSUPPORTED_CARD, "Card is not supported." },
	{ SCARD_W_UNRESPONSIVE_CARD, "Card is unresponsive." },
	{ SCARD_W_UNPOWERED_CARD, "Card is unpowered." },
	{ SCARD_W_RESET_CARD, "Card was reset." },
	{ SCARD_W_REMOVED_CARD, "Card was removed." },
	{ SCARD_W_SECURITY_VIOLATION, "Access denied." },
	{ SCARD_W_WRONG_CHV, "Wrong PIN." },
	{ SCARD_W_CHV_BLOCKED, "PIN blocked: too many wrong attempts." },
	{ SCARD_W_EOF, "End of the card file reached." },
	{ SCARD_W_CANCELLED_BY_USER, "Cancelled by the user." },
	{ SCARD_W_CARD_NOT_AUTHENTICATED, "No PIN was presented to the card." },
};

static const char *scard_text(LONG code)
{
	for (size_t i = 0; i < sizeof(scard_texts) / sizeof(scard_texts[0]); i++)
		if (scard_texts[i].code == code)
			return scard_texts[i].text;
	return NULL;
}

/* Large enough for every text above and for the 16 hex digits of the
 * longest "Unknown error: 0x…". */
static _Thread_local char stringify_buf[80];

const char *pcsc_stringify_error(const LONG pcscError)
{
	const char *text = scard_text(pcscError);

	if (text != NULL)
		snprintf(stringify_buf, sizeof(stringify_buf), "%s", text);
	else
		snprintf(stringify_buf, sizeof(stringify_buf),
			"Unknown error: 0x%08lX", (unsigned long)pcscError);
	return stringify_buf;
}
