# pyscard's second tutorial program, as issue 4 quotes it: wait up to 5 s for
# any card, connect, show the ATR, then the same GET DATA.
from smartcard.CardRequest import CardRequest
from smartcard.CardType import AnyCardType
from smartcard.util import toHexString

cardrequest = CardRequest(timeout=5, cardType=AnyCardType())
cardservice = cardrequest.waitforcard()
cardservice.connection.connect()
print("reader:", cardservice.connection.getReader())
print("ATR:", toHexString(cardservice.connection.getATR()))
data, sw1, sw2 = cardservice.connection.transmit([0xFF, 0xCA, 0x00, 0x00, 0x00])
print("GET DATA: data %s, SW %02X %02X" % (data, sw1, sw2))
