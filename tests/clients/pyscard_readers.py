# pyscard's first tutorial program, as issue 4 quotes it: the first reader,
# connect, GET DATA (UID).  The prints show what it got.
from smartcard.System import readers

r = readers()
print("readers:", r)
connection = r[0].createConnection()
connection.connect()
data, sw1, sw2 = connection.transmit([0xFF, 0xCA, 0x00, 0x00, 0x00])
print("GET DATA: data %s, SW %02X %02X" % (data, sw1, sw2))
