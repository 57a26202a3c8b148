# The test card's ECHO through pyscard: once through a connection, once
# through the thin smartcard.scard layer (the SCard* calls one by one, with
# their return codes as pcsc_stringify_error words them).
from smartcard.System import readers
from smartcard.util import toHexString
from smartcard import scard

ECHO = [0x80, 0x10, 0x00, 0x00, 0x03, 0x01, 0x02, 0x03]

connection = readers()[0].createConnection()
connection.connect()
data, sw1, sw2 = connection.transmit(ECHO)
print("ECHO: %s, SW %02X %02X" % (toHexString(data), sw1, sw2))
connection.disconnect()

hresult, hcontext = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
print("SCardEstablishContext:", scard.SCardGetErrorMessage(hresult))
hresult, names = scard.SCardListReaders(hcontext, [])
print("SCardListReaders:", scard.SCardGetErrorMessage(hresult), names)
hresult, hcard, protocol = scard.SCardConnect(hcontext, names[0],
	scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
print("SCardConnect:", scard.SCardGetErrorMessage(hresult),
	"T=1" if protocol == scard.SCARD_PROTOCOL_T1 else protocol)
hresult, name, state, protocol, atr = scard.SCardStatus(hcard)
# pcsc-lite's state bits (PRESENT|POWERED|NEGOTIABLE = 0x0034); the high
# word carries an event counter that applications mask off.
print("SCardStatus:", scard.SCardGetErrorMessage(hresult), name,
	"state 0x%04X" % (state & 0xFFFF), toHexString(atr))
hresult, response = scard.SCardTransmit(hcard, protocol, ECHO)
print("SCardTransmit:", scard.SCardGetErrorMessage(hresult), toHexString(response))
hresult = scard.SCardDisconnect(hcard, scard.SCARD_UNPOWER_CARD)
print("SCardDisconnect:", scard.SCardGetErrorMessage(hresult))
hresult = scard.SCardReleaseContext(hcontext)
print("SCardReleaseContext:", scard.SCardGetErrorMessage(hresult))
