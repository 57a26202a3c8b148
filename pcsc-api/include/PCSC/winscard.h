/* ccidkit — the PC/SC functions of libpcsclite.so.1 (pcsc-lite's winscard.h).
 *
 * The 18 SCard* functions pcsc-lite's client library exports, with its
 * parameter types (research/pcsc-abi.md §2).  No Windows-only entry points
 * (…A/…W variants, card database, SCardLocateCards): pcsc-lite has none,
 * and neither does this library.  Behaviour is that of pcsc-lite; see
 * pcsc-api/ for where ccidkit differs on purpose.
 *
 * Every function returns SCARD_S_SUCCESS or one of the SCARD_E_/F_/W_
 * codes of pcsclite.h. */
#ifndef __winscard_h__
#define __winscard_h__

#include <pcsclite.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Contexts. */
PCSC_API LONG SCardEstablishContext(DWORD dwScope, LPCVOID pvReserved1,
	LPCVOID pvReserved2, LPSCARDCONTEXT phContext);
PCSC_API LONG SCardReleaseContext(SCARDCONTEXT hContext);
PCSC_API LONG SCardIsValidContext(SCARDCONTEXT hContext);
PCSC_API LONG SCardCancel(SCARDCONTEXT hContext);
PCSC_API LONG SCardFreeMemory(SCARDCONTEXT hContext, LPCVOID pvMem);

/* Readers.  mszGroups of SCardListReaders is ignored; the output lists
 * are multi-strings ("a\0b\0\0"). */
PCSC_API LONG SCardListReaders(SCARDCONTEXT hContext, LPCSTR mszGroups,
	LPSTR mszReaders, LPDWORD pcchReaders);
PCSC_API LONG SCardListReaderGroups(SCARDCONTEXT hContext, LPSTR mszGroups,
	LPDWORD pcchGroups);
PCSC_API LONG SCardGetStatusChange(SCARDCONTEXT hContext, DWORD dwTimeout,
	SCARD_READERSTATE *rgReaderStates, DWORD cReaders);

/* Card handles. */
PCSC_API LONG SCardConnect(SCARDCONTEXT hContext, LPCSTR szReader,
	DWORD dwShareMode, DWORD dwPreferredProtocols, LPSCARDHANDLE phCard,
	LPDWORD pdwActiveProtocol);
PCSC_API LONG SCardReconnect(SCARDHANDLE hCard, DWORD dwShareMode,
	DWORD dwPreferredProtocols, DWORD dwInitialization,
	LPDWORD pdwActiveProtocol);
PCSC_API LONG SCardDisconnect(SCARDHANDLE hCard, DWORD dwDisposition);
PCSC_API LONG SCardBeginTransaction(SCARDHANDLE hCard);
PCSC_API LONG SCardEndTransaction(SCARDHANDLE hCard, DWORD dwDisposition);

/* Every output pointer of SCardStatus() may be NULL.  The reader name is
 * a single string, not a multi-string. */
PCSC_API LONG SCardStatus(SCARDHANDLE hCard, LPSTR mszReaderName,
	LPDWORD pcchReaderLen, LPDWORD pdwState, LPDWORD pdwProtocol,
	LPBYTE pbAtr, LPDWORD pcbAtrLen);

/* Exchanges.  pioRecvPci may be NULL.  SCardControl has the seven
 * parameter form (the five parameter one of pcsc-lite 1.2 is gone). */
PCSC_API LONG SCardTransmit(SCARDHANDLE hCard,
	const SCARD_IO_REQUEST *pioSendPci, LPCBYTE pbSendBuffer,
	DWORD cbSendLength, SCARD_IO_REQUEST *pioRecvPci,
	LPBYTE pbRecvBuffer, LPDWORD pcbRecvLength);
PCSC_API LONG SCardControl(SCARDHANDLE hCard, DWORD dwControlCode,
	LPCVOID pbSendBuffer, DWORD cbSendLength, LPVOID pbRecvBuffer,
	DWORD cbRecvLength, LPDWORD lpBytesReturned);

/* Reader and card attributes: dwAttrId is one of reader.h's
 * SCARD_ATTR_* values. */
PCSC_API LONG SCardGetAttrib(SCARDHANDLE hCard, DWORD dwAttrId,
	LPBYTE pbAttr, LPDWORD pcbAttrLen);
PCSC_API LONG SCardSetAttrib(SCARDHANDLE hCard, DWORD dwAttrId,
	LPCBYTE pbAttr, DWORD cbAttrLen);

#ifdef __cplusplus
}
#endif

#endif /* __winscard_h__ */
