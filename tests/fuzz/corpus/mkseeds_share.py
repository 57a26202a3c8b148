#!/usr/bin/env python3
"""Seeds for fuzz_share: [nslots byte][record], the record as
ccid_share_encode writes it (ccid/share.c): magic "CKS1" and size (u32
LE), nslots, 3 zero bytes, then 16 slots of 64 bytes: epoch, changes
(u32 LE), flags (1 present, 2 powered, 4 protocol valid, 8 PPS refused,
16 CRC), atr_len, ATR (33 bytes), protocol, fidi, wi, bwi, ifsc, ifsd,
nad, ns, nr, zeros."""
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import struct

from seedlib import write_seeds

ATR = bytes.fromhex("3B8A800180318065B0850201FF")[:13]


def slot(epoch=0, changes=0, flags=0, atr=b"", q=(0,) * 9):
    b = struct.pack("<IIBB", epoch, changes, flags, len(atr))
    b += atr.ljust(33, b"\0") + bytes(q)
    return b.ljust(64, b"\0")


def rec(nslots, slots, magic=0x434B5331, size=1036):
    b = struct.pack("<II", magic, size) + bytes([nslots, 0, 0, 0])
    slots = list(slots) + [slot()] * (16 - len(slots))
    return b + b"".join(slots)


T1 = (1, 0x96, 10, 4, 254, 254, 0, 1, 0)
write_seeds("share", {
    "empty-file": bytes([1]),
    "one-slot-t1": bytes([1]) + rec(1, [slot(3, 1, 1 | 2 | 4, ATR, T1)]),
    "one-slot-absent": bytes([1]) + rec(1, [slot(7, 2)]),
    "two-slots-crc": bytes([2]) + rec(2, [slot(1, 1, 1 | 2 | 4 | 16, ATR,
                                               T1), slot(0, 0, 1)]),
    "sixteen-slots": bytes([16]) + rec(16, [slot(n, n, 1) for n in
                                            range(16)]),
    "wrong-nslots": bytes([2]) + rec(1, [slot()]),
    "wrong-magic": bytes([1]) + rec(1, [slot()], magic=0x434B5332),
    "powered-not-present": bytes([1]) + rec(1, [slot(1, 1, 2, ATR)]),
    "ns-2": bytes([1]) + rec(1, [slot(1, 1, 7, ATR,
                                      (1, 0x11, 10, 4, 32, 32, 0, 2, 0))]),
    "truncated": bytes([1]) + rec(1, [slot()])[:1000],
})
