# pyscard's first tutorial program, the one most users write first: list
# the readers, connect to the first one's card, send the PC/SC Part 3
# GET DATA pseudo-APDU (FF CA 00 00 00) and print the contactless card's
# UID and the status word.  tests/demo.sh and test_tutorial.sh run it.
from smartcard.System import readers
from smartcard.util import toHexString

r = readers()
print("Readers:", r)
connection = r[0].createConnection()
connection.connect()
print("Connected to:", connection.getReader())
GET_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]
data, sw1, sw2 = connection.transmit(GET_UID)
print("UID:", toHexString(data))
print("%02X %02X" % (sw1, sw2))
