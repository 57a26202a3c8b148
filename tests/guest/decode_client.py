#!/usr/bin/python3
"""PC/SC client for test_decode_qemu.sh, run in the guest: plain ctypes on
one libpcsclite.so.1 (pcsc-lite's, talking to pcscd), no binding package.

    decode_client.py LIBRARY NREADERS APDU-HEX...

Waits (30 s at most) until NREADERS readers are listed, then for each of
them in the order listed: connects exclusively (T=0 or T=1), sends each
APDU in turn, disconnects with SCARD_UNPOWER_CARD.  Prints, per reader,
"reader NAME", "protocol T=N", then "> HEX" and "< HEX" per APDU (hex upper
case, no spaces).  Exit 0 when every call succeeded, 1 otherwise (the
failing call printed), 2 usage."""
import ctypes
import sys
import time

SCARD_S_SUCCESS = 0
SCARD_SCOPE_SYSTEM = 2
SCARD_SHARE_EXCLUSIVE = 1
SCARD_PROTOCOL_T0 = 1
SCARD_PROTOCOL_T1 = 2
SCARD_UNPOWER_CARD = 2
# pcsc-lite on Linux: DWORD is unsigned long, LONG is long, SCARDHANDLE
# and SCARDCONTEXT are long
DWORD = ctypes.c_ulong
LONG = ctypes.c_long


class IoRequest(ctypes.Structure):
    _fields_ = [("dwProtocol", DWORD), ("cbPciLength", DWORD)]


def fail(what, rv):
    print("%s failed: 0x%08X" % (what, rv & 0xFFFFFFFF))
    sys.exit(1)


def main(argv):
    if len(argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    lib = ctypes.CDLL(argv[1])
    nreaders = int(argv[2])
    apdus = [bytes.fromhex(a) for a in argv[3:]]
    for f in ("SCardEstablishContext", "SCardListReaders", "SCardConnect",
              "SCardTransmit", "SCardDisconnect", "SCardReleaseContext"):
        getattr(lib, f).restype = LONG

    ctx = LONG()
    names = []
    deadline = time.monotonic() + 30
    while True:
        rv = lib.SCardEstablishContext(DWORD(SCARD_SCOPE_SYSTEM), None, None,
                                       ctypes.byref(ctx))
        if rv == SCARD_S_SUCCESS:
            size = DWORD(0)
            rv = lib.SCardListReaders(ctx, None, None, ctypes.byref(size))
            if rv == SCARD_S_SUCCESS:
                buf = ctypes.create_string_buffer(size.value)
                rv = lib.SCardListReaders(ctx, None, buf, ctypes.byref(size))
            if rv == SCARD_S_SUCCESS:
                names = [n.decode() for n in buf.raw[:size.value].split(b"\0") if n]
                if len(names) >= nreaders:
                    break
            lib.SCardReleaseContext(ctx)
        if time.monotonic() > deadline:
            fail("waiting for %d readers (listed: %s): the last call"
                 % (nreaders, names), rv)
        time.sleep(0.2)

    for name in names:
        print("reader %s" % name)
        card = LONG()
        proto = DWORD()
        rv = lib.SCardConnect(ctx, name.encode(), DWORD(SCARD_SHARE_EXCLUSIVE),
                              DWORD(SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1),
                              ctypes.byref(card), ctypes.byref(proto))
        if rv != SCARD_S_SUCCESS:
            fail("SCardConnect", rv)
        print("protocol T=%d" % (0 if proto.value == SCARD_PROTOCOL_T0 else 1))
        pci = IoRequest(proto.value, ctypes.sizeof(IoRequest))
        for apdu in apdus:
            print("> %s" % apdu.hex().upper())
            rbuf = ctypes.create_string_buffer(65538)
            rlen = DWORD(len(rbuf))
            rv = lib.SCardTransmit(card, ctypes.byref(pci), apdu,
                                   DWORD(len(apdu)), None, rbuf,
                                   ctypes.byref(rlen))
            if rv != SCARD_S_SUCCESS:
                fail("SCardTransmit", rv)
            print("< %s" % rbuf.raw[:rlen.value].hex().upper())
        rv = lib.SCardDisconnect(card, DWORD(SCARD_UNPOWER_CARD))
        if rv != SCARD_S_SUCCESS:
            fail("SCardDisconnect", rv)
    lib.SCardReleaseContext(ctx)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
