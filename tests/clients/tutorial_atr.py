# pyscard's second tutorial program: wait (at most 10 s) for any card in
# any reader, connect and print its ATR.  For a contactless card that is
# the ATR the PC/SC Part 3 rules build for it.
from smartcard.CardRequest import CardRequest
from smartcard.CardType import AnyCardType
from smartcard.util import toHexString

cardrequest = CardRequest(timeout=10, cardType=AnyCardType())
cardservice = cardrequest.waitforcard()
cardservice.connection.connect()
print("Card in:", cardservice.connection.getReader())
print("ATR:", toHexString(cardservice.connection.getATR()))
