#!/usr/bin/env python3
"""Seed corpus of fuzz_t1 (input format: tests/fuzz/fuzz_t1.c)."""
import os

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "t1")


def edc(b, crc):
    if not crc:
        x = 0
        for v in b:
            x ^= v
        return bytes([x])
    # ISO/IEC 13239 CRC-16 (reflected 0x8408, init 0xFFFF, final complement)
    r = 0xFFFF
    for v in b:
        r ^= v
        for _ in range(8):
            r = (r >> 1) ^ 0x8408 if r & 1 else r >> 1
    r ^= 0xFFFF
    return bytes([r >> 8, r & 0xFF])


def blk(pcb, inf=b"", crc=False):
    b = bytes([0, pcb, len(inf)]) + inf
    b += edc(b, crc)
    return bytes([len(b)]) + b


def seed(flags, apdu, blocks, ifsc=32, ifsd=254):
    return bytes([flags, ifsc, ifsd, len(apdu)]) + apdu + b"".join(blocks)


SELECT = bytes.fromhex("00A4040007A0000000031010")
GETDATA = bytes.fromhex("00CA9F7F00")
LONG = bytes.fromhex("00D60000") + bytes([200]) + bytes(range(200))

SEEDS = {
    "simple-lrc": seed(0, SELECT, [blk(0x00, b"\x90\x00")]),
    "simple-crc": seed(1, SELECT, [blk(0x00, b"\x90\x00", True)]),
    "ifs-negotiate": seed(2, GETDATA, [blk(0xE1, b"\xFE"),
                                       blk(0x00, b"\x01\x02\x90\x00")]),
    "wtx-then-answer": seed(0, GETDATA, [blk(0xC3, b"\x05"),
                                         blk(0x00, b"\x90\x00")]),
    "chained-reply": seed(0, GETDATA, [blk(0x20, b"\x01" * 30),
                                       blk(0x60, b"\x02" * 30),
                                       blk(0x00, b"\x90\x00")]),
    "chained-command-ifsc16": seed(0, LONG, [blk(0x90)] +
                                   [blk(0x80 | (i % 2 == 0) << 4)
                                    for i in range(1, 12)] +
                                   [blk(0x00, b"\x90\x00")], ifsc=16),
    "lost-then-r-block": seed(0, SELECT, [b"\xFF", blk(0x80),
                                          blk(0x00, b"\x90\x00")]),
    "bad-edc-resynch": seed(0, SELECT, [b"\x04\x00\x00\x02\x55"] * 4 +
                            [blk(0xE0), blk(0x00, b"\x90\x00")]),
    "card-abort": seed(0, SELECT, [blk(0xC2)]),
    "ifs-request-from-card": seed(0, SELECT, [blk(0xC1, b"\x20"),
                                              blk(0x00, b"\x90\x00")]),
    "two-apdus-small-cap": seed(12, SELECT, [blk(0x00, b"\x01\x02\x03\x04\x90\x00"),
                                             blk(0x40, b"\x90\x00")]),
    "io-error": seed(0, SELECT, [b"\xFE"]),
}

if __name__ == "__main__":
    os.makedirs(HERE, exist_ok=True)
    for k, v in SEEDS.items():
        with open(os.path.join(HERE, k), "wb") as f:
            f.write(v)
